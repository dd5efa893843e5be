//! The service layer's error and how it becomes an HTTP answer.
//!
//! Clients get `{code, msg, field?}` with the code's status; internal failures are logged
//! with their cause and answered with a generic `internal`, never with the cause itself.

use app::error::{ApiError, ErrorCode};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::time::Duration;

/// Why a request could not be served.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The client's fault, explained to the client.
    #[error(transparent)]
    Rejected(#[from] ApiError),
    /// Too many attempts (failed logins, uploads); the code says which, and when to retry.
    #[error("{0} throttled for {1:?}")]
    Throttled(ErrorCode, Duration),
    /// The database failed.
    #[error(transparent)]
    Store(crate::store::StoreError),
    /// Anything else that is the server's fault.
    #[error("{0}")]
    Internal(String),
}

impl AppError {
    /// Shorthand for a client error with the code's default message.
    pub fn code(code: ErrorCode) -> AppError {
        AppError::Rejected(ApiError::new(code))
    }

    /// What the client may see; logs the cause of server-side failures.
    pub fn to_api(&self) -> ApiError {
        match self {
            AppError::Rejected(e) => {
                if e.code == ErrorCode::Internal {
                    tracing::error!(msg = %e.msg, "internal failure");
                }
                e.clone()
            }
            AppError::Throttled(code, _) => ApiError::new(*code),
            AppError::Store(e) => {
                tracing::error!(error = %e, "store failure");
                ApiError::new(ErrorCode::Internal)
            }
            AppError::Internal(e) => {
                tracing::error!(error = %e, "internal failure");
                ApiError::new(ErrorCode::Internal)
            }
        }
    }
}

impl From<crate::store::StoreError> for AppError {
    fn from(e: crate::store::StoreError) -> AppError {
        match e {
            // The store names the rule that refused the change; that is the client's answer
            // (unless it names a server fault, which must be logged like one).
            crate::store::StoreError::Refused(code) if code != ErrorCode::Internal => {
                AppError::code(code)
            }
            other => AppError::Store(other),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> ApiError {
        e.to_api()
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = self.to_api();
        let status = StatusCode::from_u16(body.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = (status, Json(body)).into_response();
        if let AppError::Throttled(_, wait) = self {
            // Round up so a client that waits exactly this long is let in.
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreError;

    #[test]
    fn a_store_fault_is_never_a_plain_refusal() {
        assert!(matches!(
            AppError::from(StoreError::Refused(ErrorCode::GroupFull)),
            AppError::Rejected(e) if e.code == ErrorCode::GroupFull
        ));
        // Refusals naming a server fault go the logged way, like any store failure.
        for fault in [
            StoreError::Refused(ErrorCode::Internal),
            StoreError::Inconsistent("x".into()),
        ] {
            let e = AppError::from(fault);
            assert!(matches!(e, AppError::Store(_)), "{e:?}");
            assert_eq!(e.to_api().code, ErrorCode::Internal);
        }
    }
}

//! The seam between server functions (in `app`) and the server's services (in `server`):
//! `app` cannot name server types, so the server implements this trait and provides it to
//! every request through Leptos context.

use crate::error::{ApiError, ErrorCode};
use crate::protocol::{LoginRequest, RegisterRequest, User};
use http::request::Parts;
use http::HeaderValue;
use std::sync::Arc;

/// What the pages need from the account service. Every method takes the request's parts so
/// the server alone decides how sessions are carried (cookie or bearer) and who the client is.
#[async_trait::async_trait]
pub trait Backend: Send + Sync + 'static {
    /// The user of the request's session, `None` when anonymous or the session has ended.
    async fn current_user(&self, req: &Parts) -> Result<Option<User>, ApiError>;

    /// Creates an account.
    async fn register(&self, req: &Parts, body: RegisterRequest) -> Result<User, ApiError>;

    /// Checks credentials (throttled per account and address) and opens a session; returns
    /// the user and the `Set-Cookie` value that carries the session.
    async fn login(&self, req: &Parts, body: LoginRequest)
        -> Result<(User, HeaderValue), ApiError>;

    /// Ends the request's session everywhere; returns the `Set-Cookie` value that clears it.
    async fn logout(&self, req: &Parts) -> Result<HeaderValue, ApiError>;
}

/// How the server hands its [`Backend`] to server functions (via `provide_context`).
pub type SharedBackend = Arc<dyn Backend>;

/// The backend and request parts of the current server-function call or page render.
pub(crate) fn context() -> Result<(SharedBackend, Parts), ApiError> {
    let backend = leptos::prelude::use_context::<SharedBackend>();
    let parts = leptos::prelude::use_context::<Parts>();
    match (backend, parts) {
        (Some(b), Some(p)) => Ok((b, p)),
        _ => Err(ApiError::with_msg(
            ErrorCode::Internal,
            "server functions called outside a request",
        )),
    }
}

/// Adds a `Set-Cookie` header to the response of the current server-function call.
pub(crate) fn set_cookie(value: HeaderValue) {
    if let Some(res) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        res.append_header(http::header::SET_COOKIE, value);
    }
}

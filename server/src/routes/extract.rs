//! Request extractors and the session cookie: who is asking, from where, with what body.

use crate::config::Config;
use crate::error::AppError;
use crate::rules::throttle::Client;
use crate::state::AppState;
use app::error::{ApiError, ErrorCode};
use app::protocol::{User, SESSION_COOKIE};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use std::net::SocketAddr;

/// How a request carried its session token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenSource {
    /// `Authorization: Bearer`.
    Bearer,
    /// The session cookie (the browser sends it by itself, so cross-site use must be checked).
    Cookie,
}

/// The session token in `headers` and how it came: `Authorization: Bearer` first, then the
/// session cookie.
pub fn header_token(headers: &HeaderMap) -> Option<(String, TokenSource)> {
    if let Some(auth) = headers.get(header::AUTHORIZATION) {
        // A request that presents a bearer header is judged by it alone.
        return bearer(auth).map(|t| (t.to_owned(), TokenSource::Bearer));
    }
    CookieJar::from_headers(headers)
        .get(SESSION_COOKIE)
        .map(|c| (c.value().to_owned(), TokenSource::Cookie))
}

/// The credentials of an `Authorization: Bearer <token>` value. The scheme is matched in
/// any case (`bearer`, `BEARER`), as RFC 9110 section 11.1 requires.
pub fn bearer(value: &HeaderValue) -> Option<&str> {
    let (scheme, token) = value.to_str().ok()?.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// The session token of a request: `Authorization: Bearer` first, then the session cookie.
pub fn request_token(parts: &Parts) -> Option<String> {
    header_token(&parts.headers).map(|(t, _)| t)
}

/// Who is asking, for throttling: the client's address as [`super::client::resolve`] found
/// it (the peer, or the one a trusted proxy forwarded) and its device cookie.
pub fn client_addr(parts: &Parts) -> Client {
    parts
        .extensions
        .get::<Client>()
        .cloned()
        .unwrap_or_else(|| {
            let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>();
            Client::from(peer.map(|ci| ci.0.ip()))
        })
}

/// The client's address as [`super::client::resolve`] found it: the peer, or the address a
/// trusted proxy forwarded (what socket caps and throttles count by).
#[derive(Clone, Copy, Debug)]
pub struct ClientAddr(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(client_addr(parts).addr))
    }
}

fn cookie_header(cookie: Cookie<'_>) -> Result<HeaderValue, AppError> {
    HeaderValue::from_str(&cookie.to_string())
        .map_err(|e| AppError::Internal(format!("cookie header: {e}")))
}

/// The `Set-Cookie` value that carries a new session to the browser.
pub fn session_cookie(config: &Config, token: &str) -> Result<HeaderValue, AppError> {
    let max_age = i64::try_from(config.session_ttl.as_secs()).unwrap_or(i64::MAX);
    cookie_header(
        Cookie::build((SESSION_COOKIE, token.to_owned()))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(config.secure_cookies())
            .max_age(time::Duration::seconds(max_age))
            .build(),
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_session_cookie(config: &Config) -> Result<HeaderValue, AppError> {
    cookie_header(
        Cookie::build((SESSION_COOKIE, ""))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(config.secure_cookies())
            .max_age(time::Duration::ZERO)
            .build(),
    )
}

/// An authenticated caller: the session's user and the token that proved it.
/// Rejects with 401 `unauthorized` when there is no live session.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    /// Who the session belongs to.
    pub user: User,
    /// The session's token (to end exactly this session on logout).
    pub token: String,
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = request_token(parts).ok_or(AppError::code(ErrorCode::Unauthorized))?;
        let user = state
            .accounts
            .authenticate(&token)
            .await?
            .ok_or(AppError::code(ErrorCode::Unauthorized))?;
        Ok(CurrentUser { user, token })
    }
}

/// `axum::Json`, but a malformed body is a 400 `invalid_body` in our error format.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct ApiJson<T>(pub T);

impl From<axum::extract::rejection::JsonRejection> for AppError {
    fn from(rej: axum::extract::rejection::JsonRejection) -> AppError {
        AppError::Rejected(ApiError::with_msg(ErrorCode::InvalidBody, rej.body_text()))
    }
}

impl<T: serde::Serialize> axum::response::IntoResponse for ApiJson<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

/// `axum::extract::Query`, but a malformed query is a 400 `invalid_body` in our format.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct ApiQuery<T>(pub T);

impl From<axum::extract::rejection::QueryRejection> for AppError {
    fn from(rej: axum::extract::rejection::QueryRejection) -> AppError {
        AppError::Rejected(ApiError::with_msg(ErrorCode::InvalidBody, rej.body_text()))
    }
}

/// `axum::extract::Path`, but a malformed path parameter (an id that is not a number) is a
/// 400 `invalid_body` in our format.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct ApiPath<T>(pub T);

impl From<axum::extract::rejection::PathRejection> for AppError {
    fn from(rej: axum::extract::rejection::PathRejection) -> AppError {
        AppError::Rejected(ApiError::with_msg(ErrorCode::InvalidBody, rej.body_text()))
    }
}

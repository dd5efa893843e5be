//! REST endpoints for accounts (docs/api.md, "Accounts"). Each handler: extract, one
//! service call, respond.

use super::extract::{
    clear_session_cookie, client_addr, session_cookie, ApiJson, ApiPath, CurrentUser,
};
use crate::error::AppError;
use crate::state::AppState;
use app::error::ErrorCode;
use app::protocol::{
    LoginRequest, LoginResponse, RegisterRequest, SessionInfo, UpdateMeRequest, User,
};
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};

/// `{user}`: the body of `POST /api/register`.
#[derive(Serialize)]
pub struct UserEnvelope {
    /// The account.
    pub user: User,
}

/// `POST /api/register` -> 201 `{user}`.
pub async fn register(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RegisterRequest>,
) -> Result<impl IntoResponse, AppError> {
    let user = state.accounts.register(body).await?;
    Ok((StatusCode::CREATED, ApiJson(UserEnvelope { user })))
}

/// `POST /api/login` -> `{user, token}` and the session cookie.
pub async fn login(
    State(state): State<AppState>,
    parts: Parts,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<impl IntoResponse, AppError> {
    let session = state.login(body, client_addr(&parts)).await?;
    let cookie = session_cookie(&state.config, &session.token)?;
    Ok((
        [(header::SET_COOKIE, cookie)],
        ApiJson(LoginResponse {
            user: session.user,
            token: session.token,
        }),
    ))
}

/// `POST /api/logout` -> 204; ends this session for every client using it.
pub async fn logout(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<impl IntoResponse, AppError> {
    state.end_session(&me.token).await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, clear_session_cookie(&state.config)?)],
    ))
}

/// `GET /api/me` -> the caller's user.
pub async fn me(me: CurrentUser) -> ApiJson<User> {
    ApiJson(me.user)
}

/// `PATCH /api/me {nickname?, avatar?, status?}` -> the updated user; everyone who sees me
/// is told live (cmd 18).
pub async fn update_me(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(body): ApiJson<UpdateMeRequest>,
) -> Result<ApiJson<User>, AppError> {
    Ok(ApiJson(
        state.people.update_profile(me.user.id, body).await?,
    ))
}

/// Query of `GET /api/users/search`.
#[derive(Deserialize)]
pub struct SearchQuery {
    /// Id, username or part of a username or nickname.
    #[serde(default)]
    pub q: String,
}

/// `POST /api/me/password {current, new}` -> 204; every other session of mine ends, and
/// its sockets close on every node.
pub async fn change_password(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(body): ApiJson<app::protocol::ChangePasswordRequest>,
) -> Result<StatusCode, AppError> {
    state
        .change_password(me.user.id, &me.token, body.current, body.new)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/me {password}` -> 204 and a cookie-clearing `Set-Cookie`: the account is
/// deleted (docs/api.md, "Accounts").
pub async fn delete_me(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(body): ApiJson<app::protocol::DeleteAccountRequest>,
) -> Result<impl IntoResponse, AppError> {
    state.delete_account(&me.user, body.password).await?;
    let clear = clear_session_cookie(&state.config)?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear)]))
}

/// `GET /api/me/sessions` -> my live sessions, most recently used first, the asking one
/// marked `current`.
pub async fn sessions(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<ApiJson<Vec<SessionInfo>>, AppError> {
    Ok(ApiJson(
        state.accounts.sessions(me.user.id, &me.token).await?,
    ))
}

/// `DELETE /api/me/sessions/{id}` -> 204: that session ends and its sockets close on every
/// node (404 unless it is mine; ending the asking one is a logout).
pub async fn end_session(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, AppError> {
    state.end_session_of(me.user.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/me/sessions` -> `{ended}`: every session of mine but the asking one ends.
pub async fn end_other_sessions(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<ApiJson<serde_json::Value>, AppError> {
    let ended = state.end_other_sessions(me.user.id, &me.token).await?;
    Ok(ApiJson(serde_json::json!({ "ended": ended })))
}

/// Any other `/api/...` path: a JSON 404 rather than an HTML page.
pub async fn not_found() -> AppError {
    AppError::code(ErrorCode::NotFound)
}

//! `GET /ws`: authenticates (bearer, `?token=`, or the session cookie with a same-origin
//! check against cross-site WebSocket hijacking), admits the socket within the caps, and
//! hands it to a session. The seed dialect's `GET /chat` (routes/v0.rs) opens its sockets
//! through [`open`] too.

use super::csrf::same_origin;
use super::extract::{header_token, ApiQuery, ClientAddr, TokenSource};
use crate::dialect::{Dialect, Native};
use crate::error::AppError;
use crate::rules::accounts::LiveSession;
use crate::session::{Login, MAX_WIRE_FRAME};
use crate::state::AppState;
use app::error::{ApiError, ErrorCode};
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use std::net::IpAddr;
use std::sync::Arc;

/// Query of `GET /ws`.
#[derive(Deserialize)]
pub struct WsQuery {
    /// Token for clients that cannot set headers.
    #[serde(default)]
    pub token: Option<String>,
}

/// Small socket buffers keep an idle connection cheap (docs/benchmarks.md, S1): the read
/// buffer is allocated whole for every socket (it grows for a larger frame, up to
/// MAX_WIRE_FRAME), and frames are small, so 2 KiB still reads several per system call.
const READ_BUFFER: usize = 2 * 1024;
/// Outgoing frames are gathered up to this much before a write (see `session::send_queued`).
const WRITE_BUFFER: usize = 8 * 1024;

/// Upgrades an authenticated request to a WebSocket session; 429 past a socket cap.
pub async fn upgrade(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<WsQuery>,
    ws: WebSocketUpgrade,
) -> Result<Response, AppError> {
    let (token, source) = match (header_token(&headers), query.token) {
        (Some(found), _) => found,
        (None, Some(t)) => (t, TokenSource::Bearer),
        (None, None) => return Err(AppError::code(ErrorCode::Unauthorized)),
    };
    if source == TokenSource::Cookie && !same_origin(&headers, &state.config.public_origin) {
        return Err(ApiError::with_msg(
            ErrorCode::CrossOrigin,
            "WebSocket origin does not match this server's public origin.",
        )
        .into());
    }
    let session = live_session(&state, &token).await?;
    open(state, ws, addr, &token, session, Arc::new(Native)).await
}

/// The live login session of `token`; 401 for none.
pub async fn live_session(state: &AppState, token: &str) -> Result<LiveSession, AppError> {
    state
        .accounts
        .session(token)
        .await?
        .ok_or_else(|| AppError::code(ErrorCode::Unauthorized))
}

/// Admits an authenticated socket (login `session`, opened with `token`, from the client
/// address `addr`) within the caps and upgrades it to a session speaking `dialect`; 429 past a socket cap.
pub async fn open(
    state: AppState,
    ws: WebSocketUpgrade,
    addr: Option<IpAddr>,
    token: &str,
    session: LiveSession,
    dialect: Arc<dyn Dialect>,
) -> Result<Response, AppError> {
    let token_hash = crate::rules::accounts::token_hash(token);
    let registered = state
        .delivery
        .connect(session.user.id, addr, &token_hash, dialect.encoder())
        .await
        .map_err(|r| AppError::Rejected(r.into()))?;
    let login = Login {
        user: session.user,
        session_id: session.id,
        expires_at_ms: session.expires_at_ms,
        addr,
    };
    // If the upgrade never completes, the closure (and with it the registration) is dropped.
    Ok(ws
        .max_message_size(MAX_WIRE_FRAME)
        .max_frame_size(MAX_WIRE_FRAME)
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .on_upgrade(move |socket| crate::session::run(socket, state, login, registered, dialect)))
}

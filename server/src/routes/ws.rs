//! `GET /ws`: authenticates (bearer, `?token=`, or the session cookie with a same-origin
//! check against cross-site WebSocket hijacking) and hands the socket to a session.

use super::extract::{header_token, ApiQuery, TokenSource};
use crate::error::AppError;
use crate::state::AppState;
use app::error::{ApiError, ErrorCode};
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::Response;
use serde::Deserialize;

/// Query of `GET /ws`.
#[derive(Deserialize)]
pub struct WsQuery {
    /// Token for clients that cannot set headers.
    #[serde(default)]
    pub token: Option<String>,
}

/// Largest message tungstenite buffers; frames over 64 KiB are still read so they can be
/// answered with a cmd 2 instead of a dropped connection.
const MAX_BUFFERED_MESSAGE: usize = 1 << 20;
/// Small socket buffers keep an idle connection cheap (see the benchmark targets).
const SOCKET_BUFFER: usize = 8 * 1024;

/// Upgrades an authenticated request to a WebSocket session.
pub async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<WsQuery>,
    ws: WebSocketUpgrade,
) -> Result<Response, AppError> {
    let (token, source) = match (header_token(&headers), query.token) {
        (Some(found), _) => found,
        (None, Some(t)) => (t, TokenSource::Bearer),
        (None, None) => return Err(AppError::code(ErrorCode::Unauthorized)),
    };
    if source == TokenSource::Cookie {
        let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
        if origin != Some(state.config.public_origin.as_str()) {
            return Err(ApiError::with_msg(
                ErrorCode::Forbidden,
                "WebSocket origin does not match this server's public origin.",
            )
            .into());
        }
    }
    let user = state
        .accounts
        .authenticate(&token)
        .await?
        .ok_or_else(|| AppError::code(ErrorCode::Unauthorized))?;
    Ok(ws
        .max_message_size(MAX_BUFFERED_MESSAGE)
        .read_buffer_size(SOCKET_BUFFER)
        .write_buffer_size(SOCKET_BUFFER)
        .on_upgrade(move |socket| {
            crate::session::run(socket, state, user, crate::accounts::token_hash(&token))
        }))
}

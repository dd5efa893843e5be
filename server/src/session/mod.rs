//! One WebSocket connection: a reader (this task) that decodes each frame once and calls
//! the chat rules, and a writer task that drains the connection's bounded queue and pings.
//! When either half ends, the other is stopped; the hub registration is dropped with the
//! session, so the connection leaves the registry however it ends.

use crate::error::AppError;
use crate::hub::Registration;
use crate::state::AppState;
use app::error::{ApiError, ErrorCode};
use app::protocol::frame::{Cmd, Frame, MAX_FRAME_BYTES};
use app::protocol::User;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket};
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tracing::Instrument;

/// A connection that sends nothing (not even a heartbeat) for this long is closed.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// How often the server pings, so dead peers and idle proxies are noticed.
pub const PING_EVERY: Duration = Duration::from_secs(30);
/// Unreadable frames in a row before the connection is closed.
pub const MAX_UNREADABLE: u32 = 10;

fn encode(frame: &Frame) -> Message {
    match serde_json::to_string(frame) {
        Ok(s) => Message::Text(Utf8Bytes::from(s)),
        Err(_) => Message::Text(Utf8Bytes::from_static(r#"{"cmd":2,"code":"internal"}"#)),
    }
}

fn error_frame(err: &ApiError, cid: &str) -> Frame {
    Frame {
        cmd: Cmd::Error.code(),
        cid: cid.to_owned(),
        code: err.code.as_str().to_owned(),
        content: err.msg.clone(),
        ..Frame::default()
    }
}

/// Serves one authenticated socket (opened with login session `session`, a token hash)
/// until it closes. The user's friends see them come online with their first connection
/// on this node and go offline with the last.
pub async fn run(socket: WebSocket, state: AppState, user: User, session: String) {
    let (reg, rx) = state.hub.connect(user.id, &session);
    let span = tracing::info_span!("ws", conn = %reg.outlet.id, user = %user.id);
    async move {
        tracing::info!(first = reg.first, "connected");
        if reg.first {
            presence(&state, &user, "online").await;
        }
        serve(socket, &state, &user, &reg, rx).await;
        drop(reg);
        if !state.hub.is_online(user.id) {
            presence(&state, &user, "offline").await;
        }
        tracing::info!("disconnected");
    }
    .instrument(span)
    .await;
}

/// Tells `user`'s friends (cmd 13) that they are `online` or `offline`.
async fn presence(state: &AppState, user: &User, status: &str) {
    match state.store.friends(user.id).await {
        Ok(friends) => {
            let ids: Vec<_> = friends.iter().map(|f| f.id).collect();
            let frame = Frame {
                cmd: Cmd::Presence.code(),
                userid: user.id.0,
                content: status.to_owned(),
                ..Frame::default()
            };
            state.hub.deliver(&ids, &frame, None);
        }
        Err(e) => tracing::warn!(error = %e, "presence: cannot list friends"),
    }
}

async fn serve(
    socket: WebSocket,
    state: &AppState,
    user: &User,
    reg: &Registration,
    mut rx: tokio::sync::mpsc::Receiver<Message>,
) {
    let (mut sink, mut stream) = socket.split();
    let close = reg.outlet.close.clone();
    let writer = tokio::spawn(async move {
        let mut ping = tokio::time::interval(PING_EVERY);
        ping.tick().await;
        loop {
            tokio::select! {
                () = close.cancelled() => break,
                msg = rx.recv() => match msg {
                    Some(m) => if sink.send(m).await.is_err() { break },
                    None => break,
                },
                _ = ping.tick() => if sink.send(Message::Ping(Default::default())).await.is_err() { break },
            }
        }
        let _ = sink.send(Message::Close(None)).await;
        close.cancel();
    });

    let mut unreadable = 0u32;
    loop {
        let next = tokio::select! {
            () = reg.outlet.close.cancelled() => break,
            next = tokio::time::timeout(IDLE_TIMEOUT, stream.next()) => next,
        };
        let msg = match next {
            Err(_) => {
                tracing::info!("idle timeout");
                break;
            }
            Ok(None) | Ok(Some(Err(_))) => break,
            Ok(Some(Ok(m))) => m,
        };
        let text = match msg {
            Message::Text(t) => t,
            Message::Binary(_) => {
                unreadable += 1;
                reply(
                    state,
                    reg,
                    &error_frame(&ApiError::new(ErrorCode::BadFrame), ""),
                );
                if unreadable > MAX_UNREADABLE {
                    break;
                }
                continue;
            }
            Message::Close(_) => break,
            Message::Ping(_) | Message::Pong(_) => continue,
        };
        if text.len() > MAX_FRAME_BYTES {
            reply(
                state,
                reg,
                &error_frame(&ApiError::new(ErrorCode::FrameTooLarge), ""),
            );
            continue;
        }
        // serde would also read a JSON array positionally into the struct; a frame is an
        // object, so anything else is unreadable.
        let parsed = if text.trim_start().starts_with('{') {
            serde_json::from_str::<Frame>(text.as_str()).map_err(|e| e.to_string())
        } else {
            Err("a frame must be a JSON object".to_owned())
        };
        let frame: Frame = match parsed {
            Ok(f) => {
                unreadable = 0;
                f
            }
            Err(e) => {
                unreadable += 1;
                let err = ApiError::with_msg(ErrorCode::BadFrame, format!("Unreadable frame: {e}"));
                reply(state, reg, &error_frame(&err, ""));
                if unreadable > MAX_UNREADABLE {
                    tracing::info!("too many unreadable frames");
                    break;
                }
                continue;
            }
        };
        if let Some(answer) = dispatch(state, user, reg, &frame).await {
            reply(state, reg, &answer);
        }
    }
    reg.outlet.close.cancel();
    // A writer blocked on a peer that stopped reading never sees the cancel; give a healthy
    // one a moment to send its close frame, then drop the socket regardless.
    let mut writer = writer;
    if tokio::time::timeout(Duration::from_secs(1), &mut writer)
        .await
        .is_err()
    {
        writer.abort();
    }
}

/// Handles one decoded frame; returns the answer for this connection, if any.
async fn dispatch(
    state: &AppState,
    user: &User,
    reg: &Registration,
    frame: &Frame,
) -> Option<Frame> {
    let result: Result<Option<Frame>, AppError> = match Cmd::from_code(frame.cmd) {
        Some(Cmd::Heartbeat) => Ok(Some(Frame::default())),
        Some(Cmd::Private | Cmd::Group) => state
            .chat
            .send(user, Some(reg.outlet.id), frame)
            .await
            .map(Some),
        Some(Cmd::Read) => state
            .chat
            .mark_read(user, &frame.conv, frame.seq)
            .await
            .map(|_| None),
        Some(Cmd::Typing) => state
            .chat
            .typing(user, Some(reg.outlet.id), frame)
            .await
            .map(|()| None),
        _ => Err(AppError::code(ErrorCode::UnknownCmd)),
    };
    match result {
        Ok(answer) => answer,
        Err(e) => Some(error_frame(&e.to_api(), &frame.cid)),
    }
}

fn reply(state: &AppState, reg: &Registration, frame: &Frame) {
    state.hub.push(&reg.outlet, encode(frame));
}

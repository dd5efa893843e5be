//! How a socket's client speaks, decided at the edge (the route that opened it): how its
//! frames are read into commands, whether and how it is answered, and how it is sent
//! deliveries. The session and delivery never branch on a dialect; they call one of these.
//!
//! - [`Native`] (`/ws`): the protocol of docs/api.md, every frame answered.
//! - [`v0::Seed`] (`/chat`): the seed client's flat frames, never answered.

pub mod v0;

use crate::delivery::outlet::{encode_json, Encoder, Json};
use app::error::ApiError;
use app::protocol::frame::{ClientCmd, Frame};
use app::protocol::User;
use axum::extract::ws::{Message, Utf8Bytes};
use std::sync::Arc;

/// What one frame from the client turned out to be.
#[derive(Debug)]
pub enum Reading {
    /// A command, and the cid its answers carry.
    Cmd {
        /// The client's id for answers (empty when the frame had none).
        cid: String,
        /// What to do.
        cmd: ClientCmd,
    },
    /// Refused as it stands (`bad_frame` when it could not be read at all).
    Refused {
        /// The client's id for answers (empty when the frame had none).
        cid: String,
        /// Why.
        err: ApiError,
    },
    /// A frame naming another user as its sender: dropped unanswered and counted.
    ForeignSender,
}

/// One way of speaking over a socket.
pub trait Dialect: Send + Sync + std::fmt::Debug + 'static {
    /// For logs.
    fn name(&self) -> &'static str;

    /// How deliveries from others are written for this client.
    fn encoder(&self) -> Arc<dyn Encoder>;

    /// Reads one text frame of `me`'s client.
    fn read(&self, text: &str, me: &User) -> Reading;

    /// The answer to one of the client's own frames as sent to it, or `None` when this
    /// dialect is never answered.
    fn answer(&self, frame: &Frame) -> Option<Message>;
}

/// The native protocol (`/ws`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Native;

impl Dialect for Native {
    fn name(&self) -> &'static str {
        "v1"
    }

    fn encoder(&self) -> Arc<dyn Encoder> {
        Arc::new(Json)
    }

    fn read(&self, text: &str, _me: &User) -> Reading {
        match ClientCmd::parse(text) {
            (cid, Ok(cmd)) => Reading::Cmd { cid, cmd },
            (cid, Err(err)) => Reading::Refused { cid, err },
        }
    }

    fn answer(&self, frame: &Frame) -> Option<Message> {
        Some(Message::Text(encode_json(frame).unwrap_or_else(|| {
            Utf8Bytes::from_static(r#"{"cmd":2,"code":"internal"}"#)
        })))
    }
}

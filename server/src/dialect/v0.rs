//! The seed client's dialect (v0, `GET /chat`; docs/api.md): the only place the server reads
//! and writes the seed's flat frames (the conversions themselves are
//! [`app::protocol::seed`]'s).
//!
//! The seed client draws every frame it gets as a bubble and shows its own messages at once,
//! so it is sent only others' messages (cmd 10/11) in its flat shape, and never an answer:
//! no acks, errors or heartbeat replies. Refusals are logged instead (codes only). It sends
//! no cid; a message gets a fresh, unguessable one (the seed resends nothing). Anything that
//! is not a message reads as a heartbeat.

use super::{Dialect, Reading};
use crate::delivery::outlet::Encoder;
use app::error::ErrorCode;
use app::ids::Cid;
use app::protocol::frame::{ClientCmd, Cmd, Frame};
use app::protocol::{seed, User};
use axum::extract::ws::{Message, Utf8Bytes};
use std::sync::Arc;

/// The seed dialect.
#[derive(Clone, Copy, Debug, Default)]
pub struct Seed;

/// Writes deliveries in the seed's flat shape: messages only.
#[derive(Clone, Copy, Debug, Default)]
pub struct SeedEncoder;

impl Encoder for SeedEncoder {
    fn kind(&self) -> &'static str {
        "v0"
    }

    fn encode(&self, frame: &Frame) -> Option<Utf8Bytes> {
        let flat = seed::flat_message(frame)?;
        match serde_json::to_string(&flat) {
            Ok(s) => Some(Utf8Bytes::from(s)),
            Err(e) => {
                tracing::error!(error = %e, "cannot encode seed frame");
                None
            }
        }
    }
}

impl Dialect for Seed {
    fn name(&self) -> &'static str {
        "v0"
    }

    fn encoder(&self) -> Arc<dyn Encoder> {
        Arc::new(SeedEncoder)
    }

    fn read(&self, text: &str, me: &User) -> Reading {
        let cid = Cid::random('s', rand::random());
        let cmd = seed::parse(text)
            .and_then(|f| seed::command(&f, me.id, cid.clone()))
            .map(|out| out.map_or(ClientCmd::Heartbeat, ClientCmd::Send));
        let cid = cid.into_string();
        match cmd {
            Ok(cmd) => Reading::Cmd { cid, cmd },
            // Someone posing as another user.
            Err(e) if e.code == ErrorCode::Forbidden => Reading::ForeignSender,
            Err(err) => Reading::Refused { cid, err },
        }
    }

    fn answer(&self, frame: &Frame) -> Option<Message> {
        if frame.cmd == Cmd::Error.code() {
            tracing::info!(code = %frame.code, "v0 frame refused (not answered)");
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::ids::UserId;

    #[test]
    fn deliveries_are_messages_only_in_the_flat_shape() {
        let message = Frame {
            cmd: 10,
            id: 4,
            userid: 2,
            dstid: 1,
            media: 1,
            content: "hi".into(),
            cid: "c".into(),
            conv: "p:1:2".into(),
            seq: 1,
            ts: 9,
            ..Frame::default()
        };
        assert_eq!(
            SeedEncoder.encode(&message).unwrap().as_str(),
            r#"{"cmd":10,"id":4,"userid":2,"dstid":1,"media":1,"content":"hi"}"#
        );
        for cmd in [12, 13, 15, 16] {
            let other = Frame {
                cmd,
                ..message.clone()
            };
            assert!(SeedEncoder.encode(&other).is_none(), "cmd {cmd}");
        }
    }

    #[test]
    fn it_is_never_answered_and_a_foreign_sender_is_told_apart() {
        let me = User {
            id: UserId(1),
            username: "a".into(),
            nickname: "a".into(),
            avatar: String::new(),
            status: String::new(),
        };
        assert!(Seed.answer(&Frame::default()).is_none());
        let mine = r#"{"cmd":10,"userid":1,"dstid":2,"media":1,"content":"hi"}"#;
        assert!(matches!(
            Seed.read(mine, &me),
            Reading::Cmd {
                cmd: ClientCmd::Send(_),
                ..
            }
        ));
        let theirs = r#"{"cmd":10,"userid":3,"dstid":2,"media":1,"content":"hi"}"#;
        assert!(matches!(Seed.read(theirs, &me), Reading::ForeignSender));
    }
}

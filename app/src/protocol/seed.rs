//! The seed client's dialect, "v0" (protocol.md section 4): the flat message the seed's
//! own pages send and draw on `GET /chat`, `{id, userid, dstid, cmd, media, content, pic,
//! url, memo, amount}`, nothing else. The server turns it into the same [`Outgoing`] a v1
//! frame becomes (so the same chat rules apply), and writes stored messages back in it.
//!
//! What the seed client cannot take is decided here too: it draws every JSON frame it
//! receives as a bubble, so only messages (cmd 10/11) are ever written to it
//! ([`SeedFrame::from_message`]), and it sends no `cid`, so the server supplies one.

use super::frame::{Cmd, Frame, MessageBody, Outgoing, Target, MAX_FRAME_BYTES};
use crate::error::{ApiError, ErrorCode};
use crate::ids::{GroupId, UserId};
use serde::{Deserialize, Serialize};

/// Where the seed's pages keep their own files (sticker packs among them).
pub const ASSET_PREFIX: &str = "/asset/";

/// True for a same-origin seed asset path such as `/asset/plugins/doutu/emoj/1.gif`: plain
/// segments only, like a `/media/` path. Accepted as a sticker (media 4 `url`) from v0 only.
pub fn is_sticker_path(url: &str) -> bool {
    url.len() <= 512
        && url
            .strip_prefix(ASSET_PREFIX)
            .is_some_and(super::plain_path)
}

fn is_zero_i64(v: &i64) -> bool {
    *v == 0
}

fn is_zero_u16(v: &u16) -> bool {
    *v == 0
}

/// The seed's message, both directions. Empty fields are not sent (as the seed server's
/// `omitempty`); absent ones read as zero or empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedFrame {
    /// Message id (server to client).
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub id: i64,
    /// Sender. From a client it must be the session's user or absent.
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub userid: i64,
    /// Peer user (cmd 10) or group (cmd 11).
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub dstid: i64,
    /// 10 (1:1) or 11 (group).
    #[serde(default, skip_serializing_if = "is_zero_u16")]
    pub cmd: u16,
    /// Media kind (the seed client draws 1 text, 3 voice, 4 image).
    #[serde(default, skip_serializing_if = "is_zero_u16")]
    pub media: u16,
    /// Text and the like.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub content: String,
    /// Picture URL.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub pic: String,
    /// Resource URL.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub url: String,
    /// Summary, greeting or nickname.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub memo: String,
    /// Seconds (voice) or cents (red packet).
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub amount: i64,
}

/// What a v0 client frame turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SeedCmd {
    /// A message to store and deliver, with the cid the server gave it.
    Send(Outgoing),
    /// Nothing to do: a heartbeat, or a command the seed client never sends.
    Ignore,
}

impl SeedFrame {
    /// The seed shape of a v1 frame if it is a message (cmd 10/11), `None` for everything
    /// else (acks, errors, notices, presence, read marks, typing), which a seed client
    /// would draw as empty bubbles.
    pub fn from_message(frame: &Frame) -> Option<SeedFrame> {
        matches!(Cmd::from_code(frame.cmd), Some(Cmd::Private | Cmd::Group)).then(|| SeedFrame {
            id: frame.id,
            userid: frame.userid,
            dstid: frame.dstid,
            cmd: frame.cmd,
            media: frame.media,
            content: frame.content.clone(),
            pic: frame.pic.clone(),
            url: frame.url.clone(),
            memo: frame.memo.clone(),
            amount: frame.amount,
        })
    }

    /// Reads one text frame from a seed client: `bad_frame` unless it is a JSON object of
    /// at most [`MAX_FRAME_BYTES`].
    pub fn parse(text: &str) -> Result<SeedFrame, ApiError> {
        if text.len() > MAX_FRAME_BYTES {
            return Err(ApiError::new(ErrorCode::FrameTooLarge));
        }
        if !text.trim_start().starts_with('{') {
            return Err(ApiError::with_msg(
                ErrorCode::BadFrame,
                "Unreadable frame: a frame must be a JSON object.",
            ));
        }
        serde_json::from_str(text)
            .map_err(|e| ApiError::with_msg(ErrorCode::BadFrame, format!("Unreadable frame: {e}")))
    }

    /// What the frame asks `me` to do, `cid` being the id the server gives a message (the
    /// seed client sends none). A frame naming another sender (`userid` set and not `me`)
    /// is refused with `forbidden`; the payload follows the v1 rules, plus sticker paths.
    pub fn command(&self, me: UserId, cid: String) -> Result<SeedCmd, ApiError> {
        let to = match Cmd::from_code(self.cmd) {
            Some(Cmd::Private) => Target::User(UserId(self.dstid)),
            Some(Cmd::Group) => Target::Group(GroupId(self.dstid)),
            Some(Cmd::Heartbeat) => return Ok(SeedCmd::Ignore),
            _ => return Err(ApiError::new(ErrorCode::UnknownCmd)),
        };
        if self.userid != 0 && self.userid != me.0 {
            return Err(ApiError::with_msg(
                ErrorCode::Forbidden,
                "`userid` must be your own id.",
            ));
        }
        if self.dstid <= 0 {
            return Err(ApiError::with_msg(
                ErrorCode::InvalidPayload,
                "`dstid` must name the user or group to send to.",
            ));
        }
        let body = MessageBody::new_seed(
            self.media,
            self.content.clone(),
            self.pic.clone(),
            self.url.clone(),
            self.memo.clone(),
            self.amount,
        )?;
        Ok(SeedCmd::Send(Outgoing { to, cid, body }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::frame::Media;

    fn parse(text: &str) -> Result<SeedCmd, ApiError> {
        SeedFrame::parse(text)?.command(UserId(7), "s1".into())
    }

    #[test]
    fn seed_frames_become_outgoing_messages() {
        // Exactly what the seed page sends: its own userid, no id, no cid.
        let Ok(SeedCmd::Send(out)) =
            parse(r#"{"dstid":9,"cmd":10,"userid":7,"media":1,"content":"hi"}"#)
        else {
            panic!("not a send")
        };
        assert_eq!(out.to, Target::User(UserId(9)));
        assert_eq!(out.cid, "s1");
        assert_eq!(out.body.content, "hi");
        let Ok(SeedCmd::Send(out)) = parse(r#"{"dstid":3,"cmd":11,"media":1,"content":"yo"}"#)
        else {
            panic!("not a send")
        };
        assert_eq!(out.to, Target::Group(GroupId(3)));
        assert_eq!(parse(r#"{"cmd":0}"#), Ok(SeedCmd::Ignore));
    }

    #[test]
    fn spoofed_senders_and_bad_frames_are_refused() {
        let code = |t: &str| parse(t).unwrap_err().code;
        assert_eq!(
            code(r#"{"dstid":9,"cmd":10,"userid":8,"media":1,"content":"hi"}"#),
            ErrorCode::Forbidden
        );
        assert_eq!(code("[1]"), ErrorCode::BadFrame);
        assert_eq!(code(r#"{"cmd":"x"}"#), ErrorCode::BadFrame);
        assert_eq!(code(r#"{"cmd":15}"#), ErrorCode::UnknownCmd);
        assert_eq!(
            code(r#"{"cmd":10,"media":1,"content":"hi"}"#),
            ErrorCode::InvalidPayload
        );
        assert_eq!(
            code(r#"{"cmd":10,"dstid":9,"media":1}"#),
            ErrorCode::InvalidPayload
        );
        let huge = format!(
            r#"{{"cmd":10,"content":"{}"}}"#,
            "a".repeat(MAX_FRAME_BYTES)
        );
        assert_eq!(code(&huge), ErrorCode::FrameTooLarge);
    }

    #[test]
    fn stickers_are_asset_paths_for_images_only() {
        let sticker = r#"{"dstid":9,"cmd":10,"media":4,"url":"/asset/plugins/doutu/emoj/1.gif"}"#;
        let Ok(SeedCmd::Send(out)) = parse(sticker) else {
            panic!("sticker refused")
        };
        assert_eq!(out.body.media, Media::Image);
        assert_eq!(out.body.url, "/asset/plugins/doutu/emoj/1.gif");
        for bad in [
            r#"{"dstid":9,"cmd":10,"media":4,"url":"/asset/../api/me"}"#,
            r#"{"dstid":9,"cmd":10,"media":4,"url":"/asset/%2e%2e/x"}"#,
            r#"{"dstid":9,"cmd":10,"media":4,"url":"javascript:alert(1)"}"#,
            r#"{"dstid":9,"cmd":10,"media":7,"url":"/asset/a.gif"}"#,
            r#"{"dstid":9,"cmd":10,"media":4,"url":"/x.gif","pic":"/asset/a.gif"}"#,
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        // v1 frames never take a sticker path.
        assert!(MessageBody::new(
            4,
            String::new(),
            String::new(),
            "/asset/a.gif".into(),
            String::new(),
            0
        )
        .is_err());
    }

    #[test]
    fn only_messages_are_written_back_in_the_flat_shape() {
        let msg = Frame {
            cmd: 10,
            id: 5,
            userid: 7,
            dstid: 9,
            media: 1,
            content: "hi".into(),
            cid: "c".into(),
            conv: "p:7:9".into(),
            seq: 3,
            ts: 1,
            ..Frame::default()
        };
        let flat = SeedFrame::from_message(&msg).map(|f| serde_json::to_string(&f).unwrap());
        assert_eq!(
            flat.as_deref(),
            Some(r#"{"id":5,"userid":7,"dstid":9,"cmd":10,"media":1,"content":"hi"}"#)
        );
        for cmd in [0, 1, 2, 12, 13, 15, 16] {
            let other = Frame { cmd, ..msg.clone() };
            assert_eq!(SeedFrame::from_message(&other), None, "cmd {cmd}");
        }
    }
}

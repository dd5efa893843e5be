//! WebSocket frames (protocol.md section 3): the seeds' flat message plus optional
//! extensions, one JSON object per text frame. [`Frame`] is the wire shape; [`Cmd`] and
//! [`Media`] are the closed sets its numbers are parsed into once, at the edge; and
//! [`validate_message`] is the per-media payload rule, shared so a browser can check a
//! message before sending it and the server enforces the same rule.

use super::is_allowed_url;
use crate::error::{ApiError, ErrorCode};
use serde::{Deserialize, Serialize};

/// Largest frame accepted from a client, in bytes.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Longest client message id (`cid`).
pub const MAX_CID_CHARS: usize = 64;
/// Longest `content` of any message.
pub const MAX_CONTENT_CHARS: usize = 4000;
/// Longest `memo` of any message.
pub const MAX_MEMO_CHARS: usize = 1000;

fn is_zero_i64(v: &i64) -> bool {
    *v == 0
}

fn is_zero_u16(v: &u16) -> bool {
    *v == 0
}

/// One frame, either direction. Absent fields read as zero/empty and are not sent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Frame {
    /// Command code, see [`Cmd`]; always sent.
    pub cmd: u16,
    /// Server-assigned message id.
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub id: i64,
    /// Sender (server to client); ignored when a client sends it.
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub userid: i64,
    /// Destination: peer user id (cmd 10) or group id (cmd 11).
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub dstid: i64,
    /// Media kind, see [`Media`].
    #[serde(skip_serializing_if = "is_zero_u16")]
    pub media: u16,
    /// Text, title, emoji, contact id or custom JSON, by media kind.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub content: String,
    /// Picture URL (thumbnail, poster, avatar).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub pic: String,
    /// Resource URL.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub url: String,
    /// Summary, greeting or nickname, by media kind.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub memo: String,
    /// Seconds (voice) or cents (red packet).
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub amount: i64,
    /// The client's own message id, unique per sender; makes sending idempotent.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cid: String,
    /// Conversation key: `p:<low>:<high>` or `g:<group>`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub conv: String,
    /// Position in the conversation, gap-free from 1.
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub seq: i64,
    /// Server time of storing, ms since the epoch.
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub ts: i64,
    /// Error code (cmd 2).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub code: String,
}

/// The command codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cmd {
    /// 0: heartbeat, answered with `{cmd:0}`.
    Heartbeat,
    /// 1: a message was stored (server to sender).
    Ack,
    /// 2: a request was refused.
    Error,
    /// 10: 1:1 message.
    Private,
    /// 11: group message.
    Group,
    /// 12: system notice.
    Notice,
    /// 13: presence of a friend.
    Presence,
    /// 15: read mark / read receipt.
    Read,
    /// 16: typing indicator.
    Typing,
}

impl Cmd {
    /// The wire number.
    pub fn code(self) -> u16 {
        match self {
            Cmd::Heartbeat => 0,
            Cmd::Ack => 1,
            Cmd::Error => 2,
            Cmd::Private => 10,
            Cmd::Group => 11,
            Cmd::Notice => 12,
            Cmd::Presence => 13,
            Cmd::Read => 15,
            Cmd::Typing => 16,
        }
    }

    /// Parses a wire number.
    pub fn from_code(code: u16) -> Option<Cmd> {
        [
            Cmd::Heartbeat,
            Cmd::Ack,
            Cmd::Error,
            Cmd::Private,
            Cmd::Group,
            Cmd::Notice,
            Cmd::Presence,
            Cmd::Read,
            Cmd::Typing,
        ]
        .into_iter()
        .find(|c| c.code() == code)
    }
}

/// The media kinds of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Media {
    /// 1: text in `content`.
    Text,
    /// 2: news card: `content` title, `pic`, `url`, `memo` summary.
    News,
    /// 3: voice note: `url`, `amount` seconds.
    Voice,
    /// 4: image: `url`, optional `pic` thumbnail.
    Image,
    /// 5: red packet: `amount` cents, `memo` greeting, optional `url`.
    RedPacket,
    /// 6: emoji: `content` name or the emoji itself.
    Emoji,
    /// 7: link: `url`.
    Link,
    /// 8: video: `url`, `pic` poster.
    Video,
    /// 9: contact card: `content` user id, `pic` avatar, `memo` nickname.
    Contact,
    /// 100: custom: `content` an app-defined JSON string.
    Custom,
}

impl Media {
    /// The wire number.
    pub fn code(self) -> u16 {
        match self {
            Media::Text => 1,
            Media::News => 2,
            Media::Voice => 3,
            Media::Image => 4,
            Media::RedPacket => 5,
            Media::Emoji => 6,
            Media::Link => 7,
            Media::Video => 8,
            Media::Contact => 9,
            Media::Custom => 100,
        }
    }

    /// Parses a wire number.
    pub fn from_code(code: u16) -> Option<Media> {
        [
            Media::Text,
            Media::News,
            Media::Voice,
            Media::Image,
            Media::RedPacket,
            Media::Emoji,
            Media::Link,
            Media::Video,
            Media::Contact,
            Media::Custom,
        ]
        .into_iter()
        .find(|m| m.code() == code)
    }
}

fn payload(msg: &str) -> ApiError {
    ApiError::with_msg(ErrorCode::InvalidPayload, msg)
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// Checks a URL field: required ones must be present; any present one must be allowed.
fn check_url(name: &str, value: &str, required: bool) -> Result<(), ApiError> {
    if value.is_empty() {
        return if required {
            Err(payload(&format!(
                "`{name}` is required for this kind of message."
            )))
        } else {
            Ok(())
        };
    }
    if value.len() > 2048 || !is_allowed_url(value) {
        return Err(ApiError::with_msg(
            ErrorCode::InvalidPayload,
            format!("`{name}` must be an http(s):// URL or a /media/ path."),
        ));
    }
    Ok(())
}

fn require_content(frame: &Frame, what: &str, max: usize) -> Result<(), ApiError> {
    let n = chars(frame.content.trim());
    if n == 0 || chars(&frame.content) > max {
        return Err(payload(&format!(
            "`content` ({what}) must be 1-{max} characters."
        )));
    }
    Ok(())
}

/// Validates a message a client sends (cmd 10/11): the `cid`, the media kind and the fields
/// that kind needs (protocol.md's media table), URL schemes included. Returns the kind.
pub fn validate_message(frame: &Frame) -> Result<Media, ApiError> {
    if frame.cid.is_empty() || chars(&frame.cid) > MAX_CID_CHARS {
        return Err(payload(
            "`cid` is required: your own id for the message, 1-64 characters.",
        ));
    }
    if frame.dstid <= 0 {
        return Err(payload("`dstid` must name the user or group to send to."));
    }
    let media =
        Media::from_code(frame.media).ok_or_else(|| ApiError::new(ErrorCode::InvalidMedia))?;
    if chars(&frame.content) > MAX_CONTENT_CHARS {
        return Err(payload("`content` is too long (4000 characters at most)."));
    }
    if chars(&frame.memo) > MAX_MEMO_CHARS {
        return Err(payload("`memo` is too long (1000 characters at most)."));
    }
    // Every URL-bearing field is checked whatever the kind, so nothing renders a
    // `javascript:` link that rode along in an unused field.
    check_url("url", &frame.url, false)?;
    check_url("pic", &frame.pic, false)?;
    match media {
        Media::Text => require_content(frame, "the text", MAX_CONTENT_CHARS)?,
        Media::News => {
            require_content(frame, "the title", 200)?;
            check_url("url", &frame.url, true)?;
        }
        Media::Voice => {
            check_url("url", &frame.url, true)?;
            if !(1..=3600).contains(&frame.amount) {
                return Err(payload(
                    "`amount` (seconds) must be 1-3600 for a voice note.",
                ));
            }
        }
        Media::Image | Media::Link | Media::Video => check_url("url", &frame.url, true)?,
        Media::RedPacket => {
            if !(1..=100_000_000).contains(&frame.amount) {
                return Err(payload("`amount` (cents) must be greater than 0."));
            }
        }
        Media::Emoji => require_content(frame, "the emoji", 64)?,
        Media::Contact => {
            let id_ok = frame.content.parse::<i64>().is_ok_and(|id| id > 0);
            if !id_ok {
                return Err(payload("`content` must be the shared contact's user id."));
            }
        }
        Media::Custom => {
            require_content(frame, "custom JSON", MAX_CONTENT_CHARS)?;
            if serde_json::from_str::<serde_json::Value>(&frame.content).is_err() {
                return Err(payload(
                    "`content` must be a JSON string for a custom message.",
                ));
            }
        }
    }
    Ok(media)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(media: u16) -> Frame {
        Frame {
            cmd: 10,
            dstid: 2,
            media,
            cid: "c1".into(),
            ..Frame::default()
        }
    }

    #[test]
    fn frames_round_trip_and_skip_empty_fields() {
        let f = Frame {
            cmd: 0,
            ..Frame::default()
        };
        assert_eq!(serde_json::to_string(&f).unwrap(), r#"{"cmd":0}"#);
        let parsed: Frame = serde_json::from_str(
            r#"{"cmd":10,"dstid":5,"media":1,"content":"hi","cid":"a","extra":true}"#,
        )
        .unwrap();
        assert_eq!(parsed.dstid, 5);
        assert_eq!(parsed.content, "hi");
        for c in [0u16, 1, 2, 10, 11, 12, 13, 15, 16] {
            assert_eq!(Cmd::from_code(c).unwrap().code(), c);
        }
        assert_eq!(Cmd::from_code(14), None);
    }

    #[test]
    fn every_media_kind_has_its_rule() {
        let ok = |f: Frame| validate_message(&f).unwrap();
        let bad = |f: Frame| validate_message(&f).unwrap_err().code;
        assert_eq!(
            ok(Frame {
                content: "hello".into(),
                ..msg(1)
            }),
            Media::Text
        );
        assert_eq!(
            bad(Frame {
                content: "   ".into(),
                ..msg(1)
            }),
            ErrorCode::InvalidPayload
        );
        assert_eq!(
            bad(Frame {
                content: "x".repeat(4001),
                ..msg(1)
            }),
            ErrorCode::InvalidPayload
        );
        assert_eq!(
            ok(Frame {
                content: "Title".into(),
                url: "https://n.example/a".into(),
                ..msg(2)
            }),
            Media::News
        );
        assert_eq!(
            bad(Frame {
                content: "Title".into(),
                ..msg(2)
            }),
            ErrorCode::InvalidPayload
        );
        assert_eq!(
            ok(Frame {
                url: "/media/v.ogg".into(),
                amount: 3,
                ..msg(3)
            }),
            Media::Voice
        );
        assert_eq!(
            bad(Frame {
                url: "/media/v.ogg".into(),
                ..msg(3)
            }),
            ErrorCode::InvalidPayload
        );
        assert_eq!(
            ok(Frame {
                url: "/media/i.png".into(),
                ..msg(4)
            }),
            Media::Image
        );
        assert_eq!(
            bad(Frame {
                url: "javascript:alert(1)".into(),
                ..msg(4)
            }),
            ErrorCode::InvalidPayload
        );
        assert_eq!(
            bad(Frame {
                url: "data:image/png;base64,AA".into(),
                ..msg(4)
            }),
            ErrorCode::InvalidPayload
        );
        assert_eq!(
            ok(Frame {
                amount: 888,
                memo: "恭喜发财".into(),
                ..msg(5)
            }),
            Media::RedPacket
        );
        assert_eq!(
            bad(Frame {
                amount: 0,
                ..msg(5)
            }),
            ErrorCode::InvalidPayload
        );
        assert_eq!(
            bad(Frame {
                amount: -5,
                ..msg(5)
            }),
            ErrorCode::InvalidPayload
        );
        assert_eq!(
            ok(Frame {
                content: "😀".into(),
                ..msg(6)
            }),
            Media::Emoji
        );
        assert_eq!(
            ok(Frame {
                url: "https://x.example".into(),
                ..msg(7)
            }),
            Media::Link
        );
        assert_eq!(bad(Frame { ..msg(7) }), ErrorCode::InvalidPayload);
        assert_eq!(
            ok(Frame {
                url: "/media/v.mp4".into(),
                pic: "/media/p.jpg".into(),
                ..msg(8)
            }),
            Media::Video
        );
        assert_eq!(
            bad(Frame {
                url: "/media/v.mp4".into(),
                pic: "javascript:x".into(),
                ..msg(8)
            }),
            ErrorCode::InvalidPayload
        );
        assert_eq!(
            ok(Frame {
                content: "42".into(),
                memo: "Bob".into(),
                ..msg(9)
            }),
            Media::Contact
        );
        assert_eq!(
            bad(Frame {
                content: "bob".into(),
                ..msg(9)
            }),
            ErrorCode::InvalidPayload
        );
        assert_eq!(
            ok(Frame {
                content: r#"{"k":1}"#.into(),
                ..msg(100)
            }),
            Media::Custom
        );
        assert_eq!(
            bad(Frame {
                content: "{nope".into(),
                ..msg(100)
            }),
            ErrorCode::InvalidPayload
        );
        assert_eq!(
            bad(Frame {
                content: "x".into(),
                ..msg(42)
            }),
            ErrorCode::InvalidMedia
        );
        assert_eq!(
            bad(Frame {
                content: "x".into(),
                cid: String::new(),
                ..msg(1)
            }),
            ErrorCode::InvalidPayload
        );
        assert_eq!(
            bad(Frame {
                content: "x".into(),
                cid: "c".repeat(65),
                ..msg(1)
            }),
            ErrorCode::InvalidPayload
        );
        assert_eq!(
            bad(Frame {
                content: "x".into(),
                dstid: 0,
                ..msg(1)
            }),
            ErrorCode::InvalidPayload
        );
    }
}

//! WebSocket frames (docs/api.md): the seeds' flat message plus optional extensions, one
//! JSON object per text frame. [`Frame`] is the wire shape, plain numbers and strings;
//! [`Cmd`] is the closed set its `cmd` is parsed into; [`ClientCmd`] is what a client frame
//! means, parsed once at the edge (and encoded back with [`ClientCmd::to_frame`] where the
//! browser sends it). A message's payload, [`MessageBody`], has its own module,
//! [`super::body`].

use super::action::{check_mentions, Act, Action, Quote, Reaction};
use super::body::{payload, Media, MessageBody};
use super::Conv;
use crate::error::{ApiError, ErrorCode};
use crate::ids::{Cid, GroupId, Seq, UserId};
use serde::{Deserialize, Serialize};

// The server's chat rules name `MessageBody` through this module; kept until they import it
// from `body`.

/// Largest frame accepted from a client, in bytes.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Longest client message id (`cid`).
pub const MAX_CID_CHARS: usize = Cid::MAX_CHARS;

fn is_zero_i64(v: &i64) -> bool {
    *v == 0
}

fn is_zero_u16(v: &u16) -> bool {
    *v == 0
}

fn is_zero_u32(v: &u32) -> bool {
    *v == 0
}

/// One frame, either direction. Absent fields read as zero/empty and are not sent; `cmd`
/// alone is required (a frame without it is unreadable, not a heartbeat).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frame {
    /// Command code, see [`Cmd`]; always sent.
    pub cmd: u16,
    /// Server-assigned message id.
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub id: i64,
    /// Sender (server to client); ignored when a client sends it.
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub userid: i64,
    /// Destination: peer user id (cmd 10) or group id (cmd 11).
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub dstid: i64,
    /// Media kind, see [`Media`](super::body::Media).
    #[serde(default, skip_serializing_if = "is_zero_u16")]
    pub media: u16,
    /// Text, title, emoji, contact id or custom JSON, by media kind.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub content: String,
    /// Picture URL (thumbnail, poster, avatar).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub pic: String,
    /// Resource URL.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub url: String,
    /// Summary, greeting or nickname, by media kind.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub memo: String,
    /// Seconds (voice) or cents (red packet).
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub amount: i64,
    /// The client's own message id, unique per sender; makes sending idempotent.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cid: String,
    /// Conversation key: `p:<low>:<high>` or `g:<group>`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub conv: String,
    /// Position in the conversation, gap-free from 1.
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub seq: i64,
    /// Server time of storing, ms since the epoch.
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub ts: i64,
    /// Error code (cmd 2).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub code: String,
    /// Pixel width of an image (media 4) or of a video's poster (media 8), so the bubble
    /// keeps its size while loading; 0 (not sent) when unknown or for other kinds.
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub width: u32,
    /// Pixel height, as `width`.
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub height: u32,
    /// Who and what a system notice (cmd 12) names, for wording it in the reader's language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub names: Option<super::NoticeNames>,
    /// What an action does (cmd 17), see [`Act`].
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub act: String,
    /// The seq of the message an action (cmd 17) is done to.
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub target: i64,
    /// The seq of the earlier message of the conversation this one replies to (cmd 10/11).
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub reply_to: i64,
    /// The server's preview of the message named by `reply_to`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote: Option<Quote>,
    /// Users this message @mentions (0: everyone in the group).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<i64>,
    /// A client's forward (cmd 10/11): the message to copy; its payload fields are ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forward_of: Option<Source>,
    /// True on a message forwarded from another conversation.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub forwarded: bool,
    /// When the text was last edited, ms since the epoch; 0 if never.
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub edited: i64,
    /// Who recalled the message (its sender, or a group's owner); 0 if not recalled. A
    /// recalled message carries nothing of its content.
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub recalled_by: i64,
    /// Reactions, by emoji in the order they first appeared.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<Reaction>,
    /// When the message was pinned, ms since the epoch; 0 if it is not.
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub pinned_at: i64,
    /// Who pinned it.
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub pinned_by: i64,
    /// True on a message of a history page that its reader deleted for themselves: it holds
    /// its seq and nothing else.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hidden: bool,
}

/// The message a forward copies (`forward_of` on a client's cmd 10/11).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// Its conversation key.
    pub conv: String,
    /// Its seq there.
    pub seq: i64,
}

impl Frame {
    /// Reads one text frame: `bad_frame` unless it is a JSON object with a `cmd`.
    pub fn read(text: &str) -> Result<Frame, ApiError> {
        // serde would also read a JSON array positionally into the struct; a frame is an
        // object, so anything else is unreadable.
        if !text.trim_start().starts_with('{') {
            return Err(ApiError::with_msg(
                ErrorCode::BadFrame,
                "Unreadable frame: a frame must be a JSON object.",
            ));
        }
        serde_json::from_str::<Frame>(text)
            .map_err(|e| ApiError::with_msg(ErrorCode::BadFrame, format!("Unreadable frame: {e}")))
    }

    /// A message `from` wrote in `conv`, in the shape every participant receives: cmd 10 with
    /// the peer as `dstid`, or cmd 11 with the group. The server fills in `id`, `seq` and
    /// `ts` when it stores it; a client sends it as it is (the server ignores `userid`).
    pub fn message(conv: Conv, from: UserId, cid: &str, body: &MessageBody) -> Frame {
        let (cmd, dstid) = match conv {
            Conv::Private { .. } => (Cmd::Private, conv.peer_of(from).map_or(0, |u| u.0)),
            Conv::Group(g) => (Cmd::Group, g.0),
        };
        let mut frame = Frame {
            cmd: cmd.code(),
            userid: from.0,
            dstid,
            cid: cid.to_owned(),
            conv: conv.key(),
            ..Frame::default()
        };
        body.write_to(&mut frame);
        frame
    }
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
    /// 17: an action on a message (edit, recall, reaction, pin; hide for oneself).
    Action,
    /// 18: someone I see changed their name, picture or status line (live only).
    Profile,
    /// 19: my own account changed on another device (privacy settings, sessions; live
    /// only, to my devices): settings views read it again.
    Account,
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
            Cmd::Action => 17,
            Cmd::Profile => 18,
            Cmd::Account => 19,
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
            Cmd::Action,
            Cmd::Profile,
            Cmd::Account,
        ]
        .into_iter()
        .find(|c| c.code() == code)
    }
}

/// `POST /api/conversations/{conv}/messages` body: a cmd 10/11 frame's message fields (the
/// conversation is in the path; `cmd`, `dstid` and `userid`, if sent, are ignored).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendRequest {
    /// The client's own id for the message (1-64 characters); resending it is harmless.
    pub cid: String,
    /// Media kind (absent only on a forward, whose payload is the source's).
    #[serde(default)]
    pub media: u16,
    /// Text, title, emoji, contact id or custom JSON, by kind.
    #[serde(default)]
    pub content: String,
    /// Picture URL.
    #[serde(default)]
    pub pic: String,
    /// Resource URL.
    #[serde(default)]
    pub url: String,
    /// Summary, greeting or nickname, by kind.
    #[serde(default)]
    pub memo: String,
    /// Seconds (voice) or cents (red packet).
    #[serde(default)]
    pub amount: i64,
    /// Pixel width of an image or a video's poster (media 4/8), 0 when unknown.
    #[serde(default)]
    pub width: u32,
    /// Pixel height, as `width`.
    #[serde(default)]
    pub height: u32,
    /// The seq of the message this one replies to, if any.
    #[serde(default)]
    pub reply_to: i64,
    /// Users it @mentions (0: everyone in the group).
    #[serde(default)]
    pub mentions: Vec<i64>,
    /// For a forward: the message to copy (the payload fields are then ignored).
    #[serde(default)]
    pub forward_of: Option<Source>,
}

/// Where a message or a typing indicator goes, as the client names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A user (1:1).
    User(UserId),
    /// A group.
    Group(GroupId),
}

impl Target {
    /// The conversation `me` reaches this way; `None` when `me` names themselves.
    pub fn conv(self, me: UserId) -> Option<Conv> {
        match self {
            Target::User(peer) => Conv::private(me, peer),
            Target::Group(g) => Some(Conv::group(g)),
        }
    }

    /// How `me` names the other side of `conv`: the peer of a 1:1, or the group. `None` for
    /// a 1:1 that `me` is not part of.
    pub fn in_conv(conv: Conv, me: UserId) -> Option<Target> {
        match conv {
            Conv::Private { .. } => conv.peer_of(me).map(Target::User),
            Conv::Group(g) => Some(Target::Group(g)),
        }
    }

    /// The wire `cmd` and `dstid` of a message going this way.
    fn cmd_and_dstid(self) -> (Cmd, i64) {
        match self {
            Target::User(u) => (Cmd::Private, u.0),
            Target::Group(g) => (Cmd::Group, g.0),
        }
    }
}

/// A message a client sends (cmd 10/11), checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    /// Where it goes.
    pub to: Target,
    /// The client's own id for it.
    pub cid: Cid,
    /// The payload (for a forward, what the client shows until the ack: the server stores
    /// the source's).
    pub body: MessageBody,
    /// Reply, mentions, forward.
    pub extras: Extras,
}

/// What a message may say beyond its payload.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Extras {
    /// The earlier message of the same conversation it replies to.
    pub reply_to: Option<Seq>,
    /// Who it @mentions ([`MENTION_ALL`](super::action::MENTION_ALL) for everyone).
    pub mentions: Vec<UserId>,
    /// A forward: the conversation and seq of the message it copies.
    pub forward_of: Option<(Conv, Seq)>,
}

impl Extras {
    /// Reads and checks a frame's or request's extras.
    fn read(
        reply_to: i64,
        mentions: Vec<i64>,
        forward_of: Option<&Source>,
    ) -> Result<Extras, ApiError> {
        if reply_to < 0 {
            return Err(payload("`reply_to` must be the seq of a message."));
        }
        let forward_of = match forward_of {
            None => None,
            Some(src) => match Conv::parse(&src.conv) {
                Some(conv) if src.seq > 0 => Some((conv, Seq(src.seq))),
                _ => {
                    return Err(ApiError::with_msg(
                        ErrorCode::NotFound,
                        "No such message to forward.",
                    ))
                }
            },
        };
        Ok(Extras {
            reply_to: (reply_to > 0).then_some(Seq(reply_to)),
            mentions: check_mentions(mentions)?,
            forward_of,
        })
    }

    /// Writes them into a frame.
    fn write_to(&self, frame: &mut Frame) {
        frame.reply_to = self.reply_to.map_or(0, |s| s.0);
        frame.mentions = self.mentions.iter().map(|u| u.0).collect();
        frame.forward_of = self.forward_of.map(|(conv, seq)| Source {
            conv: conv.key(),
            seq: seq.0,
        });
    }
}

/// The payload of a forward whose client sent none that reads: the server copies the
/// source's anyway, so anything valid stands in.
fn forward_placeholder() -> MessageBody {
    MessageBody {
        media: Media::Text,
        content: "\u{21aa}".into(),
        pic: String::new(),
        url: String::new(),
        memo: String::new(),
        amount: 0,
        width: 0,
        height: 0,
    }
}

/// Checks a client's message id, as a wire error.
fn check_cid(cid: &str) -> Result<Cid, ApiError> {
    Cid::new(cid)
        .map_err(|_| payload("`cid` is required: your own id for the message, 1-64 characters."))
}

impl Outgoing {
    /// Reads and checks a REST send (`POST /api/conversations/{conv}/messages`) whose
    /// conversation, from the path, is reached as `to`: the same checks as a socket frame,
    /// without going through a wire frame.
    pub fn from_request(to: Target, req: SendRequest) -> Result<Outgoing, ApiError> {
        let cid = check_cid(&req.cid)?;
        let extras = Extras::read(req.reply_to, req.mentions, req.forward_of.as_ref())?;
        let body = MessageBody::new(
            req.media,
            req.content,
            req.pic,
            req.url,
            req.memo,
            req.amount,
        )
        .and_then(|b| b.with_size(req.width, req.height));
        let body = match body {
            Err(_) if extras.forward_of.is_some() => forward_placeholder(),
            other => other?,
        };
        Ok(Outgoing {
            to,
            cid,
            body,
            extras,
        })
    }

    /// Reads and checks a cmd 10/11 frame (`cid`, `dstid`, payload); the sender is never
    /// taken from the frame.
    pub fn from_frame(frame: &Frame) -> Result<Outgoing, ApiError> {
        let cid = check_cid(&frame.cid)?;
        if frame.dstid <= 0 {
            return Err(payload("`dstid` must name the user or group to send to."));
        }
        let to = match Cmd::from_code(frame.cmd) {
            Some(Cmd::Private) => Target::User(UserId(frame.dstid)),
            Some(Cmd::Group) => Target::Group(GroupId(frame.dstid)),
            _ => return Err(ApiError::new(ErrorCode::UnknownCmd)),
        };
        let extras = Extras::read(
            frame.reply_to,
            frame.mentions.clone(),
            frame.forward_of.as_ref(),
        )?;
        let body = match MessageBody::from_frame(frame) {
            Err(_) if extras.forward_of.is_some() => forward_placeholder(),
            other => other?,
        };
        Ok(Outgoing {
            to,
            cid,
            body,
            extras,
        })
    }

    /// A plain message: no reply, mentions or forward.
    pub fn new(to: Target, cid: Cid, body: MessageBody) -> Outgoing {
        Outgoing {
            to,
            cid,
            body,
            extras: Extras::default(),
        }
    }

    /// The cmd 10/11 frame a client sends for it: `dstid`, `cid` and the payload (the
    /// server takes the sender from the connection and the conversation from `dstid`).
    pub fn to_frame(&self) -> Frame {
        let (cmd, dstid) = self.to.cmd_and_dstid();
        let mut frame = Frame {
            cmd: cmd.code(),
            dstid,
            cid: self.cid.to_string(),
            ..Frame::default()
        };
        self.body.write_to(&mut frame);
        self.extras.write_to(&mut frame);
        frame
    }
}

/// What a client frame asks for: the closed set of client commands, parsed once at the edge
/// so nothing behind it reads raw numbers or strings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientCmd {
    /// cmd 0: keep-alive, answered with `{cmd:0}`.
    Heartbeat,
    /// cmd 10/11: store and deliver a message.
    Send(Outgoing),
    /// cmd 15: I have read `conv` up to `seq`.
    Read {
        /// The conversation.
        conv: Conv,
        /// The newest seq read.
        seq: Seq,
    },
    /// cmd 16: I am typing to a user or in a conversation.
    Typing(TypingTo),
    /// cmd 17: do something to a message.
    Act(Action),
}

/// Where a typing indicator goes: `{dstid}` (a peer) or `{conv}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TypingTo {
    /// The 1:1 peer.
    User(UserId),
    /// A conversation by key.
    Conv(Conv),
}

impl ClientCmd {
    /// Parses one text frame: `bad_frame` unless it is a JSON object with a `cmd`,
    /// `unknown_cmd` for codes clients may not send, and each command's own checks.
    /// Returns the frame's `cid` beside the result, so an error can name the request.
    pub fn parse(text: &str) -> (String, Result<ClientCmd, ApiError>) {
        match Frame::read(text) {
            Ok(frame) => {
                let cmd = ClientCmd::from_frame(&frame);
                (frame.cid, cmd)
            }
            Err(e) => (String::new(), Err(e)),
        }
    }

    /// What a decoded frame asks for.
    pub fn from_frame(frame: &Frame) -> Result<ClientCmd, ApiError> {
        match Cmd::from_code(frame.cmd) {
            Some(Cmd::Heartbeat) => Ok(ClientCmd::Heartbeat),
            Some(Cmd::Private | Cmd::Group) => Outgoing::from_frame(frame).map(ClientCmd::Send),
            Some(Cmd::Read) => {
                let conv = Conv::parse(&frame.conv).ok_or_else(|| {
                    ApiError::with_msg(ErrorCode::NotFound, "No such conversation.")
                })?;
                Ok(ClientCmd::Read {
                    conv,
                    seq: Seq(frame.seq),
                })
            }
            Some(Cmd::Typing) if frame.conv.is_empty() => {
                if frame.dstid <= 0 {
                    return Err(payload("Typing needs `dstid` (the peer) or `conv`."));
                }
                Ok(ClientCmd::Typing(TypingTo::User(UserId(frame.dstid))))
            }
            Some(Cmd::Typing) => Conv::parse(&frame.conv)
                .map(|c| ClientCmd::Typing(TypingTo::Conv(c)))
                .ok_or_else(|| ApiError::with_msg(ErrorCode::NotFound, "No such conversation.")),
            Some(Cmd::Action) => {
                let conv = Conv::parse(&frame.conv).ok_or_else(|| {
                    ApiError::with_msg(ErrorCode::NotFound, "No such conversation.")
                })?;
                let act = Act::parse(&frame.act)
                    .ok_or_else(|| payload("Unknown `act`: see docs/api.md for the actions."))?;
                let cid = check_cid(&frame.cid)?;
                Action::new(conv, Seq(frame.target), act, cid, frame.content.clone())
                    .map(ClientCmd::Act)
            }
            _ => Err(ApiError::new(ErrorCode::UnknownCmd)),
        }
    }

    /// The frame a client sends for this command: the inverse of [`ClientCmd::from_frame`].
    pub fn to_frame(&self) -> Frame {
        match self {
            ClientCmd::Heartbeat => Frame::default(),
            ClientCmd::Send(out) => out.to_frame(),
            ClientCmd::Read { conv, seq } => Frame {
                cmd: Cmd::Read.code(),
                conv: conv.key(),
                seq: seq.0,
                ..Frame::default()
            },
            ClientCmd::Typing(TypingTo::User(peer)) => Frame {
                cmd: Cmd::Typing.code(),
                dstid: peer.0,
                ..Frame::default()
            },
            ClientCmd::Typing(TypingTo::Conv(conv)) => Frame {
                cmd: Cmd::Typing.code(),
                conv: conv.key(),
                ..Frame::default()
            },
            ClientCmd::Act(a) => Frame {
                cmd: Cmd::Action.code(),
                conv: a.conv.key(),
                target: a.target.0,
                act: a.act.as_str().to_owned(),
                cid: a.cid.to_string(),
                content: a.content.clone(),
                ..Frame::default()
            },
        }
    }
}

/// Validates a message a client sends (cmd 10/11): the `cid`, the destination, the media
/// kind and the fields that kind needs. Returns the kind; the browser checks with this
/// before sending.
pub fn validate_message(frame: &Frame) -> Result<Media, ApiError> {
    Outgoing::from_frame(frame).map(|o| o.body.media)
}

/// A message body on the wire: its payload fields of a [`Frame`].
impl MessageBody {
    /// The body a frame carries, checked.
    pub fn from_frame(frame: &Frame) -> Result<MessageBody, ApiError> {
        MessageBody::new(
            frame.media,
            frame.content.clone(),
            frame.pic.clone(),
            frame.url.clone(),
            frame.memo.clone(),
            frame.amount,
        )?
        .with_size(frame.width, frame.height)
    }

    /// Copies the body into a frame's payload fields.
    pub fn write_to(&self, frame: &mut Frame) {
        frame.media = self.media.code();
        frame.content.clone_from(&self.content);
        frame.pic.clone_from(&self.pic);
        frame.url.clone_from(&self.url);
        frame.memo.clone_from(&self.memo);
        frame.amount = self.amount;
        frame.width = self.width;
        frame.height = self.height;
    }
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
    fn client_frames_parse_once_at_the_edge() {
        let code = |t: &str| ClientCmd::parse(t).1.unwrap_err().code;
        assert_eq!(ClientCmd::parse(r#"{"cmd":0}"#).1, Ok(ClientCmd::Heartbeat));
        // No `cmd` is an unreadable frame, not a heartbeat.
        assert_eq!(code("{}"), ErrorCode::BadFrame);
        assert_eq!(code(r#"{"content":"hi"}"#), ErrorCode::BadFrame);
        assert_eq!(code("[0]"), ErrorCode::BadFrame);
        assert_eq!(code("nope"), ErrorCode::BadFrame);
        for server_only in [1, 2, 12, 13, 14, 99] {
            assert_eq!(
                code(&format!(r#"{{"cmd":{server_only}}}"#)),
                ErrorCode::UnknownCmd
            );
        }
        let (cid, sent) =
            ClientCmd::parse(r#"{"cmd":11,"dstid":4,"media":1,"content":"yo","cid":"k"}"#);
        assert_eq!(cid, "k");
        let Ok(ClientCmd::Send(out)) = sent else {
            panic!("{sent:?}")
        };
        assert_eq!(out.to, Target::Group(GroupId(4)));
        assert_eq!(
            (out.body.media, out.body.content.as_str()),
            (Media::Text, "yo")
        );
        assert_eq!(
            ClientCmd::parse(r#"{"cmd":15,"conv":"p:1:2","seq":7}"#).1,
            Ok(ClientCmd::Read {
                conv: Conv::private(UserId(2), UserId(1)).unwrap(),
                seq: Seq(7)
            })
        );
        assert_eq!(
            code(r#"{"cmd":15,"conv":"p:-1:2","seq":7}"#),
            ErrorCode::NotFound
        );
        assert_eq!(
            ClientCmd::parse(r#"{"cmd":16,"dstid":3}"#).1,
            Ok(ClientCmd::Typing(TypingTo::User(UserId(3))))
        );
        assert_eq!(code(r#"{"cmd":16}"#), ErrorCode::InvalidPayload);
        let mut f = Frame::default();
        MessageBody::new(
            5,
            String::new(),
            String::new(),
            String::new(),
            "hi".into(),
            88,
        )
        .unwrap()
        .write_to(&mut f);
        assert_eq!((f.media, f.amount, f.memo.as_str()), (5, 88, "hi"));
    }

    #[test]
    fn client_commands_encode_to_the_frames_they_parse_from() {
        for text in [
            r#"{"cmd":0}"#,
            r#"{"cmd":10,"dstid":2,"media":1,"content":"hi","cid":"c1"}"#,
            r#"{"cmd":11,"dstid":4,"media":4,"url":"/media/a.png","cid":"k","width":3,"height":2}"#,
            r#"{"cmd":15,"conv":"p:1:2","seq":7}"#,
            r#"{"cmd":16,"dstid":3}"#,
            r#"{"cmd":16,"conv":"g:4"}"#,
        ] {
            let Ok(cmd) = ClientCmd::parse(text).1 else {
                panic!("{text}")
            };
            assert_eq!(serde_json::to_string(&cmd.to_frame()).unwrap(), text);
            assert_eq!(ClientCmd::from_frame(&cmd.to_frame()), Ok(cmd));
        }
        let me = UserId(1);
        let p = Conv::private(me, UserId(2)).unwrap();
        assert_eq!(Target::in_conv(p, me), Some(Target::User(UserId(2))));
        assert_eq!(Target::in_conv(p, UserId(3)), None);
        let g = Conv::group(GroupId(4));
        assert_eq!(Target::in_conv(g, me), Some(Target::Group(GroupId(4))));
        assert_eq!(Target::in_conv(p, me).and_then(|t| t.conv(me)), Some(p));
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

    #[test]
    fn pictures_carry_their_size_and_nothing_else_does() {
        let image = |w: u32, h: u32| {
            Outgoing::from_frame(&Frame {
                url: "/media/abc.jpg".into(),
                width: w,
                height: h,
                ..msg(4)
            })
        };
        let body = image(640, 480).unwrap().body;
        assert_eq!((body.width, body.height), (640, 480));
        let mut f = Frame::default();
        body.write_to(&mut f);
        assert_eq!((f.width, f.height), (640, 480));
        let json = serde_json::to_value(&f).unwrap();
        assert_eq!(
            (json["width"].clone(), json["height"].clone()),
            (640.into(), 480.into())
        );
        // Unknown sizes are not sent at all.
        let json = serde_json::to_string(&Frame {
            cmd: 10,
            ..Frame::default()
        })
        .unwrap();
        assert!(
            !json.contains("width") && !json.contains("height"),
            "{json}"
        );
        assert_eq!(
            image(100_001, 5).unwrap_err().code,
            ErrorCode::InvalidPayload
        );
        // Half a size is no size.
        let body = image(640, 0).unwrap().body;
        assert_eq!((body.width, body.height), (0, 0));
        // Only images and videos are sized.
        let text = Outgoing::from_frame(&Frame {
            content: "hi".into(),
            width: 5,
            height: 5,
            ..msg(1)
        })
        .unwrap();
        assert_eq!((text.body.width, text.body.height), (0, 0));
        let video = Outgoing::from_frame(&Frame {
            url: "/media/v.webm".into(),
            pic: "/media/p.jpg".into(),
            width: 1280,
            height: 720,
            ..msg(8)
        })
        .unwrap();
        assert_eq!((video.body.width, video.body.height), (1280, 720));
    }
}

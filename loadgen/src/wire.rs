//! What goes over the sockets: Parley's frames ([`Frame`], the one frame family), the peer
//! hubs' flat message, and the stamp each generated message carries so whoever receives it
//! knows when it was *scheduled* and which message it was.

use crate::target::System;
use app::protocol::frame::{Cmd, Frame};
use serde::{Deserialize, Serialize};

/// The peer hubs' message: the seeds' flat shape, cmd 10 (1:1) or 11 (group).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PeerMsg {
    /// Sender.
    #[serde(default)]
    pub userid: i64,
    /// Peer user (cmd 10) or group (cmd 11).
    #[serde(default)]
    pub dstid: i64,
    /// 10 or 11.
    #[serde(default)]
    pub cmd: u16,
    /// Always 1 (text) here.
    #[serde(default)]
    pub media: u16,
    /// The stamp.
    #[serde(default)]
    pub content: String,
}

/// Identifies one generated message: the step it belongs to (`generation`), its index in
/// that step's record, and its scheduled send time in ns since the process's start instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// The step (a fresh record per step; frames of an older step are counted as late).
    pub generation: u32,
    /// Index into the step's per-message record.
    pub index: u64,
    /// Scheduled send time, ns since [`crate::traffic::now_ns`]'s origin.
    pub sched_ns: u64,
}

impl Stamp {
    /// The message text: `lg <generation> <index> <sched_ns>`.
    pub fn content(&self) -> String {
        format!("lg {} {} {}", self.generation, self.index, self.sched_ns)
    }

    /// Reads a stamp back from a message text; `None` for anything loadgen did not write.
    pub fn parse_content(s: &str) -> Option<Stamp> {
        let mut it = s.strip_prefix("lg ")?.split(' ');
        let stamp = Stamp {
            generation: it.next()?.parse().ok()?,
            index: it.next()?.parse().ok()?,
            sched_ns: it.next()?.parse().ok()?,
        };
        it.next().is_none().then_some(stamp)
    }

    /// Parley's client message id: unique per sender across runs (the users are reused and
    /// the server dedupes on sender + cid), and it carries the stamp back in the ack.
    pub fn cid(&self, run: u64) -> String {
        format!(
            "{run:x}-{}-{}-{}",
            self.generation, self.index, self.sched_ns
        )
    }

    /// Reads a stamp back from a cid written by [`Stamp::cid`] for this `run`.
    pub fn parse_cid(cid: &str, run: u64) -> Option<Stamp> {
        let mut it = cid.split('-');
        if u64::from_str_radix(it.next()?, 16).ok()? != run {
            return None;
        }
        let stamp = Stamp {
            generation: it.next()?.parse().ok()?,
            index: it.next()?.parse().ok()?,
            sched_ns: it.next()?.parse().ok()?,
        };
        it.next().is_none().then_some(stamp)
    }
}

/// A frame read from a socket, reduced to what the measurements need.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming {
    /// Parley stored a message (cmd 1) with this cid.
    Ack(String),
    /// A message (cmd 10/11) from `from` with this content.
    Message {
        /// Sender's user id.
        from: i64,
        /// Its text.
        content: String,
    },
    /// Parley refused something (cmd 2) with this code.
    Refused(String),
    /// Anything else (heartbeat, notice, presence, read mark...).
    Other,
    /// Not JSON of the expected shape.
    Unreadable,
}

/// Decodes one text frame.
pub fn decode(system: System, text: &str) -> Incoming {
    match system {
        System::Parley => match serde_json::from_str::<Frame>(text) {
            Ok(f) if f.cmd == Cmd::Ack.code() => Incoming::Ack(f.cid),
            Ok(f) if f.cmd == Cmd::Private.code() || f.cmd == Cmd::Group.code() => {
                Incoming::Message {
                    from: f.userid,
                    content: f.content,
                }
            }
            Ok(f) if f.cmd == Cmd::Error.code() => Incoming::Refused(f.code),
            Ok(_) => Incoming::Other,
            Err(_) => Incoming::Unreadable,
        },
        System::Peer => match serde_json::from_str::<PeerMsg>(text) {
            Ok(m) if m.cmd == 10 || m.cmd == 11 => Incoming::Message {
                from: m.userid,
                content: m.content,
            },
            Ok(_) => Incoming::Other,
            Err(_) => Incoming::Unreadable,
        },
    }
}

/// Encodes a text message from `from` to `dst` (a user for cmd 10, a group for cmd 11).
pub fn encode(system: System, run: u64, from: i64, cmd: u16, dst: i64, stamp: Stamp) -> String {
    let content = stamp.content();
    // Serialising these plain structs cannot fail; an empty string would only be refused.
    match system {
        System::Parley => serde_json::to_string(&Frame {
            cmd,
            dstid: dst,
            media: 1,
            cid: stamp.cid(run),
            content,
            ..Frame::default()
        }),
        System::Peer => serde_json::to_string(&PeerMsg {
            userid: from,
            dstid: dst,
            cmd,
            media: 1,
            content,
        }),
    }
    .unwrap_or_default()
}

/// Parley's heartbeat frame.
pub fn heartbeat() -> String {
    serde_json::to_string(&Frame {
        cmd: Cmd::Heartbeat.code(),
        ..Frame::default()
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_round_trip_through_content_and_cid() {
        let s = Stamp {
            generation: 3,
            index: 42,
            sched_ns: 1_234_567,
        };
        assert_eq!(Stamp::parse_content(&s.content()), Some(s));
        assert_eq!(Stamp::parse_cid(&s.cid(0xabc), 0xabc), Some(s));
        assert_eq!(Stamp::parse_cid(&s.cid(0xabc), 0xabd), None);
        assert_eq!(Stamp::parse_content("hello"), None);
    }

    #[test]
    fn decodes_parley_and_peer_frames() {
        let s = Stamp {
            generation: 1,
            index: 2,
            sched_ns: 3,
        };
        let sent = encode(System::Parley, 7, 5, 10, 6, s);
        assert_eq!(
            decode(System::Parley, &sent),
            Incoming::Message {
                from: 0,
                content: s.content()
            }
        );
        assert_eq!(
            decode(System::Parley, r#"{"cmd":1,"cid":"x"}"#),
            Incoming::Ack("x".into())
        );
        let peer = encode(System::Peer, 7, 5, 11, 9, s);
        assert_eq!(
            decode(System::Peer, &peer),
            Incoming::Message {
                from: 5,
                content: s.content()
            }
        );
        assert_eq!(decode(System::Peer, "nope"), Incoming::Unreadable);
    }
}

//! The frames the chat rules send: a stored message as every participant receives it (and
//! as a page shows it to one reader), an action's event, and the sender's ack. One place
//! builds each, so a live frame and the same seq read back from history agree.

use crate::store::actions::{Entry, MessageView, StoredEvent};
use crate::store::messages::StoredMessage;
use app::protocol::action::{Act, Quote};
use app::protocol::frame::{Cmd, Frame};

/// The frame every participant receives for a stored message, in its current state (without
/// reactions and quote, which [`view_frame`] adds).
pub fn message_frame(m: &StoredMessage) -> Frame {
    let mut frame = Frame {
        id: m.id.0,
        seq: m.seq.0,
        ts: m.ts,
        reply_to: m.extras.reply_to.map_or(0, |s| s.0),
        mentions: m.extras.mentions.iter().map(|u| u.0).collect(),
        forwarded: m.extras.forwarded,
        edited: m.state.edited_at.unwrap_or(0),
        recalled_by: m.state.recalled_by.map_or(0, |u| u.0),
        ..Frame::message(m.conv, m.sender, m.cid.as_str(), &m.body)
    };
    if let Some((at, by)) = m.state.pinned {
        frame.pinned_at = at;
        frame.pinned_by = by.0;
    }
    frame
}

/// A new message as delivered live, with the preview of the message it replies to.
pub fn live_frame(m: &StoredMessage, quote: Option<&Quote>) -> Frame {
    Frame {
        quote: quote.cloned(),
        ..message_frame(m)
    }
}

/// A message as a page shows it to its reader: current state, reactions, quote; a message
/// the reader hid keeps only its place (seq, id, time, sender).
pub fn view_frame(v: &MessageView) -> Frame {
    if v.hidden {
        let full = message_frame(&v.message);
        return Frame {
            cmd: full.cmd,
            id: full.id,
            userid: full.userid,
            dstid: full.dstid,
            conv: full.conv,
            seq: full.seq,
            ts: full.ts,
            hidden: true,
            ..Frame::default()
        };
    }
    Frame {
        reactions: v.reactions.clone(),
        quote: v.quote.clone(),
        ..message_frame(&v.message)
    }
}

/// An action as every participant receives it (cmd 17).
pub fn event_frame(e: &StoredEvent) -> Frame {
    let mut frame = Frame {
        cmd: Cmd::Action.code(),
        id: e.id.0,
        userid: e.actor.0,
        conv: e.conv.key(),
        seq: e.seq.0,
        ts: e.ts,
        cid: e.cid.to_string(),
        act: e.act.as_str().to_owned(),
        target: e.target.0,
        content: e.content.clone(),
        ..Frame::default()
    };
    match e.act {
        Act::Edit => frame.edited = e.ts,
        Act::Recall => frame.recalled_by = e.actor.0,
        Act::Pin => {
            frame.pinned_at = e.ts;
            frame.pinned_by = e.actor.0;
        }
        Act::React | Act::Unreact | Act::Unpin | Act::Hide => {}
    }
    frame
}

/// One entry of a page as its frame.
pub fn entry_frame(e: &Entry) -> Frame {
    match e {
        Entry::Message(v) => view_frame(v),
        Entry::Event(ev) => event_frame(ev),
    }
}

/// The sender's ack for a stored message: its id, seq and time, under the sender's cid.
pub fn ack(m: &StoredMessage) -> Frame {
    Frame {
        cmd: Cmd::Ack.code(),
        id: m.id.0,
        cid: m.cid.to_string(),
        conv: m.conv.key(),
        seq: m.seq.0,
        ts: m.ts,
        ..Frame::default()
    }
}

/// The actor's ack for a stored action: as a message's, plus what it was done to.
pub fn event_ack(e: &StoredEvent) -> Frame {
    Frame {
        cmd: Cmd::Ack.code(),
        id: e.id.0,
        cid: e.cid.to_string(),
        conv: e.conv.key(),
        seq: e.seq.0,
        ts: e.ts,
        act: e.act.as_str().to_owned(),
        target: e.target.0,
        ..Frame::default()
    }
}

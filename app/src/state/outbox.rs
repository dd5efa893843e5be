//! My messages that the server has not acked yet, in the order I wrote them: what to send
//! when the socket is (back) up. It is plain serde data so the UI can keep it in
//! localStorage and send what was written offline after a reload.
//!
//! Resending is safe because the server stores a cid once and answers a resend with the
//! same ack; so whenever in doubt (a reconnect, a reload) a message goes back to unsent.

use crate::protocol::frame::{Cmd, Frame};
use serde::{Deserialize, Serialize};

/// Where a queued message stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SendState {
    /// Waiting to be sent.
    Unsent,
    /// Written to the socket; waiting for the ack.
    InFlight,
    /// Refused; kept to show and retry, never resent on its own.
    Failed,
}

/// One queued message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queued {
    /// The cmd 10/11 frame as it goes on the wire (with its cid).
    pub frame: Frame,
    /// Where it stands.
    pub state: SendState,
}

/// The queue of my unacked messages, oldest first; a cid is queued at most once.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outbox {
    entries: Vec<Queued>,
    /// Frames that need no delivery guarantee (read marks, typing): sent once if connected,
    /// never stored (a stale read mark or typing hint after a reload is worthless).
    #[serde(skip)]
    transient: Vec<Frame>,
}

impl Outbox {
    /// An empty outbox.
    pub fn new() -> Outbox {
        Outbox::default()
    }

    /// Queues a message frame (cmd 10/11 with a cid) after everything queued. Returns false,
    /// queueing nothing, for another kind of frame, a missing cid or a cid already queued.
    pub fn push(&mut self, frame: Frame) -> bool {
        self.push_as(frame, SendState::Unsent)
    }

    /// Queues a frame that needs no delivery guarantee; it goes out after the messages
    /// waiting (it is not saved with them).
    pub fn push_transient(&mut self, frame: Frame) {
        self.transient.push(frame);
    }

    /// The next frame to write: the oldest unsent message (now marked in flight), else the
    /// oldest transient frame.
    pub fn take_next(&mut self) -> Option<Frame> {
        if let Some(q) = self
            .entries
            .iter_mut()
            .find(|q| q.state == SendState::Unsent)
        {
            q.state = SendState::InFlight;
            return Some(q.frame.clone());
        }
        (!self.transient.is_empty()).then(|| self.transient.remove(0))
    }

    /// The oldest message waiting to be sent. Messages in flight do not hold it back: the
    /// server handles one socket's frames in order, so sending in queue order keeps it.
    pub fn next_unsent(&self) -> Option<&Frame> {
        self.entries
            .iter()
            .find(|q| q.state == SendState::Unsent)
            .map(|q| &q.frame)
    }

    /// Records that an unsent message was written to the socket. Returns false unless it
    /// was unsent.
    pub fn mark_sent(&mut self, cid: &str) -> bool {
        self.change(cid, SendState::Unsent, SendState::InFlight)
    }

    /// The server stored it (its ack, or my own message delivered): forget it. Returns false
    /// for a cid not queued, which is harmless.
    pub fn ack(&mut self, cid: &str) -> bool {
        let before = self.entries.len();
        self.entries.retain(|q| q.frame.cid != cid);
        self.entries.len() != before
    }

    /// The server refused it: keep it, but do not resend it until [`Outbox::retry`]. Returns
    /// false for a cid not queued.
    pub fn fail(&mut self, cid: &str) -> bool {
        match self.entries.iter_mut().find(|q| q.frame.cid == cid) {
            Some(q) => {
                q.state = SendState::Failed;
                true
            }
            None => false,
        }
    }

    /// Sends a failed message again, with the same cid and from its original place in the
    /// queue. Returns false unless it was failed.
    pub fn retry(&mut self, cid: &str) -> bool {
        self.change(cid, SendState::Failed, SendState::Unsent)
    }

    /// The socket was replaced: whatever was in flight may not have arrived, so it is unsent
    /// again, in its original order (failed messages stay failed).
    pub fn on_reconnect(&mut self) {
        for q in &mut self.entries {
            if q.state == SendState::InFlight {
                q.state = SendState::Unsent;
            }
        }
    }

    /// Every queued message, oldest first (to show them again after a reload).
    pub fn iter(&self) -> impl Iterator<Item = &Queued> + '_ {
        self.entries.iter()
    }

    /// How many messages are queued, whatever their state.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The outbox as JSON, for localStorage.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }

    /// An outbox saved by [`Outbox::to_json`]. Nothing is in flight after a reload (the page
    /// that sent it is gone), so in-flight messages come back unsent; entries that break the
    /// outbox's rules (edited storage, an older version) are dropped rather than trusted.
    pub fn from_json(json: &str) -> Result<Outbox, serde_json::Error> {
        let saved: Outbox = serde_json::from_str(json)?;
        let mut outbox = Outbox::new();
        for q in saved.entries {
            let state = match q.state {
                SendState::InFlight => SendState::Unsent,
                other => other,
            };
            outbox.push_as(q.frame, state);
        }
        Ok(outbox)
    }

    fn push_as(&mut self, frame: Frame, state: SendState) -> bool {
        let is_message = matches!(Cmd::from_code(frame.cmd), Some(Cmd::Private | Cmd::Group));
        if !is_message
            || frame.cid.is_empty()
            || self.entries.iter().any(|q| q.frame.cid == frame.cid)
        {
            return false;
        }
        self.entries.push(Queued { frame, state });
        true
    }

    fn change(&mut self, cid: &str, from: SendState, to: SendState) -> bool {
        match self
            .entries
            .iter_mut()
            .find(|q| q.frame.cid == cid && q.state == from)
        {
            Some(q) => {
                q.state = to;
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn take_next_sends_messages_in_order_then_transient_frames() {
        let msg = |cid: &str| Frame {
            cmd: 10,
            dstid: 2,
            media: 1,
            cid: cid.into(),
            content: "x".into(),
            ..Frame::default()
        };
        let mut o = Outbox::default();
        o.push_transient(Frame {
            cmd: 15,
            ..Frame::default()
        });
        assert!(o.push(msg("a")) && o.push(msg("b")));
        assert_eq!(o.take_next().map(|f| f.cid), Some("a".into()));
        assert_eq!(o.take_next().map(|f| f.cid), Some("b".into()));
        assert_eq!(o.take_next().map(|f| f.cmd), Some(15));
        assert_eq!(o.take_next(), None);
        // Unacked messages go out again after a reconnect, in order; transient ones are
        // not saved.
        o.on_reconnect();
        assert_eq!(o.take_next().map(|f| f.cid), Some("a".into()));
        let restored = Outbox::from_json(&o.to_json().unwrap()).unwrap();
        assert_eq!(restored.iter().count(), 2);
    }

    use super::*;

    fn out(cid: &str) -> Frame {
        Frame {
            cmd: 10,
            dstid: 2,
            media: 1,
            content: format!("text of {cid}"),
            cid: cid.into(),
            ..Frame::default()
        }
    }

    /// Sends everything unsent, in order, as the socket code does; returns the cids sent.
    fn flush(o: &mut Outbox) -> Vec<String> {
        let mut sent = Vec::new();
        while let Some(cid) = o.next_unsent().map(|f| f.cid.clone()) {
            assert!(o.mark_sent(&cid));
            sent.push(cid);
        }
        sent
    }

    fn states(o: &Outbox) -> Vec<(String, SendState)> {
        o.iter().map(|q| (q.frame.cid.clone(), q.state)).collect()
    }

    #[test]
    fn sends_in_order_and_forgets_acked_messages() {
        let mut o = Outbox::new();
        assert!(o.is_empty());
        for cid in ["a", "b", "c"] {
            assert!(o.push(out(cid)));
        }
        assert!(!o.push(out("b")), "a cid is queued once");
        assert!(!o.push(out("")), "a message needs a cid");
        assert!(!o.push(Frame {
            cmd: 15,
            ..out("d")
        }));
        assert!(o.push(Frame {
            cmd: 11,
            ..out("g")
        }));
        assert_eq!(flush(&mut o), ["a", "b", "c", "g"]);
        assert_eq!(o.next_unsent(), None);
        assert!(!o.mark_sent("a"), "already in flight");
        assert!(o.ack("b"));
        assert!(!o.ack("b"), "a second ack is harmless");
        assert!(!o.ack("unknown"));
        assert_eq!(o.len(), 3);
        // Written while those are in flight: sent at once, after them.
        o.push(out("e"));
        assert_eq!(flush(&mut o), ["e"]);
    }

    #[test]
    fn reconnect_resends_in_flight_messages_in_their_order() {
        let mut o = Outbox::new();
        for cid in ["a", "b", "c", "d"] {
            o.push(out(cid));
        }
        flush(&mut o);
        o.ack("b");
        assert!(o.fail("c"));
        o.push(out("e"));
        o.on_reconnect();
        // The failed one waits for the person; the rest go again in the original order.
        assert_eq!(flush(&mut o), ["a", "d", "e"]);
        assert!(o.retry("c"));
        assert!(!o.retry("c"), "no longer failed");
        assert!(!o.retry("a"), "never failed");
        assert_eq!(flush(&mut o), ["c"]);
        assert_eq!(
            o.iter().map(|q| q.frame.cid.as_str()).collect::<Vec<_>>(),
            ["a", "c", "d", "e"]
        );
    }

    #[test]
    fn survives_a_reload_as_json() {
        let mut o = Outbox::new();
        for cid in ["a", "b", "c"] {
            o.push(out(cid));
        }
        o.mark_sent("a");
        o.fail("b");
        let json = o.to_json().unwrap();
        let back = Outbox::from_json(&json).unwrap();
        assert_eq!(
            states(&back),
            [
                ("a".into(), SendState::Unsent),
                ("b".into(), SendState::Failed),
                ("c".into(), SendState::Unsent),
            ]
        );
        assert_eq!(back.iter().next().unwrap().frame, out("a"));
        assert!(json.contains(r#""state":"in_flight""#), "{json}");

        // Stored data that breaks the rules is dropped, not trusted.
        let edited = r#"{"entries":[
            {"frame":{"cmd":10,"dstid":2,"media":1,"content":"x","cid":"a"},"state":"unsent"},
            {"frame":{"cmd":10,"dstid":2,"media":1,"content":"y","cid":"a"},"state":"unsent"},
            {"frame":{"cmd":0},"state":"unsent"}
        ]}"#;
        let back = Outbox::from_json(edited).unwrap();
        assert_eq!(states(&back), [("a".into(), SendState::Unsent)]);
        assert_eq!(back.iter().next().unwrap().frame.content, "x");
        assert!(Outbox::from_json("not json").is_err());
        assert!(Outbox::from_json(&Outbox::new().to_json().unwrap())
            .unwrap()
            .is_empty());
    }
}

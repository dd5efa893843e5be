//! My messages that the server has not acked yet, in the order I wrote them: what to send
//! when the socket is (back) up. Entries are typed ([`Outgoing`], [`ClientCmd`]); the wire
//! frame is made only when one is written to the socket. The queue is kept in localStorage
//! as JSON so what was written offline goes out after a reload.
//!
//! Resending is safe because the server stores a cid once and answers a resend with the
//! same ack; so whenever in doubt (a reconnect, a reload) a message goes back to unsent.

use crate::ids::Cid;
use crate::protocol::action::Action;
use crate::protocol::frame::{ClientCmd, Frame, Outgoing};
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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Queued {
    /// The message, checked, with its cid.
    pub out: Outgoing,
    /// Where it stands.
    pub state: SendState,
}

/// The queue of my unacked messages, oldest first; a cid is queued at most once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outbox {
    entries: Vec<Queued>,
    /// My actions on messages (edits, reactions...) not acked yet, oldest first: sent after
    /// the messages waiting, resent after a reconnect like them (the server stores a cid
    /// once), dropped when refused (the view then reloads what is true).
    actions: Vec<(Action, SendState)>,
    /// Commands that need no delivery guarantee (read marks, typing): sent once if
    /// connected, never stored (a stale read mark or typing hint after a reload is
    /// worthless).
    transient: Vec<ClientCmd>,
}

/// The saved form of an outbox: each message as the frame it goes out as, which is also how
/// earlier versions saved it, so an outbox saved before an update still loads.
#[derive(Serialize, Deserialize)]
struct Saved {
    entries: Vec<SavedEntry>,
}

#[derive(Serialize, Deserialize)]
struct SavedEntry {
    frame: Frame,
    state: SendState,
}

impl Outbox {
    /// An empty outbox.
    pub fn new() -> Outbox {
        Outbox::default()
    }

    /// Queues a message after everything queued. Returns false, queueing nothing, for a cid
    /// already queued.
    pub fn push(&mut self, out: Outgoing) -> bool {
        self.push_as(out, SendState::Unsent)
    }

    /// Queues an action after everything queued. Returns false for a cid already queued.
    pub fn push_action(&mut self, action: Action) -> bool {
        if self.has_cid(&action.cid) {
            return false;
        }
        self.actions.push((action, SendState::Unsent));
        true
    }

    fn has_cid(&self, cid: &Cid) -> bool {
        self.entries.iter().any(|q| q.out.cid == *cid)
            || self.actions.iter().any(|(a, _)| a.cid == *cid)
    }

    /// Queues a command that needs no delivery guarantee; it goes out after the messages
    /// waiting (it is not saved with them).
    pub fn push_transient(&mut self, cmd: ClientCmd) {
        self.transient.push(cmd);
    }

    /// The next command to write: the oldest unsent message (now marked in flight), else the
    /// oldest transient command.
    pub fn take_next(&mut self) -> Option<ClientCmd> {
        if let Some(q) = self
            .entries
            .iter_mut()
            .find(|q| q.state == SendState::Unsent)
        {
            q.state = SendState::InFlight;
            return Some(ClientCmd::Send(q.out.clone()));
        }
        if let Some((a, state)) = self
            .actions
            .iter_mut()
            .find(|(_, s)| *s == SendState::Unsent)
        {
            *state = SendState::InFlight;
            return Some(ClientCmd::Act(a.clone()));
        }
        (!self.transient.is_empty()).then(|| self.transient.remove(0))
    }

    /// The oldest message waiting to be sent. Messages in flight do not hold it back: the
    /// server handles one socket's frames in order, so sending in queue order keeps it.
    pub fn next_unsent(&self) -> Option<&Outgoing> {
        self.entries
            .iter()
            .find(|q| q.state == SendState::Unsent)
            .map(|q| &q.out)
    }

    /// Records that an unsent message was written to the socket. Returns false unless it
    /// was unsent.
    pub fn mark_sent(&mut self, cid: &Cid) -> bool {
        self.change(cid, SendState::Unsent, SendState::InFlight)
    }

    /// The server stored it (its ack, or my own message delivered): forget it. Returns false
    /// for a cid not queued, which is harmless.
    pub fn ack(&mut self, cid: &Cid) -> bool {
        let before = self.entries.len() + self.actions.len();
        self.entries.retain(|q| q.out.cid != *cid);
        self.actions.retain(|(a, _)| a.cid != *cid);
        self.entries.len() + self.actions.len() != before
    }

    /// The server refused it: keep it, but do not resend it until [`Outbox::retry`]. Returns
    /// false for a cid not queued.
    pub fn fail(&mut self, cid: &Cid) -> bool {
        // A refused action is not kept: there is nothing to retry from a menu.
        let actions = self.actions.len();
        self.actions.retain(|(a, _)| a.cid != *cid);
        if self.actions.len() != actions {
            return true;
        }
        match self.entries.iter_mut().find(|q| q.out.cid == *cid) {
            Some(q) => {
                q.state = SendState::Failed;
                true
            }
            None => false,
        }
    }

    /// Sends a failed message again, with the same cid and from its original place in the
    /// queue. Returns false unless it was failed.
    pub fn retry(&mut self, cid: &Cid) -> bool {
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
        for (_, state) in &mut self.actions {
            if *state == SendState::InFlight {
                *state = SendState::Unsent;
            }
        }
    }

    /// My actions not acked yet, oldest first (shown again after a reload).
    pub fn actions(&self) -> impl Iterator<Item = &Action> + '_ {
        self.actions.iter().map(|(a, _)| a)
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
        self.entries.is_empty() && self.actions.is_empty()
    }

    /// The outbox as JSON, for localStorage: the messages only (a stale read mark or typing
    /// hint is worthless after a reload).
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        let saved = Saved {
            entries: self
                .entries
                .iter()
                .map(|q| SavedEntry {
                    frame: q.out.to_frame(),
                    state: q.state,
                })
                .chain(self.actions.iter().map(|(a, state)| SavedEntry {
                    frame: ClientCmd::Act(a.clone()).to_frame(),
                    state: *state,
                }))
                .collect(),
        };
        serde_json::to_string(&saved)
    }

    /// An outbox saved by [`Outbox::to_json`]. Nothing is in flight after a reload (the page
    /// that sent it is gone), so in-flight messages come back unsent; entries that break the
    /// outbox's rules (edited storage, an older version) are dropped rather than trusted:
    /// each one is read back through the same checks as a frame from the network.
    pub fn from_json(json: &str) -> Result<Outbox, serde_json::Error> {
        let saved: Saved = serde_json::from_str(json)?;
        let mut outbox = Outbox::new();
        for entry in saved.entries {
            let state = match entry.state {
                SendState::InFlight => SendState::Unsent,
                other => other,
            };
            match ClientCmd::from_frame(&entry.frame) {
                Ok(ClientCmd::Send(out)) => {
                    outbox.push_as(out, state);
                }
                Ok(ClientCmd::Act(a)) => {
                    outbox.push_action(a);
                }
                _ => {}
            }
        }
        Ok(outbox)
    }

    fn push_as(&mut self, out: Outgoing, state: SendState) -> bool {
        if self.has_cid(&out.cid) {
            return false;
        }
        self.entries.push(Queued { out, state });
        true
    }

    fn change(&mut self, cid: &Cid, from: SendState, to: SendState) -> bool {
        match self
            .entries
            .iter_mut()
            .find(|q| q.out.cid == *cid && q.state == from)
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
        let mut o = Outbox::default();
        o.push_transient(ClientCmd::Read {
            conv: Conv::group(GroupId(4)),
            seq: Seq(3),
        });
        assert!(o.push(out("a")) && o.push(out("b")));
        let mut next = || o.take_next().map(|c| c.to_frame());
        assert_eq!(next().map(|f| f.cid), Some("a".into()));
        assert_eq!(next().map(|f| f.cid), Some("b".into()));
        assert_eq!(next().map(|f| f.cmd), Some(15));
        assert_eq!(next(), None);
        // Unacked messages go out again after a reconnect, in order; transient ones are
        // not saved.
        o.on_reconnect();
        assert_eq!(o.take_next().map(|c| c.to_frame().cid), Some("a".into()));
        let restored = Outbox::from_json(&o.to_json().unwrap()).unwrap();
        assert_eq!(restored.iter().count(), 2);
    }

    use super::*;
    use crate::ids::{GroupId, Seq, UserId};
    use crate::protocol::body::MessageBody;
    use crate::protocol::frame::Target;
    use crate::protocol::Conv;

    fn cid(s: &str) -> Cid {
        Cid::new(s).unwrap()
    }

    fn out(c: &str) -> Outgoing {
        Outgoing::new(
            Target::User(UserId(2)),
            cid(c),
            MessageBody::new(
                1,
                format!("text of {c}"),
                String::new(),
                String::new(),
                String::new(),
                0,
            )
            .unwrap(),
        )
    }

    /// Sends everything unsent, in order, as the socket code does; returns the cids sent.
    fn flush(o: &mut Outbox) -> Vec<String> {
        let mut sent = Vec::new();
        while let Some(cid) = o.next_unsent().map(|out| out.cid.clone()) {
            assert!(o.mark_sent(&cid));
            sent.push(cid.to_string());
        }
        sent
    }

    fn states(o: &Outbox) -> Vec<(String, SendState)> {
        o.iter().map(|q| (q.out.cid.to_string(), q.state)).collect()
    }

    #[test]
    fn sends_in_order_and_forgets_acked_messages() {
        let mut o = Outbox::new();
        assert!(o.is_empty());
        for cid in ["a", "b", "c"] {
            assert!(o.push(out(cid)));
        }
        assert!(!o.push(out("b")), "a cid is queued once");
        // A message needs a cid, and only messages are queued: both are the types' rules now.
        assert!(Cid::new("").is_err(), "a message needs a cid");
        assert!(o.push(Outgoing {
            to: Target::Group(GroupId(5)),
            ..out("g")
        }));
        assert_eq!(flush(&mut o), ["a", "b", "c", "g"]);
        assert_eq!(o.next_unsent(), None);
        assert!(!o.mark_sent(&cid("a")), "already in flight");
        assert!(o.ack(&cid("b")));
        assert!(!o.ack(&cid("b")), "a second ack is harmless");
        assert!(!o.ack(&cid("unknown")));
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
        o.ack(&cid("b"));
        assert!(o.fail(&cid("c")));
        o.push(out("e"));
        o.on_reconnect();
        // The failed one waits for the person; the rest go again in the original order.
        assert_eq!(flush(&mut o), ["a", "d", "e"]);
        assert!(o.retry(&cid("c")));
        assert!(!o.retry(&cid("c")), "no longer failed");
        assert!(!o.retry(&cid("a")), "never failed");
        assert_eq!(flush(&mut o), ["c"]);
        assert_eq!(
            o.iter().map(|q| q.out.cid.as_str()).collect::<Vec<_>>(),
            ["a", "c", "d", "e"]
        );
    }

    #[test]
    fn survives_a_reload_as_json() {
        let mut o = Outbox::new();
        for cid in ["a", "b", "c"] {
            o.push(out(cid));
        }
        o.mark_sent(&cid("a"));
        o.fail(&cid("b"));
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
        assert_eq!(back.iter().next().unwrap().out, out("a"));
        assert!(json.contains(r#""state":"in_flight""#), "{json}");
        // Saved as the wire frames, as earlier versions saved them.
        assert!(
            json.starts_with(
                r#"{"entries":[{"frame":{"cmd":10,"dstid":2,"media":1,"content":"text of a","cid":"a"}"#
            ),
            "{json}"
        );

        // Stored data that breaks the rules is dropped, not trusted.
        let edited = r#"{"entries":[
            {"frame":{"cmd":10,"dstid":2,"media":1,"content":"x","cid":"a"},"state":"unsent"},
            {"frame":{"cmd":10,"dstid":2,"media":1,"content":"y","cid":"a"},"state":"unsent"},
            {"frame":{"cmd":0},"state":"unsent"}
        ]}"#;
        let back = Outbox::from_json(edited).unwrap();
        assert_eq!(states(&back), [("a".into(), SendState::Unsent)]);
        assert_eq!(back.iter().next().unwrap().out.body.content, "x");
        assert!(Outbox::from_json("not json").is_err());
        assert!(Outbox::from_json(&Outbox::new().to_json().unwrap())
            .unwrap()
            .is_empty());
    }

    #[test]
    fn actions_go_after_messages_survive_a_reload_and_are_dropped_when_refused() {
        use crate::protocol::action::{Act, Action};
        let mut o = Outbox::new();
        let conv = Conv::group(GroupId(5));
        let react = Action::new(conv, Seq(3), Act::React, cid("k"), "👍".into()).unwrap();
        assert!(o.push_action(react.clone()));
        assert!(!o.push_action(react.clone()), "a cid is queued once");
        assert!(!o.push(out("k")), "a message cannot take an action's cid");
        assert!(o.push(out("m")));
        let mut next = || o.take_next().map(|c| c.to_frame());
        assert_eq!(next().map(|f| (f.cmd, f.cid)), Some((10, "m".into())));
        assert_eq!(next().map(|f| (f.cmd, f.cid)), Some((17, "k".into())));
        o.on_reconnect();
        let restored = Outbox::from_json(&o.to_json().unwrap()).unwrap();
        assert_eq!(restored.actions().cloned().collect::<Vec<_>>(), vec![react]);
        assert!(o.fail(&cid("k")));
        assert_eq!(o.actions().count(), 0);
        assert!(o.ack(&cid("m")));
        assert!(o.is_empty());
    }
}

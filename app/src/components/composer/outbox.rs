//! The one way a message composed in a conversation leaves, whatever made it (the text box,
//! a tool, a finished upload): a pending bubble in the timeline, then the socket's outbox,
//! which survives reloads and resends until the server acks it.

use crate::error::ApiError;
use crate::ids::{Cid, UserId};
use crate::locale::now_ms;
use crate::protocol::body::MessageBody;
use crate::protocol::frame::{Extras, Outgoing, Target};
use crate::protocol::Conv;
use crate::state::timeline::{Decor, Timeline};
use crate::ws::{use_socket, Socket};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The send path of one open conversation. `Copy`: arena handles.
#[derive(Clone, Copy)]
pub struct Outbox {
    conv: Conv,
    me: UserId,
    timeline: RwSignal<Timeline>,
    /// `None` on the server and before the page's script runs: the plain form posts instead.
    socket: Option<Socket>,
    /// The composer's error line: a refused message shows here, and the next message that
    /// leaves clears it. It starts with the no-JS path's refusal (`?error=`), if any.
    pub error: RwSignal<Option<ApiError>>,
}

impl Outbox {
    /// The send path of `conv` for `me`, adding pending messages to `timeline`.
    pub fn new(conv: Conv, me: UserId, timeline: RwSignal<Timeline>) -> Outbox {
        let query = use_query_map();
        let error = RwSignal::new(query.with_untracked(|q| {
            q.get_str("error")
                .map(|code| ApiError::from_query(code, None))
        }));
        Outbox {
            conv,
            me,
            timeline,
            socket: use_socket(),
            error,
        }
    }

    /// True once the page's script can send (otherwise the form posts to `/send`).
    pub fn is_live(self) -> bool {
        self.socket.is_some()
    }

    /// Sends `body` as mine under client id `cid`: shown pending at once, queued for the
    /// socket.
    pub fn send(self, cid: Cid, body: MessageBody) {
        let Some(socket) = self.socket else { return };
        let Some(to) = Target::in_conv(self.conv, self.me) else {
            return;
        };
        let out = Outgoing::new(to, cid.clone(), body.clone());
        self.timeline.update(|t| {
            t.add_pending(cid, body, now_ms());
        });
        socket.send_message(out);
        self.error.set(None);
    }

    /// Sends `body` with extras (a reply, mentions, a forward): as [`Outbox::send`], and the
    /// pending bubble shows them at once.
    pub fn send_with(self, cid: Cid, body: MessageBody, extras: Extras, decor: Decor) {
        let Some(socket) = self.socket else { return };
        let Some(to) = Target::in_conv(self.conv, self.me) else {
            return;
        };
        let out = Outgoing {
            to,
            cid: cid.clone(),
            body: body.clone(),
            extras,
        };
        self.timeline.update(|t| {
            t.add_pending(cid.clone(), body, now_ms());
            t.decorate_pending(&cid, decor);
        });
        socket.send_message(out);
        self.error.set(None);
    }

    /// Tries a failed message again: pending once more, and back in the socket's queue.
    pub fn retry(self, cid: String) {
        // The row's cid is that of one of my pending messages, so it is a valid one.
        let Ok(cid) = Cid::new(cid) else { return };
        self.timeline.update(|t| {
            t.retry(&cid);
        });
        if let Some(socket) = self.socket {
            socket.retry(&cid);
        }
    }
}

/// A fresh client id for a message typed in this tab.
#[cfg(feature = "hydrate")]
pub fn new_cid() -> Cid {
    let a = js_sys::Math::random().to_bits();
    let b = js_sys::Math::random().to_bits();
    Cid::random('b', (u128::from(a) << 64) | u128::from(b))
}

/// The server renders the form with its own fresh cid; this is only called from event
/// handlers, which run in the browser.
#[cfg(not(feature = "hydrate"))]
pub fn new_cid() -> Cid {
    Cid::random('b', 0)
}

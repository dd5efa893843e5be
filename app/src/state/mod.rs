//! The browser's chat state, as plain synchronous data: no signals, no socket, no clock (times
//! are passed in), so the same code runs in the server build, the browser build and native unit
//! tests. The UI wraps these in signals; the socket code feeds them frames.
//!
//! - [`timeline`]: one conversation's messages: history pages, live frames and my pending
//!   sends merged by `seq` and `cid`, with gap detection.
//! - [`outbox`]: my messages not yet acked, in send order, kept across reloads as JSON.
//! - [`conversations`]: the conversation list, newest activity first, with unread counts.
//! - [`history`]: loading older pages on scroll-up, one at a time, down to seq 1.
//! - [`follow`]: whether the message list follows the newest message; unseen arrivals.
//! - [`typing`]: who is typing in the open conversation.
//! - [`upload`]: attachments on their way out: files uploaded (with progress, retry that
//!   never repeats a stored file), then one message.
//!
//! How events reach them (the wiring the socket code is expected to do):
//! - composing: `outbox.push(outgoing)` and `timeline.add_pending(cid, body, now)`; the
//!   socket takes `outbox.take_next()` and encodes its frame only as it writes it;
//! - cmd 10/11 delivered: `timeline.apply_live`, `conversations.apply_live`, and for my own
//!   messages (`userid == me`) `outbox.ack(cid)` (sent from another tab or over REST);
//! - cmd 1 ack: `outbox.ack(cid)`, `timeline.apply_ack`, then `conversations.apply_live` with
//!   the stored message `timeline.get(seq)` (the sender gets no echo of its own message);
//! - cmd 2 with a cid: `outbox.fail(cid)` and `timeline.fail(cid, code, content)`;
//! - cmd 15: `conversations.apply_read_receipt(&event, me)`;
//! - reconnect: `outbox.on_reconnect()`, resend, reload `GET /api/conversations` into
//!   `conversations.apply_rows`, and pull `?after=newest_seq` for every open timeline behind
//!   its row's `last_seq`.

pub mod conversations;
pub mod follow;
pub mod history;
pub mod outbox;
pub mod timeline;
pub mod typing;
pub mod upload;

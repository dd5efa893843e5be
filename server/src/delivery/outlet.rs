//! One connection as delivery sees it: its id, its bounded queue, the switch that closes it
//! and why, and the [`Encoder`] that writes deliveries in its dialect's shape. Delivery never
//! branches on a dialect: each outlet carries its encoder, and one delivery is encoded at most
//! once per kind of encoder however many connections receive it.

use app::protocol::frame::Frame;
use axum::extract::ws::{Message, Utf8Bytes};
use std::sync::{Arc, OnceLock};
use tokio_util::sync::CancellationToken;

/// Identifies one connection on this node (for logs and to skip the originating socket).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

impl std::fmt::Display for ConnId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "c{}", self.0)
    }
}

/// Why the server closes a connection; decides the WebSocket close code the client sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// The client closed, or its connection broke.
    PeerGone,
    /// Nothing arrived from the client for the idle timeout (1000).
    Idle,
    /// The login session behind the socket ended: logout or expiry (4001).
    SessionEnded,
    /// Deliveries piled up because the client did not read them (1008).
    SlowConsumer,
    /// Too many unreadable frames in a row (1008).
    Unreadable,
    /// A frame over the WebSocket layer's size limit (1009, "message too big").
    TooBig,
    /// Too many v0 frames naming another sender (1008, policy violation).
    ForeignSender,
    /// The server is shutting down or restarting (1012, "service restart").
    Restart,
}

impl CloseReason {
    /// The close code sent to the client.
    pub fn code(self) -> u16 {
        match self {
            CloseReason::PeerGone | CloseReason::Idle => 1000,
            CloseReason::SlowConsumer | CloseReason::Unreadable | CloseReason::ForeignSender => {
                1008
            }
            CloseReason::TooBig => 1009,
            CloseReason::Restart => 1012,
            CloseReason::SessionEnded => 4001,
        }
    }

    /// The close frame's short explanation.
    pub fn text(self) -> &'static str {
        match self {
            CloseReason::PeerGone => "bye",
            CloseReason::Idle => "idle timeout",
            CloseReason::SessionEnded => "session ended",
            CloseReason::SlowConsumer => "slow consumer",
            CloseReason::Unreadable => "too many unreadable frames",
            CloseReason::TooBig => "frame too large",
            CloseReason::ForeignSender => "frames name another sender",
            CloseReason::Restart => "server restarting",
        }
    }

    /// True when answers already queued should still be sent before closing (the client
    /// is reading); false when the queue is full because it is not.
    pub fn drains(self) -> bool {
        !matches!(self, CloseReason::SlowConsumer | CloseReason::PeerGone)
    }
}

/// The hub's handle on one connection: its queue and the switch that closes it.
#[derive(Clone, Debug)]
pub struct Outlet {
    /// This connection.
    pub id: ConnId,
    /// Its outgoing queue.
    pub queue: flume::Sender<Message>,
    /// Cancelled to make the connection close (see [`Outlet::close`]).
    pub closed: CancellationToken,
    /// Why it was closed; the first reason given wins.
    reason: Arc<OnceLock<CloseReason>>,
    /// The login session it was opened with (token hash), so logout can close it.
    pub session: Arc<str>,
    /// How deliveries are written for it (its dialect's shape).
    pub encoder: Arc<dyn Encoder>,
}

impl Outlet {
    /// A new, open connection's handle: `queue` is its writer's, `session` the token hash
    /// of the login session it was opened with.
    pub fn new(
        id: ConnId,
        queue: flume::Sender<Message>,
        session: &str,
        encoder: Arc<dyn Encoder>,
    ) -> Outlet {
        Outlet {
            id,
            queue,
            closed: CancellationToken::new(),
            reason: Arc::new(OnceLock::new()),
            session: session.into(),
            encoder,
        }
    }

    /// Asks the connection to close for `reason`; returns true for the call that decided it
    /// (later calls change nothing), so a cut is reported once.
    pub fn close(&self, reason: CloseReason) -> bool {
        let first = self.reason.set(reason).is_ok();
        self.closed.cancel();
        first
    }

    /// Why the connection is closing, once it is.
    pub fn reason(&self) -> Option<CloseReason> {
        self.reason.get().copied()
    }
}

/// How one kind of connection is sent deliveries. The hub encodes a delivery once per
/// [`Encoder::kind`] among its targets, so two encoders of one kind must write the same
/// bytes for the same frame.
pub trait Encoder: Send + Sync + std::fmt::Debug + 'static {
    /// Names the encoding (one cache slot per kind and delivery).
    fn kind(&self) -> &'static str;

    /// The frame as this connection receives it; `None` when it is not sent such frames.
    fn encode(&self, frame: &Frame) -> Option<Utf8Bytes>;
}

/// The native encoding (`/ws`): every frame, as JSON. Deliveries arrive from other nodes
/// already in this shape, so it is also the shape delivery travels in.
#[derive(Clone, Copy, Debug, Default)]
pub struct Json;

/// [`Json::kind`].
pub const JSON: &str = "json";

impl Encoder for Json {
    fn kind(&self) -> &'static str {
        JSON
    }

    fn encode(&self, frame: &Frame) -> Option<Utf8Bytes> {
        encode_json(frame)
    }
}

/// The JSON encoding of `frame`, once for all its recipients.
pub fn encode_json(frame: &Frame) -> Option<Utf8Bytes> {
    match serde_json::to_string(frame) {
        Ok(s) => Some(Utf8Bytes::from(s)),
        Err(e) => {
            tracing::error!(error = %e, "cannot encode frame");
            None
        }
    }
}

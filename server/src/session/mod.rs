//! One WebSocket connection: a reader (this task) that parses each frame once into a
//! [`ClientCmd`] and calls the chat rules, and a writer task that drains the connection's
//! bounded queue and pings.
//!
//! Sends are pipelined: the reader checks a send and queues it for the message writer in
//! the order the frames came, then goes on reading while up to [`MAX_IN_FLIGHT`] of them
//! wait for their commit. Each ack goes out when its message is stored and carries its
//! `cid`, so acks of different messages may come back in any order.
//!
//! Answers to the connection's own frames are queued with backpressure: when the queue is
//! full the reader stops reading until the writer makes room, so a client that pipelines is
//! slowed down, never cut. Only deliveries from others (pushed by the hub without waiting)
//! can find the queue full and cut a client that does not read.
//!
//! Closing: whoever decides (the reader, the hub, logout, expiry, shutdown) closes the
//! outlet with a [`CloseReason`]. The reader stops taking new frames but finishes the one
//! in hand (an in-flight send is stored and acked); the writer then sends what is queued and
//! a close frame with the reason's code. The hub registration is dropped with the session,
//! so the connection leaves the registry however it ends.
//!
//! How frames are read and answered is the socket's [`Dialect`], chosen by the route that
//! opened it: the session never looks at which. A seed client (v0, `/chat`) sends no
//! heartbeat; the writer's pings keep it alive, because every frame read (the client's pongs
//! included) restarts the idle timeout.

use crate::delivery::hub::Registration;
use crate::delivery::outlet::{CloseReason, Outlet};
use crate::dialect::{Dialect, Reading};
use crate::error::AppError;
use crate::state::AppState;
use app::error::{ApiError, ErrorCode};
use app::protocol::frame::{ClientCmd, Cmd, Frame, MAX_FRAME_BYTES};
use app::protocol::User;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::future::BoxFuture;
use futures_util::stream::{FuturesUnordered, SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// A connection that sends nothing (not even a heartbeat) for this long is closed.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// How often the server pings, so dead peers and idle proxies are noticed.
pub const PING_EVERY: Duration = Duration::from_secs(30);
/// Unreadable frames in a row before the connection is closed.
pub const MAX_UNREADABLE: u32 = 10;
/// v0 frames naming another sender (`userid` not the socket's user) before the socket is
/// closed (1008): a seed page that believes it is someone else (another login in the same
/// browser) sends a few before it reloads; past this it is someone trying, and each such
/// frame would otherwise cost a parse and a log line, for ever.
pub const MAX_FOREIGN_SENDER: u32 = 10;
/// The WebSocket layer's own message and frame limit: a little above [`MAX_FRAME_BYTES`],
/// so a frame somewhat over it is still read and answered with `frame_too_large`, while a
/// client can never make the server buffer more than this per socket. Beyond it the
/// connection is closed with 1009.
pub const MAX_WIRE_FRAME: usize = MAX_FRAME_BYTES + 4 * 1024;
/// Sends of one connection that may wait for their commit at once; past it the reader
/// waits for the oldest answers before reading on.
pub const MAX_IN_FLIGHT: usize = 64;
/// How long a closing connection may take to send what is queued and its close frame.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// What the session needs to know about the login session behind it.
#[derive(Clone, Debug)]
pub struct Login {
    /// Whose socket this is.
    pub user: User,
    /// The login session's id: kept "last used" while the socket is open.
    pub session_id: i64,
    /// When the login session expires (ms since the epoch); the socket closes then.
    pub expires_at_ms: i64,
    /// The client's address (for per-address limits).
    pub addr: Option<std::net::IpAddr>,
}

/// Counts a connection's frames naming another sender ([`Reading::ForeignSender`], which
/// only the seed dialect can produce): logged once when the first comes and once more when the connection
/// closes, never once per frame, so a client cannot fill the log.
#[derive(Default)]
struct ForeignSenders(u32);

impl ForeignSenders {
    /// Counts one more; true once the connection must close ([`MAX_FOREIGN_SENDER`]).
    fn count(&mut self) -> bool {
        self.0 += 1;
        if self.0 == 1 {
            tracing::warn!("frame names another sender; dropped (further ones counted)");
        }
        self.0 >= MAX_FOREIGN_SENDER
    }
}

impl Drop for ForeignSenders {
    fn drop(&mut self) {
        if self.0 > 1 {
            tracing::warn!(
                frames = self.0,
                closed = self.0 >= MAX_FOREIGN_SENDER,
                "frames naming another sender on this connection"
            );
        }
    }
}

fn error_frame(err: &ApiError, cid: &str) -> Frame {
    Frame {
        cmd: Cmd::Error.code(),
        cid: cid.to_owned(),
        code: err.code.as_str().to_owned(),
        content: err.msg.clone(),
        ..Frame::default()
    }
}

/// Serves one authenticated, registered socket until it closes.
///
/// Not an `async fn`, so that the socket is split before the future exists: the future is
/// the task every idle connection keeps, and as an `async fn` it carried the whole
/// WebSocket by value in its own state and in `serve`'s, beside the halves.
pub fn run(
    socket: WebSocket,
    state: AppState,
    login: Login,
    (reg, rx): (Registration, flume::Receiver<Message>),
    dialect: Arc<dyn Dialect>,
) -> impl Future<Output = ()> + Send + 'static {
    let (sink, stream) = socket.split();
    let span = tracing::info_span!("ws", conn = %reg.outlet.id, user = %login.user.id);
    async move {
        tracing::info!(first = reg.first, dialect = dialect.name(), "connected");
        let conn = Conn {
            outlet: &reg.outlet,
            dialect: &*dialect,
        };
        serve(sink, stream, &state, &login, conn, rx).await;
        tracing::info!(reason = ?reg.outlet.reason(), "disconnected");
        drop(reg);
    }
    .instrument(span)
}

/// When a socket's session timer must next fire: at the session's expiry, or sooner (after
/// `touch`) to note the session in use.
fn session_timer(expires_at_ms: i64, touch: Duration) -> tokio::time::Instant {
    let left = expires_at_ms.saturating_sub(crate::clock::now_ms());
    let left = Duration::from_millis(u64::try_from(left).unwrap_or(0));
    tokio::time::Instant::now() + left.min(touch)
}

/// The reader. Every wait that only a busy or closing connection reaches (an answer
/// waiting for room in the queue, the end) is boxed, so that the future an idle
/// connection keeps holds just the reading state (docs/benchmarks.md, S1).
async fn serve(
    sink: Sink,
    mut stream: SplitStream<WebSocket>,
    state: &AppState,
    login: &Login,
    conn: Conn<'_>,
    rx: flume::Receiver<Message>,
) {
    let reader_done = CancellationToken::new();
    let writer = tokio::spawn(write(sink, rx, conn.outlet.clone(), reader_done.clone()));
    let outlet = conn.outlet;
    // One timer for both things the login session needs while the socket is open: the
    // expiry that closes it, and the minutely note that it is still in use (so Settings
    // lists it as active). One timer keeps an idle connection's future small.
    let expiry = tokio::time::sleep_until(session_timer(
        login.expires_at_ms,
        state.accounts.touch_every(),
    ));
    tokio::pin!(expiry);

    let mut unreadable = 0u32;
    let mut foreign = ForeignSenders::default();
    // Answers to sends and actions waiting for their commit (a hide has none).
    let mut in_flight: FuturesUnordered<BoxFuture<'static, Option<Frame>>> =
        FuturesUnordered::new();
    loop {
        let next = tokio::select! {
            biased;
            () = outlet.closed.cancelled() => break,
            () = &mut expiry => {
                if crate::clock::now_ms() >= login.expires_at_ms {
                    outlet.close(CloseReason::SessionEnded);
                    break;
                }
                let (accounts, id) = (state.accounts.clone(), login.session_id);
                // Off the reading path: a slow database must not hold up frames.
                tokio::spawn(async move {
                    if let Err(e) = accounts.still_using(id).await {
                        tracing::debug!(error = %e, "could not note the session in use");
                    }
                });
                expiry
                    .as_mut()
                    .reset(session_timer(login.expires_at_ms, state.accounts.touch_every()));
                continue;
            }
            Some(reply) = in_flight.next(), if !in_flight.is_empty() => {
                if let Some(reply) = reply {
                    if !conn.answer(reply).await {
                        break;
                    }
                }
                continue;
            }
            next = tokio::time::timeout(IDLE_TIMEOUT, stream.next()),
                if in_flight.len() < MAX_IN_FLIGHT => next,
        };
        let text = match next {
            Err(_) => {
                outlet.close(CloseReason::Idle);
                break;
            }
            Ok(Some(Ok(Message::Text(t)))) => t,
            // Activity all the same: the next read starts a fresh idle timeout, so a client
            // that only answers our pings (the seed client, v0) stays connected.
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            Ok(Some(Ok(Message::Binary(_)))) => {
                unreadable += 1;
                if !conn
                    .answer_unreadable(ApiError::new(ErrorCode::BadFrame), unreadable)
                    .await
                {
                    break;
                }
                continue;
            }
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) => {
                outlet.close(CloseReason::PeerGone);
                break;
            }
            Ok(Some(Err(e))) => {
                // tungstenite refuses a frame over MAX_WIRE_FRAME before buffering it.
                let inner = e.into_inner();
                let too_big = matches!(
                    inner.downcast_ref::<tungstenite::Error>(),
                    Some(tungstenite::Error::Capacity(_))
                );
                outlet.close(if too_big {
                    CloseReason::TooBig
                } else {
                    CloseReason::PeerGone
                });
                break;
            }
        };
        if text.len() > MAX_FRAME_BYTES {
            unreadable += 1;
            if !conn
                .answer_unreadable(ApiError::new(ErrorCode::FrameTooLarge), unreadable)
                .await
            {
                break;
            }
            continue;
        }
        let (cid, cmd) = match conn.dialect.read(text.as_str(), &login.user) {
            Reading::Cmd { cid, cmd } => {
                unreadable = 0;
                (cid, cmd)
            }
            Reading::Refused { err, .. } if err.code == ErrorCode::BadFrame => {
                unreadable += 1;
                if !conn.answer_unreadable(err, unreadable).await {
                    break;
                }
                continue;
            }
            Reading::Refused { cid, err } => {
                unreadable = 0;
                if !conn.answer(error_frame(&err, &cid)).await {
                    break;
                }
                continue;
            }
            Reading::ForeignSender => {
                if foreign.count() {
                    outlet.close(CloseReason::ForeignSender);
                    break;
                }
                continue;
            }
        };
        let reply = match cmd {
            ClientCmd::Send(out) => {
                // Boxed, like `dispatch` below: an idle connection's task then holds only
                // the small reading state, not the largest query future (a few KiB each).
                match Box::pin(state.chat.submit(&login.user, Some(outlet.id), out)).await {
                    Ok(stored) => {
                        in_flight.push(Box::pin(async move {
                            Some(match stored.await {
                                Ok(sent) => sent.ack(),
                                Err(e) => error_frame(&e.to_api(), &cid),
                            })
                        }));
                        None
                    }
                    Err(e) => Some(error_frame(&e.to_api(), &cid)),
                }
            }
            ClientCmd::Act(action) => {
                let submitted =
                    state
                        .chat
                        .submit_action(&login.user, login.addr, Some(outlet.id), action);
                match Box::pin(submitted).await {
                    Ok(done) => {
                        in_flight.push(Box::pin(async move {
                            match done.await {
                                Ok(done) => done.ack(),
                                Err(e) => Some(error_frame(&e.to_api(), &cid)),
                            }
                        }));
                        None
                    }
                    Err(e) => Some(error_frame(&e.to_api(), &cid)),
                }
            }
            cmd => match Box::pin(dispatch(state, &login.user, outlet, cmd)).await {
                Ok(reply) => reply,
                Err(e) => Some(error_frame(&e.to_api(), &cid)),
            },
        };
        if let Some(reply) = reply {
            if !conn.answer(reply).await {
                break;
            }
        }
    }
    Box::pin(finish(conn, in_flight, reader_done, writer)).await;
}

/// The reader's end: the acks of sends already queued, then the writer's close.
async fn finish(
    conn: Conn<'_>,
    mut in_flight: FuturesUnordered<BoxFuture<'static, Option<Frame>>>,
    reader_done: CancellationToken,
    mut writer: JoinHandle<()>,
) {
    // Sends already queued are stored whatever happens; their acks still go out if the
    // client is there to read them.
    while let Some(reply) = in_flight.next().await {
        if let Some(reply) = reply {
            let _ = conn.answer(reply).await;
        }
    }
    reader_done.cancel();
    // The writer ends by itself once the close frame is out; a peer that stopped reading
    // cannot hold the session open past CLOSE_WAIT.
    if tokio::time::timeout(CLOSE_WAIT + Duration::from_secs(1), &mut writer)
        .await
        .is_err()
    {
        writer.abort();
    }
}

/// The connection a session serves, and how its client speaks.
#[derive(Clone, Copy)]
struct Conn<'a> {
    outlet: &'a Outlet,
    dialect: &'a dyn Dialect,
}

impl<'a> Conn<'a> {
    /// Answers an unreadable frame; false once there were too many in a row (the
    /// connection is then closing).
    fn answer_unreadable(self, err: ApiError, count: u32) -> BoxFuture<'a, bool> {
        if count > MAX_UNREADABLE {
            tracing::info!("too many unreadable frames");
            self.outlet.close(CloseReason::Unreadable);
            return Box::pin(std::future::ready(false));
        }
        self.answer(error_frame(&err, ""))
    }

    /// Queues an answer to this connection's own frame, in its dialect (which may answer
    /// nothing), waiting for room (backpressure on the reader); false if the connection
    /// closed meanwhile. The frame is encoded before the wait, and the wait is boxed, so the
    /// reader's future holds neither.
    fn answer(self, frame: Frame) -> BoxFuture<'a, bool> {
        let Some(msg) = self.dialect.answer(&frame) else {
            return Box::pin(std::future::ready(true));
        };
        let outlet = self.outlet;
        Box::pin(async move {
            tokio::select! {
                biased;
                sent = outlet.queue.send_async(msg) => sent.is_ok(),
                () = outlet.closed.cancelled() => false,
            }
        })
    }
}

/// Handles one parsed command; returns the answer for this connection, if any.
async fn dispatch(
    state: &AppState,
    user: &User,
    outlet: &Outlet,
    cmd: ClientCmd,
) -> Result<Option<Frame>, AppError> {
    match cmd {
        ClientCmd::Heartbeat => Ok(Some(Frame::default())),
        // Pipelined by the reader (see `serve`); never reaches here.
        ClientCmd::Send(_) | ClientCmd::Act(_) => {
            Err(AppError::Internal("send dispatched unpipelined".into()))
        }
        ClientCmd::Read { conv, seq } => {
            state.chat.mark_read(user, conv, seq.0).await.map(|_| None)
        }
        ClientCmd::Typing(to) => state
            .chat
            .typing(user, Some(outlet.id), to)
            .await
            .map(|()| None),
    }
}

type Sink = SplitSink<WebSocket, Message>;

/// Frames written before one flush: what queued up while the socket was busy goes out in
/// as few writes as the buffer allows, instead of one system call per frame.
const WRITE_BATCH: usize = 64;

/// Sends `first` and whatever else is already queued (up to [`WRITE_BATCH`]), then flushes.
async fn send_queued(
    sink: &mut Sink,
    rx: &flume::Receiver<Message>,
    first: Message,
) -> Result<(), axum::Error> {
    sink.feed(first).await?;
    for _ in 1..WRITE_BATCH {
        match rx.try_recv() {
            Ok(m) => sink.feed(m).await?,
            Err(_) => break,
        }
    }
    sink.flush().await
}

/// The writer half: sends queued frames and pings until the outlet closes, then (unless the
/// client is gone or not reading) what the reader still queued, then the close frame.
async fn write(
    mut sink: Sink,
    rx: flume::Receiver<Message>,
    outlet: Outlet,
    reader_done: CancellationToken,
) {
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    loop {
        tokio::select! {
            biased;
            () = outlet.closed.cancelled() => break,
            msg = rx.recv_async() => match msg {
                Ok(m) => if Box::pin(send_queued(&mut sink, &rx, m)).await.is_err() { return },
                Err(_) => break,
            },
            _ = ping.tick() => if sink.send(Message::Ping(Default::default())).await.is_err() { return },
        }
    }
    Box::pin(farewell(sink, rx, &outlet, reader_done)).await;
}

/// The writer's end: unless the client is gone or not reading, what the reader still
/// queued, then the close frame, all within CLOSE_WAIT. Boxed by the caller, like the
/// batch send, so the idle writer's task does not carry them.
async fn farewell(
    mut sink: Sink,
    rx: flume::Receiver<Message>,
    outlet: &Outlet,
    reader_done: CancellationToken,
) {
    let reason = outlet.reason().unwrap_or(CloseReason::PeerGone);
    let drain_and_close = async {
        if reason.drains() {
            // Answers to frames already read (the ack of a message just stored) still go out.
            reader_done.cancelled().await;
            while let Ok(m) = rx.try_recv() {
                if sink.send(m).await.is_err() {
                    return;
                }
            }
        }
        let close = CloseFrame {
            code: reason.code(),
            reason: Utf8Bytes::from_static(reason.text()),
        };
        let _ = sink.send(Message::Close(Some(close))).await;
    };
    let _ = tokio::time::timeout(CLOSE_WAIT, drain_and_close).await;
}

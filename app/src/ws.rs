//! The tab's one WebSocket, shared through context: it connects (the session cookie and our
//! own origin authenticate it), keeps itself alive with heartbeats, reconnects with jittered
//! backoff, and hands every server event, decoded once into a [`ServerEvent`], to whoever
//! listens. Messages go out through an [`Outbox`] kept in the browser's storage, so what was
//! written while offline, or not yet acknowledged, survives a reload and goes out again, in
//! order, with the same `cid` (the server stores a cid once, so a resend can never duplicate).
//!
//! The connection tells the truth: a heartbeat that gets no answer within a deadline, or the
//! browser saying it went offline, ends the connection at once (so the banner shows and peers'
//! presence turns unknown) instead of waiting for TCP to notice, which can take minutes.
//!
//! On the server (SSR) the socket exists but never connects, so components can use it
//! unconditionally.

use crate::ids::Cid;
use crate::protocol::action::{Act, Action};
use crate::protocol::event::ServerEvent;
use crate::protocol::frame::{ClientCmd, Outgoing};
use crate::state::outbox::Outbox;
use leptos::prelude::*;

/// Where the connection stands, for the banner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Opening the first connection.
    Connecting,
    /// Connected.
    Open,
    /// Lost (or the browser is offline); trying again.
    Reconnecting,
    /// The login session ended (logged out or ended from another device): nothing will
    /// connect again until the person logs in.
    SignedOut,
}

type Listener = (u64, Callback<ServerEvent>);

/// The live connection. `Copy`: every field is an arena handle.
#[derive(Clone, Copy)]
pub struct Socket {
    /// Connection state.
    pub status: RwSignal<Status>,
    /// Bumped every time the socket opens: views that hold server data refetch when it
    /// changes, so whatever was missed before the socket was listening (messages, presence,
    /// read marks) appears, each message once (views merge by seq).
    pub opens: RwSignal<u32>,
    listeners: StoredValue<Vec<Listener>>,
    next_id: StoredValue<u64>,
    outbox: StoredValue<Outbox>,
    /// Wakes the connection task when something is queued.
    wake: StoredValue<Option<futures_channel::Sender>>,
    // Read by the browser half only.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    storage_key: StoredValue<String>,
}

/// The channel type the connection task waits on (browser only).
#[cfg(feature = "hydrate")]
mod futures_channel {
    /// Sender half.
    pub type Sender = futures::channel::mpsc::UnboundedSender<()>;
}

/// On the server nothing connects; the type only has to exist.
#[cfg(not(feature = "hydrate"))]
mod futures_channel {
    /// Never constructed on the server.
    pub type Sender = ();
}

impl Socket {
    /// Creates the socket for user `me` and, in the browser, starts connecting. Call once,
    /// high in the tree, and provide it as context.
    pub fn start(me: crate::ids::UserId) -> Socket {
        let socket = Socket {
            status: RwSignal::new(Status::Connecting),
            opens: RwSignal::new(0),
            listeners: StoredValue::new(Vec::new()),
            next_id: StoredValue::new(0),
            outbox: StoredValue::new(Outbox::default()),
            wake: StoredValue::new(None),
            storage_key: StoredValue::new(format!("parley.outbox.{me}")),
        };
        #[cfg(feature = "hydrate")]
        browser::start(socket);
        socket
    }

    /// Whether the connection is open now: while it is not, nothing live (presence, typing)
    /// can be trusted.
    pub fn is_open(&self) -> bool {
        self.status.get() == Status::Open
    }

    /// Calls `f` with every event that arrives until the calling component is cleaned up.
    pub fn listen(&self, f: impl Fn(ServerEvent) + Send + Sync + 'static) {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        let cb = Callback::new(f);
        self.listeners.update_value(|l| l.push((id, cb)));
        let listeners = self.listeners;
        on_cleanup(move || {
            listeners.try_update_value(|l| l.retain(|(i, _)| *i != id));
        });
    }

    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn dispatch(&self, event: ServerEvent) {
        // A copy, so a listener may add or remove listeners while being called.
        let listeners = self.listeners.get_value();
        for (_, cb) in listeners {
            cb.run(event.clone());
        }
    }

    /// Queues a message (with its cid) to go out now or after reconnecting.
    pub fn send_message(&self, out: Outgoing) {
        self.outbox.update_value(|o| {
            o.push(out);
        });
        self.persist();
        self.poke();
    }

    /// Queues an action on a message (with its cid) to go out now or after reconnecting.
    pub fn send_action(&self, action: Action) {
        self.outbox.update_value(|o| {
            o.push_action(action);
        });
        self.persist();
        self.poke();
    }

    /// My actions not acknowledged yet, oldest first (shown again after a reload).
    pub fn unacked_actions(&self) -> Vec<Action> {
        self.outbox.with_value(|o| o.actions().cloned().collect())
    }

    /// Sends again a message that failed (same cid).
    pub fn retry(&self, cid: &Cid) {
        self.outbox.update_value(|o| {
            o.retry(cid);
        });
        self.persist();
        self.poke();
    }

    /// Sends a command that needs no delivery guarantee (read marks, typing), if connected.
    pub fn send_now(&self, cmd: ClientCmd) {
        self.outbox.update_value(|o| o.push_transient(cmd));
        self.poke();
    }

    /// The outbox's messages not yet acknowledged, oldest first (pending bubbles after a
    /// reload come from here).
    pub fn unacked(&self) -> Vec<Outgoing> {
        self.outbox
            .with_value(|o| o.iter().map(|q| q.out.clone()).collect())
    }

    fn poke(&self) {
        self.wake.with_value(|w| {
            #[cfg(feature = "hydrate")]
            if let Some(tx) = w {
                let _ = tx.unbounded_send(());
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = w;
        });
    }

    /// Notes what an event means for the outbox: an ack removes the message, an error for
    /// one of its cids marks it failed.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn settle(&self, event: &ServerEvent) {
        let changed = match event {
            ServerEvent::Ack(ack) => self.outbox.try_update_value(|o| o.ack(&ack.cid)),
            // A hide has no ack: its event, sent to my devices, is the answer.
            ServerEvent::Action {
                act: Act::Hide,
                frame,
                ..
            } => Cid::new(frame.cid.clone())
                .ok()
                .and_then(|cid| self.outbox.try_update_value(|o| o.ack(&cid))),
            ServerEvent::Error { cid: Some(cid), .. } => {
                self.outbox.try_update_value(|o| o.fail(cid))
            }
            _ => None,
        };
        if changed == Some(true) {
            self.persist();
        }
    }

    fn persist(&self) {
        #[cfg(feature = "hydrate")]
        browser::save(self);
    }
}

/// The tab's socket, from context (provided by the chat shell).
pub fn use_socket() -> Option<Socket> {
    use_context::<Socket>()
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::{Socket, Status};
    use crate::protocol::event::ServerEvent;
    use crate::protocol::frame::ClientCmd;
    use crate::state::outbox::Outbox;
    use futures::channel::{mpsc, oneshot};
    use futures::{FutureExt, SinkExt, StreamExt};
    use gloo_net::websocket::{futures::WebSocket, Message, State, WebSocketError};
    use leptos::prelude::*;

    /// A heartbeat goes out after this long without hearing from the server: often enough
    /// that a dead connection is found within about ten seconds (with [`PONG_DEADLINE_MS`]),
    /// rare enough to cost the server nothing (one tiny frame per idle tab every few seconds).
    const HEARTBEAT_MS: f64 = 5_000.0;
    /// How long a heartbeat may wait for its answer before the connection is taken for dead.
    const PONG_DEADLINE_MS: f64 = 4_000.0;
    /// The close code the server ends a socket with when its login session ended.
    const SESSION_ENDED: u16 = 4001;
    /// Reconnect delays: from 0.5 s, doubling, up to 20 s, each with random jitter so a
    /// restarted server is not hit by every tab at once.
    const BACKOFF_MIN_MS: f64 = 500.0;
    const BACKOFF_MAX_MS: f64 = 20_000.0;

    pub(super) fn start(socket: Socket) {
        if let Some(saved) = storage()
            .and_then(|s| s.get_item(&socket.storage_key.get_value()).ok().flatten())
            .and_then(|json| Outbox::from_json(&json).ok())
        {
            socket.outbox.set_value(saved);
        }
        let (tx, rx) = mpsc::unbounded();
        socket.wake.set_value(Some(tx));
        // The browser knows first when the network goes: tell the connection loop.
        let (net_tx, net_rx) = mpsc::unbounded::<bool>();
        let on_line = net_tx.clone();
        // Held by the loop itself, so the channel never closes under it (a closed channel
        // would answer at once, forever).
        let keep_open = net_tx.clone();
        let online = window_event_listener(leptos::ev::online, move |_| {
            let _ = on_line.unbounded_send(true);
        });
        let offline = window_event_listener(leptos::ev::offline, move |_| {
            socket.status.set(Status::Reconnecting);
            let _ = net_tx.unbounded_send(false);
        });
        // The socket lives as long as the page that started it: when the router moves to
        // another page (the chat to Settings and back), the old connection must go, or every
        // visit would leave one more open socket (and one more "online" device) behind.
        let (stop, stopped) = oneshot::channel::<()>();
        on_cleanup(move || {
            online.remove();
            offline.remove();
            let _ = stop.send(());
        });
        leptos::task::spawn_local(async move {
            let run = run(socket, rx, net_rx, keep_open).fuse();
            let mut stopped = stopped.fuse();
            futures::pin_mut!(run);
            // Biased towards the stop, so the loop never runs again once the page (and the
            // socket's signals with it) is gone; dropping it drops, and so closes, the socket.
            futures::select_biased! {
                _ = stopped => {}
                () = run => {}
            }
        });
    }

    pub(super) fn save(socket: &Socket) {
        if let (Some(s), Ok(json)) = (storage(), socket.outbox.with_value(Outbox::to_json)) {
            let _ = s.set_item(&socket.storage_key.get_value(), &json);
        }
    }

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok().flatten()
    }

    /// Whether the browser believes it has a network (true when it cannot tell).
    fn browser_online() -> bool {
        web_sys::window().is_none_or(|w| w.navigator().on_line())
    }

    /// Whether the server says this tab's session is over (`GET /api/me` answers 401).
    /// Asked only after a refused handshake, whose status a browser does not reveal.
    async fn signed_out() -> bool {
        matches!(
            gloo_net::http::Request::get("/api/me").send().await,
            Ok(res) if res.status() == 401
        )
    }

    fn url() -> Option<String> {
        let loc = web_sys::window()?.location();
        let scheme = if loc.protocol().ok()? == "https:" {
            "wss"
        } else {
            "ws"
        };
        Some(format!("{scheme}://{}/ws", loc.host().ok()?))
    }

    async fn sleep(ms: f64) {
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            if let Some(w) = web_sys::window() {
                // Whole milliseconds are plenty for a timer.
                let ms = ms.clamp(0.0, f64::from(i32::MAX)).round();
                let ms = format!("{ms}").parse::<i32>().unwrap_or(0);
                let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
            }
        });
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }

    /// The wire frame of a command: the only place the browser makes one.
    fn encode(cmd: &ClientCmd) -> Option<Message> {
        serde_json::to_string(&cmd.to_frame())
            .ok()
            .map(Message::Text)
    }

    /// When the connection loop must next act on its own: send a heartbeat, or give up on
    /// one that was not answered.
    struct Liveness {
        /// When the server was last heard from.
        heard_at: f64,
        /// When the unanswered heartbeat must be answered by, if one is out.
        pong_due: Option<f64>,
    }

    impl Liveness {
        fn new(now: f64) -> Liveness {
            Liveness {
                heard_at: now,
                pong_due: None,
            }
        }

        fn heard(&mut self, now: f64) {
            self.heard_at = now;
            self.pong_due = None;
        }

        /// Milliseconds until the next thing to do.
        fn wait_ms(&self, now: f64) -> f64 {
            let at = self.pong_due.unwrap_or(self.heard_at + HEARTBEAT_MS);
            (at - now).max(0.0)
        }
    }

    async fn run(
        socket: Socket,
        mut wake: mpsc::UnboundedReceiver<()>,
        mut net: mpsc::UnboundedReceiver<bool>,
        _keep_open: mpsc::UnboundedSender<bool>,
    ) {
        let mut backoff = BACKOFF_MIN_MS;
        let mut opened_before = false;
        loop {
            let ws = browser_online()
                .then(url)
                .flatten()
                .and_then(|u| WebSocket::open(&u).ok());
            if let Some(mut ws) = ws {
                // The first write waits for the handshake to end, whichever way it ends (a
                // refused handshake also lets it through, and a send on a closed socket is
                // silently dropped), so only a socket that is then open counts as opened.
                let hello = encode(&ClientCmd::Heartbeat);
                let open = match hello {
                    Some(m) => ws.send(m).await.is_ok() && matches!(ws.state(), State::Open),
                    None => false,
                };
                let (mut write, read) = ws.split();
                let mut read = read.fuse();
                if open {
                    socket.outbox.update_value(|o| o.on_reconnect());
                    // The hello was a heartbeat: its answer is due like any other.
                    let mut live = Liveness::new(js_sys::Date::now());
                    live.pong_due = Some(js_sys::Date::now() + PONG_DEADLINE_MS);
                    // A finished handshake proves little (a proxy or a dead path can accept
                    // one and then say nothing): the connection counts as open, and the
                    // banner goes, only once the server has answered on it.
                    let mut answered = false;
                    'conn: loop {
                        // Everything waiting goes out first, in order.
                        while let Some(cmd) =
                            socket.outbox.try_update_value(|o| o.take_next()).flatten()
                        {
                            let Some(m) = encode(&cmd) else { continue };
                            if write.send(m).await.is_err() {
                                break 'conn;
                            }
                        }
                        let timer = sleep(live.wait_ms(js_sys::Date::now())).fuse();
                        futures::pin_mut!(timer);
                        futures::select! {
                            msg = read.next() => match msg {
                                Some(Ok(Message::Text(t))) => {
                                    live.heard(js_sys::Date::now());
                                    if !answered {
                                        answered = true;
                                        socket.status.set(Status::Open);
                                        backoff = BACKOFF_MIN_MS;
                                        socket.opens.update(|n| *n += 1);
                                        opened_before = true;
                                    }
                                    if let Some(event) = ServerEvent::decode(&t) {
                                        socket.settle(&event);
                                        socket.dispatch(event);
                                    }
                                }
                                Some(Ok(Message::Bytes(_))) => live.heard(js_sys::Date::now()),
                                Some(Err(WebSocketError::ConnectionClose(close)))
                                    if close.code == SESSION_ENDED =>
                                {
                                    socket.status.set(Status::SignedOut);
                                    return;
                                }
                                Some(Err(_)) | None => break 'conn,
                            },
                            _ = wake.next() => {}
                            up = net.next() => if up == Some(false) { break 'conn },
                            () = timer => {
                                let now = js_sys::Date::now();
                                if live.pong_due.is_some_and(|due| now >= due) {
                                    // No answer in time: the connection is dead, whatever
                                    // the socket's state says.
                                    break 'conn;
                                }
                                if live.pong_due.is_none() && now >= live.heard_at + HEARTBEAT_MS {
                                    let Some(m) = encode(&ClientCmd::Heartbeat) else { continue };
                                    if write.send(m).await.is_err() {
                                        break 'conn;
                                    }
                                    live.pong_due = Some(now + PONG_DEADLINE_MS);
                                }
                            }
                        }
                    }
                    // Dropping both halves closes the socket (if it is not closed already).
                } else if signed_out().await {
                    // The server refused the handshake because the session is gone (it
                    // ended while this tab was asleep or offline).
                    socket.status.set(Status::SignedOut);
                    return;
                }
            }
            socket.status.set(if opened_before || !browser_online() {
                Status::Reconnecting
            } else {
                Status::Connecting
            });
            if browser_online() {
                let jitter = 0.5 + js_sys::Math::random();
                let pause = sleep(backoff * jitter).fuse();
                futures::pin_mut!(pause);
                // Back online (or told so) ends the pause early.
                loop {
                    futures::select! {
                        () = pause => break,
                        up = net.next() => if up != Some(false) { break },
                    }
                }
                backoff = (backoff * 2.0).min(BACKOFF_MAX_MS);
            } else {
                // Offline: wait for the browser to say it is back, then try at once.
                while let Some(up) = net.next().await {
                    if up {
                        break;
                    }
                }
                backoff = BACKOFF_MIN_MS;
            }
        }
    }
}

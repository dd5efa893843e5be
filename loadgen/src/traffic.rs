//! Live connections, senders on a fixed schedule, and the per-message record readers fill in.
//!
//! Each step of a run gets a fresh [`Record`]: one slot per message holding its scheduled
//! time, when its ack came back, how many recipients got it and when the last one did. The
//! slots are atomics indexed by the message's number, so the readers of thousands of sockets
//! record without a lock, and every statistic is computed once at the end of the step.
//! Readers learn of a new step's record through a `watch` channel; a frame stamped with an
//! older step is counted as late and otherwise ignored.

use crate::report::Progress;
use crate::target::{System, Target, Who, Ws};
use crate::wire::{self, Incoming, Stamp};
use anyhow::Result;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

static ORIGIN: OnceLock<Instant> = OnceLock::new();

/// The instant every schedule and every receive time in this process is measured from.
pub fn origin() -> Instant {
    *ORIGIN.get_or_init(Instant::now)
}

/// Nanoseconds since [`origin`].
pub fn now_ns() -> u64 {
    u64::try_from(origin().elapsed().as_nanos()).unwrap_or(u64::MAX)
}

fn at(ns: u64) -> tokio::time::Instant {
    tokio::time::Instant::from_std(origin() + Duration::from_nanos(ns))
}

/// Everything that went wrong, counted; never a panic.
#[derive(Debug, Default)]
pub struct Counters {
    connect_failures: AtomicU64,
    socket_errors: AtomicU64,
    closed_by_server: AtomicU64,
    send_errors: AtomicU64,
    unreadable: AtomicU64,
    late: AtomicU64,
    overflow: AtomicU64,
    refusals: Mutex<BTreeMap<String, u64>>,
}

/// A snapshot of [`Counters`].
#[derive(Clone, Debug, Default, Serialize)]
pub struct Errors {
    /// Sockets that could not be opened (TCP or WebSocket handshake).
    pub connect_failures: u64,
    /// Sockets that failed while reading.
    pub socket_errors: u64,
    /// Sockets the server closed.
    pub closed_by_server: u64,
    /// Frames that could not be written.
    pub send_errors: u64,
    /// Frames that were not JSON of the expected shape.
    pub unreadable: u64,
    /// Acks or deliveries of an earlier step.
    pub late: u64,
    /// Messages not sent because the step's record was full (a loadgen sizing bug).
    pub overflow: u64,
    /// Parley's refusals (cmd 2) by code.
    pub refusals: BTreeMap<String, u64>,
}

impl Errors {
    /// The sum of every count.
    pub fn total(&self) -> u64 {
        self.connect_failures
            + self.socket_errors
            + self.closed_by_server
            + self.send_errors
            + self.unreadable
            + self.overflow
            + self.refusals.values().sum::<u64>()
    }
}

impl Counters {
    /// Counts a socket that could not be opened.
    pub fn connect_failed(&self) {
        self.connect_failures.fetch_add(1, Relaxed);
    }

    /// The counts so far.
    pub fn snapshot(&self) -> Errors {
        Errors {
            connect_failures: self.connect_failures.load(Relaxed),
            socket_errors: self.socket_errors.load(Relaxed),
            closed_by_server: self.closed_by_server.load(Relaxed),
            send_errors: self.send_errors.load(Relaxed),
            unreadable: self.unreadable.load(Relaxed),
            late: self.late.load(Relaxed),
            overflow: self.overflow.load(Relaxed),
            refusals: self.refusals.lock().map(|r| r.clone()).unwrap_or_default(),
        }
    }
}

/// One step's per-message record.
pub struct Record {
    generation: u32,
    expected: u32,
    window: (u64, u64),
    next: AtomicU64,
    sched: Box<[AtomicU64]>,
    ack: Box<[AtomicU64]>,
    count: Box<[AtomicU32]>,
    last: Box<[AtomicU64]>,
    acks: AtomicU64,
    deliveries: AtomicU64,
}

fn atomics64(n: usize) -> Box<[AtomicU64]> {
    (0..n).map(|_| AtomicU64::new(0)).collect()
}

impl Record {
    fn new(generation: u32, cap: usize, expected: u32, window: (u64, u64)) -> Record {
        Record {
            generation,
            expected,
            window,
            next: AtomicU64::new(0),
            sched: atomics64(cap),
            ack: atomics64(cap),
            count: (0..cap).map(|_| AtomicU32::new(0)).collect(),
            last: atomics64(cap),
            acks: AtomicU64::new(0),
            deliveries: AtomicU64::new(0),
        }
    }

    /// Claims the next message number, or `None` when the record is full.
    fn claim(&self, sched_ns: u64) -> Option<u64> {
        let i = self.next.fetch_add(1, Relaxed);
        let slot = self.sched.get(usize::try_from(i).ok()?)?;
        // +1 so that 0 means "never sent".
        slot.store(sched_ns + 1, Relaxed);
        Some(i)
    }

    fn on_ack(&self, stamp: Stamp, now: u64) {
        if let Some(slot) = usize::try_from(stamp.index)
            .ok()
            .and_then(|i| self.ack.get(i))
        {
            if slot.swap(now, Relaxed) == 0 {
                self.acks.fetch_add(1, Relaxed);
            }
        }
    }

    fn on_delivery(&self, stamp: Stamp, now: u64) {
        let Ok(i) = usize::try_from(stamp.index) else {
            return;
        };
        if let (Some(count), Some(last)) = (self.count.get(i), self.last.get(i)) {
            count.fetch_add(1, Relaxed);
            last.fetch_max(now, Relaxed);
            self.deliveries.fetch_add(1, Relaxed);
        }
    }

    fn sent(&self) -> u64 {
        self.next.load(Relaxed).min(self.sched.len() as u64)
    }
}

/// What every connection of one run shares: the system, the run's id (in every cid), the
/// error counters and the current step's record.
pub struct Shared {
    /// The system measured.
    pub system: System,
    /// Unique per process, so cids never repeat across runs with the same users.
    pub run: u64,
    /// Errors.
    pub counters: Counters,
    record: watch::Sender<Arc<Record>>,
    generation: AtomicU32,
}

impl Shared {
    /// State for a new run against `system`.
    pub fn new(system: System) -> Arc<Shared> {
        let run = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        // Touch the origin now, so every task measures from the same instant.
        origin();
        Arc::new(Shared {
            system,
            run,
            counters: Counters::default(),
            record: watch::Sender::new(Arc::new(Record::new(0, 0, 0, (0, 0)))),
            generation: AtomicU32::new(1),
        })
    }
}

type Sink = SplitSink<Ws, Message>;

/// One open WebSocket: its user, its write half (shared between a step's sender and the
/// heartbeat) and the task reading it. Dropping it stops the reader and closes the socket.
pub struct Conn {
    /// The user it is open as (Parley user id or peer id).
    pub user: i64,
    sink: Arc<tokio::sync::Mutex<Sink>>,
    alive: Arc<AtomicBool>,
    reader: JoinHandle<()>,
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl Conn {
    /// Opens socket number `i` as `who` (user id `user`) and starts reading it.
    pub async fn open(
        shared: &Arc<Shared>,
        target: &Target,
        who: &Who,
        user: i64,
        i: usize,
    ) -> Result<Conn> {
        let ws = match target.open(who, i).await {
            Ok(ws) => ws,
            Err(e) => {
                shared.counters.connect_failed();
                return Err(e);
            }
        };
        let (sink, stream) = ws.split();
        let sink = Arc::new(tokio::sync::Mutex::new(sink));
        let alive = Arc::new(AtomicBool::new(true));
        let beat = (shared.system == System::Parley).then(|| sink.clone());
        let reader = tokio::spawn(read_loop(stream, shared.clone(), user, alive.clone(), beat));
        Ok(Conn {
            user,
            sink,
            alive,
            reader,
        })
    }

    /// False once the socket failed or was closed by the server.
    pub fn is_alive(&self) -> bool {
        self.alive.load(Relaxed)
    }

    /// Closes the socket with a close frame (best effort).
    pub async fn close(self) {
        let _ = self.sink.lock().await.close().await;
    }
}

/// Parley closes a socket after 90 s without a frame; idle connections say something
/// every 30 s.
const HEARTBEAT: Duration = Duration::from_secs(30);

async fn read_loop(
    mut stream: SplitStream<Ws>,
    shared: Arc<Shared>,
    me: i64,
    alive: Arc<AtomicBool>,
    beat: Option<Arc<tokio::sync::Mutex<Sink>>>,
) {
    let mut rx = shared.record.subscribe();
    let mut rec = rx.borrow_and_update().clone();
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + HEARTBEAT, HEARTBEAT);
    loop {
        tokio::select! {
            msg = stream.next() => match msg {
                Some(Ok(Message::Text(text))) => {
                    if rx.has_changed().unwrap_or(false) {
                        rec = rx.borrow_and_update().clone();
                    }
                    handle(&shared, &rec, me, text.as_str());
                }
                Some(Ok(Message::Close(_))) | None => {
                    shared.counters.closed_by_server.fetch_add(1, Relaxed);
                    break;
                }
                Some(Ok(_)) => {}
                Some(Err(_)) => {
                    shared.counters.socket_errors.fetch_add(1, Relaxed);
                    break;
                }
            },
            _ = ticks.tick(), if beat.is_some() => {
                if let Some(Ok(mut sink)) = beat.as_ref().map(|s| s.try_lock()) {
                    if sink.send(Message::text(wire::heartbeat())).await.is_err() {
                        shared.counters.send_errors.fetch_add(1, Relaxed);
                    }
                }
            }
        }
    }
    alive.store(false, Relaxed);
}

fn handle(shared: &Shared, rec: &Record, me: i64, text: &str) {
    let c = &shared.counters;
    match wire::decode(shared.system, text) {
        Incoming::Ack(cid) => match Stamp::parse_cid(&cid, shared.run) {
            Some(s) if s.generation == rec.generation => rec.on_ack(s, now_ns()),
            Some(_) => {
                c.late.fetch_add(1, Relaxed);
            }
            None => {}
        },
        // The sender's own other sockets also get its messages; they are not recipients.
        Incoming::Message { from, .. } if from == me => {}
        Incoming::Message { content, .. } => match Stamp::parse_content(&content) {
            Some(s) if s.generation == rec.generation => rec.on_delivery(s, now_ns()),
            Some(_) => {
                c.late.fetch_add(1, Relaxed);
            }
            None => {}
        },
        Incoming::Refused(code) => {
            if let Ok(mut r) = c.refusals.lock() {
                *r.entry(code).or_default() += 1;
            }
        }
        Incoming::Other => {}
        Incoming::Unreadable => {
            c.unreadable.fetch_add(1, Relaxed);
        }
    }
}

/// Where one sender's messages go: `cmd` 10 to a user or 11 to a group, `dst` its id.
#[derive(Clone, Copy, Debug)]
pub struct Route {
    /// 10 or 11.
    pub cmd: u16,
    /// User or group id.
    pub dst: i64,
}

/// Latency percentiles in milliseconds.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Latency {
    /// Samples.
    pub count: u64,
    /// Median.
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p999_ms: f64,
    /// Largest.
    pub max_ms: f64,
}

/// A latency histogram in microseconds (1 us .. 10 min, 3 significant digits).
pub struct Hist(Option<Histogram<u64>>);

impl Default for Hist {
    fn default() -> Hist {
        // The bounds are constants that hdrhistogram accepts; None only if that ever changed.
        Hist(Histogram::new_with_bounds(1, 600_000_000, 3).ok())
    }
}

impl Hist {
    /// Records one sample, in nanoseconds (clamped into the bounds).
    pub fn record_ns(&mut self, ns: u64) {
        if let Some(h) = &mut self.0 {
            h.saturating_record((ns / 1000).max(1));
        }
    }

    /// The percentiles so far.
    pub fn latency(&self) -> Latency {
        let Some(h) = &self.0 else {
            return Latency::default();
        };
        let ms = |us: u64| us as f64 / 1000.0;
        Latency {
            count: h.len(),
            p50_ms: ms(h.value_at_quantile(0.5)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            p999_ms: ms(h.value_at_quantile(0.999)),
            max_ms: ms(h.max()),
        }
    }
}

/// One step at a fixed offered rate.
#[derive(Clone, Debug, Default, Serialize)]
pub struct StepResult {
    /// Offered rate, messages per second over all senders.
    pub offered_rate: f64,
    /// Length of the measured window, seconds.
    pub duration_s: f64,
    /// Sending connections.
    pub senders: usize,
    /// Recipient connections per message.
    pub expected_per_msg: u32,
    /// Messages scheduled in the window and sent.
    pub sent: u64,
    /// Of those, acked (Parley only).
    pub acked: Option<u64>,
    /// Deliveries of those messages that arrived.
    pub deliveries: u64,
    /// Deliveries that should have arrived (sent x expected_per_msg).
    pub expected_deliveries: u64,
    /// deliveries / expected_deliveries, in percent.
    pub delivered_pct: f64,
    /// Messages sent per second in the window.
    pub msgs_per_s: f64,
    /// Deliveries per second (deliveries / window length).
    pub deliveries_per_s: f64,
    /// Scheduled send -> ack (Parley only).
    pub ack: Option<Latency>,
    /// Scheduled send -> the last recipient got it, over messages every recipient got
    /// (with one recipient, this is the delivery latency).
    pub delivery: Latency,
    /// delivery p99 <= 100 ms and >= 99.9 % delivered.
    pub passed: bool,
}

/// One sender: a connection (by index), who it is and where it sends.
#[derive(Clone, Copy, Debug)]
pub struct SenderSpec {
    /// Index into the connection list.
    pub conn: usize,
    /// Its user id.
    pub from: i64,
    /// Where its messages go.
    pub route: Route,
}

/// How one step runs.
#[derive(Clone, Copy, Debug)]
pub struct StepPlan {
    /// Offered rate over all senders, msg/s.
    pub rate: f64,
    /// Warm-up before the measured window, seconds (sent, not measured).
    pub warmup: f64,
    /// Measured window, seconds.
    pub duration: f64,
    /// Longest wait for the last deliveries after the window, seconds.
    pub drain: f64,
    /// Recipient connections per message.
    pub expected: u32,
    /// Whether acks are expected (Parley).
    pub acks: bool,
}

/// Runs one step: every sender sends at `rate / senders` msg/s on its own schedule
/// (staggered), latency is taken from the schedule, and the statistics of the messages
/// scheduled inside the window are returned.
pub async fn step(
    shared: &Arc<Shared>,
    conns: &[Conn],
    senders: &[SenderSpec],
    plan: StepPlan,
    quiet: bool,
) -> StepResult {
    let n = senders.len().max(1) as f64;
    let interval = (1e9 * n / plan.rate.max(0.001)) as u64;
    let start = now_ns() + 100_000_000;
    let window = (
        start + (plan.warmup * 1e9) as u64,
        start + ((plan.warmup + plan.duration) * 1e9) as u64,
    );
    let cap = (plan.rate * (plan.warmup + plan.duration) * 1.01) as usize + 4 * senders.len() + 64;
    let generation = shared.generation.fetch_add(1, Relaxed);
    let rec = Arc::new(Record::new(generation, cap, plan.expected, window));
    shared.record.send_replace(rec.clone());
    let hard_stop = window.1 + (plan.drain * 1e9) as u64;

    let mut tasks = Vec::with_capacity(senders.len());
    for (k, s) in senders.iter().enumerate() {
        let Some(conn) = conns.get(s.conn) else {
            continue;
        };
        let offset = interval / senders.len().max(1) as u64 * k as u64;
        tasks.push(tokio::spawn(send_loop(
            shared.clone(),
            conn.sink.clone(),
            *s,
            rec.clone(),
            start + offset,
            interval,
            window.1,
            hard_stop,
        )));
    }
    let total_ms = ((plan.warmup + plan.duration) * 1000.0) as u64 + 100;
    let bar = Progress::new(total_ms, &format!("{:.0} msg/s", plan.rate), quiet);
    while now_ns() < window.1 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        bar.set_position(
            ((now_ns().saturating_sub(start - 100_000_000)) / 1_000_000).min(total_ms),
        );
        bar.set_message(format!(
            "{:.0} msg/s: sent {} delivered {}",
            plan.rate,
            rec.sent(),
            rec.deliveries.load(Relaxed)
        ));
    }
    for t in tasks {
        let _ = t.await;
    }
    // Drain: until everything sent was delivered (and acked), or the drain time is up.
    loop {
        let sent = rec.sent();
        let done = rec.deliveries.load(Relaxed) >= sent * u64::from(plan.expected)
            && (!plan.acks || rec.acks.load(Relaxed) >= sent);
        if done || now_ns() >= hard_stop {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    bar.finish();
    summarize(&rec, plan, senders.len())
}

#[allow(clippy::too_many_arguments)]
async fn send_loop(
    shared: Arc<Shared>,
    sink: Arc<tokio::sync::Mutex<Sink>>,
    spec: SenderSpec,
    rec: Arc<Record>,
    first: u64,
    interval: u64,
    end: u64,
    hard_stop: u64,
) {
    let mut sink = sink.lock().await;
    let mut sched = first;
    let mut unflushed = 0u32;
    while sched < end {
        let now = now_ns();
        if now >= hard_stop {
            break;
        }
        if sched > now {
            if unflushed > 0 {
                if sink.flush().await.is_err() {
                    shared.counters.send_errors.fetch_add(1, Relaxed);
                    return;
                }
                unflushed = 0;
            }
            tokio::time::sleep_until(at(sched)).await;
        }
        let Some(index) = rec.claim(sched) else {
            shared.counters.overflow.fetch_add(1, Relaxed);
            break;
        };
        let stamp = Stamp {
            generation: rec.generation,
            index,
            sched_ns: sched,
        };
        let text = wire::encode(
            shared.system,
            shared.run,
            spec.from,
            spec.route.cmd,
            spec.route.dst,
            stamp,
        );
        // Behind schedule, frames are queued and written together (at most 64 at a time).
        if sink.feed(Message::text(text)).await.is_err() {
            shared.counters.send_errors.fetch_add(1, Relaxed);
            return;
        }
        unflushed += 1;
        if unflushed >= 64 {
            if sink.flush().await.is_err() {
                shared.counters.send_errors.fetch_add(1, Relaxed);
                return;
            }
            unflushed = 0;
        }
        sched += interval;
    }
    if sink.flush().await.is_err() {
        shared.counters.send_errors.fetch_add(1, Relaxed);
    }
}

fn summarize(rec: &Record, plan: StepPlan, senders: usize) -> StepResult {
    let mut ack = Hist::default();
    let mut delivery = Hist::default();
    let (mut sent, mut acked, mut deliveries) = (0u64, 0u64, 0u64);
    let expected = u64::from(rec.expected);
    for i in 0..usize::try_from(rec.sent()).unwrap_or(0) {
        let s = rec.sched[i].load(Relaxed);
        if s == 0 {
            continue;
        }
        let sched = s - 1;
        if sched < rec.window.0 || sched >= rec.window.1 {
            continue;
        }
        sent += 1;
        let a = rec.ack[i].load(Relaxed);
        if a > 0 {
            acked += 1;
            ack.record_ns(a.saturating_sub(sched));
        }
        let c = u64::from(rec.count[i].load(Relaxed));
        deliveries += c.min(expected);
        if c >= expected && expected > 0 {
            delivery.record_ns(rec.last[i].load(Relaxed).saturating_sub(sched));
        }
    }
    let expected_deliveries = sent * expected;
    let delivered_pct = if expected_deliveries == 0 {
        0.0
    } else {
        deliveries as f64 * 100.0 / expected_deliveries as f64
    };
    let delivery = delivery.latency();
    StepResult {
        offered_rate: plan.rate,
        duration_s: plan.duration,
        senders,
        expected_per_msg: rec.expected,
        sent,
        acked: plan.acks.then_some(acked),
        deliveries,
        expected_deliveries,
        delivered_pct,
        msgs_per_s: sent as f64 / plan.duration,
        deliveries_per_s: deliveries as f64 / plan.duration,
        ack: plan.acks.then(|| ack.latency()),
        passed: expected_deliveries > 0 && delivered_pct >= 99.9 && delivery.p99_ms <= 100.0,
        delivery,
    }
}

//! The scenarios of issue 10, each an async function returning its result:
//! S1 idle connections -> server RSS per connection; S2 1:1 pairs and S3 group fan-out at a
//! fixed offered rate (or the highest rate that holds, with `find_max`); S5 connection storm;
//! S6 history sync (`GET /api/conversations` with 1,000 conversations); S7 server memory
//! across 1,000 logins.

use crate::report::{self, ms, rss_kib, table, Progress};
use crate::setup::{self, Account, Parley};
use crate::target::{System, Target, Who};
use crate::traffic::{
    self, Conn, Errors, Hist, Latency, Route, SenderSpec, Shared, StepPlan, StepResult,
};
use anyhow::{bail, Context, Result};
use futures_util::stream::{self, StreamExt};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Every knob of every scenario (the command line's `run` options).
#[derive(Clone, Debug, Serialize, clap::Args)]
pub struct Opts {
    /// The kind of server at `--url`.
    #[arg(long, value_enum, default_value_t = System::Parley)]
    pub system: System,
    /// The server, `http://host:port`.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// Parley accounts cache (default `target/bench/state-<host:port>.json`).
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// The server's process id, for its RSS (S1, S7).
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Also write the result as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// Offered rate in msg/s over all senders (S2, S3; the first step with `--find-max`).
    #[arg(long, default_value_t = 1000.0)]
    pub rate: f64,
    /// Measured window, seconds (S2, S3).
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Warm-up before each measured window, seconds: sent but not measured.
    #[arg(long, default_value_t = 2.0)]
    pub warmup: f64,
    /// Longest wait after a window for its last deliveries and acks, seconds.
    #[arg(long, default_value_t = 3.0)]
    pub drain: f64,
    /// Search the highest rate with delivery p99 <= 100 ms and >= 99.9 % delivered:
    /// double from `--rate` until a step fails, then bisect.
    #[arg(long)]
    pub find_max: bool,
    /// Measured window of each search step, seconds.
    #[arg(long, default_value_t = 5.0)]
    pub step_secs: f64,
    /// Most steps of a search.
    #[arg(long, default_value_t = 12)]
    pub max_steps: usize,
    /// S2: friend pairs (each pair sends both ways).
    #[arg(long, default_value_t = 100)]
    pub pairs: usize,
    /// S3: members of the group, all connected.
    #[arg(long, default_value_t = 100)]
    pub group_size: usize,
    /// S3: members that send.
    #[arg(long, default_value_t = 4)]
    pub senders: usize,
    /// S1: idle connections (default 10,000); S5: connections opened (default 2,000).
    #[arg(long)]
    pub conns: Option<usize>,
    /// S1, S5 on Parley: sockets per user (stay under PARLEY_MAX_SOCKETS_PER_USER).
    #[arg(long, default_value_t = 10)]
    pub sockets_per_user: usize,
    /// Sockets opened at once.
    #[arg(long, default_value_t = 200)]
    pub concurrency: usize,
    /// Accounts made at once (each costs the server two argon2 hashes).
    #[arg(long, default_value_t = 4)]
    pub setup_concurrency: usize,
    /// S6: conversations of the reading user.
    #[arg(long, default_value_t = 1000)]
    pub conversations: usize,
    /// S6: groups each owner creates (stay under MAX_OWNED_GROUPS).
    #[arg(long, default_value_t = 5)]
    pub owned_per_user: usize,
    /// S6: timed `GET /api/conversations` calls.
    #[arg(long, default_value_t = 50)]
    pub requests: usize,
    /// S7: logins after the first.
    #[arg(long, default_value_t = 1000)]
    pub logins: usize,
    /// S7: logins at once.
    #[arg(long, default_value_t = 2)]
    pub login_concurrency: usize,
    /// S1: longest wait for the server's RSS to settle, seconds.
    #[arg(long, default_value_t = 30.0)]
    pub settle_secs: f64,
    /// Prefix of the accounts and groups loadgen makes.
    #[arg(long, default_value = "lg")]
    pub prefix: String,
}

impl Default for Opts {
    fn default() -> Opts {
        #[derive(clap::Parser)]
        struct Wrap {
            #[command(flatten)]
            opts: Opts,
        }
        // Every option has a default, so parsing no arguments cannot fail.
        <Wrap as clap::Parser>::try_parse_from(["loadgen"])
            .map(|w| w.opts)
            .unwrap_or_else(|e| panic!("loadgen's own defaults do not parse: {e}"))
    }
}

impl Opts {
    fn target(&self) -> Result<Target> {
        Target::new(self.system, &self.url)
    }

    fn parley<'a>(&self, target: &'a Target) -> Result<Parley<'a>> {
        Parley::new(
            target,
            self.state.clone(),
            self.setup_concurrency,
            self.quiet,
        )
    }

    fn names(&self, what: &str, n: usize) -> Vec<String> {
        (0..n)
            .map(|i| format!("{}_{what}{i}", self.prefix))
            .collect()
    }

    fn rss(&self) -> Option<u64> {
        self.server_pid.and_then(|pid| rss_kib(pid).ok())
    }
}

/// Opens one socket per entry (as `who`, user id), `concurrency` at a time, in order;
/// failed ones are `None` (and counted) and each comes with its handshake time.
async fn open_all(
    shared: &Arc<Shared>,
    target: &Target,
    whos: Vec<(Who, i64)>,
    concurrency: usize,
    quiet: bool,
) -> Vec<(Option<Conn>, Duration)> {
    let bar = Progress::new(whos.len() as u64, "connecting", quiet);
    let out = stream::iter(whos.into_iter().enumerate())
        .map(|(i, (who, user))| {
            let bar = &bar;
            async move {
                let t0 = Instant::now();
                let conn = Conn::open(shared, target, &who, user, i).await.ok();
                bar.inc(1);
                (conn, t0.elapsed())
            }
        })
        .buffered(concurrency.max(1))
        .collect()
        .await;
    bar.finish();
    out
}

/// Every socket open, or an error saying how many failed.
fn all_open(opened: Vec<(Option<Conn>, Duration)>) -> Result<Vec<Conn>> {
    let total = opened.len();
    let conns: Vec<Conn> = opened.into_iter().filter_map(|(c, _)| c).collect();
    if conns.len() != total {
        bail!(
            "only {} of {total} sockets opened (caps: PARLEY_MAX_SOCKETS*, ulimit -n)",
            conns.len()
        );
    }
    Ok(conns)
}

/// S2 or S3: the steps run, the one reported and the highest passing rate (search only).
#[derive(Clone, Debug, Serialize)]
pub struct TrafficResult {
    /// "s2" or "s3".
    pub scenario: String,
    /// The system.
    pub system: System,
    /// S2: pairs; S3: group size.
    pub size: usize,
    /// Connections open during the run.
    pub connections: usize,
    /// Every step, in order.
    pub steps: Vec<StepResult>,
    /// The fixed-rate step, or the best passing step of a search (else the last).
    pub result: StepResult,
    /// With `find_max`: the highest offered rate that passed (None: none did).
    pub max_rate: Option<f64>,
    /// Errors over the whole run.
    pub errors: Errors,
}

impl TrafficResult {
    /// The plain-text table.
    pub fn table(&self) -> String {
        let r = &self.result;
        let what = if self.scenario == "s2" {
            format!("{} pairs", self.size)
        } else {
            format!("group of {}", self.size)
        };
        let mut rows: Vec<(String, String)> = vec![
            ("system".into(), format!("{:?}", self.system).to_lowercase()),
            ("load".into(), what),
            (
                "offered rate".into(),
                format!("{:.0} msg/s", r.offered_rate),
            ),
            ("sent (window)".into(), r.sent.to_string()),
            (
                "acked".into(),
                r.acked.map_or("n/a".into(), |a| a.to_string()),
            ),
            (
                "delivered".into(),
                format!(
                    "{} / {} ({:.3} %)",
                    r.deliveries, r.expected_deliveries, r.delivered_pct
                ),
            ),
            ("messages/s".into(), format!("{:.0}", r.msgs_per_s)),
            ("deliveries/s".into(), format!("{:.0}", r.deliveries_per_s)),
            (
                "ack p50/p99/p999".into(),
                r.ack.as_ref().map_or("n/a".into(), |a| {
                    format!(
                        "{} / {} / {}",
                        ms(Some(a.p50_ms)),
                        ms(Some(a.p99_ms)),
                        ms(Some(a.p999_ms))
                    )
                }),
            ),
            (
                if self.scenario == "s2" {
                    "delivery p50/p99/p999".into()
                } else {
                    "last recipient p50/p99/p999".into()
                },
                format!(
                    "{} / {} / {}",
                    ms(Some(r.delivery.p50_ms)),
                    ms(Some(r.delivery.p99_ms)),
                    ms(Some(r.delivery.p999_ms))
                ),
            ),
            ("holds (p99<=100ms, >=99.9%)".into(), r.passed.to_string()),
        ];
        if !self.steps.is_empty() && self.steps.len() > 1 {
            rows.push((
                "max rate".into(),
                self.max_rate
                    .map_or("none passed".into(), |m| format!("{m:.0} msg/s")),
            ));
            for s in &self.steps {
                rows.push((
                    format!("  step {:.0}/s", s.offered_rate),
                    format!(
                        "{:.3} % delivered, p99 {}, {}",
                        s.delivered_pct,
                        ms(Some(s.delivery.p99_ms)),
                        if s.passed { "pass" } else { "fail" }
                    ),
                ));
            }
        }
        rows.push(("errors".into(), errors_line(&self.errors)));
        table(
            &format!(
                "{} ({})",
                self.scenario.to_uppercase(),
                what_title(&self.scenario)
            ),
            &rows,
        )
    }
}

fn what_title(s: &str) -> &'static str {
    match s {
        "s2" => "1:1 pairs",
        "s3" => "group fan-out",
        _ => "",
    }
}

fn errors_line(e: &Errors) -> String {
    let mut s = format!(
        "connect {} / socket {} / closed by server {} / send {} / unreadable {} / late {} / overflow {}",
        e.connect_failures, e.socket_errors, e.closed_by_server, e.send_errors, e.unreadable, e.late, e.overflow
    );
    for (code, n) in &e.refusals {
        s.push_str(&format!(" / refused {code} {n}"));
    }
    s
}

async fn drive(
    shared: &Arc<Shared>,
    conns: &[Conn],
    senders: &[SenderSpec],
    expected: u32,
    o: &Opts,
) -> (Vec<StepResult>, StepResult, Option<f64>) {
    let acks = o.system == System::Parley;
    let plan = |rate: f64, duration: f64| StepPlan {
        rate,
        warmup: o.warmup,
        duration,
        drain: o.drain,
        expected,
        acks,
    };
    if !o.find_max {
        let r = traffic::step(shared, conns, senders, plan(o.rate, o.duration), o.quiet).await;
        return (vec![r.clone()], r, None);
    }
    let mut steps: Vec<StepResult> = Vec::new();
    let mut best: Option<StepResult> = None;
    let mut fail: Option<f64> = None;
    let mut rate = o.rate.max(1.0);
    for _ in 0..o.max_steps.max(1) {
        let r = traffic::step(shared, conns, senders, plan(rate, o.step_secs), o.quiet).await;
        if !o.quiet {
            eprintln!(
                "step {rate:.0} msg/s: {:.3} % delivered, p99 {:.2} ms -> {}",
                r.delivered_pct,
                r.delivery.p99_ms,
                if r.passed { "pass" } else { "fail" }
            );
        }
        if r.passed {
            if best
                .as_ref()
                .is_none_or(|b| r.offered_rate > b.offered_rate)
            {
                best = Some(r.clone());
            }
        } else {
            fail = Some(fail.map_or(rate, |f: f64| f.min(rate)));
            // Let a server that fell behind work off its backlog before the next step.
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        steps.push(r);
        let lo = best.as_ref().map(|b| b.offered_rate);
        rate = match (lo, fail) {
            (_, None) => rate * 2.0,
            (Some(lo), Some(hi)) if hi / lo <= 1.1 => break,
            (Some(lo), Some(hi)) => (lo + hi) / 2.0,
            (None, Some(hi)) if hi < 2.0 => break,
            (None, Some(hi)) => hi / 2.0,
        };
    }
    let max_rate = best.as_ref().map(|b| b.offered_rate);
    let result = best.or_else(|| steps.last().cloned()).unwrap_or_default();
    (steps, result, max_rate)
}

/// S2: `pairs` friend pairs, one socket per user, each user sending to its partner; the
/// offered rate is spread over all 2 x pairs senders.
pub async fn s2(o: &Opts) -> Result<TrafficResult> {
    let target = o.target()?;
    let shared = Shared::new(o.system);
    let n = o.pairs.max(1) * 2;
    let (whos, ids): (Vec<(Who, i64)>, Vec<i64>) = match o.system {
        System::Parley => {
            let parley = o.parley(&target)?;
            let accs = parley.users(&o.names("u", n)).await?;
            let pairs: Vec<(Account, Account)> = accs
                .chunks(2)
                .filter_map(|c| Some((c.first()?.clone(), c.get(1)?.clone())))
                .collect();
            parley.befriend(&pairs).await?;
            accs.iter()
                .map(|a| ((Who::Token(a.token.clone()), a.id), a.id))
                .unzip()
        }
        System::Peer => (1..=n as i64).map(|id| ((Who::PeerId(id), id), id)).unzip(),
    };
    let conns = all_open(open_all(&shared, &target, whos, o.concurrency, o.quiet).await)?;
    // Presence and notices of the new sockets go out first.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let senders: Vec<SenderSpec> = (0..n)
        .map(|i| SenderSpec {
            conn: i,
            from: ids[i],
            route: Route {
                cmd: 10,
                dst: ids[i ^ 1],
            },
        })
        .collect();
    let (steps, result, max_rate) = drive(&shared, &conns, &senders, 1, o).await;
    let connections = conns.len();
    drop(conns);
    Ok(TrafficResult {
        scenario: "s2".into(),
        system: o.system,
        size: o.pairs,
        connections,
        steps,
        result,
        max_rate,
        errors: shared.counters.snapshot(),
    })
}

/// S3: a group of `group_size` members, all connected once; `senders` of them send to it.
/// Each message is expected at every other member's socket.
pub async fn s3(o: &Opts) -> Result<TrafficResult> {
    let target = o.target()?;
    let shared = Shared::new(o.system);
    let n = o.group_size.max(2);
    let (whos, ids, gid): (Vec<(Who, i64)>, Vec<i64>, i64) = match o.system {
        System::Parley => {
            let parley = o.parley(&target)?;
            let accs = parley.users(&o.names("u", n)).await?;
            let gid = parley.group(&format!("{}-g{n}", o.prefix), &accs).await?;
            let (w, i) = accs
                .iter()
                .map(|a| ((Who::Token(a.token.clone()), a.id), a.id))
                .unzip();
            (w, i, gid)
        }
        System::Peer => {
            let ids: Vec<i64> = (1..=n as i64).collect();
            let gid = n as i64;
            setup::peer_join(&target, gid, &ids).await?;
            (
                ids.iter().map(|&id| (Who::PeerId(id), id)).collect(),
                ids,
                gid,
            )
        }
    };
    let conns = all_open(open_all(&shared, &target, whos, o.concurrency, o.quiet).await)?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let senders: Vec<SenderSpec> = (0..o.senders.clamp(1, n))
        .map(|i| SenderSpec {
            conn: i,
            from: ids[i],
            route: Route { cmd: 11, dst: gid },
        })
        .collect();
    let expected = u32::try_from(n - 1).context("group too large")?;
    let (steps, result, max_rate) = drive(&shared, &conns, &senders, expected, o).await;
    let connections = conns.len();
    drop(conns);
    Ok(TrafficResult {
        scenario: "s3".into(),
        system: o.system,
        size: n,
        connections,
        steps,
        result,
        max_rate,
        errors: shared.counters.snapshot(),
    })
}

/// The sockets of S1 and S5: Parley accounts with `sockets_per_user` each, or peer ids.
async fn socket_owners(o: &Opts, target: &Target, n: usize) -> Result<Vec<(Who, i64)>> {
    Ok(match o.system {
        System::Parley => {
            let per = o.sockets_per_user.max(1);
            let parley = o.parley(target)?;
            let accs = parley.users(&o.names("u", n.div_ceil(per))).await?;
            (0..n)
                .filter_map(|i| accs.get(i / per))
                .map(|a| (Who::Token(a.token.clone()), a.id))
                .collect()
        }
        System::Peer => (1..=n as i64).map(|id| (Who::PeerId(id), id)).collect(),
    })
}

/// S1: server memory per idle connection.
#[derive(Clone, Debug, Serialize)]
pub struct IdleResult {
    /// The system.
    pub system: System,
    /// Connections asked for.
    pub requested: usize,
    /// Connections opened.
    pub opened: usize,
    /// Still open after the RSS settled.
    pub alive: usize,
    /// Server RSS before opening any, KiB.
    pub rss_before_kib: Option<u64>,
    /// Server RSS with them all open, once settled, KiB.
    pub rss_after_kib: Option<u64>,
    /// (after - before) / opened, KiB.
    pub per_conn_kib: Option<f64>,
    /// Seconds the opening took.
    pub open_secs: f64,
    /// Errors.
    pub errors: Errors,
}

impl IdleResult {
    /// The plain-text table.
    pub fn table(&self) -> String {
        let kib = |v: Option<u64>| v.map_or("n/a".into(), |v| format!("{v} KiB"));
        table(
            "S1 (idle connections)",
            &[
                ("system".into(), format!("{:?}", self.system).to_lowercase()),
                (
                    "opened".into(),
                    format!("{} / {}", self.opened, self.requested),
                ),
                ("alive after settling".into(), self.alive.to_string()),
                ("server RSS before".into(), kib(self.rss_before_kib)),
                ("server RSS with all open".into(), kib(self.rss_after_kib)),
                (
                    "RSS per connection".into(),
                    self.per_conn_kib
                        .map_or("n/a (no --server-pid)".into(), |v| format!("{v:.2} KiB")),
                ),
                ("errors".into(), errors_line(&self.errors)),
            ],
        )
    }
}

/// S1: opens `conns` (default 10,000) idle sockets and reports the server's RSS growth per
/// socket, once the RSS has settled.
pub async fn s1(o: &Opts) -> Result<IdleResult> {
    let target = o.target()?;
    let shared = Shared::new(o.system);
    let n = o.conns.unwrap_or(10_000);
    let whos = socket_owners(o, &target, n).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_before = o.rss();
    let t0 = Instant::now();
    let conns: Vec<Conn> = open_all(&shared, &target, whos, o.concurrency, o.quiet)
        .await
        .into_iter()
        .filter_map(|(c, _)| c)
        .collect();
    let open_secs = t0.elapsed().as_secs_f64();
    // Settled: the last four samples, 500 ms apart, within 0.5 % of each other.
    let mut samples: Vec<u64> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs_f64(o.settle_secs.max(1.0));
    let rss_after = if o.server_pid.is_some() {
        while Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let Some(v) = o.rss() else { break };
            samples.push(v);
            if let Some(last4) = samples.rchunks(4).next().filter(|c| c.len() == 4) {
                let (lo, hi) = (
                    last4.iter().min().copied().unwrap_or(0),
                    last4.iter().max().copied().unwrap_or(0),
                );
                if (hi - lo) as f64 <= hi as f64 * 0.005 {
                    break;
                }
            }
        }
        samples.last().copied()
    } else {
        tokio::time::sleep(Duration::from_secs(1)).await;
        None
    };
    let alive = conns.iter().filter(|c| c.is_alive()).count();
    let opened = conns.len();
    let per_conn_kib = match (rss_before, rss_after) {
        (Some(b), Some(a)) if opened > 0 => Some((a as f64 - b as f64) / opened as f64),
        _ => None,
    };
    drop(conns);
    Ok(IdleResult {
        system: o.system,
        requested: n,
        opened,
        alive,
        rss_before_kib: rss_before,
        rss_after_kib: rss_after,
        per_conn_kib,
        open_secs,
        errors: shared.counters.snapshot(),
    })
}

/// S5: connection storm.
#[derive(Clone, Debug, Serialize)]
pub struct StormResult {
    /// The system.
    pub system: System,
    /// Sockets asked for.
    pub requested: usize,
    /// Sockets opened.
    pub opened: usize,
    /// Opened at once.
    pub concurrency: usize,
    /// Seconds from the first connect to the last handshake.
    pub elapsed_s: f64,
    /// opened / elapsed.
    pub handshakes_per_s: f64,
    /// Connect + handshake time of one socket.
    pub handshake: Latency,
    /// Errors.
    pub errors: Errors,
}

impl StormResult {
    /// The plain-text table.
    pub fn table(&self) -> String {
        table(
            "S5 (connection storm)",
            &[
                ("system".into(), format!("{:?}", self.system).to_lowercase()),
                (
                    "opened".into(),
                    format!("{} / {}", self.opened, self.requested),
                ),
                ("concurrency".into(), self.concurrency.to_string()),
                ("elapsed".into(), format!("{:.3} s", self.elapsed_s)),
                (
                    "handshakes/s".into(),
                    format!("{:.0}", self.handshakes_per_s),
                ),
                (
                    "handshake p50/p99".into(),
                    format!(
                        "{} / {}",
                        ms(Some(self.handshake.p50_ms)),
                        ms(Some(self.handshake.p99_ms))
                    ),
                ),
                ("errors".into(), errors_line(&self.errors)),
            ],
        )
    }
}

fn latency_of(samples: impl IntoIterator<Item = Duration>) -> Latency {
    let mut h = Hist::default();
    for d in samples {
        h.record_ns(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    }
    h.latency()
}

/// S5: with every token ready, opens `conns` (default 2,000) sockets `concurrency` at a time
/// and reports handshakes per second.
pub async fn s5(o: &Opts) -> Result<StormResult> {
    let target = o.target()?;
    let shared = Shared::new(o.system);
    let n = o.conns.unwrap_or(2_000);
    let whos = socket_owners(o, &target, n).await?;
    let t0 = Instant::now();
    let opened = open_all(&shared, &target, whos, o.concurrency, o.quiet).await;
    let elapsed = t0.elapsed().as_secs_f64();
    let handshake = latency_of(opened.iter().filter(|(c, _)| c.is_some()).map(|(_, d)| *d));
    let ok = opened.iter().filter(|(c, _)| c.is_some()).count();
    drop(opened);
    Ok(StormResult {
        system: o.system,
        requested: n,
        opened: ok,
        concurrency: o.concurrency,
        elapsed_s: elapsed,
        handshakes_per_s: ok as f64 / elapsed.max(1e-9),
        handshake,
        errors: shared.counters.snapshot(),
    })
}

/// S6: history sync.
#[derive(Clone, Debug, Serialize)]
pub struct HistoryResult {
    /// Conversations the list returned.
    pub conversations: usize,
    /// Timed calls.
    pub requests: usize,
    /// `GET /api/conversations` latency.
    pub latency: Latency,
}

impl HistoryResult {
    /// The plain-text table.
    pub fn table(&self) -> String {
        table(
            "S6 (history sync: GET /api/conversations)",
            &[
                ("conversations".into(), self.conversations.to_string()),
                ("requests".into(), self.requests.to_string()),
                (
                    "p50 / p99 / max".into(),
                    format!(
                        "{} / {} / {}",
                        ms(Some(self.latency.p50_ms)),
                        ms(Some(self.latency.p99_ms)),
                        ms(Some(self.latency.max_ms))
                    ),
                ),
            ],
        )
    }
}

/// S6: a user in `conversations` conversations (groups made once and reused) times
/// `GET /api/conversations`, `requests` calls one after another.
pub async fn s6(o: &Opts) -> Result<HistoryResult> {
    if o.system != System::Parley {
        bail!("S6 measures Parley's history API; the peer hubs keep no history");
    }
    let target = o.target()?;
    let parley = o.parley(&target)?;
    let per = o.owned_per_user.max(1);
    let mut names = vec![format!("{}_hist", o.prefix)];
    names.extend(o.names("u", o.conversations.div_ceil(per)));
    let accs = parley.users(&names).await?;
    let (reader, owners) = accs.split_first().context("no reader")?;
    parley.history(reader, owners, per, o.conversations).await?;
    // Two calls untimed: connection set-up and cold caches are not what is measured.
    for _ in 0..2 {
        parley.conversations(reader).await?;
    }
    let mut took = Vec::with_capacity(o.requests);
    let mut count = 0;
    for _ in 0..o.requests.max(1) {
        let (n, d) = parley.conversations(reader).await?;
        count = n;
        took.push(d);
    }
    Ok(HistoryResult {
        conversations: count,
        requests: took.len(),
        latency: latency_of(took),
    })
}

/// S7: server memory across logins.
#[derive(Clone, Debug, Serialize)]
pub struct LoginMemoryResult {
    /// Server RSS before the first login, KiB.
    pub rss_before_kib: Option<u64>,
    /// After the first login, KiB.
    pub rss_first_login_kib: Option<u64>,
    /// After `logins` more, KiB.
    pub rss_after_kib: Option<u64>,
    /// Logins after the first.
    pub logins: usize,
    /// after - first, KiB.
    pub growth_kib: Option<i64>,
    /// Seconds the logins took.
    pub elapsed_s: f64,
}

impl LoginMemoryResult {
    /// The plain-text table.
    pub fn table(&self) -> String {
        let kib = |v: Option<u64>| v.map_or("n/a (no --server-pid)".into(), |v| format!("{v} KiB"));
        table(
            "S7 (memory across logins)",
            &[
                ("RSS before".into(), kib(self.rss_before_kib)),
                (
                    "RSS after the first login".into(),
                    kib(self.rss_first_login_kib),
                ),
                (
                    format!("RSS after {} more", self.logins),
                    kib(self.rss_after_kib),
                ),
                (
                    "growth".into(),
                    self.growth_kib.map_or("n/a".into(), |g| {
                        format!("{g} KiB ({:.1} MiB)", g as f64 / 1024.0)
                    }),
                ),
                (
                    "logins/s".into(),
                    format!("{:.1}", self.logins as f64 / self.elapsed_s.max(1e-9)),
                ),
            ],
        )
    }
}

/// S7: RSS after one login, then after `logins` more (a few users logging in again,
/// `login_concurrency` at a time). Run it against a freshly started server whose users
/// already exist (from the state file) for "the first login" to be the process's first.
pub async fn s7(o: &Opts) -> Result<LoginMemoryResult> {
    if o.system != System::Parley {
        bail!("S7 measures Parley's logins; the peer hubs have none");
    }
    let target = o.target()?;
    let parley = o.parley(&target)?;
    let names = o.names("m", 4);
    parley.users(&names).await?;
    let settle = || tokio::time::sleep(Duration::from_millis(500));
    settle().await;
    let rss_before = o.rss();
    parley.fresh_login(&names[0]).await?;
    settle().await;
    let rss_first = o.rss();
    let bar = Progress::new(o.logins as u64, "logins", o.quiet);
    let t0 = Instant::now();
    let results: Vec<Result<String>> = stream::iter(0..o.logins)
        .map(|i| {
            let (parley, names, bar) = (&parley, &names, &bar);
            async move {
                let r = parley.fresh_login(&names[i % names.len()]).await;
                bar.inc(1);
                r
            }
        })
        .buffer_unordered(o.login_concurrency.max(1))
        .collect()
        .await;
    let elapsed = t0.elapsed().as_secs_f64();
    bar.finish();
    if let Some(Err(e)) = results.into_iter().find(|r| r.is_err()) {
        return Err(e.context("a login failed"));
    }
    settle().await;
    let rss_after = o.rss();
    Ok(LoginMemoryResult {
        rss_before_kib: rss_before,
        rss_first_login_kib: rss_first,
        rss_after_kib: rss_after,
        logins: o.logins,
        growth_kib: rss_first.zip(rss_after).map(|(f, a)| a as i64 - f as i64),
        elapsed_s: elapsed,
    })
}

/// Any scenario's result, tagged with its name (the JSON file's shape).
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Outcome {
    /// S1.
    S1(IdleResult),
    /// S2.
    S2(TrafficResult),
    /// S3.
    S3(TrafficResult),
    /// S5.
    S5(StormResult),
    /// S6.
    S6(HistoryResult),
    /// S7.
    S7(LoginMemoryResult),
}

impl Outcome {
    /// The plain-text table.
    pub fn table(&self) -> String {
        match self {
            Outcome::S1(r) => r.table(),
            Outcome::S2(r) | Outcome::S3(r) => r.table(),
            Outcome::S5(r) => r.table(),
            Outcome::S6(r) => r.table(),
            Outcome::S7(r) => r.table(),
        }
    }

    /// Writes the JSON file.
    pub fn write_json(&self, path: &std::path::Path) -> Result<()> {
        report::write_json(path, self)
    }
}

//! Several real `parley` processes on one PostgreSQL database with a private Redis between
//! them: delivery, presence, typing, read marks, logout and caps across nodes; a node killed
//! while its users send; Redis stopped mid-chat.

use crate::common::cluster::{members, Member, Node, NodeEnv, Pg, Redis};
use crate::common::text;
use crate::common::ws::Ws;
use app::protocol::frame::Frame;
use reqwest::Method;
use serde_json::{json, Value};
use server::store::Store;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

/// A cluster of `n` nodes sharing a fresh database and a private Redis.
struct Cluster {
    nodes: Vec<Node>,
    redis: Redis,
    pg: Option<Pg>,
    store: Store,
}

impl Cluster {
    async fn start(n: usize, extra: &[(&str, &str)]) -> Cluster {
        let redis = Redis::start().await;
        let pg = Pg::create().await;
        let env = NodeEnv {
            database_url: pg.url.clone(),
            redis_url: redis.url(),
            extra: [
                ("PARLEY_PRESENCE_GRACE_MS", "300"),
                ("PARLEY_NODE_TTL_MS", "2000"),
            ]
            .iter()
            .chain(extra)
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        };
        // The first node migrates; the others start on the migrated database.
        let mut nodes = vec![Node::start(&env).await];
        for _ in 1..n {
            nodes.push(Node::start(&env).await);
        }
        let store = Store::connect(&pg.url, None).await.unwrap();
        Cluster {
            nodes,
            redis,
            pg: Some(pg),
            store,
        }
    }

    fn base(&self, i: usize) -> &str {
        &self.nodes[i % self.nodes.len()].base
    }

    async fn stop(mut self) {
        self.nodes.clear();
        self.store.clone().close().await.unwrap();
        if let Some(pg) = self.pg.take() {
            pg.cleanup().await;
        }
    }
}

/// Reads frames until one satisfies `pred`; panics after `wait`.
async fn until(ws: &mut Ws, wait: Duration, what: &str, pred: impl Fn(&Frame) -> bool) -> Frame {
    let deadline = Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match ws.try_recv(left).await {
            Some(f) if pred(&f) => return f,
            Some(_) => {}
            None => panic!("{what}: not within {wait:?}"),
        }
    }
}

async fn befriend(base: &str, a: &Member, b: &Member) {
    let res = a
        .call(
            base,
            Method::POST,
            "/api/friends",
            Some(json!({"user_id": b.id})),
        )
        .await;
    assert_eq!(res.status(), 202, "friend request");
    let res = b
        .call(
            base,
            Method::POST,
            &format!("/api/friends/requests/{}/accept", a.id),
            None,
        )
        .await;
    assert_eq!(res.status(), 200, "accept");
}

/// Every message of a conversation, in seq order, through the REST history.
async fn history(base: &str, who: &Member, conv: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut after = 0;
    loop {
        let res = who
            .call(
                base,
                Method::GET,
                &format!("/api/conversations/{conv}/messages?after={after}&limit=100"),
                None,
            )
            .await;
        assert_eq!(res.status(), 200, "history");
        let page: Vec<Value> = res.json().await.unwrap();
        let Some(last) = page.last() else {
            return all;
        };
        after = last["seq"].as_i64().unwrap();
        all.extend(page);
    }
}

fn pconv(a: &Member, b: &Member) -> String {
    format!("p:{}:{}", a.id.min(b.id), a.id.max(b.id))
}

#[tokio::test]
async fn friends_on_different_nodes_chat_see_presence_typing_and_reads_and_logout_closes_everywhere(
) {
    let c = Cluster::start(2, &[]).await;
    let ppl = members(&c.store, "pal", 2).await;
    let (alice, bob) = (&ppl[0], &ppl[1]);
    befriend(c.base(0), alice, bob).await;

    let mut a = Ws::connect(c.base(0), &alice.token).await;
    // Bob comes online on the other node: Alice hears it.
    let mut b = Ws::connect(c.base(1), &bob.token).await;
    until(&mut a, Duration::from_secs(5), "bob online", |f| {
        f.cmd == 13 && f.userid == bob.id && f.content == "online"
    })
    .await;
    // The friend list on Alice's node agrees.
    let friends: Value = alice
        .call(c.base(0), Method::GET, "/api/friends", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(friends[0]["online"], true, "{friends}");

    a.send(&text(10, bob.id, "a1", "hello from node 0")).await;
    let ack = until(&mut a, Duration::from_secs(5), "ack", |f| f.cmd == 1).await;
    assert_eq!(ack.cid, "a1");
    let got = until(&mut b, Duration::from_secs(5), "delivery", |f| f.cmd == 10).await;
    assert_eq!(
        (got.userid, got.content.as_str(), got.seq),
        (alice.id, "hello from node 0", 1)
    );

    b.send(&text(10, alice.id, "b1", "hi from node 1")).await;
    let got = until(&mut a, Duration::from_secs(5), "reply", |f| f.cmd == 10).await;
    assert_eq!((got.userid, got.seq), (bob.id, 2));

    // Typing and read receipts relay across nodes.
    b.send(&Frame {
        cmd: 16,
        dstid: alice.id,
        ..Frame::default()
    })
    .await;
    until(&mut a, Duration::from_secs(5), "typing", |f| {
        f.cmd == 16 && f.userid == bob.id
    })
    .await;
    b.send(&Frame {
        cmd: 15,
        conv: pconv(alice, bob),
        seq: 2,
        ..Frame::default()
    })
    .await;
    until(&mut a, Duration::from_secs(5), "read receipt", |f| {
        f.cmd == 15 && f.seq == 2
    })
    .await;

    // A message to Bob from the node he is not on, while he has a second socket on the
    // first node: both get it once.
    let mut b2 = Ws::connect(c.base(0), &bob.token).await;
    a.send(&text(10, bob.id, "a2", "both devices")).await;
    for ws in [&mut b, &mut b2] {
        let got = until(ws, Duration::from_secs(5), "to both devices", |f| {
            f.cmd == 10
        })
        .await;
        assert_eq!(got.cid, "a2");
    }
    drop(b2);

    // Logging out on node 0 closes Bob's socket on node 1, and Alice hears him go.
    let res = bob.call(c.base(0), Method::POST, "/api/logout", None).await;
    assert!(res.status().is_success());
    assert_eq!(b.close_code(Duration::from_secs(5)).await, Some(4001));
    until(&mut a, Duration::from_secs(5), "bob offline", |f| {
        f.cmd == 13 && f.userid == bob.id && f.content == "offline"
    })
    .await;

    // Each message once in the database, seq gap-free.
    let h = history(c.base(1), alice, &pconv(alice, bob)).await;
    let seqs: Vec<i64> = h.iter().map(|m| m["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, vec![1, 2, 3]);
    assert!(c.nodes[0].metric("parley_bus_publishes_total").await > 0);
    assert!(c.nodes[1].metric("parley_bus_receipts_total").await > 0);
    c.stop().await;
}

#[tokio::test]
async fn a_group_of_200_spread_over_three_nodes_gets_every_message_once() {
    let c = Cluster::start(3, &[]).await;
    let ppl = members(&c.store, "m", 200).await;
    let res = ppl[0]
        .call(
            c.base(0),
            Method::POST,
            "/api/groups",
            Some(json!({"name": "Everyone"})),
        )
        .await;
    assert_eq!(res.status(), 201);
    let gid = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    // Joins through every node: the other nodes' caches must learn of them.
    for (i, m) in ppl.iter().enumerate().skip(1) {
        let res = m
            .call(
                c.base(i),
                Method::POST,
                &format!("/api/groups/{gid}/join"),
                None,
            )
            .await;
        assert!(res.status().is_success(), "join: {}", res.status());
    }
    let mut socks = Vec::new();
    for (i, m) in ppl.iter().enumerate() {
        socks.push(Ws::messages_only(c.base(i), &m.token).await);
    }
    // What the nodes received before the messages (presence and cache notices).
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut before = Vec::new();
    for node in &c.nodes {
        before.push(node.metric("parley_bus_receipts_total").await);
    }
    // Senders on each node, right after the joins (no waiting for caches).
    let senders = [1usize, 2, 3];
    let per_sender = 5;
    for round in 0..per_sender {
        for &s in &senders {
            socks[s]
                .send(&text(11, gid, &format!("s{s}-{round}"), "to all"))
                .await;
        }
    }
    let mut expected: HashSet<String> = HashSet::new();
    for &s in &senders {
        for round in 0..per_sender {
            expected.insert(format!("s{s}-{round}"));
        }
    }
    let total = expected.len();
    for (i, ws) in socks.iter_mut().enumerate() {
        let mine = if senders.contains(&i) { per_sender } else { 0 };
        let mut got = HashMap::new();
        let mut acks = 0;
        while got.len() < total - mine || acks < mine {
            let f = ws
                .try_recv(Duration::from_secs(10))
                .await
                .unwrap_or_else(|| panic!("member {i}: {} of {} messages", got.len(), total));
            match f.cmd {
                1 => acks += 1,
                11 => {
                    assert!(
                        got.insert(f.cid.clone(), f.seq).is_none(),
                        "member {i} got {} twice",
                        f.cid
                    );
                }
                other => panic!("member {i}: unexpected cmd {other}"),
            }
        }
        let own: HashSet<String> = (0..mine).map(|r| format!("s{i}-{r}")).collect();
        let want: HashSet<String> = expected.difference(&own).cloned().collect();
        assert_eq!(
            got.keys().cloned().collect::<HashSet<_>>(),
            want,
            "member {i}"
        );
    }
    let h = history(c.base(2), &ppl[0], &format!("g:{gid}")).await;
    let seqs: Vec<i64> = h.iter().map(|m| m["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=total as i64).collect::<Vec<_>>());
    // A node receives a message once (with the list of its recipients), whatever its
    // number of members: per-user channels would mean about 66 copies of each.
    for (node, before) in c.nodes.iter().zip(before) {
        let receipts = node.metric("parley_bus_receipts_total").await - before;
        assert!(
            receipts <= total as u64,
            "{receipts} receipts for {total} messages"
        );
    }
    c.stop().await;
}

/// One member's view: what arrived live, by seq.
#[derive(Default)]
struct View {
    live: BTreeMap<i64, String>,
}

#[tokio::test]
async fn sigkill_a_node_while_its_users_send_loses_nothing_acked() {
    let mut c = Cluster::start(3, &[]).await;
    let ppl = members(&c.store, "k", 12).await;
    let res = ppl[0]
        .call(
            c.base(0),
            Method::POST,
            "/api/groups",
            Some(json!({"name": "K"})),
        )
        .await;
    let gid = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    for m in &ppl[1..] {
        let res = m
            .call(
                c.base(0),
                Method::POST,
                &format!("/api/groups/{gid}/join"),
                None,
            )
            .await;
        assert!(res.status().is_success());
    }
    // A friend of member 2 (on the doomed node) who watches presence from node 0.
    let watcher = &members(&c.store, "watch", 1).await[0];
    befriend(c.base(0), watcher, &ppl[2]).await;

    // Member i on node i % 3; node 2 dies.
    let mut w = Ws::connect(c.base(0), &watcher.token).await;
    let mut socks: Vec<Ws> = Vec::new();
    for (i, m) in ppl.iter().enumerate() {
        socks.push(Ws::messages_only(c.base(i), &m.token).await);
    }
    until(&mut w, Duration::from_secs(5), "online", |f| {
        f.cmd == 13 && f.userid == ppl[2].id && f.content == "online"
    })
    .await;

    // Senders: member 2 and 5 (node 2), member 1 (node 1), member 3 (node 0).
    let senders = [1usize, 2, 3, 5];
    let mut acked: HashSet<String> = HashSet::new();
    let mut unacked: HashMap<usize, Vec<String>> = HashMap::new();
    let mut views: Vec<View> = (0..ppl.len()).map(|_| View::default()).collect();
    for round in 0..40 {
        if round == 20 {
            c.nodes[2].kill();
        }
        for &s in &senders {
            let cid = format!("k{s}-{round}");
            if socks[s]
                .send_or_fail(&text(11, gid, &cid, "busy"))
                .await
                .is_ok()
            {
                unacked.entry(s).or_default().push(cid);
            }
        }
        // Collect what is there without waiting long.
        for (i, ws) in socks.iter_mut().enumerate() {
            while let Some(f) = ws.try_recv(Duration::from_millis(5)).await {
                match f.cmd {
                    1 => {
                        acked.insert(f.cid.clone());
                        if let Some(list) = unacked.get_mut(&i) {
                            list.retain(|c| *c != f.cid);
                        }
                    }
                    11 => {
                        views[i].live.insert(f.seq, f.cid);
                    }
                    _ => {}
                }
            }
        }
    }
    // The killed node's members reconnect to node 0 and resend what was never acked,
    // with the same cids, as the browser's outbox does.
    for (i, m) in ppl.iter().enumerate() {
        if i % 3 != 2 {
            continue;
        }
        socks[i] = Ws::messages_only(c.base(0), &m.token).await;
        for cid in unacked.get(&i).cloned().unwrap_or_default() {
            socks[i].send(&text(11, gid, &cid, "busy")).await;
            let ack = until(&mut socks[i], Duration::from_secs(5), "resend ack", |f| {
                f.cmd == 1 && f.cid == cid
            })
            .await;
            acked.insert(ack.cid);
        }
    }
    // The survivors' outstanding acks.
    for &s in &senders {
        if s % 3 == 2 {
            continue;
        }
        while !unacked.get(&s).is_none_or(|l| l.is_empty()) {
            let f = until(&mut socks[s], Duration::from_secs(5), "ack", |f| {
                f.cmd == 1 || f.cmd == 11
            })
            .await;
            if f.cmd == 1 {
                acked.insert(f.cid.clone());
                if let Some(list) = unacked.get_mut(&s) {
                    list.retain(|c| *c != f.cid);
                }
            } else {
                views[s].live.insert(f.seq, f.cid);
            }
        }
    }

    // History: every acked message exactly once, seq gap-free.
    let h = history(c.base(1), &ppl[0], &format!("g:{gid}")).await;
    let seqs: Vec<i64> = h.iter().map(|m| m["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=h.len() as i64).collect::<Vec<_>>(), "gap-free");
    let cids: Vec<String> = h
        .iter()
        .map(|m| m["cid"].as_str().unwrap().to_owned())
        .collect();
    let unique: HashSet<&String> = cids.iter().collect();
    assert_eq!(unique.len(), cids.len(), "no duplicates");
    for cid in &acked {
        assert!(unique.contains(cid), "acked {cid} lost");
    }
    // What came live agrees with history (same cid at each seq), and a member on a
    // surviving node got live every message a surviving node stored; the rest is what its
    // client pulls on the seq gap.
    let by_seq: HashMap<i64, &str> = h
        .iter()
        .map(|m| (m["seq"].as_i64().unwrap(), m["cid"].as_str().unwrap()))
        .collect();
    for (i, ws) in socks.iter_mut().enumerate() {
        while let Some(f) = ws.try_recv(Duration::from_millis(200)).await {
            if f.cmd == 11 {
                views[i].live.insert(f.seq, f.cid);
            }
        }
        for (seq, cid) in &views[i].live {
            assert_eq!(
                by_seq.get(seq).copied(),
                Some(cid.as_str()),
                "member {i} seq {seq}"
            );
        }
        if i % 3 == 2 {
            continue;
        }
        for m in &h {
            let sender = m["userid"].as_i64().unwrap();
            let sender_node = ppl.iter().position(|p| p.id == sender).unwrap() % 3;
            let cid = m["cid"].as_str().unwrap();
            if sender_node != 2 && sender != ppl[i].id {
                assert!(
                    views[i].live.values().any(|c| c == cid),
                    "member {i} missed {cid} live"
                );
            }
        }
    }
    // Member 2 reconnected to another node, so stays online for friends through the dead
    // node's expiry; once they leave, friends hear it.
    let friends: Value = watcher
        .call(c.base(0), Method::GET, "/api/friends", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(friends[0]["online"], true, "member 2 reconnected elsewhere");
    drop(socks);
    until(
        &mut w,
        Duration::from_secs(10),
        "offline after leaving",
        |f| f.cmd == 13 && f.userid == ppl[2].id && f.content == "offline",
    )
    .await;
    c.stop().await;
}

#[tokio::test]
async fn a_dead_nodes_users_go_offline_when_its_heartbeat_expires() {
    let mut c = Cluster::start(2, &[]).await;
    let ppl = members(&c.store, "hb", 2).await;
    befriend(c.base(0), &ppl[0], &ppl[1]).await;
    let mut a = Ws::connect(c.base(0), &ppl[0].token).await;
    let _b = Ws::connect(c.base(1), &ppl[1].token).await;
    until(&mut a, Duration::from_secs(5), "online", |f| {
        f.cmd == 13 && f.userid == ppl[1].id && f.content == "online"
    })
    .await;
    c.nodes[1].kill();
    // No goodbye from the dead node: node 0's heartbeat clears it after the ttl (2 s).
    let started = Instant::now();
    until(&mut a, Duration::from_secs(10), "offline", |f| {
        f.cmd == 13 && f.userid == ppl[1].id && f.content == "offline"
    })
    .await;
    assert!(started.elapsed() >= Duration::from_millis(1000));
    c.stop().await;
}

#[tokio::test]
async fn with_redis_stopped_messages_are_stored_and_delivery_resumes_after() {
    let mut c = Cluster::start(2, &[]).await;
    let ppl = members(&c.store, "r", 3).await;
    let (alice, bob, carol) = (&ppl[0], &ppl[1], &ppl[2]);
    befriend(c.base(0), alice, bob).await;
    befriend(c.base(0), alice, carol).await;
    // Alice watches presence on node 0; Carol is on node 1.
    let mut w = Ws::connect(c.base(0), &alice.token).await;
    let carol_socket = Ws::connect(c.base(1), &carol.token).await;
    until(&mut w, Duration::from_secs(5), "carol online", |f| {
        f.cmd == 13 && f.userid == carol.id && f.content == "online"
    })
    .await;
    let mut a = Ws::messages_only(c.base(0), &alice.token).await;
    let mut b = Ws::messages_only(c.base(1), &bob.token).await;
    a.send(&text(10, bob.id, "before", "x")).await;
    until(&mut a, Duration::from_secs(5), "ack", |f| f.cmd == 1).await;
    until(&mut b, Duration::from_secs(5), "live", |f| f.cmd == 10).await;

    c.redis.stop();
    for node in &c.nodes {
        let h = node.health().await.unwrap();
        assert_ne!(h["database"], "unavailable");
    }
    c.nodes[0].wait_redis("unavailable").await;
    let h = c.nodes[0].health().await.unwrap();
    assert_eq!(h["status"], "degraded", "{h}");
    // Carol leaves while the nodes cannot hear each other.
    drop(carol_socket);
    // Sends keep being stored and acked while Redis is away.
    for i in 0..5 {
        a.send(&text(10, bob.id, &format!("during{i}"), "x")).await;
        let ack = until(&mut a, Duration::from_secs(5), "ack", |f| f.cmd == 1).await;
        assert_eq!(ack.cid, format!("during{i}"));
    }
    // Past the presence grace period, node 1 decides alone that Carol is offline.
    tokio::time::sleep(Duration::from_millis(800)).await;
    c.redis.resume().await;
    for node in &c.nodes {
        node.wait_redis("ok").await;
        assert!(node.metric("parley_bus_reconnects_total").await >= 1);
    }
    // Back in touch, node 0 learns it and tells Alice, who missed it.
    until(
        &mut w,
        Duration::from_secs(10),
        "carol offline after Redis",
        |f| f.cmd == 13 && f.userid == carol.id && f.content == "offline",
    )
    .await;
    // Live delivery resumes; the jump in seq tells Bob's client to pull the gap.
    a.send(&text(10, bob.id, "after", "x")).await;
    let got = until(&mut b, Duration::from_secs(10), "live again", |f| {
        f.cmd == 10 && f.cid == "after"
    })
    .await;
    assert_eq!(got.seq, 7);
    let h = history(c.base(1), bob, &pconv(alice, bob)).await;
    let cids: Vec<&str> = h.iter().map(|m| m["cid"].as_str().unwrap()).collect();
    assert_eq!(
        cids,
        ["before", "during0", "during1", "during2", "during3", "during4", "after"]
    );
    // Presence came back too: a new socket on node 1 is announced to friends on node 0.
    let mut a2 = Ws::connect(c.base(0), &alice.token).await;
    drop(b);
    until(&mut a2, Duration::from_secs(5), "offline", |f| {
        f.cmd == 13 && f.userid == bob.id && f.content == "offline"
    })
    .await;
    let _b = Ws::connect(c.base(1), &bob.token).await;
    until(&mut a2, Duration::from_secs(5), "online", |f| {
        f.cmd == 13 && f.userid == bob.id && f.content == "online"
    })
    .await;
    c.stop().await;
}

#[tokio::test]
async fn socket_caps_and_login_throttling_count_across_nodes() {
    let c = Cluster::start(
        2,
        &[
            ("PARLEY_MAX_SOCKETS_PER_USER", "2"),
            ("PARLEY_LOGIN_MAX_FAILURES", "3"),
            ("PARLEY_LOGIN_MAX_FAILURES_PER_ACCOUNT", "5"),
            ("PARLEY_REGISTER_PER_ADDR_PER_HOUR", "2"),
        ],
    )
    .await;
    let ppl = members(&c.store, "cap", 1).await;
    let _s1 = Ws::connect(c.base(0), &ppl[0].token).await;
    let _s2 = Ws::connect(c.base(1), &ppl[0].token).await;
    // Give node 1's count a moment to reach Redis.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let third = Ws::try_connect(c.base(0), &ppl[0].token).await;
    assert!(
        third.as_ref().is_err_and(|e| e.contains("429")),
        "third socket across nodes must be refused"
    );

    let http = reqwest::Client::new();
    let res = http
        .post(format!("{}/api/register", c.base(0)))
        .json(&json!({"username": "throttled", "password": "right password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let login = |i: usize, pw: &'static str| {
        let http = http.clone();
        let url = format!("{}/api/login", c.base(i));
        async move {
            http.post(url)
                .json(&json!({"username": "throttled", "password": pw}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(login(0, "wrong one").await, 401);
    assert_eq!(login(1, "wrong two").await, 401);
    assert_eq!(login(0, "wrong three").await, 401);
    // The budget is the cluster's: node 1 has seen one failure, yet slows the next...
    assert_eq!(login(1, "wrong four").await, 429);
    // ...though a right password is never refused on an address's count alone; the login
    // marks this device (a cookie) as the account's.
    let phone = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let phone_login = |i: usize, pw: &'static str| {
        let phone = phone.clone();
        let url = format!("{}/api/login", c.base(i));
        async move {
            phone
                .post(url)
                .json(&json!({"username": "throttled", "password": pw}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(phone_login(0, "right password").await, 200);
    // One more failure from elsewhere reaches the account's ceiling for unknown devices,
    // on both nodes; the known device, on the other node, is not slowed.
    let elsewhere = reqwest::Client::builder()
        .local_address("127.0.0.2".parse::<std::net::IpAddr>().ok())
        .build()
        .unwrap();
    let res = elsewhere
        .post(format!("{}/api/login", c.base(0)))
        .json(&json!({"username": "throttled", "password": "wrong five"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let res = elsewhere
        .post(format!("{}/api/login", c.base(1)))
        .json(&json!({"username": "throttled", "password": "right password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    assert_eq!(phone_login(1, "typo").await, 401);
    assert_eq!(phone_login(1, "right password").await, 200);

    // Registrations count across nodes too: this address made one above.
    let register = |i: usize, name: &'static str| {
        let http = http.clone();
        let url = format!("{}/api/register", c.base(i));
        async move {
            http.post(url)
                .json(&json!({"username": name, "password": "right password"}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(register(1, "second").await, 201);
    assert_eq!(register(0, "third").await, 429);
    c.stop().await;
}

#[tokio::test]
async fn a_seed_client_on_one_node_and_a_v1_client_on_another_chat_both_ways() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;

    let c = Cluster::start(2, &[]).await;
    let ppl = members(&c.store, "seed", 2).await;
    let (old, new) = (&ppl[0], &ppl[1]);
    befriend(c.base(1), old, new).await;
    let url = format!(
        "{}/chat?id={}&token={}",
        c.base(0).replacen("http", "ws", 1),
        old.id,
        old.token
    );
    let (mut seed, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    // The v1 friend comes online on the other node: the seed socket hears nothing of it.
    let mut v1 = Ws::messages_only(c.base(1), &new.token).await;

    let flat = json!({"userid": old.id, "dstid": new.id, "cmd": 10, "media": 1, "content": "from the seed"});
    seed.send(Message::text(flat.to_string())).await.unwrap();
    let got = until(&mut v1, Duration::from_secs(5), "seed message", |f| {
        f.cmd == 10
    })
    .await;
    assert_eq!(
        (got.userid, got.content.as_str()),
        (old.id, "from the seed")
    );

    v1.send(&text(10, old.id, "n1", "from v1")).await;
    until(&mut v1, Duration::from_secs(5), "ack", |f| f.cmd == 1).await;
    // The first (and only) frame on the seed socket is the bubble, in the flat shape.
    let frame = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match seed.next().await {
                Some(Ok(Message::Text(t))) => return serde_json::from_str::<Value>(&t).unwrap(),
                Some(Ok(_)) => continue,
                other => panic!("seed socket ended: {other:?}"),
            }
        }
    })
    .await
    .expect("the v1 message reaches the seed socket");
    assert_eq!(frame["cmd"], 10, "{frame}");
    assert_eq!(frame["userid"], new.id);
    assert_eq!(frame["content"], "from v1");
    assert!(
        frame.get("seq").is_none() && frame.get("cid").is_none(),
        "{frame}"
    );
    let h = history(c.base(1), new, &pconv(old, new)).await;
    assert_eq!(h.len(), 2);
    c.stop().await;
}

#[tokio::test]
async fn actions_on_one_node_reach_a_reader_on_another_live_and_after_a_reconnect() {
    let c = Cluster::start(2, &[]).await;
    let ppl = members(&c.store, "act", 2).await;
    let (alice, bob) = (&ppl[0], &ppl[1]);
    befriend(c.base(0), alice, bob).await;
    let conv = pconv(alice, bob);
    let mut a = Ws::connect(c.base(0), &alice.token).await;
    let mut b = Ws::connect(c.base(1), &bob.token).await;
    a.send(&text(10, bob.id, "m1", "helo")).await;
    until(&mut a, Duration::from_secs(5), "ack", |f| f.cmd == 1).await;
    until(&mut b, Duration::from_secs(5), "message", |f| f.cmd == 10).await;

    let act = |cid: &str, what: &str, content: &str| Frame {
        cmd: 17,
        conv: conv.clone(),
        cid: cid.into(),
        act: what.into(),
        target: 1,
        content: content.into(),
        ..Frame::default()
    };
    // Live across nodes: the edit, then a reaction, each once and in order.
    a.send(&act("e", "edit", "hello")).await;
    a.send(&act("k", "react", "👍")).await;
    let edit = until(&mut b, Duration::from_secs(5), "edit", |f| f.cmd == 17).await;
    let react = until(&mut b, Duration::from_secs(5), "react", |f| f.cmd == 17).await;
    assert_eq!(
        (edit.act.as_str(), edit.seq, edit.content.as_str()),
        ("edit", 2, "hello")
    );
    assert_eq!((react.act.as_str(), react.seq), ("react", 3));
    // Bob goes away; Alice recalls on node 0; Bob comes back on node 0 and pulls the gap.
    drop(b);
    a.send(&act("r", "recall", "")).await;
    until(&mut a, Duration::from_secs(5), "recall ack", |f| {
        f.cmd == 1 && f.cid == "r"
    })
    .await;
    let h = history(c.base(0), bob, &conv).await;
    let seqs: Vec<(i64, String)> = h
        .iter()
        .map(|f| {
            (
                f["seq"].as_i64().unwrap(),
                f["act"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        seqs,
        vec![
            (1, String::new()),
            (2, "edit".into()),
            (3, "react".into()),
            (4, "recall".into())
        ]
    );
    assert_eq!(h[0]["recalled_by"], alice.id);
    assert!(h[0].get("content").is_none(), "{}", h[0]);
    assert_eq!(
        h[1]["content"],
        Value::Null,
        "an edit of a recalled message shows no text"
    );
    c.stop().await;
}

/// Registers `username` on the node at `base` and logs in there; the bearer token.
async fn sign_up(base: &str, username: &str) -> (i64, String) {
    let c = reqwest::Client::new();
    let res = c
        .post(format!("{base}/api/register"))
        .json(&json!({"username": username, "password": "node-password-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["user"]["id"]
        .as_i64()
        .unwrap();
    (id, log_in(base, username, "node-password-1").await)
}

/// Logs in on the node at `base`; the bearer token.
async fn log_in(base: &str, username: &str, password: &str) -> String {
    let res = reqwest::Client::new()
        .post(format!("{base}/api/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn profile_changes_ended_sessions_and_password_changes_reach_every_node() {
    let c = Cluster::start(2, &[]).await;
    let (ann_id, here) = sign_up(c.base(0), "nodeann").await;
    let there = log_in(c.base(1), "nodeann", "node-password-1").await;
    let bob = &members(&c.store, "nodebob", 1).await[0];
    let ann = Member {
        id: ann_id,
        token: here.clone(),
    };
    befriend(c.base(0), &ann, bob).await;
    let mut bob_ws = Ws::connect(c.base(1), &bob.token).await;
    let mut ann_there = Ws::connect(c.base(1), &there).await;

    // A new name on node 0 reaches Bob's socket on node 1.
    let res = ann
        .call(
            c.base(0),
            Method::PATCH,
            "/api/me",
            Some(json!({"nickname": "Annie"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let told = until(&mut bob_ws, Duration::from_secs(5), "profile", |f| {
        f.cmd == 18
    })
    .await;
    assert_eq!((told.userid, told.memo.as_str()), (ann_id, "Annie"));

    // "Sign out" of the other session, from node 0: its socket on node 1 closes.
    let sessions: Value = ann
        .call(c.base(0), Method::GET, "/api/me/sessions", None)
        .await
        .json()
        .await
        .unwrap();
    let other = sessions
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == false)
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let res = ann
        .call(
            c.base(0),
            Method::DELETE,
            &format!("/api/me/sessions/{other}"),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(
        ann_there.close_code(Duration::from_secs(5)).await,
        Some(4001)
    );

    // A password change on node 0 ends a session opened on node 1, socket and all.
    let again = log_in(c.base(1), "nodeann", "node-password-1").await;
    let mut ann_again = Ws::connect(c.base(1), &again).await;
    let res = ann
        .call(
            c.base(0),
            Method::POST,
            "/api/me/password",
            Some(json!({"current": "node-password-1", "new": "node-password-2"})),
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(
        ann_again.close_code(Duration::from_secs(5)).await,
        Some(4001)
    );
    let late = Member {
        id: ann_id,
        token: again,
    };
    let res = late.call(c.base(1), Method::GET, "/api/me", None).await;
    assert_eq!(res.status(), 401);
    let res = ann.call(c.base(1), Method::GET, "/api/me", None).await;
    assert_eq!(
        res.status(),
        200,
        "the session that changed it goes on, on every node"
    );
    c.stop().await;
}

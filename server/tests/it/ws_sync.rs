//! What happens around messages: offline delivery through the conversation list and
//! history, gap filling, read marks and receipts, typing, presence, logout closing sockets,
//! slow consumers, and `/metrics`.

use crate::common;

use app::protocol::frame::Frame;
use common::ws::Ws;
use common::{api, client, expect_error, person, text};
use reqwest::header::AUTHORIZATION;
use serde_json::{json, Value};
use std::time::Duration;

const METRICS_TOKEN: &str = "metrics-token-for-tests";

#[tokio::test]
async fn offline_messages_sync_through_the_conversation_list_and_history() {
    let srv = common::spawn().await;
    let (a, b) = (person(&srv, "amber").await, person(&srv, "basil").await);
    common::befriend(&srv, &a, &b).await;
    let mut aw = Ws::connect(&srv.base, &a.token).await;
    // Basil is offline for all of these.
    for i in 1..=25 {
        aw.send(&text(10, b.id, &format!("o{i}"), &format!("msg {i}")))
            .await;
        assert_eq!(aw.recv().await.seq, i);
    }
    let conv = format!("p:{}:{}", a.id.min(b.id), a.id.max(b.id));

    let list: Value = api(&srv, &b, reqwest::Method::GET, "/api/conversations", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    let row = &list[0];
    assert_eq!(row["conv"], conv);
    assert_eq!(row["title"], "amber");
    assert_eq!(
        (
            row["last_seq"].as_i64(),
            row["read_seq"].as_i64(),
            row["unread"].as_i64()
        ),
        (Some(25), Some(0), Some(25))
    );
    assert_eq!(row["last"]["content"], "msg 25");
    assert_eq!(row["last"]["userid"], a.id);
    let mine: Value = api(&srv, &a, reqwest::Method::GET, "/api/conversations", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine[0]["unread"], 0, "own messages are read");

    let path = format!("/api/conversations/{conv}/messages");
    let page: Vec<Frame> = api(&srv, &b, reqwest::Method::GET, &path, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        page.iter().map(|f| f.seq).collect::<Vec<_>>(),
        (6..=25).collect::<Vec<_>>(),
        "latest 20, ascending"
    );
    let older: Vec<Frame> = api(
        &srv,
        &b,
        reqwest::Method::GET,
        &format!("{path}?before=6&limit=100"),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        older.iter().map(|f| f.seq).collect::<Vec<_>>(),
        (1..=5).collect::<Vec<_>>()
    );
    // A client holding up to seq 20 fills its gap.
    let gap: Vec<Frame> = api(
        &srv,
        &b,
        reqwest::Method::GET,
        &format!("{path}?after=20"),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        gap.iter().map(|f| f.seq).collect::<Vec<_>>(),
        [21, 22, 23, 24, 25]
    );
    assert_eq!(gap[0].content, "msg 21");
    for bad in ["?limit=0", "?limit=101", "?before=3&after=1", "?limit=x"] {
        expect_error(
            api(
                &srv,
                &b,
                reqwest::Method::GET,
                &format!("{path}{bad}"),
                None,
            )
            .await,
            400,
            "invalid_body",
        )
        .await;
    }

    // Only participants may read; nonsense keys are 404.
    let c = person(&srv, "cyril").await;
    expect_error(
        api(&srv, &c, reqwest::Method::GET, &path, None).await,
        403,
        "forbidden",
    )
    .await;
    expect_error(
        api(
            &srv,
            &c,
            reqwest::Method::GET,
            "/api/conversations/p:9:1/messages",
            None,
        )
        .await,
        404,
        "not_found",
    )
    .await;
    expect_error(
        api(
            &srv,
            &c,
            reqwest::Method::GET,
            "/api/conversations/g:999/messages",
            None,
        )
        .await,
        404,
        "not_found",
    )
    .await;

    // Basil comes online and reads up to 20: amber gets a read receipt.
    let mut bw = Ws::connect(&srv.base, &b.token).await;
    assert_eq!(aw.recv().await.cmd, 13, "presence: basil is online");
    let res = api(
        &srv,
        &b,
        reqwest::Method::POST,
        &format!("/api/conversations/{conv}/read"),
        Some(json!({"seq": 20})),
    )
    .await;
    assert_eq!(res.json::<Value>().await.unwrap()["read_seq"], 20);
    let receipt = aw.recv().await;
    assert_eq!((receipt.cmd, receipt.seq, receipt.userid), (15, 20, b.id));
    assert_eq!(receipt.conv, conv);
    // And by the socket (cmd 15).
    bw.send(&Frame {
        cmd: 15,
        conv: conv.clone(),
        seq: 25,
        ..Frame::default()
    })
    .await;
    assert_eq!(aw.recv().await.seq, 25);
    let list: Value = api(&srv, &b, reqwest::Method::GET, "/api/conversations", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list[0]["unread"], 0);

    // Typing needs a peer or a conversation.
    bw.send(&Frame {
        cmd: 16,
        ..Frame::default()
    })
    .await;
    // Basil's own read marks come back to his socket first (his devices stay in step).
    let mut f = bw.recv().await;
    while f.cmd == 15 {
        assert_eq!(f.userid, b.id);
        f = bw.recv().await;
    }
    assert_eq!((f.cmd, f.code.as_str()), (2, "invalid_payload"));
    // Typing is relayed, not stored.
    bw.send(&Frame {
        cmd: 16,
        dstid: a.id,
        ..Frame::default()
    })
    .await;
    let typing = aw.recv().await;
    assert_eq!((typing.cmd, typing.userid), (16, b.id));
    let list: Value = api(&srv, &b, reqwest::Method::GET, "/api/conversations", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list[0]["last_seq"], 25);
}

#[tokio::test]
async fn presence_follows_first_and_last_connection_and_logout_closes_sockets() {
    let srv = common::spawn().await;
    let (a, b) = (person(&srv, "pia").await, person(&srv, "quinn").await);
    common::befriend(&srv, &a, &b).await;
    let mut aw = Ws::connect(&srv.base, &a.token).await;
    let friends: Value = api(&srv, &a, reqwest::Method::GET, "/api/friends", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(friends[0]["online"], false);

    let mut b1 = Ws::connect(&srv.base, &b.token).await;
    let p = aw.recv().await;
    assert_eq!((p.cmd, p.userid, p.content.as_str()), (13, b.id, "online"));
    let friends: Value = api(&srv, &a, reqwest::Method::GET, "/api/friends", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(friends[0]["online"], true);
    // A second device is not news.
    let other_session = srv.login("quinn", "right-password").await;
    let mut b2 = Ws::connect(&srv.base, &other_session).await;
    aw.expect_silence().await;

    // Logging out the first session closes its socket only.
    assert_eq!(
        api(&srv, &b, reqwest::Method::POST, "/api/logout", None)
            .await
            .status(),
        204
    );
    assert!(
        b1.closed_within(Duration::from_secs(5)).await,
        "logged-out socket closed"
    );
    aw.expect_silence().await;
    // The other session's socket stays, and hears that the list of sessions changed.
    let told = b2.recv().await;
    assert_eq!((told.cmd, told.memo.as_str()), (19, "sessions"));
    b2.send_text(r#"{"cmd":0}"#).await;
    assert_eq!(b2.recv().await.cmd, 0, "other session's socket still open");
    drop(b2);
    let p = aw.recv().await;
    assert_eq!((p.cmd, p.content.as_str()), (13, "offline"));
}

#[tokio::test]
async fn a_slow_consumer_is_dropped_while_others_keep_receiving() {
    let srv = common::spawn_with(&["--metrics-token", METRICS_TOKEN]).await;
    let (owner, fast, slow) = (
        person(&srv, "owner").await,
        person(&srv, "fast").await,
        person(&srv, "slow").await,
    );
    let res = api(
        &srv,
        &owner,
        reqwest::Method::POST,
        "/api/groups",
        Some(json!({"name": "firehose"})),
    )
    .await;
    let gid = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    for p in [&fast, &slow] {
        api(
            &srv,
            p,
            reqwest::Method::POST,
            &format!("/api/groups/{gid}/join"),
            None,
        )
        .await;
    }
    let _never_reads = Ws::connect(&srv.base, &slow.token).await;
    let mut reader = Ws::connect(&srv.base, &fast.token).await;
    let mut sender = Ws::connect(&srv.base, &owner.token).await;
    let big = "汉".repeat(4000); // ~12 KB a frame, so socket buffers fill quickly
    let mut n = 0;
    while srv
        .state
        .delivery
        .hub()
        .counters
        .queue_drops
        .load(std::sync::atomic::Ordering::Relaxed)
        == 0
    {
        n += 1;
        assert!(n <= 5000, "slow consumer never dropped");
        sender.send(&text(11, gid, &format!("f{n}"), &big)).await;
        assert_eq!(sender.recv().await.cmd, 1, "the sender is never stalled");
        let got = reader.recv().await;
        assert_eq!(got.seq, n, "the fast member keeps receiving, in order");
    }
    // The slow socket was closed and left the registry; the others stay.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while srv.state.delivery.hub().connections() != 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "slow socket still registered"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    sender.send(&text(11, gid, "after", "still flowing")).await;
    assert_eq!(sender.recv().await.cmd, 1);
    assert_eq!(reader.recv().await.content, "still flowing");
    println!("slow consumer dropped after {n} frames of ~12 KB");

    let metrics = client()
        .get(srv.url("/metrics"))
        .header(AUTHORIZATION, format!("Bearer {METRICS_TOKEN}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("parley_queue_drops_total 1"), "{metrics}");
    assert!(metrics.contains("parley_connections 2"), "{metrics}");
    assert!(metrics.contains("# TYPE parley_messages_in_total counter"));
}

#[tokio::test]
async fn social_changes_arrive_as_live_notices() {
    let srv = common::spawn().await;
    let (a, b) = (person(&srv, "nadia").await, person(&srv, "omar").await);
    let mut aw = Ws::connect(&srv.base, &a.token).await;
    let mut bw = Ws::connect(&srv.base, &b.token).await;
    api(
        &srv,
        &a,
        reqwest::Method::POST,
        "/api/friends",
        Some(json!({"user_id": b.id, "note": "from the climbing club"})),
    )
    .await;
    // The request reaches omar live, and nadia's own devices, without a conversation.
    let asked = bw.recv().await;
    assert_eq!(
        (asked.cmd, asked.memo.as_str(), asked.content.as_str()),
        (12, "friend_request", "nadia asked to be your friend")
    );
    assert_eq!(asked.conv, "");
    let mine = aw.recv().await;
    assert_eq!(
        (mine.memo.as_str(), mine.content.as_str()),
        ("friend_request", "You asked omar to be your friend")
    );
    let waiting = api(
        &srv,
        &b,
        reqwest::Method::GET,
        "/api/friends/requests",
        None,
    )
    .await
    .json::<Value>()
    .await
    .unwrap();
    assert_eq!(waiting["incoming"][0]["user"]["id"], a.id);
    assert_eq!(waiting["incoming"][0]["note"], "from the climbing club");
    let res = api(
        &srv,
        &b,
        reqwest::Method::POST,
        &format!("/api/friends/requests/{}/accept", a.id),
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
    let to_a = aw.recv().await;
    assert_eq!(
        (to_a.cmd, to_a.memo.as_str(), to_a.content.as_str()),
        (12, "friend_added", "omar added you as a friend")
    );
    // The names travel with the words, so a browser can word it in its reader's language.
    let names = to_a.names.clone().expect("notice names");
    assert_eq!(
        (
            names.actor_id,
            names.actor.as_str(),
            names.peer_id,
            names.peer.as_str()
        ),
        (b.id, "omar", a.id, "nadia")
    );
    assert_eq!(
        to_a.conv,
        format!("p:{}:{}", a.id.min(b.id), a.id.max(b.id))
    );
    let to_b = bw.recv().await;
    assert_eq!(
        (to_b.cmd, to_b.content.as_str()),
        (12, "You and nadia are now friends")
    );
    // Presence frames may interleave; skip to the notices.
    let res = api(
        &srv,
        &a,
        reqwest::Method::POST,
        "/api/groups",
        Some(json!({"name": "Lounge"})),
    )
    .await;
    let gid = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    api(
        &srv,
        &b,
        reqwest::Method::POST,
        &format!("/api/groups/{gid}/join"),
        None,
    )
    .await;
    for ws in [&mut aw, &mut bw] {
        let n = ws.recv().await;
        assert_eq!(
            (n.cmd, n.memo.as_str(), n.content.as_str()),
            (12, "member_joined", "omar joined Lounge")
        );
        assert_eq!(n.conv, format!("g:{gid}"));
        let names = n.names.expect("notice names");
        assert_eq!(
            (names.actor_id, names.actor.as_str(), names.group.as_str()),
            (b.id, "omar", "Lounge")
        );
    }
    // Membership takes effect on the live socket at once: omar can write to the group now.
    bw.send(&text(11, gid, "first", "hello lounge")).await;
    assert_eq!(bw.recv().await.cmd, 1);
    assert_eq!(aw.recv().await.content, "hello lounge");
    api(
        &srv,
        &b,
        reqwest::Method::POST,
        &format!("/api/groups/{gid}/leave"),
        None,
    )
    .await;
    assert_eq!(aw.recv().await.memo, "member_left");
    assert_eq!(bw.recv().await.memo, "member_left");
    bw.send(&text(11, gid, "after-leave", "still here?")).await;
    assert_eq!(bw.recv().await.code, "not_member");
    aw.expect_silence().await;
}

/// Opens `conv` as `who` through the page's server function (the newest page, or the one
/// before `before`).
async fn open(
    srv: &common::TestServer,
    who: &common::Person,
    conv: &str,
    before: Option<i64>,
) -> Value {
    let mut form = vec![("conv", conv.to_owned())];
    if let Some(b) = before {
        form.push(("before", b.to_string()));
    }
    let res = who
        .req(srv, reqwest::Method::POST, "/sfn/load_conversation")
        .header("accept", "application/json")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// The actors of the notices in an opened page, in order.
fn notice_actors(page: &Value) -> Vec<String> {
    page["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            format!(
                "{} {}",
                n["memo"].as_str().unwrap(),
                n["names"]["actor"].as_str().unwrap()
            )
        })
        .collect()
}

#[tokio::test]
async fn an_opened_conversation_carries_the_notices_of_its_pages() {
    let srv = common::spawn().await;
    let (a, b, c) = (
        person(&srv, "anna").await,
        person(&srv, "boris").await,
        person(&srv, "cleo").await,
    );
    let gid = common::group(&srv, &a, "Den").await;
    common::join_group(&srv, &b, gid).await;
    // Notices and messages are placed by their millisecond times.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let conv = format!("g:{gid}");
    for i in 1..=35 {
        let res = api(
            &srv,
            &a,
            reqwest::Method::POST,
            &format!("/api/conversations/{conv}/messages"),
            Some(json!({"cid": format!("m{i}"), "media": 1, "content": format!("message {i}")})),
        )
        .await;
        assert_eq!(res.status(), 201);
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    common::join_group(&srv, &c, gid).await;

    // The newest page (seq 6-35) holds only what happened from its oldest message on.
    let latest = open(&srv, &a, &conv, None).await;
    assert_eq!(latest["messages"][0]["seq"], 6);
    assert_eq!(notice_actors(&latest), ["member_joined cleo"]);
    // The page that reaches seq 1 holds everything before it too.
    let first = open(&srv, &a, &conv, Some(6)).await;
    assert_eq!(first["messages"][0]["seq"], 1);
    assert_eq!(
        notice_actors(&first),
        ["member_joined boris", "member_joined cleo"]
    );
    // Notices are the reader's own: cleo was not told that boris joined.
    let cleos = open(&srv, &c, &conv, Some(6)).await;
    assert_eq!(notice_actors(&cleos), ["member_joined cleo"]);
}

//! Friend requests, blocks, reports and privacy against the real server, over REST and real
//! sockets: consent, what a decline tells, the non-friend allowance while a request waits,
//! blocks on every path, who may read reports, and every budget and limit.

use crate::common;

use app::protocol::frame::Frame;
use common::ws::Ws;
use common::{api, befriend, expect_error, get_json, pconv, person, text, Person, TestServer};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;

async fn ask(srv: &TestServer, from: &Person, to: &Person) -> reqwest::Response {
    api(
        srv,
        from,
        Method::POST,
        "/api/friends",
        Some(json!({"user_id": to.id})),
    )
    .await
}

async fn requests(srv: &TestServer, who: &Person) -> (Vec<i64>, Vec<i64>) {
    let lists = get_json(srv, who, "/api/friends/requests").await;
    let ids = |key: &str| {
        lists[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["user"]["id"].as_i64().unwrap())
            .collect::<Vec<_>>()
    };
    (ids("incoming"), ids("outgoing"))
}

async fn set(srv: &TestServer, who: &Person, body: Value) -> reqwest::Response {
    api(srv, who, Method::PATCH, "/api/me/privacy", Some(body)).await
}

async fn report(srv: &TestServer, who: &Person, body: Value) -> reqwest::Response {
    api(srv, who, Method::POST, "/api/reports", Some(body)).await
}

async fn notice_count(srv: &TestServer, who: &Person) -> usize {
    get_json(srv, who, "/api/notices?limit=500")
        .await
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test]
async fn a_friendship_needs_a_yes_and_a_declined_asker_reads_only_pending() {
    let srv = common::spawn().await;
    let (amy, bob, cat, dan) = (
        person(&srv, "amy").await,
        person(&srv, "bob").await,
        person(&srv, "cat").await,
        person(&srv, "dan").await,
    );
    let mut aw = Ws::messages_only(&srv.base, &amy.token).await;
    // Bob's socket shows notices; Amy's messages to him are checked on her side.
    let mut bw = Ws::connect(&srv.base, &bob.token).await.ignoring(&[10, 13]);

    let res = api(
        &srv,
        &amy,
        Method::POST,
        "/api/friends",
        Some(json!({"user_id": bob.id, "note": "  Amy from climbing  "})),
    )
    .await;
    assert_eq!(res.status(), 202);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"status": "pending"})
    );
    let live = bw.recv().await;
    assert_eq!((live.cmd, live.memo.as_str()), (12, "friend_request"));
    let waiting = get_json(&srv, &bob, "/api/friends/requests").await;
    assert_eq!(waiting["incoming"][0]["user"]["username"], "amy");
    assert_eq!(waiting["incoming"][0]["note"], "Amy from climbing");
    assert!(
        waiting["incoming"][0]["expires_at"].as_i64()
            > waiting["incoming"][0]["created_at"].as_i64()
    );
    assert_eq!(requests(&srv, &amy).await, (vec![], vec![bob.id]));
    assert_eq!(
        get_json(&srv, &amy, "/api/friends").await,
        json!([]),
        "no friend yet"
    );

    // While it waits the two are strangers: three messages, then the allowance binds.
    for i in 0..3 {
        aw.send(&text(10, bob.id, &format!("w{i}"), "hello?")).await;
        assert_eq!(aw.recv().await.cmd, 1);
    }
    aw.send(&text(10, bob.id, "w3", "hello??")).await;
    assert_eq!(aw.recv().await.code, "not_friends_limit");

    // Cat is declined: Bob's list loses her, Cat still reads "pending", Bob hears nothing
    // of her asking again.
    assert_eq!(ask(&srv, &cat, &bob).await.status(), 202);
    assert_eq!(bw.recv().await.memo, "friend_request");
    let res = api(
        &srv,
        &bob,
        Method::POST,
        &format!("/api/friends/requests/{}/decline", cat.id),
        None,
    )
    .await;
    assert_eq!(res.status(), 204);
    assert_eq!(bw.recv().await.memo, "request_declined", "my own devices");
    assert_eq!(requests(&srv, &bob).await.0, [amy.id]);
    assert_eq!(requests(&srv, &cat).await.1, [bob.id]);
    let told = notice_count(&srv, &bob).await;
    let again = ask(&srv, &cat, &bob).await;
    assert_eq!(again.status(), 202);
    assert_eq!(again.json::<Value>().await.unwrap()["status"], "pending");
    assert_eq!(
        notice_count(&srv, &bob).await,
        told,
        "a repeat tells nobody"
    );
    bw.expect_silence().await;

    // Dan withdraws: Bob's list loses him live.
    assert_eq!(ask(&srv, &dan, &bob).await.status(), 202);
    assert_eq!(bw.recv().await.memo, "friend_request");
    let res = api(
        &srv,
        &dan,
        Method::DELETE,
        &format!("/api/friends/requests/{}", bob.id),
        None,
    )
    .await;
    assert_eq!(res.status(), 204);
    assert_eq!(bw.recv().await.memo, "request_withdrawn");
    assert_eq!(requests(&srv, &bob).await.0, [amy.id]);

    // Bob says yes: friends on both sides, and a second accept answers the same.
    let accept = format!("/api/friends/requests/{}/accept", amy.id);
    let res = api(&srv, &bob, Method::POST, &accept, None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["id"], amy.id);
    let res = api(&srv, &bob, Method::POST, &accept, None).await;
    assert_eq!(res.status(), 200, "idempotent");
    assert_eq!(get_json(&srv, &amy, "/api/friends").await[0]["id"], bob.id);
    assert_eq!(requests(&srv, &amy).await, (vec![], vec![]));
    aw.send(&text(10, bob.id, "w4", "friends now")).await;
    assert_eq!(aw.recv().await.cmd, 1, "the allowance no longer applies");

    // Nothing to accept: a stranger, someone who never asked, an ex-friend.
    for (who, asker) in [(&cat, &amy), (&dan, &bob)] {
        let res = api(
            &srv,
            who,
            Method::POST,
            &format!("/api/friends/requests/{}/accept", asker.id),
            None,
        )
        .await;
        expect_error(res, 404, "not_found").await;
    }
    api(
        &srv,
        &amy,
        Method::DELETE,
        &format!("/api/friends/{}", bob.id),
        None,
    )
    .await;
    let res = api(
        &srv,
        &amy,
        Method::POST,
        &format!("/api/friends/requests/{}/accept", bob.id),
        None,
    )
    .await;
    expect_error(res, 404, "not_found").await;

    // Bad input changes nothing.
    let long = "n".repeat(121);
    for (body, status, code) in [
        (
            json!({"user_id": bob.id, "note": long}),
            400,
            "invalid_field",
        ),
        (
            json!({"user_id": bob.id, "note": "a\u{7}b"}),
            400,
            "invalid_field",
        ),
        (json!({"user_id": amy.id}), 400, "cannot_friend_self"),
        (json!({"user_id": 999_999}), 404, "not_found"),
        (json!({"user_id": "x"}), 400, "invalid_body"),
    ] {
        let res = api(&srv, &amy, Method::POST, "/api/friends", Some(body)).await;
        expect_error(res, status, code).await;
    }
    assert_eq!(requests(&srv, &bob).await.0, Vec::<i64>::new());
}

#[tokio::test]
async fn two_people_asking_each_other_at_once_end_in_one_friendship() {
    let srv = common::spawn().await;
    for round in 0..6 {
        let a = person(&srv, &format!("mut{round}a")).await;
        let b = person(&srv, &format!("mut{round}b")).await;
        let (one, two) = tokio::join!(ask(&srv, &a, &b), ask(&srv, &b, &a));
        let mut statuses = [one.status().as_u16(), two.status().as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [201, 202], "round {round}");
        let a_friends = get_json(&srv, &a, "/api/friends").await;
        let b_friends = get_json(&srv, &b, "/api/friends").await;
        assert_eq!(a_friends.as_array().unwrap().len(), 1);
        assert_eq!(
            (a_friends[0]["id"].as_i64(), b_friends[0]["id"].as_i64()),
            (Some(b.id), Some(a.id))
        );
        assert_eq!(requests(&srv, &a).await, (vec![], vec![]));
    }
}

#[tokio::test]
async fn requests_follow_the_asked_persons_setting() {
    let srv = common::spawn().await;
    let (amy, bob, cat) = (
        person(&srv, "amy").await,
        person(&srv, "bob").await,
        person(&srv, "cat").await,
    );
    let privacy = get_json(&srv, &bob, "/api/me/privacy").await;
    assert_eq!(
        privacy,
        json!({"requests_from": "everyone", "discoverable": false, "read_receipts": true, "last_seen_visible": true})
    );
    let res = set(&srv, &bob, json!({"requests_from": "nobody"})).await;
    assert_eq!(
        res.json::<Value>().await.unwrap()["requests_from"],
        "nobody"
    );
    expect_error(ask(&srv, &amy, &bob).await, 403, "requests_closed").await;

    set(&srv, &bob, json!({"requests_from": "groups"})).await;
    expect_error(ask(&srv, &amy, &bob).await, 403, "requests_closed").await;
    let gid = common::group(&srv, &bob, "club").await;
    api(
        &srv,
        &amy,
        Method::POST,
        &format!("/api/groups/{gid}/join"),
        None,
    )
    .await;
    assert_eq!(
        ask(&srv, &amy, &bob).await.status(),
        202,
        "a shared group opens it"
    );
    expect_error(ask(&srv, &cat, &bob).await, 403, "requests_closed").await;
    // Someone who asked me may be answered with a request of mine whatever my setting
    // says of others: it is my yes.
    set(&srv, &cat, json!({"requests_from": "nobody"})).await;
    assert_eq!(ask(&srv, &cat, &amy).await.status(), 202);
    assert_eq!(ask(&srv, &amy, &cat).await.status(), 201);
    let res = set(&srv, &bob, json!({"requests_from": "aliens"})).await;
    expect_error(res, 400, "invalid_body").await;
    assert_eq!(
        get_json(&srv, &bob, "/api/me/privacy").await["requests_from"],
        "groups",
        "unchanged"
    );
}

#[tokio::test]
async fn a_block_stops_messages_typing_requests_and_search_on_every_path() {
    let srv = common::spawn().await;
    let (bob, cat, amy) = (
        person(&srv, "bob").await,
        person(&srv, "cat").await,
        person(&srv, "amy").await,
    );
    befriend(&srv, &amy, &bob).await;
    let mut bw = Ws::connect(&srv.base, &bob.token).await.ignoring(&[13]);
    let mut cw = Ws::messages_only(&srv.base, &cat.token).await;
    let mut aw = Ws::connect(&srv.base, &amy.token).await.ignoring(&[13]);

    // Blocking a friend ends the friendship on both sides, live.
    let res = api(
        &srv,
        &bob,
        Method::PUT,
        &format!("/api/blocks/{}", amy.id),
        None,
    )
    .await;
    assert_eq!(res.status(), 204);
    assert_eq!(aw.recv().await.memo, "friend_removed");
    assert_eq!(bw.recv().await.memo, "friend_removed");
    assert_eq!(bw.recv().await.memo, "blocked");
    assert_eq!(get_json(&srv, &amy, "/api/friends").await, json!([]));
    assert_eq!(get_json(&srv, &bob, "/api/friends").await, json!([]));
    let res = api(
        &srv,
        &bob,
        Method::PUT,
        &format!("/api/blocks/{}", cat.id),
        None,
    )
    .await;
    assert_eq!(res.status(), 204);
    assert_eq!(bw.recv().await.memo, "blocked");
    let blocked = get_json(&srv, &bob, "/api/blocks").await;
    let names: Vec<&str> = blocked
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["amy", "cat"]);

    // The socket: Cat's message and typing are refused, and Bob hears nothing.
    cw.send(&text(10, bob.id, "c1", "hi bob")).await;
    let err = cw.recv().await;
    assert_eq!(
        (err.cmd, err.code.as_str(), err.cid.as_str()),
        (2, "blocked", "c1")
    );
    cw.send(&Frame {
        cmd: 16,
        dstid: bob.id,
        ..Frame::default()
    })
    .await;
    assert_eq!(cw.recv().await.code, "blocked");
    bw.expect_silence().await;
    // REST, either way round; the blocker is told what to do.
    let path = format!("/api/conversations/{}/messages", pconv(&bob, &cat));
    let res = api(
        &srv,
        &cat,
        Method::POST,
        &path,
        Some(json!({"cid": "r1", "media": 1, "content": "x"})),
    )
    .await;
    expect_error(res, 403, "blocked").await;
    let res = api(
        &srv,
        &bob,
        Method::POST,
        &path,
        Some(json!({"cid": "r2", "media": 1, "content": "x"})),
    )
    .await;
    let err = expect_error(res, 403, "blocked").await;
    assert!(err["msg"].as_str().unwrap().contains("Unblock"), "{err}");
    let history = get_json(&srv, &bob, &format!("{path}?after=0")).await;
    assert_eq!(history.as_array().map(Vec::len), Some(0), "nothing stored");

    // Bob is online, but nobody outside his friends learns it, least of all Cat.
    let open = get_json(
        &srv,
        &cat,
        &format!("/api/conversations/{}", pconv(&bob, &cat)),
    )
    .await;
    assert_eq!(open["peer_online"], false, "{open}");

    // A request from the blocked reads "pending" and reaches nobody; the blocker may not ask.
    assert_eq!(ask(&srv, &cat, &bob).await.status(), 202);
    assert_eq!(requests(&srv, &bob).await.0, Vec::<i64>::new());
    assert_eq!(requests(&srv, &cat).await.1, [bob.id]);
    bw.expect_silence().await;
    expect_error(ask(&srv, &bob, &cat).await, 403, "blocked").await;

    // Search: neither finds the other, even by the exact username.
    for (who, q) in [(&cat, "bob"), (&bob, "cat")] {
        let found = get_json(&srv, who, &format!("/api/users/search?q={q}")).await;
        assert_eq!(found, json!([]), "{q}");
    }
    assert_eq!(
        get_json(&srv, &amy, "/api/users/search?q=cat").await[0]["id"],
        cat.id
    );

    // In a group they share, neither hears the other type; everyone else does.
    let dan = person(&srv, "dan").await;
    let gid = common::group(&srv, &bob, "club").await;
    for who in [&cat, &dan] {
        let res = api(
            &srv,
            who,
            Method::POST,
            &format!("/api/groups/{gid}/join"),
            None,
        )
        .await;
        assert_eq!(res.status(), 200);
    }
    let mut bg = Ws::messages_only(&srv.base, &bob.token).await;
    let mut cg = Ws::messages_only(&srv.base, &cat.token).await;
    let mut dg = Ws::messages_only(&srv.base, &dan.token).await;
    let typing = Frame {
        cmd: 16,
        conv: format!("g:{gid}"),
        ..Frame::default()
    };
    bg.send(&typing).await;
    let heard = dg.recv().await;
    assert_eq!((heard.cmd, heard.userid), (16, bob.id));
    cg.expect_silence().await;
    cg.send(&typing).await;
    let heard = dg.recv().await;
    assert_eq!((heard.cmd, heard.userid), (16, cat.id));
    bg.expect_silence().await;
    drop((bg, cg, dg));
    // The first sockets heard the joins and their own user's typing: start afresh.
    for ws in [&mut bw, &mut cw] {
        while ws.try_recv(Duration::from_millis(300)).await.is_some() {}
    }

    // Unblocking lets Cat write again (as a stranger), and the list updates live.
    let res = api(
        &srv,
        &bob,
        Method::DELETE,
        &format!("/api/blocks/{}", cat.id),
        None,
    )
    .await;
    assert_eq!(res.status(), 204);
    assert_eq!(bw.recv().await.memo, "unblocked");
    cw.send(&text(10, bob.id, "c2", "hi again")).await;
    assert_eq!(cw.recv().await.cmd, 1);
    let res = api(
        &srv,
        &bob,
        Method::DELETE,
        &format!("/api/blocks/{}", cat.id),
        None,
    )
    .await;
    assert_eq!(res.status(), 204, "idempotent");
    let res = api(&srv, &bob, Method::PUT, "/api/blocks/999999", None).await;
    expect_error(res, 404, "not_found").await;
    let res = api(
        &srv,
        &bob,
        Method::PUT,
        &format!("/api/blocks/{}", bob.id),
        None,
    )
    .await;
    expect_error(res, 400, "cannot_friend_self").await;
}

#[tokio::test]
async fn reports_are_kept_for_admins_and_nobody_else_reads_them() {
    let srv = common::spawn_with(&["--admins", " Root ,other"]).await;
    let (amy, bob, cat, root) = (
        person(&srv, "amy").await,
        person(&srv, "bob").await,
        person(&srv, "cat").await,
        person(&srv, "root").await,
    );
    befriend(&srv, &amy, &bob).await;
    let conv = pconv(&amy, &bob);
    let path = format!("/api/conversations/{conv}/messages");
    let res = api(
        &srv,
        &bob,
        Method::POST,
        &path,
        Some(json!({"cid": "m1", "media": 1, "content": "buy my coins"})),
    )
    .await;
    assert_eq!(res.status(), 201);

    let res = report(
        &srv,
        &amy,
        json!({"user_id": bob.id, "conv": conv, "seq": 1, "reason": "spam"}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let first = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let res = report(
        &srv,
        &amy,
        json!({"user_id": cat.id, "reason": "rude profile"}),
    )
    .await;
    assert_eq!(res.status(), 201);

    // Someone outside the conversation, the wrong sender, no such message, bad fields.
    expect_error(
        report(
            &srv,
            &cat,
            json!({"user_id": bob.id, "conv": conv, "seq": 1, "reason": "x"}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    expect_error(
        report(
            &srv,
            &amy,
            json!({"user_id": amy.id, "conv": conv, "seq": 1, "reason": "x"}),
        )
        .await,
        400,
        "invalid_field",
    )
    .await;
    expect_error(
        report(
            &srv,
            &amy,
            json!({"user_id": cat.id, "conv": conv, "seq": 1, "reason": "x"}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    expect_error(
        report(
            &srv,
            &amy,
            json!({"user_id": bob.id, "conv": conv, "seq": 9, "reason": "x"}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    expect_error(
        report(
            &srv,
            &amy,
            json!({"user_id": bob.id, "conv": conv, "reason": "x"}),
        )
        .await,
        400,
        "invalid_body",
    )
    .await;
    let err = expect_error(
        report(
            &srv,
            &amy,
            json!({"user_id": bob.id, "reason": "r".repeat(501)}),
        )
        .await,
        400,
        "invalid_field",
    )
    .await;
    assert_eq!(err["field"], "reason");
    expect_error(
        report(&srv, &amy, json!({"user_id": bob.id, "reason": "   "})).await,
        400,
        "invalid_field",
    )
    .await;

    // Admins (named in any letter case) read them newest first, with the message's words.
    let listed = get_json(&srv, &root, "/api/admin/reports").await;
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[1]["id"], first);
    assert_eq!(listed[1]["excerpt"], "buy my coins");
    assert_eq!(listed[1]["reporter"]["username"], "amy");
    assert_eq!(listed[1]["user"]["username"], "bob");
    assert_eq!(listed[0]["user"]["username"], "cat");
    let older = get_json(
        &srv,
        &root,
        &format!("/api/admin/reports?before={}", listed[0]["id"]),
    )
    .await;
    assert_eq!(older.as_array().unwrap().len(), 1);
    for who in [&amy, &bob] {
        let res = api(&srv, who, Method::GET, "/api/admin/reports", None).await;
        expect_error(res, 403, "forbidden").await;
    }
}

#[tokio::test]
async fn requests_blocks_and_reports_share_an_hourly_budget_per_user_and_address() {
    let srv = common::spawn_with(&[
        "--friend-requests-per-hour",
        "2",
        "--trusted-proxies",
        "127.0.0.1",
    ])
    .await;
    let from = |addr: &'static str, who: &Person, to: &Person| {
        common::client()
            .post(srv.url("/api/friends"))
            .header("authorization", format!("Bearer {}", who.token))
            .header("x-forwarded-for", addr)
            .json(&json!({"user_id": to.id}))
            .send()
    };
    let targets = [
        person(&srv, "tgt0").await,
        person(&srv, "tgt1").await,
        person(&srv, "tgt2").await,
    ];
    let amy = person(&srv, "amy").await;
    for t in &targets[..2] {
        assert_eq!(from("192.0.2.1", &amy, t).await.unwrap().status(), 202);
    }
    let res = from("192.0.2.1", &amy, &targets[2]).await.unwrap();
    expect_error(res, 429, "too_many_actions").await;
    assert!(
        requests(&srv, &targets[2]).await.0.is_empty(),
        "nothing made"
    );
    // Repeating a waiting request costs budget too (a flood of repeats is refused).
    let res = from("192.0.2.9", &amy, &targets[0]).await.unwrap();
    expect_error(res, 429, "too_many_actions").await;

    // One address: ten users' worth (20), whoever asks.
    let mut made = 0;
    for i in 0..11 {
        let who = person(&srv, &format!("nat{i}")).await;
        for t in &targets[..2] {
            if from("198.51.100.7", &who, t).await.unwrap().status() == 202 {
                made += 1;
            }
        }
    }
    assert_eq!(made, 20, "the address's budget");
}

#[tokio::test]
async fn privacy_changes_are_rate_limited_per_user_and_per_address() {
    let srv = common::spawn_with(&["--trusted-proxies", "127.0.0.1"]).await;
    let patch = |who: &Person, addr: &'static str, on: bool| {
        common::client()
            .patch(srv.url("/api/me/privacy"))
            .header("authorization", format!("Bearer {}", who.token))
            .header("x-forwarded-for", addr)
            .json(&json!({"discoverable": on}))
            .send()
    };
    let amy = person(&srv, "amy").await;
    for i in 0..20 {
        let res = patch(&amy, "192.0.2.1", i % 2 == 0).await.unwrap();
        assert_eq!(res.status(), 200, "change {i}");
    }
    let res = patch(&amy, "192.0.2.2", true).await.unwrap();
    expect_error(res, 429, "too_many_actions").await;
    let stored = get_json(&srv, &amy, "/api/me/privacy").await;
    assert_eq!(
        stored["discoverable"], false,
        "the refused change changed nothing"
    );
    // One address: ten users' worth.
    let mut ok = 0;
    for i in 0..11 {
        let who = person(&srv, &format!("nat{i}")).await;
        for _ in 0..20 {
            if patch(&who, "198.51.100.9", true).await.unwrap().status() == 200 {
                ok += 1;
            }
        }
    }
    assert_eq!(ok, 200);
}

#[tokio::test]
async fn a_profile_change_reaches_my_devices_friends_and_group_mates_at_once_and_nobody_else() {
    let srv = common::spawn_with(&["--trusted-proxies", "127.0.0.1"]).await;
    let ann = person(&srv, "ann").await;
    let bob = person(&srv, "bob").await;
    let cat = person(&srv, "cat").await;
    let dan = person(&srv, "dan").await;
    befriend(&srv, &ann, &bob).await;
    let gid = common::group(&srv, &cat, "Knitting").await;
    common::join_group(&srv, &ann, gid).await;
    // Presence and notices are not what this test is about.
    let quiet = [12, 13];
    let mut ann2 = Ws::connect(&srv.base, &ann.token).await.ignoring(&quiet);
    let mut bob_ws = Ws::connect(&srv.base, &bob.token).await.ignoring(&quiet);
    let mut cat_ws = Ws::connect(&srv.base, &cat.token).await.ignoring(&quiet);
    let mut dan_ws = Ws::connect(&srv.base, &dan.token).await.ignoring(&quiet);
    let patch = |body: Value, addr: &'static str| {
        ann.req(&srv, Method::PATCH, "/api/me")
            .header("x-forwarded-for", addr)
            .json(&body)
            .send()
    };

    let res = patch(
        json!({"nickname": " Annie ", "status": "On holiday until Monday"}),
        "192.0.2.7",
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    let me: Value = res.json().await.unwrap();
    assert_eq!(me["status"], "On holiday until Monday");
    for ws in [&mut ann2, &mut bob_ws, &mut cat_ws] {
        let f = ws.recv().await;
        assert_eq!((f.cmd, f.userid), (18, ann.id));
        assert_eq!(f.memo, "Annie");
        assert_eq!(f.content, "On holiday until Monday");
    }
    dan_ws.expect_silence().await;
    // Friends and group members read the status with the profile.
    let friends = get_json(&srv, &bob, "/api/friends").await;
    assert_eq!(friends[0]["status"], "On holiday until Monday");

    // Refused changes change nothing and tell nobody.
    for (body, field) in [
        (json!({"status": "x".repeat(81)}), "status"),
        (json!({"status": "two\nlines"}), "status"),
        (json!({"nickname": ""}), "nickname"),
        (json!({"avatar": "javascript:alert(1)"}), "avatar"),
    ] {
        let err = expect_error(
            patch(body, "192.0.2.7").await.unwrap(),
            400,
            "invalid_field",
        )
        .await;
        assert_eq!(err["field"], field);
    }
    bob_ws.expect_silence().await;
    let res = common::client()
        .patch(srv.url("/api/me"))
        .json(&json!({"status": "anon"}))
        .send()
        .await
        .unwrap();
    expect_error(res, 401, "unauthorized").await;

    // The settings budget: twenty changes a minute, then 429 and nothing stored.
    for i in 0..19 {
        let res = patch(json!({"status": format!("s{i}")}), "192.0.2.7")
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "change {i}");
    }
    let res = patch(json!({"status": "one too many"}), "192.0.2.8")
        .await
        .unwrap();
    expect_error(res, 429, "too_many_actions").await;
    let me = get_json(&srv, &ann, "/api/me").await;
    assert_eq!(me["status"], "s18");
}

#[tokio::test]
async fn a_profile_is_seen_by_anyone_signed_in_but_not_by_whom_its_owner_blocked() {
    let srv = common::spawn().await;
    let ann = person(&srv, "ann").await;
    let bob = person(&srv, "bob").await;
    let (status, _) = ann
        .json(
            &srv,
            Method::PATCH,
            "/api/me",
            Some(json!({"status": "Back at 3"})),
        )
        .await;
    assert_eq!(status, 200);
    let path = format!("/api/users/{}", ann.id);
    let (status, body) = bob.json(&srv, Method::GET, &path, None).await;
    assert_eq!(status, 200);
    assert_eq!(
        (body["id"].as_i64(), body["status"].as_str()),
        (Some(ann.id), Some("Back at 3"))
    );

    // Ann blocks Bob: he can no longer see her; she still sees him (to unblock).
    let (status, _) = ann
        .json(&srv, Method::PUT, &format!("/api/blocks/{}", bob.id), None)
        .await;
    assert!(status == 200 || status == 204, "{status}");
    let res = api(&srv, &bob, Method::GET, &path, None).await;
    expect_error(res, 404, "not_found").await;
    let (status, _) = ann
        .json(&srv, Method::GET, &format!("/api/users/{}", bob.id), None)
        .await;
    assert_eq!(status, 200);

    let res = api(&srv, &bob, Method::GET, "/api/users/999999", None).await;
    expect_error(res, 404, "not_found").await;
    let res = api(&srv, &bob, Method::GET, "/api/users/x", None).await;
    expect_error(res, 400, "invalid_body").await;
    let res = common::client().get(srv.url(&path)).send().await.unwrap();
    expect_error(res, 401, "unauthorized").await;
}

#[tokio::test]
async fn read_receipts_turned_off_are_neither_sent_nor_seen() {
    let srv = common::spawn().await;
    let ann = person(&srv, "ann").await;
    let bob = person(&srv, "bob").await;
    befriend(&srv, &ann, &bob).await;
    let conv = pconv(&ann, &bob);
    let mut ann_ws = Ws::connect(&srv.base, &ann.token).await.ignoring(&[12, 13]);
    // (cmd 19 tells Bob's own devices that his privacy changed; not what this test is about.)
    let mut bob_ws = Ws::connect(&srv.base, &bob.token)
        .await
        .ignoring(&[12, 13, 19]);
    let mut bob2 = Ws::connect(&srv.base, &bob.token)
        .await
        .ignoring(&[12, 13, 19]);
    // Sent over REST, so each side's socket only hears the other's message.
    for (who, peer, cid) in [(&ann, &bob, "r1"), (&bob, &ann, "r2")] {
        let (status, _) = who
            .json(
                &srv,
                Method::POST,
                &format!("/api/conversations/{conv}/messages"),
                Some(json!({"cid": cid, "media": 1, "content": format!("to {}", peer.id)})),
            )
            .await;
        assert_eq!(status, 201);
    }
    for ws in [&mut ann_ws, &mut bob_ws, &mut bob2] {
        while ws.try_recv(Duration::from_millis(300)).await.is_some() {}
    }
    let path = format!("/api/conversations/{conv}/read");
    let read = |who: &'static str, seq: i64| {
        let who = if who == "ann" { &ann } else { &bob };
        api(&srv, who, Method::POST, &path, Some(json!({"seq": seq})))
    };

    // With receipts on, Bob's read reaches Ann.
    read("bob", 1).await;
    assert_eq!(ann_ws.recv().await.cmd, 15);
    assert_eq!(bob2.recv().await.cmd, 15);
    let open = get_json(&srv, &ann, &format!("/api/conversations/{conv}")).await;
    // Bob's own message (seq 2) counts as read by him.
    assert_eq!(open["peer_read_seq"], 2);

    // Bob turns them off: his reads go to his own devices only, and he sees nobody's.
    let (status, _) = bob
        .json(
            &srv,
            Method::PATCH,
            "/api/me/privacy",
            Some(json!({"read_receipts": false})),
        )
        .await;
    assert_eq!(status, 200);
    read("bob", 2).await;
    let mine = bob2.recv().await;

    assert_eq!(
        (mine.cmd, mine.seq),
        (15, 2),
        "his other device stays in step"
    );
    ann_ws.expect_silence().await;
    // (Bob's own marks reached this device of his too.)
    while let Some(own) = bob_ws.try_recv(Duration::from_millis(300)).await {
        assert_eq!((own.cmd, own.userid), (15, bob.id));
    }
    read("ann", 2).await;
    bob_ws.expect_silence().await;
    let open = get_json(&srv, &ann, &format!("/api/conversations/{conv}")).await;
    assert_eq!(open["peer_read_seq"], 0, "nor does a page tell");
    let open = get_json(&srv, &bob, &format!("/api/conversations/{conv}")).await;
    assert_eq!(open["peer_read_seq"], 0);
}

#[tokio::test]
async fn friends_see_when_i_was_last_seen_unless_i_hide_it() {
    let srv = common::spawn_with(&["--presence-grace-ms", "100"]).await;
    let ann = person(&srv, "ann").await;
    let bob = person(&srv, "bob").await;
    let cy = person(&srv, "cyd").await;
    befriend(&srv, &ann, &bob).await;
    let mut ann_ws = Ws::connect(&srv.base, &ann.token).await;

    let before = chrono_now();
    let bob_ws = Ws::connect(&srv.base, &bob.token).await;
    drop(bob_ws);
    let told = offline_frame(&mut ann_ws).await;
    assert_eq!(told.userid, bob.id);
    assert!(told.ts >= before, "offline says since when: {}", told.ts);
    let friends = get_json(&srv, &ann, "/api/friends").await;
    assert_eq!(friends[0]["online"], false);
    assert_eq!(friends[0]["last_seen"], told.ts);
    let open = get_json(
        &srv,
        &ann,
        &format!("/api/conversations/{}", pconv(&ann, &bob)),
    )
    .await;
    assert_eq!(open["peer_last_seen"], told.ts);
    // A stranger's page of a 1:1 never tells.
    let open = get_json(
        &srv,
        &cy,
        &format!("/api/conversations/{}", pconv(&cy, &bob)),
    )
    .await;
    assert_eq!(open["peer_last_seen"], 0);

    // Bob hides it: nothing says when any more.
    let (status, _) = bob
        .json(
            &srv,
            Method::PATCH,
            "/api/me/privacy",
            Some(json!({"last_seen_visible": false})),
        )
        .await;
    assert_eq!(status, 200);
    let bob_ws = Ws::connect(&srv.base, &bob.token).await;
    drop(bob_ws);
    let told = offline_frame(&mut ann_ws).await;
    assert_eq!(told.ts, 0);
    let friends = get_json(&srv, &ann, "/api/friends").await;
    assert!(friends[0].get("last_seen").is_none(), "{friends}");
    let open = get_json(
        &srv,
        &ann,
        &format!("/api/conversations/{}", pconv(&ann, &bob)),
    )
    .await;
    assert_eq!(open["peer_last_seen"], 0);
}

fn chrono_now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

/// The next "offline" presence frame `ws` hears.
async fn offline_frame(ws: &mut Ws) -> Frame {
    loop {
        let f = ws.recv().await;
        if f.cmd == 13 && f.content == "offline" {
            return f;
        }
    }
}

#[tokio::test]
async fn across_a_block_old_messages_can_only_be_recalled_or_hidden() {
    let srv = common::spawn().await;
    let ann = person(&srv, "ann").await;
    let bob = person(&srv, "bob").await;
    befriend(&srv, &ann, &bob).await;
    let conv = pconv(&ann, &bob);
    let messages = format!("/api/conversations/{conv}/messages");
    for (who, cid) in [(&ann, "k1"), (&bob, "k2")] {
        let (status, _) = who
            .json(
                &srv,
                Method::POST,
                &messages,
                Some(json!({"cid": cid, "media": 1, "content": "hi"})),
            )
            .await;
        assert_eq!(status, 201);
    }
    let (status, _) = bob
        .json(&srv, Method::PUT, &format!("/api/blocks/{}", ann.id), None)
        .await;
    assert!(status == 200 || status == 204, "{status}");
    let actions = format!("/api/conversations/{conv}/actions");
    let act = |cid: &str, act: &str, target: i64, content: &str| json!({"cid": cid, "act": act, "target": target, "content": content});
    // Ann, blocked: no reaction on Bob's message, no edit or pin of her own.
    for body in [
        act("b1", "react", 2, "👍"),
        act("b2", "edit", 1, "changed"),
        act("b3", "pin", 1, ""),
    ] {
        let res = api(&srv, &ann, Method::POST, &actions, Some(body)).await;
        expect_error(res, 403, "blocked").await;
    }
    // Bob, the blocker, is told to unblock first.
    let res = api(
        &srv,
        &bob,
        Method::POST,
        &actions,
        Some(act("b4", "react", 1, "👍")),
    )
    .await;
    let err = expect_error(res, 403, "blocked").await;
    assert!(err["msg"].as_str().unwrap().contains("Unblock"));
    // Taking things away still works: recall her own, hide his for her.
    let res = api(
        &srv,
        &ann,
        Method::POST,
        &actions,
        Some(act("b5", "recall", 1, "")),
    )
    .await;
    assert!(res.status().is_success(), "{}", res.status());
    let res = api(
        &srv,
        &ann,
        Method::POST,
        &actions,
        Some(act("b6", "hide", 2, "")),
    )
    .await;
    assert!(res.status().is_success(), "{}", res.status());
    let page = get_json(&srv, &bob, &format!("/api/conversations/{conv}")).await;
    let reactions = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m.get("reactions").is_some())
        .count();
    assert_eq!(reactions, 0, "nothing reached across the block");
}

#[tokio::test]
async fn my_privacy_and_session_changes_reach_my_other_devices_and_nobody_else() {
    let srv = common::spawn().await;
    let ann = person(&srv, "ann").await;
    let bob = person(&srv, "bob").await;
    befriend(&srv, &ann, &bob).await;
    let quiet = [12, 13];
    let mut ann_ws = Ws::connect(&srv.base, &ann.token).await.ignoring(&quiet);
    let mut bob_ws = Ws::connect(&srv.base, &bob.token).await.ignoring(&quiet);
    let account = |f: &Frame| (f.cmd, f.memo.clone(), f.userid);

    let res = set(&srv, &ann, json!({"discoverable": true})).await;
    assert_eq!(res.status(), 200);
    let f = ann_ws.recv().await;
    assert_eq!(account(&f), (19, "privacy".into(), 0));
    // A refused change tells nobody.
    let res = set(&srv, &ann, json!({"requests_from": "aliens"})).await;
    assert!(res.status().is_client_error());
    ann_ws.expect_silence().await;

    // A login elsewhere, and its end, change the list of sessions.
    let other = srv.login("ann", "right-password").await;
    assert_eq!(account(&ann_ws.recv().await), (19, "sessions".into(), 0));
    let other = Person {
        id: ann.id,
        token: other,
    };
    let res = api(&srv, &other, Method::POST, "/api/logout", None).await;
    assert!(res.status().is_success());
    assert_eq!(account(&ann_ws.recv().await), (19, "sessions".into(), 0));
    let third = srv.login("ann", "right-password").await;
    assert_eq!(account(&ann_ws.recv().await), (19, "sessions".into(), 0));
    let res = api(&srv, &ann, Method::DELETE, "/api/me/sessions", None).await;
    assert!(res.status().is_success());
    assert_eq!(account(&ann_ws.recv().await), (19, "sessions".into(), 0));
    assert_ne!(third, ann.token);

    // None of it is anyone else's business.
    bob_ws.expect_silence().await;
}

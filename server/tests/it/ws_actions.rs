//! Actions on messages through the real server (issue 20): live events (cmd 17) with their
//! own seq and acks, a device that was offline catching up on each once and in order, the
//! REST endpoint's authorisation (stranger, ex-member, anonymous), replies, mentions and
//! forwards, recall deleting the upload, and the per-user rate limit. (The seed client
//! hearing nothing of actions is in `v0.rs`.)

use crate::common;

use app::protocol::frame::Frame;
use common::ws::Ws;
use common::{api, befriend, client, expect_error, group, join_group, pconv, person, text};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;

/// A small PNG of this size.
fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(width, height, image::Rgb([200, 30, 30]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// An action frame (cmd 17).
fn act(conv: &str, cid: &str, act: &str, target: i64, content: &str) -> Frame {
    Frame {
        cmd: 17,
        conv: conv.to_owned(),
        cid: cid.to_owned(),
        act: act.to_owned(),
        target,
        content: content.to_owned(),
        ..Frame::default()
    }
}

async fn page(srv: &common::TestServer, who: &common::Person, conv: &str, q: &str) -> Vec<Frame> {
    api(
        srv,
        who,
        Method::GET,
        &format!("/api/conversations/{conv}/messages{q}"),
        None,
    )
    .await
    .json()
    .await
    .unwrap()
}

#[tokio::test]
async fn an_offline_device_sees_an_edit_a_recall_and_three_reactions_once_in_order() {
    let srv = common::spawn().await;
    let (a, b) = (person(&srv, "amber").await, person(&srv, "basil").await);
    befriend(&srv, &a, &b).await;
    let conv = pconv(&a, &b);
    let mut aw = Ws::connect(&srv.base, &a.token)
        .await
        .ignoring(&[13, 15, 16]);
    let mut bw = Ws::connect(&srv.base, &b.token)
        .await
        .ignoring(&[13, 15, 16]);
    aw.send(&text(10, b.id, "m1", "helo")).await;
    assert_eq!(aw.recv().await.seq, 1);
    aw.send(&text(10, b.id, "m2", "oops, wrong chat")).await;
    assert_eq!(aw.recv().await.seq, 2);
    assert_eq!(bw.recv().await.seq, 1);
    assert_eq!(bw.recv().await.seq, 2);
    // Basil's device goes away.
    drop(bw);

    let actions = [
        (&a, "e1", "edit", 1, "hello"),
        (&a, "r1", "recall", 2, ""),
        (&a, "k1", "react", 1, "👍"),
        (&a, "k2", "react", 1, "🎉"),
        (&a, "k3", "unreact", 1, "👍"),
    ];
    for (i, (_, cid, what, target, content)) in actions.iter().enumerate() {
        aw.send(&act(&conv, cid, what, *target, content)).await;
        let ack = aw.recv().await;
        assert_eq!(
            (
                ack.cmd,
                ack.cid.as_str(),
                ack.seq,
                ack.act.as_str(),
                ack.target
            ),
            (1, *cid, 3 + i as i64, *what, *target),
            "acked after commit, with its own seq"
        );
    }
    // Resending an action changes nothing and is acked the same.
    aw.send(&act(&conv, "k2", "react", 1, "🎉")).await;
    assert_eq!(aw.recv().await.seq, 4 + 2);
    // Back online: the gap after seq 2 holds each event once, in order.
    let mut bw = Ws::connect(&srv.base, &b.token)
        .await
        .ignoring(&[13, 15, 16]);
    let gap = page(&srv, &b, &conv, "?after=2").await;
    assert_eq!(
        gap.iter()
            .map(|f| (f.cmd, f.seq, f.act.as_str(), f.target))
            .collect::<Vec<_>>(),
        vec![
            (17, 3, "edit", 1),
            (17, 4, "recall", 2),
            (17, 5, "react", 1),
            (17, 6, "react", 1),
            (17, 7, "unreact", 1),
        ]
    );
    assert_eq!(gap[0].content, "hello");
    assert_eq!(gap[0].userid, a.id);
    // A fresh page shows every message in its current state, without replaying anything.
    let fresh = page(&srv, &b, &conv, "?limit=2&before=3").await;
    assert_eq!(fresh[0].content, "hello");
    assert!(fresh[0].edited > 0);
    assert_eq!(fresh[0].reactions.len(), 1);
    assert_eq!(fresh[0].reactions[0].emoji, "🎉");
    assert_eq!(fresh[1].recalled_by, a.id);
    assert_eq!(
        fresh[1].content, "",
        "a recalled message carries nothing of itself"
    );
    // Nothing more was delivered live to the reconnected device: it was all before it.
    bw.expect_silence().await;

    // Live: the next action reaches the other side as cmd 17, the actor's device an ack.
    aw.send(&act(&conv, "p1", "pin", 1, "")).await;
    assert_eq!(aw.recv().await.cmd, 1);
    let live = bw.recv().await;
    assert_eq!(
        (
            live.cmd,
            live.act.as_str(),
            live.seq,
            live.target,
            live.userid
        ),
        (17, "pin", 8, 1, a.id)
    );
    // The list counts messages, not actions.
    let list: Value = common::get_json(&srv, &b, "/api/conversations").await;
    assert_eq!(list[0]["unread"], 2);
    assert_eq!(list[0]["last_seq"], 8);
    // Basil deletes the first message for him on his phone (over REST): his open device
    // hears it; it has no seq, so the opened conversation lists it for a device that was away.
    let res = api(
        &srv,
        &b,
        Method::POST,
        &format!("/api/conversations/{conv}/actions"),
        Some(json!({"cid": "h1", "act": "hide", "target": 1})),
    )
    .await;
    assert_eq!(res.status(), 204, "a hide has no seq, nothing to return");
    let told = bw.recv().await;
    assert_eq!(
        (told.cmd, told.act.as_str(), told.target, told.seq),
        (17, "hide", 1, 0)
    );
    let open = common::get_json(&srv, &b, &format!("/api/conversations/{conv}")).await;
    assert_eq!(open["hidden"], json!([1]));
    let open = common::get_json(&srv, &a, &format!("/api/conversations/{conv}")).await;
    assert_eq!(open["hidden"], json!([]), "hidden for Basil only");
}

#[tokio::test]
async fn refusals_are_error_frames_and_rest_answers_with_status_and_code() {
    let srv = common::spawn_with(&["--recall-window-secs", "1"]).await;
    let (a, b) = (person(&srv, "amber").await, person(&srv, "basil").await);
    let stranger = person(&srv, "sage").await;
    befriend(&srv, &a, &b).await;
    let conv = pconv(&a, &b);
    let mut aw = Ws::connect(&srv.base, &a.token)
        .await
        .ignoring(&[13, 15, 16]);
    aw.send(&text(10, b.id, "m1", "hello")).await;
    aw.recv().await;
    let path = format!("/api/conversations/{conv}/actions");

    // Basil may not edit or recall Amber's message; bad input is a clear error.
    let mut bw = Ws::connect(&srv.base, &b.token)
        .await
        .ignoring(&[10, 13, 15, 16]);
    for (frame, code) in [
        (act(&conv, "x1", "edit", 1, "mine"), "not_author"),
        (act(&conv, "x2", "recall", 1, ""), "not_author"),
        (
            act(&conv, "x3", "react", 1, "not an emoji"),
            "invalid_payload",
        ),
        (act(&conv, "x4", "react", 1, "👍👍"), "invalid_payload"),
        (act(&conv, "x5", "shout", 1, ""), "invalid_payload"),
        (act(&conv, "x6", "react", 99, "👍"), "not_found"),
        (act(&conv, "", "react", 1, "👍"), "invalid_payload"),
        (act("p:0:x", "x7", "react", 1, "👍"), "not_found"),
    ] {
        bw.send(&frame).await;
        let err = bw.recv().await;
        assert_eq!((err.cmd, err.code.as_str()), (2, code), "{frame:?}");
    }
    // REST: a stranger, and nobody at all.
    let body = json!({"cid": "s1", "act": "react", "target": 1, "content": "👍"});
    let res = api(&srv, &stranger, Method::POST, &path, Some(body.clone())).await;
    expect_error(res, 403, "forbidden").await;
    let res = client()
        .post(srv.url(&path))
        .json(&body)
        .send()
        .await
        .unwrap();
    expect_error(res, 401, "unauthorized").await;
    // Through REST, the actor gets the event itself; a resend is 200 with the same one.
    let res = api(
        &srv,
        &b,
        Method::POST,
        &path,
        Some(json!({"cid": "k", "act": "react", "target": 1, "content": "👍"})),
    )
    .await;
    assert_eq!(res.status(), 201);
    let event: Frame = res.json().await.unwrap();
    assert_eq!((event.cmd, event.seq, event.userid), (17, 2, b.id));
    let res = api(
        &srv,
        &b,
        Method::POST,
        &path,
        Some(json!({"cid": "k", "act": "react", "target": 1, "content": "👍"})),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Frame>().await.unwrap().seq, 2);
    // Amber's device hears of it live.
    let live = aw.recv().await;
    assert_eq!((live.cmd, live.act.as_str()), (17, "react"));
    // The recall window is one second here.
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let res = api(
        &srv,
        &a,
        Method::POST,
        &path,
        Some(json!({"cid": "r", "act": "recall", "target": 1})),
    )
    .await;
    expect_error(res, 403, "recall_window_passed").await;
    // Hide (delete for me) is nobody else's business: no seq, only my devices hear of it.
    let res = api(
        &srv,
        &b,
        Method::POST,
        &path,
        Some(json!({"cid": "h", "act": "hide", "target": 1})),
    )
    .await;
    assert_eq!(res.status(), 204);
    aw.expect_silence().await;
    let mine = page(&srv, &b, &conv, "").await;
    assert!(mine[0].hidden && mine[0].content.is_empty());
    let theirs = page(&srv, &a, &conv, "").await;
    assert!(!theirs[0].hidden && theirs[0].content == "hello");
}

/// A group "club" of olive (owner) with mint as a member and exie, who joined and left;
/// mint has said "hello" (seq 1). Returns (owner, member, ex-member, group id).
async fn club(srv: &common::TestServer) -> (common::Person, common::Person, common::Person, i64) {
    let (owner, m, ex) = (
        person(srv, "olive").await,
        person(srv, "mint").await,
        person(srv, "exie").await,
    );
    let gid = group(srv, &owner, "club").await;
    join_group(srv, &m, gid).await;
    join_group(srv, &ex, gid).await;
    let (s, _) = m
        .json(
            srv,
            Method::POST,
            &format!("/api/conversations/g:{gid}/messages"),
            Some(json!({"cid": "m1", "media": 1, "content": "hello"})),
        )
        .await;
    assert_eq!(s, 201);
    let (s, _) = ex
        .json(srv, Method::POST, &format!("/api/groups/{gid}/leave"), None)
        .await;
    assert_eq!(s, 204);
    (owner, m, ex, gid)
}

#[tokio::test]
async fn group_actions_need_membership_and_the_owner_moderates() {
    let srv = common::spawn().await;
    let (owner, m, ex, gid) = club(&srv).await;
    let conv = format!("g:{gid}");
    let path = format!("/api/conversations/{conv}/actions");
    let send = format!("/api/conversations/{conv}/messages");
    // An ex-member may do nothing any more.
    let res = api(
        &srv,
        &ex,
        Method::POST,
        &path,
        Some(json!({"cid": "k", "act": "react", "target": 1, "content": "👍"})),
    )
    .await;
    expect_error(res, 403, "not_member").await;
    // Members may not pin unless the group allows it; the owner may.
    let res = api(
        &srv,
        &m,
        Method::POST,
        &path,
        Some(json!({"cid": "p", "act": "pin", "target": 1})),
    )
    .await;
    expect_error(res, 403, "forbidden").await;
    let res = api(
        &srv,
        &owner,
        Method::POST,
        &path,
        Some(json!({"cid": "p", "act": "pin", "target": 1})),
    )
    .await;
    assert_eq!(res.status(), 201);
    // The owner may recall anyone's message, whenever.
    let res = api(
        &srv,
        &owner,
        Method::POST,
        &path,
        Some(json!({"cid": "r", "act": "recall", "target": 1})),
    )
    .await;
    assert_eq!(res.status(), 201);
    let pages = page(&srv, &m, &conv, "").await;
    let first = pages.iter().find(|f| f.seq == 1).unwrap();
    assert_eq!((first.recalled_by, first.pinned_at), (owner.id, 0));

    // Mentions: members only; everyone only by the owner.
    let (s, v) = m
        .json(
            &srv,
            Method::POST,
            &send,
            Some(json!({"cid": "m2", "media": 1, "content": "@ex", "mentions": [ex.id]})),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (403, Some("not_member")));
    let (s, v) = m
        .json(
            &srv,
            Method::POST,
            &send,
            Some(json!({"cid": "m3", "media": 1, "content": "@all", "mentions": [0]})),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (403, Some("not_owner")));
    let (s, v) = m
        .json(
            &srv,
            Method::POST,
            &send,
            Some(json!({"cid": "m4", "media": 1, "content": "@olive", "mentions": [owner.id]})),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let list = common::get_json(&srv, &owner, "/api/conversations").await;
    assert_eq!(list[0]["mentioned"], true);
}

#[tokio::test]
async fn replies_quote_and_forwards_copy_with_their_media() {
    let srv = common::spawn().await;
    let (a, b, c) = (
        person(&srv, "amber").await,
        person(&srv, "basil").await,
        person(&srv, "cyan").await,
    );
    befriend(&srv, &a, &b).await;
    befriend(&srv, &b, &c).await;
    let ab = pconv(&a, &b);
    let bc = pconv(&b, &c);
    let picture = png(4, 3);
    let up: Value = common::upload(&srv, &a, "a.png", "image/png", picture)
        .await
        .json()
        .await
        .unwrap();
    let url = up["url"].as_str().unwrap().to_owned();
    let send_ab = format!("/api/conversations/{ab}/messages");
    let (s, v) = a
        .json(
            &srv,
            Method::POST,
            &send_ab,
            Some(json!({"cid": "img", "media": 4, "url": url, "pic": up["pic"]})),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = a
        .json(
            &srv,
            Method::POST,
            &send_ab,
            Some(json!({"cid": "t", "media": 1, "content": "first line\nsecond"})),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    // Basil replies to the text; the reply carries the quote.
    let (s, reply) = b
        .json(
            &srv,
            Method::POST,
            &send_ab,
            Some(json!({"cid": "re", "media": 1, "content": "agreed", "reply_to": 2})),
        )
        .await;
    assert_eq!(s, 201);
    assert_eq!(reply["reply_to"], 2);
    let (s, v) = b
        .json(
            &srv,
            Method::POST,
            &send_ab,
            Some(json!({"cid": "re2", "media": 1, "content": "?", "reply_to": 99})),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (404, Some("not_found")));
    let pg = page(&srv, &a, &ab, "").await;
    let quoted = pg
        .iter()
        .find(|f| f.seq == 3)
        .unwrap()
        .quote
        .clone()
        .unwrap();
    assert_eq!(
        (quoted.content.as_str(), quoted.userid.0),
        ("first line", a.id)
    );

    // Cyan cannot fetch Amber's picture, until Basil forwards it to their chat.
    let media_path = url.clone();
    let res = c.req(&srv, Method::GET, &media_path).send().await.unwrap();
    assert_eq!(res.status(), 403);
    // Forwarding something one cannot read is refused.
    let send_bc = format!("/api/conversations/{bc}/messages");
    let (s, _) = c
        .json(
            &srv,
            Method::POST,
            &format!("/api/conversations/{}/messages", pconv(&c, &b)),
            Some(json!({"cid": "f0", "forward_of": {"conv": ab, "seq": 1}})),
        )
        .await;
    assert_eq!(s, 403);
    let (s, fwd) = b
        .json(
            &srv,
            Method::POST,
            &send_bc,
            Some(json!({"cid": "f1", "forward_of": {"conv": ab, "seq": 1}})),
        )
        .await;
    assert_eq!(s, 201, "{fwd}");
    assert_eq!(
        (fwd["forwarded"].as_bool(), fwd["url"].as_str()),
        (Some(true), Some(url.as_str()))
    );
    let res = c.req(&srv, Method::GET, &media_path).send().await.unwrap();
    assert_eq!(res.status(), 200);

    // Amber recalls the picture: the forward keeps the file alive; recalling... only her
    // copy goes. A picture sent once and recalled is deleted from storage.
    let up2: Value = common::upload(&srv, &a, "b.png", "image/png", png(5, 5))
        .await
        .json()
        .await
        .unwrap();
    let url2 = up2["url"].as_str().unwrap().to_owned();
    let (s, v) = a
        .json(
            &srv,
            Method::POST,
            &send_ab,
            Some(json!({"cid": "img2", "media": 4, "url": url2, "pic": up2["pic"]})),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let seq2 = v["seq"].as_i64().unwrap();
    let res = b.req(&srv, Method::GET, &url2).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let acts = format!("/api/conversations/{ab}/actions");
    for (cid, target) in [("r1", 1), ("r2", seq2)] {
        let (s, v) = a
            .json(
                &srv,
                Method::POST,
                &acts,
                Some(json!({"cid": cid, "act": "recall", "target": target})),
            )
            .await;
        assert_eq!(s, 201, "{v}");
    }
    // The forwarded one is still there for Basil and Cyan; the other is gone for everyone.
    let res = c.req(&srv, Method::GET, &media_path).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let mut gone = false;
    for _ in 0..50 {
        let res = a.req(&srv, Method::GET, &url2).send().await.unwrap();
        if res.status() == 404 {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(gone, "the recalled upload is deleted");
    let key = url2.trim_start_matches("/media/");
    let on_disk = srv.data_dir().join("media").join(key);
    assert!(!on_disk.exists(), "{on_disk:?} still on disk");
}

#[tokio::test]
async fn actions_are_rate_limited_per_user() {
    let srv = common::spawn_with(&["--actions-per-minute", "5"]).await;
    let (a, b) = (person(&srv, "amber").await, person(&srv, "basil").await);
    befriend(&srv, &a, &b).await;
    let conv = pconv(&a, &b);
    let mut aw = Ws::connect(&srv.base, &a.token)
        .await
        .ignoring(&[13, 15, 16]);
    aw.send(&text(10, b.id, "m1", "hello")).await;
    aw.recv().await;
    let emojis = ["👍", "🎉", "😀", "❤️", "🙈", "🚀"];
    let mut codes = Vec::new();
    for (i, e) in emojis.iter().enumerate() {
        aw.send(&act(&conv, &format!("k{i}"), "react", 1, e)).await;
        let f = aw.recv().await;
        codes.push(if f.cmd == 2 { f.code } else { "ok".into() });
    }
    assert_eq!(codes, ["ok", "ok", "ok", "ok", "ok", "too_many_actions"]);
    // Another user has a budget of their own.
    let res = api(
        &srv,
        &b,
        Method::POST,
        &format!("/api/conversations/{conv}/actions"),
        Some(json!({"cid": "b", "act": "react", "target": 1, "content": "👍"})),
    )
    .await;
    assert_eq!(res.status(), 201);
}

/// `PATCH /api/groups/{id}` as `who`, from the address `from` (the test server trusts its
/// loopback proxy).
async fn set_pin_rule(
    srv: &common::TestServer,
    who: &common::Person,
    gid: i64,
    allowed: bool,
    from: &str,
) -> (u16, Value) {
    let res = who
        .req(srv, Method::PATCH, &format!("/api/groups/{gid}"))
        .header("x-forwarded-for", from)
        .json(&json!({ "members_can_pin": allowed }))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// `mint` pins or unpins (`act`) the club's first message over REST.
async fn member_pins(
    srv: &common::TestServer,
    m: &common::Person,
    conv: &str,
    cid: &str,
    act: &str,
) -> reqwest::Response {
    let path = format!("/api/conversations/{conv}/actions");
    api(
        srv,
        m,
        Method::POST,
        &path,
        Some(json!({"cid": cid, "act": act, "target": 1})),
    )
    .await
}

#[tokio::test]
async fn the_owner_lets_members_pin_and_every_member_hears_it_at_once() {
    let srv = common::spawn_with(&["--trusted-proxies", "127.0.0.1"]).await;
    let (owner, m, ex, gid) = club(&srv).await;
    let stranger = person(&srv, "sven").await;
    let conv = format!("g:{gid}");
    let mut mw = Ws::connect(&srv.base, &m.token)
        .await
        .ignoring(&[13, 15, 16]);

    // Nobody but the owner may change the rule: a member, an ex-member, a stranger, nobody
    // signed in; and no such group is 404. None of it changes anything or tells anyone.
    for who in [&m, &ex, &stranger] {
        let (s, v) = set_pin_rule(&srv, who, gid, true, "10.0.0.1").await;
        assert_eq!((s, v["code"].as_str()), (403, Some("not_owner")), "{v}");
    }
    let res = client()
        .patch(srv.url(&format!("/api/groups/{gid}")))
        .json(&json!({"members_can_pin": true}))
        .send()
        .await
        .unwrap();
    expect_error(res, 401, "unauthorized").await;
    let (s, v) = set_pin_rule(&srv, &owner, gid + 100, true, "10.0.0.1").await;
    assert_eq!((s, v["code"].as_str()), (404, Some("not_found")), "{v}");
    let res = owner
        .req(&srv, Method::PATCH, &format!("/api/groups/{gid}"))
        .json(&json!({"members_can_pin": "yes"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    mw.expect_silence().await;
    let res = member_pins(&srv, &m, &conv, "p0", "pin").await;
    expect_error(res, 403, "forbidden").await;

    // The owner allows it: the member hears it at once, and may pin.
    let (s, v) = set_pin_rule(&srv, &owner, gid, true, "10.0.0.1").await;
    assert_eq!((s, &v), (200, &json!({"members_can_pin": true})));
    let told = mw.recv().await;
    assert_eq!(
        (told.cmd, told.memo.as_str(), told.conv.as_str()),
        (12, "members_may_pin", conv.as_str())
    );
    let open = common::get_json(&srv, &m, &format!("/api/conversations/{conv}")).await;
    assert_eq!(open["members_can_pin"], true);
    let mine = common::get_json(&srv, &m, "/api/groups").await;
    assert_eq!(mine[0]["members_can_pin"], true, "{mine}");
    let res = member_pins(&srv, &m, &conv, "p1", "pin").await;
    assert_eq!(res.status(), 201);
    let pinned = mw.recv().await;
    assert_eq!(
        (pinned.cmd, pinned.act.as_str()),
        (17, "pin"),
        "the member's device hears the pin made over REST"
    );

    // Setting it again tells nobody: the next thing the member hears is the rule taken back.
    let (s, _) = set_pin_rule(&srv, &owner, gid, true, "10.0.0.1").await;
    assert_eq!(s, 200);
    let (s, v) = set_pin_rule(&srv, &owner, gid, false, "10.0.0.1").await;
    assert_eq!((s, &v), (200, &json!({"members_can_pin": false})));
    let told = mw.recv().await;
    assert_eq!((told.cmd, told.memo.as_str()), (12, "only_owner_pins"));
    let res = member_pins(&srv, &m, &conv, "p2", "unpin").await;
    expect_error(res, 403, "forbidden").await;

    // Rate: ten changes a minute per user (the owner has spent four above: a refusal by
    // the rules counts too, a body that does not parse does not), and per address.
    let mut statuses = Vec::new();
    for i in 0..7 {
        statuses.push(
            set_pin_rule(&srv, &owner, gid, i % 2 == 0, "10.0.0.2")
                .await
                .0,
        );
    }
    assert_eq!(statuses, [200, 200, 200, 200, 200, 200, 429]);
    // A second owner elsewhere has a budget of their own, until the address's is spent
    // (six changes came from it above).
    let other = group(&srv, &stranger, "other").await;
    let mut statuses = Vec::new();
    for i in 0..5 {
        statuses.push(
            set_pin_rule(&srv, &stranger, other, i % 2 == 0, "10.0.0.2")
                .await
                .0,
        );
    }
    assert_eq!(statuses, [200, 200, 200, 200, 429]);
    let (s, _) = set_pin_rule(&srv, &stranger, other, true, "10.0.0.9").await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn a_recalled_picture_is_deleted_from_s3_storage() {
    let moto = common::s3::moto().await;
    let flags = moto.flags();
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let srv = common::spawn_with(&flags).await;
    let (a, b) = (person(&srv, "amber").await, person(&srv, "basil").await);
    befriend(&srv, &a, &b).await;
    let conv = pconv(&a, &b);
    let up: Value = common::upload(&srv, &a, "p.png", "image/png", png(600, 300))
        .await
        .json()
        .await
        .unwrap();
    let (url, pic) = (
        up["url"].as_str().unwrap().to_owned(),
        up["pic"].as_str().unwrap().to_owned(),
    );
    assert_ne!(url, pic, "a picture this size has a thumbnail of its own");
    // Another upload that stays: only the recalled message's files go.
    let kept: Value = common::upload(&srv, &a, "k.png", "image/png", png(5, 5))
        .await
        .json()
        .await
        .unwrap();
    let before = moto.keys().await;
    assert!(before.len() >= 3, "{before:?}");
    let (s, v) = a
        .json(
            &srv,
            Method::POST,
            &format!("/api/conversations/{conv}/messages"),
            Some(json!({"cid": "img", "media": 4, "url": url, "pic": pic})),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let res = b.req(&srv, Method::GET, &pic).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let (s, v) = a
        .json(
            &srv,
            Method::POST,
            &format!("/api/conversations/{conv}/actions"),
            Some(json!({"cid": "r", "act": "recall", "target": v["seq"]})),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let gone = |keys: &[String], path: &str| {
        let key = path.trim_start_matches("/media/");
        !keys.iter().any(|k| k.ends_with(key))
    };
    let mut left = Vec::new();
    for _ in 0..50 {
        left = moto.keys().await;
        if gone(&left, &url) && gone(&left, &pic) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(gone(&left, &url) && gone(&left, &pic), "{left:?}");
    assert!(!gone(&left, kept["url"].as_str().unwrap()), "{left:?}");
    for path in [&url, &pic] {
        let res = a.req(&srv, Method::GET, path).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn reactions_racing_from_twenty_sockets_end_in_exact_counts() {
    let srv = common::spawn().await;
    let owner = person(&srv, "racer0").await;
    let gid = group(&srv, &owner, "race").await;
    let mut people = vec![owner];
    for i in 1..20 {
        let p = person(&srv, &format!("racer{i}")).await;
        join_group(&srv, &p, gid).await;
        people.push(p);
    }
    let conv = format!("g:{gid}");
    let (s, _) = people[0]
        .json(
            &srv,
            Method::POST,
            &format!("/api/conversations/{conv}/messages"),
            Some(json!({"cid": "m", "media": 1, "content": "react to me"})),
        )
        .await;
    assert_eq!(s, 201);
    let mut sockets = Vec::new();
    for p in &people {
        sockets.push(
            Ws::connect(&srv.base, &p.token)
                .await
                .ignoring(&[12, 13, 15, 16]),
        );
    }
    // Everyone reacts 👍 and ❤️, and the even ones then take their 👍 back, all at once.
    let tasks: Vec<_> = sockets
        .into_iter()
        .enumerate()
        .map(|(i, mut ws)| {
            let conv = conv.clone();
            tokio::spawn(async move {
                let mine = [
                    ("react", "👍"),
                    ("react", "❤️"),
                    ("unreact", if i % 2 == 0 { "👍" } else { "🙈" }),
                ];
                for (n, (what, emoji)) in mine.iter().enumerate() {
                    ws.send(&act(&conv, &format!("{i}-{n}"), what, 1, emoji))
                        .await;
                }
                // Each is acked once stored; the others' events come in between.
                let mut acked = Vec::new();
                while acked.len() < mine.len() {
                    let f = ws.recv().await;
                    assert_ne!(f.cmd, 2, "refused: {f:?}");
                    if f.cmd == 1 {
                        acked.push(f.cid);
                    }
                }
                acked
            })
        })
        .collect();
    for (i, t) in tasks.into_iter().enumerate() {
        let acked = t.await.unwrap();
        assert_eq!(acked, [0, 1, 2].map(|n| format!("{i}-{n}")), "in order");
    }
    let all = page(&srv, &people[0], &conv, "?after=0&limit=100").await;
    let seqs: Vec<i64> = all.iter().map(|f| f.seq).collect();
    assert_eq!(seqs, (1..=61).collect::<Vec<_>>(), "one message, 60 events");
    let count = |emoji: &str| {
        all[0]
            .reactions
            .iter()
            .find(|r| r.emoji == emoji)
            .map_or(0, |r| r.users.len())
    };
    assert_eq!((count("👍"), count("❤️"), count("🙈")), (10, 20, 0));
}

/// The text of `who`'s first conversation's preview in their list.
async fn preview(srv: &common::TestServer, who: &common::Person) -> Option<String> {
    let list = common::get_json(srv, who, "/api/conversations").await;
    list[0]["last"]["content"].as_str().map(str::to_owned)
}

#[tokio::test]
async fn the_list_previews_the_newest_message_i_have_not_deleted_for_me() {
    let srv = common::spawn().await;
    let (a, b) = (person(&srv, "amber").await, person(&srv, "basil").await);
    befriend(&srv, &a, &b).await;
    let conv = pconv(&a, &b);
    let send = format!("/api/conversations/{conv}/messages");
    let acts = format!("/api/conversations/{conv}/actions");
    for (cid, text) in [("m1", "one"), ("m2", "two")] {
        let (s, _) = a
            .json(
                &srv,
                Method::POST,
                &send,
                Some(json!({"cid": cid, "media": 1, "content": text})),
            )
            .await;
        assert_eq!(s, 201);
    }
    assert_eq!(preview(&srv, &b).await.as_deref(), Some("two"));
    for (cid, seq, shown) in [("h2", 2, Some("one")), ("h1", 1, None)] {
        let res = api(
            &srv,
            &b,
            Method::POST,
            &acts,
            Some(json!({"cid": cid, "act": "hide", "target": seq})),
        )
        .await;
        assert_eq!(res.status(), 204);
        assert_eq!(
            preview(&srv, &b).await.as_deref(),
            shown,
            "after hiding {seq}"
        );
        assert_eq!(
            preview(&srv, &a).await.as_deref(),
            Some("two"),
            "for Basil only"
        );
    }
    let (s, _) = a
        .json(
            &srv,
            Method::POST,
            &send,
            Some(json!({"cid": "m3", "media": 1, "content": "three"})),
        )
        .await;
    assert_eq!(s, 201);
    assert_eq!(preview(&srv, &b).await.as_deref(), Some("three"));
}

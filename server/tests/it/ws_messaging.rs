//! The WebSocket hub against the real server with real WebSocket clients: delivery to
//! every connection, acks after storing, idempotent resends, the sender taken from the
//! session, rights, payload validation, and group ordering under concurrent senders.

use crate::common;

use app::protocol::frame::Frame;
use common::ws::Ws;
use common::{befriend, client, person, text};
use reqwest::header::AUTHORIZATION;
use serde_json::{json, Value};

#[tokio::test]
async fn private_message_reaches_every_connection_once() {
    let srv = common::spawn().await;
    let (a, b) = (person(&srv, "alice").await, person(&srv, "bob").await);
    befriend(&srv, &a, &b).await;
    let mut a1 = Ws::messages_only(&srv.base, &a.token).await;
    let mut a2 = Ws::messages_only(&srv.base, &a.token).await;
    let mut b1 = Ws::messages_only(&srv.base, &b.token).await;
    let mut b2 = Ws::messages_only(&srv.base, &b.token).await;

    // The frame claims to be from bob: the session says alice, and alice it is.
    let mut f = text(10, b.id, "m-1", "hello bob");
    f.userid = b.id;
    a1.send(&f).await;
    let ack = a1.recv().await;
    assert_eq!((ack.cmd, ack.cid.as_str(), ack.seq), (1, "m-1", 1));
    let conv = format!("p:{}:{}", a.id.min(b.id), a.id.max(b.id));
    assert_eq!(ack.conv, conv);
    assert!(ack.id > 0 && ack.ts > 0);

    for ws in [&mut a2, &mut b1, &mut b2] {
        let got = ws.recv().await;
        assert_eq!((got.cmd, got.userid, got.dstid), (10, a.id, b.id));
        assert_eq!(
            (got.content.as_str(), got.seq, got.id),
            ("hello bob", 1, ack.id)
        );
        assert_eq!(got.conv, conv);
    }
    a1.expect_silence().await;

    // Resending the cid: same ack, nothing delivered again.
    a2.send(&text(10, b.id, "m-1", "hello bob")).await;
    let again = a2.recv().await;
    assert_eq!((again.cmd, again.id, again.seq), (1, ack.id, 1));
    for ws in [&mut a1, &mut b1, &mut b2] {
        ws.expect_silence().await;
    }

    // Bob replies; seq continues.
    b2.send(&text(10, a.id, "r-1", "hi alice")).await;
    assert_eq!(b2.recv().await.seq, 2);
    assert_eq!(a1.recv().await.content, "hi alice");

    // Heartbeat.
    a1.send_text(r#"{"cmd":0}"#).await;
    assert_eq!(a1.recv().await, Frame::default());
}

#[tokio::test]
async fn rights_and_payload_errors_deliver_nothing() {
    let srv = common::spawn().await;
    let (a, b, c) = (
        person(&srv, "ann").await,
        person(&srv, "ben").await,
        person(&srv, "cat").await,
    );
    let mut aw = Ws::messages_only(&srv.base, &a.token).await;
    let mut bw = Ws::messages_only(&srv.base, &b.token).await;

    // Not friends: three messages, then not_friends_limit until ben replies.
    for i in 0..3 {
        aw.send(&text(10, b.id, &format!("n{i}"), "hi stranger"))
            .await;
        assert_eq!(aw.recv().await.cmd, 1);
        assert_eq!(bw.recv().await.cmd, 10);
    }
    aw.send(&text(10, b.id, "n3", "hello??")).await;
    let err = aw.recv().await;
    assert_eq!(
        (err.cmd, err.code.as_str(), err.cid.as_str()),
        (2, "not_friends_limit", "n3")
    );
    bw.expect_silence().await;
    bw.send(&text(10, a.id, "rb", "who is this?")).await;
    assert_eq!(bw.recv().await.cmd, 1);
    assert_eq!(aw.recv().await.content, "who is this?");
    aw.send(&text(10, b.id, "n4", "an old friend")).await;
    assert_eq!(aw.recv().await.cmd, 1);
    assert_eq!(bw.recv().await.content, "an old friend");

    // A group cat owns and ann is not in.
    let res = client()
        .post(srv.url("/api/groups"))
        .header(AUTHORIZATION, format!("Bearer {}", c.token))
        .json(&json!({"name": "cats"}))
        .send()
        .await
        .unwrap();
    let gid = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();

    let cases: Vec<(Frame, &str)> = vec![
        (text(11, gid, "g1", "let me in"), "not_member"),
        (text(11, 999_999, "g2", "nobody home"), "not_found"),
        (text(10, 999_999, "u1", "ghost"), "not_found"),
        (text(10, a.id, "self", "me"), "invalid_payload"),
        (text(10, b.id, "", "no cid"), "invalid_payload"),
        (text(10, b.id, "e1", ""), "invalid_payload"),
        (
            Frame {
                media: 42,
                ..text(10, b.id, "e2", "x")
            },
            "invalid_media",
        ),
        (
            Frame {
                media: 4,
                url: "javascript:alert(1)".into(),
                ..text(10, b.id, "e3", "")
            },
            "invalid_payload",
        ),
        (
            Frame {
                media: 7,
                url: "data:text/html,hi".into(),
                ..text(10, b.id, "e4", "")
            },
            "invalid_payload",
        ),
        (
            Frame {
                media: 4,
                url: "/media/%2e%2e/secret".into(),
                ..text(10, b.id, "u2", "")
            },
            "invalid_payload",
        ),
        (
            Frame {
                media: 7,
                url: "http://bank.example@evil.example/".into(),
                ..text(10, b.id, "u3", "")
            },
            "invalid_payload",
        ),
        (
            Frame {
                media: 7,
                url: "https://example.com/\u{202e}gpj.exe".into(),
                ..text(10, b.id, "u4", "")
            },
            "invalid_payload",
        ),
        (
            Frame {
                media: 5,
                amount: -1,
                ..text(10, b.id, "e5", "")
            },
            "invalid_payload",
        ),
        (
            Frame {
                media: 3,
                url: "/media/v.ogg".into(),
                ..text(10, b.id, "e6", "")
            },
            "invalid_payload",
        ),
        (
            Frame {
                media: 9,
                content: "not-an-id".into(),
                ..text(10, b.id, "e7", "")
            },
            "invalid_payload",
        ),
        (
            Frame {
                media: 100,
                content: "{broken".into(),
                ..text(10, b.id, "e8", "")
            },
            "invalid_payload",
        ),
        (
            Frame {
                cmd: 1,
                ..text(10, b.id, "e9", "x")
            },
            "unknown_cmd",
        ),
    ];
    for (frame, code) in cases {
        aw.send(&frame).await;
        let err = aw.recv().await;
        assert_eq!((err.cmd, err.code.as_str()), (2, code), "{frame:?}");
        assert_eq!(err.cid, frame.cid);
        assert!(!err.content.is_empty());
    }
    bw.expect_silence().await;

    // Garbage does not kill the socket, and a frame somewhat over 64 KiB is answered, not
    // dropped (far over it, the socket closes with 1009: see the limits test).
    for junk in ["not json", "[1,2,3]", r#"{"cmd":"ten"}"#, "{"] {
        aw.send_text(junk).await;
        assert_eq!(aw.recv().await.code, "bad_frame");
    }
    aw.send_text(&format!(
        r#"{{"cmd":10,"dstid":{},"media":1,"cid":"big","content":"{}"}}"#,
        b.id,
        "x".repeat(66_000)
    ))
    .await;
    assert_eq!(aw.recv().await.code, "frame_too_large");
    aw.send(&text(10, b.id, "still-here", "still alive")).await;
    assert_eq!(aw.recv().await.cmd, 1);
    assert_eq!(bw.recv().await.content, "still alive");
}

#[tokio::test]
async fn websocket_auth_and_origin_check() {
    let srv = common::spawn().await;
    let a = person(&srv, "olga").await;
    let ws_url = format!("{}/ws", srv.base.replacen("http", "ws", 1));
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;

    let err = tokio_tungstenite::connect_async(ws_url.clone())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("401"), "{err}");
    let err = tokio_tungstenite::connect_async(format!("{ws_url}?token=forged"))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("401"), "{err}");
    assert!(
        tokio_tungstenite::connect_async(format!("{ws_url}?token={}", a.token))
            .await
            .is_ok()
    );

    let cookie = format!("parley_session={}", a.token);
    let mut evil = ws_url.clone().into_client_request().unwrap();
    evil.headers_mut().insert("cookie", cookie.parse().unwrap());
    evil.headers_mut()
        .insert("origin", "https://evil.example".parse().unwrap());
    let err = tokio_tungstenite::connect_async(evil)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("403"), "cross-site hijack refused: {err}");
    let mut same = ws_url.into_client_request().unwrap();
    same.headers_mut().insert("cookie", cookie.parse().unwrap());
    same.headers_mut()
        .insert("origin", srv.state.config.public_origin.parse().unwrap());
    assert!(tokio_tungstenite::connect_async(same).await.is_ok());
}

#[tokio::test]
async fn group_messages_from_concurrent_senders_arrive_complete_and_in_order() {
    let srv = common::spawn().await;
    let owner = person(&srv, "host").await;
    let res = client()
        .post(srv.url("/api/groups"))
        .header(AUTHORIZATION, format!("Bearer {}", owner.token))
        .json(&json!({"name": "busy"}))
        .send()
        .await
        .unwrap();
    let gid = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let mut senders = Vec::new();
    for i in 0..8 {
        let p = person(&srv, &format!("sender{i}")).await;
        let res = client()
            .post(srv.url(&format!("/api/groups/{gid}/join")))
            .header(AUTHORIZATION, format!("Bearer {}", p.token))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        senders.push(p);
    }
    // Two listening members: the owner, and a sender's second device.
    let mut listeners = vec![
        Ws::messages_only(&srv.base, &owner.token).await,
        Ws::messages_only(&srv.base, &senders[0].token).await,
    ];
    let started = std::time::Instant::now();
    let tasks: Vec<_> = senders
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (base, token) = (srv.base.clone(), p.token.clone());
            tokio::spawn(async move {
                let mut ws = Ws::messages_only(&base, &token).await;
                let mut acked = 0;
                for n in 0..200 {
                    ws.send(&text(11, gid, &format!("s{i}-{n}"), &format!("{i}:{n}")))
                        .await;
                    // Others' messages arrive on this socket too; count only our acks.
                    loop {
                        let f = ws.recv().await;
                        if f.cmd == 1 {
                            acked += 1;
                            break;
                        }
                        assert_eq!(f.cmd, 11, "{f:?}");
                    }
                }
                acked
            })
        })
        .collect();
    let mut acks = 0;
    for t in tasks {
        acks += t.await.unwrap();
    }
    assert_eq!(acks, 1600);
    for ws in &mut listeners {
        let mut seqs = Vec::with_capacity(1600);
        while seqs.len() < 1600 {
            let f = ws.recv().await;
            assert_eq!(f.cmd, 11);
            seqs.push(f.seq);
        }
        assert_eq!(
            seqs,
            (1..=1600).collect::<Vec<i64>>(),
            "every message, in seq order"
        );
    }
    let elapsed = started.elapsed();
    println!(
        "group fan-out: 1600 messages from 8 senders to 10 members in {elapsed:?} ({:.0} msg/s, debug build, SQLite)",
        1600.0 / elapsed.as_secs_f64()
    );
}

#[tokio::test]
async fn group_typing_reaches_the_other_online_members_only() {
    let srv = common::spawn().await;
    let (a, b, c, d) = (
        person(&srv, "typa").await,
        person(&srv, "typb").await,
        person(&srv, "typc").await,
        person(&srv, "typd").await,
    );
    let gid = common::group(&srv, &a, "typists").await;
    common::join_group(&srv, &b, gid).await;
    common::join_group(&srv, &c, gid).await;
    let mut a1 = Ws::messages_only(&srv.base, &a.token).await;
    let mut a2 = Ws::messages_only(&srv.base, &a.token).await;
    let mut bw = Ws::messages_only(&srv.base, &b.token).await;
    let mut cw = Ws::messages_only(&srv.base, &c.token).await;
    // Not a member: never told who types there.
    let mut dw = Ws::messages_only(&srv.base, &d.token).await;

    let conv = format!("g:{gid}");
    a1.send(&Frame {
        cmd: 16,
        conv: conv.clone(),
        ..Frame::default()
    })
    .await;
    // Every other member's connections get it, as do my other devices; not the typing one.
    for ws in [&mut bw, &mut cw, &mut a2] {
        let got = ws.recv().await;
        assert_eq!(
            (got.cmd, got.userid, got.dstid, got.conv.as_str()),
            (16, a.id, gid, conv.as_str())
        );
        assert_eq!(got.seq, 0, "typing is never stored");
    }
    a1.expect_silence().await;
    dw.expect_silence().await;

    // A member who left is not told any more.
    let res = common::api(
        &srv,
        &c,
        reqwest::Method::POST,
        &format!("/api/groups/{gid}/leave"),
        None,
    )
    .await;
    assert!(res.status().is_success());
    bw.send(&Frame {
        cmd: 16,
        conv: conv.clone(),
        ..Frame::default()
    })
    .await;
    assert_eq!(a1.recv().await.userid, b.id);
    assert_eq!(a2.recv().await.userid, b.id);
    cw.expect_silence().await;
    bw.expect_silence().await;
    // Nothing of it shows in the history.
    let history = common::get_json(&srv, &a, &format!("/api/conversations/{conv}/messages")).await;
    assert_eq!(history, json!([]));
}

#[tokio::test]
async fn the_right_to_write_follows_friendship_changes_at_once() {
    // The send path authorises from a cache of friends; every change must reach it.
    let srv = common::spawn().await;
    let (a, b) = (
        person(&srv, "fcache-a").await,
        person(&srv, "fcache-b").await,
    );
    befriend(&srv, &a, &b).await;
    let mut aw = Ws::messages_only(&srv.base, &a.token).await;
    for i in 0..4 {
        aw.send(&text(10, b.id, &format!("f{i}"), "hi friend"))
            .await;
        assert_eq!(aw.recv().await.cmd, 1, "friends write freely");
    }
    let res = common::api(
        &srv,
        &a,
        reqwest::Method::DELETE,
        &format!("/api/friends/{}", b.id),
        None,
    )
    .await;
    assert!(res.status().is_success(), "unfriend: {}", res.status());
    // No longer friends: four unanswered messages are past the non-friend allowance.
    aw.send(&text(10, b.id, "after", "still there?")).await;
    assert_eq!(aw.recv().await.code, "not_friends_limit");
    befriend(&srv, &b, &a).await;
    aw.send(&text(10, b.id, "again", "friends again")).await;
    assert_eq!(aw.recv().await.cmd, 1);
}

//! The findings of the adversarial review, each as the behaviour that must hold: nobody can
//! lock another's account, cookie-driven changes need our own origin, sockets are capped and
//! bounded, a pipelining client is slowed rather than cut, answers are not held back by
//! Nagle, keys naming nobody are 404, cids cannot be reused across conversations, presence
//! does not flicker, sockets end with their session, notices can be caught up,
//! `/metrics` is not public, half-sent headers are cut off, an answer before its body is
//! read says `Connection: close`, and the bearer scheme is read in any case.

use crate::common;

use app::protocol::frame::Frame;
use common::ws::Ws;
use common::{api, befriend, browser, client, expect_error, get_json, person, text};
use reqwest::header::AUTHORIZATION;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// A client whose requests come from `ip` (any 127.x address reaches the loopback server).
fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip.parse::<std::net::IpAddr>().ok())
        .build()
        .unwrap()
}

async fn login_from(srv: &common::TestServer, ip: &str, user: &str, pw: &str) -> reqwest::Response {
    client_from(ip)
        .post(srv.url("/api/login"))
        .json(&json!({"username": user, "password": pw}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_stranger_cannot_lock_the_owner_out() {
    let srv = common::spawn().await;
    srv.register("owner", "right-password").await;
    // A stranger guesses from another address until slowed.
    for _ in 0..5 {
        let res = login_from(&srv, "127.0.0.2", "owner", "wrong-guess").await;
        expect_error(res, 401, "invalid_credentials").await;
    }
    let res = login_from(&srv, "127.0.0.2", "owner", "wrong-guess").await;
    assert!(res.headers().contains_key("retry-after"));
    expect_error(res, 429, "too_many_attempts").await;
    // The owner, from an address with no failures, logs in...
    let res = login_from(&srv, "127.0.0.1", "owner", "right-password").await;
    assert_eq!(res.status(), 200);
    // ...and so does anyone with the right password from the stranger's address (NAT).
    let res = login_from(&srv, "127.0.0.2", "owner", "right-password").await;
    assert_eq!(res.status(), 200);
}

/// A login through a proxy at 127.0.0.1 that forwarded the request for `forwarded`.
async fn login_via_proxy(
    srv: &common::TestServer,
    forwarded: &str,
    user: &str,
    pw: &str,
) -> reqwest::Response {
    client()
        .post(srv.url("/api/login"))
        .header("x-forwarded-for", forwarded)
        .json(&json!({"username": user, "password": pw}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn behind_a_trusted_proxy_one_guesser_does_not_lock_everyone_out() {
    let srv = common::spawn_with(&["--trusted-proxies", "127.0.0.1, 10.0.0.0/8"]).await;
    srv.register("owner", "right-password").await;
    // Twenty wrong passwords (the per-address budget) from one client behind the proxy.
    for i in 0..20 {
        let res = login_via_proxy(&srv, "203.0.113.7", &format!("nobody{i}"), "guess").await;
        expect_error(res, 401, "invalid_credentials").await;
    }
    // That client is slowed (its address, not the proxy's, is counted)...
    let res = login_via_proxy(&srv, "203.0.113.7, 10.0.0.5", "owner", "guess").await;
    expect_error(res, 429, "too_many_attempts").await;
    // ...while everyone else behind the same proxy is not.
    let res = login_via_proxy(&srv, "198.51.100.1", "owner", "wrong").await;
    expect_error(res, 401, "invalid_credentials").await;
    let res = login_via_proxy(&srv, "198.51.100.2", "owner", "right-password").await;
    assert_eq!(res.status(), 200);

    // A peer that is no trusted proxy cannot pick its address with the header.
    for i in 0..20 {
        let res = client_from("127.0.0.3")
            .post(srv.url("/api/login"))
            .header("x-forwarded-for", format!("192.0.2.{i}"))
            .json(&json!({"username": format!("nobody{i}"), "password": "guess"}))
            .send()
            .await
            .unwrap();
        expect_error(res, 401, "invalid_credentials").await;
    }
    let res = client_from("127.0.0.3")
        .post(srv.url("/api/login"))
        .header("x-forwarded-for", "192.0.2.99")
        .json(&json!({"username": "owner", "password": "guess"}))
        .send()
        .await
        .unwrap();
    expect_error(res, 429, "too_many_attempts").await;
}

#[tokio::test]
async fn many_addresses_cannot_guess_one_account_and_its_devices_are_never_slowed() {
    let srv = common::spawn_with(&["--login-max-failures-per-account", "6"]).await;
    srv.register("owner", "right-password").await;
    let login = |c: &reqwest::Client, pw: &str| {
        c.post(srv.url("/api/login"))
            .json(&json!({"username": "owner", "password": pw}))
            .send()
    };
    // The owner logs in on their phone, which gets a device cookie.
    let phone = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let res = login(&phone, "right-password").await.unwrap();
    assert_eq!(res.status(), 200);
    let device = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("parley_device="))
        .expect("a device cookie");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(device.contains(attr), "{device}");
    }
    assert!(!device.contains("Secure"), "http origin: {device}");
    // Guessers from six addresses, one wrong password each: no address reaches its budget.
    for i in 10..16 {
        let res = login(&client_from(&format!("127.0.0.{i}")), "guess")
            .await
            .unwrap();
        expect_error(res, 401, "invalid_credentials").await;
    }
    // The account's ceiling for unknown devices is reached: they are refused, whatever
    // their address and password...
    let res = login(&client_from("127.0.0.20"), "right-password")
        .await
        .unwrap();
    assert!(res.headers().contains_key("retry-after"));
    expect_error(res, 429, "too_many_attempts").await;
    // ...while the owner's phone is never slowed, even after a typo.
    let res = login(&phone, "typo").await.unwrap();
    expect_error(res, 401, "invalid_credentials").await;
    assert_eq!(login(&phone, "right-password").await.unwrap().status(), 200);
    // A device cookie made up or stolen from another account is no help.
    let res = client_from("127.0.0.21")
        .post(srv.url("/api/login"))
        .header("cookie", "parley_device=made-up")
        .json(&json!({"username": "owner", "password": "right-password"}))
        .send()
        .await
        .unwrap();
    expect_error(res, 429, "too_many_attempts").await;
}

#[tokio::test]
async fn cookie_changes_need_our_own_origin() {
    let srv = common::spawn().await;
    let (a, b) = (person(&srv, "csrfa").await, person(&srv, "csrfb").await);
    let cookie = format!("parley_session={}", a.token);
    let add = |origin: Option<&str>| {
        let mut r = client()
            .post(srv.url("/api/friends"))
            .header("cookie", &cookie)
            .json(&json!({"user_id": b.id}));
        if let Some(o) = origin {
            r = r.header("origin", o);
        }
        r.send()
    };
    for origin in [Some("https://evil.example"), None, Some("null")] {
        let res = add(origin).await.unwrap();
        expect_error(res, 403, "cross_origin").await;
    }
    assert_eq!(
        get_json(&srv, &a, "/api/friends").await,
        json!([]),
        "no change"
    );
    // Fetch metadata from the browser is as good as a matching Origin.
    let res = client()
        .delete(srv.url(&format!("/api/friends/{}", b.id)))
        .header("cookie", &cookie)
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    expect_error(res, 403, "cross_origin").await;
    let res = add(Some(&srv.state.config.public_origin)).await.unwrap();
    assert_eq!(res.status(), 202, "the request is made");
    let res = api(
        &srv,
        &b,
        Method::POST,
        &format!("/api/friends/requests/{}/accept", a.id),
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
    // A bearer token is exempt: no browser sends it on another site's behalf.
    let res = client()
        .delete(srv.url(&format!("/api/friends/{}", b.id)))
        .header(AUTHORIZATION, format!("Bearer {}", a.token))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);

    // The form posts and server functions only our pages use: login CSRF, forced logout.
    let foreign = |path: &str| {
        client()
            .post(srv.url(path))
            .header("origin", "https://evil.example")
            .header("cookie", &cookie)
            .form(&[("username", "csrfa"), ("password", "right-password")])
            .send()
    };
    for path in [
        "/login",
        "/register",
        "/logout",
        "/sfn/logout",
        "/sfn/login",
    ] {
        let res = foreign(path).await.unwrap();
        expect_error(res, 403, "cross_origin").await;
    }
    // The session survived the forged logouts.
    assert_eq!(
        api(&srv, &a, Method::GET, "/api/me", None).await.status(),
        200
    );
    // Our own pages still work.
    let b = browser(&srv);
    let res = b
        .post(srv.url("/login"))
        .form(&[("username", "csrfa"), ("password", "right-password")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
}

#[tokio::test]
async fn sockets_are_capped_per_user_per_address_and_in_total() {
    let srv = common::spawn_with(&["--max-sockets-per-addr", "5", "--max-sockets", "7"]).await;
    let a = person(&srv, "capa").await;
    let b = person(&srv, "capb").await;
    let mut held = Vec::new();
    for _ in 0..5 {
        held.push(Ws::try_connect(&srv.base, &a.token).await.unwrap());
    }
    // A sixth from the same address is refused with a clear status, and admits nothing.
    let err = Ws::try_connect(&srv.base, &b.token).await.err().unwrap();
    assert!(err.contains("429"), "{err}");
    assert_eq!(srv.state.delivery.hub().connections(), 5);
    // Another address may still connect, until the server's total.
    let from = |ip: &'static str| {
        let (base, token) = (srv.base.clone(), b.token.clone());
        async move { connect_from(&base, &token, ip).await }
    };
    held.push(from("127.0.0.2").await.unwrap());
    held.push(from("127.0.0.3").await.unwrap());
    let err = from("127.0.0.4").await.err().unwrap();
    assert!(err.contains("429"), "{err}");
    // Closing one frees its slot.
    drop(held.pop());
    let deadline = Instant::now() + Duration::from_secs(5);
    while srv.state.delivery.hub().connections() != 6 {
        assert!(Instant::now() < deadline, "slot not freed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    held.push(from("127.0.0.4").await.unwrap());

    // The per-user default (16).
    let srv = common::spawn().await;
    let c = person(&srv, "capc").await;
    let mut held = Vec::new();
    for _ in 0..16 {
        held.push(Ws::try_connect(&srv.base, &c.token).await.unwrap());
    }
    let err = Ws::try_connect(&srv.base, &c.token).await.err().unwrap();
    assert!(err.contains("429"), "{err}");
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_socket_cap_per_address_counts_clients_not_the_proxy() {
    let srv = common::spawn_with(&[
        "--trusted-proxies",
        "127.0.0.1",
        "--max-sockets-per-addr",
        "2",
    ])
    .await;
    let a = person(&srv, "proxa").await;
    let via = |client: &'static str| {
        let (base, token) = (srv.base.clone(), a.token.clone());
        async move { connect_forwarded(&base, &token, client).await }
    };
    // Five clients behind one proxy: each has its own count.
    let mut held = Vec::new();
    for client in ["10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.4", "10.1.0.5"] {
        held.push(via(client).await.unwrap());
    }
    // One client is still capped, by its own address.
    held.push(via("10.1.0.1").await.unwrap());
    let err = via("10.1.0.1").await.err().unwrap();
    assert!(err.contains("429"), "{err}");
    assert_eq!(srv.state.delivery.hub().connections(), 6);
}

/// Opens a socket through a (trusted) proxy on 127.0.0.1 that forwards for `client`.
async fn connect_forwarded(base: &str, token: &str, client: &str) -> Result<Ws, String> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let url = format!("{}/ws", base.replace("http://", "ws://"));
    let mut req = url.into_client_request().unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    req.headers_mut()
        .insert("x-forwarded-for", client.parse().unwrap());
    match tokio_tungstenite::connect_async(req).await {
        Ok((ws, _)) => Ok(Ws::from_stream(ws)),
        Err(e) => Err(e.to_string()),
    }
}

/// Opens a socket from the client address `ip`.
async fn connect_from(base: &str, token: &str, ip: &str) -> Result<Ws, String> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let addr: std::net::SocketAddr = base.trim_start_matches("http://").parse().unwrap();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{ip}:0").parse().unwrap()).unwrap();
    let stream = socket.connect(addr).await.unwrap();
    let mut req = format!("ws://{addr}/ws").into_client_request().unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    match tokio_tungstenite::client_async(req, tokio_tungstenite::MaybeTlsStream::Plain(stream))
        .await
    {
        Ok((inner, _)) => Ok(Ws::from_stream(inner)),
        Err(e) => Err(e.to_string()),
    }
}

#[tokio::test]
async fn frames_are_bounded_and_need_a_cmd() {
    let srv = common::spawn().await;
    let a = person(&srv, "biga").await;
    let mut ws = Ws::connect(&srv.base, &a.token).await;
    // A frame without `cmd` is unreadable, not a heartbeat.
    ws.send_text(r#"{"content":"hi"}"#).await;
    let f = ws.recv().await;
    assert_eq!((f.cmd, f.code.as_str()), (2, "bad_frame"));
    ws.send_text(r#"{"cmd":0}"#).await;
    assert_eq!(ws.recv().await.cmd, 0, "a readable frame resets the count");
    // Oversized frames count as unreadable: ten in a row are answered, the next closes.
    let oversized = format!(r#"{{"cmd":0,"content":"{}"}}"#, "x".repeat(66_000));
    for _ in 0..10 {
        ws.send_text(&oversized).await;
        assert_eq!(ws.recv().await.code, "frame_too_large");
    }
    ws.send_text(&oversized).await;
    assert_eq!(ws.close_code(Duration::from_secs(5)).await, Some(1008));

    // Far over the limit, the WebSocket layer refuses to buffer it: close 1009.
    let mut ws = Ws::connect(&srv.base, &a.token).await;
    ws.send_text(&format!(
        r#"{{"cmd":0,"content":"{}"}}"#,
        "x".repeat(200_000)
    ))
    .await;
    assert_eq!(ws.close_code(Duration::from_secs(5)).await, Some(1009));
}

#[tokio::test]
async fn a_pipelining_client_is_slowed_down_not_cut() {
    let srv = common::spawn().await;
    let (a, b) = (person(&srv, "pipea").await, person(&srv, "pipeb").await);
    befriend(&srv, &a, &b).await;
    let mut ws = Ws::messages_only(&srv.base, &a.token).await;
    // Far more requests than the 256-frame queue holds, without reading a single answer.
    let n = 1_200;
    for i in 0..n {
        if i % 3 == 0 {
            ws.feed_text(&serde_json::to_string(&text(10, b.id, &format!("p{i}"), "hi")).unwrap())
                .await;
        } else {
            ws.feed_text(r#"{"cmd":0}"#).await;
        }
    }
    ws.flush().await;
    // Every frame is answered; acks may overtake each other and heartbeats (they match by
    // cid), but the messages are stored in the order they were sent.
    let mut seq_of = std::collections::HashMap::new();
    let mut beats = 0;
    for _ in 0..n {
        let f = ws.recv().await;
        match f.cmd {
            0 => beats += 1,
            1 => assert!(
                seq_of.insert(f.cid.clone(), f.seq).is_none(),
                "one ack per cid"
            ),
            other => panic!("unexpected answer {other}: {f:?}"),
        }
    }
    assert_eq!(beats, n - n / 3);
    let seqs: Vec<i64> = (0..n)
        .step_by(3)
        .map(|i| seq_of[&format!("p{i}")])
        .collect();
    assert_eq!(seqs, (1..=(n / 3) as i64).collect::<Vec<_>>());
    // Pipelined: the sends did not wait for each other's commits, so they shared them.
    let counters = &srv.state.delivery.hub().counters;
    let batches = counters
        .message_batches
        .load(std::sync::atomic::Ordering::Relaxed);
    let stored = counters
        .messages_in
        .load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(stored, (n / 3) as u64);
    assert!(
        batches * 2 <= stored,
        "{stored} messages in {batches} commits: sends waited for each other"
    );
    assert_eq!(
        srv.state
            .delivery
            .hub()
            .counters
            .queue_drops
            .load(std::sync::atomic::Ordering::Relaxed),
        0,
        "nobody cut"
    );
}

#[tokio::test]
async fn back_to_back_answers_are_not_held_by_nagle() {
    let srv = common::spawn().await;
    let a = person(&srv, "nagle").await;
    let mut ws = Ws::connect(&srv.base, &a.token).await;
    // Two requests in one write; the second answer must not wait for the client's delayed
    // ACK of the first (~40 ms without TCP_NODELAY). Median of several rounds.
    let mut rounds = Vec::new();
    for _ in 0..25 {
        let started = Instant::now();
        ws.feed_text(r#"{"cmd":0}"#).await;
        ws.feed_text(r#"{"cmd":0}"#).await;
        ws.flush().await;
        ws.recv().await;
        ws.recv().await;
        rounds.push(started.elapsed());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    println!("rounds: {rounds:?}");
    rounds.sort();
    let median = rounds[rounds.len() / 2];
    assert!(
        median < Duration::from_millis(25),
        "second answer delayed: {rounds:?}"
    );
}

#[tokio::test]
async fn keys_naming_nobody_are_404_and_typing_needs_the_right_to_send() {
    let srv = common::spawn().await;
    let (a, b, c) = (
        person(&srv, "keya").await,
        person(&srv, "keyb").await,
        person(&srv, "keyc").await,
    );
    for key in [
        format!("p:-1:{}", a.id),
        format!("p:{}:1000000000000", a.id),
        format!("p:0:{}", a.id),
    ] {
        let res = api(
            &srv,
            &a,
            Method::POST,
            &format!("/api/conversations/{key}/read"),
            Some(json!({"seq": 1})),
        )
        .await;
        expect_error(res, 404, "not_found").await;
        let res = api(
            &srv,
            &a,
            Method::GET,
            &format!("/api/conversations/{key}/messages"),
            None,
        )
        .await;
        expect_error(res, 404, "not_found").await;
    }
    let mut aw = Ws::connect(&srv.base, &a.token).await;
    let mut bw = Ws::connect(&srv.base, &b.token).await.ignoring(&[12, 13]);
    aw.send(&Frame {
        cmd: 15,
        conv: format!("p:{}:1000000000000", a.id),
        seq: 1,
        ..Frame::default()
    })
    .await;
    assert_eq!(aw.recv().await.code, "not_found");
    // Typing to a user that does not exist.
    aw.send(&Frame {
        cmd: 16,
        dstid: 1_000_000_000_000,
        ..Frame::default()
    })
    .await;
    assert_eq!(aw.recv().await.code, "not_found");
    // A stranger may type while within the non-friend allowance, not after it.
    aw.send(&Frame {
        cmd: 16,
        dstid: b.id,
        ..Frame::default()
    })
    .await;
    assert_eq!(bw.recv().await.cmd, 16);
    for i in 0..3 {
        aw.send(&text(10, b.id, &format!("s{i}"), "hello")).await;
        assert_eq!(aw.recv().await.cmd, 1);
        assert_eq!(bw.recv().await.cmd, 10);
    }
    aw.send(&Frame {
        cmd: 16,
        dstid: b.id,
        ..Frame::default()
    })
    .await;
    assert_eq!(aw.recv().await.code, "not_friends_limit");
    bw.expect_silence().await;
    // Typing in a group needs membership.
    let gid = common::group(&srv, &c, "typists").await;
    aw.send(&Frame {
        cmd: 16,
        conv: format!("g:{gid}"),
        ..Frame::default()
    })
    .await;
    assert_eq!(aw.recv().await.code, "not_member");
}

#[tokio::test]
async fn a_cid_reused_in_another_conversation_is_a_conflict() {
    let srv = common::spawn().await;
    let (a, b, c) = (
        person(&srv, "cida").await,
        person(&srv, "cidb").await,
        person(&srv, "cidc").await,
    );
    befriend(&srv, &a, &b).await;
    befriend(&srv, &a, &c).await;
    let mut aw = Ws::messages_only(&srv.base, &a.token).await;
    let mut cw = Ws::messages_only(&srv.base, &c.token).await;
    aw.send(&text(10, b.id, "same", "to b")).await;
    assert_eq!(aw.recv().await.cmd, 1);
    aw.send(&text(10, c.id, "same", "to c")).await;
    let err = aw.recv().await;
    assert_eq!(
        (err.cmd, err.code.as_str(), err.cid.as_str()),
        (2, "cid_conflict", "same")
    );
    cw.expect_silence().await;
    // A true resend to the same conversation is still acknowledged.
    aw.send(&text(10, b.id, "same", "to b")).await;
    assert_eq!(aw.recv().await.cmd, 1);
}

#[tokio::test]
async fn presence_does_not_flicker_and_goes_offline_once() {
    let srv = common::spawn_with(&["--presence-grace-ms", "400"]).await;
    let (a, b) = (person(&srv, "presa").await, person(&srv, "presb").await);
    befriend(&srv, &a, &b).await;
    let mut aw = Ws::connect(&srv.base, &a.token).await.ignoring(&[12]);
    let b1 = Ws::connect(&srv.base, &b.token).await;
    let p = aw.recv().await;
    assert_eq!((p.cmd, p.content.as_str()), (13, "online"));
    // A reload: the old socket closes, a new one opens at once. No offline/online flicker.
    drop(b1);
    let b2 = Ws::connect(&srv.base, &b.token).await;
    assert!(
        aw.try_recv(Duration::from_millis(900)).await.is_none(),
        "no presence change on a reload"
    );
    // Several sockets closing together: one "offline", after the grace period.
    let mut more = vec![b2];
    for _ in 0..5 {
        more.push(Ws::connect(&srv.base, &b.token).await);
    }
    drop(more);
    let p = aw.recv().await;
    assert_eq!((p.cmd, p.userid, p.content.as_str()), (13, b.id, "offline"));
    assert!(
        aw.try_recv(Duration::from_millis(900)).await.is_none(),
        "offline announced once"
    );
}

#[tokio::test]
async fn sockets_close_when_their_session_expires() {
    let srv = common::spawn_with(&["--session-ttl-secs", "2"]).await;
    let a = person(&srv, "expiring").await;
    let mut ws = Ws::connect(&srv.base, &a.token).await;
    ws.send_text(r#"{"cmd":0}"#).await;
    assert_eq!(ws.recv().await.cmd, 0);
    assert_eq!(ws.close_code(Duration::from_secs(5)).await, Some(4001));
}

#[tokio::test]
async fn notices_carry_ids_and_can_be_caught_up() {
    let srv = common::spawn().await;
    let (a, b) = (person(&srv, "nota").await, person(&srv, "notb").await);
    let mut bw = Ws::connect(&srv.base, &b.token).await.ignoring(&[13]);
    befriend(&srv, &a, &b).await;
    let asked = bw.recv().await;
    assert_eq!((asked.cmd, asked.memo.as_str()), (12, "friend_request"));
    let live = bw.recv().await;
    assert_eq!((live.cmd, live.memo.as_str()), (12, "friend_added"));
    assert!(live.id > asked.id);
    assert!(live.id > 0 && live.ts > 0, "{live:?}");
    // Offline meanwhile: a group b is in changes hands.
    drop(bw);
    let gid = common::group(&srv, &a, "club").await;
    api(
        &srv,
        &b,
        Method::POST,
        &format!("/api/groups/{gid}/join"),
        None,
    )
    .await;
    api(
        &srv,
        &a,
        Method::DELETE,
        &format!("/api/groups/{gid}"),
        None,
    )
    .await;
    let missed: Vec<Frame> = serde_json::from_value(
        get_json(&srv, &b, &format!("/api/notices?after={}", live.id)).await,
    )
    .unwrap();
    assert_eq!(
        missed.iter().map(|n| n.memo.as_str()).collect::<Vec<_>>(),
        ["member_joined", "group_dissolved"]
    );
    assert!(missed.iter().all(|n| n.cmd == 12 && n.id > live.id));
    assert!(missed[0].id < missed[1].id);
    let all: Value = get_json(&srv, &b, "/api/notices").await;
    assert_eq!(all.as_array().unwrap().len(), 4);
    let one: Value = get_json(&srv, &b, "/api/notices?limit=1").await;
    assert_eq!(one[0]["id"], asked.id);
    let res = api(&srv, &b, Method::GET, "/api/notices?limit=0", None).await;
    expect_error(res, 400, "invalid_body").await;
    // Pruning removes what is older than the retention.
    assert_eq!(
        srv.state
            .social
            .prune_notices(Duration::from_secs(3600))
            .await
            .unwrap(),
        0
    );
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert!(
        srv.state
            .social
            .prune_notices(Duration::ZERO)
            .await
            .unwrap()
            >= 3
    );
    assert_eq!(get_json(&srv, &b, "/api/notices").await, json!([]));
}

#[tokio::test]
async fn metrics_need_the_configured_token() {
    let srv = common::spawn().await;
    let res = client().get(srv.url("/metrics")).send().await.unwrap();
    expect_error(res, 404, "not_found").await;
    let token = "a-long-metrics-token";
    let srv = common::spawn_with(&["--metrics-token", token]).await;
    for auth in [
        None,
        Some("Bearer nope"),
        Some("Bearer a-long-metrics-tokeN"),
    ] {
        let mut r = client().get(srv.url("/metrics"));
        if let Some(a) = auth {
            r = r.header(AUTHORIZATION, a);
        }
        expect_error(r.send().await.unwrap(), 401, "unauthorized").await;
    }
    let res = client()
        .get(srv.url("/metrics"))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("parley_connections 0"));
}

#[tokio::test]
async fn shutdown_closes_sockets_with_1012_after_answering() {
    let srv = common::spawn().await;
    let (a, b) = (person(&srv, "shuta").await, person(&srv, "shutb").await);
    befriend(&srv, &a, &b).await;
    let mut ws = Ws::messages_only(&srv.base, &a.token).await;
    for i in 0..50 {
        ws.feed_text(&serde_json::to_string(&text(10, b.id, &format!("z{i}"), "bye")).unwrap())
            .await;
    }
    ws.flush().await;
    let hub = srv.state.delivery.hub().clone();
    let state = srv.state.clone();
    drop(srv); // starts the graceful shutdown
    let mut acked = Vec::new();
    let code = loop {
        match ws.recv_or_close(Duration::from_secs(5)).await {
            Ok(f) if f.cmd == 1 => acked.push(f.cid),
            Ok(f) => panic!("unexpected {f:?}"),
            Err(code) => break code,
        }
    };
    // Whatever was acked is stored; the socket left the hub; new sockets are refused.
    let history = state
        .chat
        .history(
            app::ids::UserId(a.id),
            app::protocol::Conv::parse(&common::pconv(&a, &b)).unwrap(),
            server::store::messages::Page::Latest,
            100,
        )
        .await
        .unwrap();
    for cid in &acked {
        assert!(history.iter().any(|m| &m.cid == cid), "acked {cid} stored");
    }
    assert!(hub.drained(Duration::from_secs(5)).await);
    assert_eq!(code, Some(1012), "service restart");
}

#[tokio::test]
async fn a_request_whose_headers_never_finish_is_closed() {
    use tokio::io::AsyncWriteExt;
    let srv = common::spawn_with(&["--header-timeout-secs", "1"]).await;
    let addr = common::addr(&srv);
    let started = Instant::now();
    // Half a header; nothing at all; the first bytes of the HTTP/2 preface (`PR`), which
    // leave HTTP/1 and HTTP/2 undecided.
    let mut half = tokio::net::TcpStream::connect(addr).await.unwrap();
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    let mut silent = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut undecided = tokio::net::TcpStream::connect(addr).await.unwrap();
    undecided.write_all(b"PR").await.unwrap();
    for (what, tcp) in [
        ("half a header", &mut half),
        ("nothing", &mut silent),
        ("PR", &mut undecided),
    ] {
        let (_, closed) = common::read_until_closed(tcp, Duration::from_secs(6)).await;
        assert!(closed, "{what}: the connection is still open");
    }
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    // Requests that arrive in time are served as before.
    let res = client().get(srv.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn an_answer_before_the_body_is_read_says_connection_close() {
    let srv = common::spawn_with(&["--max-upload-bytes", "1000"]).await;
    let alice = person(&srv, "alice").await;
    // Over the cap: refused before the body is in, so the connection cannot be reused.
    let mut tcp = common::partial_upload(&srv, &alice.token, 50_000, 5_000).await;
    let (answer, closed) = common::read_until_closed(&mut tcp, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("\r\nconnection: close\r\n"),
        "{answer}"
    );
    assert!(closed);
    // A body read to its end keeps the connection open for the next request.
    let mut tcp = common::partial_upload(&srv, &alice.token, 500, 500).await;
    let (answer, closed) = common::read_until_closed(&mut tcp, Duration::from_secs(1)).await;
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    assert!(
        !answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    assert!(!closed, "a kept-alive connection was closed");
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let srv = common::spawn().await;
    let alice = person(&srv, "alice").await;
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let res = client()
            .get(srv.url("/api/me"))
            .header(AUTHORIZATION, format!("{scheme} {}", alice.token))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{scheme}");
    }
    let res = client()
        .get(srv.url("/api/me"))
        .header(AUTHORIZATION, format!("Basic {}", alice.token))
        .send()
        .await
        .unwrap();
    expect_error(res, 401, "unauthorized").await;
}

#[tokio::test]
async fn a_member_handing_a_group_to_themselves_is_not_the_owner() {
    let srv = common::spawn().await;
    let owner = person(&srv, "owner").await;
    let member = person(&srv, "member").await;
    let res = api(
        &srv,
        &owner,
        Method::POST,
        "/api/groups",
        Some(json!({"name": "Club"})),
    )
    .await;
    assert_eq!(res.status(), 201);
    let gid = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let res = api(
        &srv,
        &member,
        Method::POST,
        &format!("/api/groups/{gid}/join"),
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
    let path = format!("/api/groups/{gid}/owner");
    let res = api(
        &srv,
        &member,
        Method::POST,
        &path,
        Some(json!({"user_id": member.id})),
    )
    .await;
    expect_error(res, 403, "not_owner").await;
    let res = api(
        &srv,
        &member,
        Method::POST,
        "/api/groups/999999/owner",
        Some(json!({"user_id": member.id})),
    )
    .await;
    expect_error(res, 404, "not_found").await;
    // The owner is still told they own it already.
    let res = api(
        &srv,
        &owner,
        Method::POST,
        &path,
        Some(json!({"user_id": owner.id})),
    )
    .await;
    expect_error(res, 400, "invalid_field").await;
}

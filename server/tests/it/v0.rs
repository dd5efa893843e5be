//! The seed client's dialect (v0, docs/api.md "v0 (seed dialect)") against the real server: its REST
//! calls exactly as its pages make them (form posts of `encodeURI`'d values, the session
//! cookie, multipart uploads), its `/chat` socket with flat frames, chatting both ways with
//! a v1 `/ws` user, and every way of posing as someone else or sending junk changing
//! nothing and answering nothing on the socket.

use crate::common::ws::Ws;
use crate::common::{
    self, api, befriend, get_json, group, pconv, person, text, voice_note, Person, TestServer,
};
use futures_util::{SinkExt, StreamExt};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// What JavaScript's `encodeURI` does to a value: every byte percent-encoded except
/// letters, digits and `;,/?:@&=+$-_.!~*'()#`.
fn encode_uri(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b";,/?:@&=+$-_.!~*'()#".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A browser on a page of the server's own origin, as the seed client posts: cookies kept,
/// `Origin` and `Sec-Fetch-Site` as the browser sets them.
struct SeedPage {
    http: reqwest::Client,
}

impl SeedPage {
    fn new(srv: &TestServer) -> SeedPage {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::ORIGIN,
            srv.state.config.public_origin.parse().unwrap(),
        );
        headers.insert("sec-fetch-site", "same-origin".parse().unwrap());
        SeedPage {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .default_headers(headers)
                .build()
                .unwrap(),
        }
    }

    /// The seed's `uploadfile`/`uploadblob`: a multipart post to `/attach/upload` (`None`:
    /// a body that is not multipart); always HTTP 200.
    async fn upload(&self, srv: &TestServer, form: Option<reqwest::multipart::Form>) -> Value {
        let req = self.http.post(srv.url("/attach/upload"));
        let req = match form {
            Some(form) => req.multipart(form),
            None => req.body("x"),
        };
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }

    /// The seed's `post(uri, data)`: `k=encodeURI(v)&...`, form-encoded; always HTTP 200.
    async fn post(&self, srv: &TestServer, uri: &str, data: &[(&str, &str)]) -> Value {
        let body: Vec<String> = data
            .iter()
            .map(|(k, v)| format!("{k}={}", encode_uri(v)))
            .collect();
        let res = self
            .http
            .post(srv.url(uri))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.join("&"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{uri}");
        res.json().await.unwrap()
    }
}

fn ok(v: &Value) -> &Value {
    assert_eq!(v["code"], 0, "{v}");
    v
}

fn refused(v: &Value) {
    assert_eq!(v["code"], -1, "{v}");
    assert!(v["msg"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
    assert!(v.get("data").is_none() && v.get("rows").is_none(), "{v}");
}

/// A seed user: registered and logged in through `/user/...`, with the page's cookie.
struct SeedUser {
    id: i64,
    token: String,
    page: SeedPage,
}

async fn seed_user(srv: &TestServer, mobile: &str) -> SeedUser {
    let page = SeedPage::new(srv);
    let reg = page
        .post(
            srv,
            "/user/register",
            &[("mobile", mobile), ("passwd", "pass word 1")],
        )
        .await;
    ok(&reg);
    let login = page
        .post(
            srv,
            "/user/login",
            &[("mobile", mobile), ("passwd", "pass word 1")],
        )
        .await;
    let data = &ok(&login)["data"];
    SeedUser {
        id: data["id"].as_i64().unwrap(),
        token: data["token"].as_str().unwrap().to_owned(),
        page,
    }
}

impl SeedUser {
    fn person(&self) -> Person {
        Person {
            id: self.id,
            token: self.token.clone(),
        }
    }
}

/// The seed page's socket: `ws://host/chat?id=&token=`, raw text frames.
struct SeedSocket {
    inner: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

fn chat_url(srv: &TestServer, id: i64, token: &str) -> String {
    format!(
        "{}/chat?id={id}&token={token}",
        srv.base.replacen("http", "ws", 1)
    )
}

async fn try_seed_socket(srv: &TestServer, id: i64, token: &str) -> Result<SeedSocket, String> {
    let mut req = chat_url(srv, id, token).into_client_request().unwrap();
    req.headers_mut()
        .insert("origin", srv.state.config.public_origin.parse().unwrap());
    let (inner, _) = tokio_tungstenite::connect_async(req)
        .await
        .map_err(|e| e.to_string())?;
    Ok(SeedSocket { inner })
}

impl SeedSocket {
    async fn open(srv: &TestServer, u: &SeedUser) -> SeedSocket {
        try_seed_socket(srv, u.id, &u.token).await.unwrap()
    }

    async fn send(&mut self, frame: Value) {
        self.send_text(&frame.to_string()).await;
    }

    async fn send_text(&mut self, text: &str) {
        self.inner.send(Message::text(text)).await.unwrap();
    }

    /// The next text frame as JSON within `wait`; `None` on silence or close.
    async fn try_recv(&mut self, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.inner.next())
                .await
                .ok()??
            {
                Ok(Message::Text(t)) => return Some(serde_json::from_str(t.as_str()).unwrap()),
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => continue,
            }
        }
    }

    async fn recv(&mut self) -> Value {
        self.try_recv(Duration::from_secs(5))
            .await
            .expect("a frame within 5 s")
    }

    async fn expect_silence(&mut self) {
        if let Some(f) = self.try_recv(Duration::from_millis(300)).await {
            panic!("unexpected frame on a v0 socket: {f}");
        }
    }

    /// The close code, once the server closes.
    async fn close_code(&mut self) -> Option<u16> {
        loop {
            match tokio::time::timeout(Duration::from_secs(5), self.inner.next()).await {
                Ok(Some(Ok(Message::Close(Some(c))))) => return Some(c.code.into()),
                Ok(Some(Ok(_))) => continue,
                _ => return None,
            }
        }
    }
}

/// Asserts a seed frame has exactly the seed message's fields (no cid, conv, seq, ts).
fn assert_flat(f: &Value) {
    let allowed = [
        "id", "userid", "dstid", "cmd", "media", "content", "pic", "url", "memo", "amount",
    ];
    for key in f.as_object().unwrap().keys() {
        assert!(allowed.contains(&key.as_str()), "field {key} in {f}");
    }
}

async fn message_count(srv: &TestServer) -> i64 {
    srv.count("SELECT COUNT(*) FROM messages").await
}

#[tokio::test]
async fn seed_rest_calls_work_as_the_seed_pages_make_them() {
    let srv = common::spawn().await;
    let bob = person(&srv, "bob").await;

    // Register: encodeURI'd values, a Chinese nickname among them; the answer logs in.
    let page = SeedPage::new(&srv);
    let reg = page
        .post(
            &srv,
            "/user/register",
            &[
                ("mobile", "13800000001"),
                ("passwd", "pass word 1"),
                ("nickname", "张三"),
            ],
        )
        .await;
    let me = &ok(&reg)["data"];
    assert_eq!(me["mobile"], "13800000001");
    assert_eq!(me["nickname"], "张三");
    assert!(me["token"].as_str().is_some_and(|t| t.len() > 20));
    let my_id = me["id"].as_i64().unwrap();
    // The same account on v1: `mobile` is the username, the password decoded once.
    assert!(!srv.login("13800000001", "pass word 1").await.is_empty());
    refused(
        &page
            .post(
                &srv,
                "/user/register",
                &[("mobile", "13800000001"), ("passwd", "pass word 1")],
            )
            .await,
    );

    // Login: wrong password is code -1 with HTTP 200; JSON bodies work too.
    refused(
        &page
            .post(
                &srv,
                "/user/login",
                &[("mobile", "13800000001"), ("passwd", "nope nope")],
            )
            .await,
    );
    let res = page
        .http
        .post(srv.url("/user/login"))
        .json(&json!({"mobile": "13800000001", "passwd": "pass word 1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers().contains_key("set-cookie"),
        "login sets the session cookie"
    );
    let login: Value = res.json().await.unwrap();
    assert_eq!(ok(&login)["data"]["id"], my_id);
    let me_v1 = Person {
        id: my_id,
        token: login["data"]["token"].as_str().unwrap().to_owned(),
    };

    // Friends, with the cookie only (the seed client sends no token).
    let uid = my_id.to_string();
    let none = page
        .post(&srv, "/contact/loadfriend", &[("userid", &uid)])
        .await;
    assert_eq!(
        (
            ok(&none)["total"].as_i64(),
            none["rows"].as_array().map(Vec::len)
        ),
        (Some(0), Some(0))
    );
    // Adding asks: the seed page shows the answer's `msg` as its toast, and nobody is on its
    // list until Bob says yes in Parley.
    let asked = page
        .post(
            &srv,
            "/contact/addfriend",
            &[("dstid", &bob.id.to_string()), ("userid", &uid)],
        )
        .await;
    refused(&asked);
    assert!(
        asked["msg"]
            .as_str()
            .unwrap()
            .contains("Friend request sent"),
        "{asked}"
    );
    let none = page
        .post(&srv, "/contact/loadfriend", &[("userid", &uid)])
        .await;
    assert_eq!(ok(&none)["total"], 0);
    let res = api(
        &srv,
        &bob,
        Method::POST,
        &format!("/api/friends/requests/{my_id}/accept"),
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
    let friends = page
        .post(&srv, "/contact/loadfriend", &[("userid", &uid)])
        .await;
    assert_eq!(ok(&friends)["total"], 1);
    assert_eq!(friends["rows"][0]["id"], bob.id);
    assert_eq!(friends["rows"][0]["nickname"], "bob");
    assert!(friends["rows"][0].get("token").is_none());
    // Both sides, as on v1.
    let bobs = get_json(&srv, &bob, "/api/friends").await;
    assert_eq!(bobs[0]["id"], my_id);
    // Already friends: refused, still 200.
    refused(
        &page
            .post(
                &srv,
                "/contact/addfriend",
                &[("dstid", &bob.id.to_string()), ("userid", &uid)],
            )
            .await,
    );

    // Create a community as the seed page does: its own default icon, `cate` a string.
    let created = page
        .post(
            &srv,
            "/contact/createcommunity",
            &[
                ("name", "Seed club"),
                ("cate", "1"),
                ("memo", "hello & welcome"),
                ("icon", "/asset/images/community.png"),
                ("ownerid", &uid),
            ],
        )
        .await;
    let club = &ok(&created)["data"];
    assert_eq!(club["name"], "Seed club");
    assert_eq!(club["icon"], "/asset/images/community.png");
    assert_eq!(club["ownerid"], my_id);
    let club_id = club["id"].as_i64().unwrap();
    // Stored without the seed's own file as its icon; v1 sees an ordinary group. (`&` is
    // not encoded by encodeURI, so the seed's memo was cut there, as on the seed server.)
    let mine = get_json(&srv, &me_v1, "/api/groups").await;
    assert_eq!(
        (mine[0]["id"].as_i64(), mine[0]["icon"].as_str()),
        (Some(club_id), Some(""))
    );
    assert!(
        mine[0]["memo"].as_str().unwrap().starts_with("hello"),
        "{mine}"
    );

    // Join bob's group; list communities.
    let bobs_group = group(&srv, &bob, "Bob's").await;
    let joined = page
        .post(
            &srv,
            "/contact/joincommunity",
            &[("dstid", &bobs_group.to_string()), ("userid", &uid)],
        )
        .await;
    assert_eq!(ok(&joined)["data"]["id"], bobs_group);
    let communities = page
        .post(&srv, "/contact/loadcommunity", &[("userid", &uid)])
        .await;
    assert_eq!(ok(&communities)["total"], 2);
    let names: Vec<&str> = communities["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Seed club") && names.contains(&"Bob's"),
        "{names:?}"
    );

    // Find a user by id (the client does this for group senders it does not know).
    let found = page
        .post(&srv, "/user/find", &[("id", &bob.id.to_string())])
        .await;
    assert_eq!(ok(&found)["data"]["nickname"], "bob");
    refused(&page.post(&srv, "/user/find", &[("id", "99999")]).await);

    // Upload a voice note as the seed records it: WebM labelled `.mp3`, sniffed as audio.
    let form = reqwest::multipart::Form::new()
        .text("filetype", ".mp3")
        .text("userid", uid.clone())
        .part(
            "file",
            reqwest::multipart::Part::bytes(voice_note())
                .file_name("blob")
                .mime_str("application/octet-stream")
                .unwrap(),
        );
    let res = page.upload(&srv, Some(form)).await;
    let url = ok(&res)["data"].as_str().unwrap().to_owned();
    assert!(
        url.starts_with("/media/") && url.ends_with(".webm"),
        "{url}"
    );
    let file = page.http.get(srv.url(&url)).send().await.unwrap();
    assert_eq!(file.status(), 200);
    assert_eq!(file.headers()["content-type"], "audio/webm");
    // Not a file on the allow-list: refused, 200.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"#!/bin/sh\necho hi\n".to_vec()).file_name("x.png"),
    );
    refused(&page.upload(&srv, Some(form)).await);
}

#[tokio::test]
async fn posted_userids_naming_someone_else_are_refused_and_change_nothing() {
    let srv = common::spawn().await;
    let me = seed_user(&srv, "13800000002").await;
    let (bob, eve) = (person(&srv, "bob").await, person(&srv, "eve").await);
    let (uid, bid) = (me.id.to_string(), bob.id.to_string());
    let other = eve.id.to_string();

    refused(
        &me.page
            .post(
                &srv,
                "/contact/addfriend",
                &[("dstid", &bid), ("userid", &other)],
            )
            .await,
    );
    assert_eq!(get_json(&srv, &bob, "/api/friends").await, json!([]));
    assert_eq!(get_json(&srv, &eve, "/api/friends").await, json!([]));
    refused(
        &me.page
            .post(&srv, "/contact/loadfriend", &[("userid", &other)])
            .await,
    );
    refused(
        &me.page
            .post(&srv, "/contact/loadcommunity", &[("userid", &other)])
            .await,
    );
    let gid = group(&srv, &bob, "Bob's").await.to_string();
    refused(
        &me.page
            .post(
                &srv,
                "/contact/joincommunity",
                &[("dstid", &gid), ("userid", &other)],
            )
            .await,
    );
    refused(
        &me.page
            .post(
                &srv,
                "/contact/createcommunity",
                &[("name", "Eve's now"), ("ownerid", &other)],
            )
            .await,
    );
    assert_eq!(get_json(&srv, &eve, "/api/groups").await, json!([]));
    assert_eq!(get_json(&srv, &me.person(), "/api/groups").await, json!([]));
    let form = reqwest::multipart::Form::new()
        .text("userid", other.clone())
        .part(
            "file",
            reqwest::multipart::Part::bytes(voice_note()).file_name("blob"),
        );
    refused(&me.page.upload(&srv, Some(form)).await);
    assert_eq!(srv.count("SELECT COUNT(*) FROM media").await, 0);

    // The session decides who acts: my own id, or none at all, works.
    refused(
        &me.page
            .post(
                &srv,
                "/contact/addfriend",
                &[("dstid", &bid), ("userid", &uid)],
            )
            .await,
    );
    let waiting = get_json(&srv, &bob, "/api/friends/requests").await;
    assert_eq!(waiting["incoming"][0]["user"]["id"], me.id, "asked as me");
    ok(&me
        .page
        .post(&srv, "/contact/joincommunity", &[("dstid", &gid)])
        .await);
}

#[tokio::test]
async fn bad_seed_posts_answer_minus_one_and_cross_site_posts_are_refused() {
    let srv = common::spawn().await;
    let me = seed_user(&srv, "13800000003").await;

    // Missing or junk fields, unknown targets: code -1, HTTP 200.
    for (uri, data) in [
        ("/user/login", vec![("mobile", "13800000003")]),
        ("/user/login", vec![]),
        (
            "/user/register",
            vec![("mobile", "x"), ("passwd", "pass word 1")],
        ),
        (
            "/user/register",
            vec![("mobile", "13800000009"), ("passwd", "short")],
        ),
        ("/contact/addfriend", vec![]),
        ("/contact/addfriend", vec![("dstid", "abc")]),
        ("/contact/addfriend", vec![("dstid", "-4")]),
        ("/contact/addfriend", vec![("dstid", "99999")]),
        ("/contact/joincommunity", vec![("dstid", "99999")]),
        ("/contact/createcommunity", vec![("name", "")]),
        ("/user/find", vec![("id", "")]),
    ] {
        refused(&me.page.post(&srv, uri, &data).await);
    }
    let res = me
        .page
        .http
        .post(srv.url("/contact/addfriend"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    refused(&res.json().await.unwrap());
    refused(&me.page.upload(&srv, None).await);

    // Signed out: refused in the envelope.
    let stranger = SeedPage::new(&srv);
    refused(
        &stranger
            .post(&srv, "/contact/loadfriend", &[("userid", "1")])
            .await,
    );

    // A post from another site's page is refused by the CSRF guard (403), whether it rides
    // on the cookie or tries a login.
    let foreign = |path: &str| {
        reqwest::Client::new()
            .post(srv.url(path))
            .header("origin", "https://evil.example")
            .header("sec-fetch-site", "cross-site")
            .header("content-type", "application/x-www-form-urlencoded")
    };
    let res = foreign("/user/login")
        .body("mobile=13800000003&passwd=pass%20word%201")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = foreign("/contact/createcommunity")
        .header("cookie", format!("parley_session={}", me.token))
        .body("name=pwned")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(get_json(&srv, &me.person(), "/api/groups").await, json!([]));
}

#[tokio::test]
async fn seed_and_v1_users_chat_both_ways_and_the_seed_socket_gets_only_bubbles() {
    let srv = common::spawn().await;
    let seed = seed_user(&srv, "13800000004").await;
    let me_v1 = seed.person();
    let bob = person(&srv, "bob").await;
    befriend(&srv, &bob, &me_v1).await;
    let mut s1 = SeedSocket::open(&srv, &seed).await;
    let mut s2 = SeedSocket::open(&srv, &seed).await;
    let mut mine_v1 = Ws::connect(&srv.base, &seed.token)
        .await
        .ignoring(&[12, 13]);
    // Bob comes online after the seed sockets: presence goes to v1 sockets only.
    let mut bw = Ws::connect(&srv.base, &bob.token)
        .await
        .ignoring(&[12, 13, 15, 16]);

    // Exactly what the seed page sends: no id, no cid, its own userid.
    s1.send(
        json!({"dstid": bob.id, "cmd": 10, "userid": seed.id, "media": 1, "content": "hi bob"}),
    )
    .await;
    let got = bw.recv().await;
    assert_eq!(
        (got.cmd, got.userid, got.dstid, got.content.as_str()),
        (10, seed.id, bob.id, "hi bob")
    );
    assert!(!got.cid.is_empty() && got.seq == 1 && got.id > 0);
    // Not echoed to the sending socket, delivered to my other ones (v0 flat, v1 full).
    s1.expect_silence().await;
    let flat = s2.recv().await;
    assert_flat(&flat);
    assert_eq!(
        flat,
        json!({"id": got.id, "userid": seed.id, "dstid": bob.id, "cmd": 10, "media": 1, "content": "hi bob"})
    );
    assert_eq!(mine_v1.recv().await.cid, got.cid);

    // Bob types, reads and replies: only the reply reaches the seed sockets.
    let conv = pconv(&bob, &me_v1);
    bw.send_text(&json!({"cmd": 16, "dstid": seed.id}).to_string())
        .await;
    bw.send_text(&json!({"cmd": 15, "conv": conv, "seq": 1}).to_string())
        .await;
    bw.send(&text(10, seed.id, "r1", "hello seed")).await;
    assert_eq!(bw.recv().await.cmd, 1);
    for s in [&mut s1, &mut s2] {
        let reply = s.recv().await;
        assert_flat(&reply);
        assert_eq!(
            (
                reply["cmd"].as_i64(),
                reply["userid"].as_i64(),
                reply["dstid"].as_i64()
            ),
            (Some(10), Some(bob.id), Some(seed.id))
        );
        assert_eq!(reply["content"], "hello seed");
        s.expect_silence().await;
    }

    // A seed sticker (a same-origin `/asset/` path) is an image on v0 only.
    let sticker = "/asset/plugins/doutu/emoj/1.gif";
    s1.send(json!({"dstid": bob.id, "cmd": 10, "userid": seed.id, "media": 4, "url": sticker}))
        .await;
    let got = bw.recv().await;
    assert_eq!((got.media, got.url.as_str()), (4, sticker));
    assert_eq!(s2.recv().await["url"], sticker);
    let mut f = text(10, seed.id, "r2", "");
    (f.media, f.url) = (4, sticker.to_owned());
    bw.send(&f).await;
    let refusal = bw.recv().await;
    assert_eq!((refusal.cmd, refusal.code.as_str()), (2, "invalid_payload"));

    // Heartbeats are taken silently.
    s1.send(json!({"cmd": 0})).await;
    s1.expect_silence().await;

    // Group chat both ways: the seed user joins bob's group the seed's way.
    let gid = group(&srv, &bob, "Lounge").await;
    let joined = seed
        .page
        .post(
            &srv,
            "/contact/joincommunity",
            &[
                ("dstid", &gid.to_string()),
                ("userid", &seed.id.to_string()),
            ],
        )
        .await;
    ok(&joined);
    s1.send(json!({"dstid": gid, "cmd": 11, "userid": seed.id, "media": 1, "content": "hi all"}))
        .await;
    let got = bw.recv().await;
    assert_eq!(
        (got.cmd, got.dstid, got.userid, got.content.as_str()),
        (11, gid, seed.id, "hi all")
    );
    bw.send(&text(11, gid, "g1", "welcome")).await;
    assert_eq!(bw.recv().await.cmd, 1);
    let flat = s1.recv().await;
    assert_flat(&flat);
    assert_eq!(
        (flat["cmd"].as_i64(), flat["dstid"].as_i64()),
        (Some(11), Some(gid))
    );
    assert_eq!(s2.recv().await["content"], "hi all");
    assert_eq!(s2.recv().await["content"], "welcome");
    s1.expect_silence().await;

    // Stored exactly as v1 messages: history has them in order with their seqs.
    let history = get_json(&srv, &bob, &format!("/api/conversations/{conv}/messages")).await;
    let contents: Vec<(&str, i64)> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["content"].as_str().unwrap_or(""),
                m["seq"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(contents, [("hi bob", 1), ("hello seed", 2), ("", 3)]);
    let group_history = get_json(
        &srv,
        &me_v1,
        &format!("/api/conversations/g:{gid}/messages"),
    )
    .await;
    assert_eq!(group_history.as_array().map(Vec::len), Some(2));
    // Bob leaving and presence changes still write nothing to a seed socket.
    drop(bw);
    s1.expect_silence().await;
}

#[tokio::test]
async fn seed_socket_refuses_spoofing_and_bad_input_silently() {
    let srv = common::spawn().await;
    let seed = seed_user(&srv, "13800000005").await;
    let (bob, cat) = (person(&srv, "bob").await, person(&srv, "cat").await);
    befriend(&srv, &bob, &seed.person()).await;

    // The socket: `id` must be the token's user; the token must be live.
    assert!(try_seed_socket(&srv, bob.id, &seed.token).await.is_err());
    assert!(try_seed_socket(&srv, seed.id, "nope").await.is_err());
    assert!(try_seed_socket(&srv, seed.id, "").await.is_err());
    let mut s = SeedSocket::open(&srv, &seed).await;
    let mut bw = Ws::messages_only(&srv.base, &bob.token).await;
    let mut cw = Ws::messages_only(&srv.base, &cat.token).await;

    // Posing as bob (to bob's friend cat, or to bob himself): dropped, nothing stored.
    s.send(
        json!({"dstid": cat.id, "cmd": 10, "userid": bob.id, "media": 1, "content": "I am bob"}),
    )
    .await;
    s.send(json!({"dstid": bob.id, "cmd": 10, "userid": bob.id, "media": 1, "content": "me too"}))
        .await;
    // Junk of every kind.
    for junk in [
        "nope".to_owned(),
        "[10]".to_owned(),
        json!({"cmd": 10}).to_string(),
        json!({"cmd": 10, "dstid": bob.id, "media": 1}).to_string(),
        json!({"cmd": 10, "dstid": 999_999, "media": 1, "content": "anyone?"}).to_string(),
        json!({"cmd": 11, "dstid": 999_999, "media": 1, "content": "any group?"}).to_string(),
        json!({"cmd": 10, "dstid": bob.id, "media": 4, "url": "javascript:alert(1)"}).to_string(),
        json!({"cmd": 10, "dstid": bob.id, "media": 4, "url": "/asset/../api/me"}).to_string(),
        json!({"cmd": 10, "dstid": bob.id, "media": 77, "content": "x"}).to_string(),
        json!({"cmd": 13, "userid": seed.id, "content": "online"}).to_string(),
        json!({"cmd": 10, "dstid": bob.id, "media": 1, "content": "a".repeat(66_000)}).to_string(),
    ] {
        s.send_text(&junk).await;
    }
    s.expect_silence().await;
    bw.expect_silence().await;
    cw.expect_silence().await;
    assert_eq!(message_count(&srv).await, 0);

    // A non-friend: three messages, then nothing until cat replies.
    for i in 0..4 {
        s.send(json!({"dstid": cat.id, "cmd": 10, "media": 1, "content": format!("hey {i}")}))
            .await;
    }
    for i in 0..3 {
        assert_eq!(cw.recv().await.content, format!("hey {i}"));
    }
    cw.expect_silence().await;
    s.expect_silence().await;
    assert_eq!(message_count(&srv).await, 3);

    // Still open and working after all that.
    s.send(json!({"dstid": bob.id, "cmd": 10, "media": 1, "content": "still here"}))
        .await;
    assert_eq!(bw.recv().await.content, "still here");

    // Beyond the WebSocket layer's limit the connection closes (1009), as on /ws.
    s.send_text(&"x".repeat(200_000)).await;
    assert_eq!(s.close_code().await, Some(1009));
    let after = api(&srv, &bob, Method::GET, "/api/conversations", None).await;
    assert_eq!(after.status(), 200);
}

#[tokio::test]
async fn logging_out_closes_the_seed_socket_and_its_token() {
    let srv = common::spawn().await;
    let seed = seed_user(&srv, "13800000006").await;
    let mut s = SeedSocket::open(&srv, &seed).await;
    let res = api(&srv, &seed.person(), Method::POST, "/api/logout", None).await;
    assert_eq!(res.status(), 204);
    assert_eq!(s.close_code().await, Some(4001));
    assert!(try_seed_socket(&srv, seed.id, &seed.token).await.is_err());
    // The page's cookie was that session too: its posts are now signed out.
    refused(&seed.page.post(&srv, "/contact/loadfriend", &[]).await);
}

#[tokio::test]
async fn the_seed_clients_own_sticker_url_is_stored_and_delivered() {
    let srv = common::spawn().await;
    let seed = seed_user(&srv, "13800000007").await;
    let bob = person(&srv, "bob").await;
    befriend(&srv, &bob, &seed.person()).await;
    let mut s1 = SeedSocket::open(&srv, &seed).await;
    let mut s2 = SeedSocket::open(&srv, &seed).await;
    let mut bw = Ws::messages_only(&srv.base, &bob.token).await;

    // Exactly what the seed client sends for a sticker: an empty segment in the path, which
    // the seed's own file server cleaned. Stored and delivered, the path normalised.
    let sent = "/asset/plugins/doutu//emoj/1.gif";
    let clean = "/asset/plugins/doutu/emoj/1.gif";
    s1.send(json!({"dstid": bob.id, "cmd": 10, "userid": seed.id, "media": 4, "url": sent}))
        .await;
    let got = bw.recv().await;
    assert_eq!(
        (got.cmd, got.userid, got.media, got.url.as_str()),
        (10, seed.id, 4, clean)
    );
    let flat = s2.recv().await;
    assert_flat(&flat);
    assert_eq!(flat["url"], clean);
    s1.expect_silence().await;
    assert_eq!(message_count(&srv).await, 1);

    // Traversals, encodings and other same-origin paths outside `/asset/` are still refused:
    // nothing is stored or delivered. (An `http(s)://` image is a plain image, as on `/ws`.)
    for bad in [
        "..",
        "/asset/..",
        "/asset/../x",
        "/asset/plugins//../../api/me",
        "/asset/%2e%2e/x",
        "/asset/%2e%2e%2fx",
        "%2e%2e",
        "//evil.example/x",
        "/asset\\x.gif",
        "/plugins/doutu/emoj/1.gif",
        "/assets/plugins/doutu/emoj/1.gif",
    ] {
        s1.send(json!({"dstid": bob.id, "cmd": 10, "userid": seed.id, "media": 4, "url": bad}))
            .await;
    }
    bw.expect_silence().await;
    s2.expect_silence().await;
    assert_eq!(message_count(&srv).await, 1);
    let history = get_json(
        &srv,
        &bob,
        &format!(
            "/api/conversations/{}/messages",
            pconv(&bob, &seed.person())
        ),
    )
    .await;
    let urls: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["url"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(urls, [clean]);
}

#[tokio::test]
async fn a_seed_socket_that_keeps_naming_another_sender_is_closed() {
    let srv = common::spawn().await;
    let seed = seed_user(&srv, "13800000008").await;
    let bob = person(&srv, "bob").await;
    befriend(&srv, &bob, &seed.person()).await;
    let mut s = SeedSocket::open(&srv, &seed).await;
    let mut bw = Ws::messages_only(&srv.base, &bob.token).await;

    // Frames posing as bob: dropped, the socket kept open up to the cap (a page that
    // believes it is someone else after another login in the same browser)...
    let cap = server::session::MAX_FOREIGN_SENDER;
    let spoof = |i: u32| {
        json!({"dstid": seed.id, "cmd": 10, "userid": bob.id, "media": 1,
            "content": format!("I am bob {i}")})
    };
    for i in 1..cap {
        s.send(spoof(i)).await;
    }
    s.send(json!({"dstid": bob.id, "cmd": 10, "media": 1, "content": "still me"}))
        .await;
    assert_eq!(bw.recv().await.content, "still me");
    // ...and closed (1008, policy violation) at the cap, however the frames were spread.
    s.send(spoof(cap)).await;
    assert_eq!(s.close_code().await, Some(1008));
    bw.expect_silence().await;
    assert_eq!(message_count(&srv).await, 1);
    assert_eq!(
        srv.count(&format!(
            "SELECT COUNT(*) FROM messages WHERE sender_id = {}",
            bob.id
        ))
        .await,
        0
    );

    // The user is not locked out: a new socket sends as itself.
    let mut again = SeedSocket::open(&srv, &seed).await;
    again
        .send(json!({"dstid": bob.id, "cmd": 10, "media": 1, "content": "really me"}))
        .await;
    assert_eq!(bw.recv().await.content, "really me");
}

#[tokio::test]
async fn the_seed_socket_hears_nothing_of_actions_on_messages() {
    let srv = common::spawn().await;
    let seed = seed_user(&srv, "13800000009").await;
    let me_v1 = seed.person();
    let amber = person(&srv, "amber").await;
    befriend(&srv, &amber, &me_v1).await;
    let mut s1 = SeedSocket::open(&srv, &seed).await;
    let mut aw = Ws::connect(&srv.base, &amber.token)
        .await
        .ignoring(&[12, 13, 15, 16]);
    let conv = common::pconv(&amber, &me_v1);
    aw.send(&common::text(10, seed.id, "m1", "hello")).await;
    assert_eq!(aw.recv().await.cmd, 1);
    assert_eq!(s1.recv().await["content"], "hello");
    // An edit, a reaction and a recall: the seed page would draw each as a bubble, so it
    // gets none of them; and the recalled message is never sent to it again.
    for (cid, act, content) in [
        ("e", "edit", "hello!"),
        ("k", "react", "👍"),
        ("r", "recall", ""),
    ] {
        aw.send(&app::protocol::frame::Frame {
            cmd: 17,
            conv: conv.clone(),
            cid: cid.into(),
            act: act.into(),
            target: 1,
            content: content.into(),
            ..Default::default()
        })
        .await;
        assert_eq!(aw.recv().await.cmd, 1, "{act}");
    }
    s1.expect_silence().await;
    let mut s2 = SeedSocket::open(&srv, &seed).await;
    s2.expect_silence().await;
}

#[tokio::test]
async fn without_consent_the_seeds_add_friend_befriends_at_once() {
    let srv = common::spawn_with(&["--friends-without-consent", "true"]).await;
    let me = seed_user(&srv, "13800000009").await;
    let bob = person(&srv, "bob").await;
    let added = me
        .page
        .post(
            &srv,
            "/contact/addfriend",
            &[
                ("dstid", &bob.id.to_string()),
                ("userid", &me.id.to_string()),
            ],
        )
        .await;
    assert_eq!(ok(&added)["data"]["id"], bob.id);
    assert_eq!(get_json(&srv, &bob, "/api/friends").await[0]["id"], me.id);
    // Parley's own API still asks.
    let carol = person(&srv, "carol").await;
    let res = api(
        &srv,
        &carol,
        Method::POST,
        "/api/friends",
        Some(json!({"user_id": bob.id})),
    )
    .await;
    assert_eq!(res.status(), 202);
}

#[tokio::test]
async fn a_block_holds_on_the_seed_socket_too() {
    let srv = common::spawn().await;
    let seed = seed_user(&srv, "13800000011").await;
    let bob = person(&srv, "bob").await;
    befriend(&srv, &bob, &seed.person()).await;
    let mut s = SeedSocket::open(&srv, &seed).await;
    let mut bw = Ws::messages_only(&srv.base, &bob.token).await;
    s.send(json!({"dstid": bob.id, "cmd": 10, "media": 1, "content": "before"}))
        .await;
    assert_eq!(bw.recv().await.content, "before");
    let res = api(
        &srv,
        &bob,
        Method::PUT,
        &format!("/api/blocks/{}", seed.id),
        None,
    )
    .await;
    assert_eq!(res.status(), 204);
    s.send(json!({"dstid": bob.id, "cmd": 10, "media": 1, "content": "after"}))
        .await;
    bw.expect_silence().await;
    assert_eq!(
        message_count(&srv).await,
        1,
        "the blocked message is not stored"
    );
}

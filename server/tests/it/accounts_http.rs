//! The account lifecycle over HTTP against the real server: register, login, me, profile,
//! search, logout, expiry, throttling, and every error answer.

use crate::common;

use common::{client, expect_error};
use reqwest::header::{AUTHORIZATION, COOKIE, RETRY_AFTER, SET_COOKIE};
use serde_json::{json, Value};

#[tokio::test]
async fn full_lifecycle_with_bearer_and_cookie() {
    let srv = common::spawn().await;
    let c = client();

    let res = c
        .post(srv.url("/api/register"))
        .json(&json!({"username": "alice", "password": "s3cret-pass", "nickname": " Alice "}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    let user = &body["user"];
    assert_eq!(user["username"], "alice");
    assert_eq!(user["nickname"], "Alice");
    assert_eq!(user["avatar"], "");
    assert!(user["id"].as_i64().unwrap() > 0);
    assert!(user.get("password_hash").is_none());

    let res = c
        .post(srv.url("/api/login"))
        .json(&json!({"username": "ALICE", "password": "s3cret-pass"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cookie = res.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("parley_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain-http origin: {cookie}");
    let body: Value = res.json().await.unwrap();
    let token = body["token"].as_str().unwrap().to_owned();
    assert!(token.len() >= 22, "at least 128 bits");
    assert_eq!(body["user"], *user);
    let cookie_pair = cookie.split(';').next().unwrap().to_owned();
    assert_eq!(cookie_pair, format!("parley_session={token}"));

    // The token works as a bearer and as the cookie.
    let me: Value = c
        .get(srv.url("/api/me"))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me, *user);
    let res = c
        .get(srv.url("/api/me"))
        .header(COOKIE, &cookie_pair)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // A second session of the same user survives the first one's logout.
    let other = srv.login("alice", "s3cret-pass").await;
    assert_ne!(other, token);

    let res = c
        .post(srv.url("/api/logout"))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let cleared = res.headers()[SET_COOKIE].to_str().unwrap();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");

    for auth in [
        c.get(srv.url("/api/me"))
            .header(AUTHORIZATION, format!("Bearer {token}")),
        c.get(srv.url("/api/me")).header(COOKIE, &cookie_pair),
        c.post(srv.url("/api/logout"))
            .header(AUTHORIZATION, format!("Bearer {token}")),
    ] {
        expect_error(auth.send().await.unwrap(), 401, "unauthorized").await;
    }
    let res = c
        .get(srv.url("/api/me"))
        .header(AUTHORIZATION, format!("Bearer {other}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "other session still alive");
}

#[tokio::test]
async fn registration_errors_name_the_field_and_change_nothing() {
    let srv = common::spawn().await;
    let c = client();
    let post = |body: Value| c.post(srv.url("/api/register")).json(&body).send();

    let cases = [
        (
            json!({"username": "ab", "password": "longenough"}),
            "username",
        ),
        (
            json!({"username": "bad name", "password": "longenough"}),
            "username",
        ),
        (json!({"username": "bob", "password": "short"}), "password"),
        (
            json!({"username": "bob", "password": "longenough", "nickname": "\u{7}"}),
            "nickname",
        ),
    ];
    for (body, field) in cases {
        let err = expect_error(post(body).await.unwrap(), 400, "invalid_field").await;
        assert_eq!(err["field"], field);
    }
    // Nothing above created "bob".
    srv.register("bob", "longenough").await;
    expect_error(
        post(json!({"username": "BOB", "password": "longenough"}))
            .await
            .unwrap(),
        409,
        "username_taken",
    )
    .await;

    // Malformed bodies.
    let res = c
        .post(srv.url("/api/register"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    expect_error(res, 400, "invalid_body").await;
    let err = expect_error(
        post(json!({"username": "carol"})).await.unwrap(),
        400,
        "invalid_body",
    )
    .await;
    assert!(err["msg"].as_str().unwrap().contains("password"), "{err}");
    let res = c
        .post(srv.url("/api/register"))
        .body("x")
        .send()
        .await
        .unwrap();
    expect_error(res, 400, "invalid_body").await;

    // A mobile number is a valid username.
    srv.register("+8613800138000", "longenough").await;
}

#[tokio::test]
async fn login_failures_look_the_same_and_are_throttled() {
    let srv = common::spawn_with(&["--login-max-failures", "3"]).await;
    let c = client();
    srv.register("erin", "right-password").await;
    let login = |u: &str, p: &str| {
        c.post(srv.url("/api/login"))
            .json(&json!({"username": u, "password": p}))
            .send()
    };

    let wrong = expect_error(
        login("erin", "wrong-password").await.unwrap(),
        401,
        "invalid_credentials",
    )
    .await;
    let unknown = expect_error(
        login("nobody", "wrong-password").await.unwrap(),
        401,
        "invalid_credentials",
    )
    .await;
    assert_eq!(
        wrong, unknown,
        "unknown user and wrong password must be indistinguishable"
    );

    login("erin", "wrong-password").await.unwrap();
    login("Erin", "wrong-password").await.unwrap();
    // Three failures: a wrong password from this address now gets 429 and a wait...
    let res = login("erin", "wrong-password").await.unwrap();
    let retry: u64 = res.headers()[RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 900, "{retry}");
    expect_error(res, 429, "too_many_attempts").await;
    // ...but the right one is never refused on the address's count alone.
    assert_eq!(login("erin", "right-password").await.unwrap().status(), 200);
    // Other accounts are not affected.
    srv.register("frank", "right-password").await;
    srv.login("frank", "right-password").await;

    expect_error(login("", "x").await.unwrap(), 400, "invalid_field").await;
}

#[tokio::test]
async fn one_address_spraying_many_accounts_is_throttled() {
    let srv = common::spawn_with(&["--login-max-failures-per-addr", "4"]).await;
    let c = client();
    srv.register("gina", "right-password").await;
    for i in 0..4 {
        let res = c
            .post(srv.url("/api/login"))
            .json(&json!({"username": format!("user{i}"), "password": "guess-guess"}))
            .send()
            .await
            .unwrap();
        expect_error(res, 401, "invalid_credentials").await;
    }
    let login = |pw: &str| {
        c.post(srv.url("/api/login"))
            .json(&json!({"username": "gina", "password": pw}))
            .send()
    };
    expect_error(
        login("guess-guess").await.unwrap(),
        429,
        "too_many_attempts",
    )
    .await;
    // Many people may share an address: the right password still gets in.
    assert_eq!(login("right-password").await.unwrap().status(), 200);
}

/// A client whose requests come from `ip` (any 127.x address reaches the loopback server).
fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip.parse::<std::net::IpAddr>().ok())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn registration_is_throttled_per_address_and_in_all() {
    let srv = common::spawn_with(&[
        "--register-per-addr-per-hour",
        "3",
        "--register-per-hour",
        "5",
    ])
    .await;
    let register = |ip: &str, name: &str| {
        client_from(ip)
            .post(srv.url("/api/register"))
            .json(&json!({"username": name, "password": "right-password"}))
            .send()
    };
    for i in 0..3 {
        let res = register("127.0.0.1", &format!("reg{i}")).await.unwrap();
        assert_eq!(res.status(), 201);
    }
    let res = register("127.0.0.1", "reg3").await.unwrap();
    let retry: u64 = res.headers()[RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 3000 && retry <= 3600, "{retry}");
    expect_error(res, 429, "too_many_registrations").await;
    // Another address has its own budget, until everyone's is spent (the refusal above
    // used up none of it).
    assert_eq!(register("127.0.0.2", "reg4").await.unwrap().status(), 201);
    assert_eq!(register("127.0.0.3", "reg5").await.unwrap().status(), 201);
    let res = register("127.0.0.4", "reg6").await.unwrap();
    expect_error(res, 429, "too_many_registrations").await;
    // The sign-up form is counted by the same budget.
    let res = client_from("127.0.0.5")
        .post(srv.url("/register"))
        .header("origin", &srv.state.config.public_origin)
        .form(&[("username", "reg7"), ("password", "right-password")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let to = res.headers()["location"].to_str().unwrap();
    assert!(to.contains("error=too_many_registrations"), "{to}");
    assert_eq!(srv.count("SELECT COUNT(*) FROM users").await, 5);
}

#[tokio::test]
async fn script_clients_that_keep_cookies_log_in_again() {
    let srv = common::spawn().await;
    srv.register("scripted", "right-password").await;
    // Like `requests.Session`: keeps cookies, sends no Origin.
    let s = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    for _ in 0..2 {
        let res = s
            .post(srv.url("/api/login"))
            .json(&json!({"username": "scripted", "password": "right-password"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    let res = s
        .post(srv.url("/api/register"))
        .json(&json!({"username": "scripted2", "password": "right-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    // What the cookie authorises still needs our origin, JSON or not...
    let res = s
        .post(srv.url("/api/logout"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    expect_error(res, 403, "cross_origin").await;
    // ...and a form (which any site can make a browser post) to the login is still refused.
    let res = s
        .post(srv.url("/api/login"))
        .form(&[("username", "scripted"), ("password", "right-password")])
        .send()
        .await
        .unwrap();
    expect_error(res, 403, "cross_origin").await;
    let res = s.get(srv.url("/api/me")).send().await.unwrap();
    assert_eq!(res.status(), 200, "still logged in");
}

#[tokio::test]
async fn tokens_expire() {
    let srv = common::spawn_with(&["--session-ttl-secs", "1"]).await;
    srv.register("hank", "right-password").await;
    let token = srv.login("hank", "right-password").await;
    let me = || {
        client()
            .get(srv.url("/api/me"))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .send()
    };
    assert_eq!(me().await.unwrap().status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    expect_error(me().await.unwrap(), 401, "unauthorized").await;
}

#[tokio::test]
async fn unauthenticated_and_bad_tokens_get_401() {
    let srv = common::spawn().await;
    let c = client();
    for req in [
        c.get(srv.url("/api/me")),
        c.patch(srv.url("/api/me")).json(&json!({"nickname": "x"})),
        c.get(srv.url("/api/users/search?q=a")),
        c.post(srv.url("/api/logout")),
        c.get(srv.url("/api/me"))
            .header(AUTHORIZATION, "Bearer not-a-token"),
        c.get(srv.url("/api/me")).header(AUTHORIZATION, "Basic abc"),
        c.get(srv.url("/api/me"))
            .header(AUTHORIZATION, format!("Bearer {}", "x".repeat(5000))),
        c.get(srv.url("/api/me"))
            .header(COOKIE, "parley_session=forged"),
    ] {
        expect_error(req.send().await.unwrap(), 401, "unauthorized").await;
    }
    expect_error(
        c.get(srv.url("/api/nope")).send().await.unwrap(),
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn profile_update_validates_and_applies() {
    let srv = common::spawn().await;
    let c = client();
    srv.register("ivy", "right-password").await;
    let token = srv.login("ivy", "right-password").await;
    let patch = |body: Value| {
        c.patch(srv.url("/api/me"))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .json(&body)
            .send()
    };

    let u: Value = patch(json!({"nickname": "  Ivy V ", "avatar": "https://img.example/ivy.png"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(u["nickname"], "Ivy V");
    assert_eq!(u["avatar"], "https://img.example/ivy.png");

    for (body, field) in [
        (json!({"avatar": "javascript:alert(1)"}), "avatar"),
        (json!({"avatar": "data:image/png;base64,AAAA"}), "avatar"),
        (json!({"nickname": ""}), "nickname"),
        (json!({"nickname": "x".repeat(33)}), "nickname"),
        // Reserved: it tells readers an account was deleted.
        (json!({"nickname": "Deleted User"}), "nickname"),
    ] {
        let err = expect_error(patch(body).await.unwrap(), 400, "invalid_field").await;
        assert_eq!(err["field"], field);
    }
    // A rejected change changed nothing, not even the valid half of it.
    let err = expect_error(
        patch(json!({"nickname": "New", "avatar": "javascript:x"}))
            .await
            .unwrap(),
        400,
        "invalid_field",
    )
    .await;
    assert_eq!(err["field"], "avatar");
    let me: Value = c
        .get(srv.url("/api/me"))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me, u);

    let cleared: Value = patch(json!({"avatar": ""}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cleared["avatar"], "");
    assert_eq!(cleared["nickname"], "Ivy V");
}

#[tokio::test]
async fn user_search() {
    let srv = common::spawn().await;
    let c = client();
    let jack = srv.register("jack", "right-password").await;
    srv.register("jackie", "right-password").await;
    srv.register("kate", "right-password").await;
    let token = srv.login("kate", "right-password").await;
    let search = |q: &str| {
        c.get(srv.url("/api/users/search"))
            .query(&[("q", q)])
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .send()
    };
    // Jackie lets a part of her name find her; Jack does not.
    let jackie_token = srv.login("jackie", "right-password").await;
    let res = c
        .patch(srv.url("/api/me/privacy"))
        .header(AUTHORIZATION, format!("Bearer {jackie_token}"))
        .json(&serde_json::json!({"discoverable": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let names = |found: Vec<Value>| -> Vec<String> {
        found
            .iter()
            .map(|u| u["username"].as_str().unwrap().to_owned())
            .collect()
    };
    let found: Vec<Value> = search("JACK").await.unwrap().json().await.unwrap();
    assert_eq!(
        names(found),
        ["jack", "jackie"],
        "the exact name, then fragments"
    );
    let found: Vec<Value> = search("jac").await.unwrap().json().await.unwrap();
    assert_eq!(
        names(found),
        ["jackie"],
        "a fragment finds the discoverable only"
    );
    let by_id: Vec<Value> = search(&jack["id"].to_string())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(by_id.is_empty(), "ids are not searchable: {by_id:?}");
    let none: Vec<Value> = search("zzz").await.unwrap().json().await.unwrap();
    assert!(none.is_empty());
    for q in ["", "   ", &"q".repeat(65)] {
        let err = expect_error(search(q).await.unwrap(), 400, "invalid_field").await;
        assert_eq!(err["field"], "q");
    }
    let res = c
        .get(srv.url("/api/users/search"))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    expect_error(res, 400, "invalid_field").await;
}

#[tokio::test]
async fn healthz_reports_ok() {
    let srv = common::spawn().await;
    let res = client().get(srv.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn a_password_change_needs_the_current_one_and_ends_every_other_session() {
    let srv = common::spawn().await;
    srv.register("pwuser", "old-password-1").await;
    let here = srv.login("pwuser", "old-password-1").await;
    let there = srv.login("pwuser", "old-password-1").await;
    let mut here_ws = common::ws::Ws::connect(&srv.base, &here).await;
    let mut there_ws = common::ws::Ws::connect(&srv.base, &there).await;
    let change = |token: &str, body: Value| {
        client()
            .post(srv.url("/api/me/password"))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .json(&body)
            .send()
    };
    let me = |token: &str| {
        client()
            .get(srv.url("/api/me"))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .send()
    };

    // Wrong current password, a new one against the rule, no body: nothing changes.
    let res = change(
        &here,
        json!({"current": "guess-guess", "new": "new-password-1"}),
    )
    .await
    .unwrap();
    expect_error(res, 403, "wrong_password").await;
    let res = change(&here, json!({"current": "old-password-1", "new": "short"}))
        .await
        .unwrap();
    let err = expect_error(res, 400, "invalid_field").await;
    assert_eq!(err["field"], "password");
    let res = change(&here, json!({})).await.unwrap();
    expect_error(res, 400, "invalid_body").await;
    assert_eq!(me(&there).await.unwrap().status(), 200, "still signed in");

    let res = change(
        &here,
        json!({"current": "old-password-1", "new": "new-password-1"}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 204);
    // The other session is over, its socket closed; this one goes on.
    assert_eq!(me(&there).await.unwrap().status(), 401);
    assert!(
        there_ws
            .closed_within(std::time::Duration::from_secs(5))
            .await
    );
    assert_eq!(me(&here).await.unwrap().status(), 200);
    // This session's socket stays, and hears that the list of sessions changed.
    let told = here_ws.recv().await;
    assert_eq!((told.cmd, told.memo.as_str()), (19, "sessions"));
    here_ws.send_text(r#"{"cmd":0}"#).await;
    assert_eq!(here_ws.recv().await.cmd, 0, "this session's socket stays");
    // Only the new password logs in.
    let res = client()
        .post(srv.url("/api/login"))
        .json(&json!({"username": "pwuser", "password": "old-password-1"}))
        .send()
        .await
        .unwrap();
    expect_error(res, 401, "invalid_credentials").await;
    srv.login("pwuser", "new-password-1").await;
    // Anonymous: 401. Past five attempts a quarter hour: 429, even with the right password.
    let res = client()
        .post(srv.url("/api/me/password"))
        .json(&json!({"current": "x", "new": "new-password-2"}))
        .send()
        .await
        .unwrap();
    expect_error(res, 401, "unauthorized").await;
    for _ in 0..3 {
        let res = change(
            &here,
            json!({"current": "nope-nope", "new": "new-password-2"}),
        )
        .await
        .unwrap();
        expect_error(res, 403, "wrong_password").await;
    }
    let res = change(
        &here,
        json!({"current": "new-password-1", "new": "new-password-2"}),
    )
    .await
    .unwrap();
    expect_error(res, 429, "too_many_attempts").await;
}

/// Logs `username` in as the browser `agent` describes; returns the token.
async fn login_as(srv: &common::TestServer, username: &str, agent: &str) -> String {
    srv.login_from(username, "sessions-pass-1", agent).await
}

#[tokio::test]
async fn sessions_are_listed_with_their_device_and_each_can_be_ended() {
    let srv = common::spawn().await;
    srv.register("sessuser", "sessions-pass-1").await;
    srv.register("stranger", "sessions-pass-1").await;
    const LINUX: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                         Chrome/120.0.0.0 Safari/537.36";
    const PHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) \
                         AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 \
                         Safari/604.1";
    let desk = login_as(&srv, "sessuser", LINUX).await;
    let phone = login_as(&srv, "sessuser", PHONE).await;
    let third = login_as(&srv, "sessuser", "curl/8").await;
    let stranger = login_as(&srv, "stranger", LINUX).await;
    let mut phone_ws = common::ws::Ws::connect(&srv.base, &phone).await;
    let call = |method: reqwest::Method, path: &str, token: Option<&str>| {
        let req = client().request(method, srv.url(path));
        match token {
            Some(t) => req.header(AUTHORIZATION, format!("Bearer {t}")),
            None => req,
        }
        .send()
    };
    let me = |token: String| {
        let c = client();
        let url = srv.url("/api/me");
        async move {
            c.get(url)
                .header(AUTHORIZATION, format!("Bearer {token}"))
                .send()
                .await
                .unwrap()
                .status()
        }
    };

    let res = call(reqwest::Method::GET, "/api/me/sessions", Some(&desk))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let list: Vec<Value> = res.json().await.unwrap();
    assert_eq!(list.len(), 3, "{list:?}");
    let current: Vec<&Value> = list.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["device"], "Chrome on Linux");
    assert_eq!(current[0]["addr"], "127.0.0.1");
    assert!(current[0]["last_used_at"].as_i64().unwrap() > 0);
    let phone_row = list
        .iter()
        .find(|s| s["device"] == "Safari on iPhone")
        .expect("the phone is listed");
    let phone_id = phone_row["id"].as_i64().unwrap();
    // No token hash, no token: nothing secret in the list.
    assert!(phone_row.get("token_hash").is_none() && phone_row.get("token").is_none());

    // A stranger sees only their own and cannot end mine; anonymous callers get 401.
    let res = call(reqwest::Method::GET, "/api/me/sessions", Some(&stranger))
        .await
        .unwrap();
    let theirs: Vec<Value> = res.json().await.unwrap();
    assert_eq!(theirs.len(), 1);
    let path = format!("/api/me/sessions/{phone_id}");
    let res = call(reqwest::Method::DELETE, &path, Some(&stranger))
        .await
        .unwrap();
    expect_error(res, 404, "not_found").await;
    for (method, p) in [
        (reqwest::Method::GET, "/api/me/sessions"),
        (reqwest::Method::DELETE, "/api/me/sessions"),
        (reqwest::Method::DELETE, path.as_str()),
    ] {
        let res = call(method, p, None).await.unwrap();
        expect_error(res, 401, "unauthorized").await;
    }
    let res = call(reqwest::Method::DELETE, "/api/me/sessions/abc", Some(&desk))
        .await
        .unwrap();
    expect_error(res, 400, "invalid_body").await;
    assert_eq!(me(phone.clone()).await, 200, "the phone is still signed in");

    // Ending the phone from the desk: its token dies and its socket closes (4001).
    let res = call(reqwest::Method::DELETE, &path, Some(&desk))
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(me(phone.clone()).await, 401);
    assert!(
        phone_ws
            .closed_within(std::time::Duration::from_secs(5))
            .await
    );
    let res = call(reqwest::Method::DELETE, &path, Some(&desk))
        .await
        .unwrap();
    expect_error(res, 404, "not_found").await;

    // "End all others" leaves only the asking session.
    let res = call(reqwest::Method::DELETE, "/api/me/sessions", Some(&desk))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["ended"], 1);
    assert_eq!(me(third).await, 401);
    assert_eq!(me(desk.clone()).await, 200);
    assert_eq!(me(stranger).await, 200, "nobody else's session ends");
    let res = call(reqwest::Method::GET, "/api/me/sessions", Some(&desk))
        .await
        .unwrap();
    let list: Vec<Value> = res.json().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["current"], true);
}

#[tokio::test]
async fn an_open_socket_keeps_its_session_listed_as_just_used() {
    // Written at most every second here (a minute by default), by requests and by sockets.
    let srv = common::spawn_with(&["--session-touch-secs", "1"]).await;
    srv.register("openuser", "sessions-pass-1").await;
    let desk = login_as(&srv, "openuser", "curl/8").await;
    let phone = login_as(&srv, "openuser", "curl/8").await;
    let used = |token: String| {
        let srv = &srv;
        async move {
            let list = common::get_json_as(srv, &token, "/api/me/sessions").await;
            // The other session's (the one not asking).
            list.as_array()
                .unwrap()
                .iter()
                .find(|s| s["current"] == false)
                .and_then(|s| s["last_used_at"].as_i64())
                .expect("the other session is listed")
        }
    };
    // The phone makes no request after opening its socket, which just stays open (the
    // opening itself may count as a use: the clock starts after it).
    let phone_ws = common::ws::Ws::connect(&srv.base, &phone).await;
    let at_connect = used(desk.clone()).await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while used(desk.clone()).await <= at_connect {
        assert!(
            tokio::time::Instant::now() < deadline,
            "an open socket never noted its session in use"
        );
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    // A closed socket stops noting it.
    drop(phone_ws);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let after_close = used(desk.clone()).await;
    tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
    assert_eq!(used(desk).await, after_close);
}

//! `POST /api/conversations/{conv}/messages`: bots and the no-JavaScript form send through
//! the same rules as the socket, idempotent on the cid; and responses are compressed.

use crate::common;

use common::ws::Ws;
use common::{api, befriend, expect_error, pconv, person};
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn rest_send_is_the_socket_send() {
    let srv = common::spawn().await;
    let (a, b, c) = (
        person(&srv, "resta").await,
        person(&srv, "restb").await,
        person(&srv, "restc").await,
    );
    befriend(&srv, &a, &b).await;
    let mut bw = Ws::messages_only(&srv.base, &b.token).await;
    let mut aw = Ws::messages_only(&srv.base, &a.token).await;
    let path = format!("/api/conversations/{}/messages", pconv(&a, &b));
    let body = json!({"cid": "r1", "media": 1, "content": "from a bot", "userid": c.id});
    let res = api(&srv, &a, Method::POST, &path, Some(body.clone())).await;
    assert_eq!(res.status(), 201);
    let stored: Value = res.json().await.unwrap();
    // The sender is the session's user, whatever the body claims.
    assert_eq!(
        (
            stored["cmd"].as_i64(),
            stored["userid"].as_i64(),
            stored["dstid"].as_i64()
        ),
        (Some(10), Some(a.id), Some(b.id))
    );
    assert_eq!(
        (stored["seq"].as_i64(), stored["cid"].as_str()),
        (Some(1), Some("r1"))
    );
    // Delivered live to the peer and to the sender's own sockets.
    for ws in [&mut bw, &mut aw] {
        let got = ws.recv().await;
        assert_eq!(
            (got.content.as_str(), got.id),
            ("from a bot", stored["id"].as_i64().unwrap())
        );
    }
    // A resent cid: 200 with the same message, nothing delivered again.
    let res = api(&srv, &a, Method::POST, &path, Some(body)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap(), stored);
    bw.expect_silence().await;

    // The socket's refusals, as HTTP.
    let cases = [
        (
            &a,
            path.clone(),
            json!({"cid": "", "media": 1, "content": "x"}),
            400,
            "invalid_payload",
        ),
        (
            &a,
            path.clone(),
            json!({"cid": "r2", "media": 42, "content": "x"}),
            400,
            "invalid_media",
        ),
        (
            &a,
            path.clone(),
            json!({"cid": "r3", "media": 7, "url": "javascript:alert(1)"}),
            400,
            "invalid_payload",
        ),
        (
            &a,
            path.clone(),
            json!({"cid": "r1", "media": 1, "content": "other"}),
            200,
            "",
        ),
        (
            &c,
            path.clone(),
            json!({"cid": "c1", "media": 1, "content": "let me in"}),
            403,
            "forbidden",
        ),
        (
            &a,
            format!("/api/conversations/p:{}:1000000000000/messages", a.id),
            json!({"cid": "r4", "media": 1, "content": "ghost"}),
            404,
            "not_found",
        ),
        (
            &a,
            "/api/conversations/g:424242/messages".to_owned(),
            json!({"cid": "r5", "media": 1, "content": "nobody"}),
            404,
            "not_found",
        ),
        (
            &a,
            "/api/conversations/nonsense/messages".to_owned(),
            json!({"cid": "r6", "media": 1, "content": "x"}),
            404,
            "not_found",
        ),
        (&a, path.clone(), json!({"media": 1}), 400, "invalid_body"),
    ];
    for (who, p, body, status, code) in cases {
        let res = api(&srv, who, Method::POST, &p, Some(body.clone())).await;
        if status == 200 {
            assert_eq!(res.status(), 200, "{body}");
            continue;
        }
        expect_error(res, status, code).await;
    }
    // A cid reused in another conversation is a conflict.
    let gid = common::group(&srv, &a, "bots").await;
    let res = api(
        &srv,
        &a,
        Method::POST,
        &format!("/api/conversations/g:{gid}/messages"),
        Some(json!({"cid": "r1", "media": 1, "content": "again"})),
    )
    .await;
    expect_error(res, 409, "cid_conflict").await;
    // Non-friends: three, then the allowance is used up.
    let to_c = format!("/api/conversations/{}/messages", pconv(&a, &c));
    for i in 0..3 {
        let body = json!({"cid": format!("n{i}"), "media": 1, "content": "hi"});
        assert_eq!(
            api(&srv, &a, Method::POST, &to_c, Some(body))
                .await
                .status(),
            201
        );
    }
    let body = json!({"cid": "n3", "media": 1, "content": "hi?"});
    expect_error(
        api(&srv, &a, Method::POST, &to_c, Some(body)).await,
        403,
        "not_friends_limit",
    )
    .await;
}

#[tokio::test]
async fn responses_are_compressed_for_clients_that_ask() {
    let srv = common::spawn().await;
    let a = person(&srv, "zipper").await;
    for (encoding, expected) in [
        ("br", Some("br")),
        ("gzip", Some("gzip")),
        ("identity", None),
    ] {
        let res = a
            .req(&srv, Method::GET, "/")
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.headers()
                .get("content-encoding")
                .and_then(|v| v.to_str().ok()),
            expected,
            "{encoding}"
        );
    }
}

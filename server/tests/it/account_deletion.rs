//! Deleting an account against the real server: the password is required; friends and
//! groups are told; an owned group passes to its longest-standing member; the messages stay
//! readable to the others under "Deleted user"; the uploads and their files go; every
//! session and socket ends; the username is free again.

use crate::common;

use common::ws::Ws;
use common::{api, befriend, expect_error, get_json, pconv, person, text, upload, TestServer};
use reqwest::Method;
use serde_json::{json, Value};
use std::io::Cursor;
use std::time::Duration;

fn png() -> Vec<u8> {
    let img = image::DynamicImage::new_rgb8(6, 4);
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// Every stored file's name under the server's media directory.
fn stored_files(srv: &TestServer) -> Vec<String> {
    let mut out = Vec::new();
    let mut dirs = vec![srv.data_dir().join("media")];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else {
                out.push(p.file_name().unwrap().to_string_lossy().into_owned());
            }
        }
    }
    out
}

#[tokio::test]
async fn a_deleted_account_leaves_its_messages_as_deleted_user_and_takes_everything_else() {
    let srv = common::spawn().await;
    let ann = person(&srv, "ann").await;
    let bob = person(&srv, "bob").await;
    let cat = person(&srv, "cat").await;
    befriend(&srv, &ann, &bob).await;
    let anns_group = common::group(&srv, &ann, "Ann's").await;
    common::join_group(&srv, &cat, anns_group).await;
    let cats_group = common::group(&srv, &cat, "Cat's").await;
    common::join_group(&srv, &ann, cats_group).await;

    // Ann writes to Bob and sends him a picture.
    let mut ann_ws = Ws::connect(&srv.base, &ann.token).await.ignoring(&[12, 13]);
    ann_ws.send(&text(10, bob.id, "d1", "see you")).await;
    assert_eq!(ann_ws.recv().await.cmd, 1);
    let res = upload(&srv, &ann, "me.png", "image/png", png()).await;
    assert_eq!(res.status(), 201);
    let pic: Value = res.json().await.unwrap();
    let url = pic["url"].as_str().unwrap().to_owned();
    let key = url.trim_start_matches("/media/").to_owned();
    let mut frame = text(10, bob.id, "d2", "");
    frame.media = 4;
    frame.url = url.clone();
    frame.pic = pic["pic"].as_str().unwrap().to_owned();
    ann_ws.send(&frame).await;
    assert_eq!(ann_ws.recv().await.cmd, 1);
    assert!(stored_files(&srv).contains(&key));
    assert_eq!(
        bob.req(&srv, Method::GET, &url)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let mut bob_ws = Ws::connect(&srv.base, &bob.token).await.ignoring(&[13]);
    let mut cat_ws = Ws::connect(&srv.base, &cat.token).await.ignoring(&[13]);
    let delete = |token: Option<&str>, body: Value| {
        let req = common::client().delete(srv.url("/api/me")).json(&body);
        match token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
        .send()
    };

    // Refusals change nothing.
    let res = delete(Some(&ann.token), json!({"password": "not-it"}))
        .await
        .unwrap();
    expect_error(res, 403, "wrong_password").await;
    let res = delete(Some(&ann.token), json!({})).await.unwrap();
    expect_error(res, 400, "invalid_body").await;
    let res = delete(None, json!({"password": "right-password"}))
        .await
        .unwrap();
    expect_error(res, 401, "unauthorized").await;
    bob_ws.expect_silence().await;
    assert_eq!(get_json(&srv, &ann, "/api/me").await["username"], "ann");

    let res = delete(Some(&ann.token), json!({"password": "right-password"}))
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("Max-Age=0"), "{cookie}");

    // Signed out everywhere.
    assert!(ann_ws.closed_within(Duration::from_secs(5)).await);
    let res = api(&srv, &ann, Method::GET, "/api/me", None).await;
    expect_error(res, 401, "unauthorized").await;
    let res = common::client()
        .post(srv.url("/api/login"))
        .json(&json!({"username": "ann", "password": "right-password"}))
        .send()
        .await
        .unwrap();
    expect_error(res, 401, "invalid_credentials").await;

    // Bob is told the friendship ended and sees the tombstone's profile, live.
    let mut kinds = Vec::new();
    while let Some(f) = bob_ws.try_recv(Duration::from_millis(500)).await {
        kinds.push((f.cmd, f.memo.clone()));
    }
    assert!(kinds.contains(&(12, "friend_removed".into())), "{kinds:?}");
    assert!(kinds.contains(&(18, "Deleted user".into())), "{kinds:?}");
    // Cat now owns Ann's group, and both groups were told Ann left.
    let mut cat_kinds = Vec::new();
    while let Some(f) = cat_ws.try_recv(Duration::from_millis(500)).await {
        cat_kinds.push((f.cmd, f.memo.clone(), f.conv.clone()));
    }
    let told = |kind: &str, g: i64| {
        cat_kinds
            .iter()
            .any(|(cmd, memo, conv)| *cmd == 12 && memo == kind && *conv == format!("g:{g}"))
    };
    assert!(told("owner_changed", anns_group), "{cat_kinds:?}");
    assert!(told("member_left", anns_group), "{cat_kinds:?}");
    assert!(told("member_left", cats_group), "{cat_kinds:?}");
    let groups = get_json(&srv, &cat, "/api/groups").await;
    let owned: Vec<&Value> = groups
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["role"] == "owner")
        .collect();
    assert_eq!(owned.len(), 2, "{groups}");
    assert!(
        groups
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["member_count"] == 1),
        "{groups}"
    );

    // The history stays readable, under "Deleted user"; the picture is gone, file and all.
    let conv = get_json(
        &srv,
        &bob,
        &format!("/api/conversations/{}", pconv(&ann, &bob)),
    )
    .await;
    let messages = conv["messages"].as_array().unwrap();
    assert!(messages
        .iter()
        .any(|m| m["content"] == "see you" && m["userid"] == ann.id));
    let sender = conv["senders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == ann.id)
        .cloned()
        .unwrap();
    assert_eq!(sender["nickname"], "Deleted user");
    assert_eq!(sender["avatar"], "");
    let res = bob.req(&srv, Method::GET, &url).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert!(
        !stored_files(&srv).contains(&key),
        "the file went with its row"
    );
    assert_eq!(get_json(&srv, &bob, "/api/friends").await, json!([]));

    // Nobody can write to, ask or find the tombstone; the username is free again.
    let (status, body) = bob
        .json(
            &srv,
            Method::POST,
            &format!("/api/conversations/{}/messages", pconv(&ann, &bob)),
            Some(json!({"cid": "d3", "media": 1, "content": "hello?"})),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("not_found")),
        "{body}"
    );
    let (status, _) = bob
        .json(
            &srv,
            Method::POST,
            "/api/friends",
            Some(json!({"user_id": ann.id})),
        )
        .await;
    assert_eq!(status, 404);
    let found = get_json(
        &srv,
        &bob,
        &format!("/api/users/search?q=deleted-{}", ann.id),
    )
    .await;
    assert_eq!(found, json!([]));
    srv.register("ann", "another-password").await;
}

//! Avatars and group icons stored as uploads (`/media/<key>`) against the real server: only
//! the setter's own picture is accepted, and once set it is served to every signed-in user
//! (a profile picture is public to them), never to anonymous callers. A replaced picture
//! stays visible: it was already shown to everyone, and browsers keep a key for a year.

use crate::common::{self, expect_error, person, upload, voice_note, Person, TestServer};
use reqwest::Method;
use serde_json::{json, Value};
use std::io::Cursor;

/// A real PNG.
fn png() -> Vec<u8> {
    let img = image::DynamicImage::new_rgb8(4, 3);
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// Uploads a picture as `who`: its `/media/` URL and its thumbnail's.
async fn picture(srv: &TestServer, who: &Person) -> (String, String) {
    let res = upload(srv, who, "me.png", "image/png", png()).await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    (
        body["url"].as_str().unwrap().to_owned(),
        body["pic"].as_str().unwrap().to_owned(),
    )
}

/// The status of `GET url` as `who` (anonymous for `None`).
async fn fetch(srv: &TestServer, who: Option<&Person>, url: &str) -> u16 {
    let res = match who {
        Some(p) => p.req(srv, Method::GET, url).send().await.unwrap(),
        None => common::client().get(srv.url(url)).send().await.unwrap(),
    };
    res.status().as_u16()
}

async fn set_avatar(srv: &TestServer, who: &Person, avatar: &str) -> reqwest::Response {
    who.req(srv, Method::PATCH, "/api/me")
        .json(&json!({"avatar": avatar}))
        .send()
        .await
        .unwrap()
}

async fn my_avatar(srv: &TestServer, who: &Person) -> String {
    let me = common::get_json(srv, who, "/api/me").await;
    me["avatar"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn only_my_own_picture_becomes_my_avatar_and_then_everyone_signed_in_sees_it() {
    let srv = common::spawn().await;
    let (ann, ben, cy) = (
        person(&srv, "ann").await,
        person(&srv, "ben").await,
        person(&srv, "cyd").await,
    );
    let (bens, _) = picture(&srv, &ben).await;
    // Someone else's upload: refused, the profile unchanged.
    let err = expect_error(set_avatar(&srv, &ann, &bens).await, 400, "invalid_field").await;
    assert_eq!(err["field"], "avatar");
    assert_eq!(my_avatar(&srv, &ann).await, "");
    // No such key, and my own upload that is not a picture: refused too.
    let res = set_avatar(&srv, &ann, "/media/0123456789abcdef.png").await;
    expect_error(res, 400, "invalid_field").await;
    let res = upload(&srv, &ann, "v.webm", "audio/webm", voice_note()).await;
    let voice: Value = res.json().await.unwrap();
    let res = set_avatar(&srv, &ann, voice["url"].as_str().unwrap()).await;
    expect_error(res, 400, "invalid_field").await;
    assert_eq!(my_avatar(&srv, &ann).await, "");
    // Ben's picture is still his alone.
    assert_eq!(fetch(&srv, Some(&ann), &bens).await, 403);

    // My own picture: accepted; then any signed-in user may fetch it, anonymous callers not.
    let (mine, thumb) = picture(&srv, &ann).await;
    assert_eq!(fetch(&srv, Some(&cy), &mine).await, 403);
    let res = set_avatar(&srv, &ann, &mine).await;
    assert_eq!(res.status(), 200);
    assert_eq!(my_avatar(&srv, &ann).await, mine);
    for who in [&ann, &ben, &cy] {
        assert_eq!(fetch(&srv, Some(who), &mine).await, 200);
    }
    assert_eq!(fetch(&srv, None, &mine).await, 401);
    // Only the key set was published, not its thumbnail.
    assert_eq!(fetch(&srv, Some(&cy), &thumb).await, 403);

    // Replaced: the new one is public, and the old one stays so (decided, docs/api.md).
    let (next, _) = picture(&srv, &ann).await;
    assert_eq!(set_avatar(&srv, &ann, &next).await.status(), 200);
    assert_eq!(fetch(&srv, Some(&cy), &next).await, 200);
    assert_eq!(fetch(&srv, Some(&cy), &mine).await, 200);
    // Setting the same picture again, or an outside URL, is fine.
    assert_eq!(set_avatar(&srv, &ann, &next).await.status(), 200);
    let res = set_avatar(&srv, &ann, "https://img.example/a.png").await;
    assert_eq!(res.status(), 200);
    // A public picture is still not anyone else's to use.
    let res = set_avatar(&srv, &cy, &next).await;
    expect_error(res, 400, "invalid_field").await;
    assert_eq!(my_avatar(&srv, &cy).await, "");
}

#[tokio::test]
async fn only_my_own_picture_becomes_my_groups_icon() {
    let srv = common::spawn().await;
    let (ann, ben, cy) = (
        person(&srv, "ann").await,
        person(&srv, "ben").await,
        person(&srv, "cyd").await,
    );
    let (bens, _) = picture(&srv, &ben).await;
    let res = ann
        .req(&srv, Method::POST, "/api/groups")
        .json(&json!({"name": "Club", "icon": bens}))
        .send()
        .await
        .unwrap();
    let err = expect_error(res, 400, "invalid_field").await;
    assert_eq!(err["field"], "icon");
    assert_eq!(srv.count("SELECT COUNT(*) FROM chat_groups").await, 0);

    let (mine, _) = picture(&srv, &ann).await;
    let (status, g) = ann
        .json(
            &srv,
            Method::POST,
            "/api/groups",
            Some(json!({"name": "Club", "icon": mine})),
        )
        .await;
    assert_eq!(status, 201, "{g}");
    assert_eq!(g["icon"], mine.as_str());
    // Not a member: the icon is shown in search results, so every signed-in user sees it.
    assert_eq!(fetch(&srv, Some(&cy), &mine).await, 200);
    assert_eq!(fetch(&srv, None, &mine).await, 401);
}

#[tokio::test]
async fn seed_pages_cannot_borrow_someone_elses_upload_either() {
    let srv = common::spawn().await;
    let ben = person(&srv, "ben").await;
    let (bens, _) = picture(&srv, &ben).await;
    let page = common::browser(&srv);
    let post = |path: &'static str, body: String| {
        let page = page.clone();
        let url = srv.url(path);
        async move {
            let res = page
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            res.json::<Value>().await.unwrap()
        }
    };
    // Registering with someone's upload as avatar: refused before any account exists.
    let reg = post(
        "/user/register",
        format!("mobile=13900000001&passwd=pass%20word%201&avatar={bens}"),
    )
    .await;
    assert_eq!(reg["code"], -1, "{reg}");
    assert_eq!(
        srv.count("SELECT COUNT(*) FROM users WHERE username = '13900000001'")
            .await,
        0
    );
    // A community with someone's upload as icon: refused, nothing created.
    let reg = post(
        "/user/register",
        "mobile=13900000002&passwd=pass%20word%201".to_owned(),
    )
    .await;
    assert_eq!(reg["code"], 0, "{reg}");
    let created = post(
        "/contact/createcommunity",
        format!("name=Club&icon={bens}&memo=&cate=1"),
    )
    .await;
    assert_eq!(created["code"], -1, "{created}");
    assert_eq!(srv.count("SELECT COUNT(*) FROM chat_groups").await, 0);
}

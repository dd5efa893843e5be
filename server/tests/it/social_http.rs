//! Friends and groups over HTTP against the real server: the journeys and every error
//! answer (404 unknown, 409 duplicates and caps, 422 owned-groups cap, 403, 401).

use crate::common;

use common::{client, expect_error, person, Person};
use reqwest::header::AUTHORIZATION;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn friends_lifecycle_and_errors() {
    let srv = common::spawn().await;
    let a = person(&srv, "amy").await;
    let b = person(&srv, "bob").await;

    let (status, asked) = a
        .json(
            &srv,
            Method::POST,
            "/api/friends",
            Some(json!({"user_id": b.id})),
        )
        .await;
    assert_eq!(status, 202, "{asked}");
    assert_eq!(asked, json!({"status": "pending"}));
    let (status, friend) = b
        .json(
            &srv,
            Method::POST,
            &format!("/api/friends/requests/{}/accept", a.id),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(friend["id"], a.id);
    assert_eq!(friend["username"], "amy");
    assert_eq!(friend["online"], false);

    let (_, a_list) = a.json(&srv, Method::GET, "/api/friends", None).await;
    let (_, b_list) = b.json(&srv, Method::GET, "/api/friends", None).await;
    assert_eq!(a_list.as_array().unwrap().len(), 1);
    assert_eq!(a_list[0]["id"], b.id);
    assert_eq!(b_list[0]["id"], a.id, "mutual");

    for (body, status, code) in [
        (json!({"user_id": b.id}), 409, "already_friends"),
        (json!({"user_id": a.id}), 409, "already_friends"),
        (json!({"user_id": 999_999}), 404, "not_found"),
    ] {
        let who = if body["user_id"] == a.id { &b } else { &a };
        let res = who
            .req(&srv, Method::POST, "/api/friends")
            .json(&body)
            .send()
            .await
            .unwrap();
        expect_error(res, status, code).await;
    }
    let res = a
        .req(&srv, Method::POST, "/api/friends")
        .json(&json!({"user_id": a.id}))
        .send()
        .await
        .unwrap();
    expect_error(res, 400, "cannot_friend_self").await;
    let res = a
        .req(&srv, Method::POST, "/api/friends")
        .json(&json!({"user_id": "x"}))
        .send()
        .await
        .unwrap();
    expect_error(res, 400, "invalid_body").await;

    let res = b
        .req(&srv, Method::DELETE, &format!("/api/friends/{}", a.id))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let (_, a_list) = a.json(&srv, Method::GET, "/api/friends", None).await;
    assert!(
        a_list.as_array().unwrap().is_empty(),
        "removed on both sides"
    );
    let res = b
        .req(&srv, Method::DELETE, &format!("/api/friends/{}", a.id))
        .send()
        .await
        .unwrap();
    expect_error(res, 404, "not_friends").await;
    let res = b
        .req(&srv, Method::DELETE, "/api/friends/999999")
        .send()
        .await
        .unwrap();
    expect_error(res, 404, "not_found").await;
    let res = b
        .req(&srv, Method::DELETE, "/api/friends/abc")
        .send()
        .await
        .unwrap();
    expect_error(res, 400, "invalid_body").await;

    // Both sides were told, in order.
    let notices = srv
        .state
        .store
        .notices(app::ids::UserId(b.id), 0, 100)
        .await
        .unwrap();
    let kinds: Vec<&str> = notices.iter().map(|n| n.kind.as_str()).collect();
    assert_eq!(kinds, ["friend_request", "friend_added", "friend_removed"]);
}

#[tokio::test]
async fn groups_lifecycle_and_errors() {
    let srv = common::spawn_with(&["--max-owned-groups", "1", "--max-group-members", "3"]).await;
    let o = person(&srv, "owen").await;
    let m = person(&srv, "meg").await;
    let n = person(&srv, "ned").await;
    let x = person(&srv, "xia").await;

    let (status, g) = o
        .json(&srv, Method::POST, "/api/groups", Some(json!({"name": "  Book Club ", "memo": "We read.", "icon": "https://img.example/b.png"})))
        .await;
    assert_eq!(status, 201, "{g}");
    assert_eq!(g["name"], "Book Club");
    assert_eq!(g["role"], "owner");
    assert_eq!(g["member_count"], 1);
    assert_eq!(g["owner_id"], o.id);
    let gid = g["id"].as_i64().unwrap();

    // Caps and validation.
    let res = o
        .req(&srv, Method::POST, "/api/groups")
        .json(&json!({"name": "Second"}))
        .send()
        .await
        .unwrap();
    expect_error(res, 422, "owned_groups_limit").await;
    for (body, field) in [
        (json!({"name": ""}), "name"),
        (json!({"name": "n".repeat(65)}), "name"),
        (json!({"name": "ok", "icon": "javascript:alert(1)"}), "icon"),
        (json!({"name": "ok", "memo": "m".repeat(513)}), "memo"),
    ] {
        let res = m
            .req(&srv, Method::POST, "/api/groups")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            expect_error(res, 400, "invalid_field").await["field"],
            field
        );
    }
    assert!(
        m.json(&srv, Method::GET, "/api/groups", None)
            .await
            .1
            .as_array()
            .unwrap()
            .is_empty(),
        "nothing created"
    );

    // Search by name and by id.
    let (_, found) = m
        .json(&srv, Method::GET, "/api/groups/search?q=book", None)
        .await;
    assert_eq!(found[0]["id"], gid);
    let (_, found) = m
        .json(
            &srv,
            Method::GET,
            &format!("/api/groups/search?q={gid}"),
            None,
        )
        .await;
    assert_eq!(found[0]["name"], "Book Club");
    let res = m
        .req(&srv, Method::GET, "/api/groups/search?q=")
        .send()
        .await
        .unwrap();
    expect_error(res, 400, "invalid_field").await;

    // Members list is for members only.
    let res = m
        .req(&srv, Method::GET, &format!("/api/groups/{gid}/members"))
        .send()
        .await
        .unwrap();
    expect_error(res, 403, "not_member").await;

    let (status, joined) = m
        .json(&srv, Method::POST, &format!("/api/groups/{gid}/join"), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (joined["role"].as_str(), joined["member_count"].as_i64()),
        (Some("member"), Some(2))
    );
    let res = m
        .req(&srv, Method::POST, &format!("/api/groups/{gid}/join"))
        .send()
        .await
        .unwrap();
    expect_error(res, 409, "already_member").await;
    n.json(&srv, Method::POST, &format!("/api/groups/{gid}/join"), None)
        .await;
    let res = x
        .req(&srv, Method::POST, &format!("/api/groups/{gid}/join"))
        .send()
        .await
        .unwrap();
    expect_error(res, 409, "group_full").await;
    let res = x
        .req(&srv, Method::POST, "/api/groups/999999/join")
        .send()
        .await
        .unwrap();
    expect_error(res, 404, "not_found").await;

    let (_, members) = m
        .json(
            &srv,
            Method::GET,
            &format!("/api/groups/{gid}/members"),
            None,
        )
        .await;
    let roles: Vec<(i64, &str)> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["id"].as_i64().unwrap(), v["role"].as_str().unwrap()))
        .collect();
    assert_eq!(roles, [(o.id, "owner"), (m.id, "member"), (n.id, "member")]);

    // Leaving: the owner cannot; a non-member cannot; a member can.
    let res = o
        .req(&srv, Method::POST, &format!("/api/groups/{gid}/leave"))
        .send()
        .await
        .unwrap();
    expect_error(res, 409, "owner_cannot_leave").await;
    let res = x
        .req(&srv, Method::POST, &format!("/api/groups/{gid}/leave"))
        .send()
        .await
        .unwrap();
    expect_error(res, 403, "not_member").await;
    let res = n
        .req(&srv, Method::POST, &format!("/api/groups/{gid}/leave"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    x.json(&srv, Method::POST, &format!("/api/groups/{gid}/join"), None)
        .await;

    // Ownership: only the owner hands over, only to a member.
    let path = format!("/api/groups/{gid}/owner");
    let res = m
        .req(&srv, Method::POST, &path)
        .json(&json!({"user_id": x.id}))
        .send()
        .await
        .unwrap();
    expect_error(res, 403, "not_owner").await;
    let res = o
        .req(&srv, Method::POST, &path)
        .json(&json!({"user_id": n.id}))
        .send()
        .await
        .unwrap();
    expect_error(res, 403, "not_member").await;
    let res = o
        .req(&srv, Method::POST, &path)
        .json(&json!({"user_id": o.id}))
        .send()
        .await
        .unwrap();
    expect_error(res, 400, "invalid_field").await;
    let (status, after) = o
        .json(&srv, Method::POST, &path, Some(json!({"user_id": m.id})))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (after["owner_id"].as_i64(), after["role"].as_str()),
        (Some(m.id), Some("member"))
    );
    let res = o
        .req(&srv, Method::POST, &format!("/api/groups/{gid}/leave"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204, "the former owner may now leave");

    // Dissolving: owner only; afterwards the group is gone for everyone.
    let res = x
        .req(&srv, Method::DELETE, &format!("/api/groups/{gid}"))
        .send()
        .await
        .unwrap();
    expect_error(res, 403, "not_owner").await;
    let res = m
        .req(&srv, Method::DELETE, &format!("/api/groups/{gid}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    for who in [&m, &x] {
        assert!(who
            .json(&srv, Method::GET, "/api/groups", None)
            .await
            .1
            .as_array()
            .unwrap()
            .is_empty());
    }
    let res = m
        .req(&srv, Method::GET, &format!("/api/groups/{gid}/members"))
        .send()
        .await
        .unwrap();
    expect_error(res, 404, "not_found").await;
    let res = m
        .req(&srv, Method::DELETE, &format!("/api/groups/{gid}"))
        .send()
        .await
        .unwrap();
    expect_error(res, 404, "not_found").await;
}

#[tokio::test]
async fn social_endpoints_need_a_session() {
    let srv = common::spawn().await;
    let c = client();
    for (method, path) in [
        (Method::GET, "/api/friends"),
        (Method::POST, "/api/friends"),
        (Method::DELETE, "/api/friends/1"),
        (Method::GET, "/api/friends/requests"),
        (Method::POST, "/api/friends/requests/1/accept"),
        (Method::POST, "/api/friends/requests/1/decline"),
        (Method::DELETE, "/api/friends/requests/1"),
        (Method::GET, "/api/blocks"),
        (Method::PUT, "/api/blocks/1"),
        (Method::DELETE, "/api/blocks/1"),
        (Method::POST, "/api/reports"),
        (Method::GET, "/api/admin/reports"),
        (Method::GET, "/api/me/privacy"),
        (Method::PATCH, "/api/me/privacy"),
        (Method::GET, "/api/groups"),
        (Method::POST, "/api/groups"),
        (Method::GET, "/api/groups/search?q=a"),
        (Method::POST, "/api/groups/1/join"),
        (Method::POST, "/api/groups/1/leave"),
        (Method::GET, "/api/groups/1/members"),
        (Method::POST, "/api/groups/1/owner"),
        (Method::DELETE, "/api/groups/1"),
    ] {
        let res = c
            .request(method.clone(), srv.url(path))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{method} {path}");
        expect_error(res, 401, "unauthorized").await;
    }
}

#[tokio::test]
async fn sidebar_server_functions_share_the_rules() {
    let srv = common::spawn().await;
    let a = person(&srv, "sfa").await;
    let b = person(&srv, "sfb").await;
    let sfn = |path: &str, who: &Person, form: &[(&str, String)]| {
        client()
            .post(srv.url(path))
            .header(AUTHORIZATION, format!("Bearer {}", who.token))
            .form(form)
            .send()
    };
    let res = sfn("/sfn/ask_friend", &a, &[("user_id", b.id.to_string())])
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    assert!(res.text().await.unwrap().contains("pending"));
    let waiting = sfn("/sfn/list_requests", &b, &[])
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(waiting.contains(r#""username":"sfa""#), "{waiting}");
    let res = sfn("/sfn/accept_request", &b, &[("user_id", a.id.to_string())])
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let again = sfn("/sfn/ask_friend", &a, &[("user_id", b.id.to_string())])
        .await
        .unwrap();
    assert!(!again.status().is_success());
    assert!(again.text().await.unwrap().contains("already_friends"));
    let list = sfn("/sfn/list_friends", &b, &[])
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains(r#""username":"sfa""#), "{list}");
    let anon = client()
        .post(srv.url("/sfn/list_friends"))
        .header("origin", &srv.state.config.public_origin)
        .send()
        .await
        .unwrap();
    assert!(anon.text().await.unwrap().contains("unauthorized"));
}

//! Server-rendered pages, the no-JavaScript form posts and the server functions the hydrated
//! pages call, over real HTTP.

use crate::common;

use common::{browser, client};
use reqwest::header::{LOCATION, SET_COOKIE};
use reqwest::Response;

fn location(res: &Response) -> String {
    res.headers()[LOCATION].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn anonymous_root_redirects_to_login_and_login_page_renders() {
    let srv = common::spawn().await;
    let c = client();
    let res = c.get(srv.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/login");

    let res = c.get(srv.url("/login")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"action="/login""#), "{html}");
    assert!(html.contains(r#"name="username""#));
    assert!(html.contains(r#"name="password""#));
    assert!(html.contains("/pkg/parley.css"));
    let html = c
        .get(srv.url("/register"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"action="/register""#), "{html}");
}

#[tokio::test]
async fn settings_need_a_session_and_render_the_theme_from_its_cookie() {
    let srv = common::spawn().await;
    let res = client().get(srv.url("/settings")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/login");
    let person = common::person(&srv, "settler").await;
    let page = |cookie: String| {
        client()
            .get(srv.url("/settings"))
            .header("cookie", cookie)
            .send()
    };
    let html = page(format!("parley_session={}", person.token))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("settler"), "{html}");
    assert!(
        !html.contains("data-theme"),
        "the system's theme by default"
    );
    let html = page(format!(
        "parley_session={}; parley_theme=dark",
        person.token
    ))
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert!(html.contains(r#"data-theme="dark""#), "{html}");
}

#[tokio::test]
async fn an_unknown_page_says_so_and_links_home() {
    let srv = common::spawn().await;
    let person = common::person(&srv, "lost").await;
    let res = client()
        .get(srv.url("/no-such-page"))
        .header("cookie", format!("parley_session={}", person.token))
        .send()
        .await
        .unwrap();
    let html = res.text().await.unwrap();
    assert!(html.contains("Page not found."), "{html}");
    assert!(html.contains(r#"<a href="/">Back to Parley</a>"#), "{html}");
}

#[tokio::test]
async fn forms_work_without_javascript() {
    let srv = common::spawn().await;
    let b = browser(&srv);

    // Register (with a nickname) through the plain form: logged straight in.
    let res = b
        .post(srv.url("/register"))
        .form(&[
            ("username", "lena"),
            ("password", "right-password"),
            ("nickname", "Lena <b>L</b>"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/");
    assert!(res.headers()[SET_COOKIE]
        .to_str()
        .unwrap()
        .contains("HttpOnly"));

    let res = b.get(srv.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Lena &lt;b&gt;L&lt;/b&gt;"),
        "nickname shown, escaped: {html}"
    );
    assert!(html.contains(r#"action="/logout""#));
    // Rendered in place, not streamed into a <template> that only a script would reveal.
    assert!(
        !html.contains("Loading…") && !html.contains("<template"),
        "{html}"
    );

    // Logged in, the auth pages send you home.
    let res = b.get(srv.url("/login")).send().await.unwrap();
    assert_eq!(
        (res.status().as_u16(), location(&res)),
        (303, "/".to_owned())
    );

    // Log out through the form: back to /login and the session is gone.
    let res = b.post(srv.url("/logout")).send().await.unwrap();
    assert_eq!(
        (res.status().as_u16(), location(&res)),
        (303, "/login".to_owned())
    );
    let res = b.get(srv.url("/")).send().await.unwrap();
    assert_eq!(location(&res), "/login");

    // A wrong password comes back to the form with the code and the username kept.
    let res = b
        .post(srv.url("/login"))
        .form(&[("username", "lena"), ("password", "wrong-password")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let back = location(&res);
    assert_eq!(back, "/login?error=invalid_credentials&username=lena");
    let html = b
        .get(srv.url(&back))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Wrong username or password."), "{html}");
    assert!(html.contains(r#"value="lena""#), "{html}");

    // The right password logs in again.
    let res = b
        .post(srv.url("/login"))
        .form(&[("username", "lena"), ("password", "right-password")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/");
    assert_eq!(b.get(srv.url("/")).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn register_form_errors_explain_the_field() {
    let srv = common::spawn().await;
    let b = browser(&srv);
    let res = b
        .post(srv.url("/register"))
        .form(&[
            ("username", "mo"),
            ("password", "right-password"),
            ("nickname", ""),
        ])
        .send()
        .await
        .unwrap();
    let back = location(&res);
    assert_eq!(
        back,
        "/register?error=invalid_field&field=username&username=mo"
    );
    let html = b
        .get(srv.url(&back))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Username must be 3-32"), "{html}");

    srv.register("nora", "right-password").await;
    let res = b
        .post(srv.url("/register"))
        .form(&[
            ("username", "nora"),
            ("password", "right-password"),
            ("nickname", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        location(&res),
        "/register?error=username_taken&username=nora"
    );

    // Missing fields are a clear error too, not a crash.
    let res = b
        .post(srv.url("/login"))
        .form(&[("username", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/login?error=invalid_body");
}

#[tokio::test]
async fn server_functions_log_in_report_the_user_and_log_out() {
    let srv = common::spawn().await;
    let b = browser(&srv);
    srv.register("olga", "right-password").await;

    let res = b
        .post(srv.url("/sfn/login"))
        .form(&[("username", "olga"), ("password", "wrong-password")])
        .send()
        .await
        .unwrap();
    assert!(!res.status().is_success());
    let body = res.text().await.unwrap();
    assert!(body.contains("invalid_credentials"), "{body}");

    let res = b
        .post(srv.url("/sfn/login"))
        .header("accept", "application/json")
        .form(&[("username", "olga"), ("password", "right-password")])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    assert!(res.headers()[SET_COOKIE]
        .to_str()
        .unwrap()
        .starts_with("parley_session="));

    let me = b
        .post(srv.url("/sfn/current_user"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(me.contains(r#""username":"olga""#), "{me}");
    assert_eq!(b.get(srv.url("/")).send().await.unwrap().status(), 200);

    let res = b.post(srv.url("/sfn/logout")).send().await.unwrap();
    assert!(res.status().is_success());
    let me = b
        .post(srv.url("/sfn/current_user"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(me, "null");
    assert_eq!(b.get(srv.url("/")).send().await.unwrap().status(), 303);
}

#[tokio::test]
async fn user_chosen_names_render_isolated() {
    let srv = common::spawn().await;
    let b = browser(&srv);
    // A right-to-left override in a nickname must not reorder the text around it.
    let res = b
        .post(srv.url("/register"))
        .form(&[
            ("username", "rtl"),
            ("password", "right-password"),
            ("nickname", "\u{202e}evil"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let html = b
        .get(srv.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<bdi>\u{202e}evil</bdi>"), "{html}");
}

#[tokio::test]
async fn the_composer_form_sends_without_javascript() {
    let srv = common::spawn().await;
    let b = browser(&srv);
    let res = b
        .post(srv.url("/register"))
        .form(&[
            ("username", "formy"),
            ("password", "right-password"),
            ("nickname", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let me = srv.login("formy", "right-password").await;
    let peer = common::person(&srv, "formpeer").await;
    let me = common::Person {
        id: srv
            .state
            .store
            .credentials("formy")
            .await
            .unwrap()
            .unwrap()
            .user
            .id
            .0,
        token: me,
    };
    common::befriend(&srv, &me, &peer).await;
    let conv = common::pconv(&me, &peer);
    let send = |cid: &'static str, content: &'static str| {
        b.post(srv.url("/send"))
            .form(&[("conv", conv.as_str()), ("cid", cid), ("content", content)])
            .send()
    };
    let res = send("form-1", "sent from a plain form").await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), format!("/?c={}", conv.replace(':', "%3A")));
    // A double submit (same cid) stores it once.
    assert_eq!(
        send("form-1", "sent from a plain form")
            .await
            .unwrap()
            .status(),
        303
    );
    let history =
        common::get_json(&srv, &peer, &format!("/api/conversations/{conv}/messages")).await;
    assert_eq!(history.as_array().unwrap().len(), 1, "{history}");
    assert_eq!(history[0]["content"], "sent from a plain form");
    assert_eq!(history[0]["userid"], me.id);
    // A refusal comes back with its code and the text, so nothing typed is lost.
    let res = send("form-2", "   ").await.unwrap();
    let back = location(&res);
    assert!(
        back.contains("error=invalid_payload") && back.contains("draft="),
        "{back}"
    );
    // Another site cannot make a browser post here.
    let res = common::client()
        .post(srv.url("/send"))
        .header("origin", "https://evil.example")
        .form(&[
            ("conv", conv.as_str()),
            ("cid", "evil"),
            ("content", "forged"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

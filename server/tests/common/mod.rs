//! Shared test harness: the real server on an ephemeral port over a temporary SQLite file,
//! HTTP clients, and the list of databases store tests run against.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, missing_docs)]

pub mod ws;

use clap::Parser;
use reqwest::redirect::Policy;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};
use serde_json::{json, Value};
use server::config::Settings;
use server::state::AppState;
use server::store::Store;
use std::net::SocketAddr;
use tempfile::TempDir;
use tokio::sync::oneshot;

/// A running server; stops (gracefully) when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    pub base: String,
    pub state: AppState,
    pub dir: TempDir,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts the server with default settings.
pub async fn spawn() -> TestServer {
    spawn_with(&[]).await
}

/// Starts the server with extra command-line flags (e.g. `--session-ttl-secs 1`).
pub async fn spawn_with(extra: &[&str]) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut args = vec![
        "parley".to_owned(),
        "--addr".to_owned(),
        "127.0.0.1:0".to_owned(),
        "--data-dir".to_owned(),
        data.to_string_lossy().into_owned(),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let config = Settings::try_parse_from(args).unwrap().resolve().unwrap();
    let listener = tokio::net::TcpListener::bind(config.addr).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = server::start(config).await.unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(server::serve(listener, state.clone(), async move {
        let _ = stopped.await;
    }));
    TestServer {
        addr,
        base: format!("http://{addr}"),
        state,
        dir,
        stop: Some(stop),
    }
}

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Registers `username` with `password` and returns the user JSON.
    pub async fn register(&self, username: &str, password: &str) -> Value {
        let res = client()
            .post(self.url("/api/register"))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "register {username}");
        res.json::<Value>().await.unwrap()["user"].clone()
    }

    /// Logs in and returns the bearer token.
    pub async fn login(&self, username: &str, password: &str) -> String {
        let res = client()
            .post(self.url("/api/login"))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "login {username}");
        res.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// A client that does not follow redirects (so tests see the 303s) and keeps no cookies.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// A client that stores cookies, like a browser, and does not follow redirects.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

/// Asserts a JSON error answer: status and `code`; returns the body.
pub async fn expect_error(res: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(res.status().as_u16(), status, "status");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], code, "body: {body}");
    assert!(
        body["msg"].as_str().is_some_and(|m| !m.is_empty()),
        "msg: {body}"
    );
    body
}

/// A database for store tests; SQLite always, PostgreSQL too when
/// `PARLEY_TEST_DATABASE_URL` is set (each in a schema of its own, dropped by `cleanup`).
pub struct TestDb {
    pub label: &'static str,
    pub store: Store,
    /// A separate raw connection to the same database, for arranging states the store's
    /// API would never produce.
    pub raw: DatabaseConnection,
    pg: Option<(String, String)>,
    _dir: Option<TempDir>,
}

impl TestDb {
    pub async fn cleanup(self) {
        let TestDb { store, pg, raw, .. } = self;
        store.close().await.unwrap();
        raw.close().await.unwrap();
        if let Some((url, schema)) = pg {
            let db = Database::connect(url).await.unwrap();
            db.execute_unprepared(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
                .await
                .unwrap();
        }
    }
}

pub async fn databases() -> Vec<TestDb> {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
    let sqlite = Store::connect(&url, None).await.unwrap();
    sqlite.migrate().await.unwrap();
    let raw = Database::connect(url.clone()).await.unwrap();
    let mut dbs = vec![TestDb {
        label: "sqlite",
        store: sqlite,
        raw,
        pg: None,
        _dir: Some(dir),
    }];
    if let Ok(url) = std::env::var("PARLEY_TEST_DATABASE_URL") {
        let schema = format!("parley_t_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(url.clone()).await.unwrap();
        admin
            .execute_unprepared(&format!("CREATE SCHEMA \"{schema}\""))
            .await
            .unwrap();
        admin.close().await.unwrap();
        let store = Store::connect(&url, Some(&schema)).await.unwrap();
        store.migrate().await.unwrap();
        // Migrating twice must be a no-op.
        store.migrate().await.unwrap();
        let mut opts = ConnectOptions::new(url.clone());
        opts.set_schema_search_path(schema.clone());
        let raw = Database::connect(opts).await.unwrap();
        dbs.push(TestDb {
            label: "postgres",
            store,
            raw,
            pg: Some((url, schema)),
            _dir: None,
        });
    }
    dbs
}

/// A registered, logged-in user for hub tests.
pub struct Person {
    pub id: i64,
    pub token: String,
}

/// Registers and logs in `name`.
pub async fn person(srv: &TestServer, name: &str) -> Person {
    let user = srv.register(name, "right-password").await;
    Person {
        id: user["id"].as_i64().unwrap(),
        token: srv.login(name, "right-password").await,
    }
}

/// A text message frame (cmd 10 to a user, 11 to a group).
pub fn text(cmd: u16, dst: i64, cid: &str, content: &str) -> app::protocol::frame::Frame {
    app::protocol::frame::Frame {
        cmd,
        dstid: dst,
        media: 1,
        cid: cid.to_owned(),
        content: content.to_owned(),
        ..Default::default()
    }
}

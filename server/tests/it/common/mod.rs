//! Shared test harness: the real server on an ephemeral port over a temporary SQLite file,
//! HTTP clients, and the list of databases store tests run against.

pub mod cluster;
pub mod process;
pub mod s3;
pub mod ws;

use clap::Parser;
use reqwest::redirect::Policy;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};
use sea_orm_migration::MigratorTrait;
use serde_json::{json, Value};
use server::config::Settings;
use server::state::AppState;
use server::store::Store;
use tempfile::TempDir;
use tokio::sync::oneshot;

/// A running server; stops (gracefully) when dropped.
pub struct TestServer {
    pub base: String,
    pub state: AppState,
    /// Holds the data directory until the server is dropped.
    _dir: TempDir,
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
    // Tests sign many people up from 127.0.0.1; the registration throttle's own tests set
    // its budgets.
    for flag in ["--register-per-addr-per-hour", "--register-per-hour"] {
        if !extra.contains(&flag) {
            args.extend([flag.to_owned(), "1000000".to_owned()]);
        }
    }
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
        base: format!("http://{addr}"),
        state,
        _dir: dir,
        stop: Some(stop),
    }
}

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The server's data directory (the SQLite file, and `media/` with local storage).
    pub fn data_dir(&self) -> std::path::PathBuf {
        self._dir.path().join("data")
    }

    /// Counts rows with a raw query on the server's SQLite file (`SELECT COUNT(*) ...`).
    pub async fn count(&self, sql: &str) -> i64 {
        let url = format!(
            "sqlite://{}?mode=ro",
            self.data_dir().join("parley.db").display()
        );
        let db = Database::connect(url).await.unwrap();
        let row = db
            .query_one(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Sqlite,
                sql.to_owned(),
            ))
            .await
            .unwrap()
            .unwrap();
        let n: i64 = row.try_get_by_index(0).unwrap();
        db.close().await.unwrap();
        n
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
        self.login_from(username, password, "parley-tests").await
    }

    /// Logs in as the browser `agent` describes (its User-Agent names the session's device
    /// in the list of sessions) and returns the bearer token.
    pub async fn login_from(&self, username: &str, password: &str, agent: &str) -> String {
        let res = client()
            .post(self.url("/api/login"))
            .header(reqwest::header::USER_AGENT, agent)
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

/// A client that stores cookies and, like a browser on the server's own pages, sends the
/// server's `Origin` on every request; it does not follow redirects.
pub fn browser(srv: &TestServer) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::ORIGIN,
        srv.state.config.public_origin.parse().unwrap(),
    );
    reqwest::Client::builder()
        .redirect(Policy::none())
        .cookie_store(true)
        .default_headers(headers)
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
    /// MySQL/MariaDB: the server's URL and the database made for this test.
    mysql: Option<(String, String)>,
    _dir: Option<TempDir>,
}

impl TestDb {
    pub async fn cleanup(self) {
        let TestDb {
            store,
            pg,
            mysql,
            raw,
            ..
        } = self;
        store.close().await.unwrap();
        raw.close().await.unwrap();
        if let Some((url, schema)) = pg {
            let db = Database::connect(url).await.unwrap();
            db.execute_unprepared(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
                .await
                .unwrap();
        }
        if let Some((url, name)) = mysql {
            let db = Database::connect(url).await.unwrap();
            db.execute_unprepared(&format!("DROP DATABASE `{name}`"))
                .await
                .unwrap();
        }
    }
}

pub async fn databases() -> Vec<TestDb> {
    databases_migrated(None).await
}

/// Like [`databases`], with only the first `steps` migrations applied when `steps` is given
/// (through `raw`), for testing a later migration on data written before it.
pub async fn databases_migrated(steps: Option<u32>) -> Vec<TestDb> {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
    let sqlite = Store::connect(&url, None).await.unwrap();
    let raw = Database::connect(url.clone()).await.unwrap();
    migrate(&sqlite, &raw, steps).await;
    let mut dbs = vec![TestDb {
        label: "sqlite",
        store: sqlite,
        raw,
        pg: None,
        mysql: None,
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
        let mut opts = ConnectOptions::new(url.clone());
        opts.set_schema_search_path(schema.clone());
        let raw = Database::connect(opts).await.unwrap();
        migrate(&store, &raw, steps).await;
        if steps.is_none() {
            // Migrating twice must be a no-op.
            store.migrate().await.unwrap();
        }
        dbs.push(TestDb {
            label: "postgres",
            store,
            raw,
            pg: Some((url, schema)),
            mysql: None,
            _dir: None,
        });
    }
    // MySQL/MariaDB (e.g. `mysql://root@127.0.0.1:3306`): a database of its own per test.
    if let Ok(url) = std::env::var("PARLEY_TEST_MYSQL_URL") {
        let url = url.trim_end_matches('/').to_owned();
        let name = format!("parley_t_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(url.clone()).await.unwrap();
        admin
            .execute_unprepared(&format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
            .await
            .unwrap();
        admin.close().await.unwrap();
        let db_url = format!("{url}/{name}");
        let store = Store::connect(&db_url, None).await.unwrap();
        let raw = Database::connect(db_url).await.unwrap();
        migrate(&store, &raw, steps).await;
        if steps.is_none() {
            store.migrate().await.unwrap();
        }
        dbs.push(TestDb {
            label: "mysql",
            store,
            raw,
            pg: None,
            mysql: Some((url, name)),
            _dir: None,
        });
    }
    dbs
}

async fn migrate(store: &Store, raw: &DatabaseConnection, steps: Option<u32>) {
    match steps {
        None => store.migrate().await.unwrap(),
        Some(n) => server::store::migration::Migrator::up(raw, Some(n))
            .await
            .unwrap(),
    }
}

/// A registered, logged-in user for hub tests.
pub struct Person {
    pub id: i64,
    pub token: String,
}

impl Person {
    /// A request as this person (bearer token).
    pub fn req(
        &self,
        srv: &TestServer,
        method: reqwest::Method,
        path: &str,
    ) -> reqwest::RequestBuilder {
        client().request(method, srv.url(path)).header(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {}", self.token),
        )
    }

    /// Calls the API as this person; returns the status and the JSON body (`null` if none).
    pub async fn json(
        &self,
        srv: &TestServer,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let res = api(srv, self, method, path, body).await;
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

/// The start of a browser-recorded voice note: WebM with one Opus track.
pub fn voice_note() -> Vec<u8> {
    let mut v = vec![0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01];
    v.extend_from_slice(b"\x42\x82\x84webm\x42\x87\x81\x04\x42\x85\x81\x02");
    v.extend_from_slice(&[0x18, 0x53, 0x80, 0x67, 0x01, 0xff, 0x16, 0x54, 0xae, 0x6b]);
    v.extend_from_slice(&[0xae, 0x90, 0xd7, 0x81, 0x01, 0x86, 0x86]);
    v.extend_from_slice(b"A_OPUS");
    v.resize(2000, 0);
    v
}

/// Uploads `bytes` as multipart field `file` named `name` with the claimed `content_type`.
pub async fn upload(
    srv: &TestServer,
    who: &Person,
    name: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str(content_type)
        .unwrap();
    who.req(srv, reqwest::Method::POST, "/api/upload")
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap()
}

/// Registers and logs in `name`.
pub async fn person(srv: &TestServer, name: &str) -> Person {
    let user = srv.register(name, "right-password").await;
    Person {
        id: user["id"].as_i64().unwrap(),
        token: srv.login(name, "right-password").await,
    }
}

/// Calls the API as `who` (bearer token) with an optional JSON body.
pub async fn api(
    srv: &TestServer,
    who: &Person,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut r = client().request(method, srv.url(path)).header(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {}", who.token),
    );
    if let Some(b) = body {
        r = r.json(&b);
    }
    r.send().await.unwrap()
}

/// `GET` as `who`, expecting 200, returning the JSON body.
pub async fn get_json(srv: &TestServer, who: &Person, path: &str) -> Value {
    let res = api(srv, who, reqwest::Method::GET, path, None).await;
    assert_eq!(res.status(), 200, "GET {path}");
    res.json().await.unwrap()
}

/// `GET path` with a bare bearer token (no [`Person`] at hand); asserts 200.
pub async fn get_json_as(srv: &TestServer, token: &str, path: &str) -> Value {
    let res = client()
        .get(srv.url(path))
        .header(reqwest::header::AUTHORIZATION, format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "GET {path}");
    res.json().await.unwrap()
}

/// Makes `a` and `b` friends.
pub async fn befriend(srv: &TestServer, a: &Person, b: &Person) {
    let res = api(
        srv,
        a,
        reqwest::Method::POST,
        "/api/friends",
        Some(json!({"user_id": b.id})),
    )
    .await;
    assert_eq!(res.status(), 202, "friend request");
    let res = api(
        srv,
        b,
        reqwest::Method::POST,
        &format!("/api/friends/requests/{}/accept", a.id),
        None,
    )
    .await;
    assert_eq!(res.status(), 200, "accept");
}

/// Creates a group owned by `owner` and returns its id.
pub async fn group(srv: &TestServer, owner: &Person, name: &str) -> i64 {
    let res = api(
        srv,
        owner,
        reqwest::Method::POST,
        "/api/groups",
        Some(json!({"name": name})),
    )
    .await;
    assert_eq!(res.status(), 201, "create group");
    res.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

/// `who` joins group `gid`.
pub async fn join_group(srv: &TestServer, who: &Person, gid: i64) {
    let res = api(
        srv,
        who,
        reqwest::Method::POST,
        &format!("/api/groups/{gid}/join"),
        None,
    )
    .await;
    assert!(res.status().is_success(), "join group: {}", res.status());
}

/// The conversation key of two users.
pub fn pconv(a: &Person, b: &Person) -> String {
    format!("p:{}:{}", a.id.min(b.id), a.id.max(b.id))
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

/// The server's `host:port`, for raw TCP clients.
pub fn addr(srv: &TestServer) -> &str {
    srv.base.strip_prefix("http://").unwrap()
}

/// Reads from a raw connection until the server closes it or `limit` passes; returns what
/// arrived and whether the server closed the connection in time.
pub async fn read_until_closed(
    tcp: &mut tokio::net::TcpStream,
    limit: std::time::Duration,
) -> (String, bool) {
    use tokio::io::AsyncReadExt;
    let end = tokio::time::Instant::now() + limit;
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let closed = loop {
        match tokio::time::timeout_at(end, tcp.read(&mut buf)).await {
            Err(_) => break false,
            Ok(Ok(0) | Err(_)) => break true,
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    };
    (String::from_utf8_lossy(&out).into_owned(), closed)
}

/// Sends the head of a multipart upload of a `len`-byte PDF and `sent` bytes of it, leaving
/// the rest of the declared body unsent.
pub async fn partial_upload(
    srv: &TestServer,
    token: &str,
    len: usize,
    sent: usize,
) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let boundary = "parley-test-boundary";
    let part = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n"
    );
    let tail = format!("\r\n--{boundary}--\r\n");
    let total = part.len() + len + tail.len();
    let mut file = b"%PDF-1.4\n".to_vec();
    file.resize(len, b'x');
    let mut req = format!(
        "POST /api/upload HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {total}\r\n\r\n{part}",
        addr(srv)
    )
    .into_bytes();
    req.extend_from_slice(&file[..sent]);
    if sent == len {
        req.extend_from_slice(tail.as_bytes());
    }
    let mut tcp = tokio::net::TcpStream::connect(addr(srv)).await.unwrap();
    tcp.write_all(&req).await.unwrap();
    tcp
}

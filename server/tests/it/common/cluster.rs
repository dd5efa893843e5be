//! A real cluster for tests: a private `redis-server` on a free port (so a test may stop and
//! restart it), a PostgreSQL database of its own, and `parley` processes sharing both.
//!
//! PostgreSQL comes from `PARLEY_TEST_DATABASE_URL` (the README's `make test` starts it and
//! sets it, as CI does); `redis-server` must be on PATH.

use sea_orm::{ConnectionTrait, Database};
use serde_json::Value;
use server::store::users::NewUser;
use server::store::Store;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_parley");

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

async fn wait_until(what: &str, within: Duration, mut ok: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !ok().await {
        assert!(Instant::now() < deadline, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A private Redis; stopped when dropped.
pub struct Redis {
    pub port: u16,
    child: Option<Child>,
}

impl Redis {
    /// Starts one on a free port, keeping nothing on disk.
    pub async fn start() -> Redis {
        let mut r = Redis {
            port: free_port(),
            child: None,
        };
        r.resume().await;
        r
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Starts it again on the same port (empty, as a restarted Redis without persistence).
    pub async fn resume(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed for the cluster tests");
        self.child = Some(child);
        let port = self.port;
        wait_until("redis up", Duration::from_secs(10), async || {
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
        })
        .await;
    }

    /// Kills it (every connection to it breaks).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A PostgreSQL database of the test's own, dropped with [`Pg::cleanup`].
pub struct Pg {
    admin_url: String,
    pub name: String,
    pub url: String,
}

impl Pg {
    /// Creates an empty database next to `PARLEY_TEST_DATABASE_URL`'s.
    pub async fn create() -> Pg {
        let admin_url = std::env::var("PARLEY_TEST_DATABASE_URL").expect(
            "the cluster tests need PostgreSQL: set PARLEY_TEST_DATABASE_URL (make test does)",
        );
        let name = format!("parley_t_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(admin_url.clone()).await.unwrap();
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .unwrap();
        admin.close().await.unwrap();
        let mut url = url::Url::parse(&admin_url).unwrap();
        url.set_path(&name);
        Pg {
            admin_url,
            name,
            url: url.to_string(),
        }
    }

    /// Drops the database (its nodes must be stopped first).
    pub async fn cleanup(self) {
        let admin = Database::connect(self.admin_url.clone()).await.unwrap();
        admin
            .execute_unprepared(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ))
            .await
            .unwrap();
        admin.close().await.unwrap();
    }
}

/// One `parley` process; SIGTERMed when dropped.
pub struct Node {
    pub base: String,
    child: Option<Child>,
    _dir: TempDir,
}

/// Settings every node of a test shares.
#[derive(Clone)]
pub struct NodeEnv {
    pub database_url: String,
    pub redis_url: String,
    pub extra: Vec<(String, String)>,
}

impl Node {
    /// Starts a node and waits for `/healthz` to report Redis connected.
    pub async fn start(env: &NodeEnv) -> Node {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let port = free_port();
        let mut cmd = Command::new(BIN);
        cmd.env_clear()
            .env("PARLEY_ADDR", format!("127.0.0.1:{port}"))
            .env("PARLEY_DATA_DIR", &data)
            .env("DATABASE_URL", &env.database_url)
            .env("REDIS_URL", &env.redis_url)
            .env("PARLEY_METRICS_TOKEN", "cluster-test-metrics")
            .env("RUST_LOG", "warn")
            // Tests sign many people up from 127.0.0.1.
            .env("PARLEY_REGISTER_PER_ADDR_PER_HOUR", "1000000")
            .env("PARLEY_REGISTER_PER_HOUR", "1000000")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for (k, v) in &env.extra {
            cmd.env(k, v);
        }
        let child = cmd.spawn().unwrap();
        let node = Node {
            base: format!("http://127.0.0.1:{port}"),
            child: Some(child),
            _dir: dir,
        };
        node.wait_redis("ok").await;
        node
    }

    /// `/healthz` as JSON (status code ignored).
    pub async fn health(&self) -> Option<Value> {
        let res = reqwest::get(format!("{}/healthz", self.base)).await.ok()?;
        res.json().await.ok()
    }

    /// Waits until `/healthz` reports Redis as `state`.
    pub async fn wait_redis(&self, state: &str) {
        wait_until(
            &format!("{} redis {state}", self.base),
            Duration::from_secs(30),
            async || {
                self.health()
                    .await
                    .is_some_and(|h| h["redis"].as_str() == Some(state))
            },
        )
        .await;
    }

    /// One counter of `/metrics`.
    pub async fn metric(&self, name: &str) -> u64 {
        let text = reqwest::Client::new()
            .get(format!("{}/metrics", self.base))
            .bearer_auth("cluster-test-metrics")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} not in /metrics"))
    }

    /// SIGKILL: no goodbye, no drain.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &c.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(15);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = c.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A user made straight in the database with a session (no argon2: hundreds of members
/// log in within a second), usable on every node.
pub struct Member {
    pub id: i64,
    pub token: String,
}

/// Makes `n` users named `{prefix}{i}`, each with a live session.
pub async fn members(store: &Store, prefix: &str, n: usize) -> Vec<Member> {
    let now = server::clock::now_ms();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let user = store
            .create_user(NewUser {
                username: format!("{prefix}{i}"),
                nickname: format!("{prefix} {i}"),
                password_hash: "unused: the test makes sessions directly".to_owned(),
                now_ms: now,
            })
            .await
            .unwrap();
        let token = format!("{:032x}", rand::random::<u128>());
        store
            .create_session(server::store::sessions::NewSessionRow {
                user: user.id,
                token_hash: server::rules::accounts::token_hash(&token),
                now_ms: now,
                expires_at_ms: now + 3_600_000,
                device: String::new(),
                addr: String::new(),
            })
            .await
            .unwrap();
        out.push(Member {
            id: user.id.0,
            token,
        });
    }
    out
}

impl Member {
    /// A JSON request as this member against `base`.
    pub async fn call(
        &self,
        base: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut r = reqwest::Client::new()
            .request(method, format!("{base}{path}"))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        r.send().await.unwrap()
    }
}

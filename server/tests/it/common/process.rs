//! The real `parley` binary as its own process, for tests that kill it, restart it or read
//! its memory: a free port, and a start that waits until `/healthz` answers.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The server binary Cargo built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_parley");

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Starts the binary on `port` with `data` as its data directory (embedded SQLite) and
/// waits until it is healthy (30 s at most).
pub async fn start(data: &Path, port: u16) -> Child {
    let child = Command::new(BIN)
        .env_clear()
        .env("PARLEY_ADDR", format!("127.0.0.1:{port}"))
        .env("PARLEY_DATA_DIR", data)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let url = format!("http://127.0.0.1:{port}/healthz");
    while !reqwest::get(&url)
        .await
        .map(|r| r.status().is_success())
        .unwrap_or(false)
    {
        assert!(Instant::now() < deadline, "server did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child
}

//! The `parley` binary itself: bad settings fail clearly, SIGTERM stops it gracefully.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_parley");

fn run_bad(env: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .env_clear()
        .env("PARLEY_DATA_DIR", dir.path())
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(!out.status.success(), "{env:?} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn bad_settings_name_the_setting() {
    assert!(run_bad(&[("PARLEY_ADDR", "not-an-address")]).contains("PARLEY_ADDR"));
    assert!(run_bad(&[("DATABASE_URL", "oracle://db")]).contains("DATABASE_URL"));
    assert!(run_bad(&[("PARLEY_PUBLIC_ORIGIN", "ftp://x")]).contains("PARLEY_PUBLIC_ORIGIN"));
    assert!(run_bad(&[("PARLEY_SESSION_TTL_SECS", "-5")]).contains("PARLEY_SESSION_TTL_SECS"));
    let err = run_bad(&[(
        "DATABASE_URL",
        "postgres://nobody:pw@127.0.0.1:5432/parley_no_such_db",
    )]);
    assert!(err.contains("database"), "{err}");
    assert!(!err.contains(":pw@"), "password must be redacted: {err}");
}

#[test]
fn starts_serves_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut child = Command::new(BIN)
        .env_clear()
        .env("PARLEY_ADDR", format!("127.0.0.1:{port}"))
        .env("PARLEY_DATA_DIR", dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ok = std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
        if ok {
            break;
        }
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        dir.path().join("parley.db").exists(),
        "SQLite default in the data dir"
    );
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "graceful exit, got {status}");
            break;
        }
        assert!(Instant::now() < deadline, "did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

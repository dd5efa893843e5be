//! A real S3-compatible server for the storage tests: moto's `moto_server` (PyPI
//! `moto[server]`, installed by `make setup`), started on a free port and stopped on drop.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running moto server with one bucket.
pub struct Moto {
    pub endpoint: String,
    pub bucket: String,
    child: Child,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `moto_server` (or `python3 -m moto.server`) on a free port. Fails the test, with
/// how to install it, when neither is available: S3 storage is a supported back end, so its
/// tests must not be skipped silently.
fn start(port: u16) -> Child {
    let args = ["-H", "127.0.0.1", "-p", &port.to_string()].map(str::to_owned);
    let quiet = |c: &mut Command| {
        c.stdout(Stdio::null()).stderr(Stdio::null());
    };
    // On PATH (`make test` puts `make setup`'s venv there), then that venv itself (a plain
    // `cargo test`), then a moto installed for the system's Python.
    let venv =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.tools/moto/bin/moto_server");
    for program in [std::path::PathBuf::from("moto_server"), venv] {
        let mut direct = Command::new(program);
        direct.args(&args);
        quiet(&mut direct);
        if let Ok(child) = direct.spawn() {
            return child;
        }
    }
    let mut module = Command::new("python3");
    module.args(["-m", "moto.server"]).args(&args);
    quiet(&mut module);
    module.spawn().unwrap_or_else(|e| {
        panic!(
            "the S3 tests need moto's server: run `make setup` (it runs \
             `python3 -m pip install 'moto[server]'`); starting it failed: {e}"
        )
    })
}

/// A moto server with an empty bucket, ready for requests.
pub async fn moto() -> Moto {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = start(port);
    let endpoint = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "moto_server exited at once ({status}): is `moto[server]` fully installed? \
                 Run `make setup`."
            );
        }
        if http.get(&endpoint).send().await.is_ok() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "moto_server did not answer on {endpoint} within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let bucket = "parley-test".to_owned();
    let res = http
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "create bucket: {}", res.status());
    Moto {
        endpoint,
        bucket,
        child,
    }
}

impl Moto {
    /// The server flags that store uploads in this bucket.
    pub fn flags(&self) -> Vec<String> {
        [
            "--storage",
            "s3",
            "--s3-bucket",
            &self.bucket,
            "--s3-endpoint",
            &self.endpoint,
            "--s3-access-key-id",
            "test",
            "--s3-secret-access-key",
            "test",
            "--s3-path-style",
        ]
        .map(str::to_owned)
        .to_vec()
    }

    /// The keys in the bucket (moto's ListObjectsV2, read crudely from its XML).
    pub async fn keys(&self) -> Vec<String> {
        let xml = reqwest::get(format!("{}/{}?list-type=2", self.endpoint, self.bucket))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        xml.split("<Key>")
            .skip(1)
            .filter_map(|s| s.split("</Key>").next())
            .map(str::to_owned)
            .collect()
    }
}

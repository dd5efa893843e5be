//! Caching and compression of what the browser downloads: hashed bundle files are immutable
//! for a year, pages and unhashed files are revalidated every time, and big text-like assets
//! are compressed. The site root is a temporary directory with a fake build in it, so no
//! release build is needed.

use crate::common;

use common::client;
use reqwest::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, IF_MODIFIED_SINCE,
    LAST_MODIFIED,
};
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const HASHED_WASM: &str = "parley.AbCdEfGhIjKlMnOpQrStU_.wasm";
const HASHED_JS: &str = "parley.a-cdefghijklmnopqrstuv.js";

/// A fake build: a large, compressible "WASM" file and a JS file with hashed names, and an
/// unhashed stylesheet.
fn fake_site(root: &Path) -> usize {
    let pkg = root.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    let mut wasm = b"\0asm\x01\0\0\0".to_vec();
    for i in 0..20_000u32 {
        wasm.extend_from_slice(format!("fn_{}:", i % 500).as_bytes());
    }
    std::fs::write(pkg.join(HASHED_WASM), &wasm).unwrap();
    std::fs::write(
        pkg.join(HASHED_JS),
        "export default function init() {}\n".repeat(200),
    )
    .unwrap();
    std::fs::write(pkg.join("parley.css"), "body { margin: 0 }\n").unwrap();
    wasm.len()
}

fn header(res: &reqwest::Response, name: reqwest::header::HeaderName) -> &str {
    res.headers()
        .get(&name)
        .map_or("", |v| v.to_str().unwrap_or(""))
}

#[tokio::test]
async fn hashed_files_are_immutable_pages_are_revalidated_and_big_assets_compressed() {
    let site = tempfile::tempdir().unwrap();
    let wasm_len = fake_site(site.path());
    let srv = common::spawn_with(&["--site-root", site.path().to_str().unwrap()]).await;
    let c = client();

    // Hashed bundle files: kept for a year, never revalidated.
    for name in [HASHED_WASM, HASHED_JS] {
        let res = c
            .get(srv.url(&format!("/pkg/{name}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{name}");
        assert_eq!(header(&res, CACHE_CONTROL), IMMUTABLE, "{name}");
    }
    let res = c
        .get(srv.url(&format!("/pkg/{HASHED_WASM}")))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&res, CONTENT_TYPE), "application/wasm");
    assert_eq!(
        header(&res, CONTENT_ENCODING),
        "",
        "no Accept-Encoding, no compression"
    );
    assert_eq!(res.bytes().await.unwrap().len(), wasm_len);

    // Compressed for a client that accepts brotli (or gzip), and still immutable.
    for (accept, encoding) in [("br", "br"), ("gzip", "gzip"), ("gzip, deflate, br", "br")] {
        let res = c
            .get(srv.url(&format!("/pkg/{HASHED_WASM}")))
            .header(ACCEPT_ENCODING, accept)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(header(&res, CONTENT_ENCODING), encoding, "{accept}");
        assert_eq!(header(&res, CACHE_CONTROL), IMMUTABLE);
        let body = res.bytes().await.unwrap();
        assert!(
            body.len() * 4 < wasm_len,
            "{accept}: {} of {wasm_len} bytes",
            body.len()
        );
    }

    // An unhashed file changes under its name: revalidated, and a revalidation is cheap.
    let res = c.get(srv.url("/pkg/parley.css")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, CACHE_CONTROL), "no-cache");
    let modified = header(&res, LAST_MODIFIED).to_owned();
    assert!(!modified.is_empty());
    let res = c
        .get(srv.url("/pkg/parley.css"))
        .header(IF_MODIFIED_SINCE, modified)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);

    // A file that is not there is a plain 404 that nobody may keep.
    let res = c
        .get(srv.url("/pkg/parley.zzzzzzzzzzzzzzzzzzzzzz.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_ne!(header(&res, CACHE_CONTROL), IMMUTABLE);

    // Pages name the bundle of the build that rendered them: always revalidated.
    let res = c.get(srv.url("/login")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(header(&res, CONTENT_TYPE).starts_with("text/html"));
    assert_eq!(header(&res, CACHE_CONTROL), "no-cache");
    let res = c
        .get(srv.url("/login"))
        .header(ACCEPT_ENCODING, "br")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&res, CONTENT_ENCODING), "br");
    assert_eq!(header(&res, CACHE_CONTROL), "no-cache");
    // JSON answers are left alone.
    let res = c.get(srv.url("/healthz")).send().await.unwrap();
    assert_eq!(header(&res, CACHE_CONTROL), "");
}

#[test]
fn a_hashed_build_without_its_hash_file_does_not_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_parley"))
        .env_clear()
        .env("PARLEY_DATA_DIR", dir.path())
        .env("PARLEY_ADDR", "127.0.0.1:0")
        .env("LEPTOS_HASH_FILES", "true")
        // Not `hash.txt`: a cargo-leptos debug build may have left one beside this binary.
        .env("LEPTOS_HASH_FILE_NAME", "no-such-hash-file.txt")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A server that did start would serve forever: give it a deadline.
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the server started without its hash file");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(!status.success());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(err.contains("no-such-hash-file.txt"), "{err}");
}

//! Uploads and downloads over HTTP against the real server: content sniffing, the exact size
//! cap, random keys, who may fetch a file, byte ranges and caching, thumbnails with EXIF
//! orientation, decompression bombs, the upload rate limit (stored files only), stalled
//! uploads and the caps on uploads in progress, and the same core behaviour on
//! S3-compatible storage (a real moto server).

use crate::common::{self, api, expect_error, s3, upload, voice_note, Person, TestServer};
use reqwest::header::{
    ACCEPT_RANGES, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_RANGE, CONTENT_SECURITY_POLICY,
    CONTENT_TYPE, ETAG, IF_NONE_MATCH, RANGE, RETRY_AFTER, X_CONTENT_TYPE_OPTIONS,
};
use reqwest::Method;
use serde_json::{json, Value};
use std::io::Cursor;
use std::time::{Duration, Instant};

/// A PDF of exactly `len` bytes (a PDF header, then a deterministic pattern).
fn pdf(len: usize) -> Vec<u8> {
    let mut v = b"%PDF-1.4\n".to_vec();
    v.extend(
        (0..)
            .map(|i: u32| (i % 251) as u8)
            .take(len.saturating_sub(v.len())),
    );
    v.truncate(len);
    v
}

/// A real PNG of the given size.
fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::DynamicImage::new_rgb8(width, height);
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// The files under the media directory, names only (staging files included).
fn media_files(srv: &TestServer) -> Vec<String> {
    fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p.file_name().unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(&srv.data_dir().join("media"), &mut out);
    out
}

async fn uploaded(res: reqwest::Response) -> Value {
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 201, "upload: {body}");
    body
}

async fn get(srv: &TestServer, who: Option<&Person>, path: &str) -> reqwest::Response {
    match who {
        Some(p) => p.req(srv, Method::GET, path).send().await.unwrap(),
        None => common::client().get(srv.url(path)).send().await.unwrap(),
    }
}

fn key_of(url: &str) -> &str {
    url.strip_prefix("/media/").unwrap()
}

#[tokio::test]
async fn a_script_named_png_is_refused_and_nothing_is_stored() {
    let srv = common::spawn().await;
    let alice = common::person(&srv, "alice").await;
    for (name, body) in [
        ("x.png", &b"#!/bin/sh\necho pwned\n"[..]),
        ("x.png", b"<html><script>alert(1)</script></html>"),
        (
            "x.svg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script/></svg>",
        ),
        ("empty.png", b""),
    ] {
        let res = upload(&srv, &alice, name, "image/png", body.to_vec()).await;
        expect_error(res, 415, "unsupported_media").await;
    }
    assert!(media_files(&srv).is_empty(), "{:?}", media_files(&srv));
    assert_eq!(srv.count("SELECT COUNT(*) FROM media").await, 0);
    // Signed out: 401 before anything is read.
    let part = reqwest::multipart::Part::bytes(pdf(100)).file_name("a.pdf");
    let res = common::client()
        .post(srv.url("/api/upload"))
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    expect_error(res, 401, "unauthorized").await;
    // Not multipart, or no `file` field.
    let res = api(&srv, &alice, Method::POST, "/api/upload", Some(json!({}))).await;
    expect_error(res, 400, "invalid_body").await;
    let res = alice
        .req(&srv, Method::POST, "/api/upload")
        .multipart(reqwest::multipart::Form::new().text("other", "x"))
        .send()
        .await
        .unwrap();
    expect_error(res, 400, "invalid_body").await;
}

#[tokio::test]
async fn the_size_cap_is_exact_and_a_refusal_leaves_nothing() {
    // A cap above the sniffing window, so the refused file was already streaming to storage.
    let cap = 100_000usize;
    let srv = common::spawn_with(&["--max-upload-bytes", &cap.to_string()]).await;
    let alice = common::person(&srv, "alice").await;
    let res = upload(&srv, &alice, "big.pdf", "application/pdf", pdf(cap + 1)).await;
    let body = expect_error(res, 413, "file_too_large").await;
    assert!(body["msg"].as_str().unwrap().contains("bytes"), "{body}");
    assert!(media_files(&srv).is_empty(), "{:?}", media_files(&srv));
    assert_eq!(srv.count("SELECT COUNT(*) FROM media").await, 0);
    // Over the cap within the first bytes too.
    let small = common::spawn_with(&["--max-upload-bytes", "1000"]).await;
    let bob = common::person(&small, "bob").await;
    let res = upload(&small, &bob, "b.pdf", "application/pdf", pdf(1001)).await;
    expect_error(res, 413, "file_too_large").await;
    assert!(media_files(&small).is_empty());
    let ok = uploaded(upload(&small, &bob, "b.pdf", "application/pdf", pdf(1000)).await).await;
    assert_eq!(ok["size"], 1000);

    let ok = uploaded(upload(&srv, &alice, "big.pdf", "application/pdf", pdf(cap)).await).await;
    assert_eq!(ok["size"], cap);
    assert_eq!(ok["mime"], "application/pdf");
    assert_eq!(
        media_files(&srv),
        vec![key_of(ok["url"].as_str().unwrap()).to_owned()]
    );
    assert_eq!(srv.count("SELECT COUNT(*) FROM media").await, 1);
}

#[tokio::test]
async fn client_file_names_never_reach_a_path() {
    let srv = common::spawn().await;
    let alice = common::person(&srv, "alice").await;
    let body =
        uploaded(upload(&srv, &alice, "../../evil.png", "text/plain", png(8, 8)).await).await;
    let key = key_of(body["url"].as_str().unwrap()).to_owned();
    assert_eq!(key.len(), 32 + ".png".len(), "{key}");
    assert!(key[..32].bytes().all(|b| b.is_ascii_hexdigit()), "{key}");
    assert_eq!(body["mime"], "image/png");
    let files = media_files(&srv);
    assert!(files.iter().all(|f| !f.contains("evil")), "{files:?}");
    assert!(!srv.data_dir().join("evil.png").exists());
    assert!(!srv.data_dir().parent().unwrap().join("evil.png").exists());
    // A key that could be a path is not one (`%2f` reaches the handler decoded as `/`).
    for bad in [
        "/media/..%2f..%2fparley.db",
        "/media/x%2f..%2f..%2fparley.db",
    ] {
        let res = get(&srv, Some(&alice), bad).await;
        assert_eq!(res.status(), 404, "{bad}");
    }
}

#[tokio::test]
async fn only_the_uploader_and_the_conversation_see_a_file() {
    let srv = common::spawn().await;
    let alice = common::person(&srv, "alice").await;
    let bob = common::person(&srv, "bob").await;
    let carol = common::person(&srv, "carol").await;
    let img = uploaded(upload(&srv, &alice, "p.png", "image/png", png(640, 480)).await).await;
    let url = img["url"].as_str().unwrap().to_owned();
    let pic = img["pic"].as_str().unwrap().to_owned();
    assert_eq!(
        (img["width"].clone(), img["height"].clone()),
        (json!(640), json!(480))
    );

    assert_eq!(get(&srv, None, &url).await.status(), 401);
    expect_error(get(&srv, Some(&bob), &url).await, 403, "forbidden").await;
    expect_error(get(&srv, Some(&bob), &pic).await, 403, "forbidden").await;
    assert_eq!(get(&srv, Some(&alice), &url).await.status(), 200);
    assert_eq!(get(&srv, Some(&alice), &pic).await.status(), 200);
    let missing = format!("/media/{}.png", "0".repeat(32));
    expect_error(get(&srv, Some(&alice), &missing).await, 404, "not_found").await;

    // Alice sends it to Bob: now Bob may fetch both, Carol still may not.
    let conv = common::pconv(&alice, &bob);
    let (status, frame) = alice
        .json(
            &srv,
            Method::POST,
            &format!("/api/conversations/{conv}/messages"),
            Some(json!({"cid": "img1", "media": 4, "url": url, "pic": pic,
                "width": img["width"], "height": img["height"]})),
        )
        .await;
    assert_eq!(status, 201, "{frame}");
    assert_eq!(
        (frame["width"].clone(), frame["height"].clone()),
        (json!(640), json!(480))
    );
    assert_eq!(get(&srv, Some(&bob), &url).await.status(), 200);
    assert_eq!(get(&srv, Some(&bob), &pic).await.status(), 200);
    expect_error(get(&srv, Some(&carol), &url).await, 403, "forbidden").await;

    // Bob cannot make Alice's file visible to Carol by naming it, nor point at nothing.
    let bc = common::pconv(&bob, &carol);
    let send = |cid: &str, url: &str| json!({"cid": cid, "media": 7, "url": url});
    for (cid, target) in [
        ("steal", url.as_str()),
        ("none", missing.as_str()),
        ("nest", "/media/a/b"),
    ] {
        let res = api(
            &srv,
            &bob,
            Method::POST,
            &format!("/api/conversations/{bc}/messages"),
            Some(send(cid, target)),
        )
        .await;
        expect_error(res, 400, "media_not_found").await;
    }
    expect_error(get(&srv, Some(&carol), &url).await, 403, "forbidden").await;
    // The same rule on the socket.
    let mut ws = common::ws::Ws::connect(&srv.base, &bob.token).await;
    ws.send(&app::protocol::frame::Frame {
        cmd: 10,
        dstid: carol.id,
        media: 4,
        cid: "steal2".into(),
        url: url.clone(),
        ..Default::default()
    })
    .await;
    let err = ws.recv().await;
    assert_eq!(
        (err.cmd, err.code.as_str()),
        (2, "media_not_found"),
        "{err:?}"
    );

    // In a group: every current member may fetch what was sent there.
    let gid = common::group(&srv, &alice, "club").await;
    common::join_group(&srv, &carol, gid).await;
    let doc = uploaded(upload(&srv, &alice, "d.pdf", "application/pdf", pdf(500)).await).await;
    let doc_url = doc["url"].as_str().unwrap();
    expect_error(get(&srv, Some(&carol), doc_url).await, 403, "forbidden").await;
    let (status, _) = alice
        .json(
            &srv,
            Method::POST,
            &format!("/api/conversations/g:{gid}/messages"),
            Some(json!({"cid": "doc", "media": 7, "url": doc_url})),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(get(&srv, Some(&carol), doc_url).await.status(), 200);
    expect_error(get(&srv, Some(&bob), doc_url).await, 403, "forbidden").await;
}

/// Upload, download, byte ranges, caching and headers: the same on every back end.
async fn ranges_etags_and_headers(srv: &TestServer) {
    let alice = common::person(srv, "alice").await;
    let bytes = pdf(1000);
    // The client's claim (image/png) is ignored: the content is a PDF.
    let up = uploaded(upload(srv, &alice, "r.png", "image/png", bytes.clone()).await).await;
    assert_eq!(up["mime"], "application/pdf");
    let url = up["url"].as_str().unwrap().to_owned();
    let sha = up["sha256"].as_str().unwrap().to_owned();
    assert_eq!(sha.len(), 64);

    let res = get(srv, Some(&alice), &url).await;
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    assert_eq!(h[CONTENT_TYPE], "application/pdf");
    assert_eq!(h[X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(h[CONTENT_SECURITY_POLICY], "default-src 'none'; sandbox");
    assert_eq!(h[CONTENT_DISPOSITION], "attachment");
    assert_eq!(h[ACCEPT_RANGES], "bytes");
    assert_eq!(h[CACHE_CONTROL], "private, max-age=31536000, immutable");
    let etag = h[ETAG].to_str().unwrap().to_owned();
    assert_eq!(etag, format!("\"{sha}\""));
    assert_eq!(res.bytes().await.unwrap().as_ref(), &bytes[..]);
    // Never compressed, whatever the client accepts: ranges address the stored bytes.
    let res = alice
        .req(srv, Method::GET, &url)
        .header(reqwest::header::ACCEPT_ENCODING, "gzip, br")
        .send()
        .await
        .unwrap();
    assert!(res
        .headers()
        .get(reqwest::header::CONTENT_ENCODING)
        .is_none());
    assert_eq!(res.bytes().await.unwrap().as_ref(), &bytes[..]);

    let ranged = |range: &'static str| {
        alice
            .req(srv, Method::GET, &url)
            .header(RANGE, range)
            .send()
    };
    let res = ranged("bytes=0-9").await.unwrap();
    assert_eq!(res.status(), 206);
    assert_eq!(res.headers()[CONTENT_RANGE], "bytes 0-9/1000");
    assert_eq!(res.bytes().await.unwrap().as_ref(), &bytes[..10]);
    let res = ranged("bytes=990-").await.unwrap();
    assert_eq!(res.status(), 206);
    assert_eq!(res.headers()[CONTENT_RANGE], "bytes 990-999/1000");
    assert_eq!(res.bytes().await.unwrap().as_ref(), &bytes[990..]);
    let res = ranged("bytes=-10").await.unwrap();
    assert_eq!(res.status(), 206);
    assert_eq!(res.bytes().await.unwrap().as_ref(), &bytes[990..]);
    let res = ranged("bytes=500-100000").await.unwrap();
    assert_eq!(res.headers()[CONTENT_RANGE], "bytes 500-999/1000");
    assert_eq!(res.bytes().await.unwrap().len(), 500);
    let res = ranged("bytes=1000-").await.unwrap();
    assert_eq!(res.status(), 416);
    assert_eq!(res.headers()[CONTENT_RANGE], "bytes */1000");

    let res = alice
        .req(srv, Method::GET, &url)
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
    assert_eq!(res.headers()[ETAG], etag.as_str());
    assert!(res.bytes().await.unwrap().is_empty());

    // A voice note recorded by a browser is audio/webm, shown inline.
    let voice = uploaded(upload(srv, &alice, "v.mp3", "audio/mpeg", voice_note()).await).await;
    assert_eq!(voice["mime"], "audio/webm");
    let res = get(srv, Some(&alice), voice["url"].as_str().unwrap()).await;
    assert_eq!(res.headers()[CONTENT_TYPE], "audio/webm");
    assert_eq!(res.headers()[CONTENT_DISPOSITION], "inline");
    assert_eq!(res.bytes().await.unwrap().as_ref(), &voice_note()[..]);
}

#[tokio::test]
async fn ranges_etags_and_headers_on_local_storage() {
    let srv = common::spawn().await;
    ranges_etags_and_headers(&srv).await;
}

#[tokio::test]
async fn ranges_etags_and_headers_on_s3() {
    let moto = s3::moto().await;
    let flags = moto.flags();
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let srv = common::spawn_with(&flags).await;
    ranges_etags_and_headers(&srv).await;
    assert!(!srv.data_dir().join("media").exists() || media_files(&srv).is_empty());
    assert_eq!(moto.keys().await.len(), 2, "the PDF and the voice note");
}

#[tokio::test]
async fn s3_refusals_leave_no_object() {
    let moto = s3::moto().await;
    let mut flags = moto.flags();
    flags.extend(["--max-upload-bytes".to_owned(), "100000".to_owned()]);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let srv = common::spawn_with(&flags).await;
    let alice = common::person(&srv, "alice").await;
    let res = upload(&srv, &alice, "big.pdf", "application/pdf", pdf(100_001)).await;
    expect_error(res, 413, "file_too_large").await;
    let res = upload(&srv, &alice, "x.png", "image/png", b"#!/bin/sh\n".to_vec()).await;
    expect_error(res, 415, "unsupported_media").await;
    assert!(moto.keys().await.is_empty(), "{:?}", moto.keys().await);
    // No multipart upload left half-done either.
    let uploads = reqwest::get(format!("{}/{}?uploads", moto.endpoint, moto.bucket))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!uploads.contains("<UploadId>"), "{uploads}");
    assert_eq!(srv.count("SELECT COUNT(*) FROM media").await, 0);
    let img = uploaded(upload(&srv, &alice, "p.png", "image/png", png(400, 200)).await).await;
    let pic = img["pic"].as_str().unwrap();
    let thumb = get(&srv, Some(&alice), pic).await.bytes().await.unwrap();
    let thumb = image::load_from_memory(&thumb).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (320, 160));
}

/// A JPEG of `width` x `height` carrying an EXIF APP1 segment with `orientation`.
fn jpeg_with_orientation(width: u32, height: u32, orientation: u16) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, _| {
        image::Rgb([if x < width / 2 { 255 } else { 0 }, 0, 0])
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new(&mut jpeg)
        .encode_image(&img)
        .unwrap();
    // TIFF header (big-endian), one IFD entry: 0x0112 Orientation, SHORT, 1, value.
    let mut tiff = b"MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01".to_vec();
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    let mut app1 = b"Exif\x00\x00".to_vec();
    app1.extend_from_slice(&tiff);
    let len = u16::try_from(app1.len() + 2).unwrap();
    let mut out = jpeg[..2].to_vec(); // SOI
    out.extend_from_slice(&[0xff, 0xe1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

#[tokio::test]
async fn thumbnails_follow_the_exif_orientation() {
    let srv = common::spawn().await;
    let alice = common::person(&srv, "alice").await;
    // Stored 640x320 with "rotate 90° clockwise to view": it is a 320x640 portrait.
    let photo = jpeg_with_orientation(640, 320, 6);
    let up = uploaded(upload(&srv, &alice, "IMG_0001.JPG", "image/jpeg", photo).await).await;
    assert_eq!(up["mime"], "image/jpeg");
    assert_eq!(
        (up["width"].clone(), up["height"].clone()),
        (json!(320), json!(640))
    );
    let key = key_of(up["url"].as_str().unwrap()).to_owned();
    let stored = srv
        .count(&format!(
            "SELECT width * 100000 + height FROM media WHERE key = '{key}'"
        ))
        .await;
    assert_eq!(stored, 320 * 100_000 + 640);
    let pic = up["pic"].as_str().unwrap();
    let res = get(&srv, Some(&alice), pic).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()[CONTENT_TYPE], "image/jpeg");
    assert_eq!(res.headers()[CONTENT_DISPOSITION], "inline");
    let thumb = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (160, 320));
    // The left half was red before rotating: after a quarter turn clockwise it is on top.
    let top = thumb.to_rgb8().get_pixel(80, 10).0;
    let bottom = thumb.to_rgb8().get_pixel(80, 310).0;
    assert!(
        top[0] > 200 && bottom[0] < 60,
        "top {top:?} bottom {bottom:?}"
    );
    assert_eq!(srv.count("SELECT COUNT(*) FROM media").await, 2);
}

/// CRC-32 (IEEE) of PNG chunks.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
    out
}

#[tokio::test]
async fn a_decompression_bomb_is_refused_from_its_header() {
    let srv = common::spawn().await;
    let alice = common::person(&srv, "alice").await;
    let mut ihdr = 100_000u32.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut bomb = b"\x89PNG\r\n\x1a\n".to_vec();
    bomb.extend(png_chunk(b"IHDR", &ihdr));
    bomb.extend(png_chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    bomb.extend(png_chunk(b"IEND", &[]));
    let started = Instant::now();
    let res = upload(&srv, &alice, "bomb.png", "image/png", bomb).await;
    let body = expect_error(res, 422, "image_too_large").await;
    assert!(
        body["msg"].as_str().unwrap().contains("megapixels"),
        "{body}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(media_files(&srv).is_empty());
    assert_eq!(srv.count("SELECT COUNT(*) FROM media").await, 0);
    // A broken picture is not a picture.
    let mut broken = png(10, 10);
    broken.truncate(60);
    let res = upload(&srv, &alice, "b.png", "image/png", broken).await;
    expect_error(res, 415, "unsupported_media").await;
    assert!(media_files(&srv).is_empty(), "{:?}", media_files(&srv));
}

#[tokio::test]
async fn uploads_are_rate_limited_per_user() {
    let srv = common::spawn_with(&["--uploads-per-minute", "2"]).await;
    let alice = common::person(&srv, "alice").await;
    let bob = common::person(&srv, "bob").await;
    for _ in 0..2 {
        uploaded(upload(&srv, &alice, "a.pdf", "application/pdf", pdf(100)).await).await;
    }
    let res = upload(&srv, &alice, "a.pdf", "application/pdf", pdf(100)).await;
    let wait: u64 = res.headers()[RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    expect_error(res, 429, "too_many_uploads").await;
    uploaded(upload(&srv, &bob, "b.pdf", "application/pdf", pdf(100)).await).await;
}

/// Reads a `/proc/self/status` field in KiB.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// Memory while a 25 MiB file arrives: run with
/// `cargo test -p parley --test it rss_ -- --ignored --nocapture` (best in release). The
/// client streams the body, so the process's peak reflects the server's buffering only.
#[tokio::test]
#[ignore = "a measurement; prints the figures"]
async fn rss_during_a_25_mib_upload() {
    let srv = common::spawn().await;
    measure_25_mib_upload(&srv, "local").await;
}

/// As [`rss_during_a_25_mib_upload`], to S3 (moto): 5 MiB parts, one in flight.
#[tokio::test]
#[ignore = "a measurement; prints the figures"]
async fn rss_during_a_25_mib_upload_to_s3() {
    let moto = s3::moto().await;
    let flags = moto.flags();
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let srv = common::spawn_with(&flags).await;
    measure_25_mib_upload(&srv, "s3").await;
}

async fn measure_25_mib_upload(srv: &TestServer, label: &str) {
    let alice = common::person(srv, "alice").await;
    // Warm up the code paths (and the allocator) with a small upload first.
    uploaded(upload(srv, &alice, "w.pdf", "application/pdf", pdf(300_000)).await).await;
    let size: usize = 25 << 20;
    let chunk = 64 << 10;
    let head = pdf(chunk);
    let stream = futures_util::stream::iter((0..size / chunk).map(move |i| {
        let bytes = if i == 0 {
            head.clone()
        } else {
            vec![b'x'; chunk]
        };
        Ok::<_, std::io::Error>(bytes)
    }));
    let part = reqwest::multipart::Part::stream_with_length(
        reqwest::Body::wrap_stream(stream),
        size as u64,
    )
    .file_name("big.pdf");
    let before = status_kib("VmRSS:");
    let hwm_before = status_kib("VmHWM:");
    let started = Instant::now();
    let res = alice
        .req(srv, Method::POST, "/api/upload")
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    let body = uploaded(res).await;
    let after = status_kib("VmRSS:");
    let hwm = status_kib("VmHWM:");
    assert_eq!(body["size"], size);
    println!(
        "{label}: 25 MiB upload in {:?}: VmRSS before {before} KiB, after {after} KiB; VmHWM before \
         {hwm_before} KiB, after {hwm} KiB (peak growth {} KiB)",
        started.elapsed(),
        hwm.saturating_sub(before.max(hwm_before))
    );
    assert!(
        hwm.saturating_sub(before) < 16 * 1024,
        "grew by {} KiB",
        hwm - before
    );
}

/// Waits until the media directory holds `n` files (staging files of uploads in progress
/// included).
async fn wait_for_files(srv: &TestServer, n: usize) {
    let end = Instant::now() + Duration::from_secs(5);
    while media_files(srv).len() != n {
        assert!(Instant::now() < end, "{:?}", media_files(srv));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_stalled_upload_is_refused_within_the_idle_deadline_and_leaves_nothing() {
    let srv = common::spawn_with(&["--body-idle-secs", "1"]).await;
    let alice = common::person(&srv, "alice").await;
    // Past the sniffing window, so the file is already being written to a staging file.
    let started = Instant::now();
    let mut tcp = common::partial_upload(&srv, &alice.token, 300_000, 100_000).await;
    wait_for_files(&srv, 1).await;
    let (answer, closed) = common::read_until_closed(&mut tcp, Duration::from_secs(6)).await;
    assert!(closed, "still open: {answer}");
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"request_timeout\""), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("\r\nconnection: close\r\n"),
        "{answer}"
    );
    assert!(media_files(&srv).is_empty(), "{:?}", media_files(&srv));
    assert_eq!(srv.count("SELECT COUNT(*) FROM media").await, 0);
    // The stalled upload gave its place back.
    uploaded(upload(&srv, &alice, "a.pdf", "application/pdf", pdf(100)).await).await;
}

#[tokio::test]
async fn uploads_in_progress_are_capped_per_user_and_per_node() {
    let srv = common::spawn_with(&[
        "--max-uploads-per-user",
        "2",
        "--max-uploads",
        "3",
        "--body-idle-secs",
        "2",
    ])
    .await;
    let alice = common::person(&srv, "alice").await;
    let bob = common::person(&srv, "bob").await;
    let carol = common::person(&srv, "carol").await;
    let mut stalled = Vec::new();
    for who in [&alice, &alice] {
        stalled.push(common::partial_upload(&srv, &who.token, 300_000, 100_000).await);
    }
    wait_for_files(&srv, 2).await;
    let res = upload(&srv, &alice, "a.pdf", "application/pdf", pdf(100)).await;
    expect_error(res, 429, "too_many_uploads").await;
    // Bob has his own allowance, up to the node's.
    uploaded(upload(&srv, &bob, "b.pdf", "application/pdf", pdf(100)).await).await;
    stalled.push(common::partial_upload(&srv, &bob.token, 300_000, 100_000).await);
    wait_for_files(&srv, 4).await;
    let res = upload(&srv, &carol, "c.pdf", "application/pdf", pdf(100)).await;
    expect_error(res, 429, "too_many_uploads").await;
    // Once the stalled ones time out, their places are free again.
    for tcp in &mut stalled {
        let (answer, _) = common::read_until_closed(tcp, Duration::from_secs(8)).await;
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    }
    wait_for_files(&srv, 1).await;
    uploaded(upload(&srv, &carol, "c.pdf", "application/pdf", pdf(100)).await).await;
    uploaded(upload(&srv, &alice, "a.pdf", "application/pdf", pdf(100)).await).await;
}

#[tokio::test]
async fn refused_uploads_do_not_use_up_the_upload_rate() {
    let srv =
        common::spawn_with(&["--uploads-per-minute", "2", "--max-upload-bytes", "1000"]).await;
    let alice = common::person(&srv, "alice").await;
    for _ in 0..3 {
        let res = upload(&srv, &alice, "x.png", "image/png", b"#!/bin/sh\n".to_vec()).await;
        expect_error(res, 415, "unsupported_media").await;
        let res = upload(&srv, &alice, "big.pdf", "application/pdf", pdf(1001)).await;
        expect_error(res, 413, "file_too_large").await;
    }
    for _ in 0..2 {
        uploaded(upload(&srv, &alice, "a.pdf", "application/pdf", pdf(100)).await).await;
    }
    let res = upload(&srv, &alice, "a.pdf", "application/pdf", pdf(100)).await;
    expect_error(res, 429, "too_many_uploads").await;
}

#[tokio::test]
async fn a_media_key_that_is_not_utf8_is_a_json_error() {
    let srv = common::spawn().await;
    let alice = common::person(&srv, "alice").await;
    for path in ["/media/%ff", "/media/%C3%28.png"] {
        let res = get(&srv, Some(&alice), path).await;
        expect_error(res, 400, "invalid_body").await;
    }
}

//! Decode bombs within the caps (issue 19, 2.2), against the real binary so that its own peak
//! memory (`VmHWM`) is what is measured, untouched by other tests of this binary: a
//! 372 KiB PNG of 7000x7000 16-bit zeros (392 MB decoded at full depth) and a 1x1 PNG whose
//! iCCP chunk inflates to 440 MB. Both are within the upload and pixel caps, so both are
//! accepted with a thumbnail, and neither may cost the server more than a small decode
//! budget, alone or four at once.

use crate::common::process::{free_port, start};
use reqwest::header::AUTHORIZATION;
use serde_json::{json, Value};
use std::io::Cursor;
use std::time::Duration;

/// A zlib stream that inflates to `n` zero bytes, made without compressing `n` bytes: after
/// the first 64 KiB the window holds only zeros, so one sync-flushed, byte-aligned run of
/// deflate blocks for 1 MiB of zeros is valid again and again; the trailer's Adler-32 of
/// `n` zeros is `(n mod 65521) << 16 | 1`.
fn zeros_zlib(n: u64) -> Vec<u8> {
    use flate2::{Compress, Compression, FlushCompress};
    const LEAD: u64 = 64 << 10;
    const RUN: u64 = 1 << 20;
    assert!(n >= LEAD + RUN);
    let mut deflate = Compress::new(Compression::best(), false);
    let mut pass = |len: u64, flush| {
        let input = vec![0u8; usize::try_from(len).unwrap()];
        let mut out = Vec::new();
        let before = deflate.total_in();
        // Done when all input is taken and the flush left room unused in the output.
        loop {
            out.reserve(64 << 10);
            let room = out.capacity() - out.len();
            let written = out.len();
            let done = usize::try_from(deflate.total_in() - before).unwrap();
            deflate
                .compress_vec(&input[done..], &mut out, flush)
                .unwrap();
            if deflate.total_in() - before == len && out.len() - written < room {
                break;
            }
        }
        out
    };
    let lead = pass(LEAD, FlushCompress::Sync);
    let run = pass(RUN, FlushCompress::Sync);
    let runs = (n - LEAD) / RUN;
    let tail = pass(n - LEAD - runs * RUN, FlushCompress::Finish);
    let mut out = vec![0x78, 0xda];
    out.extend_from_slice(&lead);
    for _ in 0..runs {
        out.extend_from_slice(&run);
    }
    out.extend_from_slice(&tail);
    let adler = (u32::try_from(n % 65521).unwrap() << 16) | 1;
    out.extend_from_slice(&adler.to_be_bytes());
    out
}

fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
    let mut crc = flate2::Crc::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc.sum().to_be_bytes());
    out
}

/// A PNG of `width` x `height` zeros at `depth` bits and `color` type, with `extra` chunks
/// between the header and the pixels.
fn png(width: u32, height: u32, depth: u8, color: u8, extra: &[Vec<u8>]) -> Vec<u8> {
    let channels: u64 = match color {
        0 => 1,
        2 => 3,
        4 => 2,
        _ => 4,
    };
    let row = 1 + u64::from(width) * channels * u64::from(depth) / 8;
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[depth, color, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend(chunk(b"IHDR", &ihdr));
    for c in extra {
        out.extend_from_slice(c);
    }
    let raw = row * u64::from(height);
    let idat = if raw >= 2 << 20 {
        zeros_zlib(raw)
    } else {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut z, &vec![0u8; usize::try_from(raw).unwrap()]).unwrap();
        z.finish().unwrap()
    };
    out.extend(chunk(b"IDAT", &idat));
    out.extend(chunk(b"IEND", &[]));
    out
}

/// 7000x7000 RGBA at 16 bits per channel, all zeros: 392 MB decoded at full depth.
fn deep_bomb() -> Vec<u8> {
    png(7000, 7000, 16, 6, &[])
}

/// One pixel, with an ICC profile that inflates to 440 MB.
fn icc_bomb() -> Vec<u8> {
    let mut iccp = b"bomb\0\0".to_vec();
    iccp.extend(zeros_zlib(440_000_000));
    png(1, 1, 8, 2, &[chunk(b"iCCP", &iccp)])
}

/// A `/proc/<pid>/status` field in KiB.
fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

async fn token(base: &str) -> String {
    let client = reqwest::Client::new();
    let creds = json!({"username": "bomber", "password": "right-password"});
    let res = client
        .post(format!("{base}/api/register"))
        .json(&creds)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let login: Value = client
        .post(format!("{base}/api/login"))
        .json(&creds)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    login["token"].as_str().unwrap().to_owned()
}

/// Uploads `bytes` and returns the status and the JSON answer.
async fn upload(base: &str, token: &str, bytes: Vec<u8>) -> (u16, Value) {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name("picture.png")
        .mime_str("image/png")
        .unwrap();
    let res = reqwest::Client::new()
        .post(format!("{base}/api/upload"))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .timeout(Duration::from_secs(300))
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

/// Accepted, with a thumbnail, at the size the header says.
fn assert_thumbnailed(answer: &(u16, Value), width: u32, height: u32) {
    let (status, body) = answer;
    assert_eq!(*status, 201, "{body}");
    assert!(body["pic"].as_str().is_some(), "{body}");
    assert_eq!(
        (body["width"].as_u64(), body["height"].as_u64()),
        (Some(width.into()), Some(height.into())),
        "{body}"
    );
}

const MIB: u64 = 1024;

#[tokio::test]
async fn decode_bombs_cost_a_small_bounded_memory() {
    let deep = deep_bomb();
    let icc = icc_bomb();
    assert!(
        deep.len() < 512 << 10 && icc.len() < 512 << 10,
        "{} {}",
        deep.len(),
        icc.len()
    );

    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = start(dir.path(), port).await;
    let pid = server.id();
    let token = token(&base).await;

    // An ordinary picture still gets its thumbnail (and warms the code paths up).
    let mut photo = Vec::new();
    image::DynamicImage::new_rgb8(1200, 900)
        .write_to(&mut Cursor::new(&mut photo), image::ImageFormat::Png)
        .unwrap();
    let answer = upload(&base, &token, photo).await;
    assert_thumbnailed(&answer, 1200, 900);

    // One at a time, then four at once: each within a small budget, all four well under
    // what one full-depth decode needs.
    let rss = status_kib(pid, "VmRSS:");
    assert_thumbnailed(&upload(&base, &token, deep.clone()).await, 7000, 7000);
    assert_thumbnailed(&upload(&base, &token, icc.clone()).await, 1, 1);
    let alone = status_kib(pid, "VmHWM:").saturating_sub(rss);
    let uploads = [deep.clone(), icc.clone(), deep, icc].map(|bytes| {
        let (base, token) = (base.clone(), token.clone());
        tokio::spawn(async move { upload(&base, &token, bytes).await })
    });
    for (i, task) in uploads.into_iter().enumerate() {
        let answer = task.await.unwrap();
        let side = if i % 2 == 0 { 7000 } else { 1 };
        assert_thumbnailed(&answer, side, side);
    }
    let four = status_kib(pid, "VmHWM:").saturating_sub(rss);
    let _ = server.kill();
    let _ = server.wait();
    println!(
        "decode bombs: +{} KiB one at a time, +{} KiB four at once",
        alone, four
    );
    assert!(
        alone < 100 * MIB,
        "one bomb at a time grew the server by {} MiB",
        alone / MIB
    );
    assert!(
        four < 200 * MIB,
        "four bombs at once grew the server by {} MiB",
        four / MIB
    );
}

//! Uploads (docs/api.md, "Media"): what `POST /api/upload` answers, and how a
//! message's `url`/`pic` names an uploaded file (`/media/<key>`).

use serde::{Deserialize, Serialize};

/// The path prefix under which uploaded files are served.
pub const MEDIA_PREFIX: &str = "/media/";

/// `POST /api/upload` answer: where the stored file is served and what the server found it
/// to be (by its content, never by the client's claim).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadResponse {
    /// `/media/<key>`: put it in a message's `url` (or `pic`); only the uploader and the
    /// participants of conversations holding such a message may fetch it.
    pub url: String,
    /// The type sniffed from the content, e.g. `image/png`, `audio/webm`.
    pub mime: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the content, lowercase hex (also the file's `ETag`).
    pub sha256: String,
    /// For an image: `/media/<key>` of a thumbnail (at most 320 px on its longer side)
    /// made by the server; use it as the message's `pic`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pic: Option<String>,
    /// For an image: its pixel width, EXIF orientation applied (send it as the frame's `width`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// For an image: its pixel height, EXIF orientation applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
}

/// The storage key a `/media/<key>` URL names, if it names one: a single path segment of
/// `[A-Za-z0-9._~-]` (keys the server hands out are random hex with an extension). `None`
/// for anything else, external URLs included.
pub fn media_key(url: &str) -> Option<&str> {
    let key = url.strip_prefix(MEDIA_PREFIX)?;
    let plain = !key.is_empty()
        && key.len() <= 128
        && key != "."
        && key != ".."
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~'));
    plain.then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_skip_what_only_images_have() {
        let plain = UploadResponse {
            url: "/media/ab.pdf".into(),
            mime: "application/pdf".into(),
            size: 3,
            sha256: "00".into(),
            ..UploadResponse::default()
        };
        let json = serde_json::to_value(&plain).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"url": "/media/ab.pdf", "mime": "application/pdf", "size": 3,
                "sha256": "00"})
        );
        let image: UploadResponse = serde_json::from_str(
            r#"{"url":"/media/a.jpg","mime":"image/jpeg","size":9,"sha256":"ff",
                "pic":"/media/b.jpg","width":3,"height":4}"#,
        )
        .unwrap();
        assert_eq!(image.pic.as_deref(), Some("/media/b.jpg"));
        assert_eq!((image.width, image.height), (Some(3), Some(4)));
    }

    #[test]
    fn keys_are_single_plain_segments() {
        assert_eq!(media_key("/media/0a1b.png"), Some("0a1b.png"));
        for not_a_key in [
            "/media/",
            "/media/a/b",
            "/media/..",
            "/media/a%2fb",
            "https://x.example/media/a",
            "/asset/a.png",
        ] {
            assert_eq!(media_key(not_a_key), None, "{not_a_key}");
        }
    }
}

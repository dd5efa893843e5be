//! Attachments on their way out: one [`Upload`] per message being sent with a file, from the
//! first byte uploaded to the frame handed to the conversation's send path.
//!
//! A message with media needs its file(s) stored first (`POST /api/upload`): an image or a
//! voice note is one file; a video is two, its poster (captured in the browser) and the video.
//! The message frame is built only when every file is stored, and each stored file's answer is
//! kept, so Retry after a failure uploads only what is still missing and never a file twice.
//! Once the frame exists it goes through the ordinary send path under the upload's own `cid`,
//! so a resend of the frame is idempotent too.
//!
//! Plain data (no signals, no browser types), so the rules are tested natively; the browser
//! half (XMLHttpRequest, object URLs, recorders) lives in `components::attachments`.

use crate::error::{ApiError, ErrorCode};
use crate::ids::Cid;
use crate::protocol::body::{Media, MessageBody};
use crate::protocol::upload::UploadResponse;
use serde::Deserialize;

/// The longest voice note, in seconds: recording stops by itself there.
pub const VOICE_MAX_SECS: i64 = 60;
/// The longest video recorded in the browser, in seconds.
pub const VIDEO_MAX_SECS: i64 = 30;
/// The longest duration a voice message may carry (the protocol's bound for `amount`).
pub const AUDIO_MAX_SECS: i64 = 3600;

/// What kind of message an upload becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Media 4: the server's thumbnail as `pic`, its pixel size as width/height.
    Image,
    /// Media 3, with its length in whole seconds (`amount`).
    Voice {
        /// Seconds, 1..=3600.
        seconds: i64,
    },
    /// Media 8: the poster (uploaded first, when there is one) as `pic`.
    Video,
}

impl Kind {
    /// The media code the message will carry.
    pub fn media(self) -> Media {
        match self {
            Kind::Image => Media::Image,
            Kind::Voice { .. } => Media::Voice,
            Kind::Video => Media::Video,
        }
    }
}

/// What a picked, dropped or pasted file can be sent as, from its MIME type; `None` for
/// anything else (a PDF has no message kind to travel in).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// `image/*`.
    Image,
    /// `video/*`.
    Video,
    /// `audio/*`: sent as a voice message with its duration.
    Audio,
}

impl FileKind {
    /// Reads a MIME type (parameters and case ignored).
    pub fn from_mime(mime: &str) -> Option<FileKind> {
        let essence = mime
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match essence.split_once('/') {
            Some(("image", sub)) if !sub.is_empty() => Some(FileKind::Image),
            Some(("video", sub)) if !sub.is_empty() => Some(FileKind::Video),
            Some(("audio", sub)) if !sub.is_empty() => Some(FileKind::Audio),
            _ => None,
        }
    }
}

/// Which file of an upload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The message's own file: the image, the recording, the video.
    Main,
    /// A video's poster frame, captured in the browser; uploaded before the video.
    Poster,
}

/// What the server answered for one stored file (the parts of `UploadResponse` a message
/// needs).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stored {
    /// `/media/<key>`.
    pub url: String,
    /// The server's thumbnail of an image, `/media/<key>`; empty when it made none.
    pub pic: String,
    /// Pixel width of an image (0 when unknown).
    pub width: u32,
    /// Pixel height of an image (0 when unknown).
    pub height: u32,
}

impl From<UploadResponse> for Stored {
    fn from(r: UploadResponse) -> Stored {
        Stored {
            url: r.url,
            pic: r.pic.unwrap_or_default(),
            width: r.width.unwrap_or(0),
            height: r.height.unwrap_or(0),
        }
    }
}

/// Reads the answer to `POST /api/upload`: the stored file, or why not. A refusal keeps the
/// server's own words and code (a code this client does not know yet is read by its HTTP
/// status, so it is still explained).
pub fn read_answer(status: u16, body: &str) -> Result<Stored, UploadError> {
    if (200..300).contains(&status) {
        return serde_json::from_str::<UploadResponse>(body)
            .ok()
            .filter(|r| !r.url.is_empty())
            .map(Stored::from)
            .ok_or(UploadError::Network);
    }
    #[derive(Deserialize)]
    struct Refusal {
        code: String,
        #[serde(default)]
        msg: String,
    }
    let refusal = serde_json::from_str::<Refusal>(body).ok();
    let code = refusal
        .as_ref()
        .and_then(|r| ErrorCode::parse(&r.code))
        .unwrap_or_else(|| code_for_status(status));
    let msg = refusal
        .map(|r| r.msg)
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| code.default_msg().to_owned());
    Err(UploadError::Server(ApiError::with_msg(code, msg)))
}

/// The error code an upload refusal stands for when its body names none this client knows.
fn code_for_status(status: u16) -> ErrorCode {
    match status {
        401 => ErrorCode::Unauthorized,
        403 => ErrorCode::Forbidden,
        404 => ErrorCode::NotFound,
        413 => ErrorCode::FileTooLarge,
        415 => ErrorCode::UnsupportedMedia,
        422 => ErrorCode::ImageTooLarge,
        429 => ErrorCode::TooManyUploads,
        400 => ErrorCode::InvalidBody,
        503 => ErrorCode::Unavailable,
        _ => ErrorCode::Internal,
    }
}

/// Why an upload stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UploadError {
    /// The server refused it (too large, type not allowed, rate limit...): its own words.
    Server(ApiError),
    /// The server could not be reached (or answered something unreadable).
    Network,
}

/// Where an upload stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Files are going up (or about to).
    Uploading,
    /// Stopped by an error; kept with what was stored so far until Retry or Cancel.
    Failed(UploadError),
    /// Every file is stored and the message was handed to the send path.
    Sent,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Part {
    role: Role,
    size: u64,
    sent: u64,
    stored: Option<Stored>,
}

/// One message with attachments, from its files to its frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upload {
    /// This tab's handle for it (the browser keeps the files and the request under it).
    pub id: u64,
    /// The message's client id, fixed from the start: the pending bubble and the sent
    /// message are the same message.
    pub cid: Cid,
    /// What it becomes.
    pub kind: Kind,
    /// Where it stands.
    pub stage: Stage,
    /// Pixel size known in the browser (a captured poster or photo); the server's answer
    /// for an image wins.
    pub local_size: Option<(u32, u32)>,
    /// A local address (`blob:`) to show while uploading: the picture itself or the
    /// video's poster; empty when there is nothing to show (a voice note).
    pub preview: String,
    parts: Vec<Part>,
}

impl Upload {
    /// A new upload of the main file (`size` bytes) and, for a video with a poster, the
    /// poster (`poster_size` bytes), which goes first.
    pub fn new(id: u64, cid: Cid, kind: Kind, size: u64, poster_size: Option<u64>) -> Upload {
        let mut parts = Vec::with_capacity(2);
        if let Some(size) = poster_size {
            parts.push(Part {
                role: Role::Poster,
                size,
                sent: 0,
                stored: None,
            });
        }
        parts.push(Part {
            role: Role::Main,
            size,
            sent: 0,
            stored: None,
        });
        Upload {
            id,
            cid,
            kind,
            stage: Stage::Uploading,
            local_size: None,
            preview: String::new(),
            parts,
        }
    }

    /// The next file to upload: the first not stored yet, while uploading; `None` when all
    /// are stored, or while failed or sent.
    pub fn next_part(&self) -> Option<Role> {
        if self.stage != Stage::Uploading {
            return None;
        }
        self.parts
            .iter()
            .find(|p| p.stored.is_none())
            .map(|p| p.role)
    }

    /// Bytes of `role` sent so far (from the request's progress events).
    pub fn progress(&mut self, role: Role, loaded: u64) {
        if let Some(p) = self.part_mut(role) {
            if p.stored.is_none() {
                p.sent = loaded.min(p.size);
            }
        }
    }

    /// `role` is stored. Its answer is kept for good: a retry never uploads it again.
    pub fn stored(&mut self, role: Role, stored: Stored) {
        if let Some(p) = self.part_mut(role) {
            p.sent = p.size;
            p.stored = Some(stored);
        }
    }

    /// The upload failed (what was stored stays stored). Ignored once sent.
    pub fn fail(&mut self, error: UploadError) {
        if self.stage != Stage::Sent {
            self.stage = Stage::Failed(error);
        }
    }

    /// Tries again after a failure: only files not stored yet go up. Returns false unless it
    /// had failed.
    pub fn retry(&mut self) -> bool {
        if !matches!(self.stage, Stage::Failed(_)) {
            return false;
        }
        self.stage = Stage::Uploading;
        for p in &mut self.parts {
            if p.stored.is_none() {
                p.sent = 0;
            }
        }
        true
    }

    /// How much is up, 0.0 to 1.0, by bytes over every file.
    pub fn fraction(&self) -> f64 {
        let total: u64 = self.parts.iter().map(|p| p.size).sum();
        if total == 0 {
            return if self.parts.iter().all(|p| p.stored.is_some()) {
                1.0
            } else {
                0.0
            };
        }
        let sent: u64 = self.parts.iter().map(|p| p.sent.min(p.size)).sum();
        // Both are file sizes, far below 2^52: the conversion is exact.
        #[allow(clippy::cast_precision_loss)]
        let f = sent as f64 / total as f64;
        f.clamp(0.0, 1.0)
    }

    /// Whole percent for display and for `aria-valuenow`.
    pub fn percent(&self) -> u32 {
        let p = (self.fraction() * 100.0).floor();
        // Clamped to 0..=100 by `fraction`.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let p = p as u32;
        p.min(100)
    }

    /// The message to send once every file is stored; `None` while one is missing. The
    /// upload is marked sent: the caller hands the body to the send path exactly once.
    pub fn take_message(&mut self) -> Option<Result<MessageBody, ApiError>> {
        if self.stage != Stage::Uploading || self.parts.iter().any(|p| p.stored.is_none()) {
            return None;
        }
        let body = self.body();
        self.stage = Stage::Sent;
        Some(body)
    }

    /// The stored answer for `role`, if any.
    pub fn stored_part(&self, role: Role) -> Option<&Stored> {
        self.parts
            .iter()
            .find(|p| p.role == role)
            .and_then(|p| p.stored.as_ref())
    }

    /// How many files this upload has (1, or 2 for a video with a poster).
    pub fn part_count(&self) -> usize {
        self.parts.len()
    }

    fn body(&self) -> Result<MessageBody, ApiError> {
        let main = self.stored_part(Role::Main).cloned().unwrap_or_default();
        let (pic, size, amount) = match self.kind {
            Kind::Image => (
                main.pic.clone(),
                sized(main.width, main.height).or(self.local_size),
                0,
            ),
            Kind::Voice { seconds } => (String::new(), None, seconds.clamp(1, AUDIO_MAX_SECS)),
            Kind::Video => {
                let poster = self.stored_part(Role::Poster);
                let size = poster
                    .and_then(|p| sized(p.width, p.height))
                    .or(self.local_size);
                (poster.map(|p| p.url.clone()).unwrap_or_default(), size, 0)
            }
        };
        let (width, height) = size.unwrap_or((0, 0));
        MessageBody::new(
            self.kind.media().code(),
            String::new(),
            pic,
            main.url,
            String::new(),
            amount,
        )
        .and_then(|b| b.with_size(width, height))
    }

    fn part_mut(&mut self, role: Role) -> Option<&mut Part> {
        self.parts.iter_mut().find(|p| p.role == role)
    }
}

fn sized(width: u32, height: u32) -> Option<(u32, u32)> {
    (width > 0 && height > 0).then_some((width, height))
}

/// A recording's length as a voice note's `amount`: whole seconds rounded up (a 2.1 s note
/// says 3"), at least 1, at most [`AUDIO_MAX_SECS`]. `ms` may come from a clock or from a
/// media element (NaN or infinite when unknown: then 1).
pub fn voice_seconds(ms: f64) -> i64 {
    if !ms.is_finite() || ms <= 0.0 {
        return 1;
    }
    let secs = (ms / 1000.0).ceil();
    // Clamped right after; the float is finite and positive here.
    #[allow(clippy::cast_possible_truncation)]
    let secs = secs.min(1e9) as i64;
    secs.clamp(1, AUDIO_MAX_SECS)
}

/// `m:ss` for a recording's timer and a voice note's length.
pub fn clock(secs: i64) -> String {
    let secs = secs.max(0);
    format!("{}:{:02}", secs / 60, secs % 60)
}

/// The size a picture of `width`×`height` pixels shows at inside a `max_w`×`max_h` box:
/// scaled down to fit (never up), aspect kept, at least 1 px each way. `None` when the size
/// is unknown (a zero).
pub fn fit(width: u32, height: u32, max_w: u32, max_h: u32) -> Option<(u32, u32)> {
    if width == 0 || height == 0 || max_w == 0 || max_h == 0 {
        return None;
    }
    let (w, h) = (u64::from(width), u64::from(height));
    let (mw, mh) = (u64::from(max_w), u64::from(max_h));
    // Scale by the tighter bound; integer maths keeps it exact and deterministic.
    let (fw, fh) = if w <= mw && h <= mh {
        (w, h)
    } else if w * mh >= h * mw {
        (mw, (h * mw / w).max(1))
    } else {
        ((w * mh / h).max(1), mh)
    };
    Some((
        u32::try_from(fw).unwrap_or(max_w),
        u32::try_from(fh).unwrap_or(max_h),
    ))
}

/// How wide a voice bubble is for a note of `secs` seconds, in pixels: longer notes get a
/// longer bubble, as chat apps draw them, between 96 and 220 px.
pub fn voice_width(secs: i64) -> u32 {
    let secs = u32::try_from(secs.clamp(0, VOICE_MAX_SECS)).unwrap_or(0);
    (96 + secs * 2).min(220)
}

/// A recording's level, 0.0 to 1.0, from an analyser's time-domain bytes (128 is silence):
/// the RMS, scaled so speech fills most of the meter.
pub fn level(samples: &[u8]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let sum: f64 = samples
        .iter()
        .map(|&s| {
            let v = (f64::from(s) - 128.0) / 128.0;
            v * v
        })
        .sum();
    // A sample buffer is at most 32768 long.
    #[allow(clippy::cast_precision_loss)]
    let rms = (sum / samples.len() as f64).sqrt();
    (rms * 3.0).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn stored(url: &str) -> Stored {
        Stored {
            url: url.into(),
            ..Stored::default()
        }
    }

    #[test]
    fn an_image_goes_up_then_becomes_one_message_with_thumbnail_and_size() {
        let mut u = Upload::new(1, Cid::new("c1").unwrap(), Kind::Image, 1000, None);
        assert_eq!(u.next_part(), Some(Role::Main));
        assert_eq!(
            u.take_message(),
            None,
            "nothing to send before the file is stored"
        );
        u.progress(Role::Main, 250);
        assert_eq!(u.percent(), 25);
        u.progress(Role::Main, 5000);
        assert_eq!(u.percent(), 100, "progress never passes the file's size");
        u.stored(
            Role::Main,
            Stored {
                url: "/media/abc".into(),
                pic: "/media/abc-t".into(),
                width: 640,
                height: 480,
            },
        );
        assert_eq!(u.next_part(), None);
        let body = u.take_message().unwrap().unwrap();
        assert_eq!(body.media, Media::Image);
        assert_eq!(
            (body.url.as_str(), body.pic.as_str()),
            ("/media/abc", "/media/abc-t")
        );
        assert_eq!((body.width, body.height), (640, 480));
        assert_eq!(u.stage, Stage::Sent);
        assert_eq!(u.take_message(), None, "handed over exactly once");
        assert!(!u.retry());
    }

    #[test]
    fn a_failed_video_retries_only_what_is_missing() {
        let mut u = Upload::new(2, Cid::new("c2").unwrap(), Kind::Video, 9000, Some(1000));
        u.local_size = Some((320, 240));
        // The poster goes first.
        assert_eq!(u.next_part(), Some(Role::Poster));
        u.stored(Role::Poster, stored("/media/poster"));
        assert_eq!(u.next_part(), Some(Role::Main));
        u.progress(Role::Main, 4500);
        assert_eq!(u.percent(), 55);
        let too_big = ApiError::with_msg(ErrorCode::Internal, "boom");
        u.fail(UploadError::Server(too_big.clone()));
        assert_eq!(u.stage, Stage::Failed(UploadError::Server(too_big)));
        assert_eq!(u.next_part(), None, "a failed upload waits for Retry");
        assert_eq!(u.take_message(), None);
        assert!(u.retry());
        assert!(!u.retry(), "already uploading again");
        // The poster is not sent twice; the video starts over.
        assert_eq!(u.next_part(), Some(Role::Main));
        assert_eq!(u.percent(), 10);
        u.stored(Role::Main, stored("/media/video"));
        let body = u.take_message().unwrap().unwrap();
        assert_eq!(body.media, Media::Video);
        assert_eq!(
            (body.url.as_str(), body.pic.as_str()),
            ("/media/video", "/media/poster")
        );
        // The poster's size as the server measured it was unknown: the browser's is used.
        assert_eq!((body.width, body.height), (320, 240));
    }

    #[test]
    fn a_video_without_a_poster_is_one_file() {
        let mut u = Upload::new(3, Cid::new("c3").unwrap(), Kind::Video, 10, None);
        assert_eq!(u.part_count(), 1);
        u.stored(Role::Main, stored("/media/v"));
        let body = u.take_message().unwrap().unwrap();
        assert_eq!((body.pic.as_str(), body.width), ("", 0));
    }

    #[test]
    fn a_voice_note_carries_its_seconds() {
        let mut u = Upload::new(
            4,
            Cid::new("c4").unwrap(),
            Kind::Voice { seconds: 2 },
            0,
            None,
        );
        assert_eq!(u.fraction(), 0.0);
        u.stored(Role::Main, stored("/media/voice"));
        assert_eq!(u.fraction(), 1.0);
        let body = u.take_message().unwrap().unwrap();
        assert_eq!((body.media, body.amount), (Media::Voice, 2));
        assert_eq!((body.width, body.height), (0, 0));
        // A stored URL that breaks the URL rule never becomes a message.
        let mut bad = Upload::new(5, Cid::new("c5").unwrap(), Kind::Image, 1, None);
        bad.stored(Role::Main, stored("javascript:alert(1)"));
        assert!(bad.take_message().unwrap().is_err());
    }

    #[test]
    fn cancelled_network_failures_are_kept_apart_from_server_refusals() {
        let mut u = Upload::new(6, Cid::new("c6").unwrap(), Kind::Image, 10, None);
        u.fail(UploadError::Network);
        assert_eq!(u.stage, Stage::Failed(UploadError::Network));
        u.retry();
        u.stored(Role::Main, stored("/media/x"));
        u.take_message();
        u.fail(UploadError::Network);
        assert_eq!(u.stage, Stage::Sent, "a sent upload cannot fail any more");
    }

    #[test]
    fn upload_answers_are_read_with_the_servers_words() {
        let ok = read_answer(
            201,
            r#"{"url":"/media/a.png","mime":"image/png","size":3,"sha256":"ff",
                "pic":"/media/t.jpg","width":640,"height":480}"#,
        );
        assert_eq!(
            ok,
            Ok(Stored {
                url: "/media/a.png".into(),
                pic: "/media/t.jpg".into(),
                width: 640,
                height: 480
            })
        );
        let audio = read_answer(
            200,
            r#"{"url":"/media/v.webm","mime":"audio/webm","size":3,"sha256":"f"}"#,
        );
        assert_eq!(audio.map(|s| (s.pic, s.width)), Ok((String::new(), 0)));
        // A code this client does not know keeps the server's words.
        let Err(UploadError::Server(e)) = read_answer(
            413,
            r#"{"code":"some_new_code","msg":"That file is too large (25 MiB at most)."}"#,
        ) else {
            panic!("refused")
        };
        assert_eq!(e.msg, "That file is too large (25 MiB at most).");
        // A known code is kept as it is.
        let Err(UploadError::Server(e)) =
            read_answer(401, r#"{"code":"unauthorized","msg":"Please log in."}"#)
        else {
            panic!("refused")
        };
        assert_eq!(e.code, ErrorCode::Unauthorized);
        // No JSON at all (a proxy's page): read by status.
        let Err(UploadError::Server(e)) = read_answer(503, "<html>busy</html>") else {
            panic!("refused")
        };
        assert_eq!(e.code, ErrorCode::Unavailable);
        let Err(UploadError::Server(e)) = read_answer(413, "Payload Too Large") else {
            panic!("refused")
        };
        assert_eq!(
            (e.code, e.msg.as_str()),
            (
                ErrorCode::FileTooLarge,
                ErrorCode::FileTooLarge.default_msg()
            )
        );
        // A success without a usable body is no success.
        assert_eq!(read_answer(200, "{}"), Err(UploadError::Network));
        assert_eq!(read_answer(201, "nope"), Err(UploadError::Network));
    }

    #[test]
    fn seconds_round_up_and_stay_in_bounds() {
        assert_eq!(voice_seconds(0.0), 1);
        assert_eq!(voice_seconds(-5.0), 1);
        assert_eq!(voice_seconds(f64::NAN), 1);
        assert_eq!(voice_seconds(f64::INFINITY), 1);
        assert_eq!(voice_seconds(300.0), 1);
        assert_eq!(voice_seconds(1000.0), 1);
        assert_eq!(voice_seconds(1001.0), 2);
        assert_eq!(voice_seconds(2100.0), 3);
        assert_eq!(voice_seconds(60_000.0), 60);
        assert_eq!(voice_seconds(1e12), AUDIO_MAX_SECS);
        assert_eq!(clock(0), "0:00");
        assert_eq!(clock(7), "0:07");
        assert_eq!(clock(60), "1:00");
        assert_eq!(clock(-3), "0:00");
    }

    #[test]
    fn pictures_fit_their_box_without_growing() {
        assert_eq!(fit(100, 50, 260, 260), Some((100, 50)));
        assert_eq!(fit(4000, 3000, 260, 260), Some((260, 195)));
        assert_eq!(fit(3000, 4000, 260, 260), Some((195, 260)));
        assert_eq!(fit(10_000, 1, 260, 260), Some((260, 1)));
        assert_eq!(fit(1, 10_000, 260, 260), Some((1, 260)));
        assert_eq!(fit(u32::MAX, u32::MAX, 300, 240), Some((240, 240)));
        assert_eq!(fit(0, 10, 260, 260), None);
        assert_eq!(fit(10, 10, 0, 260), None);
    }

    #[test]
    fn file_kinds_come_from_mime_types() {
        assert_eq!(FileKind::from_mime("image/png"), Some(FileKind::Image));
        assert_eq!(FileKind::from_mime("Image/JPEG"), Some(FileKind::Image));
        assert_eq!(
            FileKind::from_mime("video/webm;codecs=vp8"),
            Some(FileKind::Video)
        );
        assert_eq!(FileKind::from_mime("audio/ogg"), Some(FileKind::Audio));
        assert_eq!(FileKind::from_mime("application/pdf"), None);
        assert_eq!(FileKind::from_mime(""), None);
        assert_eq!(FileKind::from_mime("image/"), None);
    }

    #[test]
    fn meter_and_bubble_widths() {
        assert_eq!(level(&[]), 0.0);
        assert_eq!(level(&[128; 64]), 0.0);
        assert_eq!(level(&[255, 0, 255, 0]), 1.0);
        let quiet = level(&[120, 136, 120, 136]);
        assert!(quiet > 0.0 && quiet < 0.5, "{quiet}");
        assert_eq!(voice_width(1), 98);
        assert_eq!(voice_width(60), 216);
        assert_eq!(voice_width(3600), 216);
        assert_eq!(Kind::Voice { seconds: 3 }.media(), Media::Voice);
    }
}

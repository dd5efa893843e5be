//! What an upload is, decided from its first bytes (magic numbers through the `infer`
//! crate), never from the client's file name or `Content-Type`: those are the client's
//! claim, and a script named `x.png` must not be served as anything a browser would run.
//! Only the allow-list below is accepted.

use image::ImageFormat;

/// How many leading bytes are read before deciding: enough for every signature on the
/// allow-list and for the track list of a browser-recorded WebM, which comes first.
pub const SNIFF_LEN: usize = 64 * 1024;

/// The broad kind of an accepted file; decides how it is served and whether it gets a
/// thumbnail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A picture the server can decode (and therefore thumbnail).
    Image(ImageFormat),
    /// Sound.
    Audio,
    /// Moving pictures (possibly with sound).
    Video,
    /// Anything else on the allow-list (PDF): never shown inline.
    Document,
}

/// An accepted file type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sniffed {
    /// The MIME type it is recorded and served with.
    pub mime: &'static str,
    /// The extension its storage key gets (so a saved file opens with the right program).
    pub ext: &'static str,
    /// Its kind.
    pub kind: Kind,
}

impl Sniffed {
    const fn new(mime: &'static str, ext: &'static str, kind: Kind) -> Sniffed {
        Sniffed { mime, ext, kind }
    }
}

/// The EBML magic that opens every Matroska and WebM file.
const EBML_MAGIC: [u8; 4] = [0x1a, 0x45, 0xdf, 0xa3];

/// Reads an EBML (Matroska/WebM) head: its DocType, and whether a video track is listed.
///
/// Browsers record voice notes as audio-only WebM, which generic sniffers call
/// `video/webm`; playing one in an `<audio>` element needs `audio/webm`. The track list
/// (written before any media data by MediaRecorder) names each track's codec as a CodecID
/// element: ID 0x86, a one-byte size, then `V_...` for video or `A_...` for audio.
fn ebml(head: &[u8]) -> Option<Sniffed> {
    if !head.starts_with(&EBML_MAGIC) {
        return None;
    }
    // The DocType element (ID 0x4282) with its one-byte size, within the EBML header.
    let header = &head[..head.len().min(64)];
    let webm = contains(header, b"\x42\x82\x84webm");
    let matroska = contains(header, b"\x42\x82\x88matroska");
    if !webm && !matroska {
        return None;
    }
    let codec = |prefix: u8| {
        head.windows(4)
            .any(|w| w[0] == 0x86 && w[1] & 0x80 != 0 && w[2] == prefix && w[3] == b'_')
    };
    let audio_only = codec(b'A') && !codec(b'V');
    Some(match (webm, audio_only) {
        (true, true) => Sniffed::new("audio/webm", "webm", Kind::Audio),
        (true, false) => Sniffed::new("video/webm", "webm", Kind::Video),
        (false, true) => Sniffed::new("audio/x-matroska", "mka", Kind::Audio),
        (false, false) => Sniffed::new("video/x-matroska", "mkv", Kind::Video),
    })
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Decides the type of a file from its first bytes ([`SNIFF_LEN`] of them, or all of a
/// shorter file). `None` when it is not on the allow-list: images (JPEG, PNG, GIF, WebP),
/// audio (WebM, Ogg, MP3, M4A, WAV), video (MP4, WebM) and PDF.
pub fn sniff(head: &[u8]) -> Option<Sniffed> {
    if let Some(found) = ebml(head) {
        return Some(found);
    }
    let found = infer::get(head)?;
    Some(match found.mime_type() {
        "image/jpeg" => Sniffed::new("image/jpeg", "jpg", Kind::Image(ImageFormat::Jpeg)),
        "image/png" => Sniffed::new("image/png", "png", Kind::Image(ImageFormat::Png)),
        "image/gif" => Sniffed::new("image/gif", "gif", Kind::Image(ImageFormat::Gif)),
        "image/webp" => Sniffed::new("image/webp", "webp", Kind::Image(ImageFormat::WebP)),
        "audio/mpeg" => Sniffed::new("audio/mpeg", "mp3", Kind::Audio),
        // Opus is the usual codec inside Ogg; the container decides the type.
        "audio/ogg" | "audio/opus" => Sniffed::new("audio/ogg", "ogg", Kind::Audio),
        "audio/m4a" => Sniffed::new("audio/mp4", "m4a", Kind::Audio),
        "audio/x-wav" => Sniffed::new("audio/wav", "wav", Kind::Audio),
        "video/mp4" => Sniffed::new("video/mp4", "mp4", Kind::Video),
        "application/pdf" => Sniffed::new("application/pdf", "pdf", Kind::Document),
        _ => return None,
    })
}

/// True when browsers may show the file in the page (pictures, sound, video); everything
/// else is served as a download (`Content-Disposition: attachment`).
pub fn inline(mime: &str) -> bool {
    ["image/", "audio/", "video/"]
        .iter()
        .any(|p| mime.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The start of a MediaRecorder WebM: EBML header (DocType webm), then a track entry
    /// whose CodecID is `codec`.
    fn webm(codec: &[u8]) -> Vec<u8> {
        let mut v = vec![0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01];
        v.extend_from_slice(b"\x42\x82\x84webm\x42\x87\x81\x04\x42\x85\x81\x02");
        v.extend_from_slice(&[0x18, 0x53, 0x80, 0x67, 0x01, 0xff, 0x16, 0x54, 0xae, 0x6b]);
        v.extend_from_slice(&[0xae, 0x9a, 0xd7, 0x81, 0x01, 0x86]);
        v.push(0x80 | u8::try_from(codec.len()).unwrap());
        v.extend_from_slice(codec);
        v.resize(300, 0);
        v
    }

    #[test]
    fn voice_notes_are_audio_webm_and_clips_video() {
        let voice = sniff(&webm(b"A_OPUS")).unwrap();
        assert_eq!((voice.mime, voice.kind), ("audio/webm", Kind::Audio));
        let clip = sniff(&webm(b"V_VP8")).unwrap();
        assert_eq!((clip.mime, clip.kind), ("video/webm", Kind::Video));
        // Short files too (generic sniffers want 256 bytes of WebM).
        let mut short = webm(b"A_OPUS");
        short.truncate(60);
        assert_eq!(sniff(&short).unwrap().mime, "audio/webm");
    }

    #[test]
    fn the_content_decides_not_the_name() {
        let mut png = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
        png.extend_from_slice(&[0; 32]);
        assert_eq!(sniff(&png).unwrap().mime, "image/png");
        assert_eq!(sniff(b"%PDF-1.7\n...").unwrap().kind, Kind::Document);
        for refused in [
            &b"#!/bin/sh\nrm -rf /\n"[..],
            b"<html><script>alert(1)</script></html>",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>",
            b"MZ\x90\x00\x03",
            b"",
        ] {
            assert_eq!(
                sniff(refused),
                None,
                "{:?}",
                String::from_utf8_lossy(refused)
            );
        }
        assert!(inline("audio/webm") && !inline("application/pdf"));
    }
}

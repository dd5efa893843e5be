//! A message's payload, [`MessageBody`]: its kind ([`Media`]) and the fields docs/api.md's
//! media table gives that kind, with the per-media rule. Shared so a browser can check a
//! message before sending it and the server enforces the same rule.
//!
//! The rule is the v1 rule: URLs are `http(s)://` or `/media/` paths. The seed client's
//! stickers (same-origin `/asset/` paths) are the seed dialect's business: only the
//! protocol's own modules can make the [`StickerPath`] that [`MessageBody::sticker`] takes,
//! and only [`super::seed`] does. How a body is read from and written to a wire frame is
//! [`super::frame`]'s (`MessageBody::from_frame`, `MessageBody::write_to`), so this module
//! knows nothing of frames.

use super::is_allowed_url;
use super::sticker::StickerPath;
use crate::error::{ApiError, ErrorCode};

/// Longest `content` of any message.
pub const MAX_CONTENT_CHARS: usize = 4000;
/// Longest `memo` of any message.
pub const MAX_MEMO_CHARS: usize = 1000;
/// Largest `width` or `height` a message may state, in pixels: far above any real picture,
/// low enough that no layout is asked to reserve an absurd box.
pub const MAX_DIMENSION: u32 = 100_000;

/// The media kinds of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Media {
    /// 1: text in `content`.
    Text,
    /// 2: news card: `content` title, `pic`, `url`, `memo` summary.
    News,
    /// 3: voice note: `url`, `amount` seconds.
    Voice,
    /// 4: image: `url`, optional `pic` thumbnail.
    Image,
    /// 5: red packet: `amount` cents, `memo` greeting, optional `url`.
    RedPacket,
    /// 6: emoji: `content` name or the emoji itself.
    Emoji,
    /// 7: link: `url`.
    Link,
    /// 8: video: `url`, `pic` poster.
    Video,
    /// 9: contact card: `content` user id, `pic` avatar, `memo` nickname.
    Contact,
    /// 100: custom: `content` an app-defined JSON string.
    Custom,
}

impl Media {
    /// The wire number.
    pub fn code(self) -> u16 {
        match self {
            Media::Text => 1,
            Media::News => 2,
            Media::Voice => 3,
            Media::Image => 4,
            Media::RedPacket => 5,
            Media::Emoji => 6,
            Media::Link => 7,
            Media::Video => 8,
            Media::Contact => 9,
            Media::Custom => 100,
        }
    }

    /// Parses a wire number.
    pub fn from_code(code: u16) -> Option<Media> {
        [
            Media::Text,
            Media::News,
            Media::Voice,
            Media::Image,
            Media::RedPacket,
            Media::Emoji,
            Media::Link,
            Media::Video,
            Media::Contact,
            Media::Custom,
        ]
        .into_iter()
        .find(|m| m.code() == code)
    }
}

/// An `invalid_payload` error with its explanation.
pub(super) fn payload(msg: &str) -> ApiError {
    ApiError::with_msg(ErrorCode::InvalidPayload, msg)
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// Checks a URL field: required ones must be present; any present one must be allowed.
fn check_url(name: &str, value: &str, required: bool) -> Result<(), ApiError> {
    if value.is_empty() {
        return if required {
            Err(payload(&format!(
                "`{name}` is required for this kind of message."
            )))
        } else {
            Ok(())
        };
    }
    if value.len() > 2048 || !is_allowed_url(value) {
        return Err(ApiError::with_msg(
            ErrorCode::InvalidPayload,
            format!("`{name}` must be an http(s):// URL or a /media/ path."),
        ));
    }
    Ok(())
}

fn require_content(content: &str, what: &str, max: usize) -> Result<(), ApiError> {
    let n = chars(content.trim());
    if n == 0 || chars(content) > max {
        return Err(payload(&format!(
            "`content` ({what}) must be 1-{max} characters."
        )));
    }
    Ok(())
}

/// The length checks every kind shares.
fn check_lengths(content: &str, memo: &str) -> Result<(), ApiError> {
    if chars(content) > MAX_CONTENT_CHARS {
        return Err(payload("`content` is too long (4000 characters at most)."));
    }
    if chars(memo) > MAX_MEMO_CHARS {
        return Err(payload("`memo` is too long (1000 characters at most)."));
    }
    Ok(())
}

/// A message's payload: its kind and the fields docs/api.md's media table gives it. Built
/// only through [`MessageBody::new`] (or `MessageBody::from_frame`, or for a seed sticker
/// [`MessageBody::sticker`]), so a body that exists has passed the per-media rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageBody {
    /// The kind of message.
    pub media: Media,
    /// Text, title, emoji, contact id or custom JSON, by kind.
    pub content: String,
    /// Picture URL (thumbnail, poster, avatar).
    pub pic: String,
    /// Resource URL.
    pub url: String,
    /// Summary, greeting or nickname, by kind.
    pub memo: String,
    /// Seconds (voice) or cents (red packet).
    pub amount: i64,
    /// Pixel width of an image (media 4) or a video's poster (media 8); 0 when unknown.
    pub width: u32,
    /// Pixel height, as `width`; both are set or neither.
    pub height: u32,
}

impl MessageBody {
    /// Checks the fields against the rule of media kind `media` (URL schemes included).
    pub fn new(
        media: u16,
        content: String,
        pic: String,
        url: String,
        memo: String,
        amount: i64,
    ) -> Result<MessageBody, ApiError> {
        let media =
            Media::from_code(media).ok_or_else(|| ApiError::new(ErrorCode::InvalidMedia))?;
        check_lengths(&content, &memo)?;
        // Every URL-bearing field is checked whatever the kind, so nothing renders a
        // `javascript:` link that rode along in an unused field.
        check_url("url", &url, false)?;
        check_url("pic", &pic, false)?;
        match media {
            Media::Text => require_content(&content, "the text", MAX_CONTENT_CHARS)?,
            Media::News => {
                require_content(&content, "the title", 200)?;
                check_url("url", &url, true)?;
            }
            Media::Voice => {
                check_url("url", &url, true)?;
                if !(1..=3600).contains(&amount) {
                    return Err(payload(
                        "`amount` (seconds) must be 1-3600 for a voice note.",
                    ));
                }
            }
            Media::Image | Media::Link | Media::Video => check_url("url", &url, true)?,
            Media::RedPacket => {
                if !(1..=100_000_000).contains(&amount) {
                    return Err(payload("`amount` (cents) must be greater than 0."));
                }
            }
            Media::Emoji => require_content(&content, "the emoji", 64)?,
            Media::Contact => {
                let id_ok = content.parse::<i64>().is_ok_and(|id| id > 0);
                if !id_ok {
                    return Err(payload("`content` must be the shared contact's user id."));
                }
            }
            Media::Custom => {
                require_content(&content, "custom JSON", MAX_CONTENT_CHARS)?;
                if serde_json::from_str::<serde_json::Value>(&content).is_err() {
                    return Err(payload(
                        "`content` must be a JSON string for a custom message.",
                    ));
                }
            }
        }
        Ok(MessageBody {
            media,
            content,
            pic,
            url,
            memo,
            amount,
            width: 0,
            height: 0,
        })
    }

    /// A seed client's sticker: an image (media 4) whose `url` is a same-origin `/asset/`
    /// path, already checked and normalised by the seed dialect (a [`StickerPath`] is made
    /// only by [`super::seed`]). The other fields get the checks every kind gets.
    pub fn sticker(
        url: StickerPath,
        content: String,
        pic: String,
        memo: String,
        amount: i64,
    ) -> Result<MessageBody, ApiError> {
        check_lengths(&content, &memo)?;
        check_url("pic", &pic, false)?;
        Ok(MessageBody {
            media: Media::Image,
            content,
            pic,
            url: url.into_string(),
            memo,
            amount,
            width: 0,
            height: 0,
        })
    }

    /// The same body with the pixel size of its image (media 4) or video poster (media 8),
    /// each at most [`MAX_DIMENSION`]. The size only means something for those two kinds, so
    /// it is dropped (kept 0) for every other kind, and when either side is 0 (unknown).
    pub fn with_size(mut self, width: u32, height: u32) -> Result<MessageBody, ApiError> {
        if width > MAX_DIMENSION || height > MAX_DIMENSION {
            return Err(payload(
                "`width` and `height` must be at most 100000 pixels.",
            ));
        }
        let sized = matches!(self.media, Media::Image | Media::Video) && width > 0 && height > 0;
        (self.width, self.height) = if sized { (width, height) } else { (0, 0) };
        Ok(self)
    }
}

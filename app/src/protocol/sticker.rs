//! The seed client's sticker paths: same-origin files under `/asset/` that its pages serve
//! themselves. The rule lives here, below both [`super::body`] (which takes a checked
//! [`StickerPath`]) and [`super::seed`] (the dialect that makes one), so neither names the
//! other.

/// Where the seed's pages keep their own files (sticker packs among them).
pub const ASSET_PREFIX: &str = "/asset/";

/// The same-origin seed asset path `url` names, normalised, if it names one: under
/// `/asset/`, plain segments only, like a `/media/` path (no `.` or `..`, no
/// percent-encoding, nothing but `[A-Za-z0-9._~-]`). Empty segments are dropped, as the
/// seed's own server did (its file server cleaned the path): the seed client sends its
/// stickers as `/asset/plugins/doutu//emoj/1.gif`, which becomes
/// `/asset/plugins/doutu/emoj/1.gif`. Accepted as a sticker (media 4 `url`) from v0 only.
pub fn sticker_path(url: &str) -> Option<String> {
    StickerPath::parse(url).map(StickerPath::into_string)
}

/// A seed sticker's `url`, checked and normalised by [`sticker_path`]'s rule. Only the
/// protocol's modules can make one, and only the seed dialect ([`super::seed::command`])
/// does, so `MessageBody::sticker` (the one way a body gets an `/asset/` url) is reachable
/// from the seed dialect alone: a v1 client is refused `/asset/` urls by the ordinary rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StickerPath(String);

impl StickerPath {
    /// The sticker path `url` names, normalised; `None` unless it names one.
    pub(super) fn parse(url: &str) -> Option<StickerPath> {
        if url.len() > 512 {
            return None;
        }
        let rest = url.strip_prefix(ASSET_PREFIX)?;
        let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
        let path = segments.join("/");
        (!segments.is_empty() && super::plain_path(&path))
            .then(|| StickerPath(format!("{ASSET_PREFIX}{path}")))
    }

    /// The normalised path, as a message's `url`.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// True when `url` is a seed asset path (see [`sticker_path`]).
pub fn is_sticker_path(url: &str) -> bool {
    sticker_path(url).is_some()
}

//! The built bundle under `/pkg` and how long browsers may keep what we send.
//!
//! cargo-leptos (`hash-files`) puts a content hash into the name of every file it builds
//! (`parley.<hash>.wasm`), and each page names the files of its own build. So a hashed file
//! never changes under its name and can be kept for a year without asking again, while pages
//! must be revalidated every time: that is what makes a deploy reach every browser at once.

use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use std::path::Path;
use tower_http::services::ServeDir;

/// For a file whose name carries its content hash: a year (the longest HTTP allows in
/// practice), and no revalidation on reload.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// For pages and unhashed files: may be stored, but always checked with us before use.
pub const NO_CACHE: &str = "no-cache";

/// Length of cargo-leptos's hash: an MD5 digest in unpadded URL-safe base64.
const HASH_LEN: usize = 22;

/// Serves the files of `<site root>/<pkg dir>`. Missing files get a bare 404 rather than the
/// app's "not found" page: nothing that asks for a script could show one. Conditional
/// requests are answered with 304, which matters for the unhashed (development) names.
pub fn pkg_dir_service(site_root: &Path, pkg_dir: &str) -> ServeDir {
    ServeDir::new(site_root.join(pkg_dir))
        .precompressed_br()
        .precompressed_gzip()
}

/// True when a file name carries a cargo-leptos content hash: one of its inner dot-separated
/// parts (`parley.<hash>.js`, `__wasm_split.<hash>.js`) is a 22-character URL-safe base64
/// string. Snippet files keep their own names and are therefore never treated as hashed.
pub fn is_hashed(file_name: &str) -> bool {
    let parts: Vec<&str> = file_name.split('.').collect();
    parts.len() >= 3
        && parts[1..parts.len() - 1].iter().any(|part| {
            part.len() == HASH_LEN
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// Sets `Cache-Control` on successful answers that have none: [`IMMUTABLE`] for hashed files
/// under the pkg dir, [`NO_CACHE`] for its other files and for every HTML page (a page names
/// the bundle of the build that rendered it, so a stale page would load a stale bundle).
pub async fn cache_control(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let pkg_file = path
        .strip_prefix('/')
        .and_then(|p| p.strip_prefix(state.leptos.site_pkg_dir.as_ref()))
        .and_then(|p| p.strip_prefix('/'))
        .map(|p| is_hashed(p.rsplit('/').next().unwrap_or(p)));
    let mut res = next.run(req).await;
    let cacheable = res.status().is_success() || res.status() == StatusCode::NOT_MODIFIED;
    if !cacheable || res.headers().contains_key(CACHE_CONTROL) {
        return res;
    }
    let is_html = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let value = match pkg_file {
        Some(true) => IMMUTABLE,
        Some(false) => NO_CACHE,
        None if is_html => NO_CACHE,
        None => return res,
    };
    res.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static(value));
    res
}

#[cfg(test)]
mod tests {
    use super::is_hashed;

    #[test]
    fn hashed_names_are_recognised() {
        assert!(is_hashed("parley.AbCdEfGhIjKlMnOpQrStU_.wasm"));
        assert!(is_hashed("parley.a-cdefghijklmnopqrstuv.js"));
        assert!(is_hashed("__wasm_split.abcdefghijklmnopqrstuv.js"));
        assert!(!is_hashed("parley.wasm"));
        assert!(!is_hashed("parley_bg.wasm"));
        assert!(
            !is_hashed("abcdefghijklmnopqrstuv.js"),
            "a hash needs a stem"
        );
        assert!(
            !is_hashed("parley.abcdefghijklmnopqrstu.js"),
            "21 characters"
        );
        assert!(
            !is_hashed("parley.abcdefghijklmnopqrst+v.js"),
            "not URL-safe base64"
        );
        assert!(!is_hashed("inline0.js"));
    }
}

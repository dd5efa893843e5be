//! Uploads and downloads (docs/api.md, "Media"):
//! `POST /api/upload` (multipart field `file`) and `GET /media/{key}`.
//!
//! Files are served with the type sniffed at upload, `nosniff`, a CSP that lets nothing in
//! them run (`default-src 'none'; sandbox`, for the case someone opens one as a page),
//! `attachment` for anything a browser should not show inline, byte ranges (audio and
//! video seek with them), and the SHA-256 as a strong `ETag`: a key never changes content,
//! so browsers may keep a file for a year without asking again.

use super::extract::{ApiJson, ApiPath, CurrentUser};
use crate::clock::now_ms;
use crate::error::AppError;
use crate::media::{sniff, MediaError};
use crate::state::AppState;
use app::protocol::upload::UploadResponse;
use axum::body::Body;
use axum::extract::multipart::{MultipartError, MultipartRejection};
use axum::extract::{Multipart, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::headers::{self, HeaderMapExt};
use futures_util::TryStreamExt;
use std::ops::Bound;

/// How a multipart body that could not be read is answered: over the body limit is the
/// file's size, anything else a malformed request.
pub(super) fn body_error(e: MultipartError, max: u64) -> MediaError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        MediaError::TooLarge { max }
    } else {
        MediaError::Body(e.body_text())
    }
}

/// `POST /api/upload` with the file as multipart field `file` -> 201 [`UploadResponse`].
pub async fn upload(
    State(state): State<AppState>,
    me: CurrentUser,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, ApiJson<UploadResponse>), AppError> {
    let max = state.config.media.max_upload_bytes;
    let mut multipart = multipart.map_err(|e| MediaError::Body(e.body_text()))?;
    loop {
        let field = multipart
            .next_field()
            .await
            .map_err(|e| body_error(e, max))?
            .ok_or(MediaError::NoFile)?;
        // Other fields (a seed client's `filetype`, `userid`) are skipped unread.
        if field.name() == Some("file") {
            let body = field.map_err(move |e| body_error(e, max));
            let answer = state.media.upload(me.user.id, body, now_ms()).await?;
            return Ok((StatusCode::CREATED, ApiJson(answer)));
        }
    }
}

/// The one byte range to send, inclusive, or `Err(())` when the `Range` header cannot be
/// satisfied. `Ok(None)`: send the whole file (no `Range`, or several ranges, which the
/// RFC lets a server answer with the whole representation).
fn byte_range(range: &headers::Range, len: u64) -> Result<Option<(u64, u64)>, ()> {
    let specs: Vec<_> = range.satisfiable_ranges(u64::MAX).collect();
    if specs.len() > 1 {
        return Ok(None);
    }
    let Some(&spec) = specs.first() else {
        return Err(());
    };
    if len == 0 {
        return Err(());
    }
    let (start, end) = match spec {
        // A suffix (`bytes=-N`): `satisfiable_ranges` turned it into a start counted back
        // from the length given; redo it with the real length, the whole file when N
        // exceeds it (RFC 9110 14.1.2).
        (Bound::Included(from_max), Bound::Unbounded)
            if range.satisfiable_ranges(len).next().is_none() =>
        {
            let suffix = u64::MAX - from_max;
            if suffix == 0 {
                return Err(());
            }
            (0, len - 1)
        }
        _ => match range.satisfiable_ranges(len).next() {
            Some((Bound::Included(start), Bound::Included(end))) => (start, end.min(len - 1)),
            Some((Bound::Included(start), Bound::Unbounded)) => (start, len - 1),
            _ => return Err(()),
        },
    };
    if start > end || start >= len {
        return Err(());
    }
    Ok(Some((start, end)))
}

/// The answer's headers every status shares: how the file may be cached and what it may do.
fn common_headers(h: &mut HeaderMap, etag: &headers::ETag) {
    h.typed_insert(etag.clone());
    // `private`: the file is only for those allowed to see it, never for a shared cache.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=31536000, immutable"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
}

/// `GET /media/{key}`: the file, to its uploader and to participants of conversations
/// holding a message that points at it (401 signed out, 403 anyone else, 404 no such key).
pub async fn serve(
    State(state): State<AppState>,
    me: CurrentUser,
    // A key that is not valid percent-encoded UTF-8 (`/media/%ff`) is a 400 `{code,msg}`.
    ApiPath(key): ApiPath<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let file = state.media.open(me.user.id, &key).await?;
    let etag: headers::ETag = format!("\"{}\"", file.sha256)
        .parse()
        .map_err(|_| AppError::Internal(format!("{key}: bad stored sha256")))?;
    let mut res = Response::new(Body::empty());
    common_headers(res.headers_mut(), &etag);
    if headers
        .typed_get::<headers::IfNoneMatch>()
        .is_some_and(|inm| !inm.precondition_passes(&etag))
    {
        *res.status_mut() = StatusCode::NOT_MODIFIED;
        return Ok(res);
    }
    // A range of an older version is no use: `If-Range` naming another tag asks for all.
    let range_applies = headers
        .typed_get::<headers::IfRange>()
        .is_none_or(|ir| !ir.is_modified(Some(&etag), None));
    let range = match headers.typed_get::<headers::Range>() {
        Some(r) if range_applies => byte_range(&r, file.size),
        _ => Ok(None),
    };
    let range = match range {
        Ok(r) => r,
        Err(()) => {
            *res.status_mut() = StatusCode::RANGE_NOT_SATISFIABLE;
            res.headers_mut()
                .typed_insert(headers::ContentRange::unsatisfied_bytes(file.size));
            return Ok(res);
        }
    };
    let stream = state
        .media
        .storage()
        .read(&key, range.map(|(start, end)| start..end + 1))
        .await?;
    let h = res.headers_mut();
    let mime = HeaderValue::from_str(&file.mime)
        .map_err(|_| AppError::Internal(format!("{key}: bad stored mime")))?;
    h.insert(header::CONTENT_TYPE, mime);
    let disposition = if sniff::inline(&file.mime) {
        "inline"
    } else {
        "attachment"
    };
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static(disposition),
    );
    let length = match range {
        Some((start, end)) => {
            let content_range = headers::ContentRange::bytes(start..=end, file.size)
                .map_err(|_| AppError::Internal(format!("{key}: bad range")))?;
            h.typed_insert(content_range);
            *res.status_mut() = StatusCode::PARTIAL_CONTENT;
            end - start + 1
        }
        None => file.size,
    };
    res.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    *res.body_mut() = Body::from_stream(stream);
    Ok(res.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(spec: &str) -> headers::Range {
        let mut h = HeaderMap::new();
        h.insert(header::RANGE, HeaderValue::from_str(spec).unwrap());
        h.typed_get().unwrap()
    }

    #[test]
    fn byte_ranges_follow_rfc_9110() {
        assert_eq!(byte_range(&range("bytes=0-9"), 100), Ok(Some((0, 9))));
        assert_eq!(byte_range(&range("bytes=90-"), 100), Ok(Some((90, 99))));
        assert_eq!(byte_range(&range("bytes=50-1000"), 100), Ok(Some((50, 99))));
        assert_eq!(byte_range(&range("bytes=-10"), 100), Ok(Some((90, 99))));
        // A suffix longer than the file is the whole file.
        assert_eq!(byte_range(&range("bytes=-500"), 100), Ok(Some((0, 99))));
        // Several ranges: the whole file (200), as the RFC allows.
        assert_eq!(byte_range(&range("bytes=0-1,5-6"), 100), Ok(None));
        for unsatisfiable in ["bytes=100-", "bytes=100-200", "bytes=-0", "bytes=9-2"] {
            assert_eq!(
                byte_range(&range(unsatisfiable), 100),
                Err(()),
                "{unsatisfiable}"
            );
        }
        assert_eq!(byte_range(&range("bytes=0-0"), 0), Err(()));
    }
}

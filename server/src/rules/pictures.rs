//! Profile pictures (an avatar, a group icon) that are uploads: a `/media/<key>` URL is
//! accepted only for the setter's own picture, which is then published, so every signed-in
//! user may fetch it (docs/api.md "Media"). Outside URLs are checked by their field's rule
//! alone; they are not ours to publish.

use crate::error::AppError;
use crate::store::Store;
use app::error::{ApiError, ErrorCode, Field};
use app::ids::UserId;
use app::protocol::upload::media_key;

/// Publishes `url` as `owner`'s profile picture if it names an upload: 400 `invalid_field`
/// (naming `field`) unless it is a picture `owner` uploaded. Other URLs (outside ones, the
/// empty "none") pass untouched.
pub async fn publish_own(
    store: &Store,
    url: &str,
    owner: UserId,
    field: Field,
) -> Result<(), AppError> {
    let Some(key) = media_key(url) else {
        return Ok(());
    };
    if store.publish_picture(key, owner).await? {
        Ok(())
    } else {
        Err(refused(field).into())
    }
}

/// The refusal of an upload that is not the setter's own picture.
fn refused(field: Field) -> ApiError {
    ApiError::with_msg(
        ErrorCode::InvalidField,
        "Use a picture you uploaded yourself (or an http(s) address).",
    )
    .with_field(field)
}

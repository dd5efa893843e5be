//! Uploads: the row of each stored file (who uploaded it, its sniffed type, size, SHA-256,
//! picture size), and who may fetch it: its uploader, and the participants of every
//! conversation holding a message that points at it (`message_media`, written in the
//! message's own transaction by [`Store::store_message`]); and, once a picture is published
//! as its uploader's avatar or group icon ([`Store::publish_picture`]), every signed-in user.
//! Publishing is never undone: a replaced avatar stays visible, since everyone who looked
//! at the profile was already shown it (and browsers keep a key for a year), and a key
//! still named by an old message, a cached page or a second group would otherwise break.

use super::entities::{group_member, media, message_media};
use super::{Store, StoreError};
use app::ids::UserId;
use app::protocol::Conv;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, Set, TransactionTrait,
};

/// A stored file, as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaRow {
    /// The random storage key (`/media/<key>`).
    pub key: String,
    /// Who uploaded it.
    pub owner: UserId,
    /// The sniffed type.
    pub mime: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the content, lowercase hex.
    pub sha256: String,
    /// Pixel width of an image, orientation applied; 0 for other kinds.
    pub width: u32,
    /// Pixel height, as `width`.
    pub height: u32,
    /// When it was stored, ms since the epoch.
    pub created_at: i64,
}

impl From<media::Model> for MediaRow {
    fn from(m: media::Model) -> MediaRow {
        MediaRow {
            key: m.key,
            owner: UserId(m.owner_id),
            mime: m.mime,
            size: u64::try_from(m.size).unwrap_or(0),
            sha256: m.sha256,
            width: u32::try_from(m.width).unwrap_or(0),
            height: u32::try_from(m.height).unwrap_or(0),
            created_at: m.created_at,
        }
    }
}

impl From<&MediaRow> for media::ActiveModel {
    fn from(m: &MediaRow) -> media::ActiveModel {
        media::ActiveModel {
            key: Set(m.key.clone()),
            owner_id: Set(m.owner.0),
            mime: Set(m.mime.clone()),
            size: Set(i64::try_from(m.size).unwrap_or(i64::MAX)),
            sha256: Set(m.sha256.clone()),
            width: Set(i32::try_from(m.width).unwrap_or(0)),
            height: Set(i32::try_from(m.height).unwrap_or(0)),
            created_at: Set(m.created_at),
            // A new file is its uploader's alone until published.
            published: Set(false),
        }
    }
}

/// Whether a user may fetch a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Access {
    /// No file has this key.
    Missing,
    /// The file exists; this user may not see it.
    Denied,
    /// The file, which this user may see.
    Allowed(MediaRow),
}

/// The most conversations looked at for one file: a file is normally sent once or twice;
/// this bounds the work a file forwarded everywhere could cost.
const MAX_CONVS_CHECKED: u64 = 200;

impl Store {
    /// Records stored files (an upload and its thumbnail) in one transaction: both rows or
    /// neither.
    pub async fn add_media(&self, rows: &[MediaRow]) -> Result<(), StoreError> {
        let txn = self.db.begin().await?;
        for row in rows {
            media::Entity::insert(media::ActiveModel::from(row))
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// The file with this key.
    pub async fn media(&self, key: &str) -> Result<Option<MediaRow>, StoreError> {
        Ok(media::Entity::find_by_id(key.to_owned())
            .one(&self.db)
            .await?
            .map(MediaRow::from))
    }

    /// True when every one of `keys` is a file `owner` uploaded.
    pub async fn media_all_owned_by(
        &self,
        keys: &[&str],
        owner: UserId,
    ) -> Result<bool, StoreError> {
        if keys.is_empty() {
            return Ok(true);
        }
        let mut distinct: Vec<&str> = keys.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        let owned = media::Entity::find()
            .filter(media::Column::Key.is_in(distinct.iter().copied()))
            .filter(media::Column::OwnerId.eq(owner.0))
            .count(&self.db)
            .await?;
        Ok(owned == distinct.len() as u64)
    }

    /// Publishes the picture `key` as a profile picture (an avatar or a group icon), so any
    /// signed-in user may fetch it; only `owner`'s own picture (an `image/` type) may be.
    /// True when it is now published (already being so is fine); false, and nothing
    /// changed, when there is no such file, it is someone else's, or it is not a picture.
    pub async fn publish_picture(&self, key: &str, owner: UserId) -> Result<bool, StoreError> {
        let Some(file) = media::Entity::find_by_id(key.to_owned())
            .one(&self.db)
            .await?
        else {
            return Ok(false);
        };
        if file.owner_id != owner.0 || !file.mime.starts_with("image/") {
            return Ok(false);
        }
        if !file.published {
            // Owner and type never change, so checking above and setting here cannot race
            // with anything that would make the answer wrong.
            media::Entity::update_many()
                .col_expr(media::Column::Published, Expr::value(true))
                .filter(media::Column::Key.eq(key))
                .exec(&self.db)
                .await?;
        }
        Ok(true)
    }

    /// Whether `viewer` may fetch the file `key`: its uploader may, and every signed-in user
    /// once it is published (an avatar or group icon); so may a participant of a
    /// conversation holding a message that points at it (both sides of a 1:1, the current
    /// members of a group). At most three indexed queries.
    pub async fn media_access(&self, key: &str, viewer: UserId) -> Result<Access, StoreError> {
        let Some(file) = media::Entity::find_by_id(key.to_owned())
            .one(&self.db)
            .await?
        else {
            return Ok(Access::Missing);
        };
        let published = file.published;
        let row = MediaRow::from(file);
        if row.owner == viewer || published {
            return Ok(Access::Allowed(row));
        }
        let convs: Vec<String> = message_media::Entity::find()
            .select_only()
            .column(message_media::Column::Conv)
            .distinct()
            .filter(message_media::Column::MediaKey.eq(key))
            .limit(MAX_CONVS_CHECKED)
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut groups = Vec::new();
        for conv in convs.iter().filter_map(|c| Conv::parse(c)) {
            match conv {
                Conv::Private { low, high } if low == viewer || high == viewer => {
                    return Ok(Access::Allowed(row));
                }
                Conv::Private { .. } => {}
                Conv::Group(g) => groups.push(g.0),
            }
        }
        if !groups.is_empty() {
            let member = group_member::Entity::find()
                .filter(group_member::Column::UserId.eq(viewer.0))
                .filter(group_member::Column::GroupId.is_in(groups))
                .count(&self.db)
                .await?;
            if member > 0 {
                return Ok(Access::Allowed(row));
            }
        }
        Ok(Access::Denied)
    }
}

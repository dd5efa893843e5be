//! Notices: the record of a social change for each user it concerns, written in the
//! change's own transaction and read back for catch-up (`GET /api/notices`).

use super::entities::notice;
use super::{Store, StoreError};
use app::ids::UserId;
use app::protocol::{Group, NoticeNames, User};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

/// What a notice is about; stored and sent (in `memo`) as its snake_case name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NoticeKind {
    /// Two users became friends.
    FriendAdded,
    /// A friendship ended.
    FriendRemoved,
    /// Someone joined a group.
    MemberJoined,
    /// Someone left a group.
    MemberLeft,
    /// A group changed hands.
    OwnerChanged,
    /// A group was dissolved.
    GroupDissolved,
    /// A group's owner let its members pin messages.
    MembersMayPin,
    /// A group's owner took back pinning for themselves.
    OnlyOwnerPins,
    /// Someone asked to be a friend (told to both: the list of each changes).
    FriendRequest,
    /// I declined a request (told only to my own devices).
    RequestDeclined,
    /// A request was withdrawn by its asker.
    RequestWithdrawn,
    /// I blocked someone (told only to my own devices).
    Blocked,
    /// I unblocked someone (told only to my own devices).
    Unblocked,
}

impl NoticeKind {
    const ALL: [NoticeKind; 13] = [
        NoticeKind::FriendAdded,
        NoticeKind::FriendRemoved,
        NoticeKind::MemberJoined,
        NoticeKind::MemberLeft,
        NoticeKind::OwnerChanged,
        NoticeKind::GroupDissolved,
        NoticeKind::MembersMayPin,
        NoticeKind::OnlyOwnerPins,
        NoticeKind::FriendRequest,
        NoticeKind::RequestDeclined,
        NoticeKind::RequestWithdrawn,
        NoticeKind::Blocked,
        NoticeKind::Unblocked,
    ];

    /// The name as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::FriendAdded => "friend_added",
            NoticeKind::FriendRemoved => "friend_removed",
            NoticeKind::MemberJoined => "member_joined",
            NoticeKind::MemberLeft => "member_left",
            NoticeKind::OwnerChanged => "owner_changed",
            NoticeKind::GroupDissolved => "group_dissolved",
            NoticeKind::MembersMayPin => "members_may_pin",
            NoticeKind::OnlyOwnerPins => "only_owner_pins",
            NoticeKind::FriendRequest => "friend_request",
            NoticeKind::RequestDeclined => "request_declined",
            NoticeKind::RequestWithdrawn => "request_withdrawn",
            NoticeKind::Blocked => "blocked",
            NoticeKind::Unblocked => "unblocked",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<NoticeKind> {
        NoticeKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A change as the rules word it: what happened, to whom it is told, who did it, and the
/// other person or the group it concerns.
#[derive(Clone, Copy, Debug)]
pub struct Event<'a> {
    /// What happened.
    pub kind: NoticeKind,
    /// Who is told.
    pub to: UserId,
    /// Who did it.
    pub actor: &'a User,
    /// The other person (a friendship's other side, a group's new owner).
    pub peer: Option<&'a User>,
    /// The group concerned.
    pub group: Option<&'a Group>,
}

impl Event<'_> {
    /// Who and what the event names, for a browser to word it in its reader's language.
    pub fn names(&self) -> NoticeNames {
        NoticeNames {
            actor_id: self.actor.id.0,
            actor: self.actor.nickname.clone(),
            peer_id: self.peer.map_or(0, |p| p.id.0),
            peer: self.peer.map(|p| p.nickname.clone()).unwrap_or_default(),
            group: self.group.map(|g| g.name.clone()).unwrap_or_default(),
        }
    }
}

/// How the rules word a notice. The store calls it once per recipient inside the change's
/// transaction, so the words are stored with the change and never depend on a later read.
pub type Wording = fn(&Event<'_>) -> String;

/// A recorded social event for one user (delivered later as a cmd 12 notice).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// Increasing id (delivery cursor).
    pub id: i64,
    /// Who is told.
    pub user: UserId,
    /// What happened.
    pub kind: NoticeKind,
    /// Human-readable text.
    pub content: String,
    /// The conversation concerned, if any.
    pub conv: Option<String>,
    /// When it happened, ms since the epoch.
    pub ts: i64,
    /// Who and what it names; `None` for notices recorded before names were kept.
    pub names: Option<NoticeNames>,
}

/// The result of a change plus the notices it recorded, for the caller to deliver live
/// once the transaction has committed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Noticed<T> {
    /// What the change returns.
    pub value: T,
    /// Who must be told what.
    pub notices: Vec<Notice>,
}

/// Records `event` for each of `users`, worded by `word` for each; returns the notices with
/// their ids (the catch-up cursor a client keeps).
pub(super) async fn notify(
    txn: &DatabaseTransaction,
    users: impl IntoIterator<Item = UserId>,
    event: Event<'_>,
    word: Wording,
    conv: Option<String>,
    now_ms: i64,
) -> Result<Vec<Notice>, StoreError> {
    let mut told = Vec::new();
    let names = serde_json::to_string(&event.names())
        .map_err(|e| StoreError::Inconsistent(format!("notice names: {e}")))?;
    // One insert per row: a multi-row insert does not report every id on every backend.
    for to in users {
        let row = notice::ActiveModel {
            user_id: Set(to.0),
            kind: Set(event.kind.as_str().to_owned()),
            content: Set(word(&Event { to, ..event })),
            conv: Set(conv.clone()),
            created_at: Set(now_ms),
            names: Set(Some(names.clone())),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        told.push(Notice::try_from(row)?);
    }
    Ok(told)
}

impl TryFrom<notice::Model> for Notice {
    type Error = StoreError;

    fn try_from(n: notice::Model) -> Result<Notice, StoreError> {
        let kind = NoticeKind::parse(&n.kind).ok_or_else(|| {
            StoreError::Inconsistent(format!("notice {}: unknown kind {:?}", n.id, n.kind))
        })?;
        Ok(Notice {
            id: n.id,
            user: UserId(n.user_id),
            kind,
            content: n.content,
            conv: n.conv,
            ts: n.created_at,
            // Unreadable names only cost the translation: the stored words still show.
            names: n.names.and_then(|j| serde_json::from_str(&j).ok()),
        })
    }
}

impl Store {
    /// `user`'s notices with an id above `after`, oldest first, at most `limit`.
    pub async fn notices(
        &self,
        user: UserId,
        after: i64,
        limit: u64,
    ) -> Result<Vec<Notice>, StoreError> {
        let rows = notice::Entity::find()
            .filter(notice::Column::UserId.eq(user.0))
            .filter(notice::Column::Id.gt(after))
            .order_by_asc(notice::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?;
        rows.into_iter().map(Notice::try_from).collect()
    }

    /// `user`'s notices about `conv` recorded at `since_ms` or later, in id order: the
    /// newest `limit` of them, or with `oldest` the first `limit`.
    pub async fn conv_notices(
        &self,
        user: UserId,
        conv: &str,
        since_ms: i64,
        oldest: bool,
        limit: u64,
    ) -> Result<Vec<Notice>, StoreError> {
        let query = notice::Entity::find()
            .filter(notice::Column::UserId.eq(user.0))
            .filter(notice::Column::Conv.eq(conv))
            .filter(notice::Column::CreatedAt.gte(since_ms));
        let query = if oldest {
            query.order_by_asc(notice::Column::Id)
        } else {
            query.order_by_desc(notice::Column::Id)
        };
        let mut rows = query.limit(limit).all(&self.db).await?;
        rows.sort_by_key(|n| n.id);
        rows.into_iter().map(Notice::try_from).collect()
    }

    /// Deletes notices recorded before `before_ms`; returns how many.
    pub async fn prune_notices(&self, before_ms: i64) -> Result<u64, StoreError> {
        let res = notice::Entity::delete_many()
            .filter(notice::Column::CreatedAt.lt(before_ms))
            .exec(&self.db)
            .await?;
        Ok(res.rows_affected)
    }
}

//! People on their own terms (docs/api.md, "Requests, blocks and reports"): a friendship
//! needs the other side's yes, anyone can be blocked or reported, and who may ask or find me
//! is my choice. REST handlers, server functions and the seed dialect call these methods.

use super::social::{notice_frame, word};
use crate::clock::now_ms;
use crate::config::PeopleRules;
use crate::delivery::Delivery;
use crate::error::AppError;
use crate::rules::throttle::{current_client, RateLimit};
use crate::store::notices::Noticed;
use crate::store::reports::NewReport;
use crate::store::requests::{Ask, Asked};
use crate::store::Store;
use app::error::{ApiError, ErrorCode, Field};
use app::ids::{GroupId, Seq, UserId};
use app::protocol::event::AccountPart;
use app::protocol::frame::{Cmd, Frame};
use app::protocol::people::{
    blocked_error, normalize_note, normalize_reason, normalize_status, FriendRequests, Privacy,
    PrivacyChange, Report, ReportRequest, RequestOutcome, RequestsFrom,
};
use app::protocol::{normalize_avatar, normalize_nickname, Conv, Friend, UpdateMeRequest, User};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// Most users a search lists.
pub const SEARCH_LIMIT: u64 = 20;
/// Most reports an admin reads at once.
pub const REPORTS_PAGE: u64 = 50;
/// Longest excerpt of a reported message kept with the report, in characters.
const EXCERPT_CHARS: usize = 1000;
/// Settings changes (privacy, profile) allowed per user per minute.
pub const SETTINGS_PER_MINUTE: u32 = 20;
/// How many users behind one address share a budget before it binds.
const ADDR_FACTOR: u32 = 10;

/// The friend-request, block and report service.
#[derive(Clone)]
pub struct People {
    store: Store,
    delivery: Delivery,
    rules: Arc<PeopleRules>,
    per_user: Arc<RateLimit<UserId>>,
    per_addr: Arc<RateLimit<IpAddr>>,
    /// Privacy changes per user and per address per minute.
    settings_per_user: Arc<RateLimit<UserId>>,
    settings_per_addr: Arc<RateLimit<IpAddr>>,
}

fn no_such_user() -> AppError {
    ApiError::with_msg(ErrorCode::NotFound, "No such user.").into()
}

impl People {
    /// Builds the service with the configured rules.
    pub fn new(store: Store, delivery: Delivery, rules: PeopleRules) -> People {
        let hour = Duration::from_secs(3600);
        let minute = Duration::from_secs(60);
        People {
            store,
            delivery,
            per_user: Arc::new(RateLimit::new(rules.per_hour, hour)),
            per_addr: Arc::new(RateLimit::new(
                rules.per_hour.saturating_mul(ADDR_FACTOR),
                hour,
            )),
            settings_per_user: Arc::new(RateLimit::new(SETTINGS_PER_MINUTE, minute)),
            settings_per_addr: Arc::new(RateLimit::new(
                SETTINGS_PER_MINUTE.saturating_mul(ADDR_FACTOR),
                minute,
            )),
            rules: Arc::new(rules),
        }
    }

    /// Whether the seed dialect's "add friend" befriends at once.
    pub fn friends_without_consent(&self) -> bool {
        self.rules.friends_without_consent
    }

    /// Counts one request, block or report against my hourly budgets: 429
    /// `too_many_actions` past either.
    fn spend(&self, me: UserId) -> Result<(), AppError> {
        let addr = current_client().addr;
        if self.per_user.hit(me).is_err() || addr.is_some_and(|a| self.per_addr.hit(a).is_err()) {
            return Err(AppError::code(ErrorCode::TooManyActions));
        }
        Ok(())
    }

    /// Delivers a change's notices to whoever is online; they stay recorded for the rest.
    fn announce<T>(&self, change: Noticed<T>) -> T {
        for n in &change.notices {
            self.delivery.publish(&[n.user], &notice_frame(n), None);
        }
        change.value
    }

    /// A live account other than me: 400 for myself, 404 for nobody (or a deleted account).
    async fn other(&self, me: &User, id: UserId) -> Result<User, AppError> {
        if me.id == id {
            return Err(AppError::code(ErrorCode::CannotFriendSelf));
        }
        self.store.live_user(id).await?.ok_or_else(no_such_user)
    }

    /// Asks `peer` to be my friend, with an optional note. Answers `Pending` (also when
    /// they declined, or ignore me, or blocked me: I learn nothing more), or `Friends` when
    /// they had asked me first. 403 `blocked` when I blocked them, 403 `requests_closed`
    /// when their setting refuses me, 409 when we are friends, 429 past my budget.
    pub async fn ask(
        &self,
        me: &User,
        peer: UserId,
        note: Option<&str>,
    ) -> Result<RequestOutcome, AppError> {
        let note = normalize_note(note.unwrap_or(""))?;
        let other = self.other(me, peer).await?;
        let (i_blocked, they_blocked) = self.store.blocks_between(me.id, peer).await?;
        if i_blocked {
            return Err(blocked_error(true).into());
        }
        let now = now_ms();
        // Their setting decides whether I may ask, unless they asked me first (then my
        // asking is a yes to them, which their setting does not govern).
        let they_asked = self
            .store
            .friend_requests(me.id, now)
            .await?
            .incoming
            .iter()
            .any(|r| r.user.id == peer);
        if !they_asked && !they_blocked {
            let open = match self.store.privacy(peer).await?.requests_from {
                RequestsFrom::Everyone => true,
                RequestsFrom::Groups => self.store.share_a_group(me.id, peer).await?,
                RequestsFrom::Nobody => false,
            };
            if !open {
                return Err(AppError::code(ErrorCode::RequestsClosed));
            }
        }
        self.spend(me.id)?;
        let ttl = i64::try_from(self.rules.request_ttl.as_millis()).unwrap_or(i64::MAX);
        let ask = Ask {
            note,
            expires_at: now.saturating_add(ttl),
            silent: they_blocked,
        };
        let asked = self.announce(self.store.ask_friend(me, &other, ask, word, now).await?);
        tracing::info!(user = %me.id, peer = %peer, ?asked, "friend request");
        Ok(match asked {
            Asked::Friends => RequestOutcome::Friends {
                friend: Friend {
                    online: self.delivery.is_online(other.id),
                    last_seen: 0,
                    user: other,
                },
            },
            Asked::Requested | Asked::AlreadyPending => RequestOutcome::Pending,
        })
    }

    /// Accepts `asker`'s request: we are friends (also when we already were, so a second
    /// tab's accept answers the same). 404 when there is no such request.
    pub async fn accept(&self, me: &User, asker: UserId) -> Result<Friend, AppError> {
        let other = self.other(me, asker).await?;
        self.announce(
            self.store
                .accept_request(me, &other, word, now_ms())
                .await?,
        );
        tracing::info!(user = %me.id, peer = %asker, "friend request accepted");
        Ok(Friend {
            online: self.delivery.is_online(other.id),
            last_seen: 0,
            user: other,
        })
    }

    /// Declines `asker`'s request; the asker is not told.
    pub async fn decline(&self, me: &User, asker: UserId) -> Result<(), AppError> {
        let other = self.other(me, asker).await?;
        self.announce(
            self.store
                .decline_request(me, &other, word, now_ms())
                .await?,
        );
        Ok(())
    }

    /// Withdraws my request to `to`.
    pub async fn withdraw(&self, me: &User, to: UserId) -> Result<(), AppError> {
        let other = self.other(me, to).await?;
        self.announce(
            self.store
                .withdraw_request(me, &other, word, now_ms())
                .await?,
        );
        Ok(())
    }

    /// The requests waiting for me and mine still pending.
    pub async fn requests(&self, me: UserId) -> Result<FriendRequests, AppError> {
        Ok(self.store.friend_requests(me, now_ms()).await?)
    }

    /// Blocks `other`: no messages, requests, presence or typing between us, and they no
    /// longer find me. Ends our friendship. Blocking twice changes nothing.
    pub async fn block(&self, me: &User, other: UserId) -> Result<(), AppError> {
        let other = self.other(me, other).await?;
        self.spend(me.id)?;
        self.announce(self.store.block(me, &other, word, now_ms()).await?);
        tracing::info!(user = %me.id, peer = %other.id, "blocked");
        Ok(())
    }

    /// Lifts my block on `other`.
    pub async fn unblock(&self, me: &User, other: UserId) -> Result<(), AppError> {
        let other = self.other(me, other).await?;
        self.announce(self.store.unblock(me, &other, word, now_ms()).await?);
        tracing::info!(user = %me.id, peer = %other.id, "unblocked");
        Ok(())
    }

    /// The people I blocked.
    pub async fn blocked(&self, me: UserId) -> Result<Vec<User>, AppError> {
        Ok(self.store.blocked_users(me).await?)
    }

    /// A person's profile as `me` may see it (a contact card's sheet): 404 for nobody, and
    /// for someone who blocked me.
    pub async fn profile(&self, me: UserId, id: UserId) -> Result<User, AppError> {
        let user = self.store.user(id).await?.ok_or_else(no_such_user)?;
        // Whoever blocked me is as unfindable here as in search; whom I blocked I still
        // see, to unblock them.
        let (_, they_blocked_me) = self.store.blocks_between(me, id).await?;
        if they_blocked_me && me != id {
            return Err(no_such_user());
        }
        Ok(user)
    }

    /// Whom `q` finds for `me` (docs/api.md, "Accounts").
    pub async fn search(&self, me: UserId, q: &str) -> Result<Vec<User>, AppError> {
        let q = q.trim();
        if q.is_empty() || q.chars().count() > 64 {
            return Err(ApiError::invalid(Field::Q).into());
        }
        let hidden = self.store.block_partners(me).await?;
        Ok(self.store.search_users(q, &hidden, SEARCH_LIMIT).await?)
    }

    /// My privacy settings.
    pub async fn privacy(&self, me: UserId) -> Result<Privacy, AppError> {
        Ok(self.store.privacy(me).await?)
    }

    /// Changes my privacy settings: at most [`SETTINGS_PER_MINUTE`] changes a minute per
    /// user (ten times that per address), then 429 `too_many_actions`.
    pub async fn set_privacy(
        &self,
        me: UserId,
        change: PrivacyChange,
    ) -> Result<Privacy, AppError> {
        self.settings_budget(me)?;
        let stored = self.store.set_privacy(me, change).await?;
        // My other tabs and devices show the settings too.
        self.delivery
            .publish(&[me], &AccountPart::Privacy.frame(), None);
        Ok(stored)
    }

    /// Changes my nickname, avatar and/or status line (the same budget as privacy changes),
    /// and tells everyone who sees them (my devices, friends, groups' members) at once, on
    /// every node. An uploaded avatar must be my own picture, and is then published (see
    /// [`super::pictures`]). Nothing is stored for offline clients: they read profiles
    /// afresh when they connect.
    pub async fn update_profile(&self, me: UserId, req: UpdateMeRequest) -> Result<User, AppError> {
        let nickname = req
            .nickname
            .as_deref()
            .map(normalize_nickname)
            .transpose()?;
        let avatar = req.avatar.as_deref().map(normalize_avatar).transpose()?;
        let status = req.status.as_deref().map(normalize_status).transpose()?;
        self.settings_budget(me)?;
        if let Some(url) = &avatar {
            super::pictures::publish_own(&self.store, url, me, Field::Avatar).await?;
        }
        let user = self
            .store
            .update_profile(me, nickname, avatar, status)
            .await?
            .ok_or_else(|| AppError::code(ErrorCode::Unauthorized))?;
        let audience = self.store.profile_audience(me).await?;
        let frame = Frame {
            cmd: Cmd::Profile.code(),
            userid: user.id.0,
            memo: user.nickname.clone(),
            pic: user.avatar.clone(),
            content: user.status.clone(),
            ..Frame::default()
        };
        self.delivery.publish(&audience, &frame, None);
        Ok(user)
    }

    /// Spends one settings change of `me` (and of their address): 429
    /// `too_many_actions` past [`SETTINGS_PER_MINUTE`] a minute.
    fn settings_budget(&self, me: UserId) -> Result<(), AppError> {
        let addr = current_client().addr;
        if self.settings_per_user.hit(me).is_err()
            || addr.is_some_and(|a| self.settings_per_addr.hit(a).is_err())
        {
            return Err(AppError::code(ErrorCode::TooManyActions));
        }
        Ok(())
    }

    /// Reports a user, or one of their messages I can read; returns the report's id. The
    /// message's text is kept with the report (it may be edited or recalled later).
    pub async fn report(&self, me: &User, req: ReportRequest) -> Result<i64, AppError> {
        let reason = normalize_reason(&req.reason)?;
        if req.user_id == me.id {
            return Err(ApiError::invalid(Field::UserId).into());
        }
        self.store
            .user(req.user_id)
            .await?
            .ok_or_else(no_such_user)?;
        let (conv, seq, excerpt) = match (req.conv.as_deref(), req.seq) {
            (None, None) => (String::new(), 0, String::new()),
            (Some(key), Some(seq)) => {
                let conv = Conv::parse(key).ok_or_else(|| AppError::code(ErrorCode::NotFound))?;
                self.may_read(me.id, conv).await?;
                let message = self
                    .store
                    .message_at(conv, Seq(seq))
                    .await?
                    .filter(|m| m.sender == req.user_id)
                    .ok_or_else(|| {
                        AppError::from(ApiError::with_msg(ErrorCode::NotFound, "No such message."))
                    })?;
                let text = [message.body.content.as_str(), message.body.url.as_str()]
                    .into_iter()
                    .filter(|t| !t.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ");
                (
                    key.to_owned(),
                    seq,
                    text.chars().take(EXCERPT_CHARS).collect(),
                )
            }
            _ => {
                return Err(ApiError::with_msg(
                    ErrorCode::InvalidBody,
                    "A message is named by both `conv` and `seq`.",
                )
                .into())
            }
        };
        self.spend(me.id)?;
        let id = self
            .store
            .create_report(
                NewReport {
                    reporter: me.id,
                    user: req.user_id,
                    conv,
                    seq,
                    reason,
                    excerpt,
                },
                now_ms(),
            )
            .await?;
        tracing::info!(user = %me.id, reported = %req.user_id, report = id, "reported");
        Ok(id)
    }

    /// 403 unless `me` may read `conv` (a side of the 1:1, a member of the group).
    async fn may_read(&self, me: UserId, conv: Conv) -> Result<(), AppError> {
        let ok = match conv {
            Conv::Private { .. } => conv.peer_of(me).is_some(),
            Conv::Group(g) => self.member(g, me).await?,
        };
        if ok {
            Ok(())
        } else {
            Err(AppError::code(ErrorCode::Forbidden))
        }
    }

    async fn member(&self, g: GroupId, me: UserId) -> Result<bool, AppError> {
        Ok(self.store.membership(g, me).await?.is_some())
    }

    /// Whether `me` is one of the site's admins (`PARLEY_ADMINS`).
    pub fn is_admin(&self, me: &User) -> bool {
        let key = me.username.to_lowercase();
        self.rules.admins.contains(&key)
    }

    /// The newest reports below `before`, for the site's admins only (403 for anyone else).
    pub async fn reports(&self, me: &User, before: Option<i64>) -> Result<Vec<Report>, AppError> {
        if !self.is_admin(me) {
            return Err(AppError::code(ErrorCode::Forbidden));
        }
        Ok(self
            .store
            .reports(before.unwrap_or(i64::MAX), REPORTS_PAGE)
            .await?)
    }

    /// Deletes friend requests that lapsed (run periodically).
    pub async fn prune(&self) -> Result<u64, AppError> {
        Ok(self.store.prune_requests(now_ms()).await?)
    }
}

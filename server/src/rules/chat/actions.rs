//! Actions on messages (cmd 17 and `POST /api/conversations/{conv}/actions`): who may do
//! what, then the same road as a message. [`Chat::submit_action`] checks the rate, that the
//! actor takes part in the conversation, the emoji of a reaction and the actor's standing
//! (a group's owner moderates; pinning may be the owner's alone), and queues the action for
//! the writer, which stores it with its own seq and delivers it. The store checks the rest
//! against the target's row inside the transaction (sender, windows, recalled).
//!
//! Hiding a message for oneself is not an event of the conversation: it is stored at once
//! and told to the actor's own devices only.

use super::frames::{event_ack, event_frame};
use super::Chat;
use crate::clock::now_ms;
use crate::delivery::outlet::ConnId;
use crate::error::AppError;
use crate::store::actions::{Acted, NewAction, Rights, StoredEvent};
use app::error::{ApiError, ErrorCode};
use app::ids::UserId;
use app::protocol::action::{Act, Action};
use app::protocol::frame::{Cmd, Frame};
use app::protocol::people::blocked_error;
use app::protocol::{Conv, User};
use std::future::Future;
use std::net::IpAddr;

/// What an action did.
#[derive(Clone, Debug)]
pub struct ActDone {
    /// The stored event (`None` for hiding, which has none).
    pub event: Option<StoredEvent>,
    /// True when this call stored it (`false` for a resent cid).
    pub new: bool,
}

impl ActDone {
    /// The ack for the actor's socket; hiding is answered by the hide frame itself.
    pub fn ack(&self) -> Option<Frame> {
        self.event.as_ref().map(event_ack)
    }

    /// The event as every participant receives it.
    pub fn frame(&self) -> Option<Frame> {
        self.event.as_ref().map(event_frame)
    }
}

/// The frame that tells my devices I hid a message (no seq: it is nobody else's).
fn hide_frame(me: UserId, conv: Conv, action: &Action) -> Frame {
    Frame {
        cmd: Cmd::Action.code(),
        userid: me.0,
        conv: conv.key(),
        act: Act::Hide.as_str().to_owned(),
        target: action.target.0,
        cid: action.cid.to_string(),
        ..Frame::default()
    }
}

/// Whether `s` is exactly one emoji (any Unicode emoji, with skin tone or as a ZWJ
/// sequence), the only thing a reaction may be.
pub fn is_one_emoji(s: &str) -> bool {
    emojis::get(s).is_some()
}

impl Chat {
    /// Does `action` as `me` (the session's user): stores and delivers it, and answers once
    /// it is stored; see [`Chat::submit_action`].
    pub async fn act(
        &self,
        me: &User,
        addr: Option<IpAddr>,
        origin: Option<ConnId>,
        action: Action,
    ) -> Result<ActDone, AppError> {
        self.submit_action(me, addr, origin, action).await?.await
    }

    /// The first half of [`Chat::act`]: checks and queues, in call order, so a connection
    /// can have several actions in flight; the future resolves once stored (or refused).
    pub async fn submit_action(
        &self,
        me: &User,
        addr: Option<IpAddr>,
        origin: Option<ConnId>,
        action: Action,
    ) -> Result<impl Future<Output = Result<ActDone, AppError>> + Send + 'static, AppError> {
        if self.per_user.hit(me.id).is_err() || addr.is_some_and(|a| self.per_addr.hit(a).is_err())
        {
            return Err(AppError::code(ErrorCode::TooManyActions));
        }
        let conv = action.conv;
        let recipients = self.participants(me.id, conv).await?;
        if action.act == Act::Hide {
            self.store.hide(conv, me.id, action.target).await?;
            // Every device of mine, this one too: the frame is the answer.
            self.delivery
                .publish(&[me.id], &hide_frame(me.id, conv, &action), None);
            return Ok(futures_util::future::Either::Left(async {
                Ok(ActDone {
                    event: None,
                    new: true,
                })
            }));
        }
        if matches!(action.act, Act::React | Act::Unreact) && !is_one_emoji(&action.content) {
            return Err(ApiError::with_msg(
                ErrorCode::InvalidPayload,
                "A reaction is exactly one emoji.",
            )
            .into());
        }
        // Across a block, nothing more reaches the other side of a 1:1 but a recall (which
        // only takes content away); hiding for oneself is handled above. Friends cannot be
        // blocked, so the cached friend list spares them the query.
        if action.act != Act::Recall {
            if let Some(peer) = conv.peer_of(me.id) {
                if !self.store.friend_set(me.id).await?.contains(&peer) {
                    match self.store.blocks_between(me.id, peer).await? {
                        (true, _) => return Err(blocked_error(true).into()),
                        (_, true) => return Err(blocked_error(false).into()),
                        _ => {}
                    }
                }
            }
        }
        let rights = self.rights(me.id, conv).await?;
        let new = NewAction {
            conv,
            actor: me.id,
            cid: action.cid,
            act: action.act,
            target: action.target,
            content: action.content,
            now_ms: now_ms(),
            rights,
        };
        let answer = self
            .writer
            .submit_action(new, recipients, origin)
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let storage = self.storage.clone();
        Ok(futures_util::future::Either::Right(async move {
            let acted = answer
                .await
                .map_err(|_| AppError::Internal("the message writer dropped an action".into()))??;
            Ok(match acted {
                Acted::New { event, freed_media } => {
                    if !freed_media.is_empty() {
                        // The rows are gone with the commit; the files follow. A failure
                        // leaves an orphan file nothing names, logged by `delete`.
                        tokio::spawn(async move { storage.delete(&freed_media).await });
                    }
                    ActDone {
                        event: Some(event),
                        new: true,
                    }
                }
                Acted::Duplicate(event) => ActDone {
                    event: Some(event),
                    new: false,
                },
            })
        }))
    }

    /// What `me` may do in `conv` beyond their own messages.
    async fn rights(&self, me: UserId, conv: Conv) -> Result<Rights, AppError> {
        let ms = |d: std::time::Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        let mut rights = Rights {
            edit_window_ms: ms(self.limits.edit_window),
            recall_window_ms: ms(self.limits.recall_window),
            moderator: false,
            may_pin: true,
        };
        if let Conv::Group(g) = conv {
            let group = self
                .store
                .group(g)
                .await?
                .ok_or(AppError::code(ErrorCode::NotFound))?;
            rights.moderator = group.owner_id == me;
            rights.may_pin = rights.moderator || group.members_can_pin;
        }
        Ok(rights)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reaction_is_exactly_one_emoji() {
        for ok in ["👍", "❤️", "👍🏽", "👨‍👩‍👧", "🇨🇳", "😀"] {
            assert!(is_one_emoji(ok), "{ok}");
        }
        for bad in ["", "a", "👍👍", "👍 ", ":+1:", "<b>", "1"] {
            assert!(!is_one_emoji(bad), "{bad:?}");
        }
    }
}

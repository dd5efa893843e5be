//! Friend request, block, report and privacy server functions. Each one authenticates the
//! caller and makes exactly one [`PeopleApi`](super::backend::PeopleApi) call.
// `#[server]` turns each signature into an argument struct whose fields cannot carry docs.
#![allow(missing_docs)]

#[cfg(feature = "ssr")]
use crate::api::backend::as_user;
use crate::error::ApiError;
use crate::ids::UserId;
use crate::protocol::people::{
    FriendRequests, Privacy, PrivacyChange, ReportRequest, RequestOutcome,
};
use crate::protocol::{Friend, User};
use leptos::prelude::*;

/// Whom `q` finds (an exact username, or part of a discoverable person's name).
#[server(prefix = "/sfn", endpoint = "search_users")]
pub async fn search_users(q: String) -> Result<Vec<User>, ApiError> {
    as_user(move |b, me| async move { b.search_users(me.id, &q).await }).await
}

/// Asks `user_id` to be my friend, with a note.
#[server(prefix = "/sfn", endpoint = "ask_friend")]
pub async fn ask_friend(user_id: UserId, note: Option<String>) -> Result<RequestOutcome, ApiError> {
    as_user(move |b, me| async move { b.ask_friend(me.id, user_id, note).await }).await
}

/// The requests waiting for me and mine still pending.
#[server(prefix = "/sfn", endpoint = "list_requests")]
pub async fn list_requests() -> Result<FriendRequests, ApiError> {
    as_user(|b, me| async move { b.friend_requests(me.id).await }).await
}

/// Accepts `user_id`'s request.
#[server(prefix = "/sfn", endpoint = "accept_request")]
pub async fn accept_request(user_id: UserId) -> Result<Friend, ApiError> {
    as_user(move |b, me| async move { b.accept_request(me.id, user_id).await }).await
}

/// Declines `user_id`'s request.
#[server(prefix = "/sfn", endpoint = "decline_request")]
pub async fn decline_request(user_id: UserId) -> Result<(), ApiError> {
    as_user(move |b, me| async move { b.decline_request(me.id, user_id).await }).await
}

/// Withdraws my request to `user_id`.
#[server(prefix = "/sfn", endpoint = "withdraw_request")]
pub async fn withdraw_request(user_id: UserId) -> Result<(), ApiError> {
    as_user(move |b, me| async move { b.withdraw_request(me.id, user_id).await }).await
}

/// Blocks `user_id`.
#[server(prefix = "/sfn", endpoint = "block_user")]
pub async fn block_user(user_id: UserId) -> Result<(), ApiError> {
    as_user(move |b, me| async move { b.block(me.id, user_id).await }).await
}

/// Unblocks `user_id`.
#[server(prefix = "/sfn", endpoint = "unblock_user")]
pub async fn unblock_user(user_id: UserId) -> Result<(), ApiError> {
    as_user(move |b, me| async move { b.unblock(me.id, user_id).await }).await
}

/// The people I blocked.
#[server(prefix = "/sfn", endpoint = "blocked_users")]
pub async fn blocked_users() -> Result<Vec<User>, ApiError> {
    as_user(|b, me| async move { b.blocked(me.id).await }).await
}

/// Reports a user, or one of their messages.
#[server(prefix = "/sfn", endpoint = "report")]
pub async fn report(req: ReportRequest) -> Result<i64, ApiError> {
    as_user(move |b, me| async move { b.report(me.id, req).await }).await
}

/// My privacy settings.
#[server(prefix = "/sfn", endpoint = "my_privacy")]
pub async fn my_privacy() -> Result<Privacy, ApiError> {
    as_user(|b, me| async move { b.privacy(me.id).await }).await
}

/// A person's profile (a contact card's sheet).
#[server(prefix = "/sfn", endpoint = "user_profile")]
pub async fn user_profile(id: UserId) -> Result<User, ApiError> {
    as_user(move |b, me| async move { b.profile(me.id, id).await }).await
}

/// Changes my nickname, avatar or status line (`None` leaves one as it is).
#[server(prefix = "/sfn", endpoint = "update_profile")]
pub async fn update_profile(
    nickname: Option<String>,
    avatar: Option<String>,
    status: Option<String>,
) -> Result<User, ApiError> {
    let change = crate::protocol::UpdateMeRequest {
        nickname,
        avatar,
        status,
    };
    as_user(move |b, me| async move { b.update_profile(me.id, change).await }).await
}

/// Changes my privacy settings.
#[server(prefix = "/sfn", endpoint = "set_privacy")]
pub async fn set_privacy(change: PrivacyChange) -> Result<Privacy, ApiError> {
    as_user(move |b, me| async move { b.set_privacy(me.id, change).await }).await
}

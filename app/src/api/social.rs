//! Friend and group server functions for the chat shell's sidebar. Each one authenticates
//! the caller and makes exactly one [`SocialApi`](super::backend::SocialApi) call.
// `#[server]` turns each signature into an argument struct whose fields cannot carry docs.
#![allow(missing_docs)]

use crate::error::ApiError;
use crate::ids::{GroupId, UserId};
use crate::protocol::{Friend, Group, Member, MyGroup};
#[cfg(feature = "ssr")]
use crate::{api::backend::as_user, protocol::CreateGroupRequest};
use leptos::prelude::*;

/// My friends.
#[server(prefix = "/sfn", endpoint = "list_friends")]
pub async fn list_friends() -> Result<Vec<Friend>, ApiError> {
    as_user(|b, me| async move { b.friends(me.id).await }).await
}

/// Unfriends `user_id` (both sides).
#[server(prefix = "/sfn", endpoint = "remove_friend")]
pub async fn remove_friend(user_id: UserId) -> Result<(), ApiError> {
    as_user(move |b, me| async move { b.remove_friend(me.id, user_id).await }).await
}

/// The groups I belong to.
#[server(prefix = "/sfn", endpoint = "list_groups")]
pub async fn list_groups() -> Result<Vec<MyGroup>, ApiError> {
    as_user(|b, me| async move { b.my_groups(me.id).await }).await
}

/// Creates a group I own.
#[server(prefix = "/sfn", endpoint = "create_group")]
pub async fn create_group(
    name: String,
    icon: Option<String>,
    memo: Option<String>,
) -> Result<MyGroup, ApiError> {
    let req = CreateGroupRequest { name, icon, memo };
    as_user(move |b, me| async move { b.create_group(me.id, req).await }).await
}

/// Groups matching `q` (id or part of the name), for the join dialog.
#[server(prefix = "/sfn", endpoint = "search_groups")]
pub async fn search_groups(q: String) -> Result<Vec<Group>, ApiError> {
    as_user(move |b, _me| async move { b.search_groups(&q).await }).await
}

/// Joins `group_id`.
#[server(prefix = "/sfn", endpoint = "join_group")]
pub async fn join_group(group_id: GroupId) -> Result<MyGroup, ApiError> {
    as_user(move |b, me| async move { b.join_group(me.id, group_id).await }).await
}

/// Leaves `group_id`.
#[server(prefix = "/sfn", endpoint = "leave_group")]
pub async fn leave_group(group_id: GroupId) -> Result<(), ApiError> {
    as_user(move |b, me| async move { b.leave_group(me.id, group_id).await }).await
}

/// Members of `group_id` with their roles.
#[server(prefix = "/sfn", endpoint = "group_members")]
pub async fn group_members(group_id: GroupId) -> Result<Vec<Member>, ApiError> {
    as_user(move |b, me| async move { b.members(me.id, group_id).await }).await
}

/// Hands `group_id` to member `user_id`.
#[server(prefix = "/sfn", endpoint = "transfer_group")]
pub async fn transfer_group(group_id: GroupId, user_id: UserId) -> Result<MyGroup, ApiError> {
    as_user(move |b, me| async move { b.transfer_group(me.id, group_id, user_id).await }).await
}

/// Lets the members of `group_id` pin messages, or only its owner (owner only).
#[server(prefix = "/sfn", endpoint = "set_members_can_pin")]
pub async fn set_members_can_pin(group_id: GroupId, allowed: bool) -> Result<Group, ApiError> {
    as_user(move |b, me| async move { b.set_members_can_pin(me.id, group_id, allowed).await }).await
}

/// Dissolves `group_id` (owner only).
#[server(prefix = "/sfn", endpoint = "dissolve_group")]
pub async fn dissolve_group(group_id: GroupId) -> Result<(), ApiError> {
    as_user(move |b, me| async move { b.dissolve_group(me.id, group_id).await }).await
}

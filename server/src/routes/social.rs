//! REST endpoints for friends and groups (docs/api.md, "Friends and groups"). Each handler: extract,
//! one `Social` call, respond.

use super::api::SearchQuery;
use super::extract::{ApiJson, ApiPath, ApiQuery, CurrentUser};
use crate::error::AppError;
use crate::state::AppState;
use app::ids::{GroupId, UserId};
use app::protocol::{CreateGroupRequest, Friend, Group, Member, MyGroup, TransferOwnershipRequest};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;

/// `GET /api/friends`.
pub async fn friends(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<ApiJson<Vec<Friend>>, AppError> {
    Ok(ApiJson(state.social.friends(me.user.id).await?))
}

/// `DELETE /api/friends/{id}` -> 204.
pub async fn remove_friend(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(peer): ApiPath<i64>,
) -> Result<StatusCode, AppError> {
    state.social.remove_friend(&me.user, UserId(peer)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/groups` -> my groups with my role.
pub async fn my_groups(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<ApiJson<Vec<MyGroup>>, AppError> {
    Ok(ApiJson(state.social.my_groups(me.user.id).await?))
}

/// `POST /api/groups {name, icon?, memo?}` -> 201 the group (I am its owner).
pub async fn create_group(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(body): ApiJson<CreateGroupRequest>,
) -> Result<impl IntoResponse, AppError> {
    let group = state.social.create_group(&me.user, body).await?;
    Ok((StatusCode::CREATED, ApiJson(group)))
}

/// `GET /api/groups/search?q=`.
pub async fn search_groups(
    State(state): State<AppState>,
    _me: CurrentUser,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> Result<ApiJson<Vec<Group>>, AppError> {
    Ok(ApiJson(state.social.search_groups(&query.q).await?))
}

/// `POST /api/groups/{id}/join` -> the group with my role.
pub async fn join_group(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(g): ApiPath<i64>,
) -> Result<ApiJson<MyGroup>, AppError> {
    Ok(ApiJson(
        state.social.join_group(&me.user, GroupId(g)).await?,
    ))
}

/// `POST /api/groups/{id}/leave` -> 204.
pub async fn leave_group(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(g): ApiPath<i64>,
) -> Result<StatusCode, AppError> {
    state.social.leave_group(&me.user, GroupId(g)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/groups/{id}/members` -> members with roles (members only).
pub async fn members(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(g): ApiPath<i64>,
) -> Result<ApiJson<Vec<Member>>, AppError> {
    Ok(ApiJson(state.social.members(me.user.id, GroupId(g)).await?))
}

/// `POST /api/groups/{id}/owner {user_id}` -> the group, with my new role (member).
pub async fn transfer_group(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(g): ApiPath<i64>,
    ApiJson(body): ApiJson<TransferOwnershipRequest>,
) -> Result<ApiJson<MyGroup>, AppError> {
    Ok(ApiJson(
        state
            .social
            .transfer_group(&me.user, GroupId(g), body.user_id)
            .await?,
    ))
}

/// `DELETE /api/groups/{id}` -> 204; the owner dissolves the group.
pub async fn dissolve_group(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(g): ApiPath<i64>,
) -> Result<StatusCode, AppError> {
    state.social.dissolve_group(&me.user, GroupId(g)).await?;
    Ok(StatusCode::NO_CONTENT)
}

//! REST endpoints for friend requests, blocks, reports and privacy (docs/api.md, "Requests,
//! blocks and reports"). Each handler: extract, one `People` call, respond.

use super::api::SearchQuery;
use super::extract::{ApiJson, ApiPath, ApiQuery, CurrentUser};
use crate::error::AppError;
use crate::state::AppState;
use app::ids::UserId;
use app::protocol::people::{
    AddFriendRequest, FriendRequests, Privacy, PrivacyChange, Report, ReportRequest, RequestOutcome,
};
use app::protocol::{Friend, User};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};

/// `GET /api/users/search?q=` -> up to 20 users.
pub async fn search_users(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> Result<ApiJson<Vec<User>>, AppError> {
    Ok(ApiJson(state.people.search(me.user.id, &query.q).await?))
}

/// `GET /api/users/{id}` -> that person's profile (404 for nobody, or for someone who
/// blocked me).
pub async fn profile(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<ApiJson<User>, AppError> {
    Ok(ApiJson(state.people.profile(me.user.id, UserId(id)).await?))
}

/// `POST /api/friends {user_id, note?}` -> 202 `{status: "pending"}`, or 201
/// `{status: "friends", friend}` when they had asked me first.
pub async fn ask_friend(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(body): ApiJson<AddFriendRequest>,
) -> Result<impl IntoResponse, AppError> {
    let outcome = state
        .people
        .ask(&me.user, body.user_id, body.note.as_deref())
        .await?;
    let status = match outcome {
        RequestOutcome::Pending => StatusCode::ACCEPTED,
        RequestOutcome::Friends { .. } => StatusCode::CREATED,
    };
    Ok((status, ApiJson(outcome)))
}

/// `GET /api/friends/requests` -> `{incoming, outgoing}`.
pub async fn requests(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<ApiJson<FriendRequests>, AppError> {
    Ok(ApiJson(state.people.requests(me.user.id).await?))
}

/// `POST /api/friends/requests/{id}/accept` -> the new friend.
pub async fn accept(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(asker): ApiPath<i64>,
) -> Result<ApiJson<Friend>, AppError> {
    Ok(ApiJson(state.people.accept(&me.user, UserId(asker)).await?))
}

/// `POST /api/friends/requests/{id}/decline` -> 204.
pub async fn decline(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(asker): ApiPath<i64>,
) -> Result<StatusCode, AppError> {
    state.people.decline(&me.user, UserId(asker)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/friends/requests/{id}` -> 204: withdraws my request to `id`.
pub async fn withdraw(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(to): ApiPath<i64>,
) -> Result<StatusCode, AppError> {
    state.people.withdraw(&me.user, UserId(to)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/blocks` -> the people I blocked.
pub async fn blocked(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<ApiJson<Vec<User>>, AppError> {
    Ok(ApiJson(state.people.blocked(me.user.id).await?))
}

/// `PUT /api/blocks/{id}` -> 204.
pub async fn block(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(other): ApiPath<i64>,
) -> Result<StatusCode, AppError> {
    state.people.block(&me.user, UserId(other)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/blocks/{id}` -> 204.
pub async fn unblock(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(other): ApiPath<i64>,
) -> Result<StatusCode, AppError> {
    state.people.unblock(&me.user, UserId(other)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What `POST /api/reports` answers.
#[derive(Serialize)]
pub struct Reported {
    /// The report's id.
    pub id: i64,
}

/// `POST /api/reports {user_id, conv?, seq?, reason}` -> 201 `{id}`.
pub async fn report(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(body): ApiJson<ReportRequest>,
) -> Result<impl IntoResponse, AppError> {
    let id = state.people.report(&me.user, body).await?;
    Ok((StatusCode::CREATED, ApiJson(Reported { id })))
}

/// Query of `GET /api/admin/reports`.
#[derive(Deserialize)]
pub struct ReportsQuery {
    /// Only reports with a smaller id (the next page).
    #[serde(default)]
    pub before: Option<i64>,
}

/// `GET /api/admin/reports?before=` -> the newest 50 reports (site admins only).
pub async fn reports(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(query): ApiQuery<ReportsQuery>,
) -> Result<ApiJson<Vec<Report>>, AppError> {
    Ok(ApiJson(state.people.reports(&me.user, query.before).await?))
}

/// `GET /api/me/privacy`.
pub async fn privacy(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<ApiJson<Privacy>, AppError> {
    Ok(ApiJson(state.people.privacy(me.user.id).await?))
}

/// `PATCH /api/me/privacy {requests_from?, discoverable?, read_receipts?, last_seen_visible?}`.
pub async fn set_privacy(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(body): ApiJson<PrivacyChange>,
) -> Result<ApiJson<Privacy>, AppError> {
    Ok(ApiJson(state.people.set_privacy(me.user.id, body).await?))
}

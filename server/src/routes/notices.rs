//! `GET /api/notices?after=<id>&limit=`: the caller's notices (cmd 12 frames, with ids) a
//! client missed while offline; it keeps the highest id it has seen as its cursor.

use super::extract::{ApiJson, ApiQuery, CurrentUser};
use crate::error::AppError;
use crate::state::AppState;
use app::error::{ApiError, ErrorCode};
use app::protocol::frame::Frame;
use axum::extract::State;
use serde::Deserialize;

/// Default and largest page.
const DEFAULT_LIMIT: u64 = 100;
const MAX_LIMIT: u64 = 500;

/// Query of `GET /api/notices`.
#[derive(Deserialize)]
pub struct NoticesQuery {
    /// Notices with a larger id (default 0: all that are kept).
    #[serde(default)]
    pub after: i64,
    /// Page size, 1-500 (default 100).
    pub limit: Option<u64>,
}

/// `GET /api/notices?after=&limit=` -> cmd 12 frames, ascending id.
pub async fn list(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<NoticesQuery>,
) -> Result<ApiJson<Vec<Frame>>, AppError> {
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::with_msg(ErrorCode::InvalidBody, "limit must be 1-500.").into());
    }
    Ok(ApiJson(
        state.social.notices(me.user.id, q.after, limit).await?,
    ))
}

//! Sync and history: the conversation list, history pages and read marks (docs/api.md,
//! "Conversations").

use super::extract::{ApiJson, ApiPath, ApiQuery, ClientAddr, CurrentUser};
use crate::error::AppError;
use crate::rules::chat::ConversationSummary;
use crate::state::AppState;
use crate::store::messages::Page;
use app::error::{ApiError, ErrorCode};
use app::ids::{Cid, Seq};
use app::protocol::action::{Act, Action};
use app::protocol::frame::{Frame, SendRequest};
use app::protocol::Conv;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

/// A conversation key from the path; one that cannot exist is 404.
fn conv_of(key: &str) -> Result<Conv, AppError> {
    Conv::parse(key)
        .ok_or_else(|| ApiError::with_msg(ErrorCode::NotFound, "No such conversation.").into())
}

/// Default and largest history page.
const DEFAULT_LIMIT: u64 = 20;
const MAX_LIMIT: u64 = 100;

/// `GET /api/conversations` -> newest first.
pub async fn list(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<ApiJson<Vec<ConversationSummary>>, AppError> {
    Ok(ApiJson(state.chat.conversations(me.user.id).await?))
}

/// `GET /api/conversations/{conv}` -> the conversation as the chat pane opens it: title,
/// newest page, senders, notices, pins and (in a group) read marks.
pub async fn open(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(conv): ApiPath<String>,
) -> Result<ApiJson<app::protocol::OpenConversation>, AppError> {
    Ok(ApiJson(
        state.chat.open(me.user.id, conv_of(&conv)?, None).await?,
    ))
}

/// Query of the history endpoint.
#[derive(Deserialize)]
pub struct HistoryQuery {
    /// Messages with a smaller seq.
    pub before: Option<i64>,
    /// Messages with a larger seq.
    pub after: Option<i64>,
    /// Page size, 1-100 (default 20).
    pub limit: Option<u64>,
}

/// `GET /api/conversations/{conv}/messages?before=|after=&limit=` -> ascending seq.
pub async fn messages(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(conv): ApiPath<String>,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> Result<ApiJson<Vec<Frame>>, AppError> {
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::with_msg(ErrorCode::InvalidBody, "limit must be 1-100.").into());
    }
    let page = match (q.before, q.after) {
        (Some(_), Some(_)) => {
            return Err(ApiError::with_msg(
                ErrorCode::InvalidBody,
                "Give before or after, not both.",
            )
            .into())
        }
        (Some(b), None) => Page::Before(b),
        (None, Some(a)) => Page::After(a),
        (None, None) => Page::Latest,
    };
    Ok(ApiJson(
        state
            .chat
            .history(me.user.id, conv_of(&conv)?, page, limit)
            .await?,
    ))
}

/// `POST /api/conversations/{conv}/messages` with a cmd 10/11 frame's message fields ->
/// 201 the stored message as its frame, or 200 with the same frame for a resent cid.
pub async fn send(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(conv): ApiPath<String>,
    ApiJson(body): ApiJson<SendRequest>,
) -> Result<(StatusCode, ApiJson<Frame>), AppError> {
    let sent = state.chat.send_to(&me.user, conv_of(&conv)?, body).await?;
    let status = if sent.new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, ApiJson(sent.frame())))
}

/// `POST /api/conversations/{conv}/read` body.
#[derive(Deserialize)]
pub struct ReadRequest {
    /// Read up to and including this seq.
    pub seq: i64,
}

/// The answer: the read mark now stored.
#[derive(Serialize)]
pub struct ReadMark {
    /// Stored mark (never moves back, never past the newest message).
    pub read_seq: i64,
}

/// `POST /api/conversations/{conv}/read {seq}`.
pub async fn read(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(conv): ApiPath<String>,
    ApiJson(body): ApiJson<ReadRequest>,
) -> Result<ApiJson<ReadMark>, AppError> {
    let read_seq = state
        .chat
        .mark_read(&me.user, conv_of(&conv)?, body.seq)
        .await?;
    Ok(ApiJson(ReadMark { read_seq }))
}

/// `POST /api/conversations/{conv}/actions` body: what to do to which message.
#[derive(Deserialize)]
pub struct ActionRequest {
    /// Your own id for the action (1-64 characters); resending it is harmless.
    pub cid: String,
    /// `edit`, `recall`, `react`, `unreact`, `pin`, `unpin` or `hide`.
    pub act: String,
    /// The seq of the message.
    pub target: i64,
    /// The new text (edit) or the emoji (react, unreact).
    #[serde(default)]
    pub content: String,
}

/// `POST /api/conversations/{conv}/actions` -> 201 the event (cmd 17) as every participant
/// receives it, 200 with the same event for a resent cid; 204 for `hide`, which has none.
pub async fn act(
    State(state): State<AppState>,
    me: CurrentUser,
    ClientAddr(addr): ClientAddr,
    ApiPath(conv): ApiPath<String>,
    ApiJson(body): ApiJson<ActionRequest>,
) -> Result<axum::response::Response, AppError> {
    use axum::response::IntoResponse;
    let conv = conv_of(&conv)?;
    let act = Act::parse(&body.act).ok_or_else(|| {
        ApiError::with_msg(ErrorCode::InvalidPayload, "Unknown `act`: see docs/api.md.")
    })?;
    let cid = Cid::new(body.cid).map_err(|_| {
        ApiError::with_msg(
            ErrorCode::InvalidPayload,
            "`cid` is required: your own id for the action, 1-64 characters.",
        )
    })?;
    let action = Action::new(conv, Seq(body.target), act, cid, body.content)?;
    let done = state.chat.act(&me.user, addr, None, action).await?;
    Ok(match done.frame() {
        None => StatusCode::NO_CONTENT.into_response(),
        Some(frame) => {
            let status = if done.new {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            (status, ApiJson(frame)).into_response()
        }
    })
}

/// `PATCH /api/groups/{id}` body: the group's settings to change.
#[derive(Deserialize)]
pub struct GroupSettings {
    /// Whether members (not only the owner) may pin messages.
    pub members_can_pin: bool,
}

/// `PATCH /api/groups/{id} {members_can_pin}` -> 200 the settings now stored; the owner's
/// call (`not_owner` otherwise).
pub async fn group_settings(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(g): ApiPath<i64>,
    ApiJson(body): ApiJson<GroupSettings>,
) -> Result<ApiJson<serde_json::Value>, AppError> {
    let group = state
        .social
        .set_members_can_pin(&me.user, app::ids::GroupId(g), body.members_can_pin)
        .await?;
    Ok(ApiJson(
        serde_json::json!({ "members_can_pin": group.members_can_pin }),
    ))
}

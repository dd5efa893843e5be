//! Conversation server functions for the chat pane. Each one authenticates the caller and
//! makes exactly one [`ChatApi`](super::backend::ChatApi) call.
// `#[server]` turns each signature into an argument struct whose fields cannot carry docs.
#![allow(missing_docs)]

use crate::error::ApiError;
use crate::protocol::{ConversationSummary, OpenConversation};
#[cfg(feature = "ssr")]
use crate::{api::backend::as_user, error::ErrorCode, protocol::Conv};
use leptos::prelude::*;

/// My conversations, newest activity first.
#[server(prefix = "/sfn", endpoint = "list_conversations")]
pub async fn list_conversations() -> Result<Vec<ConversationSummary>, ApiError> {
    as_user(|b, me| async move { b.conversations(me.id).await }).await
}

/// A conversation I take part in (`conv` is its key), with its newest page or the page
/// before `before`.
#[server(prefix = "/sfn", endpoint = "load_conversation")]
pub async fn load_conversation(
    conv: String,
    before: Option<i64>,
) -> Result<OpenConversation, ApiError> {
    as_user(move |b, me| async move {
        let conv = Conv::parse(&conv)
            .ok_or_else(|| ApiError::with_msg(ErrorCode::NotFound, "No such conversation."))?;
        b.open_conversation(me.id, conv, before).await
    })
    .await
}

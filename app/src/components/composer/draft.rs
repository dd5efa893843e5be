//! Per-conversation drafts kept in this browser's localStorage (`parley.draft.<conv>`), so
//! a half-written message survives a reload or a visit to another conversation.
//!
//! Only event handlers and effects call these (they run in the browser); the server renders
//! the composer empty and the page restores the draft after hydration.

use crate::protocol::Conv;

/// This browser's localStorage, when it has one (private modes may refuse it).
pub fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The storage key of a conversation's draft.
pub fn key(conv: Conv) -> String {
    format!("parley.draft.{}", conv.key())
}

/// The saved draft of a conversation, if any.
pub fn load(conv: Conv) -> Option<String> {
    storage()?
        .get_item(&key(conv))
        .ok()
        .flatten()
        .filter(|d| !d.is_empty())
}

/// Saves what the composer holds; an empty composer leaves no entry behind.
pub fn save(conv: Conv, text: &str) {
    if let Some(s) = storage() {
        let _ = if text.is_empty() {
            s.remove_item(&key(conv))
        } else {
            s.set_item(&key(conv), text)
        };
    }
}

/// Forgets a conversation's draft (its message was sent).
pub fn clear(conv: Conv) {
    save(conv, "");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{GroupId, UserId};

    #[test]
    fn keys_name_the_conversation() {
        let p = Conv::private(UserId(7), UserId(3));
        assert_eq!(p.map(key).as_deref(), Some("parley.draft.p:3:7"));
        assert_eq!(key(Conv::Group(GroupId(12))), "parley.draft.g:12");
    }
}

//! People on their own terms: friend requests, blocks, reports and the privacy settings
//! that decide who may ask and who may find me (docs/api.md, "Requests, blocks and reports").

use super::{Friend, User};
use crate::error::{ApiError, ErrorCode, Field};
use crate::ids::UserId;
use serde::{Deserialize, Serialize};

/// Longest verification note on a friend request, in characters.
pub const MAX_NOTE_CHARS: usize = 120;
/// Longest report reason, in characters.
pub const MAX_REASON_CHARS: usize = 500;
/// Longest status line, in characters.
pub const MAX_STATUS_CHARS: usize = 80;

/// `POST /api/friends` body: ask `user_id` to be my friend.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddFriendRequest {
    /// Who to ask.
    pub user_id: UserId,
    /// What I tell them ("I'm Alice from the climbing club"); at most [`MAX_NOTE_CHARS`].
    #[serde(default)]
    pub note: Option<String>,
}

/// What asking for a friendship did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RequestOutcome {
    /// The request waits for their answer (also what a declined or ignored request keeps
    /// saying: the asker learns nothing more).
    Pending,
    /// They had asked me first: we are friends now.
    Friends {
        /// The new friend.
        friend: Friend,
    },
}

/// One friend request as a list shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FriendRequest {
    /// The other person: who asked me (incoming) or whom I asked (outgoing).
    pub user: User,
    /// The asker's note.
    pub note: String,
    /// When it was made (or renewed), ms since the epoch.
    pub created_at: i64,
    /// When it lapses unanswered, ms since the epoch.
    pub expires_at: i64,
}

/// `GET /api/friends/requests`: the requests waiting for me, and mine still pending.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FriendRequests {
    /// Waiting for my answer, newest first.
    pub incoming: Vec<FriendRequest>,
    /// Asked by me and not answered yes, newest first.
    pub outgoing: Vec<FriendRequest>,
}

/// Who may send me a friend request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestsFrom {
    /// Anyone who finds me.
    #[default]
    Everyone,
    /// Only people who share a group with me.
    Groups,
    /// Nobody.
    Nobody,
}

impl RequestsFrom {
    /// The stored number.
    pub fn code(self) -> i16 {
        match self {
            RequestsFrom::Everyone => 0,
            RequestsFrom::Groups => 1,
            RequestsFrom::Nobody => 2,
        }
    }

    /// Reads the stored number; an unknown one is the safest reading.
    pub fn from_code(code: i16) -> RequestsFrom {
        match code {
            0 => RequestsFrom::Everyone,
            1 => RequestsFrom::Groups,
            _ => RequestsFrom::Nobody,
        }
    }
}

/// My privacy settings (`GET /api/me/privacy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Privacy {
    /// Who may send me friend requests.
    pub requests_from: RequestsFrom,
    /// Whether a part of my nickname finds me in search (otherwise only my exact username).
    pub discoverable: bool,
    /// Whether others see when I have read their messages.
    pub read_receipts: bool,
    /// Whether friends see when I was last online.
    pub last_seen_visible: bool,
}

impl Default for Privacy {
    fn default() -> Privacy {
        Privacy {
            requests_from: RequestsFrom::Everyone,
            discoverable: false,
            read_receipts: true,
            last_seen_visible: true,
        }
    }
}

impl Privacy {
    /// These settings with `change` made (what the server will store, shown before it
    /// answers).
    pub fn with(self, change: PrivacyChange) -> Privacy {
        Privacy {
            requests_from: change.requests_from.unwrap_or(self.requests_from),
            discoverable: change.discoverable.unwrap_or(self.discoverable),
            read_receipts: change.read_receipts.unwrap_or(self.read_receipts),
            last_seen_visible: change.last_seen_visible.unwrap_or(self.last_seen_visible),
        }
    }
}

/// `PATCH /api/me/privacy`: the settings to change; a missing one stays.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivacyChange {
    /// Who may send me friend requests.
    #[serde(default)]
    pub requests_from: Option<RequestsFrom>,
    /// Whether a part of my nickname finds me.
    #[serde(default)]
    pub discoverable: Option<bool>,
    /// Whether others see my read receipts.
    #[serde(default)]
    pub read_receipts: Option<bool>,
    /// Whether friends see when I was last online.
    #[serde(default)]
    pub last_seen_visible: Option<bool>,
}

/// `POST /api/reports`: report a user, or one of their messages (`conv` and `seq`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportRequest {
    /// Who is reported; for a message, its sender (checked).
    pub user_id: UserId,
    /// The reported message's conversation key.
    #[serde(default)]
    pub conv: Option<String>,
    /// The reported message's seq.
    #[serde(default)]
    pub seq: Option<i64>,
    /// Why, in the reporter's words; 1 to [`MAX_REASON_CHARS`] characters.
    pub reason: String,
}

/// A report as the site's admins read it (`GET /api/admin/reports`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Its id (newest first; `?before=` pages on it).
    pub id: i64,
    /// Who reported.
    pub reporter: User,
    /// Who is reported.
    pub user: User,
    /// The message's conversation, empty for a report about the user.
    pub conv: String,
    /// The message's seq, 0 for a report about the user.
    pub seq: i64,
    /// The reporter's reason.
    pub reason: String,
    /// The message's text when it was reported.
    pub excerpt: String,
    /// When, ms since the epoch.
    pub created_at: i64,
}

/// Trims a request's note and checks its length and characters.
pub fn normalize_note(note: &str) -> Result<String, ApiError> {
    normalize_line(note, MAX_NOTE_CHARS, Field::Note)
}

/// Trims a status line and checks its length and characters (empty clears it).
pub fn normalize_status(status: &str) -> Result<String, ApiError> {
    normalize_line(status, MAX_STATUS_CHARS, Field::Status)
}

/// Trims a report's reason: 1 to [`MAX_REASON_CHARS`] characters, line breaks allowed.
pub fn normalize_reason(reason: &str) -> Result<String, ApiError> {
    let reason = reason.trim();
    let bad = reason.is_empty()
        || reason.chars().count() > MAX_REASON_CHARS
        || reason.chars().any(|c| c.is_control() && c != '\n');
    if bad {
        return Err(ApiError::invalid(Field::Reason));
    }
    Ok(reason.to_owned())
}

/// One trimmed line of at most `max` characters (empty allowed).
fn normalize_line(text: &str, max: usize, field: Field) -> Result<String, ApiError> {
    let text = text.trim();
    if text.chars().count() > max || text.chars().any(char::is_control) {
        return Err(ApiError::invalid(field));
    }
    Ok(text.to_owned())
}

/// The error a blocked pair gets, worded for the side that asks.
pub fn blocked_error(i_blocked: bool) -> ApiError {
    if i_blocked {
        ApiError::with_msg(
            ErrorCode::Blocked,
            "You blocked this person. Unblock them first.",
        )
    } else {
        ApiError::new(ErrorCode::Blocked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_privacy_change_changes_only_what_it_names() {
        let before = Privacy::default();
        let after = before.with(PrivacyChange {
            discoverable: Some(true),
            ..PrivacyChange::default()
        });
        assert_eq!(
            after,
            Privacy {
                discoverable: true,
                ..before
            }
        );
        let after = after.with(PrivacyChange {
            requests_from: Some(RequestsFrom::Nobody),
            read_receipts: Some(false),
            ..PrivacyChange::default()
        });
        assert_eq!(
            (
                after.requests_from,
                after.discoverable,
                after.read_receipts,
                after.last_seen_visible
            ),
            (RequestsFrom::Nobody, true, false, true)
        );
        assert_eq!(after.with(PrivacyChange::default()), after);
    }

    #[test]
    fn outcome_is_tagged_by_status() {
        let json = serde_json::to_value(RequestOutcome::Pending).unwrap();
        assert_eq!(json, serde_json::json!({"status": "pending"}));
    }

    #[test]
    fn notes_and_reasons_are_bounded() {
        assert_eq!(normalize_note("  hi  ").unwrap(), "hi");
        assert!(normalize_note(&"x".repeat(MAX_NOTE_CHARS + 1)).is_err());
        assert!(normalize_note("a\u{7}b").is_err());
        assert!(normalize_reason("   ").is_err());
        assert_eq!(normalize_reason("spam\nspam").unwrap(), "spam\nspam");
        assert!(normalize_reason(&"x".repeat(MAX_REASON_CHARS + 1)).is_err());
        assert!(normalize_status(&"é".repeat(MAX_STATUS_CHARS)).is_ok());
        assert!(normalize_status(&"é".repeat(MAX_STATUS_CHARS + 1)).is_err());
    }

    #[test]
    fn unknown_stored_setting_reads_as_nobody() {
        for r in [
            RequestsFrom::Everyone,
            RequestsFrom::Groups,
            RequestsFrom::Nobody,
        ] {
            assert_eq!(RequestsFrom::from_code(r.code()), r);
        }
        assert_eq!(RequestsFrom::from_code(9), RequestsFrom::Nobody);
    }
}

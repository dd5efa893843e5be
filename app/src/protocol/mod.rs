//! The wire types that browser and server share (docs/api.md), and the input rules both
//! sides apply: the browser to explain early, the server to enforce.
//! WebSocket frames live in [`frame`] (the wire shape and the client's commands) and
//! [`event`] (what the server's frames mean, decoded once); a message's payload and its
//! per-media rule in [`body`]; the upload answer and `/media/` keys in [`upload`]; the seed
//! client's dialect ("v0") in [`seed`].

pub mod action;
pub mod body;
pub mod conv;
pub mod event;
pub mod frame;
pub mod people;
pub mod seed;
pub mod sticker;
pub mod upload;

pub use conv::Conv;

use crate::error::{ApiError, Field};
use crate::ids::{Cid, GroupId, Seq, UserId};
use serde::{Deserialize, Serialize};

/// Name of the HttpOnly session cookie set at login.
pub const SESSION_COOKIE: &str = "parley_session";

/// A user as every client sees it: `{id, username, nickname, avatar}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Stable numeric id.
    pub id: UserId,
    /// Login name, unique regardless of letter case.
    pub username: String,
    /// Display name.
    pub nickname: String,
    /// Avatar URL, empty when the user has none.
    pub avatar: String,
    /// A short status line of their own ("On holiday until Monday"); empty for none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub status: String,
}

impl User {
    /// The letter shown in the round avatar placeholder.
    pub fn initial(&self) -> String {
        let name = if self.nickname.is_empty() {
            &self.username
        } else {
            &self.nickname
        };
        name.chars()
            .next()
            .map(|c| c.to_uppercase().collect())
            .unwrap_or_default()
    }
}

/// `POST /api/register` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterRequest {
    /// Wanted login name.
    pub username: String,
    /// Plain password, hashed with argon2 before it is stored.
    pub password: String,
    /// Display name; defaults to the username.
    #[serde(default)]
    pub nickname: Option<String>,
}

/// `POST /api/login` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    /// Login name (any letter case).
    pub username: String,
    /// Plain password.
    pub password: String,
}

/// `POST /api/login` answer: the user and a bearer token for non-browser clients.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginResponse {
    /// Who logged in.
    pub user: User,
    /// Bearer token; the same session the cookie carries.
    pub token: String,
}

/// `PATCH /api/me` body; absent fields stay as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateMeRequest {
    /// New display name.
    #[serde(default)]
    pub nickname: Option<String>,
    /// New avatar URL; the empty string removes it.
    #[serde(default)]
    pub avatar: Option<String>,
    /// New status line; the empty string clears it.
    #[serde(default)]
    pub status: Option<String>,
}

/// `DELETE /api/me` body: deleting my account needs my password.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteAccountRequest {
    /// My password.
    pub password: String,
}

/// One of my login sessions, as `GET /api/me/sessions` lists them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// Its id, to end it with `DELETE /api/me/sessions/{id}`.
    pub id: i64,
    /// What the browser said it is ("Chrome on Linux"); empty when it did not say.
    pub device: String,
    /// The address it logged in from; empty when unknown.
    pub addr: String,
    /// When it logged in, ms since the epoch.
    pub created_at: i64,
    /// When it was last used, ms since the epoch (to the minute).
    pub last_used_at: i64,
    /// True for the session asking.
    pub current: bool,
}

/// `POST /api/me/password` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangePasswordRequest {
    /// The password in force now.
    pub current: String,
    /// The new one (the same rule as at registration).
    pub new: String,
}

/// Checks a username: 3-32 of `[A-Za-z0-9_.-]`, or a mobile number such as `+8613800138000`.
pub fn validate_username(username: &str) -> Result<(), ApiError> {
    let plain = (3..=32).contains(&username.len())
        && username
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    let mobile = username.strip_prefix('+').is_some_and(|digits| {
        (6..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
    });
    if plain || mobile {
        Ok(())
    } else {
        Err(ApiError::invalid(Field::Username))
    }
}

/// Checks a password's length: at least 8 characters, and a bound so hashing stays cheap.
pub fn validate_password(password: &str) -> Result<(), ApiError> {
    if (8..=1024).contains(&password.chars().count()) {
        Ok(())
    } else {
        Err(ApiError::invalid(Field::Password))
    }
}

/// The nickname a deleted account keeps, so the messages it wrote stay readable. Nobody
/// else may take it (in any letter case), so clients can tell a deleted account by it and
/// show it in the reader's language.
pub const DELETED_NAME: &str = "Deleted user";

/// Whether `nickname` is a deleted account's ([`DELETED_NAME`]).
pub fn is_deleted_name(nickname: &str) -> bool {
    nickname == DELETED_NAME
}

/// Trims a nickname and checks it: 1-32 characters, no control characters, not the name
/// reserved for deleted accounts.
pub fn normalize_nickname(nickname: &str) -> Result<String, ApiError> {
    let trimmed = nickname.trim();
    let len = trimmed.chars().count();
    if (1..=32).contains(&len)
        && !trimmed.chars().any(char::is_control)
        && !trimmed.eq_ignore_ascii_case(DELETED_NAME)
    {
        Ok(trimmed.to_owned())
    } else {
        Err(ApiError::invalid(Field::Nickname))
    }
}

/// True for URLs the app may render: `http(s)://host...` or a path under `/media/`.
/// Everything else (`javascript:`, `data:`, protocol-relative `//host`) is refused, and so
/// are URLs that read differently from where they lead: userinfo (`http://bank@evil.com/`),
/// backslashes (browsers read them as `/`), non-ASCII (bidi and format characters such as
/// U+202E reorder what a person sees; real non-ASCII arrives percent-encoded) and, under
/// `/media/`, anything but plain path segments (no `.`/`..`, no percent-encoding).
pub fn is_allowed_url(url: &str) -> bool {
    if !url.bytes().all(|b| (0x21..=0x7e).contains(&b)) || url.contains('\\') {
        return false;
    }
    let lower = url.to_ascii_lowercase();
    if let Some(rest) = ["http://", "https://"]
        .iter()
        .find_map(|p| lower.strip_prefix(p))
    {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        return !authority.is_empty() && !authority.contains('@');
    }
    url.strip_prefix("/media/").is_some_and(plain_path)
}

/// True for a relative path of plain segments: no empty, `.` or `..` segment, nothing but
/// ASCII letters, digits and `.-_~` (so no percent-encoding that could hide a traversal).
pub(crate) fn plain_path(path: &str) -> bool {
    path.split('/').all(|seg| {
        !seg.is_empty()
            && seg != "."
            && seg != ".."
            && seg
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~'))
    })
}

/// Trims an avatar URL and checks it; the empty string (no avatar) is allowed.
pub fn normalize_avatar(avatar: &str) -> Result<String, ApiError> {
    let trimmed = avatar.trim();
    if trimmed.is_empty() || (trimmed.len() <= 512 && is_allowed_url(trimmed)) {
        Ok(trimmed.to_owned())
    } else {
        Err(ApiError::invalid(Field::Avatar))
    }
}

/// A friend as listed: the user, and whether they are connected right now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Friend {
    /// The friend.
    #[serde(flatten)]
    pub user: User,
    /// True while the friend has at least one live connection.
    pub online: bool,
    /// While offline: when they were last seen (ms since the epoch), if they let friends see
    /// it; 0 otherwise.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub last_seen: i64,
}

/// Who and what a system notice (cmd 12) names, so each reader's browser words it in the
/// reader's own language (the frame's `content` keeps the server's English for clients that
/// do not know these names). An id is 0 where the notice names nobody in that role.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeNames {
    /// Who did it.
    pub actor_id: i64,
    /// Their nickname at the time.
    pub actor: String,
    /// The other person (a friendship's other side, a group's new owner).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub peer_id: i64,
    /// Their nickname at the time.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub peer: String,
    /// The group's name at the time.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub group: String,
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

/// A conversation as the chat pane opens it: who or what it is with, its newest page of
/// messages (or the page before `before`), the senders of that page, and a fresh `cid` for
/// the no-JavaScript composer form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenConversation {
    /// The conversation.
    pub conv: Conv,
    /// The peer's nickname or the group's name.
    pub title: String,
    /// The peer's avatar or the group's icon.
    pub avatar: String,
    /// Members, for a group.
    pub member_count: Option<u32>,
    /// In a 1:1: whether the peer is connected now.
    #[serde(default)]
    pub peer_online: bool,
    /// In a 1:1 with a friend who is offline: when they were last seen (ms), if they let
    /// friends see it; 0 otherwise.
    #[serde(default)]
    pub peer_last_seen: i64,
    /// In a 1:1: how far the peer has read (my messages up to it show "Read").
    #[serde(default)]
    pub peer_read_seq: Seq,
    /// Messages in ascending seq (cmd 10/11 frames).
    pub messages: Vec<frame::Frame>,
    /// Everyone who sent one of `messages`, for names and avatars.
    pub senders: Vec<User>,
    /// My system notices about this conversation (cmd 12 frames, ascending id) from the time
    /// of the page's oldest message on, so they sit between the messages they came between.
    #[serde(default)]
    pub notices: Vec<frame::Frame>,
    /// A cid no message has yet, for the plain form's next send (a double submit stores once).
    pub next_cid: Cid,
    /// The pinned messages, newest pin first (at most 50), for the bar under the header.
    #[serde(default)]
    pub pins: Vec<frame::Frame>,
    /// In a group: how far each member has read, for "Read by N" under my messages.
    #[serde(default)]
    pub read_marks: Vec<ReadMark>,
    /// In a group: whether members (not only the owner) may pin.
    #[serde(default)]
    pub members_can_pin: bool,
    /// In a group: its owner (who may recall any message and pin).
    #[serde(default)]
    pub owner_id: Option<UserId>,
    /// How long after sending a text may be edited, in seconds (0: never).
    #[serde(default)]
    pub edit_window_secs: i64,
    /// How long after sending a message may be recalled, in seconds (0: never).
    #[serde(default)]
    pub recall_window_secs: i64,
    /// The newest messages I deleted for me here (at most [`HIDDEN_LISTED`], newest first):
    /// a device that was away when I did catches up, as hiding has no seq.
    #[serde(default)]
    pub hidden: Vec<Seq>,
}

/// How many of my "deleted for me" messages an opened conversation lists.
pub const HIDDEN_LISTED: u64 = 500;

/// How far one member has read a conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadMark {
    /// The member.
    pub user: UserId,
    /// The newest seq they have read.
    pub seq: Seq,
}

/// A member's standing in a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupRole {
    /// Created the group or was handed it; exactly one per group.
    Owner,
    /// Everyone else.
    Member,
}

impl GroupRole {
    /// The role as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupRole::Owner => "owner",
            GroupRole::Member => "member",
        }
    }
}

/// A group as anyone may see it (search results, lists).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// Stable id.
    pub id: GroupId,
    /// Display name.
    pub name: String,
    /// Icon URL, empty for none.
    pub icon: String,
    /// Description, possibly empty.
    pub memo: String,
    /// The current owner.
    pub owner_id: UserId,
    /// How many members, the owner included.
    pub member_count: u32,
    /// Creation time, ms since the epoch.
    pub created_at: i64,
    /// Whether members (not only the owner) may pin messages.
    #[serde(default)]
    pub members_can_pin: bool,
}

/// One of my groups: the group and my role in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyGroup {
    /// The group.
    #[serde(flatten)]
    pub group: Group,
    /// My role in it.
    pub role: GroupRole,
}

/// A group member as listed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// The member.
    #[serde(flatten)]
    pub user: User,
    /// Their role.
    pub role: GroupRole,
    /// When they joined, ms since the epoch.
    pub joined_at: i64,
}

/// `POST /api/groups` body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateGroupRequest {
    /// 1-64 characters.
    pub name: String,
    /// Optional icon URL.
    #[serde(default)]
    pub icon: Option<String>,
    /// Optional description, up to 512 characters.
    #[serde(default)]
    pub memo: Option<String>,
}

/// `POST /api/groups/{id}/owner` body: hand the group to another member.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferOwnershipRequest {
    /// The member who becomes owner.
    pub user_id: UserId,
}

/// Trims a group name and checks it: 1-64 characters, no control characters.
pub fn normalize_group_name(name: &str) -> Result<String, ApiError> {
    let trimmed = name.trim();
    let len = trimmed.chars().count();
    if (1..=64).contains(&len) && !trimmed.chars().any(char::is_control) {
        Ok(trimmed.to_owned())
    } else {
        Err(ApiError::invalid(Field::Name))
    }
}

/// Trims a group icon URL and checks it like an avatar; empty means none.
pub fn normalize_icon(icon: &str) -> Result<String, ApiError> {
    normalize_avatar(icon).map_err(|_| ApiError::invalid(Field::Icon))
}

/// Trims a group description and checks its length (newlines allowed).
pub fn normalize_memo(memo: &str) -> Result<String, ApiError> {
    let trimmed = memo.trim();
    let ok = trimmed.chars().count() <= 512
        && !trimmed
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t');
    if ok {
        Ok(trimmed.to_owned())
    } else {
        Err(ApiError::invalid(Field::Memo))
    }
}

/// One row of `GET /api/conversations`: a conversation I take part in, with its counters and
/// newest message. The server builds it and the browser reads it, so both use this type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationSummary {
    /// Conversation key.
    pub conv: Conv,
    /// The peer's nickname (1:1) or the group's name.
    pub title: String,
    /// The peer's avatar (1:1) or the group's icon; empty for none.
    pub avatar: String,
    /// Newest seq of the conversation.
    pub last_seq: Seq,
    /// How far I have read (my own messages count as read).
    pub read_seq: Seq,
    /// Messages from others after my read mark (actions on messages are not counted).
    pub unread: i64,
    /// The newest message I have not deleted for me, as its frame; `null` when there is
    /// none.
    #[serde(default)]
    pub last: Option<frame::Frame>,
    /// Whether a message after my read mark @mentions me (or everyone): "[@me]" in the list.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mentioned: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deleted_accounts_name_is_reserved() {
        for taken in ["Deleted user", "deleted USER", "  Deleted user "] {
            assert!(normalize_nickname(taken).is_err(), "{taken}");
        }
        assert_eq!(
            normalize_nickname("Deleted user 2").unwrap(),
            "Deleted user 2"
        );
        assert!(is_deleted_name(DELETED_NAME));
        assert!(!is_deleted_name("deleted user"));
    }

    #[test]
    fn usernames() {
        for ok in ["bob", "alice_01", "a.b-c", "+8613800138000", "13800138000"] {
            assert!(validate_username(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            "",
            "has space",
            "ünï",
            "+12",
            "+1234567890123456",
            &"x".repeat(33),
        ] {
            assert_eq!(
                validate_username(bad).unwrap_err().field,
                Some(Field::Username),
                "{bad}"
            );
        }
    }

    #[test]
    fn passwords_and_nicknames() {
        assert!(validate_password("12345678").is_ok());
        assert!(validate_password("1234567").is_err());
        assert!(validate_password(&"p".repeat(1025)).is_err());
        assert_eq!(normalize_nickname("  Bob  ").unwrap(), "Bob");
        assert!(normalize_nickname("   ").is_err());
        assert!(normalize_nickname("a\u{7}b").is_err());
        assert_eq!(normalize_nickname("张伟").unwrap(), "张伟");
    }

    #[test]
    fn urls() {
        assert!(is_allowed_url("https://example.com/a.png"));
        assert!(is_allowed_url("/media/abc"));
        assert!(is_allowed_url("/media/2026/ab-cd_9.webm"));
        assert!(is_allowed_url(
            "https://example.com/a?q=%E4%BD%A0&x=@me#top"
        ));
        assert!(is_allowed_url("https://xn--fiqs8s.example/"));
        for bad in [
            "javascript:alert(1)",
            "data:image/png;base64,AA",
            "//evil.com/x",
            "https://",
            "/media/../etc",
            "http://a b",
            // Bidi and format characters make a link read differently from where it goes.
            "https://example.com/\u{202e}gpj.exe",
            "https://exa\u{200b}mple.com/",
            "/media/a\u{2066}b",
            // Percent-encoded dot segments and separators under /media/.
            "/media/%2e%2e/secret",
            "/media/%2E%2E/secret",
            "/media/.%2e/x",
            "/media/a%2fb",
            "/media/./x",
            "/media/a//b",
            "/media/",
            // Userinfo: the host is evil.com, not the bank.
            "http://bank.example@evil.com/",
            "https://user:pw@host.example/x",
            "http://evil.com\\@bank.example/",
        ] {
            assert!(!is_allowed_url(bad), "{bad}");
        }
        assert_eq!(normalize_avatar("").unwrap(), "");
        assert!(normalize_avatar("ftp://x").is_err());
    }

    #[test]
    fn initial_prefers_nickname() {
        let u = User {
            id: UserId(1),
            username: "bob".into(),
            nickname: "élise".into(),
            avatar: String::new(),
            status: String::new(),
        };
        assert_eq!(u.initial(), "É");
    }

    #[test]
    fn conversation_rows_read_what_the_server_writes() {
        let row = ConversationSummary {
            conv: Conv::private(UserId(2), UserId(1)).unwrap(),
            title: "Bob".into(),
            avatar: String::new(),
            last_seq: Seq(3),
            read_seq: Seq(1),
            unread: 2,
            last: None,
            mentioned: false,
        };
        let json = serde_json::to_value(&row).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"conv": "p:1:2", "title": "Bob", "avatar": "", "last_seq": 3,
                "read_seq": 1, "unread": 2, "last": null})
        );
        assert_eq!(
            serde_json::from_value::<ConversationSummary>(json).unwrap(),
            row
        );
        let with_last: ConversationSummary = serde_json::from_str(
            r#"{"conv":"g:4","title":"Club","avatar":"","last_seq":1,"read_seq":0,"unread":1,
                "last":{"cmd":11,"id":9,"userid":2,"dstid":4,"media":1,"content":"hi",
                "cid":"c","conv":"g:4","seq":1,"ts":5}}"#,
        )
        .unwrap();
        assert_eq!(with_last.last.map(|f| f.content), Some("hi".into()));
    }

    #[test]
    fn group_fields() {
        assert_eq!(normalize_group_name("  Rustaceans ").unwrap(), "Rustaceans");
        assert!(normalize_group_name("").is_err());
        assert!(normalize_group_name(&"g".repeat(65)).is_err());
        assert_eq!(
            normalize_group_name(&"群".repeat(64))
                .unwrap()
                .chars()
                .count(),
            64
        );
        assert_eq!(
            normalize_icon("javascript:x").unwrap_err().field,
            Some(Field::Icon)
        );
        assert_eq!(
            normalize_memo("line one\nline two").unwrap(),
            "line one\nline two"
        );
        assert!(normalize_memo(&"m".repeat(513)).is_err());
        assert_eq!(
            serde_json::to_value(GroupRole::Owner).unwrap(),
            GroupRole::Owner.as_str()
        );
        let json = serde_json::to_value(Friend {
            user: User {
                id: UserId(7),
                username: "a".into(),
                nickname: "A".into(),
                avatar: String::new(),
                status: String::new(),
            },
            online: false,
            last_seen: 0,
        })
        .unwrap();
        assert_eq!(json["id"], 7);
        assert_eq!(json["online"], false);
    }
}

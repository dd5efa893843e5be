//! The wire types that browser and server share (protocol.md sections 1-2), and the input
//! rules both sides apply: the browser to explain early, the server to enforce.

use crate::error::{ApiError, Field};
use crate::ids::UserId;
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

/// Trims a nickname and checks it: 1-32 characters, no control characters.
pub fn normalize_nickname(nickname: &str) -> Result<String, ApiError> {
    let trimmed = nickname.trim();
    let len = trimmed.chars().count();
    if (1..=32).contains(&len) && !trimmed.chars().any(char::is_control) {
        Ok(trimmed.to_owned())
    } else {
        Err(ApiError::invalid(Field::Nickname))
    }
}

/// True for URLs the app may render: `http(s)://` or a path under `/media/`.
/// Everything else (`javascript:`, `data:`, protocol-relative `//host`) is refused.
pub fn is_allowed_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    let has_scheme = ["http://", "https://"]
        .iter()
        .any(|p| lower.starts_with(p) && lower.len() > p.len());
    let media = lower.starts_with("/media/") && !lower.contains("..");
    (has_scheme || media) && !url.chars().any(|c| c.is_control() || c.is_whitespace())
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

#[cfg(test)]
mod tests {
    use super::*;

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
        for bad in [
            "javascript:alert(1)",
            "data:image/png;base64,AA",
            "//evil.com/x",
            "https://",
            "/media/../etc",
            "http://a b",
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
        };
        assert_eq!(u.initial(), "É");
    }
}

//! Wire-safe errors: what a client may learn about a failure, as `{code, msg, field?}`.
//!
//! The same type travels in REST bodies, in server-function responses and (as a code) in the
//! query string of a no-JavaScript form redirect, so the browser can always show the server's
//! own words.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Declares the error codes once: variant, wire name, HTTP status and default message.
macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident = $wire:literal, $status:literal, $msg:literal;)+) => {
        /// The stable, snake_case error codes of the public contract (docs/api.md, "Errors").
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)+
        }

        impl ErrorCode {
            /// Every code, for exhaustive tests and for parsing a code back from a query string.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),+];

            /// The code as it appears on the wire.
            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $wire,)+ }
            }

            /// The HTTP status this code is answered with.
            pub fn http_status(self) -> u16 {
                match self { $(ErrorCode::$variant => $status,)+ }
            }

            /// The message shown to a person when the server gave no more specific one.
            pub fn default_msg(self) -> &'static str {
                match self { $(ErrorCode::$variant => $msg,)+ }
            }
        }
    };
}

error_codes! {
    /// A field failed validation; `field` names it.
    InvalidField = "invalid_field", 400, "A field is not valid.";
    /// The body was not the JSON (or form) the endpoint expects.
    InvalidBody = "invalid_body", 400, "The request body is not valid.";
    /// No valid session: missing, unknown, expired or logged-out token.
    Unauthorized = "unauthorized", 401, "Please log in.";
    /// Login refused: unknown user or wrong password (deliberately indistinguishable).
    InvalidCredentials = "invalid_credentials", 401, "Wrong username or password.";
    /// The username is already registered.
    UsernameTaken = "username_taken", 409, "That username is already taken.";
    /// A password change named a current password that is not the account's.
    WrongPassword = "wrong_password", 403, "That is not your current password.";
    /// Too many failed logins for this account or address; retry later.
    TooManyAttempts = "too_many_attempts", 429,
        "Too many failed attempts. Please wait a few minutes and try again.";
    /// Too many accounts created from this address (or in all) within the hour; retry later.
    TooManyRegistrations = "too_many_registrations", 429,
        "Too many accounts were created recently. Please try again later.";
    /// The thing addressed does not exist.
    NotFound = "not_found", 404, "Not found.";
    /// Authenticated, but not allowed to do this.
    Forbidden = "forbidden", 403, "You are not allowed to do that.";
    /// Befriending yourself.
    CannotFriendSelf = "cannot_friend_self", 400, "You cannot add yourself as a friend.";
    /// The two users are already friends.
    AlreadyFriends = "already_friends", 409, "You are already friends.";
    /// Removing a friendship that does not exist.
    NotFriends = "not_friends", 404, "You are not friends.";
    /// One of the two has blocked the other: no messages, requests or typing between them.
    Blocked = "blocked", 403, "You cannot contact this person.";
    /// The person accepts no friend requests from me (their "Friend requests from" setting).
    RequestsClosed = "requests_closed", 403, "This person does not accept friend requests.";
    /// Joining a group twice.
    AlreadyMember = "already_member", 409, "You are already a member of this group.";
    /// Acting on a group one is not a member of (or naming a non-member).
    NotMember = "not_member", 403, "That is not a member of this group.";
    /// Only the group's owner may do this.
    NotOwner = "not_owner", 403, "Only the group's owner can do that.";
    /// The owner tried to leave; they must hand ownership over or dissolve the group.
    OwnerCannotLeave = "owner_cannot_leave", 409,
        "You own this group: hand ownership to another member or dissolve the group first.";
    /// The group has reached `MAX_GROUP_MEMBERS`.
    GroupFull = "group_full", 409, "This group is full.";
    /// The user already owns `MAX_OWNED_GROUPS` groups.
    OwnedGroupsLimit = "owned_groups_limit", 422, "You already own the maximum number of groups.";
    /// A WebSocket frame that is not a JSON object of the frame shape.
    BadFrame = "bad_frame", 400, "That frame could not be read.";
    /// A WebSocket frame over 64 KiB.
    FrameTooLarge = "frame_too_large", 413, "That frame is too large (64 KiB at most).";
    /// A cmd code the server does not accept from clients.
    UnknownCmd = "unknown_cmd", 400, "Unknown command.";
    /// A media kind outside the media table (docs/api.md).
    InvalidMedia = "invalid_media", 400, "Unknown media kind.";
    /// A message whose fields do not fit its media kind; `msg` says which.
    InvalidPayload = "invalid_payload", 400, "The message is not valid for its kind.";
    /// The non-friend allowance (3 messages until the other side replies) is used up.
    NotFriendsLimit = "not_friends_limit", 403,
        "You can send 3 messages to someone who is not your friend until they reply.";
    /// The same sender reused a `cid` in another conversation: a cid names one message.
    CidConflict = "cid_conflict", 409,
        "That message id (cid) was already used for a message in another conversation.";
    /// An upload over `PARLEY_MAX_UPLOAD_BYTES`; `msg` names the cap.
    FileTooLarge = "file_too_large", 413, "That file is too large.";
    /// An upload whose content is not an accepted type (pictures, sound, video, PDF), or a
    /// picture that cannot be read.
    UnsupportedMedia = "unsupported_media", 415,
        "That kind of file cannot be sent. Send a picture, a sound, a video or a PDF.";
    /// A picture with more pixels than `PARLEY_MAX_IMAGE_PIXELS`.
    ImageTooLarge = "image_too_large", 422, "That picture has too many pixels.";
    /// Too many uploads in a minute; `Retry-After` says when to try again.
    TooManyUploads = "too_many_uploads", 429,
        "You are sending files too fast. Please wait a moment and try again.";
    /// A message whose `url` or `pic` names a `/media/` file that does not exist or that the
    /// sender did not upload.
    MediaNotFound = "media_not_found", 400,
        "That attachment is not one of your uploads. Please upload it again.";
    /// Only a message's sender may do that to it (edit, recall outside a group's owner).
    NotAuthor = "not_author", 403, "Only the person who sent that message can do that.";
    /// The edit window (`PARLEY_EDIT_WINDOW_SECS`) has passed, or editing is off.
    EditWindowPassed = "edit_window_passed", 403, "That message can no longer be edited.";
    /// The recall window (`PARLEY_RECALL_WINDOW_SECS`) has passed.
    RecallWindowPassed = "recall_window_passed", 403, "It is too late to recall that message.";
    /// The message was recalled: nothing more can be done to it.
    Recalled = "recalled", 410, "That message was recalled.";
    /// The message already has `MAX_DISTINCT_REACTIONS` different emoji.
    TooManyReactions = "too_many_reactions", 422,
        "That message already has as many different reactions as it can hold.";
    /// Too many message actions in a minute (`PARLEY_ACTIONS_PER_MINUTE`).
    TooManyActions = "too_many_actions", 429, "You are doing that too fast. Please wait a moment.";
    /// A cookie-authenticated change that did not come from Parley's own pages (CSRF guard).
    CrossOrigin = "cross_origin", 403,
        "This request did not come from this site's own pages, so it was refused.";
    /// The user, the client address or the server has as many sockets open as allowed.
    TooManyConnections = "too_many_connections", 429,
        "Too many open connections. Close another tab or device and try again.";
    /// A request's body stopped arriving (`PARLEY_BODY_IDLE_SECS`) or took longer than
    /// `PARLEY_BODY_TOTAL_SECS`; the connection is closed after this answer.
    RequestTimeout = "request_timeout", 408,
        "The upload stalled or took too long. Please check your connection and try again.";
    /// The server is shutting down or restarting; try again shortly.
    Unavailable = "unavailable", 503, "The server is restarting. Please try again in a moment.";
    /// The server failed; details are in its logs, never in the response.
    Internal = "internal", 500, "Something went wrong on the server. Please try again.";
}

impl ErrorCode {
    /// Parses a wire code; `None` for anything not in the contract.
    pub fn parse(s: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A user-input field that validation can reject; its rule text is the error message, so the
/// server and a no-JavaScript page render the same words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// `username` at registration or login.
    Username,
    /// `password` at registration or login.
    Password,
    /// The display name.
    Nickname,
    /// The avatar URL.
    Avatar,
    /// A search query.
    Q,
    /// A user id given as the subject of a request.
    UserId,
    /// A group's name.
    Name,
    /// A group's icon URL.
    Icon,
    /// A group's description.
    Memo,
    /// A friend request's note.
    Note,
    /// A profile's status line.
    Status,
    /// A report's reason.
    Reason,
}

impl Field {
    /// Every field, for parsing a field name back from a query string.
    pub const ALL: [Field; 12] = [
        Field::Username,
        Field::Password,
        Field::Nickname,
        Field::Avatar,
        Field::Q,
        Field::UserId,
        Field::Name,
        Field::Icon,
        Field::Memo,
        Field::Note,
        Field::Status,
        Field::Reason,
    ];

    /// The field's name as used in request bodies.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Username => "username",
            Field::Password => "password",
            Field::Nickname => "nickname",
            Field::Avatar => "avatar",
            Field::Q => "q",
            Field::UserId => "user_id",
            Field::Name => "name",
            Field::Icon => "icon",
            Field::Memo => "memo",
            Field::Note => "note",
            Field::Status => "status",
            Field::Reason => "reason",
        }
    }

    /// Parses a field name; `None` for unknown names.
    pub fn parse(s: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// The rule the field must satisfy, phrased for the person typing it.
    pub fn rule(self) -> &'static str {
        match self {
            Field::Username => {
                "Username must be 3-32 letters, digits, '_', '.' or '-', or a mobile number."
            }
            Field::Password => "Password must be 8 to 1024 characters.",
            Field::Nickname => "Nickname must be 1-32 characters, without control characters, and not “Deleted user”.",
            Field::Avatar => {
                "Avatar must be an http(s):// URL or a /media/ path of at most 512 characters."
            }
            Field::Q => "Search text must be 1-64 characters.",
            Field::UserId => "That is not a valid user id.",
            Field::Name => "Group name must be 1-64 characters, without control characters.",
            Field::Icon => {
                "Icon must be an http(s):// URL or a /media/ path of at most 512 characters."
            }
            Field::Memo => "Description must be at most 512 characters.",
            Field::Note => "The note must be at most 120 characters, on one line.",
            Field::Status => "The status must be at most 80 characters, on one line.",
            Field::Reason => "Say why in 1 to 500 characters.",
        }
    }
}

/// The error body of every failed API call: `{code, msg, field?}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code}: {msg}")]
pub struct ApiError {
    /// Stable machine-readable code.
    pub code: ErrorCode,
    /// Human-readable explanation, safe to show to the user.
    pub msg: String,
    /// The offending field, for `invalid_field`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<Field>,
}

impl ApiError {
    /// An error with the code's default message.
    pub fn new(code: ErrorCode) -> ApiError {
        ApiError {
            code,
            msg: code.default_msg().to_owned(),
            field: None,
        }
    }

    /// An error with a specific message.
    pub fn with_msg(code: ErrorCode, msg: impl Into<String>) -> ApiError {
        ApiError {
            code,
            msg: msg.into(),
            field: None,
        }
    }

    /// A validation failure of `field`, explained by the field's rule.
    pub fn invalid(field: Field) -> ApiError {
        ApiError {
            code: ErrorCode::InvalidField,
            msg: field.rule().to_owned(),
            field: Some(field),
        }
    }

    /// The same error, naming `field` as the offending input.
    pub fn with_field(mut self, field: Field) -> ApiError {
        self.field = Some(field);
        self
    }

    /// Rebuilds the message a page shows from a code and field carried in a redirect's query.
    pub fn from_query(code: &str, field: Option<&str>) -> ApiError {
        let code = ErrorCode::parse(code).unwrap_or(ErrorCode::Internal);
        match field.and_then(Field::parse) {
            Some(field) if code == ErrorCode::InvalidField => ApiError::invalid(field),
            _ => ApiError::new(code),
        }
    }
}

impl server_fn::error::FromServerFnError for ApiError {
    type Encoder = server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: server_fn::error::ServerFnErrorErr) -> Self {
        use server_fn::error::ServerFnErrorErr as E;
        match value {
            E::Args(m) | E::Deserialization(m) | E::MissingArg(m) => {
                ApiError::with_msg(ErrorCode::InvalidBody, m)
            }
            E::Request(_) | E::Response(_) => ApiError::with_msg(
                ErrorCode::Internal,
                "Could not reach the server. Check your connection and try again.",
            ),
            _ => ApiError::new(ErrorCode::Internal),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_their_wire_names() {
        for &code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
        assert_eq!(ErrorCode::parse("nope"), None);
    }

    #[test]
    fn query_rebuilds_field_message() {
        let e = ApiError::from_query("invalid_field", Some("password"));
        assert_eq!(e, ApiError::invalid(Field::Password));
        let e = ApiError::from_query("invalid_credentials", None);
        assert_eq!(e.msg, ErrorCode::InvalidCredentials.default_msg());
        assert_eq!(
            ApiError::from_query("bogus", None).code,
            ErrorCode::Internal
        );
    }
}

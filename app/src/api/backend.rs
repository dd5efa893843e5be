//! The seam between server functions (in `app`) and the server's services (in `server`):
//! `app` cannot name server types, so the server implements this trait and provides it to
//! every request through Leptos context.

use crate::error::{ApiError, ErrorCode};
use crate::ids::{GroupId, UserId};
use crate::protocol::people::{
    FriendRequests, Privacy, PrivacyChange, ReportRequest, RequestOutcome,
};
use crate::protocol::{
    ChangePasswordRequest, Conv, ConversationSummary, CreateGroupRequest, Friend, Group,
    LoginRequest, Member, MyGroup, OpenConversation, RegisterRequest, SessionInfo, UpdateMeRequest,
    User,
};
use http::request::Parts;
use http::HeaderValue;
use std::future::Future;
use std::sync::Arc;

/// What the pages need from the account service. Every method takes the request's parts so
/// the server alone decides how sessions are carried (cookie or bearer) and who the client is.
#[async_trait::async_trait]
pub trait Backend: SocialApi + PeopleApi + ChatApi + Send + Sync + 'static {
    /// The user of the request's session, `None` when anonymous or the session has ended.
    async fn current_user(&self, req: &Parts) -> Result<Option<User>, ApiError>;

    /// Creates an account.
    async fn register(&self, req: &Parts, body: RegisterRequest) -> Result<User, ApiError>;

    /// Checks credentials (throttled per account and address) and opens a session; returns
    /// the user and the `Set-Cookie` value that carries the session.
    async fn login(&self, req: &Parts, body: LoginRequest)
        -> Result<(User, HeaderValue), ApiError>;

    /// Ends the request's session everywhere; returns the `Set-Cookie` value that clears it.
    async fn logout(&self, req: &Parts) -> Result<HeaderValue, ApiError>;
    /// Changes the password of the request's session's user; their other sessions end.
    async fn change_password(
        &self,
        req: &Parts,
        body: ChangePasswordRequest,
    ) -> Result<(), ApiError>;
    /// Deletes the request's user's account (the password proves it); returns the
    /// `Set-Cookie` value that clears the session cookie.
    async fn delete_account(&self, req: &Parts, password: String) -> Result<HeaderValue, ApiError>;
    /// The request's user's live sessions, the asking one marked.
    async fn sessions(&self, req: &Parts) -> Result<Vec<SessionInfo>, ApiError>;
    /// Ends one of the request's user's sessions (`None`: every one but the asking one);
    /// their sockets close on every node.
    async fn end_sessions(&self, req: &Parts, id: Option<i64>) -> Result<(), ApiError>;
}

/// The messaging rules the chat pages need, acting as `me`.
#[async_trait::async_trait]
pub trait ChatApi: Send + Sync + 'static {
    /// My conversations, newest activity first (`GET /api/conversations`).
    async fn conversations(&self, me: UserId) -> Result<Vec<ConversationSummary>, ApiError>;
    /// A conversation I take part in, with its newest page (or the page before `before`).
    async fn open_conversation(
        &self,
        me: UserId,
        conv: Conv,
        before: Option<i64>,
    ) -> Result<OpenConversation, ApiError>;
}

/// The friend and group rules (docs/api.md, "Friends and groups"), acting as `me`; the server's REST
/// handlers call the very same methods.
#[async_trait::async_trait]
pub trait SocialApi: Send + Sync + 'static {
    /// My friends, with their online flag.
    async fn friends(&self, me: UserId) -> Result<Vec<Friend>, ApiError>;
    /// Ends the friendship on both sides.
    async fn remove_friend(&self, me: UserId, peer: UserId) -> Result<(), ApiError>;
    /// The groups I belong to, with my role.
    async fn my_groups(&self, me: UserId) -> Result<Vec<MyGroup>, ApiError>;
    /// Creates a group owned by `me`.
    async fn create_group(&self, me: UserId, req: CreateGroupRequest) -> Result<MyGroup, ApiError>;
    /// Groups matching an id or part of a name.
    async fn search_groups(&self, q: &str) -> Result<Vec<Group>, ApiError>;
    /// Joins a group.
    async fn join_group(&self, me: UserId, group: GroupId) -> Result<MyGroup, ApiError>;
    /// Leaves a group (not allowed to its owner).
    async fn leave_group(&self, me: UserId, group: GroupId) -> Result<(), ApiError>;
    /// A group's members with their roles (members only).
    async fn members(&self, me: UserId, group: GroupId) -> Result<Vec<Member>, ApiError>;
    /// Hands the group to another member (owner only).
    async fn transfer_group(
        &self,
        me: UserId,
        group: GroupId,
        to: UserId,
    ) -> Result<MyGroup, ApiError>;
    /// Deletes the group for everyone (owner only).
    async fn dissolve_group(&self, me: UserId, group: GroupId) -> Result<(), ApiError>;
    /// Lets the group's members pin messages, or only its owner (owner only).
    async fn set_members_can_pin(
        &self,
        me: UserId,
        group: GroupId,
        allowed: bool,
    ) -> Result<Group, ApiError>;
}

/// Friend requests, blocks, reports and privacy (docs/api.md, "Requests, blocks and
/// reports"), acting as `me`; the REST handlers call the very same methods.
#[async_trait::async_trait]
pub trait PeopleApi: Send + Sync + 'static {
    /// Whom `q` finds: an exact username, or a part of a discoverable person's name.
    async fn search_users(&self, me: UserId, q: &str) -> Result<Vec<User>, ApiError>;
    /// Asks `peer` to be my friend (or accepts their request to me).
    async fn ask_friend(
        &self,
        me: UserId,
        peer: UserId,
        note: Option<String>,
    ) -> Result<RequestOutcome, ApiError>;
    /// The requests waiting for me and mine still pending.
    async fn friend_requests(&self, me: UserId) -> Result<FriendRequests, ApiError>;
    /// Accepts `asker`'s request.
    async fn accept_request(&self, me: UserId, asker: UserId) -> Result<Friend, ApiError>;
    /// Declines `asker`'s request (they are not told).
    async fn decline_request(&self, me: UserId, asker: UserId) -> Result<(), ApiError>;
    /// Withdraws my request to `to`.
    async fn withdraw_request(&self, me: UserId, to: UserId) -> Result<(), ApiError>;
    /// Blocks `other`.
    async fn block(&self, me: UserId, other: UserId) -> Result<(), ApiError>;
    /// Unblocks `other`.
    async fn unblock(&self, me: UserId, other: UserId) -> Result<(), ApiError>;
    /// The people I blocked.
    async fn blocked(&self, me: UserId) -> Result<Vec<User>, ApiError>;
    /// Reports a user or one of their messages; the report's id.
    async fn report(&self, me: UserId, req: ReportRequest) -> Result<i64, ApiError>;
    /// My privacy settings.
    async fn privacy(&self, me: UserId) -> Result<Privacy, ApiError>;
    /// Changes my privacy settings.
    async fn set_privacy(&self, me: UserId, change: PrivacyChange) -> Result<Privacy, ApiError>;
    /// A person's profile as I may see it (404 for someone who blocked me).
    async fn profile(&self, me: UserId, id: UserId) -> Result<User, ApiError>;
    /// Changes my nickname, avatar or status line; everyone who sees me is told live.
    async fn update_profile(&self, me: UserId, change: UpdateMeRequest) -> Result<User, ApiError>;
}

/// How the server hands its [`Backend`] to server functions (via `provide_context`).
pub type SharedBackend = Arc<dyn Backend>;

/// The backend and request parts of the current server-function call or page render.
fn context() -> Result<(SharedBackend, Parts), ApiError> {
    let backend = leptos::prelude::use_context::<SharedBackend>();
    let parts = leptos::prelude::use_context::<Parts>();
    match (backend, parts) {
        (Some(b), Some(p)) => Ok((b, p)),
        _ => Err(ApiError::with_msg(
            ErrorCode::Internal,
            "server functions called outside a request",
        )),
    }
}

/// The backend and the logged-in user of the current call; 401 `unauthorized` when anonymous.
async fn authed() -> Result<(SharedBackend, User), ApiError> {
    let (backend, parts) = context()?;
    let user = backend
        .current_user(&parts)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::Unauthorized))?;
    Ok((backend, user))
}

/// The body of a server function that acts as the logged-in user: authenticates the call
/// (401 `unauthorized` when anonymous), runs `f` with the backend and the user, and gives a
/// refusal its HTTP status ([`respond`]).
pub(crate) async fn as_user<T, F, Fut>(f: F) -> Result<T, ApiError>
where
    F: FnOnce(SharedBackend, User) -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    respond(
        async {
            let (backend, me) = authed().await?;
            f(backend, me).await
        }
        .await,
    )
}

/// The body of a server function that may run anonymously (logging in, signing up): runs
/// `f` with the backend and the request's parts, and gives a refusal its HTTP status
/// ([`respond`]).
pub(crate) async fn with_request<T, F, Fut>(f: F) -> Result<T, ApiError>
where
    F: FnOnce(SharedBackend, Parts) -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    respond(
        async {
            let (backend, parts) = context()?;
            f(backend, parts).await
        }
        .await,
    )
}

/// Passes a server function's result through, giving a refusal its HTTP status (the body
/// is the `{code, msg}` either way) so browsers and logs see 4xx for a refused request.
fn respond<T>(result: Result<T, ApiError>) -> Result<T, ApiError> {
    if let Err(e) = &result {
        if let (Some(res), Ok(status)) = (
            leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
            http::StatusCode::from_u16(e.code.http_status()),
        ) {
            res.set_status(status);
        }
    }
    result
}

/// Adds a `Set-Cookie` header to the response of the current server-function call.
pub(crate) fn set_cookie(value: HeaderValue) {
    if let Some(res) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        res.append_header(http::header::SET_COOKIE, value);
    }
}

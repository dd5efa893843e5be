//! The seed client's dialect, "v0" (docs/api.md, "v0 (seed
//! dialect)"): the REST calls its pages make and its `GET /chat` socket, served beside v1 so
//! the seed's own web client works unchanged. Thin, like every handler here: read the
//! seed's fields, call the same rules as v1 (accounts, social, media), answer in the seed's
//! envelope.
//!
//! The envelope: the seed client ignores any answer but HTTP 200 (and would wait forever),
//! so every answer is 200 with `{code:0, msg, data?}`, `{code:0, msg, rows, total}` for the
//! lists, or `{code:-1, msg}`. Bodies are form-encoded (each value passed through
//! `encodeURI` by the client, so one form decoding restores it, as it did for the seed's
//! server) or JSON; numbers may come as strings.
//!
//! Who acts is always the login session (cookie or bearer token), never a posted `userid` or
//! `ownerid`: the seed client posts its own id with every call, and one that differs from
//! the session's user is refused (`code:-1`, nothing changed), since it means the page
//! believes it is someone else (another login in the same browser) or someone is trying to
//! act as another user.

use super::extract::{client_addr, session_cookie, CurrentUser};
use super::ws::{live_session, open};
use crate::clock::now_ms;
use crate::dialect::v0::Seed;
use crate::error::AppError;
use crate::media::MediaError;
use crate::state::AppState;
use app::error::{ApiError, ErrorCode, Field};
use app::ids::{GroupId, UserId};
use app::protocol::people::RequestOutcome;
use app::protocol::seed::is_sticker_path;
use app::protocol::upload::media_key;
use app::protocol::{
    normalize_avatar, CreateGroupRequest, Group, LoginRequest, RegisterRequest, UpdateMeRequest,
    User,
};
use axum::body::Bytes;
use axum::extract::multipart::MultipartRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Multipart, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The icon the seed client gives a new community (one of its own files); stored as "no
/// icon", and shown again for groups without one, so both clients draw their own default.
const SEED_COMMUNITY_ICON: &str = "/asset/images/community.png";

/// Why a v0 call failed; always answered HTTP 200 `{code:-1, msg}`.
#[derive(Debug, thiserror::Error)]
pub enum V0Error {
    /// A rule refused, or the server failed (logged; the client sees only "internal").
    #[error(transparent)]
    App(#[from] AppError),
    /// The body, or a field in it, could not be read.
    #[error("{0}")]
    Body(String),
}

impl From<MediaError> for V0Error {
    fn from(e: MediaError) -> V0Error {
        V0Error::App(e.into())
    }
}

impl From<ApiError> for V0Error {
    fn from(e: ApiError) -> V0Error {
        V0Error::App(e.into())
    }
}

impl IntoResponse for V0Error {
    fn into_response(self) -> Response {
        let msg = match self {
            V0Error::App(e) => e.to_api().msg,
            V0Error::Body(msg) => msg,
        };
        Json(Envelope::<()> {
            code: -1,
            msg,
            data: None,
            rows: None,
            total: None,
        })
        .into_response()
    }
}

/// The seed's answer envelope.
#[derive(Debug, Serialize)]
pub struct Envelope<T> {
    /// 0 for success, -1 for failure.
    pub code: i32,
    /// What went wrong, or a short success note.
    pub msg: String,
    /// The object asked for, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<T>,
    /// A list's rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<Vec<T>>,
    /// A list's length.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<usize>,
}

type Answer<T> = Result<Json<Envelope<T>>, V0Error>;

fn data<T>(data: Option<T>) -> Answer<T> {
    Ok(Json(Envelope {
        code: 0,
        msg: String::new(),
        data,
        rows: None,
        total: None,
    }))
}

fn rows<T>(rows: Vec<T>) -> Answer<T> {
    Ok(Json(Envelope {
        code: 0,
        msg: String::new(),
        data: None,
        total: Some(rows.len()),
        rows: Some(rows),
    }))
}

/// A user as the seed client reads one (`mobile` is the username).
#[derive(Debug, Serialize)]
pub struct SeedUser {
    /// Id.
    pub id: i64,
    /// Login name.
    pub mobile: String,
    /// Display name.
    pub nickname: String,
    /// Avatar URL, empty for none (the client then draws its own default).
    pub avatar: String,
    /// The seed's "signature" line; Parley has none.
    pub memo: String,
    /// The session token, in the answer to login and register only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl SeedUser {
    fn new(u: User, token: Option<String>) -> SeedUser {
        SeedUser {
            id: u.id.0,
            mobile: u.username,
            nickname: u.nickname,
            avatar: u.avatar,
            memo: String::new(),
            token,
        }
    }
}

/// A group as the seed client reads one (a "community").
#[derive(Debug, Serialize)]
pub struct SeedCommunity {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Icon URL; the seed's default community icon when the group has none.
    pub icon: String,
    /// Description.
    pub memo: String,
    /// The owner.
    pub ownerid: i64,
    /// The seed's category; Parley has none, so always 0.
    pub cate: i64,
}

impl From<Group> for SeedCommunity {
    fn from(g: Group) -> SeedCommunity {
        SeedCommunity {
            id: g.id.0,
            name: g.name,
            icon: if g.icon.is_empty() {
                SEED_COMMUNITY_ICON.to_owned()
            } else {
                g.icon
            },
            memo: g.memo,
            ownerid: g.owner_id.0,
            cate: 0,
        }
    }
}

/// A posted body's fields: form-encoded (the seed client) or a JSON object (numbers and
/// strings alike read as text). Extracting it never fails with anything but the seed's
/// envelope.
pub struct Posted(HashMap<String, String>);

impl Posted {
    fn read(headers: &HeaderMap, body: &[u8]) -> Result<Posted, V0Error> {
        let json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.to_ascii_lowercase().contains("application/json"));
        if !json {
            // `+` is a space and `%XX` a byte, exactly as the seed's server (Go's
            // `ParseForm`) read what `encodeURI` produced.
            return Ok(Posted(
                url::form_urlencoded::parse(body)
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect(),
            ));
        }
        let map: HashMap<String, serde_json::Value> = serde_json::from_slice(body)
            .map_err(|e| V0Error::Body(format!("Unreadable JSON: {e}")))?;
        Ok(Posted(
            map.into_iter()
                .filter_map(|(k, v)| match v {
                    serde_json::Value::String(s) => Some((k, s)),
                    serde_json::Value::Number(n) => Some((k, n.to_string())),
                    serde_json::Value::Bool(b) => Some((k, b.to_string())),
                    _ => None,
                })
                .collect(),
        ))
    }

    /// A text field, empty when absent.
    fn text(&self, name: &str) -> String {
        self.0.get(name).cloned().unwrap_or_default()
    }

    /// A text field that must be there.
    fn required(&self, name: &str) -> Result<String, V0Error> {
        match self.0.get(name) {
            Some(v) if !v.trim().is_empty() => Ok(v.clone()),
            _ => Err(V0Error::Body(format!("`{name}` is required."))),
        }
    }

    /// A positive id that must be there.
    fn id(&self, name: &str) -> Result<i64, V0Error> {
        self.required(name)?
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .ok_or_else(|| V0Error::Body(format!("`{name}` must be a positive id.")))
    }
}

impl FromRequest<AppState> for Posted {
    type Rejection = V0Error;

    async fn from_request(req: Request, state: &AppState) -> Result<Posted, V0Error> {
        let headers = req.headers().clone();
        // Within the router's body limit, like every other body.
        let body = Bytes::from_request(req, state)
            .await
            .map_err(|e| V0Error::Body(e.body_text()))?;
        Posted::read(&headers, &body)
    }
}

/// Refuses a posted acting user (`userid`, `ownerid`) other than the session's; absent,
/// empty or 0 means the client did not say.
fn claimed_actor(name: &str, value: Option<&str>, me: &User) -> Result<(), V0Error> {
    let claimed = value.map(str::trim).unwrap_or("");
    if claimed.is_empty() || claimed == "0" || claimed.parse::<i64>().ok() == Some(me.id.0) {
        return Ok(());
    }
    tracing::warn!(user = %me.id, field = name, "v0 post names another user; refused");
    Err(V0Error::Body(format!(
        "`{name}` must be your own id (you are signed in as {}).",
        me.id
    )))
}

/// The signed-in caller, or the seed envelope's refusal.
fn signed_in(me: Result<CurrentUser, AppError>) -> Result<User, V0Error> {
    me.map(|m| m.user)
        .map_err(|_| V0Error::Body("Not signed in.".to_owned()))
}

/// A signed-in seed post: the session's user and the posted fields, whose `userid` and
/// `ownerid` (where given) were checked to be that user.
pub struct Caller {
    user: User,
    posted: Posted,
}

impl FromRequest<AppState> for Caller {
    type Rejection = V0Error;

    async fn from_request(req: Request, state: &AppState) -> Result<Caller, V0Error> {
        let (mut parts, body) = req.into_parts();
        let user = signed_in(CurrentUser::from_request_parts(&mut parts, state).await)?;
        let posted = Posted::from_request(Request::from_parts(parts, body), state).await?;
        for actor in ["userid", "ownerid"] {
            claimed_actor(actor, posted.0.get(actor).map(String::as_str), &user)?;
        }
        Ok(Caller { user, posted })
    }
}

/// Opens a session for `username` and answers like the seed (the user with its token) and
/// with the session cookie, as `POST /api/login` does.
async fn log_in(state: &AppState, parts: &Parts, req: LoginRequest) -> Result<Response, V0Error> {
    let session = state.login(req, client_addr(parts)).await?;
    let cookie: HeaderValue = session_cookie(&state.config, &session.token)?;
    let user = SeedUser::new(session.user, Some(session.token));
    Ok(([(header::SET_COOKIE, cookie)], data(Some(user))).into_response())
}

/// `POST /user/register` (`mobile`, `passwd`, optional `nickname`, `avatar`): creates the
/// account and logs it in (the seed answered with a token).
pub async fn register(
    State(state): State<AppState>,
    parts: Parts,
    f: Posted,
) -> Result<Response, V0Error> {
    // Checked before anything is created, so a bad avatar leaves no account behind. An
    // upload cannot be the new user's own yet, so none is accepted here.
    let avatar = normalize_avatar(&f.text("avatar"))?;
    if media_key(&avatar).is_some() {
        let msg = "An uploaded avatar must be your own upload: set it after registering.";
        return Err(ApiError::with_msg(ErrorCode::InvalidField, msg)
            .with_field(Field::Avatar)
            .into());
    }
    let (username, password) = (f.required("mobile")?, f.required("passwd")?);
    let nickname = Some(f.text("nickname")).filter(|n| !n.trim().is_empty());
    let user = state
        .accounts
        .register(RegisterRequest {
            username: username.clone(),
            password: password.clone(),
            nickname,
        })
        .await?;
    if !avatar.is_empty() {
        let change = UpdateMeRequest {
            nickname: None,
            avatar: Some(avatar),
            status: None,
        };
        state.people.update_profile(user.id, change).await?;
    }
    log_in(&state, &parts, LoginRequest { username, password }).await
}

/// `POST /user/login` (`mobile`, `passwd`) -> the user with `token`, and the session cookie.
pub async fn login(
    State(state): State<AppState>,
    parts: Parts,
    f: Posted,
) -> Result<Response, V0Error> {
    let req = LoginRequest {
        username: f.required("mobile")?,
        password: f.required("passwd")?,
    };
    log_in(&state, &parts, req).await
}

/// `POST /user/find` (`id`) -> that user (the client looks up group members it does not
/// know before drawing their messages).
pub async fn find(State(state): State<AppState>, c: Caller) -> Answer<SeedUser> {
    let found = state
        .accounts
        .user(UserId(c.posted.id("id")?))
        .await?
        .ok_or_else(|| ApiError::with_msg(ErrorCode::NotFound, "No such user."))?;
    data(Some(SeedUser::new(found, None)))
}

/// `POST /contact/loadfriend` (`userid`) -> my friends as `rows`.
pub async fn load_friends(State(state): State<AppState>, c: Caller) -> Answer<SeedUser> {
    let friends = state.social.friends(c.user.id).await?;
    rows(
        friends
            .into_iter()
            .map(|f| SeedUser::new(f.user, None))
            .collect(),
    )
}

/// `POST /contact/loadcommunity` (`userid`) -> my groups as `rows`.
pub async fn load_communities(State(state): State<AppState>, c: Caller) -> Answer<SeedCommunity> {
    let groups = state.social.my_groups(c.user.id).await?;
    rows(groups.into_iter().map(|g| g.group.into()).collect())
}

/// `POST /contact/addfriend` (`userid`, `dstid`): with `PARLEY_FRIENDS_WITHOUT_CONSENT`,
/// befriends `dstid` at once (the seed's behaviour); otherwise asks them, and answers a
/// non-zero code whose `msg` the seed client shows in its toast (it reloads its friend list
/// only on code 0, so nobody appears there before saying yes).
pub async fn add_friend(State(state): State<AppState>, c: Caller) -> Answer<SeedUser> {
    let peer = UserId(c.posted.id("dstid")?);
    if state.people.friends_without_consent() {
        let friend = state.social.add_friend(&c.user, peer).await?;
        return data(Some(SeedUser::new(friend.user, None)));
    }
    match state.people.ask(&c.user, peer, None).await? {
        RequestOutcome::Friends { friend } => data(Some(SeedUser::new(friend.user, None))),
        RequestOutcome::Pending => Err(ApiError::with_msg(
            ErrorCode::Forbidden,
            "Friend request sent: you become friends once they accept it in Parley.",
        )
        .into()),
    }
}

/// `POST /contact/joincommunity` (`userid`, `dstid`): joins group `dstid`.
pub async fn join_community(State(state): State<AppState>, c: Caller) -> Answer<SeedCommunity> {
    let g = GroupId(c.posted.id("dstid")?);
    let joined = state.social.join_group(&c.user, g).await?;
    data(Some(joined.group.into()))
}

/// `POST /contact/createcommunity` (`ownerid`, `name`, `icon`, `memo`, `cate`): creates a
/// group I own. The seed's default icon means "none"; `cate` (any text) is accepted and
/// not kept.
pub async fn create_community(State(state): State<AppState>, c: Caller) -> Answer<SeedCommunity> {
    let icon = c.posted.text("icon");
    let req = CreateGroupRequest {
        name: c.posted.text("name"),
        // Any seed asset path (its default icon) is the seed page's own file, not ours.
        icon: Some(icon).filter(|i| !i.is_empty() && !is_sticker_path(i)),
        memo: Some(c.posted.text("memo")),
    };
    let created = state.social.create_group(&c.user, req).await?;
    data(Some(created.group.into()))
}

/// `POST /attach/upload` (multipart `file`, optional `filetype` and `userid`) -> `data`: the
/// file's `/media/` URL. The same upload path as `POST /api/upload`: the type is sniffed
/// from the content (a voice note labelled `.mp3` is really WebM), never taken from
/// `filetype` or the file name.
pub async fn upload(
    State(state): State<AppState>,
    me: Result<CurrentUser, AppError>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Answer<String> {
    let me = signed_in(me)?;
    let max = state.config.media.max_upload_bytes;
    let mut multipart = multipart.map_err(|e| V0Error::Body(e.body_text()))?;
    loop {
        let field = multipart
            .next_field()
            .await
            .map_err(|e| super::media::body_error(e, max))?
            .ok_or(MediaError::NoFile)?;
        match field.name() {
            // The seed sends `userid` before the file; one naming someone else stops the
            // upload before anything is stored.
            Some("userid") => {
                let value = field
                    .text()
                    .await
                    .map_err(|e| V0Error::Body(e.body_text()))?;
                claimed_actor("userid", Some(&value), &me)?;
            }
            Some("file") => {
                let body = field.map_err(move |e| super::media::body_error(e, max));
                let stored = state.media.upload(me.id, body, now_ms()).await?;
                return data(Some(stored.url));
            }
            // `filetype` and anything else: skipped unread.
            _ => {}
        }
    }
}

/// Query of `GET /chat`.
#[derive(Debug, Deserialize)]
pub struct ChatQuery {
    /// The user the page believes it is; must be the token's.
    #[serde(default)]
    pub id: Option<String>,
    /// The session token from the login answer.
    #[serde(default)]
    pub token: Option<String>,
}

/// `GET /chat?id=&token=`: the seed client's socket ([`Seed`]). Authenticated by the
/// token in the query alone (not the cookie, so no cross-site page can ride on a browser's
/// session, and no Origin check is needed, as for `/ws?token=`); `id` must be the token's
/// user.
pub async fn chat(
    State(state): State<AppState>,
    super::extract::ClientAddr(addr): super::extract::ClientAddr,
    super::extract::ApiQuery(query): super::extract::ApiQuery<ChatQuery>,
    ws: WebSocketUpgrade,
) -> Result<Response, AppError> {
    let token = query
        .token
        .filter(|t| !t.is_empty())
        .ok_or(AppError::code(ErrorCode::Unauthorized))?;
    let session = live_session(&state, &token).await?;
    let id = query
        .id
        .as_deref()
        .and_then(|i| i.trim().parse::<i64>().ok());
    if id != Some(session.user.id.0) {
        return Err(
            ApiError::with_msg(ErrorCode::Forbidden, "`id` is not the token's user.").into(),
        );
    }
    open(state, ws, addr, &token, session, std::sync::Arc::new(Seed)).await
}

/// The v0 routes; `upload_limit` bounds the upload body as for `POST /api/upload`.
pub fn routes(upload_limit: usize) -> Router<AppState> {
    Router::new()
        .route("/chat", get(chat))
        .route("/user/register", post(register))
        .route("/user/login", post(login))
        .route("/user/find", post(find))
        .route("/contact/loadfriend", post(load_friends))
        .route("/contact/loadcommunity", post(load_communities))
        .route("/contact/addfriend", post(add_friend))
        .route("/contact/joincommunity", post(join_community))
        .route("/contact/createcommunity", post(create_community))
        .route(
            "/attach/upload",
            post(upload).layer(DefaultBodyLimit::max(upload_limit)),
        )
}

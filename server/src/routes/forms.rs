//! The HTML form posts that make `/login`, `/register`, logout and sending a text message
//! (`/send`) work without JavaScript.
//! Success redirects with the session cookie set; failure redirects back to the form with
//! `?error=<code>&field=<field>&username=<as typed>` so the page can explain.

use super::extract::CurrentUser;
use super::extract::{clear_session_cookie, client_addr, request_token, session_cookie};
use crate::error::AppError;
use crate::state::AppState;
use app::protocol::body::Media;
use app::protocol::frame::SendRequest;
use app::protocol::{Conv, LoginRequest, RegisterRequest};
use axum::extract::{rejection::FormRejection, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

/// Fields of the login form.
#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
}

/// Fields of the sign-up form.
#[derive(Deserialize)]
pub struct RegisterForm {
    username: String,
    password: String,
    #[serde(default)]
    nickname: String,
}

fn back_to(page: &str, err: &AppError, username: &str) -> Response {
    let api = err.to_api();
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("error", api.code.as_str());
    if let Some(f) = api.field {
        q.append_pair("field", f.as_str());
    }
    if !username.is_empty() && username.len() <= 64 {
        q.append_pair("username", username);
    }
    Redirect::to(&format!("{page}?{}", q.finish())).into_response()
}

fn logged_in(cookie: HeaderValue) -> Response {
    ([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response()
}

async fn open_session(
    state: &AppState,
    parts: &Parts,
    req: LoginRequest,
) -> Result<HeaderValue, AppError> {
    let session = state.login(req, client_addr(parts)).await?;
    session_cookie(&state.config, &session.token)
}

/// `POST /login` (form).
pub async fn login(
    State(state): State<AppState>,
    parts: Parts,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return back_to(
            "/login",
            &AppError::code(app::error::ErrorCode::InvalidBody),
            "",
        );
    };
    let req = LoginRequest {
        username: form.username.clone(),
        password: form.password,
    };
    match open_session(&state, &parts, req).await {
        Ok(cookie) => logged_in(cookie),
        Err(e) => back_to("/login", &e, &form.username),
    }
}

/// `POST /register` (form): creates the account and logs in.
pub async fn register(
    State(state): State<AppState>,
    parts: Parts,
    form: Result<Form<RegisterForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return back_to(
            "/register",
            &AppError::code(app::error::ErrorCode::InvalidBody),
            "",
        );
    };
    let req = RegisterRequest {
        username: form.username.clone(),
        password: form.password.clone(),
        nickname: Some(form.nickname),
    };
    let result = match state.accounts.register(req).await {
        Ok(_) => {
            let login = LoginRequest {
                username: form.username.clone(),
                password: form.password,
            };
            open_session(&state, &parts, login).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(cookie) => logged_in(cookie),
        Err(e) => back_to("/register", &e, &form.username),
    }
}

/// Fields of the chat page's composer form.
#[derive(Deserialize)]
pub struct SendForm {
    /// The conversation key.
    conv: String,
    /// The id the page generated for this message, so a double submit stores it once.
    cid: String,
    /// The text.
    content: String,
}

/// `POST /send` (form): sends a text message as the session's user, then back to the
/// conversation (`/?c=<conv>`, with `&error=<code>` and the unsent text when refused).
pub async fn send(
    State(state): State<AppState>,
    me: Result<CurrentUser, AppError>,
    form: Result<Form<SendForm>, FormRejection>,
) -> Response {
    let Ok(me) = me else {
        return Redirect::to("/login").into_response();
    };
    let Ok(Form(form)) = form else {
        return Redirect::to("/?error=invalid_body").into_response();
    };
    let sent = match Conv::parse(&form.conv) {
        Some(conv) => {
            let req = SendRequest {
                cid: form.cid,
                media: Media::Text.code(),
                content: form.content.clone(),
                ..SendRequest::default()
            };
            state.chat.send_to(&me.user, conv, req).await.map(|_| ())
        }
        None => Err(AppError::code(app::error::ErrorCode::NotFound)),
    };
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("c", &form.conv);
    if let Err(e) = sent {
        q.append_pair("error", e.to_api().code.as_str());
        // Give the text back so nothing typed is lost (bounded: it travels in the URL).
        if form.content.chars().count() <= 1000 {
            q.append_pair("draft", &form.content);
        }
    }
    Redirect::to(&format!("/?{}", q.finish())).into_response()
}

/// `POST /logout` (form): ends the session if there is one and returns to `/login`.
pub async fn logout(State(state): State<AppState>, parts: Parts) -> Result<Response, AppError> {
    if let Some(token) = request_token(&parts) {
        state.end_session(&token).await?;
    }
    let clear = clear_session_cookie(&state.config)?;
    Ok(([(header::SET_COOKIE, clear)], Redirect::to("/login")).into_response())
}

//! Server-rendered pages. A guard in front of them sends anonymous visitors of `/` to
//! `/login`, and logged-in visitors of `/login` or `/register` to `/`, before rendering.

use super::extract::request_token;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

/// Redirects page requests that do not fit the visitor's login state.
pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::GET {
        return next.run(req).await;
    }
    let path = req.uri().path();
    let needs_user = path == "/" || path == "/settings";
    let needs_anonymous = path == "/login" || path == "/register";
    if !needs_user && !needs_anonymous {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let user = match request_token(&parts) {
        Some(token) => match state.accounts.authenticate(&token).await {
            Ok(user) => user,
            Err(e) => return e.into_response(),
        },
        None => None,
    };
    match (user.is_some(), needs_user) {
        (false, true) => Redirect::to("/login").into_response(),
        (true, false) => Redirect::to("/").into_response(),
        _ => next.run(Request::from_parts(parts, body)).await,
    }
}

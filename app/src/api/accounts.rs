//! Account server functions used by the login, register and chat pages.
// `#[server]` turns each signature into an argument struct whose fields cannot carry docs.
#![allow(missing_docs)]

use crate::error::ApiError;
use crate::protocol::User;
#[cfg(feature = "ssr")]
use crate::{
    api::backend::{set_cookie, with_request},
    protocol::{LoginRequest, RegisterRequest},
};
use leptos::prelude::*;

/// The logged-in user, or `None` for an anonymous visitor.
#[server(prefix = "/sfn", endpoint = "current_user")]
pub async fn current_user() -> Result<Option<User>, ApiError> {
    with_request(|b, parts| async move { b.current_user(&parts).await }).await
}

/// Logs in and sets the session cookie.
#[server(prefix = "/sfn", endpoint = "login")]
pub async fn login(username: String, password: String) -> Result<User, ApiError> {
    with_request(move |b, parts| async move {
        let (user, cookie) = b.login(&parts, LoginRequest { username, password }).await?;
        set_cookie(cookie);
        Ok(user)
    })
    .await
}

/// Creates an account and logs straight into it, as people expect after signing up.
#[server(prefix = "/sfn", endpoint = "register")]
pub async fn register(
    username: String,
    password: String,
    nickname: Option<String>,
) -> Result<User, ApiError> {
    with_request(move |b, parts| async move {
        let nickname = nickname.filter(|n| !n.trim().is_empty());
        let account = RegisterRequest {
            username: username.clone(),
            password: password.clone(),
            nickname,
        };
        b.register(&parts, account).await?;
        let (user, cookie) = b.login(&parts, LoginRequest { username, password }).await?;
        set_cookie(cookie);
        Ok(user)
    })
    .await
}

/// Ends the current session and clears the cookie.
#[server(prefix = "/sfn", endpoint = "logout")]
pub async fn logout() -> Result<(), ApiError> {
    with_request(|b, parts| async move {
        set_cookie(b.logout(&parts).await?);
        Ok(())
    })
    .await
}

/// Changes my password (the current one is required); my other sessions end.
#[server(prefix = "/sfn", endpoint = "change_password")]
pub async fn change_password(current: String, new: String) -> Result<(), ApiError> {
    with_request(|b, parts| async move {
        b.change_password(
            &parts,
            crate::protocol::ChangePasswordRequest { current, new },
        )
        .await
    })
    .await
}

/// My live sessions (devices), the one asking marked `current`.
#[server(prefix = "/sfn", endpoint = "my_sessions")]
pub async fn my_sessions() -> Result<Vec<crate::protocol::SessionInfo>, ApiError> {
    with_request(|b, parts| async move { b.sessions(&parts).await }).await
}

/// Ends one of my sessions (`id`), or every one but this (`None`); they are signed out at
/// once, sockets and all.
#[server(prefix = "/sfn", endpoint = "end_sessions")]
pub async fn end_sessions(id: Option<i64>) -> Result<(), ApiError> {
    with_request(move |b, parts| async move { b.end_sessions(&parts, id).await }).await
}

/// Deletes my account (my password proves it is me) and clears the session cookie.
#[server(prefix = "/sfn", endpoint = "delete_account")]
pub async fn delete_account(password: String) -> Result<(), ApiError> {
    with_request(move |b, parts| async move {
        set_cookie(b.delete_account(&parts, password).await?);
        Ok(())
    })
    .await
}

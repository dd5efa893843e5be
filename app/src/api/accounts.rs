//! Account server functions used by the login, register and chat pages.
// `#[server]` turns each signature into an argument struct whose fields cannot carry docs.
#![allow(missing_docs)]

use crate::error::ApiError;
use crate::protocol::User;
#[cfg(feature = "ssr")]
use crate::{
    api::backend,
    protocol::{LoginRequest, RegisterRequest},
};
use leptos::prelude::*;

/// The logged-in user, or `None` for an anonymous visitor.
#[server(prefix = "/sfn", endpoint = "current_user")]
pub async fn current_user() -> Result<Option<User>, ApiError> {
    backend::respond(
        async move {
            let (backend, parts) = backend::context()?;
            backend.current_user(&parts).await
        }
        .await,
    )
}

/// Logs in and sets the session cookie.
#[server(prefix = "/sfn", endpoint = "login")]
pub async fn login(username: String, password: String) -> Result<User, ApiError> {
    backend::respond(
        async move {
            let (backend, parts) = backend::context()?;
            let (user, cookie) = backend
                .login(&parts, LoginRequest { username, password })
                .await?;
            backend::set_cookie(cookie);
            Ok(user)
        }
        .await,
    )
}

/// Creates an account and logs straight into it, as people expect after signing up.
#[server(prefix = "/sfn", endpoint = "register")]
pub async fn register(
    username: String,
    password: String,
    nickname: Option<String>,
) -> Result<User, ApiError> {
    backend::respond(
        async move {
            let (backend, parts) = backend::context()?;
            let nickname = nickname.filter(|n| !n.trim().is_empty());
            backend
                .register(
                    &parts,
                    RegisterRequest {
                        username: username.clone(),
                        password: password.clone(),
                        nickname,
                    },
                )
                .await?;
            let (user, cookie) = backend
                .login(&parts, LoginRequest { username, password })
                .await?;
            backend::set_cookie(cookie);
            Ok(user)
        }
        .await,
    )
}

/// Ends the current session and clears the cookie.
#[server(prefix = "/sfn", endpoint = "logout")]
pub async fn logout() -> Result<(), ApiError> {
    backend::respond(
        async move {
            let (backend, parts) = backend::context()?;
            let cookie = backend.logout(&parts).await?;
            backend::set_cookie(cookie);
            Ok(())
        }
        .await,
    )
}

//! The server's side of `app::api::backend::Backend`: server functions reach the account
//! service through this, with the same session and cookie rules as the REST handlers.

use super::extract::{clear_session_cookie, client_addr, request_token, session_cookie};
use crate::state::AppState;
use app::api::backend::Backend;
use app::error::ApiError;
use app::protocol::{LoginRequest, RegisterRequest, User};
use axum::http::request::Parts;
use axum::http::HeaderValue;

#[async_trait::async_trait]
impl Backend for AppState {
    async fn current_user(&self, req: &Parts) -> Result<Option<User>, ApiError> {
        match request_token(req) {
            Some(token) => Ok(self.accounts.authenticate(&token).await?),
            None => Ok(None),
        }
    }

    async fn register(&self, _req: &Parts, body: RegisterRequest) -> Result<User, ApiError> {
        Ok(self.accounts.register(body).await?)
    }

    async fn login(
        &self,
        req: &Parts,
        body: LoginRequest,
    ) -> Result<(User, HeaderValue), ApiError> {
        let session = self.accounts.login(body, client_addr(req)).await?;
        let cookie = session_cookie(&self.config, &session.token)?;
        Ok((session.user, cookie))
    }

    async fn logout(&self, req: &Parts) -> Result<HeaderValue, ApiError> {
        if let Some(token) = request_token(req) {
            self.accounts.logout(&token).await?;
        }
        Ok(clear_session_cookie(&self.config)?)
    }
}

//! The server's side of `app::api::backend::Backend`: server functions reach the account
//! service through this, with the same session and cookie rules as the REST handlers.

use super::extract::{clear_session_cookie, client_addr, request_token, session_cookie};
use crate::error::AppError;
use crate::state::AppState;
use app::api::backend::{Backend, ChatApi, PeopleApi, SocialApi};
use app::error::{ApiError, ErrorCode};
use app::ids::{GroupId, UserId};
use app::protocol::people::{
    FriendRequests, Privacy, PrivacyChange, ReportRequest, RequestOutcome,
};
use app::protocol::{
    ChangePasswordRequest, Conv, ConversationSummary, CreateGroupRequest, Friend, Group,
    LoginRequest, Member, MyGroup, OpenConversation, RegisterRequest, SessionInfo, UpdateMeRequest,
    User,
};
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
        let session = AppState::login(self, body, client_addr(req)).await?;
        let cookie = session_cookie(&self.config, &session.token)?;
        Ok((session.user, cookie))
    }

    async fn change_password(
        &self,
        req: &Parts,
        body: ChangePasswordRequest,
    ) -> Result<(), ApiError> {
        let (user, token) = self.session_of(req).await?;
        Ok(self
            .change_password(user.id, &token, body.current, body.new)
            .await?)
    }

    async fn delete_account(&self, req: &Parts, password: String) -> Result<HeaderValue, ApiError> {
        let (user, _) = self.session_of(req).await?;
        AppState::delete_account(self, &user, password).await?;
        Ok(clear_session_cookie(&self.config)?)
    }

    async fn sessions(&self, req: &Parts) -> Result<Vec<SessionInfo>, ApiError> {
        let (user, token) = self.session_of(req).await?;
        Ok(self.accounts.sessions(user.id, &token).await?)
    }

    async fn end_sessions(&self, req: &Parts, id: Option<i64>) -> Result<(), ApiError> {
        let (user, token) = self.session_of(req).await?;
        match id {
            Some(id) => self.end_session_of(user.id, id).await?,
            None => {
                self.end_other_sessions(user.id, &token).await?;
            }
        }
        Ok(())
    }

    async fn logout(&self, req: &Parts) -> Result<HeaderValue, ApiError> {
        if let Some(token) = request_token(req) {
            self.end_session(&token).await?;
        }
        Ok(clear_session_cookie(&self.config)?)
    }
}

/// The sidebar's server functions act as the session's user; `Backend::current_user` has
/// already turned the session into a `UserId`, so these only need the full user for the
/// changes that record who did them.
#[async_trait::async_trait]
impl SocialApi for AppState {
    async fn friends(&self, me: UserId) -> Result<Vec<Friend>, ApiError> {
        Ok(self.social.friends(me).await?)
    }
    async fn remove_friend(&self, me: UserId, peer: UserId) -> Result<(), ApiError> {
        Ok(self
            .social
            .remove_friend(&self.acting(me).await?, peer)
            .await?)
    }
    async fn my_groups(&self, me: UserId) -> Result<Vec<MyGroup>, ApiError> {
        Ok(self.social.my_groups(me).await?)
    }
    async fn create_group(&self, me: UserId, req: CreateGroupRequest) -> Result<MyGroup, ApiError> {
        Ok(self
            .social
            .create_group(&self.acting(me).await?, req)
            .await?)
    }
    async fn search_groups(&self, q: &str) -> Result<Vec<Group>, ApiError> {
        Ok(self.social.search_groups(q).await?)
    }
    async fn join_group(&self, me: UserId, group: GroupId) -> Result<MyGroup, ApiError> {
        Ok(self
            .social
            .join_group(&self.acting(me).await?, group)
            .await?)
    }
    async fn leave_group(&self, me: UserId, group: GroupId) -> Result<(), ApiError> {
        Ok(self
            .social
            .leave_group(&self.acting(me).await?, group)
            .await?)
    }
    async fn members(&self, me: UserId, group: GroupId) -> Result<Vec<Member>, ApiError> {
        Ok(self.social.members(me, group).await?)
    }
    async fn transfer_group(
        &self,
        me: UserId,
        group: GroupId,
        to: UserId,
    ) -> Result<MyGroup, ApiError> {
        Ok(self
            .social
            .transfer_group(&self.acting(me).await?, group, to)
            .await?)
    }
    async fn dissolve_group(&self, me: UserId, group: GroupId) -> Result<(), ApiError> {
        Ok(self
            .social
            .dissolve_group(&self.acting(me).await?, group)
            .await?)
    }
    async fn set_members_can_pin(
        &self,
        me: UserId,
        group: GroupId,
        allowed: bool,
    ) -> Result<Group, ApiError> {
        Ok(self
            .social
            .set_members_can_pin(&self.acting(me).await?, group, allowed)
            .await?)
    }
}

#[async_trait::async_trait]
impl PeopleApi for AppState {
    async fn search_users(&self, me: UserId, q: &str) -> Result<Vec<User>, ApiError> {
        Ok(self.people.search(me, q).await?)
    }
    async fn ask_friend(
        &self,
        me: UserId,
        peer: UserId,
        note: Option<String>,
    ) -> Result<RequestOutcome, ApiError> {
        let me = self.acting(me).await?;
        Ok(self.people.ask(&me, peer, note.as_deref()).await?)
    }
    async fn friend_requests(&self, me: UserId) -> Result<FriendRequests, ApiError> {
        Ok(self.people.requests(me).await?)
    }
    async fn accept_request(&self, me: UserId, asker: UserId) -> Result<Friend, ApiError> {
        Ok(self.people.accept(&self.acting(me).await?, asker).await?)
    }
    async fn decline_request(&self, me: UserId, asker: UserId) -> Result<(), ApiError> {
        Ok(self.people.decline(&self.acting(me).await?, asker).await?)
    }
    async fn withdraw_request(&self, me: UserId, to: UserId) -> Result<(), ApiError> {
        Ok(self.people.withdraw(&self.acting(me).await?, to).await?)
    }
    async fn block(&self, me: UserId, other: UserId) -> Result<(), ApiError> {
        Ok(self.people.block(&self.acting(me).await?, other).await?)
    }
    async fn unblock(&self, me: UserId, other: UserId) -> Result<(), ApiError> {
        Ok(self.people.unblock(&self.acting(me).await?, other).await?)
    }
    async fn blocked(&self, me: UserId) -> Result<Vec<User>, ApiError> {
        Ok(self.people.blocked(me).await?)
    }
    async fn report(&self, me: UserId, req: ReportRequest) -> Result<i64, ApiError> {
        Ok(self.people.report(&self.acting(me).await?, req).await?)
    }
    async fn privacy(&self, me: UserId) -> Result<Privacy, ApiError> {
        Ok(self.people.privacy(me).await?)
    }
    async fn set_privacy(&self, me: UserId, change: PrivacyChange) -> Result<Privacy, ApiError> {
        Ok(self.people.set_privacy(me, change).await?)
    }

    async fn profile(&self, me: UserId, id: UserId) -> Result<User, ApiError> {
        Ok(self.people.profile(me, id).await?)
    }

    async fn update_profile(&self, me: UserId, change: UpdateMeRequest) -> Result<User, ApiError> {
        Ok(self.people.update_profile(me, change).await?)
    }
}

#[async_trait::async_trait]
impl ChatApi for AppState {
    async fn conversations(&self, me: UserId) -> Result<Vec<ConversationSummary>, ApiError> {
        Ok(self.chat.conversations(me).await?)
    }
    async fn open_conversation(
        &self,
        me: UserId,
        conv: Conv,
        before: Option<i64>,
    ) -> Result<OpenConversation, ApiError> {
        Ok(self.chat.open(me, conv, before).await?)
    }
}

impl AppState {
    /// The request's session: its user and token; 401 for none.
    async fn session_of(&self, req: &Parts) -> Result<(User, String), ApiError> {
        let token = request_token(req).ok_or_else(|| ApiError::new(ErrorCode::Unauthorized))?;
        let user = self
            .accounts
            .authenticate(&token)
            .await?
            .ok_or_else(|| ApiError::new(ErrorCode::Unauthorized))?;
        Ok((user, token))
    }

    /// The acting user's current record (nickname for notices); 401 if the account is gone.
    async fn acting(&self, me: UserId) -> Result<User, ApiError> {
        self.store
            .user(me)
            .await
            .map_err(AppError::from)?
            .ok_or_else(|| ApiError::new(ErrorCode::Unauthorized))
    }
}

//! The state every handler shares: configuration, the store and the services built on it.

use crate::config::Config;
use crate::delivery::cluster::{CacheNote, Cluster, Forget, SingleNode};
use crate::delivery::hub::Hub;
use crate::delivery::presence::Announced;
use crate::delivery::redis::RedisCluster;
use crate::delivery::Delivery;
use crate::error::AppError;
use crate::rules::accounts::Accounts;
use crate::rules::accounts::NewSession;
use crate::rules::chat::Chat;
use crate::rules::people::People;
use crate::rules::social::Social;
use crate::rules::throttle::Client;
use crate::rules::throttle::{LoginThrottle, RegisterThrottle};
use crate::store::erase::DELETED_NAME;
use crate::store::{SocialChange, Store};
use app::error::ErrorCode;
use app::ids::UserId;
use app::protocol::event::AccountPart;
use app::protocol::frame::{Cmd, Frame};
use app::protocol::{LoginRequest, User};
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;

/// Cloned into every request; all fields are cheap handles.
#[derive(Clone)]
pub struct AppState {
    /// Resolved settings.
    pub config: Arc<Config>,
    /// The database.
    pub store: Store,
    /// Account rules.
    pub accounts: Accounts,
    /// Friend and group rules.
    pub social: Social,
    /// Friend requests, blocks, reports and privacy.
    pub people: People,
    /// Messaging rules.
    pub chat: Chat,
    /// Uploaded files.
    pub media: crate::media::Media,
    /// This node's connections, and delivery to users wherever they are connected (through
    /// Redis to the other nodes when `REDIS_URL` is set).
    pub delivery: Delivery,
    /// What Leptos needs to render pages and find the built site.
    pub leptos: LeptosOptions,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> LeptosOptions {
        state.leptos.clone()
    }
}

impl AppState {
    /// Logs in (see [`Accounts::login`]) and tells the account's open settings pages that
    /// there is one more session.
    pub async fn login(&self, req: LoginRequest, client: Client) -> Result<NewSession, AppError> {
        let session = self.accounts.login(req, client).await?;
        self.sessions_changed(session.user.id);
        Ok(session)
    }

    /// Logs out: deletes the session and closes every WebSocket opened with it, on every
    /// node.
    pub async fn end_session(&self, token: &str) -> Result<(), AppError> {
        let owner = self.accounts.logout(token).await?;
        self.delivery
            .close_session(&crate::rules::accounts::token_hash(token));
        if let Some(me) = owner {
            self.sessions_changed(me);
        }
        Ok(())
    }

    /// Ends `me`'s session `id` (one of their devices) and closes its sockets on every node.
    pub async fn end_session_of(&self, me: UserId, id: i64) -> Result<(), AppError> {
        let ended = self.accounts.end_session(me, id).await?;
        self.delivery.close_session(&ended);
        self.sessions_changed(me);
        Ok(())
    }

    /// Tells `me`'s devices, on every node, that the list of their sessions changed.
    fn sessions_changed(&self, me: UserId) {
        self.delivery
            .publish(&[me], &AccountPart::Sessions.frame(), None);
    }

    /// Ends every session of `me` but `token`'s and closes their sockets on every node;
    /// returns how many ended.
    pub async fn end_other_sessions(&self, me: UserId, token: &str) -> Result<usize, AppError> {
        let ended = self.accounts.end_other_sessions(me, token).await?;
        for hash in &ended {
            self.delivery.close_session(hash);
        }
        self.sessions_changed(me);
        Ok(ended.len())
    }

    /// Deletes `me`'s account once `password` proves it is them: friends and groups are told
    /// (owned groups pass to their longest-standing member), everyone who sees `me` is sent
    /// the tombstone's profile, the uploads and their files go, and every session ends with
    /// its sockets on every node. The messages stay, under "Deleted user".
    pub async fn delete_account(&self, me: &User, password: String) -> Result<(), AppError> {
        self.accounts.confirm_password(me.id, password).await?;
        // Told before the friendships and memberships that make them an audience end.
        let audience = self.store.profile_audience(me.id).await?;
        self.social.depart(me).await?;
        let Some(erased) = self
            .store
            .erase_account(me.id, crate::clock::now_ms())
            .await?
        else {
            return Err(AppError::code(ErrorCode::Unauthorized));
        };
        let frame = Frame {
            cmd: Cmd::Profile.code(),
            userid: me.id.0,
            memo: DELETED_NAME.to_owned(),
            ..Frame::default()
        };
        self.delivery.publish(&audience, &frame, None);
        for hash in &erased.sessions {
            self.delivery.close_session(hash);
        }
        self.media.storage().delete(&erased.media).await;
        tracing::info!(user = %me.id, uploads = erased.media.len(), "account deleted");
        Ok(())
    }

    /// Changes the password of the session `token`'s user and ends every other session of
    /// theirs, closing its sockets on every node.
    pub async fn change_password(
        &self,
        me: UserId,
        token: &str,
        current: String,
        new: String,
    ) -> Result<(), AppError> {
        for ended in self
            .accounts
            .change_password(me, token, current, new)
            .await?
        {
            self.delivery.close_session(&ended);
        }
        self.sessions_changed(me);
        Ok(())
    }

    /// Builds the services over an opened, migrated store and starts the presence service
    /// (so it must run inside the tokio runtime).
    pub fn new(config: Config, store: Store, leptos: LeptosOptions) -> Result<AppState, AppError> {
        let throttle = LoginThrottle::new(
            config.login_max_failures,
            config.login_max_failures_per_addr,
            config.login_max_failures_per_account,
            config.login_window,
        );
        let registrations = RegisterThrottle::new(
            config.register_per_addr_per_hour,
            config.register_per_hour,
            std::time::Duration::from_secs(3600),
        );
        let (presence_tx, presence_rx) = crate::delivery::presence::channel();
        let hub = Arc::new(Hub::new(config.socket_limits, presence_tx.clone()));
        let announced = Arc::new(Announced::default());
        let cluster: Arc<dyn Cluster> = match &config.cluster {
            Some(c) => {
                let cluster: Arc<dyn Cluster> = Arc::new(
                    RedisCluster::start(
                        c,
                        hub.clone(),
                        announced.clone(),
                        presence_tx.clone(),
                        forget_in(store.clone()),
                    )
                    .map_err(|e| AppError::Internal(format!("REDIS_URL: {e}")))?,
                );
                // What this node commits, the others must forget. Weak: the store must not
                // keep the cluster alive.
                let weak = Arc::downgrade(&cluster);
                store.on_social_change(Arc::new(move |change: &SocialChange| {
                    if let Some(cluster) = weak.upgrade() {
                        cluster.invalidate(match change {
                            SocialChange::Friends(users) => CacheNote::Friends(users.clone()),
                            SocialChange::Members(g) => CacheNote::Members(*g),
                        });
                    }
                }));
                cluster
            }
            None => Arc::new(SingleNode),
        };
        let delivery = Delivery::new(hub, cluster.clone(), announced);
        let accounts = Accounts::new(
            store.clone(),
            throttle,
            registrations,
            config.session_ttl,
            cluster,
        )?
        .touching_every(config.session_touch);
        tokio::spawn(crate::rules::presence::run(
            presence_rx,
            presence_tx,
            crate::rules::presence::Presence {
                delivery: delivery.clone(),
                store: store.clone(),
                grace: config.presence_grace,
            },
        ));
        let social = Social::new(
            store.clone(),
            delivery.clone(),
            config.max_owned_groups,
            config.max_group_members,
        );
        let people = People::new(store.clone(), delivery.clone(), config.people.clone());
        if config.persistence == crate::config::Persistence::BenchmarkNone {
            tracing::warn!(
                "PARLEY_BENCH_NO_PERSIST is set: messages are NOT stored and are lost at restart \
                 (benchmark only)"
            );
        }
        let storage = crate::media::Storage::open(&config.media.storage)
            .map_err(|e| AppError::Internal(format!("media storage: {e}")))?;
        let chat = Chat::new(
            store.clone(),
            delivery.clone(),
            config.persistence,
            config.actions,
            storage.clone(),
        );
        let media = crate::media::Media::new(storage, store.clone(), &config.media);
        Ok(AppState {
            config: Arc::new(config),
            store,
            accounts,
            social,
            people,
            chat,
            media,
            delivery,
            leptos,
        })
    }
}

/// What a cache note from another node does to this node's social-graph cache.
fn forget_in(store: Store) -> Forget {
    Arc::new(move |note: &CacheNote| match note {
        CacheNote::Friends(users) => store.forget_friends(users),
        CacheNote::Members(g) => store.forget_members(*g),
        CacheNote::Everything => store.forget_social(),
    })
}

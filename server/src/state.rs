//! The state every handler shares: configuration, the store and the services built on it.

use crate::bus::redis::Cluster;
use crate::bus::{Bus, LocalBus};
use crate::config::Config;
use crate::error::AppError;
use crate::hub::Hub;
use crate::rules::accounts::Accounts;
use crate::rules::chat::Chat;
use crate::rules::presence::Announced;
use crate::rules::social::Social;
use crate::rules::throttle::{LoginThrottle, RegisterThrottle};
use crate::store::Store;
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
    /// Messaging rules.
    pub chat: Chat,
    /// Uploaded files.
    pub media: crate::media::Media,
    /// This node's connections.
    pub hub: Arc<Hub>,
    /// Who friends have been told is online.
    pub announced: Arc<Announced>,
    /// Delivery to users wherever they are connected.
    pub bus: Arc<dyn Bus>,
    /// The other nodes through Redis, when `REDIS_URL` is set.
    pub cluster: Option<Cluster>,
    /// What Leptos needs to render pages and find the built site.
    pub leptos: LeptosOptions,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> LeptosOptions {
        state.leptos.clone()
    }
}

impl AppState {
    /// Logs out: deletes the session and closes every WebSocket opened with it, on every
    /// node.
    pub async fn end_session(&self, token: &str) -> Result<(), AppError> {
        self.accounts.logout(token).await?;
        self.bus
            .close_session(&crate::rules::accounts::token_hash(token));
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
        let (presence_tx, presence_rx) = crate::hub::presence::channel();
        let hub = Arc::new(Hub::new(config.socket_limits, presence_tx.clone()));
        let announced = Arc::new(Announced::default());
        let cluster = match &config.cluster {
            Some(c) => Some(
                Cluster::start(
                    c,
                    hub.clone(),
                    store.clone(),
                    announced.clone(),
                    presence_tx.clone(),
                )
                .map_err(|e| AppError::Internal(format!("REDIS_URL: {e}")))?,
            ),
            None => None,
        };
        let bus: Arc<dyn Bus> = match &cluster {
            Some(c) => Arc::new(c.clone()),
            None => Arc::new(LocalBus::new(hub.clone())),
        };
        let accounts = Accounts::new(
            store.clone(),
            throttle,
            registrations,
            config.session_ttl,
            cluster.clone(),
        )?;
        tokio::spawn(crate::rules::presence::run(
            presence_rx,
            presence_tx,
            crate::rules::presence::Presence {
                hub: hub.clone(),
                bus: bus.clone(),
                store: store.clone(),
                grace: config.presence_grace,
                announced: announced.clone(),
                cluster: cluster.clone(),
            },
        ));
        let social = Social::new(
            store.clone(),
            hub.clone(),
            announced.clone(),
            bus.clone(),
            config.max_owned_groups,
            config.max_group_members,
        );
        if config.persistence == crate::config::Persistence::BenchmarkNone {
            tracing::warn!(
                "PARLEY_BENCH_NO_PERSIST is set: messages are NOT stored and are lost at restart \
                 (benchmark only)"
            );
        }
        let chat = Chat::new(
            store.clone(),
            bus.clone(),
            hub.clone(),
            announced.clone(),
            config.persistence,
        );
        let storage = crate::media::Storage::open(&config.media.storage)
            .map_err(|e| AppError::Internal(format!("media storage: {e}")))?;
        let media = crate::media::Media::new(storage, store.clone(), &config.media);
        Ok(AppState {
            config: Arc::new(config),
            store,
            accounts,
            social,
            chat,
            media,
            hub,
            announced,
            bus,
            cluster,
            leptos,
        })
    }
}

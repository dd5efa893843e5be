//! Parley's server: pages, REST API, the WebSocket hub and persistence.
//!
//! Layout (the data flow, outside in; arrows only point down):
//! - [`listen`]: accepting and serving connections, with a header-read deadline.
//! - [`routes`]: thin HTTP handlers (REST, form posts, pages, server functions, the `/ws`
//!   upgrade, the seed client's calls in `routes::v0`), the CSRF guard and body deadlines.
//! - [`dialect`]: how a socket speaks (the native protocol or the seed's), chosen by the
//!   route that opened it; nothing below branches on it.
//! - [`session`]: one WebSocket connection; each frame is read once into a `ClientCmd`.
//! - [`rules`]: `accounts`, `throttle`, `social`, `presence`, `pictures` and `chat` (with its
//!   writer, the send pipeline), side by side.
//! - [`store`]: SeaORM persistence split by domain (users, sessions, friends, groups,
//!   notices, messages, media) and migrations.
//! - [`delivery`]: who is connected (the registry), fan-out to their connections (the hub),
//!   presence events, and one [`Cluster`](delivery::cluster::Cluster) trait for what differs
//!   between one node and many (Redis). It never names the store or anything above it.
//! - [`media`]: uploaded files: storage (local directory or S3), streaming upload with
//!   content sniffing and thumbnails, and who may fetch a file.
//! - [`config`] (typed settings from flags and environment), [`clock`], [`error`] (the
//!   service error and its HTTP form), and [`state`]: the handles every request shares,
//!   where the services are wired together.
//!
//! [`start`] opens the store and builds the state; [`serve`] runs the HTTP server until a
//! shutdown signal. Integration tests call both with a listener on port 0.

// Leptos view types nest deeply; the chat shell's exceeds the default limit of 128.
#![recursion_limit = "256"]

pub mod clock;
pub mod config;
pub mod delivery;
pub mod dialect;
pub mod error;
pub mod listen;
pub mod media;
pub mod routes;
pub mod rules;
pub mod session;
pub mod state;
pub mod store;

use crate::config::Config;
use crate::state::AppState;
use crate::store::{Store, StoreError};
use leptos::config::LeptosOptions;
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpListener;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database could not be opened or migrated.
    #[error("database ({url}): {source}")]
    Store {
        /// The database URL, password redacted.
        url: String,
        /// What failed.
        source: StoreError,
    },
    /// The bundle's file names are hashed but the list of hashes is not beside the binary
    /// (Leptos would fail on the first page).
    #[error(
        "{0}: missing; this build hashes the bundle's file names, so keep the hash.txt that \
         `cargo leptos build` wrote beside the binary (or set LEPTOS_HASH_FILES=false for an \
         unhashed site)"
    )]
    HashFile(String),
    /// The services could not be built.
    #[error("{0}")]
    App(#[from] crate::error::AppError),
}

/// How often expired sessions are deleted.
const PURGE_EVERY: Duration = Duration::from_secs(3600);

/// Leptos settings: those cargo-leptos compiled in (or set in the environment), with the
/// listen address and site root taken from our own configuration.
fn leptos_options(config: &Config) -> LeptosOptions {
    let built_by_cargo_leptos = option_env!("LEPTOS_OUTPUT_NAME").is_some()
        || std::env::var_os("LEPTOS_OUTPUT_NAME").is_some();
    // Without cargo-leptos's settings (plain `cargo test`), asking Leptos for them only
    // prints a warning; the defaults below match the workspace metadata.
    let from_env = built_by_cargo_leptos
        .then(|| leptos::config::get_configuration(None).ok())
        .flatten();
    let mut opts = match from_env {
        Some(conf) => conf.leptos_options,
        None => LeptosOptions::builder().output_name("parley").build(),
    };
    opts.site_addr = config.addr;
    opts.site_root = config.site_root.to_string_lossy().as_ref().into();
    // `cargo leptos build` hashes the bundle's file names (workspace `hash-files`) and tells
    // the server build so; the binary must name those files even when started by hand or by
    // Playwright, without cargo-leptos's run-time environment.
    // The run-time variables, when set, win (as they do for Leptos under cargo-leptos).
    opts.hash_files = match std::env::var("LEPTOS_HASH_FILES") {
        Ok(v) => v.trim().eq_ignore_ascii_case("true"),
        Err(_) => option_env!("LEPTOS_HASH_FILES") == Some("true"),
    };
    if let Ok(name) = std::env::var("LEPTOS_HASH_FILE_NAME") {
        opts.hash_file = name.into();
    }
    opts
}

/// Where Leptos reads the bundle's hashed file names: beside the running binary, where
/// cargo-leptos writes them.
fn hash_file(opts: &LeptosOptions) -> Option<std::path::PathBuf> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.join(opts.hash_file.as_ref()))
}

/// Opens and migrates the database and builds the shared state.
pub async fn start(config: Config) -> Result<AppState, StartError> {
    let store_err = |source| StartError::Store {
        url: config::redact_url(&config.database_url),
        source,
    };
    let store = Store::connect(&config.database_url, None)
        .await
        .map_err(store_err)?;
    store.migrate().await.map_err(store_err)?;
    let leptos = leptos_options(&config);
    if leptos.hash_files {
        match hash_file(&leptos) {
            Some(path) if path.is_file() => {}
            other => {
                let shown =
                    other.map_or_else(|| leptos.hash_file.to_string(), |p| p.display().to_string());
                return Err(StartError::HashFile(shown));
            }
        }
    }
    Ok(AppState::new(config, store, leptos)?)
}

/// How long shutdown waits for open WebSockets to finish what they were doing and close.
const DRAIN_SOCKETS: Duration = Duration::from_secs(10);

/// Sets up an accepted connection: no Nagle delay, so the second of two back-to-back small
/// answers (an ack, then a delivery) does not wait ~40 ms for the peer's delayed ACK.
pub fn tune_socket(tcp: &mut tokio::net::TcpStream) {
    if let Err(e) = tcp.set_nodelay(true) {
        tracing::debug!(error = %e, "cannot set TCP_NODELAY");
    }
}

/// Serves HTTP on `listener` until `shutdown` completes. Then, in order: no new WebSockets;
/// every open one finishes the frame in hand (an in-flight send is stored and acked) and is
/// closed with 1012; in-flight HTTP requests finish. The caller closes the store after.
/// Connections are served by [`listen`], with the header and body deadlines of the config.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let accounts = state.accounts.clone();
    let social = state.social.clone();
    let people = state.people.clone();
    let notice_ttl = state.config.notice_ttl;
    let purge = tokio::spawn(async move {
        let mut tick = tokio::time::interval(PURGE_EVERY);
        loop {
            tick.tick().await;
            match accounts.purge_expired().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(sessions = n, "purged expired sessions"),
                Err(e) => tracing::warn!(error = %e, "purging expired sessions failed"),
            }
            match social.prune_notices(notice_ttl).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(notices = n, "pruned old notices"),
                Err(e) => tracing::warn!(error = %e, "pruning notices failed"),
            }
            match people.prune().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(requests = n, "pruned lapsed friend requests"),
                Err(e) => tracing::warn!(error = %e, "pruning friend requests failed"),
            }
        }
    });
    let hub = state.delivery.hub().clone();
    let drain = async move {
        shutdown.await;
        hub.shut_down();
        if !hub.drained(DRAIN_SOCKETS).await {
            tracing::warn!(
                open = hub.connections(),
                "WebSockets still open after the drain period"
            );
        }
    };
    let deadlines = state.config.deadlines;
    let app = routes::router(state);
    listen::accept(listener, app, deadlines.header, drain).await;
    purge.abort();
    Ok(())
}

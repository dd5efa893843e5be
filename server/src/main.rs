//! The `parley` binary: settings -> logging -> state -> serve until SIGINT/SIGTERM.

use anyhow::Context;
use clap::Parser;
use server::config::{LogFormat, Settings};
use tracing_subscriber::EnvFilter;

/// mimalloc gives freed memory back to the system, so what a burst of logins (argon2) or
/// uploads took does not stay with the process (docs/benchmarks.md, S7).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Settings::parse().resolve()?;
    let shutdown = shutdown_signal()?;

    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn"));
    let logs = tracing_subscriber::fmt().with_env_filter(filter);
    match config.log_format {
        LogFormat::Json => logs.json().init(),
        LogFormat::Text => logs.init(),
    }
    tracing::info!(?config, "starting");

    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .with_context(|| format!("PARLEY_ADDR: cannot listen on {}", config.addr))?;
    let state = server::start(config).await?;
    let store = state.store.clone();
    tracing::info!(addr = %listener.local_addr()?, "listening");
    server::serve(listener, state, shutdown).await?;
    store.close().await?;
    tracing::info!("stopped");
    Ok(())
}

/// Registers SIGINT and SIGTERM handlers now (before the port opens, so an early signal
/// is never missed) and returns a future that completes when either arrives.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut int = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    Ok(async move {
        tokio::select! {
            _ = int.recv() => {},
            _ = term.recv() => {},
        }
        tracing::info!("shutdown signal received; finishing in-flight requests");
    })
}

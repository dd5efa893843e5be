//! `parley-proxy --listen 127.0.0.1:3000 --node 127.0.0.1:3001 --node 127.0.0.1:3002`

use anyhow::Context;
use clap::Parser;
use parley_proxy::{serve, Backends};
use std::net::SocketAddr;
use std::sync::Arc;

/// Spreads HTTP connections over Parley nodes, round robin, skipping nodes that refuse, and
/// adds each client's address to `X-Forwarded-For`.
#[derive(Parser, Debug)]
struct Args {
    /// Address to accept connections on.
    #[arg(long, env = "PROXY_LISTEN", default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
    /// A node's address (repeat for each node).
    #[arg(long = "node", required = true)]
    nodes: Vec<SocketAddr>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    tracing::info!(listen = %args.listen, nodes = ?args.nodes, "proxying");
    serve(listener, Arc::new(Backends::new(args.nodes))).await?;
    Ok(())
}

//! A small TCP proxy for trying Parley with several nodes: each accepted connection goes to
//! the next node in turn, skipping nodes that refuse (a stopped or killed node), and bytes
//! are copied both ways untouched, so HTTP and WebSockets pass alike. Nodes are stateless,
//! so any node will do for any connection; no stickiness is needed.
//!
//! It is for a laptop cluster and the tests, not production: use a real load balancer
//! (nginx, HAProxy, a cloud one) there.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};

/// How long connecting to one node may take before the next is tried.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// The nodes and whose turn it is.
#[derive(Debug)]
pub struct Backends {
    nodes: Vec<SocketAddr>,
    next: AtomicUsize,
}

impl Backends {
    /// Round robin over `nodes`.
    pub fn new(nodes: Vec<SocketAddr>) -> Backends {
        Backends {
            nodes,
            next: AtomicUsize::new(0),
        }
    }

    /// Connects to the next node that accepts, trying each at most once.
    pub async fn connect(&self) -> Option<(SocketAddr, TcpStream)> {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        for i in 0..self.nodes.len() {
            let node = self.nodes[(start + i) % self.nodes.len()];
            match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(node)).await {
                Ok(Ok(stream)) => return Some((node, stream)),
                Ok(Err(e)) => tracing::debug!(%node, error = %e, "node refused; trying the next"),
                Err(_) => tracing::debug!(%node, "node did not answer; trying the next"),
            }
        }
        None
    }
}

/// Accepts connections on `listener` forever, piping each to a node.
pub async fn serve(listener: TcpListener, backends: Arc<Backends>) -> std::io::Result<()> {
    loop {
        let (mut client, peer) = listener.accept().await?;
        let backends = backends.clone();
        tokio::spawn(async move {
            let _ = client.set_nodelay(true);
            let Some((node, mut upstream)) = backends.connect().await else {
                tracing::warn!(%peer, "no node accepts connections");
                return;
            };
            let _ = upstream.set_nodelay(true);
            if let Err(e) = tokio::io::copy_bidirectional(&mut client, &mut upstream).await {
                tracing::debug!(%peer, %node, error = %e, "connection ended");
            }
        });
    }
}

//! A small HTTP proxy for trying Parley with several nodes: each accepted connection goes to
//! the next node in turn, skipping nodes that refuse (a stopped or killed node), and its
//! requests are passed on over one connection to that node with the client's address added
//! to `X-Forwarded-For` (so nodes started with `PARLEY_TRUSTED_PROXIES` naming this proxy
//! throttle each client by its own address, not all by the proxy's). A WebSocket upgrade
//! is passed on, then its bytes are copied both ways. Nodes are stateless, so any node will
//! do for any connection; no stickiness is needed.
//!
//! It is for a laptop cluster, the benchmarks and the tests, not production: use a real
//! load balancer (nginx, HAProxy, a cloud one) there.

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderValue, UPGRADE};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;

/// How long connecting to one node may take before the next is tried.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// The header that names the clients a request was forwarded for, oldest first.
const X_FORWARDED_FOR: &str = "x-forwarded-for";

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

type Body = BoxBody<Bytes, hyper::Error>;

fn bad_gateway() -> Response<Body> {
    let mut res = Response::new(
        Full::new(Bytes::from_static(b"no node answered"))
            .map_err(|never| match never {})
            .boxed(),
    );
    *res.status_mut() = StatusCode::BAD_GATEWAY;
    res
}

/// `existing` (what earlier proxies wrote, if anything) followed by `peer`.
fn forwarded_for(existing: Option<&HeaderValue>, peer: SocketAddr) -> Option<HeaderValue> {
    let ip = peer.ip().to_string();
    let value = match existing.and_then(|v| v.to_str().ok()) {
        Some(earlier) if !earlier.trim().is_empty() => format!("{earlier}, {ip}"),
        _ => ip,
    };
    HeaderValue::from_str(&value).ok()
}

/// Passes one request from `peer` on to the node, and the answer back; an upgrade (a
/// WebSocket) is joined end to end once the node agrees to it.
async fn forward(
    node: Arc<Mutex<SendRequest<Incoming>>>,
    peer: SocketAddr,
    mut req: Request<Incoming>,
) -> Result<Response<Body>, hyper::Error> {
    if let Some(v) = forwarded_for(req.headers().get(X_FORWARDED_FOR), peer) {
        req.headers_mut().insert(X_FORWARDED_FOR, v);
    }
    let upgrading = req.headers().contains_key(UPGRADE);
    let client_side = upgrading.then(|| hyper::upgrade::on(&mut req));
    let sent = {
        let mut node = node.lock().await;
        if node.ready().await.is_err() {
            return Ok(bad_gateway());
        }
        node.send_request(req)
    };
    let mut res = match sent.await {
        Ok(res) => res,
        Err(e) => {
            tracing::debug!(%peer, error = %e, "node dropped the request");
            return Ok(bad_gateway());
        }
    };
    if let Some(client_side) = client_side {
        if res.status() == StatusCode::SWITCHING_PROTOCOLS {
            let node_side = hyper::upgrade::on(&mut res);
            tokio::spawn(async move {
                let (Ok(client), Ok(node)) = (client_side.await, node_side.await) else {
                    return;
                };
                let (mut client, mut node) = (TokioIo::new(client), TokioIo::new(node));
                if let Err(e) = tokio::io::copy_bidirectional(&mut client, &mut node).await {
                    tracing::debug!(%peer, error = %e, "upgraded connection ended");
                }
            });
        }
    }
    Ok(res.map(BodyExt::boxed))
}

/// Serves one client connection over one connection to a node.
async fn relay(client: TcpStream, peer: SocketAddr, backends: Arc<Backends>) {
    let _ = client.set_nodelay(true);
    let Some((node, upstream)) = backends.connect().await else {
        tracing::warn!(%peer, "no node accepts connections");
        return;
    };
    let _ = upstream.set_nodelay(true);
    let (sender, conn) = match hyper::client::conn::http1::handshake(TokioIo::new(upstream)).await {
        Ok(pair) => pair,
        Err(e) => {
            tracing::debug!(%peer, %node, error = %e, "node handshake failed");
            return;
        }
    };
    tokio::spawn(async move {
        if let Err(e) = conn.with_upgrades().await {
            tracing::debug!(%node, error = %e, "node connection ended");
        }
    });
    let sender = Arc::new(Mutex::new(sender));
    let service = hyper::service::service_fn(move |req| forward(sender.clone(), peer, req));
    if let Err(e) = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(client), service)
        .with_upgrades()
        .await
    {
        tracing::debug!(%peer, %node, error = %e, "connection ended");
    }
}

/// Accepts connections on `listener` forever, relaying each to a node.
pub async fn serve(listener: TcpListener, backends: Arc<Backends>) -> std::io::Result<()> {
    loop {
        let (client, peer) = listener.accept().await?;
        tokio::spawn(relay(client, peer, backends.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_peer_is_added_after_earlier_hops() {
        let peer: SocketAddr = "192.0.2.7:5555".parse().unwrap();
        assert_eq!(forwarded_for(None, peer).unwrap(), "192.0.2.7");
        let earlier = HeaderValue::from_static("198.51.100.1");
        assert_eq!(
            forwarded_for(Some(&earlier), peer).unwrap(),
            "198.51.100.1, 192.0.2.7"
        );
    }
}

//! The system under test and how a WebSocket to it is opened.

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::WebSocketStream;

/// Which kind of server is at the other end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum System {
    /// Parley: accounts, `GET /ws` with a bearer token, acks for every send.
    Parley,
    /// A peer hub (Go or Node): no accounts, `GET /chat?id=`, no acks, never echoes.
    Peer,
}

/// A client WebSocket over plain TCP.
pub type Ws = WebSocketStream<TcpStream>;

/// Who a socket is opened as.
#[derive(Clone, Debug)]
pub enum Who {
    /// A Parley session token.
    Token(String),
    /// A peer hub's user id.
    PeerId(i64),
}

/// The server being measured: its kind, base URL, socket address and an HTTP client.
#[derive(Clone, Debug)]
pub struct Target {
    /// Parley or a peer hub.
    pub system: System,
    /// `http://host:port`, without a trailing slash.
    pub base: String,
    /// The resolved address sockets connect to.
    pub addr: SocketAddr,
    /// HTTP client for set-up calls (no cookies: every call names its bearer token).
    pub http: reqwest::Client,
}

/// Source addresses used on loopback: connection `i` binds 127.0.0.(1 + i % SPREAD), so
/// 10,000 sockets are at most 40 per address, far below Parley's per-address cap, and each
/// address has its own ephemeral port range.
const SPREAD: usize = 250;

impl Target {
    /// A target at `url` (`http://host:port`).
    pub fn new(system: System, url: &str) -> Result<Target> {
        let base = url.trim_end_matches('/').to_owned();
        let Some(host_port) = base.strip_prefix("http://") else {
            bail!("--url must look like http://host:port, got {url:?}");
        };
        let addr = host_port
            .to_socket_addrs()
            .with_context(|| format!("resolving {host_port}"))?
            .next()
            .with_context(|| format!("{host_port} resolves to nothing"))?;
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .build()
            .context("building the HTTP client")?;
        Ok(Target {
            system,
            base,
            addr,
            http,
        })
    }

    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `host:port`, as used in the default state file name.
    pub fn host_port(&self) -> String {
        self.addr.to_string()
    }

    /// The local address connection number `i` binds before connecting.
    pub fn source_ip(&self, i: usize) -> IpAddr {
        if self.addr.ip().is_loopback() && self.addr.is_ipv4() {
            // i % SPREAD < 250, so the last octet stays within 1..=250.
            let octet = 1 + (i % SPREAD) as u8;
            IpAddr::V4(Ipv4Addr::new(127, 0, 0, octet))
        } else if self.addr.is_ipv4() {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        } else {
            IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED)
        }
    }

    /// Opens WebSocket number `i` as `who` and completes the handshake.
    pub async fn open(&self, who: &Who, i: usize) -> Result<Ws> {
        let socket = if self.addr.is_ipv4() {
            TcpSocket::new_v4()
        } else {
            TcpSocket::new_v6()
        }
        .context("socket")?;
        socket
            .bind(SocketAddr::new(self.source_ip(i), 0))
            .context("binding the source address")?;
        let stream = socket.connect(self.addr).await.context("connect")?;
        // Small frames at a fixed rate: Nagle would add its delay to every measurement.
        stream.set_nodelay(true).context("TCP_NODELAY")?;
        let host = self.addr;
        let request = match who {
            Who::Token(token) => {
                let mut req = format!("ws://{host}/ws")
                    .into_client_request()
                    .context("request")?;
                req.headers_mut().insert(
                    "authorization",
                    HeaderValue::from_str(&format!("Bearer {token}")).context("token")?,
                );
                req
            }
            Who::PeerId(id) => format!("ws://{host}/chat?id={id}&token=x")
                .into_client_request()
                .context("request")?,
        };
        let (ws, _) = tokio_tungstenite::client_async(request, stream)
            .await
            .context("WebSocket handshake")?;
        Ok(ws)
    }
}

//! Accepting and serving connections: what `axum::serve` did, plus deadlines for clients
//! that never finish their request's headers.
//!
//! `axum::serve` gives hyper no timer, so a client that opens a connection and sends half a
//! request line (or nothing) holds it, and a file descriptor, forever. Here each connection
//! is served by hyper-util's HTTP/1 + HTTP/2 builder with tokio's timer and
//! `PARLEY_HEADER_TIMEOUT_SECS` as hyper's header-read timeout (which also bounds how long a
//! kept-alive connection waits for its next request). The builder first reads a few bytes to
//! tell HTTP/1 from HTTP/2 with no deadline of its own, so [`version_known`] waits for them
//! under the same deadline before handing the connection over. WebSocket upgrades and
//! graceful shutdown work as they did with `axum::serve`.

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower::ServiceExt;

/// What an HTTP/2 client sends first ("prior knowledge"); anything else is HTTP/1.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// How often [`version_known`] looks again while the bytes so far begin the HTTP/2 preface
/// (`P`, `PR`, ...: a peek returns at once while any unread bytes wait, so it must pause).
const PEEK_AGAIN: Duration = Duration::from_millis(20);

/// Accepts connections on `listener` and serves `app` on each until `shutdown` completes;
/// then stops accepting, asks every connection to finish its request in hand and close,
/// and returns once all have.
pub async fn accept(
    listener: TcpListener,
    app: Router,
    header_timeout: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    // Connections watch `signal` (closed at shutdown); the loop waits for every clone of
    // `done` (one per connection) to be dropped. The same scheme as `axum::serve`.
    let (signal_tx, signal_rx) = watch::channel(());
    tokio::spawn(async move {
        shutdown.await;
        drop(signal_rx);
    });
    let (done_tx, done_rx) = watch::channel(());
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    builder.http2().timer(TokioTimer::new());
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(c) => c,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = signal_tx.closed() => break,
        };
        let app = app.clone();
        let builder = builder.clone();
        let signal = signal_tx.clone();
        let done = done_rx.clone();
        tokio::spawn(async move {
            serve_connection(tcp, peer, app, &builder, header_timeout, &signal).await;
            drop(done);
        });
    }
    drop(done_rx);
    drop(listener);
    done_tx.closed().await;
}

/// Serves one connection until it closes, or (after the shutdown signal) until its request
/// in hand is answered.
async fn serve_connection(
    mut tcp: TcpStream,
    peer: SocketAddr,
    app: Router,
    builder: &Builder<TokioExecutor>,
    header_timeout: Duration,
    signal: &watch::Sender<()>,
) {
    crate::tune_socket(&mut tcp);
    let known = tokio::select! {
        known = version_known(&tcp, header_timeout) => known,
        () = signal.closed() => false,
    };
    if !known {
        return;
    }
    // Handlers read the client's address (throttles, socket caps) as axum's `ConnectInfo`.
    let service = tower::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        app.clone().oneshot(req)
    });
    let conn = builder
        .serve_connection_with_upgrades(TokioIo::new(tcp), TowerToHyperService::new(service));
    let mut conn = std::pin::pin!(conn);
    let mut stopping = std::pin::pin!(signal.closed());
    let mut asked = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            () = &mut stopping, if !asked => {
                asked = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

/// True once the first bytes of `tcp` tell HTTP/1 from HTTP/2 (within `limit`); false when
/// they do not arrive in time or the peer went away.
async fn version_known(tcp: &TcpStream, limit: Duration) -> bool {
    let decided = async {
        let mut buf = [0u8; H2_PREFACE.len()];
        loop {
            match tcp.peek(&mut buf).await {
                Ok(0) | Err(_) => return false,
                Ok(n) if n == H2_PREFACE.len() || buf[..n] != H2_PREFACE[..n] => return true,
                Ok(_) => tokio::time::sleep(PEEK_AGAIN).await,
            }
        }
    };
    tokio::time::timeout(limit, decided).await.unwrap_or(false)
}

/// After a failed accept: a connection that died in the queue is nothing; anything else
/// (out of file descriptors) is logged and waited out for a second rather than retried in a
/// busy loop, as `axum::serve` does.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accept failed");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

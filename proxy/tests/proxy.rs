//! The proxy with real sockets: connections alternate between nodes, and a node that is
//! gone is skipped.
#![allow(clippy::unwrap_used, missing_docs)]

use parley_proxy::{serve, Backends};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A "node" that answers every connection with its name and then echoes.
async fn node(name: &'static str) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let task = tokio::spawn(async move {
        loop {
            let (mut s, _) = l.accept().await.unwrap();
            tokio::spawn(async move {
                s.write_all(name.as_bytes()).await.unwrap();
                let mut buf = [0u8; 64];
                while let Ok(n) = s.read(&mut buf).await {
                    if n == 0 || s.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    (addr, task)
}

async fn hello(proxy: std::net::SocketAddr) -> String {
    let mut s = TcpStream::connect(proxy).await.unwrap();
    let mut buf = [0u8; 2];
    s.read_exact(&mut buf).await.unwrap();
    s.write_all(b"ping").await.unwrap();
    let mut echo = [0u8; 4];
    s.read_exact(&mut echo).await.unwrap();
    assert_eq!(&echo, b"ping");
    String::from_utf8(buf.to_vec()).unwrap()
}

#[tokio::test]
async fn spreads_connections_and_skips_a_dead_node() {
    let (a, _ta) = node("n1").await;
    let (b, tb) = node("n2").await;
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = l.local_addr().unwrap();
    tokio::spawn(serve(l, Arc::new(Backends::new(vec![a, b]))));

    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.push(hello(proxy).await);
    }
    assert_eq!(seen, ["n1", "n2", "n1", "n2"]);

    // Node 2 dies (its port refuses): every connection now lands on node 1.
    tb.abort();
    let _ = tb.await;
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    for _ in 0..4 {
        assert_eq!(hello(proxy).await, "n1");
    }
}

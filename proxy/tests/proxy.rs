//! The proxy with real sockets: connections alternate between nodes, a node that is gone is
//! skipped, each request says whom it was forwarded for, and an upgrade is joined end to end.
#![allow(clippy::unwrap_used, missing_docs)]

use parley_proxy::{serve, Backends};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Reads one request head (up to the blank line).
async fn read_head(s: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if s.read(&mut byte).await.unwrap() == 0 {
            break;
        }
        head.push(byte[0]);
    }
    String::from_utf8(head).unwrap()
}

/// A "node" that answers each request with its name and the request's `X-Forwarded-For`,
/// or, asked to upgrade, switches protocols and echoes.
async fn node(name: &'static str) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let task = tokio::spawn(async move {
        loop {
            let (mut s, _) = l.accept().await.unwrap();
            tokio::spawn(async move {
                let head = read_head(&mut s).await.to_ascii_lowercase();
                if head.contains("upgrade: echo") {
                    s.write_all(b"HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: echo\r\n\r\n")
                        .await
                        .unwrap();
                    let mut buf = [0u8; 64];
                    while let Ok(n) = s.read(&mut buf).await {
                        if n == 0 || s.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                    return;
                }
                let xff = head
                    .lines()
                    .find_map(|l| l.strip_prefix("x-forwarded-for: "))
                    .unwrap_or("-")
                    .to_owned();
                let body = format!("{name}|{xff}");
                let res = format!(
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                s.write_all(res.as_bytes()).await.unwrap();
            });
        }
    });
    (addr, task)
}

/// One request through the proxy: the node's answer body.
async fn hello(proxy: std::net::SocketAddr, extra: &str) -> String {
    let mut s = TcpStream::connect(proxy).await.unwrap();
    let req = format!("GET / HTTP/1.1\r\nhost: parley\r\n{extra}\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut res = String::new();
    s.read_to_string(&mut res).await.unwrap();
    assert!(res.starts_with("HTTP/1.1 200"), "{res}");
    res.split("\r\n\r\n").nth(1).unwrap().to_owned()
}

#[tokio::test]
async fn spreads_connections_says_whom_for_and_skips_a_dead_node() {
    let (a, _ta) = node("n1").await;
    let (b, tb) = node("n2").await;
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = l.local_addr().unwrap();
    tokio::spawn(serve(l, Arc::new(Backends::new(vec![a, b]))));

    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.push(hello(proxy, "").await);
    }
    assert_eq!(
        seen,
        [
            "n1|127.0.0.1",
            "n2|127.0.0.1",
            "n1|127.0.0.1",
            "n2|127.0.0.1"
        ]
    );
    // Earlier hops are kept, the client's address comes last.
    let got = hello(proxy, "x-forwarded-for: 198.51.100.1\r\n").await;
    assert_eq!(got, "n1|198.51.100.1, 127.0.0.1");

    // Node 2 dies (its port refuses): every connection now lands on node 1.
    tb.abort();
    let _ = tb.await;
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    for _ in 0..4 {
        assert!(hello(proxy, "").await.starts_with("n1|"));
    }
}

#[tokio::test]
async fn an_upgrade_is_joined_end_to_end() {
    let (a, _ta) = node("n1").await;
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = l.local_addr().unwrap();
    tokio::spawn(serve(l, Arc::new(Backends::new(vec![a]))));
    let mut s = TcpStream::connect(proxy).await.unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nhost: parley\r\nconnection: upgrade\r\nupgrade: echo\r\n\r\n")
        .await
        .unwrap();
    let head = read_head(&mut s).await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    s.write_all(b"ping").await.unwrap();
    let mut echo = [0u8; 4];
    s.read_exact(&mut echo).await.unwrap();
    assert_eq!(&echo, b"ping");
}

//! A real WebSocket client for hub tests (tokio-tungstenite).

use app::protocol::frame::Frame;
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub struct Ws {
    inner: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Commands skipped by `recv` (e.g. presence and notices in tests about messages).
    ignore: Vec<u16>,
}

impl Ws {
    /// Connects to `/ws` of `base` (http://...) with a bearer token.
    pub async fn connect(base: &str, token: &str) -> Ws {
        let url = format!("{}/ws", base.replacen("http", "ws", 1));
        let mut req = url.into_client_request().unwrap();
        req.headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        let (inner, _) = tokio_tungstenite::connect_async(req).await.unwrap();
        Ws {
            inner,
            ignore: Vec::new(),
        }
    }

    /// Connects, or reports why the server refused (the error names the HTTP status).
    pub async fn try_connect(base: &str, token: &str) -> Result<Ws, String> {
        let url = format!("{}/ws", base.replacen("http", "ws", 1));
        let mut req = url.into_client_request().unwrap();
        req.headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        let (inner, _) = tokio_tungstenite::connect_async(req)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Ws {
            inner,
            ignore: Vec::new(),
        })
    }

    /// Wraps an already-connected stream.
    pub fn from_stream(inner: WebSocketStream<MaybeTlsStream<TcpStream>>) -> Ws {
        Ws {
            inner,
            ignore: Vec::new(),
        }
    }

    /// The next frame, or `Err(close code)` once the server closes (`Err(None)`: closed
    /// without a code, broke, or nothing within `wait`).
    pub async fn recv_or_close(&mut self, wait: Duration) -> Result<Frame, Option<u16>> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.inner.next()).await {
                Ok(Some(Ok(Message::Text(t)))) => {
                    let f: Frame = serde_json::from_str(t.as_str()).unwrap();
                    if !self.ignore.contains(&f.cmd) {
                        return Ok(f);
                    }
                }
                Ok(Some(Ok(Message::Close(Some(frame))))) => return Err(Some(frame.code.into())),
                Ok(Some(Ok(Message::Close(None)))) | Ok(None) | Ok(Some(Err(_))) | Err(_) => {
                    return Err(None)
                }
                Ok(Some(Ok(_))) => continue,
            }
        }
    }

    /// Skips these commands on receive from now on.
    pub fn ignoring(mut self, cmds: &[u16]) -> Ws {
        self.ignore = cmds.to_vec();
        self
    }

    /// Reads until the server's close frame and returns its code (`None` if the connection
    /// ended without one, or nothing came within `wait`).
    pub async fn close_code(&mut self, wait: Duration) -> Option<u16> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.inner.next()).await {
                Ok(Some(Ok(Message::Close(Some(frame))))) => return Some(frame.code.into()),
                Ok(Some(Ok(Message::Close(None)))) | Ok(None) | Ok(Some(Err(_))) | Err(_) => {
                    return None
                }
                Ok(Some(Ok(_))) => continue,
            }
        }
    }

    /// Sends raw frames without flushing each, as a pipelining client would.
    pub async fn feed_text(&mut self, text: &str) {
        self.inner.feed(Message::text(text)).await.unwrap();
    }

    /// Flushes frames queued with [`Ws::feed_text`].
    pub async fn flush(&mut self) {
        self.inner.flush().await.unwrap();
    }

    /// Connects like [`Ws::connect`], skipping presence (13) and notices (12) on receive.
    pub async fn messages_only(base: &str, token: &str) -> Ws {
        let mut ws = Ws::connect(base, token).await;
        ws.ignore = vec![12, 13];
        ws
    }

    pub async fn send(&mut self, frame: &Frame) {
        self.send_text(&serde_json::to_string(frame).unwrap()).await;
    }

    /// Sends, reporting (instead of panicking on) a connection the server dropped.
    pub async fn send_or_fail(&mut self, frame: &Frame) -> Result<(), String> {
        self.inner
            .send(Message::text(serde_json::to_string(frame).unwrap()))
            .await
            .map_err(|e| e.to_string())
    }

    pub async fn send_text(&mut self, text: &str) {
        self.inner.send(Message::text(text)).await.unwrap();
    }

    /// The next frame, skipping pings; panics after 5 s.
    pub async fn recv(&mut self) -> Frame {
        self.try_recv(Duration::from_secs(5))
            .await
            .expect("expected a frame within 5 s")
    }

    /// The next frame within `wait`, if any.
    pub async fn try_recv(&mut self, wait: Duration) -> Option<Frame> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.inner.next())
                .await
                .ok()??;
            match msg.ok()? {
                Message::Text(t) => {
                    let f: Frame = serde_json::from_str(t.as_str()).unwrap();
                    if !self.ignore.contains(&f.cmd) {
                        return Some(f);
                    }
                }
                Message::Close(_) => return None,
                _ => continue,
            }
        }
    }

    /// Asserts nothing arrives for a short while.
    pub async fn expect_silence(&mut self) {
        if let Some(f) = self.try_recv(Duration::from_millis(300)).await {
            panic!("unexpected frame {f:?}");
        }
    }

    /// True once the server has closed the connection.
    pub async fn closed_within(&mut self, wait: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.inner.next()).await {
                Err(_) => return false,
                Ok(None) | Ok(Some(Err(_))) | Ok(Some(Ok(Message::Close(_)))) => return true,
                Ok(Some(Ok(_))) => continue,
            }
        }
    }
}

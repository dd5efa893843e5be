//! Request bodies get deadlines, and an answer given before its body was read says
//! `Connection: close`.
//!
//! A client that stops sending halfway through a body (an upload) would otherwise hold its
//! connection, its handler and, for an upload, a staging file forever. Every body is read
//! through [`Deadline`]: nothing for `PARLEY_BODY_IDLE_SECS` while the handler waits for more,
//! or the whole body not in after `PARLEY_BODY_TOTAL_SECS`, and the read fails; the handler
//! cleans up as for any broken body (an upload aborts its partial object), and [`guard`]
//! answers 408 `request_timeout` whatever the handler made of the failure.
//!
//! Whenever the answer goes out before the body was read to its end (a refusal over the size
//! cap, a 401 before an upload, a timeout), the connection cannot carry another request: the
//! rest of the body is still on its way. hyper closes it after the answer; saying
//! `Connection: close` tells a keep-alive client so, instead of letting it send its next
//! request into a connection that is about to close.

use crate::error::AppError;
use crate::state::AppState;
use app::error::ErrorCode;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body::{Body as HttpBody, Frame, SizeHint};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::{Instant, Sleep};

/// How far a body was read, shared by the body and [`guard`]: 0 while it is being read, then
/// [`ENDED`] or [`TIMED_OUT`].
#[derive(Debug, Default)]
struct Progress(AtomicU8);

const ENDED: u8 = 1;
const TIMED_OUT: u8 = 2;

impl Progress {
    fn get(&self) -> u8 {
        self.0.load(Ordering::Relaxed)
    }
    fn set(&self, v: u8) {
        self.0.store(v, Ordering::Relaxed);
    }
}

/// The error a body read gives once a deadline has passed.
#[derive(Debug, thiserror::Error)]
#[error("the request body stalled or took too long")]
pub struct BodyTimeout;

/// A request body with an idle and a total deadline.
struct Deadline {
    inner: Body,
    idle: Duration,
    /// Armed each time the handler asks for more and has to wait.
    idle_timer: Pin<Box<Sleep>>,
    total_timer: Pin<Box<Sleep>>,
    /// The handler is waiting for the next frame (the idle timer runs).
    waiting: bool,
    progress: Arc<Progress>,
}

impl Deadline {
    fn timed_out(&mut self) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        self.progress.set(TIMED_OUT);
        Poll::Ready(Some(Err(axum::Error::new(BodyTimeout))))
    }
}

impl HttpBody for Deadline {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        if this.progress.get() == TIMED_OUT {
            return this.timed_out();
        }
        if !this.waiting {
            // The idle time counts from when the handler asks, not from the last frame: a
            // handler busy storing a part is not the client's delay.
            let at = Instant::now() + this.idle;
            this.idle_timer.as_mut().reset(at);
            this.waiting = true;
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                this.waiting = false;
                // A client trickling a byte now and then still meets the total deadline.
                if frame.is_some() && Instant::now() >= this.total_timer.deadline() {
                    return this.timed_out();
                }
                if frame.is_none() || this.inner.is_end_stream() {
                    this.progress.set(ENDED);
                }
                Poll::Ready(frame)
            }
            Poll::Pending => {
                let total = this.total_timer.as_mut().poll(cx).is_ready();
                if total || this.idle_timer.as_mut().poll(cx).is_ready() {
                    return this.timed_out();
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Puts the configured deadlines on the request's body, answers 408 when one passed, and
/// adds `Connection: close` to an answer given before the body was read to its end.
pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // No body (a GET, a WebSocket upgrade): nothing to time, nothing left unread.
    if req.body().is_end_stream() {
        return next.run(req).await;
    }
    let deadlines = state.config.deadlines;
    let progress = Arc::new(Progress::default());
    let watched = progress.clone();
    let req = req.map(|inner| {
        Body::new(Deadline {
            inner,
            idle: deadlines.body_idle,
            idle_timer: Box::pin(tokio::time::sleep(deadlines.body_idle)),
            total_timer: Box::pin(tokio::time::sleep(deadlines.body_total)),
            waiting: false,
            progress: watched,
        })
    });
    let mut res = next.run(req).await;
    match progress.get() {
        ENDED => return res,
        TIMED_OUT => res = AppError::code(ErrorCode::RequestTimeout).into_response(),
        _ => {}
    }
    res.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    res
}

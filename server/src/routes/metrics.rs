//! `GET /metrics`: the hub's counters in Prometheus text format, for whoever holds
//! `PARLEY_METRICS_TOKEN` (as a bearer token); without that setting it is not served.

use crate::error::AppError;
use crate::state::AppState;
use app::error::ErrorCode;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::IntoResponse;
use sha2::{Digest, Sha256};
use std::fmt::Write;
use std::sync::atomic::Ordering;

/// True when `headers` carry `Authorization: Bearer <expected>`. Compares digests, so the
/// time taken says nothing about how much of a guess was right.
fn authorized(headers: &HeaderMap, expected: &str) -> bool {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(super::extract::bearer)
        .unwrap_or_default();
    Sha256::digest(given.as_bytes()) == Sha256::digest(expected.as_bytes())
}

/// Renders the counters and the current connection gauge: 404 when metrics are off, 401
/// without the right token.
pub async fn metrics(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, AppError> {
    let Some(token) = state.config.metrics_token.as_deref() else {
        return Err(AppError::code(ErrorCode::NotFound));
    };
    if !authorized(&headers, token) {
        return Err(AppError::code(ErrorCode::Unauthorized));
    }
    let hub = state.delivery.hub();
    let c = &hub.counters;
    let mut out = String::new();
    let rows = [
        (
            "parley_connections",
            "gauge",
            "Open WebSocket connections on this node.",
            u64::try_from(hub.connections()).unwrap_or(u64::MAX),
        ),
        (
            "parley_connections_opened_total",
            "counter",
            "WebSocket connections opened.",
            c.connections_opened.load(Ordering::Relaxed),
        ),
        (
            "parley_connections_refused_total",
            "counter",
            "WebSocket connections refused by a socket cap.",
            c.connections_refused.load(Ordering::Relaxed),
        ),
        (
            "parley_messages_in_total",
            "counter",
            "Messages stored from clients.",
            c.messages_in.load(Ordering::Relaxed),
        ),
        (
            "parley_message_batches_total",
            "counter",
            "Batches the message writer stored (messages_in / batches = messages per commit).",
            c.message_batches.load(Ordering::Relaxed),
        ),
        (
            "parley_frames_out_total",
            "counter",
            "Frames queued to connections.",
            c.frames_out.load(Ordering::Relaxed),
        ),
        (
            "parley_queue_drops_total",
            "counter",
            "Connections closed because their queue was full.",
            c.queue_drops.load(Ordering::Relaxed),
        ),
    ];
    let mut rows = rows.to_vec();
    if let Some(b) = state.delivery.cluster().status() {
        rows.extend([
            (
                "parley_bus_up",
                "gauge",
                "1 while this node is subscribed to Redis and announced there.",
                u64::from(b.up),
            ),
            (
                "parley_bus_publishes_total",
                "counter",
                "Deliveries and notices handed to Redis for other nodes.",
                b.publishes,
            ),
            (
                "parley_bus_publish_failures_total",
                "counter",
                "Deliveries for other nodes dropped (Redis down or failing; recipients resync).",
                b.publish_failures,
            ),
            (
                "parley_bus_receipts_total",
                "counter",
                "Deliveries and notices received from other nodes.",
                b.receipts,
            ),
            (
                "parley_bus_reconnects_total",
                "counter",
                "Times the Redis subscription was re-established after being lost.",
                b.reconnects,
            ),
        ]);
    }
    for (name, kind, help, value) in rows {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
        );
    }
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out))
}

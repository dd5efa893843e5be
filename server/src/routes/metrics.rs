//! `GET /metrics`: the hub's counters in Prometheus text format.

use crate::state::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use std::fmt::Write;
use std::sync::atomic::Ordering;

/// Renders the counters and the current connection gauge.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let c = &state.hub.counters;
    let mut out = String::new();
    let rows = [
        (
            "parley_connections",
            "gauge",
            "Open WebSocket connections on this node.",
            state.hub.connections() as u64,
        ),
        (
            "parley_connections_opened_total",
            "counter",
            "WebSocket connections opened.",
            c.connections_opened.load(Ordering::Relaxed),
        ),
        (
            "parley_messages_in_total",
            "counter",
            "Messages stored from clients.",
            c.messages_in.load(Ordering::Relaxed),
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
    for (name, kind, help, value) in rows {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
        );
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}

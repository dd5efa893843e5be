//! `GET /healthz`: 200 when the process serves and its database answers, 503 otherwise.
//! With several nodes it also reports Redis; a node without Redis still serves (its own
//! users, and everyone's messages are stored), so that is "degraded", still 200.

use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

/// Liveness, database readiness and (with several nodes) Redis, in one cheap check.
pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let cluster = state.delivery.cluster();
    let link = cluster.status();
    let redis = match &link {
        None => None,
        Some(link) => Some(match cluster.ping().await {
            Ok(()) if link.up => "ok",
            Ok(()) => "connecting",
            Err(e) => {
                tracing::warn!(error = %e, "health check: Redis unreachable");
                "unavailable"
            }
        }),
    };
    let node = link.map(|l| l.node);
    match state.store.ping().await {
        Ok(()) => {
            let status = if redis.is_none_or(|r| r == "ok") {
                "ok"
            } else {
                "degraded"
            };
            (
                StatusCode::OK,
                Json(json!({"status": status, "database": "ok", "redis": redis, "node": node})),
            )
        }
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({
                    "status": "unavailable",
                    "code": "database_unavailable",
                    "database": "unavailable",
                    "redis": redis,
                    "node": node,
                })),
            )
        }
    }
}

//! `/healthz` (liveness) and `/readyz` (readiness), for supervisors and
//! load balancers; neither needs the API token.

use crate::http::AppState;
use crate::http::extract::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// Liveness: the process serves HTTP.
pub async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({"ok": true}))
}

/// Readiness: the store takes writes and the dialer API answered recently.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let store = state.engine.store_ok();
    let dialer = state.dialer.report();
    let ready = store.is_ok() && dialer.answered_recently;
    let body = serde_json::json!({
        "ready": ready,
        "store": store.err().unwrap_or_else(|| "ok".into()),
        "dialer_api": dialer.text,
    });
    let code = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(body)).into_response()
}

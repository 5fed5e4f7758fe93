//! `GET /metrics`: the Prometheus exposition.

use crate::http::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

/// The Prometheus text exposition (`text/plain; version=0.0.4`).
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    tag = "operations",
    summary = "Prometheus metrics",
    responses(
        (status = 200, description = "Every metric, in Prometheus' text format.", body = String, content_type = "text/plain"),
        (status = 404, description = "Served on `--metrics-listen` instead.", body = numdialer_core::api::ErrorBody),
    ),
)]
pub async fn get(State(state): State<AppState>) -> Response {
    let mut text = state.engine.metrics_text();
    // The HTTP layer's own: what imports in flight hold of --import-memory.
    text.push_str(&format!(
        "# HELP numdialer_import_memory_reserved_bytes Memory that imports in flight have reserved of --import-memory.\n\
         # TYPE numdialer_import_memory_reserved_bytes gauge\n\
         numdialer_import_memory_reserved_bytes {}\n",
        state.imports.reserved_bytes()
    ));
    ([(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], text).into_response()
}

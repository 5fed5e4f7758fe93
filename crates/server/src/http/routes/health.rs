//! `/healthz` (liveness) and `/readyz` (readiness), for supervisors and
//! load balancers; neither needs the API token.

use crate::http::AppState;
use crate::http::extract::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// `GET /healthz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always true: the process answers.
    ok: bool,
}

/// `GET /readyz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// The store takes writes and the dialer API answered recently.
    ready: bool,
    /// `ok`, or why the store does not take writes.
    store: String,
    /// What the last probe of the dialer API found.
    dialer_api: String,
}

/// Liveness: the process serves HTTP.
#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "healthz",
    tag = "operations",
    summary = "Liveness",
    responses((status = 200, description = "The process serves HTTP.", body = Health)),
)]
pub async fn healthz() -> Json<Health> {
    Json(Health { ok: true })
}

/// Readiness: the store takes writes and the dialer API answered recently.
#[utoipa::path(
    get,
    path = "/readyz",
    operation_id = "readyz",
    tag = "operations",
    summary = "Readiness",
    responses(
        (status = 200, description = "Ready.", body = Readiness),
        (status = 503, description = "Not ready; the body says why.", body = Readiness),
    ),
)]
pub async fn readyz(State(state): State<AppState>) -> Response {
    let store = state.engine.store_ok();
    let dialer = state.dialer.report();
    let ready = store.is_ok() && dialer.answered_recently;
    let body = Readiness {
        ready,
        store: store.err().unwrap_or_else(|| "ok".into()),
        dialer_api: dialer.text,
    };
    let code = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(body)).into_response()
}

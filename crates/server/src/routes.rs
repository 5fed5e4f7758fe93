//! The HTTP API (docs/api.md): one function builds the whole router.

use crate::body;
use crate::dialer_client::DialerHealth;
use crate::engine::Engine;
use crate::error::ApiError;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{MatchedPath, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderName, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use numdialer_core::wire::{CallDetail, StartResponse, WebhookAck, WebhookBody};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Longest a long poll (`GET /statuses?wait=`) is held.
pub const MAX_WAIT: Duration = Duration::from_secs(30);

/// Longest a request may take, body included, so that slow clients cannot
/// hold the server; long polls stay well below it.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(40);

#[derive(Clone)]
pub struct AppState {
    pub engine: Arc<Engine>,
    /// When set, the operator routes need `Authorization: Bearer <token>`.
    pub api_token: Option<Arc<str>>,
    pub dialer: Arc<DialerHealth>,
    /// `/metrics` is served on its own listener instead (`--metrics-listen`).
    pub metrics_elsewhere: bool,
    /// Turns true at shutdown, releasing long polls.
    pub shutdown: watch::Receiver<bool>,
}

pub fn router(state: AppState) -> Router {
    let mut operator = Router::new()
        .route("/calls", post(start_calls))
        .route("/statuses", get(statuses))
        .route("/calls/{index}", get(call_detail));
    if !state.metrics_elsewhere {
        operator = operator.route("/metrics", get(metrics));
    }
    let operator =
        operator.route_layer(middleware::from_fn_with_state(state.clone(), require_token));
    Router::new()
        .merge(operator)
        .route("/webhooks/{token}", post(webhook))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .fallback(|| async { ApiError::not_found("no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method not allowed on this route",
            )
        })
        .layer(middleware::from_fn(body::read_body_first))
        .layer(middleware::from_fn(request_timeout))
        .layer(middleware::from_fn(log_request))
        .with_state(state)
}

/// The router for `--metrics-listen`: `/metrics` alone, for a scraper on a
/// private address.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .fallback(|| async { ApiError::not_found("only /metrics is served here") })
        .layer(middleware::from_fn(body::read_body_first))
        .with_state(state)
}

/// One log line per request: method, route, status, latency.
async fn log_request(req: Request, next: Next) -> Response {
    let began = std::time::Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_string();
    let resp = next.run(req).await;
    tracing::info!(
        %method,
        route,
        status = resp.status().as_u16(),
        latency_ms = began.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    resp
}

async fn request_timeout(req: Request, next: Next) -> Response {
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(req)).await {
        Ok(r) => r,
        Err(_) => {
            ApiError::new(StatusCode::REQUEST_TIMEOUT, "request took too long").into_response()
        }
    }
}

async fn require_token(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if let Some(expected) = &state.api_token {
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !constant_time_eq(given.as_bytes(), expected.as_bytes()) {
            return ApiError::new(
                StatusCode::UNAUTHORIZED,
                "missing or wrong API token (send Authorization: Bearer <token>)",
            )
            .into_response();
        }
    }
    next.run(req).await
}

/// Compares without stopping at the first difference, so that response
/// times do not reveal how much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for (i, &x) in a.iter().enumerate() {
        diff |= usize::from(x ^ b.get(i % b.len().max(1)).copied().unwrap_or(0));
    }
    diff == 0
}

async fn start_calls(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    state.engine.start().await?;
    tracing::info!("dialing started");
    Ok((StatusCode::ACCEPTED, Json(StartResponse { started: true })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusesQuery {
    /// Only the entries changed after this version.
    since: Option<u64>,
    /// Hold the request up to this many seconds until something changes.
    wait: Option<f64>,
}

fn etag(version: u64) -> String {
    format!("\"{version}\"")
}

/// The version a client already has, from `If-None-Match: "V"`.
fn known_version(headers: &HeaderMap) -> Option<u64> {
    let v = headers.get(header::IF_NONE_MATCH)?.to_str().ok()?;
    v.split(',')
        .filter_map(|t| {
            t.trim()
                .trim_start_matches("W/")
                .trim_matches('"')
                .parse()
                .ok()
        })
        .max()
}

/// `GET /statuses`: full, delta (`since`), conditional (`If-None-Match`)
/// and long-polled (`wait`); see docs/api.md.
async fn statuses(
    State(state): State<AppState>,
    query: Result<Query<StatusesQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Query(q) = query?;
    let wait = match q.wait {
        Some(w) if !(w.is_finite() && w >= 0.0) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "wait must be a number of seconds, 0 or more",
            ));
        }
        Some(w) => Duration::from_secs_f64(w.min(MAX_WAIT.as_secs_f64())),
        None => Duration::ZERO,
    };
    let if_none_match = known_version(&headers);
    if let Some(known) = q.since.or(if_none_match).filter(|_| !wait.is_zero()) {
        state
            .engine
            .wait_past(known, wait, state.shutdown.clone())
            .await;
    }
    let began = std::time::Instant::now();
    let timing = || {
        let ms = began.elapsed().as_secs_f64() * 1000.0;
        (
            HeaderName::from_static("server-timing"),
            format!("app;dur={ms:.3}"),
        )
    };
    let version = state.engine.version();
    if if_none_match == Some(version) {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag(version)), timing()],
        )
            .into_response());
    }
    let snap = state.engine.snapshot(q.since).await?;
    let body = serde_json::to_vec(&snap).expect("statuses always serialise");
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (header::ETAG, etag(snap.version)),
            timing(),
        ],
        body,
    )
        .into_response())
}

async fn call_detail(
    State(state): State<AppState>,
    index: Result<Path<usize>, PathRejection>,
) -> Result<Json<CallDetail>, ApiError> {
    let Path(index) = index?;
    state
        .engine
        .detail(index)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no entry at index {index}")))
}

async fn webhook(
    State(state): State<AppState>,
    token: Result<Path<String>, PathRejection>,
    body: Result<Json<serde_json::Map<String, serde_json::Value>>, JsonRejection>,
) -> Result<Json<WebhookAck>, ApiError> {
    let Path(token) = token?;
    // Through a map first: serde would also read a struct from an array.
    let Json(map) = body?;
    let body: WebhookBody = serde_json::from_value(map.into()).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("invalid webhook body: {e}"),
        )
    })?;
    Ok(Json(state.engine.webhook(&token, body).await?))
}

/// Liveness: the process serves HTTP.
async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({"ok": true}))
}

/// Readiness: the store takes writes and the dialer API answered recently.
async fn readyz(State(state): State<AppState>) -> Response {
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

async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.engine.metrics_text(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn token_comparison() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secre", b"secret"));
        assert!(!constant_time_eq(b"", b"secret"));
        assert!(!constant_time_eq(b"secretsecret", b"secret"));
    }
}

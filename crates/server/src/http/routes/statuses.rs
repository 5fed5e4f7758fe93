//! `GET /statuses`: full, delta (`since`), conditional (`If-None-Match`)
//! and long-polled (`wait`); see docs/api.md.

use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::{Path, Query};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, StatusCode, header};
use axum::response::{IntoResponse, Response};
use numdialer_core::campaign::FIRST;
use serde::Deserialize;
use std::time::{Duration, Instant};

/// Longest a long poll (`GET /statuses?wait=`) is held.
pub const MAX_WAIT: Duration = Duration::from_secs(30);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusesQuery {
    /// Only the entries changed after this version.
    since: Option<u64>,
    /// Hold the request up to this many seconds until something changes.
    wait: Option<f64>,
}

/// The version a client already has, from `If-None-Match: "V"`.
pub fn known_version(headers: &HeaderMap) -> Option<u64> {
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

/// `GET /statuses`: campaign 1, as before campaigns existed.
pub async fn get(
    State(state): State<AppState>,
    Query(q): Query<StatusesQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    statuses(&state, FIRST, false, q, &headers).await
}

/// `GET /campaigns/{id}/statuses`: the same, with the campaign's summary.
pub async fn of_campaign(
    State(state): State<AppState>,
    Path(id): Path<u64>,
    Query(q): Query<StatusesQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    statuses(&state, id, true, q, &headers).await
}

/// How long a long poll may wait: `wait` seconds, capped.
pub fn wait_limit(wait: Option<f64>) -> Result<Duration, ApiError> {
    match wait {
        Some(w) if !(w.is_finite() && w >= 0.0) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "wait must be a number of seconds, 0 or more",
        )),
        Some(w) => Ok(Duration::from_secs_f64(w.min(MAX_WAIT.as_secs_f64()))),
        None => Ok(Duration::ZERO),
    }
}

/// The ETag of a version: `"V"`.
pub fn etag(version: u64) -> String {
    format!("\"{version}\"")
}

/// A `Server-Timing` header with the time since `began`.
pub fn timing(began: Instant) -> (HeaderName, String) {
    let ms = began.elapsed().as_secs_f64() * 1000.0;
    (
        HeaderName::from_static("server-timing"),
        format!("app;dur={ms:.3}"),
    )
}

async fn statuses(
    state: &AppState,
    id: u64,
    with_summary: bool,
    q: StatusesQuery,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    if state.engine.version_of(Some(id)).is_none() {
        return Err(ApiError::not_found(format!("no campaign {id}")));
    }
    let wait = wait_limit(q.wait)?;
    let if_none_match = known_version(headers);
    if let Some(known) = q.since.or(if_none_match).filter(|_| !wait.is_zero()) {
        state
            .engine
            .wait_past(Some(id), known, wait, &state.shutdown)
            .await;
    }
    let began = Instant::now();
    let version = state.engine.version_of(Some(id)).unwrap_or(0);
    if if_none_match == Some(version) {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag(version)), timing(began)],
        )
            .into_response());
    }
    let mut snap = state.engine.snapshot(id, q.since, with_summary).await?;
    snap.max_cps = state.max_cps.clone();
    let body = serde_json::to_vec(&snap).expect("statuses always serialise");
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (header::ETAG, etag(snap.version)),
            timing(began),
        ],
        body,
    )
        .into_response())
}

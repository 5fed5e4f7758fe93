//! `GET /statuses`: full, delta (`since`), conditional (`If-None-Match`)
//! and long-polled (`wait`); see docs/api.md.

use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::Query;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, StatusCode, header};
use axum::response::{IntoResponse, Response};
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

pub async fn get(
    State(state): State<AppState>,
    Query(q): Query<StatusesQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
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
        state.engine.wait_past(known, wait, &state.shutdown).await;
    }
    let began = Instant::now();
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

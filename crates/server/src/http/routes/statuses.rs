//! `GET /statuses`: full, delta (`since`), conditional (`If-None-Match`)
//! and long-polled (`wait`, read by [`conditional`]); see docs/api.md.

use super::LEGACY;
use crate::engine::Page;
use crate::http::AppState;
use crate::http::conditional::IfNoneMatch;
use crate::http::conditional::{self, Conditional, Timer};
use crate::http::error::ApiError;
use crate::http::extract::{Path, Query};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use numdialer_core::api::{ErrorBody, StatusesResponse};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatusesQuery {
    /// Only the entries changed after this version.
    since: Option<u64>,
    /// Hold the request up to this many seconds (at most 30) until
    /// something changes past `since` or the `If-None-Match` version.
    #[param(minimum = 0)]
    wait: Option<f64>,
    /// Only the entries after this index.
    after: Option<usize>,
    /// At most this many entries (1 to 100000); without it, all.
    limit: Option<usize>,
}

/// The largest page a client may ask for.
pub const MAX_LIMIT: usize = 100_000;

/// An answer with more entries than this is serialised on the blocking
/// pool, off the tasks that dial and take webhooks.
const SERIALISE_INLINE: usize = 2048;

/// `GET /statuses`: campaign 1, as before campaigns existed.
#[utoipa::path(
    get,
    path = "/statuses",
    operation_id = "get_legacy_statuses",
    tag = "legacy",
    summary = "Every entry of campaign 1 and its status",
    params(StatusesQuery, IfNoneMatch),
    responses(
        (status = 200, description = "The entries; `ETag` is the version.", body = StatusesResponse,
            headers(("ETag" = String, description = "The version, quoted."))),
        (status = 304, description = "`If-None-Match` names the current version."),
        (status = 404, description = "There is no campaign 1.", body = ErrorBody),
    ),
)]
pub async fn get(
    State(state): State<AppState>,
    Query(q): Query<StatusesQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    statuses(&state, LEGACY, false, q, &headers).await
}

/// `GET /campaigns/{id}/statuses`: the same, with the campaign's summary.
#[utoipa::path(
    get,
    path = "/campaigns/{id}/statuses",
    operation_id = "get_campaign_statuses",
    tag = "campaigns",
    summary = "A campaign's entries, with its summary",
    params(("id" = u64, Path, description = "The campaign's id."), StatusesQuery, IfNoneMatch),
    responses(
        (status = 200, description = "The entries and the summary; `ETag` is the version.", body = StatusesResponse,
            headers(("ETag" = String, description = "The version, quoted."))),
        (status = 304, description = "`If-None-Match` names the current version."),
        (status = 404, description = "No such campaign.", body = ErrorBody),
    ),
)]
pub async fn of_campaign(
    State(state): State<AppState>,
    Path(id): Path<u64>,
    Query(q): Query<StatusesQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    statuses(&state, id, true, q, &headers).await
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
    if let Some(limit) = q.limit
        && !(1..=MAX_LIMIT).contains(&limit)
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("limit must be 1 to {MAX_LIMIT}, not {limit}"),
        ));
    }
    let page = Page {
        after: q.after,
        limit: q.limit,
    };
    let asked = Conditional::read(headers, q.wait)?;
    if let Some((known, wait)) = asked.wait_past(q.since) {
        state
            .engine
            .wait_past(Some(id), known, wait, &state.shutdown)
            .await;
    }
    let timer = Timer::start();
    let version = state.engine.version_of(Some(id)).unwrap_or(0);
    // A 304 only while the dialer API answers: while it does not, the
    // answer is a 200 naming why (after the same wait), so that a client
    // that polls with `If-None-Match` learns it, and a 304 then says it
    // answers again.
    let unreachable = state.dialer.unreachable();
    if unreachable.is_none()
        && let Some(unchanged) = asked.unchanged(version, &timer)
    {
        return Ok(unchanged);
    }
    let mut snap = state
        .engine
        .snapshot(id, q.since, with_summary, page)
        .await?;
    snap.max_cps = state.max_cps.clone();
    snap.dialer_unreachable = unreachable;
    snap.events_failing = state.engine.outbound.failing(crate::clock::wall());
    let (version, inline) = (snap.version, snap.calls.len() <= SERIALISE_INLINE);
    let serialise = move || serde_json::to_vec(&snap).expect("statuses always serialise");
    let body = if inline {
        serialise()
    } else {
        tokio::task::spawn_blocking(serialise).await.map_err(|e| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("statuses: {e}"))
        })?
    };
    let content_type = (header::CONTENT_TYPE, "application/json".to_string());
    Ok(([content_type], conditional::fresh(version, &timer), body).into_response())
}

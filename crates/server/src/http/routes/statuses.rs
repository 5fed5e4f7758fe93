//! `GET /statuses`: full, delta (`since`), conditional (`If-None-Match`)
//! and long-polled (`wait`, read by [`conditional`]); see docs/api.md.

use super::LEGACY;
use crate::engine::Page;
use crate::http::AppState;
use crate::http::conditional::IfNoneMatch;
use crate::http::conditional::{self, Conditional, Timer};
use crate::http::error::ApiError;
use crate::http::extract::{Path, Query};
use crate::http::statuses_cache::{self, Asked};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use numdialer_core::api::{ErrorBody, StatusesResponse};
use serde::Deserialize;
use tokio::sync::OwnedSemaphorePermit;
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
/// pool, off the tasks that dial and take webhooks, and kept for the
/// next client that asks the same of the same version
/// ([`statuses_cache`]).
const SERIALISE_INLINE: usize = 2048;

/// An answer whose `calls` take more bytes than this waits for its turn to
/// go out ([`statuses_cache::StatusesCache::turn`]).
const LARGE_BODY: usize = 1 << 20;

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
    let chosen = Asked {
        since: q.since,
        after: q.after,
        limit: q.limit,
    };
    let (mut snap, calls, turn) = match kept(state, id, with_summary, chosen).await? {
        Some(hit) => hit,
        None => build(state, id, with_summary, chosen).await?,
    };
    snap.max_cps = state.max_cps.clone();
    snap.dialer_unreachable = unreachable;
    snap.events_failing = state.engine.outbound.failing(crate::clock::wall());
    let head = serde_json::to_vec(&snap).expect("statuses always serialise");
    let content_type = (header::CONTENT_TYPE, "application/json".to_string());
    let fresh = conditional::fresh(snap.version, &timer);
    let body = Body::new(statuses_cache::compose(head, calls, turn));
    Ok(([content_type], fresh, body).into_response())
}

/// An answer's head, its `calls` serialised, and, when they are large, its
/// turn to go out ([`statuses_cache::StatusesCache::turn`]).
type Answer = (StatusesResponse, Bytes, Option<OwnedSemaphorePermit>);

/// The answer's head, read now (once it is this answer's turn), and the
/// `calls` kept for the version it shows, if any are.
async fn kept(
    state: &AppState,
    id: u64,
    with_summary: bool,
    asked: Asked,
) -> Result<Option<Answer>, ApiError> {
    state
        .statuses
        .drop_stale(|id| state.engine.version_of(Some(id)));
    let Some((version, calls)) = state.statuses.get(id, asked) else {
        return Ok(None);
    };
    let turn = state.statuses.turn().await;
    // Nothing but the head: a page of no entries.
    let head_only = Page {
        after: None,
        limit: Some(0),
    };
    let mut head = state
        .engine
        .snapshot(id, None, with_summary, head_only)
        .await?;
    if head.version != version {
        return Ok(None);
    }
    // As the snapshot sets it: a `since` from the future gets everything.
    head.since = asked.since.filter(|&s| s <= version);
    Ok(Some((head, calls, turn)))
}

/// The answer built from the engine, its `calls` serialised apart (on the
/// blocking pool when large) and kept when large, unless the campaign
/// changed while they were copied.
async fn build(
    state: &AppState,
    id: u64,
    with_summary: bool,
    asked: Asked,
) -> Result<Answer, ApiError> {
    let page = Page {
        after: asked.after,
        limit: asked.limit,
    };
    let mut snap = state
        .engine
        .snapshot(id, asked.since, with_summary, page)
        .await?;
    let entries = std::mem::take(&mut snap.calls);
    let large = entries.len() > SERIALISE_INLINE;
    let serialise = move || Bytes::from(serde_json::to_vec(&entries).expect("calls serialise"));
    let calls = if large {
        tokio::task::spawn_blocking(serialise).await.map_err(|e| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("statuses: {e}"))
        })?
    } else {
        serialise()
    };
    if large && snap.degraded.is_none() && state.engine.version_of(Some(id)) == Some(snap.version) {
        state.statuses.put(id, snap.version, asked, calls.clone());
    }
    let turn = match calls.len() > LARGE_BODY {
        true => state.statuses.turn().await,
        false => None,
    };
    Ok((snap, calls, turn))
}

//! `POST /webhooks/{token}`: a provider reports on the call dialed under
//! `token`. The provider's own reader turns the request into a report.

use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::{Json, Path};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// A callback that moves no status (see [`crate::provider::Callbacks`]) is
/// answered 204: the provider only needs a 2xx.
pub async fn receive(
    State(state): State<AppState>,
    Path(token): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    match state.callbacks.read(&uri, &headers, &body)? {
        Some(report) => Ok(Json(state.engine.report(&token, report).await?).into_response()),
        None => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

/// `POST /webhooks/{token}/amd`: the provider's answering-machine result
/// for the call dialed under `token`, checked as its status callbacks are
/// (403 unsigned or signed for another URL, 404 for an unknown token).
pub async fn detection(
    State(state): State<AppState>,
    Path(token): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let d = state.callbacks.read_detection(&uri, &headers, &body)?;
    Ok(Json(state.engine.detection(&token, d).await?).into_response())
}

//! `POST /calls` starts the list; `GET /calls/{index}` shows one entry.
//! Both are the routes of the release before campaigns: they act on
//! campaign 1 and keep that release's answers.

use super::LEGACY;
use crate::engine::EngineError;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::{Json, Path};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use numdialer_core::api::{CallDetail, ErrorBody, StartResponse};
use numdialer_core::campaign::{AlreadyStarted, Operation, OperationError};

/// Starts campaign 1, once: a list that was started before (running,
/// paused, stopped or done) answers 409, as it did before campaigns.
#[utoipa::path(
    post,
    path = "/calls",
    operation_id = "start_legacy",
    tag = "legacy",
    summary = "Start dialing campaign 1",
    responses(
        (status = 202, description = "Dialing started.", body = StartResponse),
        (status = 404, description = "There is no campaign 1.", body = ErrorBody),
        (status = 409, description = "Campaign 1 was started before.", body = ErrorBody),
    ),
)]
pub async fn start(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    match state.engine.operate(LEGACY, Operation::Start).await {
        Ok((_, true)) => {}
        Ok((_, false)) | Err(EngineError::Operation(OperationError::NotAllowed(_))) => {
            return Err(EngineError::from(AlreadyStarted).into());
        }
        Err(e) => return Err(e.into()),
    }
    tracing::info!("dialing started");
    Ok((StatusCode::ACCEPTED, Json(StartResponse { started: true })))
}

/// One entry of campaign 1 and its history.
#[utoipa::path(
    get,
    path = "/calls/{index}",
    operation_id = "get_legacy_call",
    tag = "legacy",
    summary = "One entry of campaign 1, with its history",
    params(("index" = usize, Path, description = "The entry's place in the list, from 0.")),
    responses(
        (status = 200, description = "The entry.", body = CallDetail),
        (status = 404, description = "No such entry, or no campaign 1.", body = ErrorBody),
    ),
)]
pub async fn detail(
    State(state): State<AppState>,
    Path(index): Path<usize>,
) -> Result<Json<CallDetail>, ApiError> {
    state
        .engine
        .detail(LEGACY, index)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no entry at index {index}")))
}

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
use numdialer_core::api::{CallDetail, StartResponse};
use numdialer_core::campaign::{AlreadyStarted, Operation, OperationError};

/// Starts campaign 1, once: a list that was started before (running,
/// paused, stopped or done) answers 409, as it did before campaigns.
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

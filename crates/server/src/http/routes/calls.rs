//! `POST /calls` starts the list; `GET /calls/{index}` shows one entry.

use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::{Json, Path};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use numdialer_core::api::{CallDetail, StartResponse};
use numdialer_core::campaign::FIRST;

pub async fn start(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    state.engine.start().await?;
    tracing::info!("dialing started");
    Ok((StatusCode::ACCEPTED, Json(StartResponse { started: true })))
}

pub async fn detail(
    State(state): State<AppState>,
    Path(index): Path<usize>,
) -> Result<Json<CallDetail>, ApiError> {
    state
        .engine
        .detail(FIRST, index)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no entry at index {index}")))
}

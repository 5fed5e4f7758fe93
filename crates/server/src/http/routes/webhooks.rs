//! `POST /webhooks/{token}`: the dialer API reports a call's status.

use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::{Json, Path};
use axum::extract::State;
use axum::http::StatusCode;
use numdialer_core::wire::{WebhookAck, WebhookBody};

pub async fn receive(
    State(state): State<AppState>,
    Path(token): Path<String>,
    // Through a map first: serde would also read a struct from an array.
    Json(map): Json<serde_json::Map<String, serde_json::Value>>,
) -> Result<Json<WebhookAck>, ApiError> {
    let body: WebhookBody = serde_json::from_value(map.into()).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("invalid webhook body: {e}"),
        )
    })?;
    Ok(Json(state.engine.webhook(&token, body).await?))
}

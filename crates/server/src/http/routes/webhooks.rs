//! `POST /webhooks/{token}`: a provider reports on the call dialed under
//! `token`. The provider's own reader turns the request into a report.

use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::{Json, Path};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use numdialer_core::api::WebhookAck;

pub async fn receive(
    State(state): State<AppState>,
    Path(token): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<WebhookAck>, ApiError> {
    let report = state.callbacks.read(&uri, &headers, &body)?;
    Ok(Json(state.engine.report(&token, report).await?))
}

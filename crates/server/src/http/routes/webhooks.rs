//! `POST /webhooks/{token}`: a provider reports on the call dialed under
//! `token`. The provider's own reader turns the request into a report.

use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::{Json, Path};
use crate::http::openapi::{TwilioAmdForm, TwilioStatusForm};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use numdialer_core::api::{ErrorBody, WebhookAck};
use numdialer_core::protocol::numdialer::WebhookBody;

/// A callback that moves no status (see [`crate::provider::Callbacks`]) is
/// answered 204: the provider only needs a 2xx.
#[utoipa::path(
    post,
    path = "/webhooks/{token}",
    operation_id = "receive_callback",
    tag = "callbacks",
    summary = "The dialer API reports a call's status",
    params(("token" = String, Path, description = "The token the call was dialed under.")),
    request_body(
        description = "The numDialer API's JSON, or Twilio's status callback form (signed with X-Twilio-Signature), as the server's --dialer reads.",
        content(
            (WebhookBody = "application/json"),
            (TwilioStatusForm = "application/x-www-form-urlencoded"),
        ),
    ),
    responses(
        (status = 200, description = "Read; whether it moved the entry.", body = WebhookAck),
        (status = 204, description = "A Twilio status that moves no entry (queued, initiated)."),
        (status = 403, description = "Twilio's signature is missing or wrong.", body = ErrorBody),
        (status = 404, description = "No call was dialed under this token.", body = ErrorBody),
        (status = 409, description = "The call id is not the one the token's call has.", body = ErrorBody),
        (status = 415, description = "Not the media type the provider sends.", body = ErrorBody),
        (status = 422, description = "A body that does not read as a callback.", body = ErrorBody),
    ),
)]
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
#[utoipa::path(
    post,
    path = "/webhooks/{token}/amd",
    operation_id = "receive_amd_result",
    tag = "callbacks",
    summary = "Twilio's answering-machine result",
    params(("token" = String, Path, description = "The token the call was dialed under.")),
    request_body(content((TwilioAmdForm = "application/x-www-form-urlencoded"))),
    responses(
        (status = 200, description = "Read; whether it moved the entry.", body = WebhookAck),
        (status = 403, description = "Twilio's signature is missing or wrong.", body = ErrorBody),
        (status = 404, description = "No call was dialed under this token, or the provider detects no answers.", body = ErrorBody),
        (status = 415, description = "Not a form.", body = ErrorBody),
        (status = 422, description = "A form that does not read as a result.", body = ErrorBody),
    ),
)]
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

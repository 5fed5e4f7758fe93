//! `/webhook-endpoints...`: where outbound events go (docs/api.md,
//! "Events and webhooks"). Not to be confused with `/webhooks/{token}`,
//! where the dialer API reports to numdialer.

use crate::events::endpoints::{self, EndpointsError};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::{Json, Path, Query};
use crate::store::outbox::{DeliveryRecord, DeliveryState, EndpointRecord};
use axum::extract::State;
use axum::http::StatusCode;
use numdialer_core::api::{
    ErrorBody, WebhookDeliveriesResponse, WebhookDelivery, WebhookEndpoint,
    WebhookEndpointsResponse,
};
use numdialer_core::webhooks::EndpointRequest;
use serde::Deserialize;
use utoipa::IntoParams;

impl From<EndpointsError> for ApiError {
    fn from(e: EndpointsError) -> Self {
        let status = match &e {
            EndpointsError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            EndpointsError::NoEndpoint(_) | EndpointsError::NoDelivery { .. } => {
                StatusCode::NOT_FOUND
            }
            EndpointsError::StillPending(_) | EndpointsError::Disabled(_) => StatusCode::CONFLICT,
            EndpointsError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
        };
        ApiError::new(status, e.to_string())
    }
}

fn shown(e: &EndpointRecord, with_secret: bool) -> WebhookEndpoint {
    WebhookEndpoint {
        id: e.id,
        url: e.url.clone(),
        events: e.events.iter().map(|t| t.as_str().to_string()).collect(),
        description: e.description.clone(),
        created_at: e.created_at,
        disabled: e.disabled.clone(),
        secret: with_secret.then(|| e.secret.clone()),
        previous_secret_until: e.previous_until,
    }
}

fn delivery(d: DeliveryRecord) -> WebhookDelivery {
    WebhookDelivery {
        id: d.id,
        webhook_id: d.msg_id,
        kind: d.kind.as_str().to_string(),
        state: match d.state {
            DeliveryState::Pending => "pending",
            DeliveryState::Failed => "failed",
        }
        .to_string(),
        tries: d.tries,
        created_at: d.created_at,
        next_at: d.next_at,
        last_error: d.last_error,
        event: serde_json::from_str(&d.body).unwrap_or(serde_json::Value::String(d.body)),
    }
}

/// `POST /webhook-endpoints`: 201 with the endpoint and its secret, the
/// only answer that shows it.
#[utoipa::path(
    post,
    path = "/webhook-endpoints",
    operation_id = "create_webhook_endpoint",
    tag = "events",
    summary = "Register an endpoint for outbound events",
    request_body(
        content = EndpointRequest,
        content_type = "application/json",
        example = json!({"url": "https://crm.example.com/numdialer", "events": ["call.completed"], "description": "CRM"}),
    ),
    responses(
        (status = 201, description = "The endpoint, with its `secret`: the only answer that shows it.", body = WebhookEndpoint),
        (status = 422, description = "A bad `url`, `events`, `secret` or `description`, named first; nothing was stored.", body = ErrorBody),
    ),
)]
pub async fn create(
    State(state): State<AppState>,
    Json(request): Json<EndpointRequest>,
) -> Result<(StatusCode, Json<WebhookEndpoint>), ApiError> {
    let e = endpoints::register(&state.engine, &request).await?;
    Ok((StatusCode::CREATED, Json(shown(&e, true))))
}

/// `GET /webhook-endpoints`: every endpoint, without its secret.
#[utoipa::path(
    get,
    path = "/webhook-endpoints",
    operation_id = "list_webhook_endpoints",
    tag = "events",
    summary = "The endpoints that outbound events go to",
    responses(
        (status = 200, description = "Every endpoint, without its secret.", body = WebhookEndpointsResponse),
    ),
)]
pub async fn list(State(state): State<AppState>) -> Json<WebhookEndpointsResponse> {
    let endpoints = state
        .engine
        .outbound
        .endpoints()
        .iter()
        .map(|e| shown(e, false))
        .collect();
    Json(WebhookEndpointsResponse { endpoints })
}

/// `DELETE /webhook-endpoints/{id}`: no more events go there, and what it
/// was owed is dropped.
#[utoipa::path(
    delete,
    path = "/webhook-endpoints/{id}",
    operation_id = "delete_webhook_endpoint",
    tag = "events",
    summary = "Remove an endpoint",
    params(("id" = u64, Path, description = "The endpoint's id.")),
    responses(
        (status = 204, description = "Removed."),
        (status = 404, description = "No such endpoint.", body = ErrorBody),
    ),
)]
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<u64>,
) -> Result<StatusCode, ApiError> {
    endpoints::remove(&state.engine, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /webhook-endpoints/{id}/rotate`: the new secret, once; the old
/// one keeps signing beside it for 24 h.
#[utoipa::path(
    post,
    path = "/webhook-endpoints/{id}/rotate",
    operation_id = "rotate_webhook_endpoint",
    tag = "events",
    summary = "A new secret; the old one signs beside it for 24 h",
    params(("id" = u64, Path, description = "The endpoint's id.")),
    responses(
        (status = 200, description = "The endpoint with its new `secret`.", body = WebhookEndpoint),
        (status = 404, description = "No such endpoint.", body = ErrorBody),
        (status = 409, description = "The endpoint is disabled.", body = ErrorBody),
    ),
)]
pub async fn rotate(
    State(state): State<AppState>,
    Path(id): Path<u64>,
) -> Result<Json<WebhookEndpoint>, ApiError> {
    let e = endpoints::rotate(&state.engine, id).await?;
    Ok(Json(shown(&e, true)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// Only the deliveries whose tries are spent.
    #[serde(default)]
    failed: bool,
}

/// `GET /webhook-endpoints/{id}/deliveries[?failed=true]`: what is still
/// owed to the endpoint, or only what failed.
#[utoipa::path(
    get,
    path = "/webhook-endpoints/{id}/deliveries",
    operation_id = "list_webhook_deliveries",
    tag = "events",
    summary = "What is owed to an endpoint, or what failed",
    params(("id" = u64, Path, description = "The endpoint's id."), DeliveriesQuery),
    responses(
        (status = 200, description = "Pending and failed deliveries, or the failed ones.", body = WebhookDeliveriesResponse),
        (status = 404, description = "No such endpoint.", body = ErrorBody),
    ),
)]
pub async fn deliveries(
    State(state): State<AppState>,
    Path(id): Path<u64>,
    Query(q): Query<DeliveriesQuery>,
) -> Result<Json<WebhookDeliveriesResponse>, ApiError> {
    let all = endpoints::deliveries(&state.engine, id, q.failed)?;
    Ok(Json(WebhookDeliveriesResponse {
        deliveries: all.into_iter().map(delivery).collect(),
    }))
}

/// `POST /webhook-endpoints/{id}/deliveries/{delivery}/replay`: a failed
/// delivery sent again, same id and body, 202.
#[utoipa::path(
    post,
    path = "/webhook-endpoints/{id}/deliveries/{delivery}/replay",
    operation_id = "replay_webhook_delivery",
    tag = "events",
    summary = "Send a failed delivery again, same id and body",
    params(
        ("id" = u64, Path, description = "The endpoint's id."),
        ("delivery" = u64, Path, description = "The delivery's id."),
    ),
    responses(
        (status = 202, description = "Queued again.", body = WebhookDelivery),
        (status = 404, description = "No such endpoint or delivery.", body = ErrorBody),
        (status = 409, description = "The delivery is still pending, or the endpoint is disabled.", body = ErrorBody),
    ),
)]
pub async fn replay(
    State(state): State<AppState>,
    Path((id, d)): Path<(u64, u64)>,
) -> Result<(StatusCode, Json<WebhookDelivery>), ApiError> {
    let d = endpoints::replay(&state.engine, id, d).await?;
    Ok((StatusCode::ACCEPTED, Json(delivery(d))))
}

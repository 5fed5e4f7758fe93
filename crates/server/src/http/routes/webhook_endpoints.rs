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
    WebhookDeliveriesResponse, WebhookDelivery, WebhookEndpoint, WebhookEndpointsResponse,
};
use numdialer_core::webhooks::EndpointRequest;
use serde::Deserialize;

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
pub async fn create(
    State(state): State<AppState>,
    Json(request): Json<EndpointRequest>,
) -> Result<(StatusCode, Json<WebhookEndpoint>), ApiError> {
    let e = endpoints::register(&state.engine, &request).await?;
    Ok((StatusCode::CREATED, Json(shown(&e, true))))
}

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

pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<u64>,
) -> Result<StatusCode, ApiError> {
    endpoints::remove(&state.engine, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /webhook-endpoints/{id}/rotate`: the new secret, once; the old
/// one keeps signing beside it for 24 h.
pub async fn rotate(
    State(state): State<AppState>,
    Path(id): Path<u64>,
) -> Result<Json<WebhookEndpoint>, ApiError> {
    let e = endpoints::rotate(&state.engine, id).await?;
    Ok(Json(shown(&e, true)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveriesQuery {
    #[serde(default)]
    failed: bool,
}

/// `GET /webhook-endpoints/{id}/deliveries[?failed=true]`: what is still
/// owed to the endpoint, or only what failed.
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
pub async fn replay(
    State(state): State<AppState>,
    Path((id, d)): Path<(u64, u64)>,
) -> Result<(StatusCode, Json<WebhookDelivery>), ApiError> {
    let d = endpoints::replay(&state.engine, id, d).await?;
    Ok((StatusCode::ACCEPTED, Json(delivery(d))))
}

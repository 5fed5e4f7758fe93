//! `/webhook-endpoints`: the endpoints that outbound events go to, and
//! their deliveries. Event types and states are text here, so that an
//! older client reads a newer server's.

use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// An endpoint as the API shows it. `secret` is present only in the answer
/// that made it (`POST /webhook-endpoints` and `.../rotate`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookEndpoint {
    pub id: u64,
    pub url: String,
    pub events: Vec<String>,
    #[serde(default)]
    pub description: String,
    pub created_at: Timestamp,
    /// Why no more events go there (it answered 410 Gone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Until when the secret before the last rotation still signs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_secret_until: Option<Timestamp>,
}

/// `GET /webhook-endpoints`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookEndpointsResponse {
    pub endpoints: Vec<WebhookEndpoint>,
}

/// One event owed to an endpoint: pending (tried again at `next_at`) or
/// failed (its tries spent; replayable).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookDelivery {
    pub id: u64,
    /// Its `webhook-id`, the same on every try.
    pub webhook_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub state: String,
    pub tries: u32,
    pub created_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// The body sent, as JSON.
    pub event: serde_json::Value,
}

/// `GET /webhook-endpoints/{id}/deliveries`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookDeliveriesResponse {
    pub deliveries: Vec<WebhookDelivery>,
}

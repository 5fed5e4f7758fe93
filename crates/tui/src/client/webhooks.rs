//! The webhook endpoint routes (`/webhook-endpoints...`, docs/api.md
//! "Events and webhooks"), one method each, for `numdialer webhooks`.

use super::{Client, ClientError, Request};
use numdialer_core::api::{
    WebhookDeliveriesResponse, WebhookDelivery, WebhookEndpoint, WebhookEndpointsResponse,
};
use reqwest::Method;
use serde::Serialize;

/// `POST /webhook-endpoints`.
#[derive(Debug, Clone, Serialize)]
pub struct NewEndpoint {
    pub url: String,
    pub events: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

fn own_404(name: &str) -> Request<'_> {
    Request {
        name,
        own_404: true,
    }
}

impl Client {
    /// Registers an endpoint; the answer holds its secret, shown this once.
    pub async fn add_endpoint(&self, new: &NewEndpoint) -> Result<WebhookEndpoint, ClientError> {
        let req = self.request(Method::POST, "/webhook-endpoints").json(new);
        let what = Request {
            name: "POST /webhook-endpoints",
            own_404: false,
        };
        self.send(what, req).await
    }

    pub async fn endpoints(&self) -> Result<WebhookEndpointsResponse, ClientError> {
        let req = self.request(Method::GET, "/webhook-endpoints");
        let what = Request {
            name: "GET /webhook-endpoints",
            own_404: false,
        };
        self.send(what, req).await
    }

    pub async fn remove_endpoint(&self, id: u64) -> Result<(), ClientError> {
        let name = "DELETE /webhook-endpoints/{id}";
        let path = format!("/webhook-endpoints/{id}");
        let resp = self.transmit(self.request(Method::DELETE, &path)).await?;
        if resp.status().is_success() {
            return Ok(());
        }
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(|e| self.network(&e))?;
        Err(ClientError::from_answer(
            name,
            true,
            status,
            &bytes,
            self.token.is_some(),
        ))
    }

    pub async fn rotate_endpoint(&self, id: u64) -> Result<WebhookEndpoint, ClientError> {
        let path = format!("/webhook-endpoints/{id}/rotate");
        let req = self.request(Method::POST, &path);
        self.send(own_404("POST /webhook-endpoints/{id}/rotate"), req)
            .await
    }

    pub async fn deliveries(
        &self,
        id: u64,
        failed: bool,
    ) -> Result<WebhookDeliveriesResponse, ClientError> {
        let path = format!("/webhook-endpoints/{id}/deliveries?failed={failed}");
        let req = self.request(Method::GET, &path);
        self.send(own_404("GET /webhook-endpoints/{id}/deliveries"), req)
            .await
    }

    pub async fn replay(&self, id: u64, delivery: u64) -> Result<WebhookDelivery, ClientError> {
        let path = format!("/webhook-endpoints/{id}/deliveries/{delivery}/replay");
        let req = self.request(Method::POST, &path);
        let what = own_404("POST /webhook-endpoints/{id}/deliveries/{delivery}/replay");
        self.send(what, req).await
    }
}

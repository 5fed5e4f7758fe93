//! What the `/webhook-endpoints` routes do: register an endpoint (its
//! secret answered once), list, remove and rotate, and list and replay
//! its deliveries. Each change is durable before it is answered.

use crate::clock;
use crate::engine::Engine;
use crate::store::StoreError;
use crate::store::outbox::{DeliveryRecord, DeliveryState, EndpointRecord};
use numdialer_core::webhooks::signing::GENERATED_BYTES;
use numdialer_core::webhooks::{EndpointError, EndpointRequest, WebhookSecret};
use std::time::Duration;

/// How long a rotated-out secret keeps signing beside the new one.
pub const ROTATION_GRACE: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, thiserror::Error)]
pub enum EndpointsError {
    #[error(transparent)]
    Invalid(#[from] EndpointError),
    #[error("no webhook endpoint {0}")]
    NoEndpoint(u64),
    #[error("endpoint {endpoint} has no delivery {delivery}")]
    NoDelivery { endpoint: u64, delivery: u64 },
    #[error("delivery {0} is still pending: only a failed delivery is replayed")]
    StillPending(u64),
    #[error("endpoint {0} is disabled (it answered 410 Gone): register it again")]
    Disabled(u64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn new_secret() -> WebhookSecret {
    WebhookSecret::from_random(rand::random::<[u8; GENERATED_BYTES]>())
}

/// Registers an endpoint; the record holds its secret, which the route
/// answers this once.
pub async fn register(
    engine: &Engine,
    request: &EndpointRequest,
) -> Result<EndpointRecord, EndpointsError> {
    let valid = request.validate(engine.outbound.allow_private())?;
    let secret = valid.secret.unwrap_or_else(new_secret);
    let record = EndpointRecord {
        id: engine.store().fresh_id()?,
        url: valid.url.to_string(),
        events: valid.events,
        description: valid.description,
        secret: secret.expose(),
        previous_secret: None,
        previous_until: None,
        created_at: clock::wall(),
        disabled: None,
    };
    let ticket = engine.store().put_endpoint(&record)?;
    engine.store().durable(ticket).await?;
    engine.outbound.set_endpoint(record.clone());
    tracing::info!(
        endpoint = record.id,
        url = record.url,
        "webhook endpoint registered"
    );
    Ok(record)
}

pub async fn remove(engine: &Engine, id: u64) -> Result<(), EndpointsError> {
    engine
        .outbound
        .endpoint(id)
        .ok_or(EndpointsError::NoEndpoint(id))?;
    let ticket = engine.store().remove_endpoint(id)?;
    engine.store().durable(ticket).await?;
    engine.outbound.drop_endpoint(id);
    tracing::info!(endpoint = id, "webhook endpoint removed");
    Ok(())
}

/// A new secret; the old one signs beside it for [`ROTATION_GRACE`].
pub async fn rotate(engine: &Engine, id: u64) -> Result<EndpointRecord, EndpointsError> {
    let ep = engine
        .outbound
        .endpoint(id)
        .ok_or(EndpointsError::NoEndpoint(id))?;
    let mut ep = EndpointRecord::clone(&ep);
    let old = std::mem::replace(&mut ep.secret, new_secret().expose());
    ep.previous_secret = Some(old);
    ep.previous_until = Some(clock::wall().plus_millis(ROTATION_GRACE.as_millis() as u64));
    let ticket = engine.store().put_endpoint(&ep)?;
    engine.store().durable(ticket).await?;
    engine.outbound.set_endpoint(ep.clone());
    tracing::info!(endpoint = id, "webhook endpoint's secret rotated");
    Ok(ep)
}

/// The deliveries owed to endpoint `id` (only the failed ones if asked).
pub fn deliveries(
    engine: &Engine,
    id: u64,
    failed_only: bool,
) -> Result<Vec<DeliveryRecord>, EndpointsError> {
    engine
        .outbound
        .endpoint(id)
        .ok_or(EndpointsError::NoEndpoint(id))?;
    let mut all = engine.store().deliveries(Some(id))?;
    if failed_only {
        all.retain(|d| d.state == DeliveryState::Failed);
    }
    Ok(all)
}

/// Sends a failed delivery again, with its id and body unchanged and its
/// tries from the start.
pub async fn replay(
    engine: &Engine,
    id: u64,
    delivery: u64,
) -> Result<DeliveryRecord, EndpointsError> {
    let ep = engine
        .outbound
        .endpoint(id)
        .ok_or(EndpointsError::NoEndpoint(id))?;
    if ep.disabled.is_some() {
        return Err(EndpointsError::Disabled(id));
    }
    let mut d = engine
        .store()
        .delivery(id, delivery)?
        .ok_or(EndpointsError::NoDelivery {
            endpoint: id,
            delivery,
        })?;
    if d.state != DeliveryState::Failed {
        return Err(EndpointsError::StillPending(delivery));
    }
    d.state = DeliveryState::Pending;
    d.tries = 0;
    d.next_at = Some(clock::wall());
    engine.store().put_delivery(&d)?;
    engine.store().sync().await?;
    engine.outbound.enqueue(vec![d.clone()], 0);
    Ok(d)
}

//! The delivery task: every pending delivery sent, signed, with the same
//! `webhook-id` on every try; retried on the specification's schedule,
//! later if the consumer's `Retry-After` asks; kept as failed once its
//! tries are spent; and an endpoint that answers `410 Gone` disabled.
//!
//! It runs apart from dialing and from the provider's callbacks, with its
//! own HTTP client, and holds at most [`IN_FLIGHT_PER_ENDPOINT`] requests
//! per endpoint, so that a slow or dead consumer holds a few sockets and
//! nothing else. A 15 s timeout bounds each try; redirects are not
//! followed (a redirect could point anywhere, past the address check).

use super::Outbound;
use super::resolver::PublicOnly;
use crate::clock;
use crate::engine::Engine;
use crate::shutdown::Shutdown;
use crate::store::outbox::{DeliveryRecord, DeliveryState, EndpointRecord};
use crate::sync::lock;
use numdialer_core::Timestamp;
use numdialer_core::webhooks::endpoint::check_url;
use numdialer_core::webhooks::signing::signature_header;
use numdialer_core::webhooks::{WebhookSecret, next_delay};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;

/// Requests in flight to one endpoint at most.
pub const IN_FLIGHT_PER_ENDPOINT: usize = 4;

/// How long one try may take, connect to last byte.
pub const TRY_TIMEOUT: Duration = Duration::from_secs(15);

/// How long the delivery task waits for the engine's own flush before it
/// asks for one (see [`crate::store::Store::durable_within`]).
const DURABLE_PATIENCE: Duration = Duration::from_millis(200);

/// How deliveries go out.
#[derive(Debug, Clone, Copy)]
pub struct DeliveryConfig {
    /// `--webhooks-allow-private`: loopback and private destinations.
    pub allow_private: bool,
    /// `--webhooks-time-scale`: the schedule's waits are multiplied by
    /// it, so that tests see a day's retries in seconds. 1 in production.
    pub time_scale: f64,
    pub timeout: Duration,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            allow_private: false,
            time_scale: 1.0,
            timeout: TRY_TIMEOUT,
        }
    }
}

impl DeliveryConfig {
    fn scaled(&self, d: Duration) -> Duration {
        d.mul_f64(self.time_scale)
    }
}

/// What one try came to.
#[derive(Debug)]
enum Tried {
    Delivered,
    /// 410: the consumer wants no more.
    Gone,
    Failed {
        error: String,
        retry_after: Option<Duration>,
    },
}

/// Per endpoint: its deliveries by when they are due, and its tries in
/// flight. Only keys are held: a record is read from the store when it is
/// tried, so that a consumer down for a day costs a few dozen bytes of
/// memory per event owed, not its body.
#[derive(Debug, Default)]
struct Lane {
    /// When due (ms), id, when created (ms).
    due: BTreeSet<(u64, u64, u64)>,
    busy: usize,
    /// Every delivery owed, due or in flight, by when it was created: the
    /// metrics' count and oldest, without a walk over them all.
    owed: BTreeSet<(u64, u64)>,
}

/// The task's state: every pending delivery, by endpoint.
struct Deliveries {
    engine: Arc<Engine>,
    config: DeliveryConfig,
    client: reqwest::Client,
    lanes: HashMap<u64, Lane>,
    tries: JoinSet<(DeliveryRecord, Tried)>,
}

/// The client every delivery goes through: its own connection pool, a
/// timeout, no redirects, no proxy from the environment (a proxy would
/// connect past the address check), and without `allow_private` the
/// resolver that keeps public addresses only.
pub fn client(config: &DeliveryConfig) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .timeout(config.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent(concat!("numdialer/", env!("CARGO_PKG_VERSION")));
    if !config.allow_private {
        b = b.dns_resolver(PublicOnly);
    }
    b.build().expect("the delivery client builds")
}

/// Delivers until the server stops.
pub async fn run(engine: Arc<Engine>, config: DeliveryConfig, shutdown: Shutdown) {
    let mut d = Deliveries {
        client: client(&config),
        engine,
        config,
        lanes: HashMap::new(),
        tries: JoinSet::new(),
    };
    match d.engine.store().deliveries(None) {
        Ok(stored) => stored
            .into_iter()
            .filter(|r| r.state == DeliveryState::Pending)
            .for_each(|r| d.add(r)),
        Err(e) => tracing::error!("webhook deliveries unreadable, none sent until restart: {e}"),
    }
    loop {
        if shutdown.is_triggered() {
            break;
        }
        d.take_queued(&shutdown).await;
        d.start_due();
        d.publish_stats();
        let next = d.next_due();
        let outbound: &Outbound = &d.engine.outbound;
        tokio::select! {
            Some(done) = d.tries.join_next() => {
                if let Ok((record, tried)) = done {
                    d.finish(record, tried);
                }
            }
            _ = outbound.wake.notified() => {}
            _ = sleep_until_wall(next) => {}
            _ = shutdown.wait() => break,
        }
    }
    d.tries.abort_all();
}

async fn sleep_until_wall(at: Option<Timestamp>) {
    match at {
        Some(at) => {
            let wait = at.since(clock::wall()).max(1);
            tokio::time::sleep(Duration::from_millis(wait.min(60_000))).await;
        }
        None => std::future::pending().await,
    }
}

impl Deliveries {
    fn add(&mut self, r: DeliveryRecord) {
        let at = r.next_at.map_or(0, Timestamp::millis);
        let created = r.created_at.millis();
        let lane = self.lanes.entry(r.endpoint).or_default();
        lane.due.insert((at, r.id, created));
        lane.owed.insert((created, r.id));
    }

    /// The deliveries the engine wrote, once their write is durable: an
    /// event is never sent for a change a crash could still lose.
    async fn take_queued(&mut self, shutdown: &Shutdown) {
        let queued = self.engine.outbound.take_queued();
        let Some(ticket) = queued.iter().map(|(_, t)| *t).max() else {
            return;
        };
        let durable = self
            .engine
            .store()
            .durable_within(ticket, DURABLE_PATIENCE)
            .await;
        if let Err(e) = durable {
            tracing::warn!("webhook deliveries wait for the store: {e}");
            for (r, t) in queued {
                self.engine.outbound.enqueue(vec![r], t);
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = shutdown.wait() => {}
            }
            return;
        }
        for (r, _) in queued {
            self.add(r);
        }
    }

    /// Starts every due delivery its endpoint has room for.
    fn start_due(&mut self) {
        let now = clock::wall().millis();
        let endpoints = self.engine.outbound.endpoints();
        let ids: Vec<u64> = self.lanes.keys().copied().collect();
        for endpoint in ids {
            let ep = endpoints.iter().find(|e| e.id == endpoint).cloned();
            loop {
                let lane = self.lanes.get_mut(&endpoint).expect("listed above");
                if lane.busy >= IN_FLIGHT_PER_ENDPOINT {
                    break;
                }
                let Some(&(at, id, created)) = lane.due.first() else {
                    break;
                };
                if at > now {
                    break;
                }
                lane.due.pop_first();
                let stored = self.engine.store().delivery(endpoint, id);
                let record = match stored {
                    Ok(Some(r)) if r.state == DeliveryState::Pending => Some(r),
                    Ok(_) => None,
                    Err(e) => {
                        tracing::warn!(endpoint, id, "a delivery is unreadable: {e}");
                        None
                    }
                };
                let (Some(mut record), Some(ep)) = (record, ep.clone()) else {
                    // Gone from the store, or its endpoint removed (and a
                    // delivery written as it was removed goes now).
                    lane.owed.remove(&(created, id));
                    if ep.is_none() {
                        let _ = self.engine.store().remove_delivery(endpoint, id);
                    }
                    continue;
                };
                if let Some(why) = &ep.disabled {
                    record.last_error = Some(format!("endpoint disabled: {why}"));
                    self.fail(record);
                    continue;
                }
                lane.busy += 1;
                record.tries += 1;
                let client = self.client.clone();
                let allow_private = self.config.allow_private;
                self.tries.spawn(async move {
                    let tried = send(&client, &record, &ep, allow_private).await;
                    (record, tried)
                });
            }
        }
        self.lanes
            .retain(|_, lane| lane.busy > 0 || !lane.due.is_empty());
    }

    /// When the next delivery that has room is due.
    fn next_due(&self) -> Option<Timestamp> {
        self.lanes
            .values()
            .filter(|l| l.busy < IN_FLIGHT_PER_ENDPOINT)
            .filter_map(|l| l.due.first().map(|&(at, ..)| Timestamp(at)))
            .min()
    }

    fn finish(&mut self, mut record: DeliveryRecord, tried: Tried) {
        if let Some(lane) = self.lanes.get_mut(&record.endpoint) {
            lane.busy = lane.busy.saturating_sub(1);
        }
        if self.engine.outbound.endpoint(record.endpoint).is_none() {
            // Removed while this try was out: nothing of it may stay.
            self.settled(&record);
            self.forget(&record);
            return;
        }
        match tried {
            Tried::Delivered => {
                self.settled(&record);
                self.engine
                    .outbound
                    .count(record.endpoint, |s| s.delivered += 1);
                tracing::debug!(
                    endpoint = record.endpoint,
                    id = record.msg_id,
                    "event delivered"
                );
                self.forget(&record);
            }
            Tried::Gone => {
                record.last_error = Some("HTTP 410 Gone: endpoint disabled".into());
                self.disable(record.endpoint);
                self.fail(record);
            }
            Tried::Failed { error, retry_after } => {
                tracing::info!(
                    endpoint = record.endpoint,
                    id = record.msg_id,
                    tries = record.tries,
                    "event delivery failed: {error}"
                );
                record.last_error = Some(error);
                match next_delay(record.tries, retry_after) {
                    Some(wait) => {
                        let wait = self.config.scaled(wait);
                        record.next_at = Some(clock::wall().plus_millis(wait.as_millis() as u64));
                        self.save(&record);
                        self.add(record);
                    }
                    None => self.fail(record),
                }
            }
        }
    }

    /// Keeps a delivery as failed, for the operator to list and replay.
    fn fail(&mut self, mut record: DeliveryRecord) {
        self.settled(&record);
        record.state = DeliveryState::Failed;
        record.next_at = None;
        self.engine
            .outbound
            .count(record.endpoint, |s| s.failed += 1);
        tracing::warn!(
            endpoint = record.endpoint,
            id = record.msg_id,
            "event not delivered after {} tries: {}",
            record.tries,
            record.last_error.as_deref().unwrap_or("")
        );
        self.save(&record);
    }

    fn save(&self, record: &DeliveryRecord) {
        if let Err(e) = self.engine.store().put_delivery(record) {
            tracing::warn!("a delivery's progress is not stored: {e}");
        }
    }

    /// Marks the endpoint disabled, in the store and for the engine, which
    /// then owes it no new events.
    fn disable(&self, endpoint: u64) {
        let Some(ep) = self.engine.outbound.endpoint(endpoint) else {
            return;
        };
        if ep.disabled.is_some() {
            return;
        }
        let mut ep = EndpointRecord::clone(&ep);
        ep.disabled = Some(format!("answered 410 Gone at {}", clock::wall()));
        tracing::warn!(
            endpoint,
            url = ep.url,
            "webhook endpoint disabled: it answered 410 Gone"
        );
        if let Err(e) = self.engine.store().put_endpoint(&ep) {
            tracing::warn!("the endpoint's disabling is not stored: {e}");
        }
        self.engine.outbound.set_endpoint(ep);
    }

    /// Removes a delivery from the store: it arrived, or its endpoint is gone.
    fn forget(&self, record: &DeliveryRecord) {
        if let Err(e) = self
            .engine
            .store()
            .remove_delivery(record.endpoint, record.id)
        {
            tracing::warn!("a delivery stays in the outbox: {e}");
        }
    }

    /// A delivery no longer owed: delivered, or kept as failed.
    fn settled(&mut self, record: &DeliveryRecord) {
        if let Some(lane) = self.lanes.get_mut(&record.endpoint) {
            lane.owed.remove(&(record.created_at.millis(), record.id));
        }
    }

    /// Each endpoint's pending count and oldest pending delivery, for
    /// `/metrics`.
    fn publish_stats(&self) {
        let mut stats = lock(&self.engine.outbound.stats);
        for (id, s) in stats.iter_mut() {
            let lane = self.lanes.get(id);
            s.pending = lane.map_or(0, |l| l.owed.len() as u64);
            s.oldest_pending = lane
                .and_then(|l| l.owed.first())
                .map(|&(at, _)| Timestamp(at));
        }
        for (id, lane) in &self.lanes {
            if !stats.contains_key(id) {
                let s = stats.entry(*id).or_default();
                s.pending = lane.owed.len() as u64;
                s.oldest_pending = lane.owed.first().map(|&(at, _)| Timestamp(at));
            }
        }
    }
}

/// One try: signed with every secret still valid, the timestamp of now.
async fn send(
    client: &reqwest::Client,
    record: &DeliveryRecord,
    ep: &EndpointRecord,
    allow_private: bool,
) -> Tried {
    if let Err(e) = check_url(&ep.url, allow_private) {
        return Tried::Failed {
            error: e.to_string(),
            retry_after: None,
        };
    }
    let now = clock::wall();
    let secrets: Vec<WebhookSecret> = std::iter::once(Some(ep.secret.as_str()))
        .chain(std::iter::once(ep.previous_secret.as_deref().filter(
            |_| ep.previous_until.is_some_and(|until| until > now),
        )))
        .flatten()
        .filter_map(|s| WebhookSecret::parse(s).ok())
        .collect();
    let secrets: Vec<&WebhookSecret> = secrets.iter().collect();
    let timestamp = now.millis() / 1000;
    let signature = signature_header(&secrets, &record.msg_id, timestamp, record.body.as_bytes());
    let sent = client
        .post(&ep.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("webhook-id", &record.msg_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(record.body.clone())
        .send()
        .await;
    match sent {
        Ok(r) if r.status().is_success() => Tried::Delivered,
        Ok(r) if r.status() == reqwest::StatusCode::GONE => Tried::Gone,
        Ok(r) => Tried::Failed {
            error: format!("HTTP {}", r.status()),
            retry_after: retry_after(r.headers()),
        },
        Err(e) => Tried::Failed {
            error: error_chain(&e),
            retry_after: None,
        },
    }
}

/// `Retry-After` in seconds (the date form is rare from webhook
/// consumers, and read as absent).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let v = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// reqwest's error with its causes, which say what actually failed
/// (refused, timed out, no public address).
fn error_chain(e: &reqwest::Error) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

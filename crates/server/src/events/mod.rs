//! Outbound events: what the engine owes the registered endpoints, and the
//! task that delivers it.
//!
//! The engine asks [`Outbound::collect`] under its lock, before each write,
//! which events the change reports (a campaign's state moved, an attempt
//! ended); their deliveries are written ahead of the change, in the write
//! whose flush acknowledges it, so an acknowledged change never loses its
//! event (`store::outbox`). Only once that write is durable does the
//! delivery task see them: a crash can never deliver an event for a change
//! that did not survive.
//!
//! Nothing here waits on a consumer: the engine only appends to a queue,
//! and [`delivery`] runs on its own task with its own client, at most
//! [`delivery::IN_FLIGHT_PER_ENDPOINT`] requests per endpoint.
//!
//! - [`delivery`]: the task: tries, the schedule, `Retry-After`, 410;
//! - [`resolver`]: the DNS resolver that refuses private addresses at
//!   connect time;
//! - [`endpoints`]: registering, rotating and removing endpoints, listing
//!   and replaying deliveries, for the routes.

pub mod delivery;
pub mod endpoints;
pub mod resolver;

use crate::store::outbox::{DeliveryRecord, DeliveryState, EndpointRecord};
use crate::store::{Store, StoreError};
use crate::sync::lock;
use numdialer_core::webhooks::events::named;
use numdialer_core::webhooks::{CallCompleted, CampaignChanged, EventType, OutEvent};
use numdialer_core::{Campaign, CampaignState, Campaigns, Timestamp};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::Notify;

/// How long an event may be owed before its endpoint counts as failing
/// (its first retry is due 5 s after the first try, the second 5 min).
pub const FAILING_AFTER: std::time::Duration = std::time::Duration::from_secs(60);

/// What was last written of every campaign, to tell which events a new
/// write reports. In memory: rebuilt from the campaigns at open.
#[derive(Debug, Default)]
struct Tracking {
    /// Each campaign's state as last written.
    states: HashMap<u64, CampaignState>,
    /// Entries whose attempt held a line when last written: when one is
    /// written without, its attempt ended. Bounded by the lines.
    in_flight: HashSet<(u64, usize)>,
    /// Each campaign's last event's sequence number.
    sequences: HashMap<u64, u64>,
}

/// Deliveries a write added, with what to remember once it is stored.
#[derive(Debug, Default)]
pub struct Collected {
    deliveries: Vec<DeliveryRecord>,
    sequences: Vec<(u64, u64)>,
    campaign: Option<(u64, CampaignState)>,
    entries: Vec<((u64, usize), bool)>,
}

impl Collected {
    pub fn deliveries(&self) -> &[DeliveryRecord] {
        &self.deliveries
    }

    pub fn sequences(&self) -> &[(u64, u64)] {
        &self.sequences
    }
}

/// The engine's side of outbound events.
#[derive(Debug, Default)]
pub struct Outbound {
    tracking: Mutex<Tracking>,
    /// The endpoints, as stored: read by every write, changed by the routes.
    endpoints: RwLock<Vec<Arc<EndpointRecord>>>,
    /// Deliveries written, with the store ticket that makes them durable,
    /// waiting for the delivery task.
    queue: Mutex<Vec<(DeliveryRecord, u64)>>,
    /// Wakes the delivery task.
    pub(crate) wake: Notify,
    /// What each endpoint's deliveries came to, for `/metrics`.
    pub(crate) stats: Mutex<HashMap<u64, EndpointStats>>,
    /// `--webhooks-allow-private`, for the checks of a registration.
    allow_private: AtomicBool,
}

/// One endpoint's deliveries since the server started, and its pending
/// ones now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EndpointStats {
    pub delivered: u64,
    pub failed: u64,
    pub pending: u64,
    pub oldest_pending: Option<Timestamp>,
}

impl Outbound {
    /// The tracking of `campaigns` as opened, and the endpoints and
    /// sequence numbers `store` holds.
    pub fn open(store: &Store, campaigns: &Campaigns) -> Result<Outbound, StoreError> {
        let mut tracking = Tracking {
            sequences: store.sequences()?,
            ..Default::default()
        };
        for c in campaigns.iter() {
            tracking.states.insert(c.id(), c.state());
            for e in c.entries().iter().filter(|e| e.status.is_in_flight()) {
                tracking.in_flight.insert((c.id(), e.index));
            }
        }
        let endpoints = store.endpoints()?.into_iter().map(Arc::new).collect();
        Ok(Outbound {
            tracking: Mutex::new(tracking),
            endpoints: RwLock::new(endpoints),
            ..Default::default()
        })
    }

    pub fn set_allow_private(&self, allow: bool) {
        self.allow_private.store(allow, Ordering::Relaxed);
    }

    pub fn allow_private(&self) -> bool {
        self.allow_private.load(Ordering::Relaxed)
    }

    /// Every endpoint's counts, by id.
    pub fn stats(&self) -> Vec<(u64, EndpointStats)> {
        let mut all: Vec<_> = lock(&self.stats).iter().map(|(k, v)| (*k, *v)).collect();
        all.sort_by_key(|(k, _)| *k);
        all
    }

    /// The first endpoint that is failing, in a line for a screen: one
    /// disabled, one whose deliveries were given up since the server
    /// started, or one owed an event for more than [`FAILING_AFTER`].
    pub fn failing(&self, now: Timestamp) -> Option<String> {
        let stats = lock(&self.stats);
        self.endpoints().iter().find_map(|e| {
            let s = stats.get(&e.id).copied().unwrap_or_default();
            let age = s.oldest_pending.map_or(0, |t| now.since(t));
            if let Some(why) = &e.disabled {
                Some(format!("webhook endpoint {} disabled: {why}", e.id))
            } else if s.failed > 0 {
                Some(format!(
                    "webhook endpoint {}: {} events not delivered (numdialer webhooks deliveries {} --failed)",
                    e.id, s.failed, e.id
                ))
            } else if age > FAILING_AFTER.as_millis() as u64 {
                Some(format!(
                    "webhook endpoint {}: {} events owed, the oldest for {} s",
                    e.id,
                    s.pending,
                    age / 1000
                ))
            } else {
                None
            }
        })
    }

    /// Every endpoint's figures for `/metrics`, idle ones at zero.
    pub fn figures(&self, now: Timestamp) -> Vec<crate::metrics::EndpointFigures> {
        let stats = lock(&self.stats);
        self.endpoints()
            .iter()
            .map(|e| {
                let s = stats.get(&e.id).copied().unwrap_or_default();
                crate::metrics::EndpointFigures {
                    id: e.id,
                    delivered: s.delivered,
                    failed: s.failed,
                    pending: s.pending,
                    oldest_pending: std::time::Duration::from_millis(
                        s.oldest_pending.map_or(0, |t| now.since(t)),
                    ),
                }
            })
            .collect()
    }

    pub(crate) fn count(&self, endpoint: u64, f: impl FnOnce(&mut EndpointStats)) {
        f(lock(&self.stats).entry(endpoint).or_default());
    }

    pub fn endpoints(&self) -> Vec<Arc<EndpointRecord>> {
        self.endpoints
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn endpoint(&self, id: u64) -> Option<Arc<EndpointRecord>> {
        self.endpoints().into_iter().find(|e| e.id == id)
    }

    /// Puts `e` in place of the endpoint with its id, or adds it.
    pub(crate) fn set_endpoint(&self, e: EndpointRecord) {
        let mut all = self.endpoints.write().unwrap_or_else(|p| p.into_inner());
        all.retain(|x| x.id != e.id);
        all.push(Arc::new(e));
        all.sort_by_key(|e| e.id);
    }

    pub(crate) fn drop_endpoint(&self, id: u64) {
        let mut all = self.endpoints.write().unwrap_or_else(|p| p.into_inner());
        all.retain(|x| x.id != id);
    }

    /// The events that writing `indices` of campaign `c` reports, as
    /// deliveries to every enabled endpoint that subscribes. Nothing is
    /// remembered until [`Outbound::stored`]: a write that fails is
    /// written again by the heal, which then reports the same change.
    pub fn collect(
        &self,
        store: &Store,
        c: &Campaign,
        indices: &[usize],
        now: Timestamp,
    ) -> Result<Collected, StoreError> {
        let tracking = lock(&self.tracking);
        let id = c.id();
        let mut events = Vec::new();
        let mut out = Collected::default();
        let before = tracking
            .states
            .get(&id)
            .copied()
            .unwrap_or(CampaignState::Draft);
        if let Some(kind) = EventType::of_transition(before, c.state()) {
            let data = CampaignChanged {
                campaign: id,
                name: c.meta().name.clone(),
                state: c.state(),
                previous: before,
            };
            events.push((kind, serde_json::to_value(data).expect("serialises")));
        }
        if before != c.state() {
            out.campaign = Some((id, c.state()));
        }
        let endpoints = self.endpoints();
        let completions_wanted = endpoints
            .iter()
            .any(|e| e.disabled.is_none() && e.events.contains(&EventType::CallCompleted));
        for &i in indices {
            let Some(e) = c.entry(i) else { continue };
            let was = tracking.in_flight.contains(&(id, i));
            let is = e.status.is_in_flight();
            if was != is {
                out.entries.push(((id, i), is));
            }
            if was
                && !is
                && completions_wanted
                && let Some(mut done) = CallCompleted::of(id, e, &c.meta().columns)
            {
                // Kept apart from the entry by a store with a directory. A
                // file that cannot be read costs the event its name and
                // columns, not the campaign its dialing.
                match store.texts_of(id, i, i + 1) {
                    Ok(Some(stored)) => {
                        let text = stored.into_iter().next().unwrap_or_default();
                        done.name = text.name;
                        done.fields = named(&c.meta().columns, &text.fields);
                    }
                    Ok(None) => {}
                    Err(e) => tracing::warn!(
                        campaign = id,
                        index = i,
                        "call.completed is sent without the entry's name and extra columns: {e}"
                    ),
                }
                let data = serde_json::to_value(done).expect("serialises");
                events.push((EventType::CallCompleted, data));
            }
        }
        // A campaign's done follows the call that finished it.
        events.sort_by_key(|(kind, _)| *kind == EventType::CampaignDone);
        let mut sequence = tracking.sequences.get(&id).copied().unwrap_or(0);
        for (kind, data) in events {
            let to: Vec<&Arc<EndpointRecord>> = endpoints
                .iter()
                .filter(|e| e.disabled.is_none() && e.events.contains(&kind))
                .collect();
            if to.is_empty() {
                continue;
            }
            sequence += 1;
            let event = OutEvent {
                kind,
                timestamp: now,
                sequence: Some(sequence),
                data,
            };
            out.deliveries.extend(deliveries(store, &to, &event, now)?);
        }
        if !out.deliveries.is_empty() {
            out.sequences.push((id, sequence));
        }
        Ok(out)
    }

    /// An event of no campaign (a suppression added or removed), as
    /// deliveries to every enabled endpoint that subscribes; no sequence
    /// number.
    pub fn collect_other(
        &self,
        store: &Store,
        kind: EventType,
        data: serde_json::Value,
        now: Timestamp,
    ) -> Result<Collected, StoreError> {
        let endpoints = self.endpoints();
        let to: Vec<&Arc<EndpointRecord>> = endpoints
            .iter()
            .filter(|e| e.disabled.is_none() && e.events.contains(&kind))
            .collect();
        let mut out = Collected::default();
        if !to.is_empty() {
            let event = OutEvent {
                kind,
                timestamp: now,
                sequence: None,
                data,
            };
            out.deliveries = deliveries(store, &to, &event, now)?;
        }
        Ok(out)
    }

    /// Remembers what a stored write reported, and hands its deliveries
    /// to the delivery task once `ticket` is durable.
    pub fn stored(&self, collected: Collected, ticket: u64) {
        {
            let mut tracking = lock(&self.tracking);
            if let Some((id, state)) = collected.campaign {
                tracking.states.insert(id, state);
            }
            for (key, is) in collected.entries {
                if is {
                    tracking.in_flight.insert(key);
                } else {
                    tracking.in_flight.remove(&key);
                }
            }
            for &(id, n) in &collected.sequences {
                tracking.sequences.insert(id, n);
            }
        }
        self.enqueue(collected.deliveries, ticket);
    }

    /// Forgets a deleted campaign.
    pub fn forget(&self, id: u64) {
        let mut tracking = lock(&self.tracking);
        tracking.states.remove(&id);
        tracking.in_flight.retain(|(c, _)| *c != id);
    }

    /// Hands deliveries to the delivery task, to be sent once `ticket` is
    /// durable.
    pub(crate) fn enqueue(&self, deliveries: Vec<DeliveryRecord>, ticket: u64) {
        if deliveries.is_empty() {
            return;
        }
        lock(&self.queue).extend(deliveries.into_iter().map(|d| (d, ticket)));
        self.wake.notify_one();
    }

    pub(crate) fn take_queued(&self) -> Vec<(DeliveryRecord, u64)> {
        std::mem::take(&mut *lock(&self.queue))
    }
}

/// One delivery of `event` per endpoint in `to`, under one message id.
fn deliveries(
    store: &Store,
    to: &[&Arc<EndpointRecord>],
    event: &OutEvent,
    now: Timestamp,
) -> Result<Vec<DeliveryRecord>, StoreError> {
    let msg_id = format!("msg_{}", store.fresh_id()?);
    let body = event.body();
    to.iter()
        .map(|e| {
            Ok(DeliveryRecord {
                id: store.fresh_id()?,
                endpoint: e.id,
                msg_id: msg_id.clone(),
                kind: event.kind,
                body: body.clone(),
                created_at: now,
                state: DeliveryState::Pending,
                tries: 0,
                next_at: Some(now),
                last_error: None,
            })
        })
        .collect()
}

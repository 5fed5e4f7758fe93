//! Outbound events on disk: the registered endpoints, and the outbox of
//! deliveries still owed to them.
//!
//! An event's deliveries are written before the change they report, under
//! the engine's lock and in the write whose flush acknowledges that change:
//! sled recovers its log as a prefix, so a change that survives a crash
//! has its deliveries too (the same order the entries' events rely on).
//! A delivery that succeeds is removed; one that spends its tries stays,
//! marked failed, to be listed and replayed.
//!
//! Old data directories have neither tree: opening creates them
//! empty, and nothing else in the directory changes.

use super::records::{decode, key_index};
use super::{Store, StoreError};
use numdialer_core::Timestamp;
use numdialer_core::webhooks::EventType;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};

/// An endpoint as stored. Its secrets are kept in the clear: every
/// delivery is signed with them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointRecord {
    pub id: u64,
    pub url: String,
    pub events: BTreeSet<EventType>,
    #[serde(default)]
    pub description: String,
    /// `whsec_…`.
    pub secret: String,
    /// The secret before the last rotation, still signed with until
    /// `previous_until`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_until: Option<Timestamp>,
    pub created_at: Timestamp,
    /// Why deliveries stopped (the consumer answered 410 Gone); a disabled
    /// endpoint gets no new events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<String>,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Pending,
    /// Its tries are spent (or its endpoint went away): kept until replayed.
    Failed,
}

/// One event owed to one endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryRecord {
    pub id: u64,
    pub endpoint: u64,
    /// `webhook-id`: the same on every try and every replay.
    pub msg_id: String,
    #[serde(rename = "type")]
    pub kind: EventType,
    /// The body, byte for byte what is signed and sent.
    pub body: String,
    pub created_at: Timestamp,
    pub state: DeliveryState,
    /// Tries made so far.
    #[serde(default)]
    pub tries: u32,
    /// When the next try is due (wall clock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_at: Option<Timestamp>,
    /// What the last try got: an HTTP status or a transport error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// The two trees.
pub(super) struct Trees {
    /// Key: endpoint id; value: [`EndpointRecord`].
    endpoints: sled::Tree,
    /// Key: endpoint id then delivery id; value: [`DeliveryRecord`].
    /// Under [`SEQUENCES`] instead of an endpoint id: a campaign's id,
    /// and the sequence number of its last event, so that one batch
    /// writes both.
    outbox: sled::Tree,
}

/// The key prefix of the sequence numbers in `webhook_outbox`: no
/// endpoint has id 0 ([`Store::fresh_id`] starts at 1).
const SEQUENCES: [u8; 8] = [0; 8];

impl Trees {
    pub(super) fn open(db: &sled::Db) -> Result<Trees, StoreError> {
        Ok(Trees {
            endpoints: db.open_tree("webhook_endpoints")?,
            outbox: db.open_tree("webhook_outbox")?,
        })
    }
}

fn delivery_key(endpoint: u64, id: u64) -> [u8; 16] {
    let mut k = [0; 16];
    k[..8].copy_from_slice(&endpoint.to_be_bytes());
    k[8..].copy_from_slice(&id.to_be_bytes());
    k
}

impl Store {
    /// A fresh id for an endpoint, a delivery or a message: sled's own
    /// counter, which never hands out one twice, across restarts too.
    pub fn fresh_id(&self) -> Result<u64, StoreError> {
        Ok(self.db.generate_id()? + 1)
    }

    pub fn endpoints(&self) -> Result<Vec<EndpointRecord>, StoreError> {
        self.outbox
            .endpoints
            .iter()
            .map(|kv| {
                let (k, v) = kv?;
                decode(&v, || {
                    format!("webhook_endpoints/{}", super::records::hex(&k))
                })
            })
            .collect()
    }

    pub fn put_endpoint(&self, e: &EndpointRecord) -> Result<u64, StoreError> {
        let v = serde_json::to_vec(e).expect("endpoints always serialise");
        self.outbox.endpoints.insert(e.id.to_be_bytes(), v)?;
        Ok(self.flusher.written())
    }

    /// Removes an endpoint and every delivery still owed to it.
    pub fn remove_endpoint(&self, id: u64) -> Result<u64, StoreError> {
        let mut batch = sled::Batch::default();
        for k in self.outbox.outbox.scan_prefix(id.to_be_bytes()).keys() {
            batch.remove(k?);
        }
        self.outbox.outbox.apply_batch(batch)?;
        self.outbox.endpoints.remove(id.to_be_bytes())?;
        Ok(self.flusher.written())
    }

    /// The last sequence number of every campaign that had an event.
    pub fn sequences(&self) -> Result<HashMap<u64, u64>, StoreError> {
        let mut out = HashMap::new();
        for kv in self.outbox.outbox.scan_prefix(SEQUENCES) {
            let (k, v) = kv?;
            if let (Some(c), Some(n)) = (key_index(&k[8..]), key_index(&v)) {
                out.insert(c, n);
            }
        }
        Ok(out)
    }

    /// The ticket that makes every write so far durable.
    pub fn sync_ticket(&self) -> u64 {
        self.flusher.written()
    }

    /// Writes the sequence numbers new deliveries used, then the
    /// deliveries, so that no crash can hand a number out twice. Called before
    /// the change they report is written (see the module's note).
    pub fn put_outbox(
        &self,
        deliveries: &[DeliveryRecord],
        sequences: &[(u64, u64)],
    ) -> Result<(), StoreError> {
        if deliveries.is_empty() {
            return Ok(());
        }
        // Plain inserts, in this order, rather than a batch (whose
        // atomicity costs a log record of its own on the dial's path): a
        // crash between them leaves a sequence number unused, or part of
        // an event's deliveries without the change, which then did not
        // survive either.
        for (c, n) in sequences {
            self.outbox
                .outbox
                .insert(delivery_key(0, *c), &n.to_be_bytes())?;
        }
        for d in deliveries {
            let v = serde_json::to_vec(d).expect("deliveries always serialise");
            self.outbox
                .outbox
                .insert(delivery_key(d.endpoint, d.id), v)?;
        }
        Ok(())
    }

    /// Rewrites a delivery after a try. Not flushed on its own: a crash
    /// that loses it sends the delivery again, which at least once allows.
    pub fn put_delivery(&self, d: &DeliveryRecord) -> Result<(), StoreError> {
        let v = serde_json::to_vec(d).expect("deliveries always serialise");
        self.outbox
            .outbox
            .insert(delivery_key(d.endpoint, d.id), v)?;
        Ok(())
    }

    /// Removes a delivery that arrived.
    pub fn remove_delivery(&self, endpoint: u64, id: u64) -> Result<(), StoreError> {
        self.outbox.outbox.remove(delivery_key(endpoint, id))?;
        Ok(())
    }

    pub fn delivery(&self, endpoint: u64, id: u64) -> Result<Option<DeliveryRecord>, StoreError> {
        self.outbox
            .outbox
            .get(delivery_key(endpoint, id))?
            .map(|v| decode(&v, || format!("webhook_outbox/{endpoint}/{id}")))
            .transpose()
    }

    /// The deliveries owed to `endpoint` (every endpoint's for `None`),
    /// oldest first within an endpoint.
    pub fn deliveries(&self, endpoint: Option<u64>) -> Result<Vec<DeliveryRecord>, StoreError> {
        let prefix = endpoint
            .map(|e| e.to_be_bytes().to_vec())
            .unwrap_or_default();
        self.outbox
            .outbox
            .scan_prefix(prefix)
            .filter(|kv| {
                kv.as_ref()
                    .map_or(true, |(k, _)| !k.starts_with(&SEQUENCES))
            })
            .map(|kv| {
                let (k, v) = kv?;
                decode(&v, || format!("webhook_outbox/{}", super::records::hex(&k)))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(endpoint: u64, id: u64) -> DeliveryRecord {
        DeliveryRecord {
            id,
            endpoint,
            msg_id: format!("msg_{id}"),
            kind: EventType::CallCompleted,
            body: "{}".into(),
            created_at: Timestamp(1),
            state: DeliveryState::Pending,
            tries: 0,
            next_at: Some(Timestamp(1)),
            last_error: None,
        }
    }

    #[test]
    fn sequences_and_deliveries_share_a_tree_and_stay_apart() {
        let store = Store::open_temporary().unwrap();
        let (a, b) = (delivery(5, 9), delivery(6, 10));
        store
            .put_outbox(&[a.clone(), b.clone()], &[(3, 7), (1, 2)])
            .unwrap();
        assert_eq!(store.sequences().unwrap(), HashMap::from([(3, 7), (1, 2)]));
        assert_eq!(store.deliveries(None).unwrap(), [a.clone(), b.clone()]);
        assert_eq!(store.deliveries(Some(5)).unwrap(), [a]);
        store.remove_endpoint(5).unwrap();
        assert_eq!(store.deliveries(None).unwrap(), [b]);
        assert_eq!(store.sequences().unwrap().len(), 2);
        assert!(store.fresh_id().unwrap() >= 1);
    }
}

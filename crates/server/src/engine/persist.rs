//! A change made durable and made known: written to the store under the
//! engine's lock, published to the long polls, and waited on until it is on
//! disk. Also the heal, which writes again what a failing store could not.

use super::degradation::Parked;
use super::{Engine, EngineError};
use crate::shutdown::Shutdown;
use crate::store::StoreError;
use crate::store::manifest::Marks;
use numdialer_core::{Campaign, Campaigns};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Every campaign's version and the directory's, for long polls: waiters
/// read this, never the engine's lock.
#[derive(Debug, Clone, Default)]
pub(super) struct Versions {
    all: u64,
    campaigns: HashMap<u64, u64>,
}

impl Versions {
    pub(super) fn of(all: &Campaigns) -> Self {
        Versions {
            all: all.version(),
            campaigns: all.iter().map(|c| (c.id(), c.version())).collect(),
        }
    }
}

impl Engine {
    /// Writes the given entries of campaign `id` and its record if that
    /// changed, and publishes the new versions. Returns the ticket that
    /// makes the change durable: the caller waits on it before anyone hears
    /// of the change.
    pub(super) fn persist(
        &self,
        all: &mut Campaigns,
        id: u64,
        indices: &[usize],
    ) -> Result<u64, EngineError> {
        let ticket = self.write(all, id, indices).map_err(|e| {
            // Kept, to be written when the store heals: the change stands
            // in memory, and the manifest must not count it before the
            // store holds it.
            let entries = indices.iter().map(|&i| (id, i)).collect();
            self.degradation.park(Parked::Unwritten(entries), e)
        })?;
        self.publish(all, &[id]);
        self.last_ticket.fetch_max(ticket, Ordering::SeqCst);
        Ok(ticket)
    }

    /// Writes entries of campaign `id`, then its record if one is due. The
    /// record is marked stored only once the store took it, so a write that
    /// fails leaves it due for the next write or the heal.
    fn write(&self, all: &mut Campaigns, id: u64, indices: &[usize]) -> Result<u64, StoreError> {
        let Some(c) = all.get_mut(id) else {
            return self.store.put_entries(id, []);
        };
        // The events it reports go first: a change that survives a crash
        // has them too (see `store::outbox`).
        let events = self
            .outbound
            .collect(&self.store, c, indices, crate::clock::wall())?;
        if !events.deliveries().is_empty() {
            self.store
                .put_outbox(events.deliveries(), events.sequences())?;
        }
        let mut ticket = self
            .store
            .put_entries(id, indices.iter().filter_map(|&i| c.entry(i)))?;
        if let Some(meta) = c.meta_due() {
            if meta.state.is_final() {
                tracing::info!(campaign = id, state = %meta.state, "campaign {}", meta.state);
            }
            ticket = self.store.put_campaign(&meta)?;
            c.meta_stored();
        }
        self.outbound.stored(events, ticket);
        Ok(ticket)
    }

    /// Writes again what failed to be written while the store failed:
    /// those entries as they are now, and every campaign record due.
    fn rewrite_unwritten(&self) -> Result<(), EngineError> {
        let mut all = self.lock();
        let pending = self.degradation.take_unwritten();
        let ids: Vec<u64> = all.iter().map(Campaign::id).collect();
        let mut ticket = 0;
        for id in ids {
            let indices: Vec<usize> = pending
                .iter()
                .filter(|(c, _)| *c == id)
                .map(|&(_, i)| i)
                .collect();
            match self.write(&mut all, id, &indices) {
                Ok(t) => ticket = ticket.max(t),
                Err(e) => return Err(self.degradation.park(Parked::Unwritten(pending), e)),
            }
        }
        self.last_ticket.fetch_max(ticket, Ordering::SeqCst);
        Ok(())
    }

    /// Writes and flushes everything the failure left; when that works,
    /// leaves the degraded state and wakes the tasks. Everything that was
    /// written before the failure becomes durable with it.
    pub async fn try_heal(&self) -> bool {
        if self.rewrite_unwritten().is_err() || self.store.sync().await.is_err() {
            return false;
        }
        if !self.degradation.heal() {
            return false;
        }
        self.wake_driver.notify_one();
        self.wake_timer.notify_one();
        true
    }

    /// Waits until the store fails, for the healer.
    pub async fn store_failed(&self) {
        self.degradation.failed().await;
    }

    pub(super) fn publish(&self, all: &Campaigns, ids: &[u64]) {
        let total = all.version();
        self.versions.send_modify(|v| {
            v.all = total;
            for &id in ids {
                match all.get(id) {
                    Some(c) => v.campaigns.insert(id, c.version()),
                    None => v.campaigns.remove(&id),
                };
            }
        });
    }

    /// Waits until the write with `ticket` is durable.
    pub(super) async fn durable(&self, ticket: u64) -> Result<(), EngineError> {
        let result = self.store.durable(ticket).await;
        result.map_err(|e| self.degradation.fail(e))
    }

    /// How far the campaigns have come, and the store ticket that makes it
    /// durable, for the data directory's manifest.
    pub fn marks(&self) -> (Marks, u64) {
        let c = self.lock();
        let marks = Marks {
            version: c.version(),
            dialed: c.dialed(),
        };
        (marks, self.last_ticket.load(Ordering::SeqCst))
    }

    /// Campaign `id`'s version (`None`: all campaigns').
    pub fn version_of(&self, id: Option<u64>) -> Option<u64> {
        let v = self.versions.borrow();
        match id {
            None => Some(v.all),
            Some(id) => v.campaigns.get(&id).copied(),
        }
    }

    /// Waits until the version of campaign `id` (of all, for `None`)
    /// passes `known`, for at most `limit` or until the server stops.
    pub async fn wait_past(&self, id: Option<u64>, known: u64, limit: Duration, stop: &Shutdown) {
        let mut rx = self.versions.subscribe();
        let passed = move |v: &Versions| match id {
            None => v.all > known,
            // A deleted campaign changes no more: nothing to wait for.
            Some(id) => v.campaigns.get(&id).is_none_or(|&c| c > known),
        };
        tokio::select! {
            _ = rx.wait_for(passed) => {}
            _ = tokio::time::sleep(limit) => {}
            _ = stop.wait() => {}
        }
    }
}

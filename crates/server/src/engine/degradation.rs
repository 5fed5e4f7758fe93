//! The failing store, and the work it left for the healer.
//!
//! While flushes fail, the engine acknowledges nothing and dials nobody.
//! What a failure interrupted is parked here: entries whose change could
//! not even be written, and a dial whose `dialing` record never became
//! durable, so was never sent. The failure and what it parked share one
//! lock, so that the heal cannot see one without the other.

use super::EngineError;
use crate::store::StoreError;
use numdialer_core::DialOrder;
use std::sync::Mutex;
use std::time::Instant;
use tokio::sync::Notify;

/// The store failed: since when, and why.
#[derive(Debug, Clone)]
pub struct Degraded {
    pub reason: String,
    pub since: Instant,
}

/// Work a store failure interrupted, for the heal.
#[derive(Debug)]
pub(super) enum Parked {
    /// Entries (campaign id, index) whose change could not be written (not
    /// only not flushed): written again, as they are then, by the heal.
    Unwritten(Vec<(u64, usize)>),
    /// A dial whose `dialing` record was written but could not be made
    /// durable, so it was never sent: it goes out first once the store
    /// works again.
    Unsent(DialOrder),
}

#[derive(Debug, Default)]
struct State {
    failure: Option<Degraded>,
    unwritten: Vec<(u64, usize)>,
    unsent: Option<DialOrder>,
}

impl State {
    fn fail(&mut self, e: StoreError, wake_healer: &Notify) -> EngineError {
        let reason = e.to_string();
        if self.failure.is_none() {
            tracing::error!(
                "{reason}: no change is acknowledged and nothing is dialed until the store works again"
            );
            self.failure = Some(Degraded {
                reason: reason.clone(),
                since: Instant::now(),
            });
            wake_healer.notify_one();
        }
        EngineError::Degraded(reason)
    }
}

#[derive(Debug, Default)]
pub(super) struct Degradation {
    state: Mutex<State>,
    /// Wakes the healer: the store just failed.
    wake_healer: Notify,
}

impl Degradation {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        crate::sync::lock(&self.state)
    }

    /// The store's failure, while it lasts.
    pub(super) fn current(&self) -> Option<Degraded> {
        self.lock().failure.clone()
    }

    /// Refuses a change while the store fails.
    pub(super) fn check(&self) -> Result<(), EngineError> {
        match self.current() {
            Some(d) => Err(EngineError::Degraded(d.reason)),
            None => Ok(()),
        }
    }

    /// Enters the failing state (once) and says why.
    pub(super) fn fail(&self, e: StoreError) -> EngineError {
        self.lock().fail(e, &self.wake_healer)
    }

    /// Keeps `work` for the heal and enters the failing state, in one step.
    pub(super) fn park(&self, work: Parked, e: StoreError) -> EngineError {
        let mut state = self.lock();
        match work {
            Parked::Unwritten(entries) => state.unwritten.extend(entries),
            Parked::Unsent(order) => state.unsent = Some(order),
        }
        state.fail(e, &self.wake_healer)
    }

    /// The entries parked unwritten, for the heal to write again; if that
    /// fails, it parks them again.
    pub(super) fn take_unwritten(&self) -> Vec<(u64, usize)> {
        std::mem::take(&mut self.lock().unwritten)
    }

    /// The dial parked unsent, if any, for the driver's next turn.
    pub(super) fn take_unsent(&self) -> Option<DialOrder> {
        self.lock().unsent.take()
    }

    /// Leaves the failing state once everything parked unwritten has been
    /// written and flushed. Returns false when a write failed again and
    /// parked more since the heal began: the healer tries once more.
    pub(super) fn heal(&self) -> bool {
        let mut state = self.lock();
        if !state.unwritten.is_empty() {
            return false;
        }
        if let Some(d) = state.failure.take() {
            tracing::info!(
                after_s = d.since.elapsed().as_secs_f64(),
                "the store works again: dialing resumes"
            );
        }
        true
    }

    /// Waits until the store fails (at once if it failed since the last
    /// wait).
    pub(super) async fn failed(&self) {
        self.wake_healer.notified().await;
    }
}

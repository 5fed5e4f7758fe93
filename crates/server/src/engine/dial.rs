//! Dialing: the next entry taken and durably marked `dialing` before its
//! dial leaves, the dial's answer recorded, and calls whose final webhook
//! never came failed on time.
//!
//! The order is what keeps an entry from being dialed twice: the `dialing`
//! record under a fresh token is written, then flushed, and only then is the
//! order handed to the driver to send. A dial whose record could not be made
//! durable is never sent until the heal has made it so.

use super::degradation::Parked;
use super::{Engine, EngineError};
use crate::clock;
use numdialer_core::answer::AnsweredBy;
use numdialer_core::campaign::EventKind;
use numdialer_core::suppressions::registry_hold;
use numdialer_core::{Campaigns, DialAnswer, DialOrder, Mono, Outcome, Status};

impl Engine {
    /// Takes the next entry to dial, if a line is free, durably marked as
    /// `dialing` under a fresh token before anything is sent.
    pub async fn begin_dial(&self) -> Result<Option<DialOrder>, EngineError> {
        self.degradation.check()?;
        if let Some(order) = self.degradation.take_unsent() {
            // The heal made its record durable. Still its entry's dial?
            let mut all = self.lock();
            let current = all
                .get(order.campaign)
                .and_then(|c| c.entry(order.index))
                .is_some_and(|e| {
                    e.status == Status::Dialing
                        && e.details().token.as_deref() == Some(order.token.as_str())
                });
            if current {
                return Ok(Some(order));
            }
            // Settled meanwhile (timed out): it is answered as never sent,
            // which frees the one dial that may be out.
            all.finish_dial(order.campaign, order.index, never_sent(), clock::now());
            self.persist(&mut all, order.campaign, &[order.index])?;
        }
        let (order, ticket) = {
            let mut all = self.lock();
            let now = clock::now();
            self.hold_for_registry(&mut all, now.wall);
            let order = all.begin_dial(&new_token(), now);
            // What the rules deferred or skipped on the way is written in
            // the same step as the dial, before it: one flush makes both
            // durable, and a crash never leaves a dial whose passed-over
            // entries are still fresh on disk.
            let ruled = match self.persist_ruled(&mut all) {
                Ok(ticket) => ticket,
                Err(e) => {
                    if let Some(order) = &order {
                        all.finish_dial(order.campaign, order.index, never_sent(), now);
                    }
                    return Err(e);
                }
            };
            if order.is_none() && all.take_cut() {
                // More candidates to ask once these are stored.
                self.wake_driver.notify_one();
            }
            match order {
                None => (None, ruled),
                Some(order) => match self.persist(&mut all, order.campaign, &[order.index]) {
                    Ok(ticket) => (Some(order), Some(ticket)),
                    Err(e) => {
                        // Not even written: answered as never sent, which
                        // frees the one dial that may be out. The heal
                        // writes it.
                        all.finish_dial(order.campaign, order.index, never_sent(), clock::now());
                        return Err(e);
                    }
                },
            }
        };
        // A new dial is a new deadline, a deferred entry a new wake-up.
        if order.is_some() || ticket.is_some() {
            self.wake_timer.notify_one();
        }
        let Some(order) = order else {
            if let Some(t) = ticket {
                self.durable(t).await?;
            }
            return Ok(None);
        };
        if let Err(e) = self.store.durable(ticket.unwrap_or_default()).await {
            return Err(self.degradation.park(Parked::Unsent(order), e));
        }
        Ok(Some(order))
    }

    /// Holds back the campaigns with `require_registry` while the newest
    /// registry copy is older than the safe harbour allows (judged by the
    /// server's date), and lets them go once it is not; says so in the log
    /// when that changes.
    fn hold_for_registry(&self, all: &mut Campaigns, now: numdialer_core::Timestamp) {
        let newest = crate::sync::lock(&self.registry_date).clone();
        let hold = registry_hold(newest.as_deref(), now);
        for (id, held) in all.hold_for_registry(hold.as_deref()) {
            match held {
                Some(why) => tracing::warn!(campaign = id, "campaign not dialing: {why}"),
                None => tracing::info!(
                    campaign = id,
                    registry_date = newest.as_deref().unwrap_or_default(),
                    "campaign dialing again: the do-not-call registry copy is current"
                ),
            }
        }
    }

    /// Writes the entries that the dial-time rules deferred or skipped
    /// since last asked, and counts them; the ticket of the last write, if
    /// any.
    fn persist_ruled(&self, all: &mut Campaigns) -> Result<Option<u64>, EngineError> {
        for (rule, n) in all.take_deferrals() {
            self.metrics.deferred(rule, n);
        }
        let mut ticket = None;
        for (id, indices) in all.take_ruled() {
            let mut suppressed = 0;
            for &i in &indices {
                if let Some(e) = all.get(id).and_then(|c| c.entry(i)) {
                    suppressed += u64::from(e.outcome == Some(Outcome::Suppressed));
                    tracing::info!(
                        campaign = id,
                        index = i,
                        status = %e.status,
                        reason = e.details().reason.as_deref().unwrap_or_default(),
                        "held back by a dial-time rule"
                    );
                }
            }
            self.metrics.suppressed_at_dial(suppressed);
            ticket = Some(self.persist(all, id, &indices)?);
        }
        Ok(ticket)
    }

    /// Records how a dial ended. Not flushed here: nobody is answered on
    /// it, the next dial's flush covers it, and losing it in a crash (or to
    /// a failing store) only leaves the entry `dialing` for its webhooks or
    /// timeout to settle. So a write that fails here degrades the store but
    /// is not the driver's to retry.
    pub fn finish_dial(&self, order: &DialOrder, answer: DialAnswer) {
        let mut all = self.lock();
        let waiting = |all: &Campaigns| {
            all.get(order.campaign)
                .and_then(|c| c.entry(order.index))
                .is_some_and(|e| e.status == Status::Waiting)
        };
        let was_waiting = waiting(&all);
        all.finish_dial(order.campaign, order.index, answer, clock::now());
        if !was_waiting && waiting(&all) {
            self.metrics.retries_scheduled(1);
        }
        let _ = self.persist(&mut all, order.campaign, &[order.index]);
        drop(all);
        self.wake_timer.notify_one();
    }

    /// Fails the entries whose call timeout has passed; returns when, on
    /// [`clock::mono`]'s clock, the next call times out or retry is due.
    /// Wakes the driver when a retry is due now.
    pub async fn expire_due(&self) -> Result<Option<Mono>, EngineError> {
        self.degradation.check()?;
        let now = clock::now();
        let (expired, ticket, next, due) = {
            let mut all = self.lock();
            let expired = all.expire(now);
            let mut ticket = None;
            for (id, indices) in &expired {
                let waiting = all.get(*id).map_or(0, |c| {
                    indices
                        .iter()
                        .filter(|&&i| c.entry(i).is_some_and(|e| e.status == Status::Waiting))
                        .count()
                });
                self.metrics.retries_scheduled(waiting);
                ticket = Some(self.persist(&mut all, *id, indices)?);
            }
            let next = all.next_wakeup(now.mono);
            (expired, ticket, next, all.can_dial(now.mono))
        };
        if due {
            self.wake_driver.notify_one();
        }
        if let Some(t) = ticket {
            let mut n = 0;
            for (id, indices) in &expired {
                for (i, graced) in indices.iter().zip(graced(self, *id, indices)) {
                    if graced {
                        // It completed; only its detection result is late.
                        tracing::info!(
                            campaign = id,
                            index = i,
                            "no answering-machine result in time; answered_by unknown"
                        );
                        self.metrics.answer(AnsweredBy::Unknown, None);
                        continue;
                    }
                    tracing::warn!(
                        campaign = id,
                        index = i,
                        "no final webhook in time; attempt failed"
                    );
                    n += 1;
                }
            }
            self.metrics.timed_out(n);
            self.wake_driver.notify_one();
            self.durable(t).await?;
        }
        Ok(next)
    }
}

/// For each of `indices`, whether its call completed and only its
/// detection's grace ran out (rather than the call timing out).
fn graced(engine: &Engine, id: u64, indices: &[usize]) -> Vec<bool> {
    let all = engine.lock();
    indices
        .iter()
        .map(|&i| {
            all.get(id)
                .and_then(|c| c.entry(i))
                .and_then(|e| e.details().history.last())
                .is_some_and(|ev| matches!(ev.kind, EventKind::DetectionTimedOut { .. }))
        })
        .collect()
}

/// The answer for a dial that never left because its record could not be
/// made durable: it frees the one dial that may be out.
fn never_sent() -> DialAnswer {
    let reason = "never sent: the store failed before the dial could leave".into();
    DialAnswer::Unreachable { reason }
}

/// 128 random bits: the webhook URL is the only credential a webhook carries.
fn new_token() -> String {
    format!("{:032x}", rand::random::<u128>())
}

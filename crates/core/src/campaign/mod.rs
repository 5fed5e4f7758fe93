//! The campaign state machine: which entry to dial next, and what each dial
//! answer, webhook and timeout does to the list.
//!
//! Every rule of the dial-down lives here so that it can be tested without a
//! network or a disk. Callers pass in the current time and fresh webhook
//! tokens; they persist the entries this module reports as changed.
//!
//! Call deadlines are kept on the monotonic clock ([`Mono`]), so that a step
//! of the wall clock neither fails calls early nor holds their lines. They
//! are not stored: [`Campaign::restore`] rebuilds them from each entry's
//! wall-clock `dialed_at`, the only time that means anything to the next
//! process.

mod entry;
mod lifecycle;
mod retry;

pub use entry::Entry;
pub use lifecycle::{CampaignState, NotAllowed, Operation};
pub use retry::{
    MAX_ATTEMPTS, MAX_RETRY_DELAY_S, RetryError, RetryInput, RetryOnInput, RetryPolicy,
};

use crate::api::{EventKind, StatusesResponse};
use crate::call::{CallEvent, CallId, CallReport};
use crate::phone::Phone;
use crate::status::Status;
use crate::time::{Mono, Now, Timestamp};
use std::collections::{BTreeMap, HashMap};

/// Events kept per entry. Only the dialer API knows an entry's token, but a
/// misbehaving one could still send endless duplicates; past the cap they are
/// counted, not kept.
pub const MAX_HISTORY: usize = 32;

/// The next POST /call to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialOrder {
    pub index: usize,
    pub phone: Phone,
    pub token: String,
}

/// How a POST /call ended, as the server's dialer client saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialAnswer {
    Placed {
        id: CallId,
    },
    /// An `{"error"}` answer or an HTTP error status: no call was placed.
    Refused {
        reason: String,
    },
    /// Never reached the API (connection refused, after retries).
    Unreachable {
        reason: String,
    },
    /// Sent, but no usable answer: the call may exist, so it is not re-sent.
    Unanswered {
        reason: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("dialing has already started; the list is dialed once per data directory")]
pub struct AlreadyStarted;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("unknown webhook token")]
    UnknownToken,
    #[error("entry {index} belongs to call id {known}, not {got}")]
    IdMismatch {
        index: usize,
        known: CallId,
        got: CallId,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RestoreError {
    #[error("stored entry at position {position} has index {found}")]
    IndexGap { position: usize, found: usize },
}

/// What an accepted webhook did to its entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Applied,
    /// Repeated the current status.
    Duplicate,
    /// Would have moved the status backwards.
    Backwards,
    /// Arrived after the entry's final status.
    AfterFinal,
}

impl Effect {
    pub const ALL: [Effect; 4] = [
        Effect::Applied,
        Effect::Duplicate,
        Effect::Backwards,
        Effect::AfterFinal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Applied => "applied",
            Effect::Duplicate => "duplicate",
            Effect::Backwards => "backwards",
            Effect::AfterFinal => "after_final",
        }
    }
}

/// What an accepted webhook did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookOutcome {
    pub index: usize,
    pub effect: Effect,
    pub applied: bool,
    pub status: Status,
    /// The entry reached a final status, so its line is free.
    pub freed_slot: bool,
}

/// What the server's configuration decides about a campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Calls in flight at once.
    pub concurrency: usize,
    /// How long a dialed entry may wait for its final webhook before it fails.
    pub call_timeout_ms: u64,
}

#[derive(Debug, Clone)]
pub struct Campaign {
    entries: Vec<Entry>,
    concurrency: usize,
    call_timeout_ms: u64,
    started: bool,
    version: u64,
    /// The first entry never dialed; every later one is idle too.
    next: usize,
    /// The entry whose POST /call is out and unanswered.
    pending_dial: Option<usize>,
    /// Each entry holding a line, with the monotonic time its call times
    /// out.
    in_flight: BTreeMap<usize, Mono>,
    tokens: HashMap<String, usize>,
    /// Each changed entry under the version of its last change, so that
    /// "what changed since V" costs O(changes), not O(list).
    by_version: BTreeMap<u64, usize>,
}

impl Campaign {
    pub fn new(phones: Vec<Phone>, settings: Settings) -> Self {
        let entries = phones
            .into_iter()
            .enumerate()
            .map(|(i, p)| Entry::new(i, p))
            .collect();
        Campaign {
            entries,
            concurrency: settings.concurrency.max(1),
            call_timeout_ms: settings.call_timeout_ms,
            started: false,
            version: 0,
            next: 0,
            pending_dial: None,
            in_flight: BTreeMap::new(),
            tokens: HashMap::new(),
            by_version: BTreeMap::new(),
        }
    }

    /// Rebuilds a campaign from stored entries. A dial that was out when the
    /// server stopped is not re-sent: its entry stays `dialing` until its
    /// webhooks or its timeout settle it.
    ///
    /// Each call in flight keeps what is left of its timeout by the wall
    /// clock, counted from `now.mono`: `dialed_at + timeout - now.wall`,
    /// never below zero and never above the timeout.
    pub fn restore(
        entries: Vec<Entry>,
        started: bool,
        version: u64,
        settings: Settings,
        now: Now,
    ) -> Result<Self, RestoreError> {
        for (position, e) in entries.iter().enumerate() {
            if e.index != position {
                return Err(RestoreError::IndexGap {
                    position,
                    found: e.index,
                });
            }
        }
        let next = entries
            .iter()
            .rposition(|e| e.status != Status::Idle)
            .map_or(0, |i| i + 1);
        let timeout = settings.call_timeout_ms;
        let in_flight = entries
            .iter()
            .filter(|e| e.status.is_in_flight())
            .map(|e| {
                let left = remaining_after_restart(e.dialed_at, now.wall, timeout);
                (e.index, now.mono.plus_millis(left))
            })
            .collect();
        let tokens = entries
            .iter()
            .filter_map(|e| e.token.clone().map(|t| (t, e.index)))
            .collect();
        let version = entries.iter().map(|e| e.version).fold(version, u64::max);
        let by_version = entries
            .iter()
            .filter(|e| e.version > 0)
            .map(|e| (e.version, e.index))
            .collect();
        Ok(Campaign {
            entries,
            concurrency: settings.concurrency.max(1),
            call_timeout_ms: timeout,
            started: started || next > 0,
            version,
            next,
            pending_dial: None,
            in_flight,
            tokens,
            by_version,
        })
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn entry(&self, index: usize) -> Option<&Entry> {
        self.entries.get(index)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn started(&self) -> bool {
        self.started
    }

    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// Entries holding a line.
    pub fn active(&self) -> usize {
        self.in_flight.len()
    }

    pub fn pending_dial(&self) -> Option<usize> {
        self.pending_dial
    }

    /// Started, every entry final, and no dial answer still awaited.
    pub fn is_finished(&self) -> bool {
        self.started
            && self.next == self.entries.len()
            && self.in_flight.is_empty()
            && self.pending_dial.is_none()
    }

    pub fn start(&mut self) -> Result<(), AlreadyStarted> {
        if self.started {
            return Err(AlreadyStarted);
        }
        self.started = true;
        self.version += 1;
        Ok(())
    }

    /// A line is free, no dial is out, and an entry is left.
    pub fn can_dial(&self) -> bool {
        self.started
            && self.pending_dial.is_none()
            && self.next < self.entries.len()
            && self.in_flight.len() < self.concurrency
    }

    /// Marks the next entry `dialing` under `token` and returns what to send.
    /// The caller must persist the entry before sending it. The call's
    /// timeout starts now.
    pub fn begin_dial(&mut self, token: String, now: Now) -> Option<DialOrder> {
        if !self.can_dial() || self.tokens.contains_key(&token) {
            return None;
        }
        let index = self.next;
        self.next += 1;
        self.pending_dial = Some(index);
        self.tokens.insert(token.clone(), index);
        self.in_flight
            .insert(index, now.mono.plus_millis(self.call_timeout_ms));
        self.set_status(index, Status::Dialing, now.wall);
        let e = &mut self.entries[index];
        e.token = Some(token.clone());
        e.dialed_at = Some(now.wall);
        e.record(now.wall, EventKind::Dialed, true, None);
        let phone = e.phone.clone();
        self.touch(index);
        Some(DialOrder {
            index,
            phone,
            token,
        })
    }

    /// Applies how the POST /call for `index` ended. Returns true when the
    /// entry's line was freed.
    pub fn finish_dial(&mut self, index: usize, answer: DialAnswer, now: Timestamp) -> bool {
        if self.pending_dial == Some(index) {
            self.pending_dial = None;
        }
        let Some(e) = self.entries.get_mut(index) else {
            return false;
        };
        let mut fail = None;
        match answer {
            DialAnswer::Placed { id } => {
                let note = match &e.call_id {
                    Some(k) if *k == id => Some("id already known from a webhook".to_string()),
                    Some(k) => Some(format!("replaces id {k} from a webhook")),
                    None => None,
                };
                let applied = e.call_id.as_ref() != Some(&id);
                e.call_id = Some(id.clone());
                e.record(now, EventKind::Placed { id }, applied, note);
            }
            DialAnswer::Refused { reason } => {
                fail = Some(format!("dialer API refused the call: {reason}"));
                e.record(now, EventKind::Refused { reason }, false, None);
            }
            DialAnswer::Unreachable { reason } => {
                fail = Some(format!("dialer API unreachable: {reason}"));
                e.record(now, EventKind::Unreachable { reason }, false, None);
            }
            DialAnswer::Unanswered { reason } => {
                let note = "the call may exist: waiting for its webhooks or the call timeout";
                e.record(
                    now,
                    EventKind::Unanswered { reason },
                    false,
                    Some(note.into()),
                );
            }
        }
        let mut freed = false;
        if let Some(reason) = fail {
            let last = e.history.last_mut();
            if e.status == Status::Dialing {
                if let Some(ev) = last {
                    ev.applied = true;
                }
                e.reason = Some(reason);
                self.set_status(index, Status::Failed, now);
                freed = true;
            } else if let Some(ev) = last {
                ev.note = Some(format!("entry is already {}", e.status));
            }
        }
        self.touch(index);
        freed
    }

    /// Applies a provider's report on the call dialed under `token`.
    /// Refused reports change nothing; accepted ones are always recorded,
    /// applied or not.
    pub fn apply_report(
        &mut self,
        token: &str,
        report: CallReport,
        now: Timestamp,
    ) -> Result<WebhookOutcome, WebhookError> {
        let index = *self.tokens.get(token).ok_or(WebhookError::UnknownToken)?;
        let e = &mut self.entries[index];
        if let Some(known) = e.call_id.as_ref().filter(|&k| *k != report.id) {
            return Err(WebhookError::IdMismatch {
                index,
                known: known.clone(),
                got: report.id,
            });
        }
        let learned_id = e.call_id.is_none();
        e.call_id = Some(report.id.clone());
        let new = report.event.status();
        let cur = e.status;
        let (effect, ignored) = if cur.is_final() {
            (Effect::AfterFinal, Some(format!("entry is already {cur}")))
        } else if new.rank() == cur.rank() {
            (Effect::Duplicate, Some("duplicate".to_string()))
        } else if new.rank() < cur.rank() {
            (
                Effect::Backwards,
                Some(format!("would move {cur} back to {new}")),
            )
        } else {
            (Effect::Applied, None)
        };
        let applied = ignored.is_none();
        if applied && let CallEvent::Failed { reason } = &report.event {
            e.reason = Some(reason.clone());
        }
        let kind = EventKind::Webhook {
            id: report.id,
            reported: report.event,
        };
        let note = ignored.or_else(|| learned_id.then(|| "call id learned".to_string()));
        e.record(now, kind, applied, note);
        if applied {
            self.set_status(index, new, now);
        }
        self.touch(index);
        let status = self.entries[index].status;
        Ok(WebhookOutcome {
            index,
            effect,
            applied,
            status,
            freed_slot: applied && status.is_final(),
        })
    }

    /// Fails every in-flight entry whose deadline has come by `now.mono`
    /// and returns their indices. The wall clock only dates the record.
    pub fn expire(&mut self, now: Now) -> Vec<usize> {
        let timeout_ms = self.call_timeout_ms;
        let due: Vec<usize> = self
            .in_flight
            .iter()
            .filter(|&(_, &deadline)| deadline <= now.mono)
            .map(|(&i, _)| i)
            .collect();
        for &i in &due {
            let e = &mut self.entries[i];
            e.reason = Some(format!(
                "no final webhook within {}",
                format_seconds(timeout_ms)
            ));
            e.record(
                now.wall,
                EventKind::TimedOut {
                    after_ms: timeout_ms,
                },
                true,
                None,
            );
            self.set_status(i, Status::Failed, now.wall);
            self.touch(i);
        }
        due
    }

    /// When, on the monotonic clock, the earliest in-flight entry times out.
    pub fn next_deadline(&self) -> Option<Mono> {
        self.in_flight.values().min().copied()
    }

    pub fn snapshot(&self, now: Timestamp) -> StatusesResponse {
        StatusesResponse {
            calls: self.entries.iter().map(Entry::summary).collect(),
            ..self.summary(now)
        }
    }

    /// Like [`Campaign::snapshot`], but `calls` holds only the entries changed
    /// after version `since`, in list order. A `since` from the future (a
    /// client that knew another data directory) gets the full list.
    pub fn snapshot_since(&self, since: u64, now: Timestamp) -> StatusesResponse {
        if since > self.version {
            return self.snapshot(now);
        }
        let mut changed: Vec<usize> = self
            .by_version
            .range(since + 1..)
            .map(|(_, &i)| i)
            .collect();
        changed.sort_unstable();
        StatusesResponse {
            since: Some(since),
            calls: changed.iter().map(|&i| self.entries[i].summary()).collect(),
            ..self.summary(now)
        }
    }

    fn summary(&self, now: Timestamp) -> StatusesResponse {
        StatusesResponse {
            version: self.version,
            started: self.started,
            finished: self.is_finished(),
            concurrency: self.concurrency,
            active: self.active(),
            now,
            since: None,
            degraded: None,
            campaign: None,
            calls: Vec::new(),
        }
    }

    /// Sets an entry's status and frees its line if the status holds none.
    /// Lines are taken only in [`Campaign::begin_dial`], which knows the
    /// deadline: no other move makes an entry in flight.
    fn set_status(&mut self, index: usize, status: Status, now: Timestamp) {
        let e = &mut self.entries[index];
        e.status = status;
        e.updated_at = Some(now);
        if !status.is_in_flight() {
            self.in_flight.remove(&index);
        }
    }

    fn touch(&mut self, index: usize) {
        self.version += 1;
        let e = &mut self.entries[index];
        self.by_version.remove(&e.version);
        e.version = self.version;
        self.by_version.insert(self.version, index);
    }
}

/// How much of a `timeout_ms` is left at wall time `wall` for a call dialed
/// at `dialed_at`: all a restarted server can know, since a monotonic clock
/// does not outlive its process. Never more than the timeout, so that a wall
/// clock set back across the restart cannot hold a line longer; a call with
/// no dial time (not written by this crate) gets the whole timeout rather
/// than holding its line for ever.
fn remaining_after_restart(dialed_at: Option<Timestamp>, wall: Timestamp, timeout_ms: u64) -> u64 {
    dialed_at.map_or(timeout_ms, |t| timeout_ms.saturating_sub(wall.since(t)))
}

/// `60000` → `60 s`, `500` → `0.5 s`.
pub fn format_seconds(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        let s = format!("{:.3}", ms as f64 / 1000.0);
        format!("{} s", s.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests;

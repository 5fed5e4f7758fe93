//! One list entry: its number, where its call stands, and its history.

use super::MAX_HISTORY;
use super::events::{Event, EventKind};
use crate::call::CallId;
use crate::phone::Phone;
use crate::status::{Outcome, Status};
use crate::time::Timestamp;
use crate::zones::ZoneSetId;
use serde::{Deserialize, Serialize};

/// One position in the list, with its own call. Stored as is by the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub index: usize,
    pub phone: Phone,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<CallId>,
    /// The per-dial secret in this entry's webhook URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dialed_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The campaign version of this entry's last change.
    pub version: u64,
    /// The attempt under way or last made, from 1; 0 before the first dial.
    /// Data written before retries existed has none: see [`Entry::upgrade`].
    #[serde(default)]
    pub attempt: u32,
    /// An `answered` webhook came for the current attempt.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub answered: bool,
    /// The highest sequence number among the current attempt's reports
    /// (Twilio's `SequenceNumber`): a report numbered below it was sent
    /// before one already received, and its history event says so. Stored,
    /// so that a restart still tells a late callback from a new one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// When a `waiting` entry's next attempt is due, by the wall clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<Timestamp>,
    /// When the first attempt was dialed (`dialed_at` is the current one's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_dialed_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The import's extra columns, aligned with the campaign's `columns`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
    /// Kept apart by the store (one record per event), so that a webhook
    /// rewrites a small entry record plus one event, not the whole history.
    #[serde(skip)]
    pub history: Vec<Event>,
    #[serde(default)]
    pub events_dropped: u64,
    /// The time zones the import named for it (a `timezone` column);
    /// `None`: those of its number ([`Entry::zone_set`]). Stored as names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zones: Option<ZoneSetId>,
    /// `waiting` for a dial-time rule (its calling hours), not for a
    /// retry: `retry_at` is when its window opens.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub held: bool,
}

impl Entry {
    pub fn new(index: usize, phone: Phone) -> Self {
        Entry {
            index,
            phone,
            status: Status::Idle,
            call_id: None,
            token: None,
            dialed_at: None,
            updated_at: None,
            reason: None,
            version: 0,
            attempt: 0,
            answered: false,
            sequence: None,
            outcome: None,
            retry_at: None,
            first_dialed_at: None,
            name: None,
            fields: Vec::new(),
            history: Vec::new(),
            events_dropped: 0,
            zones: None,
            held: false,
        }
    }

    /// Kept out of a new campaign at its import: its number is on a
    /// do-not-call list, so it is final at once (`canceled`, outcome
    /// `suppressed`), with `reason` naming the list and when it was added.
    /// Only for an entry not yet in a campaign: [`super::Campaign::create`]
    /// counts it as it finds it.
    pub fn suppress_at_import(&mut self, reason: String, now: Timestamp) {
        self.status = Status::Canceled;
        self.outcome = Some(Outcome::Suppressed);
        self.updated_at = Some(now);
        self.reason = Some(reason.clone());
        self.record(now, EventKind::Canceled, true, Some(reason));
    }

    /// Idle and never dialed: its campaign's order has not reached it.
    pub fn is_fresh(&self) -> bool {
        self.status == Status::Idle && self.attempt == 0
    }

    /// The zones it is called in: the import's, else its number's by
    /// libphonenumber's map; `None` when unknown (a number of a whole
    /// country with several clocks). A walk of the number's first digits
    /// in a table of interned sets: nothing is resolved per entry twice.
    pub fn zone_set(&self) -> Option<ZoneSetId> {
        self.zones
            .or_else(|| crate::zones::zones_of_number(self.phone.digits()))
    }

    /// Fills in what an entry written before campaigns existed lacks, from
    /// what it does hold: a dialed entry made its first attempt, an
    /// `answered` webhook in its history means someone picked up, and a
    /// final one has the outcome its status and history imply. Running it
    /// twice changes nothing.
    pub fn upgrade(&mut self) {
        // Idle, canceled and waiting entries may never have been dialed
        // (a rule defers or forbids a fresh entry); waiting ones come from
        // a release that stores attempts anyway.
        let undialed = matches!(
            self.status,
            Status::Idle | Status::Canceled | Status::Waiting
        );
        if self.attempt == 0 && !undialed {
            self.attempt = 1;
        }
        if self.first_dialed_at.is_none() {
            self.first_dialed_at = self.dialed_at;
        }
        let heard_answer = self.history.iter().any(|ev| {
            ev.attempt == self.attempt
                && matches!(
                    &ev.kind,
                    EventKind::Webhook {
                        reported: crate::call::CallEvent::Answered,
                        ..
                    }
                )
        });
        self.answered |= heard_answer || self.status == Status::Answered;
        if self.outcome.is_none() {
            self.outcome = match self.status {
                Status::Completed if self.answered => Some(Outcome::Answered),
                Status::Completed => Some(Outcome::NoAnswer),
                Status::Failed => Some(Outcome::Failed),
                Status::Canceled => Some(Outcome::Canceled),
                _ => None,
            };
        }
    }

    pub(super) fn record(
        &mut self,
        at: Timestamp,
        kind: EventKind,
        applied: bool,
        note: Option<String>,
    ) {
        if self.history.len() < MAX_HISTORY {
            self.history.push(Event {
                at,
                kind,
                applied,
                note,
                attempt: self.attempt.max(1),
            });
        } else {
            self.events_dropped += 1;
        }
    }
}

impl Entry {
    /// Entry 3 of `13018040009` with every field set, dialed at
    /// 2026-11-23T20:01:02.123Z: the one entry whose stored bytes and whose
    /// `GET /calls/{index}` bytes the tests pin, so both pin the same one.
    #[cfg(test)]
    pub(crate) fn every_field_set() -> Entry {
        Entry {
            status: Status::Waiting,
            call_id: Some(CallId::Text("CA9".into())),
            token: Some("2-abc".into()),
            dialed_at: Some(Timestamp(1_795_464_062_123)),
            updated_at: Some(Timestamp(1_795_464_063_000)),
            reason: Some("busy".into()),
            version: 12,
            attempt: 2,
            answered: true,
            sequence: Some(4),
            retry_at: Some(Timestamp(1_795_464_362_123)),
            first_dialed_at: Some(Timestamp(1_795_464_000_000)),
            name: Some("Ada".into()),
            fields: vec!["x".into(), String::new()],
            events_dropped: 1,
            ..Entry::new(3, Phone::parse("13018040009").expect("a valid number"))
        }
    }
}

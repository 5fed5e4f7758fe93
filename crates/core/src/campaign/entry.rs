//! One list entry: its number, where its call stands, and its history.

use super::Fields;
use super::MAX_HISTORY;
use super::events::{Event, EventKind};
use crate::answer::Answer;
use crate::call::CallId;
use crate::phone::Phone;
use crate::status::{Outcome, Status};
use crate::time::Timestamp;
use crate::zones::ZoneSetId;
use serde::{Deserialize, Serialize};

/// One position in the list, with its own call. Stored as is by the server
/// (see [`Record`] for the stored shape).
///
/// What dialing needs of every entry is held inline; what only a changed,
/// dialed, named or explained entry has is in [`Details`], boxed and absent
/// until needed, so that a fresh entry of a plain list costs 64 bytes
/// (design.md's budget is 200 per plain entry).
#[derive(Debug, Clone)]
pub struct Entry {
    pub index: usize,
    pub phone: Phone,
    pub status: Status,
    /// The campaign version of this entry's last change.
    pub version: u64,
    /// The attempt under way or last made, from 1; 0 before the first dial.
    /// Data written before retries existed has none: see [`Entry::upgrade`].
    pub attempt: u32,
    /// An `answered` webhook came for the current attempt.
    pub answered: bool,
    pub outcome: Option<Outcome>,
    /// The time zones the import named for it (a `timezone` column);
    /// `None`: those of its number ([`Entry::zone_set`]). Stored as names.
    pub zones: Option<ZoneSetId>,
    /// `waiting` for a dial-time rule (its calling hours), not for a
    /// retry: `retry_at` is when its window opens.
    pub held: bool,
    /// The current attempt completed after being answered and waits for
    /// its detection result (see [`crate::answer::DETECTION_GRACE_MS`]):
    /// it keeps its line and its `answered` status until then, so that its
    /// outcome is final once.
    pub awaiting_answer: bool,
    /// The current attempt left the campaign's voicemail on a machine.
    pub voicemail_left: bool,
    details: Option<Box<Details>>,
}

/// What an entry holds once it has changed, or is dialed, named or
/// explained.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Details {
    /// When it last changed; an entry that changed has a history, so this
    /// costs a fresh entry nothing.
    pub updated_at: Option<Timestamp>,
    /// When a `waiting` entry's next attempt is due, by the wall clock.
    pub retry_at: Option<Timestamp>,
    pub call_id: Option<CallId>,
    /// The per-dial secret in this entry's webhook URL.
    pub token: Option<String>,
    pub dialed_at: Option<Timestamp>,
    pub reason: Option<String>,
    /// The highest sequence number among the current attempt's reports
    /// (Twilio's `SequenceNumber`): a report numbered below it was sent
    /// before one already received, and its history event says so. Stored,
    /// so that a restart still tells a late callback from a new one.
    pub sequence: Option<u64>,
    /// When the first attempt was dialed (`dialed_at` is the current one's).
    pub first_dialed_at: Option<Timestamp>,
    pub name: Option<String>,
    /// The import's extra columns, aligned with the campaign's `columns`.
    pub fields: Fields,
    /// Kept apart by the store (one record per event), so that a webhook
    /// rewrites a small entry record plus one event, not the whole history.
    pub history: Vec<Event>,
    pub events_dropped: u64,
    /// Who answered the current attempt, once detection said (or its grace
    /// passed); `None` before, and for campaigns without detection.
    pub answer: Option<Box<Answer>>,
}

impl Details {
    const NONE: Details = Details {
        updated_at: None,
        retry_at: None,
        call_id: None,
        token: None,
        dialed_at: None,
        reason: None,
        sequence: None,
        first_dialed_at: None,
        name: None,
        fields: Fields::EMPTY,
        history: Vec::new(),
        events_dropped: 0,
        answer: None,
    };
}

static NO_DETAILS: Details = Details::NONE;

impl PartialEq for Entry {
    /// Field by field, `details` by what it holds: an entry whose details
    /// were made and emptied equals one that never had any. Destructured,
    /// so that a field added to `Entry` cannot be left out of the test.
    fn eq(&self, other: &Self) -> bool {
        let Entry {
            index,
            phone,
            status,
            version,
            attempt,
            answered,
            outcome,
            zones,
            held,
            awaiting_answer,
            voicemail_left,
            details: _,
        } = self;
        *index == other.index
            && *phone == other.phone
            && *status == other.status
            && *version == other.version
            && *attempt == other.attempt
            && *answered == other.answered
            && *outcome == other.outcome
            && *zones == other.zones
            && *held == other.held
            && *awaiting_answer == other.awaiting_answer
            && *voicemail_left == other.voicemail_left
            && self.details() == other.details()
    }
}

impl Eq for Entry {}

/// An entry as it is stored: one flat JSON object, the same fields in the
/// same order as every release before [`Details`] was split off, so that
/// old directories load as they are.
#[derive(Serialize)]
struct Record<'a> {
    index: usize,
    phone: &'a Phone,
    status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    call_id: &'a Option<CallId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: &'a Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dialed_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    updated_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: &'a Option<String>,
    version: u64,
    #[serde(skip_serializing_if = "is_zero")]
    attempt: u32,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    answered: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    sequence: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<Outcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_dialed_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: &'a Option<String>,
    #[serde(skip_serializing_if = "Fields::is_empty")]
    fields: &'a Fields,
    #[serde(skip_serializing_if = "is_zero")]
    events_dropped: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    zones: Option<ZoneSetId>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    held: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    answer: &'a Option<Box<Answer>>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    awaiting_answer: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    voicemail_left: bool,
}

/// Zero attempts and zero dropped events are left out of a record: every
/// release reads them as zero when absent, and a fresh entry of a large
/// list is stored (and cached by sled) a third smaller.
fn is_zero<T: Default + PartialEq>(n: &T) -> bool {
    *n == T::default()
}

/// [`Record`] as it is read back.
#[derive(Deserialize)]
struct StoredRecord {
    index: usize,
    phone: Phone,
    status: Status,
    #[serde(default)]
    call_id: Option<CallId>,
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    dialed_at: Option<Timestamp>,
    #[serde(default)]
    updated_at: Option<Timestamp>,
    #[serde(default)]
    reason: Option<String>,
    version: u64,
    #[serde(default)]
    attempt: u32,
    #[serde(default)]
    answered: bool,
    #[serde(default)]
    sequence: Option<u64>,
    #[serde(default)]
    outcome: Option<Outcome>,
    #[serde(default)]
    retry_at: Option<Timestamp>,
    #[serde(default)]
    first_dialed_at: Option<Timestamp>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    fields: Fields,
    #[serde(default)]
    events_dropped: u64,
    #[serde(default)]
    zones: Option<ZoneSetId>,
    #[serde(default)]
    held: bool,
    #[serde(default)]
    answer: Option<Box<Answer>>,
    #[serde(default)]
    awaiting_answer: bool,
    #[serde(default)]
    voicemail_left: bool,
}

impl Serialize for Entry {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let d = self.details();
        Record {
            index: self.index,
            phone: &self.phone,
            status: self.status,
            call_id: &d.call_id,
            token: &d.token,
            dialed_at: d.dialed_at,
            updated_at: d.updated_at,
            reason: &d.reason,
            version: self.version,
            attempt: self.attempt,
            answered: self.answered,
            sequence: d.sequence,
            outcome: self.outcome,
            retry_at: d.retry_at,
            first_dialed_at: d.first_dialed_at,
            name: &d.name,
            fields: &d.fields,
            events_dropped: d.events_dropped,
            zones: self.zones,
            held: self.held,
            answer: &d.answer,
            awaiting_answer: self.awaiting_answer,
            voicemail_left: self.voicemail_left,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Entry {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let r = StoredRecord::deserialize(deserializer)?;
        let mut e = Entry {
            index: r.index,
            phone: r.phone,
            status: r.status,
            version: r.version,
            attempt: r.attempt,
            answered: r.answered,
            outcome: r.outcome,
            zones: r.zones,
            held: r.held,
            awaiting_answer: r.awaiting_answer,
            voicemail_left: r.voicemail_left,
            details: None,
        };
        let details = Details {
            updated_at: r.updated_at,
            retry_at: r.retry_at,
            call_id: r.call_id,
            token: r.token,
            dialed_at: r.dialed_at,
            reason: r.reason,
            sequence: r.sequence,
            first_dialed_at: r.first_dialed_at,
            name: r.name,
            fields: r.fields,
            history: Vec::new(),
            events_dropped: r.events_dropped,
            answer: r.answer,
        };
        if details != Details::NONE {
            e.details = Some(Box::new(details));
        }
        Ok(e)
    }
}

impl Entry {
    pub fn new(index: usize, phone: Phone) -> Self {
        Entry {
            index,
            phone,
            status: Status::Idle,
            version: 0,
            attempt: 0,
            answered: false,
            outcome: None,
            zones: None,
            held: false,
            awaiting_answer: false,
            voicemail_left: false,
            details: None,
        }
    }

    /// Its call, name and history; empty for a fresh entry of a plain list.
    pub fn details(&self) -> &Details {
        self.details.as_deref().unwrap_or(&NO_DETAILS)
    }

    /// [`Entry::details`] to change, made on first use.
    pub fn details_mut(&mut self) -> &mut Details {
        self.details.get_or_insert_with(Box::default)
    }

    /// When it last changed; `None` for a fresh entry.
    pub fn updated_at(&self) -> Option<Timestamp> {
        self.details().updated_at
    }

    /// When a `waiting` entry's next attempt is due, by the wall clock.
    pub fn retry_at(&self) -> Option<Timestamp> {
        self.details().retry_at
    }

    /// Sets [`Entry::retry_at`]; clearing it makes no details.
    pub fn set_retry_at(&mut self, at: Option<Timestamp>) {
        match (at, self.details.as_deref_mut()) {
            (None, None) => {}
            (at, Some(d)) => d.retry_at = at,
            (at, None) => self.details_mut().retry_at = at,
        }
    }

    /// Takes its name and extra columns out, for a store that keeps them
    /// apart; details left with nothing else go, so that the entry costs
    /// what a plain one does.
    pub fn take_text(&mut self) -> (Option<String>, Fields) {
        let Some(d) = self.details.as_deref_mut() else {
            return (None, Fields::EMPTY);
        };
        let taken = (d.name.take(), std::mem::take(&mut d.fields));
        if *d == Details::NONE {
            self.details = None;
        }
        taken
    }

    /// Kept out of a new campaign at its import: its number is on a
    /// do-not-call list, so it is final at once (`canceled`, outcome
    /// `suppressed`), with `reason` naming the list and when it was added.
    /// Only for an entry not yet in a campaign: [`super::Campaign::create`]
    /// counts it as it finds it.
    pub fn suppress_at_import(&mut self, reason: String, now: Timestamp) {
        self.status = Status::Canceled;
        self.outcome = Some(Outcome::Suppressed);
        let d = self.details_mut();
        d.updated_at = Some(now);
        d.reason = Some(reason.clone());
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
        let d = self.details();
        if d.first_dialed_at.is_none() && d.dialed_at.is_some() {
            let dialed_at = d.dialed_at;
            self.details_mut().first_dialed_at = dialed_at;
        }
        let heard_answer = self.details().history.iter().any(|ev| {
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
        let attempt = self.attempt.max(1);
        let d = self.details_mut();
        if d.history.len() < MAX_HISTORY {
            d.history.push(Event {
                at,
                kind,
                applied,
                note,
                attempt,
            });
        } else {
            d.events_dropped += 1;
        }
    }
}

impl Entry {
    /// Entry 3 of `13018040009` with every field set, dialed at
    /// 2026-11-23T20:01:02.123Z: the one entry whose stored bytes and whose
    /// `GET /calls/{index}` bytes the tests pin, so both pin the same one.
    #[cfg(test)]
    pub(crate) fn every_field_set() -> Entry {
        let mut e = Entry {
            status: Status::Waiting,
            version: 12,
            attempt: 2,
            answered: true,
            ..Entry::new(3, Phone::parse("13018040009").expect("a valid number"))
        };
        *e.details_mut() = Details {
            updated_at: Some(Timestamp(1_795_464_063_000)),
            retry_at: Some(Timestamp(1_795_464_362_123)),
            call_id: Some(CallId::Text("CA9".into())),
            token: Some("2-abc".into()),
            dialed_at: Some(Timestamp(1_795_464_062_123)),
            reason: Some("busy".into()),
            sequence: Some(4),
            first_dialed_at: Some(Timestamp(1_795_464_000_000)),
            name: Some("Ada".into()),
            fields: ["x", ""].into_iter().collect(),
            history: Vec::new(),
            events_dropped: 1,
            answer: None,
        };
        e
    }
}

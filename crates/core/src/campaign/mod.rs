//! The campaign state machine: which entry to dial next, and what each dial
//! answer, webhook, timeout, retry and lifecycle operation does to a list.
//!
//! Every rule of the dial-down lives here so that it can be tested without a
//! network or a disk. Callers pass in the current time and fresh webhook
//! tokens; they persist the entries this module reports as changed.
//! [`Campaign`] is one list; [`Campaigns`] holds them all and shares the
//! lines between the running ones. Before an entry is dialed, the
//! dial-time rules of [`crate::rules`] are asked about it.
//!
//! Call deadlines and retry times are kept on the monotonic clock
//! ([`Mono`]), so that a step of the wall clock neither fails calls early,
//! holds their lines, nor redials early. They are not stored:
//! [`Campaign::restore`] rebuilds them from each entry's wall-clock
//! `dialed_at` and `retry_at`, the only times that mean anything to the
//! next process.

mod entry;
mod events;
mod fields;
mod lifecycle;
mod machine;
mod registry;
mod retry;

pub use entry::Entry;
pub use events::{Event, EventKind};
pub use fields::Fields;
pub use lifecycle::{CampaignState, NotAllowed, Operation};
pub use machine::{Campaign, MAX_PASSED_PER_PICK};
pub use registry::{Campaigns, DeleteError, OperationError, Retired};
pub use retry::{
    MAX_ATTEMPTS, MAX_RETRY_DELAY_S, RetryError, RetryInput, RetryOnInput, RetryPolicy,
};

use crate::answer::AnswerSettings;
use crate::call::CallId;
use crate::hours::Hours;
use crate::phone::Phone;
use crate::status::Status;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Events kept per entry. Only the dialer API knows an entry's token, but a
/// misbehaving one could still send endless duplicates; past the cap they are
/// counted, not kept.
pub const MAX_HISTORY: usize = 32;

/// The next POST /call to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialOrder {
    pub campaign: u64,
    pub index: usize,
    pub phone: Phone,
    pub token: String,
    /// The campaign's answering-machine settings, which the provider asks
    /// for with the dial.
    pub answers: AnswerSettings,
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
    /// The number is one the dialer API cannot dial (its own answer, or
    /// what the provider says it takes): no call was placed, the entry
    /// fails with `reason`, and it is never retried, whatever `retry_on`
    /// says: the same number would be refused again.
    Undialable {
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
    #[error("campaign {campaign}: stored entry at position {position} has index {found}")]
    IndexGap {
        campaign: u64,
        position: usize,
        found: usize,
    },
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

/// What an accepted detection result did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectionOutcome {
    pub index: usize,
    /// It became the attempt's answer.
    pub applied: bool,
    pub status: Status,
    /// It ended an attempt that waited for it, freeing its line.
    pub freed_slot: bool,
    /// The campaign's voicemail is to be left on this live call now.
    pub voicemail: Option<VoicemailOrder>,
}

/// A voicemail to leave: the live call of one attempt, and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoicemailOrder {
    pub campaign: u64,
    pub index: usize,
    pub attempt: u32,
    pub call_id: CallId,
    pub message: crate::answer::Voicemail,
}

/// What the server's configuration decides about a campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Calls in flight at once.
    pub concurrency: usize,
    /// How long a dialed entry may wait for its final webhook before it fails.
    pub call_timeout_ms: u64,
}

/// A new campaign, parsed and checked, for [`Campaigns::create`]. Starting
/// it is the caller's: it stores the draft first, then starts it if
/// `start` asks.
#[derive(Debug, Clone)]
pub struct NewCampaign {
    /// `None`: "campaign {id}".
    pub name: Option<String>,
    pub retry: RetryPolicy,
    pub columns: Vec<String>,
    /// Entries with indices from 0, all idle.
    pub entries: Vec<Entry>,
    pub idempotency_key: Option<String>,
    /// What that upload sent ([`crate::import::upload_digest`]), so that
    /// the key reused for another list is told apart from a retry.
    pub idempotency_digest: Option<String>,
    pub start: bool,
    /// Its calling hours (the server's default when the import gave none).
    pub hours: Hours,
    /// Its answering-machine detection and voicemail.
    pub answers: AnswerSettings,
    /// See [`CampaignMeta::require_registry`].
    pub require_registry: bool,
}

/// The campaign 1 that every data directory has: the built-in list or
/// `--numbers-file`, started by `POST /calls`.
pub const FIRST: u64 = 1;

/// What is stored about a campaign beside its entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignMeta {
    pub id: u64,
    pub name: String,
    pub state: CampaignState,
    pub created_at: Timestamp,
    #[serde(default)]
    pub started_at: Option<Timestamp>,
    #[serde(default)]
    pub finished_at: Option<Timestamp>,
    /// Order of starting among all campaigns: the earliest started running
    /// campaign dials first.
    #[serde(default)]
    pub start_seq: u64,
    #[serde(default)]
    pub retry: RetryPolicy,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
    /// The `Idempotency-Key` of the upload that created it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// The digest of that upload's body and settings. Absent in records
    /// written before it existed: such a key matches any body, as it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_digest: Option<String>,
    /// The campaign's version when this record was written.
    #[serde(default)]
    pub version: u64,
    /// Its calling hours; absent (off) in records written before they
    /// existed, so an older directory dials as it did.
    #[serde(default, skip_serializing_if = "Hours::is_default")]
    pub hours: Hours,
    /// Its answering-machine detection and voicemail; absent (off) in
    /// records written before they existed.
    #[serde(default, skip_serializing_if = "AnswerSettings::is_default")]
    pub answers: AnswerSettings,
    /// Dial only while the newest do-not-call registry copy is at most
    /// [`crate::suppressions::REGISTRY_MAX_AGE_DAYS`] old (the US
    /// registry's safe harbour). Absent (off) in older records.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub require_registry: bool,
}

impl CampaignMeta {
    /// Campaign 1 as a data directory of the previous release describes
    /// it: the list, started or not.
    pub fn first(started: bool, version: u64) -> CampaignMeta {
        CampaignMeta {
            id: FIRST,
            name: "default".into(),
            state: if started {
                CampaignState::Running
            } else {
                CampaignState::Draft
            },
            created_at: Timestamp(0),
            started_at: None,
            finished_at: None,
            start_seq: 0,
            retry: RetryPolicy::default(),
            columns: Vec::new(),
            idempotency_key: None,
            idempotency_digest: None,
            version,
            hours: Hours::default(),
            answers: AnswerSettings::default(),
            require_registry: false,
        }
    }
}

/// What an operation did to a campaign's entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changed {
    /// The entries it changed (a stop's canceled ones). The campaign's
    /// record is enough to store: [`Campaign::restore`] of a stopped
    /// campaign cancels them again.
    pub entries: Vec<usize>,
}

/// How much of a `timeout_ms` is left at wall time `wall` for a call dialed
/// at `dialed_at`: all a restarted server can know, since a monotonic clock
/// does not outlive its process. Never more than the timeout, so that a wall
/// clock set back across the restart cannot hold a line longer; a call with
/// no dial time (not written by this crate) gets the whole timeout rather
/// than holding its line for ever.
pub(crate) fn remaining_after_restart(
    dialed_at: Option<Timestamp>,
    wall: Timestamp,
    timeout_ms: u64,
) -> u64 {
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
mod answer_tests;
#[cfg(test)]
mod tests;

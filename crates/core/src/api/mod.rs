//! numdialer's own HTTP API: the JSON bodies the server answers and its
//! clients (the TUI, the tests) read. The dialer APIs' shapes live apart,
//! in [`crate::protocol`].

mod campaigns;

pub use campaigns::{
    CampaignSummary, CampaignsResponse, CreateCampaign, CreatedCampaign, ImportErrorBody,
    LineError, LineWarning, NewEntry,
};

use crate::call::{CallEvent, CallId};
use crate::status::{Outcome, Status};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// `GET /statuses`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusesResponse {
    /// Rises by at least one on every change of state.
    pub version: u64,
    pub started: bool,
    /// Started, every entry final, and no dial answer still awaited.
    pub finished: bool,
    pub concurrency: usize,
    /// Entries holding a line (dialing, ringing or answered).
    pub active: usize,
    /// The server's clock when it answered, so that a client on another
    /// machine can show how long each entry has been in its status.
    pub now: Timestamp,
    /// Set on a delta answer (`?since=V`): `calls` then holds only the
    /// entries changed after version V.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<u64>,
    /// Set while the server's store fails: why. Nothing changes and nobody
    /// is dialed until it works again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub degraded: Option<String>,
    /// The server's cap on dials a second (`--max-cps`), as text ("1",
    /// "2.5"); absent when there is none. It, not the lines, sets the pace
    /// of a long list through a provider such as Twilio.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_cps: Option<String>,
    /// Set on `GET /campaigns/{id}/statuses`: the campaign's summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<CampaignSummary>,
    pub calls: Vec<CallSummary>,
}

impl StatusesResponse {
    /// Applies a delta answer to a full one: the summary is replaced and
    /// each changed entry put in its place.
    pub fn apply_delta(&mut self, delta: StatusesResponse) {
        for c in delta.calls {
            if let Some(slot) = self.calls.get_mut(c.index) {
                *slot = c;
            }
        }
        self.version = delta.version;
        self.started = delta.started;
        self.finished = delta.finished;
        self.concurrency = delta.concurrency;
        self.active = delta.active;
        self.now = delta.now;
        self.degraded = delta.degraded;
        self.max_cps = delta.max_cps;
        self.campaign = delta.campaign;
    }

    pub fn count(&self, status: Status) -> usize {
        self.calls.iter().filter(|c| c.status == status).count()
    }

    pub fn finished_count(&self) -> usize {
        self.calls.iter().filter(|c| c.status.is_final()).count()
    }
}

/// One list entry as `GET /statuses` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallSummary {
    pub index: usize,
    pub phone: String,
    pub status: Status,
    /// The dialer API's call id; `null` until known.
    pub id: Option<CallId>,
    /// When the entry entered its current status.
    pub updated_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The attempt under way or last made, from 1; absent (0) before the
    /// first dial.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub attempt: u32,
    /// An `answered` webhook came for the current attempt.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub answered: bool,
    /// How a final entry ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// When a `waiting` entry's next attempt is due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<Timestamp>,
    /// The name the import gave the entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

fn is_one(n: &u32) -> bool {
    *n == 1
}

fn one() -> u32 {
    1
}

/// `GET /calls/{index}`: the summary plus the entry's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallDetail {
    #[serde(flatten)]
    pub call: CallSummary,
    pub dialed_at: Option<Timestamp>,
    pub history: Vec<Event>,
    /// Events beyond the history's cap that were counted but not kept.
    #[serde(default)]
    pub events_dropped: u64,
}

/// One thing that happened to an entry, applied or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub at: Timestamp,
    #[serde(flatten)]
    pub kind: EventKind,
    /// Whether it changed the entry's status or id.
    pub applied: bool,
    /// Why it was ignored, or what it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The attempt it belongs to; absent means 1, as in data written before
    /// retries existed.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub attempt: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    /// POST /call is about to leave for this entry.
    Dialed,
    /// The dialer API answered the dial with a call id.
    Placed { id: CallId },
    /// The dialer API answered the dial with an error.
    Refused { reason: String },
    /// The dialer API could not be reached; nothing was sent.
    Unreachable { reason: String },
    /// The dial was sent but no usable answer came back; the call may exist.
    Unanswered { reason: String },
    /// A provider's callback about the call.
    Webhook {
        id: CallId,
        #[serde(flatten)]
        reported: CallEvent,
    },
    /// No final webhook came within the call timeout.
    TimedOut { after_ms: u64 },
    /// The attempt ended in an outcome the campaign retries: the next one
    /// is due at `retry_at`.
    RetryScheduled {
        outcome: Outcome,
        retry_at: Timestamp,
    },
    /// The campaign was stopped before this entry was dialed (again).
    Canceled,
}

/// The server's answer to an accepted webhook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookAck {
    pub applied: bool,
    pub status: Status,
}

/// `POST /calls`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartResponse {
    pub started: bool,
}

/// Every error answer of the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_matches_the_contract() {
        let c = CallSummary {
            index: 8,
            phone: "19362072765".into(),
            status: Status::Idle,
            id: None,
            updated_at: None,
            reason: None,
            attempt: 0,
            answered: false,
            outcome: None,
            retry_at: None,
            name: None,
        };
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            serde_json::json!({"index": 8, "phone": "19362072765", "status": "idle", "id": null, "updated_at": null})
        );
    }

    #[test]
    fn events_flatten_their_kind() {
        let e = Event {
            at: Timestamp(0),
            kind: EventKind::Webhook {
                id: CallId::Number(7),
                reported: CallEvent::Ringing,
            },
            applied: false,
            note: Some("duplicate".into()),
            attempt: 1,
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"at": "1970-01-01T00:00:00.000Z", "event": "webhook",
                "id": 7, "status": "ringing", "applied": false, "note": "duplicate"})
        );
        assert_eq!(serde_json::from_value::<Event>(v).unwrap(), e);
        let failed = Event {
            kind: EventKind::Webhook {
                id: CallId::Text("CA1".into()),
                reported: CallEvent::Failed {
                    reason: "busy".into(),
                },
            },
            ..e
        };
        let v = serde_json::to_value(&failed).unwrap();
        assert_eq!(
            (&v["id"], &v["status"], &v["reason"]),
            (&"CA1".into(), &"failed".into(), &"busy".into())
        );
        assert_eq!(serde_json::from_value::<Event>(v).unwrap(), failed);
    }
}

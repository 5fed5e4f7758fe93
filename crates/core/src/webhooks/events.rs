//! The events numdialer sends, and their payload: `{type, timestamp, data}`
//! (the Standard Webhooks shape) plus `sequence`, a number per campaign
//! that grows with each of its events. Deliveries are concurrent and
//! retried, so they may arrive out of order; a consumer orders a
//! campaign's events by `sequence`, and tells a retried delivery by its
//! `webhook-id`.

use crate::answer::AnsweredBy;
use crate::campaign::EventKind;
use crate::campaign::{CampaignState, Entry, Fields};
use crate::status::{Outcome, Status};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What happened, as an endpoint subscribes to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EventType {
    #[serde(rename = "campaign.started")]
    CampaignStarted,
    #[serde(rename = "campaign.paused")]
    CampaignPaused,
    #[serde(rename = "campaign.resumed")]
    CampaignResumed,
    #[serde(rename = "campaign.stopped")]
    CampaignStopped,
    #[serde(rename = "campaign.done")]
    CampaignDone,
    #[serde(rename = "call.completed")]
    CallCompleted,
    #[serde(rename = "suppression.created")]
    SuppressionCreated,
    #[serde(rename = "suppression.removed")]
    SuppressionRemoved,
}

impl EventType {
    pub const ALL: [EventType; 8] = [
        EventType::CampaignStarted,
        EventType::CampaignPaused,
        EventType::CampaignResumed,
        EventType::CampaignStopped,
        EventType::CampaignDone,
        EventType::CallCompleted,
        EventType::SuppressionCreated,
        EventType::SuppressionRemoved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::CampaignStarted => "campaign.started",
            EventType::CampaignPaused => "campaign.paused",
            EventType::CampaignResumed => "campaign.resumed",
            EventType::CampaignStopped => "campaign.stopped",
            EventType::CampaignDone => "campaign.done",
            EventType::CallCompleted => "call.completed",
            EventType::SuppressionCreated => "suppression.created",
            EventType::SuppressionRemoved => "suppression.removed",
        }
    }

    /// The event a campaign's move from `from` to `to` reports, if any: a
    /// run after a pause is a resume, any other run a start.
    pub fn of_transition(from: CampaignState, to: CampaignState) -> Option<EventType> {
        if from == to {
            return None;
        }
        Some(match to {
            CampaignState::Running if from == CampaignState::Paused => EventType::CampaignResumed,
            CampaignState::Running => EventType::CampaignStarted,
            CampaignState::Paused => EventType::CampaignPaused,
            CampaignState::Stopped => EventType::CampaignStopped,
            CampaignState::Done => EventType::CampaignDone,
            CampaignState::Draft => return None,
        })
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown event type {0:?}; known: {known}", known = known_types())]
pub struct UnknownEventType(pub String);

fn known_types() -> String {
    EventType::ALL.map(EventType::as_str).join(", ")
}

impl FromStr for EventType {
    type Err = UnknownEventType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EventType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownEventType(s.to_string()))
    }
}

/// One event as it is sent: the body that is signed, byte for byte the
/// same on every try.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutEvent {
    #[serde(rename = "type")]
    pub kind: EventType,
    pub timestamp: Timestamp,
    /// The campaign's own count of its events, from 1; absent for events
    /// of no campaign (suppressions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<u64>,
    pub data: serde_json::Value,
}

impl OutEvent {
    /// The body to send and sign.
    pub fn body(&self) -> String {
        serde_json::to_string(self).expect("events always serialise")
    }
}

/// `data` of the `campaign.*` events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignChanged {
    pub campaign: u64,
    pub name: String,
    pub state: CampaignState,
    pub previous: CampaignState,
}

/// `data` of `call.completed`: one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallCompleted {
    pub campaign: u64,
    pub index: usize,
    pub phone: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub attempt: u32,
    pub outcome: Outcome,
    /// The entry's status after the attempt: `waiting` when another
    /// attempt follows.
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_by: Option<AnsweredBy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The import's extra columns, by name.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub fields: serde_json::Map<String, serde_json::Value>,
}

impl CallCompleted {
    /// The completed attempt of `entry`, whose campaign imported `columns`;
    /// `None` while its attempt is still under way or it never had one.
    pub fn of(campaign: u64, entry: &Entry, columns: &[String]) -> Option<CallCompleted> {
        let outcome = attempt_outcome(entry)?;
        let details = entry.details();
        let fields = named(columns, &details.fields);
        Some(CallCompleted {
            campaign,
            index: entry.index,
            phone: entry.phone.to_string(),
            name: details.name.clone(),
            attempt: entry.attempt,
            outcome,
            status: entry.status,
            answered_by: details.answer.as_ref().map(|a| a.answered_by),
            reason: details.reason.clone(),
            fields,
        })
    }
}

/// An entry's extra columns by the names of the campaign's `columns`, as
/// [`CallCompleted::fields`] holds them: for a store that keeps them apart
/// from the entry.
pub fn named(columns: &[String], fields: &Fields) -> serde_json::Map<String, serde_json::Value> {
    columns
        .iter()
        .zip(fields.iter())
        .map(|(c, v)| (c.clone(), serde_json::Value::String(v.to_string())))
        .collect()
}

/// How `entry`'s last attempt ended, once it has: its outcome when final,
/// the outcome its retry was scheduled for when `waiting`; `None` while
/// the attempt holds a line, or before any.
pub fn attempt_outcome(entry: &Entry) -> Option<Outcome> {
    if entry.attempt == 0 || entry.status.is_in_flight() || entry.status == Status::Idle {
        return None;
    }
    if entry.status == Status::Waiting {
        let retried = entry
            .details()
            .history
            .iter()
            .rev()
            .find_map(|e| match &e.kind {
                EventKind::RetryScheduled { outcome, .. } if e.attempt == entry.attempt => {
                    Some(*outcome)
                }
                _ => None,
            });
        return retried.or(entry.outcome);
    }
    entry.outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phone::Phone;

    #[test]
    fn types_read_back_from_their_names() {
        for t in EventType::ALL {
            assert_eq!(t.as_str().parse::<EventType>(), Ok(t));
            assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{t}\""));
        }
        let e = "call.started".parse::<EventType>().unwrap_err();
        assert!(e.to_string().contains("call.completed"), "{e}");
    }

    #[test]
    fn transitions_name_their_event() {
        use CampaignState::*;
        assert_eq!(
            EventType::of_transition(Draft, Running),
            Some(EventType::CampaignStarted)
        );
        assert_eq!(
            EventType::of_transition(Paused, Running),
            Some(EventType::CampaignResumed)
        );
        assert_eq!(
            EventType::of_transition(Running, Paused),
            Some(EventType::CampaignPaused)
        );
        assert_eq!(
            EventType::of_transition(Paused, Stopped),
            Some(EventType::CampaignStopped)
        );
        assert_eq!(
            EventType::of_transition(Running, Done),
            Some(EventType::CampaignDone)
        );
        assert_eq!(EventType::of_transition(Running, Running), None);
    }

    #[test]
    fn the_payload_has_type_timestamp_sequence_and_data() {
        let e = OutEvent {
            kind: EventType::CampaignDone,
            timestamp: Timestamp(1_795_464_062_123),
            sequence: Some(3),
            data: serde_json::json!({"campaign": 2}),
        };
        assert_eq!(
            e.body(),
            r#"{"type":"campaign.done","timestamp":"2026-11-23T20:01:02.123Z","sequence":3,"data":{"campaign":2}}"#
        );
        assert_eq!(serde_json::from_str::<OutEvent>(&e.body()).unwrap(), e);
    }

    #[test]
    fn an_attempt_in_flight_has_not_completed() {
        let mut e = Entry::new(0, Phone::parse("13018040009").unwrap());
        assert_eq!(CallCompleted::of(1, &e, &[]), None);
        e.attempt = 1;
        e.status = Status::Ringing;
        assert_eq!(attempt_outcome(&e), None);
        e.status = Status::Completed;
        e.outcome = Some(Outcome::Answered);
        e.details_mut().name = Some("Ada".into());
        e.details_mut().fields = ["gold"].into_iter().collect();
        let c = CallCompleted::of(4, &e, &["tier".into()]).unwrap();
        assert_eq!(c.outcome, Outcome::Answered);
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            serde_json::json!({"campaign": 4, "index": 0, "phone": "13018040009", "name": "Ada",
                "attempt": 1, "outcome": "answered", "status": "completed",
                "fields": {"tier": "gold"}})
        );
    }
}

//! A call as every provider reports it: its id, and what happened to it.
//!
//! Providers speak their own words (the numDialer API's `{"id", "status"}`
//! webhooks, Twilio's `CallSid` and `CallStatus`); each protocol module
//! turns them into a [`CallReport`], and only that reaches the campaign.

use crate::status::Status;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The provider's id of a call: the numDialer API's number, or a
/// provider's text id such as Twilio's `CallSid`. Untagged, so a numeric id
/// stays a JSON number on the wire and in stored data.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum CallId {
    Number(u64),
    Text(String),
}

impl CallId {
    pub fn as_number(&self) -> Option<u64> {
        match self {
            CallId::Number(n) => Some(*n),
            CallId::Text(_) => None,
        }
    }

    pub fn as_text(&self) -> Option<&str> {
        match self {
            CallId::Number(_) => None,
            CallId::Text(s) => Some(s),
        }
    }
}

impl From<u64> for CallId {
    fn from(n: u64) -> Self {
        CallId::Number(n)
    }
}

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallId::Number(n) => n.fmt(f),
            CallId::Text(s) => f.write_str(s),
        }
    }
}

/// What happened to a call, in numdialer's words. Serialised with a
/// `status` tag so that the three numDialer statuses read as they always
/// have in an entry's history (`"status": "ringing"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum CallEvent {
    Ringing,
    Answered,
    Completed,
    /// The provider gave up on the call after placing it.
    Failed {
        reason: String,
    },
    /// The call ended without anyone picking up, and the provider says why
    /// (Twilio's `busy`, `no-answer`): the attempt's outcome is
    /// `no_answer`, which a campaign may retry, not a failure.
    #[serde(rename = "no_answer")]
    NotAnswered {
        reason: String,
    },
}

impl CallEvent {
    /// The label of the event, also its metrics label.
    pub fn as_str(&self) -> &'static str {
        match self {
            CallEvent::Ringing => "ringing",
            CallEvent::Answered => "answered",
            CallEvent::Completed => "completed",
            CallEvent::Failed { .. } => "failed",
            CallEvent::NotAnswered { .. } => "no_answer",
        }
    }

    /// The status the event moves its entry to.
    pub fn status(&self) -> Status {
        match self {
            CallEvent::Ringing => Status::Ringing,
            CallEvent::Answered => Status::Answered,
            CallEvent::Completed => Status::Completed,
            CallEvent::Failed { .. } => Status::Failed,
            CallEvent::NotAnswered { .. } => Status::Completed,
        }
    }
}

impl fmt::Display for CallEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallEvent::Failed { reason } => write!(f, "failed: {reason}"),
            CallEvent::NotAnswered { reason } => write!(f, "no answer: {reason}"),
            other => f.write_str(other.as_str()),
        }
    }
}

/// One callback from a provider, once read: which call, and what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallReport {
    pub id: CallId,
    pub event: CallEvent,
    /// Where the provider numbers a call's callbacks in the order it sent
    /// them (Twilio's `SequenceNumber`), this one's number: HTTP gives no
    /// order, so only this tells a late callback from a new one, and the
    /// campaign records it as out of order. `None` where the provider has
    /// no such number (the numDialer API).
    pub sequence: Option<u64>,
}

impl CallReport {
    /// A report without a sequence number.
    pub fn new(id: CallId, event: CallEvent) -> Self {
        CallReport {
            id,
            event,
            sequence: None,
        }
    }

    /// The same report, numbered by its provider.
    pub fn with_sequence(self, sequence: Option<u64>) -> Self {
        CallReport { sequence, ..self }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_keep_their_json_type() {
        assert_eq!(
            serde_json::to_string(&CallId::Number(1432)).unwrap(),
            "1432"
        );
        let sid = CallId::Text("CA0123".into());
        assert_eq!(serde_json::to_string(&sid).unwrap(), r#""CA0123""#);
        let back: CallId = serde_json::from_str("1432").unwrap();
        assert_eq!(back, CallId::Number(1432));
        assert_eq!(back.as_number(), Some(1432));
        assert_eq!(sid.as_number(), None);
        assert_eq!(sid.as_text(), Some("CA0123"));
        assert_eq!(sid.to_string(), "CA0123");
    }

    #[test]
    fn events_read_as_statuses() {
        let v = serde_json::to_value(CallEvent::Ringing).unwrap();
        assert_eq!(v, serde_json::json!({"status": "ringing"}));
        let failed = CallEvent::Failed {
            reason: "busy".into(),
        };
        let v = serde_json::to_value(&failed).unwrap();
        assert_eq!(v, serde_json::json!({"status": "failed", "reason": "busy"}));
        assert_eq!(serde_json::from_value::<CallEvent>(v).unwrap(), failed);
        assert_eq!(failed.status(), Status::Failed);
        assert_eq!(failed.to_string(), "failed: busy");
    }
}

//! The numDialer API: JSON `POST /call` with `{"phone", "webhookURL"}`,
//! answered `{"id"}` or (with HTTP 200) `{"error"}`, then one
//! `{"id", "status"}` webhook per status.

use crate::call::{CallEvent, CallId, CallReport};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The API's own rule for a phone: `^1\d{10}$`.
pub fn is_valid_phone(s: &str) -> bool {
    s.len() == 11 && s.starts_with('1') && s.bytes().all(|b| b.is_ascii_digit())
}

/// The three statuses the API sends in webhooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum CallStatus {
    Ringing,
    Answered,
    Completed,
}

impl CallStatus {
    pub const ALL: [CallStatus; 3] = [
        CallStatus::Ringing,
        CallStatus::Answered,
        CallStatus::Completed,
    ];

    pub fn event(self) -> CallEvent {
        match self {
            CallStatus::Ringing => CallEvent::Ringing,
            CallStatus::Answered => CallEvent::Answered,
            CallStatus::Completed => CallEvent::Completed,
        }
    }
}

impl fmt::Display for CallStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.event().as_str())
    }
}

/// What the API POSTs to a webhook URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookBody {
    pub id: u64,
    pub status: CallStatus,
}

impl From<WebhookBody> for CallReport {
    fn from(b: WebhookBody) -> Self {
        CallReport::new(CallId::Number(b.id), b.status.event())
    }
}

/// The API's `POST /call` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DialRequest {
    pub phone: String,
    #[serde(rename = "webhookURL")]
    pub webhook_url: String,
}

/// The API's `POST /call` answer: an id, or an error with HTTP 200.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum DialResponse {
    Placed { id: u64 },
    Error { error: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dial_answers_parse_both_shapes() {
        let ok: DialResponse = serde_json::from_str(r#"{"id": 1432}"#).unwrap();
        assert_eq!(ok, DialResponse::Placed { id: 1432 });
        let err: DialResponse =
            serde_json::from_str(r#"{"error": "Expected a valid phone"}"#).unwrap();
        assert_eq!(
            err,
            DialResponse::Error {
                error: "Expected a valid phone".into()
            }
        );
        assert!(serde_json::from_str::<DialResponse>(r#"{"id": -1}"#).is_err());
        let req = DialRequest {
            phone: "1".into(),
            webhook_url: "u".into(),
        };
        assert_eq!(
            serde_json::to_string(&req).unwrap(),
            r#"{"phone":"1","webhookURL":"u"}"#
        );
    }

    #[test]
    fn validates_like_the_dialer_api() {
        for ok in ["10000000000", "19999999999"] {
            assert!(is_valid_phone(ok));
        }
        for bad in [
            "",
            "1301804000",
            "130180400091",
            "23018040009",
            "1301804000a",
            "+13018040009",
            "１3018040009",
        ] {
            assert!(!is_valid_phone(bad), "{bad}");
        }
    }

    #[test]
    fn statuses_are_lowercase_words_and_become_events() {
        let c: CallStatus = serde_json::from_str("\"answered\"").unwrap();
        assert_eq!(c, CallStatus::Answered);
        assert!(serde_json::from_str::<CallStatus>("\"dialing\"").is_err());
        assert!(serde_json::from_str::<CallStatus>("\"Ringing\"").is_err());
        let report = CallReport::from(WebhookBody {
            id: 9,
            status: CallStatus::Completed,
        });
        assert_eq!(report.id, CallId::Number(9));
        assert_eq!(report.event, CallEvent::Completed);
    }
}

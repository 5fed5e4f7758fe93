//! An entry's history: what happened to it, applied or not, one event per
//! dial, answer, report, timeout, retry and cancel.
//!
//! These are domain types, and the store writes them as they are (one
//! record per event), so their serde form is a stored format: the tests
//! below pin it byte for byte. `GET /calls/{index}` shows the same events
//! through the API's own `Event` type, converted at the edge, so that the HTTP
//! shape and the stored one can each change only on purpose.

use crate::answer::AnsweredBy;
use crate::call::{CallEvent, CallId};
use crate::status::Outcome;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

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

fn is_one(n: &u32) -> bool {
    *n == 1
}

fn one() -> u32 {
    1
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
    /// The entry will not be dialed (again): its campaign was stopped, or
    /// a dial-time rule forbade it (the note says which rule, and why).
    Canceled,
    /// A dial-time rule held the entry back until `retry_at` (outside its
    /// calling hours, say; the note says why). No attempt was used.
    Deferred { retry_at: Timestamp },
    /// A provider's answering-machine detection result for the call.
    Detected {
        id: CallId,
        answered_by: AnsweredBy,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        raw: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detection_ms: Option<u64>,
    },
    /// No detection result came within the grace after the call
    /// completed: its answer is `unknown`.
    DetectionTimedOut { after_ms: u64 },
    /// The campaign's voicemail was (or could not be) left on a machine;
    /// `reason` says why not.
    Voicemail {
        left: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::Entry;
    use crate::phone::Phone;

    const AT: Timestamp = Timestamp(1_795_464_062_123);

    /// One event of every kind, with `applied`, `note` and `attempt`
    /// varied, and the bytes the store holds for each: written by the
    /// release before events became domain types, and to be read by every
    /// release after.
    fn pinned() -> Vec<(Event, &'static str)> {
        let kinds = [
            EventKind::Dialed,
            EventKind::Placed {
                id: CallId::Number(7),
            },
            EventKind::Refused {
                reason: "Expected a valid phone".into(),
            },
            EventKind::Unreachable {
                reason: "connection refused".into(),
            },
            EventKind::Unanswered {
                reason: "timeout".into(),
            },
            EventKind::Webhook {
                id: CallId::Text("CA1".into()),
                reported: CallEvent::Failed {
                    reason: "busy".into(),
                },
            },
            EventKind::Webhook {
                id: CallId::Number(7),
                reported: CallEvent::Answered,
            },
            EventKind::TimedOut { after_ms: 60_000 },
            EventKind::RetryScheduled {
                outcome: Outcome::NoAnswer,
                retry_at: Timestamp(1_795_464_362_123),
            },
            EventKind::Canceled,
        ];
        let bytes = [
            r#"{"at":"2026-11-23T20:01:02.123Z","event":"dialed","applied":true,"note":"a note"}"#,
            r#"{"at":"2026-11-23T20:01:02.123Z","event":"placed","id":7,"applied":false,"attempt":2}"#,
            r#"{"at":"2026-11-23T20:01:02.123Z","event":"refused","reason":"Expected a valid phone","applied":true}"#,
            r#"{"at":"2026-11-23T20:01:02.123Z","event":"unreachable","reason":"connection refused","applied":false,"note":"a note","attempt":2}"#,
            r#"{"at":"2026-11-23T20:01:02.123Z","event":"unanswered","reason":"timeout","applied":true}"#,
            r#"{"at":"2026-11-23T20:01:02.123Z","event":"webhook","id":"CA1","status":"failed","reason":"busy","applied":false,"attempt":2}"#,
            r#"{"at":"2026-11-23T20:01:02.123Z","event":"webhook","id":7,"status":"answered","applied":true,"note":"a note"}"#,
            r#"{"at":"2026-11-23T20:01:02.123Z","event":"timed_out","after_ms":60000,"applied":false,"attempt":2}"#,
            r#"{"at":"2026-11-23T20:01:02.123Z","event":"retry_scheduled","outcome":"no_answer","retry_at":"2026-11-23T20:06:02.123Z","applied":true}"#,
            r#"{"at":"2026-11-23T20:01:02.123Z","event":"canceled","applied":false,"note":"a note","attempt":2}"#,
        ];
        kinds
            .into_iter()
            .zip(bytes)
            .enumerate()
            .map(|(n, (kind, bytes))| {
                let event = Event {
                    at: AT,
                    kind,
                    applied: n % 2 == 0,
                    note: (n % 3 == 0).then(|| "a note".to_string()),
                    attempt: 1 + (n as u32 % 2),
                };
                (event, bytes)
            })
            .collect()
    }

    #[test]
    fn stored_events_keep_their_bytes() {
        for (event, bytes) in pinned() {
            assert_eq!(serde_json::to_string(&event).unwrap(), bytes);
            assert_eq!(serde_json::from_str::<Event>(bytes).unwrap(), event);
        }
    }

    #[test]
    fn answer_events_keep_their_bytes() {
        for (kind, bytes) in [
            (
                EventKind::Detected {
                    id: CallId::Text("CA1".into()),
                    answered_by: AnsweredBy::Machine,
                    raw: Some("machine_end_beep".into()),
                    detection_ms: Some(4210),
                },
                r#"{"at":"2026-11-23T20:01:02.123Z","event":"detected","id":"CA1","answered_by":"machine","raw":"machine_end_beep","detection_ms":4210,"applied":true}"#,
            ),
            (
                EventKind::DetectionTimedOut { after_ms: 10_000 },
                r#"{"at":"2026-11-23T20:01:02.123Z","event":"detection_timed_out","after_ms":10000,"applied":true}"#,
            ),
            (
                EventKind::Voicemail {
                    left: false,
                    reason: Some("HTTP 404".into()),
                },
                r#"{"at":"2026-11-23T20:01:02.123Z","event":"voicemail","left":false,"reason":"HTTP 404","applied":true}"#,
            ),
        ] {
            let event = Event {
                at: AT,
                kind,
                applied: true,
                note: None,
                attempt: 1,
            };
            assert_eq!(serde_json::to_string(&event).unwrap(), bytes);
            assert_eq!(serde_json::from_str::<Event>(bytes).unwrap(), event);
        }
    }

    #[test]
    fn answer_fields_of_an_entry_are_stored_only_when_set() {
        let mut e = Entry::new(0, Phone::parse("13018040009").unwrap());
        e.details_mut().answer = Some(Box::new(crate::answer::Answer {
            answered_by: AnsweredBy::Human,
            raw: Some("human".into()),
            detection_ms: Some(1800),
        }));
        e.voicemail_left = true;
        e.awaiting_answer = true;
        let bytes = r#"{"index":0,"phone":"13018040009","status":"idle","version":0,"answer":{"answered_by":"human","raw":"human","detection_ms":1800},"awaiting_answer":true,"voicemail_left":true}"#;
        assert_eq!(serde_json::to_string(&e).unwrap(), bytes);
        assert_eq!(serde_json::from_str::<Entry>(bytes).unwrap(), e);
    }

    #[test]
    fn an_event_without_an_attempt_belongs_to_the_first() {
        let e: Event = serde_json::from_str(
            r#"{"at":"2026-11-23T20:01:02.123Z","event":"timed_out","after_ms":5,"applied":true}"#,
        )
        .unwrap();
        assert_eq!(e.attempt, 1);
    }

    #[test]
    fn stored_entries_keep_their_bytes() {
        let phone = Phone::parse("13018040009").unwrap();
        let fresh = Entry::new(0, phone.clone());
        // Zero attempts and dropped events are left out, and the bytes of
        // every release before that still read back the same.
        let fresh_bytes = r#"{"index":0,"phone":"13018040009","status":"idle","version":0}"#;
        assert_eq!(serde_json::to_string(&fresh).unwrap(), fresh_bytes);
        assert_eq!(serde_json::from_str::<Entry>(fresh_bytes).unwrap(), fresh);
        let older = r#"{"index":0,"phone":"13018040009","status":"idle","version":0,"attempt":0,"events_dropped":0}"#;
        assert_eq!(serde_json::from_str::<Entry>(older).unwrap(), fresh);
        let full = Entry::every_field_set();
        assert_eq!(full.details().dialed_at, Some(AT));
        let bytes = r#"{"index":3,"phone":"13018040009","status":"waiting","call_id":"CA9","token":"2-abc","dialed_at":"2026-11-23T20:01:02.123Z","updated_at":"2026-11-23T20:01:03.000Z","reason":"busy","version":12,"attempt":2,"answered":true,"sequence":4,"retry_at":"2026-11-23T20:06:02.123Z","first_dialed_at":"2026-11-23T20:00:00.000Z","name":"Ada","fields":["x",""],"events_dropped":1}"#;
        // The history is stored apart, one record per event: not in the
        // entry's record.
        let mut with_history = full.clone();
        with_history.details_mut().history = pinned().into_iter().map(|(e, _)| e).collect();
        assert_eq!(serde_json::to_string(&with_history).unwrap(), bytes);
        assert_eq!(serde_json::from_str::<Entry>(bytes).unwrap(), full);
    }
}

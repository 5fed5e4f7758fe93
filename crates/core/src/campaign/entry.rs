//! One list entry: its number, where its call stands, and its history.

use super::MAX_HISTORY;
use crate::api::{CallDetail, CallSummary, Event, EventKind};
use crate::call::CallId;
use crate::phone::Phone;
use crate::status::Status;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// One position in the list, with its own call. Stored as is by the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub index: usize,
    pub phone: Phone,
    pub status: Status,
    pub call_id: Option<CallId>,
    /// The per-dial secret in this entry's webhook URL.
    pub token: Option<String>,
    pub dialed_at: Option<Timestamp>,
    pub updated_at: Option<Timestamp>,
    pub reason: Option<String>,
    /// The campaign version of this entry's last change.
    pub version: u64,
    /// Kept apart by the store (one record per event), so that a webhook
    /// rewrites a small entry record plus one event, not the whole history.
    #[serde(skip)]
    pub history: Vec<Event>,
    pub events_dropped: u64,
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
            history: Vec::new(),
            events_dropped: 0,
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
                attempt: 1,
            });
        } else {
            self.events_dropped += 1;
        }
    }

    pub fn summary(&self) -> CallSummary {
        CallSummary {
            index: self.index,
            phone: self.phone.digits().to_string(),
            status: self.status,
            id: self.call_id.clone(),
            updated_at: self.updated_at,
            reason: self.reason.clone(),
            attempt: 0,
            answered: false,
            outcome: None,
            retry_at: None,
            name: None,
        }
    }

    pub fn detail(&self) -> CallDetail {
        CallDetail {
            call: self.summary(),
            dialed_at: self.dialed_at,
            history: self.history.clone(),
            events_dropped: self.events_dropped,
        }
    }
}

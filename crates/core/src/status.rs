//! The statuses a list entry moves through.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Where one list entry stands.
///
/// Statuses only move forward: `idle` → `dialing` → `ringing` → `answered` →
/// `completed`, with `failed` as the other final status. Stages may be skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Idle,
    Dialing,
    Ringing,
    Answered,
    Completed,
    Failed,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Idle,
        Status::Dialing,
        Status::Ringing,
        Status::Answered,
        Status::Completed,
        Status::Failed,
    ];

    /// Position in the forward order; both final statuses share the last rank
    /// so that neither can replace the other.
    pub fn rank(self) -> u8 {
        match self {
            Status::Idle => 0,
            Status::Dialing => 1,
            Status::Ringing => 2,
            Status::Answered => 3,
            Status::Completed | Status::Failed => 4,
        }
    }

    pub fn is_final(self) -> bool {
        matches!(self, Status::Completed | Status::Failed)
    }

    /// Holds one of the `concurrency` lines.
    pub fn is_in_flight(self) -> bool {
        matches!(self, Status::Dialing | Status::Ringing | Status::Answered)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Idle => "idle",
            Status::Dialing => "dialing",
            Status::Ringing => "ringing",
            Status::Answered => "answered",
            Status::Completed => "completed",
            Status::Failed => "failed",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_lowercase_words() {
        for s in Status::ALL {
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{s}\""));
        }
    }

    #[test]
    fn order_is_forward_and_finals_share_a_rank() {
        let ranks: Vec<u8> = Status::ALL.iter().map(|s| s.rank()).collect();
        assert_eq!(ranks, vec![0, 1, 2, 3, 4, 4]);
        assert!(Status::Completed.is_final() && Status::Failed.is_final());
        assert!(!Status::Idle.is_in_flight() && Status::Answered.is_in_flight());
    }
}

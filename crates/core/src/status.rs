//! The statuses a list entry moves through.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Where one list entry stands.
///
/// Within one attempt statuses only move forward: `idle` → `dialing` →
/// `ringing` → `answered` → `completed`, with `failed` as the other end of an
/// attempt. Stages may be skipped. An attempt that ends in a campaign's
/// `retry_on` outcome while attempts remain leaves the entry `waiting` for
/// its next one; a stopped campaign leaves its undialed entries `canceled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Idle,
    Dialing,
    Ringing,
    Answered,
    Completed,
    Failed,
    /// Holds no line: its next attempt is due at the entry's `retry_at`.
    Waiting,
    /// Final: never dialed (again) because its campaign was stopped.
    Canceled,
}

impl Status {
    pub const ALL: [Status; 8] = [
        Status::Idle,
        Status::Dialing,
        Status::Ringing,
        Status::Answered,
        Status::Completed,
        Status::Failed,
        Status::Waiting,
        Status::Canceled,
    ];

    /// Position in the forward order of one attempt; the final statuses
    /// share the last rank so that none can replace another. `waiting` is
    /// where the next attempt starts from, as `idle` is for the first.
    pub fn rank(self) -> u8 {
        match self {
            Status::Idle | Status::Waiting => 0,
            Status::Dialing => 1,
            Status::Ringing => 2,
            Status::Answered => 3,
            Status::Completed | Status::Failed | Status::Canceled => 4,
        }
    }

    pub fn is_final(self) -> bool {
        matches!(self, Status::Completed | Status::Failed | Status::Canceled)
    }

    /// Position in [`Status::ALL`], for tables of counts.
    pub fn position(self) -> usize {
        self as usize
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
            Status::Waiting => "waiting",
            Status::Canceled => "canceled",
        }
    }
}

/// How a final entry ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// An `answered` webhook came for its last attempt.
    Answered,
    /// Its last attempt completed (or the provider said busy or no-answer)
    /// without anyone picking up.
    NoAnswer,
    /// Its last attempt failed: refused, unreachable, timed out, or failed
    /// by the provider; the entry's `reason` says which.
    Failed,
    /// Its campaign was stopped before it was dialed (again).
    Canceled,
}

impl Outcome {
    pub const ALL: [Outcome; 4] = [
        Outcome::Answered,
        Outcome::NoAnswer,
        Outcome::Failed,
        Outcome::Canceled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Answered => "answered",
            Outcome::NoAnswer => "no_answer",
            Outcome::Failed => "failed",
            Outcome::Canceled => "canceled",
        }
    }

    /// Position in [`Outcome::ALL`].
    pub fn position(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Outcome {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Outcome::ALL
            .into_iter()
            .find(|o| o.as_str() == s)
            .ok_or_else(|| {
                format!("unknown outcome {s:?} (expected answered, no_answer, failed or canceled)")
            })
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
        assert_eq!(ranks, vec![0, 1, 2, 3, 4, 4, 0, 4]);
        for (i, s) in Status::ALL.into_iter().enumerate() {
            assert_eq!(s.position(), i);
        }
        assert!(Status::Completed.is_final() && Status::Failed.is_final());
        assert!(!Status::Idle.is_in_flight() && Status::Answered.is_in_flight());
    }
}

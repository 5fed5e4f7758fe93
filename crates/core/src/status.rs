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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// Never dialed: calling hours are on and its number has no known time
    /// zone (and the campaign no `fallback_timezone`), or its window never
    /// opens. Its status is `canceled`; its `reason` says which.
    Skipped,
    /// Never dialed (again): its number is on a do-not-call list, found
    /// when its turn came. Its status is `canceled`; its `reason` names
    /// the list, when the number was added and why.
    Suppressed,
    /// Its last attempt completed, answered by a machine (or a fax), as
    /// the campaign's answering-machine detection found. Its status is
    /// `completed`.
    Machine,
}

impl Outcome {
    pub const ALL: [Outcome; 7] = [
        Outcome::Answered,
        Outcome::NoAnswer,
        Outcome::Failed,
        Outcome::Canceled,
        Outcome::Skipped,
        Outcome::Suppressed,
        Outcome::Machine,
    ];

    /// The outcomes every campaign has, which clients show in fixed
    /// columns; `skipped` only happens with calling hours on, and a client
    /// shows it beside them when it counts any (as it would an outcome it
    /// does not know).
    pub const USUAL: [Outcome; 4] = [
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
            Outcome::Skipped => "skipped",
            Outcome::Suppressed => "suppressed",
            Outcome::Machine => "machine",
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
                format!("unknown outcome {s:?} (expected answered, no_answer, failed, canceled, skipped, suppressed or machine)")
            })
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A word of the API from a fixed set: a status or an outcome.
pub trait Word: Copy + serde::de::DeserializeOwned {
    fn as_str(self) -> &'static str;
}

impl Word for Status {
    fn as_str(self) -> &'static str {
        Status::as_str(self)
    }
}

impl Word for Outcome {
    fn as_str(self) -> &'static str {
        Outcome::as_str(self)
    }
}

/// A status or outcome as a client reads it: one this build knows, or the
/// text of one it does not. A newer server may report words that an older
/// client never heard of (a later release's outcomes, say); a client that
/// refused its whole answer for one such word would show nothing at all,
/// so it keeps the word and shows it as it came. Written out, either is
/// the bare word, byte for byte what the server sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Lenient<T> {
    Known(T),
    Unknown(String),
}

impl<T: Word> Lenient<T> {
    /// The word, when this build knows it.
    pub fn known(&self) -> Option<T> {
        match self {
            Lenient::Known(t) => Some(*t),
            Lenient::Unknown(_) => None,
        }
    }

    /// The word as the server wrote it.
    pub fn as_str(&self) -> &str {
        match self {
            Lenient::Known(t) => t.as_str(),
            Lenient::Unknown(s) => s,
        }
    }
}

impl Lenient<Status> {
    /// Final, as far as this build can tell: an unknown status is not.
    pub fn is_final(&self) -> bool {
        self.known().is_some_and(Status::is_final)
    }

    /// Holding a line, as far as this build can tell.
    pub fn is_in_flight(&self) -> bool {
        self.known().is_some_and(Status::is_in_flight)
    }
}

impl<T> From<T> for Lenient<T> {
    fn from(t: T) -> Self {
        Lenient::Known(t)
    }
}

impl<T: PartialEq> PartialEq<T> for Lenient<T> {
    fn eq(&self, other: &T) -> bool {
        matches!(self, Lenient::Known(t) if t == other)
    }
}

impl<T: Word> fmt::Display for Lenient<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<T: Word> Serialize for Lenient<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de, T: Word> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::IntoDeserializer;
        let text = String::deserialize(d)?;
        let known: Result<T, serde::de::value::Error> =
            T::deserialize(text.as_str().into_deserializer());
        Ok(known.map_or(Lenient::Unknown(text), Lenient::Known))
    }
}

/// What a response's status or outcome field says, read as a word this
/// build knows: the server's own types always are, a client's lenient
/// ones may not be.
pub trait AsKnown<T> {
    fn as_known(&self) -> Option<T>;
}

impl AsKnown<Status> for Status {
    fn as_known(&self) -> Option<Status> {
        Some(*self)
    }
}

impl AsKnown<Outcome> for Outcome {
    fn as_known(&self) -> Option<Outcome> {
        Some(*self)
    }
}

impl<T: Word> AsKnown<T> for Lenient<T> {
    fn as_known(&self) -> Option<T> {
        self.known()
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
    fn a_word_this_build_does_not_know_is_kept_as_text() {
        let read: Vec<Lenient<Status>> =
            serde_json::from_str(r#"["ringing", "paused_by_rule"]"#).unwrap();
        assert_eq!(
            read,
            [
                Lenient::Known(Status::Ringing),
                Lenient::Unknown("paused_by_rule".into())
            ]
        );
        assert_eq!(read[0], Status::Ringing);
        assert_eq!(read[1].as_str(), "paused_by_rule");
        assert!(!read[1].is_final() && !read[1].is_in_flight());
        let outcome: Lenient<Outcome> = serde_json::from_str(r#""voicemail""#).unwrap();
        assert_eq!(outcome.known(), None);
        assert_eq!(outcome.to_string(), "voicemail");
        // Written back byte for byte, known or not.
        assert_eq!(
            serde_json::to_string(&read).unwrap(),
            r#"["ringing","paused_by_rule"]"#
        );
        for o in Outcome::ALL {
            let known = Lenient::from(o);
            assert_eq!(
                serde_json::to_string(&known).unwrap(),
                serde_json::to_string(&o).unwrap()
            );
        }
        assert!(
            serde_json::from_str::<Lenient<Status>>("7").is_err(),
            "a word, still"
        );
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

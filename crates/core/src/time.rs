//! The two clocks the core is told about; it never reads either itself.
//!
//! - [`Timestamp`]: wall-clock milliseconds since the Unix epoch, for what
//!   people see and what is stored (`dialed_at`, `updated_at`, the wire's
//!   times), and to rebuild deadlines after a restart. Serialised as RFC 3339
//!   UTC with milliseconds (`2026-11-23T20:01:02.123Z`); the calendar
//!   arithmetic and the text come from `jiff`.
//! - [`Mono`]: a monotonic reading, which call deadlines are measured on
//!   inside one process. The wall clock can be stepped (an operator, NTP
//!   after a long outage, a VM resumed): measured on it, a step forward
//!   would fail every call in flight at once and a step back would hold
//!   their lines for as long as the step.
//!
//! [`Now`] carries one reading of each, taken together, to the methods that
//! start or check a deadline.

use jiff::SignedDuration;
use jiff::civil::{DateTime, datetime};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub u64);

impl Timestamp {
    pub fn from_millis(ms: u64) -> Self {
        Timestamp(ms)
    }

    pub fn millis(self) -> u64 {
        self.0
    }

    pub fn plus_millis(self, ms: u64) -> Self {
        Timestamp(self.0.saturating_add(ms))
    }

    /// Milliseconds from `earlier` to `self`, zero if `earlier` is later.
    pub fn since(self, earlier: Timestamp) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

/// Milliseconds on a monotonic clock, from an origin the caller chooses
/// (the server: its first reading in the process). Only differences between
/// readings of one process mean anything, so it is never stored or sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Mono(pub u64);

impl Mono {
    pub fn plus_millis(self, ms: u64) -> Self {
        Mono(self.0.saturating_add(ms))
    }

    /// Milliseconds from `earlier` to `self`, zero if `earlier` is later.
    pub fn since(self, earlier: Mono) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

/// Both clocks read at one moment: `wall` for what is recorded, `mono` for
/// when a deadline falls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    pub wall: Timestamp,
    pub mono: Mono,
}

impl Now {
    /// Both clocks moved on by `ms`, as they do when nobody steps the wall
    /// clock.
    pub fn plus_millis(self, ms: u64) -> Self {
        Now {
            wall: self.wall.plus_millis(ms),
            mono: self.mono.plus_millis(ms),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected a UTC timestamp like 2026-11-23T20:01:02.123Z, got {0:?}")]
pub struct TimestampError(String);

/// The Unix epoch as a UTC wall-clock reading.
///
/// Timestamps go through jiff's civil `DateTime` rather than its
/// `Timestamp` because the wire format has no offset to apply, and
/// `jiff::Timestamp` stops about a day short of the end of year 9999 (so
/// that any offset can still be added to it); the civil type reaches
/// 9999-12-31T23:59:59.999, the last instant this format can write.
const EPOCH: DateTime = datetime(1970, 1, 1, 0, 0, 0, 0);

/// The last millisecond with a four-digit year. Later readings (no clock
/// gives one; only a saturated `plus_millis` can) are written as this one,
/// so that the text keeps its shape and its readers keep parsing it.
const LAST: DateTime = datetime(9999, 12, 31, 23, 59, 59, 999_000_000);

impl Timestamp {
    fn civil(self) -> DateTime {
        i64::try_from(self.0)
            .ok()
            .and_then(|ms| EPOCH.checked_add(SignedDuration::from_millis(ms)).ok())
            .unwrap_or(LAST)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3}Z", self.civil())
    }
}

/// Whether `civil` (the text before the `Z`) has the one shape this crate
/// writes, `YYYY-MM-DDTHH:MM:SS`, with or without `.fff`. jiff's parser
/// alone takes more (a space or a `t` for the `T`, a comma, one to nine
/// fraction digits, forms without separators); accepting those would let a
/// peer come to rely on text that other readers of this API refuse.
fn has_wire_shape(civil: &str) -> bool {
    const SHAPE: &[u8] = b"dddd-dd-ddTdd:dd:dd.ddd";
    let fits = civil.len() == SHAPE.len() || civil.len() == SHAPE.len() - 4;
    fits && civil.bytes().zip(SHAPE).all(|(c, &want)| match want {
        b'd' => c.is_ascii_digit(),
        _ => c == want,
    })
}

impl FromStr for Timestamp {
    type Err = TimestampError;

    /// Accepts `YYYY-MM-DDTHH:MM:SS[.fff]Z`, the form this crate writes, for
    /// real calendar dates from the epoch on. A leap second (`:60`) reads as
    /// `:59`, as jiff reads it: the Unix clock has no 61st second to map it to.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || TimestampError(s.to_string());
        let civil = s
            .strip_suffix('Z')
            .filter(|c| has_wire_shape(c))
            .ok_or_else(err)?;
        let t: DateTime = civil.parse().map_err(|_| err())?;
        let ms = t.duration_since(EPOCH).as_millis();
        u64::try_from(ms).map(Timestamp).map_err(|_| err())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Instants whose text was worked out independently of this code.
    const KNOWN: [(u64, &str); 8] = [
        (0, "1970-01-01T00:00:00.000Z"),
        (1, "1970-01-01T00:00:00.001Z"),
        (551_491_199_999, "1987-06-23T23:59:59.999Z"),
        (946_684_799_999, "1999-12-31T23:59:59.999Z"),
        (951_782_400_000, "2000-02-29T00:00:00.000Z"),
        (1_709_210_096_789, "2024-02-29T12:34:56.789Z"),
        (1_795_464_062_123, "2026-11-23T20:01:02.123Z"),
        (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
    ];

    #[test]
    fn formats_and_parses_known_instants() {
        for (ms, text) in KNOWN {
            assert_eq!(Timestamp(ms).to_string(), text);
            assert_eq!(text.parse::<Timestamp>(), Ok(Timestamp(ms)), "{text}");
        }
    }

    #[test]
    fn past_year_9999_keeps_the_shape() {
        for ms in [253_402_300_800_000, u64::MAX] {
            assert_eq!(Timestamp(ms).to_string(), "9999-12-31T23:59:59.999Z");
        }
    }

    #[test]
    fn rejects_other_shapes() {
        for bad in [
            "",
            "Z",
            "2026-11-23 20:01:02.123Z",
            "2026-11-23t20:01:02.123Z",
            "2026-11-23T20:01:02.123",
            "2026-11-23T20:01:02.123z",
            "2026-11-23T20:01:02.123+00:00",
            "2026-13-23T20:01:02.123Z",
            "2026-11-23T20:01:02.12Z",
            "2026-11-23T20:01:02.1234Z",
            "2026-11-23T20:01:02,123Z",
            "2026-11-23T20:01:02.Z",
            "2026-11-23T2x:01:02.123Z",
            "2026-11-23T24:00:00.000Z",
            "2026-02-30T00:00:00.000Z",
            "20261123T200102.123Z",
            "+002026-11-23T20:01:02.123Z",
            "1969-12-31T23:59:59.999Z",
            "2026-11-23T20:01:02.１23Z",
        ] {
            assert!(bad.parse::<Timestamp>().is_err(), "{bad}");
        }
        assert_eq!(
            "2026-11-23T20:01:02Z".parse::<Timestamp>().unwrap(),
            Timestamp(1_795_464_062_000)
        );
        assert_eq!(
            "1998-12-31T23:59:60.500Z".parse::<Timestamp>(),
            "1998-12-31T23:59:59.500Z".parse::<Timestamp>(),
            "a leap second reads as the second before it"
        );
    }

    #[test]
    fn serde_uses_the_text() {
        let t = Timestamp(1_795_464_062_123);
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, "\"2026-11-23T20:01:02.123Z\"");
        assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), t);
    }

    proptest! {
        #[test]
        fn round_trips(ms in 0u64..=253_402_300_799_999) {
            let t = Timestamp(ms);
            let text = t.to_string();
            prop_assert_eq!(text.len(), 24);
            prop_assert_eq!(text.parse::<Timestamp>().unwrap(), t);
        }
    }
}

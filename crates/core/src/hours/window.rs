//! A campaign's calling-hours settings, parsed once: the daily window,
//! the days of the week, the holidays and the fallback zone. Each has a
//! text form (what flags, query parameters and JSON take) and the same form
//! in serde, so stored settings read the way people write them.

use crate::zones::ZoneName;
use jiff::civil::{Date, Weekday};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Minutes in a day; a window's end may be `24:00`, this value.
pub(crate) const DAY_MINUTES: u16 = 24 * 60;

/// Why a calling-hours setting does not parse. Each names the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HoursError {
    #[error("calling hours {0:?}: expected HH:MM-HH:MM (like 08:00-21:00) or off")]
    Shape(String),
    #[error(
        "calling hours {text:?}: {time:?} is not a time of day (00:00 to 23:59, or 24:00 as an end)"
    )]
    Time { text: String, time: String },
    #[error("calling hours {0:?}: the window is empty (it starts where it ends)")]
    Empty(String),
    #[error(
        "days {text:?}: {day:?} is not a day (use mon, tue, wed, thu, fri, sat, sun, ranges like mon-fri, lists like mon,wed,fri)"
    )]
    Day { text: String, day: String },
    #[error("days {0:?}: no day given")]
    NoDays(String),
    #[error("holiday {0:?} is not a date (expected YYYY-MM-DD, like 2026-12-25)")]
    Holiday(String),
}

/// A daily window in local time, `[start, end)` in minutes from midnight.
/// `start > end` crosses midnight: `21:00-08:00` is open from 21:00 until
/// 08:00 the next morning. `end` may be 24:00; a window never starts where
/// it ends (that would be empty; `00:00-24:00` is the whole day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Window {
    start: u16,
    end: u16,
}

impl Window {
    /// Whether the minute of the day (0..1440) is inside.
    pub fn contains(self, minute: u16) -> bool {
        if self.start < self.end {
            (self.start..self.end).contains(&minute)
        } else {
            minute >= self.start || minute < self.end
        }
    }

    pub fn start(self) -> u16 {
        self.start
    }

    pub fn end(self) -> u16 {
        self.end
    }

    /// As people read it, with an en dash: `08:00–21:00`.
    pub fn shown(self) -> String {
        format!("{}–{}", hhmm(self.start), hhmm(self.end))
    }
}

fn hhmm(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// `H:MM` or `HH:MM` as minutes from midnight; `24:00` only when `end`.
fn parse_time(text: &str, time: &str, end: bool) -> Result<u16, HoursError> {
    let err = || HoursError::Time {
        text: text.to_string(),
        time: time.to_string(),
    };
    let (h, m) = time.split_once(':').ok_or_else(err)?;
    let number = |s: &str, lens: std::ops::RangeInclusive<usize>| {
        (lens.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u16>().ok())
            .flatten()
            .ok_or_else(err)
    };
    let (h, m) = (number(h, 1..=2)?, number(m, 2..=2)?);
    match (h, m) {
        (24, 0) if end => Ok(DAY_MINUTES),
        (0..=23, 0..=59) => Ok(h * 60 + m),
        _ => Err(err()),
    }
}

impl FromStr for Window {
    type Err = HoursError;

    /// `HH:MM-HH:MM`; spaces around the dash and an en dash are accepted.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        let (a, b) = text
            .split_once('-')
            .or_else(|| text.split_once('–'))
            .ok_or_else(|| HoursError::Shape(s.to_string()))?;
        let start = parse_time(s, a.trim(), false)?;
        let end = parse_time(s, b.trim(), true)?;
        if start == end {
            return Err(HoursError::Empty(s.to_string()));
        }
        Ok(Window { start, end })
    }
}

impl fmt::Display for Window {
    /// The form it parses from: `08:00-21:00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", hhmm(self.start), hhmm(self.end))
    }
}

/// A campaign's `calling_hours`: `off` (dial at any hour) or a window.
/// `off` is the default, so a campaign stored before calling hours existed
/// keeps dialing as it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CallingHours {
    #[default]
    Off,
    Window(Window),
}

impl CallingHours {
    pub fn window(self) -> Option<Window> {
        match self {
            CallingHours::Off => None,
            CallingHours::Window(w) => Some(w),
        }
    }
}

impl FromStr for CallingHours {
    type Err = HoursError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().eq_ignore_ascii_case("off") {
            Ok(CallingHours::Off)
        } else {
            s.parse().map(CallingHours::Window)
        }
    }
}

impl fmt::Display for CallingHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallingHours::Off => f.write_str("off"),
            CallingHours::Window(w) => w.fmt(f),
        }
    }
}

/// The days of the week calls may be made, in the callee's local date.
/// Default: every day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Days(u8);

const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const FULL_NAMES: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

impl Days {
    pub const EVERY_DAY: Days = Days(0x7f);

    pub fn allows(self, day: Weekday) -> bool {
        self.0 & (1 << day.to_monday_zero_offset()) != 0
    }

    pub fn is_every_day(self) -> bool {
        self == Days::EVERY_DAY
    }
}

impl Default for Days {
    fn default() -> Self {
        Days::EVERY_DAY
    }
}

fn day_index(name: &str) -> Option<u8> {
    let name = name.trim().to_ascii_lowercase();
    let at = |names: [&str; 7]| names.iter().position(|&n| n == name);
    at(DAY_NAMES).or_else(|| at(FULL_NAMES)).map(|i| i as u8)
}

impl FromStr for Days {
    type Err = HoursError;

    /// Day names (`mon` or `monday`), ranges (`mon-fri`; `fri-mon` wraps
    /// over the weekend) and lists of both (`mon,wed,fri-sun`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |day: &str| HoursError::Day {
            text: s.to_string(),
            day: day.trim().to_string(),
        };
        if s.trim().is_empty() {
            return Err(HoursError::NoDays(s.to_string()));
        }
        let mut mask = 0u8;
        for part in s.split(',') {
            match part.split_once('-') {
                Some((a, b)) => {
                    let a = day_index(a).ok_or_else(|| bad(part))?;
                    let b = day_index(b).ok_or_else(|| bad(part))?;
                    let mut d = a;
                    loop {
                        mask |= 1 << d;
                        if d == b {
                            break;
                        }
                        d = (d + 1) % 7;
                    }
                }
                None => mask |= 1 << day_index(part).ok_or_else(|| bad(part))?,
            }
        }
        Ok(Days(mask))
    }
}

impl fmt::Display for Days {
    /// Runs of days as ranges, Monday first: `mon-fri`, `mon,wed,fri`,
    /// `mon-sun`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        let mut d = 0;
        while d < 7 {
            if self.0 & (1 << d) == 0 {
                d += 1;
                continue;
            }
            let mut e = d;
            while e + 1 < 7 && self.0 & (1 << (e + 1)) != 0 {
                e += 1;
            }
            if !first {
                f.write_str(",")?;
            }
            first = false;
            f.write_str(DAY_NAMES[d])?;
            if e > d {
                write!(f, "-{}", DAY_NAMES[e])?;
            }
            d = e + 1;
        }
        Ok(())
    }
}

/// Dates on which nothing is dialed, in the callee's local date. Kept
/// sorted, without repeats.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Holidays(Vec<Date>);

impl Holidays {
    pub fn contains(&self, date: Date) -> bool {
        !self.0.is_empty() && self.0.binary_search(&date).is_ok()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn dates(&self) -> &[Date] {
        &self.0
    }

    fn from_dates(mut dates: Vec<Date>) -> Self {
        dates.sort();
        dates.dedup();
        Holidays(dates)
    }
}

/// One `YYYY-MM-DD` date, exactly that shape.
fn parse_date(s: &str) -> Result<Date, HoursError> {
    let t = s.trim();
    let shaped = t.len() == 10
        && t.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    shaped
        .then(|| t.parse::<Date>().ok())
        .flatten()
        .ok_or_else(|| HoursError::Holiday(s.to_string()))
}

impl FromStr for Holidays {
    type Err = HoursError;

    /// A comma-separated list of dates (`2026-12-25,2027-01-01`); empty
    /// for none.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().is_empty() {
            return Ok(Holidays::default());
        }
        s.split(',')
            .map(parse_date)
            .collect::<Result<_, _>>()
            .map(Holidays::from_dates)
    }
}

impl fmt::Display for Holidays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

/// A campaign's calling-hours settings. Every field defaults, so settings
/// stored before calling hours existed read as `off`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Hours {
    #[serde(default)]
    pub calling_hours: CallingHours,
    #[serde(default)]
    pub days: Days,
    #[serde(default)]
    pub holidays: Holidays,
    /// The zone of numbers whose own zone is unknown (`tz_unknown`); without
    /// it they are skipped while a window is on.
    #[serde(default)]
    pub fallback_timezone: Option<ZoneName>,
}

impl Hours {
    /// Nothing set: calling hours off, every day, no holiday, no fallback;
    /// what a campaign stored before calling hours existed reads as.
    pub fn is_default(&self) -> bool {
        *self == Hours::default()
    }

    /// Calling hours `off` with every day allowed: nothing is checked.
    pub fn is_off(&self) -> bool {
        self.calling_hours.window().is_none()
    }
}

macro_rules! serde_as_text {
    ($($t:ty),*) => {$(
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    )*};
}

serde_as_text!(Window, CallingHours, Days);

impl Serialize for Holidays {
    /// A list of `YYYY-MM-DD` strings.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|d| d.to_string()))
    }
}

impl<'de> Deserialize<'de> for Holidays {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let texts = Vec::<String>::deserialize(d)?;
        texts
            .iter()
            .map(|t| parse_date(t))
            .collect::<Result<_, _>>()
            .map(Holidays::from_dates)
            .map_err(serde::de::Error::custom)
    }
}

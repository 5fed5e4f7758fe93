//! The verdict of calling hours for one entry at one instant: open now,
//! wait until the first instant every zone of its set is open, never, or
//! unknown (no zone). Pure: the instant is an argument, the zones come from
//! the bundled tz database.

use super::rules::CallingRule;
use super::window::{DAY_MINUTES, Days, Holidays, Hours, Window};
use crate::time::Timestamp;
use crate::zones::{Clock, ZoneSetId};
use jiff::SignedDuration;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// The reason of an entry skipped because its number has no known zone
/// and the campaign no `fallback_timezone`.
pub const UNKNOWN_REASON: &str = "time zone unknown";

/// How far ahead the search for an opening looks. A window, days and
/// holidays that leave no instant open in every zone for a whole year
/// (every day a holiday; a set of zones 21 hours apart) never open.
const HORIZON: SignedDuration = SignedDuration::from_hours(366 * 24);

/// What calling hours say about dialing an entry now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Inside the window in every zone, or calling hours are off.
    Open,
    /// Closed now; `at` is the first instant at or after now when every
    /// zone is open (checked again then: the settings may have changed).
    WaitUntil { at: Timestamp, reason: String },
    /// No instant within a year is open in every zone.
    Never { reason: String },
    /// The number has no known zone and the campaign no fallback: skipped,
    /// with [`UNKNOWN_REASON`].
    Unknown,
}

impl Verdict {
    /// The text for the entry's history and `reason`; `None` when open.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Verdict::Open => None,
            Verdict::WaitUntil { reason, .. } | Verdict::Never { reason } => Some(reason),
            Verdict::Unknown => Some(UNKNOWN_REASON),
        }
    }
}

/// One campaign's calling hours, intersected with the stricter rule that
/// matches a number (if any), ready to answer verdicts. Build one per
/// campaign and matching rule, not per entry: a verdict then costs a few
/// hundred nanoseconds when open.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// `None`: calling hours off, every verdict is `Open`.
    mask: Option<Mask>,
    days: Days,
    holidays: Holidays,
    fallback: Option<ZoneSetId>,
    /// The window as reasons show it: `08:00–20:00 (Florida) mon-fri`.
    shown: String,
}

/// The minutes of the day that are open, as bits, and where each open run
/// starts (the only local times, with midnight, at which a closed zone can
/// open without a clock change).
#[derive(Debug, Clone)]
struct Mask {
    bits: [u64; 23],
    starts: Vec<u16>,
}

impl Mask {
    fn new(windows: &[Window]) -> Mask {
        let mut bits = [0u64; 23];
        for m in 0..DAY_MINUTES {
            if windows.iter().all(|w| w.contains(m)) {
                bits[usize::from(m / 64)] |= 1 << (m % 64);
            }
        }
        let mut mask = Mask {
            bits,
            starts: Vec::new(),
        };
        mask.starts = (0..DAY_MINUTES)
            .filter(|&m| mask.contains(m) && (m == 0 || !mask.contains(m - 1)))
            .collect();
        mask
    }

    fn contains(&self, minute: u16) -> bool {
        self.bits[usize::from(minute / 64)] & (1 << (minute % 64)) != 0
    }

    fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// The open runs as `HH:MM–HH:MM`, a run over midnight as one.
    fn shown(&self) -> String {
        let mut runs: Vec<(u16, u16)> = Vec::new();
        for &s in &self.starts {
            let mut e = s;
            while e < DAY_MINUTES && self.contains(e) {
                e += 1;
            }
            runs.push((s, e));
        }
        if runs.len() > 1 && runs[0].0 == 0 && runs[runs.len() - 1].1 == DAY_MINUTES {
            let first = runs.remove(0);
            let last = runs.len() - 1;
            runs[last].1 = first.1;
        }
        runs.iter()
            .map(|&(s, e)| format!("{:02}:{:02}–{:02}:{:02}", s / 60, s % 60, e / 60, e % 60))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Schedule {
    /// The campaign's `hours`, narrowed by `rule` (the stricter window of
    /// the rules file that matches the number, if any). With calling hours
    /// `off` nothing is checked, the rules file included: `off` is the
    /// operator's explicit choice (and what the simulators run with).
    pub fn new(hours: &Hours, rule: Option<&CallingRule>) -> Schedule {
        let mask = hours.calling_hours.window().map(|w| {
            let mut windows = vec![w];
            windows.extend(rule.map(|r| r.window));
            Mask::new(&windows)
        });
        let mut shown = mask.as_ref().map(Mask::shown).unwrap_or_default();
        if let Some(rule) = rule {
            shown.push_str(&format!(" ({})", rule.name));
        }
        if !hours.days.is_every_day() {
            shown.push_str(&format!(" {}", hours.days));
        }
        Schedule {
            mask,
            days: hours.days,
            holidays: hours.holidays.clone(),
            fallback: hours.fallback_timezone.map(|z| z.set_id()),
            shown,
        }
    }

    /// Whether calling hours are off (every verdict `Open`).
    pub fn is_off(&self) -> bool {
        self.mask.is_none()
    }

    /// The verdict for an entry whose number has `zones` (`None`:
    /// `tz_unknown`, then the campaign's fallback zone, if any) at `now`.
    pub fn verdict(&self, zones: Option<ZoneSetId>, now: Timestamp) -> Verdict {
        let Some(mask) = &self.mask else {
            return Verdict::Open;
        };
        let Some(set) = zones.or(self.fallback).map(ZoneSetId::set) else {
            return Verdict::Unknown;
        };
        let never = || Verdict::Never {
            reason: format!(
                "calling hours {} never open in {set} within a year",
                self.shown
            ),
        };
        if mask.is_empty() {
            return never();
        }
        let Some(now_j) = i64::try_from(now.millis())
            .ok()
            .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        else {
            return never();
        };
        let Some(limit) = now_j.checked_add(HORIZON).ok() else {
            return never();
        };
        let mut t = now_j;
        let mut binding: Option<&Clock> = None;
        loop {
            let mut moved = false;
            for clock in set.clocks() {
                match self.next_open(mask, &clock.tz, t, limit) {
                    None => return never(),
                    Some(next) if next > t => {
                        t = next;
                        binding = Some(clock);
                        moved = true;
                    }
                    Some(_) => {}
                }
            }
            if !moved {
                break;
            }
        }
        match binding {
            None => Verdict::Open,
            Some(clock) => Verdict::WaitUntil {
                at: Timestamp::from_millis(u64::try_from(t.as_millisecond()).unwrap_or(0)),
                reason: self.reason(clock, now_j, t),
            },
        }
    }

    /// "outside calling hours 08:00–21:00 America/Denver until 2026-12-03
    /// 08:00 MST", with the holiday when today is one in that zone.
    fn reason(&self, clock: &Clock, now: jiff::Timestamp, at: jiff::Timestamp) -> String {
        let today = clock.tz.to_datetime(now).date();
        let holiday = if self.holidays.contains(today) {
            format!(" (holiday {today})")
        } else {
            String::new()
        };
        let local = clock.tz.to_datetime(at);
        let info = clock.tz.to_offset_info(at);
        format!(
            "outside calling hours {} {}{holiday} until {} {:02}:{:02} {}",
            self.shown,
            clock.name,
            local.date(),
            local.hour(),
            local.minute(),
            info.abbreviation()
        )
    }

    fn day_allowed(&self, date: Date) -> bool {
        self.days.allows(date.weekday()) && !self.holidays.contains(date)
    }

    fn open_in(&self, mask: &Mask, tz: &TimeZone, t: jiff::Timestamp) -> bool {
        let local = tz.to_datetime(t);
        let minute = u16::try_from(i16::from(local.hour()) * 60 + i16::from(local.minute()))
            .unwrap_or_default();
        mask.contains(minute) && self.day_allowed(local.date())
    }

    /// The first instant in `[from, limit]` at which this one zone is open.
    ///
    /// Local time only enters the window at a run's start, at midnight (a
    /// new day allowed) or at a clock change (a jump forward over a run's
    /// start, or back into a run), so those instants are the only
    /// candidates: each local edge in both readings of an ambiguous time,
    /// and every transition of the zone.
    fn next_open(
        &self,
        mask: &Mask,
        tz: &TimeZone,
        from: jiff::Timestamp,
        limit: jiff::Timestamp,
    ) -> Option<jiff::Timestamp> {
        if self.open_in(mask, tz, from) {
            return Some(from);
        }
        let mut best: Option<jiff::Timestamp> = None;
        let mut date = tz.to_datetime(from).date().yesterday().ok()?;
        let last = tz.to_datetime(limit).date().tomorrow().ok()?;
        let mut stop_after: Option<Date> = None;
        while date <= last {
            if self.day_allowed(date) {
                for &m in mask.starts.iter().chain(std::iter::once(&0)) {
                    let hour = i8::try_from(m / 60).unwrap_or_default();
                    let minute = i8::try_from(m % 60).unwrap_or_default();
                    let ambiguous = tz.to_ambiguous_timestamp(date.at(hour, minute, 0, 0));
                    for c in [ambiguous.earlier(), ambiguous.later()]
                        .into_iter()
                        .flatten()
                    {
                        if c > from
                            && c <= limit
                            && best.is_none_or(|b| c < b)
                            && self.open_in(mask, tz, c)
                        {
                            best = Some(c);
                        }
                    }
                }
            }
            // A fold can put the next day's edges before this day's; one
            // more day settles it.
            if best.is_some() && stop_after.is_none() {
                stop_after = date.tomorrow().ok();
            }
            if stop_after == Some(date) {
                break;
            }
            date = date.tomorrow().ok()?;
        }
        let end = best.unwrap_or(limit);
        let by_transition = tz
            .following(from)
            .map(|tr| tr.timestamp())
            .take_while(|&t| t < end)
            .find(|&t| self.open_in(mask, tz, t));
        by_transition.or(best)
    }
}

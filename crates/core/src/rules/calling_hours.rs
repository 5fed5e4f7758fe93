//! Calling hours as a dial-time rule: an entry is dialed only while the
//! local time is inside its campaign's window in every zone of its set
//! (narrowed by the stricter rules file, if the server has one); otherwise
//! it waits for the first instant all its zones open. A number with no
//! known zone, while a window is on and the campaign has no fallback zone,
//! is skipped for good.

use super::{Candidate, Rule, Verdict};
use crate::hours::{CallingRules, Hours, RuleId, Schedule, Verdict as HoursVerdict};
use crate::status::Outcome;
use crate::time::Now;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Schedules kept at most: one per campaign setting and matching rule of
/// the file, so a server meets a handful; past this the cache starts over
/// rather than grow.
const SCHEDULES_KEPT: usize = 1024;

/// Schedules by the campaign settings and the rule of the file they were
/// built for.
type Schedules = HashMap<(Hours, Option<RuleId>), Arc<Schedule>>;

/// The calling-hours rule of a server: its rules file (if any), and the
/// schedules built from each campaign's settings, kept so that a verdict
/// costs a lookup and not the building of a window.
#[derive(Debug, Default)]
pub struct CallingHoursRule {
    file: Option<CallingRules>,
    schedules: RwLock<Schedules>,
}

impl CallingHoursRule {
    /// The rule with the stricter windows of `file` intersected with every
    /// campaign's.
    pub fn new(file: Option<CallingRules>) -> Self {
        CallingHoursRule {
            file,
            schedules: RwLock::default(),
        }
    }

    /// The schedule of `hours` narrowed by rule `rule` of the file.
    fn schedule(&self, hours: &Hours, rule: Option<RuleId>) -> Arc<Schedule> {
        let key = (hours.clone(), rule);
        if let Some(s) = self
            .schedules
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return s.clone();
        }
        let rule_of_file = rule.and_then(|id| self.file.as_ref().map(|f| f.get(id)));
        let schedule = Arc::new(Schedule::new(hours, rule_of_file));
        let mut all = self.schedules.write().unwrap_or_else(|e| e.into_inner());
        if all.len() >= SCHEDULES_KEPT {
            all.clear();
        }
        all.insert(key, schedule.clone());
        schedule
    }
}

impl Rule for CallingHoursRule {
    fn name(&self) -> &'static str {
        "calling_hours"
    }

    fn check(&self, c: Candidate<'_>, now: Now) -> Verdict {
        if c.hours.calling_hours.window().is_none() {
            return Verdict::Dial;
        }
        let digits = c.entry.phone.digits();
        let rule = self.file.as_ref().and_then(|f| f.rule_for(digits));
        let schedule = self.schedule(c.hours, rule);
        match schedule.verdict(c.entry.zone_set(), now.wall) {
            HoursVerdict::Open => Verdict::Dial,
            HoursVerdict::WaitUntil { at, reason } => Verdict::WaitUntil {
                at,
                reason: Some(reason),
            },
            v @ (HoursVerdict::Never { .. } | HoursVerdict::Unknown) => Verdict::Never {
                reason: v.reason().unwrap_or_default().to_string(),
                outcome: Outcome::Skipped,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::Entry;
    use crate::phone::Phone;
    use crate::time::{Mono, Timestamp};
    use crate::zones::parse_zone;

    /// 2026-12-02 12:00 UTC: 07:00 in New York, 05:00 in Denver.
    const NOON_UTC: u64 = 1_796_212_800_000;

    fn at(ms: u64) -> Now {
        Now {
            wall: Timestamp(ms),
            mono: Mono(1),
        }
    }

    fn verdict(rule: &CallingHoursRule, e: &Entry, hours: &Hours, ms: u64) -> Verdict {
        let c = Candidate {
            entry: e,
            due: None,
            hours,
            campaign: 2,
        };
        rule.check(c, at(ms))
    }

    fn window(text: &str) -> Hours {
        Hours {
            calling_hours: text.parse().unwrap(),
            ..Hours::default()
        }
    }

    #[test]
    fn a_closed_zone_waits_with_a_reason_and_an_open_one_dials() {
        let rule = CallingHoursRule::new(None);
        let ny = Entry::new(0, Phone::parse("12124567890").unwrap());
        let hours = window("08:00-21:00");
        let Verdict::WaitUntil { at: t, reason } = verdict(&rule, &ny, &hours, NOON_UTC) else {
            panic!("07:00 in New York is closed");
        };
        assert_eq!(t, Timestamp(NOON_UTC + 3_600_000), "08:00 EST");
        assert_eq!(
            reason.as_deref(),
            Some("outside calling hours 08:00–21:00 America/New_York until 2026-12-02 08:00 EST")
        );
        assert_eq!(verdict(&rule, &ny, &hours, t.millis()), Verdict::Dial);
        assert_eq!(
            verdict(&rule, &ny, &Hours::default(), NOON_UTC),
            Verdict::Dial,
            "off"
        );
        let mut denver = ny.clone();
        denver.zones = Some(parse_zone("America/Denver").unwrap());
        let Verdict::WaitUntil { at: d, .. } = verdict(&rule, &denver, &hours, t.millis()) else {
            panic!("06:00 in Denver is closed");
        };
        assert_eq!(
            d,
            Timestamp(NOON_UTC + 3 * 3_600_000),
            "the import's zone wins"
        );
    }

    #[test]
    fn a_number_of_a_whole_multi_zone_country_is_skipped_unless_a_fallback_is_set() {
        let rule = CallingHoursRule::new(None);
        // +1 800: toll free, the `1` row only.
        let e = Entry::new(0, Phone::parse("18004444444").unwrap());
        assert_eq!(e.zone_set(), None);
        let mut hours = window("08:00-21:00");
        assert_eq!(
            verdict(&rule, &e, &hours, NOON_UTC),
            Verdict::Never {
                reason: "time zone unknown".into(),
                outcome: Outcome::Skipped
            }
        );
        hours.fallback_timezone = Some("Europe/Paris".parse().unwrap());
        assert_eq!(
            verdict(&rule, &e, &hours, NOON_UTC),
            Verdict::Dial,
            "13:00 in Paris"
        );
        assert_eq!(
            verdict(&rule, &e, &Hours::default(), NOON_UTC),
            Verdict::Dial,
            "no window, no zone needed"
        );
    }

    #[test]
    fn the_rules_file_narrows_the_window_of_its_prefixes() {
        let file = CallingRules::parse(
            "[[rule]]\nname = \"Florida\"\nhours = \"08:00-20:00\"\nprefixes = [\"1305\"]\n",
        )
        .unwrap();
        let rule = CallingHoursRule::new(Some(file));
        let miami = Entry::new(0, Phone::parse("13055551234").unwrap());
        let ny = Entry::new(1, Phone::parse("12124567890").unwrap());
        let hours = window("08:00-21:00");
        // 2026-12-03 01:30 UTC: 20:30 EST in both.
        let evening = NOON_UTC + 13 * 3_600_000 + 1_800_000;
        assert_eq!(verdict(&rule, &ny, &hours, evening), Verdict::Dial);
        let Verdict::WaitUntil { reason, .. } = verdict(&rule, &miami, &hours, evening) else {
            panic!("20:30 in Miami is past Florida's 20:00");
        };
        assert!(reason.unwrap().contains("08:00–20:00 (Florida)"));
    }
}

//! Rules checked before every dial (design.md, "Rules checked before every
//! dial"): pure functions of an entry and the time that say whether it may
//! be dialed now.
//!
//! A campaign asks its [`Rules`] about the entry it would dial next (see
//! `Campaign::begin_dial_under`): [`Verdict::Dial`] takes it;
//! [`Verdict::WaitUntil`] makes it `waiting` until that wall time, like a
//! retry, with no attempt used, and the next candidate is asked;
//! [`Verdict::Never`] passes it over for good (final `canceled`, the
//! reason in its history) and the next candidate is asked. A deferred
//! entry is asked again when its time comes, so a rule decides at dial
//! time, not when the list was imported.
//!
//! Rules see one candidate at a time and never the whole list: a campaign
//! offers them only the entries its own order would dial next (the
//! earliest due `waiting` entry, then the first fresh one), so a dial
//! costs what it cost before rules existed, plus one step per entry that a
//! rule defers or forbids on the way; each such step moves that entry out
//! of the way until its time, so no entry is asked twice in one dial.
//!
//! One rule a file: [`RetryDue`], and [`CallingHoursRule`] (calling hours
//! in the callee's local time).

mod calling_hours;
mod do_not_call;
mod retry_due;

pub use calling_hours::CallingHoursRule;
pub use do_not_call::{DoNotCall, SuppressionLookup};
pub use retry_due::RetryDue;

use crate::campaign::Entry;
use crate::hours::Hours;
use crate::status::Outcome;
use crate::time::{Mono, Now, Timestamp};
use std::fmt;
use std::sync::Arc;

/// What a rule says about dialing an entry now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Dial,
    /// Not before this wall-clock time; asked again then. The reason, when
    /// given, becomes the entry's `reason` and is in its history.
    WaitUntil {
        at: Timestamp,
        reason: Option<String>,
    },
    /// Not at all: the entry ends `canceled` with this outcome and reason.
    Never {
        reason: String,
        outcome: Outcome,
    },
}

impl Verdict {
    /// A wait with no reason of its own (a retry's delay).
    pub fn wait_until(at: Timestamp) -> Verdict {
        Verdict::WaitUntil { at, reason: None }
    }
}

/// What a rule is asked about: an entry its campaign would dial next.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub entry: &'a Entry,
    /// For a `waiting` entry, when its wait ends on the monotonic clock:
    /// its `retry_at` as this process measures it, which a step of the
    /// wall clock does not move. `None` for a fresh entry.
    pub due: Option<Mono>,
    /// The calling-hours settings of the entry's campaign.
    pub hours: &'a Hours,
    /// The entry's campaign, for the rules that hold per campaign (a
    /// campaign's own do-not-call list).
    pub campaign: u64,
}

/// One rule: pure, so that the same entry at the same time always gets the
/// same answer, and cheap, since it is asked on every dial.
pub trait Rule: fmt::Debug + Send + Sync {
    fn check(&self, candidate: Candidate<'_>, now: Now) -> Verdict;

    /// The rule's name where deferrals are counted (the `rule` label of
    /// `numdialer_deferred_total`).
    fn name(&self) -> &'static str {
        "rule"
    }
}

/// The rules a registry dials under, asked in order.
#[derive(Debug, Clone)]
pub struct Rules {
    rules: Vec<Arc<dyn Rule>>,
}

impl Default for Rules {
    fn default() -> Self {
        Rules::standard()
    }
}

impl Rules {
    /// Today's rules: a retry goes when it is due.
    pub fn standard() -> Self {
        Rules::new(vec![Arc::new(RetryDue)])
    }

    pub fn new(rules: Vec<Arc<dyn Rule>>) -> Self {
        Rules { rules }
    }

    /// Every rule's verdict together: the first `Never` wins; else the
    /// latest `WaitUntil` (each rule must allow the dial); else `Dial`.
    pub fn check(&self, candidate: Candidate<'_>, now: Now) -> Verdict {
        self.judge(candidate, now).0
    }

    /// [`Rules::check`], with the name of the rule whose verdict it is
    /// (`""` for [`Verdict::Dial`]).
    pub fn judge(&self, candidate: Candidate<'_>, now: Now) -> (Verdict, &'static str) {
        let mut verdict = (Verdict::Dial, "");
        for rule in &self.rules {
            match rule.check(candidate, now) {
                Verdict::Dial => {}
                never @ Verdict::Never { .. } => return (never, rule.name()),
                Verdict::WaitUntil { at, reason } => {
                    let later = match &verdict.0 {
                        Verdict::WaitUntil { at: u, .. } => at > *u,
                        _ => true,
                    };
                    if later {
                        verdict = (Verdict::WaitUntil { at, reason }, rule.name());
                    }
                }
            }
        }
        verdict
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phone::Phone;

    const NOW: Now = Now {
        wall: Timestamp(1_000_000),
        mono: Mono(5_000),
    };

    /// Says the same thing about every entry.
    #[derive(Debug)]
    struct Says(Verdict);

    impl Rule for Says {
        fn check(&self, _: Candidate<'_>, _: Now) -> Verdict {
            self.0.clone()
        }
    }

    fn set(verdicts: &[Verdict]) -> Rules {
        Rules::new(
            verdicts
                .iter()
                .map(|v| Arc::new(Says(v.clone())) as Arc<dyn Rule>)
                .collect(),
        )
    }

    #[test]
    fn never_beats_waiting_and_the_latest_wait_wins() {
        let e = Entry::new(0, Phone::parse("13018040009").unwrap());
        let c = Candidate {
            entry: &e,
            due: None,
            hours: &Hours::default(),
            campaign: 2,
        };
        let never = Verdict::Never {
            reason: "no".into(),
            outcome: Outcome::Canceled,
        };
        let (early, late) = (
            Verdict::wait_until(Timestamp(2_000_000)),
            Verdict::wait_until(Timestamp(3_000_000)),
        );
        assert_eq!(set(&[]).check(c, NOW), Verdict::Dial);
        assert_eq!(set(&[Verdict::Dial]).check(c, NOW), Verdict::Dial);
        assert_eq!(
            set(&[late.clone(), early.clone(), Verdict::Dial]).check(c, NOW),
            late
        );
        assert_eq!(set(&[early.clone(), late.clone()]).check(c, NOW), late);
        assert_eq!(set(&[early, never.clone(), late]).check(c, NOW), never);
    }
}

//! A retry goes when its delay is over: the rule every campaign has had
//! since retries exist, now one of the dial-time rules.

use super::{Candidate, Rule, Verdict};
use crate::time::Now;

/// A `waiting` entry may be dialed once its wait is over on the monotonic
/// clock (so a step of the wall clock neither redials early nor holds a
/// due retry back); a fresh entry at once.
///
/// A campaign keeps its waiting entries ordered by that time and offers
/// only the ones whose time has come, so in practice this rule answers
/// [`Verdict::Dial`]; it is written out so that the rule set alone says
/// when an entry may go.
#[derive(Debug, Clone, Copy, Default)]
pub struct RetryDue;

impl Rule for RetryDue {
    fn name(&self) -> &'static str {
        "retry_due"
    }

    fn check(&self, c: Candidate<'_>, now: Now) -> Verdict {
        match c.due {
            Some(due) if due > now.mono => {
                let left = due.since(now.mono);
                Verdict::wait_until(now.wall.plus_millis(left))
            }
            _ => Verdict::Dial,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::Entry;
    use crate::hours::Hours;
    use crate::phone::Phone;
    use crate::time::{Mono, Timestamp};

    #[test]
    fn a_retry_waits_for_its_monotonic_time_whatever_the_wall_clock_says() {
        let e = Entry::new(0, Phone::parse("13018040009").unwrap());
        let hours = Hours::default();
        let now = Now {
            wall: Timestamp(1_000_000),
            mono: Mono(5_000),
        };
        let fresh = Candidate {
            entry: &e,
            due: None,
            hours: &hours,
            campaign: 2,
        };
        assert_eq!(RetryDue.check(fresh, now), Verdict::Dial);
        let at = |mono| Candidate {
            entry: &e,
            due: Some(Mono(mono)),
            hours: &hours,
            campaign: 2,
        };
        assert_eq!(RetryDue.check(at(5_000), now), Verdict::Dial);
        assert_eq!(RetryDue.check(at(4_000), now), Verdict::Dial);
        assert_eq!(
            RetryDue.check(at(5_250), now),
            Verdict::wait_until(Timestamp(1_000_250))
        );
    }
}

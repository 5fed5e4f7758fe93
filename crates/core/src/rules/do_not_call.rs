//! Do-not-call lists as a dial-time rule: a number on a list, globally or
//! for the entry's campaign, exactly or by prefix, is never dialed (again).
//! Asked at the moment of each dial, so a number added while its campaign
//! runs is not dialed once its addition has been answered.
//!
//! The lists live in the server's store (sled records, and bulk uploads as
//! sorted arrays in memory), so the rule asks them through
//! [`SuppressionLookup`], which the store implements; core stays free of
//! I/O and tests give it a map.

use super::{Candidate, Rule, Verdict};
use crate::status::Outcome;
use crate::suppressions::Suppression;
use crate::time::Now;
use std::fmt;
use std::sync::Arc;

/// How long a dial waits when the lists cannot be read: a number is never
/// dialed unchecked.
const UNREADABLE_WAIT_MS: u64 = 1_000;

/// Whatever holds the lists: the suppression that stops a dial of
/// `digits` in campaign `campaign`, if any.
pub trait SuppressionLookup: fmt::Debug + Send + Sync {
    fn find(&self, digits: &str, campaign: u64) -> Result<Option<Suppression>, String>;
}

#[derive(Debug, Clone)]
pub struct DoNotCall {
    lists: Arc<dyn SuppressionLookup>,
}

impl DoNotCall {
    pub fn new(lists: Arc<dyn SuppressionLookup>) -> Self {
        DoNotCall { lists }
    }
}

impl Rule for DoNotCall {
    fn name(&self) -> &'static str {
        "do_not_call"
    }

    fn check(&self, c: Candidate<'_>, now: Now) -> Verdict {
        match self.lists.find(c.entry.phone.digits(), c.campaign) {
            Ok(None) => Verdict::Dial,
            Ok(Some(s)) => Verdict::Never {
                reason: s.reason_for_entry(),
                outcome: Outcome::Suppressed,
            },
            // Unchecked is never dialed: asked again in a moment.
            Err(e) => Verdict::WaitUntil {
                at: now.wall.plus_millis(UNREADABLE_WAIT_MS),
                reason: Some(format!("the do-not-call lists cannot be read: {e}")),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::Entry;
    use crate::hours::Hours;
    use crate::phone::Phone;
    use crate::suppressions::{Pattern, Scope, Source};
    use crate::time::{Mono, Timestamp};
    use std::collections::HashMap;
    use std::sync::Mutex;

    #[derive(Debug, Default)]
    struct Lists {
        by_key: Mutex<HashMap<Vec<u8>, Suppression>>,
        broken: bool,
    }

    impl SuppressionLookup for Lists {
        fn find(&self, digits: &str, campaign: u64) -> Result<Option<Suppression>, String> {
            if self.broken {
                return Err("disk on fire".into());
            }
            let map = self.by_key.lock().unwrap();
            crate::suppressions::find(digits, campaign, |k| Ok(map.get(k).cloned()))
        }
    }

    const NOW: Now = Now {
        wall: Timestamp(1_000_000),
        mono: Mono(1),
    };

    fn ask(rule: &DoNotCall, digits: &str, campaign: u64) -> Verdict {
        let e = Entry::new(0, Phone::parse(digits).unwrap());
        let hours = Hours::default();
        rule.check(
            Candidate {
                entry: &e,
                due: None,
                hours: &hours,
                campaign,
            },
            NOW,
        )
    }

    #[test]
    fn a_listed_number_is_never_dialed_and_says_why_and_others_are() {
        let lists = Arc::new(Lists::default());
        let rule = DoNotCall::new(lists.clone());
        assert_eq!(ask(&rule, "13018040009", 2), Verdict::Dial);
        let s = Suppression {
            phone: Pattern::read("+1301*", None).unwrap(),
            scope: Scope::Campaign(2),
            source: Source::Api,
            reason: "asked".into(),
            created_at: Timestamp(5),
            actor: String::new(),
        };
        lists
            .by_key
            .lock()
            .unwrap()
            .insert(s.phone.key(s.scope), s.clone());
        match ask(&rule, "13018040009", 2) {
            Verdict::Never { reason, outcome } => {
                assert_eq!(outcome, Outcome::Suppressed);
                assert_eq!(reason, s.reason_for_entry());
            }
            v => panic!("{v:?}"),
        }
        assert_eq!(ask(&rule, "13018040009", 3), Verdict::Dial, "campaign 2's");
    }

    #[test]
    fn lists_that_cannot_be_read_hold_the_dial_back() {
        let rule = DoNotCall::new(Arc::new(Lists {
            broken: true,
            ..Lists::default()
        }));
        assert!(matches!(
            ask(&rule, "13018040009", 2),
            Verdict::WaitUntil { at, reason: Some(r) } if at > NOW.wall && r.contains("disk on fire")
        ));
    }
}

//! Dial-time rules in the registry: entries a rule defers wait like
//! retries and go first once their time comes, entries it forbids are
//! passed over for good, and neither uses an attempt; then a proptest with
//! a rule set that defers random entries for random spans.

use super::*;
use crate::campaign::EventKind;
use crate::rules::{Candidate, RetryDue, Rule, Rules, Verdict};
use crate::suppressions::Scope;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// A test's own rule: each listed number is held back while the wall
/// clock is inside its window (until the window's end), and each forbidden
/// one is never dialed; nor is a suppressed one, from the moment it is
/// added (the set is shared by every clone, as the server's lists are).
#[derive(Debug, Clone, Default)]
struct Plan {
    windows: HashMap<Phone, (Timestamp, Timestamp)>,
    forbidden: HashSet<Phone>,
    suppressed: Arc<std::sync::Mutex<HashSet<Phone>>>,
}

impl Rule for Plan {
    fn check(&self, c: Candidate<'_>, now: Now) -> Verdict {
        if self.suppressed.lock().unwrap().contains(&c.entry.phone) {
            return Verdict::Never {
                reason: "on the test's do-not-call list".into(),
                outcome: Outcome::Suppressed,
            };
        }
        if self.forbidden.contains(&c.entry.phone) {
            return Verdict::Never {
                reason: "on the test's list".into(),
                outcome: Outcome::Canceled,
            };
        }
        match self.windows.get(&c.entry.phone) {
            Some(&(from, until)) if from <= now.wall && now.wall < until => {
                Verdict::wait_until(until)
            }
            _ => Verdict::Dial,
        }
    }
}

impl Plan {
    fn rules(&self) -> Rules {
        Rules::new(vec![Arc::new(RetryDue), Arc::new(self.clone())])
    }

    /// Whether the plan lets `phone` be dialed at `now`.
    fn allows(&self, phone: &Phone, now: Now) -> bool {
        let e = Entry::new(0, phone.clone());
        let c = Candidate {
            entry: &e,
            due: None,
            hours: &crate::hours::Hours::default(),
            campaign: 2,
        };
        self.check(c, now) == Verdict::Dial
    }
}

/// The `i`th number of campaign `id`: numbers differ across campaigns, so
/// that a plan names one entry.
fn number(id: u64, i: usize) -> Phone {
    phone(id as usize * 100 + i)
}

fn numbered(id: u64, n: usize) -> Vec<Entry> {
    (0..n).map(|i| Entry::new(i, number(id, i))).collect()
}

/// A world of campaigns 2 and 3 (`n` entries each, `retry`), started in
/// that order, dialing under `plan`.
fn ruled_world(concurrency: usize, n: usize, retry: RetryPolicy, plan: &Plan) -> World {
    let cs = Campaigns::new(Vec::new(), Retired::default(), settings(concurrency));
    let mut w = World {
        cs: cs.with_rules(plan.rules()),
        now: N0,
        secrets: 0,
        log: Vec::new(),
    };
    w.cs.insert_first(first(0, RetryPolicy::default(), concurrency));
    for id in [2, 3] {
        let new = NewCampaign {
            entries: numbered(id, n),
            ..new(0, retry.clone())
        };
        assert_eq!(w.cs.create(new, T0).id(), id);
        w.start(id);
    }
    w
}

#[test]
fn a_deferred_entry_waits_without_an_attempt_and_goes_first_once_its_time_comes() {
    let until = T0.plus_millis(5_000);
    let plan = Plan {
        windows: [(number(2, 1), (T0, until))].into(),
        ..Plan::default()
    };
    let mut w = ruled_world(1, 5, RetryPolicy::default(), &plan);
    assert_eq!(w.dial_all(), vec![(2, 0)]);
    w.end(2, 0, true);
    // Entry 1 is held back: entry 2 takes the line.
    assert_eq!(w.dial_all(), vec![(2, 2)]);
    let e = w.entry(2, 1);
    assert_eq!(
        (e.status, e.attempt, e.retry_at(), e.outcome),
        (Status::Waiting, 0, Some(until), None)
    );
    assert!(e.details().history.is_empty(), "no dial, no event");
    assert_eq!(w.cs.take_ruled(), vec![(2, vec![1])]);
    assert_eq!(w.cs.take_ruled(), vec![], "once");
    assert_eq!(w.cs.dialed(), 2);
    assert_eq!(
        w.cs.next_wakeup(w.now.mono),
        Some(N0.mono.plus_millis(5_000))
    );
    w.end(2, 2, true);
    // Before its time, fresh entries go on.
    w.advance(4_999);
    assert_eq!(w.dial_all(), vec![(2, 3)]);
    w.end(2, 3, true);
    // Its time: it goes before campaign 2's next fresh entry.
    w.advance(1);
    assert_eq!(w.dial_all(), vec![(2, 1)]);
    let e = w.entry(2, 1);
    assert_eq!(
        (e.status, e.attempt, e.retry_at()),
        (Status::Dialing, 1, None)
    );
    assert_eq!(w.cs.dialed(), 4);
    w.end(2, 1, false);
    assert_eq!(w.entry(2, 1).outcome, Some(Outcome::NoAnswer));
    assert_eq!(w.dial_all(), vec![(2, 4)]);
    w.end(2, 4, true);
    assert_eq!(w.state(2), CampaignState::Done);
}

#[test]
fn a_deferred_entry_is_asked_again_when_its_time_comes() {
    let plan = Plan {
        windows: [(number(2, 0), (T0, T0.plus_millis(5_000)))].into(),
        ..Plan::default()
    };
    let mut w = ruled_world(1, 1, RetryPolicy::default(), &plan);
    assert_eq!(w.dial_all(), vec![(3, 0)]);
    w.end(3, 0, true);
    // The wall clock was set back meanwhile: when its wait ends on the
    // monotonic clock, the rule still says wait, so it waits again.
    w.now = stepped(w.now, -2_000);
    w.advance(5_000);
    assert_eq!(w.dial_all(), vec![]);
    assert_eq!(w.entry(2, 0).retry_at(), Some(T0.plus_millis(5_000)));
    assert_eq!(w.cs.take_ruled(), vec![(2, vec![0])]);
    w.advance(2_000);
    assert_eq!(w.dial_all(), vec![(2, 0)]);
}

#[test]
fn a_due_retry_a_rule_defers_waits_on_and_keeps_its_attempt() {
    let until = T0.plus_millis(60_000);
    let plan = Plan {
        windows: [(number(2, 0), (T0.plus_millis(1), until))].into(),
        ..Plan::default()
    };
    let mut w = ruled_world(1, 1, policy(2, 5, BOTH), &plan);
    assert_eq!(w.dial_all(), vec![(2, 0)]);
    w.end(2, 0, false);
    assert_eq!(w.entry(2, 0).status, Status::Waiting);
    // Not due yet: campaign 3 takes the line.
    assert_eq!(w.dial_all(), vec![(3, 0)]);
    w.end(3, 0, true);
    // Due as a retry, but inside its window: it waits on, its attempt kept.
    w.advance(5_000);
    assert_eq!(w.dial_all(), vec![]);
    let e = w.entry(2, 0);
    assert_eq!(
        (e.status, e.attempt, e.retry_at()),
        (Status::Waiting, 1, Some(until))
    );
    w.advance(54_999);
    assert_eq!(w.dial_all(), vec![]);
    w.advance(1);
    assert_eq!(w.dial_all(), vec![(2, 0)]);
    assert_eq!(w.entry(2, 0).attempt, 2);
}

#[test]
fn a_forbidden_entry_is_passed_over_for_good_and_canceled_with_the_reason() {
    let plan = Plan {
        forbidden: [number(2, 0), number(2, 2)].into(),
        ..Plan::default()
    };
    let mut w = ruled_world(3, 3, RetryPolicy::default(), &plan);
    assert_eq!(w.dial_all(), vec![(2, 1), (3, 0), (3, 1)]);
    for i in [0, 2] {
        let e = w.entry(2, i);
        assert_eq!(
            (e.status, e.outcome, e.attempt),
            (Status::Canceled, Some(Outcome::Canceled), 0)
        );
        assert_eq!(e.details().reason.as_deref(), Some("on the test's list"));
        let last = e.details().history.last().unwrap();
        assert_eq!(
            (&last.kind, last.note.as_deref()),
            (&EventKind::Canceled, Some("on the test's list"))
        );
    }
    assert_eq!(w.cs.take_ruled(), vec![(2, vec![0, 2])]);
    w.end(2, 1, true);
    assert_eq!(w.state(2), CampaignState::Done);
    assert_eq!(w.cs.dialed(), 3);
}

#[test]
fn a_campaign_whose_candidates_the_rules_all_pass_over_does_not_hold_up_the_next() {
    let plan = Plan {
        windows: [(number(2, 0), (T0, T0.plus_millis(HOUR)))].into(),
        forbidden: [number(2, 1)].into(),
        ..Plan::default()
    };
    let mut w = ruled_world(1, 2, RetryPolicy::default(), &plan);
    // Campaign 2 started first, but its two entries are held and
    // forbidden: the one line goes to campaign 3 in the same call.
    assert!(w.cs.can_dial(w.now.mono));
    assert_eq!(w.dial(), Some((3, 0)));
    assert_eq!(w.entry(2, 0).status, Status::Waiting);
    assert_eq!(w.entry(2, 1).status, Status::Canceled);
    w.end(3, 0, true);
    assert_eq!(w.dial_all(), vec![(3, 1)]);
    w.end(3, 1, true);
    // Nothing left but the held entry: no dial, and no line asked for.
    assert_eq!(w.dial_all(), vec![]);
    assert!(!w.cs.can_dial(w.now.mono));
    assert_eq!(
        w.cs.next_wakeup(w.now.mono),
        Some(N0.mono.plus_millis(HOUR))
    );
}

#[test]
fn the_last_entries_forbidden_make_the_campaign_done() {
    let plan = Plan {
        forbidden: [number(2, 1)].into(),
        ..Plan::default()
    };
    let mut w = ruled_world(1, 2, RetryPolicy::default(), &plan);
    assert_eq!(w.dial_all(), vec![(2, 0)]);
    w.end(2, 0, true);
    assert_eq!(w.state(2), CampaignState::Running);
    assert_eq!(w.dial_all(), vec![(3, 0)]);
    assert_eq!(w.state(2), CampaignState::Done);
}

#[test]
fn restored_deferred_and_forbidden_entries_are_neither_fresh_nor_dialed_twice() {
    let plan = Plan {
        windows: [(number(2, 2), (T0, T0.plus_millis(8_000)))].into(),
        forbidden: [number(2, 3)].into(),
        ..Plan::default()
    };
    let mut w = ruled_world(2, 4, RetryPolicy::default(), &plan);
    assert_eq!(w.dial_all(), vec![(2, 0), (2, 1)]);
    w.end(2, 0, true);
    // Held and forbidden on the way to campaign 3's first entry.
    assert_eq!(w.dial_all(), vec![(3, 0)]);
    let c = w.cs.get(2).unwrap();
    assert_eq!(
        (c.entry(2).unwrap().status, c.entry(3).unwrap().status),
        (Status::Waiting, Status::Canceled)
    );
    let meta = CampaignMeta {
        version: c.version(),
        ..c.meta().clone()
    };
    let later = Now {
        wall: T0.plus_millis(3_000),
        mono: Mono(0),
    };
    let r = Campaign::restore(meta, c.entries().to_vec(), settings(2), later).unwrap();
    recount(&r).unwrap();
    assert_eq!((r.dialed(), r.entry(2).unwrap().attempt), (2, 0));
    let mut cs = Campaigns::new(vec![r], Retired::default(), settings(2)).with_rules(plan.rules());
    // Before its time nothing is fresh: entry 2 waits, entry 3 is over.
    assert!(!cs.can_dial(later.mono.plus_millis(4_999)));
    let due = later.plus_millis(5_000);
    let o = cs.begin_dial("r", due).unwrap();
    assert_eq!((o.campaign, o.index), (2, 2));
    cs.finish_dial(2, 2, DialAnswer::Placed { id: 9.into() }, due);
    assert_eq!(cs.get(2).unwrap().dialed(), 3);
    assert!(!cs.get(2).unwrap().has_due(due.mono.plus_millis(HOUR)));
}

// ---------------------------------------------------------------------------
// Random deferrals.

/// A held-back span, from its start after `T0`: both in ms.
type Window = (u64, u64);

#[derive(Debug, Clone)]
enum RuledStep {
    /// Begins the next dial and answers it at once: placed, or refused.
    Dial(bool),
    /// A call in flight ends: answered, or nobody picked up.
    End(Index, bool),
    /// Both clocks move on.
    Advance(u64),
    Pause(Index),
    Resume(Index),
    Stop(Index),
    /// The number of an entry is suppressed: globally, for its own
    /// campaign, or for another (which changes nothing).
    Suppress(Index, u8),
}

fn ruled_step() -> impl Strategy<Value = RuledStep> {
    prop_oneof![
        8 => any::<bool>().prop_map(RuledStep::Dial),
        6 => (any::<Index>(), any::<bool>()).prop_map(|(i, a)| RuledStep::End(i, a)),
        5 => prop_oneof![0u64..3_000, 3_000u64..20_000].prop_map(RuledStep::Advance),
        1 => any::<Index>().prop_map(RuledStep::Pause),
        2 => any::<Index>().prop_map(RuledStep::Resume),
        1 => any::<Index>().prop_map(RuledStep::Stop),
        2 => (any::<Index>(), 0u8..3).prop_map(|(i, s)| RuledStep::Suppress(i, s)),
    ]
}

/// Per entry: nothing, a window, or forbidden.
fn treatment() -> impl Strategy<Value = Option<Result<Window, ()>>> {
    prop_oneof![
        5 => Just(None),
        4 => (0u64..20_000, 1u64..30_000).prop_map(|(from, span)| Some(Ok((from, span)))),
        1 => Just(Some(Err(()))),
    ]
}

/// What the proptest tracks beside the registry.
struct Ruled {
    cs: Campaigns,
    plan: Plan,
    now: Now,
    ids: Vec<u64>,
    secrets: u64,
    calls: u64,
    /// Each entry's attempt as last seen.
    attempts: BTreeMap<(u64, usize), u32>,
}

impl Ruled {
    fn running(&self, id: u64) -> bool {
        self.cs
            .get(id)
            .is_some_and(|c| c.state() == CampaignState::Running)
    }

    /// Begins the next dial, checks it against the rules, answers it.
    fn dial(&mut self, placed: bool) -> Result<Option<(u64, usize)>, TestCaseError> {
        let secret = format!("s{}", self.secrets);
        self.secrets += 1;
        let before = self.cs.clone();
        let Some(o) = self.cs.begin_dial(&secret, self.now) else {
            return Ok(None);
        };
        let (id, i) = (o.campaign, o.index);
        let was = before.get(id).unwrap().entry(i).unwrap();
        prop_assert!(
            self.plan.allows(&o.phone, self.now),
            "{:?} dialed while its rule held it back",
            (id, i)
        );
        // Eligible: the rules let it go now, and it is fresh, or waiting
        // and due (a retry, or deferred and its time come).
        let now = self.now;
        let plan = &self.plan;
        let eligible = |e: &Entry| {
            e.index != i
                && plan.allows(&e.phone, now)
                && match e.status {
                    Status::Idle => true,
                    Status::Waiting => e.retry_at().is_some_and(|t| t <= now.wall),
                    _ => false,
                }
        };
        let c = self.cs.get(id).unwrap();
        if was.status == Status::Idle {
            // A fresh entry: no earlier entry never dialed (fresh, or
            // deferred and due) may be eligible, nor any due waiting one.
            for e in c.entries() {
                let earlier = e.index < i && e.attempt == 0;
                prop_assert!(
                    !(eligible(e) && (earlier || e.status == Status::Waiting)),
                    "{:?} dialed while entry {} was eligible and undialed",
                    (id, i),
                    e.index
                );
            }
        } else {
            // A waiting entry: the earliest due, then the lowest index.
            prop_assert_eq!(was.status, Status::Waiting);
            for e in c.entries().iter().filter(|e| e.status == Status::Waiting) {
                prop_assert!(
                    !eligible(e) || (was.retry_at(), i) < (e.retry_at(), e.index),
                    "{:?} dialed before entry {}, due earlier",
                    (id, i),
                    e.index
                );
            }
        }
        self.calls += 1;
        let answer = if placed {
            DialAnswer::Placed {
                id: self.calls.into(),
            }
        } else {
            DialAnswer::Refused {
                reason: "no".into(),
            }
        };
        self.cs.finish_dial(id, i, answer, self.now);
        Ok(Some((id, i)))
    }

    /// Ends the call in flight that `pick` picks (the first if none).
    fn end(&mut self, pick: Option<Index>, answered: bool) {
        let live: Vec<(u64, usize)> = self
            .cs
            .iter()
            .flat_map(|c| {
                c.entries()
                    .iter()
                    .filter(|e| e.status.is_in_flight())
                    .map(move |e| (c.id(), e.index))
            })
            .collect();
        if live.is_empty() {
            return;
        }
        let (id, i) = pick.map_or(live[0], |p| *p.get(&live));
        let e = self.cs.get(id).unwrap().entry(i).unwrap();
        let (token, call) = (
            e.details().token.clone().unwrap(),
            e.details().call_id.clone().unwrap(),
        );
        let mut events = vec![CallEvent::Completed];
        if answered {
            events.insert(0, CallEvent::Answered);
        }
        for event in events {
            let report = CallReport::new(call.clone(), event);
            self.cs.apply_report(&token, report, self.now).unwrap();
        }
    }

    fn advance(&mut self, ms: u64) {
        self.now = self.now.plus_millis(ms);
        self.cs.expire(self.now);
    }

    /// Suppresses the number of the entry `pick` picks, in the scope
    /// `scope` says (0 global, 1 its campaign, 2 another campaign), as the
    /// server does: the rule knows it from now on, and the registry
    /// cancels what it stops at once. Then checks what that did.
    fn suppress(&mut self, pick: Index, scope: u8) -> Check {
        let all: Vec<(u64, usize)> = self
            .cs
            .iter()
            .flat_map(|c| c.entries().iter().map(move |e| (c.id(), e.index)))
            .collect();
        if all.is_empty() {
            return Ok(());
        }
        let (id, i) = *pick.get(&all);
        let phone = self.cs.get(id).unwrap().entry(i).unwrap().phone.clone();
        let other = self.ids.iter().copied().find(|&o| o != id);
        let scope = match (scope, other) {
            (0, _) => Scope::Global,
            (2, Some(o)) => Scope::Campaign(o),
            _ => Scope::Campaign(id),
        };
        // Numbers differ across campaigns: another campaign's scope stops
        // nothing of this number.
        let stops = scope == Scope::Global || scope == Scope::Campaign(id);
        if stops {
            self.plan.suppressed.lock().unwrap().insert(phone.clone());
        }
        let before = self.cs.clone();
        let changed = self.cs.suppress(
            scope,
            |digits, _| (digits == phone.digits()).then(|| "listed".to_string()),
            self.now.wall,
        );
        for c in self.cs.iter() {
            let was = before.get(c.id()).unwrap();
            let listed: Vec<usize> = changed
                .iter()
                .find(|(cid, _)| *cid == c.id())
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            for e in c.entries() {
                let old = was.entry(e.index).unwrap();
                let expected = stops
                    && e.phone == phone
                    && !was.state().is_final()
                    && matches!(old.status, Status::Idle | Status::Waiting);
                prop_assert_eq!(listed.contains(&e.index), expected, "{:?}", (c.id(), e));
                if expected {
                    prop_assert_eq!(
                        (e.status, e.outcome, e.attempt),
                        (Status::Canceled, Some(Outcome::Suppressed), old.attempt)
                    );
                    prop_assert!(e.version > was.version(), "a change has a new version");
                } else {
                    prop_assert_eq!(e, old, "{:?} changed", (c.id(), e.index));
                }
            }
            let since = c.changed_since(was.version()).unwrap();
            prop_assert_eq!(since, listed);
        }
        Ok(())
    }

    /// What must hold after every step: `dialed` is what the step dialed.
    fn check(&mut self, dialed: Option<(u64, usize)>) -> Check {
        let now = self.now;
        let free =
            self.cs.pending_dial().is_none() && self.cs.active() < self.cs.settings().concurrency;
        let mut waiting_due = false;
        for c in self.cs.iter() {
            recount(c).map_err(TestCaseError::fail)?;
            for e in c.entries() {
                let key = (c.id(), e.index);
                let was = self.attempts.insert(key, e.attempt).unwrap_or(0);
                if e.attempt != was {
                    prop_assert_eq!(dialed, Some(key), "{:?}: dialed unseen", key);
                    prop_assert_eq!(e.attempt, was + 1);
                }
                if self.plan.forbidden.contains(&e.phone) {
                    prop_assert_eq!(e.attempt, 0, "{:?}: a forbidden entry dialed", key);
                }
                // A deferred entry (never dialed, waiting) whose time has
                // come must be dialable now, if its campaign runs and a
                // line is free.
                if e.attempt == 0
                    && e.status == Status::Waiting
                    && self.plan.allows(&e.phone, now)
                    && e.retry_at().is_some_and(|t| t <= now.wall)
                    && c.state() == CampaignState::Running
                {
                    waiting_due = true;
                }
            }
        }
        if free && waiting_due {
            prop_assert!(self.cs.can_dial(now.mono), "a due deferred entry waits");
            let mut trial = self.cs.clone();
            prop_assert!(
                trial.begin_dial("trial", now).is_some(),
                "a due deferred entry was not dialed with a line free"
            );
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Campaigns dialing under a rule set that holds random entries back
    /// for random spans (and forbids a few), with retries, answers,
    /// pauses, stops and time passing in any order. At every dial: nothing
    /// is dialed while its rule holds it back, and no fresh entry is
    /// dialed while an earlier fresh entry of its campaign is eligible and
    /// undialed. After every step: a deferred entry whose time has come is
    /// dialed as soon as a line is free, forbidden entries are never
    /// dialed, and the counters hold. In the end every entry is final and
    /// every entry that no rule forbade and no stop canceled was dialed.
    #[test]
    fn deferred_entries_keep_the_order_and_go_when_their_time_comes(
        concurrency in 1usize..=3,
        lists in prop::collection::vec(
            (prop::collection::vec(treatment(), 0..=8), retry_policy()),
            1..=3,
        ),
        steps in prop::collection::vec(ruled_step(), 0..150),
    ) {
        let mut plan = Plan::default();
        let mut cs = Campaigns::new(Vec::new(), Retired::default(), settings(concurrency));
        let mut ids = Vec::new();
        for (k, (treatments, retry)) in lists.iter().enumerate() {
            let id = k as u64 + 1;
            for (i, t) in treatments.iter().enumerate() {
                match t {
                    Some(Ok((from, span))) => {
                        let from = T0.plus_millis(*from);
                        plan.windows.insert(number(id, i), (from, from.plus_millis(*span)));
                    }
                    Some(Err(())) => {
                        plan.forbidden.insert(number(id, i));
                    }
                    None => {}
                }
            }
            let new = NewCampaign {
                entries: numbered(id, treatments.len()),
                ..new(0, retry.clone())
            };
            prop_assert_eq!(cs.create(new, T0).id(), id);
            cs.operate(id, Operation::Start, T0).unwrap();
            ids.push(id);
        }
        let mut m = Ruled {
            cs: cs.with_rules(plan.rules()),
            plan,
            now: N0,
            ids,
            secrets: 0,
            calls: 0,
            attempts: BTreeMap::new(),
        };
        m.check(None)?;
        for step in steps {
            let mut dialed = None;
            match step {
                RuledStep::Dial(placed) => dialed = m.dial(placed)?,
                RuledStep::End(pick, answered) => m.end(Some(pick), answered),
                RuledStep::Advance(ms) => m.advance(ms),
                RuledStep::Pause(pick) => {
                    let _ = m.cs.operate(*pick.get(&m.ids), Operation::Pause, m.now.wall);
                }
                RuledStep::Resume(pick) => {
                    let _ = m.cs.operate(*pick.get(&m.ids), Operation::Resume, m.now.wall);
                }
                RuledStep::Stop(pick) => {
                    let _ = m.cs.operate(*pick.get(&m.ids), Operation::Stop, m.now.wall);
                }
                RuledStep::Suppress(pick, scope) => m.suppress(pick, scope)?,
            }
            m.check(dialed)?;
        }
        // The end: everything resumed, calls end unanswered (earning their
        // retries), time runs on.
        for id in m.ids.clone() {
            if m.cs.get(id).unwrap().state() == CampaignState::Paused {
                m.cs.operate(id, Operation::Resume, m.now.wall).unwrap();
            }
        }
        let mut rounds = 0;
        loop {
            rounds += 1;
            prop_assert!(rounds < 10_000, "no progress");
            let dialed = m.dial(true)?;
            if dialed.is_none() {
                let live = m.cs.active() > 0;
                if live {
                    m.end(None, false);
                } else if let Some(at) = m.cs.next_deadline() {
                    let ms = at.since(m.now.mono);
                    m.advance(ms.max(1));
                } else {
                    break;
                }
            }
            m.check(dialed)?;
        }
        for c in m.cs.iter() {
            let stopped = c.state() == CampaignState::Stopped;
            prop_assert!(stopped || c.state() == CampaignState::Done);
            prop_assert!(!m.running(c.id()));
            for e in c.entries() {
                prop_assert!(e.status.is_final(), "{:?}", (c.id(), e.index, e.status));
                let forbidden = m.plan.forbidden.contains(&e.phone)
                    || m.plan.suppressed.lock().unwrap().contains(&e.phone);
                if !forbidden && !stopped {
                    prop_assert!(e.attempt > 0, "{:?} never dialed", (c.id(), e.index));
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Calling hours, as the registry dials under them.

/// 2026-12-02 15:30 UTC, a Wednesday: 10:30 in New York, 08:30 in Denver,
/// 07:30 in Los Angeles.
const AFTERNOON_UTC: Timestamp = Timestamp(1_796_225_400_000);

/// The rules a server dials under.
fn hours_rules() -> Rules {
    use crate::rules::CallingHoursRule;
    Rules::new(vec![
        Arc::new(RetryDue),
        Arc::new(CallingHoursRule::new(None)),
    ])
}

fn hours_world(concurrency: usize, phones: &[&str], hours: &str) -> World {
    let rules = hours_rules();
    let cs = Campaigns::new(Vec::new(), Retired::default(), settings(concurrency));
    let mut w = World {
        cs: cs.with_rules(rules),
        now: Now {
            wall: AFTERNOON_UTC,
            mono: Mono(5_000),
        },
        secrets: 0,
        log: Vec::new(),
    };
    w.cs.insert_first(first(0, RetryPolicy::default(), concurrency));
    let entries = phones
        .iter()
        .enumerate()
        .map(|(i, p)| Entry::new(i, Phone::parse(p).unwrap()))
        .collect();
    let new = NewCampaign {
        entries,
        hours: crate::hours::Hours {
            calling_hours: hours.parse().unwrap(),
            ..crate::hours::Hours::default()
        },
        ..new(0, RetryPolicy::default())
    };
    assert_eq!(w.cs.create(new, AFTERNOON_UTC).id(), 2);
    w.start(2);
    w
}

#[test]
fn entries_outside_their_window_wait_for_it_and_unknown_zones_are_skipped() {
    const NY: &str = "12124567890";
    const LA: &str = "12132345678";
    const TOLL_FREE: &str = "18004444444";
    const DENVER: &str = "13032345678";
    let mut w = hours_world(3, &[NY, LA, TOLL_FREE, DENVER], "08:00-21:00");
    assert_eq!(
        w.dial_all(),
        vec![(2, 0), (2, 3)],
        "the open ones, in order"
    );
    let la = w.entry(2, 1);
    let eight_pst = AFTERNOON_UTC.plus_millis(HOUR / 2);
    assert_eq!(
        (la.status, la.attempt, la.retry_at(), la.held),
        (Status::Waiting, 0, Some(eight_pst), true)
    );
    let reason = "outside calling hours 08:00–21:00 America/Los_Angeles until 2026-12-02 08:00 PST";
    assert_eq!(la.details().reason.as_deref(), Some(reason));
    let last = la.details().history.last().unwrap();
    assert_eq!(
        (&last.kind, last.note.as_deref()),
        (
            &EventKind::Deferred {
                retry_at: eight_pst
            },
            Some(reason)
        )
    );
    let free = w.entry(2, 2);
    assert_eq!(
        (free.status, free.outcome, free.details().reason.as_deref()),
        (
            Status::Canceled,
            Some(Outcome::Skipped),
            Some("time zone unknown")
        )
    );
    let c = w.cs.get(2).unwrap();
    assert_eq!(c.held(), (1, Some(eight_pst)));
    assert_eq!(c.outcome_count(Outcome::Skipped), 1);
    assert_eq!(w.cs.take_ruled(), vec![(2, vec![1, 2])]);
    assert_eq!(w.cs.take_deferrals(), [("calling_hours", 2)].into());
    // Its window opens: it goes, with its first attempt.
    w.end(2, 0, true);
    w.advance(HOUR / 2 - 1);
    assert_eq!(w.dial_all(), vec![]);
    w.advance(1);
    assert_eq!(w.dial_all(), vec![(2, 1)]);
    let la = w.entry(2, 1);
    assert_eq!(
        (la.status, la.attempt, la.held),
        (Status::Dialing, 1, false)
    );
    assert_eq!(w.cs.get(2).unwrap().held(), (0, None));
    // Restored, the waiting count comes back from the entries.
    let c = w.cs.get(2).unwrap();
    let r = Campaign::restore(c.meta().clone(), c.entries().to_vec(), settings(3), w.now).unwrap();
    assert_eq!(r.held(), (0, None));
}

#[test]
fn a_list_closed_past_one_pick_is_deferred_a_slice_at_a_time_in_order() {
    const LA: &str = "12132345678";
    const NY: &str = "12124567890";
    let n = crate::campaign::MAX_PASSED_PER_PICK + 100;
    let mut phones = vec![LA; n];
    phones.push(NY);
    let mut w = hours_world(1, &phones, "08:00-21:00");
    assert_eq!(w.cs.begin_dial("a", w.now), None, "a slice passed over");
    assert!(w.cs.take_cut(), "with more to ask");
    assert_eq!(
        w.cs.take_ruled()[0].1.len(),
        crate::campaign::MAX_PASSED_PER_PICK
    );
    assert_eq!(w.dial_all(), vec![(2, n)], "the open one, after the rest");
    assert!(!w.cs.take_cut());
    let c = w.cs.get(2).unwrap();
    assert_eq!(c.held().0, n);
    assert_eq!(c.count(Status::Waiting), n);
    // A restored campaign counts them again.
    let r = Campaign::restore(c.meta().clone(), c.entries().to_vec(), settings(1), w.now).unwrap();
    assert_eq!(r.held(), c.held());
}

#[test]
fn a_window_over_midnight_and_hours_off_change_what_dials() {
    const NY: &str = "12124567890";
    // 10:30 in New York is outside 21:00-08:00, which opens at 21:00 EST.
    let mut w = hours_world(1, &[NY], "21:00-08:00");
    assert_eq!(w.dial_all(), vec![]);
    assert_eq!(
        w.entry(2, 0).retry_at(),
        Some(AFTERNOON_UTC.plus_millis(HOUR * 21 / 2))
    );
    let mut w = hours_world(1, &[NY], "off");
    assert_eq!(w.dial_all(), vec![(2, 0)]);
}

/// 2026-01-01 00:00 UTC.
const YEAR_2026: u64 = 1_767_225_600_000;

/// Numbers in New York, Los Angeles, Denver, Phoenix, Honolulu, and a
/// toll-free one with no zone.
const POOL: [&str; 6] = [
    "12124567890",
    "12132345678",
    "13032345678",
    "16022345678",
    "18082345678",
    "18004444444",
];

fn days_text(mask: u8) -> String {
    let names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    (0..7)
        .filter(|d| mask & (1 << d) != 0)
        .map(|d| names[d])
        .collect::<Vec<_>>()
        .join(",")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    /// Random windows, days, lists and clocks: every dial happens inside
    /// the window in every zone of its entry, nobody is dialed twice, an
    /// entry that waits for its window waits for an instant that is open,
    /// and only numbers without a zone are skipped, never dialed.
    #[test]
    fn calling_hours_hold_under_random_clocks(
        start_s in 0u64..(365 * 24 * 3600),
        from in 0u16..(24 * 60),
        len in 1u16..(24 * 60),
        mask in 1u8..128,
        picks in proptest::collection::vec(0usize..POOL.len(), 1..10),
        steps in proptest::collection::vec(0u64..(30 * 3600), 1..25),
    ) {
        use crate::hours::{Hours, Schedule, Verdict as Open};
        let to = (from + len) % (24 * 60);
        let window = format!(
            "{:02}:{:02}-{:02}:{:02}",
            from / 60, from % 60, to / 60, to % 60
        );
        let phones: Vec<&str> = picks.iter().map(|&i| POOL[i]).collect();
        let mut w = hours_world(2, &phones, &window);
        w.now = Now {
            wall: Timestamp(YEAR_2026 + start_s * 1000),
            mono: w.now.mono,
        };
        let hours = Hours {
            calling_hours: window.parse().unwrap(),
            days: days_text(mask).parse().unwrap(),
            ..Hours::default()
        };
        // The test's campaign takes these days too.
        let c = w.cs.get(2).unwrap();
        let meta = CampaignMeta { hours: hours.clone(), ..c.meta().clone() };
        let restored = Campaign::restore(meta, c.entries().to_vec(), settings(2), w.now).unwrap();
        w.cs = Campaigns::new(vec![restored], Retired::default(), settings(2))
            .with_rules(hours_rules());
        let schedule = Schedule::new(&hours, None);
        let mut dialed = std::collections::HashSet::new();
        for step in steps {
            // Each call ends at once, so every entry due now is dialed now.
            while let Some((id, i)) = w.dial() {
                prop_assert!(dialed.insert(i), "entry {i} dialed twice");
                let e = w.entry(id, i);
                prop_assert_eq!(
                    schedule.verdict(e.zone_set(), w.now.wall),
                    Open::Open,
                    "entry {} dialed at {} outside {} {}", i, w.now.wall, &window, days_text(mask)
                );
                w.end(id, i, true);
            }
            for e in w.cs.get(2).unwrap().entries() {
                match e.status {
                    Status::Waiting => {
                        let at = e.retry_at().unwrap();
                        prop_assert!(at > w.now.wall);
                        prop_assert_eq!(schedule.verdict(e.zone_set(), at), Open::Open);
                    }
                    Status::Canceled => {
                        prop_assert_eq!(e.outcome, Some(Outcome::Skipped));
                        prop_assert_eq!(e.attempt, 0);
                    }
                    _ => {}
                }
            }
            w.advance(step * 1000);
        }
    }
}

#[path = "suppress_tests.rs"]
mod suppress;

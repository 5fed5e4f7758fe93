//! The registry: lines shared by every running campaign, the order of dials
//! across campaigns, one dial out at a time, tokens routed to their
//! campaign, lifecycle operations and deletes; then a proptest over random
//! interleavings of all of it.

use super::*;
use crate::call::{CallEvent, CallId, CallReport};
use crate::campaign::{Effect, Entry, FIRST, RestoreError, RetryPolicy};
use crate::phone::Phone;
use crate::protocol::numdialer::{CallStatus, WebhookBody};
use crate::status::{Outcome, Status};
use proptest::prelude::*;
use proptest::sample::Index;
use std::collections::{BTreeMap, BTreeSet};

const T0: Timestamp = Timestamp(1_795_464_062_123);

/// The monotonic clock has its own origin, as in a real process.
const N0: Now = Now {
    wall: T0,
    mono: Mono(5_000),
};

const TIMEOUT: u64 = 8_000;

const HOUR: u64 = 3_600_000;

const BOTH: &[Outcome] = &[Outcome::NoAnswer, Outcome::Failed];

fn settings(concurrency: usize) -> Settings {
    Settings {
        concurrency,
        call_timeout_ms: TIMEOUT,
    }
}

fn policy(max_attempts: u32, retry_delay: u64, retry_on: &[Outcome]) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        retry_delay,
        retry_on: retry_on.to_vec(),
    }
}

fn phone(i: usize) -> Phone {
    Phone::parse(&format!("1{i:010}")).unwrap()
}

fn entries(n: usize) -> Vec<Entry> {
    (0..n).map(|i| Entry::new(i, phone(i))).collect()
}

/// A campaign of `n` entries with `retry`, nameless and without a key.
fn new(n: usize, retry: RetryPolicy) -> NewCampaign {
    NewCampaign {
        name: None,
        retry,
        columns: Vec::new(),
        entries: entries(n),
        idempotency_key: None,
        idempotency_digest: None,
        start: false,
        hours: crate::hours::Hours::default(),
        answers: crate::answer::AnswerSettings::default(),
        require_registry: false,
    }
}

/// `now` with the wall clock stepped and the monotonic clock untouched.
fn stepped(now: Now, step_ms: i64) -> Now {
    Now {
        wall: Timestamp(now.wall.millis().checked_add_signed(step_ms).unwrap()),
        ..now
    }
}

/// Campaign 1 as a draft of `n` entries with `retry`.
fn first(n: usize, retry: RetryPolicy, concurrency: usize) -> Campaign {
    let meta = CampaignMeta {
        retry,
        ..CampaignMeta::first(false, 0)
    };
    Campaign::create(meta, entries(n), settings(concurrency))
}

/// What the summary of `c` must say, recounted from its entries.
fn recount(c: &Campaign) -> Result<(), String> {
    let mut errors = Vec::new();
    if c.len() != c.entries().len() {
        errors.push(format!(
            "total {} for {} entries",
            c.len(),
            c.entries().len()
        ));
    }
    for st in Status::ALL {
        let n = c.entries().iter().filter(|e| e.status == st).count();
        if c.count(st) != n {
            errors.push(format!("{st}: summary {} recount {n}", c.count(st)));
        }
    }
    for o in Outcome::ALL {
        let n = c
            .entries()
            .iter()
            .filter(|e| e.status.is_final() && e.outcome == Some(o))
            .count();
        if c.outcome_count(o) != n {
            errors.push(format!(
                "outcome {o}: summary {} recount {n}",
                c.outcome_count(o)
            ));
        }
    }
    for e in c.entries() {
        if e.status.is_final() != e.outcome.is_some() {
            errors.push(format!(
                "entry {} is {} with outcome {:?}",
                e.index, e.status, e.outcome
            ));
        }
    }
    let attempts: u64 = c.entries().iter().map(|e| u64::from(e.attempt)).sum();
    if c.attempts() != attempts {
        errors.push(format!(
            "attempts: summary {} recount {attempts}",
            c.attempts()
        ));
    }
    let active = c
        .entries()
        .iter()
        .filter(|e| e.status.is_in_flight())
        .count();
    if c.active() != active {
        errors.push(format!("active: summary {} recount {active}", c.active()));
    }
    let dialed = c.entries().iter().filter(|e| e.attempt > 0).count() as u64;
    if c.dialed() != dialed {
        errors.push(format!("dialed: {} recount {dialed}", c.dialed()));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!("campaign {}: {}", c.id(), errors.join("; ")))
    }
}

/// A registry and a clock, with the few moves the unit tests make.
struct World {
    cs: Campaigns,
    now: Now,
    secrets: u64,
    /// (campaign, index, attempt) of every dial, in order.
    log: Vec<(u64, usize, u32)>,
}

impl World {
    /// Campaign 1 (`n1` entries) plus one campaign per `others`, all drafts.
    fn new(concurrency: usize, n1: usize, others: &[(usize, RetryPolicy)]) -> World {
        let mut cs = Campaigns::new(Vec::new(), Retired::default(), settings(concurrency));
        cs.insert_first(first(n1, RetryPolicy::default(), concurrency));
        for (i, (n, retry)) in others.iter().enumerate() {
            let id = cs.create(new(*n, retry.clone()), T0).id();
            assert_eq!(id, i as u64 + 2);
        }
        World {
            cs,
            now: N0,
            secrets: 0,
            log: Vec::new(),
        }
    }

    fn op(&mut self, id: u64, op: Operation) -> Result<Option<Changed>, OperationError> {
        let r = self.cs.operate(id, op, self.now.wall);
        self.recount();
        r
    }

    fn start(&mut self, id: u64) {
        self.op(id, Operation::Start).unwrap().unwrap();
    }

    /// Begins the next dial and leaves its POST /call out.
    fn begin(&mut self) -> Option<DialOrder> {
        let secret = format!("s{}", self.secrets);
        self.secrets += 1;
        let o = self.cs.begin_dial(&secret, self.now)?;
        let want = match o.campaign {
            FIRST => secret,
            id => format!("{id}-{secret}"),
        };
        assert_eq!(o.token, want);
        assert_eq!(Campaigns::campaign_of(&o.token), Some(o.campaign));
        assert_eq!(self.cs.pending_dial(), Some((o.campaign, o.index)));
        let attempt = self.entry(o.campaign, o.index).attempt;
        self.log.push((o.campaign, o.index, attempt));
        self.recount();
        Some(o)
    }

    /// Places `o` with its own call id.
    fn place(&mut self, o: &DialOrder) {
        let id = CallId::Number(100_000 + self.log.len() as u64);
        self.cs
            .finish_dial(o.campaign, o.index, DialAnswer::Placed { id }, self.now);
        assert_eq!(self.cs.pending_dial(), None);
        self.recount();
    }

    fn dial(&mut self) -> Option<(u64, usize)> {
        let o = self.begin()?;
        self.place(&o);
        Some((o.campaign, o.index))
    }

    /// Dials while the lines allow; returns what was dialed.
    fn dial_all(&mut self) -> Vec<(u64, usize)> {
        std::iter::from_fn(|| self.dial()).collect()
    }

    fn entry(&self, id: u64, index: usize) -> &Entry {
        self.cs.get(id).unwrap().entry(index).unwrap()
    }

    fn report(&mut self, id: u64, index: usize, event: CallEvent) -> WebhookOutcome {
        let e = self.entry(id, index);
        let token = e.details().token.clone().unwrap();
        let report = CallReport {
            id: e.details().call_id.clone().unwrap(),
            event,
            sequence: None,
        };
        let (got, out) = self.cs.apply_report(&token, report, self.now).unwrap();
        assert_eq!((got, out.index), (id, index));
        self.recount();
        out
    }

    /// Ends the current attempt of an entry: answered, or nobody picked up.
    fn end(&mut self, id: u64, index: usize, answered: bool) {
        if answered {
            self.report(id, index, CallEvent::Answered);
        }
        let out = self.report(id, index, CallEvent::Completed);
        assert!(out.freed_slot);
    }

    fn advance(&mut self, ms: u64) -> Vec<(u64, Vec<usize>)> {
        self.now = self.now.plus_millis(ms);
        let expired = self.cs.expire(self.now);
        self.recount();
        expired
    }

    fn state(&self, id: u64) -> CampaignState {
        self.cs.get(id).unwrap().state()
    }

    fn recount(&self) {
        for c in self.cs.iter() {
            recount(c).unwrap();
        }
        let active: usize = self.cs.iter().map(Campaign::active).sum();
        assert_eq!(self.cs.active(), active);
        assert!(active <= self.cs.settings().concurrency, "window exceeded");
    }
}

#[test]
fn two_running_campaigns_share_the_lines_and_the_earliest_started_dials_first() {
    let mut w = World::new(
        3,
        0,
        &[(4, RetryPolicy::default()), (3, RetryPolicy::default())],
    );
    // Campaign 3 is started before campaign 2: it goes first.
    w.start(3);
    w.start(2);
    assert_eq!(w.dial_all(), vec![(3, 0), (3, 1), (3, 2)]);
    assert_eq!(w.cs.active(), 3);
    assert!(!w.cs.can_dial(w.now.mono));
    // Campaign 3 has nothing left to dial: its freed line goes to 2.
    w.end(3, 1, false);
    assert_eq!(w.dial_all(), vec![(2, 0)]);
    w.end(3, 0, true);
    w.end(3, 2, true);
    assert_eq!(w.dial_all(), vec![(2, 1), (2, 2)]);
    assert_eq!(w.state(3), CampaignState::Done);
    for i in 0..3 {
        w.end(2, i, true);
    }
    assert_eq!(w.dial_all(), vec![(2, 3)]);
    w.end(2, 3, false);
    assert_eq!(w.state(2), CampaignState::Done);
    assert_eq!(w.cs.active(), 0);
    assert_eq!(w.cs.dialed(), 7);
}

#[test]
fn a_due_retry_of_an_earlier_campaign_goes_before_a_later_campaigns_fresh_entries() {
    let mut w = World::new(
        2,
        0,
        &[(2, policy(2, 5, BOTH)), (4, RetryPolicy::default())],
    );
    w.start(2);
    w.start(3);
    assert_eq!(w.dial_all(), vec![(2, 0), (2, 1)]);
    w.end(2, 0, false);
    assert_eq!(w.entry(2, 0).status, Status::Waiting);
    // Not due yet: campaign 3 takes the line.
    assert_eq!(w.dial_all(), vec![(3, 0)]);
    w.advance(4_999);
    w.end(3, 0, true);
    assert_eq!(w.dial_all(), vec![(3, 1)]);
    // Due: it goes before campaign 3's next fresh entry.
    w.advance(1);
    w.end(3, 1, true);
    assert_eq!(w.dial_all(), vec![(2, 0)]);
    assert_eq!(w.entry(2, 0).attempt, 2);
    w.end(2, 1, true);
    assert_eq!(w.dial_all(), vec![(3, 2)]);
}

#[test]
fn one_dial_is_out_at_a_time_across_campaigns() {
    let mut w = World::new(4, 2, &[(2, RetryPolicy::default())]);
    w.start(1);
    w.start(2);
    let o = w.begin().unwrap();
    assert_eq!((o.campaign, o.index), (1, 0));
    assert!(!w.cs.can_dial(w.now.mono));
    assert_eq!(w.begin(), None, "no second POST /call while one is out");
    // Another campaign's dial answer does not release it.
    assert!(
        !w.cs
            .finish_dial(2, 0, DialAnswer::Placed { id: 9.into() }, w.now)
    );
    assert_eq!(w.cs.pending_dial(), Some((1, 0)));
    // Its webhooks may come before its answer: the dial stays out.
    let out =
        w.cs.apply_report(
            &o.token,
            WebhookBody {
                id: 50,
                status: CallStatus::Completed,
            }
            .into(),
            w.now,
        )
        .unwrap();
    assert!(out.1.freed_slot);
    assert_eq!(w.begin(), None);
    w.cs.finish_dial(1, 0, DialAnswer::Placed { id: 50.into() }, w.now);
    assert_eq!(w.cs.pending_dial(), None);
    assert_eq!(w.dial_all(), vec![(1, 1), (2, 0), (2, 1)]);
}

#[test]
fn pause_stops_new_dials_while_calls_finish_and_free_their_lines() {
    let mut w = World::new(
        2,
        0,
        &[(4, RetryPolicy::default()), (2, RetryPolicy::default())],
    );
    w.start(2);
    w.start(3);
    let o = w.begin().unwrap();
    assert_eq!(o.campaign, 2);
    // Paused with its dial out: the answer still lands, nothing more goes.
    assert_eq!(w.op(2, Operation::Pause), Ok(Some(Changed::default())));
    w.place(&o);
    assert_eq!(w.state(2), CampaignState::Paused);
    assert_eq!(w.dial_all(), vec![(3, 0)]);
    assert_eq!(w.dial_all(), vec![]);
    // The paused campaign's call ends and frees a line for campaign 3.
    w.end(2, 0, true);
    assert_eq!(w.dial_all(), vec![(3, 1)]);
    w.end(3, 0, true);
    w.end(3, 1, true);
    assert_eq!(w.state(3), CampaignState::Done);
    assert_eq!(w.dial_all(), vec![], "paused: nothing dials");
    assert!(!w.cs.can_dial(w.now.mono.plus_millis(HOUR)));
    // Resume goes on from the next entry.
    assert_eq!(w.op(2, Operation::Resume), Ok(Some(Changed::default())));
    assert_eq!(w.dial_all(), vec![(2, 1), (2, 2)]);
}

#[test]
fn stop_cancels_the_rest_lets_calls_finish_and_nothing_more_is_dialed() {
    let mut w = World::new(
        3,
        0,
        &[(6, policy(3, 0, BOTH)), (2, RetryPolicy::default())],
    );
    w.start(2);
    w.dial_all();
    w.end(2, 0, false);
    assert_eq!(w.entry(2, 0).status, Status::Waiting);
    let o = w.begin().unwrap();
    assert_eq!((o.campaign, o.index, w.entry(2, 0).attempt), (2, 0, 2));
    w.place(&o);
    w.end(2, 1, false);
    // 0 is in flight (attempt 2), 1 waits, 2 is in flight, 3..6 idle.
    let changed = w.op(2, Operation::Stop).unwrap().unwrap();
    assert_eq!(changed.entries, vec![1, 3, 4, 5]);
    for i in changed.entries {
        let e = w.entry(2, i);
        assert_eq!(
            (e.status, e.outcome),
            (Status::Canceled, Some(Outcome::Canceled))
        );
    }
    assert_eq!(w.dial_all(), vec![]);
    // Calls in flight finish normally, and earn no retry.
    w.end(2, 0, false);
    w.end(2, 2, true);
    assert_eq!(w.entry(2, 0).outcome, Some(Outcome::NoAnswer));
    assert_eq!(w.entry(2, 2).outcome, Some(Outcome::Answered));
    assert_eq!(w.state(2), CampaignState::Stopped);
    // Another campaign takes the lines; the stopped one never dials again.
    w.start(3);
    assert_eq!(w.dial_all(), vec![(3, 0), (3, 1)]);
    w.advance(HOUR);
    assert_eq!(w.dial_all(), vec![]);
    assert_eq!(w.log.iter().filter(|(c, ..)| *c == 2).count(), 4);
}

#[test]
fn repeated_operations_change_nothing_and_disallowed_ones_are_refused() {
    let mut w = World::new(1, 1, &[(2, RetryPolicy::default())]);
    let v = w.cs.version();
    use CampaignState::*;
    use Operation::*;
    for op in [Pause, Resume, Stop] {
        assert_eq!(
            w.op(2, op),
            Err(OperationError::NotAllowed(NotAllowed { op, from: Draft }))
        );
    }
    assert_eq!(w.cs.version(), v);
    w.start(2);
    assert!(w.cs.version() > v);
    let v = w.cs.version();
    assert_eq!(w.op(2, Resume), Ok(None));
    assert_eq!((w.state(2), w.cs.version()), (Running, v));
    // Start is for drafts only, as POST /calls is.
    assert_eq!(
        w.op(2, Start),
        Err(OperationError::NotAllowed(NotAllowed {
            op: Start,
            from: Running
        }))
    );
    assert_eq!(w.cs.version(), v);
    w.op(2, Pause).unwrap().unwrap();
    let v = w.cs.version();
    assert_eq!(w.op(2, Pause), Ok(None));
    assert_eq!(
        w.op(2, Start),
        Err(OperationError::NotAllowed(NotAllowed {
            op: Start,
            from: Paused
        }))
    );
    assert_eq!(w.cs.version(), v);
    w.op(2, Stop).unwrap().unwrap();
    let v = w.cs.version();
    assert_eq!(w.op(2, Stop), Ok(None));
    for op in [Start, Pause, Resume] {
        assert_eq!(
            w.op(2, op),
            Err(OperationError::NotAllowed(NotAllowed { op, from: Stopped }))
        );
    }
    assert_eq!(w.cs.version(), v);
    // Done is final too.
    w.start(1);
    w.dial_all();
    w.end(1, 0, true);
    assert_eq!(w.state(1), Done);
    for op in Operation::ALL {
        assert_eq!(
            w.op(1, op),
            Err(OperationError::NotAllowed(NotAllowed { op, from: Done }))
        );
    }
    assert_eq!(w.op(9, Start), Err(OperationError::NotFound(9)));
}

#[test]
fn tokens_carry_their_campaign_and_campaign_1_has_no_prefix() {
    assert_eq!(Campaigns::campaign_of("0123abcd"), Some(FIRST));
    assert_eq!(Campaigns::campaign_of("2-0123abcd"), Some(2));
    assert_eq!(Campaigns::campaign_of("17-x"), Some(17));
    assert_eq!(Campaigns::campaign_of("x-y"), None);
    let mut w = World::new(
        4,
        1,
        &[(1, RetryPolicy::default()), (1, RetryPolicy::default())],
    );
    for id in 1..=3 {
        w.start(id);
    }
    let dialed = w.dial_all();
    assert_eq!(dialed, vec![(1, 0), (2, 0), (3, 0)]);
    let tokens: Vec<String> = (1..=3)
        .map(|id| w.entry(id, 0).details().token.clone().unwrap())
        .collect();
    assert_eq!(tokens, vec!["s0", "2-s1", "3-s2"]);
    // Each webhook reaches its own campaign only.
    let call = w.entry(2, 0).details().call_id.clone().unwrap();
    let ringing = CallReport {
        id: call.clone(),
        event: CallEvent::Ringing,
        sequence: None,
    };
    let (id, out) = w.cs.apply_report("2-s1", ringing, w.now).unwrap();
    assert_eq!((id, out.index, out.applied), (2, 0, true));
    assert_eq!(w.entry(1, 0).status, Status::Dialing);
    assert_eq!(w.entry(3, 0).status, Status::Dialing);
    // A token another campaign issued, under the wrong prefix, is unknown.
    let v = w.cs.version();
    for forged in ["3-s1", "s1", "2-s0", "9-s1", "x-s1"] {
        let completed = CallReport {
            id: call.clone(),
            event: CallEvent::Completed,
            sequence: None,
        };
        let r = w.cs.apply_report(forged, completed, w.now);
        assert_eq!(r, Err(WebhookError::UnknownToken), "{forged}");
    }
    assert_eq!(w.cs.version(), v);
    // Webhooks for a deleted campaign's calls are unknown too.
    w.end(3, 0, true);
    w.cs.delete(3).unwrap();
    let r = w.cs.apply_report(
        "3-s2",
        WebhookBody {
            id: 3_000,
            status: CallStatus::Completed,
        }
        .into(),
        w.now,
    );
    assert_eq!(r, Err(WebhookError::UnknownToken));
}

#[test]
fn delete_takes_only_campaigns_that_are_over_and_never_lowers_version_or_dialed() {
    let mut w = World::new(
        2,
        1,
        &[(1, RetryPolicy::default()), (2, RetryPolicy::default())],
    );
    assert_eq!(w.cs.delete(1).unwrap_err(), DeleteError::First);
    assert_eq!(w.cs.delete(7).unwrap_err(), DeleteError::NotFound(7));
    // A draft goes at once.
    let (v, d) = (w.cs.version(), w.cs.dialed());
    w.cs.delete(2).unwrap();
    assert_eq!((w.cs.version(), w.cs.dialed()), (v + 1, d));
    assert_eq!(w.cs.delete(2).unwrap_err(), DeleteError::NotFound(2));
    w.start(3);
    assert_eq!(
        w.cs.delete(3).unwrap_err(),
        DeleteError::Live {
            id: 3,
            state: CampaignState::Running
        }
    );
    let o = w.begin().unwrap();
    w.op(3, Operation::Pause).unwrap();
    assert_eq!(
        w.cs.delete(3).unwrap_err(),
        DeleteError::Live {
            id: 3,
            state: CampaignState::Paused
        }
    );
    w.op(3, Operation::Stop).unwrap();
    // Stopped, but its dial is still out: not yet.
    assert_eq!(
        w.cs.delete(3).unwrap_err(),
        DeleteError::InFlight { id: 3, active: 1 }
    );
    w.place(&o);
    assert_eq!(
        w.cs.delete(3).unwrap_err(),
        DeleteError::InFlight { id: 3, active: 1 }
    );
    w.end(3, 0, true);
    let (v, d) = (w.cs.version(), w.cs.dialed());
    assert_eq!(d, 1);
    let gone = w.cs.delete(3).unwrap();
    assert_eq!(gone.id(), 3);
    assert_eq!((w.cs.version(), w.cs.dialed()), (v + 1, d));
    assert_eq!(w.cs.retired().dialed, 1);
    // Ids are never reused, even the highest one's.
    let id = w.cs.create(new(1, RetryPolicy::default()), T0).id();
    assert_eq!(id, 4);
    assert!(w.cs.version() > v + 1);
    // A done campaign goes too.
    w.start(1);
    w.dial_all();
    w.end(1, 0, true);
    w.start(4);
    w.dial_all();
    w.end(4, 0, false);
    assert_eq!(w.state(4), CampaignState::Done);
    let (v, d) = (w.cs.version(), w.cs.dialed());
    w.cs.delete(4).unwrap();
    assert_eq!((w.cs.version(), w.cs.dialed()), (v + 1, d));
    assert_eq!(d, 3, "campaigns 1, 3 (deleted) and 4 dialed one entry each");
}

#[test]
fn a_deleted_campaigns_idempotency_key_is_forgotten() {
    let mut cs = Campaigns::new(Vec::new(), Retired::default(), settings(1));
    let id = cs
        .create(
            NewCampaign {
                name: Some("x".into()),
                idempotency_key: Some("k".into()),
                ..new(1, RetryPolicy::default())
            },
            T0,
        )
        .id();
    assert_eq!(id, FIRST);
    let id = cs
        .create(
            NewCampaign {
                name: None,
                idempotency_key: Some("k2".into()),
                ..new(1, RetryPolicy::default())
            },
            T0,
        )
        .id();
    assert_eq!(cs.by_key("k2"), Some(id));
    cs.delete(id).unwrap();
    assert_eq!(cs.by_key("k2"), None);
    assert_eq!(cs.by_key("k"), Some(FIRST));
}

#[test]
fn retries_wait_on_the_monotonic_clock_and_next_deadline_counts_only_running_ones() {
    let mut w = World::new(
        1,
        0,
        &[(1, policy(2, 5, BOTH)), (1, RetryPolicy::default())],
    );
    w.start(2);
    w.dial_all();
    let dialed = w.now.mono;
    assert_eq!(w.cs.next_deadline(), Some(dialed.plus_millis(TIMEOUT)));
    w.end(2, 0, false);
    assert_eq!(w.cs.next_deadline(), Some(w.now.mono.plus_millis(5_000)));
    // The wall clock jumps a day ahead: still not due.
    w.now = stepped(w.now, 24 * HOUR as i64);
    w.start(3);
    assert_eq!(w.dial_all(), vec![(3, 0)]);
    w.end(3, 0, true);
    assert_eq!(w.dial_all(), vec![]);
    // A paused campaign's retry is no deadline of the registry's.
    w.op(2, Operation::Pause).unwrap();
    assert_eq!(w.cs.next_deadline(), None);
    w.op(2, Operation::Resume).unwrap();
    w.now = stepped(w.now, -48 * HOUR as i64);
    w.advance(4_999);
    assert_eq!(w.dial_all(), vec![]);
    w.advance(1);
    assert_eq!(w.dial_all(), vec![(2, 0)]);
    assert_eq!(w.entry(2, 0).attempt, 2);
}

#[test]
fn an_old_attempts_webhooks_reach_their_campaign_and_change_nothing() {
    let mut w = World::new(1, 0, &[(1, policy(3, 0, BOTH))]);
    w.start(2);
    let o = w.begin().unwrap();
    w.cs.finish_dial(2, 0, DialAnswer::Placed { id: 77.into() }, w.now);
    let failed = CallEvent::Failed { reason: "x".into() };
    w.cs.apply_report(&o.token, CallReport::new(77.into(), failed), w.now)
        .unwrap();
    assert_eq!(w.entry(2, 0).status, Status::Waiting);
    assert_eq!(w.dial_all(), vec![(2, 0)]);
    let e = w.entry(2, 0).clone();
    assert_eq!(e.attempt, 2);
    for status in [CallStatus::Answered, CallStatus::Completed] {
        let (id, out) =
            w.cs.apply_report(&o.token, WebhookBody { id: 77, status }.into(), w.now)
                .unwrap();
        assert_eq!(
            (id, out.effect, out.applied),
            (2, Effect::AfterFinal, false)
        );
        let now = w.entry(2, 0);
        assert_eq!(
            (
                now.status,
                now.attempt,
                &now.details().token,
                &now.details().call_id,
                now.answered
            ),
            (
                e.status,
                e.attempt,
                &e.details().token,
                &e.details().call_id,
                e.answered
            )
        );
    }
    assert_eq!(w.cs.active(), 1);
}

#[test]
fn restored_campaigns_keep_their_order_and_new_ones_come_after() {
    let mut w = World::new(
        2,
        2,
        &[(3, RetryPolicy::default()), (1, RetryPolicy::default())],
    );
    w.start(2);
    w.start(1);
    w.dial_all();
    w.cs.delete(3).unwrap();
    // A restart: every campaign restored from what the store holds.
    let now = Now {
        wall: T0,
        mono: Mono(0),
    };
    let restored: Vec<Campaign> =
        w.cs.iter()
            .map(|c| {
                let meta = CampaignMeta {
                    version: c.version(),
                    ..c.meta().clone()
                };
                Campaign::restore(meta, c.entries().to_vec(), settings(2), now).unwrap()
            })
            .collect();
    let mut cs = Campaigns::new(restored, w.cs.retired(), settings(2));
    assert_eq!(cs.version(), w.cs.version());
    assert_eq!(cs.dialed(), w.cs.dialed());
    assert_eq!(cs.active(), 2);
    // Both of campaign 2's lines are held; when one frees, campaign 2
    // (started first) still dials before campaign 1.
    let t2 = w.entry(2, 0).details().token.clone().unwrap();
    let id2 = w.entry(2, 0).details().call_id.clone().unwrap();
    cs.apply_report(
        &t2,
        CallReport {
            id: id2,
            event: CallEvent::Completed,
            sequence: None,
        },
        now,
    )
    .unwrap();
    let o = cs.begin_dial("r0", now).unwrap();
    assert_eq!((o.campaign, o.index), (2, 2));
    cs.finish_dial(2, 2, DialAnswer::Placed { id: 5.into() }, now);
    // A new campaign gets an id never used, and starts after the others.
    let id = cs.create(new(1, RetryPolicy::default()), T0).id();
    assert_eq!(id, 4);
    cs.operate(4, Operation::Start, T0).unwrap();
    assert!(cs.get(4).unwrap().meta().start_seq > cs.get(1).unwrap().meta().start_seq);
    assert!(cs.get(1).unwrap().meta().start_seq > cs.get(2).unwrap().meta().start_seq);
    // A gap in a stored list is refused, naming the campaign.
    let meta = cs.get(2).unwrap().meta().clone();
    let mut gap = cs.get(2).unwrap().entries().to_vec();
    gap.remove(0);
    assert_eq!(
        Campaign::restore(meta, gap, settings(2), now).unwrap_err(),
        RestoreError::IndexGap {
            campaign: 2,
            position: 0,
            found: 1
        }
    );
}

#[test]
fn restoring_a_stopped_campaign_keeps_its_summary() {
    let mut w = World::new(1, 0, &[(3, RetryPolicy::default())]);
    w.start(2);
    w.dial_all();
    w.end(2, 0, true);
    let changed = w.op(2, Operation::Stop).unwrap().unwrap();
    assert_eq!(changed.entries, vec![1, 2]);
    // The store writes the entries the stop changed, and the record.
    let c = w.cs.get(2).unwrap();
    let meta = CampaignMeta {
        version: c.version(),
        ..c.meta().clone()
    };
    let now = Now {
        wall: T0,
        mono: Mono(0),
    };
    let r = Campaign::restore(meta, c.entries().to_vec(), settings(1), now).unwrap();
    recount(&r).unwrap();
    let outcomes = |c: &Campaign| Outcome::ALL.map(|o| c.outcome_count(o));
    assert_eq!(outcomes(&r), outcomes(c));
}

// ---------------------------------------------------------------------------
// Random interleavings across campaigns.

/// How the POST /call of a dial ends.
#[derive(Debug, Clone, Copy)]
enum Answer {
    Placed,
    Refused,
    Unreachable,
    Unanswered,
}

/// The webhooks the provider will send for a placed call (shuffled,
/// duplicated or dropped on delivery).
#[derive(Debug, Clone, Copy)]
struct Hooks {
    ringing: bool,
    answered: bool,
    /// 0: no final webhook (the timeout ends it), 1: completed, 2: failed.
    last: u8,
}

#[derive(Debug, Clone)]
enum Step {
    Dial(Answer, Hooks),
    /// The out dial's answer comes back.
    Answer,
    /// A webhook from the pool: 0 dropped, 1 delivered and kept for a
    /// duplicate, else delivered.
    Deliver(Index, u8),
    /// A webhook of an attempt that is no longer current comes (again),
    /// late: providers retry webhooks.
    Replay(Index),
    /// A webhook no provider sent: unknown tokens, wrong call ids.
    Forged(Index, u8),
    /// Time passes (and the wall clock may be stepped); calls expire.
    Advance(u64, i64),
    /// Time runs to the registry's next deadline exactly (a timeout or a
    /// retry due), or `1 ms` short of it.
    AdvanceToDeadline(bool),
    Lifecycle(Index, Operation),
    Delete(Index),
    Create(usize, RetryPolicy),
}

fn retry_policy() -> impl Strategy<Value = RetryPolicy> {
    (
        1u32..=3,
        // Often none: a retry then overtakes its old attempt's webhooks.
        prop_oneof![Just(0u64), 1u64..=5],
        prop::sample::subsequence(vec![Outcome::NoAnswer, Outcome::Failed], 0..=2),
    )
        .prop_map(|(max_attempts, retry_delay, retry_on)| RetryPolicy {
            max_attempts,
            retry_delay,
            retry_on,
        })
}

fn step() -> impl Strategy<Value = Step> {
    let answer = prop_oneof![
        6 => Just(Answer::Placed),
        1 => Just(Answer::Refused),
        1 => Just(Answer::Unreachable),
        1 => Just(Answer::Unanswered),
    ];
    let hooks = (
        any::<bool>(),
        any::<bool>(),
        prop_oneof![1 => Just(0u8), 3 => Just(1), 1 => Just(2)],
    )
        .prop_map(|(ringing, answered, last)| Hooks {
            ringing,
            answered,
            last,
        });
    let op = prop_oneof![
        3 => Just(Operation::Start),
        2 => Just(Operation::Pause),
        2 => Just(Operation::Resume),
        1 => Just(Operation::Stop),
    ];
    let ms = prop_oneof![0u64..2_000, 2_000u64..12_000];
    let wall = prop_oneof![
        6 => Just(0i64),
        1 => Just(HOUR as i64),
        1 => Just(-(HOUR as i64)),
        1 => -60_000i64..60_000,
    ];
    prop_oneof![
        6 => (answer, hooks).prop_map(|(a, h)| Step::Dial(a, h)),
        4 => Just(Step::Answer),
        10 => (any::<Index>(), 0u8..6).prop_map(|(i, m)| Step::Deliver(i, m)),
        2 => any::<Index>().prop_map(Step::Replay),
        1 => (any::<Index>(), any::<u8>()).prop_map(|(i, k)| Step::Forged(i, k)),
        4 => (ms, wall).prop_map(|(ms, w)| Step::Advance(ms, w)),
        2 => any::<bool>().prop_map(Step::AdvanceToDeadline),
        3 => (any::<Index>(), op).prop_map(|(i, op)| Step::Lifecycle(i, op)),
        1 => any::<Index>().prop_map(Step::Delete),
        1 => (0usize..=8, retry_policy()).prop_map(|(n, r)| Step::Create(n, r)),
    ]
}

/// A webhook the provider will send.
#[derive(Debug, Clone)]
struct Hook {
    campaign: u64,
    index: usize,
    token: String,
    report: CallReport,
}

/// What was last seen of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seen {
    attempt: u32,
    status: Status,
    outcome: Option<Outcome>,
}

impl Seen {
    fn of(e: &Entry) -> Seen {
        Seen {
            attempt: e.attempt,
            status: e.status,
            outcome: e.outcome,
        }
    }
}

/// Where a status stands within one attempt: forward only, `waiting`
/// after the attempt's end, `canceled` last.
fn progress(s: Status) -> u8 {
    match s {
        Status::Idle => 0,
        Status::Dialing => 1,
        Status::Ringing => 2,
        Status::Answered => 3,
        Status::Completed | Status::Failed => 4,
        Status::Waiting => 5,
        Status::Canceled => 6,
    }
}

/// What the test knows, independently of the registry.
struct Model {
    now: Now,
    concurrency: usize,
    secrets: u64,
    calls: u64,
    /// Every id ever handed out, deleted ones included.
    ids: Vec<u64>,
    deleted: BTreeSet<u64>,
    /// Campaigns in the order they were started.
    started: Vec<u64>,
    stopped: BTreeSet<u64>,
    policies: BTreeMap<u64, RetryPolicy>,
    states: BTreeMap<u64, CampaignState>,
    seen: BTreeMap<(u64, usize), Seen>,
    /// The next fresh entry of each campaign.
    fresh: BTreeMap<u64, usize>,
    /// Every token of every entry; the last is the current one.
    tokens: BTreeMap<(u64, usize), Vec<String>>,
    /// When the current attempt was dialed, by the monotonic clock.
    dialed_at: BTreeMap<(u64, usize), Mono>,
    /// When a waiting entry's retry is due, by the monotonic clock.
    due: BTreeMap<(u64, usize), Mono>,
    pending: Option<(u64, usize, DialAnswer)>,
    pool: Vec<Hook>,
    /// Every webhook the provider was to send, delivered or not.
    sent: Vec<Hook>,
    version: u64,
    dialed: u64,
}

type Check = Result<(), TestCaseError>;

impl Model {
    fn add(&mut self, c: &Campaign) {
        let id = c.id();
        self.ids.push(id);
        self.policies.insert(id, c.meta().retry.clone());
        self.states.insert(id, c.state());
        self.fresh.insert(id, 0);
        for e in c.entries() {
            self.seen.insert((id, e.index), Seen::of(e));
        }
    }

    /// The dial the rules call for now: the earliest-started running
    /// campaign with an entry due; in it, the earliest due retry (then the
    /// lowest index), else the first fresh entry.
    fn next_dial(&self, cs: &Campaigns) -> Option<(u64, usize)> {
        if self.pending.is_some() || cs.active() >= self.concurrency {
            return None;
        }
        self.started.iter().find_map(|&id| {
            let c = cs.get(id)?;
            if c.state() != CampaignState::Running {
                return None;
            }
            let retry = c
                .entries()
                .iter()
                .filter(|e| e.status == Status::Waiting)
                .map(|e| (self.due[&(id, e.index)], e.index))
                .filter(|&(at, _)| at <= self.now.mono)
                .min();
            let fresh = c.entries().iter().find(|e| e.status == Status::Idle);
            retry
                .map(|(_, i)| i)
                .or(fresh.map(|e| e.index))
                .map(|i| (id, i))
        })
    }

    /// Begins the next dial if any is due, and checks that it is the one
    /// the rules call for.
    fn dial(
        &mut self,
        cs: &mut Campaigns,
        answer: Answer,
        hooks: Hooks,
    ) -> Result<bool, TestCaseError> {
        let want = self.next_dial(cs);
        prop_assert_eq!(cs.can_dial(self.now.mono), want.is_some());
        let secret = format!("s{}", self.secrets);
        self.secrets += 1;
        let order = cs.begin_dial(&secret, self.now);
        prop_assert_eq!(order.as_ref().map(|o| (o.campaign, o.index)), want);
        let Some(o) = order else {
            return Ok(false);
        };
        let (id, i) = (o.campaign, o.index);
        prop_assert_eq!(
            self.states[&id],
            CampaignState::Running,
            "only running campaigns dial"
        );
        prop_assert!(!self.stopped.contains(&id), "a stopped campaign dialed");
        let token = if id == FIRST {
            secret
        } else {
            format!("{id}-{secret}")
        };
        prop_assert_eq!(&o.token, &token);
        prop_assert_eq!(Campaigns::campaign_of(&token), Some(id));
        let e = cs.get(id).unwrap().entry(i).unwrap();
        prop_assert_eq!(&o.phone, &e.phone);
        prop_assert_eq!(e.attempt, self.seen[&(id, i)].attempt + 1);
        if e.attempt == 1 {
            prop_assert_eq!(i, self.fresh[&id], "fresh entries go in list order");
            *self.fresh.get_mut(&id).unwrap() += 1;
        } else {
            let due = self.due[&(id, i)];
            prop_assert!(due <= self.now.mono, "retried before its delay");
        }
        self.tokens.entry((id, i)).or_default().push(token.clone());
        self.dialed_at.insert((id, i), self.now.mono);
        self.calls += 1;
        let call = CallId::Number(self.calls);
        let answer = match answer {
            Answer::Placed => DialAnswer::Placed { id: call.clone() },
            Answer::Refused => DialAnswer::Refused {
                reason: "no".into(),
            },
            Answer::Unreachable => DialAnswer::Unreachable {
                reason: "down".into(),
            },
            Answer::Unanswered => DialAnswer::Unanswered {
                reason: "lost".into(),
            },
        };
        if matches!(
            answer,
            DialAnswer::Placed { .. } | DialAnswer::Unanswered { .. }
        ) {
            let mut events = Vec::new();
            if hooks.ringing {
                events.push(CallEvent::Ringing);
            }
            if hooks.answered {
                events.push(CallEvent::Answered);
            }
            match hooks.last {
                1 => events.push(CallEvent::Completed),
                2 => events.push(CallEvent::Failed {
                    reason: "busy".into(),
                }),
                _ => {}
            }
            for event in events {
                let hook = Hook {
                    campaign: id,
                    index: i,
                    token: token.clone(),
                    report: CallReport {
                        id: call.clone(),
                        event,
                        sequence: None,
                    },
                };
                self.pool.push(hook.clone());
                self.sent.push(hook);
            }
        }
        self.pending = Some((id, i, answer));
        Ok(true)
    }

    fn answer(&mut self, cs: &mut Campaigns) {
        if let Some((id, i, answer)) = self.pending.take() {
            cs.finish_dial(id, i, answer, self.now);
        }
    }

    fn deliver(&mut self, cs: &mut Campaigns, hook: Hook) -> Check {
        let now = self.now;
        if self.deleted.contains(&hook.campaign) {
            let r = cs.apply_report(&hook.token, hook.report, now);
            prop_assert_eq!(r, Err(WebhookError::UnknownToken));
            return Ok(());
        }
        let key = (hook.campaign, hook.index);
        let current = self.tokens[&key].last() == Some(&hook.token);
        let before = cs
            .get(hook.campaign)
            .unwrap()
            .entry(hook.index)
            .unwrap()
            .clone();
        let report_status = hook.report.event.status();
        let r = cs.apply_report(&hook.token, hook.report, now);
        let (id, out) = r.map_err(|e| TestCaseError::fail(format!("{e}")))?;
        prop_assert_eq!((id, out.index), key);
        let after = cs.get(hook.campaign).unwrap().entry(hook.index).unwrap();
        if after.details().history.len() > before.details().history.len() {
            // Filed under the attempt its token was issued for.
            let attempt = self.tokens[&key].iter().position(|t| *t == hook.token);
            let filed = after.details().history.last().map(|ev| ev.attempt as usize);
            prop_assert_eq!(filed, attempt.map(|a| a + 1), "{:?}: event filed", key);
        }
        let reported = report_status;
        if current && before.status.is_in_flight() && reported.rank() > before.status.rank() {
            // A step forward within the attempt: applied.
            prop_assert!(out.applied);
            let ended = reported.is_final()
                && (after.status == Status::Waiting || after.status == reported);
            prop_assert!(
                after.status == reported || ended,
                "{:?}: {} -> {}",
                key,
                before.status,
                after.status
            );
        }
        let late_answer = current && reported == Status::Answered && !before.answered;
        let no_answer = before.status == Status::Waiting
            || (before.status == Status::Completed && before.outcome == Some(Outcome::NoAnswer));
        if late_answer && no_answer {
            // Somebody did pick up: answered, and no retry.
            prop_assert_eq!(
                (after.status, after.outcome, after.retry_at()),
                (Status::Completed, Some(Outcome::Answered), None)
            );
        }
        if !current {
            // An old attempt's webhook: recorded, changes nothing else.
            prop_assert_eq!(out.effect, Effect::AfterFinal);
            prop_assert!(!out.applied && !out.freed_slot);
            prop_assert_eq!(
                (after.attempt, after.status, after.outcome, after.answered),
                (
                    before.attempt,
                    before.status,
                    before.outcome,
                    before.answered
                )
            );
            prop_assert_eq!(
                (
                    &after.details().token,
                    &after.details().call_id,
                    after.retry_at(),
                    &after.details().reason
                ),
                (
                    &before.details().token,
                    &before.details().call_id,
                    before.retry_at(),
                    &before.details().reason
                )
            );
        }
        Ok(())
    }

    fn replay(&mut self, cs: &mut Campaigns, pick: Index) -> Check {
        let old: Vec<&Hook> = self
            .sent
            .iter()
            .filter(|h| self.tokens[&(h.campaign, h.index)].last() != Some(&h.token))
            .collect();
        if !old.is_empty() {
            let hook = (*pick.get(&old)).clone();
            self.deliver(cs, hook)?;
        }
        Ok(())
    }

    fn forged(&mut self, cs: &mut Campaigns, pick: Index, kind: u8) -> Check {
        let v = cs.version();
        let live: Vec<(u64, usize)> = cs
            .iter()
            .flat_map(|c| {
                c.entries()
                    .iter()
                    .filter(|e| e.status.is_in_flight() && e.details().call_id.is_some())
                    .map(move |e| (c.id(), e.index))
            })
            .collect();
        let completed = |id: CallId| CallReport {
            id,
            event: CallEvent::Completed,
            sequence: None,
        };
        if kind.is_multiple_of(2) && !live.is_empty() {
            // The right token with another call's id.
            let (id, i) = *pick.get(&live);
            let e = cs.get(id).unwrap().entry(i).unwrap().clone();
            let token = e.details().token.clone().unwrap();
            let r = cs.apply_report(&token, completed(CallId::Text("forged".into())), self.now);
            prop_assert!(matches!(r, Err(WebhookError::IdMismatch { .. })), "{:?}", r);
            prop_assert_eq!(cs.get(id).unwrap().entry(i).unwrap(), &e);
        } else {
            let token = match kind % 6 {
                1 => "nope".to_string(),
                3 => format!("{}-s0", self.ids.last().unwrap() + 1),
                _ => format!("{}-nope", pick.get(&self.ids)),
            };
            let r = cs.apply_report(&token, completed(1.into()), self.now);
            prop_assert_eq!(r, Err(WebhookError::UnknownToken));
        }
        prop_assert_eq!(cs.version(), v, "a refused webhook changed something");
        Ok(())
    }

    fn advance(&mut self, cs: &mut Campaigns, ms: u64, wall: i64) -> Check {
        self.now = stepped(self.now.plus_millis(ms), wall);
        let now = self.now;
        for (id, expired) in cs.expire(now) {
            for i in expired {
                let deadline = self.dialed_at[&(id, i)].plus_millis(TIMEOUT);
                prop_assert!(deadline <= now.mono, "{id}/{i} timed out early");
            }
        }
        for c in cs.iter() {
            for e in c.entries().iter().filter(|e| e.status.is_in_flight()) {
                let deadline = self.dialed_at[&(c.id(), e.index)].plus_millis(TIMEOUT);
                prop_assert!(
                    deadline > now.mono,
                    "{}/{} outlived its timeout",
                    c.id(),
                    e.index
                );
            }
        }
        Ok(())
    }

    fn lifecycle(&mut self, cs: &mut Campaigns, id: u64, op: Operation) -> Check {
        let v = cs.version();
        let Some(c) = cs.get(id) else {
            prop_assert_eq!(
                cs.operate(id, op, self.now.wall),
                Err(OperationError::NotFound(id))
            );
            return Ok(());
        };
        let from = c.state();
        let rest: Vec<usize> = c
            .entries()
            .iter()
            .filter(|e| matches!(e.status, Status::Idle | Status::Waiting))
            .map(|e| e.index)
            .collect();
        let got = cs.operate(id, op, self.now.wall);
        match (from.apply(op), got) {
            (Ok(None), Ok(None)) => prop_assert_eq!(cs.version(), v),
            (Err(want), Err(got)) => {
                prop_assert_eq!(got, OperationError::NotAllowed(want));
                prop_assert_eq!(cs.version(), v);
            }
            (Ok(Some(to)), Ok(Some(changed))) => {
                prop_assert!(cs.version() > v);
                let now = cs.get(id).unwrap().state();
                let done = now == CampaignState::Done && to == CampaignState::Running;
                prop_assert!(now == to || done, "{} took {} to {}", op, from, now);
                match op {
                    Operation::Start => self.started.push(id),
                    Operation::Stop => {
                        self.stopped.insert(id);
                        prop_assert_eq!(changed.entries, rest, "stop cancels idle and waiting");
                    }
                    _ => prop_assert!(changed.entries.is_empty()),
                }
                self.states.insert(id, now);
            }
            (want, got) => {
                prop_assert!(false, "{} on {}: want {:?}, got {:?}", op, from, want, got)
            }
        }
        Ok(())
    }

    fn delete(&mut self, cs: &mut Campaigns, id: u64) -> Check {
        let (v, d) = (cs.version(), cs.dialed());
        let want = match cs.get(id) {
            None => Err(DeleteError::NotFound(id)),
            Some(_) if id == FIRST => Err(DeleteError::First),
            Some(c) if matches!(c.state(), CampaignState::Running | CampaignState::Paused) => {
                Err(DeleteError::Live {
                    id,
                    state: c.state(),
                })
            }
            Some(c) if c.active() > 0 || c.pending_dial().is_some() => Err(DeleteError::InFlight {
                id,
                active: c.active().max(1),
            }),
            Some(_) => Ok(id),
        };
        let got = cs.delete(id).map(|c| c.id());
        prop_assert_eq!(got, want);
        if got.is_ok() {
            prop_assert_eq!((cs.version(), cs.dialed()), (v + 1, d));
            self.deleted.insert(id);
            self.states.remove(&id);
            self.seen.retain(|&(c, _), _| c != id);
        } else {
            prop_assert_eq!((cs.version(), cs.dialed()), (v, d));
        }
        Ok(())
    }

    fn create(&mut self, cs: &mut Campaigns, n: usize, retry: RetryPolicy) -> Check {
        let c = cs.create(new(n, retry), self.now.wall);
        let id = c.id();
        prop_assert_eq!(
            id,
            self.ids.iter().max().unwrap() + 1,
            "ids are never reused"
        );
        prop_assert_eq!(c.state(), CampaignState::Draft);
        let c = c.clone();
        self.add(&c);
        Ok(())
    }

    /// The rules that hold after every step. `dialed` is the entry the
    /// step dialed, if it did.
    fn check(&mut self, cs: &Campaigns, dialed: Option<(u64, usize)>) -> Check {
        let now = self.now;
        // Lines, the one dial out, and the registry's totals.
        let in_flight: usize = cs
            .iter()
            .flat_map(Campaign::entries)
            .filter(|e| e.status.is_in_flight())
            .count();
        prop_assert_eq!(cs.active(), in_flight);
        prop_assert!(
            in_flight <= self.concurrency,
            "window exceeded: {}",
            in_flight
        );
        let pending: Vec<(u64, usize)> = cs
            .iter()
            .filter_map(|c| c.pending_dial().map(|i| (c.id(), i)))
            .collect();
        prop_assert!(pending.len() <= 1, "dials out: {:?}", pending);
        let want = self.pending.as_ref().map(|&(id, i, _)| (id, i));
        prop_assert_eq!(cs.pending_dial(), want);
        prop_assert_eq!(pending.first().copied(), want);
        prop_assert!(cs.version() >= self.version, "version went down");
        prop_assert!(cs.dialed() >= self.dialed, "dialed went down");
        self.version = cs.version();
        self.dialed = cs.dialed();
        // Every deadline the registry will wake up for.
        let mut deadlines = Vec::new();
        for c in cs.iter() {
            let id = c.id();
            recount(c).map_err(TestCaseError::fail)?;
            let policy = &self.policies[&id];
            let was = self.states[&id];
            let live = matches!(was, CampaignState::Running | CampaignState::Paused);
            for e in c.entries() {
                let key = (id, e.index);
                let prev = self.seen[&key];
                let cur = Seen::of(e);
                prop_assert!(
                    e.attempt <= policy.max_attempts,
                    "{:?}: too many attempts",
                    key
                );
                let tokens = self.tokens.get(&key).map_or(0, Vec::len);
                prop_assert_eq!(e.attempt as usize, tokens, "{:?}: attempts", key);
                if e.status.is_in_flight() {
                    prop_assert_eq!(
                        e.details().token.as_ref(),
                        self.tokens[&key].last(),
                        "{:?}: token",
                        key
                    );
                    deadlines.push(self.dialed_at[&key].plus_millis(TIMEOUT));
                }
                if cur.attempt != prev.attempt {
                    prop_assert_eq!(
                        dialed,
                        Some(key),
                        "{:?}: attempt changed without a dial",
                        key
                    );
                    prop_assert_eq!(cur.attempt, prev.attempt + 1);
                    prop_assert!(matches!(prev.status, Status::Idle | Status::Waiting));
                    prop_assert_eq!(cur.status, Status::Dialing);
                } else if prev.status.is_final() {
                    let late_answer = prev.outcome == Some(Outcome::NoAnswer)
                        && cur.outcome == Some(Outcome::Answered);
                    prop_assert_eq!(cur.status, prev.status, "{:?}: a final status changed", key);
                    prop_assert!(
                        cur.outcome == prev.outcome || late_answer,
                        "{:?}: {:?} -> {:?}",
                        key,
                        prev,
                        cur
                    );
                } else if cur.status != prev.status {
                    let late_answer = prev.status == Status::Waiting
                        && cur.status == Status::Completed
                        && cur.outcome == Some(Outcome::Answered);
                    let forward = progress(cur.status) > progress(prev.status)
                        && prev.status != Status::Idle
                        && (prev.status != Status::Waiting || cur.status == Status::Canceled);
                    let canceled = prev.status == Status::Idle && cur.status == Status::Canceled;
                    prop_assert!(
                        forward || late_answer || canceled,
                        "{:?}: {:?} -> {:?}",
                        key,
                        prev,
                        cur
                    );
                    if cur.status == Status::Waiting {
                        prop_assert!(live, "{:?}: a retry in a {} campaign", key, was);
                        prop_assert!(e.attempt < policy.max_attempts);
                        let at = now.mono.plus_millis(policy.retry_delay * 1000);
                        self.due.insert(key, at);
                    }
                    // A timeout is never retried: its call may have been
                    // answered.
                    let timed_out = e
                        .details()
                        .reason
                        .as_deref()
                        .is_some_and(|r| r.starts_with("no final webhook"));
                    if matches!(cur.status, Status::Completed | Status::Failed)
                        && !late_answer
                        && !timed_out
                        && live
                    {
                        let o = cur.outcome.unwrap();
                        prop_assert!(
                            !policy.retries(o, e.attempt),
                            "{:?}: {} earned a retry",
                            key,
                            o
                        );
                    }
                }
                let outcome_fits = match e.status {
                    Status::Completed if e.answered => e.outcome == Some(Outcome::Answered),
                    Status::Completed => e.outcome == Some(Outcome::NoAnswer),
                    Status::Failed => e.outcome == Some(Outcome::Failed),
                    Status::Canceled => e.outcome == Some(Outcome::Canceled),
                    _ => e.outcome.is_none(),
                };
                prop_assert!(
                    outcome_fits,
                    "{:?}: {} answered={} outcome {:?}",
                    key,
                    e.status,
                    e.answered,
                    e.outcome
                );
                if e.status == Status::Waiting && c.state() == CampaignState::Running {
                    deadlines.push(self.due[&key]);
                }
                self.seen.insert(key, cur);
            }
            // The campaign's state.
            let state = c.state();
            let all_final = c.entries().iter().all(|e| e.status.is_final());
            match state {
                CampaignState::Draft => {
                    prop_assert!(
                        c.entries()
                            .iter()
                            .all(|e| e.status == Status::Idle && e.attempt == 0)
                    );
                }
                CampaignState::Running | CampaignState::Paused => {
                    prop_assert!(
                        !all_final || c.pending_dial().is_some(),
                        "campaign {} is {} with every entry final",
                        id,
                        state
                    );
                }
                CampaignState::Done => prop_assert!(all_final && c.pending_dial().is_none()),
                CampaignState::Stopped => {
                    prop_assert!(self.stopped.contains(&id));
                    let rest = c
                        .entries()
                        .iter()
                        .any(|e| matches!(e.status, Status::Idle | Status::Waiting));
                    prop_assert!(!rest, "campaign {} stopped with entries left to dial", id);
                }
            }
            if state != was {
                // Only operations (checked where made) move a campaign, but
                // to done, which it reaches by itself.
                prop_assert!(
                    live && state == CampaignState::Done,
                    "campaign {}: {} -> {}",
                    id,
                    was,
                    state
                );
                self.states.insert(id, state);
            }
        }
        prop_assert_eq!(cs.next_deadline(), deadlines.into_iter().min());
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(160))]

    /// Several campaigns with their own retry policies, random dial
    /// answers, webhooks shuffled, duplicated, dropped and late (old
    /// attempts' ones included), forged webhooks, time passing with the
    /// wall clock stepped, lifecycle operations, deletes and new
    /// campaigns, in any order. After every step: the lines, one dial out,
    /// the dial order across and within campaigns, one attempt in flight
    /// per entry, forward-only statuses within an attempt, retries only as
    /// the policy allows and never early, stopped, paused and draft
    /// campaigns never dialing, and the summaries. In the end, with every
    /// campaign resumed and the world delivering everything, every entry
    /// is final and every campaign done or stopped.
    #[test]
    fn rules_hold_across_campaigns_under_any_schedule(
        concurrency in 1usize..=4,
        lists in prop::collection::vec((0usize..=8, retry_policy()), 2..=4),
        starts in prop::collection::vec(any::<Index>(), 0..4),
        steps in prop::collection::vec(step(), 0..200),
    ) {
        let mut cs = Campaigns::new(Vec::new(), Retired::default(), settings(concurrency));
        let mut m = Model {
            now: N0,
            concurrency,
            secrets: 0,
            calls: 0,
            ids: Vec::new(),
            deleted: BTreeSet::new(),
            started: Vec::new(),
            stopped: BTreeSet::new(),
            policies: BTreeMap::new(),
            states: BTreeMap::new(),
            seen: BTreeMap::new(),
            fresh: BTreeMap::new(),
            tokens: BTreeMap::new(),
            dialed_at: BTreeMap::new(),
            due: BTreeMap::new(),
            pending: None,
            pool: Vec::new(),
            sent: Vec::new(),
            version: 0,
            dialed: 0,
        };
        let (n1, retry1) = lists[0].clone();
        cs.insert_first(first(n1, retry1, concurrency));
        m.add(cs.get(FIRST).unwrap());
        for (n, retry) in &lists[1..] {
            let c = cs.create(new(*n, retry.clone()), T0).clone();
            m.add(&c);
        }
        for pick in starts {
            m.lifecycle(&mut cs, *pick.get(&m.ids), Operation::Start)?;
            m.check(&cs, None)?;
        }
        for step in steps {
            let mut dialed = None;
            match step {
                Step::Dial(answer, hooks) => {
                    if m.dial(&mut cs, answer, hooks)? {
                        dialed = m.pending.as_ref().map(|&(id, i, _)| (id, i));
                    }
                }
                Step::Answer => m.answer(&mut cs),
                Step::Deliver(pick, mode) => {
                    if !m.pool.is_empty() {
                        let hook = m.pool.swap_remove(pick.index(m.pool.len()));
                        if mode == 1 {
                            m.pool.push(hook.clone());
                        }
                        if mode != 0 {
                            m.deliver(&mut cs, hook)?;
                        }
                    }
                }
                Step::Replay(pick) => m.replay(&mut cs, pick)?,
                Step::Forged(pick, kind) => m.forged(&mut cs, pick, kind)?,
                Step::Advance(ms, wall) => m.advance(&mut cs, ms, wall)?,
                Step::AdvanceToDeadline(short) => {
                    if let Some(at) = cs.next_deadline() {
                        let ms = at.since(m.now.mono).saturating_sub(u64::from(short));
                        m.advance(&mut cs, ms, 0)?;
                    }
                }
                Step::Lifecycle(pick, op) => m.lifecycle(&mut cs, *pick.get(&m.ids), op)?,
                Step::Delete(pick) => m.delete(&mut cs, *pick.get(&m.ids))?,
                Step::Create(n, retry) => m.create(&mut cs, n, retry)?,
            }
            m.check(&cs, dialed)?;
        }

        // The end: everything resumed or started, and the world delivers
        // every answer and webhook, placed calls complete, time runs past
        // every timeout and retry delay.
        let ids: Vec<u64> = cs.iter().map(Campaign::id).collect();
        for id in ids {
            let op = match cs.get(id).unwrap().state() {
                CampaignState::Draft => Operation::Start,
                CampaignState::Paused => Operation::Resume,
                _ => continue,
            };
            m.lifecycle(&mut cs, id, op)?;
            m.check(&cs, None)?;
        }
        let finish = Hooks { ringing: true, answered: false, last: 1 };
        let mut rounds = 0;
        loop {
            rounds += 1;
            prop_assert!(rounds < 10_000, "no progress");
            let mut dialed = None;
            if m.pending.is_some() {
                m.answer(&mut cs);
            } else if !m.pool.is_empty() {
                let hook = m.pool.remove(0);
                m.deliver(&mut cs, hook)?;
            } else if m.dial(&mut cs, Answer::Placed, finish)? {
                dialed = m.pending.as_ref().map(|&(id, i, _)| (id, i));
            } else if cs.iter().all(|c| c.entries().iter().all(|e| e.status.is_final())) {
                break;
            } else {
                m.advance(&mut cs, TIMEOUT + 6_000, 0)?;
            }
            m.check(&cs, dialed)?;
        }
        prop_assert_eq!(cs.active(), 0);
        prop_assert_eq!(cs.pending_dial(), None);
        for c in cs.iter() {
            prop_assert!(
                matches!(c.state(), CampaignState::Done | CampaignState::Stopped),
                "campaign {} ends {}",
                c.id(),
                c.state()
            );
            if m.stopped.contains(&c.id()) {
                continue;
            }
            // Never stopped: every retry it could earn, it got (a
            // timeout earns none).
            let p = &m.policies[&c.id()];
            for e in c.entries() {
                let o = e.outcome.unwrap();
                let timed_out = e
                    .details().reason
                    .as_deref()
                    .is_some_and(|r| r.starts_with("no final webhook"));
                prop_assert!(
                    timed_out || !p.retry_on.contains(&o) || e.attempt == p.max_attempts,
                    "campaign {} entry {}: {} after {} of {} attempts",
                    c.id(),
                    e.index,
                    o,
                    e.attempt,
                    p.max_attempts
                );
            }
        }
    }
}

#[path = "rules_tests.rs"]
mod rules;

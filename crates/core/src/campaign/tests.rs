use super::*;
use crate::call::{CallEvent, CallReport};
use crate::numbers::default_numbers;
use crate::protocol::numdialer::{CallStatus, WebhookBody};
use crate::status::Outcome;
use crate::time::{Mono, Now};
use proptest::prelude::*;

/// A wall-clock time far enough from the epoch to be stepped back an hour.
const T0: Timestamp = Timestamp(1_795_464_062_123);

/// The moment most tests run at. The monotonic clock has its own origin, as
/// in a real process: nothing may mix the two up.
const N0: Now = Now {
    wall: T0,
    mono: Mono(5_000),
};

const TIMEOUT: u64 = 10_000;

const HOUR: u64 = 3_600_000;

fn settings(concurrency: usize) -> Settings {
    Settings {
        concurrency,
        call_timeout_ms: TIMEOUT,
    }
}

fn started(n: usize, concurrency: usize) -> Campaign {
    let phones = (0..n).map(phone).collect();
    let mut c = Campaign::new(phones, settings(concurrency));
    c.start().unwrap();
    c
}

/// `now` with the wall clock stepped by `step_ms` and the monotonic clock
/// untouched, as a clock step looks to a running process.
fn stepped(now: Now, step_ms: i64) -> Now {
    let wall = now.wall.millis().checked_add_signed(step_ms).unwrap();
    Now {
        wall: Timestamp(wall),
        ..now
    }
}

/// The `i`th of a list of valid numbers.
fn phone(i: usize) -> Phone {
    Phone::parse(&format!("1{i:010}")).unwrap()
}

fn tok(i: usize) -> String {
    format!("tok{i}")
}

fn wh(id: u64, status: CallStatus) -> CallReport {
    WebhookBody { id, status }.into()
}

/// Dials and places every entry the window allows, with id 100 + index.
fn fill(c: &mut Campaign, now: Now) -> Vec<usize> {
    let mut dialed = Vec::new();
    while let Some(order) = c.begin_dial(tok(c.next), now) {
        c.finish_dial(
            order.index,
            DialAnswer::Placed {
                id: (100 + order.index as u64).into(),
            },
            now,
        );
        dialed.push(order.index);
    }
    dialed
}

#[test]
fn nothing_is_dialed_before_start_and_start_is_once() {
    let mut c = Campaign::new(default_numbers(), settings(3));
    assert!(!c.can_dial());
    assert_eq!(c.begin_dial("t".into(), N0), None);
    c.start().unwrap();
    assert_eq!(c.start(), Err(AlreadyStarted));
    assert!(c.can_dial());
}

#[test]
fn fills_the_window_in_list_order_one_dial_at_a_time() {
    let mut c = started(9, 3);
    let first = c.begin_dial(tok(0), N0).unwrap();
    assert_eq!(first.index, 0);
    assert_eq!(first.phone.digits(), "10000000000");
    // The next POST /call waits for this one's answer.
    assert!(!c.can_dial());
    c.finish_dial(0, DialAnswer::Placed { id: 100.into() }, N0);
    assert_eq!(fill(&mut c, N0), vec![1, 2]);
    assert_eq!(c.active(), 3);
    assert!(!c.can_dial());
    let out = c
        .apply_report(&tok(1), wh(101, CallStatus::Completed), N0)
        .unwrap();
    assert!(out.freed_slot);
    assert_eq!(fill(&mut c, N0), vec![3]);
}

#[test]
fn webhook_before_the_answer_is_applied_and_teaches_the_id() {
    let mut c = started(9, 3);
    let o = c.begin_dial(tok(0), N0).unwrap();
    let out = c
        .apply_report(&o.token, wh(1432, CallStatus::Ringing), N0)
        .unwrap();
    assert!(out.applied);
    assert_eq!(c.entry(0).unwrap().details().call_id, Some(1432.into()));
    c.finish_dial(0, DialAnswer::Placed { id: 1432.into() }, N0);
    let e = c.entry(0).unwrap();
    assert_eq!(e.status, Status::Ringing);
    assert_eq!(e.details().call_id, Some(1432.into()));
    assert!(c.can_dial());
}

#[test]
fn completed_before_ringing_stays_completed_and_frees_one_slot_only() {
    let mut c = started(9, 3);
    fill(&mut c, N0);
    let out = c
        .apply_report(&tok(0), wh(100, CallStatus::Completed), N0)
        .unwrap();
    assert!(out.freed_slot);
    let late = c
        .apply_report(&tok(0), wh(100, CallStatus::Ringing), N0)
        .unwrap();
    assert!(!late.applied && !late.freed_slot);
    assert_eq!(late.effect, Effect::AfterFinal);
    assert_eq!(late.status, Status::Completed);
    let again = c
        .apply_report(&tok(0), wh(100, CallStatus::Completed), N0)
        .unwrap();
    assert!(!again.freed_slot);
    assert_eq!(fill(&mut c, N0), vec![3]);
    assert_eq!(c.active(), 3);
    let h = &c.entry(0).unwrap().details().history;
    assert_eq!(h.iter().filter(|e| !e.applied).count(), 2);
    assert_eq!(
        h.last().unwrap().note.as_deref(),
        Some("entry is already completed")
    );
}

#[test]
fn duplicates_and_backward_moves_are_recorded_not_applied() {
    let mut c = started(1, 1);
    fill(&mut c, N0);
    let v = c.version();
    c.apply_report(&tok(0), wh(100, CallStatus::Answered), N0)
        .unwrap();
    let dup = c
        .apply_report(&tok(0), wh(100, CallStatus::Answered), N0)
        .unwrap();
    let back = c
        .apply_report(&tok(0), wh(100, CallStatus::Ringing), N0)
        .unwrap();
    assert!(!dup.applied && !back.applied);
    assert_eq!(
        (dup.effect, back.effect),
        (Effect::Duplicate, Effect::Backwards)
    );
    assert_eq!(c.entry(0).unwrap().status, Status::Answered);
    assert!(c.version() >= v + 3, "every recorded event is a change");
    let notes: Vec<_> = c
        .entry(0)
        .unwrap()
        .details()
        .history
        .iter()
        .filter_map(|e| e.note.clone())
        .collect();
    assert!(notes.contains(&"duplicate".to_string()));
    assert!(notes.contains(&"would move answered back to ringing".to_string()));
}

#[test]
fn forged_webhooks_change_nothing() {
    let mut c = started(3, 3);
    fill(&mut c, N0);
    let before = c.clone();
    assert_eq!(
        c.apply_report("nope", wh(100, CallStatus::Completed), N0),
        Err(WebhookError::UnknownToken)
    );
    assert_eq!(
        c.apply_report(&tok(0), wh(999, CallStatus::Completed), N0),
        Err(WebhookError::IdMismatch {
            index: 0,
            known: 100.into(),
            got: 999.into()
        })
    );
    assert_eq!(c.entries(), before.entries());
    assert_eq!(c.version(), before.version());
}

#[test]
fn an_error_answer_fails_the_entry_and_dialing_moves_on() {
    let mut c = started(3, 1);
    c.begin_dial(tok(0), N0).unwrap();
    let freed = c.finish_dial(
        0,
        DialAnswer::Refused {
            reason: "Expected a valid phone".into(),
        },
        N0,
    );
    assert!(freed);
    let e = c.entry(0).unwrap();
    assert_eq!(e.status, Status::Failed);
    assert_eq!(
        e.details().reason.as_deref(),
        Some("dialer API refused the call: Expected a valid phone")
    );
    assert_eq!(c.begin_dial(tok(1), N0).unwrap().index, 1);
}

#[test]
fn an_undialable_number_fails_and_is_never_retried() {
    let mut c = with_policy(2, 1, policy(3, 0, BOTH));
    c.begin_dial(tok(0), N0).unwrap();
    let reason = "not sent: this dialer API takes +1 numbers only";
    let freed = c.finish_dial(
        0,
        DialAnswer::Undialable {
            reason: reason.into(),
        },
        N0,
    );
    assert!(freed);
    let e = c.entry(0).unwrap();
    assert_eq!((e.status, e.attempt), (Status::Failed, 1));
    assert_eq!(e.outcome, Some(Outcome::Failed));
    assert_eq!(
        (e.details().reason.as_deref(), e.retry_at()),
        (Some(reason), None)
    );
    // The line goes to the next entry, and entry 0 never comes back.
    assert_eq!(c.begin_dial(tok(1), N0).unwrap().index, 1);
    assert_eq!(c.count(Status::Waiting), 0);
}

#[test]
fn an_unanswered_dial_holds_its_line_until_the_timeout() {
    let mut c = started(2, 1);
    c.begin_dial(tok(0), N0).unwrap();
    assert!(!c.finish_dial(
        0,
        DialAnswer::Unanswered {
            reason: "timed out".into()
        },
        N0
    ));
    assert_eq!(c.entry(0).unwrap().status, Status::Dialing);
    assert!(!c.can_dial());
    assert_eq!(c.next_deadline(), Some(N0.mono.plus_millis(TIMEOUT)));
    assert!(c.expire(N0.plus_millis(TIMEOUT - 1)).is_empty());
    assert_eq!(c.expire(N0.plus_millis(TIMEOUT)), vec![0]);
    let e = c.entry(0).unwrap();
    assert_eq!(e.status, Status::Failed);
    assert_eq!(
        e.details().reason.as_deref(),
        Some("no final webhook within 10 s")
    );
    assert!(c.can_dial());
    // A webhook after the timeout is recorded and changes nothing.
    let late = c
        .apply_report(&tok(0), wh(5, CallStatus::Completed), N0)
        .unwrap();
    assert!(!late.applied && !late.freed_slot);
}

/// What became of one entry in [`dial_down_with_step`].
#[derive(Debug, PartialEq, Eq)]
struct Fate {
    status: Status,
    dialed: Mono,
    freed: Mono,
}

/// How long after its dial each call's final webhook comes.
const RINGS_FOR: u64 = 4_000;

/// Runs a dial-down of 9 entries on 3 lines in steps of 1 s, with the wall
/// clock stepped by `step_ms` 1 s in, while three calls are in flight. Each
/// call completes `RINGS_FOR` after its dial, except entries 4 and 7, whose
/// final webhooks are lost.
fn dial_down_with_step(step_ms: i64) -> Vec<Fate> {
    let lost = [4, 7];
    let mut c = started(9, 3);
    let mut now = N0;
    let mut dialed = [None; 9];
    let mut freed = [None; 9];
    for tick in 0..60 {
        if tick == 1 {
            assert_eq!(c.active(), 3);
            now = stepped(now, step_ms);
        }
        for i in c.expire(now) {
            freed[i] = Some(now.mono);
        }
        for i in (0..9).filter(|i| !lost.contains(i)) {
            if dialed[i].map(|d: Mono| d.plus_millis(RINGS_FOR)) == Some(now.mono) {
                let report = wh(100 + i as u64, CallStatus::Completed);
                let out = c.apply_report(&tok(i), report, now).unwrap();
                assert!(out.freed_slot, "entry {i} was still in flight");
                freed[i] = Some(now.mono);
            }
        }
        for i in fill(&mut c, now) {
            dialed[i] = Some(now.mono);
        }
        if c.is_finished() {
            break;
        }
        now = now.plus_millis(1_000);
    }
    assert!(c.is_finished(), "the dial-down ends");
    c.entries()
        .iter()
        .map(|e| Fate {
            status: e.status,
            dialed: dialed[e.index].unwrap(),
            freed: freed[e.index].unwrap(),
        })
        .collect()
}

#[test]
fn a_wall_clock_step_either_way_neither_fails_nor_holds_a_call() {
    let steady = dial_down_with_step(0);
    for (i, f) in steady.iter().enumerate() {
        let (status, after) = if [4, 7].contains(&i) {
            (Status::Failed, TIMEOUT)
        } else {
            (Status::Completed, RINGS_FOR)
        };
        assert_eq!((f.status, f.freed), (status, f.dialed.plus_millis(after)));
    }
    for step in [HOUR as i64, -(HOUR as i64)] {
        assert_eq!(
            dial_down_with_step(step),
            steady,
            "wall clock stepped by {step} ms"
        );
    }
}

/// Entry 0 of a one-line campaign, dialed at `N0` and ringing, as a new
/// process whose clocks read `now` restores it.
fn restored_at(now: Now) -> Campaign {
    let mut c = started(2, 1);
    fill(&mut c, N0);
    c.apply_report(&tok(0), wh(100, CallStatus::Ringing), N0)
        .unwrap();
    Campaign::restore(
        CampaignMeta::first(true, 0),
        c.entries().to_vec(),
        settings(1),
        now,
    )
    .unwrap()
}

/// A restarted process: its monotonic clock starts again from its own
/// origin, and the wall clock reads `wall`.
fn restart_at(wall: u64) -> Now {
    Now {
        wall: Timestamp(wall),
        mono: Mono(0),
    }
}

#[test]
fn restore_keeps_what_is_left_of_the_timeout() {
    let later = restart_at(T0.millis() + 4_000);
    let mut r = restored_at(later);
    assert_eq!(r.next_deadline(), Some(Mono(TIMEOUT - 4_000)));
    assert!(r.expire(later.plus_millis(TIMEOUT - 4_001)).is_empty());
    assert_eq!(r.expire(later.plus_millis(TIMEOUT - 4_000)), vec![0]);
    assert!(r.can_dial());
}

#[test]
fn restore_after_the_wall_clock_moved_on_fails_an_overdue_call_at_once() {
    let later = restart_at(T0.millis() + HOUR);
    let mut r = restored_at(later);
    assert_eq!(r.next_deadline(), Some(later.mono));
    assert_eq!(r.expire(later), vec![0]);
}

#[test]
fn restore_after_the_wall_clock_moved_back_holds_a_line_no_longer_than_the_timeout() {
    let earlier = restart_at(T0.millis() - HOUR);
    let mut r = restored_at(earlier);
    assert_eq!(r.next_deadline(), Some(Mono(TIMEOUT)));
    assert!(r.expire(earlier.plus_millis(TIMEOUT - 1)).is_empty());
    assert_eq!(r.expire(earlier.plus_millis(TIMEOUT)), vec![0]);
}

#[test]
fn restore_gives_a_call_with_no_dial_time_the_whole_timeout() {
    let mut e = Entry::new(0, phone(0));
    e.status = Status::Dialing;
    e.details_mut().token = Some(tok(0));
    let now = restart_at(T0.millis());
    let mut r = Campaign::restore(CampaignMeta::first(true, 1), vec![e], settings(1), now).unwrap();
    assert_eq!(r.next_deadline(), Some(Mono(TIMEOUT)));
    assert_eq!(r.expire(now.plus_millis(TIMEOUT)), vec![0]);
}

#[test]
fn unreachable_fails_only_a_dialing_entry() {
    let mut c = started(1, 1);
    c.begin_dial(tok(0), N0).unwrap();
    c.apply_report(&tok(0), wh(7, CallStatus::Ringing), N0)
        .unwrap();
    assert!(!c.finish_dial(
        0,
        DialAnswer::Unreachable {
            reason: "refused".into()
        },
        N0
    ));
    assert_eq!(c.entry(0).unwrap().status, Status::Ringing);
}

#[test]
fn restore_resumes_without_redialing() {
    let mut c = started(9, 3);
    fill(&mut c, N0);
    c.apply_report(&tok(1), wh(101, CallStatus::Completed), N0)
        .unwrap();
    // Crash between persisting entry 3 as dialing and reading its answer.
    c.begin_dial(tok(3), N0).unwrap();
    let stored: Vec<Entry> = c.entries().to_vec();
    let r = Campaign::restore(CampaignMeta::first(true, 0), stored, settings(3), N0).unwrap();
    assert_eq!(r.version(), c.version());
    assert_eq!(r.active(), 3);
    assert_eq!(r.pending_dial(), None);
    assert!(!r.can_dial());
    let mut r = r;
    // Entry 3's webhooks still land.
    r.apply_report(&tok(3), wh(103, CallStatus::Completed), N0)
        .unwrap();
    assert_eq!(r.begin_dial(tok(4), N0).unwrap().index, 4);
}

#[test]
fn restore_rejects_a_gap() {
    let mut e = vec![Entry::new(0, phone(0)), Entry::new(2, phone(2))];
    assert_eq!(
        Campaign::restore(
            CampaignMeta::first(false, 0),
            std::mem::take(&mut e),
            settings(3),
            N0
        )
        .unwrap_err(),
        RestoreError::IndexGap {
            campaign: 1,
            position: 1,
            found: 2
        }
    );
}

#[test]
fn history_is_capped() {
    let mut c = started(1, 1);
    fill(&mut c, N0);
    for _ in 0..100 {
        c.apply_report(&tok(0), wh(100, CallStatus::Ringing), N0)
            .unwrap();
    }
    let e = c.entry(0).unwrap();
    assert_eq!(e.details().history.len(), MAX_HISTORY);
    assert_eq!(
        e.details().history.len() as u64 + e.details().events_dropped,
        102
    );
}

/// `client` brought up to date by what `c` says changed after `version`,
/// as a poller of deltas does (the HTTP side: `api`'s tests).
fn apply_changes(client: &mut Vec<Entry>, c: &Campaign, version: u64) {
    match c.changed_since(version) {
        Some(changed) => {
            for i in changed {
                client[i] = c.entries()[i].clone();
            }
        }
        None => *client = c.entries().to_vec(),
    }
}

#[test]
fn changes_since_a_version_are_exactly_the_changed_entries() {
    let mut c = started(9, 3);
    let v0 = c.version();
    fill(&mut c, N0);
    let v1 = c.version();
    c.apply_report(&tok(1), wh(101, CallStatus::Ringing), N0)
        .unwrap();
    assert_eq!(c.changed_since(v1), Some(vec![1]));
    assert_eq!(c.changed_since(v0), Some(vec![0, 1, 2]));
    assert_eq!(c.changed_since(c.version()), Some(vec![]));
    assert_eq!(
        c.changed_since(c.version() + 1),
        None,
        "unknown history: every entry"
    );
    // A client that applies changes ends where a full read would.
    let mut client = Campaign::new((0..9).map(phone).collect(), settings(3))
        .entries()
        .to_vec();
    apply_changes(&mut client, &c, 0);
    assert_eq!(client, c.entries());
    // Restored campaigns answer the same.
    let r = Campaign::restore(
        CampaignMeta::first(true, 0),
        c.entries().to_vec(),
        settings(3),
        N0,
    )
    .unwrap();
    assert_eq!(r.changed_since(v1), c.changed_since(v1));
}

#[test]
fn seconds_read_naturally() {
    assert_eq!(format_seconds(60_000), "60 s");
    assert_eq!(format_seconds(500), "0.5 s");
    assert_eq!(format_seconds(1_250), "1.25 s");
}

/// Something the world can deliver to the campaign.
#[derive(Debug, Clone)]
enum Delivery {
    Answer(usize, DialAnswer),
    Webhook(String, CallReport),
}

/// Checks the rules that must hold after every step.
fn check_step(c: &Campaign, prev: &[Status]) -> Result<(), TestCaseError> {
    prop_assert!(c.active() <= c.concurrency(), "window exceeded");
    for (e, &p) in c.entries().iter().zip(prev) {
        prop_assert!(
            e.status.rank() >= p.rank(),
            "entry {} moved back from {p} to {}",
            e.index,
            e.status
        );
        if p.is_final() {
            prop_assert_eq!(e.status, p, "a final status changed");
        }
    }
    // Strict order: every dialed entry precedes every idle one.
    let first_idle = c.entries().iter().position(|e| e.status == Status::Idle);
    if let Some(fi) = first_idle {
        prop_assert!(c.entries()[fi..].iter().all(|e| e.status == Status::Idle));
    }
    Ok(())
}

/// Expires what is due at `now` and checks it against the model: a call
/// times out exactly when `TIMEOUT` has passed on the monotonic clock since
/// its dial (`dialed`), never earlier and never later, whatever the wall
/// clock says.
fn expire_checked(
    c: &mut Campaign,
    now: Now,
    dialed: &[Option<Mono>],
) -> Result<(), TestCaseError> {
    let deadline = |i: usize| {
        dialed[i]
            .expect("in flight, so dialed")
            .plus_millis(TIMEOUT)
    };
    for i in c.expire(now) {
        prop_assert!(deadline(i) <= now.mono, "entry {i} failed early");
    }
    let in_flight = c.entries().iter().filter(|e| e.status.is_in_flight());
    let deadlines: Vec<Mono> = in_flight.map(|e| deadline(e.index)).collect();
    prop_assert!(
        deadlines.iter().all(|&d| d > now.mono),
        "a call outlived its timeout"
    );
    prop_assert_eq!(c.next_deadline(), deadlines.into_iter().min());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Random schedules: webhooks shuffled, duplicated, dropped, stages
    /// skipped, finals before ringing, webhooks before answers, forged ones
    /// mixed in, time passing that fires timeouts, and the wall clock
    /// stepped an hour either way or by a random amount while the
    /// monotonic clock runs on.
    #[test]
    fn rules_hold_under_any_schedule(
        n in 1usize..14,
        concurrency in 1usize..5,
        choices in prop::collection::vec(any::<u32>(), 0..600),
    ) {
        let mut c = started(n, concurrency);
        let mut now = N0;
        let mut dialed: Vec<Option<Mono>> = vec![None; n];
        let mut pool: Vec<Delivery> = Vec::new();
        let mut dial_log: Vec<usize> = Vec::new();
        let mut choices = choices.into_iter();
        let mut prev: Vec<Status> = c.entries().iter().map(|e| e.status).collect();
        let mut client = c.entries().to_vec();
        let mut client_version = c.version();
        let mut steps = 0;
        loop {
            steps += 1;
            prop_assert!(steps < 10_000, "no progress");
            let pick = choices.next();
            let draining = pick.is_none();
            let r = pick.unwrap_or(0);
            if draining && pool.is_empty() && !c.can_dial() {
                if c.is_finished() { break; }
                now = now.plus_millis(TIMEOUT);
                expire_checked(&mut c, now, &dialed)?;
            } else if c.can_dial() && (draining || r % 4 == 0) {
                let o = c.begin_dial(format!("t{}", dial_log.len()), now).unwrap();
                dial_log.push(o.index);
                dialed[o.index] = Some(now.mono);
                let id = 500 + o.index as u64;
                let answer = match (r >> 3) % 8 {
                    0 => DialAnswer::Refused { reason: "Expected a valid phone".into() },
                    1 => DialAnswer::Unanswered { reason: "timeout".into() },
                    2 => DialAnswer::Unreachable { reason: "connection refused".into() },
                    _ => DialAnswer::Placed { id: id.into() },
                };
                let placed = matches!(answer, DialAnswer::Placed { .. } | DialAnswer::Unanswered { .. });
                pool.push(Delivery::Answer(o.index, answer));
                if placed {
                    // Any subset of the statuses, in any order (shuffled by
                    // delivery order below).
                    for (bit, s) in CallStatus::ALL.iter().enumerate() {
                        if (r >> (10 + bit)) & 1 == 1 || (bit == 2 && (r >> 13) % 3 != 0) {
                            pool.push(Delivery::Webhook(o.token.clone(), wh(id, *s)));
                        }
                    }
                    // A provider that gives up on a placed call.
                    if (r >> 14) % 6 == 0 {
                        let failed = CallEvent::Failed { reason: "busy".into() };
                        pool.push(Delivery::Webhook(o.token.clone(), CallReport::new(id.into(), failed)));
                    }
                }
            } else if !pool.is_empty() && (draining || (r >> 16) % 16 != 0) {
                let at = (r as usize >> 4) % pool.len();
                // Answers go in order with their dial: one POST /call at a time.
                let d = match pool.iter().position(|d| matches!(d, Delivery::Answer(..))) {
                    Some(ai) if (r >> 20) % 3 == 0 => pool.remove(ai),
                    _ => pool.swap_remove(at),
                };
                match d {
                    Delivery::Answer(i, a) => {
                        c.finish_dial(i, a, now);
                    }
                    Delivery::Webhook(token, body) => {
                        let mode = (r >> 24) % 10;
                        if mode == 0 && !draining {
                            // Dropped.
                        } else {
                            if mode == 1 {
                                pool.push(Delivery::Webhook(token.clone(), body.clone()));
                            }
                            if (r >> 28) % 8 == 0 {
                                let before = c.entries().to_vec();
                                let idx = before.iter().position(|e| e.details().token.as_deref() == Some(token.as_str())).unwrap();
                                if before[idx].details().call_id.is_some() {
                                    let forged = CallReport { id: CallId::Text("forged".into()), ..body.clone() };
                                    prop_assert!(c.apply_report(&token, forged, now).is_err());
                                }
                                prop_assert!(c.apply_report("forged", body.clone(), now).is_err());
                                prop_assert_eq!(c.entries(), &before[..]);
                            }
                            c.apply_report(&token, body, now).unwrap();
                        }
                    }
                }
            } else {
                now = now.plus_millis(u64::from(r % 4000));
                let step = match (r >> 12) % 8 {
                    0 => HOUR as i64,
                    1 => -(HOUR as i64),
                    2 => i64::from(r >> 16) - 32_768,
                    _ => 0,
                };
                now = stepped(now, step);
                expire_checked(&mut c, now, &dialed)?;
            }
            check_step(&c, &prev)?;
            prev = c.entries().iter().map(|e| e.status).collect();
            // A poller that only fetches changes sees what a full read sees.
            apply_changes(&mut client, &c, client_version);
            client_version = c.version();
            prop_assert_eq!(&client[..], c.entries());
        }
        prop_assert_eq!(dial_log, (0..n).collect::<Vec<_>>(), "dialed in list order, each once");
        prop_assert!(c.entries().iter().all(|e| e.status.is_final()));
        prop_assert_eq!(c.active(), 0);
    }
}

proptest! {
    /// After a restart, a call keeps `dialed_at + timeout - wall` of its
    /// timeout (none if that is past), counted on the new process's
    /// monotonic clock, and never more than the whole timeout, however far
    /// either clock moved.
    #[test]
    fn a_restored_deadline_is_what_the_wall_clock_leaves(
        offset in -(2 * HOUR as i64)..2 * HOUR as i64,
        mono in 0u64..1 << 40,
    ) {
        let now = Now {
            wall: stepped(N0, offset).wall,
            mono: Mono(mono),
        };
        let left = TIMEOUT.saturating_sub(offset.max(0).unsigned_abs());
        prop_assert_eq!(restored_at(now).next_deadline(), Some(Mono(mono + left)));
    }
}

// ---------------------------------------------------------------------------
// Attempts, outcomes, retries, stop and restore: one campaign at a time.

/// A started campaign of `n` entries with its own retry policy.
fn with_policy(n: usize, concurrency: usize, retry: RetryPolicy) -> Campaign {
    let meta = CampaignMeta {
        retry,
        ..CampaignMeta::first(false, 0)
    };
    let entries = (0..n).map(|i| Entry::new(i, phone(i))).collect();
    let mut c = Campaign::create(meta, entries, settings(concurrency));
    c.operate(Operation::Start, 1, T0).unwrap();
    c
}

fn policy(max_attempts: u32, retry_delay: u64, retry_on: &[Outcome]) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        retry_delay,
        retry_on: retry_on.to_vec(),
    }
}

const BOTH: &[Outcome] = &[Outcome::NoAnswer, Outcome::Failed];

/// The summary's counters, as a recount from the entries finds them.
fn assert_recount(c: &Campaign) {
    assert_eq!(c.len(), c.entries().len());
    for st in Status::ALL {
        let n = c.entries().iter().filter(|e| e.status == st).count();
        assert_eq!(c.count(st), n, "count of {st}");
    }
    for o in Outcome::ALL {
        let n = c
            .entries()
            .iter()
            .filter(|e| e.status.is_final() && e.outcome == Some(o))
            .count();
        assert_eq!(c.outcome_count(o), n, "outcome {o}");
    }
    for e in c.entries() {
        assert_eq!(
            e.status.is_final(),
            e.outcome.is_some(),
            "entry {} is {} with outcome {:?}",
            e.index,
            e.status,
            e.outcome
        );
    }
    let attempts: u64 = c.entries().iter().map(|e| u64::from(e.attempt)).sum();
    assert_eq!(c.attempts(), attempts, "attempts");
    let active = c
        .entries()
        .iter()
        .filter(|e| e.status.is_in_flight())
        .count();
    assert_eq!(c.active(), active, "active");
    let dialed = c.entries().iter().filter(|e| e.attempt > 0).count();
    assert_eq!(c.dialed(), dialed as u64, "dialed");
}

/// Dials the next due entry under `token` and places it with id `id`.
fn dial(c: &mut Campaign, token: &str, id: u64, now: Now) -> usize {
    let o = c.begin_dial(token.into(), now).expect("an entry is due");
    c.finish_dial(o.index, DialAnswer::Placed { id: id.into() }, now);
    o.index
}

fn report(c: &mut Campaign, token: &str, id: u64, status: CallStatus, now: Now) -> WebhookOutcome {
    c.apply_report(token, wh(id, status), now).unwrap()
}

fn provider_failed(id: u64) -> CallReport {
    CallReport::new(
        id.into(),
        CallEvent::Failed {
            reason: "busy".into(),
        },
    )
}

#[test]
fn every_way_an_attempt_ends_has_its_outcome() {
    let mut c = with_policy(6, 6, RetryPolicy::default());
    // 0: answered.
    dial(&mut c, "a", 100, N0);
    for s in CallStatus::ALL {
        report(&mut c, "a", 100, s, N0);
    }
    // 1: completed without an answered webhook: nobody picked up.
    dial(&mut c, "b", 101, N0);
    report(&mut c, "b", 101, CallStatus::Ringing, N0);
    report(&mut c, "b", 101, CallStatus::Completed, N0);
    // 2: refused, 3: unreachable.
    let o = c.begin_dial("c".into(), N0).unwrap();
    let refused = DialAnswer::Refused {
        reason: "no".into(),
    };
    assert!(c.finish_dial(o.index, refused, N0));
    let o = c.begin_dial("d".into(), N0).unwrap();
    let unreachable = DialAnswer::Unreachable {
        reason: "down".into(),
    };
    assert!(c.finish_dial(o.index, unreachable, N0));
    // 4: a failed webhook from the provider.
    dial(&mut c, "e", 104, N0);
    c.apply_report("e", provider_failed(104), N0).unwrap();
    // 5: sent, never answered, no webhook: the timeout fails it.
    let o = c.begin_dial("f".into(), N0).unwrap();
    let unanswered = DialAnswer::Unanswered {
        reason: "read timed out".into(),
    };
    assert!(!c.finish_dial(o.index, unanswered, N0));
    assert!(!c.is_finished());
    assert_eq!(c.expire(N0.plus_millis(TIMEOUT)), vec![5]);
    let got: Vec<_> = c.entries().iter().map(|e| (e.status, e.outcome)).collect();
    use Outcome::*;
    assert_eq!(
        got,
        vec![
            (Status::Completed, Some(Answered)),
            (Status::Completed, Some(NoAnswer)),
            (Status::Failed, Some(Failed)),
            (Status::Failed, Some(Failed)),
            (Status::Failed, Some(Failed)),
            (Status::Failed, Some(Failed)),
        ]
    );
    let answered: Vec<bool> = c.entries().iter().map(|e| e.answered).collect();
    assert_eq!(answered, vec![true, false, false, false, false, false]);
    let reasons: Vec<_> = c
        .entries()
        .iter()
        .map(|e| e.details().reason.clone())
        .collect();
    assert_eq!(reasons[0], None);
    assert_eq!(reasons[4].as_deref(), Some("busy"));
    assert_eq!(reasons[5].as_deref(), Some("no final webhook within 10 s"));
    assert!(c.entries().iter().all(|e| e.attempt == 1));
    assert_eq!(c.state(), CampaignState::Done);
    assert_recount(&c);
}

#[test]
fn retries_exactly_up_to_max_attempts_and_never_before_the_delay() {
    let mut c = with_policy(1, 1, policy(3, 5, BOTH));
    let mut now = N0;
    for attempt in 1..=3u32 {
        let token = format!("a{attempt}");
        assert_eq!(dial(&mut c, &token, 100 + u64::from(attempt), now), 0);
        let e = c.entry(0).unwrap();
        assert_eq!(
            (e.attempt, e.details().token.as_deref()),
            (attempt, Some(&*token))
        );
        assert_eq!(e.status, Status::Dialing);
        report(
            &mut c,
            &token,
            100 + u64::from(attempt),
            CallStatus::Completed,
            now,
        );
        assert_recount(&c);
        let e = c.entry(0).unwrap();
        if attempt == 3 {
            assert_eq!(
                (e.status, e.outcome),
                (Status::Completed, Some(Outcome::NoAnswer))
            );
            assert_eq!(e.retry_at(), None);
            break;
        }
        assert_eq!((e.status, e.outcome), (Status::Waiting, None));
        assert_eq!(e.retry_at(), Some(now.wall.plus_millis(5_000)));
        assert_eq!(c.active(), 0, "a waiting entry holds no line");
        assert_eq!(c.next_retry(), Some(now.mono.plus_millis(5_000)));
        // The wall clock jumping an hour ahead does not make it due.
        let jumped = stepped(now, HOUR as i64);
        assert!(!c.can_dial_at(jumped.mono));
        assert_eq!(c.begin_dial("early".into(), jumped), None);
        let almost = now.plus_millis(4_999);
        assert_eq!(c.begin_dial("early".into(), almost), None);
        // Due on the monotonic clock, even with the wall clock set back.
        now = stepped(now.plus_millis(5_000), -(HOUR as i64));
        assert!(c.can_dial_at(now.mono));
    }
    assert_eq!(c.state(), CampaignState::Done);
    assert_eq!(c.attempts(), 3);
    assert_eq!(c.begin_dial("more".into(), now.plus_millis(HOUR)), None);
    let scheduled = c.entry(0).unwrap().details().history.iter().filter(|ev| {
        matches!(
            ev.kind,
            EventKind::RetryScheduled {
                outcome: Outcome::NoAnswer,
                ..
            }
        )
    });
    assert_eq!(scheduled.count(), 2);
}

#[test]
fn only_the_listed_outcomes_earn_a_retry() {
    for (retry_on, no_answer_retried, failed_retried) in [
        (&[Outcome::NoAnswer][..], true, false),
        (&[Outcome::Failed][..], false, true),
        (BOTH, true, true),
        (&[][..], false, false),
    ] {
        let mut c = with_policy(3, 3, policy(2, 0, retry_on));
        dial(&mut c, "n", 100, N0);
        dial(&mut c, "f", 101, N0);
        dial(&mut c, "a", 102, N0);
        report(&mut c, "n", 100, CallStatus::Completed, N0);
        c.apply_report("f", provider_failed(101), N0).unwrap();
        report(&mut c, "a", 102, CallStatus::Answered, N0);
        report(&mut c, "a", 102, CallStatus::Completed, N0);
        let waiting: Vec<bool> = c
            .entries()
            .iter()
            .map(|e| e.status == Status::Waiting)
            .collect();
        assert_eq!(
            waiting,
            vec![no_answer_retried, failed_retried, false],
            "retry_on {retry_on:?}"
        );
        assert_eq!(c.entry(2).unwrap().outcome, Some(Outcome::Answered));
        assert_recount(&c);
    }
}

#[test]
fn refused_unreachable_and_timed_out_attempts_are_failed_ones_and_timeouts_never_retried() {
    let mut c = with_policy(4, 4, policy(2, 1, &[Outcome::Failed]));
    let o = c.begin_dial("r".into(), N0).unwrap();
    c.finish_dial(o.index, DialAnswer::Refused { reason: "x".into() }, N0);
    let o = c.begin_dial("u".into(), N0).unwrap();
    c.finish_dial(o.index, DialAnswer::Unreachable { reason: "x".into() }, N0);
    let o = c.begin_dial("t".into(), N0).unwrap();
    c.finish_dial(o.index, DialAnswer::Unanswered { reason: "x".into() }, N0);
    let o = c.begin_dial("p".into(), N0).unwrap();
    c.finish_dial(o.index, DialAnswer::Placed { id: 7.into() }, N0);
    assert_eq!(
        c.count(Status::Waiting),
        2,
        "never placed: safe to dial again"
    );
    assert_eq!(c.expire(N0.plus_millis(TIMEOUT)), vec![2, 3]);
    // The call may exist (an unanswered dial), or may have been answered
    // with its webhooks lost: a timeout is final.
    assert_eq!(c.count(Status::Waiting), 2);
    for i in [2, 3] {
        assert_eq!(c.entry(i).unwrap().outcome, Some(Outcome::Failed));
    }
    assert_recount(&c);
}

/// Ends the current attempt of entry `index` with `event`.
fn end_call(c: &mut Campaign, index: usize, event: CallEvent, now: Now) -> WebhookOutcome {
    let e = c.entry(index).unwrap();
    let token = e.details().token.clone().unwrap();
    let id = e.details().call_id.clone().unwrap();
    c.apply_report(&token, CallReport::new(id, event), now)
        .unwrap()
}

/// Dials every entry the lines allow at `now`, each placed with a fresh
/// id; returns (index, attempt) in dial order.
fn dial_all(c: &mut Campaign, now: Now, log: &mut Vec<(usize, u32)>) {
    while let Some(o) = c.begin_dial(format!("t{}", log.len()), now) {
        let id = 100 + log.len() as u64;
        c.finish_dial(o.index, DialAnswer::Placed { id: id.into() }, now);
        log.push((o.index, c.entry(o.index).unwrap().attempt));
    }
}

#[test]
fn due_retries_go_first_earliest_then_lowest_index_then_fresh_in_order() {
    let mut c = with_policy(6, 2, policy(2, 5, BOTH));
    let mut log = Vec::new();
    let t = N0;
    dial_all(&mut c, t, &mut log);
    // 1 ends first (due at t + 5 s), then 0 (due at t + 5.5 s).
    end_call(&mut c, 1, CallEvent::Completed, t);
    dial_all(&mut c, t, &mut log);
    let t05 = t.plus_millis(500);
    end_call(&mut c, 0, CallEvent::Completed, t05);
    dial_all(&mut c, t05, &mut log);
    // 3 and 2 end together (due at t + 6 s): 2 goes first, by index.
    let t1 = t.plus_millis(1_000);
    end_call(&mut c, 3, provider_failed(0).event, t1);
    end_call(&mut c, 2, CallEvent::Completed, t1);
    // No retry is due yet: the fresh entries take the lines, in order.
    dial_all(&mut c, t1, &mut log);
    assert_eq!(c.count(Status::Idle), 0);
    assert_eq!(c.count(Status::Waiting), 4);
    let t7 = t.plus_millis(7_000);
    for i in [5, 4] {
        end_call(&mut c, i, CallEvent::Answered, t7);
        end_call(&mut c, i, CallEvent::Completed, t7);
    }
    dial_all(&mut c, t7, &mut log);
    for i in [1, 0] {
        end_call(&mut c, i, CallEvent::Answered, t7);
        end_call(&mut c, i, CallEvent::Completed, t7);
        dial_all(&mut c, t7, &mut log);
    }
    let want = [
        (0, 1),
        (1, 1),
        (2, 1),
        (3, 1),
        (4, 1),
        (5, 1),
        (1, 2),
        (0, 2),
        (2, 2),
        (3, 2),
    ];
    assert_eq!(log, want);
    assert_recount(&c);
}

#[test]
fn a_late_answered_turns_no_answer_into_answered_and_calls_off_the_retry() {
    // No retries: the outcome changes.
    let mut c = with_policy(1, 1, policy(1, 0, BOTH));
    dial(&mut c, "a", 100, N0);
    report(&mut c, "a", 100, CallStatus::Completed, N0);
    assert_eq!(c.entry(0).unwrap().outcome, Some(Outcome::NoAnswer));
    assert_eq!(c.state(), CampaignState::Done);
    let late = report(&mut c, "a", 100, CallStatus::Answered, N0);
    assert!(!late.applied && !late.freed_slot);
    let e = c.entry(0).unwrap();
    assert_eq!(
        (e.status, e.outcome, e.answered),
        (Status::Completed, Some(Outcome::Answered), true)
    );
    assert_recount(&c);
    // A retry was due: it is called off.
    let mut c = with_policy(2, 1, policy(3, 5, BOTH));
    dial(&mut c, "a", 100, N0);
    report(&mut c, "a", 100, CallStatus::Completed, N0);
    assert_eq!(c.entry(0).unwrap().status, Status::Waiting);
    let later = N0.plus_millis(1_000);
    let late = report(&mut c, "a", 100, CallStatus::Answered, later);
    assert_eq!(late.status, Status::Completed);
    let e = c.entry(0).unwrap();
    assert_eq!(
        (e.status, e.outcome, e.retry_at()),
        (Status::Completed, Some(Outcome::Answered), None)
    );
    assert_eq!(c.next_retry(), None);
    assert_recount(&c);
    // Entry 1 is dialed next, and entry 0 never again.
    let far = N0.plus_millis(HOUR);
    assert_eq!(dial(&mut c, "b", 101, far), 1);
    report(&mut c, "b", 101, CallStatus::Answered, far);
    report(&mut c, "b", 101, CallStatus::Completed, far);
    assert_eq!(c.begin_dial("c".into(), far), None);
    assert_eq!(c.state(), CampaignState::Done);
    assert_eq!(c.entry(0).unwrap().attempt, 1);
}

/// What a webhook may not change about an entry: everything but its
/// history and version.
fn essence(e: &Entry) -> Entry {
    let mut e = e.clone();
    e.version = 0;
    let d = e.details_mut();
    d.history.clear();
    d.events_dropped = 0;
    e
}

#[test]
fn an_old_attempts_webhooks_never_change_the_current_attempt() {
    let mut c = with_policy(1, 1, policy(3, 0, BOTH));
    let o = c.begin_dial("old".into(), N0).unwrap();
    c.finish_dial(o.index, DialAnswer::Placed { id: 100.into() }, N0);
    let failed = CallEvent::Failed { reason: "x".into() };
    c.apply_report("old", CallReport::new(100.into(), failed), N0)
        .unwrap();
    let t = N0.plus_millis(TIMEOUT);
    assert_eq!(c.entry(0).unwrap().status, Status::Waiting);
    dial(&mut c, "new", 200, t);
    report(&mut c, "new", 200, CallStatus::Ringing, t);
    let before = essence(c.entry(0).unwrap());
    let mut events = vec![
        wh(100, CallStatus::Ringing),
        wh(100, CallStatus::Answered),
        wh(100, CallStatus::Completed),
        provider_failed(100),
        // An old attempt's id may be anything: it is not checked against
        // the current call's.
        wh(200, CallStatus::Completed),
    ];
    for r in events.drain(..) {
        let out = c.apply_report("old", r, t).unwrap();
        assert_eq!(out.effect, Effect::AfterFinal);
        assert!(!out.applied && !out.freed_slot);
        assert_eq!(out.status, Status::Ringing);
        assert_eq!(essence(c.entry(0).unwrap()), before);
        let note = c
            .entry(0)
            .unwrap()
            .details()
            .history
            .last()
            .unwrap()
            .note
            .clone();
        assert_eq!(
            note.as_deref(),
            Some("an earlier attempt; attempt 2 is current")
        );
    }
    assert_eq!(c.active(), 1);
    // The current attempt still ends by its own webhooks.
    report(&mut c, "new", 200, CallStatus::Completed, t);
    let e = c.entry(0).unwrap();
    assert_eq!(
        (e.attempt, e.status, e.answered),
        (2, Status::Waiting, false)
    );
    assert_recount(&c);
}

#[test]
fn stop_cancels_idle_and_waiting_entries_and_calls_in_flight_finish() {
    let mut c = with_policy(6, 3, policy(2, 5, BOTH));
    dial(&mut c, "a", 100, N0);
    dial(&mut c, "b", 101, N0);
    let o = c.begin_dial("c".into(), N0).unwrap();
    report(&mut c, "a", 100, CallStatus::Completed, N0);
    assert_eq!(c.entry(0).unwrap().status, Status::Waiting);
    // Stop while entry 2's POST /call is out and entry 1 rings.
    let v = c.version();
    let changed = c.operate(Operation::Stop, 0, T0).unwrap().unwrap();
    assert_eq!(changed.entries, vec![0, 3, 4, 5]);
    assert!(c.version() > v);
    assert_eq!(c.state(), CampaignState::Stopped);
    for i in [0, 3, 4, 5] {
        let e = c.entry(i).unwrap();
        assert_eq!(
            (e.status, e.outcome, e.retry_at()),
            (Status::Canceled, Some(Outcome::Canceled), None)
        );
        assert_eq!(
            e.details().history.last().unwrap().kind,
            EventKind::Canceled
        );
    }
    assert_eq!(c.entry(3).unwrap().attempt, 0);
    assert_eq!(c.entry(0).unwrap().attempt, 1);
    assert_recount(&c);
    // Repeated: nothing changes.
    let v = c.version();
    assert_eq!(c.operate(Operation::Stop, 0, T0), Ok(None));
    assert_eq!(c.version(), v);
    for op in [Operation::Start, Operation::Pause, Operation::Resume] {
        assert_eq!(
            c.operate(op, 0, T0),
            Err(NotAllowed {
                op,
                from: CampaignState::Stopped
            })
        );
    }
    // Calls in flight finish normally, and earn no retry.
    c.finish_dial(o.index, DialAnswer::Placed { id: 102.into() }, N0);
    report(&mut c, "b", 101, CallStatus::Completed, N0);
    let far = N0.plus_millis(HOUR);
    assert_eq!(c.expire(far), vec![2]);
    let e = c.entry(1).unwrap();
    assert_eq!(
        (e.status, e.outcome),
        (Status::Completed, Some(Outcome::NoAnswer))
    );
    assert_eq!(c.entry(2).unwrap().outcome, Some(Outcome::Failed));
    assert_eq!(c.begin_dial("d".into(), far), None);
    assert_eq!(
        c.state(),
        CampaignState::Stopped,
        "a stopped campaign is never done"
    );
    assert_eq!(c.active(), 0);
    assert_recount(&c);
}

#[test]
fn pause_stops_new_dials_lets_calls_finish_and_resume_goes_on_from_the_next_entry() {
    let mut c = with_policy(4, 2, policy(2, 0, BOTH));
    dial(&mut c, "a", 100, N0);
    let o = c.begin_dial("b".into(), N0).unwrap();
    assert_eq!(
        c.operate(Operation::Pause, 0, T0).unwrap(),
        Some(Changed::default())
    );
    assert_eq!(c.operate(Operation::Pause, 0, T0), Ok(None));
    assert!(!c.can_dial());
    // The dial that was out is answered, calls end and free their lines.
    c.finish_dial(o.index, DialAnswer::Placed { id: 101.into() }, N0);
    report(&mut c, "a", 100, CallStatus::Answered, N0);
    report(&mut c, "a", 100, CallStatus::Completed, N0);
    // A paused campaign still schedules retries; it does not dial them.
    report(&mut c, "b", 101, CallStatus::Completed, N0);
    assert_eq!(c.active(), 0);
    assert_eq!(c.entry(1).unwrap().status, Status::Waiting);
    assert_eq!(c.begin_dial("x".into(), N0.plus_millis(HOUR)), None);
    assert_eq!(c.state(), CampaignState::Paused);
    assert_eq!(
        c.operate(Operation::Start, 0, T0),
        Err(NotAllowed {
            op: Operation::Start,
            from: CampaignState::Paused
        })
    );
    assert_eq!(
        c.operate(Operation::Resume, 0, T0).unwrap(),
        Some(Changed::default())
    );
    assert_eq!(c.operate(Operation::Resume, 0, T0), Ok(None));
    let mut log = Vec::new();
    dial_all(&mut c, N0, &mut log);
    assert_eq!(log, vec![(1, 2), (2, 1)]);
    assert_recount(&c);
}

#[test]
fn a_paused_campaign_is_done_when_its_last_call_ends() {
    let mut c = with_policy(2, 2, RetryPolicy::default());
    dial(&mut c, "a", 100, N0);
    dial(&mut c, "b", 101, N0);
    c.operate(Operation::Pause, 0, T0).unwrap();
    report(&mut c, "a", 100, CallStatus::Completed, N0);
    assert_eq!(c.state(), CampaignState::Paused);
    report(&mut c, "b", 101, CallStatus::Completed, N0);
    assert_eq!(c.state(), CampaignState::Done);
    assert!(c.is_finished());
    assert_eq!(c.meta().finished_at, Some(T0));
    // A paused one with an entry never dialed is not.
    let mut c = with_policy(2, 1, RetryPolicy::default());
    dial(&mut c, "a", 100, N0);
    c.operate(Operation::Pause, 0, T0).unwrap();
    report(&mut c, "a", 100, CallStatus::Completed, N0);
    assert_eq!(c.state(), CampaignState::Paused);
}

#[test]
fn an_empty_campaign_is_done_as_soon_as_it_starts() {
    let c = with_policy(0, 1, RetryPolicy::default());
    assert_eq!(c.state(), CampaignState::Done);
    assert!(c.is_finished());
}

/// `c`'s entries as the store would read them back: what it was told to
/// write, history included.
fn stored(c: &Campaign) -> Vec<Entry> {
    c.entries().to_vec()
}

/// Final entries by outcome, as the summary lists them.
fn outcomes(c: &Campaign) -> Vec<usize> {
    Outcome::ALL.map(|o| c.outcome_count(o)).to_vec()
}

/// Everything a campaign's summary is made of (`api::CampaignSummary`).
fn summary(c: &Campaign) -> impl PartialEq + std::fmt::Debug {
    let m = c.meta();
    (
        (
            m.id,
            m.name.clone(),
            m.state,
            m.retry.clone(),
            m.columns.clone(),
        ),
        (m.created_at, m.started_at, m.finished_at),
        (c.len(), Status::ALL.map(|s| c.count(s)), outcomes(c)),
        (c.attempts(), c.active(), c.version()),
    )
}

fn restore(c: &Campaign, now: Now) -> Campaign {
    let meta = CampaignMeta {
        version: c.version(),
        ..c.meta().clone()
    };
    Campaign::restore(meta, stored(c), settings(c.concurrency()), now).unwrap()
}

#[test]
fn restoring_a_stopped_campaign_cancels_what_the_stop_did_not_store() {
    let mut c = with_policy(4, 1, policy(2, 5, BOTH));
    dial(&mut c, "a", 100, N0);
    report(&mut c, "a", 100, CallStatus::Completed, N0);
    dial(&mut c, "b", 101, N0);
    // What the store holds if only the campaign's record was written by
    // the stop: entry 0 waiting, 1 in flight, 2 and 3 idle.
    let before_stop = stored(&c);
    c.operate(Operation::Stop, 0, T0).unwrap();
    let meta = c.meta().clone();
    let later = restart_at(T0.millis() + 1_000);
    let mut r = Campaign::restore(meta, before_stop, settings(1), later).unwrap();
    let got: Vec<_> = r.entries().iter().map(|e| e.status).collect();
    use Status::*;
    assert_eq!(got, vec![Canceled, Dialing, Canceled, Canceled]);
    assert_eq!(r.state(), CampaignState::Stopped);
    assert_recount(&r);
    // Canceling again moved the version on: the record that says so is
    // due, or a manifest could count a version the store never held.
    let due = r.meta_due().expect("a record to store");
    assert_eq!(due.version, r.version());
    assert_eq!(r.meta_due(), Some(due), "due until stored");
    r.meta_stored();
    assert_eq!(r.meta_due(), None, "once");
    assert_eq!(r.begin_dial("x".into(), later.plus_millis(HOUR)), None);
    // The call in flight still ends, with no retry.
    report(&mut r, "b", 101, CallStatus::Completed, later);
    assert_eq!(r.entry(1).unwrap().outcome, Some(Outcome::NoAnswer));
    assert_eq!(r.state(), CampaignState::Stopped);
    assert_recount(&r);
}

#[test]
fn restoring_a_stopped_campaign_whose_canceled_entries_were_stored_changes_nothing() {
    let mut c = with_policy(4, 1, policy(2, 5, BOTH));
    dial(&mut c, "a", 100, N0);
    report(&mut c, "a", 100, CallStatus::Completed, N0);
    dial(&mut c, "b", 101, N0);
    report(&mut c, "b", 101, CallStatus::Answered, N0);
    report(&mut c, "b", 101, CallStatus::Completed, N0);
    // The stop reports entries 0, 2 and 3 as changed, and the store
    // writes them.
    c.operate(Operation::Stop, 0, T0).unwrap();
    assert_recount(&c);
    let r = restore(&c, restart_at(T0.millis()));
    assert_recount(&r);
    let essences = |c: &Campaign| c.entries().iter().map(essence).collect::<Vec<_>>();
    assert_eq!(essences(&r), essences(&c));
    assert_eq!(outcomes(&r), outcomes(&c));
    for e in r.entries() {
        let canceled = e
            .details()
            .history
            .iter()
            .filter(|ev| ev.kind == EventKind::Canceled);
        assert!(canceled.count() <= 1, "entry {} canceled twice", e.index);
    }
    // Restoring again, as every restart does, changes nothing either.
    let again = restore(&r, restart_at(T0.millis()));
    assert_eq!(summary(&again), summary(&r));
}

#[test]
fn restore_keeps_what_is_left_of_a_retry_delay_and_never_more() {
    let mut c = with_policy(2, 1, policy(3, 5, BOTH));
    dial(&mut c, "a", 100, N0);
    report(&mut c, "a", 100, CallStatus::Completed, N0);
    dial(&mut c, "b", 101, N0);
    report(&mut c, "b", 101, CallStatus::Completed, N0);
    let due_in = |wall: u64| {
        let now = restart_at(wall);
        let r = restore(&c, now);
        assert_recount(&r);
        assert_eq!(r.count(Status::Waiting), 2);
        r.next_retry().map(|m| m.since(now.mono))
    };
    // 2 s later, 3 s are left; the wall clock moved back an hour, the
    // whole delay and no more; moved on past retry_at, due at once.
    assert_eq!(due_in(T0.millis() + 2_000), Some(3_000));
    assert_eq!(due_in(T0.millis() - HOUR), Some(5_000));
    assert_eq!(due_in(T0.millis() + HOUR), Some(0));
    // Restored, the retries go out in order once due, on the new clock.
    let now = restart_at(T0.millis() + 2_000);
    let mut r = restore(&c, now);
    assert_eq!(r.begin_dial("x".into(), now.plus_millis(2_999)), None);
    let o = r.begin_dial("y".into(), now.plus_millis(3_000)).unwrap();
    assert_eq!((o.index, r.entry(0).unwrap().attempt), (0, 2));
}

#[test]
fn restore_after_an_old_attempts_answered_does_not_count_it_for_the_current_one() {
    let mut c = with_policy(1, 1, policy(3, 0, BOTH));
    dial(&mut c, "old", 100, N0);
    report(&mut c, "old", 100, CallStatus::Completed, N0);
    dial(&mut c, "new", 200, N0);
    report(&mut c, "new", 200, CallStatus::Ringing, N0);
    // The first attempt's answered comes late, after the second began: it
    // belongs to attempt 1 and changes nothing.
    report(&mut c, "old", 100, CallStatus::Answered, N0);
    assert!(!c.entry(0).unwrap().answered);
    let late = c
        .entry(0)
        .unwrap()
        .details()
        .history
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        late.attempt, 1,
        "an old attempt's event is filed under its attempt"
    );
    // A restart must not read it as the current attempt's answer.
    let mut r = restore(&c, restart_at(T0.millis()));
    assert!(!r.entry(0).unwrap().answered);
    report(&mut r, "new", 200, CallStatus::Completed, N0);
    let e = r.entry(0).unwrap();
    assert_eq!(
        (e.status, e.attempt),
        (Status::Waiting, 2),
        "no_answer: retried"
    );
}

#[test]
fn entries_of_the_previous_release_are_upgraded() {
    let old = |status: &str, token: Option<&str>| {
        let json = serde_json::json!({
            "index": 0,
            "phone": "13018040009",
            "status": status,
            "call_id": if status == "idle" { None } else { Some(5) },
            "token": token,
            "dialed_at": if status == "idle" { None } else { Some("2026-11-23T20:01:02.123Z") },
            "updated_at": if status == "idle" { None } else { Some("2026-11-23T20:01:04.000Z") },
            "reason": if status == "failed" { Some("busy") } else { None },
            "version": 3,
            "events_dropped": 0
        });
        serde_json::from_value::<Entry>(json).unwrap()
    };
    let answered_webhook = || -> Event {
        serde_json::from_value(serde_json::json!({
            "at": "2026-11-23T20:01:03.000Z",
            "event": "webhook",
            "id": 5,
            "status": "answered",
            "applied": true
        }))
        .unwrap()
    };
    let dialed_at: Timestamp = "2026-11-23T20:01:02.123Z".parse().unwrap();
    for (status, with_answer, outcome, answered) in [
        ("completed", false, Some(Outcome::NoAnswer), false),
        ("completed", true, Some(Outcome::Answered), true),
        ("failed", false, Some(Outcome::Failed), false),
        ("answered", false, None, true),
        ("ringing", false, None, false),
        ("dialing", false, None, false),
    ] {
        let mut e = old(status, Some("t"));
        assert_eq!((e.attempt, e.outcome, e.answered), (0, None, false));
        if with_answer {
            e.details_mut().history.push(answered_webhook());
            assert_eq!(e.details().history[0].attempt, 1);
        }
        e.upgrade();
        let what = format!("{status} (answered webhook: {with_answer})");
        assert_eq!(e.attempt, 1, "{what}");
        assert_eq!(e.outcome, outcome, "{what}");
        assert_eq!(e.answered, answered, "{what}");
        assert_eq!(e.details().first_dialed_at, Some(dialed_at), "{what}");
        let once = e.clone();
        e.upgrade();
        assert_eq!(e, once, "upgrading twice changes nothing");
    }
    let mut idle = old("idle", None);
    idle.upgrade();
    assert_eq!(
        (idle.attempt, idle.outcome, idle.details().first_dialed_at),
        (0, None, None)
    );
    // A previous release's list, restored: counts, outcomes and attempts
    // add up, and the list goes on from its first idle entry.
    let mut entries: Vec<Entry> = ["completed", "failed", "ringing", "idle"]
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let mut e = old(s, None);
            e.index = i;
            if s != "idle" {
                e.details_mut().token = Some(format!("t{i}"));
            }
            e
        })
        .collect();
    entries[0].details_mut().history.push(answered_webhook());
    let now = restart_at(T0.millis());
    let mut r = Campaign::restore(CampaignMeta::first(true, 3), entries, settings(3), now).unwrap();
    assert_recount(&r);
    assert_eq!(r.attempts(), 3);
    assert_eq!(r.entry(0).unwrap().outcome, Some(Outcome::Answered));
    assert_eq!(r.state(), CampaignState::Running);
    assert_eq!(r.begin_dial("n".into(), now).unwrap().index, 3);
}

/// Twilio numbers a call's callbacks: one that arrives after a higher
/// number is kept in the history as out of order, beside what the status
/// rules made of it; a new attempt counts from scratch, and reports
/// without numbers (the numDialer API's) are never called out of order.
#[test]
fn callbacks_numbered_out_of_order_are_recorded_as_such() {
    let mut c = with_policy(1, 1, policy(2, 0, BOTH));
    let sid = |n: u32| CallId::Text(format!("CA{n}"));
    let numbered =
        |id: CallId, event: CallEvent, n: u64| CallReport::new(id, event).with_sequence(Some(n));
    let o = c.begin_dial("a1".into(), N0).unwrap();
    c.finish_dial(o.index, DialAnswer::Placed { id: sid(1) }, N0);
    let answered = c
        .apply_report("a1", numbered(sid(1), CallEvent::Answered, 2), N0)
        .unwrap();
    assert!(answered.applied);
    let late = c
        .apply_report("a1", numbered(sid(1), CallEvent::Ringing, 1), N0)
        .unwrap();
    assert_eq!(late.effect, Effect::Backwards);
    let notes = |c: &Campaign| -> Vec<Option<String>> {
        c.entry(0)
            .unwrap()
            .details()
            .history
            .iter()
            .map(|e| e.note.clone())
            .collect()
    };
    assert_eq!(
        notes(&c).last().unwrap().as_deref(),
        Some("out of order: sequence 1 after 2; would move answered back to ringing")
    );
    assert_eq!(c.entry(0).unwrap().details().sequence, Some(2));
    // The same number again is a duplicate, not out of order.
    let again = c
        .apply_report("a1", numbered(sid(1), CallEvent::Answered, 2), N0)
        .unwrap();
    assert_eq!(again.effect, Effect::Duplicate);
    assert_eq!(notes(&c).last().unwrap().as_deref(), Some("duplicate"));
    let failed = CallEvent::NotAnswered {
        reason: "busy".into(),
    };
    // The next number is in order again, and applied.
    c.apply_report("a1", numbered(sid(1), failed.clone(), 3), N0)
        .unwrap();
    assert_eq!(c.entry(0).unwrap().status, Status::Completed);

    // A busy first attempt earns a retry, whose call is a new one,
    // numbered from scratch.
    let mut c = with_policy(1, 1, policy(2, 0, BOTH));
    let o = c.begin_dial("b1".into(), N0).unwrap();
    c.finish_dial(o.index, DialAnswer::Placed { id: sid(2) }, N0);
    c.apply_report("b1", numbered(sid(2), failed, 5), N0)
        .unwrap();
    assert_eq!(c.entry(0).unwrap().status, Status::Waiting);
    let o = c.begin_dial("b2".into(), N0.plus_millis(1)).unwrap();
    assert_eq!(
        c.entry(0).unwrap().details().sequence,
        None,
        "a new call, new numbers"
    );
    c.finish_dial(o.index, DialAnswer::Placed { id: sid(3) }, N0);
    let first = c
        .apply_report("b2", numbered(sid(3), CallEvent::Ringing, 1), N0)
        .unwrap();
    assert!(first.applied);
    assert_eq!(
        notes(&c).last().unwrap(),
        &None,
        "1 after the old call's 5 is in order"
    );
    // The old call's late callback: an earlier attempt, not out of order.
    c.apply_report("b1", numbered(sid(2), CallEvent::Ringing, 0), N0)
        .unwrap();
    assert_eq!(
        notes(&c).last().unwrap().as_deref(),
        Some("an earlier attempt; attempt 2 is current")
    );
    assert_eq!(c.entry(0).unwrap().details().sequence, Some(1));
    // Unnumbered reports leave the number alone and are never out of order.
    c.apply_report("b2", CallReport::new(sid(3), CallEvent::Answered), N0)
        .unwrap();
    assert_eq!(notes(&c).last().unwrap(), &None);
    assert_eq!(c.entry(0).unwrap().details().sequence, Some(1));
}

/// What every entry of a list costs before anything happens to it: the
/// retained-memory benchmark's budget is 200 bytes an entry, of which the
/// entry is the largest part.
#[test]
fn a_fresh_entry_is_sixty_four_bytes_and_its_times_need_no_details() {
    assert_eq!(std::mem::size_of::<Entry>(), 64);
    let mut e = Entry::new(0, Phone::parse("13018040009").unwrap());
    e.set_retry_at(None);
    assert_eq!(e, Entry::new(0, Phone::parse("13018040009").unwrap()));
    assert!(e.details().history.is_empty() && e.retry_at().is_none());
    e.set_retry_at(Some(Timestamp(5)));
    assert_eq!(e.retry_at(), Some(Timestamp(5)));
    let json = serde_json::to_string(&e).unwrap();
    assert!(json.contains(r#""retry_at":"#), "{json}");
    let back: Entry = serde_json::from_str(&json).unwrap();
    assert_eq!(
        (back.retry_at(), back.updated_at()),
        (Some(Timestamp(5)), None)
    );
}

#[test]
fn taking_the_text_leaves_a_plain_entry_plain_and_a_dialed_one_dialed() {
    let mut named = Entry::new(0, phone(0));
    named.details_mut().name = Some("Ada".into());
    named.details_mut().fields = ["gold", ""].into_iter().collect();
    let (name, fields) = named.take_text();
    assert_eq!(
        (name.as_deref(), fields),
        (Some("Ada"), ["gold", ""].into_iter().collect())
    );
    assert_eq!(named, Entry::new(0, phone(0)));
    assert_eq!(named.take_text(), (None, Fields::EMPTY));

    let mut dialed = Entry::every_field_set();
    let (name, fields) = dialed.take_text();
    assert_eq!(
        (name.as_deref(), fields),
        (Some("Ada"), ["x", ""].into_iter().collect())
    );
    assert!(dialed.details().fields.is_empty() && dialed.details().name.is_none());
    assert_eq!(dialed.details().reason.as_deref(), Some("busy"));
}

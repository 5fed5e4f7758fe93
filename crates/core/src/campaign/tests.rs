use super::*;
use crate::call::CallEvent;
use crate::numbers::default_numbers;
use crate::protocol::numdialer::{CallStatus, WebhookBody};
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
    assert_eq!(c.entry(0).unwrap().call_id, Some(1432.into()));
    c.finish_dial(0, DialAnswer::Placed { id: 1432.into() }, N0);
    let e = c.entry(0).unwrap();
    assert_eq!(e.status, Status::Ringing);
    assert_eq!(e.call_id, Some(1432.into()));
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
    let h = &c.entry(0).unwrap().history;
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
        e.reason.as_deref(),
        Some("dialer API refused the call: Expected a valid phone")
    );
    assert_eq!(c.begin_dial(tok(1), N0).unwrap().index, 1);
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
    assert_eq!(e.reason.as_deref(), Some("no final webhook within 10 s"));
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
    e.token = Some(tok(0));
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
    assert_eq!(e.history.len(), MAX_HISTORY);
    assert_eq!(e.history.len() as u64 + e.events_dropped, 102);
}

#[test]
fn deltas_carry_exactly_the_changed_entries() {
    let mut c = started(9, 3);
    let v0 = c.version();
    fill(&mut c, N0);
    let v1 = c.version();
    c.apply_report(&tok(1), wh(101, CallStatus::Ringing), N0)
        .unwrap();
    let d = c.snapshot_since(v1, T0);
    assert_eq!(d.since, Some(v1));
    assert_eq!(d.calls.iter().map(|c| c.index).collect::<Vec<_>>(), vec![1]);
    let d = c.snapshot_since(v0, T0);
    assert_eq!(
        d.calls.iter().map(|c| c.index).collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
    assert!(c.snapshot_since(c.version(), T0).calls.is_empty());
    let future = c.snapshot_since(c.version() + 1, T0);
    assert_eq!(
        (future.since, future.calls.len()),
        (None, 9),
        "unknown history: full list"
    );
    // A client that applies deltas ends where a full poll would.
    let mut client = Campaign::new((0..9).map(phone).collect(), settings(3)).snapshot(T0);
    client.apply_delta(c.snapshot_since(0, T0));
    assert_eq!(client, c.snapshot(T0));
    // Restored campaigns answer the same deltas.
    let r = Campaign::restore(
        CampaignMeta::first(true, 0),
        c.entries().to_vec(),
        settings(3),
        N0,
    )
    .unwrap();
    assert_eq!(r.snapshot_since(v1, T0), c.snapshot_since(v1, T0));
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
        let mut client = c.snapshot(now.wall);
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
                        pool.push(Delivery::Webhook(o.token.clone(), CallReport { id: id.into(), event: failed }));
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
                                let idx = before.iter().position(|e| e.token.as_deref() == Some(token.as_str())).unwrap();
                                if before[idx].call_id.is_some() {
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
            // A poller that only fetches deltas sees what a full poll sees.
            client.apply_delta(c.snapshot_since(client.version, now.wall));
            prop_assert_eq!(&client, &c.snapshot(now.wall));
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

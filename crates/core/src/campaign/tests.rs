use super::*;
use crate::call::CallEvent;
use crate::numbers::default_numbers;
use crate::protocol::numdialer::{CallStatus, WebhookBody};
use proptest::prelude::*;

const T0: Timestamp = Timestamp(1_000_000);

fn started(n: usize, concurrency: usize) -> Campaign {
    let phones = (0..n).map(phone).collect();
    let mut c = Campaign::new(phones, concurrency);
    c.start().unwrap();
    c
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
fn fill(c: &mut Campaign, now: Timestamp) -> Vec<usize> {
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
    let mut c = Campaign::new(default_numbers(), 3);
    assert!(!c.can_dial());
    assert_eq!(c.begin_dial("t".into(), T0), None);
    c.start().unwrap();
    assert_eq!(c.start(), Err(AlreadyStarted));
    assert!(c.can_dial());
}

#[test]
fn fills_the_window_in_list_order_one_dial_at_a_time() {
    let mut c = started(9, 3);
    let first = c.begin_dial(tok(0), T0).unwrap();
    assert_eq!(first.index, 0);
    assert_eq!(first.phone.digits(), "10000000000");
    // The next POST /call waits for this one's answer.
    assert!(!c.can_dial());
    c.finish_dial(0, DialAnswer::Placed { id: 100.into() }, T0);
    assert_eq!(fill(&mut c, T0), vec![1, 2]);
    assert_eq!(c.active(), 3);
    assert!(!c.can_dial());
    let out = c
        .apply_report(&tok(1), wh(101, CallStatus::Completed), T0)
        .unwrap();
    assert!(out.freed_slot);
    assert_eq!(fill(&mut c, T0), vec![3]);
}

#[test]
fn webhook_before_the_answer_is_applied_and_teaches_the_id() {
    let mut c = started(9, 3);
    let o = c.begin_dial(tok(0), T0).unwrap();
    let out = c
        .apply_report(&o.token, wh(1432, CallStatus::Ringing), T0)
        .unwrap();
    assert!(out.applied);
    assert_eq!(c.entry(0).unwrap().call_id, Some(1432.into()));
    c.finish_dial(0, DialAnswer::Placed { id: 1432.into() }, T0);
    let e = c.entry(0).unwrap();
    assert_eq!(e.status, Status::Ringing);
    assert_eq!(e.call_id, Some(1432.into()));
    assert!(c.can_dial());
}

#[test]
fn completed_before_ringing_stays_completed_and_frees_one_slot_only() {
    let mut c = started(9, 3);
    fill(&mut c, T0);
    let out = c
        .apply_report(&tok(0), wh(100, CallStatus::Completed), T0)
        .unwrap();
    assert!(out.freed_slot);
    let late = c
        .apply_report(&tok(0), wh(100, CallStatus::Ringing), T0)
        .unwrap();
    assert!(!late.applied && !late.freed_slot);
    assert_eq!(late.effect, Effect::AfterFinal);
    assert_eq!(late.status, Status::Completed);
    let again = c
        .apply_report(&tok(0), wh(100, CallStatus::Completed), T0)
        .unwrap();
    assert!(!again.freed_slot);
    assert_eq!(fill(&mut c, T0), vec![3]);
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
    fill(&mut c, T0);
    let v = c.version();
    c.apply_report(&tok(0), wh(100, CallStatus::Answered), T0)
        .unwrap();
    let dup = c
        .apply_report(&tok(0), wh(100, CallStatus::Answered), T0)
        .unwrap();
    let back = c
        .apply_report(&tok(0), wh(100, CallStatus::Ringing), T0)
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
    fill(&mut c, T0);
    let before = c.clone();
    assert_eq!(
        c.apply_report("nope", wh(100, CallStatus::Completed), T0),
        Err(WebhookError::UnknownToken)
    );
    assert_eq!(
        c.apply_report(&tok(0), wh(999, CallStatus::Completed), T0),
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
    c.begin_dial(tok(0), T0).unwrap();
    let freed = c.finish_dial(
        0,
        DialAnswer::Refused {
            reason: "Expected a valid phone".into(),
        },
        T0,
    );
    assert!(freed);
    let e = c.entry(0).unwrap();
    assert_eq!(e.status, Status::Failed);
    assert_eq!(
        e.reason.as_deref(),
        Some("dialer API refused the call: Expected a valid phone")
    );
    assert_eq!(c.begin_dial(tok(1), T0).unwrap().index, 1);
}

#[test]
fn an_unanswered_dial_holds_its_line_until_the_timeout() {
    let mut c = started(2, 1);
    c.begin_dial(tok(0), T0).unwrap();
    assert!(!c.finish_dial(
        0,
        DialAnswer::Unanswered {
            reason: "timed out".into()
        },
        T0
    ));
    assert_eq!(c.entry(0).unwrap().status, Status::Dialing);
    assert!(!c.can_dial());
    assert_eq!(c.next_deadline(60_000), Some(T0.plus_millis(60_000)));
    assert!(c.expire(T0.plus_millis(59_999), 60_000).is_empty());
    assert_eq!(c.expire(T0.plus_millis(60_000), 60_000), vec![0]);
    let e = c.entry(0).unwrap();
    assert_eq!(e.status, Status::Failed);
    assert_eq!(e.reason.as_deref(), Some("no final webhook within 60 s"));
    assert!(c.can_dial());
    // A webhook after the timeout is recorded and changes nothing.
    let late = c
        .apply_report(&tok(0), wh(5, CallStatus::Completed), T0)
        .unwrap();
    assert!(!late.applied && !late.freed_slot);
}

#[test]
fn unreachable_fails_only_a_dialing_entry() {
    let mut c = started(1, 1);
    c.begin_dial(tok(0), T0).unwrap();
    c.apply_report(&tok(0), wh(7, CallStatus::Ringing), T0)
        .unwrap();
    assert!(!c.finish_dial(
        0,
        DialAnswer::Unreachable {
            reason: "refused".into()
        },
        T0
    ));
    assert_eq!(c.entry(0).unwrap().status, Status::Ringing);
}

#[test]
fn restore_resumes_without_redialing() {
    let mut c = started(9, 3);
    fill(&mut c, T0);
    c.apply_report(&tok(1), wh(101, CallStatus::Completed), T0)
        .unwrap();
    // Crash between persisting entry 3 as dialing and reading its answer.
    c.begin_dial(tok(3), T0).unwrap();
    let stored: Vec<Entry> = c.entries().to_vec();
    let r = Campaign::restore(stored, true, 0, 3).unwrap();
    assert_eq!(r.version(), c.version());
    assert_eq!(r.active(), 3);
    assert_eq!(r.pending_dial(), None);
    assert!(!r.can_dial());
    let mut r = r;
    // Entry 3's webhooks still land.
    r.apply_report(&tok(3), wh(103, CallStatus::Completed), T0)
        .unwrap();
    assert_eq!(r.begin_dial(tok(4), T0).unwrap().index, 4);
}

#[test]
fn restore_rejects_a_gap() {
    let mut e = vec![Entry::new(0, phone(0)), Entry::new(2, phone(2))];
    assert_eq!(
        Campaign::restore(std::mem::take(&mut e), false, 0, 3).unwrap_err(),
        RestoreError::IndexGap {
            position: 1,
            found: 2
        }
    );
}

#[test]
fn history_is_capped() {
    let mut c = started(1, 1);
    fill(&mut c, T0);
    for _ in 0..100 {
        c.apply_report(&tok(0), wh(100, CallStatus::Ringing), T0)
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
    fill(&mut c, T0);
    let v1 = c.version();
    c.apply_report(&tok(1), wh(101, CallStatus::Ringing), T0)
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
    let mut client = Campaign::new((0..9).map(phone).collect(), 3).snapshot(T0);
    client.apply_delta(c.snapshot_since(0, T0));
    assert_eq!(client, c.snapshot(T0));
    // Restored campaigns answer the same deltas.
    let r = Campaign::restore(c.entries().to_vec(), true, 0, 3).unwrap();
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

const TIMEOUT: u64 = 10_000;

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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Random schedules: webhooks shuffled, duplicated, dropped, stages
    /// skipped, finals before ringing, webhooks before answers, forged ones
    /// mixed in, and clock jumps that fire timeouts.
    #[test]
    fn rules_hold_under_any_schedule(
        n in 1usize..14,
        concurrency in 1usize..5,
        choices in prop::collection::vec(any::<u32>(), 0..600),
    ) {
        let mut c = started(n, concurrency);
        let mut now = T0;
        let mut pool: Vec<Delivery> = Vec::new();
        let mut dial_log: Vec<usize> = Vec::new();
        let mut choices = choices.into_iter();
        let mut prev: Vec<Status> = c.entries().iter().map(|e| e.status).collect();
        let mut client = c.snapshot(now);
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
                c.expire(now, TIMEOUT);
            } else if c.can_dial() && (draining || r % 4 == 0) {
                let o = c.begin_dial(format!("t{}", dial_log.len()), now).unwrap();
                dial_log.push(o.index);
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
                c.expire(now, TIMEOUT);
            }
            check_step(&c, &prev)?;
            prev = c.entries().iter().map(|e| e.status).collect();
            // A poller that only fetches deltas sees what a full poll sees.
            client.apply_delta(c.snapshot_since(client.version, now));
            prop_assert_eq!(&client, &c.snapshot(now));
        }
        prop_assert_eq!(dial_log, (0..n).collect::<Vec<_>>(), "dialed in list order, each once");
        prop_assert!(c.entries().iter().all(|e| e.status.is_final()));
        prop_assert_eq!(c.active(), 0);
    }
}

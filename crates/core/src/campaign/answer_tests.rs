//! Answering-machine detection: who answered, when an attempt's outcome is
//! decided, retries of machines, and the voicemail left on them.

use super::*;
use crate::answer::{Amd, AnswerSettings, AnsweredBy, DETECTION_GRACE_MS, Detection, Voicemail};
use crate::call::{CallEvent, CallReport};
use crate::status::Outcome;
use crate::time::{Mono, Now};
use proptest::prelude::*;

const T0: Timestamp = Timestamp(1_795_464_062_123);
const N0: Now = Now {
    wall: T0,
    mono: Mono(5_000),
};
/// Long enough that no call of these tests times out: only the grace ends one.
const TIMEOUT: u64 = 24 * 3_600_000;

fn phone(i: usize) -> Phone {
    Phone::parse(&format!("1{i:010}")).unwrap()
}

fn amd_campaign(
    n: usize,
    concurrency: usize,
    answers: AnswerSettings,
    retry: RetryPolicy,
) -> Campaign {
    let meta = CampaignMeta {
        retry,
        answers,
        ..CampaignMeta::first(false, 0)
    };
    let entries = (0..n).map(|i| Entry::new(i, phone(i))).collect();
    let settings = Settings {
        concurrency,
        call_timeout_ms: TIMEOUT,
    };
    let mut c = Campaign::create(meta, entries, settings);
    c.operate(Operation::Start, 1, T0).unwrap();
    c
}

fn detecting(voicemail: Option<Voicemail>) -> AnswerSettings {
    AnswerSettings {
        amd: Amd::DetectMessageEnd,
        voicemail,
        tuning: Vec::new(),
    }
}

fn sid(i: usize) -> CallId {
    CallId::Text(format!("CA{i}"))
}

fn report(i: usize, event: CallEvent) -> CallReport {
    CallReport::new(sid(i), event)
}

fn detection(i: usize, by: AnsweredBy, raw: &str) -> Detection {
    Detection {
        id: sid(i),
        answered_by: by,
        raw: Some(raw.to_string()),
        duration_ms: Some(2_300),
        greeting_over: raw.starts_with("machine_end_"),
    }
}

/// Dials the next entry under `token` and places it with its sid.
fn dial(c: &mut Campaign, token: &str, now: Now) -> usize {
    let o = c.begin_dial(token.to_string(), now).unwrap();
    c.finish_dial(o.index, DialAnswer::Placed { id: sid(o.index) }, now);
    o.index
}

fn answered_call(c: &mut Campaign, token: &str, now: Now) -> usize {
    let i = dial(c, token, now);
    c.apply_report(token, report(i, CallEvent::Ringing), now)
        .unwrap();
    c.apply_report(token, report(i, CallEvent::Answered), now)
        .unwrap();
    i
}

#[test]
fn a_result_before_completed_decides_the_outcome_at_completed() {
    let mut c = amd_campaign(2, 2, detecting(None), RetryPolicy::default());
    let i = answered_call(&mut c, "a", N0);
    let d = c
        .apply_detection("a", detection(i, AnsweredBy::Machine, "machine_start"), N0)
        .unwrap();
    assert!(d.applied && !d.freed_slot && d.voicemail.is_none());
    assert_eq!(c.entry(i).unwrap().status, Status::Answered);
    let out = c
        .apply_report("a", report(i, CallEvent::Completed), N0)
        .unwrap();
    assert!(out.freed_slot);
    let e = c.entry(i).unwrap();
    assert_eq!(e.status, Status::Completed);
    assert_eq!(e.outcome, Some(Outcome::Machine));
    let a = e.details().answer.as_ref().unwrap();
    assert_eq!(a.answered_by, AnsweredBy::Machine);
    assert_eq!(a.raw.as_deref(), Some("machine_start"));
    assert_eq!(a.detection_ms, Some(2_300));
    assert_eq!(c.outcome_count(Outcome::Machine), 1);
}

#[test]
fn completed_waits_for_its_result_holding_its_line() {
    let mut c = amd_campaign(3, 1, detecting(None), RetryPolicy::default());
    let i = answered_call(&mut c, "a", N0);
    let out = c
        .apply_report("a", report(i, CallEvent::Completed), N0)
        .unwrap();
    assert!(out.applied && !out.freed_slot);
    let e = c.entry(i).unwrap();
    assert_eq!((e.status, e.outcome), (Status::Answered, None));
    assert!(e.awaiting_answer);
    assert!(
        e.details()
            .history
            .last()
            .unwrap()
            .note
            .as_deref()
            .unwrap()
            .contains("waiting up to 10 s")
    );
    assert!(!c.can_dial(), "the line is still held");
    assert_eq!(
        c.next_deadline(),
        Some(N0.mono.plus_millis(DETECTION_GRACE_MS))
    );
    // A repeated completed while waiting is a duplicate.
    let again = c
        .apply_report("a", report(i, CallEvent::Completed), N0)
        .unwrap();
    assert!(!again.applied);
    assert_eq!(again.effect, Effect::Duplicate);
    let later = N0.plus_millis(3_000);
    let d = c
        .apply_detection("a", detection(i, AnsweredBy::Human, "human"), later)
        .unwrap();
    assert!(d.applied && d.freed_slot);
    let e = c.entry(i).unwrap();
    assert_eq!(e.status, Status::Completed);
    assert_eq!(e.outcome, Some(Outcome::Answered));
    assert!(!e.awaiting_answer);
    assert!(c.can_dial());
}

#[test]
fn no_result_within_the_grace_is_unknown_and_a_later_one_changes_nothing() {
    let mut c = amd_campaign(1, 1, detecting(None), RetryPolicy::default());
    let i = answered_call(&mut c, "a", N0);
    c.apply_report("a", report(i, CallEvent::Completed), N0)
        .unwrap();
    assert!(c.expire(N0.plus_millis(DETECTION_GRACE_MS - 1)).is_empty());
    assert_eq!(c.expire(N0.plus_millis(DETECTION_GRACE_MS)), vec![i]);
    let e = c.entry(i).unwrap().clone();
    assert_eq!(e.status, Status::Completed);
    assert_eq!(e.outcome, Some(Outcome::Answered));
    assert_eq!(
        e.details().answer.as_ref().unwrap().answered_by,
        AnsweredBy::Unknown
    );
    assert_eq!(e.details().reason, None, "not a failure");
    assert!(c.is_finished());
    let late = N0.plus_millis(DETECTION_GRACE_MS + 1);
    let d = c
        .apply_detection(
            "a",
            detection(i, AnsweredBy::Machine, "machine_start"),
            late,
        )
        .unwrap();
    assert!(!d.applied);
    let after = c.entry(i).unwrap();
    assert_eq!(after.outcome, Some(Outcome::Answered));
    assert_eq!(after.details().answer, e.details().answer);
    let last = after.details().history.last().unwrap();
    assert!(matches!(
        last.kind,
        EventKind::Detected {
            answered_by: AnsweredBy::Machine,
            ..
        }
    ));
    assert!(!last.applied);
}

#[test]
fn a_second_or_conflicting_result_is_recorded_not_applied() {
    let mut c = amd_campaign(1, 1, detecting(None), RetryPolicy::default());
    let i = answered_call(&mut c, "a", N0);
    c.apply_detection("a", detection(i, AnsweredBy::Human, "human"), N0)
        .unwrap();
    let dup = c
        .apply_detection("a", detection(i, AnsweredBy::Human, "human"), N0)
        .unwrap();
    assert!(!dup.applied);
    assert_eq!(
        c.entry(i)
            .unwrap()
            .details()
            .history
            .last()
            .unwrap()
            .note
            .as_deref(),
        Some("duplicate")
    );
    let other = c
        .apply_detection(
            "a",
            detection(i, AnsweredBy::Machine, "machine_end_beep"),
            N0,
        )
        .unwrap();
    assert!(!other.applied && other.voicemail.is_none());
    let note = c
        .entry(i)
        .unwrap()
        .details()
        .history
        .last()
        .unwrap()
        .note
        .clone()
        .unwrap();
    assert!(note.contains("answered_by is human already"), "{note}");
    c.apply_report("a", report(i, CallEvent::Completed), N0)
        .unwrap();
    assert_eq!(c.entry(i).unwrap().outcome, Some(Outcome::Answered));
}

#[test]
fn refused_results_change_nothing() {
    let mut c = amd_campaign(1, 1, detecting(None), RetryPolicy::default());
    let i = answered_call(&mut c, "a", N0);
    let before = c.entries().to_vec();
    assert_eq!(
        c.apply_detection("nope", detection(i, AnsweredBy::Human, "human"), N0),
        Err(WebhookError::UnknownToken)
    );
    let forged = Detection {
        id: CallId::Text("CAforged".into()),
        ..detection(i, AnsweredBy::Human, "human")
    };
    assert!(matches!(
        c.apply_detection("a", forged, N0),
        Err(WebhookError::IdMismatch { .. })
    ));
    assert_eq!(c.entries(), &before[..]);
}

#[test]
fn machines_are_retried_on_their_own_terms_up_to_max_attempts() {
    let retry = RetryPolicy {
        max_attempts: 3,
        retry_delay: 60,
        retry_on: vec![Outcome::Machine],
    };
    let mut c = amd_campaign(1, 1, detecting(None), retry);
    let mut now = N0;
    for attempt in 1..=3u32 {
        let token = format!("t{attempt}");
        let i = answered_call(&mut c, &token, now);
        assert_eq!(
            c.entry(i).unwrap().details().answer,
            None,
            "each attempt starts unknown"
        );
        c.apply_detection(
            &token,
            detection(i, AnsweredBy::Machine, "machine_end_silence"),
            now,
        )
        .unwrap();
        c.apply_report(&token, report(i, CallEvent::Completed), now)
            .unwrap();
        let e = c.entry(i).unwrap();
        assert_eq!(e.attempt, attempt);
        if attempt < 3 {
            assert_eq!(e.status, Status::Waiting);
            assert_eq!(e.retry_at(), Some(now.wall.plus_millis(60_000)));
            assert!(matches!(
                e.details().history.last().unwrap().kind,
                EventKind::RetryScheduled {
                    outcome: Outcome::Machine,
                    ..
                }
            ));
            now = now.plus_millis(60_000);
        } else {
            assert_eq!(
                (e.status, e.outcome),
                (Status::Completed, Some(Outcome::Machine))
            );
        }
    }
    // An old attempt's result is filed under it and changes nothing.
    let d = c
        .apply_detection("t1", detection(0, AnsweredBy::Human, "human"), now)
        .unwrap();
    assert!(!d.applied);
    let e = c.entry(0).unwrap();
    assert_eq!(e.details().history.last().unwrap().attempt, 1);
    assert_eq!(e.outcome, Some(Outcome::Machine));
    assert!(c.is_finished());
}

#[test]
fn humans_and_no_answers_are_not_retried_as_machines() {
    let retry = RetryPolicy {
        max_attempts: 3,
        retry_delay: 60,
        retry_on: vec![Outcome::Machine],
    };
    let mut c = amd_campaign(2, 2, detecting(None), retry);
    let i = answered_call(&mut c, "a", N0);
    c.apply_detection("a", detection(i, AnsweredBy::Human, "human"), N0)
        .unwrap();
    c.apply_report("a", report(i, CallEvent::Completed), N0)
        .unwrap();
    let j = dial(&mut c, "b", N0);
    let busy = CallEvent::NotAnswered {
        reason: "busy".into(),
    };
    c.apply_report("b", report(j, busy), N0).unwrap();
    assert_eq!(c.entry(i).unwrap().outcome, Some(Outcome::Answered));
    assert_eq!(c.entry(j).unwrap().outcome, Some(Outcome::NoAnswer));
    assert!(c.is_finished());
}

#[test]
fn a_machine_past_its_greeting_on_a_live_call_gets_the_voicemail() {
    let message = Voicemail::Say("Please call us back".into());
    let mut c = amd_campaign(
        3,
        3,
        detecting(Some(message.clone())),
        RetryPolicy::default(),
    );
    let i = answered_call(&mut c, "a", N0);
    let d = c
        .apply_detection(
            "a",
            detection(i, AnsweredBy::Machine, "machine_end_beep"),
            N0,
        )
        .unwrap();
    let order = d.voicemail.expect("a voicemail to leave");
    assert_eq!((order.index, order.attempt), (i, 1));
    assert_eq!(order.call_id, sid(i));
    assert_eq!(order.message, message);
    assert!(c.record_voicemail(&order, Ok(()), T0));
    assert!(c.entry(i).unwrap().voicemail_left);
    c.apply_report("a", report(i, CallEvent::Completed), N0)
        .unwrap();
    let e = c.entry(i).unwrap();
    assert_eq!(e.outcome, Some(Outcome::Machine));
    assert!(e.voicemail_left);

    // Before the greeting's end, or with the call over: no voicemail.
    let j = answered_call(&mut c, "b", N0);
    let d = c
        .apply_detection("b", detection(j, AnsweredBy::Machine, "machine_start"), N0)
        .unwrap();
    assert!(d.voicemail.is_none());
    let k = answered_call(&mut c, "c", N0);
    c.apply_report("c", report(k, CallEvent::Completed), N0)
        .unwrap();
    let d = c
        .apply_detection(
            "c",
            detection(k, AnsweredBy::Machine, "machine_end_beep"),
            N0,
        )
        .unwrap();
    assert!(d.applied && d.voicemail.is_none());
    assert_eq!(c.entry(k).unwrap().outcome, Some(Outcome::Machine));
}

#[test]
fn a_failed_voicemail_is_in_the_history_and_nothing_else_changes() {
    let mut c = amd_campaign(
        1,
        1,
        detecting(Some(Voicemail::Play("https://x.example/m.mp3".into()))),
        RetryPolicy::default(),
    );
    let i = answered_call(&mut c, "a", N0);
    let order = c
        .apply_detection(
            "a",
            detection(i, AnsweredBy::Machine, "machine_end_other"),
            N0,
        )
        .unwrap()
        .voicemail
        .unwrap();
    assert!(c.record_voicemail(
        &order,
        Err("twilio 21220: call is not in-progress".into()),
        T0
    ));
    let e = c.entry(i).unwrap();
    assert!(!e.voicemail_left);
    assert_eq!(e.status, Status::Answered);
    let last = e.details().history.last().unwrap();
    assert_eq!(
        last.kind,
        EventKind::Voicemail {
            left: false,
            reason: Some("twilio 21220: call is not in-progress".into())
        }
    );
    assert!(!last.applied);
}

#[test]
fn without_detection_a_completed_call_ends_at_once() {
    let mut c = amd_campaign(1, 1, AnswerSettings::default(), RetryPolicy::default());
    let i = answered_call(&mut c, "a", N0);
    let out = c
        .apply_report("a", report(i, CallEvent::Completed), N0)
        .unwrap();
    assert!(out.freed_slot);
    let e = c.entry(i).unwrap();
    assert_eq!(
        (e.outcome, e.details().answer.clone()),
        (Some(Outcome::Answered), None)
    );
}

#[test]
fn a_restart_keeps_what_is_left_of_the_grace() {
    let mut c = amd_campaign(1, 1, detecting(None), RetryPolicy::default());
    let i = answered_call(&mut c, "a", N0);
    c.apply_report("a", report(i, CallEvent::Completed), N0)
        .unwrap();
    let settings = Settings {
        concurrency: 1,
        call_timeout_ms: TIMEOUT,
    };
    let later = Now {
        wall: T0.plus_millis(4_000),
        mono: Mono(1),
    };
    let mut r = Campaign::restore(c.meta().clone(), c.entries().to_vec(), settings, later).unwrap();
    assert_eq!(
        r.next_deadline(),
        Some(Mono(1 + DETECTION_GRACE_MS - 4_000))
    );
    // The stored entry still reads as waiting for its result.
    let stored: Entry =
        serde_json::from_str(&serde_json::to_string(&c.entries()[0]).unwrap()).unwrap();
    assert!(stored.awaiting_answer);
    r.apply_detection("a", detection(i, AnsweredBy::Fax, "fax"), later)
        .unwrap();
    assert_eq!(r.entry(i).unwrap().outcome, Some(Outcome::Machine));
}

/// What one entry's provider sends, in the order it is delivered.
#[derive(Debug, Clone)]
enum Sent {
    Report(CallEvent),
    Detection(AnsweredBy, &'static str),
}

fn by_of(n: u32) -> (AnsweredBy, &'static str) {
    [
        (AnsweredBy::Human, "human"),
        (AnsweredBy::Machine, "machine_start"),
        (AnsweredBy::Machine, "machine_end_beep"),
        (AnsweredBy::Fax, "fax"),
        (AnsweredBy::Unknown, "unknown"),
        (AnsweredBy::Unknown, "machine_end_who_knows"),
    ][n as usize % 6]
}

fn expected(by: AnsweredBy) -> Outcome {
    if by.is_machine() {
        Outcome::Machine
    } else {
        Outcome::Answered
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Every order of an answered call's reports and its detection result
    /// (before `ringing`, between, before or after `completed`), with
    /// duplicates and a conflicting second result mixed in, across several
    /// entries on shared lines: each outcome is the first result's, decided
    /// once and never changed; lines are never over the limit; and only
    /// when the grace passes first is the answer `unknown`.
    #[test]
    fn the_outcome_is_the_first_results_whatever_the_order(
        n in 1usize..6,
        concurrency in 1usize..4,
        choices in prop::collection::vec(any::<u32>(), 1..400),
        voicemail in any::<bool>(),
    ) {
        let message = voicemail.then(|| Voicemail::Say("hello".into()));
        let mut c = amd_campaign(n, concurrency, detecting(message), RetryPolicy::default());
        let mut now = N0;
        let mut choices = choices.into_iter();
        let mut pool: Vec<(usize, Sent)> = Vec::new();
        let mut first: Vec<Option<AnsweredBy>> = vec![None; n];
        let mut graced: Vec<bool> = vec![false; n];
        let mut decided: Vec<Option<Outcome>> = vec![None; n];
        let mut steps = 0;
        loop {
            steps += 1;
            prop_assert!(steps < 5_000, "no progress");
            let r = choices.next();
            let draining = r.is_none();
            let r = r.unwrap_or(0);
            if draining && pool.is_empty() && !c.can_dial() {
                if c.is_finished() { break; }
                now = now.plus_millis(DETECTION_GRACE_MS);
                for i in c.expire(now) { graced[i] = true; }
            } else if c.can_dial() && (draining || r % 3 == 0) {
                let token = format!("t{}", c.next);
                let i = dial(&mut c, &token, now);
                let (by, raw) = by_of(r >> 2);
                // Ringing and answered go in order; the result may come
                // anywhere, and a second one (maybe another word) after it.
                let mut sent = vec![
                    Sent::Report(CallEvent::Ringing),
                    Sent::Report(CallEvent::Answered),
                    Sent::Report(CallEvent::Completed),
                ];
                let at = (r >> 5) as usize % 4;
                sent.insert(at, Sent::Detection(by, raw));
                if (r >> 8) % 3 == 0 {
                    let (by2, raw2) = by_of(r >> 10);
                    sent.push(Sent::Detection(by2, raw2));
                }
                if (r >> 13) % 4 == 0 {
                    sent.push(Sent::Report(CallEvent::Completed));
                }
                pool.extend(sent.into_iter().map(|s| (i, s)));
            } else if !pool.is_empty() && (draining || (r >> 16) % 8 != 0) {
                // The earliest undelivered of a random entry: each entry's
                // own order is kept, entries interleave.
                let pick = pool[(r as usize >> 4) % pool.len()].0;
                let at = pool.iter().position(|(i, _)| *i == pick).unwrap();
                let (i, s) = pool.remove(at);
                let token = format!("t{i}");
                match s {
                    Sent::Report(ev) => {
                        c.apply_report(&token, report(i, ev), now).unwrap();
                    }
                    Sent::Detection(by, raw) => {
                        let d = c.apply_detection(&token, detection(i, by, raw), now).unwrap();
                        if d.applied {
                            prop_assert!(first[i].is_none(), "a second result applied");
                            first[i] = Some(by);
                        }
                        if let Some(order) = d.voicemail {
                            prop_assert!(voicemail && raw == "machine_end_beep");
                            c.record_voicemail(&order, Ok(()), now.wall);
                        }
                    }
                }
            } else {
                now = now.plus_millis(u64::from(r % 6_000));
                for i in c.expire(now) { graced[i] = true; }
            }
            prop_assert!(c.active() <= concurrency, "lines over the limit");
            for e in c.entries() {
                if let Some(o) = decided[e.index] {
                    prop_assert_eq!(e.outcome, Some(o), "entry {} changed its outcome", e.index);
                } else if e.status.is_final() {
                    decided[e.index] = e.outcome;
                } else {
                    prop_assert_eq!(e.outcome, None);
                }
            }
        }
        for e in c.entries() {
            let i = e.index;
            prop_assert_eq!(e.status, Status::Completed);
            match first[i] {
                Some(by) => {
                    prop_assert_eq!(e.outcome, Some(expected(by)));
                    prop_assert_eq!(e.details().answer.as_ref().map(|a| a.answered_by), Some(by));
                }
                None => {
                    prop_assert!(graced[i], "entry {} decided without a result or its grace", i);
                    prop_assert_eq!(e.outcome, Some(Outcome::Answered));
                    prop_assert_eq!(e.details().answer.as_ref().map(|a| a.answered_by), Some(AnsweredBy::Unknown));
                }
            }
            let n = |o: Outcome| c.entries().iter().filter(|e| e.outcome == Some(o)).count();
            prop_assert_eq!(c.outcome_count(Outcome::Machine), n(Outcome::Machine));
            prop_assert_eq!(c.outcome_count(Outcome::Answered), n(Outcome::Answered));
        }
        prop_assert_eq!(c.active(), 0);
    }
}

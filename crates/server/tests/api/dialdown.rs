//! Whole dial-downs over real HTTP against the simulated dialer API.

use crate::helpers::*;
use numdialer_core::api::{CallDetail, EventKind};
use numdialer_core::protocol::numdialer::{CallStatus, WebhookBody};
use numdialer_core::{CallEvent, DEFAULT_NUMBERS, Status};
use numdialer_server::provider::simulator::{Fault, SimConfig};
use std::collections::BTreeMap;
use std::time::Duration;

fn plan(faults: &[(usize, Fault)]) -> BTreeMap<usize, Fault> {
    faults.iter().copied().collect()
}

async fn detail(h: &Harness, index: usize) -> CallDetail {
    let r = h
        .http
        .get(h.url(&format!("/calls/{index}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn default_list_completes_in_order_within_the_window() {
    let h = Harness::start(fast_sim(), |_| {}).await;
    let before = h.statuses().await;
    assert!(!before.started);
    assert_eq!(before.count(Status::Idle), 9);
    assert!(
        h.sim.dials().is_empty(),
        "nothing dialed before POST /calls"
    );

    assert_eq!(h.start_calls().await, 202);
    let done = h.wait_finished().await;
    assert_eq!(done.count(Status::Completed), 9, "{done:#?}");
    let dials = h.sim.dials();
    assert_dialed_in_order(&dials, &DEFAULT_NUMBERS, 3);
    assert_eq!(
        dials.iter().map(|d| d.in_flight_before).max(),
        Some(2),
        "the window was filled"
    );
    for (call, dial) in done.calls.iter().zip(&dials) {
        assert_eq!(
            call.id,
            dial.id.map(Into::into),
            "entry {} has the API's id",
            call.index
        );
    }
    // 18582210308 sends completed, then ringing: the late ringing is
    // recorded and ignored.
    let e4 = detail(&h, 4).await;
    let last = e4.history.last().unwrap();
    assert!(matches!(
        last.kind,
        EventKind::Webhook {
            reported: CallEvent::Ringing,
            ..
        }
    ));
    assert!(!last.applied);
    assert_eq!(e4.call.status, Status::Completed);

    let gaps = refill_gaps(&dials, 3);
    println!("refill gaps (ms, API's view): {gaps:.2?}");

    assert_eq!(h.start_calls().await, 409, "a second start is refused");
    assert_eq!(h.sim.dials().len(), 9, "and dials nothing");
}

#[tokio::test]
async fn webhooks_before_the_dial_answer_are_applied() {
    let sim = SimConfig {
        time_scale: 0.0,
        latency: Duration::from_millis(50),
        ..fast_sim()
    };
    let h = Harness::start(sim, |_| {}).await;
    h.start_calls().await;
    let done = h.wait_finished().await;
    assert_eq!(done.count(Status::Completed), 9, "{done:#?}");
    for (call, dial) in done.calls.iter().zip(&h.sim.dials()) {
        assert_eq!(call.id, dial.id.map(Into::into));
        let d = detail(&h, call.index).await;
        let first = d
            .history
            .iter()
            .position(|e| matches!(e.kind, EventKind::Webhook { .. }));
        let placed = d
            .history
            .iter()
            .position(|e| matches!(e.kind, EventKind::Placed { .. }));
        assert!(
            first < placed,
            "entry {}: webhook came first: {:#?}",
            call.index,
            d.history
        );
    }
    assert_dialed_in_order(&h.sim.dials(), &DEFAULT_NUMBERS, 3);
}

#[tokio::test]
async fn duplicated_webhooks_change_nothing_twice() {
    let sim = SimConfig {
        plan: (0..9).map(|i| (i, Fault::Duplicate)).collect(),
        ..fast_sim()
    };
    let h = Harness::start(sim, |_| {}).await;
    h.start_calls().await;
    let done = h.wait_finished().await;
    assert_eq!(done.count(Status::Completed), 9);
    assert_dialed_in_order(&h.sim.dials(), &DEFAULT_NUMBERS, 3);
    let d = detail(&h, 0).await;
    assert!(
        d.history
            .iter()
            .any(|e| e.note.as_deref() == Some("duplicate"))
    );
}

#[tokio::test]
async fn an_error_answer_fails_that_entry_only() {
    let sim = SimConfig {
        plan: plan(&[(1, Fault::ErrorBody)]),
        ..fast_sim()
    };
    let h = Harness::start(sim, |_| {}).await;
    h.start_calls().await;
    let done = h.wait_finished().await;
    let e1 = &done.calls[1];
    assert_eq!(e1.status, Status::Failed);
    assert_eq!(e1.id, None);
    assert!(
        e1.reason
            .as_deref()
            .unwrap()
            .contains("Expected a valid phone")
    );
    assert_eq!(done.count(Status::Completed), 8);
    assert_dialed_in_order(&h.sim.dials(), &DEFAULT_NUMBERS, 3);
}

#[tokio::test]
async fn a_lost_final_webhook_fails_after_the_timeout() {
    let sim = SimConfig {
        plan: plan(&[(2, Fault::DropFinal)]),
        ..fast_sim()
    };
    let h = Harness::start(sim, |c| {
        c.dialing.call_timeout = Duration::from_millis(1500)
    })
    .await;
    h.start_calls().await;
    let done = h.wait_finished().await;
    let e2 = &done.calls[2];
    assert_eq!(e2.status, Status::Failed);
    assert_eq!(e2.reason.as_deref(), Some("no final webhook within 1.5 s"));
    assert_eq!(done.count(Status::Completed), 8);
    assert_dialed_in_order(&h.sim.dials(), &DEFAULT_NUMBERS, 3);
}

#[tokio::test]
async fn an_unreachable_dialer_api_fails_each_entry_after_retries() {
    let port = free_port();
    let h = Harness::start(fast_sim(), |c| {
        c.provider.dialer_url = Some(format!("http://127.0.0.1:{port}"));
        c.provider.dial_attempts = 3;
        c.provider.dial_backoff = Duration::from_millis(5);
    })
    .await;
    h.start_calls().await;
    let done = h.wait_finished().await;
    assert_eq!(done.count(Status::Failed), 9);
    for c in &done.calls {
        let reason = c.reason.as_deref().unwrap();
        assert!(reason.starts_with("dialer API unreachable"), "{reason}");
        assert!(reason.ends_with("after 3 attempts"), "{reason}");
    }
}

#[tokio::test]
async fn forged_webhooks_are_refused_and_change_nothing() {
    let h = Harness::start(fast_sim(), |_| {}).await;
    h.start_calls().await;
    // Forge against the real tokens (wrong ids) and invented ones while the
    // dial-down runs.
    let forger = {
        let http = h.http.clone();
        let base = h.server.url();
        let dials = h.sim.url();
        tokio::spawn(async move {
            let mut refused = 0;
            for round in 0..200u64 {
                let log: Vec<numdialer_server::provider::simulator::DialRecord> = http
                    .get(format!("{dials}/_sim/dials"))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                for d in log.iter().filter(|d| d.id.is_some()) {
                    let body = WebhookBody {
                        id: d.id.unwrap() + 1_000_000,
                        status: CallStatus::Completed,
                    };
                    let r = http.post(&d.webhook_url).json(&body).send().await.unwrap();
                    assert_eq!(r.status(), 409);
                    refused += 1;
                }
                let r = http
                    .post(format!("{base}/webhooks/{round:032x}"))
                    .json(&WebhookBody {
                        id: 1,
                        status: CallStatus::Completed,
                    })
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 404);
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            refused
        })
    };
    let done = h.wait_finished().await;
    assert!(forger.await.unwrap() > 0);
    assert_eq!(done.count(Status::Completed), 9);
    for (call, dial) in done.calls.iter().zip(&h.sim.dials()) {
        assert_eq!(call.id, dial.id.map(Into::into));
    }
    let after = h.statuses().await;
    assert_eq!(
        after.version, done.version,
        "refused webhooks change nothing"
    );
}

//! What the statuses answer carries for a screen's header, over real HTTP:
//! calls still in flight from before a restart and when they time out,
//! a dialer API that does not answer the server's probe, and whether the
//! server dials through a real provider.

use crate::helpers::*;
use numdialer_server::provider::simulator::SimConfig;
use std::time::Duration;

/// Calls in flight when the server stops are, after it starts again on
/// the same directory, said to be from before the restart, with when the
/// last of them times out; calls this run dialed are not.
#[tokio::test]
async fn calls_in_flight_across_a_restart_say_when_they_time_out() {
    // A simulator that never sends a webhook: the calls stay in flight.
    let silent = SimConfig {
        drop_rate: 1.0,
        ..fast_sim()
    };
    let timeout = Duration::from_secs(120);
    let h = Harness::start(silent, |c| c.dialing.call_timeout = timeout).await;
    assert_eq!(h.start_calls().await, 202);
    let before = wait_for("three calls in flight", DEADLINE, || async {
        let s = h.statuses().await;
        (s.active == 3).then_some(s)
    })
    .await;
    assert_eq!(before.before_restart, None, "dialed by this run");
    let (sim, dir) = h.stop_keeping().await;
    let h = Harness::reopen(sim, dir, |c| c.dialing.call_timeout = timeout).await;
    let after = h.statuses().await;
    assert_eq!(after.active, 3, "their lines are held");
    let b = after
        .before_restart
        .expect("the calls from before the restart");
    assert_eq!(b.calls, 3);
    let left = b.times_out_by.since(after.now);
    assert!(
        left > 0 && left <= timeout.as_millis() as u64,
        "times out within the call timeout: {left} ms"
    );
    let raw: serde_json::Value = h
        .http
        .get(h.url("/statuses"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(raw["before_restart"]["calls"], 3, "{raw}");
    assert!(raw["before_restart"]["times_out_by"].is_string(), "{raw}");
    h.stop().await;
}

/// A `--dialer-url` where nothing listens is named in the statuses before
/// anyone presses Call; a simulator that answers is not, and through the
/// embedded simulator the field is absent from the JSON.
#[tokio::test]
async fn an_unreachable_dialer_api_is_in_the_statuses_before_any_call() {
    let nowhere = format!("http://127.0.0.1:{}/call", free_port());
    let h = Harness::start(fast_sim(), |c| c.provider.dialer_url = Some(nowhere)).await;
    let why = wait_for("the probe's answer", DEADLINE, || async {
        h.statuses().await.dialer_unreachable
    })
    .await;
    assert!(!why.is_empty());
    let s = h.statuses().await;
    assert!(!s.started && s.real_provider, "{s:?}");
    // A poll that knows the version gets no 304 while the API is down,
    // but the answer naming it.
    let polled = conditional_poll(&h, s.version).await;
    assert_eq!(polled.status(), 200);
    let delta: numdialer_core::api::StatusesResponse = polled.json().await.unwrap();
    assert_eq!(delta.since, Some(s.version));
    assert_eq!(delta.dialer_unreachable.as_deref(), Some(why.as_str()));
    h.stop().await;

    let h = Harness::start(fast_sim(), |_| {}).await;
    // The probe has answered once `/readyz` says so.
    wait_for("the probe to reach the simulator", DEADLINE, || async {
        let r = h.http.get(h.url("/readyz")).send().await.ok()?;
        (r.status() == 200).then_some(())
    })
    .await;
    let s = h.statuses().await;
    assert_eq!(s.dialer_unreachable, None);
    assert_eq!(conditional_poll(&h, s.version).await.status(), 304);
    h.stop().await;
}

/// `GET /statuses?since=V&wait=0.2` with `If-None-Match: "V"`, as the TUI
/// polls.
async fn conditional_poll(h: &Harness, version: u64) -> reqwest::Response {
    h.http
        .get(h.url(&format!("/statuses?since={version}&wait=0.2")))
        .header("if-none-match", format!("\"{version}\""))
        .send()
        .await
        .unwrap()
}

/// `real_provider` is true through a dialer API and absent (false) with
/// the embedded simulator, so that a remote screen knows which
/// "calling hours off" to warn of.
#[tokio::test]
async fn the_statuses_say_whether_the_provider_is_real() {
    let h = Harness::start(fast_sim(), |_| {}).await;
    assert!(h.statuses().await.real_provider, "a --dialer-url is real");
    // Its window off while a real provider dials: the summary says so.
    assert!(at_any_hour(&h).await, "hours off through a --dialer-url");
    h.stop().await;

    let h = Harness::start(fast_sim(), |c| c.provider.dialer_url = None).await;
    let raw: serde_json::Value = h
        .http
        .get(h.url("/statuses"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for absent in ["real_provider", "dialer_unreachable", "before_restart"] {
        assert!(raw.get(absent).is_none(), "{absent}: {raw}");
    }
    assert!(!h.statuses().await.real_provider);
    assert!(!at_any_hour(&h).await, "hours off on the simulator");
    h.stop().await;
}

/// Whether campaign 1's summary says it dials at any hour.
async fn at_any_hour(h: &Harness) -> bool {
    let list = h.campaigns().await;
    let first = &list.campaigns[0];
    assert!(first.calling.hours.is_off(), "{first:?}");
    first.calling.at_any_hour
}

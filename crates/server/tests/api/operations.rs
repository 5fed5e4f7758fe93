//! What an operator relies on: Prometheus metrics, JSON logs, readiness,
//! and a clean SIGTERM that a restart resumes from.

use crate::helpers::*;
use numdialer_core::{CampaignState, Status};
use numdialer_server::provider::simulator::SimConfig;
use prometheus_parse::{Scrape, Value};
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

fn scrape(text: &str) -> Scrape {
    Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).expect("valid Prometheus text")
}

fn value(s: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    let sample = s
        .samples
        .iter()
        .find(|x| x.metric == name && labels.iter().all(|(k, v)| x.labels.get(k) == Some(*v)))
        .unwrap_or_else(|| panic!("no {name} {labels:?}"));
    match &sample.value {
        Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
        Value::Histogram(h) => h.iter().map(|b| b.count).fold(0.0, f64::max),
        Value::Summary(_) => panic!("no summaries here"),
    }
}

#[tokio::test]
async fn metrics_parse_and_move_during_a_dial_down() {
    let h = Harness::start(fast_sim(), |_| {}).await;
    let before = scrape(&h.metrics().await);
    assert_eq!(
        value(&before, "numdialer_entries", &[("status", "idle")]),
        9.0
    );
    assert_eq!(
        value(&before, "numdialer_dials_total", &[("outcome", "placed")]),
        0.0
    );

    h.start_calls().await;
    h.wait_finished().await;
    let text = h.metrics().await;
    let after = scrape(&text);
    assert_eq!(
        value(&after, "numdialer_dials_total", &[("outcome", "placed")]),
        9.0
    );
    assert_eq!(
        value(&after, "numdialer_entries", &[("status", "completed")]),
        9.0
    );
    assert_eq!(value(&after, "numdialer_calls_in_flight", &[]), 0.0);
    let applied = value(
        &after,
        "numdialer_webhooks_total",
        &[("status", "completed"), ("outcome", "applied")],
    );
    assert_eq!(applied, 9.0);
    // 18582210308's ringing, which comes after its completed.
    let late = value(
        &after,
        "numdialer_webhooks_total",
        &[("status", "ringing"), ("outcome", "after_final")],
    );
    assert_eq!(late, 1.0);
    assert!(value(&after, "numdialer_webhook_seconds", &[]) >= 9.0 * 2.0);
    assert!(value(&after, "numdialer_store_flush_seconds", &[]) >= 1.0);
    assert!(text.contains("# TYPE numdialer_dials_total counter"));
}

#[tokio::test]
async fn metrics_follow_the_api_token_or_move_to_their_own_listener() {
    let h = Harness::start(fast_sim(), |c| c.http.api_token = Some("t".into())).await;
    let r = h.http.get(h.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = h
        .http
        .get(h.url("/metrics"))
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let port = free_port();
    let h = Harness::start(fast_sim(), |c| {
        c.http.api_token = Some("t".into());
        c.http.metrics_listen = Some(SocketAddr::from(([127, 0, 0, 1], port)));
    })
    .await;
    let r = h
        .http
        .get(h.url("/metrics"))
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404, "not beside the API any more");
    let text = get_metrics(&h, &format!("http://127.0.0.1:{port}")).await;
    scrape(&text);
}

/// Every series `GET /metrics` exposes, with its type, as the text format
/// declares it: what dashboards and alerts are written against, so it must
/// not move when the rendering does.
fn series(s: &Scrape) -> BTreeSet<String> {
    s.samples
        .iter()
        .map(|x| {
            let kind = match &x.value {
                Value::Counter(_) => "counter",
                Value::Gauge(_) => "gauge",
                Value::Histogram(_) => "histogram",
                Value::Summary(_) => "summary",
                Value::Untyped(_) => "untyped",
            };
            format!("{}{{{}}} {kind}", x.metric, x.labels)
        })
        .collect()
}

#[tokio::test]
async fn metrics_expose_the_same_families_labels_and_buckets() {
    let h = Harness::start(fast_sim(), |_| {}).await;
    let s = scrape(&h.metrics().await);

    let mut want = BTreeSet::new();
    for outcome in ["placed", "refused", "unreachable", "unanswered"] {
        want.insert(format!(
            "numdialer_dials_total{{outcome=\"{outcome}\"}} counter"
        ));
    }
    for status in ["ringing", "answered", "completed"] {
        for outcome in [
            "applied",
            "duplicate",
            "backwards",
            "after_final",
            "refused",
        ] {
            want.insert(format!(
                "numdialer_webhooks_total{{outcome=\"{outcome}\",status=\"{status}\"}} counter"
            ));
        }
    }
    for status in Status::ALL {
        want.insert(format!("numdialer_entries{{status=\"{status}\"}} gauge"));
    }
    for state in CampaignState::ALL {
        want.insert(format!("numdialer_campaigns{{state=\"{state}\"}} gauge"));
    }
    want.insert("numdialer_deferred_total{rule=\"calling_hours\"} counter".to_string());
    for by in ["human", "machine", "fax", "unknown"] {
        want.insert(format!(
            "numdialer_answers_total{{answered_by=\"{by}\"}} counter"
        ));
    }
    for when in ["import", "dial"] {
        want.insert(format!(
            "numdialer_suppressed_total{{when=\"{when}\"}} counter"
        ));
    }
    for plain in [
        "numdialer_retries_total{} counter",
        "numdialer_dial_retries_total{} counter",
        "numdialer_call_timeouts_total{} counter",
        "numdialer_calls_in_flight{} gauge",
        "numdialer_store_skipped_records{} gauge",
        "numdialer_suppressions{} gauge",
        "numdialer_import_memory_reserved_bytes{} gauge",
    ] {
        want.insert(plain.to_string());
    }
    for histogram in [
        "numdialer_webhook_seconds",
        "numdialer_store_flush_seconds",
        "numdialer_detection_seconds",
    ] {
        want.insert(format!("{histogram}{{}} histogram"));
        want.insert(format!("{histogram}_sum{{}} untyped"));
        want.insert(format!("{histogram}_count{{}} untyped"));
    }
    assert_eq!(series(&s), want);

    let documented: BTreeSet<&str> = s.docs.keys().map(String::as_str).collect();
    let families = BTreeSet::from([
        "numdialer_dials_total",
        "numdialer_dial_retries_total",
        "numdialer_webhooks_total",
        "numdialer_call_timeouts_total",
        "numdialer_calls_in_flight",
        "numdialer_store_skipped_records",
        "numdialer_entries",
        "numdialer_retries_total",
        "numdialer_deferred_total",
        "numdialer_suppressed_total",
        "numdialer_suppressions",
        "numdialer_import_memory_reserved_bytes",
        "numdialer_campaigns",
        "numdialer_webhook_seconds",
        "numdialer_store_flush_seconds",
        "numdialer_answers_total",
        "numdialer_detection_seconds",
    ]);
    assert_eq!(documented, families, "one HELP line per family");

    let bounds = [
        0.000_05,
        0.000_1,
        0.000_25,
        0.000_5,
        0.001,
        0.002_5,
        0.005,
        0.01,
        0.025,
        0.05,
        0.1,
        0.25,
        1.0,
        2.5,
        f64::INFINITY,
    ];
    for histogram in ["numdialer_webhook_seconds", "numdialer_store_flush_seconds"] {
        let sample = s.samples.iter().find(|x| x.metric == histogram).unwrap();
        let Value::Histogram(buckets) = &sample.value else {
            panic!("{histogram} is not a histogram");
        };
        let got: Vec<f64> = buckets.iter().map(|b| b.less_than).collect();
        assert_eq!(got, bounds, "{histogram}");
    }
    let sample = s
        .samples
        .iter()
        .find(|x| x.metric == "numdialer_detection_seconds")
        .unwrap();
    let Value::Histogram(buckets) = &sample.value else {
        panic!("numdialer_detection_seconds is not a histogram");
    };
    let got: Vec<f64> = buckets.iter().map(|b| b.less_than).collect();
    assert_eq!(
        got,
        [
            1.0,
            2.0,
            3.0,
            4.0,
            5.0,
            7.5,
            10.0,
            20.0,
            30.0,
            f64::INFINITY
        ],
        "detection takes seconds"
    );
}

#[tokio::test]
async fn readiness_says_whether_the_dialer_api_answers() {
    let h = Harness::start(fast_sim(), |_| {}).await;
    let ready = wait_for("readiness", DEADLINE, || async {
        let r = h.http.get(h.url("/readyz")).send().await.unwrap();
        (r.status() == 200).then_some(())
    })
    .await;
    let _: () = ready;
    let port = free_port();
    let down = Harness::start(fast_sim(), |c| {
        c.provider.dialer_url = Some(format!("http://127.0.0.1:{port}"))
    })
    .await;
    let body: serde_json::Value = wait_for("a failed probe", DEADLINE, || async {
        let r = down.http.get(down.url("/readyz")).send().await.unwrap();
        assert_eq!(r.status(), 503);
        let v: serde_json::Value = r.json().await.unwrap();
        v["dialer_api"]
            .as_str()
            .unwrap()
            .starts_with("no answer")
            .then_some(v)
    })
    .await;
    assert_eq!(body["ready"], false);
    assert_eq!(body["store"], "ok");
    // Liveness is not readiness.
    assert_eq!(
        down.http
            .get(down.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

fn sigterm(p: &ServerProcess) {
    let ok = std::process::Command::new("kill")
        .args(["-TERM", &p.pid().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

/// Waits for the child to exit; the bound is the operator's promise.
fn exit_within(p: &mut ServerProcess, limit: Duration) -> std::process::ExitStatus {
    let until = Instant::now() + limit;
    loop {
        if let Some(status) = p.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < until, "did not exit within {limit:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_mid_dial_down_exits_cleanly_and_json_logs_are_json() {
    let sim = start_sim(SimConfig {
        time_scale: 0.05,
        ..fast_sim()
    })
    .await;
    let mut node = Node::start(&sim, None, &["--call-timeout", "2", "--log-format", "json"]).await;
    assert_eq!(node.start_calls().await, 202);
    let http = node.http.clone();
    wait_for("a few dials", DEADLINE, || async {
        (sim.dials().len() >= 4).then_some(())
    })
    .await;

    sigterm(&node.server);
    let status = exit_within(&mut node.server, Duration::from_secs(5));
    assert!(status.success(), "{status:?}");

    node.restart().await;
    let done = wait_finished(&http, node.server.base()).await;
    assert!(done.calls.iter().all(|c| c.status.is_final()));
    let dials = sim.dials();
    let phones: Vec<&str> = dials.iter().map(|d| d.phone.as_str()).collect();
    assert_eq!(
        phones,
        numdialer_core::DEFAULT_NUMBERS,
        "resumed, nothing dialed twice"
    );
    assert!(done.count(Status::Completed) >= 5);
    sigterm(&node.server);
    assert!(exit_within(&mut node.server, Duration::from_secs(5)).success());

    let text = std::fs::read_to_string(&node.log).unwrap();
    let mut kinds = std::collections::HashSet::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        let msg = v["fields"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if msg == "request" {
            assert!(
                v["fields"]["route"].is_string() && v["fields"]["status"].is_u64(),
                "{line}"
            );
        }
        if msg == "webhook" {
            assert!(
                v["fields"]["index"].is_u64() && v["fields"]["call_id"].is_u64(),
                "{line}"
            );
        }
        if msg == "dial placed" {
            assert!(
                v["fields"]["index"].is_u64() && v["fields"]["call_id"].is_u64(),
                "{line}"
            );
        }
        kinds.insert(msg);
    }
    for k in ["request", "webhook", "dial placed", "stopped"] {
        assert!(kinds.contains(k), "no {k:?} line in {kinds:?}");
    }
}

#[tokio::test]
async fn the_suppressions_gauge_counts_singles_and_bulk_numbers_less_removals() {
    let h = Harness::start(fast_sim(), |_| {}).await;
    let held = |text: String| value(&scrape(&text), "numdialer_suppressions", &[]);
    assert_eq!(held(h.metrics().await), 0.0);
    let r = h
        .http
        .post(h.url("/suppressions"))
        .json(&serde_json::json!({"phone": "+1301805*", "reason": "asked"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let numbers: Vec<String> = (0..1_500).map(|i| format!("+1301804{i:04}")).collect();
    let r = h
        .http
        .post(h.url("/suppressions?source=import"))
        .header("content-type", "text/plain")
        .body(numbers.join("\n"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = h
        .http
        .delete(h.url("/suppressions/+13018040007?reason=asked%20by%20mistake"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(held(h.metrics().await), 1_500.0);
}

//! Outbound events: a receiver on loopback takes every delivery, checks
//! its signature and counts ids, while a real server dials a campaign;
//! retries follow the schedule on a sped-up clock; 410 disables.

use crate::helpers::*;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use numdialer_core::api::{WebhookDeliveriesResponse, WebhookEndpoint, WebhookEndpointsResponse};
use numdialer_core::webhooks::WebhookSecret;
use numdialer_server::ServerConfig;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request the receiver took.
#[derive(Debug, Clone)]
struct Got {
    id: String,
    timestamp: u64,
    signature: String,
    body: String,
    at: Instant,
}

/// How the receiver answers.
#[derive(Debug, Clone, Copy)]
enum Mode {
    Ok,
    Status(u16),
    RetryAfter(u16, u64),
}

#[derive(Clone)]
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Got>>>,
    mode: Arc<Mutex<Mode>>,
    /// Closed: every request waits until it opens (a consumer that
    /// hangs), then is answered as `mode` says.
    gate: tokio::sync::watch::Sender<bool>,
}

async fn take(State(r): State<Receiver>, headers: HeaderMap, body: String) -> Response {
    let _ = r.gate.subscribe().wait_for(|open| *open).await;
    let h = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    r.got.lock().unwrap().push(Got {
        id: h("webhook-id"),
        timestamp: h("webhook-timestamp").parse().unwrap_or(0),
        signature: h("webhook-signature"),
        body,
        at: Instant::now(),
    });
    let mode = *r.mode.lock().unwrap();
    match mode {
        Mode::Ok => StatusCode::NO_CONTENT.into_response(),
        Mode::Status(s) => StatusCode::from_u16(s).unwrap().into_response(),
        Mode::RetryAfter(s, secs) => (
            StatusCode::from_u16(s).unwrap(),
            [("retry-after", secs.to_string())],
        )
            .into_response(),
    }
}

impl Receiver {
    async fn start(mode: Mode) -> Receiver {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let r = Receiver {
            url: format!("http://{}/hook", l.local_addr().unwrap()),
            got: Default::default(),
            mode: Arc::new(Mutex::new(mode)),
            gate: tokio::sync::watch::Sender::new(true),
        };
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(take))
            .with_state(r.clone());
        tokio::spawn(async move { axum::serve(l, app).await });
        r
    }

    fn got(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }

    fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    /// Waits until `n` requests came.
    async fn wait(&self, what: &str, n: usize) -> Vec<Got> {
        wait_for(what, DEADLINE, || async {
            let got = self.got();
            (got.len() >= n).then_some(got)
        })
        .await
    }
}

fn allow_private(c: &mut ServerConfig) {
    c.webhooks.allow_private = true;
}

async fn register(h: &Harness, url: &str, events: &[&str]) -> WebhookEndpoint {
    let r = h
        .http
        .post(h.url("/webhook-endpoints"))
        .json(&serde_json::json!({"url": url, "events": events, "description": "test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    r.json().await.unwrap()
}

async fn deliveries(h: &Harness, endpoint: u64, failed: bool) -> WebhookDeliveriesResponse {
    let r = h
        .http
        .get(h.url(&format!(
            "/webhook-endpoints/{endpoint}/deliveries?failed={failed}"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

fn verify(secret: &WebhookSecret, g: &Got) {
    assert!(
        secret.verify(&g.id, g.timestamp, g.body.as_bytes(), &g.signature),
        "bad signature on {g:?}"
    );
}

/// The specification's own Python library (`standardwebhooks`, pinned
/// and installed by .ci/run), which CI names in this variable.
const PYTHON_VAR: &str = "NUMDIALER_STANDARDWEBHOOKS_PYTHON";

const VERIFY_PY: &str = r#"
import json, sys
from standardwebhooks.webhooks import Webhook
hook = Webhook(sys.argv[1])
n = 0
for line in open(sys.argv[2]):
    m = json.loads(line)
    hook.verify(m["body"], {"webhook-id": m["id"], "webhook-timestamp": str(m["timestamp"]),
                            "webhook-signature": m["signature"]})
    n += 1
print(n)
"#;

/// Verifies every request with an implementation that shares no code
/// with numdialer's. Without the library it is skipped, except under
/// `CI=true`, where its absence fails the test.
fn verify_independently(secret: &WebhookSecret, got: &[Got]) {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let Some(python) = std::env::var_os(PYTHON_VAR) else {
        assert!(
            !ci,
            "{PYTHON_VAR} is not set: .ci/run installs standardwebhooks and sets it"
        );
        eprintln!("{PYTHON_VAR} unset: the independent signature check is skipped");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("requests.jsonl");
    let lines: String = got
        .iter()
        .map(|g| {
            let m = serde_json::json!({"id": g.id, "timestamp": g.timestamp,
                "signature": g.signature, "body": g.body});
            format!("{m}\n")
        })
        .collect();
    std::fs::write(&file, lines).unwrap();
    let out = std::process::Command::new(python)
        .args(["-c", VERIFY_PY, &secret.expose()])
        .arg(&file)
        .output()
        .expect("the Python of NUMDIALER_STANDARDWEBHOOKS_PYTHON runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "standardwebhooks refused: {stderr}");
    let n: usize = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    assert_eq!(n, got.len());
}

fn json(g: &Got) -> serde_json::Value {
    serde_json::from_str(&g.body).unwrap()
}

#[tokio::test]
async fn webhook_events_of_a_campaign_all_arrive_signed() {
    let h = Harness::start(fast_sim(), allow_private).await;
    let rx = Receiver::start(Mode::Ok).await;
    let all = [
        "campaign.started",
        "campaign.paused",
        "campaign.resumed",
        "campaign.stopped",
        "campaign.done",
        "call.completed",
    ];
    let ep = register(&h, &rx.url, &all).await;
    let secret = WebhookSecret::parse(ep.secret.as_deref().unwrap()).unwrap();
    assert_eq!(h.start_calls().await, 202);
    let finished = h.wait_finished().await;
    let n = finished.calls.len();
    // started, a completion per entry, done.
    let got = rx.wait("every event", n + 2).await;
    let mut bodies: HashMap<String, String> = HashMap::new();
    let mut sequences = Vec::new();
    let mut completed = std::collections::BTreeSet::new();
    for g in &got {
        verify(&secret, g);
        let prior = bodies.insert(g.id.clone(), g.body.clone());
        assert!(
            prior.is_none_or(|b| b == g.body),
            "{} came with two bodies",
            g.id
        );
        let v = json(g);
        sequences.push(v["sequence"].as_u64().unwrap());
        if v["type"] == "call.completed" {
            assert_eq!(v["data"]["campaign"], 1);
            assert!(v["data"]["phone"].is_string() && v["data"]["outcome"].is_string());
            completed.insert(v["data"]["index"].as_u64().unwrap());
        }
    }
    let types: Vec<String> = got
        .iter()
        .map(|g| json(g)["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(completed.len(), n, "{types:?}");
    verify_independently(&secret, &got);
    assert!(types.contains(&"campaign.started".into()), "{types:?}");
    assert!(types.contains(&"campaign.done".into()), "{types:?}");
    sequences.sort();
    sequences.dedup();
    assert_eq!(sequences, (1..=(n as u64 + 2)).collect::<Vec<_>>());
    // Delivered deliveries leave the outbox.
    wait_for("an empty outbox", DEADLINE, || async {
        deliveries(&h, ep.id, false)
            .await
            .deliveries
            .is_empty()
            .then_some(())
    })
    .await;
    let metrics = h.metrics().await;
    let e = ep.id;
    for line in [
        format!(
            "numdialer_events_delivered_total{{endpoint=\"{e}\"}} {}",
            n + 2
        ),
        format!("numdialer_events_failed_total{{endpoint=\"{e}\"}} 0"),
        format!("numdialer_events_pending{{endpoint=\"{e}\"}} 0"),
        format!("numdialer_events_oldest_pending_seconds{{endpoint=\"{e}\"}} 0.0"),
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "no {line} in\n{metrics}"
        );
    }
    h.stop().await;
}

/// An imported campaign's `call.completed` carries the entry's name and
/// extra columns, which a server with a data directory reads from the
/// campaign's own file.
#[tokio::test]
async fn webhook_call_completed_carries_the_name_and_import_columns() {
    let h = Harness::start(fast_sim(), allow_private).await;
    let rx = Receiver::start(Mode::Ok).await;
    register(&h, &rx.url, &["call.completed"]).await;
    let csv: String = std::iter::once("phone,name,team,note\n".to_string())
        .chain(
            (0..4)
                .map(|i| format!("1301804{i:04},person {i},team {i},\"a, \"\"quoted\"\" {i}\"\n")),
        )
        .collect();
    let r = h
        .http
        .post(h.url("/campaigns?start=true"))
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let id = r.json::<serde_json::Value>().await.unwrap()["id"].clone();
    assert!(h.data_dir().join("fields").join(id.to_string()).is_file());
    let got = rx.wait("a completion per entry", 4).await;
    let mut fields: Vec<(u64, serde_json::Value, serde_json::Value)> = got
        .iter()
        .map(json)
        .map(|v| {
            let d = &v["data"];
            (
                d["index"].as_u64().unwrap(),
                d["name"].clone(),
                d["fields"].clone(),
            )
        })
        .collect();
    fields.sort_by_key(|(i, _, _)| *i);
    for (i, name, f) in fields {
        assert_eq!(name, format!("person {i}"));
        assert_eq!(
            f,
            serde_json::json!({"team": format!("team {i}"), "note": format!("a, \"quoted\" {i}")})
        );
    }
    h.stop().await;
}

/// Every wait of the schedule, at 1/10,000 of its length: 0.5 ms, 30 ms,
/// 180 ms, 0.72 s, 1.8 s, 3.6 s, 3.6 s.
#[tokio::test]
async fn webhook_retries_follow_the_schedule_then_replay() {
    let scale = 0.0001;
    let h = Harness::start(fast_sim(), |c| {
        allow_private(c);
        c.webhooks.time_scale = scale;
    })
    .await;
    let rx = Receiver::start(Mode::Status(500)).await;
    let ep = register(&h, &rx.url, &["campaign.started"]).await;
    assert_eq!(h.start_calls().await, 202);
    let got = rx.wait("eight tries", 8).await;
    let id = &got[0].id;
    assert!(got.iter().all(|g| &g.id == id && g.body == got[0].body));
    let schedule = [5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0];
    for (pair, wait) in got.windows(2).zip(schedule) {
        let gap = pair[1].at.duration_since(pair[0].at).as_secs_f64();
        assert!(
            gap >= wait * scale * 0.9,
            "{gap} s before a retry due after {wait} s"
        );
    }
    let failed = wait_for("the delivery kept as failed", DEADLINE, || async {
        let d = deliveries(&h, ep.id, true).await.deliveries;
        (d.len() == 1).then_some(d)
    })
    .await;
    assert_eq!(failed[0].tries, 8);
    let metrics = h.metrics().await;
    let line = format!("numdialer_events_failed_total{{endpoint=\"{}\"}} 1", ep.id);
    assert!(
        metrics.lines().any(|l| l == line),
        "no {line} in\n{metrics}"
    );
    assert_eq!(&failed[0].webhook_id, id);
    assert_eq!(
        failed[0].last_error.as_deref(),
        Some("HTTP 500 Internal Server Error")
    );
    // No ninth try on its own.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(rx.got().len(), 8);

    rx.set(Mode::Ok);
    let url = h.url(&format!(
        "/webhook-endpoints/{}/deliveries/{}/replay",
        ep.id, failed[0].id
    ));
    let r = h.http.post(&url).send().await.unwrap();
    assert_eq!(r.status(), 202);
    let got = rx.wait("the replay", 9).await;
    assert_eq!(&got[8].id, id);
    assert_eq!(got[8].body, got[0].body);
    wait_for("the replayed delivery to leave", DEADLINE, || async {
        deliveries(&h, ep.id, false)
            .await
            .deliveries
            .is_empty()
            .then_some(())
    })
    .await;
    let r = h.http.post(&url).send().await.unwrap();
    assert_eq!(r.status(), 404);
    h.stop().await;
}

#[tokio::test]
async fn webhook_retry_after_is_honoured() {
    let scale = 0.0001;
    let h = Harness::start(fast_sim(), |c| {
        allow_private(c);
        c.webhooks.time_scale = scale;
    })
    .await;
    // 20,000 s at this scale: 2 s, where the schedule says 0.5 ms.
    let rx = Receiver::start(Mode::RetryAfter(503, 20_000)).await;
    register(&h, &rx.url, &["campaign.started"]).await;
    h.start_calls().await;
    let got = rx.wait("a retry", 2).await;
    let gap = got[1].at.duration_since(got[0].at);
    assert!(gap >= Duration::from_millis(1800), "{gap:?}");
    h.stop().await;
}

#[tokio::test]
async fn webhook_410_disables_the_endpoint() {
    let h = Harness::start(fast_sim(), allow_private).await;
    let rx = Receiver::start(Mode::Status(410)).await;
    let ep = register(&h, &rx.url, &["campaign.started", "call.completed"]).await;
    h.start_calls().await;
    h.wait_finished().await;
    let listed = wait_for("the endpoint disabled", DEADLINE, || async {
        let r = h.http.get(h.url("/webhook-endpoints")).send().await.ok()?;
        let list: WebhookEndpointsResponse = r.json().await.ok()?;
        list.endpoints.into_iter().find(|e| e.disabled.is_some())
    })
    .await;
    assert_eq!(listed.id, ep.id);
    assert!(listed.secret.is_none(), "a list never shows the secret");
    // Nothing more goes there: what was queued is kept as failed.
    wait_for("no pending delivery", DEADLINE, || async {
        let d = deliveries(&h, ep.id, false).await.deliveries;
        d.iter().all(|d| d.state == "failed").then_some(())
    })
    .await;
    let tried = rx.got().len();
    assert!(tried <= 4, "{tried} tries after a 410");
    let failing = h.statuses().await.events_failing.unwrap_or_default();
    assert!(
        failing.starts_with(&format!("webhook endpoint {} disabled", ep.id)),
        "{failing}"
    );
    h.stop().await;
}

#[tokio::test]
async fn webhook_rotation_signs_with_both_secrets() {
    let h = Harness::start(fast_sim(), allow_private).await;
    let rx = Receiver::start(Mode::Ok).await;
    let ep = register(&h, &rx.url, &["campaign.started", "campaign.paused"]).await;
    let old = WebhookSecret::parse(ep.secret.as_deref().unwrap()).unwrap();
    let r = h
        .http
        .post(h.url(&format!("/webhook-endpoints/{}/rotate", ep.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let rotated: WebhookEndpoint = r.json().await.unwrap();
    let new = WebhookSecret::parse(rotated.secret.as_deref().unwrap()).unwrap();
    assert_ne!(new, old);
    assert!(rotated.previous_secret_until.is_some());
    h.start_calls().await;
    let got = rx.wait("the start", 1).await;
    verify(&old, &got[0]);
    verify(&new, &got[0]);
    assert_eq!(got[0].signature.split(' ').count(), 2);
    verify_independently(&old, &got);
    verify_independently(&new, &got);
    h.stop().await;
}

#[tokio::test]
async fn webhook_endpoint_registrations_are_checked() {
    let h = Harness::start(fast_sim(), |c| c.http.api_token = Some("t".into())).await;
    let post = |body: serde_json::Value| {
        h.http
            .post(h.url("/webhook-endpoints"))
            .bearer_auth("t")
            .json(&body)
            .send()
    };
    for (body, field) in [
        (
            serde_json::json!({"url": "ftp://example.com/", "events": ["call.completed"]}),
            "url",
        ),
        (
            serde_json::json!({"url": "http://127.0.0.1:9/", "events": ["call.completed"]}),
            "url",
        ),
        (
            serde_json::json!({"url": "https://example.com/", "events": ["call.begun"]}),
            "events",
        ),
        (
            serde_json::json!({"url": "https://example.com/", "events": ["call.completed"],
                "secret": "whsec_c2hvcnQ="}),
            "secret",
        ),
    ] {
        let r = post(body.clone()).await.unwrap();
        assert_eq!(r.status(), 422, "{body}");
        let e: serde_json::Value = r.json().await.unwrap();
        let text = e["error"].as_str().unwrap();
        assert!(text.starts_with(field), "{body}: {text}");
    }
    let r = h
        .http
        .get(h.url("/webhook-endpoints"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = h
        .http
        .get(h.url("/webhook-endpoints"))
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    let list: WebhookEndpointsResponse = r.json().await.unwrap();
    assert!(list.endpoints.is_empty(), "nothing stored: {list:?}");
    let r = post(serde_json::json!({"url": "https://example.com/hook",
        "events": ["call.completed"], "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}))
    .await
    .unwrap();
    assert_eq!(r.status(), 201);
    let ep: WebhookEndpoint = r.json().await.unwrap();
    assert_eq!(
        ep.secret.as_deref(),
        Some("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    );
    let r = h
        .http
        .delete(h.url(&format!("/webhook-endpoints/{}", ep.id)))
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = h
        .http
        .delete(h.url(&format!("/webhook-endpoints/{}", ep.id)))
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    h.stop().await;
}

/// kill -9 at random moments of a dial-down, the receiver up throughout:
/// every final entry's last attempt, the start and the end arrive, and no
/// id ever carries two bodies, however many times it was sent.
#[tokio::test]
async fn webhook_events_of_acknowledged_changes_survive_kill_9() {
    use numdialer_server::provider::simulator::SimConfig;
    use rand::{Rng, SeedableRng};
    let sim = start_sim(SimConfig {
        time_scale: 0.02,
        seed: Some(29),
        ..SimConfig::default()
    })
    .await;
    let rx = Receiver::start(Mode::Ok).await;
    let list: Vec<String> = (0..40).map(|i| format!("1301804{i:04}")).collect();
    let args = [
        "--webhooks-allow-private",
        "--concurrency",
        "5",
        "--call-timeout",
        "2",
    ];
    let mut node = Node::start(&sim, Some(&list), &args).await;
    let base = node.server.base().to_string();
    let r = node
        .http
        .post(format!("{base}/webhook-endpoints"))
        .json(&serde_json::json!({"url": rx.url,
            "events": ["campaign.started", "campaign.done", "call.completed"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let ep: WebhookEndpoint = r.json().await.unwrap();
    let secret = WebhookSecret::parse(ep.secret.as_deref().unwrap()).unwrap();
    assert_eq!(node.start_calls().await, 202);
    let mut rng = rand::rngs::StdRng::seed_from_u64(29);
    for _ in 0..4 {
        let at = sim.dials().len() + rng.random_range(3..=10);
        wait_for("more dials", DEADLINE, || async {
            (sim.dials().len() >= at || sim.dials().len() >= list.len()).then_some(())
        })
        .await;
        node.server.kill9().unwrap();
        node.restart().await;
        node.http = client();
    }
    let finished = wait_finished(&node.http, node.server.base()).await;
    let want: std::collections::BTreeSet<(u64, u64)> = finished
        .calls
        .iter()
        .filter(|c| c.attempt > 0)
        .map(|c| (c.index as u64, c.attempt as u64))
        .collect();
    assert!(!want.is_empty());
    let got = wait_for("every final attempt's event", DEADLINE, || async {
        let got = rx.got();
        let completed: std::collections::BTreeSet<(u64, u64)> = got
            .iter()
            .map(json)
            .filter(|v| v["type"] == "call.completed")
            .map(|v| {
                (
                    v["data"]["index"].as_u64().unwrap(),
                    v["data"]["attempt"].as_u64().unwrap(),
                )
            })
            .collect();
        let types: Vec<serde_json::Value> = got.iter().map(|g| json(g)["type"].clone()).collect();
        (want.is_subset(&completed)
            && types.contains(&"campaign.started".into())
            && types.contains(&"campaign.done".into()))
        .then_some(got)
    })
    .await;
    let mut bodies: HashMap<&str, &str> = HashMap::new();
    for g in &got {
        verify(&secret, g);
        let prior = bodies.insert(&g.id, &g.body);
        assert!(
            prior.is_none_or(|b| b == g.body),
            "{} with two bodies",
            g.id
        );
    }
    verify_independently(&secret, &got);
    node.server.kill9().unwrap();
}

#[tokio::test]
async fn webhook_suppression_events_say_what_was_added_and_removed() {
    let h = Harness::start(fast_sim(), allow_private).await;
    let rx = Receiver::start(Mode::Ok).await;
    let ep = register(&h, &rx.url, &["suppression.created", "suppression.removed"]).await;
    let secret = WebhookSecret::parse(ep.secret.as_deref().unwrap()).unwrap();
    let r = h
        .http
        .post(h.url("/suppressions"))
        .json(&serde_json::json!({"phone": "+13018040009", "reason": "asked"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let r = h
        .http
        .delete(h.url("/suppressions/%2B13018040009?reason=by%20mistake"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let got = rx.wait("both events", 2).await;
    let mut seen: Vec<serde_json::Value> = got.iter().map(json).collect();
    seen.sort_by_key(|v| v["type"].as_str().unwrap().to_string());
    got.iter().for_each(|g| verify(&secret, g));
    assert_eq!(seen[0]["type"], "suppression.created");
    assert_eq!(seen[0]["data"]["reason"], "asked");
    assert!(seen[0].get("sequence").is_none());
    assert_eq!(seen[1]["type"], "suppression.removed");
    assert_eq!(seen[1]["data"]["removed_reason"], "by mistake");
    h.stop().await;
}

/// Delivery throughput to a fast receiver on loopback: a campaign's
/// events are held back by a consumer that hangs, then let go at once.
/// Prints events/s; run with `--ignored --nocapture` (a debug build
/// measures the debug server).
#[tokio::test]
#[ignore = "a measurement"]
async fn webhook_delivery_throughput() {
    const N: usize = 1000;
    let h = Harness::start(fast_sim(), |c| {
        allow_private(c);
        c.dialing.concurrency = 50;
    })
    .await;
    let rx = Receiver::start(Mode::Ok).await;
    rx.gate.send_replace(false);
    let ep = register(&h, &rx.url, &["call.completed"]).await;
    let numbers: String = (0..N).map(|i| format!("1301804{i:04}\n")).collect();
    let r = h
        .http
        .post(h.url("/campaigns?start=true"))
        .header("content-type", "text/plain")
        .body(numbers)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    wait_for("every event owed", Duration::from_secs(300), || async {
        let owed = deliveries(&h, ep.id, false).await.deliveries.len();
        (owed >= N).then_some(())
    })
    .await;
    let began = Instant::now();
    rx.gate.send_replace(true);
    let got = wait_for(
        "every event delivered",
        Duration::from_secs(300),
        || async {
            let got = rx.got();
            (got.len() >= N).then_some(got)
        },
    )
    .await;
    let took = got.iter().map(|g| g.at).max().unwrap() - began;
    println!(
        "{N} events delivered in {:.3} s: {:.0} events/s",
        took.as_secs_f64(),
        N as f64 / took.as_secs_f64()
    );
    h.stop().await;
}

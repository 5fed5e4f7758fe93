//! A stand-in for the third-party dialer API ("numDialer API"), faithful to
//! its documented behaviour, so that numdialer runs and is tested without it:
//! `POST /call` answers `{"id"}` or an HTTP 200 `{"error"}`, then each call's
//! statuses are POSTed to its webhook URL on their own random delays, and a
//! failed delivery is never retried.
//!
//! On top, for tests and the reliability suite: faults at given rates (lost,
//! duplicated and reordered webhooks, HTTP 500s, `{"error"}` answers, slow
//! answers, outages that refuse connections), deterministic faults for a
//! given dial (`plan`), and a log of the last dials and webhooks
//! (`GET /_sim/dials`, `GET /_sim/webhooks`). The log is a ring
//! ([`SimConfig::log_limit`]) because the embedded simulator runs inside
//! every TUI: a log of everything would grow with every call of a long
//! campaign, and nothing reads more than the last stretch of it.

pub mod twilio;

use crate::provider::numdialer::DialerHeader;
use crate::shutdown::{self, Shutdown, Trigger};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use numdialer_core::Status;
use numdialer_core::api::WebhookAck;
use numdialer_core::protocol::numdialer::{CallStatus, DialResponse, WebhookBody, is_valid_phone};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

/// The longest random delay before each webhook, before scaling.
const MAX_DELAY: Duration = Duration::from_secs(5);

/// A fault the simulator injects into one dial, by the dial's position in
/// the order it received them (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer HTTP 200 `{"error": "Expected a valid phone"}`.
    ErrorBody,
    /// Never deliver the final webhook.
    DropFinal,
    /// Deliver every webhook twice.
    Duplicate,
}

/// Periodic outages: every `every`, refuse connections for `length`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outage {
    pub every: Duration,
    pub length: Duration,
}

#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Multiplies every webhook delay: 0.01 runs a 5 s call in 50 ms.
    pub time_scale: f64,
    pub seed: Option<u64>,
    /// Holds each `POST /call` answer this long after the webhooks are
    /// scheduled, so that webhooks can overtake it.
    pub latency: Duration,
    /// Chance that a webhook is never sent.
    pub drop_rate: f64,
    /// Chance that a webhook is sent twice.
    pub duplicate_rate: f64,
    /// Each status on its own delay from the dial, so they arrive in any order.
    pub reorder: bool,
    /// Chance that `POST /call` answers HTTP 500 and places no call.
    pub error_rate: f64,
    /// Chance that `POST /call` answers HTTP 200 `{"error"}`.
    pub error_body_rate: f64,
    pub outage: Option<Outage>,
    pub plan: BTreeMap<usize, Fault>,
    /// Headers every `POST /call` must carry, or be answered 401 and
    /// place no call: an API behind authentication.
    pub required_headers: Vec<DialerHeader>,
    /// How many dials, and how many webhooks, the log keeps; older ones are
    /// dropped and counted. The default outlasts every test and benchmark
    /// run, so they see the whole history.
    pub log_limit: usize,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            time_scale: 1.0,
            seed: None,
            latency: Duration::ZERO,
            drop_rate: 0.0,
            duplicate_rate: 0.0,
            reorder: false,
            error_rate: 0.0,
            error_body_rate: 0.0,
            outage: None,
            plan: BTreeMap::new(),
            required_headers: Vec::new(),
            log_limit: 100_000,
        }
    }
}

/// One dial as the simulator saw it. Times are milliseconds since it started.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DialRecord {
    pub phone: String,
    pub webhook_url: String,
    /// The call id, if a call was placed.
    pub id: Option<u64>,
    pub received_ms: f64,
    /// When its final webhook was sent, or would have been if dropped.
    pub final_ms: Option<f64>,
    /// Calls placed and not yet final when this dial arrived.
    pub in_flight_before: usize,
}

/// One webhook delivery attempt.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WebhookRecord {
    /// The dial's ordinal since the simulator started: its position in
    /// [`Simulator::dials`] until dials are dropped from the log, and
    /// `dial - dropped_dials()` after.
    pub dial: usize,
    pub status: CallStatus,
    /// The server answered 2xx: it promised the status is stored.
    pub acked: bool,
    /// The entry's status that the 2xx answer reported (`"status"`): what
    /// the server promised is durable, which for a duplicate, a backwards
    /// move or a status after a final one is not the webhook's own.
    pub acked_status: Option<Status>,
}

/// The response header of `GET /_sim/dials` and `GET /_sim/webhooks` that
/// says how many older records the ring dropped, so that the JSON body
/// keeps its shape (a bare list) for the tests and tools that read it.
pub const DROPPED_HEADER: &str = "x-sim-dropped";

/// The last `limit` records of a stream, oldest first, each addressed by
/// its ordinal in the whole stream.
#[derive(Debug)]
struct Ring<T> {
    items: VecDeque<T>,
    /// How many records were let go from the front, which is also the
    /// ordinal of the first one kept.
    dropped: usize,
    limit: usize,
}

impl<T: Clone> Ring<T> {
    fn new(limit: usize) -> Self {
        Ring {
            items: VecDeque::new(),
            dropped: 0,
            limit,
        }
    }

    /// Appends `item` and returns its ordinal.
    fn push(&mut self, item: T) -> usize {
        let ordinal = self.dropped + self.items.len();
        self.items.push_back(item);
        if self.items.len() > self.limit {
            self.items.pop_front();
            self.dropped += 1;
        }
        ordinal
    }

    /// The record with this ordinal, unless it was dropped.
    fn get_mut(&mut self, ordinal: usize) -> Option<&mut T> {
        self.items.get_mut(ordinal.checked_sub(self.dropped)?)
    }

    fn iter(&self) -> impl Iterator<Item = &T> {
        self.items.iter()
    }

    fn to_vec(&self) -> Vec<T> {
        self.items.iter().cloned().collect()
    }
}

struct Sim {
    config: SimConfig,
    rng: Mutex<StdRng>,
    next_id: Mutex<u64>,
    log: Mutex<Ring<DialRecord>>,
    webhooks: Mutex<Ring<WebhookRecord>>,
    started: Instant,
    http: reqwest::Client,
}

impl Sim {
    fn chance(&self, p: f64) -> bool {
        p > 0.0 && self.rng.lock().unwrap().random::<f64>() < p
    }

    fn elapsed_ms(&self) -> f64 {
        self.started.elapsed().as_secs_f64() * 1000.0
    }

    fn ms_at(&self, t: Instant) -> f64 {
        t.saturating_duration_since(self.started).as_secs_f64() * 1000.0
    }
}

pub struct Simulator {
    pub addr: SocketAddr,
    sim: Arc<Sim>,
    serving: Serving,
}

impl Simulator {
    pub async fn start(config: SimConfig, listener: TcpListener) -> std::io::Result<Simulator> {
        let mut rng = seeded(config.seed);
        let first_id = rng.random_range(1_000..1_000_000);
        let outage = config.outage;
        let limit = config.log_limit;
        let sim = Arc::new(Sim {
            config,
            rng: Mutex::new(rng),
            next_id: Mutex::new(first_id),
            log: Mutex::new(Ring::new(limit)),
            webhooks: Mutex::new(Ring::new(limit)),
            started: Instant::now(),
            http: webhook_client(),
        });
        let app = Router::new()
            .route("/", get(index))
            .route("/call", post(call))
            .route("/_sim/dials", get(dials))
            .route("/_sim/webhooks", get(webhooks))
            .with_state(sim.clone());
        let serving = Serving::start(listener, app, outage)?;
        Ok(Simulator {
            addr: serving.addr,
            sim,
            serving,
        })
    }

    pub fn url(&self) -> String {
        self.serving.url()
    }

    /// The dials received so far, in arrival order: every one until the
    /// log is full, then the last [`SimConfig::log_limit`].
    pub fn dials(&self) -> Vec<DialRecord> {
        self.sim.log.lock().unwrap().to_vec()
    }

    /// The webhooks sent so far, in sending order, kept as the dials are.
    pub fn webhooks(&self) -> Vec<WebhookRecord> {
        self.sim.webhooks.lock().unwrap().to_vec()
    }

    /// How many dials the log dropped to stay within its limit.
    pub fn dropped_dials(&self) -> usize {
        self.sim.log.lock().unwrap().dropped
    }

    /// How many webhooks the log dropped to stay within its limit.
    pub fn dropped_webhooks(&self) -> usize {
        self.sim.webhooks.lock().unwrap().dropped
    }

    /// Stops serving; dropping the simulator stops it too.
    pub fn stop(&self) {
        self.serving.stop();
    }
}

/// A simulator's HTTP side, the same for both: the app served on its
/// listener until stopped, with the [`Trigger`] that stops it. Dropping it
/// fires the trigger, so that no simulator outlives its owner.
struct Serving {
    addr: SocketAddr,
    trigger: Trigger,
}

impl Serving {
    fn start(listener: TcpListener, app: Router, outage: Option<Outage>) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let (trigger, shutdown) = shutdown::channel();
        tokio::spawn(serve(listener, app, outage, shutdown));
        Ok(Serving { addr, trigger })
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn stop(&self) {
        self.trigger.fire();
    }
}

/// Random from `seed` for a reproducible run, from the OS otherwise.
fn seeded(seed: Option<u64>) -> StdRng {
    match seed {
        Some(s) => StdRng::seed_from_u64(s),
        None => StdRng::from_os_rng(),
    }
}

/// The client that delivers webhooks: a server that never answers costs a
/// delivery, not a task forever.
fn webhook_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("building the HTTP client")
}

/// Serves until shut down; during an outage the listener is closed, so that
/// connections are refused as when the real API is down.
async fn serve(mut listener: TcpListener, app: Router, outage: Option<Outage>, shutdown: Shutdown) {
    let addr = listener.local_addr().ok();
    loop {
        let stop = shutdown.clone();
        let up_for = outage.map(|o| o.every);
        let until = async move {
            tokio::select! {
                () = stop.wait() => {}
                _ = async {
                    match up_for {
                        Some(d) => tokio::time::sleep(d).await,
                        None => std::future::pending().await,
                    }
                } => {}
            }
        };
        if let Err(e) = axum::serve(listener, app.clone())
            .with_graceful_shutdown(until)
            .await
        {
            tracing::error!("simulator stopped: {e}");
            return;
        }
        let (Some(o), Some(addr)) = (outage, addr) else {
            return;
        };
        tokio::select! {
            () = shutdown.wait() => return,
            _ = tokio::time::sleep(o.length) => {}
        }
        listener = loop {
            match TcpListener::bind(addr).await {
                Ok(l) => break l,
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        };
    }
}

async fn index() -> &'static str {
    "numDialer API: only POST /call is supported\n"
}

async fn dials(State(sim): State<Arc<Sim>>) -> Response {
    listing(&sim.log)
}

async fn webhooks(State(sim): State<Arc<Sim>>) -> Response {
    listing(&sim.webhooks)
}

/// The records kept as a JSON list, with the count of the dropped ones in
/// [`DROPPED_HEADER`], both read under one lock so that they agree.
fn listing<T: Clone + Serialize>(ring: &Mutex<Ring<T>>) -> Response {
    let (dropped, kept) = {
        let ring = ring.lock().unwrap();
        (ring.dropped, ring.to_vec())
    };
    ([(DROPPED_HEADER, dropped.to_string())], Json(kept)).into_response()
}

fn error(msg: &str) -> Response {
    Json(DialResponse::Error { error: msg.into() }).into_response()
}

fn valid_webhook_url(s: &str) -> bool {
    reqwest::Url::parse(s)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

/// The statuses the real API sends for `phone`, each with its delay.
fn script(phone: &str, rng: &mut StdRng, scale: f64) -> Vec<(CallStatus, Duration)> {
    use CallStatus::*;
    let mut delay = || MAX_DELAY.mul_f64(rng.random::<f64>() * scale);
    match phone {
        "18582210308" => vec![(Completed, Duration::ZERO), (Ringing, Duration::ZERO)],
        "15512459377" | "19362072765" => vec![(Ringing, delay()), (Completed, delay())],
        _ => vec![
            (Ringing, delay()),
            (Answered, delay()),
            (Completed, delay()),
        ],
    }
}

/// Whether the request carries every required header with its value.
fn authorized(required: &[DialerHeader], headers: &HeaderMap) -> bool {
    required.iter().all(|r| {
        headers
            .get_all(r.name.as_str())
            .iter()
            .any(|v| v.as_bytes() == r.value.expose().as_bytes())
    })
}

async fn call(State(sim): State<Arc<Sim>>, headers: HeaderMap, body: Bytes) -> Response {
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let phone = v.get("phone").and_then(|p| p.as_str()).unwrap_or("");
    let webhook_url = v.get("webhookURL").and_then(|u| u.as_str()).unwrap_or("");
    let received_ms = sim.elapsed_ms();
    let ordinal = {
        let mut log = sim.log.lock().unwrap();
        // Only kept dials are counted: one dropped while still in flight
        // would take `log_limit` dials within a call's few seconds.
        let in_flight = log
            .iter()
            .filter(|d| d.id.is_some() && d.final_ms.is_none_or(|f| f > received_ms))
            .count();
        log.push(DialRecord {
            phone: phone.to_string(),
            webhook_url: webhook_url.to_string(),
            id: None,
            received_ms,
            final_ms: None,
            in_flight_before: in_flight,
        })
    };
    if !authorized(&sim.config.required_headers, &headers) {
        let body = Json(DialResponse::Error {
            error: "unauthorized".into(),
        });
        return (StatusCode::UNAUTHORIZED, body).into_response();
    }
    if sim.chance(sim.config.error_rate) {
        let body = Json(DialResponse::Error {
            error: "internal error".into(),
        });
        return (StatusCode::INTERNAL_SERVER_ERROR, body).into_response();
    }
    if !is_valid_phone(phone) {
        return error("Expected a valid phone");
    }
    if !valid_webhook_url(webhook_url) {
        return error("Expected a valid webhook URL");
    }
    let fault = sim.config.plan.get(&ordinal).copied();
    if fault == Some(Fault::ErrorBody) || sim.chance(sim.config.error_body_rate) {
        return error("Expected a valid phone");
    }
    let (id, steps) = {
        let mut next = sim.next_id.lock().unwrap();
        let id = *next;
        *next += 1;
        let steps = script(phone, &mut sim.rng.lock().unwrap(), sim.config.time_scale);
        (id, steps)
    };
    if let Some(dial) = sim.log.lock().unwrap().get_mut(ordinal) {
        dial.id = Some(id);
    }
    tokio::spawn(deliver_all(
        sim.clone(),
        ordinal,
        id,
        webhook_url.to_string(),
        steps,
        fault,
    ));
    if !sim.config.latency.is_zero() {
        tokio::time::sleep(sim.config.latency).await;
    }
    Json(DialResponse::Placed { id }).into_response()
}

/// Sends a call's statuses one after another, each after its own delay; or,
/// with `reorder`, each on its own delay from the dial.
async fn deliver_all(
    sim: Arc<Sim>,
    ordinal: usize,
    id: u64,
    url: String,
    steps: Vec<(CallStatus, Duration)>,
    fault: Option<Fault>,
) {
    if sim.config.reorder {
        let start = tokio::time::Instant::now();
        for (status, delay) in steps {
            let (sim, url) = (sim.clone(), url.clone());
            tokio::spawn(async move {
                tokio::time::sleep_until(start + delay).await;
                deliver(&sim, ordinal, id, &url, status, fault, start + delay).await;
            });
        }
        return;
    }
    // Each status is due on the call's own clock: a webhook that the
    // server is slow to answer delays the ones after it, never the call.
    let start = tokio::time::Instant::now();
    let mut due = Duration::ZERO;
    for (status, delay) in steps {
        due += delay;
        tokio::time::sleep_until(start + due).await;
        deliver(&sim, ordinal, id, &url, status, fault, start + due).await;
    }
}

async fn deliver(
    sim: &Sim,
    ordinal: usize,
    id: u64,
    url: &str,
    status: CallStatus,
    fault: Option<Fault>,
    due: tokio::time::Instant,
) {
    if status == CallStatus::Completed {
        // When the call ended, not when its webhook could be sent.
        let ended = sim.ms_at(due.into_std());
        if let Some(dial) = sim.log.lock().unwrap().get_mut(ordinal) {
            dial.final_ms = Some(ended);
        }
        if fault == Some(Fault::DropFinal) {
            return;
        }
    }
    if sim.chance(sim.config.drop_rate) {
        return;
    }
    let twice = fault == Some(Fault::Duplicate) || sim.chance(sim.config.duplicate_rate);
    for _ in 0..if twice { 2 } else { 1 } {
        let body = WebhookBody { id, status };
        let (acked, acked_status) = match sim.http.post(url).json(&body).send().await {
            Ok(r) if r.status().is_success() => {
                let ack = r.json::<WebhookAck>().await.ok();
                (true, ack.map(|a| a.status))
            }
            Ok(r) => {
                tracing::warn!(id, %status, code = %r.status(), "webhook not accepted");
                (false, None)
            }
            Err(e) => {
                tracing::warn!(id, %status, "webhook delivery failed: {e}");
                (false, None)
            }
        };
        sim.webhooks.lock().unwrap().push(WebhookRecord {
            dial: ordinal,
            status,
            acked,
            acked_status,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_keeps_the_last_records_by_ordinal() {
        let mut ring = Ring::new(3);
        let ordinals: Vec<usize> = (10..15).map(|x| ring.push(x)).collect();
        assert_eq!(ordinals, [0, 1, 2, 3, 4]);
        assert_eq!(ring.to_vec(), [12, 13, 14]);
        assert_eq!(ring.dropped, 2);
        assert_eq!(ring.get_mut(1), None, "dropped");
        assert_eq!(ring.get_mut(5), None, "not yet pushed");
        *ring.get_mut(3).unwrap() = 30;
        assert_eq!(ring.to_vec(), [12, 30, 14]);

        let mut none = Ring::new(0);
        assert_eq!(none.push('a'), 0);
        assert_eq!(none.push('b'), 1);
        assert!(none.to_vec().is_empty());
        assert_eq!(none.dropped, 2);
    }

    /// Stopping a simulator, or dropping it, closes its listener: both
    /// simulators serve through [`Serving`] on a [`Shutdown`].
    #[tokio::test]
    async fn stopping_or_dropping_closes_the_listener() {
        for drop_it in [false, true] {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let sim = Simulator::start(SimConfig::default(), listener)
                .await
                .unwrap();
            let url = sim.url();
            let http = reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .unwrap();
            assert!(http.get(&url).send().await.unwrap().status().is_success());
            if drop_it {
                drop(sim);
            } else {
                sim.stop();
            }
            let closed = numdialer_testkit::wait_until(Duration::from_secs(30), || async {
                http.get(&url).send().await.is_err().then_some(())
            })
            .await;
            assert!(
                closed.is_some(),
                "still serving after stop (dropped: {drop_it})"
            );
        }
    }

    /// Through the real routes: dials past the limit leave the last ones in
    /// `dials()` and `GET /_sim/dials`, and the count of the others beside.
    #[tokio::test]
    async fn the_log_is_capped_and_counts_what_it_dropped() {
        let config = SimConfig {
            log_limit: 2,
            ..SimConfig::default()
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sim = Simulator::start(config, listener).await.unwrap();
        let http = reqwest::Client::new();
        // No webhook URL: each dial is logged and answered with an error,
        // so no delivery runs behind the test's back.
        for phone in ["1", "2", "3", "4", "5"] {
            let r = http
                .post(format!("{}/call", sim.url()))
                .json(&serde_json::json!({"phone": phone, "webhookURL": ""}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
        }
        let kept: Vec<String> = sim.dials().into_iter().map(|d| d.phone).collect();
        assert_eq!(kept, ["4", "5"]);
        assert_eq!(sim.dropped_dials(), 3);
        assert_eq!(sim.dropped_webhooks(), 0);

        let listing = |path: &str| {
            let request = http.get(format!("{}{path}", sim.url())).send();
            async move {
                let r = request.await.unwrap();
                let dropped = r.headers()[DROPPED_HEADER].to_str().unwrap().to_string();
                (dropped, r.json::<serde_json::Value>().await.unwrap())
            }
        };
        let (dropped, dials) = listing("/_sim/dials").await;
        assert_eq!(dropped, "3");
        // serde_json reads floats back to within an ulp, not exactly: the
        // times are compared apart.
        let dials: Vec<DialRecord> = serde_json::from_value(dials).unwrap();
        let direct = sim.dials();
        assert_eq!(dials.len(), direct.len());
        for (read, kept) in dials.iter().zip(&direct) {
            assert_eq!((&read.phone, read.id), (&kept.phone, kept.id));
            assert!((read.received_ms - kept.received_ms).abs() < 1e-6);
        }
        assert_eq!(
            listing("/_sim/webhooks").await,
            ("0".into(), serde_json::json!([]))
        );
    }
}

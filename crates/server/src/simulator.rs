//! A stand-in for the third-party dialer API ("numDialer API"), faithful to
//! its documented behaviour, so that numdialer runs and is tested without it:
//! `POST /call` answers `{"id"}` or an HTTP 200 `{"error"}`, then each call's
//! statuses are POSTed to its webhook URL on their own random delays, and a
//! failed delivery is never retried.
//!
//! Deterministic faults for tests (`plan`) and a log of every dial it
//! received (`GET /_sim/dials`) come on top.

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use numdialer_core::wire::{DialResponse, WebhookBody};
use numdialer_core::{CallStatus, is_valid_phone};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::watch;

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

#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Multiplies every delay: 0.01 runs a 5 s call in 50 ms.
    pub time_scale: f64,
    pub seed: Option<u64>,
    /// Holds each `POST /call` answer this long after the webhooks are
    /// scheduled, so that webhooks can overtake it.
    pub answer_delay: Duration,
    pub plan: BTreeMap<usize, Fault>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            time_scale: 1.0,
            seed: None,
            answer_delay: Duration::ZERO,
            plan: BTreeMap::new(),
        }
    }
}

/// One dial as the simulator saw it. Times are milliseconds since it started.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct DialRecord {
    pub phone: String,
    pub webhook_url: String,
    pub id: Option<u64>,
    pub received_ms: f64,
    /// When its final webhook was sent, or would have been if dropped.
    pub final_ms: Option<f64>,
    /// Calls placed and not yet final when this dial arrived.
    pub in_flight_before: usize,
}

struct Sim {
    config: SimConfig,
    rng: Mutex<StdRng>,
    next_id: Mutex<u64>,
    log: Mutex<Vec<DialRecord>>,
    started: Instant,
    http: reqwest::Client,
}

pub struct Simulator {
    pub addr: SocketAddr,
    sim: Arc<Sim>,
    shutdown: watch::Sender<bool>,
}

impl Simulator {
    pub async fn start(config: SimConfig, listener: TcpListener) -> std::io::Result<Simulator> {
        let addr = listener.local_addr()?;
        let mut rng = match config.seed {
            Some(s) => StdRng::seed_from_u64(s),
            None => StdRng::from_os_rng(),
        };
        let first_id = rng.random_range(1_000..1_000_000);
        let sim = Arc::new(Sim {
            config,
            rng: Mutex::new(rng),
            next_id: Mutex::new(first_id),
            log: Mutex::new(Vec::new()),
            started: Instant::now(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("building the HTTP client"),
        });
        let app = Router::new()
            .route("/", get(index))
            .route("/call", post(call))
            .route("/_sim/dials", get(dials))
            .with_state(sim.clone());
        let (shutdown, mut rx) = watch::channel(false);
        tokio::spawn(async move {
            let stop = async move {
                let _ = rx.wait_for(|s| *s).await;
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(stop)
                .await
            {
                tracing::error!("simulator stopped: {e}");
            }
        });
        Ok(Simulator {
            addr,
            sim,
            shutdown,
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every dial received so far, in arrival order.
    pub fn dials(&self) -> Vec<DialRecord> {
        self.sim.log.lock().unwrap().clone()
    }

    pub fn stop(&self) {
        let _ = self.shutdown.send(true);
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn index() -> &'static str {
    "numDialer API: only POST /call is supported\n"
}

async fn dials(State(sim): State<Arc<Sim>>) -> Json<Vec<DialRecord>> {
    Json(sim.log.lock().unwrap().clone())
}

fn error(msg: &str) -> Json<DialResponse> {
    Json(DialResponse::Error { error: msg.into() })
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

async fn call(State(sim): State<Arc<Sim>>, body: Bytes) -> Json<DialResponse> {
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let phone = v.get("phone").and_then(|p| p.as_str()).unwrap_or("");
    let webhook_url = v.get("webhookURL").and_then(|u| u.as_str()).unwrap_or("");
    let received_ms = sim.started.elapsed().as_secs_f64() * 1000.0;
    let ordinal = {
        let mut log = sim.log.lock().unwrap();
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
        });
        log.len() - 1
    };
    if !is_valid_phone(phone) {
        return error("Expected a valid phone");
    }
    if !valid_webhook_url(webhook_url) {
        return error("Expected a valid webhook URL");
    }
    let fault = sim.config.plan.get(&ordinal).copied();
    if fault == Some(Fault::ErrorBody) {
        return error("Expected a valid phone");
    }
    let (id, steps) = {
        let mut next = sim.next_id.lock().unwrap();
        let id = *next;
        *next += 1;
        let steps = script(phone, &mut sim.rng.lock().unwrap(), sim.config.time_scale);
        (id, steps)
    };
    sim.log.lock().unwrap()[ordinal].id = Some(id);
    tokio::spawn(deliver(
        sim.clone(),
        ordinal,
        id,
        webhook_url.to_string(),
        steps,
        fault,
    ));
    if !sim.config.answer_delay.is_zero() {
        tokio::time::sleep(sim.config.answer_delay).await;
    }
    Json(DialResponse::Placed { id })
}

async fn deliver(
    sim: Arc<Sim>,
    ordinal: usize,
    id: u64,
    url: String,
    steps: Vec<(CallStatus, Duration)>,
    fault: Option<Fault>,
) {
    for (status, delay) in steps {
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        if status == CallStatus::Completed {
            sim.log.lock().unwrap()[ordinal].final_ms =
                Some(sim.started.elapsed().as_secs_f64() * 1000.0);
            if fault == Some(Fault::DropFinal) {
                continue;
            }
        }
        let times = if fault == Some(Fault::Duplicate) {
            2
        } else {
            1
        };
        for _ in 0..times {
            let body = WebhookBody { id, status };
            match sim.http.post(&url).json(&body).send().await {
                Ok(r) if r.status().is_success() => {}
                Ok(r) => tracing::warn!(id, %status, code = %r.status(), "webhook not accepted"),
                Err(e) => tracing::warn!(id, %status, "webhook delivery failed: {e}"),
            }
        }
    }
}

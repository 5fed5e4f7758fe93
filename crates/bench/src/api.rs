//! A dialer API of the benchmark's own, so that it knows to the microsecond
//! when each dial arrives and controls when each webhook leaves.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use numdialer_core::protocol::numdialer::{CallStatus, DialRequest, WebhookBody};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

#[derive(Debug, Clone)]
pub struct Dial {
    pub index: usize,
    pub url: String,
    pub id: u64,
    pub at: Instant,
}

/// When a timed call was dialed and when its `completed` was acknowledged.
#[derive(Debug, Clone, Copy)]
pub struct Done {
    pub dialed: Instant,
    pub sent: Instant,
    pub acked: Instant,
}

struct Inner {
    next_id: AtomicU64,
    dials: mpsc::UnboundedSender<Dial>,
    /// With durations, each call completes on its own after its duration.
    durations: Option<Arc<Vec<Duration>>>,
    done: Mutex<Vec<Done>>,
    http: reqwest::Client,
}

pub struct FakeApi {
    pub url: String,
    pub dials: mpsc::UnboundedReceiver<Dial>,
    inner: Arc<Inner>,
}

/// Where the benchmark's numbers start: `+1 301-200-0000`, so that the
/// index can be read back from the number and every number is valid
/// (libphonenumber) for up to 7,000,000 entries: exchanges 200 to 999.
const FIRST_NUMBER: usize = 2_000_000;

/// The list position encoded in the benchmark's numbers (`1301` and the
/// index past [`FIRST_NUMBER`]).
pub fn phone(index: usize) -> String {
    format!("1301{:07}", FIRST_NUMBER + index)
}

/// The list position [`phone`] encoded.
fn index_of(phone: &str) -> usize {
    phone
        .get(4..)
        .and_then(|n| n.parse::<usize>().ok())
        .and_then(|n| n.checked_sub(FIRST_NUMBER))
        .unwrap_or(0)
}

impl FakeApi {
    pub async fn start(durations: Option<Vec<Duration>>) -> anyhow::Result<FakeApi> {
        let (tx, rx) = mpsc::unbounded_channel();
        let inner = Arc::new(Inner {
            next_id: AtomicU64::new(700_000),
            dials: tx,
            durations: durations.map(Arc::new),
            done: Mutex::new(Vec::new()),
            http: reqwest::Client::new(),
        });
        let app = Router::new()
            .route("/call", post(call))
            .route("/", axum::routing::get(|| async { "bench dialer API" }))
            .with_state(inner.clone());
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", l.local_addr()?);
        tokio::spawn(async move { axum::serve(l, app).await });
        Ok(FakeApi {
            url,
            dials: rx,
            inner,
        })
    }

    pub async fn next_dial(&mut self) -> anyhow::Result<Dial> {
        tokio::time::timeout(Duration::from_secs(30), self.dials.recv())
            .await
            .map_err(|_| anyhow::anyhow!("no dial arrived within 30 s"))?
            .ok_or_else(|| anyhow::anyhow!("the fake API stopped"))
    }

    pub fn done(&self) -> Vec<Done> {
        self.inner.done.lock().unwrap().clone()
    }
}

async fn call(
    State(api): State<Arc<Inner>>,
    Json(req): Json<DialRequest>,
) -> Json<serde_json::Value> {
    let at = Instant::now();
    let id = api.next_id.fetch_add(1, Ordering::Relaxed);
    let index = index_of(&req.phone);
    let dial = Dial {
        index,
        url: req.webhook_url,
        id,
        at,
    };
    if let Some(durations) = &api.durations {
        let (api, dial) = (api.clone(), dial.clone());
        let d = durations.get(index).copied().unwrap_or_default();
        tokio::spawn(async move {
            tokio::time::sleep_until((dial.at + d).into()).await;
            let sent = Instant::now();
            if send(&api.http, &dial.url, dial.id, CallStatus::Completed)
                .await
                .is_ok()
            {
                let acked = Instant::now();
                api.done.lock().unwrap().push(Done {
                    dialed: dial.at,
                    sent,
                    acked,
                });
            }
        });
    }
    let _ = api.dials.send(dial);
    Json(serde_json::json!({ "id": id }))
}

pub async fn send(
    http: &reqwest::Client,
    url: &str,
    id: u64,
    status: CallStatus,
) -> anyhow::Result<()> {
    let r = http
        .post(url)
        .json(&WebhookBody { id, status })
        .send()
        .await?;
    anyhow::ensure!(r.status().is_success(), "webhook answered {}", r.status());
    Ok(())
}

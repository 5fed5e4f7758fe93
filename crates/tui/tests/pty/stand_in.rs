//! A stand-in for the numDialer API on loopback, for dialing "real"
//! people: it answers `POST /call` as the API does, counts and logs every
//! one, and reports each call `ringing` to its webhook URL, and then
//! nothing more until a test says so. Calls therefore stay in flight for as
//! long as a test needs them there, which neither the simulator's random
//! delays nor a real API would promise.
//!
//! It runs on a runtime of its own, on its own thread, so that plain
//! `#[test]`s and `#[tokio::test]`s can both use it without blocking a
//! runtime.

use axum::Json;
use axum::extract::State;
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use tokio::runtime::Handle;
use tokio::sync::oneshot;

/// The first call id: far from list positions, as the real API's are.
const FIRST_ID: u64 = 7001;

pub struct StandIn {
    url: String,
    state: Arc<Shared>,
    runtime: Handle,
    stop: Option<oneshot::Sender<()>>,
}

#[derive(Default)]
struct Shared {
    dials: Mutex<Vec<Dial>>,
    log: Mutex<Vec<String>>,
}

#[derive(Clone)]
struct Dial {
    phone: String,
    webhook_url: String,
    id: u64,
}

impl StandIn {
    pub fn start() -> StandIn {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (handle_tx, handle_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = oneshot::channel::<()>();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            handle_tx.send(runtime.handle().clone()).unwrap();
            runtime.block_on(async {
                let _ = stopped.await;
            });
        });
        let runtime = handle_rx.recv().unwrap();
        let state = Arc::new(Shared::default());
        let app = axum::Router::new()
            .route("/", get(|| async { "only POST /call is supported\n" }))
            .route("/call", post(call))
            .with_state(state.clone());
        let listener = {
            let _entered = runtime.enter();
            tokio::net::TcpListener::from_std(listener).unwrap()
        };
        runtime.spawn(async move { axum::serve(listener, app).await });
        StandIn {
            url,
            state,
            runtime,
            stop: Some(stop),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The phones dialed, in the order the POST /calls came.
    pub fn dials(&self) -> Vec<String> {
        let dials = self.state.dials.lock().unwrap();
        dials.iter().map(|d| d.phone.clone()).collect()
    }

    /// Every request and webhook, one line each, for the test's output.
    pub fn log(&self) -> Vec<String> {
        self.state.log.lock().unwrap().clone()
    }

    /// Reports every call placed so far `completed`, which frees its line.
    pub fn complete_all(&self) {
        let dials = self.state.dials.lock().unwrap().clone();
        for dial in dials {
            self.runtime
                .spawn(report(self.state.clone(), dial, "completed"));
        }
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// `POST /call`: an id for a valid phone and webhook URL, else the API's
/// error, with HTTP 200 as the API answers it; then `ringing`.
async fn call(State(state): State<Arc<Shared>>, Json(body): Json<Value>) -> Json<Value> {
    let phone = body["phone"].as_str().unwrap_or_default().to_string();
    let webhook_url = body["webhookURL"].as_str().unwrap_or_default().to_string();
    let valid =
        phone.len() == 11 && phone.starts_with('1') && phone.bytes().all(|b| b.is_ascii_digit());
    if !valid {
        note(
            &state,
            format!("POST /call {phone:?}: Expected a valid phone"),
        );
        return Json(json!({"error": "Expected a valid phone"}));
    }
    if !webhook_url.starts_with("http") {
        note(
            &state,
            format!("POST /call {phone}: Expected a valid webhook URL"),
        );
        return Json(json!({"error": "Expected a valid webhook URL"}));
    }
    let dial = {
        let mut dials = state.dials.lock().unwrap();
        let id = FIRST_ID + dials.len() as u64;
        let dial = Dial {
            phone,
            webhook_url,
            id,
        };
        dials.push(dial.clone());
        dial
    };
    note(
        &state,
        format!("POST /call {} -> id {}", dial.phone, dial.id),
    );
    tokio::spawn(report(state, dial.clone(), "ringing"));
    Json(json!({"id": dial.id}))
}

/// Sends one webhook, once, as the API does (it never retries), and logs
/// how it was received.
async fn report(state: Arc<Shared>, dial: Dial, status: &'static str) {
    let sent = reqwest::Client::new()
        .post(&dial.webhook_url)
        .json(&json!({"id": dial.id, "status": status}))
        .send()
        .await;
    let answer = match sent {
        Ok(r) => r.status().as_u16().to_string(),
        Err(e) => format!("not delivered ({e})"),
    };
    note(
        &state,
        format!("webhook {status} id {} -> {answer}", dial.id),
    );
}

fn note(state: &Shared, line: String) {
    state.log.lock().unwrap().push(line);
}

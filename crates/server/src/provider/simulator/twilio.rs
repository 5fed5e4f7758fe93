//! A stand-in for Twilio's Calls resource, so that the Twilio protocol runs
//! and is tested without an account or a phone ringing: `POST
//! /2010-04-01/Accounts/{sid}/Calls.json` with HTTP Basic auth and a form
//! body, answered `201` with a `CA…` sid, then signed, form-encoded status
//! callbacks on random delays.
//!
//! It is strict where a mistake of the client would cost a real call: a
//! wrong credential answers 401, and a form without `To` in E.164, `From`,
//! TwiML or a TwiML URL, the `StatusCallback` URL, `StatusCallbackMethod=POST`
//! or any of the four callback events answers 400 with a Twilio-shaped
//! error (`code`, `message`; the codes are the simulator's own picks in
//! Twilio's style). Each call ends answered, no-answer, busy or failed at
//! the configured rates, and the first `throttle` dials are answered 429
//! with `Retry-After`, as an account over its rate would be. Its log
//! (`GET /_sim/dials`, `GET /_sim/callbacks`, `GET /_sim/updates`) is what
//! the tests judge.
//!
//! A dial that asks for answering-machine detection (`MachineDetection`,
//! `AsyncAmd=true`) is answered by a person or a machine at the configured
//! rate, and its `AnsweredBy` goes to the signed `AsyncAmdStatusCallback`
//! before or after `completed` (`amd_after_completed`). A machine's
//! greeting then waits a while for a call update (`POST
//! .../Calls/{Sid}.json` with TwiML), as a voicemail box records until the
//! line drops; an update of a call that is over is refused as Twilio
//! refuses it.

use super::{MAX_DELAY, Ring, Serving, listing, seeded, webhook_client};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use numdialer_core::Secret;
use numdialer_core::answer::TUNINGS;
use numdialer_core::protocol::twilio::{
    self, CALLBACK_EVENTS, CallStatus, ErrorBody, SIGNATURE_HEADER,
};
use rand::Rng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
pub struct TwilioSimConfig {
    /// The account the simulator accepts, with its auth token.
    pub account_sid: String,
    pub auth_token: Secret,
    /// Multiplies every callback delay (each random in [0, 5 s)).
    pub time_scale: f64,
    pub seed: Option<u64>,
    /// Chances that a call ends `no-answer`, `busy` or `failed`; the rest
    /// are answered and then `completed`.
    pub no_answer_rate: f64,
    pub busy_rate: f64,
    pub failed_rate: f64,
    /// The first this many dials are answered 429 with `Retry-After`.
    pub throttle: usize,
    /// Seconds in those `Retry-After` headers.
    pub retry_after_secs: u32,
    /// How many dials and callbacks the log keeps.
    pub log_limit: usize,
    /// Of the answered calls that ask for detection, the share a machine
    /// answers; the rest are people.
    pub machine_rate: f64,
    /// Send the detection result after `completed` rather than before.
    pub amd_after_completed: bool,
    /// How long a machine past its greeting waits for a call update
    /// before the call goes on to its end.
    pub update_wait: Duration,
}

impl Default for TwilioSimConfig {
    fn default() -> Self {
        TwilioSimConfig {
            account_sid: "AC00000000000000000000000000000000".into(),
            auth_token: Secret::new("simulated-auth-token"),
            time_scale: 1.0,
            seed: None,
            no_answer_rate: 0.0,
            busy_rate: 0.0,
            failed_rate: 0.0,
            throttle: 0,
            retry_after_secs: 1,
            log_limit: 100_000,
            machine_rate: 0.0,
            amd_after_completed: false,
            update_wait: Duration::from_secs(1),
        }
    }
}

/// One request to the Calls resource as the simulator saw it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TwilioDialRecord {
    /// The form as sent, in order.
    pub fields: Vec<(String, String)>,
    /// The HTTP status of the answer.
    pub answer: u16,
    /// The call's sid, if one was created.
    pub sid: Option<String>,
    /// The outcome the call was given, if one was created.
    pub outcome: Option<CallStatus>,
    /// Milliseconds since the simulator started.
    pub received_ms: f64,
    /// When its last callback was sent, in the same milliseconds: the
    /// line is free from then on, so that a benchmark can time the refill.
    #[serde(default)]
    pub final_ms: Option<f64>,
    /// The `AnsweredBy` the call was given, when it asked for detection
    /// and was answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_by: Option<String>,
}

/// One call update (`POST .../Calls/{Sid}.json`) as the simulator saw it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TwilioUpdateRecord {
    pub sid: String,
    /// The form as sent, in order.
    pub fields: Vec<(String, String)>,
    /// The HTTP status of the answer.
    pub answer: u16,
    pub received_ms: f64,
}

/// One status callback sent.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CallbackRecord {
    pub sid: String,
    pub status: CallStatus,
    pub sequence: u32,
    /// The server's HTTP status, or `None` if the delivery failed.
    pub answer: Option<u16>,
    /// Set on a detection result (`AsyncAmdStatusCallback`): its
    /// `AnsweredBy`. `status` is then the call's status when it was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_by: Option<String>,
}

/// A call still up, which a call update can reach.
#[derive(Default)]
struct Live {
    /// Set by the first update: the machine hears it and the line drops.
    updated: tokio::sync::Notify,
}

struct Sim {
    config: TwilioSimConfig,
    rng: Mutex<StdRng>,
    dials: Mutex<Ring<TwilioDialRecord>>,
    callbacks: Mutex<Ring<CallbackRecord>>,
    updates: Mutex<Ring<TwilioUpdateRecord>>,
    /// Calls placed and not yet over, by sid.
    live: Mutex<std::collections::HashMap<String, Arc<Live>>>,
    started: Instant,
    http: reqwest::Client,
}

pub struct TwilioSimulator {
    pub addr: SocketAddr,
    sim: Arc<Sim>,
    serving: Serving,
}

impl TwilioSimulator {
    pub async fn start(
        config: TwilioSimConfig,
        listener: TcpListener,
    ) -> std::io::Result<TwilioSimulator> {
        let rng = seeded(config.seed);
        let limit = config.log_limit;
        let sim = Arc::new(Sim {
            config,
            rng: Mutex::new(rng),
            dials: Mutex::new(Ring::new(limit)),
            callbacks: Mutex::new(Ring::new(limit)),
            updates: Mutex::new(Ring::new(limit)),
            live: Mutex::default(),
            started: Instant::now(),
            http: webhook_client(),
        });
        let app = Router::new()
            .route("/2010-04-01/Accounts/{sid}/Calls.json", post(create_call))
            .route("/2010-04-01/Accounts/{sid}", get(account))
            .route("/2010-04-01/Accounts/{sid}/Calls/{file}", post(update_call))
            .route("/_sim/updates", get(updates))
            .route("/_sim/dials", get(dials))
            .route("/_sim/callbacks", get(callbacks))
            .with_state(sim.clone());
        let serving = Serving::start(listener, app, None)?;
        Ok(TwilioSimulator {
            addr: serving.addr,
            sim,
            serving,
        })
    }

    pub fn url(&self) -> String {
        self.serving.url()
    }

    pub fn dials(&self) -> Vec<TwilioDialRecord> {
        self.sim.dials.lock().unwrap().to_vec()
    }

    pub fn callbacks(&self) -> Vec<CallbackRecord> {
        self.sim.callbacks.lock().unwrap().to_vec()
    }

    pub fn updates(&self) -> Vec<TwilioUpdateRecord> {
        self.sim.updates.lock().unwrap().to_vec()
    }

    /// Stops serving; dropping the simulator stops it too.
    pub fn stop(&self) {
        self.serving.stop();
    }
}

fn twilio_error(status: StatusCode, code: u32, message: &str) -> Response {
    let body = ErrorBody {
        code,
        message: message.into(),
        more_info: None,
        status: Some(status.as_u16()),
    };
    (status, axum::Json(body)).into_response()
}

/// Whether the request carries the account's Basic credentials.
fn authorized(config: &TwilioSimConfig, path_sid: &str, headers: &HeaderMap) -> bool {
    let expected = STANDARD.encode(format!(
        "{}:{}",
        config.account_sid,
        config.auth_token.expose()
    ));
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "));
    path_sid == config.account_sid && given == Some(expected.as_str())
}

/// `GET /2010-04-01/Accounts/{sid}.json`: the account, for probes. The
/// route's segment is the sid with `.json` after it.
async fn account(
    State(sim): State<Arc<Sim>>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let sid = file.trim_end_matches(".json");
    if !authorized(&sim.config, sid, &headers) {
        return twilio_error(StatusCode::UNAUTHORIZED, 20003, "Authenticate");
    }
    axum::Json(serde_json::json!({"sid": sid, "status": "active"})).into_response()
}

/// What is wrong with a dial's form, as Twilio would word it; `None` if
/// nothing.
fn check_form(fields: &[(String, String)]) -> Option<(u32, String)> {
    let get = |n| twilio::field(fields, n);
    let to = get("To").unwrap_or("");
    let digits = to.strip_prefix('+').unwrap_or("");
    if !(7..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Some((21211, format!("Invalid 'To' Phone Number: {to}")));
    }
    if !get("From").is_some_and(|f| f.starts_with('+')) {
        return Some((21212, "Invalid 'From' Phone Number".into()));
    }
    if get("Twiml").is_none() == get("Url").is_none() {
        return Some((21205, "Exactly one of Url or Twiml is required".into()));
    }
    let callback_ok = get("StatusCallback")
        .and_then(|u| reqwest::Url::parse(u).ok())
        .is_some_and(|u| matches!(u.scheme(), "http" | "https"));
    if !callback_ok {
        return Some((21609, "Invalid StatusCallback URL".into()));
    }
    if get("StatusCallbackMethod") != Some("POST") {
        return Some((21609, "StatusCallbackMethod must be POST".into()));
    }
    let events = twilio::values(fields, "StatusCallbackEvent");
    if let Some(e) = CALLBACK_EVENTS.iter().find(|e| !events.contains(e)) {
        return Some((21626, format!("StatusCallbackEvent {e} was not asked for")));
    }
    check_amd(fields)
}

/// What is wrong with a dial's detection fields; `None` if nothing or
/// none were sent.
fn check_amd(fields: &[(String, String)]) -> Option<(u32, String)> {
    let get = |n| twilio::field(fields, n);
    let Some(mode) = get("MachineDetection") else {
        let stray = fields
            .iter()
            .find(|(n, _)| n.starts_with("MachineDetection") || n.starts_with("AsyncAmd"));
        return stray.map(|(n, _)| (21629, format!("{n} without MachineDetection")));
    };
    if !matches!(mode, "Enable" | "DetectMessageEnd") {
        return Some((
            21629,
            format!("MachineDetection must be Enable or DetectMessageEnd, not {mode}"),
        ));
    }
    for t in TUNINGS {
        if let Some(v) = get(t.twilio) {
            let ok = v.parse::<u32>().is_ok_and(|n| (t.min..=t.max).contains(&n));
            if !ok {
                return Some((
                    21629,
                    format!("{} must be from {} to {}, not {v}", t.twilio, t.min, t.max),
                ));
            }
        }
    }
    if get("AsyncAmd") != Some("true") {
        return Some((
            21629,
            "the simulator detects answering machines only with AsyncAmd=true".into(),
        ));
    }
    let callback_ok = get("AsyncAmdStatusCallback")
        .and_then(|u| reqwest::Url::parse(u).ok())
        .is_some_and(|u| matches!(u.scheme(), "http" | "https"));
    if !callback_ok {
        return Some((21609, "Invalid AsyncAmdStatusCallback URL".into()));
    }
    if !matches!(get("AsyncAmdStatusCallbackMethod"), None | Some("POST")) {
        return Some((21609, "AsyncAmdStatusCallbackMethod must be POST".into()));
    }
    None
}

async fn create_call(
    State(sim): State<Arc<Sim>>,
    Path(sid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields = twilio::parse_form(&body);
    let received_ms = sim.started.elapsed().as_secs_f64() * 1000.0;
    let ordinal = {
        let mut dials = sim.dials.lock().unwrap();
        dials.push(TwilioDialRecord {
            fields: fields.clone(),
            answer: 0,
            sid: None,
            outcome: None,
            received_ms,
            final_ms: None,
            answered_by: None,
        })
    };
    let (response, placed) = answer(&sim, ordinal, &sid, &headers, &fields);
    let answered_by = placed
        .as_ref()
        .and_then(|(_, outcome)| detected(&sim, &fields, *outcome));
    if let Some(d) = sim.dials.lock().unwrap().get_mut(ordinal) {
        d.answer = response.status().as_u16();
        if let Some((sid, outcome)) = &placed {
            d.sid = Some(sid.clone());
            d.outcome = Some(*outcome);
        }
        d.answered_by = answered_by.clone();
    }
    if let Some((call_sid, outcome)) = placed {
        sim.live
            .lock()
            .unwrap()
            .insert(call_sid.clone(), Arc::default());
        let call = Call {
            ordinal,
            sid: call_sid,
            fields,
            outcome,
            answered_by,
        };
        tokio::spawn(deliver_all(sim.clone(), call));
    }
    response
}

/// The `AnsweredBy` of an answered call that asked for detection: a
/// machine at `machine_rate` (`machine_start` when only detection was
/// asked for, the end of its greeting with `DetectMessageEnd`), else a
/// person.
fn detected(sim: &Sim, fields: &[(String, String)], outcome: CallStatus) -> Option<String> {
    let mode = twilio::field(fields, "MachineDetection")?;
    if outcome != CallStatus::Completed {
        return None;
    }
    let mut rng = sim.rng.lock().unwrap();
    if rng.random::<f64>() >= sim.config.machine_rate {
        return Some("human".into());
    }
    Some(if mode == "DetectMessageEnd" {
        [
            "machine_end_beep",
            "machine_end_beep",
            "machine_end_silence",
            "machine_end_other",
        ][rng.random_range(0..4)]
        .to_string()
    } else {
        "machine_start".to_string()
    })
}

/// `POST /2010-04-01/Accounts/{sid}/Calls/{CallSid}.json`: a call update.
/// Only new TwiML (or a TwiML URL) for a call still up is taken; one for a
/// call that is over answers 400 with 21220, as Twilio's does.
async fn update_call(
    State(sim): State<Arc<Sim>>,
    Path((sid, file)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields = twilio::parse_form(&body);
    let call_sid = file.trim_end_matches(".json").to_string();
    let received_ms = sim.started.elapsed().as_secs_f64() * 1000.0;
    let response = if !authorized(&sim.config, &sid, &headers) {
        twilio_error(StatusCode::UNAUTHORIZED, 20003, "Authenticate")
    } else if twilio::field(&fields, "Twiml").is_none() == twilio::field(&fields, "Url").is_none() {
        twilio_error(
            StatusCode::BAD_REQUEST,
            21205,
            "Exactly one of Url or Twiml is required",
        )
    } else {
        let live = sim.live.lock().unwrap().get(&call_sid).cloned();
        match live {
            Some(call) => {
                call.updated.notify_one();
                let body = serde_json::json!({
                    "sid": call_sid,
                    "account_sid": sim.config.account_sid,
                    "status": "in-progress",
                });
                (StatusCode::OK, axum::Json(body)).into_response()
            }
            None => twilio_error(
                StatusCode::BAD_REQUEST,
                21220,
                "Call is not in-progress. Cannot redirect.",
            ),
        }
    };
    sim.updates.lock().unwrap().push(TwilioUpdateRecord {
        sid: call_sid,
        fields,
        answer: response.status().as_u16(),
        received_ms,
    });
    response
}

/// A call placed, as its callbacks need it.
struct Call {
    ordinal: usize,
    sid: String,
    fields: Vec<(String, String)>,
    outcome: CallStatus,
    answered_by: Option<String>,
}

/// The answer to one dial, and the call it created.
fn answer(
    sim: &Sim,
    ordinal: usize,
    path_sid: &str,
    headers: &HeaderMap,
    fields: &[(String, String)],
) -> (Response, Option<(String, CallStatus)>) {
    if !authorized(&sim.config, path_sid, headers) {
        return (
            twilio_error(StatusCode::UNAUTHORIZED, 20003, "Authenticate"),
            None,
        );
    }
    if ordinal < sim.config.throttle {
        let mut r = twilio_error(StatusCode::TOO_MANY_REQUESTS, 20429, "Too Many Requests");
        r.headers_mut().insert(
            header::RETRY_AFTER,
            sim.config.retry_after_secs.to_string().parse().unwrap(),
        );
        return (r, None);
    }
    if let Some((code, message)) = check_form(fields) {
        return (twilio_error(StatusCode::BAD_REQUEST, code, &message), None);
    }
    let (call_sid, outcome) = {
        let mut rng = sim.rng.lock().unwrap();
        let call_sid = format!("CA{:032x}", rng.random::<u128>());
        let c = &sim.config;
        let roll: f64 = rng.random();
        let outcome = if roll < c.no_answer_rate {
            CallStatus::NoAnswer
        } else if roll < c.no_answer_rate + c.busy_rate {
            CallStatus::Busy
        } else if roll < c.no_answer_rate + c.busy_rate + c.failed_rate {
            CallStatus::Failed
        } else {
            CallStatus::Completed
        };
        (call_sid, outcome)
    };
    let body = serde_json::json!({
        "sid": call_sid,
        "account_sid": sim.config.account_sid,
        "status": "queued",
        "to": twilio::field(fields, "To"),
        "from": twilio::field(fields, "From"),
    });
    let response = (StatusCode::CREATED, axum::Json(body)).into_response();
    (response, Some((call_sid, outcome)))
}

/// The statuses a call with this outcome reports, in order.
fn script(outcome: CallStatus) -> Vec<CallStatus> {
    use CallStatus::*;
    match outcome {
        Completed => vec![Initiated, Ringing, InProgress, Completed],
        NoAnswer => vec![Initiated, Ringing, NoAnswer],
        Busy => vec![Initiated, Busy],
        other => vec![Initiated, other],
    }
}

/// One callback of a call's script: a status, or the detection result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Status(CallStatus),
    Detection,
}

/// The script of a call, with its detection result (if any) before
/// `completed` or after it.
fn steps(outcome: CallStatus, detects: bool, after: bool) -> Vec<Step> {
    let mut steps: Vec<Step> = script(outcome).into_iter().map(Step::Status).collect();
    if detects {
        let at = if after { steps.len() } else { steps.len() - 1 };
        steps.insert(at, Step::Detection);
    }
    steps
}

/// Sends a call's callbacks one after another, each after its own delay,
/// each signed for the exact URL it goes to.
async fn deliver_all(sim: Arc<Sim>, call: Call) {
    let Call {
        ordinal,
        sid: call_sid,
        fields,
        outcome,
        answered_by,
    } = call;
    let url = twilio::field(&fields, "StatusCallback")
        .unwrap_or_default()
        .to_string();
    let steps = steps(
        outcome,
        answered_by.is_some(),
        sim.config.amd_after_completed,
    );
    let last_status = steps
        .iter()
        .rposition(|s| matches!(s, Step::Status(_)))
        .unwrap_or_default();
    // Each callback is due on the call's own clock: one that the server is
    // slow to answer delays the ones after it, never the call's end.
    let start = tokio::time::Instant::now();
    let mut due = Duration::ZERO;
    let mut sequence = 0u32;
    let mut status = CallStatus::Initiated;
    let mut greeting_over = false;
    for (n, step) in steps.into_iter().enumerate() {
        due += MAX_DELAY.mul_f64(sim.rng.lock().unwrap().random::<f64>() * sim.config.time_scale);
        if greeting_over {
            // A voicemail box records until the line drops: the call
            // ends once an update played its message, or after the wait.
            let live = sim.live.lock().unwrap().get(&call_sid).cloned();
            if let Some(live) = live {
                let _ = tokio::time::timeout(sim.config.update_wait, live.updated.notified()).await;
            }
            due = due.max(start.elapsed());
        }
        tokio::time::sleep_until(start + due).await;
        if let Step::Detection = step {
            let value = answered_by.clone().unwrap_or_default();
            greeting_over = value.starts_with("machine_end_") && status != CallStatus::Completed;
            send_detection(&sim, &call_sid, &fields, &value, status).await;
            continue;
        }
        let Step::Status(next) = step else { continue };
        status = next;
        if n == last_status {
            sim.live.lock().unwrap().remove(&call_sid);
            let ended = (start + due)
                .into_std()
                .saturating_duration_since(sim.started);
            if let Some(d) = sim.dials.lock().unwrap().get_mut(ordinal) {
                d.final_ms = Some(ended.as_secs_f64() * 1000.0);
            }
        }
        let params: Vec<(String, String)> = [
            ("AccountSid", sim.config.account_sid.as_str()),
            ("ApiVersion", "2010-04-01"),
            ("CallSid", call_sid.as_str()),
            ("CallStatus", status.as_str()),
            ("Direction", "outbound-api"),
            ("From", twilio::field(&fields, "From").unwrap_or_default()),
            ("SequenceNumber", &sequence.to_string()),
            ("To", twilio::field(&fields, "To").unwrap_or_default()),
        ]
        .into_iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
        let signature = twilio::signature(sim.config.auth_token.expose(), &url, &params);
        let sent = sim
            .http
            .post(&url)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(SIGNATURE_HEADER, signature)
            .body(twilio::encode_form(&params))
            .send()
            .await;
        let answer = match sent {
            Ok(r) => Some(r.status().as_u16()),
            Err(e) => {
                tracing::warn!(%call_sid, %status, "callback delivery failed: {e}");
                None
            }
        };
        sim.callbacks.lock().unwrap().push(CallbackRecord {
            sid: call_sid.clone(),
            status,
            sequence,
            answer,
            answered_by: None,
        });
        sequence += 1;
    }
}

/// Sends a call's detection result to its `AsyncAmdStatusCallback`,
/// signed for that URL, and logs it with the call's status at the time.
async fn send_detection(
    sim: &Sim,
    call_sid: &str,
    fields: &[(String, String)],
    answered_by: &str,
    status: CallStatus,
) {
    let url = twilio::field(fields, "AsyncAmdStatusCallback").unwrap_or_default();
    let took = sim.rng.lock().unwrap().random_range(800..5_000u32);
    let params: Vec<(String, String)> = [
        ("AccountSid", sim.config.account_sid.as_str()),
        ("AnsweredBy", answered_by),
        ("CallSid", call_sid),
        ("MachineDetectionDuration", &took.to_string()),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_string(), v.to_string()))
    .collect();
    let signature = twilio::signature(sim.config.auth_token.expose(), url, &params);
    let sent = sim
        .http
        .post(url)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(SIGNATURE_HEADER, signature)
        .body(twilio::encode_form(&params))
        .send()
        .await;
    let answer = match sent {
        Ok(r) => Some(r.status().as_u16()),
        Err(e) => {
            tracing::warn!(%call_sid, "detection callback delivery failed: {e}");
            None
        }
    };
    sim.callbacks.lock().unwrap().push(CallbackRecord {
        sid: call_sid.to_string(),
        status,
        sequence: 0,
        answer,
        answered_by: Some(answered_by.to_string()),
    });
}

async fn dials(State(sim): State<Arc<Sim>>) -> Response {
    listing(&sim.dials)
}

async fn callbacks(State(sim): State<Arc<Sim>>) -> Response {
    listing(&sim.callbacks)
}

async fn updates(State(sim): State<Arc<Sim>>) -> Response {
    listing(&sim.updates)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(skip: &str) -> Vec<(String, String)> {
        let mut f: Vec<(String, String)> = twilio::DialForm {
            to: "13018040009".into(),
            from: "+15005550006".into(),
            instructions: twilio::Instructions::default(),
            status_callback: "http://127.0.0.1:1/webhooks/t".into(),
            timeout_secs: 30,
            amd: None,
        }
        .fields();
        f.retain(|(n, v)| n != skip && v != skip);
        f
    }

    #[test]
    fn the_form_is_checked_field_by_field() {
        assert_eq!(check_form(&form("")), None);
        for (skip, code) in [
            ("To", 21211),
            ("From", 21212),
            ("Twiml", 21205),
            ("StatusCallback", 21609),
            ("StatusCallbackMethod", 21609),
            ("answered", 21626),
        ] {
            assert_eq!(check_form(&form(skip)).map(|e| e.0), Some(code), "{skip}");
        }
        let mut no_plus = form("");
        no_plus[0].1 = "13018040009".into();
        assert_eq!(check_form(&no_plus).map(|e| e.0), Some(21211));
    }

    #[test]
    fn detection_fields_are_checked() {
        let with = |extra: &[(&str, &str)]| {
            let mut f = form("");
            f.extend(extra.iter().map(|(n, v)| (n.to_string(), v.to_string())));
            check_amd(&f).map(|e| e.1)
        };
        let cb = (
            "AsyncAmdStatusCallback",
            "http://127.0.0.1:1/webhooks/t/amd",
        );
        let good = [
            ("MachineDetection", "DetectMessageEnd"),
            ("AsyncAmd", "true"),
            cb,
        ];
        assert_eq!(with(&good), None);
        assert_eq!(with(&[]), None);
        for (bad, want) in [
            (
                vec![("MachineDetection", "Maybe"), ("AsyncAmd", "true"), cb],
                "MachineDetection must be",
            ),
            (vec![("MachineDetection", "Enable"), cb], "AsyncAmd=true"),
            (
                vec![("MachineDetection", "Enable"), ("AsyncAmd", "true")],
                "AsyncAmdStatusCallback",
            ),
            (vec![("AsyncAmd", "true")], "without MachineDetection"),
            (
                vec![
                    ("MachineDetection", "Enable"),
                    ("AsyncAmd", "true"),
                    cb,
                    ("MachineDetectionTimeout", "60"),
                ],
                "MachineDetectionTimeout must be from 3 to 59",
            ),
        ] {
            let err = with(&bad).unwrap_or_default();
            assert!(err.contains(want), "{bad:?}: {err}");
        }
    }

    #[test]
    fn a_detection_result_goes_before_or_after_completed() {
        use CallStatus::*;
        let s = |o, d, a| steps(o, d, a);
        assert_eq!(
            s(Completed, true, false),
            vec![
                Step::Status(Initiated),
                Step::Status(Ringing),
                Step::Status(InProgress),
                Step::Detection,
                Step::Status(Completed)
            ]
        );
        assert_eq!(s(Completed, true, true).last(), Some(&Step::Detection));
        assert!(!s(Completed, false, false).contains(&Step::Detection));
    }

    #[test]
    fn scripts_end_with_their_outcome() {
        for outcome in [
            CallStatus::Completed,
            CallStatus::NoAnswer,
            CallStatus::Busy,
            CallStatus::Failed,
        ] {
            let s = script(outcome);
            assert_eq!(s.first(), Some(&CallStatus::Initiated));
            assert_eq!(s.last(), Some(&outcome));
        }
    }
}

//! `--max-cps` as the provider counts it: every request that creates a
//! call, a retry after `429` included, is spaced from the request before
//! it. The real `numdialer-server` binary dials through `--dialer twilio`
//! into a stand-in for Twilio's Calls resource that turns the first
//! request away with `429` and `Retry-After: 1` and takes every other, and
//! the stand-in judges the gaps by when each request reached it.

use crate::helpers::{DEADLINE, client, free_port, start_calls, start_server, statuses, wait_for};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use numdialer_core::protocol::twilio;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// One call-creating request the stand-in received: when, to whom, and
/// what it answered.
#[derive(Debug, Clone)]
struct Received {
    at: Instant,
    to: String,
    answer: u16,
}

#[derive(Default)]
struct StandIn {
    received: Mutex<Vec<Received>>,
}

/// `POST .../Calls.json`: the first answered `429` with `Retry-After: 1`,
/// as an account over its rate is, every later one `201` with a sid.
async fn create_call(State(s): State<Arc<StandIn>>, body: Bytes) -> Response {
    let fields = twilio::parse_form(&body);
    let to = twilio::field(&fields, "To").unwrap_or_default().to_string();
    let mut received = s.received.lock().unwrap();
    let n = received.len();
    let answer = if n == 0 { 429 } else { 201 };
    received.push(Received {
        at: Instant::now(),
        to,
        answer,
    });
    if n == 0 {
        let error = serde_json::json!({
            "code": 20429, "message": "Too Many Requests", "status": 429
        });
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "1")],
            axum::Json(error),
        )
            .into_response();
    }
    let call = serde_json::json!({"sid": format!("CA{n:032x}"), "status": "queued"});
    (StatusCode::CREATED, axum::Json(call)).into_response()
}

/// The stand-in on a loopback port, with its log.
async fn stand_in() -> (String, Arc<StandIn>) {
    let state = Arc::new(StandIn::default());
    let app = Router::new()
        .route("/2010-04-01/Accounts/{sid}/Calls.json", post(create_call))
        .route("/2010-04-01/Accounts/{file}", get(|| async { "{}" }))
        .with_state(state.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await });
    (url, state)
}

/// The defect this guards against, measured from outside: the retried
/// request and the next entry's first one reached Twilio 8 ms apart,
/// because the gate was taken once per dial, before the client's retry.
#[tokio::test]
async fn a_retry_after_429_is_paced_like_any_request() {
    let (url, stand_in) = stand_in().await;
    let dir = tempfile::tempdir().unwrap();
    let list = ["13018040001", "13018040002", "13018040003"];
    let numbers = dir.path().join("numbers.txt");
    std::fs::write(&numbers, list.join("\n")).unwrap();
    let data = dir.path().join("data");
    let listen = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let args = [
        "--dialer",
        "twilio",
        "--dialer-url",
        &url,
        "--twilio-account-sid",
        "AC0123456789abcdef0123456789abcdef",
        "--twilio-auth-token",
        "the-auth-token",
        "--from",
        "+15005550006",
        "--max-cps",
        "1",
        "--numbers-file",
        numbers.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
    ];
    let server = start_server(listen, &args, &dir.path().join("server.log")).await;
    let http = client();
    assert_eq!(start_calls(&http, server.base()).await, 202);
    // Once every entry holds its call's sid, the server has nothing left
    // to send: the stand-in's log is complete.
    wait_for("every entry to be placed", DEADLINE, || async {
        let s = statuses(&http, server.base()).await?;
        s.calls.iter().all(|c| c.id.is_some()).then_some(())
    })
    .await;
    let received = stand_in.received.lock().unwrap().clone();
    let answers: Vec<u16> = received.iter().map(|r| r.answer).collect();
    assert_eq!(answers, [429, 201, 201, 201]);
    let to: Vec<&str> = received.iter().map(|r| r.to.as_str()).collect();
    let first = format!("+{}", list[0]);
    let placed: Vec<String> = list.iter().map(|p| format!("+{p}")).collect();
    assert_eq!(to[0], first, "the first dial was turned away");
    assert_eq!(to[1..], placed, "then each number placed once, in order");
    let gaps: Vec<f64> = received
        .windows(2)
        .map(|w| w[1].at.duration_since(w[0].at).as_secs_f64())
        .collect();
    for (i, gap) in gaps.iter().enumerate() {
        assert!(
            *gap >= 0.95,
            "requests {i} and {} reached the provider {gap:.3} s apart at --max-cps 1: {gaps:?}",
            i + 1
        );
    }
}

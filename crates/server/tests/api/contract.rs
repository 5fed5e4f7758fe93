//! The HTTP contract of docs/api.md, in process: every route's status codes
//! and JSON shapes, bad input on every route (always a 4xx with a JSON
//! `{"error"}` body, and the state unchanged), and the API token.

use crate::helpers::*;
use numdialer_core::api::{ErrorBody, StatusesResponse};
use std::collections::BTreeSet;

const JSON: (&str, &str) = ("content-type", "application/json");

/// Checks a JSON error answer and returns its message.
fn expect_error(a: &Answer, code: u16) -> String {
    let text = String::from_utf8_lossy(&a.body);
    assert_eq!(a.status, code, "body: {text}");
    assert_eq!(a.headers["content-type"], "application/json", "{text}");
    let body: ErrorBody =
        serde_json::from_slice(&a.body).unwrap_or_else(|_| panic!("not JSON: {text}"));
    assert!(!body.error.is_empty());
    body.error
}

/// Compares snapshots without their clock.
fn without_clock(mut s: StatusesResponse) -> StatusesResponse {
    s.now = numdialer_core::Timestamp(0);
    s
}

fn keys(v: &serde_json::Value) -> BTreeSet<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

#[tokio::test]
async fn every_route_answers_bad_input_with_a_json_4xx() {
    let app = InProcess::new(None);
    let before = app.statuses().await;
    let wh = "/webhooks/0123456789abcdef0123456789abcdef";

    expect_error(&app.call("GET", "/calls/abc", &[]).await, 400);
    expect_error(&app.call("GET", "/calls/-1", &[]).await, 400);
    expect_error(
        &app.call("GET", "/calls/18446744073709551616", &[]).await,
        400,
    );
    let e = expect_error(&app.call("GET", "/calls/9", &[]).await, 404);
    assert_eq!(e, "no entry at index 9");

    let ringing = r#"{"id":1,"status":"ringing"}"#;
    expect_error(&app.call_with("POST", wh, &[], ringing).await, 415);
    for (body, code) in [
        ("{not json", 400),
        ("", 400),
        (r#"{"id":"1","status":"ringing"}"#, 422),
        (r#"{"id":-5,"status":"ringing"}"#, 422),
        (r#"{"id":1.5,"status":"ringing"}"#, 422),
        (r#"{"id":99999999999999999999999,"status":"ringing"}"#, 422),
        (r#"{"id":1,"status":"busy"}"#, 422),
        (r#"{"id":1,"status":"failed"}"#, 422),
        (r#"{"id":1}"#, 422),
        (r#"[1,"ringing"]"#, 422),
    ] {
        expect_error(&app.call_with("POST", wh, &[JSON], body).await, code);
    }
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let a = app.call_with("POST", wh, &[JSON], deep).await;
    assert!((400..500).contains(&a.status), "{}", a.status);
    let huge = format!(
        r#"{{"id":1,"status":"ringing","pad":"{}"}}"#,
        "x".repeat(70_000)
    );
    expect_error(&app.call_with("POST", wh, &[JSON], huge).await, 413);
    let e = expect_error(&app.call_with("POST", wh, &[JSON], ringing).await, 404);
    assert_eq!(e, "unknown webhook token");
    let long_token = format!("/webhooks/{}", "z".repeat(5000));
    expect_error(
        &app.call_with("POST", &long_token, &[JSON], ringing).await,
        404,
    );
    expect_error(
        &app.call_with("POST", "/webhooks/%FF%FE", &[JSON], ringing)
            .await,
        400,
    );

    expect_error(&app.call("GET", "/nope", &[]).await, 404);
    expect_error(&app.call("DELETE", "/calls", &[]).await, 405);
    expect_error(&app.call("GET", "/webhooks/abc", &[]).await, 405);
    expect_error(&app.call("POST", "/statuses", &[]).await, 405);

    let after = app.statuses().await;
    assert_eq!(without_clock(after), without_clock(before));
}

#[tokio::test]
async fn statuses_and_calls_answer_the_documented_shapes() {
    let app = InProcess::new(None);
    let a = app.call("GET", "/statuses", &[]).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.headers["content-type"], "application/json");
    let v = a.json();
    let etag = format!("\"{}\"", v["version"]);
    assert_eq!(a.headers["etag"], etag.as_str());
    assert_eq!(
        keys(&v),
        BTreeSet::from([
            "version",
            "started",
            "finished",
            "concurrency",
            "active",
            "now",
            "calls"
        ])
    );
    assert_eq!(
        (v["started"].clone(), v["concurrency"].clone()),
        (false.into(), 3.into())
    );
    let calls = v["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 9);
    assert_eq!(
        calls[0],
        serde_json::json!({"index": 0, "phone": "13018040009", "status": "idle",
            "id": null, "updated_at": null})
    );
    let same = app
        .call("GET", "/statuses", &[("if-none-match", &etag)])
        .await;
    assert_eq!(same.status, 304);
    assert!(same.body.is_empty());

    let d = app.call("GET", "/calls/8", &[]).await;
    assert_eq!(d.status, 200);
    let d = d.json();
    assert_eq!(d["index"], 8);
    assert_eq!(d["phone"], "19362072765");
    assert_eq!(d["history"], serde_json::json!([]));
    assert_eq!(d["dialed_at"], serde_json::Value::Null);
}

#[tokio::test]
async fn post_calls_starts_once() {
    let app = InProcess::new(None);
    let a = app.call("POST", "/calls", &[]).await;
    assert_eq!(a.status, 202);
    assert_eq!(a.json(), serde_json::json!({"started": true}));
    let e = expect_error(&app.call("POST", "/calls", &[]).await, 409);
    assert!(e.contains("already started"), "{e}");
    assert!(app.statuses().await.started);
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = InProcess::new(None);
    let a = app.call("GET", "/healthz", &[]).await;
    assert_eq!((a.status, a.json()), (200, serde_json::json!({"ok": true})));
    // No driver, so the dialer API was never contacted: not ready.
    let r = app.call("GET", "/readyz", &[]).await;
    assert_eq!(r.status, 503);
    assert_eq!(
        r.json(),
        serde_json::json!({"ready": false, "store": "ok", "dialer_api": "not contacted yet"})
    );
    let m = app.call("GET", "/metrics", &[]).await;
    assert_eq!(m.status, 200);
    assert_eq!(
        m.headers["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = String::from_utf8(m.body).unwrap();
    assert!(
        text.contains("numdialer_entries{status=\"idle\"} 9\n"),
        "{text}"
    );
}

#[tokio::test]
async fn the_api_token_guards_the_operator_routes() {
    let app = InProcess::new(Some("s3cret"));
    expect_error(&app.call("GET", "/statuses", &[]).await, 401);
    let wrong = [("authorization", "Bearer wrong")];
    expect_error(&app.call("GET", "/statuses", &wrong).await, 401);
    expect_error(&app.call("GET", "/calls/0", &[]).await, 401);
    expect_error(&app.call("GET", "/metrics", &[]).await, 401);
    expect_error(&app.call("POST", "/calls", &[]).await, 401);
    let bare = [("authorization", "s3cret")];
    expect_error(&app.call("POST", "/calls", &bare).await, 401);
    let right = [("authorization", "Bearer s3cret")];
    let a = app.call("GET", "/statuses", &right).await;
    assert_eq!(a.status, 200);
    let s: StatusesResponse = serde_json::from_slice(&a.body).unwrap();
    assert!(!s.started, "refused starts changed nothing");
    // Health and webhooks are not behind the token.
    assert_eq!(app.call("GET", "/healthz", &[]).await.status, 200);
    let ringing = r#"{"id":1,"status":"ringing"}"#;
    let wh = app
        .call_with("POST", "/webhooks/abc", &[JSON], ringing)
        .await;
    assert_eq!(wh.status, 404, "reached the webhook route without a token");
    assert_eq!(app.call("POST", "/calls", &right).await.status, 202);
}

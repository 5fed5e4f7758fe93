//! Bad input on every route: always a 4xx with a JSON `{"error"}` body, and
//! the state unchanged.

use crate::helpers::*;
use numdialer_core::api::ErrorBody;
use reqwest::{Method, RequestBuilder};

async fn expect_error(req: RequestBuilder, code: u16) -> String {
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let ct = r.headers().get("content-type").cloned();
    let text = r.text().await.unwrap();
    assert_eq!(status, code, "body: {text}");
    assert_eq!(ct.unwrap(), "application/json", "{text}");
    let body: ErrorBody =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    assert!(!body.error.is_empty());
    body.error
}

#[tokio::test]
async fn every_route_answers_bad_input_with_a_json_4xx() {
    let h = Harness::start(fast_sim(), |_| {}).await;
    let before = h.statuses().await;
    let c = &h.http;
    let wh = h.url("/webhooks/0123456789abcdef0123456789abcdef");

    expect_error(c.get(h.url("/calls/abc")), 400).await;
    expect_error(c.get(h.url("/calls/-1")), 400).await;
    expect_error(c.get(h.url("/calls/18446744073709551616")), 400).await;
    let e = expect_error(c.get(h.url("/calls/9")), 404).await;
    assert_eq!(e, "no entry at index 9");

    expect_error(c.post(&wh).body(r#"{"id":1,"status":"ringing"}"#), 415).await;
    let json = |b: &'static str| {
        c.post(&wh)
            .header("content-type", "application/json")
            .body(b)
    };
    expect_error(json("{not json"), 400).await;
    expect_error(json(""), 400).await;
    expect_error(json(r#"{"id":"1","status":"ringing"}"#), 422).await;
    expect_error(json(r#"{"id":-5,"status":"ringing"}"#), 422).await;
    expect_error(json(r#"{"id":1.5,"status":"ringing"}"#), 422).await;
    expect_error(
        json(r#"{"id":99999999999999999999999,"status":"ringing"}"#),
        422,
    )
    .await;
    expect_error(json(r#"{"id":1,"status":"busy"}"#), 422).await;
    expect_error(json(r#"{"id":1,"status":"failed"}"#), 422).await;
    expect_error(json(r#"{"id":1}"#), 422).await;
    expect_error(json(r#"[1,"ringing"]"#), 422).await;
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let r = c
        .post(&wh)
        .header("content-type", "application/json")
        .body(deep)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
    let huge = format!(
        r#"{{"id":1,"status":"ringing","pad":"{}"}}"#,
        "x".repeat(70_000)
    );
    expect_error(
        c.post(&wh)
            .header("content-type", "application/json")
            .body(huge),
        413,
    )
    .await;
    let e = expect_error(json(r#"{"id":1,"status":"ringing"}"#), 404).await;
    assert_eq!(e, "unknown webhook token");
    let long_token = h.url(&format!("/webhooks/{}", "z".repeat(5000)));
    expect_error(
        c.post(long_token)
            .json(&serde_json::json!({"id":1,"status":"ringing"})),
        404,
    )
    .await;
    expect_error(
        c.post(h.url("/webhooks/%FF%FE"))
            .json(&serde_json::json!({"id":1,"status":"ringing"})),
        400,
    )
    .await;

    expect_error(c.get(h.url("/nope")), 404).await;
    expect_error(c.request(Method::DELETE, h.url("/calls")), 405).await;
    expect_error(c.get(h.url("/webhooks/abc")), 405).await;
    expect_error(c.post(h.url("/statuses")), 405).await;

    let after = h.statuses().await;
    assert_eq!(after, StatusesView(before).with_now(after.now));
    assert!(h.sim.dials().is_empty());
}

/// Compares snapshots without their clock.
struct StatusesView(numdialer_core::api::StatusesResponse);
impl StatusesView {
    fn with_now(mut self, now: numdialer_core::Timestamp) -> numdialer_core::api::StatusesResponse {
        self.0.now = now;
        self.0
    }
}

#[tokio::test]
async fn the_api_token_guards_the_operator_routes() {
    let h = Harness::start(fast_sim(), |c| c.http.api_token = Some("s3cret".into())).await;
    let c = &h.http;
    expect_error(c.get(h.url("/statuses")), 401).await;
    expect_error(c.get(h.url("/statuses")).bearer_auth("wrong"), 401).await;
    expect_error(c.get(h.url("/calls/0")), 401).await;
    expect_error(c.post(h.url("/calls")), 401).await;
    expect_error(
        c.post(h.url("/calls")).header("authorization", "s3cret"),
        401,
    )
    .await;
    let r = c
        .get(h.url("/statuses"))
        .bearer_auth("s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let s: numdialer_core::api::StatusesResponse = r.json().await.unwrap();
    assert!(!s.started, "refused starts changed nothing");
    assert!(h.sim.dials().is_empty());
    // Health and webhooks are not behind the token.
    assert_eq!(c.get(h.url("/healthz")).send().await.unwrap().status(), 200);
    let r = c
        .post(h.url("/calls"))
        .bearer_auth("s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
}

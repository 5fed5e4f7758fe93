//! Conditional, delta and long polling of `GET /statuses`.

use crate::helpers::*;
use numdialer_core::api::StatusesResponse;
use std::time::Duration;

async fn get(h: &Harness, query: &str, known: Option<u64>) -> reqwest::Response {
    let mut req = h.http.get(h.url(&format!("/statuses{query}")));
    if let Some(v) = known {
        req = req.header("if-none-match", format!("\"{v}\""));
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn etag_and_304() {
    let h = Harness::start(fast_sim(), |_| {}).await;
    let r = get(&h, "", None).await;
    let tag = r.headers()["etag"].to_str().unwrap().to_string();
    assert!(r.headers().contains_key("server-timing"));
    let s: StatusesResponse = r.json().await.unwrap();
    assert_eq!(tag, format!("\"{}\"", s.version));
    let r = get(&h, "", Some(s.version)).await;
    assert_eq!(r.status(), 304);
    assert_eq!(r.headers()["etag"].to_str().unwrap(), tag);
    assert!(r.bytes().await.unwrap().is_empty());
    h.start_calls().await;
    let r = get(&h, "", Some(s.version)).await;
    assert_eq!(r.status(), 200, "changed since");
}

#[tokio::test]
async fn since_answers_only_what_changed() {
    let h = Harness::start(fast_sim(), |_| {}).await;
    let full = h.statuses().await;
    let mut mirror = full.clone();
    h.start_calls().await;
    let done = h.wait_finished().await;
    let r = get(&h, &format!("?since={}", full.version), None).await;
    let delta: StatusesResponse = r.json().await.unwrap();
    assert_eq!(delta.since, Some(full.version));
    assert_eq!(delta.calls.len(), 9);
    mirror.apply_delta(delta);
    assert_eq!(mirror.calls, done.calls);
    let r = get(&h, &format!("?since={}", done.version), None).await;
    let none: StatusesResponse = r.json().await.unwrap();
    assert!(none.calls.is_empty() && none.finished);
}

#[tokio::test]
async fn a_long_poll_returns_as_soon_as_something_changes() {
    let h = Harness::start(fast_sim(), |_| {}).await;
    let v = h.statuses().await.version;
    let poll = {
        let (http, url) = (
            h.http.clone(),
            h.url(&format!("/statuses?since={v}&wait=30")),
        );
        tokio::spawn(async move {
            http.get(url)
                .send()
                .await
                .unwrap()
                .json::<StatusesResponse>()
                .await
                .unwrap()
        })
    };
    // Still waiting: nothing has changed.
    tokio::task::yield_now().await;
    assert!(!poll.is_finished());
    h.start_calls().await;
    // Well before the 30 s wait ends, the poll answers with the change.
    let s = tokio::time::timeout(Duration::from_secs(20), poll)
        .await
        .expect("woken by the change")
        .unwrap();
    assert!(s.started && s.version > v);

    // Nothing changing: a conditional long poll ends in 304 after its wait.
    let done = h.wait_finished().await;
    let r = get(&h, "?wait=0.2", Some(done.version)).await;
    assert_eq!(r.status(), 304);
}

#[tokio::test]
async fn bad_polling_parameters_are_400() {
    let h = Harness::start(fast_sim(), |_| {}).await;
    for q in [
        "?since=-1",
        "?since=x",
        "?wait=abc",
        "?wait=-1",
        "?wait=NaN",
        "?bogus=1",
    ] {
        let r = get(&h, q, None).await;
        assert_eq!(r.status(), 400, "{q}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert!(body["error"].is_string(), "{q}");
    }
}

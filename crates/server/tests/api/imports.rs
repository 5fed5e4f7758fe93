//! Imports under misuse: an `Idempotency-Key` reused for another list,
//! the caps on what one import and one server hold, and numbers that the
//! dialer API cannot take. Each refusal stores nothing.

use crate::helpers::*;
use numdialer_core::api::{CampaignSummary, CampaignsResponse};
use reqwest::StatusCode;
use std::time::{SystemTime, UNIX_EPOCH};

async fn post(
    h: &Harness,
    content_type: &str,
    query: &str,
    body: impl Into<reqwest::Body>,
    key: Option<&str>,
) -> (StatusCode, serde_json::Value) {
    let mut req = h
        .http
        .post(h.url(&format!("/campaigns{query}")))
        .header("content-type", content_type)
        .body(body);
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    let r = req.send().await.unwrap();
    (r.status(), r.json().await.unwrap())
}

/// Every campaign's id and size, for "nothing was stored".
async fn held(h: &Harness) -> Vec<(u64, usize)> {
    let r = h.http.get(h.url("/campaigns")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let list: CampaignsResponse = r.json().await.unwrap();
    list.campaigns.iter().map(|c| (c.id, c.total)).collect()
}

fn id_of(body: &serde_json::Value) -> u64 {
    body["id"].as_u64().unwrap_or_else(|| panic!("{body}"))
}

#[tokio::test]
async fn a_key_reused_for_another_list_is_refused_and_stores_nothing() {
    let h = Harness::start(fast_sim(), |_| {}).await;
    let list = "phone,name\n+13018040600,Ada\n+13018040601,Bo\n";
    let (code, first) = post(&h, "text/csv", "?name=a", list, Some("k1")).await;
    assert_eq!(code, 201, "{first}");
    let id = id_of(&first);
    let before = held(&h).await;

    let json =
        |name: &str| serde_json::json!({"name": name, "numbers": ["+13018040600"]}).to_string();
    let (code, json_first) = post(&h, "application/json", "", json("j"), Some("k2")).await;
    assert_eq!(code, 201, "{json_first}");
    let json_id = id_of(&json_first);
    let before_json = held(&h).await;
    assert_eq!(before_json.len(), before.len() + 1);

    for (content_type, query, body, key, of) in [
        (
            "text/csv",
            "?name=a",
            "phone\n+13018040602\n".to_string(),
            "k1",
            id,
        ),
        ("text/csv", "?name=b", list.to_string(), "k1", id),
        ("text/csv", "?name=a&start=true", list.to_string(), "k1", id),
        (
            "text/plain",
            "?name=a",
            "+13018040600\n+13018040601\n".to_string(),
            "k1",
            id,
        ),
        ("application/json", "", json("other"), "k2", json_id),
    ] {
        let (code, body) = post(&h, content_type, query, body, Some(key)).await;
        assert_eq!(code, 422, "{content_type} {query}: {body}");
        let error = body["error"].as_str().unwrap();
        assert!(
            error.contains(&format!("Idempotency-Key \"{key}\""))
                && error.contains(&format!("campaign {of}"))
                && error.contains("nothing was stored"),
            "{error}"
        );
        assert_eq!(held(&h).await, before_json, "{content_type} {query}");
    }

    // The same upload again is the first campaign, as before.
    let (code, again) = post(&h, "text/csv", "?name=a", list, Some("k1")).await;
    assert_eq!(code, 200, "{again}");
    assert_eq!(id_of(&again), id);
    assert_eq!(again["total"], 2);
    let (code, again) = post(&h, "application/json", "", json("j"), Some("k2")).await;
    assert_eq!((code, id_of(&again)), (StatusCode::OK, json_id));
    assert_eq!(held(&h).await, before_json);

    // No id was spent on the refusals: the next campaign takes the next.
    let (code, next) = post(&h, "text/csv", "", "phone\n+13018040603\n", Some("k3")).await;
    assert_eq!(code, 201, "{next}");
    assert_eq!(id_of(&next), json_id + 1);
}

#[tokio::test]
async fn campaign_one_of_a_new_directory_is_created_now() {
    let before = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let h = Harness::start(fast_sim(), |_| {}).await;
    let after = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let r = h.http.get(h.url("/campaigns/1")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let c: CampaignSummary = r.json().await.unwrap();
    let created = u128::from(c.created_at.millis());
    assert!(
        created + 1000 >= before.as_millis() && created <= after.as_millis() + 1000,
        "created_at {} for a directory made between {} and {} ms",
        c.created_at,
        before.as_millis(),
        after.as_millis()
    );
    // And the same after a restart: it was stored so.
    let (sim, dir) = h.stop_keeping().await;
    let h = Harness::reopen(sim, dir, |_| {}).await;
    let r = h.http.get(h.url("/campaigns/1")).send().await.unwrap();
    let again: CampaignSummary = r.json().await.unwrap();
    assert_eq!(again.created_at, c.created_at);
}

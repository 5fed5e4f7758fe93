//! Imports under misuse: an `Idempotency-Key` reused for another list,
//! the caps on what one import and one server hold, and numbers that the
//! dialer API cannot take. Each refusal stores nothing.

use crate::helpers::*;
use numdialer_core::api::{CampaignSummary, CampaignsResponse, StatusesResponse};
use numdialer_core::{CampaignState, Outcome, Status};
use numdialer_server::provider::Accepts;
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

/// UK mobiles: valid numbers that the numDialer API does not take.
const UK: [&str; 3] = ["+447911123456", "+447911123457", "+447400123456"];

/// Imports `UK` (with retries on failure), starts it, and waits until it
/// is over; the import's answer and the final statuses.
async fn dial_uk(h: &Harness) -> (serde_json::Value, StatusesResponse) {
    let list = format!("phone\n{}\n", UK.join("\n"));
    let query = "?name=uk&start=true&max_attempts=3&retry_delay=0&retry_on=failed";
    let (code, created) = post(h, "text/csv", query, list, None).await;
    assert_eq!(code, 201, "{created}");
    let id = id_of(&created);
    let done = wait_for("the UK campaign to end", DEADLINE, || async {
        let r = h
            .http
            .get(h.url(&format!("/campaigns/{id}/statuses")))
            .send()
            .await
            .unwrap();
        let s: StatusesResponse = r.json().await.unwrap();
        (s.campaign.as_ref().unwrap().state == CampaignState::Done).then_some(s)
    })
    .await;
    (created, done)
}

/// Every entry failed on its first attempt, never waiting for a retry,
/// with a reason that says what the dialer API takes.
fn assert_failed_once(s: &StatusesResponse, says: &[&str]) {
    assert_eq!(s.calls.len(), UK.len());
    for c in &s.calls {
        assert_eq!(c.status, Status::Failed, "{c:?}");
        assert_eq!(c.outcome, Some(Outcome::Failed), "{c:?}");
        assert_eq!(c.attempt, 1, "never retried: {c:?}");
        let reason = c.reason.as_deref().unwrap_or_default();
        for s in says {
            assert!(reason.contains(s), "{reason:?} lacks {s:?}");
        }
    }
}

#[tokio::test]
async fn numbers_the_dialer_api_does_not_take_warn_and_fail_unsent() {
    let h = Harness::start(fast_sim(), |c| {
        c.provider.dialer_accepts = Some(Accepts::numdialer());
    })
    .await;
    let (created, done) = dial_uk(&h).await;
    assert_eq!(created["warning_count"], UK.len(), "{created}");
    let warnings = created["warnings"].as_array().unwrap();
    let lines: Vec<u64> = warnings
        .iter()
        .map(|w| w["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [2, 3, 4], "one warning a line, the header is line 1");
    for w in warnings {
        let text = w["warning"].as_str().unwrap();
        assert!(text.contains("+1 numbers only"), "{text}");
    }
    assert_failed_once(&done, &["not sent", "+1 numbers only"]);
    assert!(h.sim.dials().is_empty(), "no POST /call was sent");
}

#[tokio::test]
async fn the_apis_expected_a_valid_phone_is_final() {
    // An API of one's own, said to take anything: its own refusal is final.
    let h = Harness::start(fast_sim(), |_| {}).await;
    let (created, done) = dial_uk(&h).await;
    assert_eq!(created["warning_count"], 0, "{created}");
    assert_failed_once(&done, &["Expected a valid phone"]);
    assert_eq!(
        h.sim.dials().len(),
        UK.len(),
        "one POST /call each, no retry"
    );
}

#[tokio::test]
async fn the_embedded_simulator_says_it_takes_plus_one_numbers_only() {
    let h = Harness::start(fast_sim(), |c| {
        c.provider.dialer_url = None;
        c.provider.sim = fast_sim();
    })
    .await;
    let list = format!("+13018040009\n{}\n", UK[0]);
    let (code, created) = post(&h, "text/plain", "", list, None).await;
    assert_eq!(code, 201, "{created}");
    assert_eq!(created["warning_count"], 1, "{created}");
    assert_eq!(created["warnings"][0]["line"], 2);
    let text = created["warnings"][0]["warning"].as_str().unwrap();
    assert!(text.contains("+1 numbers only"), "{text}");
}

/// Asserts a refused import: `code`, an error saying `says`, and the
/// campaigns exactly as `before`.
async fn assert_refused(
    h: &Harness,
    before: &[(u64, usize)],
    (content_type, query, body): (&str, &str, String),
    says: &str,
) {
    let (code, answer) = post(h, content_type, query, body, None).await;
    assert_eq!(code, 422, "{content_type} {query}: {answer}");
    let error = answer["error"].as_str().unwrap();
    assert!(error.contains(says), "{error:?} lacks {says:?}");
    assert_eq!(held(h).await, before, "nothing stored");
}

#[tokio::test]
async fn each_cap_on_an_import_answers_422_and_stores_nothing() {
    let h = Harness::start(fast_sim(), |_| {}).await;
    let before = held(&h).await;
    let wide = |columns: usize| {
        let header: Vec<String> = std::iter::once("phone".to_string())
            .chain((1..columns).map(|i| format!("c{i}")))
            .collect();
        let row: Vec<&str> = std::iter::once("+13018040009")
            .chain((1..columns).map(|_| "x"))
            .collect();
        format!("{}\n{}\n", header.join(","), row.join(","))
    };
    let long = "a".repeat(1025);
    for (request, says) in [
        (
            ("text/csv", "", wide(101)),
            "the header has 101 columns; an import takes at most 100",
        ),
        (
            (
                "text/csv",
                "",
                format!("phone,name\n+13018040009,ok\n+13018040010,{long}\n"),
            ),
            "line 3: column \"name\" holds 1025 bytes; a value holds at most 1024 bytes",
        ),
        (
            ("text/plain", "", format!("+13018040009\n{long}\n")),
            "line 2: the line holds 1025 bytes",
        ),
        (
            (
                "application/json",
                "",
                serde_json::json!({"entries": [{"phone": "+13018040009", "name": long}]})
                    .to_string(),
            ),
            "item 1: its name holds 1025 bytes",
        ),
        (
            (
                "text/csv",
                &*format!("?name={}", "n".repeat(201)),
                "phone\n+13018040009\n".to_string(),
            ),
            "the name is 201 characters long; a campaign name has at most 200",
        ),
        (
            (
                "application/json",
                "",
                serde_json::json!({"name": "n".repeat(201), "numbers": ["+13018040009"]})
                    .to_string(),
            ),
            "at most 200",
        ),
    ] {
        assert_refused(&h, &before, request, says).await;
    }
    // At the caps, the import is taken.
    let (code, answer) = post(&h, "text/csv", "", wide(100), None).await;
    assert_eq!(code, 201, "{answer}");
    let at_cap = format!("phone,name\n+13018040009,{}\n", "a".repeat(1024));
    let (code, answer) = post(&h, "text/csv", "", at_cap, None).await;
    assert_eq!(code, 201, "{answer}");
}

#[tokio::test]
async fn a_full_server_refuses_new_campaigns_until_one_is_deleted() {
    let h = Harness::start(fast_sim(), |c| c.store.max_campaigns = 3).await;
    let list = |n: u32| format!("phone\n+1301804{n:04}\n");
    let (code, _) = post(&h, "text/csv", "", list(1), Some("a")).await;
    assert_eq!(code, 201);
    let (code, second) = post(&h, "text/csv", "", list(2), None).await;
    assert_eq!(code, 201);
    let full = held(&h).await;
    assert_eq!(full.len(), 3, "campaign 1 and two imports");
    assert_refused(
        &h,
        &full,
        ("text/csv", "", list(3)),
        "this server holds 3 campaigns, its most (--max-campaigns)",
    )
    .await;
    // A retried upload is still answered: it adds nothing.
    let (code, again) = post(&h, "text/csv", "", list(1), Some("a")).await;
    assert_eq!(code, 200, "{again}");
    let r = h
        .http
        .delete(h.url(&format!("/campaigns/{}", id_of(&second))))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (code, answer) = post(&h, "text/csv", "", list(3), None).await;
    assert_eq!(code, 201, "{answer}");
}

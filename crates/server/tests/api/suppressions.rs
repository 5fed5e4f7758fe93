//! Do-not-call lists over real HTTP: a number suppressed while its
//! campaign runs is never dialed after the 2xx (judged from the server's
//! record and the simulator's own log), in either scope and by prefix;
//! bad input is refused and stores nothing; a removal leaves its
//! tombstone.

use crate::helpers::*;
use numdialer_core::api::StatusesResponse;
use numdialer_core::{Outcome, Status};
use numdialer_server::provider::simulator::SimConfig;
use reqwest::StatusCode;
use std::time::Duration;

async fn json(r: reqwest::Response) -> (StatusCode, serde_json::Value) {
    let code = r.status();
    (code, r.json().await.unwrap_or(serde_json::Value::Null))
}

async fn suppress(h: &Harness, body: serde_json::Value) -> (StatusCode, serde_json::Value) {
    json(
        h.http
            .post(h.url("/suppressions"))
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn listed(h: &Harness) -> serde_json::Value {
    let (code, page) = json(h.http.get(h.url("/suppressions")).send().await.unwrap()).await;
    assert_eq!(code, 200, "{page}");
    page
}

#[tokio::test]
async fn a_number_suppressed_mid_run_is_never_dialed_after_the_answer() {
    // About a second a call: the list takes several seconds, so the late
    // entries are still idle when their numbers are suppressed.
    let h = Harness::start(
        SimConfig {
            time_scale: 0.2,
            seed: Some(11),
            ..SimConfig::default()
        },
        |_| {},
    )
    .await;
    // 24 numbers of one exchange, then 6 of another (a prefix to stop).
    let numbers: Vec<String> = (0..24)
        .map(|i| format!("+1301804{:04}", 600 + i))
        .chain((0..6).map(|i| format!("+1301805{:04}", 700 + i)))
        .collect();
    let (code, created) = json(
        h.http
            .post(h.url("/campaigns?name=dnc&start=true"))
            .header("content-type", "text/plain")
            .body(numbers.join("\n"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(code, 201, "{created}");
    let id = created["id"].as_u64().unwrap();
    wait_for("the first dials", Duration::from_secs(30), || async {
        (!h.sim.dials().is_empty()).then_some(())
    })
    .await;

    let (code, body) = suppress(
        &h,
        serde_json::json!({"phone": numbers[20], "reason": "asked on the phone"}),
    )
    .await;
    assert_eq!(code, 201, "{body}");
    let (code, body) = suppress(
        &h,
        serde_json::json!({"phone": "+1 301-805*", "scope": id, "source": "manual"}),
    )
    .await;
    assert_eq!(code, 201, "{body}");
    // Another campaign's list stops nothing here.
    let (code, body) = suppress(&h, serde_json::json!({"phone": numbers[22], "scope": 1})).await;
    assert_eq!(code, 201, "{body}");
    let dialed_at_answer: Vec<String> = h.sim.dials().into_iter().map(|d| d.phone).collect();
    let stopped: Vec<&String> = std::iter::once(&numbers[20])
        .chain(&numbers[24..])
        .collect();
    for n in &stopped {
        assert!(
            !dialed_at_answer.contains(&n.trim_start_matches('+').to_string()),
            "{n} was dialed before its suppression: the list ran too fast for this test"
        );
    }
    // Canceled at the answer, not only at their turn: the statuses say so
    // at once.
    let now: StatusesResponse = h
        .http
        .get(h.url(&format!("/campaigns/{id}/statuses")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for n in &stopped {
        let c = now
            .calls
            .iter()
            .find(|c| c.phone == n.trim_start_matches('+'))
            .unwrap();
        assert_eq!(
            (c.status, c.outcome),
            (Status::Canceled, Some(Outcome::Suppressed)),
            "{n} at the answer"
        );
    }
    let metrics = h.metrics().await;
    assert!(
        metrics.contains("numdialer_suppressed_total{when=\"dial\"} 7"),
        "{metrics}"
    );

    let done: StatusesResponse =
        wait_for("the campaign to end", Duration::from_secs(120), || async {
            let r = h
                .http
                .get(h.url(&format!("/campaigns/{id}/statuses")))
                .send()
                .await
                .ok()?;
            let s: StatusesResponse = r.json().await.ok()?;
            s.calls.iter().all(|c| c.status.is_final()).then_some(s)
        })
        .await;
    let dials: Vec<String> = h.sim.dials().into_iter().map(|d| d.phone).collect();
    for n in &stopped {
        let digits = n.trim_start_matches('+');
        assert!(!dials.iter().any(|d| d == digits), "{n} was dialed");
        let c = done.calls.iter().find(|c| c.phone == digits).unwrap();
        assert_eq!(
            (c.status, c.outcome, c.attempt),
            (Status::Canceled, Some(Outcome::Suppressed), 0),
            "{n}"
        );
        assert!(
            c.reason
                .as_deref()
                .is_some_and(|r| r.starts_with("on the do-not-call list")),
            "{c:?}"
        );
    }
    let n22 = numbers[22].trim_start_matches('+');
    assert_eq!(
        dials.iter().filter(|d| *d == n22).count(),
        1,
        "campaign 1's list does not stop campaign {id}"
    );
    assert_eq!(
        dials.len(),
        numbers.len() - stopped.len(),
        "each other number once"
    );
}

#[tokio::test]
async fn lists_are_read_checked_removed_with_a_reason_and_logged() {
    let h = Harness::start(fast_sim(), |_| {}).await;
    let (code, _) = suppress(&h, serde_json::json!({"phone": "+13018040009"})).await;
    assert_eq!(code, 201);
    let (code, check) = json(
        h.http
            .get(h.url("/suppressions?phone=%2B1%20301-804-0009"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(check["suppressed"], true, "{check}");
    assert_eq!(check["suppression"]["source"], "api");

    // Bad input: 4xx, and the list is as it was.
    let before = listed(&h).await;
    for (body, want) in [
        (serde_json::json!({"phone": "+1*"}), 422),
        (serde_json::json!({"phone": "+44*"}), 422),
        (serde_json::json!({"phone": "3018040009"}), 422),
        (
            serde_json::json!({"phone": "+13018040010", "scope": 99}),
            404,
        ),
        (
            serde_json::json!({"phone": "+13018040010", "scope": "all"}),
            400,
        ),
        (
            serde_json::json!({"phone": "+13018040010", "source": "crm"}),
            400,
        ),
    ] {
        let (code, answer) = suppress(&h, body.clone()).await;
        assert_eq!(code.as_u16(), want, "{body}: {answer}");
        assert!(answer["error"].is_string(), "{answer}");
    }
    for (query, text) in [
        ("?source=registry", "3018040009\n301,804001\n"),
        // Both lines are good, but one file is one download.
        (
            "?source=registry&registry_date=2026-11-30",
            "3018040009\n301,8040010\n",
        ),
        ("?source=registry&registry_date=2999-01-01", "3018040009\n"),
        ("", "+13018040011\nnot a number\n"),
    ] {
        let (code, answer) = json(
            h.http
                .post(h.url(&format!("/suppressions{query}")))
                .header("content-type", "text/plain")
                .body(text)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(code, 422, "{query}: {answer}");
    }
    assert_eq!(listed(&h).await, before, "nothing stored by a refusal");

    let (code, bulk) = json(
        h.http
            .post(h.url(
                "/suppressions?source=registry&registry_date=2026-11-30&reason=national%20registry",
            ))
            .header("content-type", "text/plain")
            .body("301,8040020\n301,8040021\n\n")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(code, 201, "{bulk}");
    assert_eq!(bulk["count"], 2);
    assert_eq!(bulk["audit"]["registry_date"], "2026-11-30");
    assert_eq!(listed(&h).await["items"].as_array().unwrap().len(), 3);

    let url = h.url("/suppressions/%2B13018040009");
    let (code, _) = json(h.http.delete(&url).send().await.unwrap()).await;
    assert_eq!(code, 422, "a removal needs a reason");
    let (code, removed) = json(
        h.http
            .delete(format!("{url}?reason=added%20by%20mistake"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(code, 200, "{removed}");
    let (code, _) = json(
        h.http
            .delete(format!("{url}?reason=again"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(code, 404);
    let (code, log) = json(h.http.get(h.url("/suppressions/log")).send().await.unwrap()).await;
    assert_eq!(code, 200);
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["add", "import", "remove"], "{log}");
    assert_eq!(log["items"][2]["reason"], "added by mistake");
}

#[tokio::test]
async fn an_import_counts_and_keeps_its_suppressed_entries_final_and_says_why() {
    let h = Harness::start(fast_sim(), |_| {}).await;
    let (code, body) = suppress(
        &h,
        serde_json::json!({"phone": "+13018040601", "reason": "asked"}),
    )
    .await;
    assert_eq!(code, 201, "{body}");
    let (code, body) = suppress(&h, serde_json::json!({"phone": "+1301805*"})).await;
    assert_eq!(code, 201, "{body}");
    // Campaign 1's own list does not apply to a new campaign.
    let (code, body) = suppress(&h, serde_json::json!({"phone": "+13018040602", "scope": 1})).await;
    assert_eq!(code, 201, "{body}");
    let numbers = [
        "+13018040600",
        "+13018040601",
        "+13018050700",
        "+13018040602",
        "+13018050701",
    ];
    let (code, created) = json(
        h.http
            .post(h.url("/campaigns?name=screened"))
            .header("content-type", "text/plain")
            .body(numbers.join("\n"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(code, 201, "{created}");
    assert_eq!(created["suppressed"], 3, "{created}");
    assert_eq!(created["outcomes"]["suppressed"], 3, "{created}");
    assert_eq!(created["counts"]["canceled"], 3, "{created}");
    let id = created["id"].as_u64().unwrap();
    for index in [1, 2, 4] {
        let (code, e) = json(
            h.http
                .get(h.url(&format!("/campaigns/{id}/calls/{index}")))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(code, 200, "{e}");
        assert_eq!(
            (&e["status"], &e["outcome"]),
            (&"canceled".into(), &"suppressed".into()),
            "{e}"
        );
        let why = e["history"][0]["note"].as_str().unwrap_or_default();
        assert!(why.starts_with("on the do-not-call list (global"), "{e}");
    }
    let metrics = h.metrics().await;
    assert!(
        metrics.contains("numdialer_suppressed_total{when=\"import\"} 3"),
        "{metrics}"
    );
    // Started, only the other two are dialed; and a restart keeps it so.
    let r = h
        .http
        .post(h.url(&format!("/campaigns/{id}/start")))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let done: serde_json::Value =
        wait_for("the campaign to end", Duration::from_secs(60), || async {
            let r = h
                .http
                .get(h.url(&format!("/campaigns/{id}")))
                .send()
                .await
                .ok()?;
            let s: serde_json::Value = r.json().await.ok()?;
            (s["state"] == "done").then_some(s)
        })
        .await;
    assert_eq!(done["outcomes"]["suppressed"], 3, "{done}");
    let mut dialed: Vec<String> = h.sim.dials().into_iter().map(|d| d.phone).collect();
    dialed.sort();
    assert_eq!(dialed, vec!["13018040600", "13018040602"]);
    let (sim, dir) = h.stop_keeping().await;
    let h = Harness::reopen(sim, dir, |_| {}).await;
    let (code, e) = json(
        h.http
            .get(h.url(&format!("/campaigns/{id}/calls/1")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(code, 200, "{e}");
    assert_eq!(e["outcome"], "suppressed", "{e}");
    assert!(
        e["history"][0]["note"]
            .as_str()
            .is_some_and(|n| n.contains("asked")),
        "{e}"
    );
}

#[tokio::test]
async fn the_export_holds_every_suppression_one_a_row_past_a_page() {
    let h = Harness::start(fast_sim(), |_| {}).await;
    let (code, body) = suppress(
        &h,
        serde_json::json!({"phone": "+1301805*", "reason": "=HYPERLINK(\"x\")", "actor": "ops"}),
    )
    .await;
    assert_eq!(code, 201, "{body}");
    // More than a page of the export's reads.
    let numbers: Vec<String> = (0..5_000).map(|i| format!("+1301804{i:04}")).collect();
    let r = h
        .http
        .post(h.url("/suppressions?source=import&reason=list,with%20comma"))
        .header("content-type", "text/plain")
        .body(numbers.join("\n"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = h
        .http
        .get(h.url("/suppressions/export.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "text/csv; charset=utf-8"
    );
    let text = r.text().await.unwrap();
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        rows.headers().unwrap(),
        vec!["phone", "scope", "source", "reason", "created_at", "actor"]
    );
    let rows: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 5_001);
    let prefix = rows.iter().find(|r| &r[0] == "+1301805*").unwrap();
    assert_eq!(&prefix[1], "global");
    assert_eq!(&prefix[3], "'=HYPERLINK(\"x\")", "a formula is quoted");
    assert_eq!(&prefix[5], "ops");
    let one = rows.iter().find(|r| &r[0] == "+13018040042").unwrap();
    assert_eq!((&one[2], &one[3]), ("import", "list,with comma"));
    let mut phones: Vec<&str> = rows.iter().map(|r| r.get(0).unwrap()).collect();
    phones.dedup();
    assert_eq!(phones.len(), 5_001, "each once");
}

/// `YYYY-MM-DD`, `days` before today in UTC.
fn days_ago(days: u64) -> String {
    let now = numdialer_core::Timestamp(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64,
    );
    let then = numdialer_core::Timestamp(now.0 - days * 86_400_000);
    then.to_string()[..10].to_string()
}

async fn registry_import(h: &Harness, date: &str) {
    let r = h
        .http
        .post(h.url(&format!(
            "/suppressions?source=registry&registry_date={date}"
        )))
        .header("content-type", "text/plain")
        .body("3018040009\n3018040010\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}

async fn create(h: &Harness, query: &str, numbers: &[&str]) -> u64 {
    let (code, created) = json(
        h.http
            .post(h.url(&format!("/campaigns?{query}")))
            .header("content-type", "text/plain")
            .body(numbers.join("\n"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(code, 201, "{created}");
    created["id"].as_u64().unwrap()
}

async fn summary(h: &Harness, id: u64) -> serde_json::Value {
    json(
        h.http
            .get(h.url(&format!("/campaigns/{id}")))
            .send()
            .await
            .unwrap(),
    )
    .await
    .1
}

async fn wait_done(h: &Harness, id: u64) -> serde_json::Value {
    wait_for("the campaign to end", Duration::from_secs(60), || async {
        let s = summary(h, id).await;
        (s["state"] == "done").then_some(s)
    })
    .await
}

#[tokio::test]
async fn a_campaign_requiring_the_registry_waits_at_32_days_and_goes_after_a_fresh_copy() {
    let h = Harness::start(fast_sim(), |_| {}).await;
    registry_import(&h, &days_ago(32)).await;
    let held = create(
        &h,
        "name=safe&start=true&require_registry=true",
        &["+13018040600", "+13018040601"],
    )
    .await;
    let other = create(
        &h,
        "name=other&start=true",
        &["+13018040700", "+13018040701"],
    )
    .await;
    // The other campaign, started after it, dials to its end meanwhile.
    wait_done(&h, other).await;
    let s = summary(&h, held).await;
    assert_eq!(
        (&s["state"], &s["attempts"]),
        (&"running".into(), &0.into()),
        "{s}"
    );
    assert_eq!(s["require_registry"], true, "{s}");
    let why = s["registry_hold"].as_str().unwrap_or_default();
    assert!(why.contains("32 days old (more than 31)"), "{s}");
    assert!(
        !h.sim
            .dials()
            .iter()
            .any(|d| d.phone.starts_with("130180406")),
        "held back"
    );
    // A copy of today lets it go.
    registry_import(&h, &days_ago(0)).await;
    let done = wait_done(&h, held).await;
    assert!(done.get("registry_hold").is_none(), "{done}");
    assert_eq!(done["attempts"], 2, "{done}");
    let other_s = summary(&h, other).await;
    assert!(other_s.get("require_registry").is_none(), "{other_s}");
}

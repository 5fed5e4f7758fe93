//! Campaigns over real HTTP against the simulated dialer API: imports, the
//! lines shared across running campaigns, pause, resume, stop, retries,
//! export, and bad input that changes nothing.

use crate::helpers::*;
use numdialer_core::api::{CampaignSummary, CampaignsResponse, StatusesResponse};
use numdialer_core::{CampaignState, Outcome, Status};
use numdialer_server::provider::simulator::{DialRecord, Fault, SimConfig};
use reqwest::StatusCode;
use std::time::Duration;

/// Numbers the simulator answers (`ringing`, `answered`, `completed`).
fn answering(n: usize, base: u64) -> Vec<String> {
    (0..n as u64)
        .map(|i| format!("1{:010}", base + i))
        .collect()
}

/// A number the simulator lets ring and hang up: `completed`, never
/// `answered`.
const NO_ANSWER: &str = "15512459377";

fn csv_of(phones: &[String]) -> String {
    let mut s = String::from("phone,name,team\n");
    for (i, p) in phones.iter().enumerate() {
        s.push_str(&format!("{p},person {i},team {}\n", i % 2));
    }
    s
}

async fn post_campaign(
    h: &Harness,
    content_type: &str,
    query: &str,
    body: impl Into<reqwest::Body>,
    key: Option<&str>,
) -> reqwest::Response {
    let mut req = h
        .http
        .post(h.url(&format!("/campaigns{query}")))
        .header("content-type", content_type)
        .body(body);
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    req.send().await.unwrap()
}

/// Imports `phones` as CSV with `query` settings; the new campaign.
async fn import(h: &Harness, phones: &[String], query: &str) -> CampaignSummary {
    let r = post_campaign(h, "text/csv", query, csv_of(phones), None).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let c: CampaignSummary = r.json().await.unwrap();
    assert_eq!(location, format!("/campaigns/{}", c.id));
    let state = if query.contains("start=true") {
        CampaignState::Running
    } else {
        CampaignState::Draft
    };
    assert_eq!(c.state, state);
    assert_eq!(c.total, phones.len());
    c
}

async fn operate(h: &Harness, id: u64, op: &str) -> (StatusCode, serde_json::Value) {
    let r = h
        .http
        .post(h.url(&format!("/campaigns/{id}/{op}")))
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap())
}

async fn summary(h: &Harness, id: u64) -> CampaignSummary {
    let r = h
        .http
        .get(h.url(&format!("/campaigns/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn entries(h: &Harness, id: u64) -> StatusesResponse {
    let r = h
        .http
        .get(h.url(&format!("/campaigns/{id}/statuses")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn wait_state(h: &Harness, id: u64, state: CampaignState) -> CampaignSummary {
    wait_for(&format!("campaign {id} {state}"), DEADLINE, || async {
        let c = summary(h, id).await;
        (c.state == state).then_some(c)
    })
    .await
}

/// The phones the simulator received, in order.
fn phones_dialed(dials: &[DialRecord]) -> Vec<String> {
    dials.iter().map(|d| d.phone.clone()).collect()
}

/// Slow enough calls (up to 1 s of webhook delays) that an operation lands
/// while some are in flight.
fn slow_sim() -> SimConfig {
    SimConfig {
        time_scale: 0.2,
        seed: Some(11),
        ..SimConfig::default()
    }
}

#[tokio::test]
async fn two_running_campaigns_share_the_lines_in_the_order_they_started() {
    let h = Harness::start(fast_sim(), |_| {}).await;
    let a_list = answering(7, 3_018_040_100);
    let b_list = answering(5, 3_018_040_200);
    let a = import(&h, &a_list, "?name=first").await;
    let b = import(&h, &b_list, "?name=second&start=true").await;
    assert_eq!(b.state, CampaignState::Running, "started by the upload");
    let (code, _) = operate(&h, a.id, "start").await;
    assert_eq!(code, 200);
    wait_state(&h, a.id, CampaignState::Done).await;
    wait_state(&h, b.id, CampaignState::Done).await;

    let dials = h.sim.dials();
    // b started first, so all of b goes out before any of a: each of b's
    // entries was due whenever a line was free.
    let mut want = b_list.clone();
    want.extend(a_list.iter().cloned());
    assert_eq!(phones_dialed(&dials), want);
    let both: Vec<&str> = want.iter().map(String::as_str).collect();
    assert_dialed_in_order(&dials, &both, 3);
    let list = h.campaigns().await;
    let one = list.campaigns.iter().find(|c| c.id == 1).unwrap();
    assert_eq!(one.state, CampaignState::Draft, "campaign 1 never started");
    assert_eq!(h.statuses().await.count(Status::Idle), 9);
    for id in [a.id, b.id] {
        let c = summary(&h, id).await;
        assert_eq!(c.outcome(Outcome::Answered), c.total, "{c:#?}");
        assert!(c.finished_at.is_some() && c.started_at.is_some());
    }
}

#[tokio::test]
async fn pause_stops_new_dials_within_one_and_resume_goes_on_from_the_next_entry() {
    let h = Harness::start(slow_sim(), |_| {}).await;
    let list = answering(12, 3_018_040_300);
    let c = import(&h, &list, "?start=true").await;
    wait_for("three dials", DEADLINE, || async {
        (h.sim.dials().len() >= 3).then_some(())
    })
    .await;
    let (code, body) = operate(&h, c.id, "pause").await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["state"], "paused");
    let at_pause = h.sim.dials().len();
    let (again, _) = operate(&h, c.id, "pause").await;
    assert_eq!(again, 200, "pausing a paused campaign changes nothing");
    let settled = wait_for("calls in flight to end", DEADLINE, || async {
        let s = entries(&h, c.id).await;
        (s.active == 0).then_some(s)
    })
    .await;
    let dialed = h.sim.dials().len();
    assert!(
        dialed <= at_pause + 1,
        "at most the dial under way when the pause came: {at_pause} then {dialed}"
    );
    assert_eq!(settled.count(Status::Idle), 12 - dialed);
    assert_eq!(summary(&h, c.id).await.state, CampaignState::Paused);

    let (code, body) = operate(&h, c.id, "resume").await;
    assert_eq!(code, 200, "{body}");
    wait_state(&h, c.id, CampaignState::Done).await;
    assert_eq!(
        phones_dialed(&h.sim.dials()),
        list,
        "each entry once, in order"
    );
}

#[tokio::test]
async fn stop_cancels_the_rest_and_nothing_more_is_dialed_even_after_a_restart() {
    let h = Harness::start(slow_sim(), |_| {}).await;
    let list = answering(12, 3_018_040_400);
    let c = import(&h, &list, "?start=true").await;
    wait_for("three dials", DEADLINE, || async {
        (h.sim.dials().len() >= 3).then_some(())
    })
    .await;
    let (code, body) = operate(&h, c.id, "stop").await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["state"], "stopped");
    let s = wait_for("calls in flight to end", DEADLINE, || async {
        let s = entries(&h, c.id).await;
        (s.active == 0 && s.finished).then_some(s)
    })
    .await;
    let dialed = h.sim.dials().len();
    assert!(dialed < 12, "the stop came before the end");
    assert_eq!(s.count(Status::Canceled), 12 - dialed, "{s:#?}");
    for e in &s.calls {
        if e.status == Status::Canceled {
            assert_eq!(e.outcome, Some(Outcome::Canceled));
            assert_eq!(e.attempt, 0);
        } else {
            assert_eq!(e.outcome, Some(Outcome::Answered), "{e:?}");
        }
    }
    for op in ["start", "resume", "pause"] {
        let (code, body) = operate(&h, c.id, op).await;
        assert_eq!(code, 409, "{op} on a stopped campaign: {body}");
        assert!(
            body["error"].as_str().unwrap().contains("stopped"),
            "{body}"
        );
    }

    let (sim, dir) = h.stop_keeping().await;
    let h = Harness::reopen(sim, dir, |_| {}).await;
    let after = summary(&h, c.id).await;
    assert_eq!(after.state, CampaignState::Stopped);
    assert_eq!(after.count(Status::Canceled), 12 - dialed);
    // Campaign 1 dials through the same lines: if the stopped campaign
    // still had anything to dial, it would show here.
    assert_eq!(h.start_calls().await, 202);
    h.wait_finished().await;
    let dials = phones_dialed(&h.sim.dials());
    assert_eq!(dials.len(), dialed + 9);
    assert_eq!(dials[..dialed], list[..dialed]);
}

#[tokio::test]
async fn retries_come_up_to_max_attempts_after_the_delay_for_listed_outcomes_only() {
    let h = Harness::start(fast_sim(), |_| {}).await;
    let retried = vec![NO_ANSWER.to_string(), "13018040009".to_string()];
    let c = import(&h, &retried, "?max_attempts=3&retry_delay=1&start=true").await;
    assert_eq!(c.retry.max_attempts, 3);
    let not_retried = vec![NO_ANSWER.to_string()];
    let d = import(
        &h,
        &not_retried,
        "?max_attempts=3&retry_on=failed&start=true",
    )
    .await;
    wait_state(&h, c.id, CampaignState::Done).await;
    wait_state(&h, d.id, CampaignState::Done).await;

    let dials = h.sim.dials();
    let tries: Vec<&DialRecord> = dials.iter().filter(|d| d.phone == NO_ANSWER).collect();
    assert_eq!(
        tries.len(),
        3 + 1,
        "3 attempts in one campaign, 1 in the other"
    );
    assert_eq!(
        dials.iter().filter(|d| d.phone == "13018040009").count(),
        1,
        "an answered call is not retried"
    );
    let mut gaps = Vec::new();
    let retried_url = |d: &&&DialRecord| d.webhook_url.contains(&format!("/{}-", c.id));
    let mine: Vec<&&DialRecord> = tries.iter().filter(retried_url).collect();
    assert_eq!(mine.len(), 3);
    for pair in mine.windows(2) {
        let ended = pair[0].final_ms.expect("its completed webhook was sent");
        gaps.push(pair[1].received_ms - ended);
    }
    // The simulator's and the server's clocks are the same machine's; a
    // millisecond of rounding either way.
    assert!(gaps.iter().all(|&g| g >= 999.0), "gaps {gaps:?}");

    let s = entries(&h, c.id).await;
    assert_eq!(
        (s.calls[0].attempt, s.calls[0].outcome),
        (3, Some(Outcome::NoAnswer))
    );
    assert_eq!(
        (s.calls[1].attempt, s.calls[1].outcome),
        (1, Some(Outcome::Answered))
    );
    assert_eq!(summary(&h, c.id).await.attempts, 4);
    let s = entries(&h, d.id).await;
    assert_eq!(
        (s.calls[0].attempt, s.calls[0].outcome),
        (1, Some(Outcome::NoAnswer))
    );

    let detail: numdialer_core::api::CallDetail = h
        .http
        .get(h.url(&format!("/campaigns/{}/calls/0", c.id)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let attempts: std::collections::BTreeSet<u32> =
        detail.history.iter().map(|e| e.attempt).collect();
    assert_eq!(
        attempts,
        [1, 2, 3].into(),
        "every attempt's history is kept"
    );
}

#[tokio::test]
async fn export_lists_every_entry_with_its_outcome_and_the_import_columns() {
    let h = Harness::start(fast_sim(), |_| {}).await;
    let list = vec![
        "13018040009".to_string(),
        NO_ANSWER.to_string(),
        "19842068287".to_string(),
    ];
    let c = import(&h, &list, "?start=true").await;
    wait_state(&h, c.id, CampaignState::Done).await;
    let r = h
        .http
        .get(h.url(&format!("/campaigns/{}/export.csv", c.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = r.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        [
            "index",
            "phone",
            "name",
            "status",
            "outcome",
            "attempts",
            "call_id",
            "first_dialed_at",
            "ended_at",
            "reason",
            "answered_by",
            "voicemail_left",
            "timezones",
            "waiting_until",
            "team"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    let outcomes: Vec<&str> = rows.iter().map(|r| &r[4]).collect();
    assert_eq!(outcomes, ["answered", "no_answer", "answered"]);
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(&r[0], i.to_string());
        assert_eq!(&r[1], list[i]);
        assert_eq!(&r[2], format!("person {i}"));
        assert_eq!(&r[3], "completed");
        assert_eq!(&r[5], "1");
        assert!(
            !r[6].is_empty() && !r[7].is_empty() && !r[8].is_empty(),
            "{r:?}"
        );
        // Its zones, and no wait: the entry is over.
        // No detection: who answered is not known, nor any voicemail.
        assert_eq!((&r[10], &r[11]), ("", ""), "{r:?}");
        assert_eq!((&r[12], &r[13]), ("America/New_York", ""), "{r:?}");
        assert_eq!(&r[14], format!("team {}", i % 2));
    }
}

#[tokio::test]
async fn an_upload_repeated_with_its_idempotency_key_creates_one_campaign() {
    let h = Harness::start(fast_sim(), |_| {}).await;
    let body = csv_of(&answering(3, 3_018_040_500));
    let first = post_campaign(&h, "text/csv", "", body.clone(), Some("upload-1")).await;
    assert_eq!(first.status(), 201);
    let first: CampaignSummary = first.json().await.unwrap();
    let again = post_campaign(&h, "text/csv", "", body.clone(), Some("upload-1")).await;
    assert_eq!(again.status(), 200);
    let again: CampaignSummary = again.json().await.unwrap();
    assert_eq!(again.id, first.id);
    let other = post_campaign(&h, "text/csv", "", body, Some("upload-2")).await;
    assert_eq!(other.status(), 201);
    assert_eq!(
        h.campaigns().await.campaigns.len(),
        3,
        "campaign 1 and two uploads"
    );
}

#[tokio::test]
async fn json_and_plain_text_imports_take_their_settings() {
    let h = Harness::start(fast_sim(), |_| {}).await;
    let r = h
        .http
        .post(h.url("/campaigns"))
        .json(&serde_json::json!({
            "name": "from json",
            "entries": [{"phone": "+1 (301) 804-0009", "name": "Ada"}],
            "retry": {"max_attempts": 2, "retry_delay": 60, "retry_on": ["no_answer"]},
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let c: CampaignSummary = r.json().await.unwrap();
    assert_eq!((c.name.as_str(), c.total), ("from json", 1));
    assert_eq!((c.retry.max_attempts, c.retry.retry_delay), (2, 60));
    assert_eq!(c.retry.retry_on, [Outcome::NoAnswer]);
    let e = &entries(&h, c.id).await.calls[0];
    assert_eq!(
        (e.phone.as_str(), e.name.as_deref()),
        ("13018040009", Some("Ada"))
    );

    let text = "# morning list\n13018040009\n\n+1 984 206 8287\n";
    let r = post_campaign(&h, "text/plain", "?name=plain", text, None).await;
    assert_eq!(r.status(), 201);
    let c: CampaignSummary = r.json().await.unwrap();
    assert_eq!((c.name.as_str(), c.total), ("plain", 2));
}

/// Every refused request answers 4xx JSON `{"error"}` naming the problem,
/// and the campaigns are exactly as before.
/// Numbers without `+` are read in the import's country (the query's, the
/// JSON body's, or the server's `--default-country`); without one, a
/// national number is refused naming what it would have been, and nothing
/// of the refused upload is stored.
#[tokio::test]
async fn national_numbers_are_read_in_the_import_country_or_refused() {
    let h = Harness::start(fast_sim(), |_| {}).await;
    let before = h.campaigns().await;
    let national = "(984) 206-8287\n3018040009 x12\n+1 999 555 0100\n";
    let r = post_campaign(&h, "text/plain", "", national, None).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error_count"], 2, "{body}");
    assert_eq!(
        body["errors"][0]["error"],
        "\"(984) 206-8287\": read with its country code, +98 42068287 is not a valid number in Iran; if these are US numbers, import with --country US"
    );
    assert_eq!(body["errors"][1]["line"], 2);
    assert!(
        body["errors"][1]["error"]
            .as_str()
            .unwrap()
            .contains("+30 18040009 is not a valid number in Greece; if these are US numbers, import with --country US"),
        "{body}"
    );
    let after = h.campaigns().await;
    assert_eq!(after.version, before.version, "nothing was stored");
    assert_eq!(after.campaigns.len(), before.campaigns.len());

    let r = post_campaign(&h, "text/plain", "?country=us", national, None).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["warning_count"], 1, "{body}");
    assert_eq!(body["warnings"][0]["line"], 3);
    assert!(
        body["warnings"][0]["warning"]
            .as_str()
            .unwrap()
            .starts_with("+1 999-555-0100 is not a valid number"),
        "{body}"
    );
    assert_eq!(body["columns"], serde_json::json!(["extension"]));
    let id = body["id"].as_u64().unwrap();
    let got = entries(&h, id).await;
    let phones: Vec<&str> = got.calls.iter().map(|e| e.phone.as_str()).collect();
    assert_eq!(phones, ["19842068287", "13018040009", "19995550100"]);
    assert_eq!(
        numdialer_core::format_phone(phones[0]),
        "+1 984-206-8287",
        "shown as people read it"
    );

    let r = post_campaign(
        &h,
        "application/json",
        "",
        r#"{"country": "US", "numbers": ["3018040009"]}"#,
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = post_campaign(&h, "text/plain", "?country=XX", national, None).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("\"XX\" is not a country"),
        "{body}"
    );
    h.stop().await;

    let h = Harness::start(fast_sim(), |c| {
        c.dialing.default_country = Some("US".parse().unwrap());
    })
    .await;
    let r = post_campaign(&h, "text/plain", "", "3018040009\n", None).await;
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "the server's default country"
    );
    let r = post_campaign(&h, "text/plain", "?country=GR", "3018040009\n", None).await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "the import's own country first"
    );
    h.stop().await;
}

/// A `--numbers-file` that this release refuses (a national number, read
/// before as another country's) but that a data directory already dials
/// only warns: the upgraded server starts and dials the list as before. A
/// new data directory refuses it, naming the line.
#[tokio::test]
async fn a_numbers_file_an_existing_directory_dials_only_warns() {
    let files = tempfile::tempdir().unwrap();
    let list = files.path().join("list.txt");
    std::fs::write(&list, "3018040009\n13018040009\n").unwrap();
    let as_before = vec!["3018040009".to_string(), "13018040009".to_string()];
    let h = Harness::start(fast_sim(), |c| c.dialing.numbers = Some(phones(&as_before))).await;
    let (sim, data) = h.stop_keeping().await;

    let file = numdialer_server::startup::read_numbers_file_in(&list, None).unwrap();
    assert!(file.numbers.is_none(), "this release refuses the file");
    let before = file.before.expect("read as before");
    assert!(before.why.contains("line 1"), "{}", before.why);
    let h = Harness::reopen(sim, data, |c| {
        c.dialing.numbers_before = Some(before.clone())
    })
    .await;
    let got: Vec<String> = h
        .statuses()
        .await
        .calls
        .into_iter()
        .map(|e| e.phone)
        .collect();
    assert_eq!(got, as_before, "campaign 1 as it was");
    h.stop().await;

    let sim = start_sim(fast_sim()).await;
    let new_dir = tempfile::tempdir().unwrap();
    let mut config = numdialer_server::startup::ServerConfig::default();
    config.http.listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    config.provider.dialer_url = Some(sim.url());
    config.store.data_dir = Some(new_dir.path().to_path_buf());
    config.dialing.numbers_before = Some(before);
    let err = match numdialer_server::start(config).await {
        Ok(_) => panic!("a new data directory took a refused list"),
        Err(e) => format!("{e:#}"),
    };
    assert!(
        err.contains("bad --numbers-file") && err.contains("in Greece"),
        "{err}"
    );
}

#[tokio::test]
async fn bad_input_gets_a_clear_answer_and_changes_nothing() {
    // Held running: its calls never end (their final webhooks are lost,
    // and the call timeout outlasts the test).
    let held = SimConfig {
        plan: (0..3).map(|i| (i, Fault::DropFinal)).collect(),
        ..fast_sim()
    };
    let h = Harness::start(held, |_| {}).await;
    let running = import(&h, &answering(3, 3_018_040_600), "").await;
    operate(&h, running.id, "start").await;
    wait_for("the held calls to be answered", DEADLINE, || async {
        (summary(&h, running.id).await.count(Status::Answered) == 3).then_some(())
    })
    .await;
    let before = h.campaigns().await;

    let mut bad_line = csv_of(&answering(5, 3_018_040_700));
    bad_line = bad_line.replacen("13018040702", "12ab", 1);
    // Over 32 MiB, but within what the server reads to the end before it
    // answers, so that the client sees the 413 rather than a reset.
    let huge = "phone\n".to_string() + &"13018040009\n".repeat(2_850_000);
    let cases: Vec<(&str, String, String, StatusCode, &str)> = vec![
        (
            "text/csv",
            String::new(),
            String::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "empty",
        ),
        (
            "text/csv",
            String::new(),
            "number\n13018040009\n".into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "phone",
        ),
        (
            "text/csv",
            String::new(),
            bad_line,
            StatusCode::UNPROCESSABLE_ENTITY,
            "line 4",
        ),
        (
            "text/csv",
            String::new(),
            huge,
            StatusCode::PAYLOAD_TOO_LARGE,
            "larger than",
        ),
        (
            "text/csv",
            "?retry_on=busy".into(),
            csv_of(&answering(1, 3_018_040_001)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "busy",
        ),
        (
            "text/csv",
            "?max_attempts=0".into(),
            csv_of(&answering(1, 3_018_040_001)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "max_attempts",
        ),
        (
            "text/csv",
            "?max_attempts=11".into(),
            csv_of(&answering(1, 3_018_040_001)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "max_attempts",
        ),
        (
            "text/csv",
            "?retry_delay=-5".into(),
            csv_of(&answering(1, 3_018_040_001)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "retry_delay",
        ),
        (
            "application/xml",
            String::new(),
            "<x/>".into(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "text/csv",
        ),
    ];
    for (content_type, query, body, code, says) in cases {
        let r = post_campaign(&h, content_type, &query, body, None).await;
        assert_eq!(r.status(), code, "{content_type} {query} ({says})");
        let v: serde_json::Value = r.json().await.unwrap();
        let error = v["error"].as_str().unwrap_or_default();
        assert!(error.contains(says), "{says}: {v}");
    }
    let bad = post_campaign(
        &h,
        "text/csv",
        "",
        csv_of(&answering(5, 3_018_040_700)).replacen("13018040702", "12ab", 1),
        None,
    )
    .await;
    let v: serde_json::Value = bad.json().await.unwrap();
    assert_eq!(v["error_count"], 1, "{v}");
    assert_eq!(v["errors"][0]["line"], 4, "{v}");

    for (method, path, code) in [
        ("POST", "/campaigns/999/start".to_string(), 404),
        ("GET", "/campaigns/999".to_string(), 404),
        ("GET", "/campaigns/999/statuses".to_string(), 404),
        ("GET", "/campaigns/999/export.csv".to_string(), 404),
        ("DELETE", "/campaigns/999".to_string(), 404),
        ("POST", format!("/campaigns/{}/start", running.id), 409),
        ("DELETE", format!("/campaigns/{}", running.id), 409),
        ("DELETE", "/campaigns/1".to_string(), 409),
    ] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let r = h
            .http
            .request(method.clone(), h.url(&path))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), code, "{method} {path}");
        let v: serde_json::Value = r.json().await.unwrap();
        assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{v}");
    }
    assert_eq!(h.campaigns().await, before, "nothing changed");
}

#[tokio::test]
async fn a_finished_campaign_can_be_deleted_and_its_webhooks_then_get_404() {
    let h = Harness::start(fast_sim(), |_| {}).await;
    let c = import(&h, &answering(2, 3_018_040_800), "?start=true").await;
    wait_state(&h, c.id, CampaignState::Done).await;
    let version = h.campaigns().await.version;
    let r = h
        .http
        .delete(h.url(&format!("/campaigns/{}", c.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let after = h.campaigns().await;
    assert!(after.version > version, "the list's version still rises");
    assert!(after.campaigns.iter().all(|x| x.id != c.id));
    let hook = h.sim.dials()[0].webhook_url.clone();
    let r = h
        .http
        .post(hook)
        .json(&serde_json::json!({"id": h.sim.dials()[0].id, "status": "completed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let next = import(&h, &answering(1, 3_018_040_900), "").await;
    assert!(next.id > c.id, "ids are never reused");
}

#[tokio::test]
async fn the_list_long_polls_until_a_campaign_changes() {
    let h = Harness::start(fast_sim(), |_| {}).await;
    let r = h.http.get(h.url("/campaigns")).send().await.unwrap();
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let unchanged = h
        .http
        .get(h.url("/campaigns?wait=0.2"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(unchanged.status(), 304);
    let http = h.http.clone();
    let url = h.url("/campaigns?wait=20");
    let poll = tokio::spawn(async move {
        http.get(url)
            .header("if-none-match", etag)
            .send()
            .await
            .unwrap()
    });
    let c = import(&h, &answering(1, 3_018_041_000), "").await;
    let r = tokio::time::timeout(Duration::from_secs(10), poll)
        .await
        .expect("the long poll ends when a campaign is created")
        .unwrap();
    assert_eq!(r.status(), 200);
    let list: CampaignsResponse = r.json().await.unwrap();
    assert!(list.campaigns.iter().any(|x| x.id == c.id));
}

/// An import without the token is refused before its body is read: only a
/// client with the token may make the server hold 32 MiB.
#[tokio::test]
async fn an_import_without_the_token_is_refused_before_its_body() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let h = Harness::start(fast_sim(), |c| c.http.api_token = Some("t".into())).await;
    let addr = h.server.url().trim_start_matches("http://").to_string();
    let mut socket = tokio::net::TcpStream::connect(&addr).await.unwrap();
    // 30 MB announced, a few bytes sent, the rest never comes.
    let head = format!(
        "POST /campaigns HTTP/1.1\r\nhost: {addr}\r\ncontent-type: text/csv\r\n\
         content-length: 30000000\r\n\r\nphone\n"
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), socket.read_to_end(&mut answer));
    read.await
        .expect("answered without waiting for the body")
        .unwrap();
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 401"), "{text}");
    assert!(text.contains("missing or wrong API token"), "{text}");
    assert_eq!(campaigns_with_token(&h).await, 1, "nothing imported");
}

async fn campaigns_with_token(h: &Harness) -> usize {
    let r = h
        .http
        .get(h.url("/campaigns"))
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    r.json::<CampaignsResponse>().await.unwrap().campaigns.len()
}

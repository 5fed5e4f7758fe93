//! Answering machines through the Twilio simulator: people end
//! `answered`, machines `machine` and are retried on their own terms, a
//! voicemail is left after each greeting, results before and after
//! `completed` give the same outcome, detection callbacks are checked as
//! status callbacks are, bad settings are refused by name, and every
//! request Twilio received is one its own API document allows.

use crate::helpers::{DEADLINE, client, wait_for};
use crate::twilio::{TOKEN, TwilioHarness, numbers_from, sim_config};
use numdialer_core::api::{CallDetail, EventKind, StatusesResponse};
use numdialer_core::protocol::twilio::{self, SIGNATURE_HEADER};
use numdialer_core::{CampaignState, Outcome, Status};
use numdialer_server::provider::simulator::twilio::{
    TwilioDialRecord, TwilioSimConfig, TwilioUpdateRecord,
};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

/// Twilio's API document, the excerpt of its call create and update
/// (tests/fixtures/twilio, with the upstream commit it was taken at).
const EXCERPT: &str = include_str!("../fixtures/twilio/calls_v2010.json");

impl TwilioHarness {
    /// Imports `body` (JSON) and answers with the status and body.
    async fn import(&self, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(self.url("/campaigns"))
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }
}

fn amd_sim(machine_rate: f64, after: bool) -> TwilioSimConfig {
    TwilioSimConfig {
        machine_rate,
        amd_after_completed: after,
        update_wait: Duration::from_secs(5),
        ..sim_config()
    }
}

/// The dials of one number, in the order Twilio received them.
fn dials_to<'a>(dials: &'a [TwilioDialRecord], phone: &str) -> Vec<&'a TwilioDialRecord> {
    let to = format!("+{phone}");
    dials
        .iter()
        .filter(|d| twilio::field(&d.fields, "To") == Some(to.as_str()))
        .collect()
}

fn is_machine(answered_by: &str) -> bool {
    answered_by.starts_with("machine") || answered_by == "fax"
}

/// A campaign with `amd=detect_message_end`, `retry_on=machine` up to 3
/// attempts a second apart, and a voicemail: each person's entry ends
/// `answered` on the attempt a person picked up; a machine's is dialed
/// again after the delay until its attempts run out, then ends
/// `machine`; and every machine attempt past its greeting got the
/// voicemail, which the entry's history and `voicemail_left` say.
#[tokio::test]
async fn machines_are_retried_and_left_a_voicemail_while_people_end_answered() {
    let h = TwilioHarness::start(amd_sim(0.8, false), None, |_| {}).await;
    let list = numbers_from(300, 10);
    let (status, body) = h
        .import(json!({
            "name": "amd",
            "numbers": list,
            "retry": {"max_attempts": 3, "retry_delay": 1, "retry_on": "machine"},
            "amd": "detect_message_end",
            "voicemail": "say:Hello from numdialer, please call us back.",
            "machine_detection_timeout": 30,
            "start": true,
        }))
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["amd"], "detect_message_end");
    assert_eq!(
        body["voicemail"],
        "say:Hello from numdialer, please call us back."
    );
    assert_eq!(body["amd_tuning"]["machine_detection_timeout"], 30);
    assert_eq!(body["retry"]["retry_on"], json!(["machine"]));
    let id = body["id"].as_u64().unwrap();
    h.wait_done(id).await;
    let dials = h.sim.dials();
    let updates = wait_for("every voicemail recorded", DEADLINE, || async {
        let s = h.entries(id).await;
        let ends = dials
            .iter()
            .filter(|d| {
                d.answered_by
                    .as_deref()
                    .is_some_and(|a| a.starts_with("machine_end"))
            })
            .count();
        let u = h.sim.updates();
        (u.len() == ends && s.calls.iter().all(|c| c.status.is_final())).then_some(u)
    })
    .await;
    let done = h.entries(id).await;
    let mut outcomes = BTreeMap::new();
    for (call, phone) in done.calls.iter().zip(&list) {
        let mine = dials_to(&dials, phone);
        let what = format!("entry {} ({phone})", call.index);
        assert_eq!(call.attempt as usize, mine.len(), "{what}");
        assert!((1..=3).contains(&mine.len()), "{what}");
        let by: Vec<&str> = mine
            .iter()
            .map(|d| d.answered_by.as_deref().expect("every call answered"))
            .collect();
        // Every attempt but the last was a machine: only machines retry.
        assert!(
            by[..by.len() - 1].iter().all(|b| is_machine(b)),
            "{what}: {by:?}"
        );
        let last = by[by.len() - 1];
        let expected = if is_machine(last) {
            assert_eq!(
                mine.len(),
                3,
                "{what}: a machine is retried up to max_attempts"
            );
            Outcome::Machine
        } else {
            Outcome::Answered
        };
        assert_eq!(
            (call.status, call.outcome),
            (Status::Completed, Some(expected)),
            "{what}"
        );
        let shown = if is_machine(last) && last != "fax" {
            "machine"
        } else {
            last
        };
        assert_eq!(call.answered_by.as_deref(), Some(shown), "{what}");
        assert_eq!(call.answered_by_raw.as_deref(), Some(last), "{what}");
        assert!(call.detection_ms.is_some(), "{what}");
        assert_eq!(
            call.voicemail_left,
            last.starts_with("machine_end"),
            "{what}"
        );
        // Retries wait their delay after the attempt before.
        for pair in mine.windows(2) {
            let gap = pair[1].received_ms - pair[0].final_ms.unwrap();
            assert!(
                gap >= 900.0,
                "{what}: redialed {gap} ms after the call ended"
            );
        }
        let detail: CallDetail = h.detail(id, call.index).await;
        let left: Vec<u32> = detail
            .history
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Voicemail { left: true, .. }))
            .map(|e| e.attempt)
            .collect();
        let ends: Vec<u32> = (1..)
            .zip(&by)
            .filter(|(_, b)| b.starts_with("machine_end"))
            .map(|(n, _)| n)
            .collect();
        assert_eq!(left, ends, "{what}: a voicemail on each greeting's end");
        for d in mine.iter().filter(|d| {
            d.answered_by
                .as_deref()
                .is_some_and(|a| a.starts_with("machine_end"))
        }) {
            let u: Vec<&TwilioUpdateRecord> = updates
                .iter()
                .filter(|u| Some(&u.sid) == d.sid.as_ref())
                .collect();
            assert_eq!(u.len(), 1, "{what}: one update per voicemail");
            assert_eq!(u[0].answer, 200, "{what}: the call was still up");
            assert_eq!(
                twilio::field(&u[0].fields, "Twiml"),
                Some(
                    "<Response><Say>Hello from numdialer, please call us back.</Say><Hangup/></Response>"
                )
            );
        }
        *outcomes.entry(expected).or_insert(0) += 1;
    }
    assert!(
        outcomes.len() == 2,
        "both people and machines seen: {outcomes:?}"
    );
    let summary = done.campaign.unwrap();
    assert_eq!(
        summary.outcome(Outcome::Machine),
        outcomes[&Outcome::Machine]
    );
    assert_eq!(summary.state, CampaignState::Done);
    assert_within_excerpt(&dials, &updates);
    let metrics = h
        .http
        .get(h.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("numdialer_answers_total{answered_by=\"machine\"}"),
        "{metrics}"
    );
}

/// Who answered, as the simulator chose it, against what the entry says.
fn assert_outcomes_follow_the_results(
    done: &StatusesResponse,
    dials: &[TwilioDialRecord],
    list: &[String],
) {
    for (call, phone) in done.calls.iter().zip(list) {
        let mine = dials_to(dials, phone);
        assert_eq!(mine.len(), 1);
        let by = mine[0].answered_by.as_deref().unwrap();
        let expected = if is_machine(by) {
            Outcome::Machine
        } else {
            Outcome::Answered
        };
        assert_eq!(
            (call.status, call.outcome),
            (Status::Completed, Some(expected)),
            "entry {}",
            call.index
        );
        assert_eq!(call.answered_by_raw.as_deref(), Some(by));
    }
}

/// The same campaign twice, its detection results sent before
/// `completed` and then after it: each entry's outcome follows its result
/// either way, decided once.
#[tokio::test]
async fn results_before_and_after_completed_give_the_same_outcome() {
    for after in [false, true] {
        let h = TwilioHarness::start(amd_sim(0.5, after), None, |_| {}).await;
        let list = numbers_from(400, 10);
        let (status, body) = h
            .import(json!({"numbers": list, "amd": "detect", "start": true}))
            .await;
        assert_eq!(status, 201, "{body}");
        let id = body["id"].as_u64().unwrap();
        let done = h.wait_done(id).await;
        let dials = h.sim.dials();
        assert_outcomes_follow_the_results(&done, &dials, &list);
        let callbacks = h.sim.callbacks();
        let results: Vec<_> = callbacks
            .iter()
            .filter(|c| c.answered_by.is_some())
            .collect();
        assert_eq!(results.len(), list.len(), "after={after}");
        let sent_in = if after { "completed" } else { "in-progress" };
        for r in &results {
            assert_eq!(r.answer, Some(200), "after={after}");
            assert_eq!(r.status.as_str(), sent_in, "after={after}");
        }
        assert!(
            dials
                .iter()
                .all(|d| twilio::field(&d.fields, "MachineDetection") == Some("Enable"))
        );
        assert_within_excerpt(&dials, &h.sim.updates());
    }
}

/// A detection callback is trusted as a status callback is: unsigned,
/// signed with another key or for another URL answers 403, an unknown
/// token 404, and none changes anything; an `AnsweredBy` outside Twilio's
/// list is recorded as `unknown` with its text.
#[tokio::test]
async fn detection_callbacks_are_checked_as_status_callbacks_are() {
    let sim = TwilioSimConfig {
        time_scale: 10_000.0,
        ..sim_config()
    };
    let h = TwilioHarness::start(sim, None, |_| {}).await;
    let (status, body) = h
        .import(json!({"numbers": numbers_from(500, 2), "amd": "detect", "start": true}))
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_u64().unwrap();
    let dials = wait_for("both dials placed", DEADLINE, || async {
        let d = h.sim.dials();
        let placed = h.entries(id).await.calls.iter().all(|c| c.id.is_some());
        (placed && d.len() == 2).then_some(d)
    })
    .await;
    let url = twilio::field(&dials[0].fields, "AsyncAmdStatusCallback")
        .unwrap()
        .to_string();
    let other_url = twilio::field(&dials[1].fields, "AsyncAmdStatusCallback")
        .unwrap()
        .to_string();
    assert_eq!(
        url,
        format!(
            "{}/amd",
            twilio::field(&dials[0].fields, "StatusCallback").unwrap()
        )
    );
    let sid = dials[0].sid.clone().unwrap();
    let form: Vec<(String, String)> = [
        ("CallSid", sid.as_str()),
        ("AnsweredBy", "robot"),
        ("MachineDetectionDuration", "3120"),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_string(), v.to_string()))
    .collect();
    let post = |url: String, signature: Option<String>| {
        let mut r = h
            .http
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(twilio::encode_form(&form));
        if let Some(s) = signature {
            r = r.header(SIGNATURE_HEADER, s);
        }
        async move { r.send().await.unwrap().status().as_u16() }
    };
    let before = h.entries(id).await;
    for (what, signature) in [
        ("missing", None),
        ("wrong key", Some(twilio::signature("guess", &url, &form))),
        (
            "another URL",
            Some(twilio::signature(TOKEN, &other_url, &form)),
        ),
    ] {
        assert_eq!(post(url.clone(), signature).await, 403, "{what}");
    }
    let unknown = h.url("/webhooks/2-00000000000000000000000000000000/amd");
    let signature = twilio::signature(TOKEN, &unknown, &form);
    assert_eq!(post(unknown, Some(signature)).await, 404, "unknown attempt");
    let after = h.entries(id).await;
    assert_eq!(after.version, before.version, "nothing changed");

    let signature = twilio::signature(TOKEN, &url, &form);
    assert_eq!(post(url, Some(signature)).await, 200);
    let call = &h.entries(id).await.calls[0];
    assert_eq!(call.answered_by.as_deref(), Some("unknown"));
    assert_eq!(call.answered_by_raw.as_deref(), Some("robot"));
    assert_eq!(call.detection_ms, Some(3120));
}

/// Each bad answering-machine setting is refused before anything is
/// stored, with a message naming its field; through JSON and the query.
#[tokio::test]
async fn bad_answer_settings_are_refused_by_name() {
    let h = TwilioHarness::start(sim_config(), None, |_| {}).await;
    let numbers = numbers_from(600, 1);
    for (extra, field) in [
        (json!({"amd": "sometimes"}), "amd"),
        (json!({"voicemail": "say:hi"}), "voicemail needs amd"),
        (
            json!({"amd": "detect", "voicemail": "play:ftp://x.example/m.mp3"}),
            "voicemail: play:",
        ),
        (
            json!({"amd": "detect", "voicemail": "shout:hi"}),
            "voicemail",
        ),
        (
            json!({"amd": "detect", "machine_detection_timeout": 2}),
            "machine_detection_timeout",
        ),
        (
            json!({"amd": "detect", "machine_detection_speech_threshold": 7000}),
            "machine_detection_speech_threshold",
        ),
        (
            json!({"amd": "detect", "machine_detection_silence_timeout": "x"}),
            "machine_detection_silence_timeout",
        ),
    ] {
        let mut body = json!({"numbers": numbers});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let (status, answer) = h.import(body).await;
        assert_eq!(status, 422, "{extra}: {answer}");
        let error = answer["error"].as_str().unwrap();
        assert!(error.contains(field), "{extra}: {error}");
    }
    for (query, field) in [
        ("amd=detect&voicemail=play:file:///etc/passwd", "voicemail"),
        (
            "amd=detect&machine_detection_speech_end_threshold=100",
            "machine_detection_speech_end_threshold",
        ),
    ] {
        let r = h
            .http
            .post(h.url(&format!("/campaigns?{query}")))
            .header("content-type", "text/plain")
            .body(numbers.join("\n"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "{query}");
        let v: Value = r.json().await.unwrap();
        assert!(v["error"].as_str().unwrap().contains(field), "{query}: {v}");
    }
    let list: Value = client()
        .get(h.url("/campaigns"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        list["campaigns"].as_array().unwrap().len(),
        1,
        "only campaign 1: {list}"
    );
    let r = h
        .http
        .post(h.url("/campaigns?amd=detect_message_end&voicemail=play:https://x.example/m.mp3&machine_detection_speech_end_threshold=800"))
        .header("content-type", "text/plain")
        .body(numbers.join("\n"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["amd"], "detect_message_end");
    assert_eq!(v["voicemail"], "play:https://x.example/m.mp3");
    assert_eq!(
        v["amd_tuning"]["machine_detection_speech_end_threshold"],
        800
    );
}

/// The numDialer protocol has no detection: `amd` on is refused, naming
/// the field, and `off` is taken.
#[tokio::test]
async fn amd_needs_a_provider_that_detects() {
    let h = crate::helpers::Harness::start(crate::helpers::fast_sim(), |_| {}).await;
    let http = client();
    let post = |body: Value| {
        let r = http.post(h.url("/campaigns")).json(&body).send();
        async move {
            let r = r.await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (status, v) = post(json!({"numbers": ["13018040009"], "amd": "detect"})).await;
    assert_eq!(status, 422, "{v}");
    let error = v["error"].as_str().unwrap();
    assert!(
        error.starts_with("amd:") && error.contains("twilio"),
        "{error}"
    );
    let (status, v) = post(json!({"numbers": ["13018040009"], "amd": "off"})).await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(v["amd"], "off");
}

/// Every call create and update the simulator received carries only
/// parameters that Twilio's document (the committed excerpt) defines for
/// that operation, each with a value its schema allows: an enum of the
/// schema, the choices its description lists ("Can be: `A` or `B`"), the
/// range it gives ("Possible Values: 1000-6000"), an integer, a URL.
fn assert_within_excerpt(dials: &[TwilioDialRecord], updates: &[TwilioUpdateRecord]) {
    let doc: Value = serde_json::from_str(EXCERPT).unwrap();
    assert_eq!(
        doc["x-excerpt"]["commit"].as_str().map(str::len),
        Some(40),
        "the excerpt names its upstream commit"
    );
    let params = |path: &str| {
        doc["paths"][path]["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"]
            ["schema"]["properties"]
            .clone()
    };
    let create = params("/2010-04-01/Accounts/{AccountSid}/Calls.json");
    let update = params("/2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json");
    assert!(create["MachineDetection"].is_object() && update["Twiml"].is_object());
    let mut checked = 0;
    for (props, fields) in dials
        .iter()
        .filter(|d| d.answer == 201)
        .map(|d| (&create, &d.fields))
        .chain(updates.iter().map(|u| (&update, &u.fields)))
    {
        for (name, value) in fields {
            let schema = &props[name.as_str()];
            assert!(
                schema.is_object(),
                "{name} is not a parameter of the operation"
            );
            check_value(&doc, name, schema, value);
            checked += 1;
        }
    }
    assert!(checked > 0);
}

fn check_value(doc: &Value, name: &str, schema: &Value, value: &str) {
    let schema = match schema["$ref"].as_str() {
        Some(r) => &doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")],
        None => schema,
    };
    if let Some(values) = schema["enum"].as_array() {
        assert!(
            values.iter().any(|v| v == value),
            "{name}={value} not in {values:?}"
        );
    }
    let description = schema["description"].as_str().unwrap_or_default();
    if let Some(choices) = listed_choices(description) {
        assert!(
            choices.contains(&value),
            "{name}={value}: the document lists {choices:?}"
        );
    }
    if let Some((lo, hi)) = listed_range(description) {
        let n: u64 = value.parse().unwrap();
        assert!((lo..=hi).contains(&n), "{name}={value} outside {lo}-{hi}");
    }
    match (schema["type"].as_str(), schema["format"].as_str()) {
        (Some("integer"), _) => {
            value
                .parse::<i64>()
                .unwrap_or_else(|_| panic!("{name}={value} is not an integer"));
        }
        (Some("string"), Some("uri")) => {
            let u = reqwest::Url::parse(value)
                .unwrap_or_else(|_| panic!("{name}={value} is not a URL"));
            assert!(matches!(u.scheme(), "http" | "https"), "{name}={value}");
        }
        (Some("string"), Some("twiml")) => {
            assert!(value.starts_with("<Response>"), "{name}={value}")
        }
        (Some("string" | "array"), _) | (None, _) => {}
        (Some(other), _) => panic!("{name}: type {other} not checked"),
    }
}

/// The backquoted words of the sentence after "Can be:", if the
/// description has one.
fn listed_choices(description: &str) -> Option<Vec<&str>> {
    let rest = &description[description.find("Can be:")? + "Can be:".len()..];
    let sentence = rest.split(". ").next().unwrap_or(rest);
    let sentence = sentence
        .split(" and the default")
        .next()
        .unwrap_or(sentence);
    Some(sentence.split('`').skip(1).step_by(2).collect())
}

/// "Possible Values: 1000-6000" read as a range.
fn listed_range(description: &str) -> Option<(u64, u64)> {
    let rest = &description[description.find("Possible Values:")? + "Possible Values:".len()..];
    let range = rest.trim_start().split(['.', ' ']).next()?;
    let (lo, hi) = range.split_once('-')?;
    Some((lo.parse().ok()?, hi.parse().ok()?))
}

#[test]
fn the_excerpt_is_read_as_twilio_wrote_it() {
    assert_eq!(
        listed_choices(
            "Whether to detect. Can be: `Enable` or `DetectMessageEnd`. Use `Enable` if"
        ),
        Some(vec!["Enable", "DetectMessageEnd"])
    );
    assert_eq!(
        listed_choices("The method. Can be: `GET` or `POST` and the default is `POST`."),
        Some(vec!["GET", "POST"])
    );
    assert_eq!(
        listed_range("speech. Possible Values: 1000-6000. Default: 2400."),
        Some((1000, 6000))
    );
    // The ranges numdialer checks its settings against are the document's.
    let doc: Value = serde_json::from_str(EXCERPT).unwrap();
    let create = &doc["paths"]["/2010-04-01/Accounts/{AccountSid}/Calls.json"]["post"]["requestBody"]
        ["content"]["application/x-www-form-urlencoded"]["schema"]["properties"];
    for t in numdialer_core::answer::TUNINGS {
        let d = create[t.twilio]["description"].as_str().unwrap();
        if let Some(range) = listed_range(d) {
            assert_eq!(range, (u64::from(t.min), u64::from(t.max)), "{}", t.twilio);
        }
    }
    let choices = listed_choices(create["MachineDetection"]["description"].as_str().unwrap());
    assert_eq!(choices, Some(vec!["Enable", "DetectMessageEnd"]));
}

/// Two campaigns dialed down with detection on, results after
/// `completed` (each call holds its line until its result), and machines
/// retried at once: judged from the simulator's log, no more than the
/// lines are ever up, the first started campaign's entries go first and
/// each list in its order, `--max-cps` spaces every request, and nobody
/// is dialed more than their attempts allow.
#[tokio::test]
async fn a_two_campaign_dial_down_with_detection_keeps_lines_order_and_pace() {
    // Calls of a second or so: the lines fill.
    let sim = TwilioSimConfig {
        time_scale: 0.1,
        ..amd_sim(0.5, true)
    };
    let h = TwilioHarness::start(sim, None, |c| {
        c.dialing.concurrency = 3;
        c.provider.max_cps = Some(5.0);
    })
    .await;
    let first = numbers_from(700, 6);
    let second = numbers_from(800, 6);
    let mut ids = Vec::new();
    for list in [&first, &second] {
        let (status, body) = h
            .import(json!({
                "numbers": list,
                "amd": "detect",
                "retry": {"max_attempts": 2, "retry_delay": 0, "retry_on": ["machine"]},
            }))
            .await;
        assert_eq!(status, 201, "{body}");
        ids.push(body["id"].as_u64().unwrap());
    }
    for &id in &ids {
        h.start_campaign(id).await;
    }
    for &id in &ids {
        h.wait_done(id).await;
    }
    let dials = h.sim.dials();
    assert!(dials.iter().all(|d| d.answer == 201), "{dials:?}");
    let mut most = 0;
    for d in &dials {
        let up = dials
            .iter()
            .filter(|o| o.received_ms <= d.received_ms && d.received_ms < o.final_ms.unwrap())
            .count();
        assert!(up <= 3, "{up} calls up at {} ms", d.received_ms);
        most = most.max(up);
    }
    assert!(most >= 2, "the lines were shared: at most {most} up");
    for pair in dials.windows(2) {
        let gap = pair[1].received_ms - pair[0].received_ms;
        assert!(gap >= 190.0, "dials {gap} ms apart at --max-cps 5");
    }
    let mut seen = BTreeMap::new();
    let mut fresh = Vec::new();
    for d in &dials {
        let to = twilio::field(&d.fields, "To")
            .unwrap()
            .trim_start_matches('+')
            .to_string();
        let n = seen.entry(to.clone()).or_insert(0);
        *n += 1;
        if *n == 1 {
            fresh.push(to);
        }
    }
    let expected: Vec<String> = first.iter().chain(&second).cloned().collect();
    assert_eq!(
        fresh, expected,
        "first dials in list order, the first started first"
    );
    for (&id, list) in ids.iter().zip([&first, &second]) {
        for (call, phone) in h.entries(id).await.calls.iter().zip(list.iter()) {
            let mine = dials_to(&dials, phone);
            assert_eq!(mine.len(), call.attempt as usize, "{phone}");
            let by = mine.last().unwrap().answered_by.as_deref().unwrap();
            let second_try = is_machine(mine[0].answered_by.as_deref().unwrap());
            assert_eq!(
                mine.len(),
                if second_try { 2 } else { 1 },
                "{phone}: only machines retried, once"
            );
            let expected = if is_machine(by) {
                Outcome::Machine
            } else {
                Outcome::Answered
            };
            assert_eq!(call.outcome, Some(expected), "{phone}");
        }
    }
    assert_within_excerpt(&dials, &h.sim.updates());
    let csv = h
        .http
        .get(h.url(&format!("/campaigns/{}/export.csv", ids[0])))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let header = csv.lines().next().unwrap();
    assert!(
        header.contains(",reason,answered_by,voicemail_left,timezones,"),
        "{header}"
    );
    assert!(
        csv.lines()
            .skip(1)
            .all(|l| l.contains(",human,") || l.contains(",machine,")),
        "{csv}"
    );
}

//! `--dialer twilio` against the Twilio simulator over loopback: two
//! campaigns dialed down with every outcome, the form the simulator
//! checked, a wrong credential refused, callbacks that are not Twilio's
//! refused without changing anything, late callbacks recorded as out of
//! order, `429` answers waited out without a second call, and `--max-cps`
//! as Twilio sees it, retried requests included.

use crate::helpers::{DEADLINE, client, phones, start_calls, statuses, wait_finished, wait_for};
use numdialer_core::api::{CallDetail, CampaignSummary, StatusesResponse};
use numdialer_core::args::ProviderKind;
use numdialer_core::protocol::twilio::Instructions;
use numdialer_core::protocol::twilio::{self, CALLBACK_EVENTS, CallStatus, SIGNATURE_HEADER};
use numdialer_core::{CallId, CampaignState, Outcome, Secret, Status};
use numdialer_server::provider::simulator::twilio::{
    TwilioDialRecord, TwilioSimConfig, TwilioSimulator,
};
use numdialer_server::startup::TwilioSettings;
use numdialer_server::{RunningServer, ServerConfig};
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;
use tempfile::TempDir;

const SID: &str = "AC0123456789abcdef0123456789abcdef";
pub(crate) const TOKEN: &str = "the-auth-token";
const FROM: &str = "+15005550006";

pub(crate) struct TwilioHarness {
    pub(crate) sim: TwilioSimulator,
    pub(crate) server: RunningServer,
    pub(crate) http: reqwest::Client,
    _dir: TempDir,
}

impl TwilioHarness {
    /// A server dialing through a Twilio simulator; `list`, if any, is the
    /// list `POST /calls` starts (campaign 1).
    pub(crate) async fn start(
        sim: TwilioSimConfig,
        list: Option<&[String]>,
        tweak: impl FnOnce(&mut ServerConfig),
    ) -> TwilioHarness {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sim = TwilioSimulator::start(sim, l).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut config = ServerConfig::default();
        config.http.listen = SocketAddr::from(([127, 0, 0, 1], 0));
        config.store.data_dir = Some(dir.path().to_path_buf());
        config.dialing.numbers = list.map(phones);
        config.provider.dialer_url = Some(sim.url());
        config.provider.dial_backoff = Duration::from_millis(10);
        // No result may depend on the hour the tests run at.
        config.dialing.calling_hours = Some(numdialer_core::hours::CallingHours::Off);
        config.provider.dialer = ProviderKind::Twilio;
        config.provider.twilio = Some(TwilioSettings {
            account_sid: SID.into(),
            auth_token: Secret::new(TOKEN),
            from: FROM.into(),
            instructions: Instructions::default(),
            ring_timeout: Duration::from_secs(25),
        });
        tweak(&mut config);
        let server = numdialer_server::start(config).await.unwrap();
        TwilioHarness {
            sim,
            server,
            http: client(),
            _dir: dir,
        }
    }

    pub(crate) async fn statuses(&self) -> StatusesResponse {
        statuses(&self.http, &self.server.url()).await.unwrap()
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    /// Imports `phones` through `POST /campaigns` as a draft; its id.
    pub(crate) async fn campaign(&self, name: &str, phones: &[String]) -> u64 {
        let r = self
            .http
            .post(self.url(&format!("/campaigns?name={name}")))
            .header("content-type", "text/plain")
            .body(phones.join("\n"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let c: CampaignSummary = r.json().await.unwrap();
        assert_eq!((c.state, c.total), (CampaignState::Draft, phones.len()));
        c.id
    }

    pub(crate) async fn start_campaign(&self, id: u64) {
        let r = self
            .http
            .post(self.url(&format!("/campaigns/{id}/start")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "start campaign {id}");
    }

    pub(crate) async fn entries(&self, id: u64) -> StatusesResponse {
        let r = self
            .http
            .get(self.url(&format!("/campaigns/{id}/statuses")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    /// Waits until campaign `id` is done; its entries.
    pub(crate) async fn wait_done(&self, id: u64) -> StatusesResponse {
        wait_for(&format!("campaign {id} done"), DEADLINE, || async {
            let s = self.entries(id).await;
            let state = s.campaign.as_ref().map(|c| c.state);
            (state == Some(CampaignState::Done)).then_some(s)
        })
        .await
    }

    pub(crate) async fn detail(&self, id: u64, index: usize) -> CallDetail {
        let r = self
            .http
            .get(self.url(&format!("/campaigns/{id}/calls/{index}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }
}

pub(crate) fn sim_config() -> TwilioSimConfig {
    TwilioSimConfig {
        account_sid: SID.into(),
        auth_token: Secret::new(TOKEN),
        time_scale: 0.01,
        seed: Some(11),
        ..TwilioSimConfig::default()
    }
}

fn numbers(n: usize) -> Vec<String> {
    numbers_from(0, n)
}

/// `n` numbers of the same exchange, from line `first` on, so that each
/// campaign's dials are told apart by their `To`.
pub(crate) fn numbers_from(first: usize, n: usize) -> Vec<String> {
    (first..first + n)
        .map(|i| format!("1301804{:04}", i))
        .collect()
}

/// The form of every dial the simulator answered: what Twilio requires,
/// each with the value numdialer must send.
fn assert_form(dial: &TwilioDialRecord, phone: &str, webhook_prefix: &str) {
    assert_eq!(dial.answer, 201, "Basic auth and form accepted: {dial:?}");
    let f = &dial.fields;
    assert_eq!(twilio::field(f, "To"), Some(format!("+{phone}").as_str()));
    assert_eq!(twilio::field(f, "From"), Some(FROM));
    assert_eq!(twilio::field(f, "Timeout"), Some("25"));
    assert_eq!(twilio::field(f, "StatusCallbackMethod"), Some("POST"));
    assert!(twilio::field(f, "Twiml").is_some());
    assert!(
        twilio::field(f, "StatusCallback")
            .unwrap()
            .starts_with(webhook_prefix)
    );
    assert_eq!(twilio::values(f, "StatusCallbackEvent"), CALLBACK_EVENTS);
}

/// Two campaigns, imported through `POST /campaigns` and both started,
/// share the lines (the first started dials first) and end with every
/// outcome: answered, `no_answer` for both `busy` and `no-answer` (each
/// its reason), and failed.
#[tokio::test]
async fn two_campaigns_through_twilio_see_every_outcome() {
    let first = numbers_from(0, 12);
    let second = numbers_from(100, 12);
    let sim = TwilioSimConfig {
        no_answer_rate: 0.25,
        busy_rate: 0.2,
        failed_rate: 0.15,
        ..sim_config()
    };
    let h = TwilioHarness::start(sim, None, |_| {}).await;
    let a = h.campaign("first", &first).await;
    let b = h.campaign("second", &second).await;
    h.start_campaign(a).await;
    h.start_campaign(b).await;
    let done = [
        (a, &first, h.wait_done(a).await),
        (b, &second, h.wait_done(b).await),
    ];

    let dials = h.sim.dials();
    let to: Vec<String> = dials
        .iter()
        .map(|d| twilio::field(&d.fields, "To").unwrap().to_string())
        .collect();
    let expected: Vec<String> = first
        .iter()
        .chain(&second)
        .map(|p| format!("+{p}"))
        .collect();
    assert_eq!(
        to, expected,
        "each number dialed once, the first started first"
    );
    let webhook_prefix = h.url("/webhooks/");
    let mut seen = BTreeSet::new();
    for (id, list, entries) in &done {
        assert_eq!(entries.calls.len(), list.len());
        for (call, phone) in entries.calls.iter().zip(list.iter()) {
            let dial = dials
                .iter()
                .find(|d| twilio::field(&d.fields, "To") == Some(format!("+{phone}").as_str()))
                .unwrap();
            assert_form(dial, phone, &webhook_prefix);
            let what = format!("campaign {id} entry {}", call.index);
            let sid = dial.sid.clone().unwrap();
            assert_eq!(call.id, Some(CallId::Text(sid)), "{what}");
            assert_eq!(call.attempt, 1, "{what}");
            let simulated = dial.outcome.unwrap();
            let expected = match simulated {
                CallStatus::Completed => (Status::Completed, Outcome::Answered, None),
                CallStatus::Busy | CallStatus::NoAnswer => (
                    Status::Completed,
                    Outcome::NoAnswer,
                    Some(simulated.as_str()),
                ),
                CallStatus::Failed => (Status::Failed, Outcome::Failed, Some("failed")),
                other => panic!("the simulator never ends a call {other}"),
            };
            let got = (call.status, call.outcome.unwrap(), call.reason.as_deref());
            assert_eq!(got, expected, "{what}");
            seen.insert((call.outcome.unwrap(), call.reason.clone()));
        }
        let summary = entries.campaign.as_ref().unwrap();
        assert_eq!(summary.finished(), list.len());
    }
    let reason = |r: &str| Some(r.to_string());
    assert_eq!(
        seen,
        BTreeSet::from([
            (Outcome::Answered, None),
            (Outcome::NoAnswer, reason("busy")),
            (Outcome::NoAnswer, reason("no-answer")),
            (Outcome::Failed, reason("failed")),
        ]),
        "every outcome seen"
    );
    let callbacks = wait_for("every callback answered", DEADLINE, || async {
        let c = h.sim.callbacks();
        c.iter().all(|c| c.answer.is_some()).then_some(c)
    })
    .await;
    assert!(
        callbacks
            .iter()
            .all(|c| matches!(c.answer, Some(200 | 204))),
        "{callbacks:?}"
    );
}

/// The simulator checks Basic auth as Twilio does: a wrong auth token is
/// answered 401 with Twilio's error, no call is created, and the entry
/// fails with that error's code and message.
#[tokio::test]
async fn a_wrong_auth_token_fails_the_entry_with_twilios_error() {
    let h = TwilioHarness::start(sim_config(), None, |c| {
        if let Some(t) = &mut c.provider.twilio {
            t.auth_token = Secret::new("not-the-token");
        }
    })
    .await;
    let id = h.campaign("refused", &numbers(1)).await;
    h.start_campaign(id).await;
    let done = h.wait_done(id).await;
    let call = &done.calls[0];
    assert_eq!(call.status, Status::Failed);
    let reason = call.reason.as_deref().unwrap();
    assert!(reason.contains("twilio 20003: Authenticate"), "{reason}");
    let dials = h.sim.dials();
    assert_eq!(dials.len(), 1, "refused, not retried");
    assert_eq!((dials[0].answer, dials[0].sid.as_ref()), (401, None));
    assert!(h.sim.callbacks().is_empty());
}

/// One call held at `dialing` (its callbacks are hours away), then callbacks
/// made up by someone who does not hold the auth token.
#[tokio::test]
async fn callbacks_that_twilio_did_not_sign_change_nothing() {
    let sim = TwilioSimConfig {
        time_scale: 10_000.0,
        ..sim_config()
    };
    let h = TwilioHarness::start(sim, Some(numbers(2).as_slice()), |_| {}).await;
    assert_eq!(start_calls(&h.http, &h.server.url()).await, 202);
    let dials = wait_for("both dials placed", DEADLINE, || async {
        let d = h.sim.dials();
        let s = h.statuses().await;
        (d.len() == 2 && s.calls.iter().all(|c| c.id.is_some())).then_some(d)
    })
    .await;
    let before = h.statuses().await;
    assert!(before.calls.iter().all(|c| c.status == Status::Dialing));
    let url = twilio::field(&dials[0].fields, "StatusCallback")
        .unwrap()
        .to_string();
    let other_url = twilio::field(&dials[1].fields, "StatusCallback")
        .unwrap()
        .to_string();
    let sid = dials[0].sid.clone().unwrap();
    let other_sid = dials[1].sid.clone().unwrap();
    let form = |sid: &str, status: &str| {
        vec![
            ("CallSid".to_string(), sid.to_string()),
            ("CallStatus".to_string(), status.to_string()),
            ("SequenceNumber".to_string(), "1".to_string()),
        ]
    };
    let post = |url: String, params: Vec<(String, String)>, signature: Option<String>| {
        let mut r = h
            .http
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(twilio::encode_form(&params));
        if let Some(s) = signature {
            r = r.header(SIGNATURE_HEADER, s);
        }
        async move { r.send().await.unwrap().status().as_u16() }
    };
    let completed = form(&sid, "completed");
    let refused = [
        ("missing", None),
        ("garbage", Some("bm90IGEgc2lnbmF0dXJl".to_string())),
        (
            "wrong key",
            Some(twilio::signature("guess", &url, &completed)),
        ),
        (
            "another URL",
            Some(twilio::signature(TOKEN, &other_url, &completed)),
        ),
    ];
    for (what, signature) in refused {
        assert_eq!(
            post(url.clone(), completed.clone(), signature).await,
            403,
            "{what}"
        );
    }
    // Genuine, but for the other call: its sid on this call's URL.
    let replayed = form(&other_sid, "completed");
    let signature = twilio::signature(TOKEN, &url, &replayed);
    assert_eq!(post(url.clone(), replayed, Some(signature)).await, 409);
    let after = h.statuses().await;
    assert_eq!(after.version, before.version, "nothing changed");
    assert_eq!(after.calls, before.calls);

    // The same request, signed for this URL, is applied: the refusals were
    // about the signature and nothing else.
    let signature = twilio::signature(TOKEN, &url, &completed);
    assert_eq!(post(url, completed, Some(signature)).await, 200);
    assert_eq!(h.statuses().await.calls[0].status, Status::Completed);
}

/// Twilio's 429 says no call was made: the dial waits `Retry-After` and is
/// sent again, and nobody is dialed twice.
#[tokio::test]
async fn a_429_waits_for_retry_after_and_dials_once() {
    let sim = TwilioSimConfig {
        throttle: 2,
        retry_after_secs: 1,
        ..sim_config()
    };
    let list = numbers(3);
    let h = TwilioHarness::start(sim, Some(list.as_slice()), |c| c.dialing.concurrency = 1).await;
    assert_eq!(start_calls(&h.http, &h.server.url()).await, 202);
    let done = wait_finished(&h.http, &h.server.url()).await;
    let dials = h.sim.dials();
    let answers: Vec<u16> = dials.iter().map(|d| d.answer).collect();
    assert_eq!(answers, [429, 429, 201, 201, 201]);
    let waited = dials[2].received_ms - dials[0].received_ms;
    assert!(
        waited >= 1_900.0,
        "two Retry-After: 1 honoured, waited {waited} ms"
    );
    let to: Vec<&str> = dials
        .iter()
        .filter(|d| d.answer == 201)
        .map(|d| twilio::field(&d.fields, "To").unwrap())
        .collect();
    let expected: Vec<String> = list.iter().map(|p| format!("+{p}")).collect();
    assert_eq!(to, expected, "each number placed once, in order");
    assert!(done.calls.iter().all(|c| c.status == Status::Completed));
}

/// `--max-cps 1` counts requests, as Twilio does: the retry of a dial
/// turned away with `429` waits its `Retry-After`, and the next entry's
/// request then waits a whole gap after that retry, not after the dial's
/// first request. Three lines are free, so only the cap spaces them.
#[tokio::test]
async fn a_retried_request_takes_its_turn_of_max_cps() {
    let sim = TwilioSimConfig {
        throttle: 1,
        retry_after_secs: 1,
        ..sim_config()
    };
    let list = numbers(3);
    let h = TwilioHarness::start(sim, Some(list.as_slice()), |c| {
        c.provider.max_cps = Some(1.0)
    })
    .await;
    assert_eq!(start_calls(&h.http, &h.server.url()).await, 202);
    wait_finished(&h.http, &h.server.url()).await;
    let dials = h.sim.dials();
    let answers: Vec<u16> = dials.iter().map(|d| d.answer).collect();
    assert_eq!(answers, [429, 201, 201, 201]);
    let at: Vec<f64> = dials.iter().map(|d| d.received_ms).collect();
    for pair in at.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap >= 950.0,
            "requests {gap} ms apart at --max-cps 1: {at:?}"
        );
    }
}

/// `--max-cps 1`, judged from the simulator's log: with three lines free
/// and two campaigns running, the dials still reach Twilio a second apart,
/// and the legacy `POST /calls` list is paced alike.
#[tokio::test]
async fn max_cps_spaces_the_dials_twilio_receives() {
    let list = numbers(2);
    let h = TwilioHarness::start(sim_config(), Some(list.as_slice()), |c| {
        c.provider.max_cps = Some(1.0)
    })
    .await;
    let a = h.campaign("first", &numbers_from(100, 3)).await;
    let b = h.campaign("second", &numbers_from(200, 3)).await;
    h.start_campaign(a).await;
    h.start_campaign(b).await;
    assert_eq!(start_calls(&h.http, &h.server.url()).await, 202);
    h.wait_done(a).await;
    h.wait_done(b).await;
    let done = wait_finished(&h.http, &h.server.url()).await;
    assert_eq!(
        done.max_cps.as_deref(),
        Some("1"),
        "the statuses say the cap"
    );
    let dials = h.sim.dials();
    assert_eq!(dials.len(), 8, "each entry dialed once");
    assert!(dials.iter().all(|d| d.answer == 201), "{dials:?}");
    let at: Vec<f64> = dials.iter().map(|d| d.received_ms).collect();
    for pair in at.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(gap >= 950.0, "dials {gap} ms apart at --max-cps 1: {at:?}");
    }
}

/// Twilio numbers each call's callbacks (`SequenceNumber`): one that
/// arrives after a higher number changes nothing, as any backwards move,
/// and its history event says it came out of order.
#[tokio::test]
async fn a_late_callback_is_recorded_as_out_of_order() {
    let sim = TwilioSimConfig {
        time_scale: 10_000.0,
        ..sim_config()
    };
    let h = TwilioHarness::start(sim, None, |_| {}).await;
    let id = h.campaign("late", &numbers(1)).await;
    h.start_campaign(id).await;
    let dial = wait_for("the dial placed", DEADLINE, || async {
        let d = h.sim.dials();
        let placed = h.entries(id).await.calls[0].id.is_some();
        (placed && d.len() == 1).then(|| d[0].clone())
    })
    .await;
    let url = twilio::field(&dial.fields, "StatusCallback")
        .unwrap()
        .to_string();
    let sid = dial.sid.unwrap();
    let send = |status: &str, sequence: u64| {
        let params: Vec<(String, String)> = [
            ("CallSid", sid.as_str()),
            ("CallStatus", status),
            ("SequenceNumber", &sequence.to_string()),
        ]
        .into_iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
        let signature = twilio::signature(TOKEN, &url, &params);
        let request = h
            .http
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header(SIGNATURE_HEADER, signature)
            .body(twilio::encode_form(&params))
            .send();
        async move {
            let r = request.await.unwrap();
            assert_eq!(r.status(), 200);
            r.json::<serde_json::Value>().await.unwrap()
        }
    };
    let answered = send("in-progress", 2).await;
    assert_eq!(answered["applied"], true);
    let late = send("ringing", 1).await;
    assert_eq!(late["applied"], false);
    assert_eq!(late["status"], "answered");
    let history = h.detail(id, 0).await.history;
    let last = history.last().unwrap();
    assert!(!last.applied);
    assert_eq!(
        last.note.as_deref(),
        Some("out of order: sequence 1 after 2; would move answered back to ringing"),
        "{history:#?}"
    );
    let next = send("completed", 3).await;
    assert_eq!(
        (next["applied"].clone(), next["status"].clone()),
        (true.into(), "completed".into())
    );
    let history = h.detail(id, 0).await.history;
    assert_eq!(history.last().unwrap().note, None, "in order again");
}

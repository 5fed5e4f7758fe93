//! `--dialer twilio` against the Twilio simulator over loopback: a whole
//! dial-down with every outcome, the form the simulator checked, callbacks
//! that are not Twilio's refused without changing anything, and `429`
//! answers waited out without a second call.

use crate::helpers::{DEADLINE, client, phones, start_calls, statuses, wait_finished, wait_for};
use numdialer_core::api::StatusesResponse;
use numdialer_core::protocol::twilio::Instructions;
use numdialer_core::protocol::twilio::{self, CALLBACK_EVENTS, CallStatus, SIGNATURE_HEADER};
use numdialer_core::{CallId, Outcome, Secret, Status};
use numdialer_server::provider::simulator::twilio::{TwilioSimConfig, TwilioSimulator};
use numdialer_server::startup::{Dialer, TwilioSettings};
use numdialer_server::{RunningServer, ServerConfig};
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;
use tempfile::TempDir;

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "the-auth-token";
const FROM: &str = "+15005550006";

struct TwilioHarness {
    sim: TwilioSimulator,
    server: RunningServer,
    http: reqwest::Client,
    _dir: TempDir,
}

impl TwilioHarness {
    async fn start(
        sim: TwilioSimConfig,
        list: &[String],
        tweak: impl FnOnce(&mut ServerConfig),
    ) -> TwilioHarness {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sim = TwilioSimulator::start(sim, l).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut config = ServerConfig::default();
        config.http.listen = SocketAddr::from(([127, 0, 0, 1], 0));
        config.store.data_dir = Some(dir.path().to_path_buf());
        config.dialing.numbers = Some(phones(list));
        config.provider.dialer_url = Some(sim.url());
        config.provider.dial_backoff = Duration::from_millis(10);
        config.provider.dialer = Dialer::Twilio(TwilioSettings {
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

    async fn statuses(&self) -> StatusesResponse {
        statuses(&self.http, &self.server.url()).await.unwrap()
    }
}

fn sim_config() -> TwilioSimConfig {
    TwilioSimConfig {
        account_sid: SID.into(),
        auth_token: Secret::new(TOKEN),
        time_scale: 0.01,
        seed: Some(11),
        ..TwilioSimConfig::default()
    }
}

fn numbers(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("1301804{:04}", i)).collect()
}

#[tokio::test]
async fn a_dial_down_through_twilio_sees_every_outcome() {
    let list = numbers(24);
    let sim = TwilioSimConfig {
        no_answer_rate: 0.25,
        busy_rate: 0.2,
        failed_rate: 0.15,
        ..sim_config()
    };
    let h = TwilioHarness::start(sim, &list, |_| {}).await;
    assert_eq!(start_calls(&h.http, &h.server.url()).await, 202);
    let done = wait_finished(&h.http, &h.server.url()).await;

    let dials = h.sim.dials();
    assert_eq!(dials.len(), list.len(), "each entry dialed once");
    let webhook_prefix = format!("{}/webhooks/", h.server.url());
    for (dial, phone) in dials.iter().zip(&list) {
        assert_eq!(dial.answer, 201, "Basic auth and form accepted: {dial:?}");
        let f = &dial.fields;
        assert_eq!(twilio::field(f, "To"), Some(format!("+{phone}").as_str()));
        assert_eq!(twilio::field(f, "From"), Some(FROM));
        assert_eq!(twilio::field(f, "Timeout"), Some("25"));
        assert!(twilio::field(f, "Twiml").is_some());
        assert!(
            twilio::field(f, "StatusCallback")
                .unwrap()
                .starts_with(&webhook_prefix)
        );
        assert_eq!(twilio::values(f, "StatusCallbackEvent"), CALLBACK_EVENTS);
    }

    let mut seen = BTreeSet::new();
    for (call, dial) in done.calls.iter().zip(&dials) {
        let sid = dial.sid.clone().unwrap();
        assert_eq!(call.id, Some(CallId::Text(sid)), "entry {}", call.index);
        let outcome = dial.outcome.unwrap();
        seen.insert(outcome.as_str());
        match outcome {
            CallStatus::Completed => assert_eq!(call.status, Status::Completed),
            other @ (CallStatus::Busy | CallStatus::NoAnswer) => {
                assert_eq!(call.status, Status::Completed, "entry {}", call.index);
                assert_eq!(
                    call.outcome,
                    Some(Outcome::NoAnswer),
                    "entry {}",
                    call.index
                );
                assert_eq!(call.reason.as_deref(), Some(other.as_str()));
            }
            other => {
                assert_eq!(call.status, Status::Failed, "entry {}", call.index);
                assert_eq!(call.outcome, Some(Outcome::Failed), "entry {}", call.index);
                assert_eq!(call.reason.as_deref(), Some(other.as_str()));
            }
        }
    }
    assert_eq!(
        seen,
        BTreeSet::from(["busy", "completed", "failed", "no-answer"]),
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

/// One call held at `dialing` (its callbacks are hours away), then callbacks
/// made up by someone who does not hold the auth token.
#[tokio::test]
async fn callbacks_that_twilio_did_not_sign_change_nothing() {
    let sim = TwilioSimConfig {
        time_scale: 10_000.0,
        ..sim_config()
    };
    let h = TwilioHarness::start(sim, &numbers(2), |_| {}).await;
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
    let h = TwilioHarness::start(sim, &list, |c| c.dialing.concurrency = 1).await;
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

/// `--max-cps 1`, judged from the simulator's log: with three lines free,
/// the dials still reach Twilio a second apart.
#[tokio::test]
async fn max_cps_spaces_the_dials_twilio_receives() {
    let list = numbers(4);
    let h = TwilioHarness::start(sim_config(), &list, |c| c.provider.max_cps = Some(1.0)).await;
    assert_eq!(start_calls(&h.http, &h.server.url()).await, 202);
    wait_finished(&h.http, &h.server.url()).await;
    let at: Vec<f64> = h.sim.dials().iter().map(|d| d.received_ms).collect();
    assert_eq!(at.len(), list.len());
    for pair in at.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(gap >= 950.0, "dials {gap} ms apart at --max-cps 1: {at:?}");
    }
}

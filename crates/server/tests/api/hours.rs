//! Calling hours in the callee's local time, end to end: the real
//! `numdialer-server` binary with its wall clock set by libfaketime (run
//! under `LD_PRELOAD`; `.ci/run` installs it), dialing a stand-in dialer
//! API in this process, which is not faked and records every dial in
//! order.
//!
//! A list of seven numbers, one in each of New York, Los Angeles, Chicago,
//! Anchorage, Denver, Honolulu and Phoenix, is imported with calling hours
//! 08:00-21:00 at 15:30 UTC on Wednesday 2026-12-02: 10:30 in New York,
//! 09:30 in Chicago, 08:30 in Denver and Phoenix (which keeps no DST), but
//! 07:30 in Los Angeles, 06:30 in Anchorage and 05:30 in Honolulu. Only
//! the first four are dialed, in list order; the other three wait for
//! 08:00 in their zones. The server is then started again on the same data
//! directory with its clock at 18:30 UTC, past every opening: the three
//! are dialed, by the time their window opened, and nobody twice.

use crate::helpers::{
    DEADLINE, Harness, SERVER_BIN, client, fast_sim, free_port, start_sim, wait_for,
};
use numdialer_core::api::{CreatedCampaign, StatusesResponse};
use numdialer_core::{Outcome, Status, Timestamp};
use numdialer_testkit::{Log, ServerProcess};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Where Debian puts libfaketime, by architecture; another place can be
/// named in `NUMDIALER_TEST_LIBFAKETIME`.
const LIBFAKETIME: [&str; 3] = [
    "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/faketime/libfaketime.so.1",
];

fn libfaketime() -> PathBuf {
    std::env::var_os("NUMDIALER_TEST_LIBFAKETIME")
        .map(PathBuf::from)
        .or_else(|| LIBFAKETIME.iter().map(PathBuf::from).find(|p| p.exists()))
        .expect(
            "libfaketime is needed to set the server's clock: apt-get install libfaketime \
             (.ci/run installs it), or name it in NUMDIALER_TEST_LIBFAKETIME",
        )
}

/// The list, in order, with the UTC instant each one's 08:00 comes on
/// 2026-12-02 (`None`: open at 15:30 UTC). Anchorage is given by the
/// import's `timezone` column, the others by their numbers.
const LIST: [(&str, &str, &str, Option<&str>); 7] = [
    ("12124567890", "New York", "", None),
    (
        "12132345678",
        "Los Angeles",
        "",
        Some("2026-12-02T16:00:00Z"),
    ),
    ("13122345678", "Chicago", "", None),
    (
        "19072645678",
        "Anchorage",
        "America/Anchorage",
        Some("2026-12-02T17:00:00Z"),
    ),
    ("13032345678", "Denver", "", None),
    ("18082345678", "Honolulu", "", Some("2026-12-02T18:00:00Z")),
    ("16022345678", "Phoenix", "", None),
];

/// The binary on `data`, its clock starting at `at` (UTC), dialing `dialer`
/// under calling hours 08:00-21:00.
async fn server_at(
    at: &str,
    data: &Path,
    dialer: &str,
    listen: SocketAddr,
    log: &Path,
) -> ServerProcess {
    let lib = libfaketime();
    let args = [
        "--dialer-url",
        dialer,
        "--data-dir",
        data.to_str().unwrap(),
        "--concurrency",
        "1",
        "--calling-hours",
        "08:00-21:00",
    ];
    let spec = format!("@{at}");
    let env = [
        ("LD_PRELOAD", lib.to_str().unwrap()),
        ("FAKETIME", spec.as_str()),
        ("TZ", "UTC"),
        // Only the wall clock is set: deadlines and timers keep running on
        // the real monotonic clock.
        ("FAKETIME_DONT_FAKE_MONOTONIC", "1"),
    ];
    let log = Log {
        filter: "info",
        file: Some(log),
    };
    ServerProcess::start_with_env(Path::new(SERVER_BIN), listen, &args, &env, log)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"))
}

async fn campaign_statuses(
    http: &reqwest::Client,
    base: &str,
    id: u64,
) -> Option<StatusesResponse> {
    let r = http
        .get(format!("{base}/campaigns/{id}/statuses"))
        .send()
        .await
        .ok()?;
    r.json().await.ok()
}

fn ts(s: &str) -> Timestamp {
    serde_json::from_value(serde_json::json!(s)).unwrap()
}

#[tokio::test]
async fn only_entries_inside_their_window_are_dialed_and_the_rest_when_it_opens() {
    let sim = start_sim(fast_sim()).await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("server.log");
    let listen = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let http = client();

    let mut server = server_at("2026-12-02 15:30:00", &data, &sim.url(), listen, &log).await;
    let base = server.base().to_string();
    let mut csv = String::from("phone,name,timezone\n");
    for (phone, name, zone, _) in LIST {
        csv.push_str(&format!("+{phone},{name},{zone}\n"));
    }
    let r = http
        .post(format!("{base}/campaigns?start=true"))
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::CREATED);
    let created: CreatedCampaign = r.json().await.unwrap();
    let id = created.summary.id;
    assert_eq!(
        created.summary.calling.hours.calling_hours.to_string(),
        "08:00-21:00"
    );

    // The four open ones end; the three closed ones wait, with no attempt.
    let open: Vec<usize> = (0..LIST.len()).filter(|&i| LIST[i].3.is_none()).collect();
    let s = wait_for("the open entries to end", DEADLINE, || async {
        let s = campaign_statuses(&http, &base, id).await?;
        let done = open.iter().all(|&i| s.calls[i].status.is_final());
        let held = s
            .calls
            .iter()
            .filter(|c| c.status == Status::Waiting)
            .count();
        (done && held == 3).then_some(s)
    })
    .await;
    let dialed: Vec<String> = sim.dials().into_iter().map(|d| d.phone).collect();
    let expected: Vec<String> = open.iter().map(|&i| LIST[i].0.to_string()).collect();
    assert_eq!(dialed, expected, "the open ones, in list order");
    for (i, (_, name, _, opens)) in LIST.iter().enumerate() {
        let c = &s.calls[i];
        match opens {
            None => assert_eq!(c.attempt, 1, "{name}"),
            Some(at) => {
                assert_eq!(
                    (c.status, c.attempt, c.retry_at),
                    (Status::Waiting, 0, Some(ts(at))),
                    "{name}"
                );
                let reason = c.reason.as_deref().unwrap_or_default();
                assert!(
                    reason.starts_with("outside calling hours 08:00–21:00 ")
                        && reason.contains(" until 2026-12-02 08:00 "),
                    "{name}: {reason}"
                );
            }
        }
    }
    assert_eq!(
        s.calls[3].timezones,
        ["America/Anchorage"],
        "the import's zone"
    );
    assert_eq!(s.calls[5].timezones, ["Pacific/Honolulu"]);
    let summary = s.campaign.expect("a campaign's statuses carry its summary");
    assert_eq!(summary.calling.waiting_for_hours, 3);
    assert_eq!(
        summary.calling.next_opening,
        Some(ts("2026-12-02T16:00:00Z"))
    );
    let metrics = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("numdialer_deferred_total{rule=\"calling_hours\"} 3"),
        "{metrics}"
    );

    // The clock moves past every opening: a new process on the same
    // directory, three hours later by the wall clock.
    server.kill9().unwrap();
    drop(server);
    let server = server_at("2026-12-02 18:30:00", &data, &sim.url(), listen, &log).await;
    let s = wait_for("every entry to end", DEADLINE, || async {
        let s = campaign_statuses(&http, server.base(), id).await?;
        s.calls.iter().all(|c| c.status.is_final()).then_some(s)
    })
    .await;
    let dialed: Vec<String> = sim.dials().into_iter().map(|d| d.phone).collect();
    let mut expected = expected;
    // By the time each window opened, then list order.
    expected.extend([1, 3, 5].map(|i| LIST[i].0.to_string()));
    assert_eq!(dialed, expected, "each entry dialed once");
    for c in &s.calls {
        assert_eq!(c.attempt, 1, "entry {}", c.index);
        assert_ne!(c.outcome, Some(Outcome::Skipped));
    }
}

async fn post(h: &Harness, query: &str, content_type: &str, body: &str) -> reqwest::Response {
    h.http
        .post(h.url(&format!("/campaigns{query}")))
        .header("content-type", content_type)
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

async fn campaign_count(h: &Harness) -> usize {
    let r = h.http.get(h.url("/campaigns")).send().await.unwrap();
    let list: numdialer_core::api::CampaignsResponse = r.json().await.unwrap();
    list.campaigns.len()
}

/// Each bad setting or zone is refused with a 422 naming it, and nothing
/// is stored; a window over midnight and a full set of settings are taken.
#[tokio::test]
async fn bad_calling_hours_are_refused_naming_the_field_and_good_ones_are_kept() {
    let h = Harness::start(fast_sim(), |_| {}).await;
    let csv = "phone\n+12124567890\n";
    for (query, field) in [
        ("?calling_hours=25:00-26:00", "calling_hours"),
        ("?calling_hours=08:00-08:00", "calling_hours"),
        ("?calling_hours=", "calling_hours"),
        ("?days=mon-funday", "days"),
        ("?holidays=2026-12-25,christmas", "holidays"),
        ("?fallback_timezone=Mars/Olympus", "fallback_timezone"),
    ] {
        let r = post(&h, query, "text/csv", csv).await;
        assert_eq!(r.status(), 422, "{query}");
        let e: serde_json::Value = r.json().await.unwrap();
        let error = e["error"].as_str().unwrap();
        assert!(error.starts_with(&format!("{field}: ")), "{query}: {error}");
    }
    let zones = "phone,timezone\n+12124567890,America/Chicago\n+12132345678,Mars/Olympus\n";
    let r = post(&h, "", "text/csv", zones).await;
    assert_eq!(r.status(), 422);
    let e: serde_json::Value = r.json().await.unwrap();
    assert_eq!(e["errors"][0]["line"], 3, "{e}");
    let error = e["errors"][0]["error"].as_str().unwrap();
    assert!(
        error.starts_with("timezone: unknown time zone \"Mars/Olympus\""),
        "{error}"
    );
    let json = r#"{"entries": [{"phone": "+12124567890", "timezone": "Nowhere/Town"}]}"#;
    let r = post(&h, "", "application/json", json).await;
    assert_eq!(r.status(), 422);
    let r = post(&h, "?calling_hours=off", "application/json", json).await;
    assert_eq!(r.status(), 400, "settings of a JSON body go in the body");
    assert_eq!(campaign_count(&h).await, 1, "nothing stored");

    let r = post(
        &h,
        "?calling_hours=21:00-08:00&days=mon-fri",
        "text/csv",
        zones.replace("Mars/Olympus", "").as_str(),
    )
    .await;
    assert_eq!(r.status(), 201);
    let c: CreatedCampaign = r.json().await.unwrap();
    assert_eq!(
        (
            c.summary.calling.hours.calling_hours.to_string(),
            c.summary.calling.hours.days.to_string()
        ),
        ("21:00-08:00".into(), "mon-fri".into())
    );
    let json = r#"{"numbers": ["+18004444444"], "calling_hours": "09:00-17:00",
        "holidays": ["2026-12-25", "2027-01-01"], "fallback_timezone": "America/Chicago"}"#;
    let r = post(&h, "", "application/json", json).await;
    assert_eq!(r.status(), 201);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["calling_hours"], "09:00-17:00");
    assert_eq!(v["days"], "mon-sun");
    assert_eq!(
        v["holidays"],
        serde_json::json!(["2026-12-25", "2027-01-01"])
    );
    assert_eq!(v["fallback_timezone"], "America/Chicago");
    assert_eq!(v["waiting_for_hours"], 0);
    // Without settings, the server's --calling-hours (off here).
    let r = post(&h, "", "text/csv", csv).await;
    let c: CreatedCampaign = r.json().await.unwrap();
    assert!(c.summary.calling.hours.is_off());
    assert_eq!(campaign_count(&h).await, 4);
    // The entry's zones, from the import's column, while hours are on.
    let r = h
        .http
        .get(h.url("/campaigns/2/calls/0"))
        .send()
        .await
        .unwrap();
    let d: serde_json::Value = r.json().await.unwrap();
    assert_eq!(d["timezones"], serde_json::json!(["America/Chicago"]));
    h.stop().await;
}

/// A rules file that cannot be read or parsed, or a bad `--calling-hours`,
/// stops the start naming the file and the line, or the flag.
#[test]
fn a_bad_rules_file_or_window_stops_the_start_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("rules.toml");
    std::fs::write(
        &bad,
        "[[rule]]\nname = \"Florida\"\nhours = \"08:00-25:00\"\nprefixes = [\"1305\"]\n",
    )
    .unwrap();
    let missing = dir.path().join("missing.toml");
    let run = |extra: &[&str]| {
        let out = std::process::Command::new(SERVER_BIN)
            .args(["--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path().join("data"))
            .args(extra)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{extra:?} started");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = run(&["--calling-rules", bad.to_str().unwrap()]);
    assert!(
        err.contains("--calling-rules") && err.contains("rules.toml") && err.contains("line 3"),
        "{err}"
    );
    let err = run(&["--calling-rules", missing.to_str().unwrap()]);
    assert!(
        err.contains("cannot read --calling-rules") && err.contains("missing.toml"),
        "{err}"
    );
    let err = run(&["--calling-hours", "25:00-26:00"]);
    assert!(
        err.contains("--calling-hours") && err.contains("25:00"),
        "{err}"
    );
}

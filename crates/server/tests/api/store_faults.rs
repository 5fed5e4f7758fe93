//! A store whose flushes fail (a full disk, injected through the
//! `failpoints` feature): no 2xx for a change that is not durable, no dial
//! without a durable record, reads say `degraded`; a failure that heals
//! within the grace lets dialing resume by itself, one that outlasts it
//! stops the server, and a restart completes the dial-down. Every entry is
//! dialed once.

use crate::helpers::*;
use numdialer_core::DEFAULT_NUMBERS;
use numdialer_server::RunningServer;
use numdialer_server::provider::simulator::{SimConfig, Simulator};
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

/// Calls slow enough that a failure lands in the middle of the list.
fn paced_sim() -> SimConfig {
    SimConfig {
        time_scale: 0.05,
        ..fast_sim()
    }
}

async fn start_on(sim: &Simulator, dir: &Path, grace: Duration) -> RunningServer {
    let mut config = numdialer_server::ServerConfig::default();
    config.http.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    config.provider.dialer_url = Some(sim.url());
    config.store.data_dir = Some(dir.to_path_buf());
    config.store.grace = grace;
    config.dialing.call_timeout = Duration::from_secs(2);
    numdialer_server::start(config).await.unwrap()
}

#[tokio::test]
async fn a_store_that_heals_within_the_grace_resumes_by_itself() {
    let h = Harness::start(paced_sim(), |c| {
        c.store.grace = Duration::from_secs(60);
        // Webhooks refused while degraded are never sent again.
        c.dialing.call_timeout = Duration::from_secs(2);
    })
    .await;
    assert_eq!(h.start_calls().await, 202);
    wait_for("three dials", DEADLINE, || async {
        (h.sim.dials().len() >= 3).then_some(())
    })
    .await;
    let heals_at = Instant::now() + Duration::from_millis(1500);
    h.server
        .engine
        .store()
        .faults()
        .fail_flushes_until(heals_at);

    let reason = wait_for("the server to say degraded", DEADLINE, || async {
        h.statuses().await.degraded
    })
    .await;
    assert!(reason.contains("No space left on device"), "{reason}");
    let dialed_then = h.sim.dials().len();

    let ready = h.http.get(h.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert!(
        body["store"].as_str().unwrap().contains("No space"),
        "{body}"
    );
    let start = h.http.post(h.url("/calls")).send().await.unwrap();
    assert_eq!(
        start.status(),
        503,
        "no 2xx while nothing can be made durable"
    );
    let webhook_url = h.sim.dials()[0].webhook_url.clone();
    let webhook = h
        .http
        .post(webhook_url)
        .json(&serde_json::json!({"id": h.sim.dials()[0].id, "status": "completed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        webhook.status(),
        503,
        "a webhook is not acknowledged either"
    );

    // While it lasts, nothing new is dialed: at most the one dial that was
    // already out (its record was durable before it left) arrives.
    while Instant::now() < heals_at {
        let s = h.statuses().await;
        let dials = h.sim.dials().len();
        assert!(
            dials <= dialed_then + 1,
            "{dials} dials, {dialed_then} when it failed"
        );
        if s.degraded.is_none() {
            break;
        }
    }
    let done = h.wait_finished().await;
    assert!(done.degraded.is_none());
    assert!(done.calls.iter().all(|c| c.status.is_final()));
    assert_dialed_in_order(&h.sim.dials(), &DEFAULT_NUMBERS, 3);
    h.stop().await;
}

#[tokio::test]
async fn a_store_failing_past_the_grace_stops_and_a_restart_finishes() {
    let sim = start_sim(paced_sim()).await;
    let dir = tempfile::tempdir().unwrap();
    let server = start_on(&sim, dir.path(), Duration::from_millis(500)).await;
    let http = client();
    assert_eq!(start_calls(&http, &server.url()).await, 202);
    wait_for("three dials", DEADLINE, || async {
        (sim.dials().len() >= 3).then_some(())
    })
    .await;
    let forever = Instant::now() + Duration::from_secs(3600);
    server.engine.store().faults().fail_flushes_until(forever);
    let why = tokio::time::timeout(DEADLINE, server.failed())
        .await
        .expect("the server gives up within the deadline");
    assert!(why.contains("--store-grace"), "{why}");
    server.shutdown().await;

    let server = start_on(&sim, dir.path(), Duration::from_secs(30)).await;
    let done = wait_finished(&http, &server.url()).await;
    assert!(done.calls.iter().all(|c| c.status.is_final()));
    let dials = sim.dials();
    let phones: Vec<&str> = dials.iter().map(|d| d.phone.as_str()).collect();
    assert_eq!(phones, DEFAULT_NUMBERS, "each entry dialed once, in order");
    server.shutdown().await;
}

/// A real full filesystem: a 3 MB tmpfs fills up during a 3,000-entry
/// dial-down. Needs root (to mount), so it is ignored by default:
/// `cargo test -p numdialer-server --test api full_disk -- --ignored`.
#[tokio::test]
#[ignore = "mounts a tmpfs: needs root"]
async fn a_full_disk_stops_the_server_and_a_restart_after_growing_it_finishes() {
    use std::process::Command;
    let mount = tempfile::tempdir().unwrap();
    let at = mount.path().to_str().unwrap().to_string();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=3m", "tmpfs", &at])
        .status()
        .unwrap();
    assert!(mounted.success(), "mounting a tmpfs needs root");
    struct Unmount(String);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(at.clone());

    let sim = start_sim(SimConfig {
        time_scale: 0.002,
        ..fast_sim()
    })
    .await;
    let work = tempfile::tempdir().unwrap();
    let list: Vec<String> = (0..3000).map(|i| format!("1301804{i:04}")).collect();
    let list_file = work.path().join("numbers.txt");
    std::fs::write(&list_file, list.join("\n")).unwrap();
    let data = mount.path().join("data");
    let args = |port: u16| -> Vec<String> {
        [
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--dialer-url",
            &sim.url(),
            "--data-dir",
            data.to_str().unwrap(),
            "--numbers-file",
            list_file.to_str().unwrap(),
            "--concurrency",
            "30",
            "--call-timeout",
            "2",
            "--store-grace",
            "3",
        ]
        .map(String::from)
        .to_vec()
    };
    let port = free_port();
    let log = work.path().join("server.log");
    let argv = args(port);
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    let mut server = start_server(SocketAddr::from(([127, 0, 0, 1], port)), &argv[2..], &log).await;
    let http = client();
    assert_eq!(start_calls(&http, server.base()).await, 202);
    let reason = wait_for("the server to say degraded", DEADLINE, || async {
        statuses(&http, server.base())
            .await
            .and_then(|s| s.degraded)
    })
    .await;
    assert!(reason.contains("No space left on device"), "{reason}");
    let code = wait_for("the server to give up", DEADLINE, || {
        let status = server.try_wait().unwrap();
        async move { status }
    })
    .await;
    assert_eq!(code.code(), Some(4), "exits for its supervisor");

    let grown = Command::new("mount")
        .args(["-o", "remount,size=64m", &at])
        .status()
        .unwrap();
    assert!(grown.success());
    let server = start_server(SocketAddr::from(([127, 0, 0, 1], port)), &argv[2..], &log).await;
    let done = wait_finished(&http, server.base()).await;
    assert!(done.degraded.is_none());
    let dials = sim.dials();
    let unique: std::collections::HashSet<&str> = dials.iter().map(|d| d.phone.as_str()).collect();
    assert_eq!(
        (dials.len(), unique.len()),
        (3000, 3000),
        "each entry dialed once"
    );
}

//! A data directory that lost what it had made durable is refused: the
//! real binary exits with code 2, says what it found, and dials nobody;
//! `--accept-data-loss` starts it anyway.

use crate::helpers::*;
use numdialer_core::CampaignState;
use numdialer_core::api::CampaignsResponse;
use numdialer_server::provider::simulator::{SimConfig, Simulator};
use std::path::Path;
use std::process::{Command, Output};
use tempfile::TempDir;

/// A finished dial-down of the default list, stopped cleanly: all 9
/// entries were dialed, and the directory's manifest says so.
async fn finished() -> (Simulator, TempDir) {
    let h = Harness::start(fast_sim(), |_| {}).await;
    assert_eq!(h.start_calls().await, 202);
    h.wait_finished().await;
    let (sim, dir) = h.stop_keeping().await;
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("numdialer-manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["dialed"], 9, "{manifest}");
    (sim, dir)
}

/// The real binary on `dir`, until it exits (a refused start exits at once).
fn start_binary(dir: &Path, sim: &Simulator, extra: &[&str]) -> Output {
    Command::new(SERVER_BIN)
        .args(["--listen", "127.0.0.1:0", "--dialer-url", &sim.url()])
        .args(["--data-dir", dir.to_str().unwrap()])
        .args(extra)
        .output()
        .unwrap()
}

/// Damages the sled file, checks the refusal and that nobody was dialed.
async fn refused_after(damage: impl FnOnce(&Path), named: &str) {
    let (sim, dir) = finished().await;
    damage(&dir.path().join("db"));
    let out = start_binary(dir.path(), &sim, &[]);
    let log = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{log}");
    assert!(log.contains("refusing the data directory"), "{log}");
    assert!(log.contains(named), "{log}");
    assert!(log.contains("--accept-data-loss"), "says what to do: {log}");
    assert_eq!(sim.dials().len(), 9, "nobody dialed again");

    // The operator's explicit choice starts it.
    let path = dir.path().to_path_buf();
    let h = Harness::start(fast_sim(), move |c| {
        c.store.data_dir = Some(path);
        c.store.accept_data_loss = true;
    })
    .await;
    assert_eq!(h.statuses().await.calls.len(), 9);
    h.stop().await;
}

#[tokio::test]
async fn a_truncated_store_is_refused() {
    refused_after(
        |db| {
            let f = std::fs::OpenOptions::new().write(true).open(db).unwrap();
            f.set_len(5_000).unwrap();
        },
        "sled lost writes",
    )
    .await;
}

#[tokio::test]
async fn a_zeroed_store_is_refused() {
    refused_after(
        |db| {
            let mut bytes = std::fs::read(db).unwrap();
            let mid = bytes.len() / 4;
            let end = (mid + 20_000).min(bytes.len());
            bytes[mid..end].fill(0);
            std::fs::write(db, bytes).unwrap();
        },
        "sled lost writes",
    )
    .await;
}

#[tokio::test]
async fn a_deleted_store_is_refused() {
    refused_after(|db| std::fs::remove_file(db).unwrap(), "its store is empty").await;
}

#[tokio::test]
async fn a_store_from_another_directory_is_refused() {
    let (sim, dir) = finished().await;
    let (_, other) = finished().await;
    std::fs::copy(other.path().join("db"), dir.path().join("db")).unwrap();
    let out = start_binary(dir.path(), &sim, &[]);
    let log = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{log}");
    assert!(log.contains("belongs to another data directory"), "{log}");
    assert_eq!(sim.dials().len(), 9);
}

/// A restart cancels a stopped campaign's undialed entries again, which
/// moves its version on. That version must be stored before the manifest
/// counts it: otherwise a `kill -9` right after leaves a store "older" than
/// its manifest, and the next start refuses the directory.
#[tokio::test]
async fn restarts_of_a_stopped_campaign_never_outrun_the_manifest() {
    let sim = start_sim(SimConfig {
        time_scale: 100.0,
        seed: Some(3),
        ..SimConfig::default()
    })
    .await;
    let mut node = Node::start(&sim, None, &[]).await;
    let base = node.server.base().to_string();
    let list: String = (0..20).map(|i| format!("1301804{i:04}\n")).collect();
    let r = node
        .http
        .post(format!("{base}/campaigns?start=true"))
        .header("content-type", "text/plain")
        .body(list)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let stop = node
        .http
        .post(format!("{base}/campaigns/2/stop"))
        .send()
        .await
        .unwrap();
    assert_eq!(stop.status(), 200);
    let manifest = node
        .log
        .with_file_name("data")
        .join("numdialer-manifest.json");
    for round in 0..3 {
        node.server.kill9().unwrap();
        node.restart().await;
        let base = node.server.base().to_string();
        let list: CampaignsResponse = node
            .http
            .get(format!("{base}/campaigns"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let stopped = list.campaigns.iter().find(|c| c.id == 2).unwrap();
        assert_eq!(stopped.state, CampaignState::Stopped, "round {round}");
        // The keeper catches up within about a second: wait until the
        // manifest counts what this process holds, then kill it.
        wait_for("the manifest to catch up", DEADLINE, || async {
            let m: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&manifest).ok()?).ok()?;
            (m["version"].as_u64()? >= list.version).then_some(())
        })
        .await;
    }
}

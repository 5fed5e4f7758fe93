//! A data directory that lost what it had made durable is refused: the
//! real binary exits with code 2, says what it found, and dials nobody;
//! `--accept-data-loss` starts it anyway.

use crate::helpers::*;
use numdialer_server::provider::simulator::Simulator;
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

//! The real binary as a child process: kill -9 in the middle of a
//! dial-down, restart on the same data directory, and nothing is dialed twice.

use crate::helpers::*;
use numdialer_core::Status;
use numdialer_testkit::Log;
use std::net::SocketAddr;
use std::path::Path;

#[tokio::test]
async fn kill_9_and_restart_resumes_without_dialing_twice() {
    let sim = start_sim(fast_sim()).await;
    let numbers: Vec<String> = (0..30).map(|i| format!("1301804{:04}", i)).collect();
    let mut node = Node::start(&sim, Some(&numbers), &["--call-timeout", "1"]).await;
    assert_eq!(node.start_calls().await, 202);
    let http = node.http.clone();

    for kill_after in [4, 12, 21] {
        wait_for("dials to reach the kill point", DEADLINE, || async {
            (sim.dials().len() >= kill_after).then_some(())
        })
        .await;
        let seen = statuses(&http, node.server.base()).await.unwrap();
        node.server.kill9().unwrap();
        node.restart().await;
        let now = statuses(&http, node.server.base()).await.unwrap();
        assert!(now.started, "still started after the crash");
        for (a, b) in seen.calls.iter().zip(&now.calls) {
            assert!(
                b.status.rank() >= a.status.rank(),
                "entry {} lost {} on restart",
                a.index,
                a.status
            );
        }
    }
    let done = wait_finished(&http, node.server.base()).await;
    assert!(done.calls.iter().all(|c| c.status.is_final()));
    // A kill between storing an entry as dialing and sending its POST /call
    // means that entry is never dialed at all (at most once, never twice):
    // the API saw a strictly increasing subsequence of the list.
    let dials = sim.dials();
    let received: Vec<usize> = dials
        .iter()
        .map(|d| numbers.iter().position(|n| *n == d.phone).unwrap())
        .collect();
    assert!(
        received.windows(2).all(|w| w[0] < w[1]),
        "order at the API: {received:?}"
    );
    assert!(dials.iter().all(|d| d.in_flight_before < 3), "window");
    assert!(
        received.len() >= numbers.len() - 3,
        "only a kill can skip a dial"
    );
    for call in &done.calls {
        match received.iter().position(|&i| i == call.index) {
            Some(k) if call.status == Status::Completed => {
                assert_eq!(call.id, dials[k].id.map(Into::into))
            }
            Some(_) => {}
            None => assert_eq!(
                call.reason.as_deref(),
                Some("no final webhook within 1 s"),
                "entry {} was never sent",
                call.index
            ),
        }
    }
    assert!(done.count(Status::Completed) > 0);
    assert_eq!(
        start_calls(&http, node.server.base()).await,
        409,
        "a restarted server never dials the list again"
    );
}

#[tokio::test]
async fn the_binary_alone_completes_on_its_embedded_simulator() {
    let dir = tempfile::tempdir().unwrap();
    let listen = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let data = dir.path().join("data");
    let http = client();
    let server = start_server(
        listen,
        &[
            "--data-dir",
            data.to_str().unwrap(),
            "--sim-time-scale",
            "0.01",
        ],
        &dir.path().join("log"),
    )
    .await;
    assert_eq!(start_calls(&http, server.base()).await, 202);
    let done = wait_finished(&http, server.base()).await;
    assert_eq!(done.count(Status::Completed), 9, "{done:#?}");
    let ids: std::collections::HashSet<_> =
        done.calls.iter().map(|c| c.id.clone().unwrap()).collect();
    assert_eq!(ids.len(), 9, "one call id per entry");
}

/// The test kit reports a server that exits instead of serving at once,
/// with the server's own words from its log, rather than after its deadline.
#[tokio::test]
async fn a_server_that_cannot_start_is_reported_with_its_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let listen = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let log = Log {
        filter: "info",
        file: Some(&log),
    };
    let err = ServerProcess::start(Path::new(SERVER_BIN), listen, &["--concurrency", "0"], log)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("exited"), "{err}");
    assert!(err.contains("--concurrency"), "no log in: {err}");
}

fn run(args: &[&str]) -> std::process::Output {
    std::process::Command::new(SERVER_BIN)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn bad_configuration_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("n.txt");
    std::fs::write(&list, "# list\n13018040009\n\n555-123\n").unwrap();
    let out = run(&[
        "--numbers-file",
        list.to_str().unwrap(),
        "--data-dir",
        dir.path().join("d").to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 4") && err.contains("555-123"), "{err}");

    let out = run(&["--concurrency", "0"]);
    assert!(!out.status.success());
    let out = run(&["--dialer-url", "localhost:4830"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("http://"));
}

/// A data directory held by another process, and an address in use: each
/// named once, with what to do, and each with its own exit code.
#[tokio::test]
async fn start_errors_name_their_cause_once() {
    let h = Harness::start(fast_sim(), |_| {}).await;
    let dir = h.data_dir().to_path_buf();
    let free = format!("127.0.0.1:{}", free_port());
    let out = run(&["--listen", &free, "--data-dir", dir.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("is in use by another process"), "{err}");
    assert!(err.contains("choose another --data-dir"), "{err}");
    assert_eq!(err.matches("lock").count(), 1, "the cause once: {err}");

    let taken = h.server.addr.to_string();
    let other = tempfile::tempdir().unwrap();
    let out = run(&[
        "--listen",
        &taken,
        "--data-dir",
        other.path().to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains(&format!("cannot listen on {taken}")), "{err}");
    assert_eq!(err.matches("in use").count(), 1, "the cause once: {err}");
    h.stop().await;
}

#[test]
fn help_explains_every_flag() {
    let out = run(&["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--listen",
        "--public-url",
        "--dialer-url",
        "--data-dir",
        "--concurrency",
        "--call-timeout",
        "--numbers-file",
        "--api-token",
        "NUMDIALER_DATA_DIR",
        "--calling-hours",
        "NUMDIALER_CALLING_HOURS",
        "--webhooks-allow-private",
        "NUMDIALER_WEBHOOKS_ALLOW_PRIVATE",
        "--calling-rules",
        "NUMDIALER_CALLING_RULES",
    ] {
        assert!(help.contains(flag), "{flag} missing from --help");
    }
    let out = run(&["simulate", "--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("--time-scale") && help.contains("--seed"));
}

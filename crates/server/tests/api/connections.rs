//! Connections that never send a request, on the real binary: closed within
//! the header timeout whatever the protocol, on the API and the metrics
//! port; under a low descriptor limit they cannot take the descriptors the
//! store and the dials need. Also the start-up guards of the same issue:
//! `--metrics-insecure`, `--api-token-file`, and exit 4 when the store
//! cannot be written at start.

use crate::helpers::*;
use numdialer_core::Status;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// A shell script that runs the server binary under `limits` (`ulimit`
/// lines), so that the limits hold in the server alone.
fn limited_server(dir: &Path, limits: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let script = dir.join("limited-server.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\n{limits}\nexec '{SERVER_BIN}' \"$@\"\n"),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

/// Sends `bytes`, then reads until the server closes the connection; how
/// long that took from the connect.
async fn held_for(addr: SocketAddr, bytes: &'static [u8]) -> Duration {
    let began = Instant::now();
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(bytes).await.unwrap();
    let mut buf = [0u8; 1024];
    let closed = tokio::time::timeout(DEADLINE, async {
        // HTTP/2's preface is answered with the server's SETTINGS first.
        while let Ok(n) = s.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "{bytes:?}: still open after {DEADLINE:?}");
    began.elapsed()
}

#[tokio::test]
async fn silent_connections_are_closed_within_the_header_timeout() {
    let sim = start_sim(fast_sim()).await;
    let metrics = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let metrics_arg = metrics.to_string();
    let node = Node::start(
        &sim,
        None,
        &["--header-timeout", "1", "--metrics-listen", &metrics_arg],
    )
    .await;
    let api: SocketAddr = node.server.base()["http://".len()..].parse().unwrap();
    let mut held = Vec::new();
    for addr in [api, metrics] {
        for bytes in [&b""[..], b"P", H2_PREFACE, b"GET /healthz HTTP/1.1\r\n"] {
            held.push(tokio::spawn(async move {
                (addr, bytes, held_for(addr, bytes).await)
            }));
        }
    }
    // A request that takes longer than the header timeout is not cut: the
    // timeout is for the head alone.
    let version = statuses(&node.http, node.server.base())
        .await
        .unwrap()
        .version;
    let began = Instant::now();
    let poll = node
        .http
        .get(format!("{}/statuses?wait=2.5", node.server.base()))
        .header("if-none-match", format!("\"{version}\""))
        .send()
        .await
        .unwrap();
    assert_eq!(poll.status(), 304);
    assert!(
        began.elapsed() >= Duration::from_secs(2),
        "a full long poll"
    );
    for h in held {
        let (addr, bytes, took) = h.await.unwrap();
        let what = String::from_utf8_lossy(bytes);
        println!("{addr} after {what:?}: closed after {took:?}");
        assert!(
            took >= Duration::from_millis(900),
            "{addr} {what:?}: closed early, after {took:?}"
        );
        // Generous: the machine may be loaded.
        assert!(
            took < Duration::from_secs(5),
            "{addr} {what:?}: held for {took:?}"
        );
    }
    // The metrics port answers in the API's JSON too.
    let r = node
        .http
        .post(format!("http://{metrics}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    let v: serde_json::Value = r.json().await.unwrap();
    assert!(v["error"].as_str().is_some(), "{v}");
}

#[tokio::test]
async fn an_idle_http2_connection_is_closed() {
    use http_body_util::Empty;
    use hyper_util::rt::{TokioExecutor, TokioIo};
    let sim = start_sim(fast_sim()).await;
    let node = Node::start(&sim, None, &["--header-timeout", "1"]).await;
    let api: SocketAddr = node.server.base()["http://".len()..].parse().unwrap();
    let stream = TcpStream::connect(api).await.unwrap();
    let (mut send, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .unwrap();
    let conn = tokio::spawn(conn);
    let req = hyper::Request::get(format!("{}/healthz", node.server.base()))
        .body(Empty::<hyper::body::Bytes>::new())
        .unwrap();
    let resp = send.send_request(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.version(), hyper::Version::HTTP_2);
    drop(resp);
    let answered = Instant::now();
    let _ = tokio::time::timeout(DEADLINE, conn)
        .await
        .expect("the server closes an idle HTTP/2 connection");
    let idle = answered.elapsed();
    println!("idle HTTP/2 connection closed after {idle:?}");
    assert!(idle < Duration::from_secs(5), "held for {idle:?}");
}

/// The attack: with `ulimit -n 256`, 300 connections that send
/// nothing used to take every descriptor, so that `/healthz` timed out and
/// dials failed for good with "Too many open files".
///
/// The last connections arrive while the server is stopped (SIGSTOP), at
/// its connection cap, so that they wait in the backlog and are accepted as
/// one burst on one worker thread: what a loaded machine does now and then.
/// A server that let its accepts outrun the closing of the connections it
/// evicted ran out of descriptors in that burst.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_connections_under_a_low_descriptor_limit_starve_nothing() {
    let sim = start_sim(fast_sim()).await;
    let dir = tempfile::tempdir().unwrap();
    let program = limited_server(dir.path(), "ulimit -n 256");
    let listen = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let log_file = dir.path().join("server.log");
    let data = dir.path().join("data");
    let server = ServerProcess::start_with_env(
        &program,
        listen,
        &[
            "--dialer-url",
            &sim.url(),
            "--data-dir",
            data.to_str().unwrap(),
        ],
        &[("TOKIO_WORKER_THREADS", "1")],
        numdialer_testkit::Log {
            filter: "info",
            file: Some(&log_file),
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{e:#}"));
    let mut silent = Vec::new();
    for _ in 0..180 {
        silent.push(TcpStream::connect(listen).await.unwrap());
    }
    // An answer means every connection before it was accepted, so that the
    // last 120 fit in the listener's backlog (128) while it is stopped.
    healthz_within_1s(server.base()).await;
    signal(&server, "-STOP");
    for _ in 0..120 {
        silent.push(TcpStream::connect(listen).await.unwrap());
    }
    signal(&server, "-CONT");
    let http = client();
    let took = healthz_within_1s(server.base()).await;
    println!("/healthz beside 300 silent connections: {took:?}");
    assert_eq!(start_calls(&http, server.base()).await, 202);
    let done = wait_finished(&http, server.base()).await;
    let failed: Vec<_> = done
        .calls
        .iter()
        .filter(|c| c.status == Status::Failed)
        .collect();
    assert!(failed.is_empty(), "failed: {failed:?}");
    assert_eq!(sim.dials().len(), done.calls.len(), "every entry dialed");
    let log = std::fs::read_to_string(&log_file).unwrap();
    assert!(!log.contains("Too many open files"), "{log}");
    assert!(
        log.contains("--max-connections"),
        "the cap was reached: {log}"
    );
    drop(silent);
}

async fn healthz_within_1s(base: &str) -> Duration {
    let began = Instant::now();
    let health = reqwest::Client::new()
        .get(format!("{base}/healthz"))
        .timeout(Duration::from_secs(1))
        .send()
        .await
        .expect("/healthz answers within 1 s");
    assert_eq!(health.status(), 200);
    began.elapsed()
}

fn signal(server: &ServerProcess, which: &str) {
    let status = std::process::Command::new("kill")
        .args([which, &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill {which}");
}

#[test]
fn a_public_metrics_address_needs_metrics_insecure() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(SERVER_BIN)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--metrics-listen",
            "0.0.0.0:0",
            "--data-dir",
            dir.path().join("d").to_str().unwrap(),
        ])
        .env_remove("NUMDIALER_METRICS_INSECURE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--metrics-insecure"), "{err}");
}

#[tokio::test]
async fn metrics_insecure_is_an_explicit_choice() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let metrics = format!("0.0.0.0:{port}");
    let p = start_server(
        SocketAddr::from(([127, 0, 0, 1], free_port())),
        &[
            "--metrics-listen",
            &metrics,
            "--metrics-insecure",
            "--data-dir",
            dir.path().join("d").to_str().unwrap(),
        ],
        &dir.path().join("log"),
    )
    .await;
    let r = client()
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    drop(p);
}

#[tokio::test]
async fn the_api_token_can_come_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("api-token");
    std::fs::write(&token_file, "s3cr3t-from-file\n").unwrap();
    let p = start_server(
        SocketAddr::from(([127, 0, 0, 1], free_port())),
        &[
            "--api-token-file",
            token_file.to_str().unwrap(),
            "--data-dir",
            dir.path().join("d").to_str().unwrap(),
        ],
        &dir.path().join("log"),
    )
    .await;
    let http = client();
    let url = format!("{}/statuses", p.base());
    assert_eq!(http.get(&url).send().await.unwrap().status(), 401);
    let with = http
        .get(&url)
        .bearer_auth("s3cr3t-from-file")
        .send()
        .await
        .unwrap();
    assert_eq!(
        with.status(),
        200,
        "the trailing newline is not the token's"
    );
    drop(p);

    let refused = |args: &[&str]| {
        let out = std::process::Command::new(SERVER_BIN)
            .args(["--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path().join("d2"))
            .args(args)
            .env_remove("NUMDIALER_API_TOKEN")
            .env_remove("NUMDIALER_API_TOKEN_FILE")
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?} started");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let file = token_file.to_str().unwrap();
    let both = refused(&["--api-token", "other", "--api-token-file", file]);
    assert!(both.contains("not both"), "{both}");
    assert!(!both.contains("s3cr3t"), "{both}");
    let empty = dir.path().join("empty");
    std::fs::write(&empty, "\n").unwrap();
    let err = refused(&["--api-token-file", empty.to_str().unwrap()]);
    assert!(
        err.contains("is empty") && err.contains(empty.to_str().unwrap()),
        "{err}"
    );
    let missing = dir.path().join("missing");
    let err = refused(&["--api-token-file", missing.to_str().unwrap()]);
    assert!(
        err.contains("cannot read --api-token-file") && err.contains("missing"),
        "{err}"
    );
}

/// A restart while the disk still refuses writes exits 4, as a store that
/// fails while running does, so that the supervisor and the operator see
/// one code for one cause. The refusal is a file size limit (`ulimit -f`,
/// with SIGXFSZ ignored so that the write fails instead of killing).
#[tokio::test]
async fn a_store_that_cannot_be_written_at_start_exits_4() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let listen = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let log = dir.path().join("log");
    let mut first = start_server(listen, &["--data-dir", data.to_str().unwrap()], &log).await;
    first.kill9().unwrap();

    let program = limited_server(dir.path(), "trap '' XFSZ\nulimit -f 1");
    let mut child = std::process::Command::new(&program)
        .args(["--listen", &listen.to_string(), "--data-dir"])
        .arg(&data)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status = wait_for("the server to exit", DEADLINE, || {
        let exited = child.try_wait().unwrap();
        async move { exited }
    })
    .await;
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(4), "{err}");
    assert!(err.contains("data directory"), "{err}");
}

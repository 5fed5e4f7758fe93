//! The mistakes a new user makes connecting the TUI to a server, each named
//! in the header with what to do, instead of one "unreachable" for all.

use crate::screen::start_server;
use crate::tui::Tui;
use numdialer_server::provider::simulator::{SimConfig, Simulator};

/// Runs `numdialer args` until the header shows `cause`, then quits with q;
/// returns the screen as it was.
fn header_shows(args: Vec<String>, cause: &'static str) -> String {
    let mut tui = Tui::spawn(&args.iter().map(String::as_str).collect::<Vec<_>>());
    tui.wait(cause, |s| {
        s.lines().next().is_some_and(|h| h.contains(cause))
    });
    let screen = tui.contents();
    println!("{}", screen.lines().next().unwrap_or_default().trim_end());
    tui.press("q");
    assert!(tui.wait_exit().success());
    tui.assert_restored();
    screen
}

/// `header_shows` against the simulated dialer API, reached at the URL
/// that `to_url` makes of its own.
async fn against_the_simulator(to_url: fn(String) -> String, cause: &'static str) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sim = Simulator::start(SimConfig::default(), listener)
        .await
        .unwrap();
    let args = vec!["--server".into(), to_url(sim.url())];
    tokio::task::spawn_blocking(move || header_shows(args, cause))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(0, dir.path()).await;
    let args = vec![
        "--server".into(),
        server.url(),
        "--token".into(),
        "wrong".into(),
    ];
    let screen = tokio::task::spawn_blocking(move || {
        header_shows(
            args,
            "✕ wrong API token (HTTP 401): check --token / NUMDIALER_API_TOKEN",
        )
    })
    .await
    .unwrap();
    assert!(
        screen.contains("No answer from the server yet: wrong API token"),
        "{screen}"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dialer_apis_port_is_not_numdialer_server() {
    against_the_simulator(
        |url| url.replace("127.0.0.1", "localhost"),
        "✕ not numdialer-server: GET /statuses answered 404",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_to_a_plain_http_server_is_named() {
    against_the_simulator(
        |url| url.replacen("http://", "https://", 1),
        "✕ TLS handshake failed: is this an http:// server?",
    )
    .await;
}

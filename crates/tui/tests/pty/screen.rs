//! The dial-down on screen: embedded with the simulator, and against a
//! remote server that goes away and comes back.

use crate::tui::{Tui, count};
use numdialer_server::{RunningServer, ServerConfig};
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

#[test]
fn embedded_dial_down_on_screen() {
    let mut tui = Tui::spawn(&["--sim-time-scale", "0.01"]);
    tui.wait("9 idle rows and the Call button", |s| {
        count(s, " idle ") == 9 && s.contains("[ Call ] press c")
    });
    tui.press("c");
    tui.wait("dialing to start", |s| {
        s.contains("dialing…") || s.contains("done")
    });
    tui.wait("all 9 completed", |s| {
        count(s, " completed ") == 9 && s.contains("[ Call ] done")
    });
    let finished = tui.contents();
    assert!(finished.contains("9 of 9 finished"), "{finished}");
    tui.press("c");
    tui.press("q");
    tui.wait("the question: the results are in a temporary store", |s| {
        s.contains("Quit?") && s.contains("temporary")
    });
    tui.press("y");
    assert!(tui.wait_exit().success());
    tui.assert_restored();
}

/// A numdialer-server on loopback that wants the token `tui-test-token`.
pub async fn start_server(port: u16, dir: &Path) -> RunningServer {
    let mut config = ServerConfig::default();
    config.http.listen = SocketAddr::from(([127, 0, 0, 1], port));
    config.http.api_token = Some("tui-test-token".into());
    config.store.data_dir = Some(dir.to_path_buf());
    config.dialing.call_timeout = Duration::from_secs(2);
    config.provider.sim.time_scale = 0.05;
    numdialer_server::start(config).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_server_going_away_and_coming_back() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(0, dir.path()).await;
    let port = server.addr.port();
    let url = server.url();
    let tui = tokio::task::spawn_blocking(move || {
        let mut tui = Tui::spawn(&[
            "--server",
            &url,
            "--token",
            "tui-test-token",
            "--poll-interval",
            "0.1",
        ]);
        tui.wait("the remote table", |s| {
            count(s, " idle ") == 9 && s.contains("remote ·")
        });
        tui.press("c");
        tui.wait("a call under way", |s| {
            s.contains("ringing") || s.contains("answered") || s.contains("completed")
        });
        tui
    })
    .await
    .unwrap();

    server.shutdown().await;
    let tui = tokio::task::spawn_blocking(move || {
        tui.wait("the server to show as refusing connections", |s| {
            s.contains("✕ connection refused, retrying")
        });
        tui
    })
    .await
    .unwrap();

    let server = start_server(port, dir.path()).await;
    let tui = tokio::task::spawn_blocking(move || {
        tui.wait("the screen to recover and finish", |s| {
            s.contains("● live") && s.contains("9 of 9 finished") && s.contains("[ Call ] done")
        });
        let pid = tui.child.process_id().unwrap();
        let ok = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
        tui
    })
    .await
    .unwrap();
    let mut tui = tui;
    let status = tokio::task::spawn_blocking(move || {
        let s = tui.wait_exit();
        tui.assert_restored();
        s
    })
    .await
    .unwrap();
    assert!(status.success(), "SIGTERM ends the TUI cleanly: {status:?}");
    server.shutdown().await;
}

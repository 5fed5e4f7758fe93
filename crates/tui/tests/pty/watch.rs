//! `numdialer watch` on a terminal: a live bar while the campaign runs,
//! then the final counts as a plain line, and exit 0.

use crate::screen::start_server;
use crate::tui::Tui;
use numdialer_core::campaign::Operation;
use numdialer_tui::client::{Client, Format, Settings, Upload};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_draws_a_bar_then_the_final_counts() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(0, dir.path()).await;
    let client = Client::new(&server.url(), Some("tui-test-token".into()));
    let csv = dir.path().join("nine.csv");
    let mut text = String::from("phone\n");
    for n in numdialer_core::DEFAULT_NUMBERS {
        text.push_str(&format!("{n}\n"));
    }
    std::fs::write(&csv, text).unwrap();
    let upload = Upload::open(&csv, Format::Csv, &Settings::default()).unwrap();
    let id = client
        .add_campaign(upload, Default::default())
        .await
        .unwrap()
        .campaign
        .id;
    let url = server.url();
    // A draft first, so that the bar is on screen before anything moves.
    let mut tui = tokio::task::spawn_blocking(move || {
        let id = id.to_string();
        let args = ["watch", &id, "--server", &url, "--token", "tui-test-token"];
        let tui = Tui::spawn(&args);
        tui.wait("the bar of a draft", |s| {
            s.contains(&format!("campaign {id} draft [")) && s.contains("0/9 final")
        });
        tui
    })
    .await
    .unwrap();
    client.campaign_op(id, Operation::Start).await.unwrap();
    let screen = tokio::task::spawn_blocking(move || {
        let done = format!(
            "campaign {id} done: 9/9 final · answered 4 · no answer 5 · failed 0 · canceled 0"
        );
        tui.wait("the final counts", |s| s.contains(&done));
        assert!(tui.wait_exit().success());
        tui.contents()
    })
    .await
    .unwrap();
    assert!(!screen.contains('['), "the bar is cleared:\n{screen}");
    server.shutdown().await;
}

//! A server newer than this numdialer: its answers carry an outcome and a
//! status that this build has never heard of. The commands print them as
//! the server wrote them instead of failing to read the answer.

use crate::run::{Io, Server, TOKEN, numdialer};
use axum::Json;
use axum::extract::Path;
use axum::routing::get;
use numdialer_tui::client::Client;

/// Campaign 1 of a real server, as a newer one would report it: one
/// entry `paused_by_rule`, one `completed` with the outcome `voicemail`.
async fn newer_summary() -> serde_json::Value {
    let s = Server::start().await;
    let list = Client::new(&s.url(), Some(TOKEN.into()))
        .campaigns()
        .await
        .unwrap();
    s.server.shutdown().await;
    let mut c = serde_json::to_value(&list.campaigns[0]).unwrap();
    c["counts"]["idle"] = serde_json::json!(7);
    c["counts"]["paused_by_rule"] = serde_json::json!(1);
    c["counts"]["completed"] = serde_json::json!(1);
    c["outcomes"]["voicemail"] = serde_json::json!(1);
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn campaigns_prints_an_outcome_it_does_not_know() {
    let c = newer_summary().await;
    let one = c.clone();
    let list = serde_json::json!({"version": 9, "campaigns": [c]});
    let newer = axum::Router::new()
        .route("/campaigns", get(move || async move { Json(list) }))
        .route(
            "/campaigns/{id}",
            get(move |Path(_): Path<u64>| async move { Json(one) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, newer).await });
    let run = |args: &[&str]| {
        let mut argv: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        argv.extend(["--server".into(), url.clone()]);
        numdialer(argv, Io::default())
    };

    let table = run(&["campaigns"]).await;
    assert_eq!(table.code, 0, "{table:?}");
    assert_eq!(
        table.stdout,
        "\
ID  STATE  FINAL  ANSWERED  NO ANSWER  FAILED  CANCELED  VOICEMAIL  ATTEMPTS  NAME
 1  draft  1/9           0          0       0         0          1         0  default
"
    );

    let one = run(&["campaigns", "1"]).await;
    assert_eq!(one.code, 0, "{one:?}");
    assert_eq!(
        one.stdout,
        "campaign 1 draft: 1/9 final · answered 0 · no answer 0 · failed 0 · canceled 0 \
         · voicemail 1\n"
    );

    // The JSON is passed on as the server wrote it, unknown words and all.
    let json = run(&["campaigns", "1", "--json"]).await;
    assert_eq!(json.code, 0, "{json:?}");
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        (&v["counts"]["paused_by_rule"], &v["outcomes"]["voicemail"]),
        (&serde_json::json!(1), &serde_json::json!(1))
    );
}

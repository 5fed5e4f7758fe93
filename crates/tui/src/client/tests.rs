//! Every cause the header names, found by the real client against a real
//! listener on loopback, and drawn by the real header: what a user would
//! read for each mistake, with the last known table kept on screen.

use super::*;
use crate::app::tests::{DIALING, snapshot};
use crate::app::{App, Connection, Event};
use crate::mode::Mode;
use crate::views::tests::{lines, render};
use axum::Json;
use axum::http::StatusCode;
use axum::routing::{get, post};
use numdialer_core::campaign::Operation;
use numdialer_server::provider::simulator::{SimConfig, Simulator};
use serde_json::json;
use std::time::Instant;

/// The remote App after one good poll, then the answer of one real poll
/// through `client`; returns the App and the screen's lines (100 wide, so
/// that the longest causes fit whole).
async fn after_poll(client: &Client) -> (App, Vec<String>) {
    let t = Instant::now();
    let mode = Mode::Remote {
        url: client.base().into(),
    };
    let mut app = App::new(mode, true, Duration::from_millis(250), t);
    app.update(Event::Polled(Ok(snapshot(&DIALING, true))), t);
    // Campaign 1, asked for as the TUI asks for it.
    let answer = client.statuses_of(1, None, Duration::ZERO).await;
    app.update(Event::Polled(answer.map(Option::unwrap)), t);
    let screen = lines(&render(&app, 140, 24));
    let rows = screen.iter().filter(|l| l.contains(" idle ")).count();
    assert_eq!(
        rows,
        6,
        "the last known table stays:\n{}",
        screen.join("\n")
    );
    (app, screen)
}

/// The header after a failed poll, which must contain `cause`; also
/// prints it, for the record. Returns the error the poll gave.
async fn header_says(client: &Client, cause: &str) -> ClientError {
    let (app, screen) = after_poll(client).await;
    let Connection::Failing { error, .. } = app.connection else {
        panic!("the poll did not fail: {:?}", app.connection);
    };
    let line = screen[0].trim_end();
    println!("{line}");
    assert!(line.contains(cause), "{line} ({error:?})");
    error
}

/// A plain-http server on loopback serving `app`, for as long as the test.
async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

async fn simulator() -> Simulator {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    Simulator::start(SimConfig::default(), listener)
        .await
        .unwrap()
}

async fn server_with_token(dir: &std::path::Path) -> numdialer_server::RunningServer {
    let mut config = numdialer_server::ServerConfig::default();
    config.http.listen = "127.0.0.1:0".parse().unwrap();
    config.http.api_token = Some("right-token".into());
    config.store.data_dir = Some(dir.to_path_buf());
    numdialer_server::start(config).await.unwrap()
}

#[tokio::test]
async fn a_wrong_token_is_named_and_asked_again_only_slowly() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_with_token(dir.path()).await;
    let wrong = Client::new(&server.url(), Some("wrong".into()));
    let error = header_says(
        &wrong,
        "✕ wrong API token (HTTP 401): check --token / NUMDIALER_API_TOKEN · retrying every 30 s",
    )
    .await;
    assert_eq!(
        (error.class(), error.retry()),
        (Class::Refused, Retry::Slowly)
    );
    let none = Client::new(&server.url(), None);
    let _ = header_says(
        &none,
        "✕ no API token (HTTP 401): pass --token / NUMDIALER_API_TOKEN",
    )
    .await;
    let right = Client::new(&server.url(), Some("right-token".into()));
    assert!(right.statuses().await.is_ok(), "the test's server works");
    server.shutdown().await;
}

#[tokio::test]
async fn the_dialer_apis_port_is_not_numdialer_server() {
    let sim = simulator().await;
    let error = header_says(
        &Client::new(&sim.url(), None),
        "✕ not numdialer-server: GET /statuses answered 404 · retrying every 30 s",
    )
    .await;
    assert_eq!(error.class().exit_code(), 1);
}

#[tokio::test]
async fn a_plain_answer_to_get_statuses_is_not_numdialer_server() {
    let url =
        serve(axum::Router::new().route("/statuses", get(|| async { "<html>hi</html>" }))).await;
    let _ = header_says(
        &Client::new(&url, None),
        "✕ not numdialer-server: GET /statuses answered 200 without JSON",
    )
    .await;
}

#[tokio::test]
async fn https_to_a_plain_http_server_says_so() {
    let sim = simulator().await;
    let url = sim.url().replacen("http://", "https://", 1);
    let error = header_says(
        &Client::new(&url, None),
        "✕ TLS handshake failed: is this an http:// server?",
    )
    .await;
    assert_eq!(error.class().exit_code(), 3);
}

#[tokio::test]
async fn a_refused_connection_is_named() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let error = header_says(
        &Client::new(&url, None),
        "✕ connection refused, retrying (0 s)",
    )
    .await;
    assert_eq!(
        (error.class(), error.retry()),
        (Class::Unreachable, Retry::Backoff)
    );
}

#[tokio::test]
async fn a_name_that_does_not_resolve_is_named() {
    let url = "http://numdialer-server.invalid:3000";
    let error = header_says(
        &Client::new(url, None),
        "✕ name not resolved: numdialer-server.invalid, retrying (0 s)",
    )
    .await;
    assert_eq!(error.class().exit_code(), 3);
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    // Accepted by the kernel's backlog, never read: the request goes out
    // and no answer ever comes.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let client = Client::with_timeout(&url, None, Duration::from_millis(300));
    let error = header_says(&client, "✕ timed out, retrying (0 s)").await;
    assert_eq!(error.class().exit_code(), 3);
    drop(listener);
}

#[tokio::test]
async fn a_server_error_is_said_in_the_servers_words() {
    let failing = || async {
        let body = json!({"error": "store: flush failed: No space left on device"});
        (StatusCode::INTERNAL_SERVER_ERROR, Json(body))
    };
    let url = serve(axum::Router::new().route("/statuses", get(failing))).await;
    let error = header_says(
        &Client::new(&url, None),
        "✕ server error (HTTP 500): store: flush failed: No space left on device, retrying",
    )
    .await;
    assert_eq!(
        (error.class(), error.retry()),
        (Class::Refused, Retry::Backoff)
    );
}

/// numdialer-server's own answer for a route it does not have.
async fn no_such_route() -> (StatusCode, Json<serde_json::Value>) {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"error": "no such route"})),
    )
}

#[tokio::test]
async fn an_older_server_is_asked_to_upgrade() {
    let statuses = || async { Json(snapshot(&DIALING, false)) };
    let older = axum::Router::new()
        .route("/statuses", get(statuses))
        .route("/calls", post(no_such_route))
        .route(
            "/calls/{index}",
            post(no_such_route).fallback(|| async {
                let body = json!({"error": "method not allowed on this route"});
                (StatusCode::METHOD_NOT_ALLOWED, Json(body))
            }),
        )
        .fallback(no_such_route);
    let client = Client::new(&serve(older).await, None);
    let (app, _) = after_poll(&client).await;
    assert_eq!(app.connection, Connection::Live, "GET /statuses works");
    // The keys' requests, as the TUI sends them: campaign 1 by its id.
    let started = client.operate(1, Operation::Start).await.unwrap_err();
    assert_eq!(
        started.to_string(),
        "server older than this numdialer: POST /calls answered 404; upgrade it"
    );
    let detail = client.entry(1, 0).await.unwrap_err();
    assert_eq!(
        detail.to_string(),
        "server older than this numdialer: GET /calls/{index} answered 405; upgrade it"
    );
    let mut app = app;
    app.update(
        Event::Operated(1, Operation::Start, Err(started)),
        Instant::now(),
    );
    let screen = lines(&render(&app, 140, 24));
    let said =
        "could not start dialing: server older than this numdialer: POST /calls answered 404";
    assert!(
        screen.iter().any(|l| l.contains(said)),
        "{}",
        screen.join("\n")
    );
}

#[tokio::test]
async fn an_entry_that_does_not_exist_is_not_an_older_server() {
    let missing = || async {
        let body = json!({"error": "no entry at index 99"});
        (StatusCode::NOT_FOUND, Json(body))
    };
    let url = serve(axum::Router::new().route("/calls/{index}", get(missing))).await;
    let e = Client::new(&url, None).detail(99).await.unwrap_err();
    assert_eq!(e.to_string(), "no entry at index 99 (HTTP 404)");
}

/// A server from before campaigns, as it answers: its one list under the
/// old routes, numdialer's JSON 404 on every other route. Campaign 1,
/// asked for by its id, is started, polled and opened there; the
/// requests it got are returned in order.
#[tokio::test]
async fn campaign_1_of_a_server_without_campaigns_goes_through_the_old_routes() {
    use axum::extract::{OriginalUri, Path};
    use std::sync::{Arc, Mutex};

    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let log = seen.clone();
    let older = axum::Router::new()
        .route(
            "/statuses",
            get(|| async { Json(snapshot(&DIALING, true)) }),
        )
        .route(
            "/calls",
            post(|| async { (StatusCode::ACCEPTED, Json(json!({"started": true}))) }),
        )
        .route(
            "/calls/{index}",
            get(|Path(i): Path<usize>| async move {
                let call = snapshot(&DIALING, true).calls[i].clone();
                let detail = json!({"dialed_at": null, "history": []});
                let mut v = serde_json::to_value(call).unwrap();
                v.as_object_mut()
                    .unwrap()
                    .extend(detail.as_object().unwrap().clone());
                Json(v)
            }),
        )
        .fallback(no_such_route)
        .layer(axum::middleware::from_fn(
            move |OriginalUri(uri): OriginalUri,
                  req: axum::extract::Request,
                  next: axum::middleware::Next| {
                let log = log.clone();
                async move {
                    log.lock()
                        .unwrap()
                        .push(format!("{} {}", req.method(), uri.path()));
                    next.run(req).await
                }
            },
        ));
    let client = Client::new(&serve(older).await, None);
    let statuses = client.statuses_of(1, None, Duration::ZERO).await;
    let statuses = statuses.unwrap().expect("a full answer");
    assert_eq!((statuses.campaign, statuses.calls.len()), (None, 9));
    assert_eq!(client.operate(1, Operation::Start).await, Ok(None));
    let entry = client.entry(1, 1).await.unwrap();
    assert_eq!(entry.call.status, numdialer_core::Status::Answered);
    let (app, t) = (
        App::new(
            Mode::Remote { url: "x".into() },
            true,
            Duration::ZERO,
            Instant::now(),
        ),
        Instant::now(),
    );
    let mut app = app;
    app.update(
        Event::Polled(Ok(snapshot(&[numdialer_core::Status::Idle; 9], false))),
        t,
    );
    assert_eq!(
        app.update(
            Event::Key(ratatui::crossterm::event::KeyEvent::from(
                ratatui::crossterm::event::KeyCode::Char('c')
            )),
            t
        ),
        Some(crate::app::Command::Operate(1, Operation::Start))
    );
    app.update(Event::Operated(1, Operation::Start, Ok(None)), t);
    assert_eq!(app.button(), crate::app::Button::Dialing);
    assert_eq!(app.message.unwrap().text, "dialing started");
    // Each campaign route first, answered 404; `GET /campaigns` to tell an
    // older server from an unknown campaign; then the old route.
    assert_eq!(
        *seen.lock().unwrap(),
        [
            "GET /campaigns/1/statuses",
            "GET /campaigns",
            "GET /statuses",
            "POST /campaigns/1/start",
            "GET /campaigns",
            "POST /calls",
            "GET /campaigns/1/calls/1",
            "GET /campaigns",
            "GET /calls/1",
        ]
    );
}

/// A newer server reports a status and an outcome that this build has
/// never heard of: the real client reads its answers anyway, and the
/// table, the row's outcome and the history popup show the words as the
/// server wrote them.
#[tokio::test]
async fn a_status_and_an_outcome_this_build_does_not_know_show_as_their_text() {
    use crate::app::campaign_tests::summary;
    use crate::app::{Command, Overlay};
    use axum::extract::Path;
    use numdialer_core::Status;
    use numdialer_core::campaign::CampaignState;
    use ratatui::crossterm::event::{KeyCode, KeyEvent};

    let mut statuses = snapshot(&DIALING, true);
    statuses.campaign = Some(summary(1, "default", CampaignState::Running, &DIALING));
    let mut body = serde_json::to_value(statuses).unwrap();
    body["calls"][0]["status"] = json!("paused_by_rule");
    body["calls"][1]["status"] = json!("completed");
    body["calls"][1]["outcome"] = json!("voicemail");
    body["campaign"]["counts"]["paused_by_rule"] = json!(1);
    body["campaign"]["outcomes"]["voicemail"] = json!(1);
    let calls = body["calls"].clone();
    let newer = axum::Router::new()
        .route(
            "/campaigns/{id}/statuses",
            get(move |Path(_): Path<u64>| {
                let body = body.clone();
                async move { Json(body) }
            }),
        )
        .route(
            "/campaigns/{id}/calls/{index}",
            get(move |Path((_, i)): Path<(u64, usize)>| {
                let mut detail = calls[i].clone();
                detail["dialed_at"] = json!(null);
                detail["history"] = json!([]);
                async move { Json(detail) }
            }),
        );
    let client = Client::new(&serve(newer).await, None);
    let read = client.statuses_of(1, None, Duration::ZERO).await;
    let read = read.unwrap().expect("a full answer");
    assert_eq!(read.calls[0].status.as_str(), "paused_by_rule");
    assert_eq!(read.calls[0].status.known(), None);
    assert_eq!(read.calls[1].status, Status::Completed);
    assert_eq!(
        read.calls[1].outcome.as_ref().map(|o| o.to_string()),
        Some("voicemail".into())
    );
    assert_eq!((read.count(Status::Ringing), read.finished_count()), (0, 1));

    let t = Instant::now();
    let mode = Mode::Remote {
        url: client.base().into(),
    };
    let mut app = App::new(mode, true, Duration::from_millis(250), t);
    app.update(Event::Polled(Ok(read)), t);
    let screen = lines(&render(&app, 100, 24));
    let row = |n: &str| {
        screen
            .iter()
            .find(|l| l.contains(&format!(" {n}  +1 ")))
            .cloned()
            .unwrap_or_else(|| panic!("no row {n}:\n{}", screen.join("\n")))
    };
    assert!(row("0").contains(" paused_by_rule "), "{}", row("0"));
    assert!(row("1").contains(" completed · voicemail "), "{}", row("1"));
    assert!(row("2").contains(" dialing "), "{}", row("2"));

    let open = app.update(Event::Key(KeyEvent::from(KeyCode::Enter)), t);
    assert_eq!(open, Some(Command::FetchCampaignDetail(1, 0)));
    let detail = client.entry(1, 0).await;
    assert!(detail.is_ok(), "{detail:?}");
    app.update(Event::Detail(0, detail), t);
    assert!(matches!(app.overlay, Overlay::History { .. }));
    let popup = lines(&render(&app, 100, 24));
    assert!(
        popup.iter().any(|l| l.contains(" status paused_by_rule")),
        "{}",
        popup.join("\n")
    );
}

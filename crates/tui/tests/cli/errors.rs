//! What a script learns when a command fails: the exit code (1 the server
//! refused, 2 bad usage or input, 3 the server could not be reached) and,
//! on stderr, the cause and what to do.

use crate::run::{Io, Server, TOKEN, numdialer};
use axum::Json;
use axum::http::StatusCode;

fn argv(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_exits_1_and_says_which_setting() {
    let s = Server::start().await;
    let url = s.url();
    let wrong = numdialer(
        argv(&["campaigns", "--server", &url, "--token", "wrong"]),
        Io::default(),
    )
    .await;
    assert_eq!(wrong.code, 1, "{wrong:?}");
    assert_eq!(
        wrong.stderr,
        format!(
            "numdialer: cannot list the campaigns of {url}: \
             wrong API token (HTTP 401): check --token / NUMDIALER_API_TOKEN\n"
        )
    );
    let none = numdialer(argv(&["campaigns", "--server", &url]), Io::default()).await;
    assert_eq!(none.code, 1, "{none:?}");
    assert!(
        none.stderr
            .contains("no API token (HTTP 401): pass --token"),
        "{none:?}"
    );

    // Both variables carry the token, the newer one first.
    for (var, code) in [("NUMDIALER_API_TOKEN", 0), ("NUMDIALER_TOKEN", 0)] {
        let io = Io {
            env: vec![(var, TOKEN.into()), ("NUMDIALER_SERVER", url.clone())],
            ..Io::default()
        };
        let out = numdialer(argv(&["campaigns"]), io).await;
        assert_eq!(out.code, code, "{var}: {out:?}");
    }
    let io = Io {
        env: vec![
            ("NUMDIALER_API_TOKEN", "wrong".into()),
            ("NUMDIALER_TOKEN", TOKEN.into()),
            ("NUMDIALER_SERVER", url.clone()),
        ],
        ..Io::default()
    };
    assert_eq!(numdialer(argv(&["campaigns"]), io).await.code, 1);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_port_exits_3_and_says_what_to_check() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    for args in [
        &["campaigns"][..],
        &["start", "1"],
        &["watch", "1"],
        &["export", "1"],
        &["delete", "1"],
    ] {
        let mut a = argv(args);
        a.extend(["--server".into(), url.clone()]);
        let out = numdialer(a, Io::default()).await;
        assert_eq!(out.code, 3, "{args:?}: {out:?}");
        assert!(
            out.stderr.contains(&format!("{url}: connection refused\n")),
            "{out:?}"
        );
        assert!(
            out.stderr.ends_with(
                "numdialer: is numdialer-server running at that address? \
                 Check --server / NUMDIALER_SERVER\n"
            ),
            "{out:?}"
        );
        assert_eq!(out.stdout, "");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_usage_and_input_exit_2_before_asking_anyone() {
    // Nothing listens on port 9: a command that asked would exit 3.
    let nobody = ["--server", "http://127.0.0.1:9"];
    for args in [
        &["start"][..],
        &["start", "three"],
        &["frobnicate"],
        &["add", "/nonexistent/leads.csv"],
        &["add", "leads.xlsx"],
        &["add", "l.csv", "--max-attempts", "0"],
        &["add", "l.csv", "--retry-on", "busy"],
        &["--poll-interval", "1", "campaigns"],
        &["--data-dir", "/tmp/x", "campaigns"],
        &["campaigns", "--server", "localhost:3000"],
    ] {
        let mut a = argv(args);
        a.extend(argv(&nobody));
        let out = numdialer(a, Io::default()).await;
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        assert!(!out.stderr.is_empty(), "{args:?} says why");
    }
    let out = numdialer(argv(&["add", "/nonexistent/leads.csv"]), Io::default()).await;
    assert_eq!(
        out.stderr,
        "numdialer: cannot read /nonexistent/leads.csv: No such file or directory (os error 2)\n"
    );
    let out = numdialer(argv(&["--poll-interval", "1", "campaigns"]), Io::default()).await;
    assert_eq!(
        out.stderr,
        "numdialer: --poll-interval is a flag of the TUI (numdialer alone), not of a command\n"
    );
    let out = numdialer(argv(&["add", "--help"]), Io::default()).await;
    assert_eq!(out.code, 0);
    assert!(
        out.stdout
            .contains("Examples:\n  numdialer add leads.csv\n"),
        "{out:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_with_a_bad_line_exits_1_with_its_line_and_creates_nothing() {
    let s = Server::start().await;
    let before = s.ok(&["campaigns", "--json"]).await;
    let csv = s.file(
        "bad.csv",
        "phone,name\n13018040009,Ann\nnot a number,Bob\n19842068287,Cy\n",
    );
    let out = s.run(&["add", csv.to_str().unwrap()]).await;
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(out.stdout, "");
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert!(
        lines[0].starts_with(&format!("numdialer: cannot import {} into ", csv.display())),
        "{out:?}"
    );
    assert!(lines[0].ends_with("(HTTP 422)"), "{out:?}");
    assert!(
        lines[1].starts_with("line 3: "),
        "the bad line by its number: {out:?}"
    );
    assert_eq!(lines[2], "1 bad line; nothing was imported", "{out:?}");
    let headless = s.file("headless.csv", "number,name\n13018040009,Ann\n");
    let out = s.run(&["add", headless.to_str().unwrap()]).await;
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr.lines().count(),
        1,
        "the whole file, one line: {out:?}"
    );
    assert!(out.stderr.contains("phone"), "{out:?}");
    let after = s.ok(&["campaigns", "--json"]).await;
    let count = |json: &str| {
        serde_json::from_str::<numdialer_core::api::CampaignsResponse>(json)
            .unwrap()
            .campaigns
            .len()
    };
    assert_eq!(count(&after), count(&before), "nothing was created");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_campaign_is_the_servers_404() {
    let s = Server::start().await;
    for args in [
        &["campaigns", "999"][..],
        &["start", "999"],
        &["stop", "999"],
        &["delete", "999"],
        &["export", "999"],
        &["watch", "999"],
    ] {
        let out = s.run(args).await;
        assert_eq!(out.code, 1, "{args:?}: {out:?}");
        assert!(out.stderr.contains("(HTTP 404)"), "{args:?}: {out:?}");
        assert!(!out.stderr.contains("older"), "{args:?}: {out:?}");
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_campaigns_is_asked_to_upgrade() {
    // numdialer-server before campaigns: every unknown route is a JSON 404.
    let older = axum::Router::new().fallback(|| async {
        (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({"error": "no such route"})),
        )
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, older).await });
    for (args, request) in [
        (&["campaigns"][..], "GET /campaigns"),
        (&["start", "3"], "POST /campaigns/{id}/start"),
        (&["delete", "3"], "DELETE /campaigns/{id}"),
        (&["export", "3"], "GET /campaigns/{id}/export.csv"),
    ] {
        let mut a = argv(args);
        a.extend(["--server".into(), url.clone()]);
        let out = numdialer(a, Io::default()).await;
        assert_eq!(out.code, 1, "{args:?}: {out:?}");
        assert!(
            out.stderr.contains(&format!(
                "server older than this numdialer: {request} answered 404; upgrade it\n"
            )),
            "{args:?}: {out:?}"
        );
    }
}

/// A server of our own on loopback that answers every request with `app`.
async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

async fn campaigns_of(url: &str) -> crate::run::Output {
    numdialer(argv(&["campaigns", "--server", url]), Io::default()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_cause_is_named_with_its_exit_code_and_next_step() {
    let plain_404 =
        serve(axum::Router::new().fallback(|| async { (StatusCode::NOT_FOUND, "Cannot GET") }))
            .await;
    let failing = serve(axum::Router::new().fallback(|| async {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(serde_json::json!({"error": "the store is failing (disk full)"})),
        )
    }))
    .await;
    let tls_to_plain = failing.replace("http://", "https://");
    let cases = [
        (
            "http://numdialer.invalid:3000".to_string(),
            3,
            "name not resolved: numdialer.invalid",
            "check the host name in --server / NUMDIALER_SERVER",
        ),
        (
            plain_404,
            1,
            "not numdialer-server: GET /campaigns answered 404\n",
            "it should be numdialer-server's API, not the dialer API",
        ),
        (
            failing,
            1,
            "server error (HTTP 500): the store is failing (disk full)",
            "the server's log says more; try again later",
        ),
        (
            tls_to_plain,
            3,
            "TLS handshake failed: is this an http:// server?",
            "",
        ),
    ];
    for (url, code, cause, next) in cases {
        let out = campaigns_of(&url).await;
        assert_eq!(out.code, code, "{url}: {out:?}");
        assert!(out.stderr.contains(cause), "{url}: {out:?}");
        assert!(out.stderr.contains(next), "{url}: {out:?}");
        assert_eq!(out.stdout, "", "{url}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_times_out_with_exit_3() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    // Accepts and holds every connection, never answering.
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let out = campaigns_of(&url).await;
    assert_eq!(out.code, 3, "{out:?}");
    assert!(out.stderr.contains("timed out"), "{out:?}");
    assert!(
        out.stderr
            .contains("check the address in --server and the network"),
        "{out:?}"
    );
}

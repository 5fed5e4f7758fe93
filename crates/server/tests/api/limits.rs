//! Which body limit a route has: 32 MiB on the import (`POST /campaigns`)
//! alone, attached to that route, and 64 KiB on every other route, the
//! 404s and 405s included; the import checks the token before it reads a
//! byte of the body, every other route after.

use crate::helpers::InProcess;

/// About 106 KiB of distinct numbers: over the default limit, far under
/// the import's.
fn list() -> String {
    let lines: String = (0..9_000).map(|i| format!("1301804{i:04}\n")).collect();
    format!("phone\n{lines}")
}

#[tokio::test]
async fn the_large_body_limit_is_the_imports_alone() {
    let app = InProcess::new(Some("t"));
    let auth = ("authorization", "Bearer t");
    let csv = ("content-type", "text/csv");
    let a = app
        .call_with("POST", "/campaigns?name=big", &[auth, csv], list())
        .await;
    assert_eq!(a.status, 201, "{}", String::from_utf8_lossy(&a.body));
    assert_eq!(a.json()["total"], 9_000);
    for (method, path) in [
        ("GET", "/campaigns"),
        ("PUT", "/campaigns"),
        ("POST", "/campaigns/2/start"),
        ("POST", "/calls"),
        ("GET", "/statuses"),
        ("POST", "/webhooks/abc"),
        ("POST", "/nowhere"),
    ] {
        let a = app.call_with(method, path, &[auth, csv], list()).await;
        assert_eq!(a.status, 413, "{method} {path}");
        assert_eq!(
            a.json()["error"],
            "request body is larger than 65536 bytes",
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn only_the_import_checks_the_token_before_the_body() {
    let app = InProcess::new(Some("t"));
    let csv = ("content-type", "text/csv");
    let refused = app.call_with("POST", "/campaigns", &[csv], list()).await;
    assert_eq!(refused.status, 401);
    assert_eq!(refused.headers["connection"], "close", "its body is unread");
    assert!(
        refused.json()["error"]
            .as_str()
            .unwrap()
            .contains("missing or wrong API token")
    );
    // Elsewhere the body is read first: too large is a 413 even without
    // the token, and a small one gets a 401 on a connection kept open.
    let large = app.call_with("POST", "/calls", &[csv], list()).await;
    assert_eq!(large.status, 413);
    let small = app.call_with("POST", "/calls", &[csv], "x").await;
    assert_eq!(small.status, 401);
    assert!(!small.headers.contains_key("connection"));
}

/// `--import-memory`: an upload that stalls near its end holds its share
/// of the budget, so that the next import past it is answered 503 with
/// `Retry-After` before its body is read, and stores nothing; once the
/// stalled one is gone, imports are taken again.
#[tokio::test]
async fn imports_past_the_memory_budget_wait_their_turn() {
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let h = crate::helpers::Harness::start(crate::helpers::fast_sim(), |c| {
        c.http.import_memory_mib = 400;
    })
    .await;
    let addr = h.server.url().trim_start_matches("http://").to_string();
    let reserved = |text: String| {
        text.lines()
            .find_map(|l| l.strip_prefix("numdialer_import_memory_reserved_bytes "))
            .map(|v| v.parse::<u64>().unwrap())
    };
    assert_eq!(reserved(h.metrics().await), Some(0));
    let before = h.campaigns().await.campaigns.len();
    // 32 MiB announced, a few bytes sent: 320 MiB of 400 reserved.
    let mut stalled = tokio::net::TcpStream::connect(&addr).await.unwrap();
    stalled
        .write_all(
            format!(
                "POST /campaigns?name=stalled HTTP/1.1\r\nhost: {addr}\r\n\
                 content-type: text/csv\r\ncontent-length: {}\r\n\r\nphone\n",
                32 << 20
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let held = numdialer_testkit::wait_until(Duration::from_secs(10), || async {
        (reserved(h.metrics().await) == Some(320 << 20)).then_some(())
    })
    .await;
    assert!(held.is_some(), "the stalled upload holds its share");
    // 20 MiB announced would take 200 MiB more: refused before its body.
    let mut next = tokio::net::TcpStream::connect(&addr).await.unwrap();
    next.write_all(
        format!(
            "POST /campaigns?name=next HTTP/1.1\r\nhost: {addr}\r\n\
             content-type: text/csv\r\ncontent-length: {}\r\n\r\n",
            20 << 20
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(10), next.read_to_string(&mut answer))
        .await
        .expect("answered without its body, and closed")
        .unwrap();
    let head = answer.to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 503"), "{answer}");
    assert!(head.contains("retry-after: 5\r\n"), "{answer}");
    assert!(head.contains("connection: close\r\n"), "{answer}");
    assert!(answer.contains(r#""error":"imports in flight use the server's import memory (--import-memory 400 MiB): try again in 5 s""#), "{answer}");
    // A small import still fits beside the stalled one.
    let small = h
        .http
        .post(h.url("/campaigns?name=small"))
        .header("content-type", "text/csv")
        .body("phone\n13018040009\n")
        .send()
        .await
        .unwrap();
    assert_eq!(small.status(), 201);
    drop(stalled);
    let freed = numdialer_testkit::wait_until(Duration::from_secs(10), || async {
        (reserved(h.metrics().await) == Some(0)).then_some(())
    })
    .await;
    assert!(freed.is_some(), "a closed upload gives its share back");
    let after = h
        .http
        .post(h.url("/campaigns?name=after"))
        .header("content-type", "text/csv")
        .body(format!(
            "phone\n13018040009\n{}",
            " ".repeat((20 << 20) - 18)
        ))
        .send()
        .await
        .unwrap();
    assert_ne!(after.status(), 503, "the budget is free again");
    let names: Vec<String> = h
        .campaigns()
        .await
        .campaigns
        .iter()
        .map(|c| c.name.clone())
        .collect();
    assert_eq!(
        names.len(),
        before + 1 + usize::from(after.status() == 201),
        "{names:?}"
    );
    assert!(
        !names.iter().any(|n| n == "next" || n == "stalled"),
        "{names:?}"
    );
}

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

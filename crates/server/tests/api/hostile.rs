//! Hostile input on every route: random bytes, invalid UTF-8, wrong content
//! types, deep nesting, oversized bodies, wrong types, odd ids, statuses and
//! tokens. Always a 4xx JSON error, never a 5xx, the server stays up and the
//! state is unchanged. Also slow clients and the API token at start-up.

use crate::helpers::*;
use numdialer_core::api::{ErrorBody, StatusesResponse};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use reqwest::Method;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Debug, Clone)]
struct Hostile {
    method: Method,
    path: String,
    content_type: Option<String>,
    body: Vec<u8>,
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9._~-]{0,40}",
        "-?[0-9]{1,30}",
        prop::collection::vec(any::<u8>(), 0..60)
            .prop_map(|b| b.iter().map(|x| format!("%{x:02X}")).collect()),
        (1usize..3000).prop_map(|n| "z".repeat(n)),
        Just("..%2F..%2Fetc%2Fpasswd".to_string()),
    ]
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::json;
    let id = prop_oneof![
        any::<i64>().prop_map(|i| json!(i.min(-1))),
        Just(json!("123")),
        Just(json!(1.5)),
        Just(json!(null)),
        Just(json!(18446744073709551615u64)),
        Just(serde_json::from_str::<serde_json::Value>("1e400").unwrap_or(json!(0.1))),
        any::<u64>().prop_map(|i| json!(i)),
    ];
    let status = prop_oneof![
        Just(json!("busy")),
        Just(json!("RINGING")),
        Just(json!("failed")),
        Just(json!("dialing")),
        Just(json!(3)),
        "[a-z]{0,12}".prop_map(|s| json!(s)),
        Just(json!("ringing")),
    ];
    (id, status).prop_map(|(id, status)| json!({"id": id, "status": status}))
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        json_value().prop_map(|v| serde_json::to_vec(&v).unwrap()),
        (1usize..20_000).prop_map(|d| format!("{}{}", "[".repeat(d), "]".repeat(d)).into_bytes()),
        (1usize..2000)
            .prop_map(|d| format!("{}1{}", "{\"a\":".repeat(d), "}".repeat(d)).into_bytes()),
        Just(vec![b'x'; 70 * 1024]),
        Just(b"{\"id\": 1, \"status\": \"ringing\"".to_vec()),
        Just(vec![0xff, 0xfe, b'{', b'}']),
    ]
}

fn request() -> impl Strategy<Value = Hostile> {
    let method = prop_oneof![
        2 => Just(Method::GET),
        6 => Just(Method::POST),
        1 => Just(Method::PUT),
        1 => Just(Method::DELETE),
        1 => Just(Method::PATCH),
    ];
    let path = prop_oneof![
        4 => segment().prop_map(|s| format!("/webhooks/{s}")),
        1 => segment().prop_map(|s| format!("/calls/{s}")),
        1 => segment().prop_map(|s| format!("/{s}")),
        1 => Just("/statuses".to_string()),
        1 => Just("/healthz".to_string()),
        1 => Just("/calls".to_string()),
    ];
    let content_type = prop_oneof![
        1 => Just(None),
        4 => Just(Some("application/json".to_string())),
        1 => Just(Some("text/plain".to_string())),
        1 => Just(Some("application/x-www-form-urlencoded".to_string())),
        1 => "[ -~]{0,30}".prop_map(Some),
    ];
    (method, path, content_type, body())
        .prop_map(|(method, path, content_type, body)| Hostile {
            method,
            path,
            content_type,
            body,
        })
        // POST /calls is the one request meant to change state; it is
        // covered by its own tests.
        .prop_filter("not a start", |h| {
            !(h.method == Method::POST && h.path == "/calls")
        })
}

/// Sends `h`; returns the status after checking the error body's shape.
async fn send(http: &reqwest::Client, base: &str, h: &Hostile) -> u16 {
    let mut req = http
        .request(h.method.clone(), format!("{base}{}", h.path))
        .body(h.body.clone());
    if let Some(ct) = &h.content_type {
        req = req.header("content-type", ct.as_str());
    }
    let r = req.send().await.expect("the server answers");
    let code = r.status().as_u16();
    let is_json = r
        .headers()
        .get("content-type")
        .is_some_and(|v| v.as_bytes() == b"application/json");
    let bytes = r.bytes().await.unwrap();
    assert!(
        code < 500,
        "{h:?} got {code}: {}",
        String::from_utf8_lossy(&bytes)
    );
    if code >= 400 {
        assert!(is_json, "{h:?}: not JSON");
        let e: ErrorBody =
            serde_json::from_slice(&bytes).unwrap_or_else(|_| panic!("{h:?}: {bytes:?}"));
        assert!(!e.error.is_empty());
    }
    code
}

fn without_clock(mut s: StatusesResponse) -> StatusesResponse {
    s.now = Default::default();
    s
}

#[test]
fn random_requests_on_every_route_are_refused_cleanly() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let h = rt.block_on(async {
        let h = Harness::start(fast_sim(), |_| {}).await;
        // Finish a dial-down first so that real webhook tokens exist to aim at.
        assert_eq!(h.start_calls().await, 202);
        h.wait_finished().await;
        h
    });
    let before = rt.block_on(h.statuses());
    let real_urls: Vec<String> = h
        .sim
        .dials()
        .iter()
        .map(|d| d.webhook_url.clone())
        .collect();
    let base = h.server.url();
    let mut runner = TestRunner::new(Config {
        cases: 600,
        failure_persistence: None,
        ..Config::default()
    });
    let seen = std::sync::Mutex::new(std::collections::BTreeMap::new());
    runner
        .run(
            &(request(), any::<prop::sample::Index>(), any::<bool>()),
            |(mut req, pick, aim)| {
                if aim {
                    // The same hostile bodies against a real token.
                    let url = pick.get(&real_urls);
                    req.path = url[url.find("/webhooks/").unwrap()..].to_string();
                    if req.method == Method::POST
                        && req.content_type.as_deref() == Some("application/json")
                        && serde_json::from_slice::<serde_json::Value>(&req.body)
                            .is_ok_and(|v| v["status"].is_string() && v["id"].is_u64())
                    {
                        // A well-formed body with a made-up id: must be refused
                        // as contradicting the known id.
                        let code = rt.block_on(send(&h.http, &base, &req));
                        prop_assert!(code == 409 || code == 422, "{code}");
                        return Ok(());
                    }
                }
                let code = rt.block_on(send(&h.http, &base, &req));
                *seen.lock().unwrap().entry(code).or_insert(0) += 1;
                Ok(())
            },
        )
        .unwrap();
    let seen = seen.into_inner().unwrap();
    println!("status codes seen: {seen:?}");
    for code in [400, 404, 405, 413, 415, 422] {
        assert!(
            seen.contains_key(&code),
            "no case produced {code}: {seen:?}"
        );
    }
    rt.block_on(async {
        let after = h.statuses().await;
        assert_eq!(
            without_clock(after),
            without_clock(before),
            "state unchanged"
        );
        assert_eq!(
            h.http.get(h.url("/healthz")).send().await.unwrap().status(),
            200
        );
    });
}

/// Reads one HTTP/1.1 answer with a `content-length`: its status line, its
/// head and its body.
async fn read_answer(s: &mut tokio::net::TcpStream) -> (String, String, String) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = s.read(&mut chunk).await.expect("the answer arrives");
        assert!(n > 0, "closed before the answer: {buf:?}");
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .expect("a content-length")
        .trim()
        .parse()
        .unwrap();
    while buf.len() < head_end + len {
        let n = s.read(&mut chunk).await.expect("the body arrives");
        assert!(n > 0, "closed inside the body");
        buf.extend_from_slice(&chunk[..n]);
    }
    let status = head.lines().next().unwrap().to_string();
    let body = String::from_utf8_lossy(&buf[head_end..head_end + len]).to_string();
    (status, head, body)
}

/// Answers decided before any handler reads the body (404, 405, 413, 415)
/// used to leave it unread, and hyper then closed the keep-alive connection
/// without saying so: the client's next request on it failed.
#[tokio::test]
async fn a_refused_body_leaves_the_connection_usable() {
    let h = Harness::start(fast_sim(), |_| {}).await;
    let nested = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
    let cases = [
        ("POST", "/webhooks/abc", "", nested.clone(), "415"),
        ("PUT", "/calls", "", nested.clone(), "405"),
        ("POST", "/nowhere", "", nested.clone(), "404"),
        ("POST", "/calls/0", "", nested, "405"),
        (
            "POST",
            "/webhooks/abc",
            "content-type: application/json\r\n",
            "x".repeat(70 * 1024),
            "413",
        ),
    ];
    for (method, path, extra, body, code) in cases {
        let mut s = tokio::net::TcpStream::connect(h.server.addr).await.unwrap();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: x\r\n{extra}content-length: {}\r\n\r\n{body}",
            body.len()
        );
        s.write_all(request.as_bytes()).await.unwrap();
        let (status, head, error) = read_answer(&mut s).await;
        assert!(status.contains(code), "{method} {path}: {status}");
        assert!(head.contains("application/json"), "{head}");
        assert!(error.starts_with("{\"error\":"), "{error}");
        assert!(!head.contains("connection: close"), "{head}");
        // The same connection serves the next request.
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let (status, _, _) = read_answer(&mut s).await;
        assert!(status.contains("200"), "after {method} {path}: {status}");
    }
}

#[tokio::test]
async fn slow_clients_cannot_hold_the_server() {
    let h = Harness::start(fast_sim(), |_| {}).await;
    // Many connections that send half a request head and then stall.
    let mut stalled = Vec::new();
    for _ in 0..64 {
        let mut s = tokio::net::TcpStream::connect(h.server.addr).await.unwrap();
        s.write_all(b"GET /statuses HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        stalled.push(s);
    }
    // The server still serves everyone else at once.
    let s = h.statuses().await;
    assert_eq!(s.calls.len(), 9);
    // And it closes the stalled ones after its header timeout.
    for mut s in stalled {
        let mut buf = [0u8; 256];
        // Closed (or reset) within the deadline; a hang fails the test.
        let _closed = tokio::time::timeout(Duration::from_secs(60), s.read(&mut buf))
            .await
            .expect("the server closed the stalled connection");
    }
}

#[test]
fn a_public_listen_address_needs_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(SERVER_BIN)
        .args([
            "--listen",
            "0.0.0.0:0",
            "--data-dir",
            dir.path().join("d").to_str().unwrap(),
        ])
        .env_remove("NUMDIALER_API_TOKEN")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("without an API token") && err.contains("--api-token"),
        "{err}"
    );
}

/// The env file in docs/deploy and in the Debian package ships
/// `NUMDIALER_API_TOKEN=change-me`: a server left with it refuses to start,
/// says where to set a real token, and opens no data directory.
#[test]
fn the_shipped_placeholder_token_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    let out = std::process::Command::new(SERVER_BIN)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            data.to_str().unwrap(),
        ])
        .env("NUMDIALER_API_TOKEN", "change-me")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("placeholder API token")
            && err.contains("NUMDIALER_API_TOKEN")
            && err.contains("/etc/numdialer/numdialer.env")
            && err.contains("--api-token"),
        "{err}"
    );
    assert!(!data.exists(), "the refused start opened {data:?}");
}

#[tokio::test]
async fn insecure_no_token_is_an_explicit_choice() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let http = client();
    let p = start_server(
        SocketAddr::from(([0, 0, 0, 0], port)),
        &[
            "--insecure-no-token",
            "--data-dir",
            dir.path().join("d").to_str().unwrap(),
        ],
        &dir.path().join("log"),
    )
    .await;
    assert_eq!(p.base(), format!("http://127.0.0.1:{port}"));
    assert!(statuses(&http, p.base()).await.is_some());
}

//! The OpenAPI document: the committed copy (docs/openapi.json) is what
//! the code generates, docs/api.md has a heading for every route in it and
//! none beyond, and the server serves it without the token.

use crate::helpers::InProcess;
use std::collections::BTreeSet;
use std::path::PathBuf;

fn docs(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs")
        .join(file)
}

/// What `numdialer-server openapi` prints.
fn generated() -> String {
    format!("{}\n", numdialer_server::http::openapi::json())
}

#[test]
fn the_committed_document_is_the_one_the_code_generates() {
    let committed = std::fs::read_to_string(docs("openapi.json")).unwrap_or_default();
    let generated = generated();
    if committed != generated {
        let line = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(generated.lines().count()));
        panic!(
            "docs/openapi.json differs from the document the code generates (first at line {}: \
             committed {:?}, generated {:?}); regenerate it with \
             `cargo run -p numdialer-server -- openapi > docs/openapi.json` and commit it",
            line + 1,
            committed.lines().nth(line).unwrap_or("<end>"),
            generated.lines().nth(line).unwrap_or("<end>"),
        );
    }
}

/// `(METHOD, /path)` of every operation in the document.
fn document_routes() -> BTreeSet<(String, String)> {
    let doc: serde_json::Value = serde_json::from_str(&generated()).unwrap();
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            routes.insert((method.to_uppercase(), path.clone()));
        }
    }
    routes
}

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// `(METHOD, /path)` of every route named in a heading of api.md: each
/// code span `METHOD /path` in a heading, and each `/sub` after one as a
/// sibling of its path (`POST /campaigns/{id}/start`, `/pause`). A query
/// string written in the heading is not part of the path. Lines of code
/// blocks are not headings, whatever they start with.
fn api_md_routes(text: &str) -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    let mut in_code = false;
    for line in text.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        }
        if in_code || !line.starts_with('#') {
            continue;
        }
        let heading = line;
        let mut last: Option<(String, String)> = None;
        for span in heading.split('`').skip(1).step_by(2) {
            let span = span.split('?').next().unwrap_or(span).trim();
            let route = match span.split_once(' ') {
                Some((method, path)) if METHODS.contains(&method) && path.starts_with('/') => {
                    (method.to_string(), path.to_string())
                }
                None if span.starts_with('/') => match &last {
                    Some((method, path)) => {
                        let parent = path.rsplit_once('/').map_or("", |(p, _)| p);
                        (method.clone(), format!("{parent}{span}"))
                    }
                    None => continue,
                },
                _ => continue,
            };
            routes.insert(route.clone());
            last = Some(route);
        }
    }
    routes
}

#[test]
fn api_md_has_a_heading_for_every_route_in_the_document_and_no_other() {
    let text = std::fs::read_to_string(docs("api.md")).unwrap();
    let documented = api_md_routes(&text);
    let described = document_routes();
    let missing: Vec<_> = described.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&described).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "docs/api.md and the OpenAPI document disagree: routes without a heading in api.md: \
         {missing:?}; headings in api.md for routes the server does not have: {extra:?}"
    );
}

#[test]
fn headings_name_routes_and_their_siblings() {
    let md = "## `POST /calls` — start\n### `POST /campaigns/{id}/start`, `/pause`\n\
              ## `GET /healthz` and `GET /readyz`\n### `DELETE /x/{p}?scope=&reason=`\n\
              ```\n# `GET /not/a/heading` in a block is a comment\n```\n";
    let routes: Vec<_> = api_md_routes(md).into_iter().collect();
    let want = [
        ("DELETE", "/x/{p}"),
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("POST", "/calls"),
        ("POST", "/campaigns/{id}/pause"),
        ("POST", "/campaigns/{id}/start"),
    ];
    let want: Vec<_> = want
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(routes, want);
}

#[tokio::test]
async fn the_document_is_served_without_the_token() {
    let app = InProcess::new(Some("s3cret"));
    let a = app.call("GET", "/openapi.json", &[]).await;
    assert_eq!(a.status, 200);
    assert_eq!(
        a.headers["content-type"].to_str().unwrap(),
        "application/json"
    );
    assert_eq!(String::from_utf8(a.body).unwrap() + "\n", generated());
    assert_eq!(app.call("GET", "/campaigns", &[]).await.status, 401);
}

/// Every operation behind the token says so in the document, and no
/// public one does.
#[test]
fn the_document_marks_exactly_the_routes_behind_the_token() {
    let doc: serde_json::Value = serde_json::from_str(&generated()).unwrap();
    let public = [
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", "/openapi.json"),
        ("POST", "/webhooks/{token}"),
        ("POST", "/webhooks/{token}/amd"),
    ];
    for (method, path) in document_routes() {
        let op = &doc["paths"][&path][method.to_lowercase()];
        let guarded = op["security"] == serde_json::json!([{"bearer": []}]);
        let is_public = public.contains(&(method.as_str(), path.as_str()));
        assert_eq!(guarded, !is_public, "{method} {path}");
        assert!(op["responses"]["default"].is_object(), "{method} {path}");
    }
}

/// `numdialer-server openapi` prints the document alone and exits 0,
/// opening no data directory: run where the default one would be made, and
/// with `NUMDIALER_DATA_DIR` naming another, neither is made.
#[test]
fn the_subcommand_prints_the_document_without_opening_a_store() {
    let cwd = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(crate::helpers::SERVER_BIN)
        .arg("openapi")
        .current_dir(cwd.path())
        .env("NUMDIALER_DATA_DIR", cwd.path().join("never-made"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8(out.stdout).unwrap(), generated());
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let left: Vec<_> = std::fs::read_dir(cwd.path()).unwrap().collect();
    assert!(left.is_empty(), "it made {left:?}");
    let out = std::process::Command::new(crate::helpers::SERVER_BIN)
        .args(["openapi", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("docs/openapi.json"), "{help}");
}

/// The document and the router agree on the token: asked without it,
/// every operation with the bearer scheme answers 401 and no other does.
#[tokio::test]
async fn every_documented_route_needs_the_token_exactly_where_the_document_says() {
    let app = InProcess::new(Some("s3cret"));
    let doc: serde_json::Value = serde_json::from_str(&generated()).unwrap();
    for (method, path) in document_routes() {
        let guarded = doc["paths"][&path][method.to_lowercase()]["security"].is_array();
        let uri = path
            .replace("{id}", "1")
            .replace("{index}", "0")
            .replace("{phone}", "+19842068287")
            .replace("{token}", "unknown");
        let status = app.call(&method, &uri, &[]).await.status;
        assert_eq!(status == 401, guarded, "{method} {path} answered {status}");
    }
}

/// Routes join the router only through `routes!` in an `OpenApiRouter`,
/// which describes them: the passthroughs that would add a route without a
/// description are not used where the router is built.
#[test]
fn the_router_adds_no_route_outside_the_document() {
    let source = include_str!("../../src/http/mod.rs");
    for passthrough in [".route(", ".route_service(", ".nest(", ".nest_service("] {
        assert!(
            !source.contains(passthrough),
            "http/mod.rs calls {passthrough}: register the route with routes! so that \
             the OpenAPI document describes it"
        );
    }
}

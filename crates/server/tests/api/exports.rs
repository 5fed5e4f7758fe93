//! Exports that a spreadsheet opens safely: cells that it would run as
//! formulas come quoted with `'` in every text column (OWASP's rule), the
//! phone and numeric columns stay as they are, and `?raw=true` gives every
//! cell as stored.

use crate::helpers::*;
use numdialer_server::provider::simulator::SimConfig;
use std::time::Duration;

/// A list whose names and extra columns (and one column's name) are
/// formulas, each of OWASP's leading characters once.
const FORMULAS: &str = "phone,name,note,=HEADER()\r\n\
    14155550101,\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",+cmd|' /C calc'!A0,plain\r\n\
    14155550102,@SUM(A1:A9),-2+3,\"\t=1\"\r\n\
    14155550103,Ana,\"\r=1\",ok\r\n";

fn rows(csv_text: &[u8]) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv_text);
    reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

#[tokio::test]
async fn an_export_neutralises_formulas_unless_raw() {
    let app = InProcess::new(None);
    let created = app
        .call_with(
            "POST",
            "/campaigns?name=formulas",
            &[("content-type", "text/csv")],
            FORMULAS,
        )
        .await;
    assert_eq!(
        created.status,
        201,
        "{}",
        String::from_utf8_lossy(&created.body)
    );
    let id = created.json()["id"].as_u64().unwrap();

    let safe = app
        .call("GET", &format!("/campaigns/{id}/export.csv"), &[])
        .await;
    assert_eq!(safe.status, 200);
    let safe = rows(&safe.body);
    assert_eq!(safe[0][15], "'=HEADER()", "the import's column names too");
    let cells = |r: &[String]| (r[1].clone(), r[2].clone(), r[14].clone(), r[15].clone());
    assert_eq!(
        cells(&safe[1]),
        (
            "14155550101".into(),
            "'=HYPERLINK(\"http://x\",\"y\")".into(),
            "'+cmd|' /C calc'!A0".into(),
            "plain".into()
        )
    );
    assert_eq!(
        cells(&safe[2]),
        (
            "14155550102".into(),
            "'@SUM(A1:A9)".into(),
            "'-2+3".into(),
            "'\t=1".into()
        )
    );
    assert_eq!(
        cells(&safe[3]),
        (
            "14155550103".into(),
            "Ana".into(),
            "'\r=1".into(),
            "ok".into()
        )
    );
    for row in &safe[1..] {
        assert!(row[0].parse::<usize>().is_ok(), "index {row:?}");
        assert_eq!(row[5], "0", "attempts stay a number: {row:?}");
    }

    let raw = app
        .call("GET", &format!("/campaigns/{id}/export.csv?raw=true"), &[])
        .await;
    assert_eq!(raw.status, 200);
    let raw = rows(&raw.body);
    assert_eq!(raw[0][15], "=HEADER()");
    assert_eq!(raw[1][2], "=HYPERLINK(\"http://x\",\"y\")");
    assert_eq!(raw[2][14], "-2+3");
    assert_eq!(raw[3][14], "\r=1");

    let bad = app
        .call("GET", &format!("/campaigns/{id}/export.csv?raw=maybe"), &[])
        .await;
    assert_eq!(bad.status, 400);
    assert!(bad.json()["error"].as_str().is_some());
}

/// On the real binary with a data directory, an import's names and extra
/// columns live in a file of their own (`fields/<id>`), not in the
/// server's memory: the export, the statuses and an entry's detail read
/// them from it, the same before and after a `kill -9`, and deleting the
/// campaign removes the file.
#[tokio::test]
async fn extra_columns_are_read_from_their_file_across_a_restart_and_go_with_the_campaign() {
    let sim = start_sim(SimConfig::default()).await;
    let mut node = Node::start(&sim, None, &[]).await;
    let base = node.server.base().to_string();
    let r = node
        .http
        .post(format!("{base}/campaigns?name=wide"))
        .header("content-type", "text/csv")
        .body(FORMULAS)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let id = r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_u64()
        .unwrap();
    let file = node
        .log
        .with_file_name("data")
        .join("fields")
        .join(id.to_string());
    assert!(file.is_file(), "{} is written", file.display());

    let export = |http: reqwest::Client, base: String| async move {
        let r = http
            .get(format!("{base}/campaigns/{id}/export.csv?raw=true"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        rows(&r.bytes().await.unwrap())
    };
    let before = export(node.http.clone(), base.clone()).await;
    assert_eq!(before.len(), 4);
    let extra: Vec<(&str, &str)> = before[1..]
        .iter()
        .map(|r| (r[14].as_str(), r[15].as_str()))
        .collect();
    assert_eq!(
        extra,
        [
            ("+cmd|' /C calc'!A0", "plain"),
            ("-2+3", "\t=1"),
            ("\r=1", "ok")
        ]
    );

    assert_eq!(before[3][2], "Ana", "the name column, from the file too");
    let shown = |http: reqwest::Client, base: String| async move {
        let get = |path: String| {
            let (http, base) = (http.clone(), base.clone());
            async move {
                let r = http.get(format!("{base}{path}")).send().await.unwrap();
                r.json::<serde_json::Value>().await.unwrap()
            }
        };
        let s = get(format!("/campaigns/{id}/statuses")).await;
        let d = get(format!("/campaigns/{id}/calls/2")).await;
        let names: Vec<serde_json::Value> = s["calls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].clone())
            .collect();
        (names, d["name"].clone())
    };
    let names = shown(node.http.clone(), base.clone()).await;
    assert_eq!(
        names,
        (
            vec![
                "=HYPERLINK(\"http://x\",\"y\")".into(),
                "@SUM(A1:A9)".into(),
                "Ana".into()
            ],
            "Ana".into()
        ),
        "statuses and the entry's detail name each entry"
    );

    node.server.kill9().unwrap();
    node.restart().await;
    let after = export(node.http.clone(), base.clone()).await;
    assert_eq!(after, before, "the same export after a restart");
    assert_eq!(shown(node.http.clone(), base.clone()).await, names);

    let r = node
        .http
        .delete(format!("{base}/campaigns/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    wait_for(
        "the deleted campaign's file to go",
        Duration::from_secs(10),
        || async { (!file.exists()).then_some(()) },
    )
    .await;
}

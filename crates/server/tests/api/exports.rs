//! Exports that a spreadsheet opens safely: cells that it would run as
//! formulas come quoted with `'` in every text column (OWASP's rule), the
//! phone and numeric columns stay as they are, and `?raw=true` gives every
//! cell as stored.

use crate::helpers::*;

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

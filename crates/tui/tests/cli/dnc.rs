//! `numdialer dnc`: a number added, checked, logged, exported and
//! removed, in plain text and `--json`; a file imported; bad input exits 2
//! or 1 with nothing stored.

use crate::run::{Io, Server, TOKEN, numdialer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_number_added_checked_logged_exported_and_removed() {
    let s = Server::start().await;
    let out = s
        .ok(&[
            "dnc",
            "add",
            "+1 301-804-0009",
            "--reason",
            "asked",
            "--actor",
            "ops",
        ])
        .await;
    assert_eq!(
        out,
        "+1 301-804-0009 is on the global do-not-call list: never dialed again\n"
    );
    let added: serde_json::Value = serde_json::from_str(
        &s.ok(&["dnc", "add", "+1302*", "--scope", "1", "--json"])
            .await,
    )
    .unwrap();
    assert_eq!(
        (&added["phone"], &added["scope"], &added["source"]),
        (&"+1302*".into(), &1.into(), &"manual".into()),
        "{added}"
    );

    let out = s.ok(&["dnc", "check", "+13018040009"]).await;
    assert!(
        out.starts_with(
            "+1 301-804-0009 is not dialed: on the do-not-call list (global, manual) since "
        ) && out.ends_with(": asked\n"),
        "{out}"
    );
    let out = s.ok(&["dnc", "check", "+13028040009"]).await;
    assert_eq!(
        out, "+1 302-804-0009 is on no do-not-call list\n",
        "global only"
    );
    let checked: serde_json::Value = serde_json::from_str(
        &s.ok(&["dnc", "check", "+13028040009", "--campaign", "1", "--json"])
            .await,
    )
    .unwrap();
    assert_eq!(checked["suppressed"], true, "{checked}");

    let numbers = s.file("optouts.txt", "+13018040010\n+1 301 804 0011\n");
    let out = s
        .ok(&[
            "dnc",
            "import",
            numbers.to_str().unwrap(),
            "--reason",
            "web form",
        ])
        .await;
    assert!(
        out.starts_with("added 2 numbers to the global do-not-call list (import; audit record "),
        "{out}"
    );

    let log = s.ok(&["dnc", "log"]).await;
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 3, "{log}");
    assert!(
        lines[0].contains(" add +1 301-804-0009 global manual \"asked\" by ops"),
        "{log}"
    );
    assert!(
        lines[2].contains(" import 2 numbers global import \"web form\""),
        "{log}"
    );
    let page: serde_json::Value =
        serde_json::from_str(&s.ok(&["dnc", "log", "--limit", "1", "--json"]).await).unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");
    assert!(page["next"].is_string(), "{page}");
    let more = s.ok(&["dnc", "log", "--limit", "2"]).await;
    assert!(
        more.contains("… more: numdialer dnc log --after "),
        "{more}"
    );

    let csv = s.ok(&["dnc", "export"]).await;
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], "phone,scope,source,reason,created_at,actor");
    assert_eq!(rows.len(), 5, "{csv}");
    let file = s.dir.path().join("dnc.csv");
    let out = s.ok(&["dnc", "export", "-o", file.to_str().unwrap()]).await;
    assert!(
        out.starts_with("exported the do-not-call lists to "),
        "{out}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), csv);

    // A removal needs its reason, and names what it removed.
    let out = s.run(&["dnc", "remove", "+13018040009"]).await;
    assert_eq!(out.code, 2, "{out:?}");
    let out = s
        .ok(&["dnc", "remove", "+13018040009", "--reason", "by mistake"])
        .await;
    assert_eq!(
        out,
        "+1 301-804-0009 is off the global do-not-call list; entries it canceled stay canceled\n"
    );
    let out = s
        .run(&["dnc", "remove", "+13018040009", "--reason", "again"])
        .await;
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains("is not on the global do-not-call list"),
        "{out:?}"
    );
    let out = s.ok(&["dnc", "check", "+13018040009"]).await;
    assert_eq!(out, "+1 301-804-0009 is on no do-not-call list\n");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_and_stores_nothing() {
    let s = Server::start().await;
    // Not a number; a whole country; a campaign that does not exist.
    for args in [
        &["dnc", "add", "hello"][..],
        &["dnc", "add", "+1*"],
        &["dnc", "add", "+13018040009", "--scope", "99"],
    ] {
        let out = s.run(args).await;
        assert_eq!(out.code, 1, "{args:?}: {out:?}");
        assert!(out.stderr.starts_with("numdialer: cannot add"), "{out:?}");
    }
    let out = s
        .run(&["dnc", "add", "+13018040009", "--scope", "everyone"])
        .await;
    assert_eq!(out.code, 2, "{out:?}");
    // A file with a bad line: named by line, nothing stored.
    let bad = s.file("bad.txt", "+13018040010\nnot a number\n");
    let out = s.run(&["dnc", "import", bad.to_str().unwrap()]).await;
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("line 2: "), "{out:?}");
    assert!(out.stderr.contains("1 bad line"), "{out:?}");
    // A registry date in the future.
    let registry = s.file("301.txt", "3018040009\n");
    let out = s
        .run(&[
            "dnc",
            "import",
            registry.to_str().unwrap(),
            "--source",
            "registry",
            "--registry-date",
            "2999-01-01",
        ])
        .await;
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("registry_date"), "{out:?}");
    let csv = s.ok(&["dnc", "export"]).await;
    assert_eq!(csv.lines().count(), 1, "only the header: {csv}");
    // Unreachable: exit 3.
    let out = numdialer(
        vec![
            "dnc".into(),
            "check".into(),
            "+13018040009".into(),
            "--server".into(),
            "http://127.0.0.1:9".into(),
            "--token".into(),
            TOKEN.into(),
        ],
        Io::default(),
    )
    .await;
    assert_eq!(out.code, 3, "{out:?}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_require_registry_holds_a_campaign_until_a_current_copy() {
    let s = Server::start().await;
    let list = s.file("leads.txt", "+13018040600\n+13018040601\n");
    let created: serde_json::Value = serde_json::from_str(
        &s.ok(&[
            "add",
            list.to_str().unwrap(),
            "--require-registry",
            "--start",
            "--json",
        ])
        .await,
    )
    .unwrap();
    assert_eq!(created["require_registry"], true, "{created}");
    let id = created["id"].as_u64().unwrap().to_string();
    let held = crate::run::wait_json(&s, &["campaigns", &id, "--json"], |c| {
        c["registry_hold"].is_string()
    })
    .await;
    assert!(
        held["registry_hold"]
            .as_str()
            .unwrap()
            .contains("none was imported"),
        "{held}"
    );
    assert_eq!(held["attempts"], 0, "{held}");
    s.stop().await;
}

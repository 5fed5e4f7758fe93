//! A campaign through every command, as a script would drive it.

use crate::run::{Io, Server, TOKEN, id_of, lines, nine_csv, numdialer};
use numdialer_core::api::{CampaignSummary, CampaignsResponse};
use numdialer_tui::client::{Client, ClientError};
use std::time::Duration;

/// The final counts of the nine built-in numbers against the simulator:
/// four pick up; the other five ring and hang up (one of them reports
/// `completed` before `ringing`), never answered.
const NINE_DONE: &str = "9/9 final · answered 4 · no answer 5 · failed 0 · canceled 0";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_from_import_to_delete() {
    let s = Server::start().await;
    let csv = s.file("spring.csv", &nine_csv());
    let csv = csv.to_str().unwrap();

    let out = s
        .ok(&["add", csv, "--max-attempts", "2", "--retry-delay", "1"])
        .await;
    let id = out
        .strip_prefix("created campaign ")
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(
        out,
        format!(
            "created campaign {id} \"spring\", 9 entries, draft; start it with: numdialer start {id}\n"
        )
    );

    let table = s.ok(&["campaigns"]).await;
    let mut rows = table.lines();
    assert!(rows.next().unwrap().starts_with("ID  STATE"), "{table}");
    let row = rows
        .find(|r| r.split_whitespace().next() == Some(&id.to_string()))
        .unwrap_or_else(|| panic!("no row for {id}:\n{table}"));
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        cells,
        [
            &id.to_string(),
            "draft",
            "0/9",
            "0",
            "0",
            "0",
            "0",
            "0",
            "spring"
        ]
    );

    let list: CampaignsResponse =
        serde_json::from_str(&s.ok(&["campaigns", "--json"]).await).unwrap();
    let summary = list.campaigns.iter().find(|c| c.id == id).unwrap();
    assert_eq!(
        (
            summary.total,
            summary.retry.max_attempts,
            summary.retry.retry_delay
        ),
        (9, 2, 1)
    );
    assert_eq!(summary.columns, ["region"]);
    let one: CampaignSummary =
        serde_json::from_str(&s.ok(&["campaigns", &id.to_string(), "--json"]).await).unwrap();
    assert_eq!(one.id, id);
    assert_eq!(
        s.ok(&["campaigns", &id.to_string()]).await,
        format!(
            "campaign {id} draft: 0/9 final · answered 0 · no answer 0 · failed 0 · canceled 0\n"
        )
    );

    let started: CampaignSummary =
        serde_json::from_str(&s.ok(&["start", &id.to_string(), "--json"]).await).unwrap();
    assert!(started.state.is_started(), "{started:?}");
    let again = s.run(&["start", &id.to_string()]).await;
    assert_eq!(again.code, 1, "start is for drafts only: {again:?}");
    assert!(
        again.stderr.contains("it has started already (HTTP 409)"),
        "{again:?}"
    );

    // Piped to a file, watch prints progress lines and ends with the
    // final counts once every entry is final.
    let log = s.dir.path().join("watch.log");
    let watched = numdialer(
        s_args(&s, &["watch", &id.to_string()]),
        Io {
            stdout: Some(log.clone()),
            ..Io::default()
        },
    )
    .await;
    assert_eq!(watched.code, 0, "{watched:?}");
    let log = lines(&log);
    assert_eq!(
        log.last().unwrap(),
        &format!("campaign {id} done: {NINE_DONE}"),
        "{log:#?}"
    );
    assert!(
        log.iter()
            .all(|l| l.starts_with(&format!("campaign {id} "))),
        "one plain line per change: {log:#?}"
    );

    // The client's reads that no command prints (the TUI's pane uses them).
    let client = Client::new(&s.url(), Some(TOKEN.into()));
    let full = client
        .campaign_statuses(id, None, Duration::ZERO)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(full.calls.len(), 9);
    assert_eq!(full.campaign.as_ref().map(|c| c.id), Some(id));
    let unchanged = client
        .campaign_statuses(id, Some(full.version), Duration::from_millis(100))
        .await
        .unwrap();
    assert_eq!(unchanged, None, "a finished campaign does not change");
    let entry = client.campaign_call(id, 0).await.unwrap();
    assert!(!entry.history.is_empty(), "{entry:?}");
    let none = client.campaign_call(id, 99).await.unwrap_err();
    assert!(
        matches!(none, ClientError::Http { status: 404, .. }),
        "{none:?}"
    );

    let csv_out = s.ok(&["export", &id.to_string()]).await;
    let mut exported = csv_out.lines();
    assert_eq!(
        exported.next().unwrap(),
        "index,phone,name,status,outcome,attempts,call_id,first_dialed_at,ended_at,reason,answered_by,voicemail_left,timezones,waiting_until,region"
    );
    let rows: Vec<&str> = exported.collect();
    assert_eq!(rows.len(), 9, "{csv_out}");
    assert!(
        rows[0].contains("Person 0") && rows[0].ends_with(",north"),
        "{}",
        rows[0]
    );

    let dir = s.dir.path().join("exports");
    std::fs::create_dir(&dir).unwrap();
    let said = s
        .ok(&["export", &id.to_string(), "-o", dir.to_str().unwrap()])
        .await;
    let file = dir.join(format!("spring-{id}.csv"));
    assert_eq!(
        said,
        format!("exported campaign {id} to {}\n", file.display())
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), csv_out);
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "no part file is left behind"
    );
    std::fs::write(&file, "kept\n").unwrap();
    let refused = s
        .run(&["export", &id.to_string(), "-o", dir.to_str().unwrap()])
        .await;
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(
        refused.stderr.contains(&file.display().to_string()) && refused.stderr.contains("--force"),
        "names the file and the way: {refused:?}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "kept\n");
    s.ok(&[
        "export",
        &id.to_string(),
        "-o",
        dir.to_str().unwrap(),
        "--force",
    ])
    .await;
    assert_eq!(std::fs::read_to_string(&file).unwrap(), csv_out);

    assert_eq!(
        s.ok(&["delete", &id.to_string()]).await,
        format!("deleted campaign {id}\n")
    );
    let gone = s.run(&["campaigns", &id.to_string()]).await;
    assert_eq!(gone.code, 1, "{gone:?}");
    assert!(gone.stderr.contains("(HTTP 404)"), "{gone:?}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_resume_and_stop_cancel_what_is_left() {
    let s = Server::start().await;
    let many: String = std::iter::once("phone\n".to_string())
        .chain((0..600).map(|i| format!("1301804{:04}\n", i)))
        .collect();
    let csv = s.file("many.csv", &many);
    let json = s
        .ok(&["add", csv.to_str().unwrap(), "--start", "--json"])
        .await;
    let id = id_of(&json).to_string();
    let summary: CampaignSummary = serde_json::from_str(&json).unwrap();
    assert_eq!(summary.state.to_string(), "running");

    let paused = s.ok(&["pause", &id]).await;
    assert!(
        paused.starts_with(&format!("campaign {id} paused: ")),
        "{paused}"
    );
    let refused = s.run(&["delete", &id]).await;
    assert_eq!(
        refused.code, 1,
        "a paused campaign is not deleted: {refused:?}"
    );
    assert!(refused.stderr.contains("(HTTP 409)"), "{refused:?}");
    let resumed = s.ok(&["resume", &id]).await;
    assert!(
        resumed.starts_with(&format!("campaign {id} running: ")),
        "{resumed}"
    );

    let stopped: CampaignSummary =
        serde_json::from_str(&s.ok(&["stop", &id, "--json"]).await).unwrap();
    assert_eq!(stopped.state.to_string(), "stopped");
    assert!(
        stopped.outcome(numdialer_core::Outcome::Canceled) > 0,
        "{stopped:?}"
    );

    // A stopped campaign is over: watch says so and ends at once; it
    // cannot be started again.
    let watched = s.run(&["watch", &id]).await;
    assert_eq!(watched.code, 0, "{watched:?}");
    assert!(
        watched
            .stdout
            .trim_end()
            .lines()
            .last()
            .unwrap()
            .starts_with(&format!("campaign {id} stopped: ")),
        "{watched:?}"
    );
    let again = s.run(&["start", &id]).await;
    assert_eq!(again.code, 1, "{again:?}");
    assert!(
        again
            .stderr
            .starts_with(&format!("numdialer: cannot start campaign {id} on ")),
        "{again:?}"
    );
    assert!(again.stderr.contains("(HTTP 409)"), "{again:?}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_json_and_a_pipe_import_alike() {
    let s = Server::start().await;
    let text = s.file("list.txt", "# two numbers\n13018040009\n\n19842068287\n");
    let out = s.ok(&["add", text.to_str().unwrap(), "--json"]).await;
    let c: CampaignSummary = serde_json::from_str(&out).unwrap();
    assert_eq!((c.name.as_str(), c.total), ("list", 2));

    // A number the simulator cannot dial is imported with a warning, on
    // stderr, so that stdout stays the result.
    let abroad = s.file(
        "abroad.txt",
        "13018040009
+447911123456
",
    );
    let out = s.run(&["add", abroad.to_str().unwrap(), "--json"]).await;
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stderr.contains("warning: line 2: ") && out.stderr.contains("+1"),
        "{out:?}"
    );
    let c: CampaignSummary = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(c.total, 2);

    let json = s.file(
        "l.json",
        r#"{"name": "from json", "entries": [{"phone": "13018040009", "name": "Ann"}]}"#,
    );
    let out = s.ok(&["add", json.to_str().unwrap(), "--json"]).await;
    let c: CampaignSummary = serde_json::from_str(&out).unwrap();
    assert_eq!((c.name.as_str(), c.total), ("from json", 1));
    let out = s
        .ok(&[
            "add",
            json.to_str().unwrap(),
            "--name",
            "renamed",
            "--max-attempts",
            "3",
            "--json",
        ])
        .await;
    let c: CampaignSummary = serde_json::from_str(&out).unwrap();
    assert_eq!((c.name.as_str(), c.retry.max_attempts), ("renamed", 3));

    // A pipe has no length: the body goes chunked.
    let mut big = String::from("phone\n");
    for i in 0..20_000 {
        big.push_str(&format!("1301804{:04}\n", i % 10_000));
    }
    let piped = s.file("big.csv", &big);
    let out = numdialer(
        s_args(
            &s,
            &[
                "add",
                "/dev/stdin",
                "--format",
                "csv",
                "--name",
                "piped",
                "--json",
            ],
        ),
        Io {
            stdin: Some(piped),
            ..Io::default()
        },
    )
    .await;
    assert_eq!(out.code, 0, "{out:?}");
    let c: CampaignSummary = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!((c.name.as_str(), c.total), ("piped", 20_000));

    // `-` is standard input, as `export -o -` is standard output.
    let dashed = s.file("dashed.txt", "+1 301-804-1000\n+1 301-804-1001\n");
    let out = numdialer(
        s_args(&s, &["add", "-", "--format", "text", "--json"]),
        Io {
            stdin: Some(dashed),
            ..Io::default()
        },
    )
    .await;
    assert_eq!(out.code, 0, "{out:?}");
    let c: CampaignSummary = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(c.total, 2);

    let key = ["--idempotency-key", "run-1", "--json"];
    let first = s
        .ok(&[&["add", text.to_str().unwrap()][..], &key].concat())
        .await;
    let out = s
        .run(&[&["add", text.to_str().unwrap()][..], &key].concat())
        .await;
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        id_of(&out.stdout),
        id_of(&first),
        "the same key, the same campaign"
    );
    let plain = s
        .ok(&["add", text.to_str().unwrap(), "--idempotency-key", "run-1"])
        .await;
    assert!(
        plain.contains("was already created with this idempotency key"),
        "{plain}"
    );
    s.stop().await;
}

/// `args` against `s`, with its token.
fn s_args(s: &Server, args: &[&str]) -> Vec<String> {
    let mut argv: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    argv.extend(["--server".into(), s.url(), "--token".into(), TOKEN.into()]);
    argv
}

/// Names and columns that a spreadsheet would run as formulas are quoted
/// with `'` in an export; `--raw` gives them as they were imported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_quotes_formulas_unless_raw() {
    let s = Server::start().await;
    let csv = s.file(
        "formulas.csv",
        "phone,name,note\n14155550101,=1+1,@SUM(A1:A9)\n14155550102,Ana,-2\n",
    );
    let id = id_of(&s.ok(&["add", csv.to_str().unwrap(), "--json"]).await);
    let safe = s.ok(&["export", &id.to_string()]).await;
    let rows: Vec<&str> = safe.lines().collect();
    assert!(
        rows[1].starts_with("0,14155550101,'=1+1,idle,") && rows[1].ends_with(",'@SUM(A1:A9)"),
        "{safe}"
    );
    assert!(rows[2].ends_with(",'-2"), "{safe}");
    let raw = s.ok(&["export", &id.to_string(), "--raw"]).await;
    let rows: Vec<&str> = raw.lines().collect();
    assert!(
        rows[1].starts_with("0,14155550101,=1+1,idle,") && rows[1].ends_with(",@SUM(A1:A9)"),
        "{raw}"
    );
    assert!(rows[2].ends_with(",-2"), "{raw}");
    let help = s.ok(&["export", "--help"]).await;
    assert!(help.contains("--raw") && help.contains("formula"), "{help}");
    s.stop().await;
}

/// `watch && export` on a campaign stopped with calls in flight: watch
/// waits for those calls to end, so every exported row is final.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_then_export_after_a_stop_mid_flight_exports_only_final_rows() {
    // Calls of a few seconds: some are surely in flight at the stop.
    let s = Server::start_scaled(0.3).await;
    let list: String = std::iter::once("phone\n".to_string())
        .chain((0..20).map(|i| format!("1301804{:04}\n", i)))
        .collect();
    let csv = s.file("twenty.csv", &list);
    let id = id_of(
        &s.ok(&["add", csv.to_str().unwrap(), "--start", "--json"])
            .await,
    )
    .to_string();
    let until = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let c: CampaignSummary =
            serde_json::from_str(&s.ok(&["campaigns", &id, "--json"]).await).unwrap();
        if c.active > 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < until,
            "no call in flight: {c:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stopped: CampaignSummary =
        serde_json::from_str(&s.ok(&["stop", &id, "--json"]).await).unwrap();
    assert!(
        stopped.active > 0,
        "calls in flight at the stop: {stopped:?}"
    );

    let watched = s.run(&["watch", &id]).await;
    assert_eq!(watched.code, 0, "{watched:?}");
    let exported = s.ok(&["export", &id]).await;
    let rows: Vec<&str> = exported.lines().skip(1).collect();
    assert_eq!(rows.len(), 20, "{exported}");
    for row in rows {
        let status = row.split(',').nth(3).unwrap();
        assert!(
            ["completed", "failed", "canceled"].contains(&status),
            "a row not final after watch: {row}\n{}",
            watched.stdout
        );
    }
    let deleted: serde_json::Value =
        serde_json::from_str(&s.ok(&["delete", &id, "--json"]).await).unwrap();
    assert_eq!(deleted["deleted"], true, "{deleted}");
    assert_eq!(deleted["id"].to_string(), id);
    s.stop().await;
}

//! What a list costs the server to hold: plain numbers as text, or a
//! spreadsheet's CSV with `--import-columns` extra columns, through `POST
//! /campaigns`; the resident memory it grows by at its peak and once
//! answered, and again after a restart loads it from disk. design.md's
//! budget is 200 bytes per plain entry, and a peak of at most the retained
//! memory plus 64 MB; a wide CSV's peak at most 3 times its body.

use crate::Args;
use crate::api::FakeApi;
use crate::server::{Server, peak_rss_kib, rss_kib};
use crate::stats::median;

/// One number a line, as `numdialer add` or a registry export sends them.
fn text(lines: usize) -> Vec<u8> {
    let mut s = String::with_capacity(lines * 12);
    for i in 0..lines {
        s.push_str(&crate::api::phone(i));
        s.push('\n');
    }
    s.into_bytes()
}

/// A header and `lines` rows of a phone and `columns` extra columns, each
/// cell a few words as a CRM export has them.
fn csv(lines: usize, columns: usize) -> Vec<u8> {
    let mut s = String::from("phone");
    for c in 0..columns {
        s.push_str(&format!(",field {c}"));
    }
    s.push('\n');
    for i in 0..lines {
        s.push_str(&crate::api::phone(i));
        for c in 0..columns {
            s.push_str(&format!(",v{c} r{i}"));
        }
        s.push('\n');
    }
    s.into_bytes()
}

/// Figure 12: `--import-lines` plain numbers, `--import-runs` times, each
/// on a fresh server and data directory.
pub async fn retained(args: &Args) -> anyhow::Result<()> {
    let (lines, columns) = (args.import_lines, args.import_columns);
    let (body, media) = match columns {
        0 => (text(lines), "text/plain"),
        _ => (csv(lines, columns), "text/csv"),
    };
    println!(
        "## 12. Retained memory: POST /campaigns with {lines} numbers and {columns} extra columns \
         ({:.1} MiB {media}), then a restart ({} runs)\n",
        body.len() as f64 / 1048576.0,
        args.import_runs
    );
    println!(
        "| run | idle RSS | peak growth | peak / body | retained per entry | after a restart, per entry |\n|---|---|---|---|---|---|"
    );
    let api = FakeApi::start(None).await?;
    let http = reqwest::Client::new();
    let (mut peaks, mut kept, mut reloaded) = (Vec::new(), Vec::new(), Vec::new());
    for run in 1..=args.import_runs {
        let mut server = Server::spawn(&api.url, 9, 3, &["--calling-hours", "off"]).await?;
        let list = format!("{}/campaigns", server.base());
        http.get(&list).send().await?.bytes().await?;
        let idle = rss_kib(server.pid())?;
        let r = http
            .post(format!("{list}?name=plain"))
            .header("content-type", media)
            .body(body.clone())
            .send()
            .await?;
        let code = r.status();
        let answer = r.bytes().await?;
        anyhow::ensure!(
            code.as_u16() == 201,
            "the import answered {code}: {}",
            String::from_utf8_lossy(&answer[..answer.len().min(300)])
        );
        let peak = peak_rss_kib(server.pid())?.saturating_sub(idle);
        let after = rss_kib(server.pid())?.saturating_sub(idle);
        server.restart().await?;
        // The first read after a restart, as the TUI's first poll would.
        http.get(&list).send().await?.bytes().await?;
        let restarted = rss_kib(server.pid())?.saturating_sub(idle);
        let per = |kib: u64| kib as f64 * 1024.0 / lines as f64;
        println!(
            "| {run} | {idle} KiB | {:.1} MB | {:.2} | {:.0} bytes | {:.0} bytes |",
            peak as f64 / 1024.0,
            peak as f64 * 1024.0 / body.len() as f64,
            per(after),
            per(restarted)
        );
        peaks.push(peak as f64 / 1024.0);
        kept.push(per(after));
        reloaded.push(per(restarted));
    }
    println!(
        "\nmedian: peak growth {:.1} MB, retained {:.0} bytes per entry, {:.0} after a restart\n",
        median(&peaks),
        median(&kept),
        median(&reloaded)
    );
    Ok(())
}

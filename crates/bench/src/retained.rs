//! What a list of plain numbers costs the server to hold: a text list
//! through `POST /campaigns`, the resident memory it grows by at its peak
//! and once answered, and again after a restart loads it from disk.
//! design.md's budget is 200 bytes per plain entry, and a peak of at most
//! the retained memory plus 64 MB.

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

/// Figure 12: `--import-lines` plain numbers, `--import-runs` times, each
/// on a fresh server and data directory.
pub async fn retained(args: &Args) -> anyhow::Result<()> {
    let lines = args.import_lines;
    println!(
        "## 12. Retained memory: POST /campaigns with {lines} plain numbers, then a restart ({} runs)\n",
        args.import_runs
    );
    println!(
        "| run | idle RSS | peak growth | retained per entry | after a restart, per entry |\n|---|---|---|---|---|"
    );
    let body = text(lines);
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
            .header("content-type", "text/plain")
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
            "| {run} | {idle} KiB | {:.1} MB | {:.0} bytes | {:.0} bytes |",
            peak as f64 / 1024.0,
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

//! The campaign figures: a 1,000,000-line CSV import through
//! `POST /campaigns`, and `GET /campaigns` with 1,000 campaigns.

use crate::Args;
use crate::api::FakeApi;
use crate::figures::server_time;
use crate::server::{Server, rss_kib};
use crate::stats::{median, percentile};
use std::time::Instant;

/// The CSV an operator would upload: a header, then `phone,name` lines.
fn csv(lines: usize) -> Vec<u8> {
    let mut s = String::with_capacity(lines * 28 + 16);
    s.push_str("phone,name\n");
    for i in 0..lines {
        s.push_str(&crate::api::phone(i));
        s.push_str(",person ");
        s.push_str(&i.to_string());
        s.push('\n');
    }
    s.into_bytes()
}

/// A client without a timeout of its own: a slow import is measured, not
/// cut off.
fn http() -> reqwest::Client {
    reqwest::Client::new()
}

/// Figure 7: `POST /campaigns` with a CSV of `--import-lines` lines, on a
/// fresh server with a sled directory each run: seconds from the first
/// byte sent to the 201, and the server's RSS growth per entry from before
/// the upload to right after its answer.
pub async fn import(args: &Args) -> anyhow::Result<()> {
    let lines = args.import_lines;
    println!(
        "## 7. Import: POST /campaigns with a {lines}-line CSV ({} runs, each on a fresh server and data directory)\n",
        args.import_runs
    );
    let body = csv(lines);
    println!(
        "| run | body | wall time (send → 201) | RSS before | RSS after | RSS growth per entry |\n|---|---|---|---|---|---|"
    );
    let api = FakeApi::start(None).await?;
    let (mut secs, mut per_entry) = (Vec::new(), Vec::new());
    for run in 1..=args.import_runs {
        let server = Server::spawn(&api.url, 9, 3, &[]).await?;
        let http = http();
        // One request first, so that "before" is a server that has served.
        http.get(format!("{}/campaigns", server.base()))
            .send()
            .await?
            .bytes()
            .await?;
        let before = rss_kib(server.pid())?;
        let t = Instant::now();
        let r = http
            .post(format!("{}/campaigns?name=bench", server.base()))
            .header("content-type", "text/csv")
            .body(body.clone())
            .send()
            .await?;
        let code = r.status();
        let answer = r.bytes().await?;
        let took = t.elapsed();
        let after = rss_kib(server.pid())?;
        anyhow::ensure!(
            code.as_u16() == 201,
            "the import answered {code}: {}",
            String::from_utf8_lossy(&answer[..answer.len().min(300)])
        );
        let per = after.saturating_sub(before) as f64 * 1024.0 / lines as f64;
        println!(
            "| {run} | {:.1} MB | {:.2} s | {before} KiB | {after} KiB | {per:.0} bytes |",
            body.len() as f64 / 1e6,
            took.as_secs_f64()
        );
        secs.push(took.as_secs_f64());
        per_entry.push(per);
    }
    println!(
        "\nmedian: {:.2} s ({:.0} entries/s), {:.0} bytes of RSS per entry\n",
        median(&secs),
        lines as f64 / median(&secs),
        median(&per_entry)
    );
    Ok(())
}

/// Figure 8: `GET /campaigns` with `--campaigns` campaigns of 10 entries
/// each (drafts, and one in ten running): bytes, server time and round
/// trip.
pub async fn list(args: &Args) -> anyhow::Result<()> {
    let n = args.campaigns;
    println!("## 8. GET /campaigns with {n} campaigns (median / p99 of 200 requests)\n");
    let api = FakeApi::start(None).await?;
    let server = Server::spawn(&api.url, 9, 3, &[]).await?;
    let http = http();
    let created = Instant::now();
    for c in 0..n {
        let numbers: Vec<String> = (0..10).map(|i| crate::api::phone(c * 10 + i)).collect();
        let body = serde_json::json!({
            "name": format!("list {c}"),
            "numbers": numbers,
            "start": c % 10 == 0,
        });
        let r = http
            .post(format!("{}/campaigns", server.base()))
            .json(&body)
            .send()
            .await?;
        anyhow::ensure!(
            r.status().as_u16() == 201,
            "creating campaign {c}: {}",
            r.status()
        );
    }
    let created = created.elapsed();
    println!(
        "| request | bytes | server time median | p99 | round trip median | p99 |\n|---|---|---|---|---|---|"
    );
    let url = format!("{}/campaigns", server.base());
    for (name, tagged) in [("full", false), ("If-None-Match → 304", true)] {
        let (mut times, mut rtts, mut bytes) = (Vec::new(), Vec::new(), 0);
        for _ in 0..200 {
            let mut req = http.get(&url);
            if tagged {
                let etag = http.get(&url).send().await?.headers()["etag"].clone();
                req = req.header("if-none-match", etag);
            }
            let t = Instant::now();
            let r = req.send().await?;
            let st = server_time(&r);
            let body = r.bytes().await?;
            rtts.push(t.elapsed().as_secs_f64() * 1000.0);
            times.push(st);
            bytes = body.len();
        }
        println!(
            "| {name} | {bytes} | {:.3} ms | {:.3} ms | {:.3} ms | {:.3} ms |",
            median(&times),
            percentile(&times, 99.0),
            median(&rtts),
            percentile(&rtts, 99.0)
        );
    }
    println!(
        "\n(server time is the server's `Server-Timing`: the summaries built under the lock and \
         made durable, before JSON serialisation; the round trip adds that, loopback and reading \
         the body; {n} campaigns created in {:.1} s, one POST at a time)\n",
        created.as_secs_f64()
    );
    Ok(())
}

//! One function per figure. Each prints a markdown table.

use crate::Args;
use crate::api::{self, FakeApi};
use crate::server::{Server, rss_kib, sibling};
use crate::stats::{median, percentile};
use numdialer_core::Status;
use numdialer_core::api::StatusesResponse;
use numdialer_core::protocol::numdialer::CallStatus;
use numdialer_tui::app::{App, Event};
use numdialer_tui::client::Client;
use numdialer_tui::mode::Mode;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, mpsc};

const NAIVE_FLUSH: &[&str] = &["--flush-each-write"];

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub fn memory_total() -> String {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .next()
                .map(|l| l.split_whitespace().nth(1).unwrap_or("?").to_string())
        })
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or("memory unknown".into(), |kb| {
            format!("{:.0} GiB memory", kb / 1024.0 / 1024.0)
        })
}

async fn start(base: &str) -> anyhow::Result<()> {
    let r = reqwest::Client::new()
        .post(format!("{base}/calls"))
        .send()
        .await?;
    anyhow::ensure!(
        r.status().as_u16() == 202,
        "POST /calls answered {}",
        r.status()
    );
    Ok(())
}

/// 1. Final webhook sent → next POST /call received by the API.
pub async fn refill(args: &Args) -> anyhow::Result<()> {
    println!("## 1. Refill latency (final webhook sent → next POST /call received), W = 3\n");
    println!("| design | samples | median | p99 |\n|---|---|---|---|");
    let held = args.refill_suppressions;
    let with_list = format!("group commit, {held} numbers on the do-not-call list");
    let mut rows = vec![
        ("group commit (ours)".to_string(), &[][..], 0, false),
        ("flush per write".to_string(), NAIVE_FLUSH, 0, false),
        (
            "group commit, an event endpoint that never answers".to_string(),
            &["--webhooks-allow-private"][..],
            0,
            true,
        ),
    ];
    if held > 0 {
        rows.push((with_list, &[][..], held, false));
    }
    for (name, extra, held, dead_endpoint) in rows {
        let mut api = FakeApi::start(None).await?;
        let server = Server::spawn(&api.url, args.samples + 8, 3, extra).await?;
        if held > 0 {
            hold_registry(server.base(), held).await?;
        }
        if dead_endpoint {
            subscribe_black_hole(server.base()).await?;
        }
        start(server.base()).await?;
        let http = reqwest::Client::new();
        let mut flying: VecDeque<api::Dial> = VecDeque::new();
        for _ in 0..3 {
            flying.push_back(api.next_dial().await?);
        }
        let mut gaps = Vec::new();
        for _ in 0..args.samples {
            let d = flying.pop_front().unwrap();
            let t0 = Instant::now();
            let (sent, next) = tokio::join!(
                api::send(&http, &d.url, d.id, CallStatus::Completed),
                api.next_dial()
            );
            sent?;
            let next = next?;
            gaps.push(ms(next.at.saturating_duration_since(t0)));
            flying.push_back(next);
        }
        println!(
            "| {name} | {} | {:.3} ms | {:.3} ms |",
            gaps.len(),
            median(&gaps),
            percentile(&gaps, 99.0)
        );
    }
    println!();
    Ok(())
}

/// Registers, for every event, an endpoint that accepts connections and
/// never answers: each delivery holds its socket until the 15 s timeout,
/// as a hung consumer would. Dialing must not notice.
async fn subscribe_black_hole(base: &str) -> anyhow::Result<()> {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", l.local_addr()?);
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = l.accept().await {
            held.push(socket);
        }
    });
    let events = [
        "campaign.started",
        "campaign.paused",
        "campaign.resumed",
        "campaign.stopped",
        "campaign.done",
        "call.completed",
    ];
    let r = reqwest::Client::new()
        .post(format!("{base}/webhook-endpoints"))
        .json(&serde_json::json!({"url": url, "events": events}))
        .send()
        .await?;
    anyhow::ensure!(
        r.status().as_u16() == 201,
        "POST /webhook-endpoints answered {}",
        r.status()
    );
    Ok(())
}

/// Puts `n` random US numbers (none of the bench's own `+1 301` list) on
/// the server's do-not-call list, as one registry copy.
async fn hold_registry(base: &str, n: usize) -> anyhow::Result<()> {
    let mut rng = StdRng::seed_from_u64(27);
    let mut body = String::with_capacity(n * 11);
    let mut kept = 0;
    while kept < n {
        let area = rng.random_range(200..1000);
        if area == 301 {
            continue;
        }
        let line = rng.random_range(2_000_000..10_000_000);
        body.push_str(&format!("{area}{line}\n"));
        kept += 1;
    }
    let r = reqwest::Client::new()
        .post(format!(
            "{base}/suppressions?source=registry&registry_date=2026-12-01"
        ))
        .header("content-type", "text/plain")
        .body(body)
        .send()
        .await?;
    anyhow::ensure!(
        r.status().is_success(),
        "the registry upload answered {}: {}",
        r.status(),
        r.text().await.unwrap_or_default()
    );
    Ok(())
}

/// 2. Webhooks acknowledged per second, each durable before its 2xx.
pub async fn ingest(args: &Args) -> anyhow::Result<()> {
    println!("## 2. Durable webhook ingest (acknowledged webhooks per second)\n");
    let mut flush_stats = Vec::new();
    println!("| design | 1 sender | 16 senders | 64 senders |\n|---|---|---|---|");
    for (name, extra) in [
        ("group commit (ours)", &[][..]),
        ("flush per write", NAIVE_FLUSH),
    ] {
        let mut api = FakeApi::start(None).await?;
        let server = Server::spawn(&api.url, 64, 64, extra).await?;
        start(server.base()).await?;
        let mut calls = Vec::new();
        for _ in 0..64 {
            calls.push(api.next_dial().await?);
        }
        let calls = Arc::new(calls);
        let mut row = Vec::new();
        for senders in [1usize, 16, 64] {
            let mut rates = Vec::new();
            for _ in 0..3 {
                let calls = calls.clone();
                let rate = blast(senders, args.ingest_seconds, move |s| {
                    let (calls, http) = (calls.clone(), reqwest::Client::new());
                    move || {
                        let (calls, http) = (calls.clone(), http.clone());
                        async move {
                            let c = &calls[s % calls.len()];
                            api::send(&http, &c.url, c.id, CallStatus::Ringing)
                                .await
                                .is_ok()
                        }
                    }
                })
                .await?;
                rates.push(rate);
            }
            row.push(format!("{:.0} /s", median(&rates)));
        }
        println!("| {name} | {} |", row.join(" | "));
        flush_stats.push((name, flush_figures(server.base()).await?));
    }
    // For scale: the same load on a route that does no work at all.
    let api = FakeApi::start(None).await?;
    let server = Server::spawn(&api.url, 9, 3, &[]).await?;
    let url = Arc::new(format!("{}/healthz", server.base()));
    let mut row = Vec::new();
    for senders in [1usize, 16, 64] {
        let url = url.clone();
        let rate = blast(senders, args.ingest_seconds, move |_| {
            let (url, http) = (url.clone(), reqwest::Client::new());
            move || {
                let (url, http) = (url.clone(), http.clone());
                async move {
                    let r = http.get(url.as_str()).send().await;
                    r.is_ok_and(|r| r.status().is_success())
                }
            }
        })
        .await?;
        row.push(format!("{rate:.0} /s"));
    }
    println!(
        "| GET /healthz, no work (the ceiling of this load generator) | {} |",
        row.join(" | ")
    );
    println!("\n(median of 3 runs of {} s each)\n", args.ingest_seconds);
    for (name, (flushes, mean_ms, per_flush)) in flush_stats {
        println!(
            "- {name}: {flushes} flushes, mean {mean_ms:.3} ms each, {per_flush:.1} webhooks per flush"
        );
    }
    println!();
    Ok(())
}

/// The in-order schedule on `w` lines with no overhead at all: each entry
/// starts when a line is free, never before the entry ahead of it.
pub(crate) fn ideal_makespan(durations: &[Duration], w: usize) -> Duration {
    let mut free: BinaryHeap<Reverse<Duration>> = (0..w).map(|_| Reverse(Duration::ZERO)).collect();
    let (mut last_start, mut end) = (Duration::ZERO, Duration::ZERO);
    for &d in durations {
        let Reverse(line) = free.pop().unwrap();
        let start = line.max(last_start);
        last_start = start;
        end = end.max(start + d);
        free.push(Reverse(start + d));
    }
    end
}

/// 3. Makespan of a dial-down with known call durations ÷ the ideal.
pub async fn makespan(args: &Args) -> anyhow::Result<()> {
    println!(
        "## 3. Makespan ÷ ideal in-order schedule, {} entries\n",
        args.entries
    );
    println!(
        "| W | call durations | measured | ideal (actual durations) | ratio |\n|---|---|---|---|---|"
    );
    for (w, lo, hi) in [(3usize, 20u64, 60u64), (100, 500, 1500)] {
        let (lo, hi) = if args.quick {
            (lo / 4, hi / 4)
        } else {
            (lo, hi)
        };
        let mut rng = StdRng::seed_from_u64(w as u64);
        let durations: Vec<Duration> = (0..args.entries)
            .map(|_| Duration::from_millis(rng.random_range(lo..=hi)))
            .collect();
        let api = FakeApi::start(Some(durations)).await?;
        let server = Server::spawn(&api.url, args.entries, w, &[]).await?;
        let began = Instant::now();
        start(server.base()).await?;
        let until = Instant::now() + Duration::from_secs(3600);
        while api.done().len() < args.entries {
            anyhow::ensure!(Instant::now() < until, "the dial-down did not finish");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let done = api.done();
        let measured = done.iter().map(|d| d.acked).max().unwrap() - began;
        // Ideal from the durations as the API really ran them (timer
        // granularity included), in dial order.
        let mut actual: Vec<(Instant, Duration)> =
            done.iter().map(|d| (d.dialed, d.sent - d.dialed)).collect();
        actual.sort_by_key(|a| a.0);
        let ideal = ideal_makespan(&actual.iter().map(|a| a.1).collect::<Vec<_>>(), w);
        println!(
            "| {w} | uniform {lo}–{hi} ms | {:.2} s | {:.2} s | {:.4} |",
            measured.as_secs_f64(),
            ideal.as_secs_f64(),
            measured.as_secs_f64() / ideal.as_secs_f64()
        );
    }
    println!();
    Ok(())
}

/// The `Server-Timing` duration of an answer, in milliseconds.
pub(crate) fn server_time(r: &reqwest::Response) -> f64 {
    r.headers()
        .get("server-timing")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split("dur=").nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN)
}

/// 4. `GET /statuses`: bytes and server time, full, delta and 304.
pub async fn statuses(args: &Args) -> anyhow::Result<()> {
    println!("## 4. GET /statuses: bytes and server time (median / p99 of 50)\n");
    println!(
        "| entries | request | bytes | server time median | p99 | round trip median |\n|---|---|---|---|---|---|"
    );
    for n in [9usize, args.large] {
        let mut api = FakeApi::start(None).await?;
        let server = Server::spawn(&api.url, n, 10.min(n), &[]).await?;
        start(server.base()).await?;
        let http = reqwest::Client::new();
        let mut calls = Vec::new();
        for _ in 0..10.min(n) {
            calls.push(api.next_dial().await?);
        }
        let get = |q: String, tag: Option<u64>| {
            let mut req = http.get(format!("{}/statuses{q}", server.base()));
            if let Some(v) = tag {
                req = req.header("if-none-match", format!("\"{v}\""));
            }
            req.send()
        };
        let v0: StatusesResponse = get(String::new(), None).await?.json().await?;
        for c in calls.iter().cycle().take(10) {
            api::send(&http, &c.url, c.id, CallStatus::Ringing).await?;
        }
        let now: StatusesResponse = get(String::new(), None).await?.json().await?;
        let cases = [
            ("full", String::new(), None),
            (
                "since= (10 changes)",
                format!("?since={}", v0.version),
                None,
            ),
            ("If-None-Match → 304", String::new(), Some(now.version)),
        ];
        for (name, q, tag) in cases {
            let (mut times, mut rtts, mut bytes) = (Vec::new(), Vec::new(), 0);
            for _ in 0..50 {
                let t = Instant::now();
                let r = get(q.clone(), tag).await?;
                let st = server_time(&r);
                let body = r.bytes().await?;
                rtts.push(ms(t.elapsed()));
                times.push(st);
                bytes = body.len();
            }
            println!(
                "| {n} | {name} | {bytes} | {:.3} ms | {:.3} ms | {:.3} ms |",
                median(&times),
                percentile(&times, 99.0),
                median(&rtts)
            );
        }
    }
    println!();
    Ok(())
}

/// Feeds poller events into an `App`, as the TUI does, and publishes the
/// statuses it shows.
fn spawn_app(mut rx: mpsc::UnboundedReceiver<Event>) -> (Arc<Mutex<Vec<Status>>>, Arc<Notify>) {
    let shown = Arc::new(Mutex::new(Vec::new()));
    let changed = Arc::new(Notify::new());
    let (s, c) = (shown.clone(), changed.clone());
    tokio::spawn(async move {
        let mut app = App::new(
            Mode::Remote {
                url: "bench".into(),
            },
            false,
            Duration::from_secs(30),
            Instant::now(),
        );
        while let Some(ev) = rx.recv().await {
            app.update(ev, Instant::now());
            *s.lock().unwrap() = app
                .calls()
                .iter()
                .filter_map(|c| c.status.known())
                .collect();
            c.notify_waiters();
        }
    });
    (shown, changed)
}

async fn wait_shown(
    shown: &Mutex<Vec<Status>>,
    changed: &Notify,
    index: usize,
    want: Status,
) -> anyhow::Result<Instant> {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let notified = changed.notified();
        if shown.lock().unwrap().get(index) == Some(&want) {
            return Ok(Instant::now());
        }
        anyhow::ensure!(
            Instant::now() < until,
            "the App never showed entry {index} {want}"
        );
        let _ = tokio::time::timeout(Duration::from_millis(100), notified).await;
    }
}

/// 5. A webhook's 2xx → the TUI's `App` state showing it.
pub async fn tui_latency(args: &Args) -> anyhow::Result<()> {
    println!("## 5. Webhook 2xx → TUI App state shows it\n");
    println!("| design | samples | median | p99 |\n|---|---|---|---|");
    let designs: [(&str, bool); 2] = [
        ("long poll + since= (ours, default settings)", true),
        ("1 s poll, full responses", false),
    ];
    for (name, ours) in designs {
        let samples = if ours {
            args.samples
        } else {
            30.min(args.samples)
        };
        let mut api = FakeApi::start(None).await?;
        let server = Server::spawn(&api.url, samples + 8, 3, &[]).await?;
        let (tx, rx) = mpsc::unbounded_channel();
        let (shown, changed) = spawn_app(rx);
        let client = Client::new(server.base(), None);
        let poller = if ours {
            let cli = <numdialer_tui::cli::Cli as clap::Parser>::parse_from(["numdialer"]);
            tokio::spawn(numdialer_tui::poll(
                client,
                cli.poll_interval,
                cli.long_poll,
                tx,
                Arc::new(Notify::new()),
            ))
        } else {
            tokio::spawn(async move {
                loop {
                    let r = client.statuses().await;
                    if tx.send(Event::Polled(r)).is_err() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            })
        };
        start(server.base()).await?;
        let http = reqwest::Client::new();
        let mut lat = Vec::new();
        let mut flying: VecDeque<api::Dial> = VecDeque::new();
        for _ in 0..3 {
            flying.push_back(api.next_dial().await?);
        }
        while lat.len() < samples {
            let d = flying.pop_front().unwrap();
            for (status, shown_as) in [
                (CallStatus::Ringing, Status::Ringing),
                (CallStatus::Completed, Status::Completed),
            ] {
                api::send(&http, &d.url, d.id, status).await?;
                let acked = Instant::now();
                let seen = wait_shown(&shown, &changed, d.index, shown_as).await?;
                lat.push(ms(seen.saturating_duration_since(acked)));
            }
            flying.push_back(api.next_dial().await?);
        }
        poller.abort();
        println!(
            "| {name} | {} | {:.3} ms | {:.3} ms |",
            lat.len(),
            median(&lat),
            percentile(&lat, 99.0)
        );
    }
    println!();
    Ok(())
}

/// 6. Resident memory of the server, idle and with a large list, and of the TUI.
pub async fn memory(args: &Args) -> anyhow::Result<()> {
    println!("## 6. Memory (RSS)\n");
    println!("| process | RSS |\n|---|---|");
    let api = FakeApi::start(None).await?;
    let http = reqwest::Client::new();
    let idle = Server::spawn(&api.url, 9, 3, &[]).await?;
    http.get(format!("{}/statuses", idle.base()))
        .send()
        .await?
        .bytes()
        .await?;
    let idle_kib = rss_kib(idle.pid())?;
    println!("| server, 9 entries, idle | {idle_kib} KiB |");
    let large = Server::spawn(&api.url, args.large, 3, &[]).await?;
    let loaded_kib = rss_kib(large.pid())?;
    http.get(format!("{}/statuses", large.base()))
        .send()
        .await?
        .bytes()
        .await?;
    let polled_kib = rss_kib(large.pid())?;
    let per = |kib: u64| (kib.saturating_sub(idle_kib) as f64 * 1024.0) / args.large as f64;
    println!(
        "| server, {} entries, loaded | {loaded_kib} KiB ({:.0} bytes per entry above idle) |",
        args.large,
        per(loaded_kib)
    );
    println!(
        "| server, {} entries, after a full GET /statuses | {polled_kib} KiB ({:.0} bytes per entry above idle) |",
        args.large,
        per(polled_kib)
    );
    let tui = tui_rss(idle.base()).await?;
    println!("| TUI (`numdialer --server`), 9 entries | {tui} KiB |\n");
    Ok(())
}

async fn tui_rss(base: &str) -> anyhow::Result<u64> {
    use portable_pty::{CommandBuilder, PtySize, native_pty_system};
    let pair = native_pty_system().openpty(PtySize {
        rows: 24,
        cols: 80,
        pixel_width: 0,
        pixel_height: 0,
    })?;
    let mut cmd = CommandBuilder::new(sibling("numdialer")?);
    cmd.args(["--server", base]);
    let mut child = pair.slave.spawn_command(cmd)?;
    let mut reader = pair.master.try_clone_reader()?;
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while matches!(reader.read(&mut buf), Ok(n) if n > 0) {}
    });
    // Let it start, poll and draw a few frames.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let pid = child
        .process_id()
        .ok_or_else(|| anyhow::anyhow!("no TUI pid"))?;
    let kib = rss_kib(pid)?;
    child.kill()?;
    drop(pair.master);
    Ok(kib)
}

use std::io::Read;

/// From the server's own metrics: flushes, their mean time, and webhooks
/// per flush over the whole ingest run.
async fn flush_figures(base: &str) -> anyhow::Result<(f64, f64, f64)> {
    let text = reqwest::get(format!("{base}/metrics"))
        .await?
        .text()
        .await?;
    let value = |prefix: &str| -> f64 {
        text.lines()
            .filter(|l| l.starts_with(prefix))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    };
    let flushes = value("numdialer_store_flush_seconds_count");
    let secs = value("numdialer_store_flush_seconds_sum");
    let webhooks = value("numdialer_webhooks_total{");
    Ok((
        flushes,
        secs * 1000.0 / flushes.max(1.0),
        webhooks / flushes.max(1.0),
    ))
}

/// Runs `senders` tasks for `seconds`, each repeating the request made by
/// the closure that `sender(i)` returns (with its own client), and returns
/// successes per second.
async fn blast<F, R, Fut>(senders: usize, seconds: f64, sender: F) -> anyhow::Result<f64>
where
    F: Fn(usize) -> R,
    R: Fn() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let until = Instant::now() + Duration::from_secs_f64(seconds);
    let began = Instant::now();
    let tasks: Vec<_> = (0..senders)
        .map(|s| {
            let request = sender(s);
            tokio::spawn(async move {
                let mut n = 0u64;
                while Instant::now() < until {
                    n += u64::from(request().await);
                }
                n
            })
        })
        .collect();
    let mut total = 0;
    for t in tasks {
        total += t.await?;
    }
    Ok(total as f64 / began.elapsed().as_secs_f64())
}

//! Reads beside dialing (`--only readers`): clients reading a large
//! campaign's statuses in a loop must not slow another campaign's
//! dialing. Issue #25 asks that four of them, each reading a
//! 1,000,000-entry campaign whole, cut the dial rate by at most 25 %.
//!
//! Each run takes a fresh server and a numDialer simulator of its own: a
//! draft of `--readers-lines` plain numbers (never started, only read),
//! and a started campaign of `--readers-dialed` numbers dialed through the
//! simulator on [`LINES`] lines at [`TIME_SCALE`]. Its dial rate (dials the
//! simulator received a second) is measured over `--readers-seconds`
//! without readers, then again while `--readers` clients each loop
//! `GET /campaigns/{draft}/statuses`, reading and discarding every byte.
//! The simulator runs on a runtime of its own, so that the readers' tasks
//! in this process never queue its webhooks; both still share the
//! machine's cores with the server, as a real client on the same host
//! would.

use crate::Args;
use crate::server::Server;
use crate::stats::median;
use numdialer_core::api::CreatedCampaign;
use numdialer_server::provider::simulator::{SimConfig, Simulator};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Lines of the dialed campaign.
const LINES: usize = 10;

/// The simulator's time scale: a call lasts 75 ms on average, so that ten
/// lines dial about a hundred numbers a second, enough for a slower
/// server to show.
const TIME_SCALE: f64 = 0.01;

/// Settling before each window: the dialing reaches its pace, the readers
/// their loop.
const SETTLE: Duration = Duration::from_secs(1);

/// What one window measured.
struct Window {
    dials_per_s: f64,
    /// Server and bench CPU over the window, in cores (1.0: one core busy).
    server_cpu: f64,
    bench_cpu: f64,
    /// Whole answers read in the window, and their median time.
    reads: usize,
    read_ms: f64,
    /// Bytes of the last answer read.
    answer: usize,
}

pub async fn readers(args: &Args) -> anyhow::Result<()> {
    println!(
        "## Reads beside dialing: {} clients reading a {}-entry campaign's statuses in a loop, \
         another campaign dialing on {LINES} lines (simulator, time scale {TIME_SCALE}), \
         {} s windows, {} runs each on a fresh server\n",
        args.readers, args.readers_lines, args.readers_seconds, args.readers_runs
    );
    println!(
        "| run | dials/s alone | dials/s with readers | change | answers read (median time) | answer | \
         server CPU alone / with | bench CPU with |\n|---|---|---|---|---|---|---|---|"
    );
    let draft = plain_numbers(0..args.readers_lines);
    let (mut alone, mut with, mut changes) = (Vec::new(), Vec::new(), Vec::new());
    for run in 1..=args.readers_runs {
        let (a, w) = one_run(args, &draft).await?;
        let change = (w.dials_per_s / a.dials_per_s - 1.0) * 100.0;
        println!(
            "| {run} | {:.1} | {:.1} | {change:+.0} % | {} ({:.0} ms) | {:.1} MB | {:.2} / {:.2} cores | {:.2} cores |",
            a.dials_per_s,
            w.dials_per_s,
            w.reads,
            w.read_ms,
            w.answer as f64 / 1e6,
            a.server_cpu,
            w.server_cpu,
            w.bench_cpu
        );
        alone.push(a.dials_per_s);
        with.push(w.dials_per_s);
        changes.push(change);
    }
    let (a, w) = (median(&alone), median(&with));
    println!(
        "\nmedians: {a:.1} dials/s alone, {w:.1} with readers: {:+.0} % (median of the runs' changes {:+.0} %)\n",
        (w / a - 1.0) * 100.0,
        median(&changes)
    );
    Ok(())
}

/// One number a line, as `numdialer add` sends them.
fn plain_numbers(range: std::ops::Range<usize>) -> Vec<u8> {
    let mut s = String::with_capacity(range.len() * 12);
    for i in range {
        s.push_str(&crate::api::phone(i));
        s.push('\n');
    }
    s.into_bytes()
}

async fn one_run(args: &Args, draft: &[u8]) -> anyhow::Result<(Window, Window)> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let config = SimConfig {
        time_scale: TIME_SCALE,
        seed: Some(25),
        ..SimConfig::default()
    };
    let sim = runtime
        .spawn(async move {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            Simulator::start(config, l).await
        })
        .await??;
    let measured = measure(args, draft, &sim).await;
    drop(sim);
    runtime.shutdown_background();
    measured
}

async fn measure(args: &Args, draft: &[u8], sim: &Simulator) -> anyhow::Result<(Window, Window)> {
    let server = Server::spawn(&sim.url(), 9, LINES, &["--calling-hours", "off"]).await?;
    let http = reqwest::Client::new();
    let campaigns = format!("{}/campaigns", server.base());
    let r = http
        .post(format!("{campaigns}?name=read"))
        .header("content-type", "text/plain")
        .body(draft.to_vec())
        .send()
        .await?;
    anyhow::ensure!(
        r.status().as_u16() == 201,
        "the import answered {}",
        r.status()
    );
    let read: CreatedCampaign = r.json().await?;
    let first = args.readers_lines;
    let numbers: Vec<String> = (first..first + args.readers_dialed)
        .map(crate::api::phone)
        .collect();
    let r = http
        .post(&campaigns)
        .json(&serde_json::json!({"name": "dialed", "numbers": numbers, "start": true}))
        .send()
        .await?;
    anyhow::ensure!(
        r.status().as_u16() == 201,
        "the dialed campaign answered {}",
        r.status()
    );
    let dialed: CreatedCampaign = r.json().await?;

    let dials = || sim.dials().len() + sim.dropped_dials();
    let window = Duration::from_secs_f64(args.readers_seconds);
    tokio::time::sleep(SETTLE).await;
    let alone = timed(server.pid(), window, dials, || (0, f64::NAN, 0)).await?;

    let stop = Arc::new(AtomicBool::new(false));
    let times = Arc::new(std::sync::Mutex::new(Vec::<Read>::new()));
    let url = format!("{campaigns}/{}/statuses", read.summary.id);
    let readers: Vec<_> = (0..args.readers)
        .map(|_| tokio::spawn(read_loop(url.clone(), stop.clone(), times.clone())))
        .collect();
    tokio::time::sleep(SETTLE).await;
    let began = Instant::now();
    let counted = || {
        let t = times.lock().unwrap();
        let in_window: Vec<f64> = t.iter().filter(|r| r.at >= began).map(|r| r.ms).collect();
        let answer = t.last().map_or(0, |r| r.bytes);
        (in_window.len(), median(&in_window), answer)
    };
    let with = timed(server.pid(), window, dials, counted).await?;
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        r.await??;
    }
    let idle = still_idle(&http, &campaigns, dialed.summary.id).await?;
    anyhow::ensure!(
        idle > 0,
        "the dialed campaign ran out of numbers: raise --readers-dialed"
    );
    Ok((alone, with))
}

/// Dials, CPU and reads over one window.
async fn timed(
    pid: u32,
    window: Duration,
    dials: impl Fn() -> usize,
    reads: impl Fn() -> (usize, f64, usize),
) -> anyhow::Result<Window> {
    let (d0, s0, b0, t0) = (
        dials(),
        cpu_seconds(pid)?,
        cpu_seconds_self()?,
        Instant::now(),
    );
    tokio::time::sleep(window).await;
    let (d1, s1, b1) = (dials(), cpu_seconds(pid)?, cpu_seconds_self()?);
    let secs = t0.elapsed().as_secs_f64();
    let (reads, read_ms, answer) = reads();
    Ok(Window {
        dials_per_s: (d1 - d0) as f64 / secs,
        server_cpu: (s1 - s0) / secs,
        bench_cpu: (b1 - b0) / secs,
        reads,
        read_ms,
        answer,
    })
}

/// One whole answer read: when it ended, how long it took, its bytes.
struct Read {
    at: Instant,
    ms: f64,
    bytes: usize,
}

/// Reads the whole answer again and again, keeping none of it, until
/// told to stop; logs each answer read.
async fn read_loop(
    url: String,
    stop: Arc<AtomicBool>,
    times: Arc<std::sync::Mutex<Vec<Read>>>,
) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    while !stop.load(Ordering::Relaxed) {
        let t = Instant::now();
        let mut r = http.get(&url).send().await?;
        anyhow::ensure!(r.status().is_success(), "{url} answered {}", r.status());
        let mut bytes = 0;
        while let Some(chunk) = r.chunk().await? {
            bytes += chunk.len();
        }
        anyhow::ensure!(bytes > 0, "{url} answered an empty body");
        let at = Instant::now();
        let ms = at.duration_since(t).as_secs_f64() * 1000.0;
        times.lock().unwrap().push(Read { at, ms, bytes });
    }
    Ok(())
}

/// Entries of campaign `id` not yet dialed.
async fn still_idle(http: &reqwest::Client, campaigns: &str, id: u64) -> anyhow::Result<usize> {
    let c: numdialer_core::api::CampaignSummary = http
        .get(format!("{campaigns}/{id}"))
        .send()
        .await?
        .json()
        .await?;
    Ok(c.counts.get("idle").copied().unwrap_or(0))
}

/// User and system CPU seconds of process `pid`, from /proc.
fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    stat_cpu(&std::fs::read_to_string(format!("/proc/{pid}/stat"))?)
}

fn cpu_seconds_self() -> anyhow::Result<f64> {
    stat_cpu(&std::fs::read_to_string("/proc/self/stat")?)
}

/// `utime` and `stime` (fields 14 and 15) of a /proc stat line, in
/// seconds of the usual 100 ticks each.
fn stat_cpu(stat: &str) -> anyhow::Result<f64> {
    let after = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or_else(|| anyhow::anyhow!("a /proc stat line without its name"))?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| -> anyhow::Result<f64> {
        Ok(fields
            .get(i)
            .ok_or_else(|| anyhow::anyhow!("a short /proc stat line"))?
            .parse::<f64>()?)
    };
    // Fields 14 and 15 counting from 1 with the pid, that is 11 and 12
    // after the name's closing parenthesis (the state is 0).
    Ok((ticks(11)? + ticks(12)?) / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_from_a_stat_line() {
        let line = "4242 (numdialer (x)) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 9 0 100 0 0";
        assert_eq!(stat_cpu(line).unwrap(), 3.0);
    }
}

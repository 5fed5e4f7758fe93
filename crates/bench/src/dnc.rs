//! Do-not-call lists (`--only dnc`): what a registry-sized list costs, in
//! the store and core, without HTTP in the way.
//!
//! - Importing `--dnc-lines` registry numbers into a fresh store: the
//!   path of `POST /suppressions` once its lines are read (batches, one
//!   audit record, flushed), three runs, each on a fresh directory.
//! - The dial-time check with that list held: `Store::suppression_for`,
//!   the lookups the do-not-call rule makes at each pick (the number and
//!   each of its prefixes, globally and for the campaign), for numbers on
//!   the list and not.
//! - What a suppression's addition walks under the engine's lock to
//!   cancel ahead: `Campaigns::suppress` over a running campaign of
//!   `--large` entries, for a number it does not hold (the whole walk).

use crate::Args;
use crate::stats::{median, percentile};
use numdialer_core::campaign::{NewCampaign, Operation, Retired, Settings};
use numdialer_core::suppressions::{Scope, Source};
use numdialer_core::{Campaigns, Entry, Phone, Timestamp};
use numdialer_server::store::{BulkImport, Store, number_of};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::hint::black_box;
use std::time::Instant;

/// A US number as the registry lists it, with its `1`: area code and
/// exchange from 2 to 9 first, as the NANP has them.
fn registry_number(rng: &mut StdRng) -> String {
    format!(
        "1{}{:02}{}{:02}{:04}",
        rng.random_range(2..10),
        rng.random_range(0..100),
        rng.random_range(2..10),
        rng.random_range(0..100),
        rng.random_range(0..10_000)
    )
}

/// Resident memory of this process, in bytes (Linux; 0 elsewhere).
fn rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

fn dir_size(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => dir_size(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

pub async fn dnc(args: &Args) -> anyhow::Result<()> {
    let lines = args.dnc_lines;
    println!("## Do-not-call lists: a registry of {lines} numbers\n");
    let mut seconds = Vec::new();
    let mut kept = None;
    for run in 0..3 {
        let dir = tempfile::tempdir()?;
        let store = Store::open(dir.path())?;
        let before = rss();
        let mut rng = StdRng::seed_from_u64(27);
        let numbers = (0..lines).map(|_| {
            let digits = registry_number(&mut rng);
            Ok::<_, std::convert::Infallible>(number_of(&digits).expect("digits"))
        });
        let t = Instant::now();
        let written = store.import_suppressions(
            numbers,
            BulkImport {
                scope: Scope::Global,
                source: Source::Registry,
                reason: "bench",
                actor: "bench",
                at: Timestamp(0),
                registry_date: Some("2026-12-01".into()),
                digest: String::new(),
            },
        )?;
        let Ok(_) = written;
        store.sync().await?;
        let took = t.elapsed().as_secs_f64();
        seconds.push(took);
        println!(
            "import run {}: {took:.1} s ({:.0} numbers/s), RSS +{:.1} MB, on disk {:.0} MB",
            run + 1,
            lines as f64 / took,
            (rss().saturating_sub(before)) as f64 / 1e6,
            dir_size(dir.path()) as f64 / 1e6
        );
        if run == 2 {
            kept = Some((store, dir));
        }
    }
    println!(
        "import of {lines} registry numbers: median {:.1} s (limit 20 s)\n",
        median(&seconds)
    );
    let (store, _dir) = kept.expect("three runs");
    let samples = args.samples.max(1) * 200;
    let mut listed = StdRng::seed_from_u64(27);
    let mut other = StdRng::seed_from_u64(99);
    for (what, rng) in [("on the list", &mut listed), ("not on it", &mut other)] {
        let numbers: Vec<String> = (0..samples).map(|_| registry_number(rng)).collect();
        let mut micros = Vec::with_capacity(samples);
        let mut found = 0;
        for n in &numbers {
            let t = Instant::now();
            let s = black_box(store.suppression_for(n, 2)?);
            micros.push(t.elapsed().as_secs_f64() * 1e6);
            found += usize::from(s.is_some());
        }
        println!(
            "dial-time check, a number {what} ({found}/{samples} found): median {:.2} µs, p99 {:.2} µs",
            median(&micros),
            percentile(&micros, 99.0)
        );
    }
    drop(store);

    let n = args.large;
    let mut rng = StdRng::seed_from_u64(5);
    let entries: Vec<Entry> = (0..n)
        .map(|i| Entry::new(i, Phone::parse(&registry_number(&mut rng)).expect("valid")))
        .collect();
    let settings = Settings {
        concurrency: 3,
        call_timeout_ms: 60_000,
    };
    let mut cs = Campaigns::new(Vec::new(), Retired::default(), settings);
    let id = cs
        .create(
            NewCampaign {
                name: None,
                retry: Default::default(),
                columns: Vec::new(),
                entries,
                idempotency_key: None,
                idempotency_digest: None,
                start: false,
                hours: Default::default(),
                answers: Default::default(),
                require_registry: false,
            },
            Timestamp(0),
        )
        .id();
    cs.operate(id, Operation::Start, Timestamp(0))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut millis = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let changed = cs.suppress(
            Scope::Global,
            |digits, _| (digits == "19999999999").then(String::new),
            Timestamp(0),
        );
        millis.push(t.elapsed().as_secs_f64() * 1e3);
        black_box(changed);
    }
    println!(
        "an addition's walk to cancel ahead, {n} fresh entries: median {:.1} ms\n",
        median(&millis)
    );
    Ok(())
}

//! Calling hours in core, no server (`--only hours`): what the check costs
//! per candidate entry, and what resolving zones adds to reading a
//! million numbers.
//!
//! - The verdict of one entry, open and closed, over a mix of zone sets
//!   (one zone, a split prefix, a rule narrowing the window) at instants
//!   spread over a year: the dial-time check, once per candidate.
//! - A million numbers parsed (`Phone::parse`, what an import does per
//!   line) without and with `zones_of_number`, three runs each, back to
//!   back: the share of an import's per-line work that resolution adds.

use crate::Args;
use crate::stats::{median, percentile};
use numdialer_core::Phone;
use numdialer_core::Timestamp;
use numdialer_core::hours::{CallingRules, Hours, Schedule, Verdict};
use numdialer_core::zones::{ZoneSetId, zones_of_number};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::hint::black_box;
use std::time::Instant;

/// US area codes across the country's zones (and split prefixes), then
/// other countries' leading digits, with as many digits after them as
/// their numbers have.
const PREFIXES: &[(&str, usize)] = &[
    ("1212", 7),
    ("1305", 7),
    ("1312", 7),
    ("1303", 7),
    ("1602", 7),
    ("1213", 7),
    ("1907", 7),
    ("1808", 7),
    ("1208", 7),
    ("1541", 7),
    ("1850", 7),
    ("1915", 7),
    ("1605", 7),
    ("1406", 7),
    ("1416", 7),
    ("1604", 7),
    ("447", 9),
    ("3361", 8),
    ("49151", 8),
    ("3932", 8),
    ("6141", 8),
    ("5511", 9),
    ("8190", 8),
];

fn numbers(count: usize, seed: u64) -> Vec<String> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..count)
        .map(|_| {
            let (prefix, rest) = PREFIXES[rng.random_range(0..PREFIXES.len())];
            let mut n = String::with_capacity(prefix.len() + rest);
            n.push_str(prefix);
            for i in 0..rest {
                let lo = if i == 0 { 2 } else { 0 };
                n.push(char::from(b'0' + rng.random_range(lo..10u8)));
            }
            n
        })
        .collect()
}

pub fn hours(args: &Args) {
    let count = args.import_lines;
    let runs = args.import_runs.max(3);
    println!("## Calling hours in core: the check per candidate, zones of {count} numbers\n");

    let t = Instant::now();
    let _ = black_box(zones_of_number("12125550100"));
    println!(
        "- libphonenumber's map read and interned (once per process): {:.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );

    verdicts(args);

    let list = numbers(count, 7);
    let mut plain = Vec::new();
    let mut resolved = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let mut n = 0usize;
        for s in &list {
            n += Phone::parse(s).is_ok() as usize;
        }
        black_box(n);
        plain.push(t.elapsed().as_secs_f64() * 1e3);

        let t = Instant::now();
        let mut zones: Vec<Option<ZoneSetId>> = Vec::with_capacity(list.len());
        for s in &list {
            if let Ok(p) = Phone::parse(s) {
                zones.push(zones_of_number(p.digits()));
            }
        }
        black_box(&zones);
        resolved.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let (p, r) = (median(&plain), median(&resolved));
    println!(
        "- {count} numbers parsed: median of {runs} {p:.1} ms; parsed and zones resolved: {r:.1} ms ({:.2}×; {:.0} ns a number for the zones)",
        r / p,
        (r - p) * 1e6 / count as f64
    );
    println!(
        "- per entry: a ZoneSetId is {} bytes (Option<ZoneSetId> {}); the sets themselves are shared\n",
        size_of::<ZoneSetId>(),
        size_of::<Option<ZoneSetId>>()
    );
}

/// Median and p99 of the verdict, in ns a call, open and closed.
fn verdicts(args: &Args) {
    let samples = args.samples.max(50);
    let rules = CallingRules::parse(include_str!("../../../docs/examples/calling-rules.toml"))
        .expect("the example rules parse");
    let campaign = Hours {
        calling_hours: "08:00-21:00".parse().expect("a window"),
        ..Hours::default()
    };
    let mut rng = StdRng::seed_from_u64(11);
    let entries: Vec<(Schedule, Option<ZoneSetId>)> = numbers(1_000, 3)
        .into_iter()
        .map(|n| {
            let rule = rules.rule_for(&n).map(|id| rules.get(id));
            (Schedule::new(&campaign, rule), zones_of_number(&n))
        })
        .collect();
    // 2026-12-02, then anywhere in the next year.
    let instants: Vec<Timestamp> = (0..1_000)
        .map(|_| Timestamp::from_millis(1_796_169_600_000 + rng.random_range(0..31_536_000_000)))
        .collect();
    let mut open = Vec::new();
    let mut closed = Vec::new();
    for _ in 0..samples {
        for (i, (schedule, zones)) in entries.iter().enumerate() {
            let now = instants[(i * 7 + open.len() + closed.len()) % instants.len()];
            let t = Instant::now();
            let v = black_box(schedule.verdict(black_box(*zones), now));
            let ns = t.elapsed().as_nanos() as f64;
            match v {
                Verdict::Open => open.push(ns),
                _ => closed.push(ns),
            }
        }
    }
    println!(
        "- verdict per candidate, open ({} checks): median {:.0} ns, p99 {:.0} ns",
        open.len(),
        median(&open),
        percentile(&open, 99.0)
    );
    println!(
        "- verdict per candidate, closed, with the next opening searched ({} checks): median {:.0} ns, p99 {:.0} ns",
        closed.len(),
        median(&closed),
        percentile(&closed, 99.0)
    );
}

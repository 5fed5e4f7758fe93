//! Counters and histograms for `GET /metrics`, rendered by hand in the
//! Prometheus text format (version 0.0.4): a few atomics need no framework.

use numdialer_core::{CallStatus, Effect, Status};
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Upper bounds in seconds, from 50 µs to 2.5 s.
const BUCKETS: [f64; 14] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
    2.5,
];

#[derive(Debug, Default)]
pub struct Histogram {
    counts: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_nanos: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, d: Duration) {
        let s = d.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|&b| s <= b) {
            self.counts[i].fetch_add(1, Relaxed);
        }
        self.count.fetch_add(1, Relaxed);
        self.sum_nanos.fetch_add(d.as_nanos() as u64, Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (b, c) in BUCKETS.iter().zip(&self.counts) {
            cumulative += c.load(Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{b}\"}} {cumulative}");
        }
        let count = self.count.load(Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let sum = self.sum_nanos.load(Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "{name}_sum {sum}\n{name}_count {count}");
    }
}

/// How a dial ended, for `numdialer_dials_total{outcome}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialOutcome {
    Placed,
    Refused,
    Unreachable,
    Unanswered,
}

const DIAL_OUTCOMES: [(DialOutcome, &str); 4] = [
    (DialOutcome::Placed, "placed"),
    (DialOutcome::Refused, "refused"),
    (DialOutcome::Unreachable, "unreachable"),
    (DialOutcome::Unanswered, "unanswered"),
];

#[derive(Debug, Default)]
pub struct Metrics {
    dials: [AtomicU64; 4],
    dial_retries: AtomicU64,
    /// By status, then by effect; the last column counts refused webhooks.
    webhooks: [[AtomicU64; 5]; 3],
    timeouts: AtomicU64,
    pub webhook_latency: Histogram,
}

impl Metrics {
    pub fn dial(&self, outcome: DialOutcome, retries: u32) {
        let i = DIAL_OUTCOMES
            .iter()
            .position(|(o, _)| *o == outcome)
            .unwrap_or(0);
        self.dials[i].fetch_add(1, Relaxed);
        self.dial_retries.fetch_add(u64::from(retries), Relaxed);
    }

    /// `effect` is `None` for a refused webhook (unknown token, wrong id).
    pub fn webhook(&self, status: CallStatus, effect: Option<Effect>) {
        let s = CallStatus::ALL
            .iter()
            .position(|&c| c == status)
            .unwrap_or(0);
        let e = effect.map_or(4, |e| Effect::ALL.iter().position(|&x| x == e).unwrap_or(0));
        self.webhooks[s][e].fetch_add(1, Relaxed);
    }

    pub fn timed_out(&self, n: usize) {
        self.timeouts.fetch_add(n as u64, Relaxed);
    }

    /// The whole exposition; `in_flight` and `by_status` come from the campaign.
    pub fn render(
        &self,
        in_flight: usize,
        by_status: &[(Status, usize)],
        flush: &Histogram,
    ) -> String {
        let mut out = String::with_capacity(4096);
        let _ = writeln!(
            out,
            "# HELP numdialer_dials_total POST /call requests by how they ended.\n\
             # TYPE numdialer_dials_total counter"
        );
        for ((_, name), c) in DIAL_OUTCOMES.iter().zip(&self.dials) {
            let _ = writeln!(
                out,
                "numdialer_dials_total{{outcome=\"{name}\"}} {}",
                c.load(Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP numdialer_dial_retries_total Connection attempts repeated because the dialer API refused the connection.\n\
             # TYPE numdialer_dial_retries_total counter\n\
             numdialer_dial_retries_total {}",
            self.dial_retries.load(Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP numdialer_webhooks_total Webhooks received, by status and outcome.\n\
             # TYPE numdialer_webhooks_total counter"
        );
        let outcomes = [
            "applied",
            "duplicate",
            "backwards",
            "after_final",
            "refused",
        ];
        for (status, row) in CallStatus::ALL.iter().zip(&self.webhooks) {
            for (outcome, c) in outcomes.iter().zip(row) {
                let _ = writeln!(
                    out,
                    "numdialer_webhooks_total{{status=\"{status}\",outcome=\"{outcome}\"}} {}",
                    c.load(Relaxed)
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP numdialer_call_timeouts_total Calls failed because no final webhook came in time.\n\
             # TYPE numdialer_call_timeouts_total counter\n\
             numdialer_call_timeouts_total {}\n\
             # HELP numdialer_calls_in_flight Entries holding a line.\n\
             # TYPE numdialer_calls_in_flight gauge\n\
             numdialer_calls_in_flight {in_flight}\n\
             # HELP numdialer_entries List entries by status.\n\
             # TYPE numdialer_entries gauge",
            self.timeouts.load(Relaxed)
        );
        for (s, n) in by_status {
            let _ = writeln!(out, "numdialer_entries{{status=\"{s}\"}} {n}");
        }
        self.webhook_latency.render(
            &mut out,
            "numdialer_webhook_seconds",
            "Time to handle a webhook, durable write included.",
        );
        flush.render(
            &mut out,
            "numdialer_store_flush_seconds",
            "Time of one sled flush (one flush serves every waiting writer).",
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let h = Histogram::default();
        h.observe(Duration::from_micros(30));
        h.observe(Duration::from_millis(3));
        h.observe(Duration::from_secs(10));
        let mut out = String::new();
        h.render(&mut out, "x", "help");
        assert!(out.contains("x_bucket{le=\"0.00005\"} 1\n"), "{out}");
        assert!(out.contains("x_bucket{le=\"0.005\"} 2\n"));
        assert!(out.contains("x_bucket{le=\"2.5\"} 2\n"));
        assert!(out.contains("x_bucket{le=\"+Inf\"} 3\n"));
        assert!(out.contains("x_count 3\n"));
    }
}

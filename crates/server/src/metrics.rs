//! Counters and histograms for `GET /metrics`, kept and rendered by
//! `prometheus-client`, the Prometheus project's own Rust client, so that
//! bucket arithmetic, float formatting and label escaping follow the format
//! as its maintainers read it instead of as this crate would.
//!
//! The exposition is the classic Prometheus text format (0.0.4), not
//! OpenMetrics, and the `/metrics` route answers with [`CONTENT_TYPE`]. Both
//! formats store the same series (`numdialer_dials_total`), but OpenMetrics
//! declares a counter under its family name (`# TYPE numdialer_dials
//! counter`) and ends with `# EOF`. A reader of the 0.0.4 rules, such as
//! prometheus-parse in the operations tests, then finds no `TYPE` for
//! `numdialer_dials_total` and takes every counter for untyped. Prometheus
//! picks its parser by the answer's `Content-Type` and reads both, so
//! staying on 0.0.4 costs it nothing.

use numdialer_core::answer::AnsweredBy;
use numdialer_core::protocol::numdialer::CallStatus;
use numdialer_core::{CallEvent, CampaignState, Effect, Status};
use prometheus_client::encoding::{
    EncodeLabelSet, EncodeLabelValue, LabelValueEncoder, prometheus_text,
};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram;
use prometheus_client::registry::Registry;
use std::fmt::Write;
use std::time::Duration;

/// The `Content-Type` that goes with [`Metrics::render`]'s text:
/// `text/plain; version=0.0.4; charset=utf-8`.
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

/// Upper bounds in seconds, from 50 µs to 2.5 s: a webhook's handling and a
/// sled flush both live in that range, from a cached write to a slow disk.
const BUCKETS: [f64; 14] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
    2.5,
];

/// A latency histogram with numdialer's buckets. Its own type, rather than
/// prometheus-client's, so that the store records a `Duration` and never
/// learns which metrics library renders it.
#[derive(Debug, Clone)]
pub struct Histogram(histogram::Histogram);

impl Default for Histogram {
    fn default() -> Self {
        Histogram(histogram::Histogram::new(BUCKETS))
    }
}

impl Histogram {
    pub fn observe(&self, d: Duration) {
        self.0.observe(d.as_secs_f64());
    }
}

/// How a dial ended, for `numdialer_dials_total{outcome}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DialOutcome {
    Placed,
    Refused,
    Unreachable,
    Unanswered,
}

impl DialOutcome {
    pub const ALL: [DialOutcome; 4] = [
        DialOutcome::Placed,
        DialOutcome::Refused,
        DialOutcome::Unreachable,
        DialOutcome::Unanswered,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DialOutcome::Placed => "placed",
            DialOutcome::Refused => "refused",
            DialOutcome::Unreachable => "unreachable",
            DialOutcome::Unanswered => "unanswered",
        }
    }
}

impl EncodeLabelValue for DialOutcome {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        encoder.write_str(self.as_str())
    }
}

/// The `outcome` of a webhook the engine refused (unknown token, wrong id),
/// beside the effects of the ones it took.
const REFUSED: &str = "refused";

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct DialLabels {
    outcome: DialOutcome,
}

/// Field order is label order on the wire: `status` first, as before.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct WebhookLabels {
    status: &'static str,
    outcome: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RuleLabels {
    rule: &'static str,
}

/// The dial-time rules that hold entries back, each counted from 0.
const RULES: [&str; 1] = ["calling_hours"];

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct AnswerLabels {
    answered_by: &'static str,
}

/// Upper bounds in seconds of an answering-machine detection: Twilio's
/// takes from about a second for a person to its whole timeout (3 to 59 s)
/// for a machine whose greeting end it waits for.
const DETECTION_BUCKETS: [f64; 9] = [1.0, 2.0, 3.0, 4.0, 5.0, 7.5, 10.0, 20.0, 30.0];

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct StatusLabels {
    status: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct WhenLabels {
    when: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

/// What the engine counts as it goes. Every label combination is created
/// up front, so that a series reads 0 before its first event instead of
/// being absent, which `rate()` and alerts on a fresh server rely on.
#[derive(Debug)]
pub struct Metrics {
    dials: Family<DialLabels, Counter>,
    dial_retries: Counter,
    webhooks: Family<WebhookLabels, Counter>,
    timeouts: Counter,
    /// Attempts that ended in an outcome their campaign retries.
    retries: Counter,
    /// Records the store could not place when it opened (see `Store::load`).
    store_skipped: Gauge,
    /// Entries a dial-time rule deferred or skipped, by rule.
    deferred: Family<RuleLabels, Counter>,
    /// Entries canceled by a do-not-call list: kept out of their campaign
    /// at import, or canceled later (at the suppression's addition, or at
    /// their pick).
    suppressed: Family<WhenLabels, Counter>,
    pub webhook_latency: Histogram,
    /// Detection results that became an attempt's answer, by who answered
    /// (a grace that passed without one counts as `unknown`).
    answers: Family<AnswerLabels, Counter>,
    /// How long each applied detection took, as the provider said.
    detection: histogram::Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        let dials = Family::default();
        for outcome in DialOutcome::ALL {
            dials.get_or_create_owned(&DialLabels { outcome });
        }
        let webhooks = Family::default();
        for status in CallStatus::ALL {
            let effects = Effect::ALL.map(Effect::as_str);
            for outcome in effects.into_iter().chain([REFUSED]) {
                webhooks.get_or_create_owned(&WebhookLabels {
                    status: status.event().as_str(),
                    outcome,
                });
            }
        }
        let deferred = Family::default();
        for rule in RULES {
            deferred.get_or_create_owned(&RuleLabels { rule });
        }
        let answers = Family::default();
        for by in AnsweredBy::ALL {
            answers.get_or_create_owned(&AnswerLabels {
                answered_by: by.as_str(),
            });
        }
        let suppressed = Family::default();
        for when in ["import", "dial"] {
            suppressed.get_or_create_owned(&WhenLabels { when });
        }
        Metrics {
            answers,
            detection: histogram::Histogram::new(DETECTION_BUCKETS),
            deferred,
            suppressed,
            dials,
            dial_retries: Counter::default(),
            webhooks,
            timeouts: Counter::default(),
            retries: Counter::default(),
            store_skipped: Gauge::default(),
            webhook_latency: Histogram::default(),
        }
    }
}

impl Metrics {
    pub fn dial(&self, outcome: DialOutcome, retries: u32) {
        self.dials.get_or_create(&DialLabels { outcome }).inc();
        self.dial_retries.inc_by(u64::from(retries));
    }

    /// `effect` is `None` for a refused webhook (unknown token, wrong id).
    pub fn webhook(&self, event: &CallEvent, effect: Option<Effect>) {
        let labels = WebhookLabels {
            status: event.as_str(),
            outcome: effect.map_or(REFUSED, Effect::as_str),
        };
        self.webhooks.get_or_create(&labels).inc();
    }

    pub fn timed_out(&self, n: usize) {
        self.timeouts.inc_by(n as u64);
    }

    pub fn retries_scheduled(&self, n: usize) {
        self.retries.inc_by(n as u64);
    }

    /// `n` entries that dial-time rule `rule` deferred or skipped.
    pub fn deferred(&self, rule: &'static str, n: u64) {
        self.deferred.get_or_create(&RuleLabels { rule }).inc_by(n);
    }

    /// An attempt's answer became known: who, and how long detection took
    /// if the provider said.
    pub fn answer(&self, by: AnsweredBy, took: Option<Duration>) {
        self.answers
            .get_or_create(&AnswerLabels {
                answered_by: by.as_str(),
            })
            .inc();
        if let Some(d) = took {
            self.detection.observe(d.as_secs_f64());
        }
    }

    /// `n` entries an import found on a do-not-call list.
    pub fn suppressed_at_import(&self, n: u64) {
        self.suppressed
            .get_or_create(&WhenLabels { when: "import" })
            .inc_by(n);
    }

    /// `n` entries of a campaign canceled by a do-not-call list after
    /// their import.
    pub fn suppressed_at_dial(&self, n: u64) {
        self.suppressed
            .get_or_create(&WhenLabels { when: "dial" })
            .inc_by(n);
    }

    pub fn store_skipped(&self, n: usize) {
        self.store_skipped.set(gauge_value(n));
    }

    /// The whole exposition; `in_flight` and `by_status` come from the
    /// campaign, `flush` from the store.
    ///
    /// The registry is assembled per scrape because three of its families
    /// are not the engine's to keep: the campaign counts entries under its
    /// own lock, and the store owns its flush histogram. Registering handles
    /// (the metrics share their state with their clones) costs a few
    /// allocations, against gauges that two scrapes could set at once.
    pub fn render(
        &self,
        in_flight: usize,
        by_status: &[(Status, usize)],
        by_state: &[(CampaignState, usize)],
        flush: &Histogram,
        suppressions: u64,
    ) -> String {
        let mut registry = Registry::default();
        registry.register(
            "numdialer_dials",
            "POST /call requests by how they ended",
            self.dials.clone(),
        );
        registry.register(
            "numdialer_dial_retries",
            "Connection attempts repeated because the dialer API refused the connection",
            self.dial_retries.clone(),
        );
        registry.register(
            "numdialer_webhooks",
            "Webhooks received, by status and outcome",
            self.webhooks.clone(),
        );
        registry.register(
            "numdialer_call_timeouts",
            "Calls failed because no final webhook came in time",
            self.timeouts.clone(),
        );
        registry.register(
            "numdialer_retries",
            "Attempts that ended in an outcome their campaign retries, so that the entry waits for another",
            self.retries.clone(),
        );
        registry.register(
            "numdialer_deferred",
            "Entries a dial-time rule held back instead of dialing (deferred to their window, or skipped), by rule",
            self.deferred.clone(),
        );
        registry.register(
            "numdialer_answers",
            "Answers of attempts by who answered, as answering-machine detection found",
            self.answers.clone(),
        );
        registry.register(
            "numdialer_detection_seconds",
            "Time answering-machine detection took, as the provider reported it",
            self.detection.clone(),
        );
        registry.register(
            "numdialer_suppressed",
            "Entries canceled because their number is on a do-not-call list: kept out at import, or canceled later (when the suppression was added, or at their turn)",
            self.suppressed.clone(),
        );
        let campaigns = Family::<StateLabels, Gauge>::default();
        for (s, n) in by_state {
            let labels = StateLabels { state: s.as_str() };
            campaigns.get_or_create(&labels).set(gauge_value(*n));
        }
        registry.register("numdialer_campaigns", "Campaigns by state", campaigns);
        registry.register(
            "numdialer_store_skipped_records",
            "Records the store could not place when it opened: a damaged data directory",
            self.store_skipped.clone(),
        );
        let calls: Gauge = Gauge::default();
        calls.set(gauge_value(in_flight));
        registry.register("numdialer_calls_in_flight", "Entries holding a line", calls);
        let entries = Family::<StatusLabels, Gauge>::default();
        for (s, n) in by_status {
            let labels = StatusLabels { status: s.as_str() };
            entries.get_or_create(&labels).set(gauge_value(*n));
        }
        registry.register("numdialer_entries", "List entries by status", entries);
        registry.register(
            "numdialer_webhook_seconds",
            "Time to handle a webhook, durable write included",
            self.webhook_latency.0.clone(),
        );
        registry.register(
            "numdialer_store_flush_seconds",
            "Time of one sled flush (one flush serves every waiting writer)",
            flush.0.clone(),
        );
        let held: Gauge = Gauge::default();
        held.set(i64::try_from(suppressions).unwrap_or(i64::MAX));
        registry.register(
            "numdialer_suppressions",
            "Suppressions held on the do-not-call lists: numbers and prefixes added one at a time, and each bulk upload's numbers less those removed",
            held,
        );
        let mut out = String::with_capacity(4096);
        prometheus_text::encode(&mut out, &registry).expect("writing to a String cannot fail");
        out
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct EndpointLabels {
    endpoint: String,
}

/// One webhook endpoint's deliveries, for [`render_endpoints`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct EndpointFigures {
    pub id: u64,
    pub delivered: u64,
    pub failed: u64,
    pub pending: u64,
    /// Age of its oldest pending delivery; 0 with none.
    pub oldest_pending: Duration,
}

/// The outbound events' series, one per endpoint: what arrived and what
/// was given up since the server started, what is owed now, and for how
/// long the oldest has been (the figure to alert on: a consumer that is
/// down shows here first).
pub fn render_endpoints(endpoints: &[EndpointFigures]) -> String {
    let mut registry = Registry::default();
    let delivered = Family::<EndpointLabels, Counter>::default();
    let failed = Family::<EndpointLabels, Counter>::default();
    let pending = Family::<EndpointLabels, Gauge>::default();
    let oldest = Family::<EndpointLabels, Gauge<f64, std::sync::atomic::AtomicU64>>::default();
    for e in endpoints {
        let l = EndpointLabels {
            endpoint: e.id.to_string(),
        };
        delivered.get_or_create(&l).inc_by(e.delivered);
        failed.get_or_create(&l).inc_by(e.failed);
        pending
            .get_or_create(&l)
            .set(i64::try_from(e.pending).unwrap_or(i64::MAX));
        oldest.get_or_create(&l).set(e.oldest_pending.as_secs_f64());
    }
    registry.register(
        "numdialer_events_delivered",
        "Outbound events delivered (a 2xx answer), by webhook endpoint",
        delivered,
    );
    registry.register(
        "numdialer_events_failed",
        "Outbound events given up after their last try (or a 410), kept for replay, by webhook endpoint",
        failed,
    );
    registry.register(
        "numdialer_events_pending",
        "Outbound events owed and not yet delivered, by webhook endpoint",
        pending,
    );
    registry.register(
        "numdialer_events_oldest_pending_seconds",
        "Age of the oldest outbound event still owed, by webhook endpoint",
        oldest,
    );
    let mut out = String::with_capacity(1024);
    prometheus_text::encode(&mut out, &registry).expect("writing to a String cannot fail");
    out
}

fn gauge_value(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
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
        let out = Metrics::default().render(0, &[], &[], &h, 0);
        let x = "numdialer_store_flush_seconds";
        assert!(
            out.contains(&format!("{x}_bucket{{le=\"5e-05\"}} 1\n")),
            "{out}"
        );
        assert!(out.contains(&format!("{x}_bucket{{le=\"0.005\"}} 2\n")));
        assert!(out.contains(&format!("{x}_bucket{{le=\"2.5\"}} 2\n")));
        assert!(out.contains(&format!("{x}_bucket{{le=\"+Inf\"}} 3\n")));
        assert!(out.contains(&format!("{x}_count 3\n")));
    }

    #[test]
    fn renders_the_classic_text_format_with_every_series_from_zero() {
        let m = Metrics::default();
        m.dial(DialOutcome::Placed, 2);
        m.webhook(&CallEvent::Ringing, Some(Effect::AfterFinal));
        m.webhook(&CallEvent::Completed, None);
        m.answer(AnsweredBy::Machine, Some(Duration::from_millis(4_200)));
        let out = m.render(3, &[(Status::Idle, 9)], &[], &Histogram::default(), 12);
        for line in [
            "# HELP numdialer_dials_total POST /call requests by how they ended.",
            "# TYPE numdialer_dials_total counter",
            "numdialer_dials_total{outcome=\"placed\"} 1",
            "numdialer_dials_total{outcome=\"unanswered\"} 0",
            "numdialer_dial_retries_total 2",
            "numdialer_webhooks_total{status=\"ringing\",outcome=\"after_final\"} 1",
            "numdialer_webhooks_total{status=\"completed\",outcome=\"refused\"} 1",
            "numdialer_webhooks_total{status=\"answered\",outcome=\"duplicate\"} 0",
            "numdialer_call_timeouts_total 0",
            "numdialer_deferred_total{rule=\"calling_hours\"} 0",
            "numdialer_answers_total{answered_by=\"machine\"} 1",
            "numdialer_answers_total{answered_by=\"fax\"} 0",
            "numdialer_detection_seconds_bucket{le=\"5\"} 1",
            "# TYPE numdialer_calls_in_flight gauge",
            "numdialer_calls_in_flight 3",
            "numdialer_entries{status=\"idle\"} 9",
            "# TYPE numdialer_webhook_seconds histogram",
            "# TYPE numdialer_suppressions gauge",
            "numdialer_suppressions 12",
        ] {
            assert!(out.lines().any(|l| l == line), "no {line:?} in\n{out}");
        }
        assert!(!out.contains("# EOF"), "OpenMetrics marker in 0.0.4 text");
    }
}

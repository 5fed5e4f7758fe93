//! The reliability suite: injected faults, a kill -9 loop, and concurrent
//! clients, each checked against the dialing rules. The short variant runs
//! in CI; `NUMDIALER_RELIABILITY=long` runs the long one (docs/reliability.md).

use crate::helpers::*;
use numdialer_core::{Status, api::StatusesResponse};
use numdialer_server::provider::simulator::{DialRecord, Outage, SimConfig, WebhookRecord};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::time::Duration;

struct Scale {
    entries: usize,
    seeds: u64,
    kills: usize,
}

fn scale() -> Scale {
    match std::env::var("NUMDIALER_RELIABILITY").as_deref() {
        Ok("long") => Scale {
            entries: 1000,
            seeds: 5,
            kills: 20,
        },
        _ => Scale {
            entries: 200,
            seeds: 1,
            kills: 20,
        },
    }
}

const WINDOW: usize = 10;

fn numbers(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("1555{i:07}")).collect()
}

/// What a run is judged by; every count must be zero.
#[derive(Debug, Default)]
struct Verdict {
    double_dials: usize,
    order_violations: usize,
    window_violations: usize,
    lost_acks: usize,
    not_final: usize,
}

impl Verdict {
    fn assert_clean(&self, what: &str) {
        assert_eq!(self.double_dials, 0, "{what}: {self:?}");
        assert_eq!(self.order_violations, 0, "{what}: {self:?}");
        assert_eq!(self.window_violations, 0, "{what}: {self:?}");
        assert_eq!(self.lost_acks, 0, "{what}: {self:?}");
        assert_eq!(self.not_final, 0, "{what}: {self:?}");
    }
}

/// Judges a finished run from the API's log and the server's statuses.
fn judge(
    list: &[String],
    dials: &[DialRecord],
    hooks: &[WebhookRecord],
    done: &StatusesResponse,
) -> Verdict {
    let index: HashMap<&str, usize> = list
        .iter()
        .enumerate()
        .map(|(i, p)| (p.as_str(), i))
        .collect();
    let received: Vec<usize> = dials.iter().map(|d| index[d.phone.as_str()]).collect();
    let mut v = Verdict::default();
    let mut seen = vec![0usize; list.len()];
    for &i in &received {
        seen[i] += 1;
    }
    v.double_dials = seen.iter().filter(|&&c| c > 1).count();
    v.order_violations = received.windows(2).filter(|w| w[0] >= w[1]).count();
    v.window_violations = dials
        .iter()
        .filter(|d| d.in_flight_before >= WINDOW)
        .count();
    v.not_final = done.calls.iter().filter(|c| !c.status.is_final()).count();
    v.lost_acks = lost_acks(&received, hooks, done);
    v
}

/// Acknowledged statuses that the server no longer shows. What a 2xx
/// promises is the entry's status in its answer (the webhook's own status
/// when the answer was cut off): a final one must stay, any other must not
/// be undercut. A `completed` that arrives after its call timed out is
/// answered with `failed`, and a final status never replaces the other.
fn lost_acks(received: &[usize], hooks: &[WebhookRecord], now: &StatusesResponse) -> usize {
    hooks
        .iter()
        .filter(|h| h.acked)
        .filter(|h| {
            let s = now.calls[received[h.dial]].status;
            let promised = h.acked_status.unwrap_or(h.status.event().status());
            if promised.is_final() {
                s != promised
            } else {
                s.rank() < promised.rank()
            }
        })
        .count()
}

async fn run_scenario(name: &str, sim: SimConfig, entries: usize) {
    let list = numbers(entries);
    let h = Harness::start(sim, |c| {
        c.dialing.concurrency = WINDOW;
        c.dialing.numbers = Some(phones(&list));
        c.dialing.call_timeout = Duration::from_millis(800);
        c.provider.dial_backoff = Duration::from_millis(50);
    })
    .await;
    assert_eq!(h.start_calls().await, 202);
    // Watch the server's own view while it runs: the window never exceeded
    // and no status moving back.
    let mut prev: Option<StatusesResponse> = None;
    let done = loop {
        let s = h.statuses().await;
        assert!(s.active <= WINDOW, "{name}: {} active", s.active);
        if let Some(p) = &prev {
            for (a, b) in p.calls.iter().zip(&s.calls) {
                assert!(
                    b.status.rank() >= a.status.rank(),
                    "{name}: entry {} moved back",
                    a.index
                );
            }
        }
        if s.finished {
            break s;
        }
        prev = Some(s);
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let v = judge(&list, &h.sim.dials(), &h.sim.webhooks(), &done);
    let mut reasons: HashMap<String, usize> = HashMap::new();
    for c in done.calls.iter().filter_map(|c| c.reason.as_deref()) {
        *reasons
            .entry(c.split(':').next().unwrap().to_string())
            .or_default() += 1;
    }
    println!(
        "scenario {name}: {entries} entries, {} dials, {} completed, {} failed {reasons:?}, {v:?}",
        h.sim.dials().len(),
        done.count(Status::Completed),
        done.count(Status::Failed)
    );
    v.assert_clean(name);
    h.stop().await;
}

fn base(seed: u64) -> SimConfig {
    SimConfig {
        time_scale: 0.004,
        seed: Some(seed),
        ..SimConfig::default()
    }
}

fn scenarios(seed: u64) -> Vec<(&'static str, SimConfig)> {
    let outage = Some(Outage {
        every: Duration::from_millis(300),
        length: Duration::from_millis(100),
    });
    vec![
        (
            "drop 20%",
            SimConfig {
                drop_rate: 0.2,
                ..base(seed)
            },
        ),
        (
            "duplicate 30%",
            SimConfig {
                duplicate_rate: 0.3,
                ..base(seed)
            },
        ),
        (
            "reorder",
            SimConfig {
                reorder: true,
                ..base(seed)
            },
        ),
        (
            "HTTP 500 10%",
            SimConfig {
                error_rate: 0.1,
                ..base(seed)
            },
        ),
        (
            "error body 10%",
            SimConfig {
                error_body_rate: 0.1,
                ..base(seed)
            },
        ),
        (
            "outages 100 ms every 300 ms",
            SimConfig {
                outage,
                ..base(seed)
            },
        ),
        (
            "latency 20 ms",
            SimConfig {
                latency: Duration::from_millis(20),
                ..base(seed)
            },
        ),
        (
            "all together",
            SimConfig {
                drop_rate: 0.1,
                duplicate_rate: 0.2,
                reorder: true,
                error_rate: 0.05,
                error_body_rate: 0.05,
                outage,
                latency: Duration::from_millis(5),
                ..base(seed)
            },
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_alone_and_together() {
    let s = scale();
    for seed in 0..s.seeds {
        for (name, sim) in scenarios(seed) {
            run_scenario(name, sim, s.entries).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loop_never_dials_twice_nor_loses_an_ack() {
    let s = scale();
    let list = numbers(s.entries);
    let sim = start_sim(SimConfig {
        time_scale: 0.01,
        seed: Some(11),
        ..SimConfig::default()
    })
    .await;
    let mut node = Node::start(
        &sim,
        Some(&list),
        &["--concurrency", "10", "--call-timeout", "1"],
    )
    .await;
    assert_eq!(node.start_calls().await, 202);
    let http = node.http.clone();

    let mut rng = StdRng::seed_from_u64(3);
    let mut moments: Vec<usize> = (0..s.kills)
        .map(|_| rng.random_range(1..s.entries - 5))
        .collect();
    moments.sort();
    let index: HashMap<String, usize> = list
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, p)| (p, i))
        .collect();
    for (k, &at) in moments.iter().enumerate() {
        wait_for("dials to reach the kill point", DEADLINE, || async {
            (sim.dials().len() >= at).then_some(())
        })
        .await;
        node.server.kill9().unwrap();
        let hooks_at_kill = sim.webhooks();
        node.restart().await;
        let now = statuses(&http, node.server.base()).await.unwrap();
        let received: Vec<usize> = sim.dials().iter().map(|d| index[&d.phone]).collect();
        assert_eq!(
            lost_acks(&received, &hooks_at_kill, &now),
            0,
            "kill {k}: an acknowledged status was lost"
        );
    }
    let done = wait_finished(&http, node.server.base()).await;
    let v = judge(&list, &sim.dials(), &sim.webhooks(), &done);
    println!(
        "crash loop: {} kills, {} entries, {} dials, {} completed, {} failed, {v:?}",
        moments.len(),
        s.entries,
        sim.dials().len(),
        done.count(Status::Completed),
        done.count(Status::Failed)
    );
    v.assert_clean("crash loop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_starts_and_pollers() {
    let list = numbers(scale().entries);
    let h = Harness::start(base(5), |c| {
        c.dialing.concurrency = WINDOW;
        c.dialing.numbers = Some(phones(&list));
    })
    .await;
    let starts: Vec<_> = (0..200)
        .map(|_| {
            let (http, base) = (h.http.clone(), h.server.url());
            tokio::spawn(async move { start_calls(&http, &base).await.as_u16() })
        })
        .collect();
    let mut codes = HashMap::new();
    for s in starts {
        *codes.entry(s.await.unwrap()).or_insert(0) += 1;
    }
    assert_eq!(codes.get(&202), Some(&1), "{codes:?}");
    assert_eq!(codes.get(&409), Some(&199), "{codes:?}");

    let pollers: Vec<_> = (0..200)
        .map(|_| {
            let (http, base) = (h.http.clone(), h.server.url());
            tokio::spawn(async move {
                let mut polls = 0;
                loop {
                    let r = http
                        .get(format!("{base}/statuses"))
                        .send()
                        .await
                        .unwrap_or_else(|e| panic!("poll failed: {e:?}"));
                    assert_eq!(r.status(), 200);
                    let s: StatusesResponse = r.json().await.unwrap();
                    assert!(s.active <= WINDOW);
                    polls += 1;
                    if s.finished {
                        return polls;
                    }
                    // Pacing, not synchronisation: 200 pollers in a busy
                    // loop would only measure this machine's 2 cores.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            })
        })
        .collect();
    let mut total = 0;
    for p in pollers {
        total += p.await.unwrap();
    }
    let done = h.statuses().await;
    let v = judge(&list, &h.sim.dials(), &h.sim.webhooks(), &done);
    println!("200 pollers made {total} polls without an error; {v:?}");
    v.assert_clean("pollers");
    assert_eq!(
        h.sim.dials().len(),
        list.len(),
        "one start, one dial per entry"
    );
}

//! The reliability suite: injected faults, a kill -9 loop, and concurrent
//! clients, each checked against the dialing rules. The short variant runs
//! in CI; `NUMDIALER_RELIABILITY=long` runs the long one (docs/reliability.md).

use crate::helpers::*;
use numdialer_core::api::{CampaignSummary, CampaignsResponse, StatusesResponse};
use numdialer_core::{CampaignState, Operation, Status};
use numdialer_server::provider::simulator::{
    DialRecord, Outage, SimConfig, Simulator, WebhookRecord,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
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
    (0..n).map(|i| format!("1301804{i:04}")).collect()
}

/// What a run is judged by; every count must be zero. The campaign counts
/// are for the crash loop, which runs several campaigns.
#[derive(Debug, Default)]
struct Verdict {
    /// Entries dialed more often than they had attempts.
    double_dials: usize,
    order_violations: usize,
    window_violations: usize,
    /// Acknowledged webhooks, or (crash loop) acknowledged operations,
    /// whose promise was not kept.
    lost_acks: usize,
    not_final: usize,
    /// Entries dialed, or with attempts, beyond `max_attempts`.
    over_attempts: usize,
    /// Retries that came sooner than `retry_delay` after the dial before.
    early_retries: usize,
    /// Dials beyond the one that may be out when a stop is acknowledged.
    dials_after_stop: usize,
    /// Dials beyond the one that may be out when a pause is acknowledged,
    /// before the next resume.
    dials_while_paused: usize,
    /// Dials of campaigns never started.
    draft_dials: usize,
    /// Dials of a number beyond the one that may be out when its
    /// suppression is acknowledged.
    dials_after_suppression: usize,
    /// What the first violations were.
    examples: Vec<String>,
}

impl Verdict {
    fn assert_clean(&self, what: &str) {
        let counts = [
            self.double_dials,
            self.order_violations,
            self.window_violations,
            self.lost_acks,
            self.not_final,
            self.over_attempts,
            self.early_retries,
            self.dials_after_stop,
            self.dials_while_paused,
            self.draft_dials,
            self.dials_after_suppression,
        ];
        assert!(counts.iter().all(|&n| n == 0), "{what}: {self:?}");
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

/// Numbers the simulator lets ring and hang up, never `answered`: the
/// crash loop puts them in some lists so that `no_answer` retries happen.
const NO_ANSWER: [&str; 2] = ["15512459377", "19362072765"];

/// How the crash loop uploads a campaign.
#[derive(Debug, Clone, Copy)]
enum Upload {
    Csv,
    Text,
    Json,
}

/// A campaign the crash loop asks for: its upload and the policy it sets.
#[derive(Debug, Clone)]
struct Spec {
    /// Unique in the run, so that a listing tells which upload made a
    /// campaign whose 201 never arrived.
    name: String,
    phones: Vec<String>,
    upload: Upload,
    max_attempts: u32,
    retry_delay: u64,
    retry_on: &'static str,
    start: bool,
    key: Option<String>,
    /// The entry sent as a bad number: the whole upload must be refused.
    bad_line: Option<usize>,
    /// A large draft, never started: there so that kills land mid-import.
    bulk: bool,
}

/// An HTTP request, built where the model is and sent where the kill may
/// cut it off.
#[derive(Debug)]
struct Request {
    method: reqwest::Method,
    path: String,
    content_type: Option<&'static str>,
    key: Option<String>,
    body: Vec<u8>,
}

impl Spec {
    /// The upload, in its format; settings in the query for CSV and text.
    fn request(&self) -> Request {
        let mut phones = self.phones.clone();
        if let Some(i) = self.bad_line {
            phones[i] = "555-CALL-NOW".into();
        }
        let query = format!(
            "?name={}&max_attempts={}&retry_delay={}&retry_on={}{}",
            self.name,
            self.max_attempts,
            self.retry_delay,
            self.retry_on,
            if self.start { "&start=true" } else { "" }
        );
        let (content_type, path, body) = match self.upload {
            Upload::Csv => {
                let mut s = String::from("phone,name\n");
                for (i, p) in phones.iter().enumerate() {
                    s.push_str(&format!("{p},person {i}\n"));
                }
                ("text/csv", format!("/campaigns{query}"), s.into_bytes())
            }
            Upload::Text => {
                let s = format!("# {}\n\n{}\n", self.name, phones.join("\n"));
                ("text/plain", format!("/campaigns{query}"), s.into_bytes())
            }
            Upload::Json => {
                let body = serde_json::json!({
                    "name": self.name,
                    "numbers": phones,
                    "retry": {
                        "max_attempts": self.max_attempts,
                        "retry_delay": self.retry_delay,
                        "retry_on": self.retry_on.split(',').collect::<Vec<_>>(),
                    },
                    "start": self.start,
                });
                (
                    "application/json",
                    "/campaigns".into(),
                    body.to_string().into_bytes(),
                )
            }
        };
        Request {
            method: reqwest::Method::POST,
            path,
            content_type: Some(content_type),
            key: self.key.clone(),
            body,
        }
    }

    /// The line the refusal must name: CSV has a header, the text body a
    /// comment and a blank line, JSON counts items from 1.
    fn bad_line_number(&self) -> Option<usize> {
        self.bad_line.map(|i| match self.upload {
            Upload::Csv => i + 2,
            Upload::Text => i + 3,
            Upload::Json => i + 1,
        })
    }
}

/// What a request got, and how many dials the API had received when the
/// answer came; `None` from [`send`] when the kill cut it off.
#[derive(Debug)]
struct Reply {
    code: u16,
    body: serde_json::Value,
    ordinal: usize,
}

async fn send(
    http: reqwest::Client,
    base: String,
    sim: Arc<Simulator>,
    req: Request,
) -> Option<Reply> {
    let mut b = http.request(req.method, format!("{base}{}", req.path));
    if let Some(ct) = req.content_type {
        b = b.header("content-type", ct);
    }
    if let Some(k) = req.key {
        b = b.header("idempotency-key", k);
    }
    let r = b.body(req.body).send().await.ok()?;
    let ordinal = sim.dials().len();
    let code = r.status().as_u16();
    let bytes = r.bytes().await.ok()?;
    let body = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    Some(Reply {
        code,
        body,
        ordinal,
    })
}

/// One thing the crash loop asks of the server; the number is the
/// campaign's place in [`CrashLoop::tracked`].
#[derive(Debug, Clone, Copy)]
enum Op {
    Create(usize),
    /// The same upload again with its `Idempotency-Key`.
    Repeat(usize),
    Act(usize, Operation),
    Delete(usize),
    /// A global suppression of [`CrashLoop::suppressions`]' number.
    Suppress(usize),
}

/// A number the crash loop put on the global do-not-call list.
#[derive(Debug)]
struct Suppression {
    phone: String,
    /// The API's dial count when the 2xx came; `None` until one did.
    acked_at: Option<usize>,
}

/// What the crash loop knows of one campaign, from the answers it got.
#[derive(Debug)]
struct Tracked {
    spec: Spec,
    id: Option<u64>,
    /// `None` while an unanswered create or delete leaves it open; the
    /// listing after the restart settles it.
    exists: Option<bool>,
    /// A DELETE was answered 204, or an unanswered one was seen to land.
    deleted: bool,
    /// Its state in the last answer or listing.
    state: Option<CampaignState>,
    /// An operation went unanswered since `state` was learned.
    unsure: bool,
    /// Its statuses read just before a DELETE: its last word if that lands.
    last_view: Option<StatusesResponse>,
    /// The API's dial count when its stop was acknowledged (or first seen).
    stopped_from: Option<usize>,
    /// The API's dial count when a pause was acknowledged (or seen), until
    /// a resume is sent.
    paused_from: Option<usize>,
    pause_windows: Vec<std::ops::Range<usize>>,
    /// Its phones' positions (phones are unique within a campaign).
    index: HashMap<String, usize>,
}

impl Tracked {
    fn new(spec: Spec) -> Tracked {
        let index = spec
            .phones
            .iter()
            .enumerate()
            .map(|(i, p)| (p.clone(), i))
            .collect();
        Tracked {
            spec,
            id: None,
            exists: None,
            deleted: false,
            state: None,
            unsure: false,
            last_view: None,
            stopped_from: None,
            paused_from: None,
            pause_windows: Vec::new(),
            index,
        }
    }

    /// Known to exist now.
    fn live(&self) -> bool {
        self.id.is_some() && self.exists == Some(true)
    }

    fn close_pause(&mut self, at: usize) {
        if let Some(from) = self.paused_from.take() {
            self.pause_windows.push(from..at);
        }
    }

    /// The state was seen (in a listing or an answer): a paused or stopped
    /// campaign dials no more from here.
    fn seen(&mut self, state: CampaignState, ordinal: usize) {
        self.state = Some(state);
        self.unsure = false;
        match state {
            CampaignState::Paused => {
                self.paused_from.get_or_insert(ordinal);
            }
            CampaignState::Stopped => {
                self.stopped_from.get_or_insert(ordinal);
            }
            _ => {}
        }
    }
}

/// Where a campaign in `state` can be later without any operation: a
/// running or paused one ends `done` once every entry is final.
fn may_become(state: CampaignState) -> Vec<CampaignState> {
    match state {
        CampaignState::Running | CampaignState::Paused => vec![state, CampaignState::Done],
        other => vec![other],
    }
}

/// Counts of what the crash loop did, for its report.
#[derive(Debug, Default)]
struct LoopStats {
    created: usize,
    repeated: usize,
    refused: usize,
    acked: BTreeMap<&'static str, usize>,
    conflicts: usize,
    unanswered: usize,
    unanswered_landed: usize,
    deleted: usize,
    suppressed: usize,
}

/// The operator of the crash loop: random uploads and lifecycle operations
/// against the server, and a model of what every 2xx promised.
struct CrashLoop {
    sim: Arc<Simulator>,
    http: reqwest::Client,
    base: String,
    rng: StdRng,
    tracked: Vec<Tracked>,
    suppressions: Vec<Suppression>,
    stats: LoopStats,
}

impl CrashLoop {
    /// Campaign 1 (`list`, started) is tracked from the start.
    fn new(sim: Arc<Simulator>, base: &str, list: &[String], seed: u64) -> CrashLoop {
        let first = Spec {
            name: "default".into(),
            phones: list.to_vec(),
            upload: Upload::Text,
            max_attempts: 1,
            retry_delay: 300,
            retry_on: "no_answer,failed",
            start: true,
            key: None,
            bad_line: None,
            bulk: false,
        };
        let mut t = Tracked::new(first);
        t.id = Some(1);
        t.exists = Some(true);
        t.state = Some(CampaignState::Running);
        CrashLoop {
            sim,
            http: client(),
            base: base.to_string(),
            rng: StdRng::seed_from_u64(seed),
            tracked: vec![t],
            suppressions: Vec::new(),
            stats: LoopStats::default(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn new_spec(&mut self) -> usize {
        let n = self.tracked.len();
        let rng = &mut self.rng;
        let bulk = rng.random_bool(0.12);
        let size = if bulk {
            2_000
        } else {
            rng.random_range(4..=20)
        };
        let mut phones: Vec<String> = (0..size)
            .map(|i| format!("1206{:03}{i:04}", 200 + n))
            .collect();
        for no_answer in NO_ANSWER {
            if !bulk && rng.random_bool(0.5) {
                let at = rng.random_range(0..size);
                if !NO_ANSWER.contains(&phones[at].as_str()) {
                    phones[at] = no_answer.into();
                }
            }
        }
        let upload = [Upload::Csv, Upload::Text, Upload::Json][rng.random_range(0..3)];
        let spec = Spec {
            name: format!("crash-{n}"),
            phones,
            upload,
            max_attempts: if bulk { 1 } else { rng.random_range(1..=3) },
            retry_delay: rng.random_range(0..=1),
            retry_on: ["failed", "no_answer", "no_answer,failed"][rng.random_range(0..3)],
            start: !bulk && rng.random_bool(0.6),
            key: rng.random_bool(0.4).then(|| format!("crash-key-{n}")),
            bad_line: (!bulk && rng.random_bool(0.1)).then(|| rng.random_range(0..size)),
            bulk,
        };
        self.tracked.push(Tracked::new(spec));
        n
    }

    /// A random operation, mostly ones the campaign's state allows, some
    /// that it refuses.
    fn choose(&mut self) -> Op {
        use Operation::*;
        let live: Vec<usize> = (0..self.tracked.len())
            .filter(|&t| self.tracked[t].live())
            .collect();
        let r: f64 = self.rng.random();
        if r < 0.3 || live.len() < 3 {
            return Op::Create(self.new_spec());
        }
        let keyed: Vec<usize> = (0..self.tracked.len())
            .filter(|&t| {
                let t = &self.tracked[t];
                t.spec.key.is_some() && t.spec.bad_line.is_none() && !t.deleted
            })
            .collect();
        if r < 0.4 && !keyed.is_empty() {
            return Op::Repeat(keyed[self.rng.random_range(0..keyed.len())]);
        }
        let t = live[self.rng.random_range(0..live.len())];
        if r < 0.55 {
            // A number of a live campaign, from the second half of its
            // list (more likely not dialed yet), never one that several
            // lists share: whose dials are judged must be plain. Half of
            // them campaign 1's, which is dialed to its end.
            let running = |t: usize| self.tracked[t].state == Some(CampaignState::Running);
            let t = if running(0) && self.rng.random_bool(0.5) {
                0
            } else {
                t
            };
            let phones = &self.tracked[t].spec.phones;
            let at = self.rng.random_range(phones.len() / 2..phones.len());
            let phone = phones[at].clone();
            if !NO_ANSWER.contains(&phone.as_str()) {
                self.suppressions.push(Suppression {
                    phone,
                    acked_at: None,
                });
                return Op::Suppress(self.suppressions.len() - 1);
            }
        }
        let tracked = &self.tracked[t];
        let pick = |rng: &mut StdRng, ops: &[(Operation, u32)]| {
            let total: u32 = ops.iter().map(|o| o.1).sum();
            let mut x = rng.random_range(0..total);
            for &(op, w) in ops {
                if x < w {
                    return op;
                }
                x -= w;
            }
            unreachable!()
        };
        let first = t == 0;
        let op = match tracked.state.unwrap_or(CampaignState::Running) {
            CampaignState::Draft if tracked.spec.bulk => return Op::Delete(t),
            CampaignState::Draft if self.rng.random_bool(0.1) => return Op::Delete(t),
            CampaignState::Draft => pick(&mut self.rng, &[(Start, 8), (Pause, 1)]),
            CampaignState::Running if first => pick(&mut self.rng, &[(Pause, 8), (Stop, 1)]),
            CampaignState::Running => pick(&mut self.rng, &[(Pause, 5), (Stop, 3), (Start, 1)]),
            CampaignState::Paused if first => pick(&mut self.rng, &[(Resume, 8), (Pause, 1)]),
            CampaignState::Paused => pick(&mut self.rng, &[(Resume, 5), (Stop, 3), (Pause, 1)]),
            CampaignState::Done | CampaignState::Stopped if !first && self.rng.random_bool(0.6) => {
                return Op::Delete(t);
            }
            CampaignState::Done | CampaignState::Stopped => {
                pick(&mut self.rng, &[(Stop, 1), (Resume, 1)])
            }
        };
        Op::Act(t, op)
    }

    /// The request for `op`, and for a delete the campaign's statuses
    /// just before it; `None` when a delete would have to wait for calls
    /// in flight (its last statuses could still change).
    async fn prepare(&self, op: Op) -> Option<(Request, Option<StatusesResponse>)> {
        let post = |path: String| Request {
            method: reqwest::Method::POST,
            path,
            content_type: None,
            key: None,
            body: Vec::new(),
        };
        match op {
            Op::Create(t) | Op::Repeat(t) => Some((self.tracked[t].spec.request(), None)),
            Op::Act(t, op) => {
                let id = self.tracked[t].id.unwrap();
                Some((post(format!("/campaigns/{id}/{op}")), None))
            }
            Op::Suppress(k) => {
                let body = serde_json::json!({
                    "phone": format!("+{}", self.suppressions[k].phone),
                    "reason": "crash loop",
                });
                let req = Request {
                    content_type: Some("application/json"),
                    body: serde_json::to_vec(&body).unwrap(),
                    ..post("/suppressions".into())
                };
                Some((req, None))
            }
            Op::Delete(t) => {
                let id = self.tracked[t].id.unwrap();
                let view = self.view(id).await;
                let c = view.campaign.as_ref().unwrap();
                let over = matches!(
                    c.state,
                    CampaignState::Done | CampaignState::Stopped | CampaignState::Draft
                );
                (over && view.active == 0).then(|| {
                    let req = Request {
                        method: reqwest::Method::DELETE,
                        ..post(format!("/campaigns/{id}"))
                    };
                    (req, Some(view))
                })
            }
        }
    }

    async fn view(&self, id: u64) -> StatusesResponse {
        let r = self
            .http
            .get(self.url(&format!("/campaigns/{id}/statuses")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "statuses of campaign {id}");
        r.json().await.unwrap()
    }

    async fn listing(&self) -> CampaignsResponse {
        let r = self.http.get(self.url("/campaigns")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    /// Whether any campaign can still dial (running), and so the dial
    /// count will grow.
    async fn any_running(&self) -> bool {
        self.listing()
            .await
            .campaigns
            .iter()
            .any(|c| c.state == CampaignState::Running)
    }

    /// One operation, answered: nobody kills the server meanwhile.
    async fn step(&mut self) {
        let op = self.choose();
        let Some((req, view)) = self.prepare(op).await else {
            return;
        };
        let sent = self.sim.dials().len();
        let reply = send(self.http.clone(), self.base.clone(), self.sim.clone(), req).await;
        assert!(
            reply.is_some(),
            "{op:?} got no answer, and nobody killed the server"
        );
        self.apply(op, sent, reply, view);
    }

    /// One operation sent in the background, for the kill to race.
    async fn spawn_step(&mut self) -> Option<Racing> {
        let op = self.choose();
        let (req, view) = self.prepare(op).await?;
        let sent = self.sim.dials().len();
        let handle = tokio::spawn(send(
            self.http.clone(),
            self.base.clone(),
            self.sim.clone(),
            req,
        ));
        Some(Racing {
            op,
            sent,
            view,
            handle,
        })
    }

    /// Records what `op` got. `sent` is the API's dial count when it was
    /// sent; `view` the statuses read before a delete.
    fn apply(&mut self, op: Op, sent: usize, reply: Option<Reply>, view: Option<StatusesResponse>) {
        if let Op::Suppress(k) = op {
            // Unanswered, it may or may not have landed: nothing promised.
            if let Some(reply) = reply {
                assert!(
                    (200..300).contains(&reply.code),
                    "suppressing {}: {} {}",
                    self.suppressions[k].phone,
                    reply.code,
                    reply.body
                );
                self.suppressions[k].acked_at = Some(reply.ordinal);
                self.stats.suppressed += 1;
            } else {
                self.stats.unanswered += 1;
            }
            return;
        }
        let Some(reply) = reply else {
            self.stats.unanswered += 1;
            let t = match op {
                Op::Create(t) | Op::Repeat(t) | Op::Act(t, _) | Op::Delete(t) => t,
                Op::Suppress(_) => unreachable!("answered above"),
            };
            let t = &mut self.tracked[t];
            match op {
                Op::Create(_) | Op::Repeat(_) if t.exists != Some(true) => t.exists = None,
                Op::Delete(_) => {
                    t.exists = None;
                    t.last_view = view;
                }
                Op::Act(_, Operation::Resume | Operation::Start) => {
                    t.close_pause(sent);
                    t.unsure = true;
                }
                _ => t.unsure = true,
            }
            return;
        };
        match op {
            Op::Create(t) | Op::Repeat(t) => self.created(t, matches!(op, Op::Repeat(_)), reply),
            Op::Act(t, op) => self.acted(t, op, sent, reply),
            Op::Suppress(_) => unreachable!("answered above"),
            Op::Delete(t) => {
                let tracked = &mut self.tracked[t];
                match reply.code {
                    204 => {
                        tracked.deleted = true;
                        tracked.exists = Some(false);
                        tracked.last_view = view;
                        self.stats.deleted += 1;
                    }
                    409 => self.stats.conflicts += 1,
                    code => panic!("DELETE campaign {:?}: {code} {}", tracked.id, reply.body),
                }
            }
        }
    }

    fn created(&mut self, t: usize, repeat: bool, reply: Reply) {
        let tracked = &mut self.tracked[t];
        let spec = &tracked.spec;
        match reply.code {
            201 | 200 => {
                let s: CampaignSummary = serde_json::from_value(reply.body).unwrap();
                assert!(
                    spec.bad_line.is_none(),
                    "{}: a bad line was stored",
                    spec.name
                );
                assert_eq!(s.name, spec.name);
                assert_eq!(s.total, spec.phones.len(), "{}", spec.name);
                assert_eq!(s.retry.max_attempts, spec.max_attempts, "{}", spec.name);
                if reply.code == 201 {
                    assert_ne!(
                        tracked.exists,
                        Some(true),
                        "{}: its Idempotency-Key made a second campaign",
                        spec.name
                    );
                    let want = if spec.start {
                        CampaignState::Running
                    } else {
                        CampaignState::Draft
                    };
                    assert_eq!(s.state, want, "{}", spec.name);
                    self.stats.created += 1;
                } else {
                    assert!(repeat, "{}: 200 to a first upload", spec.name);
                    assert_ne!(
                        tracked.exists,
                        Some(false),
                        "{}: a repeated upload found a campaign that the listing did not show",
                        spec.name
                    );
                    if let Some(id) = tracked.id {
                        assert_eq!(s.id, id, "{}: the repeat named another campaign", spec.name);
                    }
                    self.stats.repeated += 1;
                }
                tracked.id = Some(s.id);
                tracked.exists = Some(true);
                tracked.seen(s.state, reply.ordinal);
            }
            422 => {
                let line = spec.bad_line_number();
                assert!(line.is_some(), "{}: refused: {}", spec.name, reply.body);
                assert_eq!(
                    reply.body["errors"][0]["line"].as_u64(),
                    line.map(|l| l as u64),
                    "{}: {}",
                    spec.name,
                    reply.body
                );
                tracked.exists = Some(false);
                self.stats.refused += 1;
            }
            code => panic!("{}: upload answered {code} {}", spec.name, reply.body),
        }
    }

    fn acted(&mut self, t: usize, op: Operation, sent: usize, reply: Reply) {
        let tracked = &mut self.tracked[t];
        if matches!(op, Operation::Resume | Operation::Start) {
            tracked.close_pause(sent);
        }
        let possible = if tracked.unsure {
            CampaignState::ALL.to_vec()
        } else {
            may_become(tracked.state.unwrap())
        };
        let what = format!("{op} campaign {:?} ({:?})", tracked.id, tracked.state);
        match reply.code {
            200 => {
                assert!(
                    possible.iter().any(|s| s.apply(op).is_ok()),
                    "{what}: 200 {}",
                    reply.body
                );
                let s: CampaignSummary = serde_json::from_value(reply.body).unwrap();
                assert_eq!(Some(s.id), tracked.id);
                let reached = match op {
                    Operation::Stop => s.state == CampaignState::Stopped,
                    Operation::Pause => {
                        matches!(s.state, CampaignState::Paused | CampaignState::Done)
                    }
                    Operation::Start | Operation::Resume => {
                        matches!(s.state, CampaignState::Running | CampaignState::Done)
                    }
                };
                assert!(reached, "{what}: answered {}", s.state);
                tracked.seen(s.state, reply.ordinal);
                *self.stats.acked.entry(op.as_str()).or_default() += 1;
            }
            409 => {
                assert!(
                    possible.iter().any(|s| s.apply(op).is_err()),
                    "{what}: 409 {}",
                    reply.body
                );
                self.stats.conflicts += 1;
            }
            code => panic!("{what}: {code} {}", reply.body),
        }
    }

    /// After a restart (and at the end): every acknowledged operation is
    /// still in force, unanswered ones are settled from the listing, and
    /// every acknowledged webhook (of `hooks`) is kept. Returns what was
    /// lost.
    async fn check(
        &mut self,
        hooks: &[WebhookRecord],
    ) -> (Vec<String>, HashMap<usize, StatusesResponse>) {
        let list = self.listing().await;
        let ordinal = self.sim.dials().len();
        let mut lost = Vec::new();
        let by_id: HashMap<u64, &CampaignSummary> =
            list.campaigns.iter().map(|c| (c.id, c)).collect();
        for t in &mut self.tracked {
            let name = t.spec.name.clone();
            let found = match t.id {
                Some(id) => by_id.get(&id).copied(),
                None => list.campaigns.iter().find(|c| c.name == name),
            };
            match (t.exists, found) {
                (Some(true), None) => lost.push(format!(
                    "{name} ({:?}) was created with a 2xx and is gone",
                    t.id
                )),
                (Some(false), Some(c)) if t.deleted => {
                    lost.push(format!(
                        "{name} (campaign {}) was deleted with a 204 and is back",
                        c.id
                    ));
                }
                (Some(false), Some(c)) => {
                    lost.push(format!(
                        "{name} (campaign {}) exists, but its upload was refused or never landed",
                        c.id
                    ));
                }
                (None, found) => {
                    self.stats.unanswered_landed += usize::from(found.is_some() != t.id.is_some());
                    if t.id.is_some() && found.is_none() {
                        t.deleted = true;
                        self.stats.deleted += 1;
                    }
                    t.exists = Some(found.is_some());
                }
                _ => {}
            }
            let Some(c) = found else { continue };
            t.id = Some(c.id);
            if let (false, Some(known)) = (t.unsure, t.state)
                && !may_become(known).contains(&c.state)
            {
                lost.push(format!(
                    "{name} (campaign {}) was acknowledged {known}, and is {} after the restart",
                    c.id, c.state
                ));
            }
            t.seen(c.state, ordinal);
        }
        let names: HashMap<&str, u64> = self
            .tracked
            .iter()
            .filter_map(|t| Some((t.spec.name.as_str(), t.id?)))
            .collect();
        for c in &list.campaigns {
            if names.get(c.name.as_str()) != Some(&c.id) {
                lost.push(format!(
                    "campaign {} ({}) is none that the loop made",
                    c.id, c.name
                ));
            }
        }
        let mut views = HashMap::new();
        for (t, tracked) in self.tracked.iter().enumerate() {
            if tracked.live() {
                views.insert(t, self.view(tracked.id.unwrap()).await);
            } else if let (true, Some(v)) = (tracked.deleted, &tracked.last_view) {
                views.insert(t, v.clone());
            }
        }
        lost.extend(self.lost_webhook_acks(&self.sim.dials(), hooks, &views));
        lost.extend(self.lost_suppressions(&views).await);
        (lost, views)
    }

    /// Acknowledged suppressions that the server no longer keeps: the
    /// number is off the list, or an entry of it in a live campaign is
    /// still idle or waiting (the 2xx cancels those).
    async fn lost_suppressions(&self, views: &HashMap<usize, StatusesResponse>) -> Vec<String> {
        let mut lost = Vec::new();
        for sup in self.suppressions.iter().filter(|s| s.acked_at.is_some()) {
            let url = self.url(&format!("/suppressions?phone=%2B{}", sup.phone));
            let r = self.http.get(url).send().await.unwrap();
            assert_eq!(r.status(), 200, "checking {}", sup.phone);
            let answer: serde_json::Value = r.json().await.unwrap();
            if answer["suppressed"] != true {
                lost.push(format!(
                    "{} was suppressed with a 2xx and is off the list",
                    sup.phone
                ));
            }
            for (t, view) in views.iter().filter(|(t, _)| self.tracked[**t].live()) {
                let open = view.calls.iter().find(|c| {
                    c.phone == sup.phone && matches!(c.status, Status::Idle | Status::Waiting)
                });
                if let Some(c) = open {
                    lost.push(format!(
                        "{} was suppressed with a 2xx and is {} in {}",
                        sup.phone, c.status, self.tracked[*t].spec.name
                    ));
                }
            }
        }
        lost
    }

    /// The campaign and entry a dial was for: the campaign from its
    /// webhook token (`{id}-…`, none for campaign 1), the entry from its
    /// phone.
    fn place(&self, d: &DialRecord) -> (usize, usize) {
        let token = d.webhook_url.rsplit('/').next().unwrap();
        let id = token
            .split_once('-')
            .map_or(1, |(id, _)| id.parse::<u64>().unwrap());
        let t = self
            .tracked
            .iter()
            .position(|t| t.id == Some(id))
            .unwrap_or_else(|| panic!("a dial for campaign {id}, which the loop never made"));
        let i = self.tracked[t].index.get(&d.phone).copied();
        let i = i.unwrap_or_else(|| panic!("campaign {id} dialed {}, not in its list", d.phone));
        (t, i)
    }

    /// Acknowledged webhooks whose promise the server no longer keeps, as
    /// [`lost_acks`] judges them, for the attempt that is current: a
    /// retry starts the entry's statuses over.
    fn lost_webhook_acks(
        &self,
        dials: &[DialRecord],
        hooks: &[WebhookRecord],
        views: &HashMap<usize, StatusesResponse>,
    ) -> Vec<String> {
        let placed: Vec<(usize, usize)> = dials.iter().map(|d| self.place(d)).collect();
        let mut per_entry: HashMap<(usize, usize), Vec<usize>> = HashMap::new();
        for (n, p) in placed.iter().enumerate() {
            per_entry.entry(*p).or_default().push(n);
        }
        let mut lost = Vec::new();
        for h in hooks.iter().filter(|h| h.acked) {
            let (t, i) = placed[h.dial];
            let Some(view) = views.get(&t) else { continue };
            let entry = &view.calls[i];
            let ds = &per_entry[&(t, i)];
            if ds.last() != Some(&h.dial) || entry.attempt as usize != ds.len() {
                continue;
            }
            let promised = h.acked_status.unwrap_or(h.status.event().status());
            // `waiting`: the attempt ended and earned a retry, which an
            // acknowledged non-final status does not undercut.
            let kept = match (promised.is_final(), entry.status) {
                (true, now) => now == promised,
                (false, Status::Waiting) => true,
                (false, now) => now.rank() >= promised.rank(),
            };
            if !kept {
                lost.push(format!(
                    "{} entry {i}: acknowledged {promised}, now {}",
                    self.tracked[t].spec.name, entry.status
                ));
            }
        }
        lost
    }

    /// The rules, over the API's whole log and the server's last word on
    /// every campaign (`views`).
    fn judge(&self, dials: &[DialRecord], views: &HashMap<usize, StatusesResponse>) -> Verdict {
        let mut v = Verdict::default();
        let note = |v: &mut Verdict, what: String| {
            if v.examples.len() < 20 {
                v.examples.push(what);
            }
        };
        let placed: Vec<(usize, usize)> = dials.iter().map(|d| self.place(d)).collect();
        let mut per_entry: BTreeMap<(usize, usize), Vec<usize>> = BTreeMap::new();
        for (n, p) in placed.iter().enumerate() {
            per_entry.entry(*p).or_default().push(n);
        }
        let attempt = |t: usize, i: usize| views.get(&t).map(|v| v.calls[i].attempt as usize);
        for (&(t, i), ds) in &per_entry {
            let spec = &self.tracked[t].spec;
            let name = &spec.name;
            let attempt = attempt(t, i);
            if attempt.is_some_and(|a| ds.len() > a) {
                v.double_dials += 1;
                note(
                    &mut v,
                    format!("{name} entry {i}: {} dials, attempt {attempt:?}", ds.len()),
                );
            }
            let max = spec.max_attempts as usize;
            if ds.len() > max || attempt.is_some_and(|a| a > max) {
                v.over_attempts += 1;
                note(
                    &mut v,
                    format!(
                        "{name} entry {i}: {} dials, attempt {attempt:?}, max {max}",
                        ds.len()
                    ),
                );
            }
            let delay_ms = spec.retry_delay as f64 * 1000.0;
            for w in ds.windows(2) {
                let gap = dials[w[1]].received_ms - dials[w[0]].received_ms;
                // 5 ms: timestamps are stored to the millisecond.
                if gap + 5.0 < delay_ms {
                    v.early_retries += 1;
                    note(
                        &mut v,
                        format!("{name} entry {i}: retried {gap:.0} ms after its dial"),
                    );
                }
            }
        }
        for (t, tracked) in self.tracked.iter().enumerate() {
            let name = &tracked.spec.name;
            let mine: Vec<usize> = (0..dials.len()).filter(|&n| placed[n].0 == t).collect();
            // Fresh entries go in list order. The first dial seen of an
            // entry is its first attempt only if all its attempts reached
            // the API: one whose first dial a kill cut off comes back as a
            // retry, after later entries.
            let whole = |i: usize| attempt(t, i) == Some(per_entry[&(t, i)].len());
            let mut seen = std::collections::HashSet::new();
            let firsts: Vec<usize> = mine
                .iter()
                .map(|&n| placed[n].1)
                .filter(|&i| seen.insert(i) && whole(i))
                .collect();
            for w in firsts.windows(2).filter(|w| w[0] >= w[1]) {
                v.order_violations += 1;
                note(
                    &mut v,
                    format!("{name}: entry {} first dialed after entry {}", w[1], w[0]),
                );
            }
            if let Some(from) = tracked.stopped_from {
                let after = mine.iter().filter(|&&n| n >= from).count();
                if after > 1 {
                    v.dials_after_stop += after - 1;
                    note(
                        &mut v,
                        format!("{name}: {after} dials after its stop (dial {from})"),
                    );
                }
            }
            let mut windows = tracked.pause_windows.clone();
            windows.extend(tracked.paused_from.map(|from| from..usize::MAX));
            for w in windows {
                let inside = mine.iter().filter(|&&n| w.contains(&n)).count();
                if inside > 1 {
                    v.dials_while_paused += inside - 1;
                    note(
                        &mut v,
                        format!("{name}: {inside} dials while paused (dials {w:?})"),
                    );
                }
            }
            let never_started = tracked.exists == Some(false) && !tracked.deleted
                || tracked.state == Some(CampaignState::Draft);
            if never_started && !mine.is_empty() {
                v.draft_dials += mine.len();
                note(
                    &mut v,
                    format!("{name}: {} dials, never started", mine.len()),
                );
            }
            if let Some(view) = views.get(&t)
                && view.campaign.as_ref().is_some_and(|c| c.state.is_final())
            {
                let open = view.calls.iter().filter(|c| !c.status.is_final()).count();
                if open > 0 {
                    v.not_final += open;
                    note(
                        &mut v,
                        format!("{name}: over, with {open} entries not final"),
                    );
                }
            }
        }
        for sup in &self.suppressions {
            let Some(from) = sup.acked_at else { continue };
            let after = dials[from.min(dials.len())..]
                .iter()
                .filter(|d| d.phone == sup.phone)
                .count();
            if after > 1 {
                v.dials_after_suppression += after - 1;
                note(
                    &mut v,
                    format!(
                        "{}: {after} dials after its suppression (dial {from})",
                        sup.phone
                    ),
                );
            }
        }
        v.window_violations = dials
            .iter()
            .filter(|d| d.in_flight_before >= WINDOW)
            .count();
        if let Some(d) = dials.iter().find(|d| d.in_flight_before >= WINDOW) {
            let open: Vec<String> = dials
                .iter()
                .filter(|o| {
                    o.id.is_some()
                        && o.received_ms < d.received_ms
                        && o.final_ms.is_none_or(|f| f > d.received_ms)
                })
                .map(|o| {
                    let (c, i) = self.place(o);
                    format!("c{c}#{i} from {:.0} to {:?} ms", o.received_ms, o.final_ms)
                })
                .collect();
            let (c, i) = self.place(d);
            note(
                &mut v,
                format!(
                    "c{c}#{i} dialed at {:.0} ms with in flight: {}",
                    d.received_ms,
                    open.join(", ")
                ),
            );
        }
        v
    }

    /// Lets every running campaign finish (campaign 1 resumed, if paused,
    /// so that its whole list is judged), and waits until no call is in
    /// flight anywhere. Paused campaigns stay paused.
    async fn finish(&mut self) {
        if self.tracked[0].state == Some(CampaignState::Paused) {
            let op = Op::Act(0, Operation::Resume);
            let (req, _) = self.prepare(op).await.unwrap();
            let sent = self.sim.dials().len();
            let reply = send(self.http.clone(), self.base.clone(), self.sim.clone(), req).await;
            assert_eq!(
                reply.as_ref().map(|r| r.code),
                Some(200),
                "resume campaign 1"
            );
            self.apply(op, sent, reply, None);
        }
        let this = &*self;
        wait_for("every campaign to stop dialing", DEADLINE, || async move {
            let list = this.listing().await;
            let quiet = list
                .campaigns
                .iter()
                .all(|c| c.state != CampaignState::Running && c.active == 0);
            quiet.then_some(())
        })
        .await;
    }
}

/// An operation sent in the background, for a kill to race.
struct Racing {
    op: Op,
    sent: usize,
    view: Option<StatusesResponse>,
    handle: tokio::task::JoinHandle<Option<Reply>>,
}

/// The `kill -9` loop: campaign 1 dialing from `--numbers-file`, and
/// between kills random uploads (CSV, text, JSON; some started, some with
/// retries, some with an `Idempotency-Key` that is sent again, some with a
/// bad line), lifecycle operations on random campaigns and numbers put on
/// the do-not-call list, some of them cut off by the kill. After every
/// restart, and at the end, every 2xx is checked against what the server
/// shows; at the end, the API's log is checked against the dialing rules,
/// a suppressed number's included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loop_never_dials_twice_nor_loses_an_ack() {
    let s = scale();
    let list = numbers(s.entries);
    // A few finals dropped, so that `failed` retries happen between kills
    // too, not only after them.
    let sim = Arc::new(
        start_sim(SimConfig {
            time_scale: 0.01,
            seed: Some(11),
            drop_rate: 0.03,
            ..SimConfig::default()
        })
        .await,
    );
    let mut node = Node::start(
        &sim,
        Some(&list),
        &["--concurrency", "10", "--call-timeout", "1"],
    )
    .await;
    assert_eq!(node.start_calls().await, 202);
    let mut lp = CrashLoop::new(sim.clone(), node.server.base(), &list, 3);
    let began = std::time::Instant::now();
    let mut raced = 0;
    for k in 0..s.kills {
        for _ in 0..lp.rng.random_range(0..=3) {
            lp.step().await;
        }
        if lp.rng.random_bool(0.4) {
            let racing = lp.spawn_step().await;
            // A random moment while the operation is under way: what is
            // tested is every outcome of the race, not one order.
            let moment = Duration::from_millis(lp.rng.random_range(0..=8));
            tokio::time::sleep(moment).await;
            node.server.kill9().unwrap();
            if let Some(r) = racing {
                let reply = tokio::time::timeout(DEADLINE, r.handle)
                    .await
                    .expect("a request to a killed server ends")
                    .unwrap();
                raced += 1;
                lp.apply(r.op, r.sent, reply, r.view);
            }
        } else {
            let at = sim.dials().len() + lp.rng.random_range(2..=12);
            let (sim, lp) = (&sim, &lp);
            wait_for("dials to reach the kill point", DEADLINE, || async move {
                (sim.dials().len() >= at || !lp.any_running().await).then_some(())
            })
            .await;
            node.server.kill9().unwrap();
        }
        let hooks_at_kill = sim.webhooks();
        node.restart().await;
        lp.http = client();
        let (lost, _) = lp.check(&hooks_at_kill).await;
        assert!(
            lost.is_empty(),
            "kill {k}: acknowledged and lost: {lost:#?}"
        );
    }
    lp.finish().await;
    let (lost, views) = lp.check(&sim.webhooks()).await;
    let dials = sim.dials();
    let mut v = lp.judge(&dials, &views);
    v.lost_acks = lost.len();
    let first = &views[&0];
    let entries_dialed: std::collections::HashSet<(usize, usize)> =
        dials.iter().map(|d| lp.place(d)).collect();
    let retries = dials.len() - entries_dialed.len();
    println!(
        "crash loop: {} kills ({raced} racing an operation), {:.1} s; {} campaigns tracked, {:?}; \
         {} dials ({retries} retries); campaign 1: {} entries, {} completed, {} failed, {} canceled; {v:?}",
        s.kills,
        began.elapsed().as_secs_f64(),
        lp.tracked.len(),
        lp.stats,
        dials.len(),
        s.entries,
        first.count(Status::Completed),
        first.count(Status::Failed),
        first.count(Status::Canceled),
    );
    assert!(
        lost.is_empty(),
        "at the end: acknowledged and lost: {lost:#?}"
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

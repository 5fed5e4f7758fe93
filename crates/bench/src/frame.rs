//! Figure 7, the frame time of the TUI with a campaign selected: the whole
//! screen (header, campaigns pane, calls table, bars, footer) drawn into a
//! 200 × 50 `TestBackend`, for a 1,000,000-entry campaign and a 9-entry
//! one in the same run. A frame should cost what the screen shows, not
//! what the list holds, so the two medians should be alike.

use crate::Args;
use crate::stats::{median, percentile};
use numdialer_core::Timestamp;
use numdialer_core::api::{
    CallSummary, CampaignSummary, CampaignsResponse, LenientStatuses, StatusesResponse,
};
use numdialer_core::campaign::{CampaignState, RetryPolicy};
use numdialer_core::{DEFAULT_NUMBERS, Status};
use numdialer_tui::app::{App, Event};
use numdialer_tui::mode::Mode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const WIDTH: u16 = 200;
const HEIGHT: u16 = 50;

/// Median and p99 in ms of drawing campaign 2 of `entries` entries; with
/// `scrolling`, the selection jumps by a prime stride between frames, so
/// that a long list shows other rows in every frame (the terminal gets a
/// new table each time), else it stays put and only the ages change.
fn frame_times(entries: usize, samples: usize, scrolling: bool) -> (f64, f64) {
    let t = Instant::now();
    let mut app = App::new(
        Mode::Remote {
            url: "http://bench".into(),
        },
        true,
        Duration::from_secs(25),
        t,
    );
    app.update(Event::Resize(WIDTH, HEIGHT), t);
    let statuses: Vec<Status> = (0..entries).map(status_of).collect();
    let first = summary(1, "numbers", 9, &[Status::Completed; 9]);
    let big = summary(2, "big list", entries, &statuses);
    app.update(
        Event::Campaigns(Ok(CampaignsResponse {
            version: 1,
            campaigns: vec![first, big.clone()],
        })),
        t,
    );
    app.watching = 2;
    app.update(Event::Polled(Ok(snapshot(&big, &statuses))), t);
    assert_eq!(app.calls().len(), entries);
    let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("a test backend");
    let mut times = Vec::with_capacity(samples);
    for i in 0..samples {
        if scrolling {
            app.selected = (i * 7_919) % entries;
        }
        app.update(Event::Tick, Instant::now());
        let began = Instant::now();
        terminal
            .draw(|f| numdialer_tui::views::draw(f, &app))
            .expect("drawing into a test backend");
        times.push(began.elapsed().as_secs_f64() * 1000.0);
    }
    (median(&times), percentile(&times, 99.0))
}

/// Every kind of entry, in turn, so that each row has work to draw.
fn status_of(i: usize) -> Status {
    Status::ALL[i % Status::ALL.len()]
}

fn summary(id: u64, name: &str, total: usize, statuses: &[Status]) -> CampaignSummary {
    let mut counts: BTreeMap<String, usize> = Status::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), 0))
        .collect();
    for s in statuses {
        *counts.entry(s.as_str().to_string()).or_default() += 1;
    }
    CampaignSummary {
        id,
        name: name.into(),
        state: CampaignState::Running,
        created_at: Timestamp(0),
        started_at: Some(Timestamp(0)),
        finished_at: None,
        total,
        counts,
        outcomes: BTreeMap::new(),
        attempts: total as u64,
        active: 3,
        retry: RetryPolicy::default(),
        columns: Vec::new(),
        version: 1,
        calling: Default::default(),
        answers: Default::default(),
    }
}

fn snapshot(c: &CampaignSummary, statuses: &[Status]) -> LenientStatuses {
    let calls = statuses
        .iter()
        .enumerate()
        .map(|(index, &status)| CallSummary {
            index,
            phone: DEFAULT_NUMBERS[index % DEFAULT_NUMBERS.len()].to_string(),
            status: status.into(),
            id: (status != Status::Idle).then(|| (1_000 + index as u64).into()),
            updated_at: (status != Status::Idle).then_some(Timestamp(1_000)),
            reason: None,
            attempt: u32::from(status != Status::Idle),
            answered: status == Status::Completed,
            outcome: None,
            retry_at: None,
            name: None,
            timezones: Vec::new(),
            held: false,
            answered_by: None,
            answered_by_raw: None,
            detection_ms: None,
            voicemail_left: false,
        })
        .collect();
    StatusesResponse {
        version: 1,
        started: true,
        finished: false,
        concurrency: 3,
        active: 3,
        now: Timestamp(2_000),
        since: None,
        degraded: None,
        max_cps: None,
        campaign: Some(c.clone()),
        before_restart: None,
        dialer_unreachable: None,
        events_failing: None,
        real_provider: false,
        calls,
    }
}

pub fn frame_time(args: &Args) {
    println!("## 7. TUI frame time, {WIDTH} × {HEIGHT}, a campaign selected\n");
    println!("| campaign (selection moving) | frames | median | p99 |\n|---|---|---|---|");
    // 1,000 entries fill the table as a million do, where 9 leave most
    // of it empty: set beside both, the million's frame shows whether its
    // cost follows the rows on screen or the list.
    let mut medians = Vec::new();
    for entries in [1_000_000, 9, 1_000] {
        let (m, p99) = frame_times(entries, args.samples, true);
        medians.push(m);
        println!(
            "| {entries} entries | {} | {m:.3} ms | {p99:.3} ms |",
            args.samples
        );
    }
    let (still, _) = frame_times(1_000_000, args.samples, false);
    println!(
        "\n1,000,000 ÷ 9 entries, medians: {:.2}×; 1,000,000 ÷ 1,000: {:.2}×. \
         With the selection still, 1,000,000 entries: {still:.3} ms.\n",
        medians[0] / medians[1],
        medians[0] / medians[2]
    );
}

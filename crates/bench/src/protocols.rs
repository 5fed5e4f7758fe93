//! The dial-down through each protocol's simulator (`--only dialdown`,
//! `--protocol numdialer,twilio`): the same list, dialed once through the
//! numDialer simulator and once through the Twilio one, judged from the
//! simulator's own log.
//!
//! Apart from figures.rs, whose figures time a dialer API of the bench's
//! own: this one runs the simulators a user runs, so it prices what a
//! protocol adds to a dial-down (Twilio's form bodies, Basic auth, a
//! signature checked on every callback, four callbacks a call instead of
//! three) against the same in-order schedule.

use crate::Args;
use crate::figures::ideal_makespan;
use crate::server::Server;
use crate::stats::{median, percentile};
use numdialer_core::api::StatusesResponse;
use numdialer_server::provider::simulator::twilio::{TwilioSimConfig, TwilioSimulator};
use numdialer_server::provider::simulator::{SimConfig, Simulator};
use std::time::{Duration, Instant};

/// The dialer protocols the dial-down runs through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Protocol {
    Numdialer,
    Twilio,
}

/// Lines of the dial-down.
const LINES: usize = 10;

/// The simulators' time scale: each callback within 50 ms of the one
/// before, so that a call lasts 75 ms (numDialer) to 100 ms (Twilio) on
/// average and the server's own costs show.
const TIME_SCALE: f64 = 0.01;

/// The Twilio account both sides use.
const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "bench-auth-token";

/// One call as the simulator logged it, in milliseconds of its clock.
struct Logged {
    received_ms: f64,
    final_ms: Option<f64>,
}

/// Either simulator's log, as (received, final) times.
fn logged(dials: impl Iterator<Item = (f64, Option<f64>)>) -> Vec<Logged> {
    dials
        .map(|(received_ms, final_ms)| Logged {
            received_ms,
            final_ms,
        })
        .collect()
}

pub async fn dialdown(args: &Args) -> anyhow::Result<()> {
    println!(
        "## 7. Dial-down through each protocol's simulator, {} entries, W = {LINES}, time scale {TIME_SCALE}\n",
        args.sim_entries
    );
    println!(
        "| protocol | makespan | ideal (actual durations) | ratio | refill median | refill p99 |\n|---|---|---|---|---|---|"
    );
    for &protocol in &args.protocol {
        let log = match protocol {
            Protocol::Numdialer => through_numdialer(args.sim_entries).await?,
            Protocol::Twilio => through_twilio(args.sim_entries).await?,
        };
        anyhow::ensure!(
            log.len() == args.sim_entries && log.iter().all(|l| l.final_ms.is_some()),
            "{protocol:?}: {} dials logged for {} entries, or a call without its final callback",
            log.len(),
            args.sim_entries
        );
        let first = log[0].received_ms;
        let last = log.iter().filter_map(|l| l.final_ms).fold(first, f64::max);
        let durations: Vec<Duration> = log
            .iter()
            .map(|l| {
                Duration::from_secs_f64(
                    (l.final_ms.unwrap_or(l.received_ms) - l.received_ms) / 1000.0,
                )
            })
            .collect();
        let measured = (last - first) / 1000.0;
        let ideal = ideal_makespan(&durations, LINES).as_secs_f64();
        let gaps = refill_gaps(&log, LINES);
        println!(
            "| {} | {measured:.2} s | {ideal:.2} s | {:.4} | {:.3} ms | {:.3} ms |",
            match protocol {
                Protocol::Numdialer => "numDialer (JSON, 3 webhooks a call)",
                Protocol::Twilio =>
                    "Twilio (form + Basic auth, 4 signed callbacks a call, `--max-cps 0`)",
            },
            measured / ideal,
            median(&gaps),
            percentile(&gaps, 99.0)
        );
    }
    println!();
    Ok(())
}

async fn through_numdialer(entries: usize) -> anyhow::Result<Vec<Logged>> {
    let config = SimConfig {
        time_scale: TIME_SCALE,
        seed: Some(7),
        ..SimConfig::default()
    };
    let sim = Simulator::start(config, tokio::net::TcpListener::bind("127.0.0.1:0").await?).await?;
    let server = Server::spawn(&sim.url(), entries, LINES, &[]).await?;
    dial_down(&server).await?;
    Ok(logged(
        sim.dials().into_iter().map(|d| (d.received_ms, d.final_ms)),
    ))
}

/// Every call answered and completed, as through the numDialer simulator,
/// and no cap on dials a second: the protocol's cost, not Twilio's pace.
async fn through_twilio(entries: usize) -> anyhow::Result<Vec<Logged>> {
    let config = TwilioSimConfig {
        account_sid: SID.into(),
        auth_token: TOKEN.into(),
        time_scale: TIME_SCALE,
        seed: Some(7),
        ..TwilioSimConfig::default()
    };
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let sim = TwilioSimulator::start(config, l).await?;
    let extra = [
        "--dialer",
        "twilio",
        "--twilio-account-sid",
        SID,
        "--twilio-auth-token",
        TOKEN,
        "--from",
        "+15005550006",
        "--max-cps",
        "0",
    ];
    let server = Server::spawn(&sim.url(), entries, LINES, &extra).await?;
    dial_down(&server).await?;
    Ok(logged(
        sim.dials().into_iter().map(|d| (d.received_ms, d.final_ms)),
    ))
}

/// Starts the list and returns once every entry is final.
async fn dial_down(server: &Server) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let r = http.post(format!("{}/calls", server.base())).send().await?;
    anyhow::ensure!(
        r.status().as_u16() == 202,
        "POST /calls answered {}",
        r.status()
    );
    let until = Instant::now() + Duration::from_secs(3600);
    loop {
        let s: StatusesResponse = http
            .get(format!("{}/statuses?since=0", server.base()))
            .send()
            .await?
            .json()
            .await?;
        if s.finished {
            return Ok(());
        }
        anyhow::ensure!(Instant::now() < until, "the dial-down did not finish");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Milliseconds from a line freeing (the final callback leaving the
/// simulator) to the next dial arriving, for the dials that waited on a
/// free line rather than on the previous dial's answer.
fn refill_gaps(log: &[Logged], lines: usize) -> Vec<f64> {
    let mut finals: Vec<f64> = log.iter().take(lines).filter_map(|l| l.final_ms).collect();
    finals.sort_by(f64::total_cmp);
    let mut gaps = Vec::new();
    for j in lines..log.len() {
        // `finals` holds the finals of the calls dialed before j, in
        // order: the (j - lines)th is when j's line freed.
        if let Some(&freed) = finals.get(j - lines)
            && freed > log[j - 1].received_ms
        {
            gaps.push(log[j].received_ms - freed);
        }
        if let Some(f) = log[j].final_ms {
            finals.insert(finals.partition_point(|&x| x < f), f);
        }
    }
    gaps
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two lines: the third dial waits for the first final, the fourth for
    /// the second; a dial that came before its line freed is no refill.
    #[test]
    fn refills_are_timed_from_the_line_freeing() {
        let log = |v: &[(f64, f64)]| -> Vec<Logged> {
            v.iter()
                .map(|&(r, f)| Logged {
                    received_ms: r,
                    final_ms: Some(f),
                })
                .collect()
        };
        let gaps = refill_gaps(
            &log(&[(0.0, 10.0), (1.0, 20.0), (10.5, 30.0), (20.25, 40.0)]),
            2,
        );
        assert_eq!(gaps, [0.5, 0.25]);
        let early = refill_gaps(&log(&[(0.0, 10.0), (11.0, 20.0), (12.0, 30.0)]), 2);
        assert!(early.is_empty(), "{early:?}");
    }
}

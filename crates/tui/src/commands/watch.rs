//! `numdialer watch ID`: follows a campaign until it is over (done or
//! stopped) and every entry of it is final, then prints its final counts
//! and exits 0. A stopped campaign's calls in flight end after the stop:
//! `watch && export` must export their outcomes, not their ringing. A
//! draft is waited for, and said to be waiting for `start`.
//!
//! On a terminal it draws a live bar. Piped (a log file, cron mail) it
//! prints one progress line per change, at most one a second ([`Limiter`]):
//! a fast campaign changes many times a second, and a log of every change
//! would bury the counts. A change held back is printed once its second
//! has passed, so that the last line is never stale for long, and the
//! final counts are always the last line, whatever the pace.
//!
//! It long-polls `GET /campaigns` (small summaries, never the entries).
//! Once it has had one answer, a server that goes away for a while (a
//! restart) is waited for, and said on stderr; only an answer that refuses
//! (a token, a deleted campaign) ends it early.

use super::{Target, json_line, print, show};
use crate::client::{Client, ClientError, Retry};
use crate::words;
use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use numdialer_core::Status;
use numdialer_core::api::{CampaignSummary, CampaignsResponse};
use numdialer_core::campaign::CampaignState;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

pub const EXAMPLES: &str = "\
On a terminal, a live bar. Piped or redirected, one line per change, at
most one a second, ending with the final counts:
  campaign 3 running: 120/1000 final · answered 80 · no answer 30 · failed 10 · canceled 0

Examples:
  numdialer watch 3
  numdialer add leads.csv --start --json | jq .id | xargs numdialer watch > dial.log
  numdialer watch 3 --json | jq -c '{state, outcomes}'";

/// The fastest a piped watch prints.
pub const LINE_GAP: Duration = Duration::from_secs(1);

/// How long the server may hold one poll.
const WAIT: Duration = Duration::from_secs(25);

/// The least time between two polls: a campaign that changes all the time
/// would otherwise be asked about as fast as the network allows, for a
/// display that shows a few changes a second.
const PACE: Duration = Duration::from_millis(250);

/// The longest pause before asking an unreachable server again.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The campaign's id (see `numdialer campaigns`).
    pub id: u64,
    /// Print the server's JSON (the campaign's summary), one line per
    /// change, instead of the bar or the progress lines.
    #[arg(long)]
    pub json: bool,
}

/// At most one line per `gap`, and only lines that differ from the last.
#[derive(Debug)]
pub struct Limiter {
    gap: Duration,
    last_at: Option<Instant>,
    last_line: Option<String>,
    /// The newest line held back, printed once its gap has passed.
    held: Option<String>,
}

impl Limiter {
    pub fn new(gap: Duration) -> Limiter {
        Limiter {
            gap,
            last_at: None,
            last_line: None,
            held: None,
        }
    }

    /// A new line at `now`: returned when it may be printed now, held
    /// (in place of any line held before) when the last one is too recent,
    /// dropped when it says what the last one said.
    pub fn offer(&mut self, line: String, now: Instant) -> Option<String> {
        if self.last_line.as_ref() == Some(&line) {
            self.held = None;
            return None;
        }
        match self.last_at {
            Some(t) if now < t + self.gap => {
                self.held = Some(line);
                None
            }
            _ => Some(self.printed(line, now)),
        }
    }

    /// When the held line may be printed.
    pub fn due(&self) -> Option<Instant> {
        self.held.as_ref()?;
        Some(self.last_at? + self.gap)
    }

    /// The held line, if its time has come.
    pub fn take_due(&mut self, now: Instant) -> Option<String> {
        if self.due()? > now {
            return None;
        }
        let line = self.held.take()?;
        Some(self.printed(line, now))
    }

    /// The last line of all, printed at once whatever the pace, unless the
    /// line printed last already said it.
    pub fn last(&mut self, line: String, now: Instant) -> Option<String> {
        self.held = None;
        if self.last_line.as_ref() == Some(&line) {
            return None;
        }
        Some(self.printed(line, now))
    }

    fn printed(&mut self, line: String, now: Instant) -> String {
        self.held = None;
        self.last_at = Some(now);
        self.last_line = Some(line.clone());
        line
    }
}

/// What the user sees: a bar on a terminal, lines otherwise.
enum View {
    Bar(ProgressBar),
    Lines { json: bool, limiter: Limiter },
}

impl View {
    fn new(json: bool, terminal: bool, c: &CampaignSummary) -> View {
        if json || !terminal {
            return View::Lines {
                json,
                limiter: Limiter::new(LINE_GAP),
            };
        }
        let bar = ProgressBar::with_draw_target(Some(c.total as u64), ProgressDrawTarget::stdout());
        bar.set_style(
            // Two lines: the counts alone are 50 columns wide.
            ProgressStyle::with_template("{prefix} [{wide_bar}] {pos}/{len} final\n{msg}")
                .expect("a valid template")
                .progress_chars("=> "),
        );
        View::Bar(bar)
    }

    fn line(json: bool, c: &CampaignSummary) -> String {
        if json {
            json_line(c)
        } else {
            format!("{}\n", show::progress_line(c))
        }
    }

    fn show(&mut self, c: &CampaignSummary, now: Instant) -> anyhow::Result<()> {
        match self {
            View::Bar(bar) => {
                bar.set_prefix(format!("campaign {} {}", c.id, c.state));
                bar.set_length(c.total as u64);
                bar.set_position(c.finished() as u64);
                bar.set_message(words::outcomes(c));
                Ok(())
            }
            View::Lines { json, limiter } => match limiter.offer(Self::line(*json, c), now) {
                Some(line) => print(&line),
                None => Ok(()),
            },
        }
    }

    fn due(&self) -> Option<Instant> {
        match self {
            View::Bar(_) => None,
            View::Lines { limiter, .. } => limiter.due(),
        }
    }

    fn show_due(&mut self, now: Instant) -> anyhow::Result<()> {
        match self {
            View::Lines { limiter, .. } => match limiter.take_due(now) {
                Some(line) => print(&line),
                None => Ok(()),
            },
            View::Bar(_) => Ok(()),
        }
    }

    /// The final counts, as the last line in every mode.
    fn finish(self, c: &CampaignSummary) -> anyhow::Result<()> {
        match self {
            View::Bar(bar) => {
                bar.finish_and_clear();
                print(&Self::line(false, c))
            }
            View::Lines { json, mut limiter } => {
                match limiter.last(Self::line(json, c), Instant::now()) {
                    Some(line) => print(&line),
                    None => Ok(()),
                }
            }
        }
    }

    /// A word on stderr, around the bar so that it is not torn.
    fn note(&self, text: &str) {
        match self {
            View::Bar(bar) => bar.suspend(|| eprintln!("numdialer: {text}")),
            View::Lines { .. } => eprintln!("numdialer: {text}"),
        }
    }
}

/// The campaign was deleted while watched.
#[derive(Debug, thiserror::Error)]
#[error("campaign {0} was deleted while being watched")]
pub struct Deleted(pub u64);

pub async fn run(args: Args, target: &Target) -> anyhow::Result<()> {
    let id = args.id;
    let context = || format!("cannot watch campaign {id} on {}", target.url);
    let first = target.client.campaign(id).await.with_context(context)?;
    let mut view = View::new(args.json, std::io::stdout().is_terminal(), &first);
    if over(&first) {
        return view.finish(&first);
    }
    if first.state == CampaignState::Draft {
        view.note(&format!(
            "campaign {id} is a draft: waiting for it to start (numdialer start {id})"
        ));
    }
    view.show(&first, Instant::now())?;
    let client = &target.client;
    let mut known = None;
    let mut delay = Duration::ZERO;
    let mut failing: Option<String> = None;
    let mut poll = Box::pin(next(client, known, delay));
    loop {
        let due = view.due();
        let wake = async {
            match due {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            answer = &mut poll => {
                match answer {
                    Ok(Some(list)) => {
                        if failing.take().is_some() {
                            view.note("the server answers again");
                        }
                        known = Some(list.version);
                        delay = PACE;
                        let Some(c) = find(list, id) else {
                            return Err(Deleted(id)).with_context(context);
                        };
                        if over(&c) {
                            return view.finish(&c);
                        }
                        view.show(&c, Instant::now())?;
                    }
                    Ok(None) => delay = Duration::ZERO,
                    Err(e) if e.retry() == Retry::Backoff => {
                        known = None;
                        delay = (delay * 2).clamp(PACE, MAX_BACKOFF);
                        let text = e.to_string();
                        if failing.as_ref() != Some(&text) {
                            view.note(&format!("{text}; asking again"));
                            failing = Some(text);
                        }
                    }
                    Err(e) => return Err(e).with_context(context),
                }
                poll = Box::pin(next(client, known, delay));
            }
            () = wake => view.show_due(Instant::now())?,
        }
    }
}

/// The next poll, after `pause`.
async fn next(
    client: &Client,
    known: Option<u64>,
    pause: Duration,
) -> Result<Option<CampaignsResponse>, ClientError> {
    if !pause.is_zero() {
        tokio::time::sleep(pause).await;
    }
    client.poll_campaigns(known, WAIT).await
}

/// Whether nothing of `c` will change any more: it dials nobody new, and
/// no entry is in a status that is not final (a call in flight after a
/// stop, a retry due). An entry in a status this build does not know is
/// taken for final, as the server's own "done" did.
pub fn over(c: &CampaignSummary) -> bool {
    c.state.is_final()
        && Status::ALL
            .into_iter()
            .filter(|s| !s.is_final())
            .all(|s| c.count(s) == 0)
}

fn find(list: CampaignsResponse, id: u64) -> Option<CampaignSummary> {
    list.campaigns.into_iter().find(|c| c.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(n: usize) -> String {
        format!("campaign 1 running: {n}/9 final")
    }

    #[test]
    fn one_line_a_second_and_the_newest_held() {
        let t = Instant::now();
        let ms = |n| t + Duration::from_millis(n);
        let mut l = Limiter::new(LINE_GAP);
        assert_eq!(l.offer(line(1), t), Some(line(1)));
        assert_eq!(l.due(), None);
        assert_eq!(l.offer(line(2), ms(100)), None);
        assert_eq!(l.offer(line(3), ms(200)), None, "held, replacing 2");
        assert_eq!(l.due(), Some(ms(1000)));
        assert_eq!(l.take_due(ms(999)), None);
        assert_eq!(l.take_due(ms(1000)), Some(line(3)));
        assert_eq!(l.due(), None);
        assert_eq!(l.offer(line(4), ms(1500)), None);
        assert_eq!(
            l.offer(line(5), ms(2000)),
            Some(line(5)),
            "a second after 3"
        );
        assert_eq!(l.due(), None, "5 replaced the held 4");
    }

    #[test]
    fn a_stopped_campaign_is_over_once_its_calls_in_flight_end() {
        use crate::commands::show::tests::summary;
        let mut c = summary(2, "leads", CampaignState::Stopped, 4, [1, 0, 0, 2]);
        c.counts.insert("idle".into(), 0);
        c.counts.insert("ringing".into(), 1);
        assert!(!over(&c), "a call still ringing");
        c.counts.insert("ringing".into(), 0);
        c.counts.insert("completed".into(), 2);
        assert!(over(&c));
        let draft = summary(3, "new", CampaignState::Draft, 4, [0, 0, 0, 0]);
        assert!(!over(&draft));
    }

    #[test]
    fn only_changes_are_printed() {
        let t = Instant::now();
        let mut l = Limiter::new(LINE_GAP);
        assert_eq!(l.offer(line(1), t), Some(line(1)));
        let later = t + Duration::from_secs(5);
        assert_eq!(l.offer(line(1), later), None);
        assert_eq!(l.offer(line(2), t + Duration::from_millis(10)), None);
        assert_eq!(l.offer(line(1), t + Duration::from_millis(20)), None);
        assert_eq!(l.due(), None, "back to what was printed: nothing held");
    }

    #[test]
    fn the_last_line_is_printed_at_once_and_once() {
        let t = Instant::now();
        let mut l = Limiter::new(LINE_GAP);
        assert_eq!(l.offer(line(8), t), Some(line(8)));
        assert_eq!(l.offer(line(9), t), None);
        assert_eq!(l.last(line(9), t), Some(line(9)));
        assert_eq!(l.due(), None);
        assert_eq!(l.last(line(9), t), None, "already the last line printed");
    }
}

//! `numdialer <command>`: the campaign commands for scripts and cron, one
//! module per command or small group, all speaking to a running
//! numdialer-server through the same [`Client`] as the TUI.
//!
//! - [`list`]: `campaigns [ID]`;
//! - [`add`]: `add FILE`, an import streamed with its progress shown;
//! - [`lifecycle`]: `start`, `pause`, `resume`, `stop`, `delete`;
//! - [`export`]: `export ID [-o FILE]`;
//! - [`watch`]: `watch ID`, a live bar or rate-limited lines until the
//!   campaign is over;
//! - [`dnc`]: `dnc add|remove|import|export|check|log`, the do-not-call
//!   lists;
//! - [`webhooks`]: `webhooks add|list|remove|rotate|deliveries|replay`,
//!   where the server's events go;
//! - [`show`]: how a campaign reads as text for scripts, shared by all of
//!   them (with [`crate::words`], the words they share with the screen).
//!
//! Exit codes (see [`crate::failure`]): 0 success, 1 the server refused
//! (its `error` on stderr), 2 bad usage or input, 3 the server could not
//! be reached. `--json` prints the server's answer as JSON, one document
//! a line.

pub mod add;
pub mod dnc;
pub mod export;
pub mod lifecycle;
pub mod list;
pub mod show;
pub mod watch;
pub mod webhooks;

use crate::client::Client;
use clap::Subcommand;
use numdialer_core::Secret;
use numdialer_core::campaign::Operation;
use std::io::Write;

/// The server a subcommand asks when neither --server nor NUMDIALER_SERVER
/// names one: numdialer-server's own default address, so that a cron job
/// on the server's machine needs no flag. (The TUI starts an embedded
/// server instead; a command for scripts must not, since it would dial
/// from a store nobody else sees.)
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:3000";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the campaigns (or show one): state, progress and outcomes.
    #[command(after_help = list::EXAMPLES)]
    Campaigns(list::Args),
    /// Import a list of numbers as a new campaign (a draft, unless --start).
    #[command(after_help = add::EXAMPLES)]
    // Boxed: its flags make it much the largest command.
    Add(Box<add::Args>),
    /// Start dialing a draft campaign.
    #[command(after_help = lifecycle::START_EXAMPLES)]
    Start(lifecycle::Args),
    /// Pause a running campaign: no new dials; calls in flight finish.
    #[command(after_help = lifecycle::PAUSE_EXAMPLES)]
    Pause(lifecycle::Args),
    /// Resume a paused campaign.
    #[command(after_help = lifecycle::RESUME_EXAMPLES)]
    Resume(lifecycle::Args),
    /// Stop a campaign for good: entries not yet dialed are canceled;
    /// calls in flight finish.
    #[command(after_help = lifecycle::STOP_EXAMPLES)]
    Stop(lifecycle::Args),
    /// Delete a campaign that is a draft, done or stopped.
    #[command(after_help = lifecycle::DELETE_EXAMPLES)]
    Delete(lifecycle::DeleteArgs),
    /// Write a campaign's entries, statuses and outcomes as CSV.
    #[command(after_help = export::EXAMPLES)]
    Export(export::Args),
    /// Follow a campaign's progress until it is done or stopped.
    #[command(after_help = watch::EXAMPLES)]
    Watch(watch::Args),
    /// Do-not-call lists: numbers never dialed again.
    #[command(after_help = dnc::EXAMPLES)]
    Dnc(dnc::Args),
    /// Webhook endpoints: where campaign and call events are sent.
    #[command(after_help = webhooks::EXAMPLES)]
    Webhooks(webhooks::Args),
}

/// The server a command speaks to, named in its messages.
#[derive(Debug, Clone)]
pub struct Target {
    pub client: Client,
    pub url: String,
}

impl Target {
    pub fn new(server: Option<String>, token: Option<Secret>) -> Target {
        let url = server.unwrap_or_else(|| DEFAULT_SERVER.to_string());
        Target {
            client: Client::new(&url, token),
            url,
        }
    }
}

/// Runs one command against `target`.
pub async fn run(command: Command, target: &Target) -> anyhow::Result<()> {
    match command {
        Command::Campaigns(a) => list::run(a, target).await,
        Command::Add(a) => add::run(*a, target).await,
        Command::Start(a) => lifecycle::run(Operation::Start, a, target).await,
        Command::Pause(a) => lifecycle::run(Operation::Pause, a, target).await,
        Command::Resume(a) => lifecycle::run(Operation::Resume, a, target).await,
        Command::Stop(a) => lifecycle::run(Operation::Stop, a, target).await,
        Command::Delete(a) => lifecycle::delete(a, target).await,
        Command::Export(a) => export::run(a, target).await,
        Command::Watch(a) => watch::run(a, target).await,
        Command::Dnc(a) => dnc::run(a, target).await,
        Command::Webhooks(a) => webhooks::run(a, target).await,
    }
}

/// Writes `text` to stdout. A reader that went away (`| head`) is not a
/// failure of this command: what it asked for was done.
pub fn print(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow::Error::new(e).context("cannot write to the standard output"))
        }
        _ => Ok(()),
    }
}

/// `value` as one line of JSON, for `--json`.
pub fn json_line<T: serde::Serialize>(value: &T) -> String {
    let mut s = serde_json::to_string(value).expect("API values serialise");
    s.push('\n');
    s
}

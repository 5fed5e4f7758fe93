//! `numdialer start|pause|resume|stop|delete ID`: a campaign's lifecycle,
//! `draft` → `running` ⇄ `paused` → `done`, or `stopped` by the operator.
//! The server decides what is allowed; a refusal (409) exits 1 with its
//! words, and repeating what a campaign already does succeeds.

use super::{Target, json_line, print, show};
use anyhow::Context;
use numdialer_core::campaign::Operation;

pub const START_EXAMPLES: &str = "\
Examples:
  numdialer start 3
  numdialer add leads.csv --json | jq .id | xargs numdialer start";

pub const PAUSE_EXAMPLES: &str = "\
Examples:
  numdialer pause 3          # calls in flight finish; nobody new is dialed
  numdialer resume 3";

pub const RESUME_EXAMPLES: &str = "\
Examples:
  numdialer resume 3";

pub const STOP_EXAMPLES: &str = "\
Stopping cannot be undone: the entries not dialed yet become canceled.

Examples:
  numdialer stop 3
  numdialer stop 3 --json | jq '.outcomes.canceled'";

pub const DELETE_EXAMPLES: &str = "\
A running or paused campaign cannot be deleted: stop it first. Export it
first to keep its results.

Examples:
  numdialer export 3 -o results.csv && numdialer delete 3";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The campaign's id (see `numdialer campaigns`).
    pub id: u64,
    /// Print the server's JSON (the campaign's summary) instead of a line.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct DeleteArgs {
    /// The campaign's id (see `numdialer campaigns`).
    pub id: u64,
    /// Print `{"id":N,"deleted":true}` instead of a line, as the other
    /// commands print JSON for scripts.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(op: Operation, args: Args, target: &Target) -> anyhow::Result<()> {
    let c = target
        .client
        .campaign_op(args.id, op)
        .await
        .with_context(|| format!("cannot {op} campaign {} on {}", args.id, target.url))?;
    print(&if args.json {
        json_line(&c)
    } else {
        format!("{}\n", show::progress_line(&c))
    })
}

pub async fn delete(args: DeleteArgs, target: &Target) -> anyhow::Result<()> {
    target
        .client
        .delete_campaign(args.id)
        .await
        .with_context(|| format!("cannot delete campaign {} on {}", args.id, target.url))?;
    print(&if args.json {
        json_line(&serde_json::json!({ "id": args.id, "deleted": true }))
    } else {
        format!("deleted campaign {}\n", args.id)
    })
}

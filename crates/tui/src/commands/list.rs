//! `numdialer campaigns [ID]`: every campaign as a table, or one as its
//! progress line.

use super::{Target, json_line, print, show};
use anyhow::Context;

pub const EXAMPLES: &str = "\
Examples:
  numdialer campaigns
  numdialer campaigns 3 --json | jq .outcomes
  numdialer --server https://dialer.example.com --token \"$TOKEN\" campaigns";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Show only this campaign.
    pub id: Option<u64>,
    /// Print the server's JSON instead of the table.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(args: Args, target: &Target) -> anyhow::Result<()> {
    match args.id {
        Some(id) => {
            let c = target
                .client
                .campaign(id)
                .await
                .with_context(|| format!("cannot get campaign {id} from {}", target.url))?;
            print(&if args.json {
                json_line(&c)
            } else {
                format!("{}\n", show::progress_line(&c))
            })
        }
        None => {
            let list = target
                .client
                .campaigns()
                .await
                .with_context(|| format!("cannot list the campaigns of {}", target.url))?;
            print(&if args.json {
                json_line(&list)
            } else {
                show::table(&list.campaigns)
            })
        }
    }
}

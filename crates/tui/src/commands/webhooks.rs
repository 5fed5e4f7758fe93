//! `numdialer webhooks add|list|remove|rotate|deliveries|replay`: where
//! numdialer sends its events (a campaign's start and end, each call's
//! outcome, the do-not-call lists' changes), from a shell.

use super::{Target, json_line, print};
use crate::client::webhooks::NewEndpoint;
use anyhow::Context;
use clap::Subcommand;
use numdialer_core::api::{WebhookDelivery, WebhookEndpoint};

pub const EXAMPLES: &str = "\
Examples:
  numdialer webhooks add https://crm.example.com/numdialer --events call.completed,campaign.done
  numdialer webhooks list
  numdialer webhooks rotate 7                  # the old secret still signs for 24 h
  numdialer webhooks deliveries 7 --failed
  numdialer webhooks replay 7 1043
  numdialer webhooks remove 7";

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Webhooks,
}

#[derive(Debug, Subcommand)]
pub enum Webhooks {
    /// Send events to a URL; prints its signing secret, shown only now.
    Add(AddArgs),
    /// List the endpoints (never their secrets).
    List(JsonArg),
    /// Stop sending to an endpoint; what it was still owed is dropped.
    Remove(IdArgs),
    /// Give an endpoint a new secret; the old one signs beside it for 24 h.
    Rotate(IdArgs),
    /// List the events owed to an endpoint, or those that failed.
    Deliveries(DeliveriesArgs),
    /// Send a failed delivery again, with its id and body unchanged.
    Replay(ReplayArgs),
}

#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// An http or https URL.
    pub url: String,
    /// Event types, comma-separated: campaign.started, campaign.paused,
    /// campaign.resumed, campaign.stopped, campaign.done, call.completed,
    /// suppression.created, suppression.removed.
    #[arg(long, value_delimiter = ',', required = true)]
    pub events: Vec<String>,
    #[arg(long, default_value = "")]
    pub description: String,
    /// A secret of your own (`whsec_` and the base64 of 24 to 64 bytes)
    /// instead of a generated one.
    #[arg(long, env = "NUMDIALER_WEBHOOK_SECRET", hide_env_values = true)]
    pub secret: Option<String>,
    /// Print the server's JSON instead of lines.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct JsonArg {
    /// Print the server's JSON instead of lines.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct IdArgs {
    /// The endpoint's id (`numdialer webhooks list`).
    pub id: u64,
    /// Print the server's JSON instead of a line.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct DeliveriesArgs {
    /// The endpoint's id.
    pub id: u64,
    /// Only the deliveries whose tries are spent.
    #[arg(long)]
    pub failed: bool,
    /// Print the server's JSON instead of lines.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// The endpoint's id.
    pub id: u64,
    /// The delivery's id (`numdialer webhooks deliveries ID --failed`).
    pub delivery: u64,
    /// Print the server's JSON instead of a line.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(args: Args, target: &Target) -> anyhow::Result<()> {
    let client = &target.client;
    let on = || format!("on {}", target.url);
    match args.command {
        Webhooks::Add(a) => {
            let new = NewEndpoint {
                url: a.url.clone(),
                events: a.events,
                description: a.description,
                secret: a.secret,
            };
            let e = client
                .add_endpoint(&new)
                .await
                .with_context(|| format!("cannot add {} {}", a.url, on()))?;
            print(&if a.json {
                json_line(&e)
            } else {
                format!(
                    "{}secret: {} (shown only now: keep it where the receiver reads it)\n",
                    line(&e),
                    e.secret.as_deref().unwrap_or_default()
                )
            })
        }
        Webhooks::List(a) => {
            let list = client
                .endpoints()
                .await
                .with_context(|| format!("cannot list the webhook endpoints {}", on()))?;
            print(&if a.json {
                json_line(&list)
            } else if list.endpoints.is_empty() {
                "no webhook endpoints\n".to_string()
            } else {
                list.endpoints.iter().map(line).collect()
            })
        }
        Webhooks::Remove(a) => {
            client
                .remove_endpoint(a.id)
                .await
                .with_context(|| format!("cannot remove webhook endpoint {} {}", a.id, on()))?;
            print(&if a.json {
                json_line(&serde_json::json!({"removed": a.id}))
            } else {
                format!("webhook endpoint {} removed\n", a.id)
            })
        }
        Webhooks::Rotate(a) => {
            let e = client
                .rotate_endpoint(a.id)
                .await
                .with_context(|| format!("cannot rotate webhook endpoint {} {}", a.id, on()))?;
            print(&if a.json {
                json_line(&e)
            } else {
                format!(
                    "new secret: {} (the old one also signs until {})\n",
                    e.secret.as_deref().unwrap_or_default(),
                    e.previous_secret_until
                        .map(|t| t.to_string())
                        .unwrap_or_default()
                )
            })
        }
        Webhooks::Deliveries(a) => {
            let d = client
                .deliveries(a.id, a.failed)
                .await
                .with_context(|| format!("cannot list the deliveries of {} {}", a.id, on()))?;
            print(&if a.json {
                json_line(&d)
            } else if d.deliveries.is_empty() {
                "none\n".to_string()
            } else {
                d.deliveries.iter().map(delivery_line).collect()
            })
        }
        Webhooks::Replay(a) => {
            let d = client
                .replay(a.id, a.delivery)
                .await
                .with_context(|| format!("cannot replay delivery {} {}", a.delivery, on()))?;
            print(&if a.json {
                json_line(&d)
            } else {
                format!("delivery {} ({}) is sent again\n", d.id, d.webhook_id)
            })
        }
    }
}

/// `7 https://crm.example.com/hook call.completed,campaign.done "CRM"`.
fn line(e: &WebhookEndpoint) -> String {
    let mut l = format!("{} {} {}", e.id, e.url, e.events.join(","));
    if !e.description.is_empty() {
        l.push_str(&format!(" {:?}", e.description));
    }
    if let Some(why) = &e.disabled {
        l.push_str(&format!(" (disabled: {why})"));
    }
    l.push('\n');
    l
}

/// `1043 msg_1042 call.completed failed 8 tries: HTTP 500`.
fn delivery_line(d: &WebhookDelivery) -> String {
    let mut l = format!(
        "{} {} {} {} {} tries",
        d.id, d.webhook_id, d.kind, d.state, d.tries
    );
    if let Some(e) = &d.last_error {
        l.push_str(&format!(": {e}"));
    }
    if let Some(at) = d.next_at {
        l.push_str(&format!(" (next {at})"));
    }
    l.push('\n');
    l
}

//! `numdialer dnc add|remove|import|export|check|log`: the do-not-call
//! lists from a shell. A number added is durable once the command returns
//! 0, and from then on no dial of it begins; its waiting and not yet
//! dialed entries are canceled at once.

use super::export::{part_path, to_file, to_stdout};
use super::{Target, json_line, print};
use crate::client::suppressions::{BulkSettings, Checked, NewSuppression};
use crate::failure::Usage;
use anyhow::Context;
use clap::Subcommand;
use numdialer_core::format_phone;
use numdialer_core::suppressions::{Action, AuditRecord, Scope, Source, Suppression};
use std::path::{Path, PathBuf};

pub const EXAMPLES: &str = "\
Examples:
  numdialer dnc add +13018040009 --reason 'asked on the phone'
  numdialer dnc add '+1301*' --scope 3          # every 301 number, campaign 3 only
  numdialer dnc check +13018040009
  numdialer dnc remove +13018040009 --reason 'added by mistake'
  numdialer dnc import 301.txt --source registry --registry-date 2026-11-30
  numdialer dnc export -o dnc.csv
  numdialer dnc log --json | jq .items";

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Dnc,
}

#[derive(Debug, Subcommand)]
pub enum Dnc {
    /// Never call a number (or every number under a prefix, `+1301*`) again.
    Add(AddArgs),
    /// Take a number off a list; the entries it canceled stay canceled.
    Remove(RemoveArgs),
    /// Add a file of numbers, one a line (a registry download as it comes).
    Import(ImportArgs),
    /// Write every suppression as CSV.
    Export(ExportArgs),
    /// Say whether a number would be dialed, and if not, why.
    Check(CheckArgs),
    /// Show the audit log: every add, remove and import.
    Log(LogArgs),
}

/// Who did it, as the audit log keeps it: `--actor`, else the login.
#[derive(Debug, clap::Args)]
pub struct Who {
    /// Who is asking, kept in the audit log (default: your login name).
    #[arg(long, env = "NUMDIALER_ACTOR")]
    pub actor: Option<String>,
}

impl Who {
    fn name(&self) -> String {
        self.actor
            .clone()
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_default()
    }
}

#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// A number with its country code (`+1 301-804-0009`), or a prefix
    /// ending in `*` (`+1301*`).
    pub phone: String,
    /// `global` (every campaign) or a campaign's id.
    #[arg(long, env = "NUMDIALER_DNC_SCOPE", default_value = "global", value_parser = parse_scope)]
    pub scope: Scope,
    /// Why, kept with it and in the history of each entry it stops.
    #[arg(long, default_value = "")]
    pub reason: String,
    /// manual, api, import, registry or call.
    #[arg(long, default_value = "manual", value_parser = parse_source)]
    pub source: Source,
    #[command(flatten)]
    pub who: Who,
    /// Print the server's JSON instead of a line.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct RemoveArgs {
    /// The number or prefix as it was added.
    pub phone: String,
    /// Required: kept in the audit log beside what it removes.
    #[arg(long)]
    pub reason: String,
    /// The list it is on: `global` or a campaign's id.
    #[arg(long, env = "NUMDIALER_DNC_SCOPE", default_value = "global", value_parser = parse_scope)]
    pub scope: Scope,
    #[command(flatten)]
    pub who: Who,
    /// Print the server's JSON (what was removed) instead of a line.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// One number a line; `-` reads the standard input.
    pub file: PathBuf,
    /// `global` or a campaign's id.
    #[arg(long, env = "NUMDIALER_DNC_SCOPE", default_value = "global", value_parser = parse_scope)]
    pub scope: Scope,
    /// `registry` reads the US registry's formats (3018040009 or
    /// 301,8040009 a line) as +1 numbers.
    #[arg(long, default_value = "import", value_parser = parse_source)]
    pub source: Source,
    /// The registry download's date (YYYY-MM-DD), with --source registry.
    #[arg(long)]
    pub registry_date: Option<String>,
    /// Why, kept in the import's audit record.
    #[arg(long, default_value = "")]
    pub reason: String,
    #[command(flatten)]
    pub who: Who,
    /// Print the server's JSON instead of a line.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Write to this file instead of stdout; `-` is stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace a file already at the -o path.
    #[arg(long, env = "NUMDIALER_EXPORT_FORCE")]
    pub force: bool,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// A number with its country code.
    pub phone: String,
    /// Ask for this campaign, whose own list counts too.
    #[arg(long)]
    pub campaign: Option<u64>,
    /// Print the server's JSON instead of a line.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct LogArgs {
    /// Only records after this one (its `seq`).
    #[arg(long, default_value_t = 0)]
    pub after: u64,
    /// At most this many records (1 to 10000).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub limit: u64,
    /// Print the server's JSON (one page) instead of lines.
    #[arg(long)]
    pub json: bool,
}

fn parse_scope(s: &str) -> Result<Scope, String> {
    s.parse()
        .map_err(|e: numdialer_core::suppressions::ScopeError| e.to_string())
}

fn parse_source(s: &str) -> Result<Source, String> {
    s.parse()
}

pub async fn run(args: Args, target: &Target) -> anyhow::Result<()> {
    match args.command {
        Dnc::Add(a) => add(a, target).await,
        Dnc::Remove(a) => remove(a, target).await,
        Dnc::Import(a) => import(a, target).await,
        Dnc::Export(a) => export(a, target).await,
        Dnc::Check(a) => check(a, target).await,
        Dnc::Log(a) => log(a, target).await,
    }
}

/// `the global do-not-call list` or `campaign 3's do-not-call list`.
fn list_name(scope: Scope) -> String {
    match scope {
        Scope::Global => "the global do-not-call list".into(),
        Scope::Campaign(id) => format!("campaign {id}'s do-not-call list"),
    }
}

/// A stored pattern as people read it: `+1 301-804-0009`, or `+1301*`.
fn shown(s: &Suppression) -> String {
    let text = s.phone.to_string();
    if text.ends_with('*') {
        text
    } else {
        format_phone(&text)
    }
}

async fn add(a: AddArgs, target: &Target) -> anyhow::Result<()> {
    let new = NewSuppression {
        phone: a.phone.clone(),
        scope: a.scope,
        source: a.source,
        reason: a.reason.clone(),
        actor: a.who.name(),
    };
    let s = target
        .client
        .suppress(&new)
        .await
        .with_context(|| format!("cannot add {} on {}", a.phone, target.url))?;
    print(&if a.json {
        json_line(&s)
    } else {
        format!(
            "{} is on {}: never dialed again\n",
            shown(&s),
            list_name(s.scope)
        )
    })
}

async fn remove(a: RemoveArgs, target: &Target) -> anyhow::Result<()> {
    let s = target
        .client
        .unsuppress(&a.phone, a.scope, &a.reason, &a.who.name())
        .await
        .with_context(|| format!("cannot remove {} on {}", a.phone, target.url))?;
    print(&if a.json {
        json_line(&s)
    } else {
        format!(
            "{} is off {}; entries it canceled stay canceled\n",
            shown(&s),
            list_name(s.scope)
        )
    })
}

async fn import(a: ImportArgs, target: &Target) -> anyhow::Result<()> {
    let path = if a.file == Path::new("-") {
        Path::new("/dev/stdin")
    } else {
        a.file.as_path()
    };
    let body =
        std::fs::read(path).map_err(|e| Usage(format!("cannot read {}: {e}", a.file.display())))?;
    let settings = BulkSettings {
        scope: a.scope,
        source: a.source,
        reason: a.reason.clone(),
        actor: a.who.name(),
        registry_date: a.registry_date.clone(),
    };
    let imported = target
        .client
        .import_suppressions(body, &settings)
        .await
        .with_context(|| format!("cannot import {} on {}", a.file.display(), target.url))?;
    print(&if a.json {
        json_line(&imported)
    } else {
        let n = imported.count;
        let numbers = if n == 1 { "number" } else { "numbers" };
        format!(
            "added {n} {numbers} to {} ({}; audit record {})\n",
            list_name(a.scope),
            a.source,
            imported.audit.seq
        )
    })
}

async fn export(a: ExportArgs, target: &Target) -> anyhow::Result<()> {
    let context = || format!("cannot export the do-not-call lists from {}", target.url);
    let output = a.output.as_deref().filter(|p| *p != Path::new("-"));
    let Some(path) = output else {
        let export = target
            .client
            .export_suppressions()
            .await
            .with_context(context)?;
        return to_stdout(export).await.with_context(context);
    };
    if !a.force && path.exists() {
        anyhow::bail!(
            "{} exists already: nothing was written (--force replaces it)",
            path.display()
        );
    }
    let part = part_path(path);
    let file = std::fs::File::create(&part)
        .map_err(|e| Usage(format!("cannot write {}: {e}", part.display())))?;
    let written = async {
        let export = target.client.export_suppressions().await?;
        to_file(export, file).await
    }
    .await;
    match written {
        Ok(()) => {
            std::fs::rename(&part, path)
                .with_context(|| format!("cannot move {} to {}", part.display(), path.display()))?;
            print(&format!(
                "exported the do-not-call lists to {}\n",
                path.display()
            ))
        }
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            Err(e.context(context()))
        }
    }
}

async fn check(a: CheckArgs, target: &Target) -> anyhow::Result<()> {
    let c: Checked = target
        .client
        .check_suppressed(&a.phone, a.campaign)
        .await
        .with_context(|| format!("cannot check {} on {}", a.phone, target.url))?;
    let phone = format_phone(&c.phone);
    print(&if a.json {
        json_line(&c)
    } else {
        match &c.suppression {
            Some(s) => format!("{phone} is not dialed: {}\n", s.reason_for_entry()),
            None => format!("{phone} is on no do-not-call list\n"),
        }
    })
}

async fn log(a: LogArgs, target: &Target) -> anyhow::Result<()> {
    let page = target
        .client
        .suppression_log(a.after, a.limit as usize)
        .await
        .with_context(|| format!("cannot read the do-not-call log of {}", target.url))?;
    if a.json {
        return print(&json_line(&page));
    }
    let mut out: String = page.items.iter().map(log_line).collect();
    if let Some(next) = &page.next {
        out.push_str(&format!("… more: numdialer dnc log --after {next}\n"));
    }
    print(&out)
}

/// One audit record as a line: `12 2026-12-02T10:15:00.000Z add +1 301-804-0009 global manual "why" by ops`.
fn log_line(r: &AuditRecord) -> String {
    let what = match &r.action {
        Action::Add { phone } => format!("add {}", format_phone(&phone.to_string())),
        Action::Remove { phone } => format!("remove {}", format_phone(&phone.to_string())),
        Action::Import {
            count,
            registry_date,
            ..
        } => match registry_date {
            Some(d) => format!("import {count} numbers (registry of {d})"),
            None => format!("import {count} numbers"),
        },
    };
    let mut line = format!("{} {} {what} {} {}", r.seq, r.at, r.scope, r.source);
    if !r.reason.is_empty() {
        line.push_str(&format!(" {:?}", r.reason));
    }
    if !r.actor.is_empty() {
        line.push_str(&format!(" by {}", r.actor));
    }
    line.push('\n');
    line
}

//! `numdialer export ID [-o FILE]`: a campaign's CSV, piece by piece as it
//! arrives, so that a million entries never sit in memory.
//!
//! Without `-o` the CSV goes to stdout, which is what a script pipes or
//! redirects (`> results.csv`). With `-o` it is written beside the target
//! first and renamed into place once whole, so that a broken transfer
//! never leaves a file that looks complete. `-o DIR` names the file as the
//! TUI does, `<name>-<id>.csv`. A file already there is replaced only with
//! `--force`, as the TUI replaces one only after a y.

use super::{Target, print};
use crate::client::Export;
use crate::failure::Usage;
use crate::words;
use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const EXAMPLES: &str = "\
The columns: index,phone,name,status,outcome,attempts,call_id,first_dialed_at,
ended_at,reason,answered_by,voicemail_left,timezones,waiting_until, then the import's own extra columns. A cell that starts with
=, +, -, @, a tab or a carriage return gets a leading ' so that a spreadsheet
shows it instead of running it as a formula; --raw leaves every cell as stored.

Examples:
  numdialer export 3 > results.csv
  numdialer export 3 -o results.csv
  numdialer export 3 -o ~/exports/          # writes ~/exports/<name>-3.csv
  numdialer export 3 -o results.csv --force  # replaces results.csv if it is there
  numdialer export 3 | grep ',no_answer,'
  numdialer export 3 --raw | my-importer     # a program, not a spreadsheet";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The campaign's id (see `numdialer campaigns`).
    pub id: u64,
    /// Write to this file instead of stdout; into a directory as
    /// <name>-<id>.csv; `-` is stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Every cell as stored, without the leading ' that keeps a spreadsheet
    /// from running cells starting with =, +, -, @, tab or CR as formulas.
    /// For programs, never for a file someone opens in a spreadsheet.
    #[arg(long)]
    pub raw: bool,
    /// Replace a file already at the -o path. Without it the export writes
    /// nothing there and exits 1 naming the file: it may be another
    /// campaign's results.
    #[arg(long, env = "NUMDIALER_EXPORT_FORCE")]
    pub force: bool,
}

pub async fn run(args: Args, target: &Target) -> anyhow::Result<()> {
    let context = || format!("cannot export campaign {} from {}", args.id, target.url);
    let output = args.output.as_deref().filter(|p| *p != Path::new("-"));
    let Some(output) = output else {
        let export = target
            .client
            .export_campaign_as(args.id, args.raw)
            .await
            .with_context(context)?;
        return to_stdout(export).await.with_context(context);
    };
    let path = if output.is_dir() {
        let c = target
            .client
            .campaign(args.id)
            .await
            .with_context(context)?;
        output.join(words::export_file_name(&c))
    } else {
        output.to_path_buf()
    };
    if !args.force && path.exists() {
        anyhow::bail!(
            "{} exists already: nothing was written (--force replaces it)",
            path.display()
        );
    }
    let part = part_path(&path);
    let file = std::fs::File::create(&part)
        .map_err(|e| Usage(format!("cannot write {}: {e}", part.display())))?;
    let written = async {
        let export = target.client.export_campaign_as(args.id, args.raw).await?;
        to_file(export, file).await
    }
    .await;
    match written {
        Ok(()) => {
            std::fs::rename(&part, &path)
                .with_context(|| format!("cannot move {} to {}", part.display(), path.display()))?;
            print(&format!(
                "exported campaign {} to {}\n",
                args.id,
                path.display()
            ))
        }
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            Err(e.context(context()))
        }
    }
}

/// `results.csv` is written as `.results.csv.part` until it is whole.
pub(super) fn part_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export.csv".into());
    path.with_file_name(format!(".{name}.part"))
}

pub(super) async fn to_stdout(mut export: Export) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    while let Some(piece) = export.chunk().await? {
        match out.write_all(&piece) {
            // The reader has what it wanted (`| head`).
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
            r => r.context("cannot write to the standard output")?,
        }
    }
    match out.flush() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow::Error::new(e).context("cannot write to the standard output"))
        }
        _ => Ok(()),
    }
}

pub(super) async fn to_file(mut export: Export, file: std::fs::File) -> anyhow::Result<()> {
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::with_draw_target(export.size(), ProgressDrawTarget::stderr());
        let template = match export.size() {
            Some(_) => "receiving [{wide_bar}] {bytes}/{total_bytes} {bytes_per_sec}",
            None => "{spinner} receiving {bytes} {bytes_per_sec}",
        };
        bar.set_style(
            ProgressStyle::with_template(template)
                .expect("a valid template")
                .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(100));
        bar
    });
    let mut out = std::io::BufWriter::new(file);
    let result = async {
        while let Some(piece) = export.chunk().await? {
            out.write_all(&piece)?;
            if let Some(bar) = &bar {
                bar.inc(piece.len() as u64);
            }
        }
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        anyhow::Ok(())
    }
    .await;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_part_file_sits_beside_its_target() {
        assert_eq!(
            part_path(Path::new("out/results.csv")),
            Path::new("out/.results.csv.part")
        );
        assert_eq!(part_path(Path::new("r.csv")), Path::new(".r.csv.part"));
    }
}

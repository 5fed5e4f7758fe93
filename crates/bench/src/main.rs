//! numdialer-bench: drives the release-built server over loopback and
//! prints every figure of docs/benchmarks.md, our design beside the naive
//! ones, measured in one run.
//!
//! Build and run: `cargo build --release --workspace && target/release/numdialer-bench`

mod api;
mod campaigns;
mod dnc;
mod figures;
mod frame;
mod hours;
mod protocols;
mod readers;
mod retained;
mod server;
mod stats;

use clap::{Parser, ValueEnum};

/// One figure of docs/benchmarks.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Figure {
    Refill,
    Ingest,
    Makespan,
    Statuses,
    Tui,
    Memory,
    /// The TUI's frame time with a campaign selected; needs no server.
    Frame,
    /// The dial-down through each protocol's simulator (protocols.rs).
    Dialdown,
    /// A 1,000,000-line CSV through POST /campaigns (campaigns.rs).
    Import,
    /// GET /campaigns with 1,000 campaigns (campaigns.rs).
    Campaigns,
    /// Calling hours in core: the verdict per candidate, zones of a
    /// million numbers (hours.rs); needs no server.
    Hours,
    /// Plain numbers through POST /campaigns: peak and retained memory,
    /// and after a restart (retained.rs).
    Retained,
    /// Do-not-call lists in the store and core: a registry import, the
    /// dial-time check with it held, an addition's walk (dnc.rs); needs
    /// no server.
    Dnc,
    /// Clients reading a large campaign's statuses in a loop beside
    /// another campaign's dialing: its dial rate with and without them
    /// (readers.rs).
    Readers,
}

#[derive(Debug, Parser)]
#[command(
    name = "numdialer-bench",
    version,
    about = "Benchmarks a release-built numdialer-server over loopback and prints medians and p99s."
)]
pub struct Args {
    /// Entries of the makespan dial-downs.
    #[arg(long, default_value_t = 10_000)]
    pub entries: usize,
    /// Refill and TUI latency samples.
    #[arg(long, default_value_t = 500)]
    pub samples: usize,
    /// Seconds each ingest run lasts.
    #[arg(long, default_value_t = 2.0)]
    pub ingest_seconds: f64,
    /// Entries of the large `GET /statuses` and memory figures.
    #[arg(long, default_value_t = 100_000)]
    pub large: usize,
    /// Lines of the CSV that the import figure uploads.
    #[arg(long, default_value_t = 1_000_000)]
    pub import_lines: usize,
    /// Imports measured, each on a fresh server.
    #[arg(long, default_value_t = 3)]
    pub import_runs: usize,
    /// Extra columns of each line in the retained-memory figure: 0 sends
    /// plain numbers as text, more sends a CSV (a spreadsheet's export).
    #[arg(long, default_value_t = 0)]
    pub import_columns: usize,
    /// Campaigns on the server for the `GET /campaigns` figure.
    #[arg(long, default_value_t = 1_000)]
    pub campaigns: usize,
    /// A smoke run: few entries and samples, numbers not worth quoting.
    #[arg(long)]
    pub quick: bool,
    /// Entries of the dial-down through each protocol's simulator.
    #[arg(long, default_value_t = 2_000)]
    pub sim_entries: usize,
    /// The protocols that dial-down runs through (comma-separated).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "numdialer,twilio"
    )]
    pub protocol: Vec<protocols::Protocol>,
    /// Registry numbers of the do-not-call figure.
    #[arg(long, default_value_t = 10_000_000)]
    pub dnc_lines: usize,
    /// Registry numbers held on the do-not-call list in the refill
    /// figure's third row (0: no such row).
    #[arg(long, default_value_t = 0)]
    pub refill_suppressions: usize,
    /// Entries of the campaign that the readers figure reads.
    #[arg(long, default_value_t = 1_000_000)]
    pub readers_lines: usize,
    /// Entries of the campaign that the readers figure dials; enough to
    /// outlast both windows.
    #[arg(long, default_value_t = 10_000)]
    pub readers_dialed: usize,
    /// Clients that each read the large campaign's statuses in a loop.
    #[arg(long, default_value_t = 4)]
    pub readers: usize,
    /// Seconds of each window of the readers figure (without readers,
    /// then with them).
    #[arg(long, default_value_t = 10.0)]
    pub readers_seconds: f64,
    /// Runs of the readers figure, each on a fresh server.
    #[arg(long, default_value_t = 3)]
    pub readers_runs: usize,
    /// Measure only these figures (comma-separated); all of them by default.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub only: Vec<Figure>,
}

impl Args {
    fn wants(&self, f: Figure) -> bool {
        self.only.is_empty() || self.only.contains(&f)
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = Args::parse();
    if args.quick {
        args.entries = 300;
        args.samples = 50;
        args.ingest_seconds = 0.5;
        args.large = 10_000;
        args.sim_entries = 200;
        args.import_lines = 100_000;
        args.import_runs = 1;
        args.campaigns = 100;
        args.dnc_lines = 100_000;
        args.readers_lines = 100_000;
        args.readers_seconds = 2.0;
        args.readers_runs = 1;
    }
    if args
        .only
        .iter()
        .any(|f| ![Figure::Frame, Figure::Hours, Figure::Dnc].contains(f))
        || args.only.is_empty()
    {
        server::sibling("numdialer-server")?;
    }
    println!(
        "# numdialer-bench · {} cores · {} · entries {} · samples {}\n",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        figures::memory_total(),
        args.entries,
        args.samples
    );
    if args.wants(Figure::Refill) {
        figures::refill(&args).await?;
    }
    if args.wants(Figure::Ingest) {
        figures::ingest(&args).await?;
    }
    if args.wants(Figure::Makespan) {
        figures::makespan(&args).await?;
    }
    if args.wants(Figure::Statuses) {
        figures::statuses(&args).await?;
    }
    if args.wants(Figure::Tui) {
        figures::tui_latency(&args).await?;
    }
    if args.wants(Figure::Memory) {
        figures::memory(&args).await?;
    }
    if args.wants(Figure::Frame) {
        frame::frame_time(&args);
    }
    if args.wants(Figure::Dialdown) {
        protocols::dialdown(&args).await?;
    }
    if args.wants(Figure::Import) {
        campaigns::import(&args).await?;
    }
    if args.wants(Figure::Campaigns) {
        campaigns::list(&args).await?;
    }
    if args.wants(Figure::Hours) {
        hours::hours(&args);
    }
    if args.wants(Figure::Retained) {
        retained::retained(&args).await?;
    }
    if args.wants(Figure::Dnc) {
        dnc::dnc(&args).await?;
    }
    if args.wants(Figure::Readers) {
        readers::readers(&args).await?;
    }
    Ok(())
}

//! numdialer-bench: drives the release-built server over loopback and
//! prints every figure of docs/benchmarks.md, our design beside the naive
//! ones, measured in one run.
//!
//! Build and run: `cargo build --release --workspace && target/release/numdialer-bench`

mod api;
mod figures;
mod server;
mod stats;

use clap::Parser;

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
    /// A smoke run: few entries and samples, numbers not worth quoting.
    #[arg(long)]
    pub quick: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = Args::parse();
    if args.quick {
        args.entries = 300;
        args.samples = 50;
        args.ingest_seconds = 0.5;
        args.large = 10_000;
    }
    server::sibling("numdialer-server")?;
    println!(
        "# numdialer-bench · {} cores · {} · entries {} · samples {}\n",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        figures::memory_total(),
        args.entries,
        args.samples
    );
    figures::refill(&args).await?;
    figures::ingest(&args).await?;
    figures::makespan(&args).await?;
    figures::statuses(&args).await?;
    figures::tui_latency(&args).await?;
    figures::memory(&args).await?;
    Ok(())
}

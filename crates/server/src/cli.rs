//! The command line of `numdialer-server`; every flag can also come from a
//! `NUMDIALER_*` environment variable.

use crate::provider::simulator::{Outage, SimConfig};
use crate::startup::{
    DialingConfig, HttpConfig, ProviderConfig, ServerConfig, StoreConfig, read_numbers_file,
};
use clap::{Args, Parser, Subcommand};
use numdialer_core::Secret;
use numdialer_core::args::{parse_http_url, parse_scale, parse_seconds};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "numdialer-server",
    version,
    about = "numdialer's headless server: dials a list of numbers through a dialer API, \
             at most --concurrency calls at a time, strictly in list order.",
    long_about = None,
    args_conflicts_with_subcommands = true,
    after_help = "Without --dialer-url it starts an embedded simulated dialer API, so \
                  `numdialer-server` alone is a working demo. Start dialing with \
                  `curl -X POST http://127.0.0.1:3000/calls`; see docs/api.md."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve a simulated dialer API that behaves like the real one.
    Simulate(SimulateArgs),
}

/// The server's flags, in the sections `--help` shows.
#[derive(Debug, Args)]
pub struct ServerArgs {
    #[command(flatten)]
    pub http: HttpArgs,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub dialing: DialingArgs,
    #[command(flatten)]
    pub provider: ProviderArgs,

    /// Log format on stderr: `pretty` for people, `json` (one object a
    /// line) for log collectors. The level comes from RUST_LOG (default info).
    #[arg(
        long,
        env = "NUMDIALER_LOG_FORMAT",
        value_enum,
        default_value = "pretty",
        help_heading = "Logs"
    )]
    pub log_format: LogFormat,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "HTTP API")]
pub struct HttpArgs {
    /// Address the HTTP API listens on.
    #[arg(long, env = "NUMDIALER_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,

    /// Base URL at which the dialer API can reach this server's webhooks
    /// [default: http://<listen>].
    #[arg(long, env = "NUMDIALER_PUBLIC_URL", value_parser = parse_http_url)]
    pub public_url: Option<String>,

    /// Require `Authorization: Bearer <TOKEN>` on POST /calls, GET /statuses
    /// and GET /calls/{index}. Webhooks are authenticated by their own
    /// per-dial secrets.
    #[arg(long, env = "NUMDIALER_API_TOKEN", hide_env_values = true)]
    pub api_token: Option<Secret>,

    /// Serve GET /metrics on this address (without the API token) instead
    /// of beside the API, e.g. 127.0.0.1:9464 for a local Prometheus.
    #[arg(long, env = "NUMDIALER_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// Allow a non-loopback --listen without --api-token (only on a network
    /// you trust: anyone who reaches the server could start dialing).
    #[arg(long, env = "NUMDIALER_INSECURE_NO_TOKEN")]
    pub insecure_no_token: bool,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Store")]
pub struct StoreArgs {
    /// Directory of the sled database holding the list and every status. The
    /// list is dialed once per data directory.
    #[arg(long, env = "NUMDIALER_DATA_DIR", default_value = "./numdialer-data")]
    pub data_dir: PathBuf,

    /// Benchmarks only: flush the store once per write (the naive design)
    /// instead of sharing flushes between concurrent writers.
    #[arg(long, env = "NUMDIALER_FLUSH_EACH_WRITE", hide = true)]
    pub flush_each_write: bool,

    /// Start even when the data directory lost records that its manifest
    /// remembers (a truncated, zeroed or deleted sled file). Anyone those
    /// records had dialed may be dialed again: restore a backup instead
    /// if you can.
    #[arg(long, env = "NUMDIALER_ACCEPT_DATA_LOSS")]
    pub accept_data_loss: bool,

    /// Seconds the store may fail (a full disk) before the server exits
    /// with code 4 for its supervisor to restart it. Until then it dials
    /// nobody, acknowledges nothing, and resumes by itself if the store
    /// works again.
    #[arg(long, env = "NUMDIALER_STORE_GRACE", default_value = "30", value_parser = parse_seconds)]
    pub store_grace: Duration,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Dialing")]
pub struct DialingArgs {
    /// Calls in flight at once.
    #[arg(long, env = "NUMDIALER_CONCURRENCY", default_value_t = 3,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub concurrency: u32,

    /// Seconds after its dial that a call without a final webhook is marked
    /// failed, freeing its line. Fractions allowed.
    #[arg(long, env = "NUMDIALER_CALL_TIMEOUT", default_value = "60", value_parser = parse_seconds)]
    pub call_timeout: Duration,

    /// File with the numbers to dial, one a line (11 digits starting with 1);
    /// blank lines and lines starting with # are skipped. Default: the
    /// built-in list of 9.
    #[arg(long, env = "NUMDIALER_NUMBERS_FILE")]
    pub numbers_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Dialer API")]
pub struct ProviderArgs {
    /// Base URL of the dialer API (its POST /call is <URL>/call). Without it,
    /// an embedded simulated dialer API is started on a free loopback port.
    #[arg(long, env = "NUMDIALER_DIALER_URL", value_parser = parse_http_url)]
    pub dialer_url: Option<String>,

    /// Seconds one POST /call may take before it counts as unanswered (it
    /// is then never re-sent; its webhooks or the call timeout settle it).
    #[arg(long, env = "NUMDIALER_DIAL_TIMEOUT", default_value = "10", value_parser = parse_seconds)]
    pub dial_timeout: Duration,

    /// Time scale of the embedded simulator (used only without
    /// --dialer-url): 0.01 makes its calls 100 times faster.
    #[arg(long, env = "NUMDIALER_SIM_TIME_SCALE", default_value = "1", value_parser = parse_scale)]
    pub sim_time_scale: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Address the simulated dialer API listens on.
    #[arg(long, env = "NUMDIALER_SIM_LISTEN", default_value = "127.0.0.1:4830")]
    pub listen: SocketAddr,

    /// Multiplies every webhook delay (each random in [0, 5 s)); 0.01 is
    /// 100 times faster than the real API.
    #[arg(long, env = "NUMDIALER_SIM_TIME_SCALE", default_value = "1", value_parser = parse_scale)]
    pub time_scale: f64,

    /// Seed for the delays, the faults and the first call id, for
    /// reproducible runs.
    #[arg(long, env = "NUMDIALER_SIM_SEED")]
    pub seed: Option<u64>,

    /// Fault: chance (0 to 1) that a webhook is never sent.
    #[arg(long, env = "NUMDIALER_SIM_DROP_RATE", default_value = "0", value_parser = parse_rate)]
    pub drop_rate: f64,

    /// Fault: chance (0 to 1) that a webhook is sent twice.
    #[arg(long, env = "NUMDIALER_SIM_DUPLICATE_RATE", default_value = "0", value_parser = parse_rate)]
    pub duplicate_rate: f64,

    /// Fault: each status on its own random delay from the dial, so that
    /// they arrive in any order.
    #[arg(long, env = "NUMDIALER_SIM_REORDER")]
    pub reorder: bool,

    /// Fault: chance (0 to 1) that POST /call answers HTTP 500 (no call placed).
    #[arg(long, env = "NUMDIALER_SIM_ERROR_RATE", default_value = "0", value_parser = parse_rate)]
    pub error_rate: f64,

    /// Fault: chance (0 to 1) that POST /call answers HTTP 200 {"error"}.
    #[arg(long, env = "NUMDIALER_SIM_ERROR_BODY_RATE", default_value = "0", value_parser = parse_rate)]
    pub error_body_rate: f64,

    /// Fault: seconds to hold each POST /call answer (webhooks may overtake it).
    #[arg(long, env = "NUMDIALER_SIM_LATENCY", default_value = "0", value_parser = parse_seconds_or_zero)]
    pub latency: Duration,

    /// Fault: every this many seconds, refuse connections for --outage-for.
    #[arg(long, env = "NUMDIALER_SIM_OUTAGE_EVERY", value_parser = parse_seconds, requires = "outage_for")]
    pub outage_every: Option<Duration>,

    /// Fault: length in seconds of each outage.
    #[arg(long, env = "NUMDIALER_SIM_OUTAGE_FOR", value_parser = parse_seconds, requires = "outage_every")]
    pub outage_for: Option<Duration>,
}

impl SimulateArgs {
    pub fn sim_config(&self) -> SimConfig {
        SimConfig {
            time_scale: self.time_scale,
            seed: self.seed,
            latency: self.latency,
            drop_rate: self.drop_rate,
            duplicate_rate: self.duplicate_rate,
            reorder: self.reorder,
            error_rate: self.error_rate,
            error_body_rate: self.error_body_rate,
            outage: self
                .outage_every
                .zip(self.outage_for)
                .map(|(every, length)| Outage { every, length }),
            ..SimConfig::default()
        }
    }
}

impl ServerArgs {
    /// Reads the numbers file, so that a bad line stops the start with its
    /// line number.
    pub fn to_config(&self) -> anyhow::Result<ServerConfig> {
        let numbers = self
            .dialing
            .numbers_file
            .as_deref()
            .map(read_numbers_file)
            .transpose()?;
        let defaults = ServerConfig::default();
        Ok(ServerConfig {
            http: HttpConfig {
                listen: self.http.listen,
                public_url: self.http.public_url.clone(),
                // An empty token (`NUMDIALER_API_TOKEN=` in an env file)
                // means none.
                api_token: self
                    .http
                    .api_token
                    .clone()
                    .filter(|t| !t.expose().is_empty()),
                metrics_listen: self.http.metrics_listen,
                insecure_no_token: self.http.insecure_no_token,
            },
            store: StoreConfig {
                data_dir: Some(self.store.data_dir.clone()),
                flush_each_write: self.store.flush_each_write,
                accept_data_loss: self.store.accept_data_loss,
                grace: self.store.store_grace,
            },
            dialing: DialingConfig {
                concurrency: self.dialing.concurrency as usize,
                call_timeout: self.dialing.call_timeout,
                numbers,
            },
            provider: ProviderConfig {
                dialer_url: self.provider.dialer_url.clone(),
                dial_timeout: self.provider.dial_timeout,
                sim: SimConfig {
                    time_scale: self.provider.sim_time_scale,
                    ..SimConfig::default()
                },
                ..defaults.provider
            },
        })
    }
}

fn parse_rate(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number"))?;
    if !(0.0..=1.0).contains(&v) {
        return Err(format!("{s:?} must be between 0 and 1"));
    }
    Ok(v)
}

fn parse_seconds_or_zero(s: &str) -> Result<Duration, String> {
    if s.trim().parse::<f64>() == Ok(0.0) {
        return Ok(Duration::ZERO);
    }
    parse_seconds(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_values() {
        assert_eq!(parse_seconds("0.5"), Ok(Duration::from_millis(500)));
        assert!(parse_seconds("0").is_err() && parse_seconds("x").is_err());
        assert!(parse_scale("-1").is_err() && parse_scale("NaN").is_err());
        assert_eq!(parse_http_url("http://h:1/").as_deref(), Ok("http://h:1"));
        assert!(parse_http_url("ftp://h").is_err() && parse_http_url("h:1").is_err());
    }

    #[test]
    fn subcommand_has_its_own_flags() {
        let cli = Cli::try_parse_from(["x", "simulate", "--listen", "127.0.0.1:9", "--seed", "4"])
            .unwrap();
        match cli.command {
            Some(Command::Simulate(a)) => assert_eq!(a.seed, Some(4)),
            None => panic!("expected simulate"),
        }
        assert!(Cli::try_parse_from(["x", "--concurrency", "0"]).is_err());
    }
}

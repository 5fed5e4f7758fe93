//! The command line of `numdialer`; every flag can also come from a
//! `NUMDIALER_*` environment variable.

use clap::Parser;
use numdialer_server::cli::{parse_http_url, parse_scale, parse_seconds};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "numdialer",
    version,
    about = "numdialer: press Call to dial a list of numbers, at most 3 calls at a time, \
             in list order, and watch every call's status live.",
    after_help = "With no --server, numdialer starts an embedded server and an embedded \
                  simulated dialer API: nothing else to run. With --server it connects to \
                  a running numdialer-server, e.g. on a VPS.\n\n\
                  Keys: c call · ↑↓ select · Enter history · ? help · q quit"
)]
pub struct Cli {
    /// URL of a running numdialer-server (e.g. https://vps.example.com).
    /// Without it, an embedded server is started.
    #[arg(long, env = "NUMDIALER_SERVER", value_parser = parse_http_url)]
    pub server: Option<String>,

    /// API token of that server (its --api-token), sent as a Bearer token.
    #[arg(long, env = "NUMDIALER_TOKEN", hide_env_values = true)]
    pub token: Option<String>,

    /// Seconds between polls when long polling is off (--long-poll 0), and
    /// the first pause before retrying an unreachable server.
    #[arg(long, env = "NUMDIALER_POLL_INTERVAL", default_value = "0.25", value_parser = parse_seconds)]
    pub poll_interval: Duration,

    /// Seconds the server may hold a poll until something changes (long
    /// polling: changes show at once, an idle screen costs one request per
    /// this many seconds). 0 turns it off and polls every --poll-interval.
    #[arg(long, env = "NUMDIALER_LONG_POLL", default_value = "25", value_parser = parse_wait)]
    pub long_poll: Duration,

    /// Embedded mode only: keep the data in this directory (so a restarted
    /// TUI resumes) instead of a temporary store that vanishes on exit.
    #[arg(long, env = "NUMDIALER_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    /// Embedded mode only: dial through this dialer API instead of the
    /// embedded simulator.
    #[arg(long, env = "NUMDIALER_DIALER_URL", value_parser = parse_http_url)]
    pub dialer_url: Option<String>,

    /// Embedded mode only: the list to dial, one number a line.
    #[arg(long, env = "NUMDIALER_NUMBERS_FILE")]
    pub numbers_file: Option<PathBuf>,

    /// Embedded mode only: time scale of the simulated dialer API (0.1 makes
    /// its calls 10 times faster).
    #[arg(long, env = "NUMDIALER_SIM_TIME_SCALE", default_value = "1", value_parser = parse_scale)]
    pub sim_time_scale: f64,
}

impl Cli {
    /// Flags that mean nothing with --server, named so the user learns it.
    pub fn embedded_only_flags(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.data_dir.is_some() {
            v.push("--data-dir");
        }
        if self.dialer_url.is_some() {
            v.push("--dialer-url");
        }
        if self.numbers_file.is_some() {
            v.push("--numbers-file");
        }
        v
    }
}

fn parse_wait(s: &str) -> Result<Duration, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if (0.0..=30.0).contains(&v) => Ok(Duration::from_secs_f64(v)),
        _ => Err(format!("{s:?} must be a number of seconds from 0 to 30")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
        let cli =
            Cli::try_parse_from(["numdialer", "--server", "https://vps:3000/", "--token", "t"])
                .unwrap();
        assert_eq!(cli.server.as_deref(), Some("https://vps:3000"));
        assert!(Cli::try_parse_from(["numdialer", "--server", "vps:3000"]).is_err());
        assert!(Cli::try_parse_from(["numdialer", "--poll-interval", "0"]).is_err());
    }
}

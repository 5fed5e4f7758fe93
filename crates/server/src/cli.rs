//! The command line of `numdialer-server`; every flag can also come from a
//! `NUMDIALER_*` environment variable.

use crate::events::delivery::DeliveryConfig;
use crate::http::serve::{self, ConnectionLimits};
use crate::provider::Accepts;
use crate::provider::numdialer::DialerHeader;
use crate::provider::simulator::twilio::TwilioSimConfig;
use crate::provider::simulator::{Outage, SimConfig};
use crate::startup::{
    DialingConfig, HttpConfig, ProviderConfig, ServerConfig, StoreConfig, TwilioSettings,
    read_numbers_file_in,
};
use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use numdialer_core::args::{ProviderKind, parse_cps, parse_http_url, parse_scale, parse_seconds};
use numdialer_core::hours::{CallingHours, CallingRules};
use numdialer_core::protocol::twilio::Instructions;
use numdialer_core::{Country, Secret};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
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
                  `numdialer-server` alone is a working demo. Watch and drive it with the \
                  terminal UI, `numdialer --server http://127.0.0.1:3000` (over SSH: \
                  docs/operations.md), or start dialing with \
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
    Simulate(Box<SimulateArgs>),
    /// Print the HTTP API's OpenAPI 3.1 document to stdout and exit.
    ///
    /// The document `GET /openapi.json` serves, generated from the handlers;
    /// no data directory is opened and nothing listens. The copy in the
    /// repository is refreshed with
    /// `cargo run -p numdialer-server -- openapi > docs/openapi.json`.
    Openapi,
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
    #[command(flatten)]
    pub webhooks: WebhooksArgs,

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

    /// Require `Authorization: Bearer <TOKEN>` on every route but /healthz,
    /// /readyz, /openapi.json and the dialer API's webhooks (the calls,
    /// statuses, campaigns and suppressions routes, and /metrics beside
    /// them). Webhooks are authenticated by their own per-dial secrets.
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

    /// Read the API token from FILE instead of --api-token, which any local
    /// user can see in the process list; a trailing newline is ignored.
    /// Under systemd, give it as a credential: LoadCredential=api-token:PATH
    /// and NUMDIALER_API_TOKEN_FILE=%d/api-token (docs/operations.md).
    #[arg(long, env = "NUMDIALER_API_TOKEN_FILE", value_name = "FILE")]
    pub api_token_file: Option<PathBuf>,

    /// Allow a non-loopback --metrics-listen. The metrics port has no
    /// token: only on a network you trust.
    #[arg(long, env = "NUMDIALER_METRICS_INSECURE")]
    pub metrics_insecure: bool,

    #[command(flatten)]
    pub connections: ConnectionArgs,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Connections")]
pub struct ConnectionArgs {
    /// Seconds a client connection has to send a complete request head
    /// (request line and headers), from accept and again after each answer,
    /// on the API and metrics ports alike, whatever the protocol; one that
    /// takes longer is closed. Fractions allowed.
    #[arg(long, env = "NUMDIALER_HEADER_TIMEOUT", default_value = "10", value_parser = parse_seconds)]
    pub header_timeout: Duration,

    /// Client connections open at once, API and metrics ports together. At
    /// the cap, the oldest connection that has not sent a complete request
    /// head is closed to make room; if every one has, new ones wait
    /// [default: max(N/2, N - 128 - --concurrency), where N is the limit on
    /// open files (ulimit -n): the rest is kept for the store and the dials].
    #[arg(long, env = "NUMDIALER_MAX_CONNECTIONS",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: Option<u32>,

    /// MiB of memory that imports in flight (POST /campaigns) may take
    /// together. Each reserves 10 times its body (the largest body, 32 MiB,
    /// when it gives no Content-Length) before the body is read, and one
    /// that does not fit is answered 503 with Retry-After; one import alone
    /// always fits.
    #[arg(long, env = "NUMDIALER_IMPORT_MEMORY", default_value_t = crate::http::budget::DEFAULT_IMPORT_MEMORY_MIB,
          value_parser = clap::value_parser!(u32).range(1..=1_048_576))]
    pub import_memory: u32,
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

    /// Campaigns the server holds at most, campaign 1 included; an import
    /// past it is refused (422) until finished ones are deleted.
    #[arg(long, env = "NUMDIALER_MAX_CAMPAIGNS", default_value_t = 1000,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_campaigns: u32,
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

    /// File with the numbers to dial, one a line, each with its country
    /// code (+44 7911 123456, 13018040009); blank lines and lines starting
    /// with # are skipped. Default: the built-in list of 9.
    #[arg(long, env = "NUMDIALER_NUMBERS_FILE")]
    pub numbers_file: Option<PathBuf>,

    /// The country (ISO 3166 two-letter code, like US or GB) that numbers
    /// written without + or 00 are read in: "(984) 206-8287" with US is
    /// +1 984-206-8287. Applies to --numbers-file and to imports that
    /// give no country of their own. Without it, such a number must be
    /// valid as written with its country code, or it is refused.
    #[arg(long, env = "NUMDIALER_DEFAULT_COUNTRY", value_parser = parse_country)]
    pub default_country: Option<Country>,

    /// Calling hours of new campaigns, in each callee's local time:
    /// HH:MM-HH:MM (21:00-08:00 crosses midnight) or off. An entry outside
    /// its window waits until every zone of its number opens; an import may
    /// set its own. Given explicitly, campaign 1 of a new data directory
    /// takes it too [default: 08:00-21:00 with --dialer-url or Twilio; off
    /// with an embedded simulator].
    #[arg(long, env = "NUMDIALER_CALLING_HOURS", value_parser = parse_calling_hours)]
    pub calling_hours: Option<CallingHours>,

    /// A TOML file of stricter windows by number prefix (say, Florida's
    /// area codes 08:00-20:00), intersected with every campaign's calling
    /// hours; docs/examples/calling-rules.toml is an example, not legal
    /// advice. A file that cannot be read or parsed stops the start.
    #[arg(long, env = "NUMDIALER_CALLING_RULES", value_name = "FILE")]
    pub calling_rules: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Dialer API")]
pub struct ProviderArgs {
    /// The protocol of the dialer API: `numdialer` (JSON POST /call) or
    /// `twilio` (Twilio's Programmable Voice API; see docs/providers.md).
    #[arg(
        long,
        env = "NUMDIALER_DIALER",
        value_enum,
        default_value = "numdialer"
    )]
    pub dialer: ProviderKind,

    /// Base URL of the dialer API (its POST /call is <URL>/call). Without it,
    /// an embedded simulated dialer API is started on a free loopback port;
    /// with --dialer twilio the default is https://api.twilio.com.
    #[arg(long, env = "NUMDIALER_DIALER_URL", value_parser = parse_http_url)]
    pub dialer_url: Option<String>,

    /// A header sent on every request to a numDialer-style API behind
    /// authentication, as `Name: value`; repeatable. In the environment,
    /// separate headers with `;`. Values are never logged.
    #[arg(
        long = "dialer-header",
        env = "NUMDIALER_DIALER_HEADERS",
        hide_env_values = true,
        value_delimiter = ';'
    )]
    pub dialer_headers: Vec<Secret>,

    /// What a numDialer-style API can dial: `any`, country codes (`US,CA`)
    /// or a regular expression over the digits sent (`^1\d{10}$`). An
    /// import warns on each number outside it, and such a number fails
    /// without a request being sent, never retried [default: the
    /// simulator's `^1\d{10}$` for the embedded simulator; any number with
    /// --dialer-url].
    #[arg(long, env = "NUMDIALER_DIALER_ACCEPTS", value_parser = Accepts::parse)]
    pub dialer_accepts: Option<Accepts>,

    /// Dials a second at most, server-wide (fractions allowed; 0 is no
    /// cap) [default: 1 with --dialer twilio, Twilio's account limit; no cap
    /// otherwise].
    #[arg(long, env = "NUMDIALER_MAX_CPS", value_parser = parse_cps)]
    pub max_cps: Option<f64>,

    /// Twilio: the Account SID, the user of HTTP Basic auth.
    #[arg(long, env = "TWILIO_ACCOUNT_SID")]
    pub twilio_account_sid: Option<String>,

    /// Twilio: the account's auth token, the password of HTTP Basic auth and
    /// the key that Twilio signs its callbacks with. Never logged.
    #[arg(long, env = "TWILIO_AUTH_TOKEN", hide_env_values = true)]
    pub twilio_auth_token: Option<Secret>,

    /// Twilio: the caller id, a number of the account in E.164 (+14155550100).
    #[arg(long, env = "NUMDIALER_FROM", value_parser = parse_e164)]
    pub from: Option<String>,

    /// Twilio: the TwiML each answered call runs [default: a short <Say>].
    #[arg(long, env = "NUMDIALER_TWIML", conflicts_with = "twiml_url")]
    pub twiml: Option<String>,

    /// Twilio: a URL Twilio fetches the TwiML from instead of --twiml.
    #[arg(long, env = "NUMDIALER_TWIML_URL", value_parser = parse_http_url)]
    pub twiml_url: Option<String>,

    /// Twilio: seconds a phone may ring before Twilio reports `no-answer`
    /// (Twilio accepts 5 to 600).
    #[arg(long, env = "NUMDIALER_RING_TIMEOUT", default_value = "30",
          value_parser = clap::value_parser!(u32).range(5..=600))]
    pub ring_timeout: u32,

    /// Seconds one POST /call may take before it counts as unanswered (it
    /// is then never re-sent; its webhooks or the call timeout settle it).
    #[arg(long, env = "NUMDIALER_DIAL_TIMEOUT", default_value = "10", value_parser = parse_seconds)]
    pub dial_timeout: Duration,

    /// Time scale of the embedded simulator (used only without
    /// --dialer-url): 0.01 makes its calls 100 times faster.
    #[arg(long, env = "NUMDIALER_SIM_TIME_SCALE", default_value = "1", value_parser = parse_scale)]
    pub sim_time_scale: f64,
}

/// Outbound events (docs/operations.md, "Events and webhooks").
#[derive(Debug, Args)]
#[command(next_help_heading = "Events and webhooks")]
pub struct WebhooksArgs {
    /// Let webhook endpoints be on loopback, private or link-local
    /// addresses. Off, such a URL is refused when registered, and every
    /// address a name resolves to is checked again at each connect.
    #[arg(long, env = "NUMDIALER_WEBHOOKS_ALLOW_PRIVATE")]
    pub webhooks_allow_private: bool,

    /// Test only: multiplies the waits of the delivery retry schedule
    /// (0.001 makes a day's retries take under two minutes).
    #[arg(
        long,
        env = "NUMDIALER_WEBHOOKS_TIME_SCALE",
        default_value = "1",
        value_parser = parse_scale,
        hide = true
    )]
    pub webhooks_time_scale: f64,
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

    /// The protocol to simulate: the numDialer API, or Twilio's Calls
    /// resource (Basic auth, form fields checked, signed callbacks).
    #[arg(
        long,
        env = "NUMDIALER_SIM_PROTOCOL",
        value_enum,
        default_value = "numdialer"
    )]
    pub protocol: ProviderKind,

    /// Twilio: the account SID the simulator accepts.
    #[arg(
        long,
        env = "TWILIO_ACCOUNT_SID",
        default_value = "AC00000000000000000000000000000000"
    )]
    pub account_sid: String,

    /// Twilio: the auth token it accepts and signs callbacks with.
    #[arg(
        long,
        env = "TWILIO_AUTH_TOKEN",
        hide_env_values = true,
        default_value = "simulated-auth-token",
        hide_default_value = true
    )]
    pub auth_token: Secret,

    /// Twilio: chance (0 to 1) that a call ends `no-answer`.
    #[arg(long, env = "NUMDIALER_SIM_NO_ANSWER_RATE", default_value = "0", value_parser = parse_rate)]
    pub no_answer_rate: f64,

    /// Twilio: chance (0 to 1) that a call ends `busy`.
    #[arg(long, env = "NUMDIALER_SIM_BUSY_RATE", default_value = "0", value_parser = parse_rate)]
    pub busy_rate: f64,

    /// Twilio: chance (0 to 1) that a call ends `failed`.
    #[arg(long, env = "NUMDIALER_SIM_FAILED_RATE", default_value = "0", value_parser = parse_rate)]
    pub failed_rate: f64,

    /// Twilio: of the answered calls that ask for answering-machine
    /// detection, the share (0 to 1) a machine answers.
    #[arg(long, env = "NUMDIALER_SIM_MACHINE_RATE", default_value = "0", value_parser = parse_rate)]
    pub machine_rate: f64,

    /// Twilio: send each detection result after the call's `completed`
    /// callback instead of before it.
    #[arg(long, env = "NUMDIALER_SIM_AMD_AFTER_COMPLETED")]
    pub amd_after_completed: bool,

    /// Twilio: answer the first this many dials 429 Too Many Requests, as
    /// an account over its calls-per-second limit would be.
    #[arg(long, env = "NUMDIALER_SIM_THROTTLE", default_value_t = 0)]
    pub throttle: usize,

    /// Twilio: the seconds in the Retry-After of those 429 answers.
    #[arg(long, env = "NUMDIALER_SIM_RETRY_AFTER", default_value_t = 1)]
    pub retry_after: u32,

    /// Multiplies every webhook delay (each random in [0, 5 s)); 0.01 is
    /// 100 times faster than the real API.
    #[arg(long, env = "NUMDIALER_SIM_TIME_SCALE", default_value = "1", value_parser = parse_scale)]
    pub time_scale: f64,

    /// Seed for the delays, the faults and the first call id, for
    /// reproducible runs.
    #[arg(long, env = "NUMDIALER_SIM_SEED")]
    pub seed: Option<u64>,

    /// Answer 401 to any POST /call without this `Name: value` header, as
    /// a dialer API behind authentication would; repeatable (`;` between
    /// headers in the environment).
    #[arg(
        long = "require-header",
        env = "NUMDIALER_SIM_REQUIRE_HEADERS",
        hide_env_values = true,
        value_delimiter = ';'
    )]
    pub require_headers: Vec<Secret>,

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
    pub fn twilio_config(&self) -> TwilioSimConfig {
        TwilioSimConfig {
            account_sid: self.account_sid.clone(),
            auth_token: self.auth_token.clone(),
            time_scale: self.time_scale,
            seed: self.seed,
            no_answer_rate: self.no_answer_rate,
            busy_rate: self.busy_rate,
            failed_rate: self.failed_rate,
            machine_rate: self.machine_rate,
            amd_after_completed: self.amd_after_completed,
            throttle: self.throttle,
            retry_after_secs: self.retry_after,
            ..TwilioSimConfig::default()
        }
    }

    pub fn sim_config(&self) -> anyhow::Result<SimConfig> {
        Ok(SimConfig {
            required_headers: parse_headers(&self.require_headers, "--require-header")?,
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
        })
    }
}

impl ServerArgs {
    /// Reads the numbers file, so that a bad line stops the start with its
    /// line number.
    pub fn to_config(&self) -> anyhow::Result<ServerConfig> {
        let country = self.dialing.default_country;
        let file = self
            .dialing
            .numbers_file
            .as_deref()
            .map(|path| read_numbers_file_in(path, country))
            .transpose()?;
        let (numbers, numbers_before) = file.map_or((None, None), |f| (f.numbers, f.before));
        let defaults = ServerConfig::default();
        Ok(ServerConfig {
            http: self.http.to_config(self.dialing.concurrency as usize)?,
            store: StoreConfig {
                data_dir: Some(self.store.data_dir.clone()),
                flush_each_write: self.store.flush_each_write,
                accept_data_loss: self.store.accept_data_loss,
                grace: self.store.store_grace,
                max_campaigns: self.store.max_campaigns as usize,
            },
            dialing: DialingConfig {
                concurrency: self.dialing.concurrency as usize,
                call_timeout: self.dialing.call_timeout,
                numbers,
                default_country: country,
                numbers_before,
                calling_hours: self.dialing.calling_hours,
                calling_rules: self
                    .dialing
                    .calling_rules
                    .as_deref()
                    .filter(|p| !p.as_os_str().is_empty())
                    .map(read_calling_rules)
                    .transpose()?,
            },
            provider: ProviderConfig {
                dialer: self.provider.dialer,
                twilio: self.provider.twilio()?,
                max_cps: self.provider.dialer.max_cps(self.provider.max_cps),
                dialer_url: self.provider.dialer_url.clone(),
                dialer_headers: parse_headers(&self.provider.dialer_headers, "--dialer-header")?,
                dialer_accepts: self.provider.dialer_accepts.clone(),
                dial_timeout: self.provider.dial_timeout,
                sim: SimConfig {
                    time_scale: self.provider.sim_time_scale,
                    ..SimConfig::default()
                },
                ..defaults.provider
            },
            webhooks: DeliveryConfig {
                allow_private: self.webhooks.webhooks_allow_private,
                time_scale: self.webhooks.webhooks_time_scale,
                ..DeliveryConfig::default()
            },
        })
    }
}

impl HttpArgs {
    /// The API token comes from the file of `--api-token-file` here, so
    /// that a file that cannot be read stops the start.
    fn to_config(&self, concurrency: usize) -> anyhow::Result<HttpConfig> {
        let connections = ConnectionLimits {
            header_timeout: self.connections.header_timeout,
            max_connections: match self.connections.max_connections {
                Some(n) => n as usize,
                None => serve::default_max_connections(serve::descriptor_limit(), concurrency),
            },
        };
        Ok(HttpConfig {
            listen: self.listen,
            public_url: self.public_url.clone(),
            api_token: self.api_token()?,
            metrics_listen: self.metrics_listen,
            insecure_no_token: self.insecure_no_token,
            metrics_insecure: self.metrics_insecure,
            connections,
            import_memory_mib: self.connections.import_memory,
        })
    }

    fn api_token(&self) -> anyhow::Result<Option<Secret>> {
        let given = api_token(self.api_token.as_ref())?;
        let file = self
            .api_token_file
            .as_deref()
            .filter(|p| !p.as_os_str().is_empty());
        let Some(file) = file else {
            return Ok(given);
        };
        if given.is_some() {
            anyhow::bail!(
                "the API token is given twice: use either --api-token (NUMDIALER_API_TOKEN) or \
                 --api-token-file (NUMDIALER_API_TOKEN_FILE), not both"
            );
        }
        api_token(Some(&read_token_file(file)?))
    }
}

/// The token in `path`, without its trailing newline. The errors name the
/// file, never its content.
pub fn read_token_file(path: &Path) -> anyhow::Result<Secret> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read --api-token-file {}", path.display()))?;
    let token = text.trim_end_matches(['\n', '\r']);
    if token.is_empty() {
        anyhow::bail!(
            "--api-token-file {} is empty: write the token into it (openssl rand -hex 32)",
            path.display()
        );
    }
    Ok(Secret::new(token))
}

impl ProviderArgs {
    /// Twilio's settings when dialing through it; Twilio without its
    /// account or caller id stops the start and says which flag is missing.
    fn twilio(&self) -> anyhow::Result<Option<TwilioSettings>> {
        if self.dialer != ProviderKind::Twilio {
            return Ok(None);
        }
        // An empty value (`TWILIO_AUTH_TOKEN=` in an env file) means none.
        let sid = self.twilio_account_sid.clone().filter(|s| !s.is_empty());
        let token = self
            .twilio_auth_token
            .clone()
            .filter(|t| !t.expose().is_empty());
        let mut missing = Vec::new();
        if sid.is_none() {
            missing.push("--twilio-account-sid (or TWILIO_ACCOUNT_SID)");
        }
        if token.is_none() {
            missing.push("--twilio-auth-token (or TWILIO_AUTH_TOKEN)");
        }
        if self.from.is_none() {
            missing.push("--from (or NUMDIALER_FROM)");
        }
        let (Some(account_sid), Some(auth_token), Some(from)) = (sid, token, self.from.clone())
        else {
            anyhow::bail!("--dialer twilio needs {}", missing.join(", "));
        };
        let instructions = match (&self.twiml, &self.twiml_url) {
            (_, Some(url)) => Instructions::Url(url.clone()),
            (Some(t), None) => Instructions::Twiml(t.clone()),
            (None, None) => Instructions::default(),
        };
        Ok(Some(TwilioSettings {
            account_sid,
            auth_token,
            from,
            instructions,
            ring_timeout: Duration::from_secs(self.ring_timeout.into()),
        }))
    }
}

/// The token docs/deploy/numdialer.env ships with. A server behind it
/// would answer anyone who read that file, so it never starts with it; the
/// Debian package replaces it with a random token on first install.
const PLACEHOLDER_API_TOKEN: &str = "change-me";

/// A token as the server uses it, from `--api-token` or its file: an empty
/// value (`NUMDIALER_API_TOKEN=` in an env file) means none, and the
/// shipped placeholder stops the start with the two places to set a real one.
fn api_token(raw: Option<&Secret>) -> anyhow::Result<Option<Secret>> {
    let token = raw.filter(|t| !t.expose().is_empty());
    if token.is_some_and(|t| t.expose().trim() == PLACEHOLDER_API_TOKEN) {
        anyhow::bail!(
            "refusing to start with the placeholder API token {PLACEHOLDER_API_TOKEN:?}: set a \
             random one in NUMDIALER_API_TOKEN (for the packaged service, in \
             /etc/numdialer/numdialer.env) or with --api-token, e.g. `openssl rand -hex 32`"
        );
    }
    Ok(token.cloned())
}

/// `Name: value` headers, read after clap so that clap's own error (which
/// quotes the input) never prints a credential.
fn parse_headers(raw: &[Secret], flag: &str) -> anyhow::Result<Vec<DialerHeader>> {
    raw.iter()
        .map(|h| DialerHeader::parse(h.expose()))
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow::anyhow!("bad {flag}: {e}"))
}

/// A caller id in E.164: `+` and 7 to 15 digits; spaces, dashes, dots and
/// parentheses are dropped, and a missing `+` is added.
/// `--default-country`: an ISO 3166 two-letter code libphonenumber knows.
fn parse_calling_hours(s: &str) -> Result<CallingHours, String> {
    s.parse()
        .map_err(|e: numdialer_core::hours::HoursError| e.to_string())
}

/// The rules of `--calling-rules FILE`; the errors name the file, and the
/// line where one is at fault.
pub fn read_calling_rules(path: &Path) -> anyhow::Result<CallingRules> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read --calling-rules {}", path.display()))?;
    CallingRules::parse(&text)
        .map_err(|e| anyhow::anyhow!("--calling-rules {}: {e}", path.display()))
}

fn parse_country(s: &str) -> Result<Country, String> {
    s.parse()
        .map_err(|e: numdialer_core::CountryError| e.to_string())
}

fn parse_e164(s: &str) -> Result<String, String> {
    let digits: String = s
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect();
    let digits = digits.strip_prefix('+').unwrap_or(&digits);
    if (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(format!("+{digits}"))
    } else {
        Err(format!(
            "{s:?} is not a phone number in E.164 (expected + and 7 to 15 digits, like +14155550100)"
        ))
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
            Some(Command::Simulate(a)) => {
                assert_eq!(a.seed, Some(4));
                assert_eq!(a.protocol, ProviderKind::Numdialer);
            }
            _ => panic!("expected simulate"),
        }
        let cli = Cli::try_parse_from([
            "x",
            "simulate",
            "--protocol",
            "twilio",
            "--busy-rate",
            "0.5",
        ])
        .unwrap();
        let Some(Command::Simulate(a)) = cli.command else {
            panic!("expected simulate");
        };
        assert_eq!(a.twilio_config().busy_rate, 0.5);
        assert!(Cli::try_parse_from(["x", "--concurrency", "0"]).is_err());
        let cli = Cli::try_parse_from(["x", "openapi"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Openapi)));
    }

    #[test]
    fn dialer_headers_repeat_and_never_echo_their_value() {
        let p = provider_of(&[
            "--dialer-header",
            "Authorization: Bearer s3cr3t",
            "--dialer-header",
            "X-Tenant: blue",
        ])
        .unwrap();
        let names: Vec<&str> = p.dialer_headers.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["Authorization", "X-Tenant"]);
        assert!(!format!("{p:?}").contains("s3cr3t"));
        let err = provider_of(&["--dialer-header", "Authorization Bearer s3cr3t"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--dialer-header") && !err.contains("s3cr3t"),
            "{err}"
        );
    }

    fn provider_of(args: &[&str]) -> anyhow::Result<ProviderConfig> {
        let cli = Cli::try_parse_from(std::iter::once("x").chain(args.iter().copied()))?;
        Ok(cli.server.to_config()?.provider)
    }

    #[test]
    fn numdialer_stays_the_default() {
        let p = provider_of(&[]).unwrap();
        assert_eq!((p.dialer, &p.twilio), (ProviderKind::Numdialer, &None));
        assert_eq!(p.dialer_url, None);
        assert_eq!(p.max_cps, None);
        assert_eq!(
            provider_of(&["--max-cps", "2.5"]).unwrap().max_cps,
            Some(2.5)
        );
        assert!(provider_of(&["--max-cps", "-1"]).is_err());
        // Once a panic (exit 101) on a gap too long for a timer.
        let tiny = Cli::try_parse_from(["x", "--max-cps", "1e-20"]).unwrap_err();
        assert_eq!(tiny.exit_code(), 2);
        assert!(tiny.to_string().contains("from 0.001 to 10000"), "{tiny}");
    }

    #[test]
    fn twilio_needs_its_account_and_caller_id() {
        let err = provider_of(&["--dialer", "twilio", "--twilio-account-sid", "AC1"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("--twilio-auth-token"), "{err}");
        assert!(err.contains("--from"), "{err}");
        assert!(!err.contains("--twilio-account-sid"), "{err}");
        let p = provider_of(&[
            "--dialer",
            "twilio",
            "--twilio-account-sid",
            "AC1",
            "--twilio-auth-token",
            "hunter2",
            "--from",
            "+1 (415) 555-0100",
            "--twiml-url",
            "https://x.example/t.xml",
        ])
        .unwrap();
        assert_eq!(p.dialer, ProviderKind::Twilio);
        let Some(t) = &p.twilio else {
            panic!("expected twilio");
        };
        assert_eq!(t.from, "+14155550100");
        assert_eq!(
            t.instructions,
            Instructions::Url("https://x.example/t.xml".into())
        );
        assert_eq!(t.ring_timeout, Duration::from_secs(30));
        assert_eq!(p.max_cps, Some(1.0), "Twilio's own limit by default");
        let uncapped = provider_of(&[
            "--dialer",
            "twilio",
            "--twilio-account-sid",
            "AC1",
            "--twilio-auth-token",
            "t",
            "--from",
            "+15005550006",
            "--max-cps",
            "0",
        ])
        .unwrap();
        assert_eq!(uncapped.max_cps, None);
        assert!(!format!("{p:?}").contains("hunter2"));
        assert!(parse_e164("+1").is_err() && parse_e164("+1415555010a").is_err());
        assert!(provider_of(&["--twiml", "<Response/>", "--twiml-url", "http://x"]).is_err());
    }
}

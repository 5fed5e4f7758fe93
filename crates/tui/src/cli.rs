//! The command line of `numdialer`; every flag can also come from a
//! `NUMDIALER_*` environment variable. The value parsers, the provider
//! choice and its default cap come from `numdialer_core::args`, shared with
//! `numdialer-server`, so that the TUI depends on the server's library only
//! to embed it, never on its CLI.
//!
//! `numdialer` alone is the TUI; `numdialer <subcommand>` is a command for
//! scripts (see [`crate::commands`]). `--server` and `--token` are global,
//! so that both `numdialer --server U campaigns` and `numdialer campaigns
//! --server U` work; the TUI's own flags mean nothing to a subcommand and
//! are refused with one.

use clap::{CommandFactory, Parser};
use numdialer_core::args::{ProviderKind, parse_cps, parse_http_url, parse_scale, parse_seconds};
use numdialer_core::{Phone, Secret};
use numdialer_server::startup::read_numbers_file;
use std::path::PathBuf;
use std::time::Duration;

/// The variable the token was read from before the subcommands came, when
/// the server's own `NUMDIALER_API_TOKEN` was not yet the name for both:
/// still read, after that one, so that no existing setup breaks.
pub const OLD_TOKEN_ENV: &str = "NUMDIALER_TOKEN";

#[derive(Debug, Parser)]
#[command(
    name = "numdialer",
    version,
    about = "numdialer: press Call to dial a list of numbers, at most 3 calls at a time, \
             in list order, and watch every call's status live.",
    after_help = after_help(),
    subcommand_help_heading = "Commands for scripts (numdialer alone is the TUI)",
    subcommand_value_name = "COMMAND"
)]
pub struct Cli {
    /// URL of a running numdialer-server (e.g. https://vps.example.com).
    /// Without it the TUI starts an embedded server, and a subcommand asks
    /// http://127.0.0.1:3000 (numdialer-server's default --listen).
    #[arg(long, global = true, env = "NUMDIALER_SERVER", value_parser = parse_server,
          help_heading = "Server")]
    pub server: Option<String>,

    /// API token of that server (its --api-token), sent as a Bearer token.
    /// The older variable NUMDIALER_TOKEN is read too.
    #[arg(
        long,
        global = true,
        env = "NUMDIALER_API_TOKEN",
        hide_env_values = true,
        help_heading = "Server"
    )]
    pub token: Option<Secret>,

    /// A command for scripts and cron; without one, the TUI.
    #[command(subcommand)]
    pub command: Option<crate::commands::Command>,

    /// Seconds between polls when long polling is off (--long-poll 0), and
    /// the first pause before retrying an unreachable server.
    #[arg(long, env = "NUMDIALER_POLL_INTERVAL", default_value = "0.25", value_parser = parse_seconds)]
    pub poll_interval: Duration,

    /// Seconds the server may hold a poll until something changes (long
    /// polling: changes show at once, an idle screen costs one request per
    /// this many seconds). 0 turns it off and polls every --poll-interval.
    #[arg(long, env = "NUMDIALER_LONG_POLL", default_value = "25", value_parser = parse_wait)]
    pub long_poll: Duration,

    /// Embedded mode only: keep the data in this directory, so that a
    /// restarted numdialer resumes where it was and dials nobody twice.
    /// Default with --dialer-url: numdialer in the per-user data directory
    /// ($XDG_DATA_HOME/numdialer or ~/.local/share/numdialer on Linux).
    /// Default against the embedded simulator: a temporary store that
    /// vanishes on exit (nobody real is called).
    #[arg(long, env = "NUMDIALER_DATA_DIR", conflicts_with = "temporary")]
    pub data_dir: Option<PathBuf>,

    /// Embedded mode only: a temporary store that vanishes on exit, even
    /// with --dialer-url. A later run has forgotten who was called and
    /// dials the whole list again; the screen warns of it.
    #[arg(long, env = "NUMDIALER_TEMPORARY")]
    pub temporary: bool,

    /// Embedded mode only: dial real people through this dialer API
    /// instead of the embedded simulator (the data is then kept, see
    /// --data-dir).
    #[arg(long, env = "NUMDIALER_DIALER_URL", value_parser = parse_http_url)]
    pub dialer_url: Option<String>,

    /// Embedded mode only: the dialer API's protocol, `numdialer` or
    /// `twilio`. With `twilio` the embedded server speaks Twilio's
    /// Programmable Voice API to an embedded Twilio simulator (Basic auth,
    /// form dials, signed callbacks; nobody real is called). To dial through
    /// a real Twilio account, run `numdialer-server --dialer twilio` (see
    /// docs/providers.md) and connect to it with --server.
    #[arg(
        long,
        env = "NUMDIALER_DIALER",
        value_enum,
        default_value = "numdialer"
    )]
    pub dialer: ProviderKind,

    /// Embedded mode only: dials a second at most (fractions allowed; 0 is
    /// no cap) [default: 1 with --dialer twilio, Twilio's account limit; no
    /// cap otherwise].
    #[arg(long, env = "NUMDIALER_MAX_CPS", value_parser = parse_cps)]
    pub max_cps: Option<f64>,

    /// Embedded mode only: the list to dial, one number a line.
    #[arg(long, env = "NUMDIALER_NUMBERS_FILE")]
    pub numbers_file: Option<PathBuf>,

    /// Embedded mode only: time scale of the simulated dialer API (0.1 makes
    /// its calls 10 times faster).
    #[arg(long, env = "NUMDIALER_SIM_TIME_SCALE", default_value = "1", value_parser = parse_scale)]
    pub sim_time_scale: f64,
}

/// `--server`: an http(s) URL. `127.0.0.1:3462` without a scheme gets
/// the fix beside the reason, since url's own words ("relative URL
/// without a base") do not say it.
fn parse_server(s: &str) -> Result<String, String> {
    parse_http_url(s).map_err(|e| {
        if s.contains("://") {
            e
        } else {
            format!("{e}; add the scheme: --server http://{s}")
        }
    })
}

/// What `--help` says after the flags; its keys come from the table the
/// screen uses.
fn after_help() -> String {
    format!(
        "With no --server, numdialer starts an embedded server and an embedded \
         simulated dialer API: nothing else to run, and nothing kept. The embedded \
         server stops when the TUI quits, so with calls in flight, or with \
         campaigns or results in a temporary store, q asks first; Esc never quits. \
         With --dialer-url it dials real people, so it keeps its data (see \
         --data-dir). With --server numdialer connects to a running \
         numdialer-server, e.g. on a VPS, which keeps dialing when the TUI quits.\n\n\
         Keys: {}",
        crate::keys::help_hints()
    )
}

impl Cli {
    /// The token to send: `--token`, else `NUMDIALER_API_TOKEN` (both read
    /// by clap), else the older `NUMDIALER_TOKEN`.
    pub fn token(&self) -> Option<Secret> {
        self.token_from(|name| std::env::var(name).ok())
    }

    /// [`Cli::token`], reading the environment through `env`.
    fn token_from(&self, env: impl Fn(&str) -> Option<String>) -> Option<Secret> {
        self.token.clone().or_else(|| {
            env(OLD_TOKEN_ENV)
                .filter(|t| !t.is_empty())
                .map(Secret::from)
        })
    }

    /// The TUI's own flags given to a subcommand, named so the user learns
    /// that they mean nothing there. Set through their variables they are
    /// not named: a shell that exports NUMDIALER_POLL_INTERVAL for the TUI
    /// must still be able to run `numdialer campaigns`.
    pub fn tui_only_flags(&self, matches: &clap::ArgMatches) -> Vec<String> {
        use clap::parser::ValueSource;
        Cli::command()
            .get_arguments()
            .filter(|a| !a.is_global_set() && a.get_long().is_some())
            .filter(|a| matches.value_source(a.get_id().as_str()) == Some(ValueSource::CommandLine))
            .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
            .collect()
    }

    /// The `--numbers-file` list, read and checked before anything starts,
    /// so that a bad line stops the start with its line number.
    pub fn numbers(&self) -> anyhow::Result<Option<Vec<Phone>>> {
        self.numbers_file
            .as_deref()
            .map(read_numbers_file)
            .transpose()
    }

    /// `--max-cps`, or Twilio's own default limit with `--dialer twilio`;
    /// `None` is no cap. The rule is the server's too
    /// ([`ProviderKind::max_cps`]).
    pub fn max_cps(&self) -> Option<f64> {
        self.dialer.max_cps(self.max_cps)
    }

    /// Whether the embedded server would call real people: through any
    /// dialer API but its own simulator.
    pub fn dials_real_people(&self) -> bool {
        self.dialer_url.is_some()
    }

    /// Flags that mean nothing with --server, named so the user learns it.
    pub fn embedded_only_flags(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.data_dir.is_some() {
            v.push("--data-dir");
        }
        if self.temporary {
            v.push("--temporary");
        }
        if self.dialer_url.is_some() {
            v.push("--dialer-url");
        }
        if self.numbers_file.is_some() {
            v.push("--numbers-file");
        }
        if self.dialer != ProviderKind::Numdialer {
            v.push("--dialer");
        }
        if self.max_cps.is_some() {
            v.push("--max-cps");
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
    use clap::FromArgMatches;

    #[test]
    fn a_server_without_a_scheme_is_told_to_add_it() {
        let e = parse_server("127.0.0.1:3462").unwrap_err();
        assert!(
            e.ends_with("; add the scheme: --server http://127.0.0.1:3462"),
            "{e}"
        );
        assert_eq!(
            parse_server("http://127.0.0.1:3462/").as_deref(),
            Ok("http://127.0.0.1:3462")
        );
        assert!(
            !parse_server("ftp://x")
                .unwrap_err()
                .contains("add the scheme")
        );
    }

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
        let cli =
            Cli::try_parse_from(["numdialer", "--server", "https://vps:3000/", "--token", "t"])
                .unwrap();
        assert_eq!(cli.server.as_deref(), Some("https://vps:3000"));
        assert!(Cli::try_parse_from(["numdialer", "--server", "vps:3000"]).is_err());
        assert!(Cli::try_parse_from(["numdialer", "--poll-interval", "0"]).is_err());
        let both = Cli::try_parse_from(["numdialer", "--temporary", "--data-dir", "d"]);
        assert!(both.is_err(), "a store is either kept or temporary");
    }

    #[test]
    fn twilio_is_paced_at_its_account_limit_unless_told() {
        let parse = |argv: &[&str]| {
            Cli::try_parse_from(std::iter::once("numdialer").chain(argv.iter().copied())).unwrap()
        };
        assert_eq!(parse(&[]).max_cps(), None);
        assert_eq!(parse(&["--dialer", "twilio"]).max_cps(), Some(1.0));
        assert_eq!(
            parse(&["--dialer", "twilio", "--max-cps", "0"]).max_cps(),
            None
        );
        assert_eq!(parse(&["--max-cps", "2.5"]).max_cps(), Some(2.5));
        assert!(Cli::try_parse_from(["numdialer", "--max-cps", "-1"]).is_err());
        let tiny = Cli::try_parse_from(["numdialer", "--max-cps", "1e-20"]).unwrap_err();
        assert_eq!(tiny.exit_code(), 2, "a usage error, not a panic");
        assert!(tiny.to_string().contains("from 0.001 to 10000"), "{tiny}");
        assert!(Cli::try_parse_from(["numdialer", "--dialer", "sip"]).is_err());
        let remote = parse(&[
            "--server",
            "http://h:1",
            "--dialer",
            "twilio",
            "--max-cps",
            "2",
        ]);
        assert_eq!(remote.embedded_only_flags(), ["--dialer", "--max-cps"]);
    }

    #[test]
    fn the_older_token_variable_is_read_last() {
        let old = |name: &str| (name == OLD_TOKEN_ENV).then(|| "old".to_string());
        let given = Cli::try_parse_from(["numdialer", "--token", "new"]).unwrap();
        assert_eq!(given.token_from(old).unwrap().expose(), "new");
        let none = Cli::try_parse_from(["numdialer"]).unwrap();
        assert_eq!(none.token_from(old).unwrap().expose(), "old");
        assert!(none.token_from(|_| Some(String::new())).is_none());
        assert!(none.token_from(|_| None).is_none());
    }

    #[test]
    fn server_and_token_go_before_or_after_the_command() {
        for argv in [
            &[
                "numdialer",
                "--server",
                "http://h:1",
                "--token",
                "t",
                "campaigns",
            ][..],
            &[
                "numdialer",
                "campaigns",
                "--server",
                "http://h:1",
                "--token",
                "t",
            ],
            &[
                "numdialer",
                "--token",
                "t",
                "watch",
                "3",
                "--server",
                "http://h:1",
            ],
        ] {
            let cli = Cli::try_parse_from(argv).unwrap();
            assert!(cli.command.is_some(), "{argv:?}");
            assert_eq!(cli.server.as_deref(), Some("http://h:1"), "{argv:?}");
            assert_eq!(cli.token.as_ref().map(|t| t.expose()), Some("t"));
        }
        let bad = Cli::try_parse_from(["numdialer", "campaigns", "--server", "h:1"]);
        assert_eq!(bad.unwrap_err().exit_code(), 2);
    }

    #[test]
    fn the_tuis_flags_are_named_when_given_to_a_command() {
        let argv = [
            "numdialer",
            "--poll-interval",
            "1",
            "--data-dir",
            "d",
            "--server",
            "http://h:1",
            "campaigns",
        ];
        let matches = Cli::command().try_get_matches_from(argv).unwrap();
        let cli = Cli::from_arg_matches(&matches).unwrap();
        assert_eq!(
            cli.tui_only_flags(&matches),
            ["--poll-interval", "--data-dir"]
        );
        let matches = Cli::command()
            .try_get_matches_from(["numdialer", "campaigns"])
            .unwrap();
        let cli = Cli::from_arg_matches(&matches).unwrap();
        assert!(
            cli.tui_only_flags(&matches).is_empty(),
            "defaults are not given"
        );
    }

    #[test]
    fn every_command_parses_its_id_and_json() {
        use crate::commands::Command;
        let parse = |argv: &[&str]| {
            let argv = ["numdialer"].iter().chain(argv);
            Cli::try_parse_from(argv).map(|c| c.command.unwrap())
        };
        for op in ["start", "pause", "resume", "stop"] {
            match parse(&[op, "7", "--json"]).unwrap() {
                Command::Start(a) | Command::Pause(a) | Command::Resume(a) | Command::Stop(a) => {
                    assert_eq!((a.id, a.json), (7, true), "{op}");
                }
                other => panic!("{op}: {other:?}"),
            }
            assert_eq!(parse(&[op]).unwrap_err().exit_code(), 2, "{op} needs an id");
            assert_eq!(parse(&[op, "x"]).unwrap_err().exit_code(), 2, "{op} x");
        }
        assert!(matches!(parse(&["delete", "7"]), Ok(Command::Delete(a)) if a.id == 7));
        assert!(
            matches!(parse(&["delete", "7", "--json"]), Ok(Command::Delete(a)) if a.json),
            "delete prints its result as JSON too"
        );
        assert!(matches!(parse(&["campaigns"]), Ok(Command::Campaigns(a)) if a.id.is_none()));
        assert!(
            matches!(parse(&["campaigns", "2", "--json"]), Ok(Command::Campaigns(a)) if a.id == Some(2) && a.json)
        );
        match parse(&["export", "3", "-o", "r.csv"]).unwrap() {
            Command::Export(a) => assert_eq!((a.id, a.output), (3, Some("r.csv".into()))),
            other => panic!("{other:?}"),
        }
        assert!(matches!(parse(&["export", "3"]), Ok(Command::Export(a)) if a.output.is_none()));
        assert!(matches!(parse(&["watch", "3"]), Ok(Command::Watch(a)) if a.id == 3 && !a.json));
        assert_eq!(parse(&["dial"]).unwrap_err().exit_code(), 2);
    }

    #[test]
    fn every_command_has_an_example() {
        let mut cli = Cli::command();
        for sub in cli.get_subcommands_mut() {
            if sub.get_name() == "help" {
                continue;
            }
            let help = sub.render_long_help().to_string();
            assert!(
                help.contains(&format!("numdialer {}", sub.get_name())),
                "{}: {help}",
                sub.get_name()
            );
        }
    }

    #[test]
    fn help_ends_with_the_keys() {
        let help = Cli::command().render_help().to_string();
        assert!(help.contains("Keys: c call · n new · p pause"), "{help}");
        assert!(
            help.trim_end()
                .ends_with(&format!("Keys: {}", crate::keys::help_hints())),
            "{help}"
        );
    }

    #[test]
    fn a_bad_numbers_file_names_the_file_and_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let list = dir.path().join("n.txt");
        let text = "# list\n13018040009\n\nnot a number\n";
        std::fs::write(&list, text).unwrap();
        let cli =
            Cli::try_parse_from(["numdialer", "--numbers-file", list.to_str().unwrap()]).unwrap();
        let err = format!("{:#}", cli.numbers().unwrap_err());
        let cause = numdialer_core::parse_numbers(text).unwrap_err().to_string();
        assert!(cause.starts_with("line 4:"), "{cause}");
        assert_eq!(
            err,
            format!("bad --numbers-file {}: {cause}", list.display())
        );
        std::fs::write(&list, "13018040009\n19842068287\n").unwrap();
        assert_eq!(
            cli.numbers().unwrap(),
            Some(vec![
                Phone::parse("13018040009").unwrap(),
                Phone::parse("19842068287").unwrap()
            ])
        );
        let missing = dir.path().join("missing.txt");
        let cli = Cli::try_parse_from(["numdialer", "--numbers-file", missing.to_str().unwrap()])
            .unwrap();
        let err = format!("{:#}", cli.numbers().unwrap_err());
        assert!(
            err.starts_with(&format!(
                "cannot read --numbers-file {}: ",
                missing.display()
            )),
            "{err}"
        );
        let none = Cli::try_parse_from(["numdialer"]).unwrap();
        assert_eq!(none.numbers().unwrap(), None);
    }
}

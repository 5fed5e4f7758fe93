//! Embedded mode: the server started inside this process, which stops
//! when the TUI quits.
//!
//! Decided here, once, before the screen opens: where the data lives, and
//! what the screen must say about it. Whenever a real person can be dialed
//! (any dialer API but the embedded simulator), the store is durable by
//! default, in the per-user data directory: a temporary one would forget
//! who was called, and the next run would call them all again. Against the
//! simulator nobody real is called, so a temporary store stays the default
//! and a demo leaves nothing behind.
//!
//! Also here: a data directory that another numdialer holds becomes one
//! message that names the directory and how to choose another, instead of
//! the store's error chain.

use crate::cli::Cli;
use crate::failure::Usage;
use crate::mode::Embedded;
use numdialer_core::args::ProviderKind;
use numdialer_server::provider::simulator::twilio::TwilioSimConfig;
use numdialer_server::startup::TwilioSettings;
use numdialer_server::store::StoreError;
use numdialer_server::{RunningServer, ServerConfig};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Where the embedded server keeps its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Store {
    /// Gone when the TUI quits.
    Temporary,
    Dir(PathBuf),
}

impl Store {
    /// The store `cli` asks for. `default_dir` is where a durable store
    /// goes when --data-dir does not say; `None` where the platform knows
    /// no per-user data directory.
    pub fn choose(cli: &Cli, default_dir: Option<PathBuf>) -> Result<Store, Usage> {
        if let Some(dir) = &cli.data_dir {
            return Ok(Store::Dir(dir.clone()));
        }
        if cli.temporary || !cli.dials_real_people() {
            return Ok(Store::Temporary);
        }
        default_dir.map(Store::Dir).ok_or_else(|| {
            Usage(
                "no per-user data directory is known here (is HOME set?), and with \
                 --dialer-url the data must be kept: choose a directory with --data-dir DIR"
                    .into(),
            )
        })
    }
}

/// The durable store's default: `numdialer` in the per-user data directory
/// (`$XDG_DATA_HOME`, else `~/.local/share`, on Linux), found by `dirs`,
/// which knows each platform's rules.
pub fn default_data_dir() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("numdialer"))
}

/// Starts the embedded server as `cli` asks, and says what the screen must
/// know of it.
pub async fn start(cli: &Cli) -> anyhow::Result<(RunningServer, Embedded)> {
    let store = Store::choose(cli, default_data_dir())?;
    let mut config = ServerConfig::default();
    config.http.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    config.dialing.numbers = cli.numbers()?;
    config.provider.dialer_url = cli.dialer_url.clone();
    config.provider.sim.time_scale = cli.sim_time_scale;
    config.provider.max_cps = cli.max_cps();
    config.provider.dialer = cli.dialer;
    if cli.dialer == ProviderKind::Twilio {
        config.provider.twilio = Some(TwilioSettings::simulated());
        config.provider.twilio_sim = Some(demo_twilio(cli)?);
    }
    let mut embedded = Embedded {
        data: None,
        simulated: !cli.dials_real_people(),
        in_ssh: inside_ssh(|name| std::env::var_os(name).is_some()),
        twilio: cli.dialer == ProviderKind::Twilio,
        max_cps: config.provider.max_cps.map(|c| c.to_string()),
        call_timeout: config.dialing.call_timeout,
    };
    if let Store::Dir(dir) = &store {
        config.store.data_dir = Some(dir.clone());
        embedded.data = Some(shown(dir, dirs::home_dir().as_deref()));
    }
    let server = numdialer_server::start(config)
        .await
        .map_err(|e| match e.downcast_ref() {
            Some(StoreError::Locked { dir }) => anyhow::Error::new(in_use(dir)),
            _ => e.context("cannot start the embedded server"),
        })?;
    Ok((server, embedded))
}

/// The embedded Twilio simulator of `--dialer twilio`: some calls end
/// busy, unanswered or failed, so that the demo shows what each becomes.
/// A real Twilio account needs a public URL for its callbacks, which an
/// embedded server on a loopback port cannot offer: `--dialer-url` is
/// refused with the way to do it.
fn demo_twilio(cli: &Cli) -> Result<TwilioSimConfig, Usage> {
    if cli.dialer_url.is_some() {
        return Err(Usage(
            "--dialer twilio runs against an embedded Twilio simulator, without --dialer-url: \
             Twilio's callbacks need a public URL, which the embedded server has not. To dial \
             through a Twilio account, run numdialer-server --dialer twilio with --public-url \
             (see docs/providers.md) and connect with --server."
                .into(),
        ));
    }
    Ok(TwilioSimConfig {
        time_scale: cli.sim_time_scale,
        no_answer_rate: 0.15,
        busy_rate: 0.1,
        failed_rate: 0.05,
        // A campaign imported with --amd shows people and machines.
        machine_rate: 0.3,
        ..TwilioSimConfig::default()
    })
}

/// Whether the TUI runs in an SSH session whose end would end it (and so
/// the dialing), from the variables sshd sets. Inside tmux or screen the
/// TUI outlives the session, so there it is not said.
fn inside_ssh(is_set: impl Fn(&str) -> bool) -> bool {
    (is_set("SSH_CONNECTION") || is_set("SSH_TTY")) && !(is_set("TMUX") || is_set("STY"))
}

/// `path` as the header writes it: under the home directory as `~/…`,
/// shorter, and it says whose it is.
fn shown(path: &Path, home: Option<&Path>) -> String {
    let rest = home
        .filter(|h| !h.as_os_str().is_empty())
        .and_then(|h| path.strip_prefix(h).ok());
    match rest {
        Some(rest) if !rest.as_os_str().is_empty() => format!("~/{}", rest.display()),
        _ => path.display().to_string(),
    }
}

fn in_use(dir: &Path) -> Usage {
    Usage(format!(
        "the data directory {} is in use by another numdialer or numdialer-server (it holds \
         the store's lock).\nQuit that one first, or choose another directory with --data-dir \
         DIR (or NUMDIALER_DATA_DIR).",
        dir.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failure;
    use clap::Parser;

    fn cli(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("numdialer").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn durable_by_default_whenever_a_real_person_can_be_dialed() {
        let home = Some(PathBuf::from("/home/u/.local/share/numdialer"));
        let real = ["--dialer-url", "http://127.0.0.1:4901"];
        assert_eq!(
            Store::choose(&cli(&[]), home.clone()).unwrap(),
            Store::Temporary
        );
        assert_eq!(
            Store::choose(&cli(&real), home.clone()).unwrap(),
            Store::Dir(home.clone().unwrap())
        );
        let chosen = [&real[..], &["--data-dir", "/srv/d"]].concat();
        assert_eq!(
            Store::choose(&cli(&chosen), home.clone()).unwrap(),
            Store::Dir("/srv/d".into())
        );
        let throwaway = [&real[..], &["--temporary"]].concat();
        assert_eq!(
            Store::choose(&cli(&throwaway), None).unwrap(),
            Store::Temporary
        );
        let lost = Store::choose(&cli(&real), None).unwrap_err().to_string();
        assert!(lost.contains("--data-dir DIR"), "{lost}");
    }

    #[test]
    fn paths_under_home_are_shown_from_there() {
        let home = Path::new("/home/u");
        let d = Path::new("/home/u/.local/share/numdialer");
        assert_eq!(shown(d, Some(home)), "~/.local/share/numdialer");
        assert_eq!(shown(Path::new("/srv/d"), Some(home)), "/srv/d");
        assert_eq!(shown(home, Some(home)), "/home/u");
        assert_eq!(shown(d, Some(Path::new(""))), d.display().to_string());
        assert_eq!(shown(d, None), d.display().to_string());
    }

    #[test]
    fn ssh_is_said_unless_a_multiplexer_outlives_the_session() {
        let env = |set: &'static [&'static str]| move |name: &str| set.contains(&name);
        assert!(inside_ssh(env(&["SSH_CONNECTION"])));
        assert!(inside_ssh(env(&["SSH_TTY"])));
        assert!(!inside_ssh(env(&[])));
        assert!(!inside_ssh(env(&["SSH_CONNECTION", "TMUX"])));
        assert!(!inside_ssh(env(&["SSH_TTY", "STY"])));
    }

    #[test]
    fn twilio_runs_against_its_simulator_and_never_a_url() {
        let demo = demo_twilio(&cli(&["--dialer", "twilio", "--sim-time-scale", "0.5"])).unwrap();
        assert_eq!(demo.time_scale, 0.5);
        let real = cli(&[
            "--dialer",
            "twilio",
            "--dialer-url",
            "https://api.twilio.com",
        ]);
        let refused = demo_twilio(&real).unwrap_err().to_string();
        assert!(
            refused.contains("numdialer-server --dialer twilio"),
            "{refused}"
        );
    }

    /// The embedded server dials through Twilio's protocol at 1 dial a
    /// second, and says so to the header.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn twilio_starts_its_simulator_paced_at_one_a_second() {
        let (server, embedded) = start(&cli(&["--dialer", "twilio"])).await.unwrap();
        assert!(embedded.twilio && embedded.simulated);
        assert_eq!((embedded.data, embedded.max_cps), (None, Some("1".into())));
        let probe = reqwest::Client::new()
            .get(format!("{}/2010-04-01/Accounts/x.json", server.dialer_url))
            .send()
            .await
            .unwrap();
        assert_eq!(probe.status(), 401, "Twilio's API, asking for Basic auth");
        server.shutdown().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_second_server_on_one_directory_names_it_and_the_lock_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_str().unwrap();
        let (first, embedded) = start(&cli(&["--data-dir", path])).await.unwrap();
        assert_eq!(embedded.data.as_deref(), Some(path));
        let e = start(&cli(&["--data-dir", path])).await.err().unwrap();
        assert_eq!(failure::exit_code(&e), 2);
        let text = failure::describe(&e);
        assert!(
            text.starts_with(&format!("the data directory {path} is in use")),
            "{text}"
        );
        assert_eq!(text.matches("lock").count(), 1, "the cause once: {text}");
        assert!(text.contains("--data-dir DIR"), "{text}");
        first.shutdown().await;
    }
}

//! The release-built `numdialer-server` (and `numdialer`) as child processes.

use anyhow::Context;
use numdialer_testkit::{Log, ServerProcess, free_port};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

/// The binaries sit beside this one in `target/release`.
pub fn sibling(name: &str) -> anyhow::Result<PathBuf> {
    let me = std::env::current_exe()?;
    let path = me.with_file_name(name);
    anyhow::ensure!(
        path.exists(),
        "{} is missing: build everything first with `cargo build --release --workspace`",
        path.display()
    );
    Ok(path)
}

/// A release-built server on a fresh data directory, killed when dropped.
pub struct Server {
    process: ServerProcess,
    listen: SocketAddr,
    args: Vec<String>,
    /// The data directory and the list; removed once the process is gone,
    /// because fields drop in order.
    _dir: tempfile::TempDir,
}

impl Server {
    /// A server on a fresh data directory dialing `entries` numbers through
    /// the API at `dialer_url`.
    pub async fn spawn(
        dialer_url: &str,
        entries: usize,
        concurrency: usize,
        extra: &[&str],
    ) -> anyhow::Result<Server> {
        let dir = tempfile::tempdir()?;
        let list = dir.path().join("numbers.txt");
        let text: Vec<String> = (0..entries).map(crate::api::phone).collect();
        std::fs::write(&list, text.join("\n"))?;
        let listen = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()?));
        let concurrency = concurrency.to_string();
        let data = dir.path().join("data");
        let mut args = vec![
            "--dialer-url",
            dialer_url,
            "--data-dir",
            data.to_str().unwrap(),
            "--numbers-file",
            list.to_str().unwrap(),
            "--concurrency",
            &concurrency,
            "--call-timeout",
            "600",
        ];
        args.extend(extra);
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let process = start(listen, &args).await?;
        Ok(Server {
            process,
            listen,
            args,
            _dir: dir,
        })
    }

    /// Kills it (`kill -9`) and starts it again on the same directory, as
    /// after a crash: what a restart loads is measured, not what a run kept.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.process.kill9()?;
        self.process = start(self.listen, &self.args).await?;
        Ok(())
    }

    pub fn base(&self) -> &str {
        self.process.base()
    }

    pub fn pid(&self) -> u32 {
        self.process.pid()
    }
}

async fn start(listen: SocketAddr, args: &[String]) -> anyhow::Result<ServerProcess> {
    let log = Log {
        filter: "warn",
        file: None,
    };
    ServerProcess::start(&sibling("numdialer-server")?, listen, args, log)
        .await
        .context("starting numdialer-server")
}

/// Resident set size in KiB, from /proc.
pub fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    status_kib(pid, "VmRSS:")
}

/// The most resident set size the process ever had, in KiB.
pub fn peak_rss_kib(pid: u32) -> anyhow::Result<u64> {
    status_kib(pid, "VmHWM:")
}

fn status_kib(pid: u32, field: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| format!("no {field} in /proc/{pid}/status"))
}

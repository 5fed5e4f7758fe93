//! The release-built `numdialer-server` (and `numdialer`) as child processes.

use anyhow::Context;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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

pub struct Server {
    child: Child,
    pub base: String,
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
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let listen = format!("127.0.0.1:{port}");
        let child = Command::new(sibling("numdialer-server")?)
            .args(["--listen", &listen, "--dialer-url", dialer_url])
            .args(["--data-dir", dir.path().join("data").to_str().unwrap()])
            .args(["--numbers-file", list.to_str().unwrap()])
            .args(["--concurrency", &concurrency.to_string()])
            .args(["--call-timeout", "600"])
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting numdialer-server")?;
        let server = Server {
            child,
            base: format!("http://{listen}"),
            _dir: dir,
        };
        server.wait_ready().await?;
        Ok(server)
    }

    async fn wait_ready(&self) -> anyhow::Result<()> {
        let until = Instant::now() + Duration::from_secs(60);
        let http = reqwest::Client::new();
        loop {
            if let Ok(r) = http.get(format!("{}/healthz", self.base)).send().await
                && r.status().is_success()
            {
                return Ok(());
            }
            anyhow::ensure!(Instant::now() < until, "the server did not start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Resident set size in KiB, from /proc.
pub fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS")
}

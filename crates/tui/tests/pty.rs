//! The real `numdialer` binary in a real pseudo-terminal, its screen read
//! back through a vt100 parser: what a person would see.

use numdialer_server::{RunningServer, ServerConfig};
use portable_pty::{Child, CommandBuilder, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::num::NonZeroU16;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(90);

struct Tui {
    screen: Arc<Mutex<vt100::Parser>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
}

impl Tui {
    fn spawn(args: &[&str]) -> Tui {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: 24,
                cols: 80,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_numdialer"));
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("NO_COLOR");
        let child = pair.slave.spawn_command(cmd).unwrap();
        drop(pair.slave);
        let screen = Arc::new(Mutex::new(vt100::Parser::new(
            NonZeroU16::new(24).unwrap(),
            NonZeroU16::new(80).unwrap(),
            0,
        )));
        let mut reader = pair.master.try_clone_reader().unwrap();
        let sink = screen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().process(&buf[..n]);
            }
        });
        let writer = pair.master.take_writer().unwrap();
        // The master must outlive the child, or the child gets SIGHUP.
        std::mem::forget(pair.master);
        Tui {
            screen,
            writer,
            child,
        }
    }

    fn contents(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    /// Waits until the screen satisfies `check`; fails with the screen.
    fn wait(&self, what: &str, check: impl Fn(&str) -> bool) {
        let until = Instant::now() + DEADLINE;
        loop {
            let text = self.contents();
            if check(&text) {
                return;
            }
            assert!(
                Instant::now() < until,
                "timed out waiting for {what}; screen:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn press(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let until = Instant::now() + DEADLINE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < until, "the TUI did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The terminal is back as the shell expects it: main screen, no mouse
    /// reporting, cursor shown.
    fn assert_restored(&self) {
        let until = Instant::now() + Duration::from_secs(10);
        loop {
            let p = self.screen.lock().unwrap();
            let s = p.screen();
            let restored = !s.alternate_screen()
                && s.mouse_protocol_mode() == vt100::MouseProtocolMode::None
                && !s.hide_cursor();
            if restored {
                return;
            }
            drop(p);
            assert!(Instant::now() < until, "terminal not restored");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn count(text: &str, word: &str) -> usize {
    text.lines().filter(|l| l.contains(word)).count()
}

#[test]
fn embedded_dial_down_on_screen() {
    let mut tui = Tui::spawn(&["--sim-time-scale", "0.01"]);
    tui.wait("9 idle rows and the Call button", |s| {
        count(s, " idle ") == 9 && s.contains("[ Call ] press c")
    });
    tui.press("c");
    tui.wait("dialing to start", |s| {
        s.contains("dialing…") || s.contains("done")
    });
    tui.wait("all 9 completed", |s| {
        count(s, " completed ") == 9 && s.contains("[ Call ] done")
    });
    let finished = tui.contents();
    assert!(finished.contains("9 of 9 finished"), "{finished}");
    tui.press("c");
    tui.press("q");
    assert!(tui.wait_exit().success());
    tui.assert_restored();
}

async fn start_server(port: u16, dir: &Path) -> RunningServer {
    let mut config = ServerConfig::default();
    config.http.listen = SocketAddr::from(([127, 0, 0, 1], port));
    config.http.api_token = Some("tui-test-token".into());
    config.store.data_dir = Some(dir.to_path_buf());
    config.dialing.call_timeout = Duration::from_secs(2);
    config.provider.sim.time_scale = 0.05;
    numdialer_server::start(config).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_server_going_away_and_coming_back() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(0, dir.path()).await;
    let port = server.addr.port();
    let url = server.url();
    let tui = tokio::task::spawn_blocking(move || {
        let mut tui = Tui::spawn(&[
            "--server",
            &url,
            "--token",
            "tui-test-token",
            "--poll-interval",
            "0.1",
        ]);
        tui.wait("the remote table", |s| {
            count(s, " idle ") == 9 && s.contains("remote ·")
        });
        tui.press("c");
        tui.wait("a call under way", |s| {
            s.contains("ringing") || s.contains("answered") || s.contains("completed")
        });
        tui
    })
    .await
    .unwrap();

    server.shutdown().await;
    let tui = tokio::task::spawn_blocking(move || {
        tui.wait("the server to show as unreachable", |s| {
            s.contains("unreachable, retrying")
        });
        tui
    })
    .await
    .unwrap();

    let server = start_server(port, dir.path()).await;
    let tui = tokio::task::spawn_blocking(move || {
        tui.wait("the screen to recover and finish", |s| {
            s.contains("● live") && s.contains("9 of 9 finished") && s.contains("[ Call ] done")
        });
        let pid = tui.child.process_id().unwrap();
        let ok = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
        tui
    })
    .await
    .unwrap();
    let mut tui = tui;
    let status = tokio::task::spawn_blocking(move || {
        let s = tui.wait_exit();
        tui.assert_restored();
        s
    })
    .await
    .unwrap();
    assert!(status.success(), "SIGTERM ends the TUI cleanly: {status:?}");
    server.shutdown().await;
}

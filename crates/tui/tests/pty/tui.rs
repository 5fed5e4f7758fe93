//! The `numdialer` binary in a pseudo-terminal of 80 × 24, its screen
//! parsed by vt100 as a terminal would show it.

use portable_pty::{Child, CommandBuilder, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long any one wait may take: generous, because a debug build on a
/// loaded 2-core machine can take seconds to open a store. Waits end as
/// soon as their condition holds, so this costs nothing when all is well.
pub const DEADLINE: Duration = Duration::from_secs(90);

/// Variables of the developer's own session that would change the screen
/// (the SSH warning): cleared, so that a test says what it expects.
const SESSION_VARS: [&str; 4] = ["SSH_CONNECTION", "SSH_TTY", "TMUX", "STY"];

pub struct Tui {
    screen: Arc<Mutex<vt100::Parser>>,
    writer: Box<dyn Write + Send>,
    pub child: Box<dyn Child + Send + Sync>,
}

impl Tui {
    pub fn spawn(args: &[&str]) -> Tui {
        Tui::spawn_with(args, |_| {})
    }

    /// Starts `numdialer args`, its environment set by `setup` last.
    pub fn spawn_with(args: &[&str], setup: impl FnOnce(&mut CommandBuilder)) -> Tui {
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
        for var in SESSION_VARS {
            cmd.env_remove(var);
        }
        setup(&mut cmd);
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

    pub fn contents(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    /// Waits until the screen satisfies `check`; fails with the screen.
    pub fn wait(&self, what: &str, check: impl Fn(&str) -> bool) {
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

    pub fn press(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// Sends `signal` ("TERM", "HUP") to the TUI, as a shell's kill would.
    pub fn signal(&self, signal: &str) {
        let pid = self.child.process_id().unwrap();
        let sent = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &pid.to_string()])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -{signal} {pid}");
    }

    pub fn wait_exit(&mut self) -> portable_pty::ExitStatus {
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
    pub fn assert_restored(&self) {
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

pub fn count(text: &str, word: &str) -> usize {
    text.lines().filter(|l| l.contains(word)).count()
}

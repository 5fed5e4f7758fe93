//! A temporary stand-in for a user's account: every place that the TUI
//! could write without being told where (the home directory, the XDG data
//! directory, the working directory, the temporary directory) lies inside
//! one temporary directory, so that a test can list what a run wrote and
//! show that it went to the per-user data directory and nowhere else.

use portable_pty::CommandBuilder;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// The XDG variables that would point the TUI elsewhere than `HOME`.
const XDG_VARS: [&str; 5] = [
    "XDG_DATA_HOME",
    "XDG_CONFIG_HOME",
    "XDG_CACHE_HOME",
    "XDG_STATE_HOME",
    "XDG_RUNTIME_DIR",
];

pub struct Sandbox {
    root: TempDir,
    /// `XDG_DATA_HOME`, when the test sets it; else it is unset.
    xdg_data_home: Option<PathBuf>,
}

impl Sandbox {
    /// `HOME` in the sandbox and no XDG variables: the data goes to
    /// `~/.local/share/numdialer`.
    pub fn home_only() -> Sandbox {
        Sandbox::make(false)
    }

    /// `HOME` and `XDG_DATA_HOME` both in the sandbox, apart: the data goes
    /// to `$XDG_DATA_HOME/numdialer`, and the home stays empty.
    pub fn with_xdg_data_home() -> Sandbox {
        Sandbox::make(true)
    }

    fn make(xdg: bool) -> Sandbox {
        let root = tempfile::tempdir().unwrap();
        for dir in ["home", "cwd", "tmp"] {
            std::fs::create_dir(root.path().join(dir)).unwrap();
        }
        let xdg_data_home = xdg.then(|| root.path().join("xdg"));
        if let Some(d) = &xdg_data_home {
            std::fs::create_dir(d).unwrap();
        }
        Sandbox {
            root,
            xdg_data_home,
        }
    }

    pub fn home(&self) -> PathBuf {
        self.root.path().join("home")
    }

    /// Where the TUI should keep its data in this sandbox.
    pub fn data_dir(&self) -> PathBuf {
        match &self.xdg_data_home {
            Some(d) => d.join("numdialer"),
            None => self.home().join(".local/share/numdialer"),
        }
    }

    /// Runs the command as the sandbox's user.
    pub fn apply(&self, cmd: &mut CommandBuilder) {
        for var in XDG_VARS {
            cmd.env_remove(var);
        }
        cmd.env("HOME", self.home());
        if let Some(d) = &self.xdg_data_home {
            cmd.env("XDG_DATA_HOME", d);
        }
        cmd.env("TMPDIR", self.root.path().join("tmp"));
        cmd.cwd(self.root.path().join("cwd"));
    }

    /// Fails unless the run wrote a store into `data_dir()` and nothing
    /// anywhere else in the sandbox: no file, and no directory but the
    /// ones that lead to the data.
    pub fn assert_only_the_data_dir_was_written(&self) {
        let data = self.data_dir();
        let made: Vec<PathBuf> = ["home", "cwd", "tmp", "xdg"]
            .iter()
            .map(|d| self.root.path().join(d))
            .collect();
        let found: Vec<PathBuf> = paths_under(self.root.path())
            .into_iter()
            .filter(|p| !made.contains(p))
            .collect();
        assert!(
            found.iter().any(|p| p.starts_with(&data) && p.is_file()),
            "no store in {}: {found:#?}",
            data.display()
        );
        let leads_to_data = |p: &PathBuf| p.is_dir() && data.starts_with(p);
        let elsewhere: Vec<_> = found
            .iter()
            .filter(|p| !(p.starts_with(&data) || leads_to_data(p)))
            .collect();
        assert!(
            elsewhere.is_empty(),
            "written outside {}: {elsewhere:#?}",
            data.display()
        );
    }
}

/// Every file and directory below `dir`.
fn paths_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(paths_under(&path));
        }
        found.push(path);
    }
    found
}

//! The disk as the TUI's prompts need it: what completes a typed path
//! (Tab), `~` for the home directory, and an export written whole or not
//! at all. The run loop calls these; `App` never does, and gets the
//! answers as events.

use crate::client::{Client, ClientError};
use std::io::Write;
use std::path::{MAIN_SEPARATOR, Path, PathBuf};

/// `~/x` as the home directory's `x`; any other path as it is.
pub fn expand_home(typed: &str) -> PathBuf {
    match (typed.strip_prefix("~/"), dirs::home_dir()) {
        (Some(rest), Some(home)) => home.join(rest),
        _ if typed == "~" => dirs::home_dir().unwrap_or_else(|| PathBuf::from(typed)),
        _ => PathBuf::from(typed),
    }
}

/// Every name in the typed path's directory that starts as its last part
/// does, as whole paths written the way they were typed; directories end
/// in `/`, so that Tab can go on into them. Hidden names only when the
/// typed part starts with a dot.
pub fn complete(typed: &str) -> Vec<String> {
    let (dir, start) = match typed.rfind(MAIN_SEPARATOR) {
        Some(i) => typed.split_at(i + 1),
        None => ("", typed),
    };
    let listed = if dir.is_empty() {
        PathBuf::from(".")
    } else {
        expand_home(dir)
    };
    let Ok(entries) = std::fs::read_dir(&listed) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let wanted =
                name.starts_with(start) && (start.starts_with('.') || !name.starts_with('.'));
            if !wanted {
                return None;
            }
            let slash = if e.path().is_dir() { "/" } else { "" };
            Some(format!("{dir}{name}{slash}"))
        })
        .collect()
}

/// `results.csv` is written as `.results.csv.part` until it is whole, so
/// that a half-written export never passes for a whole one.
pub fn part_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export.csv".into());
    path.with_file_name(format!(".{name}.part"))
}

/// Writes campaign `id`'s CSV to `path`, through its part file; the bytes
/// written, or what went wrong in words for the message line.
pub async fn export(client: &Client, id: u64, path: &Path) -> Result<u64, String> {
    let part = part_path(path);
    let file = std::fs::File::create(&part)
        .map_err(|e| format!("cannot write {}: {e}", part.display()))?;
    let written = async {
        let mut export = client.export_campaign(id).await.map_err(say)?;
        let mut out = std::io::BufWriter::new(file);
        let mut bytes = 0;
        while let Some(piece) = export.chunk().await.map_err(say)? {
            out.write_all(&piece).map_err(|e| e.to_string())?;
            bytes += piece.len() as u64;
        }
        out.into_inner()
            .map_err(|e| e.into_error().to_string())?
            .sync_all()
            .map_err(|e| e.to_string())?;
        Ok(bytes)
    }
    .await;
    match written {
        Ok(bytes) => {
            std::fs::rename(&part, path).map_err(|e| {
                format!("cannot move {} to {}: {e}", part.display(), path.display())
            })?;
            Ok(bytes)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            Err(e)
        }
    }
}

fn say(e: ClientError) -> String {
    e.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completion_lists_names_as_typed_and_marks_directories() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().to_str().unwrap();
        std::fs::create_dir(dir.path().join("lists")).unwrap();
        std::fs::write(dir.path().join("leads.csv"), "phone\n").unwrap();
        std::fs::write(dir.path().join(".hidden.csv"), "").unwrap();
        let mut found = complete(&format!("{base}/l"));
        found.sort();
        assert_eq!(
            found,
            [format!("{base}/leads.csv"), format!("{base}/lists/")]
        );
        assert_eq!(
            complete(&format!("{base}/.h")),
            [format!("{base}/.hidden.csv")]
        );
        assert!(complete(&format!("{base}/nothing/x")).is_empty());
        assert_eq!(
            part_path(Path::new("out/r.csv")),
            Path::new("out/.r.csv.part")
        );
    }
}

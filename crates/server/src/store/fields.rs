//! The import's names and extra columns, one file per campaign beside
//! sled's, read only when an answer, an export or a `call.completed` event
//! shows them.
//!
//! A spreadsheet's list carries dozens of columns that dialing never
//! reads, and a name that only a screen shows. Held in memory, a 32 MiB CSV of 100 columns kept 3 KB per entry
//! even after a restart; kept in sled, its records sat in sled's cache
//! after the import, and a row over sled's blob threshold made a file that
//! sled never frees; a name alone cost an entry about 250 bytes of
//! details. Here they are a file of JSON lines (`fields/<id>`, one
//! [`EntryText`] per entry in list order) that the operating system
//! caches, not this process, and that a delete gives back whole. In memory stays only where each line ends
//! (8 bytes an entry).
//!
//! A campaign's file is written, synced and renamed into place before its
//! list and record are: once the campaign exists its file does. A file
//! without a campaign (an import cut short, a delete half done) is an
//! orphan, removed with the campaign's other records. A store without a
//! directory (the embedded demo's) has no files: its names and columns
//! stay with the entries, as do those of campaigns imported before this
//! file existed.

use super::StoreError;
use numdialer_core::Entry;
use numdialer_core::campaign::Fields;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// What the file holds of one entry: its name and its extra columns, each
/// left out when it has none (`{}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EntryText {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Fields::is_empty")]
    pub fields: Fields,
}

/// An entry's line read for its name alone: its columns are skipped, not
/// kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct EntryName {
    #[serde(default)]
    pub name: Option<String>,
}

/// The names of entries `indices` (ascending) of campaign `id`, from its
/// file, or `None` if it has none: one read of the span when the entries
/// are close together, one per entry when they are scattered (a delta).
pub fn names(
    files: &FieldsFiles,
    id: u64,
    indices: &[usize],
) -> Result<Option<Vec<Option<String>>>, StoreError> {
    let (Some(&lo), Some(&hi)) = (indices.first(), indices.last()) else {
        return Ok(Some(Vec::new()));
    };
    if !files.has(id) {
        return Ok(None);
    }
    let one = |line: Option<EntryName>| line.and_then(|l| l.name);
    if hi - lo < 4 * indices.len() {
        let Some(span) = files.read::<EntryName>(id, lo, hi + 1)? else {
            return Ok(None);
        };
        return Ok(Some(
            indices
                .iter()
                .map(|&i| one(span.get(i - lo).cloned()))
                .collect(),
        ));
    }
    let mut out = Vec::with_capacity(indices.len());
    for &i in indices {
        let line = files.read::<EntryName>(id, i, i + 1)?;
        out.push(one(line.and_then(|l| l.into_iter().next())));
    }
    Ok(Some(out))
}

/// The files of one data directory, and those open.
#[derive(Debug, Default)]
pub struct FieldsFiles {
    /// `None` for a store that vanishes with the process.
    dir: Option<PathBuf>,
    open: Mutex<HashMap<u64, Arc<FieldsFile>>>,
}

/// One campaign's file, open for reading.
#[derive(Debug)]
struct FieldsFile {
    file: File,
    /// Where each entry's line ends, newline included.
    ends: Vec<u64>,
}

impl FieldsFile {
    /// Entry `i`'s line, without its newline.
    fn line(&self, i: usize) -> Option<std::ops::Range<u64>> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(start..end.saturating_sub(1).max(start))
    }
}

impl FieldsFiles {
    pub fn new(dir: Option<PathBuf>) -> Self {
        FieldsFiles {
            dir,
            open: Mutex::default(),
        }
    }

    fn path(dir: &Path, id: u64) -> PathBuf {
        dir.join(id.to_string())
    }

    fn open_files(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<FieldsFile>>> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn get(&self, id: u64) -> Option<Arc<FieldsFile>> {
        self.open_files().get(&id).cloned()
    }

    /// Writes the names and extra columns of campaign `id`'s new list to
    /// its file, durably, and takes them out of `entries`. Nothing is
    /// written, and the entries keep them, without a directory or when no
    /// entry has either.
    pub fn write(&self, id: u64, entries: &mut [Entry]) -> Result<(), StoreError> {
        let Some(dir) = &self.dir else {
            return Ok(());
        };
        if entries
            .iter()
            .all(|e| e.details().fields.is_empty() && e.details().name.is_none())
        {
            return Ok(());
        }
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |error| StoreError::Io { path, error }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let path = Self::path(dir, id);
        let partial = path.with_extension("partial");
        let mut out = BufWriter::new(File::create(&partial).map_err(io(&partial))?);
        let mut ends = Vec::with_capacity(entries.len());
        let mut at = 0u64;
        for e in entries.iter_mut() {
            let (name, fields) = e.take_text();
            let text = EntryText { name, fields };
            let mut line = serde_json::to_vec(&text).expect("texts always serialise");
            line.push(b'\n');
            out.write_all(&line).map_err(io(&partial))?;
            at += line.len() as u64;
            ends.push(at);
        }
        let file = out.into_inner().map_err(|e| io(&partial)(e.into_error()))?;
        file.sync_all().map_err(io(&partial))?;
        drop(file);
        std::fs::rename(&partial, &path).map_err(io(&path))?;
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io(dir))?;
        let file = File::open(&path).map_err(io(&path))?;
        self.open_files()
            .insert(id, Arc::new(FieldsFile { file, ends }));
        Ok(())
    }

    /// Opens campaign `id`'s file if it has one, and takes out of `entries`
    /// any name or fields an entry record still carries: the file holds
    /// them. A
    /// file that does not hold a line per entry is left unopened, with a
    /// warning, and the entries keep what they have.
    pub fn open(&self, id: u64, entries: &mut [Entry]) -> Result<(), StoreError> {
        let Some(dir) = &self.dir else {
            return Ok(());
        };
        let path = Self::path(dir, id);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(error) => return Err(StoreError::Io { path, error }),
        };
        let mut ends = Vec::with_capacity(entries.len());
        let mut reader = BufReader::with_capacity(64 * 1024, &file);
        let mut at = 0u64;
        let mut line = Vec::new();
        loop {
            line.clear();
            let n = reader
                .read_until(b'\n', &mut line)
                .map_err(|error| StoreError::Io {
                    path: path.clone(),
                    error,
                })?;
            if n == 0 {
                break;
            }
            at += n as u64;
            ends.push(at);
        }
        drop(reader);
        if ends.len() != entries.len() {
            tracing::warn!(
                campaign = id,
                lines = ends.len(),
                entries = entries.len(),
                "{} does not hold a line per entry: its extra columns are not read",
                path.display()
            );
            return Ok(());
        }
        for e in entries.iter_mut() {
            e.take_text();
        }
        self.open_files()
            .insert(id, Arc::new(FieldsFile { file, ends }));
        Ok(())
    }

    /// Whether campaign `id`'s entries keep their text in a file.
    pub fn has(&self, id: u64) -> bool {
        self.get(id).is_some()
    }

    /// The names and extra columns of entries `from..to` of campaign `id`,
    /// from its file; `None` if it has none (its entries hold their own).
    /// `T` is [`EntryText`], or [`EntryName`] where only names are shown.
    pub fn read<T: serde::de::DeserializeOwned>(
        &self,
        id: u64,
        from: usize,
        to: usize,
    ) -> Result<Option<Vec<T>>, StoreError> {
        let Some(f) = self.get(id) else {
            return Ok(None);
        };
        let to = to.min(f.ends.len());
        if from >= to {
            return Ok(Some(Vec::new()));
        }
        let (Some(first), Some(last)) = (f.line(from), f.line(to - 1)) else {
            return Ok(Some(Vec::new()));
        };
        let path = || {
            self.dir
                .as_deref()
                .map(|d| Self::path(d, id))
                .unwrap_or_default()
        };
        let mut bytes = vec![0; (last.end - first.start) as usize];
        f.file
            .read_exact_at(&mut bytes, first.start)
            .map_err(|error| StoreError::Io {
                path: path(),
                error,
            })?;
        bytes
            .split(|&b| b == b'\n')
            .enumerate()
            .map(|(n, line)| {
                serde_json::from_slice(line).map_err(|error| StoreError::Corrupt {
                    key: format!("{}, line {}", path().display(), from + n + 1),
                    error,
                })
            })
            .collect::<Result<Vec<T>, _>>()
            .map(Some)
    }

    /// Forgets campaign `id`'s file and removes it.
    pub fn remove(&self, id: u64) -> Result<(), StoreError> {
        self.open_files().remove(&id);
        let Some(dir) = &self.dir else {
            return Ok(());
        };
        for path in [
            Self::path(dir, id),
            Self::path(dir, id).with_extension("partial"),
        ] {
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(StoreError::Io { path, error: e });
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The campaigns that have a file (written whole or in part).
    pub fn ids(&self) -> Result<Vec<u64>, StoreError> {
        let Some(dir) = &self.dir else {
            return Ok(Vec::new());
        };
        let listing = match std::fs::read_dir(dir) {
            Ok(l) => l,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => {
                return Err(StoreError::Io {
                    path: dir.clone(),
                    error,
                });
            }
        };
        let mut ids = Vec::new();
        for item in listing.flatten() {
            let name = item.file_name();
            let stem = Path::new(&name).file_stem().and_then(|s| s.to_str());
            if let Some(id) = stem.and_then(|s| s.parse::<u64>().ok())
                && !ids.contains(&id)
            {
                ids.push(id);
            }
        }
        Ok(ids)
    }
}

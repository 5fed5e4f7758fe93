//! A small file beside sled's own that sled cannot roll back with it.
//!
//! A data directory that lost writes (a truncated or zeroed `db`, a deleted
//! one, a wrong volume mount, another directory's files) opens in sled as
//! an older or empty list, and an older list re-dials everyone it forgot.
//! The manifest remembers, outside sled, the directory's identity and lower
//! bounds of what sled had made durable: the version and how many entries
//! were ever dialed. A store that holds less than that was damaged, and
//! the server refuses it instead of dialing anyone twice.
//!
//! Written atomically: a temporary file, fsync, rename over the old one,
//! fsync of the directory, so that a crash leaves the old or the new
//! manifest, never half of one.

use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

pub const FILE: &str = "numdialer-manifest.json";
const FORMAT: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    /// Made at random when the directory was new; also stored in sled.
    pub id: String,
    /// The store was durable at least up to this version.
    pub version: u64,
    /// At least this many entries had been dialed, durably.
    pub dialed: u64,
}

impl Manifest {
    pub fn new(id: String, marks: Marks) -> Manifest {
        Manifest {
            format: FORMAT,
            id,
            version: marks.version,
            dialed: marks.dialed,
        }
    }
}

/// How far a store has come: both only ever grow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Marks {
    pub version: u64,
    pub dialed: u64,
}

/// What a data directory holds, as opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The identity stored in sled (absent in directories made before the
    /// manifest existed, and in an emptied store).
    pub id: Option<String>,
    /// `None` when the store holds no list at all.
    pub marks: Option<Marks>,
}

/// Why a data directory is refused. Each says what was found and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Damage {
    #[error(
        "its store is empty, but its manifest says {dialed} entries had been dialed (version \
         {version}): the sled files were deleted or replaced"
    )]
    Emptied { version: u64, dialed: u64 },
    #[error(
        "its store holds version {found_version} with {found_dialed} entries dialed, but its \
         manifest says at least version {version} with {dialed} dialed: sled lost writes (a \
         truncated, zeroed or rolled-back file)"
    )]
    LostWrites {
        found_version: u64,
        found_dialed: u64,
        version: u64,
        dialed: u64,
    },
    #[error(
        "its store belongs to another data directory (identity {found}, the manifest says \
         {expected}): sled files were copied or mounted from elsewhere"
    )]
    Foreign { found: String, expected: String },
    #[error(
        "its store has dialed {dialed} entries but its manifest ({file}) is missing: it was \
         deleted, or the directory was restored without it"
    )]
    ManifestMissing { dialed: u64, file: &'static str },
    #[error("its manifest ({file}) is unreadable: {why}")]
    ManifestUnreadable { file: &'static str, why: String },
}

/// What opening may do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The store adds up: keep the manifest's identity.
    Sound { id: String },
    /// No manifest yet and nothing it could have protected (a new
    /// directory, one made by a release before the manifest, or nothing
    /// dialed yet): adopt this identity.
    Adopt { id: String },
}

/// Holds what a store holds against what its manifest remembers.
/// `fresh_id` is the identity to adopt when the directory has none.
pub fn check(
    manifest: Result<Option<Manifest>, String>,
    found: &Found,
    fresh_id: String,
) -> Result<Verdict, Damage> {
    let manifest = manifest.map_err(|why| Damage::ManifestUnreadable { file: FILE, why })?;
    let marks = found.marks.unwrap_or_default();
    let Some(m) = manifest else {
        return match &found.id {
            // Written by this release, then the manifest went missing.
            Some(_) if marks.dialed > 0 => Err(Damage::ManifestMissing {
                dialed: marks.dialed,
                file: FILE,
            }),
            Some(id) => Ok(Verdict::Adopt { id: id.clone() }),
            None => Ok(Verdict::Adopt { id: fresh_id }),
        };
    };
    let nothing_happened = m.version == 0 && m.dialed == 0;
    match (&found.id, found.marks) {
        (_, None) if !nothing_happened => Err(Damage::Emptied {
            version: m.version,
            dialed: m.dialed,
        }),
        (Some(id), _) if *id != m.id => Err(Damage::Foreign {
            found: id.clone(),
            expected: m.id,
        }),
        (None, Some(_)) if !nothing_happened => Err(Damage::Foreign {
            found: "none (a store made before manifests)".into(),
            expected: m.id,
        }),
        _ if marks.version < m.version || marks.dialed < m.dialed => Err(Damage::LostWrites {
            found_version: marks.version,
            found_dialed: marks.dialed,
            version: m.version,
            dialed: m.dialed,
        }),
        _ => Ok(Verdict::Sound { id: m.id }),
    }
}

pub fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

/// The manifest, `None` if there is none; `Err` with why when it cannot be
/// read or understood.
pub fn read(dir: &Path) -> Result<Option<Manifest>, String> {
    match std::fs::read(path(dir)) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| e.to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

pub fn write(dir: &Path, manifest: &Manifest) -> std::io::Result<()> {
    let tmp = dir.join(format!("{FILE}.tmp"));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(&serde_json::to_vec_pretty(manifest).expect("a manifest serialises"))?;
    f.write_all(b"\n")?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path(dir))?;
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(version: u64, dialed: u64) -> Option<Manifest> {
        Some(Manifest::new("aa".into(), Marks { version, dialed }))
    }

    fn found(id: Option<&str>, marks: Option<(u64, u64)>) -> Found {
        Found {
            id: id.map(str::to_string),
            marks: marks.map(|(version, dialed)| Marks { version, dialed }),
        }
    }

    fn verdict(manifest: Option<Manifest>, f: Found) -> Result<Verdict, Damage> {
        check(Ok(manifest), &f, "new".into())
    }

    #[test]
    fn a_store_that_adds_up_is_sound() {
        let sound = Ok(Verdict::Sound { id: "aa".into() });
        assert_eq!(verdict(m(10, 3), found(Some("aa"), Some((10, 3)))), sound);
        assert_eq!(verdict(m(10, 3), found(Some("aa"), Some((12, 5)))), sound);
        // Made but never used, then emptied: nothing it could re-dial.
        assert_eq!(verdict(m(0, 0), found(None, None)), sound);
    }

    #[test]
    fn directories_without_a_manifest_adopt_one() {
        let new = Ok(Verdict::Adopt { id: "new".into() });
        assert_eq!(verdict(None, found(None, None)), new, "a new directory");
        assert_eq!(
            verdict(None, found(None, Some((40, 9)))),
            new,
            "a directory of the release before manifests"
        );
        assert_eq!(
            verdict(None, found(Some("bb"), Some((2, 0)))),
            Ok(Verdict::Adopt { id: "bb".into() }),
            "a crash before the first manifest, nothing dialed"
        );
    }

    #[test]
    fn damage_is_named() {
        assert_eq!(
            verdict(m(40, 9), found(None, None)),
            Err(Damage::Emptied {
                version: 40,
                dialed: 9
            })
        );
        assert_eq!(
            verdict(m(40, 9), found(Some("aa"), Some((12, 4)))),
            Err(Damage::LostWrites {
                found_version: 12,
                found_dialed: 4,
                version: 40,
                dialed: 9
            })
        );
        assert_eq!(
            verdict(m(40, 9), found(Some("aa"), Some((41, 8)))),
            Err(Damage::LostWrites {
                found_version: 41,
                found_dialed: 8,
                version: 40,
                dialed: 9
            }),
            "fewer dialed is a loss even at a higher version"
        );
        assert!(matches!(
            verdict(m(40, 9), found(Some("bb"), Some((40, 9)))),
            Err(Damage::Foreign { .. })
        ));
        assert!(matches!(
            verdict(m(40, 9), found(None, Some((50, 9)))),
            Err(Damage::Foreign { .. })
        ));
        assert!(matches!(
            verdict(None, found(Some("bb"), Some((40, 9)))),
            Err(Damage::ManifestMissing { dialed: 9, .. })
        ));
        let unreadable = check(Err("bad json".into()), &found(None, None), "x".into());
        assert!(matches!(unreadable, Err(Damage::ManifestUnreadable { .. })));
    }

    #[test]
    fn writes_atomically_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path()), Ok(None));
        let one = Manifest::new(
            "aa".into(),
            Marks {
                version: 3,
                dialed: 1,
            },
        );
        write(dir.path(), &one).unwrap();
        assert_eq!(read(dir.path()), Ok(Some(one)));
        let two = Manifest::new(
            "aa".into(),
            Marks {
                version: 9,
                dialed: 4,
            },
        );
        write(dir.path(), &two).unwrap();
        assert_eq!(read(dir.path()), Ok(Some(two)));
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [FILE], "no temporary file left behind");
        std::fs::write(path(dir.path()), "{").unwrap();
        assert!(read(dir.path()).is_err());
    }
}

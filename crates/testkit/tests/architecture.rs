//! docs/architecture.md names every source file of the workspace.
//!
//! The tree in that document is how a newcomer finds the module that owns
//! an idea. A file added without a line there is a room missing from the
//! map, and nobody notices until someone looks for it; this test notices at
//! once. It reads only the tree's code block: a line that starts with a
//! crate's source folder (`crates/core/src/`) opens that folder, and the
//! first word of each line under it is a path inside the folder.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/testkit sits two levels below the workspace root")
        .to_path_buf()
}

/// Every `.rs` file under `dir`, as a path relative to `base` with `/`.
fn sources(base: &Path, dir: &Path, out: &mut BTreeSet<String>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            sources(base, &path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            let rel = path.strip_prefix(base).expect("under the workspace root");
            out.insert(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

/// Every `crates/*/src/**.rs` file that the tree of docs/architecture.md
/// names, as a workspace-relative path.
fn named_in_tree(doc: &str) -> BTreeSet<String> {
    let mut named = BTreeSet::new();
    let mut folder: Option<String> = None;
    let mut in_block = false;
    for line in doc.lines() {
        if line.starts_with("```") {
            in_block = !in_block;
            folder = None;
            continue;
        }
        if !in_block {
            continue;
        }
        let Some(word) = line.split_whitespace().next() else {
            continue;
        };
        if !line.starts_with(' ') {
            if word.ends_with('/') && word.contains("/src/") {
                folder = Some(word.to_string());
            } else {
                folder = None;
                if word.ends_with(".rs") && word.contains("/src/") {
                    named.insert(word.to_string());
                }
            }
            continue;
        }
        if let Some(folder) = &folder
            && word.ends_with(".rs")
        {
            named.insert(format!("{folder}{word}"));
        }
    }
    named
}

#[test]
fn every_source_file_has_a_line_in_architecture_md() {
    let root = workspace_root();
    let doc = std::fs::read_to_string(root.join("docs/architecture.md"))
        .expect("docs/architecture.md exists");
    let named = named_in_tree(&doc);
    let mut files = BTreeSet::new();
    let crates = std::fs::read_dir(root.join("crates")).expect("a crates folder");
    for krate in crates {
        let src = krate.expect("a crate folder").path().join("src");
        if src.is_dir() {
            sources(&root, &src, &mut files);
        }
    }
    assert!(files.len() > 50, "found only {} source files", files.len());
    let missing: Vec<&String> = files.difference(&named).collect();
    assert!(
        missing.is_empty(),
        "docs/architecture.md's tree has no line for {} file(s): {missing:#?}\n\
         add each under its crate's src/ folder with what it owns",
        missing.len()
    );
    let stale: Vec<&String> = named.difference(&files).collect();
    assert!(
        stale.is_empty(),
        "docs/architecture.md's tree names {} file(s) that do not exist: {stale:#?}",
        stale.len()
    );
}

#[test]
fn the_tree_reader_follows_folders_and_ignores_prose() {
    let doc = "prose crates/x/src/a.rs\n```\ncrates/x/src/     the crate\n  a.rs   one\n  b/c.rs  two\n\ncrates/x/tests/   tests\n  t.rs  three\ncrates/y/src/lib.rs   alone\ncrates/y/tests/t.rs   a test\n```\n";
    let named = named_in_tree(doc);
    let want: BTreeSet<String> = [
        "crates/x/src/a.rs",
        "crates/x/src/b/c.rs",
        "crates/y/src/lib.rs",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(named, want);
}

//! Every recorded KATO response in `tests/fixtures/kato` must parse into its model and
//! land in the right variant.
//!
//! The mapping from file name to model is exhaustive: a fixture with no mapping fails the
//! test, so new recordings cannot be skipped silently. The test stops at the first failure.
//! `KATO_FIXTURES_DIR` overrides the fixture directory. `stores-*/` (what KATO stored in its
//! databases, read by the database browser tests; `stores-c584167/api/` holds the 3.x knowledge-base
//! answers, which the KATO 3.x knowledge-base models will map) and `_index.json` (recording metadata, used only to cross-check HTTP
//! statuses) are not walked.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fixtures_support;

use fixtures_support::{Ctx, Kind};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn fixtures_dir() -> PathBuf {
    kato_dashboard_testkit::kato_fixtures_dir()
}

/// All `*.json` / `*.jsonl` files below `root`, sorted, minus the excluded ones.
fn fixture_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                if !(dir == root && name.starts_with("stores-")) {
                    dirs.push(path);
                }
            } else if (name.ends_with(".json") || name.ends_with(".jsonl")) && name != "_index.json"
            {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// `file name → HTTP status` from the folder's `_index.json`, if it has one.
fn recorded_statuses(dir: &Path) -> BTreeMap<String, u16> {
    let Ok(text) = std::fs::read_to_string(dir.join("_index.json")) else {
        return BTreeMap::new();
    };
    let index: Value = serde_json::from_str(&text).expect("_index.json is JSON");
    index["calls"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|call| {
            let file = call.get("file")?.as_str()?.to_owned();
            let status = u16::try_from(call.get("status")?.as_u64()?).ok()?;
            Some((file, status))
        })
        .collect()
}

#[derive(Default)]
struct Tally {
    files: usize,
    json_bodies: usize,
    jsonl_lines: usize,
    by_kind: BTreeMap<&'static str, usize>,
}

fn check_file(root: &Path, path: &Path, tally: &mut Tally) -> Result<(), String> {
    let rel = path
        .strip_prefix(root)
        .unwrap()
        .to_string_lossy()
        .replace('\\', "/");
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let kind = fixtures_support::kind_of(&name).ok_or_else(|| {
        format!("no mapping for fixture {rel}: add it to fixtures_support::kind_of")
    })?;
    let ctx = Ctx::for_path(&rel, &name);
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;

    if let Some(status) = recorded_statuses(path.parent().unwrap()).get(&name) {
        let is_error = matches!(kind, Kind::ErrorBody);
        if is_error != (*status >= 400) {
            return Err(format!("recorded HTTP {status} but mapped to {kind:?}"));
        }
    }

    if name.ends_with(".jsonl") {
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        if lines.is_empty() {
            return Err("empty JSONL file".into());
        }
        let checked = fixtures_support::check_lines(kind, &ctx, &lines)?;
        tally.jsonl_lines += checked;
    } else {
        let value: Value = serde_json::from_str(&text).map_err(|e| format!("not JSON: {e}"))?;
        let bodies = fixtures_support::check_value(kind, &ctx, &value)?;
        tally.json_bodies += bodies;
    }
    tally.files += 1;
    *tally.by_kind.entry(kind.label()).or_default() += 1;
    Ok(())
}

#[test]
fn every_fixture_parses_into_its_model() {
    let root = fixtures_dir();
    assert!(
        root.is_dir(),
        "fixture directory {} not found (set KATO_FIXTURES_DIR)",
        root.display()
    );
    let files = fixture_files(&root);
    assert!(!files.is_empty(), "no fixtures under {}", root.display());

    let mut tally = Tally::default();
    for path in &files {
        if let Err(e) = check_file(&root, path, &mut tally) {
            panic!("{}: {e}", path.display());
        }
    }
    println!(
        "checked {} fixture files: {} JSON bodies (embedded poll/timeline bodies included) \
         and {} JSONL lines",
        tally.files, tally.json_bodies, tally.jsonl_lines
    );
    for (kind, n) in &tally.by_kind {
        println!("  {kind:<24} {n:>3} files");
    }
}

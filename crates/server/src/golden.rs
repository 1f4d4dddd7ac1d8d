//! Golden files of the wire: the text of each topic's payload for fixed inputs, recorded from the code before the
//! topics were typed (`crates/server/tests/golden/`). Tests compare what the code produces now with them byte for
//! byte; `KATO_GOLDEN_UPDATE=1` rewrites a file that is missing (never one that exists: a change of the wire is
//! a decision, made by deleting the file and saying so in the commit).

use std::path::PathBuf;

fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

/// Asserts that `text` is the recorded golden `name` (byte for byte).
#[track_caller]
pub fn check(name: &str, text: &str) {
    let file = path(name);
    match std::fs::read_to_string(&file) {
        Ok(want) => assert!(
            want == text,
            "{name}: the wire changed\n want: {want}\n  got: {text}"
        ),
        Err(_) if std::env::var_os("KATO_GOLDEN_UPDATE").is_some() => {
            std::fs::write(&file, text).unwrap_or_else(|e| panic!("cannot write {file:?}: {e}"));
        }
        Err(e) => panic!("{name}: no golden file {file:?} ({e}); KATO_GOLDEN_UPDATE=1 records it"),
    }
}

/// A KATO recording kept with the server's tests.
pub fn fixture(name: &str) -> String {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/kato")
        .join(name);
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("cannot read {file:?}: {e}"))
}

/// A fixed instant (2026-12-07T06:00:00Z plus `secs`).
pub fn at(secs: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(1_796_623_200 + secs, 250_000_000).unwrap_or_default()
}

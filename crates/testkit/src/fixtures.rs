//! Where the recorded KATO fixtures live: `tests/fixtures/kato` of this repository (responses of the real KATO
//! 1.x and 3.x and what it stored in its databases; see its README), or `KATO_FIXTURES_DIR` when set.
//!
//! The folder is found at run time by walking up from the running test's package (`CARGO_MANIFEST_DIR`, which
//! cargo and nextest set for every test process), so a test binary built in one clone and run in another reads
//! the fixtures of the clone it runs in.

use std::path::{Path, PathBuf};

/// The fixture folder, relative to the repository root.
const IN_REPO: &str = "tests/fixtures/kato";

/// `KATO_FIXTURES_DIR`, else `tests/fixtures/kato` of the repository the test runs in.
pub fn kato_fixtures_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("KATO_FIXTURES_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let start = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    find_upwards(&start).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(IN_REPO)
    })
}

/// The first `<ancestor>/tests/fixtures/kato` that exists, from `start` upwards.
fn find_upwards(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join(IN_REPO))
        .find(|candidate| candidate.join("README.md").is_file())
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_fixtures_are_found_from_any_package() {
        let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let found =
            find_upwards(&here.join("src")).expect("tests/fixtures/kato above crates/testkit");
        assert!(found.join("_index.json").is_file(), "{}", found.display());
        assert!(found.join("stores-d1391ac/mongodb").is_dir());
        assert!(found.join("stores-c584167/clickhouse").is_dir());
        assert_eq!(find_upwards(Path::new("/")), None);
    }
}

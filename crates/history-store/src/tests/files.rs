//! The file: restart, corrupt and foreign files, a newer schema, a full disk, the vacuum mode.

use super::*;

#[test]
fn data_and_watermarks_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(dir.path(), Settings::default());
        fill(&store, "g", T0, T0 + 630, |_| 1.0);
        assert_eq!(store.maintain(T0 + 600).unwrap().minutes_rolled, 10);
    }
    let store = open(dir.path(), Settings::default());
    assert!(store.moved_aside().is_none());
    assert_eq!(store.series().unwrap()[0].last, T0 + 629);
    let usage = store.usage().unwrap();
    assert_eq!((usage.tiers[0].rows, usage.tiers[1].rows), (630, 10));
    // Only the minute left partial at shutdown is rolled: the watermark was kept.
    assert_eq!(store.maintain(T0 + 660).unwrap().minutes_rolled, 1);

    // Five minutes down, then on again.
    fill(&store, "g", T0 + 900, T0 + 960, |_| 2.0);
    store.maintain(T0 + 960).unwrap();
    let minutes: Vec<(i64, i64)> = store
        .rows_for_tests(Tier::Minute, "g")
        .unwrap()
        .iter()
        .map(|r| (r.0 - T0, r.4))
        .collect();
    let mut expected: Vec<(i64, i64)> = (0..10).map(|m| (60 * m, 60)).collect();
    expected.extend([(600, 30), (900, 60)]);
    assert_eq!(minutes, expected);
}

fn corrupt_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".corrupt-"))
        .collect();
    names.sort();
    names
}

#[test]
fn a_garbage_file_is_moved_aside_and_a_fresh_store_starts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite3");
    let garbage: Vec<u8> = (0..16_384u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&path, &garbage).unwrap();
    std::fs::write(dir.path().join("history.sqlite3-wal"), b"not a log").unwrap();

    let store = open(dir.path(), Settings::default());
    let aside = store.moved_aside().unwrap().to_owned();
    assert!(
        aside
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("history.sqlite3.corrupt-")
    );
    assert_eq!(std::fs::read(&aside).unwrap(), garbage);
    // SQLite drops a log it cannot use when the connection closes, so the old `-wal` may be gone; the new one
    // must not be the garbage.
    let wal = dir.path().join("history.sqlite3-wal");
    assert!(
        std::fs::read(&wal)
            .map(|b| b != b"not a log")
            .unwrap_or(true)
    );

    store.write(T0, &[gauge("g", 1.0)]).unwrap();
    let a = store.query(&query(&["g"], T0, T0, None)).unwrap();
    assert_eq!(a.series[0].points.len(), 1);
}

#[test]
fn a_truncated_file_is_moved_aside() {
    let dir = tempfile::tempdir().unwrap();
    let path = {
        let store = open(dir.path(), Settings::default());
        fill(&store, "g", T0, T0 + 20_000, |t| t as f64);
        store.maintain(T0 + 20_000).unwrap();
        store.path().to_owned()
    };
    let len = std::fs::metadata(&path).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    let store = open(dir.path(), Settings::default());
    assert!(store.moved_aside().is_some());
    assert!(store.series().unwrap().is_empty());
}

#[test]
fn another_programs_database_is_moved_aside() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite3");
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE people (name TEXT)")
        .unwrap();
    let store = open(dir.path(), Settings::default());
    assert!(store.moved_aside().is_some());
}

#[test]
fn a_newer_schema_is_refused_and_left_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite3");
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch("PRAGMA user_version = 99")
        .unwrap();
    let e = HistoryStore::open_dir(dir.path(), Settings::default()).unwrap_err();
    assert!(
        matches!(
            e,
            StoreError::NewerSchema {
                found: 99,
                known: 1
            }
        ),
        "{e}"
    );
    assert!(path.exists());
    assert!(corrupt_files(dir.path()).is_empty());
}

#[test]
fn a_full_disk_fails_writes_but_not_reads_and_passes() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), Settings::default());
    store.write(T0, &[gauge("g", 1.0)]).unwrap();
    store.maintain(T0 + 1).unwrap();
    store.limit_pages_for_tests(1).unwrap();

    let round: Vec<Sample> = (0..3000).map(|i| gauge(&format!("s{i:04}"), 1.0)).collect();
    let e = store.write(T0 + 1, &round).unwrap_err();
    assert!(e.is_full(), "{e}");
    assert_eq!(
        store.series().unwrap().len(),
        1,
        "the failed round left nothing behind"
    );
    assert_eq!(
        store
            .query(&query(&["g"], T0, T0 + 1, None))
            .unwrap()
            .series[0]
            .points
            .len(),
        1
    );
    assert_eq!(store.usage().unwrap().series, 1);

    store.limit_pages_for_tests(0).unwrap();
    store.write(T0 + 1, &round).unwrap();
    assert_eq!(
        store
            .query(&query(&["s*"], T0, T0 + 1, None))
            .unwrap()
            .series
            .len(),
        3000
    );
}

#[test]
fn freed_pages_can_be_given_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), Settings::default());
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    let mode: i64 = conn
        .query_row("PRAGMA auto_vacuum", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, 2, "incremental");
}

//! Contract test: every request sequence recorded from the real KATO (`_index.json` of each
//! fixture folder) is replayed against the simulator of that flavour, and every answer must
//! have the recorded HTTP status and the recorded JSON shape (same keys in the same order, same
//! value kinds with int ≠ float, same list lengths except documented dynamic lists, same
//! timestamp formats). The `/ws/events` frames are compared with `ws_events*.jsonl` (shape,
//! order, and Python `json.dumps` byte format). A fixture file that no comparison covers fails
//! the test. Failures name the folder, the fixture file and the JSON path.
//!
//! Fixtures: `KATO_FIXTURES_DIR`, else `tests/fixtures/kato` of this repository.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

#[path = "../common/mod.rs"]
mod common;
mod recording;
mod replay;
mod workers;
mod ws;

use kato_dashboard_sim::Flavour;
use kato_dashboard_sim::json::Json;

use common::compare;
use replay::{Folder, replay};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v1_d1391ac_matches_recordings() {
    let c = replay(Folder {
        name: ".",
        flavour: Flavour::V1,
        pattern_cache: None,
    })
    .await;
    assert!(
        c.compared > 0 && c.status_only <= 6,
        "compared {}, status-only {}",
        c.compared,
        c.status_only
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v1_d1391ac_with_pattern_cache_matches_recordings() {
    let folder = Folder {
        name: "d1391ac-redis-enabled",
        flavour: Flavour::V1,
        pattern_cache: Some(true),
    };
    let c = replay(folder).await;
    assert!(
        c.compared > 0 && c.status_only <= 6,
        "compared {}, status-only {}",
        c.compared,
        c.status_only
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v1_d1391ac_supplement_matches_recordings() {
    let c = replay(Folder {
        name: "d1391ac-supplement",
        flavour: Flavour::V1,
        pattern_cache: None,
    })
    .await;
    assert!(
        c.compared > 0 && c.status_only > 40,
        "compared {}, status-only {}",
        c.compared,
        c.status_only
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v3_c584167_matches_recordings() {
    let c = replay(Folder {
        name: "c584167",
        flavour: Flavour::V3,
        pattern_cache: None,
    })
    .await;
    assert!(
        c.compared > 0 && c.status_only <= 6,
        "compared {}, status-only {}",
        c.compared,
        c.status_only
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v3_c584167_supplement_matches_recordings() {
    let c = replay(Folder {
        name: "c584167-supplement",
        flavour: Flavour::V3,
        pattern_cache: None,
    })
    .await;
    assert!(
        c.compared > 0 && c.status_only > 40,
        "compared {}, status-only {}",
        c.compared,
        c.status_only
    );
}

#[test]
fn comparator_reports_paths() {
    let e = Json::parse(br#"{"a": 1, "b": [1.0], "t": "2026-01-01T00:00:00Z", "processors": []}"#)
        .unwrap();
    let a = Json::parse(br#"{"b": [1], "a": 2, "t": "2026-01-01T00:00:00+00:00", "processors": [{"x": 1}], "c": null}"#).unwrap();
    let mut diffs = Vec::new();
    compare(&e, &a, "$", &mut diffs);
    let text = diffs.join("\n");
    assert!(text.contains("$.c: unexpected key"), "{text}");
    assert!(text.contains("$: key order"), "{text}");
    assert!(text.contains("$.b[0]: expected float"), "{text}");
    assert!(text.contains("$.t: string format"), "{text}");
    assert_eq!(diffs.len(), 4, "{text}");
}

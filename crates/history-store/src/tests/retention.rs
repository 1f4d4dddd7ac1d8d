//! Retention: by age per tier (and markers), and by the disk budget.

use super::*;

fn marker(t: i64) -> Marker {
    Marker {
        t,
        kind: "kato_restart".into(),
        label: "kato-1".into(),
        severity: String::new(),
    }
}

#[test]
fn each_tier_and_the_markers_age_out_by_their_own_keep() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), settings(3600, 86_400, 2 * 86_400));
    let rounds: Vec<(i64, Vec<Sample>)> = (0..3 * 86_400 / 60)
        .map(|m| (T0 + 60 * m, vec![gauge("g", 1.0)]))
        .collect();
    store.write_many(&rounds).unwrap();
    store
        .add_markers(&[marker(T0), marker(T0 + 86_400 + 1)])
        .unwrap();
    let now = T0 + 3 * 86_400;
    let done = store.maintain(now).unwrap();
    assert!(done.aged_out > 0);

    let usage = store.usage().unwrap();
    let oldest: Vec<(Tier, Option<i64>, u64)> = usage
        .tiers
        .iter()
        .map(|t| (t.tier, t.oldest, t.rows))
        .collect();
    assert_eq!(
        oldest,
        vec![
            (Tier::Raw, Some(now - 3600), 60),
            (Tier::Minute, Some(now - 86_400), 1440),
            (Tier::Hour, Some(now - 2 * 86_400), 48),
        ]
    );
    assert_eq!(usage.markers, 1);
    assert_eq!(
        store.markers(T0 - 1, now, 10).unwrap(),
        vec![marker(T0 + 86_400 + 1)]
    );
}

#[test]
fn the_budget_trims_the_oldest_raw_first_and_the_file_shrinks() {
    let dir = tempfile::tempdir().unwrap();
    let now = T0 + 6 * 3600;
    let big = {
        let store = open(dir.path(), Settings::default());
        for h in 0..6 {
            let rounds: Vec<(i64, Vec<Sample>)> = (T0 + h * 3600..T0 + (h + 1) * 3600)
                .map(|t| (t, ["a", "b", "c", "d"].map(|n| gauge(n, t as f64)).to_vec()))
                .collect();
            store.write_many(&rounds).unwrap();
        }
        let done = store.maintain(now).unwrap();
        assert_eq!(done.over_budget, 0);
        std::fs::metadata(store.path()).unwrap().len()
    };
    assert!(big > 1_000_000, "{big} bytes: the test needs more data");

    let budget = 400_000;
    let store = open(
        dir.path(),
        Settings {
            budget_bytes: budget,
            ..Settings::default()
        },
    );
    let done = store.maintain(now).unwrap();
    assert!(done.over_budget > 0);
    let usage = store.usage().unwrap();
    assert!(
        usage.bytes <= budget,
        "{} bytes over the {budget} budget",
        usage.bytes
    );
    assert_eq!(done.bytes, usage.bytes);
    let file = std::fs::metadata(store.path()).unwrap().len();
    assert!(file < big / 2, "file {file} bytes, was {big}");

    let raw = &usage.tiers[0];
    let oldest = raw.oldest.unwrap();
    assert!(
        oldest > T0 && oldest <= now - 3600,
        "raw from {}",
        oldest - T0
    );
    assert_eq!(raw.newest, Some(now - 1));
    // The coarser tiers were not needed.
    assert_eq!(
        (usage.tiers[1].oldest, usage.tiers[1].rows),
        (Some(T0), 1440)
    );
    assert_eq!(usage.tiers[2].rows, 24);
}

#[test]
fn the_budget_keeps_the_newest_hour_of_raw_even_when_over() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(
        dir.path(),
        Settings {
            budget_bytes: 10_000,
            ..Settings::default()
        },
    );
    fill(&store, "g", T0, T0 + 2 * 3600, |_| 1.0);
    let now = T0 + 2 * 3600;
    store.maintain(now).unwrap();
    let usage = store.usage().unwrap();
    assert_eq!(usage.tiers[0].oldest, Some(now - 3600));
    assert_eq!(usage.tiers[1].oldest, Some(T0), "1m keeps its newest day");
}

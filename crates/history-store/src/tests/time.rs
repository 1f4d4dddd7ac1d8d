//! Clock jumps: samples written below the rollup watermark are rolled again; a jump forward leaves a gap only.

use super::*;

#[test]
fn samples_from_a_clock_jumped_back_are_rolled_again_into_minutes_and_hours() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), Settings::default());
    let rounds: Vec<(i64, Vec<Sample>)> = (T0..T0 + 3700)
        .map(|t| (t, vec![gauge("g", 1.0), count("c", 1.0)]))
        .collect();
    store.write_many(&rounds).unwrap();
    store.maintain(T0 + 3700).unwrap();

    // The clock goes back to T0 + 120 for two minutes.
    for t in T0 + 120..T0 + 240 {
        store
            .write(t, &[gauge("g", 100.0), count("c", 1.0)])
            .unwrap();
    }
    let done = store.maintain(T0 + 240).unwrap();
    assert_eq!((done.minutes_rolled, done.hours_rolled), (4, 2));

    let minutes = store.rows_for_tests(Tier::Minute, "g").unwrap();
    assert_eq!(minutes[1], (T0 + 60, 1.0, 1.0, 60.0, 60));
    assert_eq!(minutes[2], (T0 + 120, 100.0, 100.0, 6000.0, 60));
    assert_eq!(minutes[3], (T0 + 180, 100.0, 100.0, 6000.0, 60));
    assert_eq!(minutes[4], (T0 + 240, 1.0, 1.0, 60.0, 60));
    let c = store.rows_for_tests(Tier::Minute, "c").unwrap();
    assert_eq!(c[2], (T0 + 120, 2.0, 2.0, 120.0, 60));
    assert_eq!(
        store.rows_for_tests(Tier::Hour, "g").unwrap(),
        vec![(T0, 1.0, 100.0, 3480.0 + 12_000.0, 3600)]
    );
    assert_eq!(
        store.rows_for_tests(Tier::Hour, "c").unwrap(),
        vec![(T0, 1.0, 2.0, 3720.0, 3600)]
    );

    // The clock is right again: rolling goes on from where it was.
    let done = store.maintain(T0 + 3720).unwrap();
    assert_eq!((done.minutes_rolled, done.hours_rolled), (2, 0));
    assert_eq!(store.rows_for_tests(Tier::Minute, "g").unwrap().len(), 62);
}

#[test]
fn a_clock_jumped_forward_leaves_a_gap_and_keeps_what_was_before() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), Settings::default());
    fill(&store, "g", T0, T0 + 120, |_| 1.0);
    store.maintain(T0 + 120).unwrap();
    let later = T0 + 86_400;
    fill(&store, "g", later, later + 60, |_| 2.0);
    store.maintain(later + 60).unwrap();

    let ts: Vec<(i64, i64)> = store
        .rows_for_tests(Tier::Minute, "g")
        .unwrap()
        .iter()
        .map(|r| (r.0 - T0, r.4))
        .collect();
    assert_eq!(ts, vec![(0, 60), (60, 60), (86_400, 60)]);
    assert_eq!(
        store.rows_for_tests(Tier::Hour, "g").unwrap(),
        vec![(T0, 1.0, 1.0, 120.0, 120)]
    );
    let a = store
        .query(&query(&["g"], T0, later + 59, Some(60)))
        .unwrap();
    assert_eq!(a.tier, Tier::Minute);
    assert_eq!(a.series[0].points.len(), 3);
    assert_eq!(store.series().unwrap()[0].last, later + 59);
}

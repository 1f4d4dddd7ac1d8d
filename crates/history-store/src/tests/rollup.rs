//! Rollups: minute and hour buckets of gauges and counts, grouping to a larger step, same-second semantics.

use super::*;

/// Minute `m` of the test holds `100 m + s` at its second `s`: min `100 m`, max `100 m + 59`, sum `6000 m + 1770`.
fn ramp(t: i64) -> f64 {
    let (m, s) = ((t - T0) / 60, (t - T0) % 60);
    (100 * m + s) as f64
}

#[test]
fn minutes_and_hours_of_a_gauge_hold_min_avg_max_sum_and_n() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), Settings::default());
    fill(&store, "g", T0, T0 + 7200, ramp);
    let done = store.maintain(T0 + 7200 + 30).unwrap();
    assert_eq!(done.minutes_rolled, 120);
    assert_eq!(done.hours_rolled, 2);

    let minutes = store.rows_for_tests(Tier::Minute, "g").unwrap();
    assert_eq!(minutes.len(), 120);
    for (m, row) in minutes.iter().enumerate() {
        let m = m as i64;
        let expected = (
            T0 + 60 * m,
            (100 * m) as f64,
            (100 * m + 59) as f64,
            (6000 * m + 1770) as f64,
            60,
        );
        assert_eq!(*row, expected, "minute {m}");
    }
    let hours = store.rows_for_tests(Tier::Hour, "g").unwrap();
    // Hour h: minutes 60h..60h+59; min 6000h, max 6000h+5959, sum = sum over its minutes.
    let hour_sum = |h: i64| {
        (0..60)
            .map(|m| (6000 * (60 * h + m) + 1770) as f64)
            .sum::<f64>()
    };
    assert_eq!(
        hours,
        vec![
            (T0, 0.0, 5959.0, hour_sum(0), 3600),
            (T0 + 3600, 6000.0, 11959.0, hour_sum(1), 3600)
        ]
    );
}

#[test]
fn queries_group_buckets_to_a_larger_step() {
    let dir = tempfile::tempdir().unwrap();
    // Raw for 10 minutes only, so the 1-minute tier answers a query from T0.
    let store = open(dir.path(), settings(600, 30 * 86_400, 365 * 86_400));
    fill(&store, "g", T0, T0 + 3600, ramp);
    store.maintain(T0 + 3600).unwrap();

    let a = store
        .query(&query(&["g"], T0, T0 + 3599, Some(300)))
        .unwrap();
    assert_eq!((a.tier, a.step), (Tier::Minute, 300));
    assert_eq!(a.series[0].points.len(), 12);
    // Five minutes k*5..k*5+4: min 500k, max 500k+459, sum of their minute sums, n 300.
    for (k, p) in a.series[0].points.iter().enumerate() {
        let k = k as i64;
        let sum: f64 = (5 * k..5 * k + 5).map(|m| (6000 * m + 1770) as f64).sum();
        assert_eq!(
            (p.t, p.min, p.max, p.sum, p.n, p.avg),
            (
                T0 + 300 * k,
                (500 * k) as f64,
                (500 * k + 459) as f64,
                sum,
                300,
                sum / 300.0
            )
        );
    }
    // A step that is not a multiple of the tier's is rounded up to one.
    let a = store
        .query(&query(&["g"], T0, T0 + 3599, Some(90)))
        .unwrap();
    assert_eq!(
        (a.tier, a.step, a.series[0].points.len()),
        (Tier::Minute, 120, 30)
    );
}

#[test]
fn a_gauge_keeps_the_last_sample_of_a_second_and_a_count_adds_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), Settings::default());
    store
        .write(T0, &[gauge("g", 5.0), count("c", 1.0)])
        .unwrap();
    store
        .write(T0, &[gauge("g", 7.0), count("c", 2.0), count("c", 4.0)])
        .unwrap();
    for s in 1..60 {
        store
            .write(T0 + s, &[gauge("g", 1.0), count("c", 1.0)])
            .unwrap();
    }
    store.maintain(T0 + 60).unwrap();
    let raw = store.rows_for_tests(Tier::Raw, "g").unwrap();
    assert_eq!(raw[0], (T0, 7.0, 7.0, 7.0, 1));
    assert_eq!(
        store.rows_for_tests(Tier::Raw, "c").unwrap()[0],
        (T0, 7.0, 7.0, 7.0, 1)
    );
    assert_eq!(
        store.rows_for_tests(Tier::Minute, "g").unwrap(),
        vec![(T0, 1.0, 7.0, 66.0, 60)]
    );
    assert_eq!(
        store.rows_for_tests(Tier::Minute, "c").unwrap(),
        vec![(T0, 1.0, 7.0, 66.0, 60)]
    );
}

#[test]
fn a_series_keeps_its_first_kind_and_non_finite_values_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), Settings::default());
    store
        .write(T0, &[count("c", 1.0), gauge("nan", f64::NAN)])
        .unwrap();
    store
        .write(T0, &[gauge("c", 2.0), gauge("c", f64::INFINITY)])
        .unwrap();
    let kinds: Vec<(String, SeriesKind, i64)> = store
        .series()
        .unwrap()
        .into_iter()
        .map(|s| (s.name, s.kind, s.last))
        .collect();
    assert_eq!(kinds, vec![("c".to_owned(), SeriesKind::Count, T0)]);
    assert_eq!(
        store.rows_for_tests(Tier::Raw, "c").unwrap(),
        vec![(T0, 3.0, 3.0, 3.0, 1)]
    );
}

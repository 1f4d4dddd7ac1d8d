//! Queries: tier choice, the live edge of the rollup tiers, series matching, refused queries.

use super::*;

#[test]
fn the_newest_partial_minute_is_answered_before_it_is_rolled() {
    let dir = tempfile::tempdir().unwrap();
    // Raw kept 30 s only, so the 1-minute tier is the one covering T0.
    let store = open(dir.path(), settings(30, 30 * 86_400, 365 * 86_400));
    fill(&store, "g", T0, T0 + 60, |_| 1.0);
    store.maintain(T0 + 60).unwrap();
    fill(&store, "g", T0 + 60, T0 + 91, |_| 3.0);

    let a = store.query(&query(&["g"], T0, T0 + 91, Some(60))).unwrap();
    assert_eq!((a.tier, a.step), (Tier::Minute, 60));
    assert_eq!(
        flat(&a.series[0].points),
        vec![
            (T0, 1.0, 1.0, 1.0, 60.0, 60),
            (T0 + 60, 3.0, 3.0, 3.0, 93.0, 31)
        ]
    );
    // An hour: the stored minute and the live one together, in the hour tier's live edge.
    let a = store
        .query(&query(&["g"], T0, T0 + 91, Some(3600)))
        .unwrap();
    assert_eq!(a.tier, Tier::Hour);
    assert_eq!(
        flat(&a.series[0].points),
        vec![(T0, 1.0, 153.0 / 91.0, 3.0, 153.0, 91)]
    );
}

#[test]
fn the_newest_partial_hour_is_computed_from_minutes_and_raw() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), settings(30, 60, 365 * 86_400));
    fill(&store, "g", T0, T0 + 3660, |_| 1.0);
    store.maintain(T0 + 3660).unwrap();
    fill(&store, "g", T0 + 3660, T0 + 3720, |_| 2.0);

    let a = store.query(&query(&["g"], T0, T0 + 3720, None)).unwrap();
    assert_eq!((a.tier, a.step), (Tier::Hour, 3600));
    assert_eq!(
        flat(&a.series[0].points),
        vec![
            (T0, 1.0, 1.0, 1.0, 3600.0, 3600),
            (T0 + 3600, 1.0, 1.5, 2.0, 180.0, 120)
        ]
    );
}

#[test]
fn a_young_store_answers_a_range_older_than_its_data_from_raw_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), settings(6 * 3600, 30 * 86_400, 365 * 86_400));
    // Five minutes recorded, rolled up: the 1-hour bucket of them exists too.
    fill(&store, "g", T0 + 1800, T0 + 2100, |_| 1.0);
    store.maintain(T0 + 2100).unwrap();
    let a = store.query(&query(&["g"], T0, T0 + 2100, None)).unwrap();
    assert_eq!((a.tier, a.step), (Tier::Raw, 1), "not one hour bucket");
    assert_eq!(a.series[0].points.len(), 300);
    let a = store
        .query(&query(&["g"], T0, T0 + 2100, Some(60)))
        .unwrap();
    assert_eq!((a.tier, a.step), (Tier::Minute, 60));
    assert_eq!(a.series[0].points.len(), 5);
}

#[test]
fn a_range_whose_first_minute_aged_out_still_reads_minutes() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), settings(3600, 30 * 86_400, 365 * 86_400));
    let rounds: Vec<(i64, Vec<Sample>)> = (0..30 * 1440)
        .map(|m| (T0 + 60 * m, vec![gauge("g", 1.0)]))
        .collect();
    store.write_many(&rounds).unwrap();
    // The first two minutes are older than 30 days now, and the range starts 30 s before the oldest kept minute.
    let now = T0 + 30 * 86_400 + 90;
    store.maintain(now).unwrap();
    let a = store
        .query(&query(&["g"], now - 30 * 86_400, now, Some(60)))
        .unwrap();
    assert_eq!((a.tier, a.step), (Tier::Minute, 60));
    assert!(
        a.series[0].points.len() > 43_000,
        "{}",
        a.series[0].points.len()
    );
}

#[test]
fn the_finest_tier_covering_from_answers() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), settings(3600, 86_400, 365 * 86_400));
    let rounds: Vec<(i64, Vec<Sample>)> = (0..3 * 86_400 / 60)
        .map(|m| (T0 + 60 * m, vec![gauge("g", 1.0)]))
        .collect();
    store.write_many(&rounds).unwrap();
    let now = T0 + 3 * 86_400;
    store.maintain(now).unwrap();

    let tier = |from: i64, step: Option<i64>| {
        let a = store.query(&query(&["g"], from, now, step)).unwrap();
        (a.tier, a.step)
    };
    assert_eq!(tier(now - 600, None), (Tier::Raw, 1));
    // With a step, the coarsest tier it allows: the same buckets from fewer rows.
    assert_eq!(tier(now - 600, Some(60)), (Tier::Minute, 60));
    assert_eq!(tier(now - 600, Some(10)), (Tier::Raw, 10));
    assert_eq!(tier(now - 7200, Some(60)), (Tier::Minute, 60));
    assert_eq!(tier(now - 7200, Some(7)), (Tier::Minute, 60));
    assert_eq!(tier(now - 2 * 86_400, Some(60)), (Tier::Hour, 3600));
    assert_eq!(tier(now - 2 * 86_400, None), (Tier::Hour, 3600));
    // Older than anything stored: the tier with the oldest data.
    assert_eq!(tier(T0 - 86_400, Some(3600)), (Tier::Hour, 3600));

    // Without a step, the step widens to fit max_points.
    let mut q = query(&["g"], now - 7200, now, None);
    q.max_points = 100;
    let a = store.query(&q).unwrap();
    assert_eq!((a.tier, a.step), (Tier::Minute, 120));
    assert!(a.series[0].points.len() <= 100);
}

#[test]
fn series_match_by_name_or_prefix_and_come_sorted() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), Settings::default());
    store
        .write(
            T0,
            &[
                gauge("container.b.cpu", 1.0),
                gauge("container.a.cpu", 2.0),
                gauge("kato.cpu", 3.0),
            ],
        )
        .unwrap();
    let a = store
        .query(&query(
            &["container.*", "kato.cpu", "unknown"],
            T0 - 10,
            T0 - 1,
            None,
        ))
        .unwrap();
    let names: Vec<(&str, usize)> = a
        .series
        .iter()
        .map(|s| (s.name.as_str(), s.points.len()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("container.a.cpu", 0),
            ("container.b.cpu", 0),
            ("kato.cpu", 0)
        ]
    );
    let a = store.query(&query(&["kato.cpu"], T0, T0, None)).unwrap();
    assert_eq!(flat(&a.series[0].points), vec![(T0, 3.0, 3.0, 3.0, 3.0, 1)]);
}

#[test]
fn bad_queries_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), Settings::default());
    store.write(T0, &[gauge("g", 1.0)]).unwrap();
    let too_many = Query {
        max_points: 10,
        max_total_points: 0,
        ..query(&["g"], T0, T0 + 600, Some(1))
    };
    let no_points = Query {
        max_points: 0,
        max_total_points: 0,
        ..query(&["g"], T0, T0, None)
    };
    for q in [
        query(&["g"], T0 + 1, T0, None),
        query(&[], T0, T0 + 1, None),
        query(&["g"], T0, T0 + 1, Some(0)),
        query(&["g"], T0, T0 + 1, Some(-60)),
        too_many,
        no_points,
    ] {
        let e = store.query(&q).unwrap_err();
        assert!(matches!(e, StoreError::BadQuery(_)), "{q:?}: {e}");
    }
}

#[test]
fn a_pattern_matching_many_series_is_held_to_the_total() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), Settings::default());
    let round: Vec<Sample> = (0..50).map(|i| gauge(&format!("c.{i}"), 1.0)).collect();
    store.write(T0, &round).unwrap();
    // 50 series × 601 points: fine per series (≤ 1000), too many together (> 10,000).
    let q = Query {
        max_points: 1000,
        max_total_points: 10_000,
        ..query(&["c.*"], T0, T0 + 600, Some(1))
    };
    let e = store.query(&q).unwrap_err();
    assert!(e.to_string().contains("50 series × 601 points"), "{e}");
    let fewer = Query {
        series: vec!["c.1*".into()],
        ..q
    };
    assert_eq!(
        store.query(&fewer).unwrap().series.len(),
        11,
        "c.1 and c.10…c.19"
    );
}

#[test]
fn markers_come_oldest_first_and_the_newest_when_limited() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), Settings::default());
    let marker = |t: i64| Marker {
        t,
        kind: "alert".into(),
        label: format!("m{t}"),
        severity: "warning".into(),
    };
    store
        .add_markers(&[marker(T0 + 2), marker(T0), marker(T0 + 1), marker(T0 + 9)])
        .unwrap();
    let ts = |v: Vec<Marker>| v.into_iter().map(|m| m.t - T0).collect::<Vec<_>>();
    assert_eq!(ts(store.markers(T0, T0 + 2, 10).unwrap()), vec![0, 1, 2]);
    assert_eq!(ts(store.markers(T0, T0 + 9, 2).unwrap()), vec![2, 9]);
}

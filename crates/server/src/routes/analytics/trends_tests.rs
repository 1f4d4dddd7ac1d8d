//! The trend figures of hand-made history answers.

#![allow(clippy::unwrap_used)]

use kato_dashboard_history_store::{SeriesKind, Tier};

use super::*;

fn point(t: i64, values: &[f64]) -> Point {
    let sum: f64 = values.iter().sum();
    Point {
        t,
        min: values.iter().copied().reduce(f64::min).unwrap(),
        avg: sum / values.len() as f64,
        max: values.iter().copied().reduce(f64::max).unwrap(),
        sum,
        n: values.len() as u64,
    }
}

fn series(name: &str, kind: SeriesKind, points: Vec<Point>) -> SeriesPoints {
    SeriesPoints {
        name: name.into(),
        kind,
        points,
    }
}

/// 2025-12-07 09:00 UTC.
const T0: i64 = 1_765_098_000;

#[test]
fn sessions_are_counted_per_hour_with_their_lifetimes() {
    let answer = Answer {
        tier: Tier::Raw,
        step: 3600,
        series: vec![
            series(
                "sessions.active",
                SeriesKind::Gauge,
                vec![point(T0, &[1.0]), point(T0 + 3600, &[0.0])],
            ),
            series(
                "sessions.created",
                SeriesKind::Count,
                vec![point(T0, &[1.0, 2.0])],
            ),
            series(
                "sessions.duration_seconds",
                SeriesKind::Gauge,
                vec![point(T0, &[60.0]), point(T0 + 3600, &[120.0, 600.0])],
            ),
            series(
                "sessions.ended",
                SeriesKind::Count,
                vec![point(T0 + 3600, &[2.0])],
            ),
            series(
                "sessions.expired",
                SeriesKind::Count,
                vec![point(T0 + 3600, &[1.0])],
            ),
        ],
    };
    let got = session_trends(24, &answer);
    assert_eq!(got.total_sessions, 3);
    assert_eq!(got.ended_sessions, 3);
    assert_eq!(got.timed_sessions, 3);
    assert_eq!(got.avg_duration_minutes, 4.33);
    assert_eq!(got.min_duration_minutes, 1.0);
    assert_eq!(got.max_duration_minutes, 10.0);
    assert_eq!(
        got.sessions_by_hour,
        [
            HourRow {
                timestamp: "2025-12-07 09:00".into(),
                session_count: 3,
                avg_duration_minutes: 1.0,
            },
            HourRow {
                timestamp: "2025-12-07 10:00".into(),
                session_count: 0,
                avg_duration_minutes: 6.0,
            },
        ]
    );
    assert!(got.history.available);
}

#[test]
fn no_sessions_give_zeros_not_nan() {
    let answer = Answer {
        tier: Tier::Raw,
        step: 3600,
        series: Vec::new(),
    };
    let got = session_trends(6, &answer);
    assert_eq!(got.total_sessions, 0);
    assert_eq!(got.avg_duration_minutes, 0.0);
    assert_eq!(got.max_duration_minutes, 0.0);
    assert!(got.sessions_by_hour.is_empty());
}

#[test]
fn performance_points_join_the_series_by_time_with_gaps_as_null() {
    let answer = Answer {
        tier: Tier::Raw,
        step: 10,
        series: vec![
            series(
                "kato.cpu_percent",
                SeriesKind::Gauge,
                vec![point(T0, &[10.0, 20.0]), point(T0 + 10, &[30.0])],
            ),
            series(
                "sessions.active",
                SeriesKind::Gauge,
                vec![point(T0 + 10, &[2.0])],
            ),
        ],
    };
    let got = performance_points(&answer);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].timestamp, "2025-12-07T09:00:00.000Z");
    assert_eq!(got[0].cpu_percent, Some(15.0));
    assert_eq!(got[0].active_sessions, None);
    assert_eq!(got[1].cpu_percent, Some(30.0));
    assert_eq!(got[1].active_sessions, Some(2.0));
    let json = serde_json::to_value(&got[0]).unwrap();
    for key in [
        "timestamp",
        "cpu_percent",
        "memory_percent",
        "active_sessions",
        "requests_per_second",
        "error_rate",
        "latency_ms",
    ] {
        assert!(json.get(key).is_some(), "{key} in {json}");
    }
}

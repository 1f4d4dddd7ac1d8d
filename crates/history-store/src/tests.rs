//! Unit tests of the history store, one file per concern; the helpers they share are here.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{path::Path, time::Duration};

use crate::*;

mod files;
mod query;
mod retention;
mod rollup;
mod time;

/// 2026-01-01 00:00:00 UTC: the start of a minute, an hour and a day.
const T0: i64 = 1_767_225_600;

fn gauge(name: &str, value: f64) -> Sample {
    Sample {
        series: name.into(),
        kind: SeriesKind::Gauge,
        value,
    }
}

fn count(name: &str, value: f64) -> Sample {
    Sample {
        series: name.into(),
        kind: SeriesKind::Count,
        value,
    }
}

fn open(dir: &Path, settings: Settings) -> HistoryStore {
    HistoryStore::open_dir(dir, settings).unwrap()
}

fn settings(raw: u64, minute: u64, hour: u64) -> Settings {
    Settings {
        raw_keep: Duration::from_secs(raw),
        minute_keep: Duration::from_secs(minute),
        hour_keep: Duration::from_secs(hour),
        ..Settings::default()
    }
}

fn query(series: &[&str], from: i64, to: i64, step: Option<i64>) -> Query {
    Query {
        from,
        to,
        step,
        series: series.iter().map(|s| (*s).to_owned()).collect(),
        max_points: 100_000,
        max_total_points: 0,
    }
}

/// Writes one gauge sample per second in `[from, to)`, valued by `f(t)`.
fn fill(store: &HistoryStore, name: &str, from: i64, to: i64, f: impl Fn(i64) -> f64) {
    let rounds: Vec<(i64, Vec<Sample>)> =
        (from..to).map(|t| (t, vec![gauge(name, f(t))])).collect();
    store.write_many(&rounds).unwrap();
}

/// `(t, min, avg, max, sum, n)` of each point: easy to compare in one `assert_eq!`.
fn flat(points: &[Point]) -> Vec<(i64, f64, f64, f64, f64, u64)> {
    points
        .iter()
        .map(|p| (p.t, p.min, p.avg, p.max, p.sum, p.n))
        .collect()
}

#[test]
fn the_store_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<HistoryStore>();
}

//! Trends from the persistent history (`crate::recorder`): sessions per hour with their lifetimes
//! (`sessions.created`, `.ended`, `.expired`, `.duration_seconds`, and `sessions.active` to know which hours were
//! recorded), and KATO's figures over minutes (`kato.*`, `sessions.active`) as the array of points the old
//! client's chart reads. Without the history both fall back to the live state and say why in `history`.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use kato_dashboard_core::time::rfc3339;
use kato_dashboard_history_store::{Answer, Point, Query, SeriesPoints};
use serde::Serialize;

use super::{Errors, HistoryNote, live::live, round2};
use crate::{error::ApiError, state::AppState};

/// Most points of the performance series.
const PERFORMANCE_POINTS: usize = 360;
const HOUR: i64 = 3600;

/// Reads `series` over `[from, to]`.
pub(super) async fn read(
    state: &AppState,
    from: i64,
    to: i64,
    step: Option<i64>,
    series: &[&str],
    max_points: usize,
) -> Result<Answer, ApiError> {
    let query = Query {
        from,
        to,
        step,
        series: series.iter().map(|s| (*s).to_owned()).collect(),
        max_points,
        max_total_points: 0,
    };
    Ok(state.recorder.query(query).await?.0)
}

/// The points of one series of an answer (none when it was never recorded).
pub(super) fn points<'a>(answer: &'a Answer, name: &str) -> &'a [Point] {
    answer
        .series
        .iter()
        .find(|s| s.name == name)
        .map_or(&[], |s: &SeriesPoints| &s.points)
}

/// One hour of `sessions_by_hour`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HourRow {
    /// `YYYY-MM-DD HH:00` (UTC).
    timestamp: String,
    /// Sessions created in the hour.
    session_count: u64,
    /// Mean lifetime of the sessions that ended in the hour, minutes.
    avg_duration_minutes: f64,
}

/// The answer of `/analytics/sessions/duration`.
#[derive(Debug, Clone, Serialize)]
pub struct SessionTrends {
    period_hours: i64,
    /// Sessions created in the period.
    total_sessions: u64,
    avg_duration_minutes: f64,
    min_duration_minutes: f64,
    max_duration_minutes: f64,
    sessions_by_hour: Vec<HourRow>,
    /// Sessions that ended in the period (deleted or expired).
    ended_sessions: u64,
    /// Of those, the ones whose creation the dashboard saw (the durations are theirs).
    timed_sessions: u64,
    history: HistoryNote,
}

const SESSION_SERIES: [&str; 5] = [
    "sessions.created",
    "sessions.ended",
    "sessions.expired",
    "sessions.duration_seconds",
    "sessions.active",
];

/// Sessions of the last `hours`, in the whole clock hours that cover them (the first began up to an hour
/// earlier).
pub(super) async fn sessions(
    state: &AppState,
    hours: i64,
    now: i64,
) -> Result<SessionTrends, ApiError> {
    let from = now - hours * HOUR;
    let max_points = usize::try_from(hours + 2).unwrap_or(usize::MAX);
    match read(state, from, now, Some(HOUR), &SESSION_SERIES, max_points).await {
        Ok(answer) => Ok(session_trends(hours, &answer)),
        Err(ApiError::Unavailable { reason, .. }) => Ok(SessionTrends {
            period_hours: hours,
            total_sessions: live(state).total_created,
            avg_duration_minutes: 0.0,
            min_duration_minutes: 0.0,
            max_duration_minutes: 0.0,
            sessions_by_hour: Vec::new(),
            ended_sessions: 0,
            timed_sessions: 0,
            history: HistoryNote::missing(reason),
        }),
        Err(e) => Err(e),
    }
}

fn hour_label(t: i64) -> String {
    Utc.timestamp_opt(t, 0)
        .single()
        .map(|t| t.format("%Y-%m-%d %H:00").to_string())
        .unwrap_or_default()
}

/// The figures of an hourly answer of [`SESSION_SERIES`].
pub(super) fn session_trends(hours: i64, answer: &Answer) -> SessionTrends {
    let sum = |name: &str| -> u64 {
        points(answer, name)
            .iter()
            .map(|p| p.sum.max(0.0) as u64)
            .sum()
    };
    let durations = points(answer, "sessions.duration_seconds");
    let n: u64 = durations.iter().map(|p| p.n).sum();
    let total: f64 = durations.iter().map(|p| p.sum).sum();
    let minutes = |secs: f64| round2(secs / 60.0);
    let mut hours_seen: BTreeMap<i64, HourRow> = BTreeMap::new();
    for name in SESSION_SERIES {
        for p in points(answer, name) {
            hours_seen.entry(p.t).or_insert_with(|| HourRow {
                timestamp: hour_label(p.t),
                session_count: 0,
                avg_duration_minutes: 0.0,
            });
        }
    }
    for p in points(answer, "sessions.created") {
        if let Some(row) = hours_seen.get_mut(&p.t) {
            row.session_count = p.sum.max(0.0) as u64;
        }
    }
    for p in durations {
        if let Some(row) = hours_seen.get_mut(&p.t) {
            row.avg_duration_minutes = minutes(p.avg);
        }
    }
    SessionTrends {
        period_hours: hours,
        total_sessions: sum("sessions.created"),
        avg_duration_minutes: if n > 0 {
            minutes(total / n as f64)
        } else {
            0.0
        },
        min_duration_minutes: durations
            .iter()
            .map(|p| p.min)
            .reduce(f64::min)
            .map_or(0.0, minutes),
        max_duration_minutes: durations
            .iter()
            .map(|p| p.max)
            .reduce(f64::max)
            .map_or(0.0, minutes),
        sessions_by_hour: hours_seen.into_values().collect(),
        ended_sessions: sum("sessions.ended") + sum("sessions.expired"),
        timed_sessions: n,
        history: HistoryNote::read(answer),
    }
}

/// KATO's figures at one instant (`null`: not recorded).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PerformancePoint {
    /// RFC 3339, UTC.
    timestamp: String,
    cpu_percent: Option<f64>,
    memory_percent: Option<f64>,
    active_sessions: Option<f64>,
    requests_per_second: Option<f64>,
    /// Percent.
    error_rate: Option<f64>,
    latency_ms: Option<f64>,
}

/// `current_metrics`: the old three figures (0 while unknown, see `errors`) and the dashboard's.
#[derive(Debug, Clone, Serialize)]
pub struct CurrentMetrics {
    cpu_percent: f64,
    memory_percent: f64,
    active_sessions: u64,
    requests_per_second: Option<f64>,
    error_rate: Option<f64>,
    latency_ms: Option<f64>,
}

/// The answer of `/analytics/system/performance`.
#[derive(Debug, Clone, Serialize)]
pub struct Performance {
    period_minutes: i64,
    current_metrics: CurrentMetrics,
    time_series: Vec<PerformancePoint>,
    timestamp: String,
    history: HistoryNote,
    errors: Errors,
}

/// Sets one field of a performance point.
type Setter = fn(&mut PerformancePoint, f64);

/// The series of a performance point, with the setter of each.
const PERFORMANCE_SERIES: [(&str, Setter); 6] = [
    ("kato.cpu_percent", |p, v| p.cpu_percent = Some(v)),
    ("kato.memory_percent", |p, v| p.memory_percent = Some(v)),
    ("sessions.active", |p, v| p.active_sessions = Some(v)),
    ("kato.requests_per_second", |p, v| {
        p.requests_per_second = Some(v)
    }),
    ("kato.error_rate", |p, v| p.error_rate = Some(v)),
    ("kato.latency_ms", |p, v| p.latency_ms = Some(v)),
];

/// The points of an answer of the performance series, oldest first.
pub(super) fn performance_points(answer: &Answer) -> Vec<PerformancePoint> {
    let mut rows: BTreeMap<i64, PerformancePoint> = BTreeMap::new();
    for (name, set) in PERFORMANCE_SERIES {
        for p in points(answer, name) {
            let row = rows.entry(p.t).or_insert_with(|| PerformancePoint {
                timestamp: Utc
                    .timestamp_opt(p.t, 0)
                    .single()
                    .map(rfc3339)
                    .unwrap_or_default(),
                ..PerformancePoint::default()
            });
            set(row, round2(p.avg));
        }
    }
    rows.into_values().collect()
}

/// KATO now and over the last `minutes`.
pub(super) async fn performance(
    state: &AppState,
    minutes: i64,
    now: DateTime<Utc>,
) -> Result<Performance, ApiError> {
    let live = live(state);
    let to = now.timestamp();
    let names: Vec<&str> = PERFORMANCE_SERIES.iter().map(|(n, _)| *n).collect();
    let (time_series, history) = match read(
        state,
        to - minutes * 60,
        to,
        None,
        &names,
        PERFORMANCE_POINTS,
    )
    .await
    {
        Ok(answer) => (performance_points(&answer), HistoryNote::read(&answer)),
        Err(ApiError::Unavailable { reason, .. }) => {
            let point = PerformancePoint {
                timestamp: rfc3339(now),
                cpu_percent: live.cpu_percent,
                memory_percent: live.memory_percent,
                active_sessions: live.active_sessions.map(|n| n as f64),
                requests_per_second: live.requests_per_second,
                error_rate: live.error_rate,
                latency_ms: live.latency_ms,
            };
            (vec![point], HistoryNote::missing(reason))
        }
        Err(e) => return Err(e),
    };
    Ok(Performance {
        period_minutes: minutes,
        current_metrics: CurrentMetrics {
            cpu_percent: live.cpu_percent.unwrap_or(0.0),
            memory_percent: live.memory_percent.unwrap_or(0.0),
            active_sessions: live.active_sessions.unwrap_or(0),
            requests_per_second: live.requests_per_second,
            error_rate: live.error_rate,
            latency_ms: live.latency_ms,
        },
        time_series,
        timestamp: rfc3339(now),
        history,
        errors: live.errors,
    })
}

#[cfg(test)]
#[path = "trends_tests.rs"]
mod tests;

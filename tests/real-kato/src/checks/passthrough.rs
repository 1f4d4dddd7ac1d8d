//! (a) Every `/api/v1/system/*` pass-through answers what KATO answers at the same moment: both are read
//! concurrently and compared field by field, leaving out only the fields that change between any two reads of
//! KATO ([`ROUTES`] names them and says why). KATO's own state can change between two concurrent reads: a resource
//! sample it takes every 10 s (`/health` status, CPU figures), or, on KATO 3.x, the first `/cache/stats` of a
//! process (its cache manager is published before it is initialised, so a call during that first one answers
//! `disabled`). Then the pair is read again, at most 3 times; the row says which attempt agreed and what the
//! earlier ones saw.

use std::collections::BTreeSet;

use serde_json::Value;

use super::Ctx;
use crate::json_diff::{diff, normalized};

/// Fields of KATO's `/health` that change between two reads.
const HEALTH: &[&str] = &[
    "timestamp",      // the moment of the read
    "uptime_seconds", // the clock moves
];

/// Fields of KATO's `/metrics` that change between two reads (KATO 3.x caches `/metrics` 5 s, so there they
/// change only when the two reads straddle a refresh).
const METRICS: &[&str] = &[
    "timestamp",                                   // the moment of the read
    "performance.total_requests", // counts every request: the two reads and the dashboard's polls
    "performance.average_response_time", // mean over the last 60 s of those requests
    "rates.requests_per_second",  // from the same counter
    "rates.requests_per_minute",  // from the same counter
    "processor_manager.processors[].idle_seconds", // seconds since the node was last used: the clock moves
];

/// Fields of KATO's `/stats` that change between two reads; `time_series` is compared on the span both windows
/// cover instead (see [`series_diff`]).
const STATS: &[&str] = &[
    "timestamp",
    "current_status.timestamp",
    "summary.performance.total_requests",
    "summary.performance.average_response_time",
    "processor_manager.processors[].idle_seconds",
    "time_series",
];

/// Fields of KATO's `/cache/stats` that change between two reads.
const CACHE: &[&str] = &[
    "timestamp",
    "cache_performance.uptime_seconds", // seconds since the cache statistics were reset: the clock moves
    "cache_performance.requests_per_second", // lookups / uptime
    "cache_performance.redis_memory_used_mb", // the whole Redis server's memory: every client's commands move it
    "cache_health.cache_stats.uptime_seconds",
    "cache_health.cache_stats.requests_per_second",
    "cache_health.cache_stats.redis_memory_used_mb",
];

/// `/connection-pools` and `/distributed-stm/stats`: only the moment of the read.
const ONLY_TIMESTAMP: &[&str] = &["timestamp"];

/// Dashboard path, KATO path, fields left out.
pub const ROUTES: &[(&str, &str, &[&str])] = &[
    ("/api/v1/system/kato-health", "/health", HEALTH),
    ("/api/v1/system/metrics", "/metrics", METRICS),
    ("/api/v1/system/stats?minutes=1", "/stats?minutes=1", STATS),
    (
        "/api/v1/system/stats?minutes=10",
        "/stats?minutes=10",
        STATS,
    ),
    ("/api/v1/system/cache-stats", "/cache/stats", CACHE),
    (
        "/api/v1/system/connection-pools",
        "/connection-pools",
        ONLY_TIMESTAMP,
    ),
    (
        "/api/v1/system/distributed-stm",
        "/distributed-stm/stats",
        ONLY_TIMESTAMP,
    ),
];

/// Points of a series with `lo <= timestamp <= hi`.
fn points_in(series: &Value, lo: f64, hi: f64) -> Vec<Value> {
    series
        .as_array()
        .map(|pts| {
            pts.iter()
                .filter(|p| p["timestamp"].as_f64().is_some_and(|t| t >= lo && t <= hi))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// `/stats` time series of two reads: the same series names, and on the span both windows cover, minus a second
/// at each end (a request finishing during the other read), the same points. KATO keeps at most 1000 points per
/// series: a full series is compared from the later of the two first points. Returns the differences and how many
/// points were compared.
pub fn series_diff(a: &Value, b: &Value, minutes: f64) -> (Vec<String>, usize) {
    let (Some(ta), Some(tb)) = (a["timestamp"].as_f64(), b["timestamp"].as_f64()) else {
        return (vec!["a /stats body without a numeric timestamp".into()], 0);
    };
    let (sa, sb) = (&a["time_series"], &b["time_series"]);
    let names = |s: &Value| -> BTreeSet<String> {
        s.as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    if names(sa) != names(sb) {
        out.push(format!(
            "time_series names differ: {:?} vs {:?}",
            names(sa),
            names(sb)
        ));
    }
    let mut compared = 0;
    let hi = ta.min(tb) - 1.0;
    for name in names(sa).intersection(&names(sb)) {
        let mut lo = ta.max(tb) - minutes * 60.0 + 1.0;
        for s in [&sa[name], &sb[name]] {
            if s.as_array().is_some_and(|p| p.len() >= 1000) {
                lo = lo.max(s[0]["timestamp"].as_f64().unwrap_or(lo));
            }
        }
        let (pa, pb) = (points_in(&sa[name], lo, hi), points_in(&sb[name], lo, hi));
        if pa != pb {
            out.push(format!(
                "time_series.{name}: {} vs {} points on the common span",
                pa.len(),
                pb.len()
            ));
        }
        compared += pa.len();
    }
    (out, compared)
}

/// The ignored fields that did differ this time (normalized paths), for the row.
fn ignored_that_differed(a: &Value, b: &Value) -> String {
    let all: BTreeSet<String> = diff(a, b, &[])
        .into_iter()
        .map(|d| normalized(d.split(": ").next().unwrap_or_default()))
        .collect();
    if all.is_empty() {
        "none differed".into()
    } else {
        format!(
            "differed only in {}",
            all.into_iter().collect::<Vec<_>>().join(", ")
        )
    }
}

/// Runs (a) for every route.
pub async fn run(ctx: &Ctx) {
    for (dash_path, kato_path, ignore) in ROUTES {
        let name = format!("a pass-through {}", dash_path.trim_start_matches("/api/v1"));
        let minutes = kato_path
            .split("minutes=")
            .nth(1)
            .and_then(|m| m.parse::<f64>().ok());
        let mut last = String::new();
        let mut verdict = None;
        for attempt in 1..=3 {
            let (d, k) = tokio::join!(ctx.dash.get(dash_path), ctx.kato.get(kato_path));
            let (d, k) = match (d, k) {
                (Ok(d), Ok(k)) => (d, k),
                (d, k) => {
                    last = format!(
                        "a read failed: dashboard {:?}, KATO {:?}",
                        d.err(),
                        k.err().map(|e| e.to_string())
                    );
                    continue;
                }
            };
            if d.0 != k.status {
                last = format!("status: dashboard {} vs KATO {}", d.0, k.status);
                continue;
            }
            let mut diffs = diff(&d.1, &k.body, ignore);
            let mut points = None;
            if let Some(m) = minutes {
                let (more, n) = series_diff(&d.1, &k.body, m);
                diffs.extend(more);
                points = Some(n);
            }
            if diffs.is_empty() {
                let series = points
                    .map(|n| format!("; {n} time-series points on the common span equal"))
                    .unwrap_or_default();
                verdict = Some(format!(
                    "HTTP {} both; equal on attempt {attempt}, {}{series}",
                    k.status,
                    ignored_that_differed(&d.1, &k.body)
                ));
                break;
            }
            let more = diffs.len().saturating_sub(3);
            diffs.truncate(3);
            let more = if more > 0 {
                format!("; {more} more")
            } else {
                String::new()
            };
            last = format!("attempt {attempt}: {}{more}", diffs.join("; "));
        }
        match verdict {
            Some(v) if last.is_empty() => ctx.report.check(ctx.v(), name, true, v),
            Some(v) => ctx
                .report
                .check(ctx.v(), name, true, format!("{v} (before: {last})")),
            None => ctx.report.check(ctx.v(), name, false, last),
        }
    }
}

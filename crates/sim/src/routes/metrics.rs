//! `GET /metrics` (v3: cached 5 s per worker), `/stats?minutes=N` and
//! `/metrics/{name}?minutes=N` (N used as SECONDS, like KATO). Resource series are sampled from
//! the waves at the worker's 10-s collection ticks.

use std::collections::HashMap;

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;

use super::health::verdict;
use super::validate::query_int;
use super::{ApiResult, WorkerId, detail, ok};
use crate::config::Flavour;
use crate::json::Json;
use crate::metrics::{MAX_POINTS, Point, statistics};
use crate::obj;
use crate::sessions as manager;
use crate::state::AppState;
use crate::timefmt;
use crate::waves::ResourceSample;

const RESOURCE_SERIES: [&str; 4] = [
    "kato_cpu_usage_percent",
    "kato_memory_usage_percent",
    "kato_memory_usage_bytes",
    "kato_disk_usage_percent",
];

/// Collection period of KATO's resource sampler.
const TICK: f64 = 10.0;

/// The host sample at `host_t` seconds of wave time for tick `tick_epoch`.
fn sample_at(app: &AppState, now_epoch: f64, tick_epoch: f64) -> ResourceSample {
    let host_t = app.host_seconds() - (now_epoch - tick_epoch);
    app.waves.sample(host_t.max(0.0))
}

/// The worker's latest collected sample (what `/health` and `/metrics` report).
pub(super) fn latest_sample(app: &AppState, worker: usize) -> ResourceSample {
    let now = timefmt::epoch(&timefmt::now());
    let started = app.worker(worker).lock().started;
    let k = ((now - started) / TICK).floor().max(0.0);
    sample_at(app, now, started + k * TICK)
}

/// Points of one resource series at or after `since`.
fn resource_points(app: &AppState, worker: usize, name: &str, since: f64) -> Vec<Point> {
    let Some(index) = RESOURCE_SERIES.iter().position(|n| *n == name) else {
        return Vec::new();
    };
    let now = timefmt::epoch(&timefmt::now());
    let started = app.worker(worker).lock().started;
    if started > now {
        return Vec::new();
    }
    let k_max = ((now - started) / TICK).floor() as i64;
    let k_min = (k_max - MAX_POINTS as i64 + 1).max(0);
    (k_min..=k_max)
        .filter_map(|k| {
            let tick = started + k as f64 * TICK;
            let ts = tick + index as f64 * 0.000_05;
            if ts < since {
                return None;
            }
            let s = sample_at(app, now, tick);
            let value = match index {
                0 => Json::Float(s.cpu_percent),
                1 => Json::Float(s.memory_percent),
                2 => Json::Int(s.memory_bytes),
                _ => Json::Float(s.disk_percent),
            };
            Some(Point {
                timestamp: ts,
                value,
                labels: Vec::new(),
            })
        })
        .collect()
}

/// Any series by name, at or after `since`.
fn series_points(app: &AppState, worker: usize, name: &str, since: f64) -> Vec<Point> {
    if RESOURCE_SERIES.contains(&name) {
        return resource_points(app, worker, name, since);
    }
    let ws = app.worker(worker).lock();
    let series = match name {
        "kato_requests_total" => &ws.metrics.requests,
        "kato_request_duration_seconds" => &ws.metrics.durations,
        "kato_requests_failed" => &ws.metrics.failed,
        _ => return Vec::new(),
    };
    series.since(since).cloned().collect()
}

/// The 20 series `/stats` always lists, in KATO's order.
fn series_names(flavour: Flavour) -> Vec<String> {
    let db = flavour.pattern_db();
    let mut names: Vec<String> = RESOURCE_SERIES.iter().map(|s| s.to_string()).collect();
    names.extend(
        [
            "load_average_1m",
            "kato_requests_total",
            "kato_request_duration_seconds",
            "kato_errors_total",
            "sessions_created",
            "sessions_deleted",
            "session_operations",
        ]
        .map(String::from),
    );
    for store in [db, "qdrant", "redis"] {
        for what in ["operations", "response_time", "errors"] {
            names.push(format!("{store}_{what}"));
        }
    }
    names
}

fn databases(flavour: Flavour) -> Json {
    let zero = || obj! { "operations" => 0.0, "errors" => 0.0, "avg_response_time" => 0.0 };
    Json::Obj(vec![
        (flavour.pattern_db().to_string(), zero()),
        ("qdrant".to_string(), zero()),
        ("redis".to_string(), zero()),
    ])
}

/// `sessions`, `performance`, `resources` of `/metrics` and `/stats.summary`.
fn summary_parts(
    app: &AppState,
    worker: usize,
    active: Json,
    now: f64,
) -> (Json, Json, Json, (f64, f64)) {
    let sample = latest_sample(app, worker);
    let ws = app.worker(worker).lock();
    let performance = obj! {
        "total_requests" => ws.metrics.requests_total as f64,
        "total_errors" => 0.0,
        "error_rate" => 0.0,
        "average_response_time" => ws.metrics.average_response_time(now),
    };
    let rates = ws.metrics.rates(now);
    let sessions = obj! {
        "total_created" => 0.0,
        "total_deleted" => 0.0,
        "active" => active,
        "operations_total" => 0.0,
    };
    let resources = obj! {
        "cpu_percent" => sample.cpu_percent,
        "memory_percent" => sample.memory_percent,
        "disk_percent" => sample.disk_percent,
    };
    (sessions, performance, resources, rates)
}

pub(super) async fn metrics(
    State(app): State<AppState>,
    Extension(WorkerId(w)): Extension<WorkerId>,
) -> ApiResult {
    let flavour = app.config.flavour;
    if flavour == Flavour::V3 {
        let cached = app.worker(w).lock().metrics_cache.clone();
        if let Some((at, body)) = cached
            && at.elapsed() < app.config.cache_ttl
        {
            return Ok(ok(body));
        }
    }
    let active = manager::count(&app, w, false).await?;
    let now_dt = timefmt::now();
    let now = timefmt::epoch(&now_dt);
    let (sessions, performance, resources, (rps, rpm)) = summary_parts(&app, w, active.into(), now);
    let processors = app
        .worker(w)
        .lock()
        .processor_manager(now_dt, app.config.session_ttl_seconds);
    let rates = obj! { "requests_per_second" => rps, "requests_per_minute" => rpm, "errors_per_minute" => 0 };
    let mut body = obj! {
        "timestamp" => now,
        "sessions" => sessions,
        "performance" => performance,
        "resources" => resources,
        "databases" => databases(flavour),
    };
    match flavour {
        Flavour::V1 => {
            body.set("processor_manager", processors);
            body.set("rates", rates);
        }
        Flavour::V3 => {
            body.set("rates", rates);
            body.set("processor_manager", processors);
            body.set("uptime_seconds", Json::Null);
            body.set("active_sessions", Json::Null);
            body.set("error", Json::Null);
            app.worker(w).lock().metrics_cache = Some((std::time::Instant::now(), body.clone()));
        }
    }
    Ok(ok(body))
}

pub(super) async fn stats(
    State(app): State<AppState>,
    Extension(WorkerId(w)): Extension<WorkerId>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult {
    let minutes = match query_int(&query, "minutes", 10) {
        Ok(m) => m,
        Err(resp) => return Ok(resp),
    };
    let flavour = app.config.flavour;
    let now_dt = timefmt::now();
    let now = timefmt::epoch(&now_dt);
    let since = now - minutes as f64 * 60.0;
    let sample = latest_sample(&app, w);
    let (status, issues) = verdict(sample.cpu_percent, sample.memory_percent);
    let time_series = Json::Obj(
        series_names(flavour)
            .into_iter()
            .map(|name| {
                let points = series_points(&app, w, &name, since);
                (name, Json::Arr(points.iter().map(Point::to_json).collect()))
            })
            .collect(),
    );
    let (sessions, performance, resources, _) = summary_parts(&app, w, Json::Float(0.0), now);
    let processors = app
        .worker(w)
        .lock()
        .processor_manager(now_dt, app.config.session_ttl_seconds);
    let mut body = obj! {
        "time_range_minutes" => minutes,
        "timestamp" => now,
        "processor_manager" => processors,
        "current_status" => obj! {
            "status" => status,
            "issues" => Json::Arr(issues),
            "metrics" => obj! {
                "cpu_percent" => sample.cpu_percent,
                "memory_percent" => sample.memory_percent,
                "error_rate_per_min" => 0.0,
            },
            "timestamp" => timefmt::iso_offset(&now_dt),
        },
        "time_series" => time_series,
        "summary" => obj! {
            "sessions" => sessions,
            "performance" => performance,
            "resources" => resources,
            "databases" => databases(flavour),
        },
    };
    if flavour == Flavour::V3 {
        body.set("error", Json::Null);
    }
    Ok(ok(body))
}

pub(super) async fn history(
    State(app): State<AppState>,
    Extension(WorkerId(w)): Extension<WorkerId>,
    Path(name): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult {
    let minutes = match query_int(&query, "minutes", 10) {
        Ok(m) => m,
        Err(resp) => return Ok(resp),
    };
    let now = timefmt::epoch(&timefmt::now());
    // KATO passes `minutes` to a function that expects seconds.
    let points = series_points(&app, w, &name, now - minutes as f64);
    if points.is_empty() {
        return Ok(detail(
            StatusCode::NOT_FOUND,
            format!("No data available for metric '{name}' in the last {minutes} minutes"),
        ));
    }
    Ok(ok(obj! {
        "metric_name" => &name,
        "time_range_minutes" => minutes,
        "timestamp" => now,
        "statistics" => statistics(&points),
        "data_points" => Json::Arr(points.iter().map(Point::to_json).collect()),
    }))
}

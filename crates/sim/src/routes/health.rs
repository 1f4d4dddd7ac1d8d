//! `GET /`, `/health`, `/status`, `/concurrency`, `/cache/stats`, `/connection-pools` and
//! `/distributed-stm/stats`, per worker, in each flavour's exact key order.

use axum::Extension;
use axum::extract::State;

use super::metrics::latest_sample;
use super::{ApiResult, WorkerId, ok};
use crate::config::Flavour;
use crate::json::Json;
use crate::obj;
use crate::sessions as manager;
use crate::state::{AppState, processor_id};
use crate::timefmt;

/// KATO's health verdict from the host figures: (status, issues).
pub(super) fn verdict(cpu: f64, memory: f64) -> (&'static str, Vec<Json>) {
    let mut issues = Vec::new();
    let mut status = "healthy";
    if cpu > 80.0 {
        status = "degraded";
        issues.push(Json::from("High CPU usage"));
    }
    if memory > 90.0 {
        status = "unhealthy";
        issues.push(Json::from("High memory usage"));
    }
    (status, issues)
}

fn uptime(app: &AppState, worker: usize, now: f64) -> f64 {
    app.worker(worker).lock().uptime(now)
}

pub(super) async fn root(
    State(app): State<AppState>,
    Extension(WorkerId(w)): Extension<WorkerId>,
) -> ApiResult {
    let now = timefmt::epoch(&timefmt::now());
    Ok(ok(obj! {
        "service" => "KATO API",
        "version" => app.config.flavour.version(),
        "description" => "Knowledge Abstraction for Traceable Outcomes with Multi-User Support",
        "docs" => "/docs",
        "health" => "/health",
        "status" => "running",
        "uptime_seconds" => uptime(&app, w, now),
        "architecture" => "modular",
        "session_support" => true,
    }))
}

pub(super) async fn health(
    State(app): State<AppState>,
    Extension(WorkerId(w)): Extension<WorkerId>,
) -> ApiResult {
    let active = manager::count(&app, w, false).await?;
    let now = timefmt::now();
    let now_epoch = timefmt::epoch(&now);
    let sample = latest_sample(&app, w);
    let (status, issues) = verdict(sample.cpu_percent, sample.memory_percent);
    let started = app.worker(w).lock().started;
    Ok(ok(obj! {
        "status" => status,
        "processor_status" => "healthy",
        "service_name" => &app.config.service_name,
        "uptime_seconds" => (now_epoch - started).max(0.0),
        "issues" => Json::Arr(issues),
        "metrics_collected" => 19,
        "last_collection" => started,
        "active_sessions" => active,
        "timestamp" => timefmt::iso_offset(&now),
    }))
}

pub(super) async fn status(
    State(app): State<AppState>,
    Extension(WorkerId(w)): Extension<WorkerId>,
) -> ApiResult {
    let locks = manager::lock_count(&app, w).await?;
    let now = timefmt::now();
    let ttl = app.config.session_ttl_seconds;
    let (up, processors) = {
        let ws = app.worker(w).lock();
        (
            ws.uptime(timefmt::epoch(&now)),
            ws.processor_manager(now, ttl),
        )
    };
    Ok(ok(obj! {
        "status" => "healthy",
        "base_processor_id" => &app.config.service_name,
        "uptime_seconds" => up,
        "sessions" => obj! {
            "total_sessions" => locks,
            "active_sessions" => locks,
            "expired_sessions" => 0,
            "backend" => "redis",
            "redis_url" => app.config.reported_redis_url(),
        },
        "processors" => processors,
        "version" => app.config.flavour.version(),
    }))
}

pub(super) async fn concurrency(
    State(app): State<AppState>,
    Extension(WorkerId(w)): Extension<WorkerId>,
) -> ApiResult {
    const PER_WORKER: i64 = 100;
    let (current, peak) = {
        let ws = app.worker(w).lock();
        (i64::from(ws.in_flight), i64::from(ws.peak_in_flight))
    };
    // v3 reads UVICORN_WORKERS, which the compose file never sets: it always says 1.
    let workers = match app.config.flavour {
        Flavour::V1 => app.workers.len() as i64,
        Flavour::V3 => 1,
    };
    let pct = |n: i64| (n as f64 * 100.0 / PER_WORKER as f64).round() as i64;
    let (status, level, message) = match pct(peak) {
        p if p >= 95 => (
            "critical",
            "critical",
            format!("Critical concurrency. Peak {peak}/{PER_WORKER} ({p}%). Add workers."),
        ),
        p if p >= 80 => (
            "warning",
            "warning",
            format!("High concurrency. Peak {peak}/{PER_WORKER} ({p}%). Consider more workers."),
        ),
        p => (
            "healthy",
            "info",
            format!("Concurrency is healthy. Peak {peak}/{PER_WORKER} ({p}%)."),
        ),
    };
    Ok(ok(obj! {
        "status" => status,
        "current" => obj! { "concurrent_requests" => current, "utilization_percent" => pct(current) },
        "peak" => obj! { "concurrent_requests" => peak, "utilization_percent" => pct(peak) },
        "limits" => obj! {
            "per_worker" => PER_WORKER,
            "warning_threshold" => 80,
            "critical_threshold" => 95,
            "total_capacity" => PER_WORKER * workers,
        },
        "configuration" => obj! { "workers" => workers, "backlog" => 2048, "max_requests" => "unlimited" },
        "recommendations" => vec![obj! { "level" => level, "message" => message }],
        "timestamp" => timefmt::iso_offset(&timefmt::now()),
    }))
}

pub(super) async fn cache_stats(
    State(app): State<AppState>,
    Extension(WorkerId(w)): Extension<WorkerId>,
) -> ApiResult {
    let now = timefmt::now();
    if !app.config.pattern_cache_enabled() {
        return Ok(ok(obj! {
            "cache_performance" => obj! { "status" => "disabled", "reason" => "Cache manager not available" },
            "cache_health" => obj! { "status" => "disabled" },
            "timestamp" => timefmt::iso_offset(&now),
        }));
    }
    let mb = (app.store.memory_used_mb().await? * 100.0).round() / 100.0;
    let up = (uptime(&app, w, timefmt::epoch(&now)) * 100.0).round() / 100.0;
    // The simulated pattern cache sees no lookups, like the recorded KATO (hit rate int 0).
    let stats = obj! {
        "hit_rate_percent" => 0,
        "cache_hits" => 0,
        "cache_misses" => 0,
        "patterns_in_cache" => 0,
        "symbols_in_cache" => 0,
        "patterns_cached_total" => 0,
        "symbols_cached_total" => 0,
        "redis_memory_used_mb" => mb,
        "uptime_seconds" => up,
        "requests_per_second" => 0.0,
    };
    Ok(ok(obj! {
        "cache_performance" => stats.clone(),
        "cache_health" => obj! { "status" => "healthy", "redis_connected" => true, "cache_stats" => stats },
        "timestamp" => timefmt::iso_offset(&now),
    }))
}

fn pool_health(healthy: bool, last_check: f64, response_ms: Option<f64>) -> Json {
    obj! {
        "healthy" => healthy,
        "last_check" => last_check,
        "error_count" => 0,
        "last_error" => Json::Null,
        "response_time_ms" => if healthy { response_ms } else { None },
    }
}

fn optimization(features: [&str; 3]) -> Json {
    obj! {
        "pool_size_optimized" => true,
        "connection_reuse" => true,
        "health_monitoring" => true,
        "features" => features.to_vec(),
    }
}

pub(super) async fn connection_pools(
    State(app): State<AppState>,
    Extension(WorkerId(w)): Extension<WorkerId>,
) -> ApiResult {
    let flavour = app.config.flavour;
    let cache = app.config.pattern_cache_enabled();
    let (started, db_check) = {
        let ws = app.worker(w).lock();
        (ws.started, ws.pattern_db_check)
    };
    let db = flavour.pattern_db();
    let db_health = match db_check {
        Some((at, ms)) => pool_health(true, at, Some(ms)),
        None => pool_health(false, started + 0.0012, None),
    };
    let redis_health = pool_health(cache, started + 0.0095, Some(1.94));
    let qdrant_health = pool_health(false, started + 0.0013, None);
    let all_healthy = false; // Qdrant's pool is never created, so KATO always says "degraded".
    let (health, mut pools) = match flavour {
        Flavour::V1 => (
            Json::Obj(vec![
                (db.into(), db_health),
                ("redis".into(), redis_health),
                ("qdrant".into(), qdrant_health),
            ]),
            Vec::new(),
        ),
        Flavour::V3 => (
            Json::Obj(vec![
                ("redis".into(), redis_health),
                ("qdrant".into(), qdrant_health),
                (db.into(), db_health),
            ]),
            Vec::new(),
        ),
    };
    let redis_pool = (
        "redis".to_string(),
        obj! { "type" => "redis", "status" => "error" },
    );
    let db_pool = match flavour {
        Flavour::V1 => {
            obj! { "type" => "mongodb", "pool_size" => "unknown", "active_connections" => "dynamic", "status" => "connected" }
        }
        Flavour::V3 => obj! { "type" => "clickhouse", "status" => "connected" },
    };
    if flavour == Flavour::V1 && db_check.is_some() {
        pools.push((db.to_string(), db_pool.clone()));
    }
    if cache {
        pools.push(redis_pool);
    }
    if flavour == Flavour::V3 && db_check.is_some() {
        pools.push((db.to_string(), db_pool));
    }
    let db_features = match flavour {
        Flavour::V1 => ["retry_writes", "compression", "connection_pooling"],
        Flavour::V3 => ["http_client", "compression", "connection_pooling"],
    };
    let mut body = obj! {
        "status" => if all_healthy { "healthy" } else { "degraded" },
        "health" => health,
        "pool_statistics" => Json::Obj(pools),
        "connection_optimization" => Json::Obj(vec![
            (db.into(), optimization(db_features)),
            ("redis".into(), optimization(["socket_keepalive", "retry_on_timeout", "health_check"])),
            ("qdrant".into(), obj! {
                "grpc_optimized" => true,
                "connection_reuse" => true,
                "health_monitoring" => true,
                "features" => vec!["prefer_grpc", "timeout_handling"],
            }),
        ]),
        "performance_improvements" => obj! {
            "expected_connection_overhead_reduction" => "60-80%",
            "expected_concurrent_performance_improvement" => "40-60%",
            "expected_memory_efficiency_improvement" => "30-50%",
        },
    };
    if flavour == Flavour::V3 {
        body.set("error", Json::Null);
    }
    body.set("timestamp", timefmt::iso_offset(&timefmt::now()));
    Ok(ok(body))
}

pub(super) async fn distributed_stm(
    State(app): State<AppState>,
    Extension(WorkerId(w)): Extension<WorkerId>,
) -> ApiResult {
    const REASON: &str = "No processors with distributed STM available";
    let timestamp = timefmt::iso_offset(&timefmt::now());
    let (first, total, events) = {
        let ws = app.worker(w).lock();
        (
            ws.processors.first().map(|p| processor_id(&p.node_id)),
            ws.processors.len(),
            ws.stm_events,
        )
    };
    if app.config.flavour == Flavour::V1 {
        // d1391ac checks a key the processor manager never returns: always disabled.
        return Ok(ok(obj! {
            "status" => "disabled",
            "distributed_stm_enabled" => false,
            "reason" => REASON,
            "processor_info" => obj! { "total_active_processors" => 0 },
            "timestamp" => timestamp,
        }));
    }
    match first.filter(|_| app.config.pattern_cache_enabled()) {
        None => Ok(ok(obj! {
            "status" => "disabled",
            "distributed_stm_enabled" => false,
            "performance_stats" => Json::Null,
            "processor_info" => obj! { "total_active_processors" => 0 },
            "expected_improvements" => Json::Null,
            "reason" => REASON,
            "error" => Json::Null,
            "timestamp" => timestamp,
        })),
        Some(sample) => Ok(ok(obj! {
            "status" => "active",
            "distributed_stm_enabled" => true,
            "performance_stats" => obj! {
                "events_published" => events,
                "events_consumed" => 0,
                "cache_hits" => 0,
                "cache_misses" => 0,
                "sync_operations" => 0,
                "cache_hit_rate" => 0.0,
                "stream_length" => events,
                "consumer_groups" => 1,
            },
            "processor_info" => obj! { "sample_processor_id" => sample, "total_active_processors" => total },
            "expected_improvements" => obj! {
                "stm_coordination_overhead_reduction" => "50-70%",
                "distributed_state_consistency" => "near real-time",
                "horizontal_scaling_support" => "enabled",
            },
            "reason" => Json::Null,
            "error" => Json::Null,
            "timestamp" => timestamp,
        })),
    }
}

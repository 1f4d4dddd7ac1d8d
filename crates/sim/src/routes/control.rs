//! The `/_sim` control API (not part of KATO; never counted, never slowed, never failed):
//!
//! * `POST /_sim/incident` with one of
//!   `{"kind":"restart","downtime_ms":3000}`,
//!   `{"kind":"error_burst","duration_ms":10000,"fraction":0.5}`,
//!   `{"kind":"slow","duration_ms":10000,"latency_ms":800}`,
//!   `{"kind":"refuse","duration_ms":5000}` → 202 `{"status":"accepted","kind":…}`.
//! * `POST /_sim/sessions` `{"count":N,"node_id":"…","ttl_seconds":…}` (all optional) →
//!   `{"session_ids":[…]}`, created exactly like `POST /sessions`.
//! * `GET /_sim/state` → flavour, version, scenario, workers, listener and incident state.

use std::time::Duration;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;

use super::validate::body_object;
use super::{ApiResult, WorkerId, detail, json, ok};
use crate::incidents;
use crate::json::Json;
use crate::obj;
use crate::sessions::{self as manager, CreateSession};
use crate::state::AppState;

fn millis(body: &Json, key: &str, default: u64) -> Result<Duration, String> {
    match body.get(key) {
        None | Some(Json::Null) => Ok(Duration::from_millis(default)),
        Some(v) => match v.as_f64() {
            Some(ms) if ms >= 0.0 && ms.is_finite() => Ok(Duration::from_millis(ms as u64)),
            _ => Err(format!(
                "{key} must be a non-negative number of milliseconds"
            )),
        },
    }
}

pub(super) async fn incident(State(app): State<AppState>, body: Bytes) -> ApiResult {
    let body = match body_object(&body, true) {
        Ok(b) => b,
        Err(resp) => return Ok(resp),
    };
    let kind = body
        .get("kind")
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_string();
    let result = match kind.as_str() {
        "restart" => millis(&body, "downtime_ms", 3000).map(|downtime| {
            // Answer first: the restart drops this very connection.
            let app = app.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                incidents::restart(&app, downtime);
            });
        }),
        "refuse" => millis(&body, "duration_ms", 5000).map(|d| incidents::refuse(&app, d)),
        "error_burst" => millis(&body, "duration_ms", 10_000).and_then(|d| {
            let fraction = body.get("fraction").and_then(Json::as_f64).unwrap_or(0.5);
            if (0.0..=1.0).contains(&fraction) {
                app.incidents.error_burst(d, fraction);
                Ok(())
            } else {
                Err("fraction must be within 0..=1".to_string())
            }
        }),
        "slow" => millis(&body, "duration_ms", 10_000).and_then(|d| {
            millis(&body, "latency_ms", 800).map(|latency| app.incidents.slow(d, latency))
        }),
        other => Err(format!(
            "unknown kind {other:?}: expected restart, error_burst, slow or refuse"
        )),
    };
    match result {
        Ok(()) => Ok(json(
            StatusCode::ACCEPTED,
            &obj! { "status" => "accepted", "kind" => kind },
        )),
        Err(msg) => Ok(detail(StatusCode::BAD_REQUEST, msg)),
    }
}

pub(super) async fn create_sessions(
    State(app): State<AppState>,
    Extension(WorkerId(w)): Extension<WorkerId>,
    body: Bytes,
) -> ApiResult {
    let body = match body_object(&body, false) {
        Ok(b) => b,
        Err(resp) => return Ok(resp),
    };
    let count = body.get("count").and_then(Json::as_i64).unwrap_or(1);
    if !(1..=1000).contains(&count) {
        return Ok(detail(
            StatusCode::BAD_REQUEST,
            "count must be within 1..=1000",
        ));
    }
    let node_id = body
        .get("node_id")
        .and_then(Json::as_str)
        .unwrap_or("sim-node")
        .to_string();
    let ttl_seconds = body
        .get("ttl_seconds")
        .and_then(Json::as_i64)
        .map(|t| t.max(1) as u64);
    let mut ids = Vec::new();
    for _ in 0..count {
        let req = CreateSession {
            node_id: node_id.clone(),
            metadata: obj! { "created_by" => "kato-sim" },
            ttl_seconds,
            config: None,
        };
        let (rec, _) = manager::create(&app, w, req).await?;
        ids.push(Json::from(rec.session_id));
    }
    Ok(ok(obj! { "session_ids" => Json::Arr(ids) }))
}

pub(super) async fn state(State(app): State<AppState>) -> ApiResult {
    let now = crate::timefmt::epoch(&crate::timefmt::now());
    let workers: Vec<Json> = app
        .workers
        .iter()
        .map(|w| {
            let s = w.lock();
            obj! {
                "index" => w.index,
                "uptime_seconds" => s.uptime(now),
                "total_requests" => s.metrics.requests_total,
                "failed_requests" => s.metrics.failed_total,
                "processors" => s.processors.len(),
                "websocket_clients" => w.events.receiver_count(),
            }
        })
        .collect();
    Ok(ok(obj! {
        "flavour" => app.config.flavour.to_string(),
        "version" => app.config.flavour.version(),
        "scenario" => app.config.scenario.to_string(),
        "store" => if app.config.redis_url.is_some() { "redis" } else { "memory" },
        "listener_down" => app.listener.is_down(),
        "incidents" => app.incidents.describe(),
        "workers" => Json::Arr(workers),
    }))
}

//! KATO collectors, each its own task with its own cadence:
//! - `/metrics` every `KATO_METRICS_INTERVAL_SECONDS` (2 s; on KATO 3.x at least 5 s, its cache time): the
//!   `metrics` topic, KATO's JSON unchanged plus a `derived` object (true error rate, requests/s from counter
//!   deltas over KATO's own timestamps, per worker ([`RequestRate`]), reachability, restarts);
//! - `/health` and `/stats?minutes=1` every `KATO_STATS_INTERVAL_SECONDS` (10 s): KATO's status and uptime, the
//!   true error rate from the request-duration series (KATO's own `error_rate` is always 0), restart detection.
//!
//! Reachability changes and restarts are published on the `kato_events` topic (naming the instance in a fleet);
//! the `/metrics` readings go to the fleet's aggregator ([`super::fleet`]), which publishes the `metrics` topic.
//! One set of these tasks runs per watched KATO instance.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use kato_dashboard_core::{
    kato::{
        KatoGeneration,
        error_rate::{RequestErrorRate, stats_error_rate},
        metrics::Metrics,
        request_rate::RequestRate,
        service::Health,
    },
    protocol::{ServerMsg, Topic},
    source::SourceState,
    time::rfc3339,
    topics::{Derived, KatoEventData, KatoReachable, KatoRestart, KatoUnreachable, MetricsTopic},
};
use kato_dashboard_kato::KatoClient;
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::fleet::FleetMsg;
use crate::hub::HubHandle;
use crate::metrics::CollectorStats;

/// Where one instance's collectors report.
#[derive(Clone)]
pub struct InstanceCtx {
    /// The instance's id (`host:port`).
    pub id: String,
    /// Part of a fleet: its events name it.
    pub fleet: bool,
    /// For `kato_events`.
    pub hub: HubHandle,
    /// For `/metrics` readings.
    pub out: mpsc::Sender<FleetMsg>,
    /// Round durations and failures.
    pub stats: Arc<CollectorStats>,
}

impl InstanceCtx {
    /// The instance as events name it: in a fleet only, so a single KATO's events are as before.
    fn instance(&self) -> Option<String> {
        self.fleet.then(|| self.id.clone())
    }
}

/// How long KATO 3.x caches `/metrics` in each worker; it is never polled faster.
const KATO_V3_METRICS_CACHE_SECONDS: u64 = 5;

/// Window of the true error rate.
const ERROR_RATE_WINDOW_SECONDS: i64 = 60;

/// What the slow task learned last.
#[derive(Debug, Clone)]
pub struct SlowState {
    health: Option<Health>,
    health_source: SourceState,
    error_rate: Option<RequestErrorRate>,
    stats_source: SourceState,
    restarts: u64,
    last_restart: Option<DateTime<Utc>>,
    generation: KatoGeneration,
}

impl Default for SlowState {
    fn default() -> Self {
        let pending = SourceState::Unavailable {
            reason: "not polled yet".into(),
            since: Utc::now(),
        };
        Self {
            health: None,
            health_source: pending.clone(),
            error_rate: None,
            stats_source: pending,
            restarts: 0,
            last_restart: None,
            generation: KatoGeneration::Unknown,
        }
    }
}

/// Whether the KATO process answering now started after the previous answer was received: its start time
/// (reading time minus uptime) lies after the moment we last saw a process alive. Robust to multi-worker KATO
/// (workers started together look alike) and to young servers (an uptime drop of a few seconds still counts).
pub fn restarted(previous_seen: DateTime<Utc>, seen: DateTime<Utc>, uptime_seconds: f64) -> bool {
    let started = seen - chrono::Duration::milliseconds((uptime_seconds * 1000.0) as i64);
    started > previous_seen + chrono::Duration::milliseconds(500)
}

/// When the KATO process that answered `/health` started: its timestamp minus its uptime.
fn worker_start(health: &Value) -> Option<DateTime<Utc>> {
    let health: Health = serde_json::from_value(health.clone()).ok()?;
    let uptime = chrono::Duration::milliseconds((health.uptime_seconds? * 1000.0) as i64);
    Some(health.timestamp? - uptime)
}

/// The `/health` + `/stats` task.
pub async fn run_slow(
    kato: KatoClient,
    ctx: InstanceCtx,
    every: Duration,
    out: watch::Sender<SlowState>,
    cancel: CancellationToken,
) {
    let mut timer = tokio::time::interval(every);
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut state = SlowState::default();
    let mut last_seen: Option<(DateTime<Utc>, f64)> = None;
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            _ = timer.tick() => {}
        }
        let round = std::time::Instant::now();
        let (health, stats) = tokio::join!(kato.health(), kato.stats(1));
        ctx.stats
            .kato_stats
            .record(round.elapsed(), health.is_ok() && stats.is_ok());
        let now = Utc::now();
        match health {
            Ok(h) => {
                if let (Some((prev_seen, prev_up)), Some(up)) = (last_seen, h.uptime_seconds)
                    && restarted(prev_seen, now, up)
                {
                    state.restarts += 1;
                    state.last_restart = Some(now);
                    let data = KatoEventData::Restarted(KatoRestart {
                        previous_uptime_seconds: prev_up,
                        uptime_seconds: up,
                        restarts: state.restarts,
                        instance: ctx.instance(),
                    });
                    ctx.hub
                        .publish_event(Topic::KatoEvents, kato_event("kato_restarted", now, data))
                        .await;
                }
                if let Some(up) = h.uptime_seconds {
                    last_seen = Some((now, up));
                }
                state.health = Some(h);
                state.health_source = SourceState::Ok;
                if let Ok(g) = kato.detect_generation().await {
                    state.generation = g;
                }
            }
            Err(e) => state.health_source = state.health_source.failed(e.to_string(), now),
        }
        match stats {
            Ok(s) => {
                state.error_rate =
                    stats_error_rate(&s, chrono::Duration::seconds(ERROR_RATE_WINDOW_SECONDS));
                state.stats_source = SourceState::Ok;
            }
            Err(e) => state.stats_source = state.stats_source.failed(e.to_string(), now),
        }
        out.send_replace(state.clone());
    }
}

/// A `kato_event` message.
pub fn kato_event(event_type: &str, at: DateTime<Utc>, data: KatoEventData) -> ServerMsg {
    ServerMsg::KatoEvent {
        event_type: event_type.into(),
        timestamp: rfc3339(at),
        seq: 0,
        data,
    }
}

/// The `/metrics` task.
pub async fn run_metrics(
    kato: KatoClient,
    ctx: InstanceCtx,
    every: Duration,
    slow: watch::Receiver<SlowState>,
    cancel: CancellationToken,
) {
    let mut source = SourceState::Unavailable {
        reason: "not polled yet".into(),
        since: Utc::now(),
    };
    let mut rates = RequestRate::default();
    let mut last_ok: Option<DateTime<Utc>> = None;
    let mut reachable: Option<bool> = None;
    let mut first = true;
    loop {
        // KATO 3.x caches /metrics for 5 s per worker: polling faster only reads the same answer again.
        let wait = if slow.borrow().generation == KatoGeneration::V3 {
            every.max(Duration::from_secs(KATO_V3_METRICS_CACHE_SECONDS))
        } else {
            every
        };
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(if first { Duration::ZERO } else { wait }) => {}
        }
        first = false;
        let now = Utc::now();
        let started = Instant::now();
        // A new connection per poll, so the samples reach every worker of a multi-worker KATO; /health on the same
        // connection names the worker (its start time).
        let (health, result) = kato.sample_worker().await;
        let worker = health.ok().and_then(|h| worker_start(&h));
        ctx.stats
            .kato_metrics
            .record(started.elapsed(), result.is_ok());
        let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        let (raw, count, rate) = match result {
            Ok(raw) => {
                let typed: Metrics = serde_json::from_value(raw.clone()).unwrap_or_default();
                // KATO's own timestamp, not this poll's clock (a cached answer repeats it).
                if let (Some(ts), Some(p)) = (typed.timestamp, typed.performance.as_ref()) {
                    rates.observe(worker, ts, p.total_requests, now);
                }
                source = SourceState::Ok;
                last_ok = Some(now);
                (raw, typed.active_sessions(), rates.rate(now))
            }
            Err(e) => {
                source = source.failed(e.to_string(), now);
                rates.reset();
                (json!({ "error": e.to_string() }), None, None)
            }
        };
        let up = source.is_ok();
        if reachable.is_some_and(|r| r != up) || (reachable.is_none() && !up) {
            let (kind, data) = if up {
                let data = ctx
                    .instance()
                    .map_or_else(KatoEventData::default, |instance| {
                        KatoEventData::Reachable(KatoReachable { instance })
                    });
                ("kato_reachable", data)
            } else {
                let reason = source_reason(&source);
                (
                    "kato_unreachable",
                    KatoEventData::Unreachable(KatoUnreachable {
                        reason,
                        instance: ctx.instance(),
                    }),
                )
            };
            ctx.hub
                .publish_event(Topic::KatoEvents, kato_event(kind, now, data))
                .await;
        }
        reachable = Some(up);
        let derived = derived(
            &source,
            &slow.borrow(),
            &kato,
            (rate, rates.workers_seen(now)),
            latency_ms,
            last_ok,
            now,
        );
        let reading = Arc::new(MetricsTopic::new(raw, derived));
        if ctx
            .out
            .send(FleetMsg::Sample(ctx.id.clone(), reading, count))
            .await
            .is_err()
        {
            return;
        }
    }
}

fn source_reason(source: &SourceState) -> String {
    source.reason().unwrap_or_default().to_owned()
}

fn derived(
    source: &SourceState,
    slow: &SlowState,
    kato: &KatoClient,
    (rate, workers): (Option<f64>, usize),
    latency_ms: f64,
    last_ok: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Derived {
    let requests = kato.request_stats();
    let health = slow.health.as_ref();
    Derived {
        source: source.clone(),
        updated_at: now,
        last_ok_at: last_ok,
        poll_latency_ms: (latency_ms * 10.0).round() / 10.0,
        generation: slow.generation,
        requests_per_second: rate.map(|r| (r * 100.0).round() / 100.0),
        rate_workers_seen: workers,
        // While KATO does not answer, its last error rate is not a current figure: none, like the other cards.
        error_rate: slow
            .error_rate
            .and_then(|e| e.rate())
            .filter(|_| source.is_ok()),
        error_rate_window_seconds: ERROR_RATE_WINDOW_SECONDS,
        error_rate_requests: slow.error_rate.map(|e| e.requests),
        error_rate_failed: slow.error_rate.map(|e| e.failed),
        error_rate_source: slow.stats_source.clone(),
        kato_status: health.map(|h| h.status),
        kato_issues: health.map(|h| h.issues.clone()),
        kato_uptime_seconds: health.and_then(|h| h.uptime_seconds),
        health_source: slow.health_source.clone(),
        restarts: slow.restarts,
        last_restart_at: slow.last_restart,
        dashboard_requests: requests.requests,
        dashboard_failures: requests.failed,
    }
}

#[cfg(test)]
#[path = "kato_tests.rs"]
mod tests;

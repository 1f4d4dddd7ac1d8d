//! KATO collectors, each its own task with its own cadence:
//! - `/metrics` every `KATO_METRICS_INTERVAL_SECONDS` (2 s; on KATO 3.x at least 5 s, its cache time): the
//!   `metrics` topic, KATO's JSON unchanged plus a `derived` object (true error rate, requests/s from counter
//!   deltas over KATO's own timestamps, per worker ([`RequestRate`]), reachability, restarts);
//! - `/health` and `/stats?minutes=1` every `KATO_STATS_INTERVAL_SECONDS` (10 s): KATO's status and uptime, the
//!   true error rate from the request-duration series (KATO's own `error_rate` is always 0), restart detection.
//!
//! Reachability changes and restarts are published on the `kato_events` topic.

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
    topics::{Derived, KatoEventData, KatoRestart, KatoUnreachable, MetricsTopic},
};
use kato_dashboard_kato::KatoClient;
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::sessions::SessionInput;
use crate::hub::HubHandle;
use crate::metrics::CollectorStats;

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
    hub: HubHandle,
    every: Duration,
    out: watch::Sender<SlowState>,
    collector_stats: Arc<CollectorStats>,
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
        collector_stats
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
                        instance: None,
                    });
                    hub.publish_event(Topic::KatoEvents, kato_event("kato_restarted", now, data))
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
    hub: HubHandle,
    every: Duration,
    slow: watch::Receiver<SlowState>,
    sessions: mpsc::Sender<SessionInput>,
    stats: Arc<CollectorStats>,
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
        stats.kato_metrics.record(started.elapsed(), result.is_ok());
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
                ("kato_reachable", KatoEventData::default())
            } else {
                let reason = source_reason(&source);
                (
                    "kato_unreachable",
                    KatoEventData::Unreachable(KatoUnreachable {
                        reason,
                        instance: None,
                    }),
                )
            };
            hub.publish_event(Topic::KatoEvents, kato_event(kind, now, data))
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
        hub.publish_state(MetricsTopic::new(raw, derived)).await;
        let _ = sessions.send(SessionInput::KatoCount(count)).await;
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
        instances: Vec::new(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn restarts_are_processes_that_started_after_we_last_saw_one() {
        let t = |s: i64| DateTime::<Utc>::from_timestamp(1_800_000_000 + s, 0).unwrap_or_default();
        // Seen at 100 s; 10 s later uptime says it started 2 s ago: a new process.
        assert!(restarted(t(100), t(110), 2.0));
        // A young server that restarted: seen at 2 s, back at 5 s with 0.4 s uptime.
        assert!(restarted(t(2), t(5), 0.4));
        // Same process, uptime grew.
        assert!(!restarted(t(100), t(110), 112.0));
        // Another worker of a multi-worker KATO, started a second after the first: not a restart.
        assert!(!restarted(t(100), t(110), 109.0));
    }

    /// The `metrics` topic for fixed inputs, as the collector publishes it.
    fn metrics_text(raw: Option<&str>) -> String {
        use crate::golden::{at, fixture};
        let kato = KatoClient::new(kato_dashboard_kato::KatoClientConfig::new(
            "http://127.0.0.1:9/".parse().unwrap(),
        ))
        .unwrap();
        let health: Health = serde_json::from_str(&fixture("health.json")).unwrap();
        let slow = SlowState {
            health: Some(health),
            health_source: SourceState::Ok,
            error_rate: Some(RequestErrorRate {
                requests: 64,
                failed: 6,
            }),
            stats_source: SourceState::Ok,
            restarts: 2,
            last_restart: Some(at(-120)),
            generation: KatoGeneration::V3,
        };
        let (value, source) = match raw {
            Some(text) => (serde_json::from_str(text).unwrap(), SourceState::Ok),
            None => {
                let reason = "KATO is unreachable at http://127.0.0.1:9/: cannot connect";
                (
                    json!({ "error": reason }),
                    SourceState::Unavailable {
                        reason: reason.into(),
                        since: at(-30),
                    },
                )
            }
        };
        let derived = derived(
            &source,
            &slow,
            &kato,
            (Some(3.456), 4),
            12.345,
            Some(at(-2)),
            at(0),
        );
        serde_json::to_string(&MetricsTopic::new(value, derived)).unwrap()
    }

    #[test]
    fn the_metrics_topic_is_the_recorded_wire() {
        use crate::golden::{check, fixture};
        check(
            "metrics_v1.json",
            &metrics_text(Some(&fixture("metrics.json"))),
        );
        check(
            "metrics_v3.json",
            &metrics_text(Some(&fixture("c584167/metrics.json"))),
        );
        check("metrics_unreachable.json", &metrics_text(None));
        let restart = kato_event(
            "kato_restarted",
            crate::golden::at(5),
            KatoEventData::Restarted(KatoRestart {
                previous_uptime_seconds: 12.5,
                uptime_seconds: 1.25,
                restarts: 3,
                instance: None,
            }),
        );
        let down = kato_event(
            "kato_unreachable",
            crate::golden::at(6),
            KatoEventData::Unreachable(KatoUnreachable {
                reason: "refused".into(),
                instance: None,
            }),
        );
        let up = kato_event(
            "kato_reachable",
            crate::golden::at(7),
            KatoEventData::default(),
        );
        for (name, msg) in [
            ("kato_restarted.json", restart),
            ("kato_unreachable.json", down),
            ("kato_reachable.json", up),
        ] {
            check(name, &serde_json::to_string(&msg).unwrap());
        }
    }
}

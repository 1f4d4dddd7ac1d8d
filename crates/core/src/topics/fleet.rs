//! A KATO fleet: several KATO instances (each its own process counters, `/health`, uptime, restarts and
//! `/ws/events`) sharing ClickHouse, Qdrant and Redis. Each instance is watched like the single KATO of before and
//! gives its own [`MetricsTopic`]; [`aggregate`] folds them into the one `metrics` topic old clients read (in
//! KATO's shape: counters summed, rates summed, the worst status). Every instance is listed in the opt-in
//! `instances` topic ([`InstancesTopic`]), so clients that do not show the fleet keep the bytes of one KATO.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::metrics::{Derived, MetricsTopic};
use crate::{
    docker::opt_rfc3339,
    kato::{KatoGeneration, service::HealthStatus},
    source::SourceState,
};

/// The `instances` topic (and `GET /api/v1/system/instances`): every watched KATO instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct InstancesTopic {
    /// Several instances are watched one by one (`KATO_API_URLS`, `KATO_DISCOVERY`); false for a single KATO.
    pub fleet: bool,
    /// In id order.
    pub instances: Vec<InstanceSummary>,
    /// Answering and not unhealthy by their own `/health`.
    pub healthy: usize,
    /// Watched.
    pub total: usize,
    /// DNS discovery's state (`None` without discovery).
    pub discovery: Option<SourceState>,
}

impl InstancesTopic {
    /// The topic for these instances.
    pub fn new(
        fleet: bool,
        instances: Vec<InstanceSummary>,
        discovery: Option<SourceState>,
    ) -> Self {
        Self {
            fleet,
            healthy: instances.iter().filter(|i| i.is_healthy()).count(),
            total: instances.len(),
            instances,
            discovery,
        }
    }
}

/// How an instance became a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum InstanceOrigin {
    /// Configured (`KATO_API_URL` or `KATO_API_URLS`).
    #[default]
    Static,
    /// Found by DNS discovery (`KATO_DISCOVERY`).
    Dns,
}

/// One KATO instance as the fleet table shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct InstanceSummary {
    /// Stable id: the URL's `host:port`.
    pub id: String,
    /// Its base URL (credentials hidden).
    pub url: String,
    /// Configured or discovered.
    pub origin: InstanceOrigin,
    /// Whether it answered its last `/metrics` poll.
    pub source: Option<SourceState>,
    /// Its `/health` status.
    pub status: Option<HealthStatus>,
    /// Its generation.
    pub generation: KatoGeneration,
    /// Its uptime at the last `/health`.
    pub uptime_seconds: Option<f64>,
    /// Restarts seen since the dashboard started watching it.
    pub restarts: u64,
    /// The last one.
    #[serde(with = "opt_rfc3339")]
    pub last_restart_at: Option<DateTime<Utc>>,
    /// Requests per second, summed over its workers.
    pub requests_per_second: Option<f64>,
    /// True error rate (0..1) over the window.
    pub error_rate: Option<f64>,
    /// Requests in that window.
    pub error_rate_requests: Option<u64>,
    /// KATO's mean response time of its last minute, ms (one worker's).
    pub latency_ms: Option<f64>,
    /// How long the dashboard's poll took, ms.
    pub poll_latency_ms: f64,
    /// Host CPU % as KATO measures it.
    pub cpu_percent: Option<f64>,
    /// Host memory % as KATO measures it.
    pub memory_percent: Option<f64>,
    /// Processors alive (one worker's).
    pub processors: Option<u64>,
    /// The last time it answered.
    #[serde(with = "opt_rfc3339")]
    pub last_ok_at: Option<DateTime<Utc>>,
}

impl InstanceSummary {
    /// The summary of one instance's `metrics` reading.
    pub fn of(id: &str, url: &str, origin: InstanceOrigin, topic: &MetricsTopic) -> Self {
        let d = topic.derived.as_ref();
        let k = &topic.kato;
        let up = d.is_some_and(|d| d.source.is_ok());
        Self {
            id: id.to_owned(),
            url: url.to_owned(),
            origin,
            source: d.map(|d| d.source.clone()),
            status: d.and_then(|d| d.kato_status),
            generation: d.map_or(KatoGeneration::Unknown, |d| d.generation),
            uptime_seconds: d.and_then(|d| d.kato_uptime_seconds),
            restarts: d.map_or(0, |d| d.restarts),
            last_restart_at: d.and_then(|d| d.last_restart_at),
            requests_per_second: d.and_then(|d| d.requests_per_second),
            error_rate: d.and_then(|d| d.error_rate),
            error_rate_requests: d.and_then(|d| d.error_rate_requests),
            latency_ms: k
                .performance
                .as_ref()
                .filter(|_| up)
                .map(|p| round1(p.average_response_time * 1000.0)),
            poll_latency_ms: d.map_or(0.0, |d| d.poll_latency_ms),
            cpu_percent: k.resources.as_ref().filter(|_| up).map(|r| r.cpu_percent),
            memory_percent: k
                .resources
                .as_ref()
                .filter(|_| up)
                .map(|r| r.memory_percent),
            processors: k
                .processor_manager
                .filter(|_| up)
                .map(|p| p.total_processors),
            last_ok_at: d.and_then(|d| d.last_ok_at),
        }
    }

    /// Answering, and not unhealthy by its own `/health`.
    pub fn is_healthy(&self) -> bool {
        self.source.as_ref().is_some_and(SourceState::is_ok)
            && self.status != Some(HealthStatus::Unhealthy)
    }
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// How bad a `/health` status is, for "the worst of the fleet".
fn badness(s: HealthStatus) -> u8 {
    match s {
        HealthStatus::Healthy => 0,
        HealthStatus::Unknown => 1,
        HealthStatus::Degraded => 2,
        HealthStatus::Unhealthy => 3,
    }
}

/// The fleet's `metrics` topic from each instance's reading (in id order).
///
/// KATO's part is the first answering instance's answer with the fleet's figures put in: `performance`
/// counters summed, `error_rate` and `average_response_time` over the sum (weighted by requests), `resources`
/// the mean of the hosts, `processor_manager` counts summed, `sessions.active` the largest (sessions live in the
/// shared Redis, so every instance sees the same ones), `timestamp` the newest. `derived`: reachable when any
/// instance is, rates and error counts summed, the worst `/health` status, restarts summed, uptime the youngest.
pub fn aggregate(instances: &[(InstanceSummary, &MetricsTopic)]) -> MetricsTopic {
    let up: Vec<&MetricsTopic> = instances
        .iter()
        .filter(|(s, _)| s.source.as_ref().is_some_and(SourceState::is_ok))
        .map(|(_, t)| *t)
        .collect();
    let raw = match up.first() {
        Some(first) => merged_raw(&first.raw, &up),
        None => {
            let reasons: Vec<String> = instances
                .iter()
                .map(|(s, t)| format!("{}: {}", s.id, t.error().unwrap_or("no answer yet")))
                .collect();
            Map::from_iter([(
                "error".to_owned(),
                Value::String(format!("no KATO instance answers ({})", reasons.join("; "))),
            )])
        }
    };
    MetricsTopic::new(Value::Object(raw), merged_derived(instances))
}

fn merged_raw(first: &Map<String, Value>, up: &[&MetricsTopic]) -> Map<String, Value> {
    let mut raw = first.clone();
    let perf: Vec<_> = up
        .iter()
        .filter_map(|t| t.kato.performance.as_ref())
        .collect();
    let requests: f64 = perf.iter().map(|p| p.total_requests).sum();
    let errors: f64 = perf.iter().map(|p| p.total_errors).sum();
    let weighted: f64 = perf
        .iter()
        .map(|p| p.average_response_time * p.total_requests)
        .sum();
    if let Some(Value::Object(p)) = raw.get_mut("performance") {
        p.insert("total_requests".into(), requests.into());
        p.insert("total_errors".into(), errors.into());
        p.insert(
            "error_rate".into(),
            (if requests > 0.0 {
                errors / requests
            } else {
                0.0
            })
            .into(),
        );
        let mean = if requests > 0.0 {
            weighted / requests
        } else {
            0.0
        };
        p.insert("average_response_time".into(), mean.into());
    }
    let res: Vec<_> = up
        .iter()
        .filter_map(|t| t.kato.resources.as_ref())
        .collect();
    if let (Some(Value::Object(r)), false) = (raw.get_mut("resources"), res.is_empty()) {
        let n = res.len() as f64;
        r.insert(
            "cpu_percent".into(),
            round2(res.iter().map(|x| x.cpu_percent).sum::<f64>() / n).into(),
        );
        let mem = res.iter().map(|x| x.memory_percent).sum::<f64>() / n;
        r.insert("memory_percent".into(), round2(mem).into());
        let disk = res.iter().map(|x| x.disk_percent).sum::<f64>() / n;
        r.insert("disk_percent".into(), round2(disk).into());
    }
    let procs: Vec<_> = up.iter().filter_map(|t| t.kato.processor_manager).collect();
    if let Some(Value::Object(pm)) = raw.get_mut("processor_manager") {
        pm.insert(
            "total_processors".into(),
            procs.iter().map(|p| p.total_processors).sum::<u64>().into(),
        );
        if procs.iter().all(|p| p.max_processors.is_some()) {
            let max: u64 = procs.iter().filter_map(|p| p.max_processors).sum();
            pm.insert("max_processors".into(), max.into());
        }
    }
    if let Some(active) = up
        .iter()
        .filter_map(|t| t.kato.sessions.map(|s| s.active))
        .max()
        && let Some(Value::Object(s)) = raw.get_mut("sessions")
    {
        s.insert("active".into(), active.into());
    }
    if let Some(ts) = up.iter().filter_map(|t| t.kato.timestamp).reduce(f64::max) {
        raw.insert("timestamp".into(), ts.into());
    }
    raw
}

fn merged_derived(instances: &[(InstanceSummary, &MetricsTopic)]) -> Derived {
    let all: Vec<&Derived> = instances
        .iter()
        .filter_map(|(_, t)| t.derived.as_ref())
        .collect();
    let up: Vec<&Derived> = all.iter().copied().filter(|d| d.source.is_ok()).collect();
    let now = all
        .iter()
        .map(|d| d.updated_at)
        .max()
        .unwrap_or(DateTime::UNIX_EPOCH);
    let source = if up.is_empty() {
        let since = all
            .iter()
            .filter_map(|d| unavailable_since(&d.source))
            .min()
            .unwrap_or(now);
        SourceState::Unavailable {
            reason: format!("none of the {} KATO instances answers", instances.len()),
            since,
        }
    } else {
        SourceState::Ok
    };
    let sum_opt = |f: fn(&Derived) -> Option<f64>| -> Option<f64> {
        let v: Vec<f64> = up.iter().filter_map(|d| f(d)).collect();
        (!v.is_empty()).then(|| v.iter().sum())
    };
    let requests: Option<u64> = sum_counts(&up, |d| d.error_rate_requests);
    let failed: Option<u64> = sum_counts(&up, |d| d.error_rate_failed);
    let generations: Vec<KatoGeneration> = up.iter().map(|d| d.generation).collect();
    let generation = match generations.first() {
        Some(g) if generations.iter().all(|x| x == g) => *g,
        _ => KatoGeneration::Unknown,
    };
    let issues: Vec<String> = instances
        .iter()
        .filter_map(|(s, t)| Some((s, t.derived.as_ref()?.kato_issues.as_ref()?)))
        .flat_map(|(s, issues)| issues.iter().map(move |i| format!("{}: {i}", s.id)))
        .collect();
    let all_sources = |f: fn(&Derived) -> &SourceState| -> SourceState {
        all.iter()
            .map(|d| f(d))
            .find(|s| !s.is_ok())
            .cloned()
            .unwrap_or(SourceState::Ok)
    };
    Derived {
        source,
        updated_at: now,
        last_ok_at: all.iter().filter_map(|d| d.last_ok_at).max(),
        poll_latency_ms: all.iter().map(|d| d.poll_latency_ms).fold(0.0, f64::max),
        generation,
        requests_per_second: sum_opt(|d| d.requests_per_second).map(round2),
        rate_workers_seen: up.iter().map(|d| d.rate_workers_seen).sum(),
        error_rate: match (requests, failed) {
            (Some(r), Some(f)) if r > 0 => Some(f as f64 / r as f64),
            (Some(_), Some(_)) => Some(0.0),
            _ => None,
        },
        error_rate_window_seconds: all
            .iter()
            .map(|d| d.error_rate_window_seconds)
            .max()
            .unwrap_or(0),
        error_rate_requests: requests,
        error_rate_failed: failed,
        error_rate_source: all_sources(|d| &d.error_rate_source),
        kato_status: up
            .iter()
            .filter_map(|d| d.kato_status)
            .max_by_key(|s| badness(*s)),
        kato_issues: (!up.is_empty()).then_some(issues),
        kato_uptime_seconds: up
            .iter()
            .filter_map(|d| d.kato_uptime_seconds)
            .reduce(f64::min),
        health_source: all_sources(|d| &d.health_source),
        restarts: all.iter().map(|d| d.restarts).sum(),
        last_restart_at: all.iter().filter_map(|d| d.last_restart_at).max(),
        dashboard_requests: all.iter().map(|d| d.dashboard_requests).sum(),
        dashboard_failures: all.iter().map(|d| d.dashboard_failures).sum(),
    }
}

fn sum_counts(up: &[&Derived], f: fn(&Derived) -> Option<u64>) -> Option<u64> {
    let v: Vec<u64> = up.iter().filter_map(|d| f(d)).collect();
    (!v.is_empty()).then(|| v.iter().sum())
}

fn unavailable_since(s: &SourceState) -> Option<DateTime<Utc>> {
    match s {
        SourceState::Unavailable { since, .. } => Some(*since),
        _ => None,
    }
}

#[cfg(test)]
#[path = "fleet_tests.rs"]
mod tests;

//! The live figures the analytics read from the hub: KATO's latest `/metrics` (with the dashboard's derived rate,
//! error rate and latency) and the session summary. No upstream is called: the collectors already did.

use kato_dashboard_core::{protocol::Topic, topics::TopicState};
use serde_json::{Map, Value};

use super::{Errors, round2};
use crate::state::AppState;

/// KATO and sessions now.
#[derive(Debug, Clone, Default)]
pub(super) struct Live {
    /// KATO's clock at its last `/metrics` (epoch seconds).
    pub timestamp: Option<f64>,
    /// Host CPU % as KATO reports it.
    pub cpu_percent: Option<f64>,
    /// Host memory % as KATO reports it.
    pub memory_percent: Option<f64>,
    /// Live sessions: the dashboard's count (Redis), else KATO's.
    pub active_sessions: Option<u64>,
    /// Sessions the dashboard saw created since it started.
    pub total_created: u64,
    /// Requests per second over KATO's workers.
    pub requests_per_second: Option<f64>,
    /// Failed requests, percent.
    pub error_rate: Option<f64>,
    /// KATO's mean response time, ms.
    pub latency_ms: Option<f64>,
    /// KATO's `performance` object as it sent it (`{}` while KATO is not read: the old client reads its fields).
    pub performance: Value,
    /// KATO's `resources` object as it sent it (`{}` while KATO is not read).
    pub resources: Value,
    /// Why KATO's figures are missing, if they are.
    pub errors: Errors,
}

/// What the hub holds now.
pub(super) fn live(state: &AppState) -> Live {
    let tick = state.hub.latest();
    let mut live = Live {
        performance: Value::Object(Map::new()),
        resources: Value::Object(Map::new()),
        ..Live::default()
    };
    let mut kato_sessions = None;
    match tick.topic(Topic::Metrics).map(|v| &v.state) {
        Some(TopicState::Metrics(m)) => {
            let up = m.derived.as_ref().is_none_or(|d| d.source.is_ok()) && m.error().is_none();
            if up {
                let k = &m.kato;
                live.timestamp = k.timestamp;
                live.cpu_percent = k.resources.as_ref().map(|r| r.cpu_percent);
                live.memory_percent = k.resources.as_ref().map(|r| r.memory_percent);
                live.latency_ms = k
                    .performance
                    .as_ref()
                    .map(|p| round2(p.average_response_time * 1000.0));
                kato_sessions = k.sessions.map(|s| s.active);
                if let Some(v) = m.raw.get("performance") {
                    live.performance = v.clone();
                }
                if let Some(v) = m.raw.get("resources") {
                    live.resources = v.clone();
                }
                if let Some(d) = &m.derived {
                    live.requests_per_second = d.requests_per_second.map(round2);
                    live.error_rate = d.error_rate.map(|r| round2(r * 100.0));
                }
            } else {
                let reason = m
                    .derived
                    .as_ref()
                    .and_then(|d| d.source.reason().map(str::to_owned))
                    .or_else(|| m.error().map(str::to_owned))
                    .unwrap_or_else(|| "KATO does not answer".into());
                live.errors.add("kato", reason);
            }
        }
        _ => live
            .errors
            .add("kato", "KATO's metrics have not been read yet"),
    }
    match tick.topic(Topic::Sessions).map(|v| &v.state) {
        Some(TopicState::Sessions(s)) => {
            live.active_sessions = s.active_count.or(kato_sessions);
            live.total_created = s.total_count;
        }
        _ => live.active_sessions = kato_sessions,
    }
    live
}

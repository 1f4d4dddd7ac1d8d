//! The `metrics` topic (KATO's `/metrics` JSON plus the server's `derived` figures) as the Dashboard shows it,
//! with chart histories. Also accepts KATO's raw `/metrics` from the HTTP fallback, but only when it is newer
//! than what the socket delivered. In a fleet the figures are the fleet's aggregate, and the opt-in `instances`
//! topic lists each instance, kept here with its own short histories (`super::fleet`).

use chrono::{DateTime, Utc};
use kato_dashboard_core::{
    kato::service::HealthStatus,
    topics::{InstancesTopic, MetricsTopic, from_object},
};
use serde_json::Value;

use super::fleet::{FleetHistory, InstanceView};
use super::history::Series;
use super::json::Availability;

/// KATO's `/health` status as it names it.
pub(crate) fn status_name(status: HealthStatus) -> String {
    match status {
        HealthStatus::Healthy => "healthy",
        HealthStatus::Degraded => "degraded",
        HealthStatus::Unhealthy => "unhealthy",
        HealthStatus::Unknown => "unknown",
    }
    .to_owned()
}

/// Points kept per chart series: 15 minutes at one reading per second.
pub const HISTORY_POINTS: usize = 900;

/// One reading of KATO, ready to render. `None` fields are not known (shown as "—", never as 0).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MetricsView {
    /// Whether KATO answered the last poll.
    pub kato: Option<Availability>,
    /// `healthy`, `degraded`, … from KATO `/health`.
    pub kato_status: Option<String>,
    /// Issues KATO lists in `/health`.
    pub kato_issues: Vec<String>,
    /// `v1`, `v3`, `unknown`.
    pub generation: Option<String>,
    /// KATO's version string, when the server passes it on.
    pub version: Option<String>,
    /// KATO process uptime at `updated_at_ms`.
    pub uptime_s: Option<f64>,
    /// Sessions KATO counts (the `sessions` topic's merged count is better when present).
    pub active_sessions: Option<f64>,
    /// Requests per second from the counter's delta (null across restarts), summed over KATO's workers.
    pub requests_per_second: Option<f64>,
    /// KATO worker processes the rate sums (KATO 3.x runs several, each with its own counters).
    pub rate_workers: Option<f64>,
    /// KATO's request counter.
    pub total_requests: Option<f64>,
    /// The true error rate, a fraction 0..1.
    pub error_rate: Option<f64>,
    /// Window of the error rate.
    pub error_rate_window_s: Option<f64>,
    /// Requests and failures in that window.
    pub error_rate_counts: Option<(f64, f64)>,
    /// Whether KATO's request series (`/stats`) could be read.
    pub error_rate_source: Option<Availability>,
    /// Mean response time in ms.
    pub latency_ms: Option<f64>,
    /// Processors loaded, and the maximum.
    pub processors: Option<f64>,
    /// Maximum processors.
    pub max_processors: Option<f64>,
    /// Host-wide CPU/memory/disk % as KATO reports them.
    pub host_cpu: Option<f64>,
    /// See `host_cpu`.
    pub host_memory: Option<f64>,
    /// See `host_cpu`.
    pub host_disk: Option<f64>,
    /// KATO restarts this dashboard has seen.
    pub restarts: Option<f64>,
    /// The last one (ms).
    pub last_restart_ms: Option<f64>,
    /// When the reading was taken (ms since epoch).
    pub updated_at_ms: Option<f64>,
    /// The last time KATO answered.
    pub last_ok_ms: Option<f64>,
    /// How long KATO took to answer.
    pub poll_latency_ms: Option<f64>,
    /// KATO's own `timestamp` (epoch seconds): orders socket and HTTP readings.
    pub kato_timestamp: Option<f64>,
    /// Came from the HTTP fallback, not the socket.
    pub via_http: bool,
    /// Every instance of a fleet (`KATO_API_URLS`, `KATO_DISCOVERY`), in id order; empty for a single KATO.
    pub instances: Vec<InstanceView>,
}

impl MetricsView {
    /// Reads `data.metrics` (or KATO's raw `/metrics`, which has no `derived`).
    pub fn from_value(v: &Value) -> MetricsView {
        MetricsTopic::read(v).map_or_else(MetricsView::default, |t| Self::from_topic(&t))
    }

    /// The view of a typed `metrics` value.
    pub fn from_topic(t: &MetricsTopic) -> MetricsView {
        let k = &t.kato;
        let d = t.derived.as_ref();
        let ms = |at: DateTime<Utc>| at.timestamp_millis() as f64;
        let error = t.error().map(|reason| Availability::Unavailable {
            reason: reason.to_owned(),
            since: None,
        });
        let perf = k.performance.as_ref();
        let res = k.resources.as_ref();
        let pm = k.processor_manager.as_ref();
        let updated_at_ms = d.map(|d| ms(d.updated_at));
        MetricsView {
            kato: d.map(|d| Availability::from(&d.source)).or(error),
            kato_status: d.and_then(|d| d.kato_status).map(status_name),
            kato_issues: d.and_then(|d| d.kato_issues.clone()).unwrap_or_default(),
            generation: d.map(|d| d.generation.as_str().to_owned()),
            version: t
                .raw
                .get("version")
                .and_then(Value::as_str)
                .map(str::to_owned),
            uptime_s: d.and_then(|d| d.kato_uptime_seconds),
            active_sessions: k.sessions.map(|s| s.active as f64),
            requests_per_second: d.and_then(|d| d.requests_per_second),
            rate_workers: d.map(|d| d.rate_workers_seen as f64),
            total_requests: perf.map(|p| p.total_requests),
            error_rate: d.and_then(|d| d.error_rate),
            error_rate_window_s: d.map(|d| d.error_rate_window_seconds as f64),
            error_rate_counts: d
                .and_then(|d| Some((d.error_rate_requests? as f64, d.error_rate_failed? as f64))),
            error_rate_source: d.map(|d| Availability::from(&d.error_rate_source)),
            latency_ms: perf.map(|p| p.average_response_time * 1000.0),
            processors: pm.map(|p| p.total_processors as f64),
            max_processors: pm.and_then(|p| p.max_processors).map(|n| n as f64),
            host_cpu: res.map(|r| r.cpu_percent),
            host_memory: res.map(|r| r.memory_percent),
            host_disk: res.map(|r| r.disk_percent),
            restarts: d.map(|d| d.restarts as f64),
            last_restart_ms: d.and_then(|d| d.last_restart_at).map(ms),
            updated_at_ms,
            last_ok_ms: d.and_then(|d| d.last_ok_at).map(ms),
            poll_latency_ms: d.map(|d| d.poll_latency_ms),
            kato_timestamp: k.timestamp,
            via_http: false,
            instances: Vec::new(),
        }
    }

    /// Whether KATO is reachable according to this reading (unknown counts as reachable).
    pub fn kato_up(&self) -> bool {
        self.kato.as_ref().is_none_or(Availability::is_ok)
    }

    /// Uptime at `now_ms`, counting on from the reading while KATO is up.
    pub fn uptime_at(&self, now_ms: f64) -> Option<f64> {
        let base = self.uptime_s?;
        match (self.kato_up(), self.updated_at_ms) {
            (true, Some(at)) => Some(base + ((now_ms - at) / 1000.0).max(0.0)),
            _ => Some(base),
        }
    }
}

/// The Dashboard's KATO state: the newest reading and the chart histories.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsState {
    /// The newest reading.
    pub view: Option<MetricsView>,
    /// When this tab last received a reading (ms), for staleness.
    pub received_ms: Option<f64>,
    /// Host CPU %.
    pub cpu: Series,
    /// Host memory %.
    pub memory: Series,
    /// Requests per second.
    pub rps: Series,
    /// Error rate in %.
    pub errors: Series,
    /// Mean latency in ms.
    pub latency: Series,
    /// Each fleet instance's requests/s and error rate.
    pub fleet: FleetHistory,
    /// The last `instances` rows (the readings of `metrics` carry none).
    instances: Vec<InstanceView>,
    /// The last `instances` value.
    last_instances: Option<InstancesTopic>,
}

impl Default for MetricsState {
    fn default() -> Self {
        Self {
            view: None,
            received_ms: None,
            cpu: Series::new(HISTORY_POINTS),
            memory: Series::new(HISTORY_POINTS),
            rps: Series::new(HISTORY_POINTS),
            errors: Series::new(HISTORY_POINTS),
            latency: Series::new(HISTORY_POINTS),
            fleet: FleetHistory::default(),
            instances: Vec::new(),
            last_instances: None,
        }
    }
}

impl MetricsState {
    /// A `metrics` value from the socket. The instance rows are the `instances` topic's: kept as they were.
    pub fn apply(&mut self, value: &Value, now_ms: f64) {
        let mut view = MetricsView::from_value(value);
        if let Some(prev) = &self.view {
            view.instances.clone_from(&prev.instances);
        }
        self.accept(view, now_ms);
    }

    /// An `instances` value from the socket: the rows of a fleet (none for a single KATO, whose one row the
    /// pages build from the aggregate figures), and a point of each instance's history.
    pub fn apply_instances(&mut self, value: &Value, now_ms: f64) {
        let Ok(topic) = from_object::<InstancesTopic>(value) else {
            return;
        };
        // The server sends a value when it changed; one read twice (a re-subscribe) is not a new point.
        let fresh = self.last_instances.as_ref() != Some(&topic);
        // Read at the server's time of the aggregate published with them (uptimes count on from there).
        let at = self
            .view
            .as_ref()
            .and_then(|v| v.updated_at_ms)
            .unwrap_or(now_ms);
        let rows: Vec<InstanceView> = if topic.fleet {
            topic
                .instances
                .iter()
                .map(|s| InstanceView::from_summary(s, Some(at)))
                .collect()
        } else {
            Vec::new()
        };
        self.fleet.record(&rows, at, fresh);
        self.instances.clone_from(&rows);
        self.last_instances = Some(topic);
        if let Some(view) = self.view.as_mut() {
            view.instances = rows;
        }
    }

    /// KATO's raw `/metrics` from the HTTP fallback: used only when newer than the reading held (the socket's
    /// data is never overridden by an older poll). Returns whether it was used.
    pub fn apply_http(&mut self, value: &Value, now_ms: f64) -> bool {
        let mut view = MetricsView::from_value(value);
        let newer = match (
            view.kato_timestamp,
            self.view.as_ref().and_then(|v| v.kato_timestamp),
        ) {
            (Some(new), Some(old)) => new > old,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if !newer {
            return false;
        }
        view.via_http = true;
        view.kato = Some(Availability::Ok);
        view.updated_at_ms = view.kato_timestamp.map(|s| s * 1000.0);
        if let Some(prev) = &self.view {
            view.generation = view.generation.or_else(|| prev.generation.clone());
            view.version = view.version.or_else(|| prev.version.clone());
            // KATO's raw `/metrics` lists no instances: the fleet table keeps its last known rows.
            view.instances.clone_from(&prev.instances);
        }
        self.accept(view, now_ms);
        true
    }

    fn accept(&mut self, view: MetricsView, now_ms: f64) {
        let t = view.updated_at_ms.unwrap_or(now_ms);
        let fresh = self.view.as_ref().and_then(|v| v.updated_at_ms) != view.updated_at_ms
            || view.updated_at_ms.is_none();
        if fresh && view.kato_up() {
            let push = |s: &mut Series, v: Option<f64>| {
                if let Some(v) = v {
                    s.push(t, v);
                }
            };
            push(&mut self.cpu, view.host_cpu);
            push(&mut self.memory, view.host_memory);
            push(&mut self.rps, view.requests_per_second);
            push(&mut self.errors, view.error_rate.map(|f| f * 100.0));
            push(&mut self.latency, view.latency_ms);
        }
        let mut view = view;
        if view.instances.is_empty() {
            view.instances.clone_from(&self.instances);
        }
        self.view = Some(view);
        self.received_ms = Some(now_ms);
    }

    /// The server's recent `metrics` values (`GET /system/history`, oldest first): their points go before the
    /// live ones, so a page that just opened draws the last minutes at once. The current reading is untouched.
    pub fn seed_history(&mut self, values: &[Value], now_ms: f64) {
        let mut past = MetricsState::default();
        for v in values {
            past.apply(v, now_ms);
        }
        self.cpu.prepend(&past.cpu);
        self.memory.prepend(&past.memory);
        self.rps.prepend(&past.rps);
        self.errors.prepend(&past.errors);
        self.latency.prepend(&past.latency);
        self.fleet.prepend(&past.fleet);
    }

    /// Whether the reading is older than `max_age_ms` at `now_ms` (or there is none).
    pub fn is_stale(&self, now_ms: f64, max_age_ms: f64) -> bool {
        self.received_ms.is_none_or(|r| now_ms - r > max_age_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reading(updated: &str, total: f64, rps: f64) -> Value {
        json!({
            "performance": {"average_response_time": 0.000267, "error_rate": 0.0, "total_requests": total},
            "processor_manager": {"total_processors": 2, "max_processors": 100},
            "resources": {"cpu_percent": 43.4, "memory_percent": 35.6, "disk_percent": 16.1},
            "sessions": {"active": 4},
            "timestamp": 1795334912.5,
            "derived": {"source": {"state": "ok"}, "kato_status": "healthy", "generation": "v1",
                        "kato_uptime_seconds": 11.0, "requests_per_second": rps, "error_rate": 0.0125,
                        "error_rate_requests": 80, "error_rate_failed": 1, "updated_at": updated,
                        "error_rate_source": {"state": "ok"}, "restarts": 0}
        })
    }

    #[test]
    fn a_reading_shows_the_true_error_rate_and_latency_in_ms() {
        let v = MetricsView::from_value(&reading("2026-11-22T08:08:32.544Z", 39.0, 2.5));
        assert_eq!(
            v.error_rate,
            Some(0.0125),
            "derived, not KATO's always-zero field"
        );
        assert_eq!(v.error_rate_counts, Some((80.0, 1.0)));
        assert!((v.latency_ms.unwrap() - 0.267).abs() < 1e-9);
        assert_eq!(v.processors, Some(2.0));
        assert_eq!(v.kato_status.as_deref(), Some("healthy"));
        assert!(v.kato_up());
        let t = v.updated_at_ms.unwrap();
        assert_eq!(v.uptime_at(t + 4000.0), Some(15.0), "uptime counts on");
    }

    #[test]
    fn an_unreachable_kato_is_said_plainly_and_not_charted() {
        let down = json!({"error": "connection refused", "derived": {"source": {"state": "unavailable",
            "reason": "connection refused", "since": "2026-11-22T08:00:00.000Z"}, "kato_uptime_seconds": 50.0,
            "updated_at": "2026-11-22T08:00:05.000Z"}});
        let v = MetricsView::from_value(&down);
        assert_eq!(
            v.kato.as_ref().and_then(Availability::reason),
            Some("connection refused")
        );
        assert_eq!(
            v.uptime_at(v.updated_at_ms.unwrap() + 60_000.0),
            Some(50.0),
            "frozen while down"
        );
        let mut s = MetricsState::default();
        s.apply(&down, 1.0);
        assert!(s.cpu.is_empty());
        let bare = MetricsView::from_value(&json!({"error": "timeout"}));
        assert_eq!(bare.kato.unwrap().reason(), Some("timeout"));
    }

    #[test]
    fn history_gets_one_point_per_reading() {
        let mut s = MetricsState::default();
        s.apply(&reading("2026-11-22T08:08:32.000Z", 39.0, 2.5), 10.0);
        s.apply(&reading("2026-11-22T08:08:32.000Z", 39.0, 2.5), 11.0);
        s.apply(&reading("2026-11-22T08:08:34.000Z", 44.0, 2.4), 12.0);
        assert_eq!(s.rps.len(), 2, "the same reading twice is one point");
        assert_eq!(s.errors.last().map(|p| p.1), Some(1.25));
        assert!(!s.is_stale(13.0, 3000.0));
        assert!(s.is_stale(5000.0, 3000.0));
    }

    #[test]
    fn http_fallback_never_overrides_fresher_socket_data() {
        let mut s = MetricsState::default();
        s.apply(&reading("2026-11-22T08:08:32.000Z", 39.0, 2.5), 10.0);
        let older = json!({"performance": {"total_requests": 1.0}, "timestamp": 1795334900.0});
        assert!(!s.apply_http(&older, 20.0));
        assert_eq!(s.view.as_ref().unwrap().total_requests, Some(39.0));
        let newer = json!({"performance": {"total_requests": 50.0}, "timestamp": 1795334999.0,
                           "resources": {"cpu_percent": 10.0}});
        assert!(s.apply_http(&newer, 30.0));
        let v = s.view.as_ref().unwrap();
        assert!(v.via_http && v.total_requests == Some(50.0));
        assert_eq!(v.generation.as_deref(), Some("v1"), "identity carried over");
        assert_eq!(s.received_ms, Some(30.0));
    }
}

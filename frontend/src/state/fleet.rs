//! The KATO fleet as the Dashboard's fleet table and the Instances page show it: one [`InstanceView`] per entry
//! of `metrics.derived.instances` (a fleet: `KATO_API_URLS`, `KATO_DISCOVERY`), their short request-rate and
//! error-rate histories for sparklines, the status filter and the column sort.
//!
//! A single KATO has no instance list; [`InstanceView::single`] makes its one row from the aggregate figures so
//! the Instances page always shows the KATO being watched. Pure (time is an input), tested natively.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use kato_dashboard_core::topics::{InstanceOrigin, InstanceSummary};

use super::history::Series;
use super::json::Availability;
use super::metrics::{MetricsView, status_name};

/// Points kept per instance and series: five minutes at one reading per second.
pub const INSTANCE_POINTS: usize = 300;
/// The time the instance sparklines span.
pub const SPARK_WINDOW_MS: f64 = 300_000.0;
/// The id shown for a single KATO (which has no `host:port` id of its own on the wire).
pub const SINGLE_ID: &str = "KATO";

/// One KATO instance, ready to render. `None` figures are not known (shown as "—").
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InstanceView {
    /// `host:port`, or [`SINGLE_ID`] for a single KATO.
    pub id: String,
    /// Its base URL; `None` for a single KATO (the server's `KATO_API_URL`).
    pub url: Option<String>,
    /// Found by DNS discovery rather than configured.
    pub discovered: bool,
    /// Whether it answered its last poll (`None`: no reading yet).
    pub source: Option<Availability>,
    /// Its `/health` status (`healthy`, `degraded`, `unhealthy`, `unknown`).
    pub status: Option<String>,
    /// `v1`, `v3`, `unknown`.
    pub generation: String,
    /// Uptime at `updated_at_ms`.
    pub uptime_s: Option<f64>,
    /// Restarts the dashboard has seen.
    pub restarts: f64,
    /// The last one (ms).
    pub last_restart_ms: Option<f64>,
    pub requests_per_second: Option<f64>,
    /// True error rate, 0..1.
    pub error_rate: Option<f64>,
    /// Requests in the error rate's window.
    pub error_rate_requests: Option<f64>,
    /// KATO's mean response time, ms.
    pub latency_ms: Option<f64>,
    /// How long the dashboard's poll took, ms.
    pub poll_latency_ms: Option<f64>,
    /// Host CPU and memory % as KATO measures them.
    pub cpu: Option<f64>,
    /// See `cpu`.
    pub memory: Option<f64>,
    pub processors: Option<f64>,
    /// The last time it answered (ms).
    pub last_ok_ms: Option<f64>,
    /// When the reading was taken (ms).
    pub updated_at_ms: Option<f64>,
}

fn ms(at: DateTime<Utc>) -> f64 {
    at.timestamp_millis() as f64
}

impl InstanceView {
    /// One entry of `derived.instances`, read at `updated_at_ms`.
    pub fn from_summary(s: &InstanceSummary, updated_at_ms: Option<f64>) -> Self {
        Self {
            id: s.id.clone(),
            url: Some(s.url.clone()),
            discovered: s.origin == InstanceOrigin::Dns,
            source: s.source.as_ref().map(Availability::from),
            status: s.status.map(status_name),
            generation: s.generation.as_str().to_owned(),
            uptime_s: s.uptime_seconds,
            restarts: s.restarts as f64,
            last_restart_ms: s.last_restart_at.map(ms),
            requests_per_second: s.requests_per_second,
            error_rate: s.error_rate,
            error_rate_requests: s.error_rate_requests.map(|n| n as f64),
            latency_ms: s.latency_ms,
            poll_latency_ms: Some(s.poll_latency_ms),
            cpu: s.cpu_percent,
            memory: s.memory_percent,
            processors: s.processors.map(|n| n as f64),
            last_ok_ms: s.last_ok_at.map(ms),
            updated_at_ms,
        }
    }

    /// The one KATO of a single-KATO server, from the aggregate reading.
    pub fn single(v: &MetricsView) -> Self {
        let up = v.kato_up();
        Self {
            id: SINGLE_ID.to_owned(),
            url: None,
            discovered: false,
            source: v.kato.clone(),
            status: v.kato_status.clone(),
            generation: v.generation.clone().unwrap_or_else(|| "unknown".into()),
            uptime_s: v.uptime_s,
            restarts: v.restarts.unwrap_or(0.0),
            last_restart_ms: v.last_restart_ms,
            requests_per_second: v.requests_per_second,
            error_rate: v.error_rate,
            error_rate_requests: v.error_rate_counts.map(|c| c.0),
            latency_ms: v.latency_ms.filter(|_| up),
            poll_latency_ms: v.poll_latency_ms,
            cpu: v.host_cpu.filter(|_| up),
            memory: v.host_memory.filter(|_| up),
            processors: v.processors.filter(|_| up),
            last_ok_ms: v.last_ok_ms,
            updated_at_ms: v.updated_at_ms,
        }
    }

    /// Answering (or not known yet).
    pub fn is_up(&self) -> bool {
        self.source.as_ref().is_some_and(Availability::is_ok)
    }

    /// Answering, and not unhealthy by its own `/health` (the server's `InstanceSummary::is_healthy`).
    pub fn is_healthy(&self) -> bool {
        self.is_up() && self.status.as_deref() != Some("unhealthy")
    }

    /// What the status column says: `healthy`, `degraded`, `unhealthy`, `unknown`, `up`, `unreachable`, `waiting`.
    pub fn status_label(&self) -> &str {
        match &self.source {
            None => "waiting",
            Some(s) if !s.is_ok() => "unreachable",
            Some(_) => self.status.as_deref().unwrap_or("up"),
        }
    }

    /// The house tone of the status: `ok`, `warn`, `bad`, `idle`.
    pub fn tone(&self) -> &'static str {
        match self.status_label() {
            "waiting" => "idle",
            "unreachable" | "unhealthy" => "bad",
            "healthy" | "up" => "ok",
            _ => "warn",
        }
    }

    /// Why it does not answer, when it does not.
    pub fn down_reason(&self) -> Option<&str> {
        self.source.as_ref().and_then(Availability::reason)
    }

    /// Uptime at `now_ms`, counting on from the reading while it answers.
    pub fn uptime_at(&self, now_ms: f64) -> Option<f64> {
        let base = self.uptime_s?;
        match (self.is_up(), self.updated_at_ms) {
            (true, Some(at)) => Some(base + ((now_ms - at) / 1000.0).max(0.0)),
            _ => Some(base),
        }
    }

    /// How bad its state is, for sorting by status (worst first when descending).
    fn badness(&self) -> u8 {
        match self.status_label() {
            "unreachable" => 5,
            "unhealthy" => 4,
            "degraded" => 3,
            "unknown" => 2,
            "waiting" => 1,
            _ => 0,
        }
    }
}

/// The rows of the Instances page and the Dashboard's fleet table: the fleet's instances, or the single KATO.
pub fn instances_of(v: &MetricsView) -> Vec<InstanceView> {
    if v.instances.is_empty() {
        vec![InstanceView::single(v)]
    } else {
        v.instances.clone()
    }
}

/// The time a sparkline spans at `now_ms`: the last [`SPARK_WINDOW_MS`], or from its first point when the history
/// is shorter (a dashboard that just started), so a short history fills the sparkline instead of its last pixels.
pub fn spark_window(points: &[(f64, f64)], now_ms: f64) -> (f64, f64) {
    let from = now_ms - SPARK_WINDOW_MS;
    let first = points.first().map_or(from, |p| p.0.max(from));
    (first.min(now_ms - 1000.0), now_ms)
}

/// One row of [`instances_of`] by id.
pub fn instance_of(v: &MetricsView, id: &str) -> Option<InstanceView> {
    if v.instances.is_empty() {
        (id == SINGLE_ID).then(|| InstanceView::single(v))
    } else {
        v.instances.iter().find(|i| i.id == id).cloned()
    }
}

/// Healthy instances and all of them.
pub fn healthy_of(list: &[InstanceView]) -> (usize, usize) {
    (list.iter().filter(|i| i.is_healthy()).count(), list.len())
}

/// The short histories of one instance.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceHistory {
    pub id: String,
    /// Requests per second.
    pub rps: Series,
    /// Error rate in %.
    pub errors: Series,
}

/// Every instance's histories, in a list (a fleet is a handful of instances).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FleetHistory {
    list: Vec<InstanceHistory>,
}

impl FleetHistory {
    /// A reading of the fleet at `t_ms`: a point per answering instance when `fresh`; the histories of
    /// instances no longer in the fleet go.
    pub fn record(&mut self, instances: &[InstanceView], t_ms: f64, fresh: bool) {
        self.list.retain(|h| instances.iter().any(|i| i.id == h.id));
        if !fresh {
            return;
        }
        for i in instances.iter().filter(|i| i.is_up()) {
            let h = self.entry(&i.id);
            if let Some(v) = i.requests_per_second {
                h.rps.push(t_ms, v);
            }
            if let Some(v) = i.error_rate {
                h.errors.push(t_ms, v * 100.0);
            }
        }
    }

    fn entry(&mut self, id: &str) -> &mut InstanceHistory {
        let at = match self.list.iter().position(|h| h.id == id) {
            Some(at) => at,
            None => {
                self.list.push(InstanceHistory {
                    id: id.to_owned(),
                    rps: Series::new(INSTANCE_POINTS),
                    errors: Series::new(INSTANCE_POINTS),
                });
                self.list.len() - 1
            }
        };
        &mut self.list[at]
    }

    /// The histories of `id`.
    pub fn of(&self, id: &str) -> Option<&InstanceHistory> {
        self.list.iter().find(|h| h.id == id)
    }

    /// Puts `older`'s points (the server's recent history) before the live ones, per instance.
    pub fn prepend(&mut self, older: &FleetHistory) {
        for o in &older.list {
            let h = self.entry(&o.id);
            h.rps.prepend(&o.rps);
            h.errors.prepend(&o.errors);
        }
    }

    /// Instances with a history.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether no instance has one.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// Which instances the table shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatusFilter {
    #[default]
    All,
    Healthy,
    Unhealthy,
}

impl StatusFilter {
    /// Whether `i` passes.
    pub fn admits(self, i: &InstanceView) -> bool {
        match self {
            StatusFilter::All => true,
            StatusFilter::Healthy => i.is_healthy(),
            StatusFilter::Unhealthy => !i.is_healthy(),
        }
    }
}

/// The columns the table sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InstanceSort {
    Status,
    #[default]
    Id,
    Generation,
    Uptime,
    Restarts,
    Rps,
    ErrorRate,
    Latency,
    Cpu,
    Memory,
}

impl InstanceSort {
    /// The figure sorted by (`None` for the text columns and unknown figures).
    fn figure(self, i: &InstanceView) -> Option<f64> {
        match self {
            InstanceSort::Status => Some(f64::from(i.badness())),
            InstanceSort::Id | InstanceSort::Generation => None,
            InstanceSort::Uptime => i.uptime_s,
            InstanceSort::Restarts => Some(i.restarts),
            InstanceSort::Rps => i.requests_per_second,
            InstanceSort::ErrorRate => i.error_rate,
            InstanceSort::Latency => i.latency_ms,
            InstanceSort::Cpu => i.cpu,
            InstanceSort::Memory => i.memory,
        }
    }

    /// A figure column opens worst/largest first; a text column A to Z.
    pub fn starts_descending(self) -> bool {
        !matches!(self, InstanceSort::Id | InstanceSort::Generation)
    }
}

/// The table's sort and filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InstanceQuery {
    pub sort: InstanceSort,
    pub desc: bool,
    pub filter: StatusFilter,
}

impl InstanceQuery {
    /// A click on a column header: the same column flips the order, another one starts in its natural order.
    pub fn toggle_sort(&mut self, key: InstanceSort) {
        if self.sort == key {
            self.desc = !self.desc;
        } else {
            self.sort = key;
            self.desc = key.starts_descending();
        }
    }

    /// The rows to show: filtered, sorted (unknown figures last in either order, ties by id).
    pub fn rows(&self, list: &[InstanceView]) -> Vec<InstanceView> {
        let mut rows: Vec<InstanceView> = list
            .iter()
            .filter(|i| self.filter.admits(i))
            .cloned()
            .collect();
        let (key, desc) = (self.sort, self.desc);
        let before = |a: &InstanceView, b: &InstanceView| {
            let flip = |o: Ordering| if desc { o.reverse() } else { o };
            let primary = match key {
                InstanceSort::Id => flip(a.id.cmp(&b.id)),
                InstanceSort::Generation => flip(a.generation.cmp(&b.generation)),
                _ => match (key.figure(a), key.figure(b)) {
                    (Some(x), Some(y)) => flip(x.total_cmp(&y)),
                    (Some(_), None) => Ordering::Less,
                    (None, Some(_)) => Ordering::Greater,
                    (None, None) => Ordering::Equal,
                },
            };
            primary.then_with(|| a.id.cmp(&b.id)) == Ordering::Less
        };
        // An insertion sort: a fleet is a handful of instances, and `slice::sort_by` would add 3 KB of WASM.
        for n in 1..rows.len() {
            let mut at = n;
            while at > 0 && before(&rows[at], &rows[at - 1]) {
                rows.swap(at, at - 1);
                at -= 1;
            }
        }
        rows
    }
}

#[cfg(test)]
#[path = "fleet_tests.rs"]
mod tests;

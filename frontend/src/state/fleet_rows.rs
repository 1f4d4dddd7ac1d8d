//! What one row of an instance table shows at one moment, as text: the Dashboard's compact table and the
//! Instances page keep a row per instance mounted (a click never lands on a row being replaced) and update its
//! cells from this model, which compares equal while nothing visible changed. Pure, tested natively.

use super::fleet::{InstanceView, SINGLE_ID, instance_of, instances_of, spark_window};
use super::metrics::{MetricsState, MetricsView};
use crate::format;

/// The figure cells of a row, in column order: generation, uptime, restarts, requests/s, errors, latency.
pub const CELLS: usize = 6;
/// Their labels, for the phone layout (each row a card).
pub const CELL_LABELS: [&str; CELLS] = [
    "Generation",
    "Uptime",
    "Restarts",
    "Req/s",
    "Errors",
    "Latency",
];

/// One row at one moment.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RowView {
    /// `ok`, `warn`, `bad`, `idle`.
    pub tone: &'static str,
    /// `healthy`, `unreachable`, …
    pub status: String,
    /// Why it does not answer (empty when it does).
    pub reason: String,
    /// Under the id: its URL, or how long it has not answered.
    pub sub: String,
    /// Found by DNS discovery.
    pub discovered: bool,
    /// See [`CELLS`].
    pub cells: [String; CELLS],
    /// Host CPU and memory %.
    pub cpu: Option<f64>,
    /// See `cpu`.
    pub memory: Option<f64>,
    /// Requests/s history and the time it spans (the full table's sparkline; empty in the compact one).
    pub spark: Vec<(f64, f64)>,
    /// See `spark`.
    pub window: (f64, f64),
}

/// `value` formatted, or "—".
pub fn or_dash(v: Option<f64>, f: fn(f64) -> String) -> String {
    v.map(f).unwrap_or_else(|| "—".into())
}

/// Every row, the single KATO's included; before the first reading that one row says "waiting".
pub fn all_of(m: &MetricsState) -> Vec<InstanceView> {
    match &m.view {
        Some(v) => instances_of(v),
        None => instances_of(&MetricsView::default()),
    }
}

/// The requests/s history of a row (the aggregate's for a single KATO).
pub fn rps_points(m: &MetricsState, id: &str) -> Vec<(f64, f64)> {
    let series = if id == SINGLE_ID {
        Some(&m.rps)
    } else {
        m.fleet.of(id).map(|h| &h.rps)
    };
    series.map(|s| s.since(0.0).collect()).unwrap_or_default()
}

impl RowView {
    /// The row of `i` at `now_ms`; with `spark`, its requests/s history.
    pub fn of(i: &InstanceView, now_ms: f64, spark: Option<Vec<(f64, f64)>>) -> Self {
        let sub = match (&i.source, &i.url, i.last_ok_ms) {
            (Some(s), _, Some(t)) if !s.is_ok() => {
                format!("no answer for {}", format::duration((now_ms - t) / 1000.0))
            }
            (Some(s), _, None) if !s.is_ok() => "no answer yet".to_string(),
            (_, Some(url), _) => url.clone(),
            (_, None, _) => "set by KATO_API_URL".to_string(),
        };
        let spark = spark.unwrap_or_default();
        Self {
            tone: i.tone(),
            status: i.status_label().to_string(),
            reason: i.down_reason().unwrap_or_default().to_string(),
            sub,
            discovered: i.discovered,
            cells: [
                i.generation.clone(),
                or_dash(i.uptime_at(now_ms), format::duration),
                format::int(i.restarts),
                or_dash(i.requests_per_second, format::per_second),
                or_dash(i.error_rate, format::fraction_percent),
                or_dash(i.latency_ms, format::millis),
            ],
            cpu: i.cpu,
            memory: i.memory,
            window: spark_window(&spark, now_ms),
            spark,
        }
    }

    /// The row of instance `id` in `m` at `now_ms` (`None` once it left the fleet).
    pub fn find(m: &MetricsState, id: &str, now_ms: f64, full: bool) -> Option<Self> {
        let i = match &m.view {
            Some(v) => instance_of(v, id)?,
            None => all_of(m).into_iter().find(|i| i.id == id)?,
        };
        Some(Self::of(&i, now_ms, full.then(|| rps_points(m, id))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_row_reads_as_text_and_says_how_long_an_instance_is_silent() {
        let mut m = MetricsState::default();
        let at = "2026-11-22T08:08:32.000Z";
        m.apply(
            &json!({"derived": {"source": {"state": "ok"}, "updated_at": at}}),
            1.0,
        );
        m.apply_instances(
            &json!({"fleet": true, "instances": [
                {"id": "a:8000", "url": "http://a:8000", "source": {"state": "ok"}, "status": "healthy",
                 "generation": "v3", "uptime_seconds": 90.0, "restarts": 2, "requests_per_second": 4.5,
                 "error_rate": 0.0025, "latency_ms": 3.25, "cpu_percent": 12.0, "last_ok_at": at},
                {"id": "b:8000", "url": "http://b:8000", "source": {"state": "unavailable",
                 "reason": "refused", "since": at}, "last_ok_at": "2026-11-22T08:07:32.000Z"}]}),
            1.0,
        );
        let now = m.view.as_ref().and_then(|v| v.updated_at_ms).unwrap();
        let a = RowView::find(&m, "a:8000", now + 10_000.0, true).unwrap();
        assert_eq!(
            a.cells,
            ["v3", "1m 40s", "2", "4.50", "0.25\u{a0}%", "3.2\u{a0}ms"].map(String::from)
        );
        assert_eq!(
            (a.tone, a.sub.as_str(), a.cpu),
            ("ok", "http://a:8000", Some(12.0))
        );
        assert_eq!(a.spark.len(), 1, "its history");
        let b = RowView::find(&m, "b:8000", now, false).unwrap();
        assert_eq!(
            (b.status.as_str(), b.reason.as_str()),
            ("unreachable", "refused")
        );
        assert_eq!(b.sub, "no answer for 1m 00s");
        assert_eq!(b.cells[3], "—");
        assert!(b.spark.is_empty(), "the compact table draws none");
        assert_eq!(RowView::find(&m, "gone:1", now, true), None);
        assert_eq!(
            RowView::find(&MetricsState::default(), SINGLE_ID, 0.0, true).map(|r| r.status),
            Some("waiting".to_string())
        );
    }
}

//! The `containers` topic (Docker stats of KATO's containers) as cards and charts.
//!
//! Reads the old dashboard's shape (`containers[{name,status,cpu,memory{…},network{…},block_io{…}}]`,
//! `aggregated{…}`) and the new fields when present (`*_rate_bps`, `health`, `stale`, `docker` source state,
//! `missing`). When the server sends no rates, they are computed here from two consecutive totals.

use std::collections::BTreeMap;

use serde_json::Value;

use super::history::Series;
use super::json::{Availability, flag, num, source, text};
use super::metrics::HISTORY_POINTS;
use crate::format::parse_ts_ms;

/// Points in each container card's sparkline (two minutes at 1 Hz).
pub const SPARK_POINTS: usize = 120;

/// One container card.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ContainerView {
    pub name: String,
    pub image: Option<String>,
    /// Docker's state (`running`, `exited`, …).
    pub status: String,
    pub running: bool,
    /// `healthy`, `unhealthy`, `starting`, or none.
    pub health: Option<String>,
    /// Last known figures, no longer updated.
    pub stale: bool,
    /// CPU % of one core; `None` until measured.
    pub cpu: Option<f64>,
    pub mem_bytes: Option<f64>,
    pub mem_limit_bytes: Option<f64>,
    pub mem_percent: Option<f64>,
    /// The limit is the container's own (not the host's RAM).
    pub mem_limited: bool,
    pub rx_rate: Option<f64>,
    pub tx_rate: Option<f64>,
    pub read_rate: Option<f64>,
    pub write_rate: Option<f64>,
    pub rx_total: Option<f64>,
    pub tx_total: Option<f64>,
    pub read_total: Option<f64>,
    pub write_total: Option<f64>,
    pub uptime_s: Option<f64>,
    pub restart_count: Option<f64>,
    pub exit_code: Option<f64>,
    pub oom_killed: bool,
    /// When the figures were built (ms).
    pub timestamp_ms: Option<f64>,
}

impl ContainerView {
    fn from_value(v: &Value) -> Option<ContainerView> {
        let name = text(v, "name")?;
        let status = text(v, "status").unwrap_or_else(|| "unknown".into());
        let cpu_known = flag(v, "cpu_known").unwrap_or(true);
        let mb = |path: &str| num(v, path).map(|m| m * 1024.0 * 1024.0);
        Some(ContainerView {
            running: flag(v, "running").unwrap_or(status == "running"),
            image: text(v, "image"),
            health: text(v, "health"),
            stale: flag(v, "stale").unwrap_or(false),
            cpu: num(v, "cpu").filter(|_| cpu_known),
            mem_bytes: num(v, "memory.usage_bytes").or_else(|| mb("memory.usage_mb")),
            mem_limit_bytes: num(v, "memory.limit_bytes").or_else(|| mb("memory.limit_mb")),
            mem_percent: num(v, "memory.usage_percent"),
            mem_limited: flag(v, "memory.limited").unwrap_or(false),
            rx_rate: num(v, "network.rx_rate_bps"),
            tx_rate: num(v, "network.tx_rate_bps"),
            read_rate: num(v, "block_io.read_rate_bps"),
            write_rate: num(v, "block_io.write_rate_bps"),
            rx_total: num(v, "network.rx_bytes"),
            tx_total: num(v, "network.tx_bytes"),
            read_total: num(v, "block_io.read_bytes"),
            write_total: num(v, "block_io.write_bytes"),
            uptime_s: num(v, "uptime_seconds"),
            restart_count: num(v, "restart_count"),
            exit_code: num(v, "exit_code"),
            oom_killed: flag(v, "oom_killed").unwrap_or(false),
            timestamp_ms: text(v, "timestamp").and_then(|t| parse_ts_ms(&t)),
            status,
            name,
        })
    }

    /// `ok`, `warn` or `bad`: the card's status colour.
    pub fn tone(&self) -> &'static str {
        if !self.running || self.health.as_deref() == Some("unhealthy") || self.oom_killed {
            "bad"
        } else if self.stale || self.health.as_deref() == Some("starting") {
            "warn"
        } else {
            "ok"
        }
    }
}

/// Totals over the containers.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AggregatedView {
    pub cpu_percent: Option<f64>,
    pub memory_mb: Option<f64>,
    pub memory_limit_mb: Option<f64>,
    pub memory_percent: Option<f64>,
    pub count: Option<f64>,
    pub running: Option<f64>,
    pub host_cpus: Option<f64>,
}

/// Everything the Dashboard knows about the containers.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainersState {
    /// Whether any `containers` value arrived yet.
    pub received: bool,
    /// Docker's availability (`None` on servers that do not say).
    pub docker: Option<Availability>,
    pub containers: Vec<ContainerView>,
    pub aggregated: Option<AggregatedView>,
    /// Monitored names without a container.
    pub missing: Vec<String>,
    /// Σ CPU % over time.
    pub cpu_total: Series,
    /// Memory of the containers together, % of what they may use, over time.
    pub mem_percent: Series,
    /// CPU % per container, for the card sparklines.
    pub cpu_by_name: BTreeMap<String, Series>,
    /// Previous totals per container `(t_ms, rx, tx, read, write)`, for rates the server did not send.
    prev: BTreeMap<String, [Option<f64>; 5]>,
}

impl Default for ContainersState {
    fn default() -> Self {
        Self {
            received: false,
            docker: None,
            containers: Vec::new(),
            aggregated: None,
            missing: Vec::new(),
            cpu_total: Series::new(HISTORY_POINTS),
            mem_percent: Series::new(HISTORY_POINTS),
            cpu_by_name: BTreeMap::new(),
            prev: BTreeMap::new(),
        }
    }
}

impl ContainersState {
    /// A `containers` value.
    pub fn apply(&mut self, value: &Value, now_ms: f64) {
        self.received = true;
        self.docker = source(value, "docker");
        let mut list: Vec<ContainerView> = value
            .get("containers")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(ContainerView::from_value).collect())
            .unwrap_or_default();
        for c in &mut list {
            self.fill_rates(c, now_ms);
            if let (Some(cpu), false) = (c.cpu, c.stale) {
                self.cpu_by_name
                    .entry(c.name.clone())
                    .or_insert_with(|| Series::new(SPARK_POINTS))
                    .push(c.timestamp_ms.unwrap_or(now_ms), cpu);
            }
        }
        self.cpu_by_name
            .retain(|name, _| list.iter().any(|c| &c.name == name));
        self.prev
            .retain(|name, _| list.iter().any(|c| &c.name == name));
        self.missing = value
            .get("missing")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        self.aggregated =
            value
                .get("aggregated")
                .filter(|a| a.is_object())
                .map(|a| AggregatedView {
                    cpu_percent: num(a, "total_cpu_percent"),
                    memory_mb: num(a, "total_memory_mb"),
                    memory_limit_mb: num(a, "total_memory_limit_mb"),
                    memory_percent: num(a, "total_memory_percent"),
                    count: num(a, "container_count"),
                    running: num(a, "running_count"),
                    host_cpus: num(a, "host_cpus"),
                });
        let fresh = self.docker.as_ref().is_none_or(Availability::is_ok);
        if fresh && !list.is_empty() {
            let t = value
                .get("aggregated")
                .and_then(|a| text(a, "timestamp"))
                .and_then(|s| parse_ts_ms(&s))
                .or_else(|| list.iter().filter_map(|c| c.timestamp_ms).reduce(f64::max))
                .unwrap_or(now_ms);
            let cpu = self
                .aggregated
                .as_ref()
                .and_then(|a| a.cpu_percent)
                .or_else(|| Some(list.iter().filter_map(|c| c.cpu).sum::<f64>()));
            if let Some(cpu) = cpu {
                self.cpu_total.push(t, cpu);
            }
            if let Some(pct) = self.aggregated.as_ref().and_then(|a| a.memory_percent) {
                self.mem_percent.push(t, pct);
            }
        }
        self.containers = list;
    }

    /// The server's recent `containers` values (`GET /system/history`, oldest first): their points go before
    /// the live ones. The current cards are untouched.
    pub fn seed_history(&mut self, values: &[Value], now_ms: f64) {
        let mut past = ContainersState::default();
        for v in values {
            past.apply(v, now_ms);
        }
        self.cpu_total.prepend(&past.cpu_total);
        self.mem_percent.prepend(&past.mem_percent);
        for (name, series) in &past.cpu_by_name {
            if let Some(live) = self.cpu_by_name.get_mut(name) {
                live.prepend(series);
            }
        }
    }

    /// Rates from consecutive totals when the server sent none (old servers).
    fn fill_rates(&mut self, c: &mut ContainerView, now_ms: f64) {
        let t = c.timestamp_ms.unwrap_or(now_ms);
        let now = [Some(t), c.rx_total, c.tx_total, c.read_total, c.write_total];
        if let Some(prev) = self.prev.get(&c.name)
            && let Some(pt) = prev[0]
        {
            let dt = (t - pt) / 1000.0;
            let rate = |i: usize| match (prev[i], now[i]) {
                (Some(a), Some(b)) if dt > 0.0 && b >= a => Some((b - a) / dt),
                _ => None,
            };
            c.rx_rate = c.rx_rate.or_else(|| rate(1));
            c.tx_rate = c.tx_rate.or_else(|| rate(2));
            c.read_rate = c.read_rate.or_else(|| rate(3));
            c.write_rate = c.write_rate.or_else(|| rate(4));
        }
        if self.prev.get(&c.name).and_then(|p| p[0]) != Some(t) {
            self.prev.insert(c.name.clone(), now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn old_shape(ts: &str, rx: u64) -> Value {
        json!({"containers": [{"name": "kato", "status": "running", "cpu": 12.5,
            "memory": {"usage_bytes": 104857600u64, "limit_bytes": 1073741824u64, "usage_mb": 100.0,
                       "limit_mb": 1024.0, "usage_percent": 9.77},
            "network": {"rx_bytes": rx, "tx_bytes": 10},
            "block_io": {"read_bytes": 0, "write_bytes": 0}, "timestamp": ts}],
            "aggregated": {"total_cpu_percent": 12.5, "total_memory_mb": 100.0, "total_memory_percent": 9.77,
                           "container_count": 1}})
    }

    #[test]
    fn old_shapes_render_and_rates_are_computed_from_totals() {
        let mut s = ContainersState::default();
        s.apply(&old_shape("2026-11-22T08:00:00.000Z", 1000), 0.0);
        let c = &s.containers[0];
        assert_eq!(c.cpu, Some(12.5));
        assert_eq!(c.mem_bytes, Some(104857600.0));
        assert_eq!(c.rx_rate, None, "one sample has no rate");
        assert_eq!(c.tone(), "ok");
        s.apply(&old_shape("2026-11-22T08:00:02.000Z", 5000), 0.0);
        assert_eq!(s.containers[0].rx_rate, Some(2000.0));
        assert_eq!(s.containers[0].tx_rate, Some(0.0));
        assert_eq!(s.cpu_total.len(), 2);
        assert_eq!(
            s.mem_percent.last(),
            Some((parse_ts_ms("2026-11-22T08:00:02.000Z").unwrap(), 9.77))
        );
        assert_eq!(s.cpu_by_name["kato"].len(), 2);
        assert!(
            s.docker.is_none(),
            "the old server says nothing about Docker"
        );
    }

    #[test]
    fn new_fields_win_and_docker_outages_are_shown() {
        let mut s = ContainersState::default();
        let v = json!({"containers": [
            {"name": "kato", "status": "running", "running": true, "cpu": 0.0, "cpu_known": false,
             "health": "unhealthy", "network": {"rx_rate_bps": 7.0}, "memory": {}},
            {"name": "kato-redis", "status": "exited", "running": false, "exit_code": 137, "stale": true}],
            "aggregated": {"total_cpu_percent": 0.0}, "docker": {"state": "unavailable", "reason": "socket gone"},
            "missing": ["kato-qdrant"]});
        s.apply(&v, 5.0);
        assert_eq!(s.containers[0].cpu, None, "not measured yet is not 0 %");
        assert_eq!(s.containers[0].rx_rate, Some(7.0));
        assert_eq!(s.containers[0].tone(), "bad");
        assert_eq!(s.containers[1].tone(), "bad");
        assert_eq!(s.missing, vec!["kato-qdrant"]);
        assert_eq!(
            s.docker.as_ref().and_then(Availability::reason),
            Some("socket gone")
        );
        assert!(s.cpu_total.is_empty(), "stale data is not charted");
        s.apply(&json!({"containers": [], "docker": {"state": "ok"}}), 6.0);
        assert!(s.cpu_by_name.is_empty() && s.containers.is_empty() && s.received);
    }

    #[test]
    fn docker_switched_off_on_the_server_is_not_an_outage() {
        let mut s = ContainersState::default();
        s.apply(
            &json!({"containers": [], "aggregated": {}, "missing": [],
                    "docker": {"state": "off", "reason": "DOCKER_ENABLED=false"}}),
            1.0,
        );
        let docker = s.docker.as_ref().expect("a docker state");
        assert!(docker.is_off() && !docker.is_ok());
        assert_eq!(docker.reason(), Some("DOCKER_ENABLED=false"));
        assert!(s.received && s.containers.is_empty());
    }
}

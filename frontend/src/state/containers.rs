//! The `containers` topic (Docker stats of KATO's containers) as cards and charts.
//!
//! Read into [`ContainersSnapshot`], which also reads the old dashboard's shape (its missing fields default,
//! see `kato_dashboard_core::docker`); a value that does not read leaves the cards as they were. When the server
//! sends no rates (the old dashboard), they are computed here from two consecutive totals.
//!
//! With several Docker engines (the server's `DOCKER_HOSTS`: `engines` in the value) the cards are grouped by
//! engine ([`ContainersState::groups`]), each group with its engine's own state, so one engine down is shown
//! for that engine only.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use kato_dashboard_core::{
    docker::{Aggregated, ContainerStats, ContainersSnapshot, EngineStatus, split_qualified},
    topics::from_object,
};
use serde_json::Value;

use super::history::Series;
use super::json::Availability;
use super::metrics::HISTORY_POINTS;

/// Points in each container card's sparkline (two minutes at 1 Hz).
pub const SPARK_POINTS: usize = 120;

/// One container card.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ContainerView {
    /// The record's name: the key of the card (`name@engine` with several engines).
    pub name: String,
    /// The container's name on its engine, as the card shows it.
    pub label: String,
    /// Its engine, with several engines.
    pub engine: Option<String>,
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
    pub mem_bytes: f64,
    pub mem_limit_bytes: f64,
    pub mem_percent: f64,
    /// The limit is the container's own (not the host's RAM).
    pub mem_limited: bool,
    pub rx_rate: Option<f64>,
    pub tx_rate: Option<f64>,
    pub read_rate: Option<f64>,
    pub write_rate: Option<f64>,
    pub rx_total: f64,
    pub tx_total: f64,
    pub read_total: f64,
    pub write_total: f64,
    pub uptime_s: Option<f64>,
    pub restart_count: u64,
    pub exit_code: Option<i64>,
    pub oom_killed: bool,
    /// When the figures were built (ms); `None` when the server's time did not read.
    pub timestamp_ms: Option<f64>,
}

/// Milliseconds since the epoch, `None` for the epoch itself (a time that did not read).
fn known_ms(t: DateTime<Utc>) -> Option<f64> {
    (t != DateTime::UNIX_EPOCH).then(|| t.timestamp_millis() as f64)
}

impl ContainerView {
    fn from_stats(c: ContainerStats) -> ContainerView {
        ContainerView {
            label: c.docker_name().to_owned(),
            engine: c.engine.clone(),
            running: c.is_running(),
            image: Some(c.image).filter(|i| !i.is_empty()),
            cpu: Some(c.cpu).filter(|_| c.cpu_known),
            mem_bytes: c.memory.usage_bytes as f64,
            mem_limit_bytes: c.memory.limit_bytes as f64,
            mem_percent: c.memory.usage_percent,
            mem_limited: c.memory.limited,
            rx_rate: c.network.rx_rate_bps,
            tx_rate: c.network.tx_rate_bps,
            read_rate: c.block_io.read_rate_bps,
            write_rate: c.block_io.write_rate_bps,
            rx_total: c.network.rx_bytes as f64,
            tx_total: c.network.tx_bytes as f64,
            read_total: c.block_io.read_bytes as f64,
            write_total: c.block_io.write_bytes as f64,
            uptime_s: c.uptime_seconds.map(|s| s as f64),
            restart_count: c.restart_count,
            exit_code: c.exit_code,
            oom_killed: c.oom_killed,
            timestamp_ms: known_ms(c.timestamp),
            health: c.health,
            stale: c.stale,
            status: c.status,
            name: c.name,
        }
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

/// Everything the Dashboard knows about the containers.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainersState {
    /// Whether any `containers` value arrived yet.
    pub received: bool,
    /// Docker's availability (`None` on servers that do not say: the old dashboard).
    pub docker: Option<Availability>,
    pub containers: Vec<ContainerView>,
    /// Totals over the fresh containers.
    pub aggregated: Aggregated,
    /// Monitored names without a container.
    pub missing: Vec<String>,
    /// Σ CPU % over time.
    pub cpu_total: Series,
    /// Memory of the containers together, % of what they may use, over time.
    pub mem_percent: Series,
    /// Per container name: CPU % for the card sparklines, and the previous totals for rates.
    pub by_name: BTreeMap<String, PerContainer>,
    /// The Docker engines, when the server watches more than one (empty with one).
    pub engines: Vec<EngineView>,
}

/// One Docker engine (several engines only).
#[derive(Debug, Clone, PartialEq)]
pub struct EngineView {
    pub id: String,
    /// Its address, without password.
    pub host: String,
    pub docker: Availability,
    pub containers: usize,
    pub running: usize,
}

impl EngineView {
    fn from_status(e: &EngineStatus) -> Self {
        Self {
            id: e.id.clone(),
            host: e.host.clone(),
            docker: Availability::from(&e.docker),
            containers: e.containers,
            running: e.running,
        }
    }
}

/// The cards of one engine, and its monitored names with no container.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineGroup {
    pub engine: EngineView,
    pub cards: Vec<ContainerView>,
    /// Names as on the engine (`kato-redis`, not `kato-redis@b`).
    pub missing: Vec<String>,
}

/// What is kept of one container between values.
#[derive(Debug, Clone, PartialEq)]
pub struct PerContainer {
    /// CPU % over time (fresh measurements only).
    pub cpu: Series,
    /// The previous totals `(t_ms, rx, tx, read, write)`, for rates the server did not send.
    prev: Option<[f64; 5]>,
}

impl Default for ContainersState {
    fn default() -> Self {
        Self {
            received: false,
            docker: None,
            containers: Vec::new(),
            aggregated: Aggregated::default(),
            missing: Vec::new(),
            cpu_total: Series::new(HISTORY_POINTS),
            mem_percent: Series::new(HISTORY_POINTS),
            by_name: BTreeMap::new(),
            engines: Vec::new(),
        }
    }
}

impl ContainersState {
    /// A `containers` value; one that does not read changes nothing.
    pub fn apply(&mut self, value: &Value, now_ms: f64) {
        let Ok(snapshot) = from_object::<ContainersSnapshot>(value) else {
            return;
        };
        // The old dashboard says nothing about Docker: not known, rather than the default the type reads.
        let said = value.get("docker").is_some();
        self.apply_snapshot(snapshot, said, now_ms);
    }

    fn apply_snapshot(&mut self, snapshot: ContainersSnapshot, docker_said: bool, now_ms: f64) {
        self.received = true;
        self.docker = docker_said.then(|| Availability::from(&snapshot.docker));
        let mut list: Vec<ContainerView> = snapshot
            .containers
            .into_iter()
            .map(ContainerView::from_stats)
            .collect();
        for c in &mut list {
            self.fill_rates(c, now_ms);
            if let (Some(cpu), false) = (c.cpu, c.stale) {
                self.entry(&c.name)
                    .cpu
                    .push(c.timestamp_ms.unwrap_or(now_ms), cpu);
            }
        }
        self.by_name
            .retain(|name, _| list.iter().any(|c| &c.name == name));
        self.missing = snapshot.missing;
        self.aggregated = snapshot.aggregated;
        self.engines = snapshot
            .engines
            .iter()
            .map(EngineView::from_status)
            .collect();
        // With several engines the totals are over the engines that answer: charted while any does.
        let fresh = if self.engines.is_empty() {
            self.docker.as_ref().is_none_or(Availability::is_ok)
        } else {
            self.engines.iter().any(|e| e.docker.is_ok())
        };
        if fresh && !list.is_empty() {
            let t = known_ms(self.aggregated.timestamp)
                .or_else(|| list.iter().filter_map(|c| c.timestamp_ms).reduce(f64::max))
                .unwrap_or(now_ms);
            self.cpu_total.push(t, self.aggregated.total_cpu_percent);
            self.mem_percent
                .push(t, self.aggregated.total_memory_percent);
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
        for (name, past) in &past.by_name {
            if let Some(live) = self.by_name.get_mut(name) {
                live.cpu.prepend(&past.cpu);
            }
        }
    }

    /// The cards grouped by engine, in the server's order (empty with one engine: no groups).
    pub fn groups(&self) -> Vec<EngineGroup> {
        self.engines
            .iter()
            .map(|e| EngineGroup {
                engine: e.clone(),
                cards: self
                    .containers
                    .iter()
                    .filter(|c| c.engine.as_deref() == Some(e.id.as_str()))
                    .cloned()
                    .collect(),
                missing: self
                    .missing
                    .iter()
                    .filter_map(|n| match split_qualified(n) {
                        (name, Some(id)) if id == e.id => Some(name.to_owned()),
                        _ => None,
                    })
                    .collect(),
            })
            .collect()
    }

    /// The CPU series of a container (empty for one not seen before).
    pub fn cpu_of(&self, name: &str) -> Option<&Series> {
        self.by_name.get(name).map(|p| &p.cpu)
    }

    fn entry(&mut self, name: &str) -> &mut PerContainer {
        self.by_name
            .entry(name.to_owned())
            .or_insert_with(|| PerContainer {
                cpu: Series::new(SPARK_POINTS),
                prev: None,
            })
    }

    /// Rates from consecutive totals when the server sent none (old servers).
    fn fill_rates(&mut self, c: &mut ContainerView, now_ms: f64) {
        let t = c.timestamp_ms.unwrap_or(now_ms);
        let now = [t, c.rx_total, c.tx_total, c.read_total, c.write_total];
        let per = self.entry(&c.name);
        if let Some(prev) = per.prev {
            let dt = (t - prev[0]) / 1000.0;
            let rate = |i: usize| (dt > 0.0 && now[i] >= prev[i]).then(|| (now[i] - prev[i]) / dt);
            c.rx_rate = c.rx_rate.or_else(|| rate(1));
            c.tx_rate = c.tx_rate.or_else(|| rate(2));
            c.read_rate = c.read_rate.or_else(|| rate(3));
            c.write_rate = c.write_rate.or_else(|| rate(4));
        }
        if per.prev.map(|p| p[0]) != Some(t) {
            per.prev = Some(now);
        }
    }
}

#[cfg(test)]
#[path = "containers_tests.rs"]
mod tests;

//! Simulator configuration: which KATO generation to imitate, where sessions live, and how
//! lively the simulated service is. Plain data; parsed by `main` (clap) or built by tests.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// The KATO API generation the simulator imitates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Flavour {
    /// Commit d1391ac (2025-10-13): version "1.0.0", `databases.mongodb`, fixed session TTL,
    /// exact session count.
    #[default]
    V1,
    /// Commit c584167 (v3.10.1, 2026-04-27): `databases.clickhouse`, `null` optional fields,
    /// `/sessions/{id}/exists`, sliding TTL, 5 s per-worker caching of `/metrics` and
    /// `/sessions/count`, and the active-index count drift.
    V3,
}

impl Flavour {
    /// The `version` KATO reports in `GET /` and `/status`.
    pub fn version(self) -> &'static str {
        match self {
            Flavour::V1 => "1.0.0",
            Flavour::V3 => "3.10.1",
        }
    }

    /// The pattern database named in `/metrics.databases` and `/connection-pools`.
    pub fn pattern_db(self) -> &'static str {
        match self {
            Flavour::V1 => "mongodb",
            Flavour::V3 => "clickhouse",
        }
    }

    /// Whether the Redis pattern cache is on by default (`REDIS_ENABLED` in KATO's compose file).
    pub fn default_pattern_cache(self) -> bool {
        matches!(self, Flavour::V3)
    }
}

impl FromStr for Flavour {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "v1" | "1" | "d1391ac" | "1.0.0" => Ok(Flavour::V1),
            "v3" | "3" | "c584167" | "3.10.1" => Ok(Flavour::V3),
            other => Err(format!("unknown flavour {other:?} (expected v1 or v3)")),
        }
    }
}

impl fmt::Display for Flavour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Flavour::V1 => "v1",
            Flavour::V3 => "v3",
        })
    }
}

/// What happens without anyone calling the simulator.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Scenario {
    /// No background traffic, no incidents: the service only answers.
    Idle,
    /// Background traffic: sessions are created, observed, queried, deleted, and some are left to
    /// expire by a short TTL.
    #[default]
    Steady,
    /// `Steady` plus a repeating schedule of error bursts, slow periods and restarts.
    Incidents,
    /// `Steady` plus a restart every [`SimConfig::restart_every`] (like KATO's
    /// `--limit-max-requests` exits).
    RestartLoop,
}

impl Scenario {
    /// Whether the background traffic generator runs.
    pub fn has_traffic(self) -> bool {
        !matches!(self, Scenario::Idle)
    }
}

impl FromStr for Scenario {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "idle" => Ok(Scenario::Idle),
            "steady" => Ok(Scenario::Steady),
            "incidents" => Ok(Scenario::Incidents),
            "restart-loop" => Ok(Scenario::RestartLoop),
            other => Err(format!(
                "unknown scenario {other:?} (expected idle, steady, incidents or restart-loop)"
            )),
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scenario::Idle => "idle",
            Scenario::Steady => "steady",
            Scenario::Incidents => "incidents",
            Scenario::RestartLoop => "restart-loop",
        })
    }
}

/// Everything the simulator needs to start. `Default` is a v1, in-memory, `steady` simulator.
#[derive(Clone, Debug)]
pub struct SimConfig {
    pub flavour: Flavour,
    /// `redis://…` to keep sessions in a real Redis (`kato:session:<id>` STRING keys with a TTL);
    /// `None` keeps them in memory with the same semantics.
    pub redis_url: Option<String>,
    pub scenario: Scenario,
    /// Seeds the resource waves, the traffic generator and the incident dice.
    pub seed: u64,
    /// Background traffic, in requests per second (only for scenarios with traffic).
    pub traffic_rate: f64,
    /// Simulated uvicorn worker processes. Each TCP connection is served by one worker, which
    /// has its own counters, uptime, processors, caches and WebSocket clients (KATO ≥ 3.10 runs 4).
    pub workers: usize,
    /// Redis pattern cache (`REDIS_ENABLED`); `None` = the flavour's compose default
    /// (off for v1, on for v3). Changes `/cache/stats` and `/connection-pools`.
    pub pattern_cache: Option<bool>,
    /// Period of the `restart-loop` scenario.
    pub restart_every: Duration,
    /// Downtime of scenario restarts (connection refused meanwhile).
    pub restart_downtime: Duration,
    /// uvicorn's `--limit-max-requests`: once a worker has served more requests, the whole
    /// simulated server exits and restarts (KATO's Dockerfile used 10000 until 2026-03).
    pub max_requests: Option<u64>,
    /// v3.10.1's per-worker cache lifetime of `/metrics` and `/sessions/count`.
    pub cache_ttl: Duration,
    /// `SERVICE_NAME`, reported by `/health` and `/status`.
    pub service_name: String,
    /// `SESSION_TTL`: processor eviction TTL (and v3's default session TTL).
    pub session_ttl_seconds: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            flavour: Flavour::V1,
            redis_url: None,
            scenario: Scenario::Steady,
            seed: 42,
            traffic_rate: 2.0,
            workers: 1,
            pattern_cache: None,
            restart_every: Duration::from_secs(60),
            restart_downtime: Duration::from_secs(3),
            max_requests: None,
            cache_ttl: Duration::from_secs(5),
            service_name: "kato".to_string(),
            session_ttl_seconds: 3600,
        }
    }
}

impl SimConfig {
    /// A quiet simulator of the given flavour (scenario `idle`, in-memory sessions): what
    /// tests usually want.
    pub fn idle(flavour: Flavour) -> Self {
        SimConfig {
            flavour,
            scenario: Scenario::Idle,
            ..SimConfig::default()
        }
    }

    /// Whether the pattern cache is on, after applying the flavour default.
    pub fn pattern_cache_enabled(&self) -> bool {
        self.pattern_cache
            .unwrap_or_else(|| self.flavour.default_pattern_cache())
    }

    /// The `redis_url` KATO reports in `/status` (the configured one, or KATO's default).
    pub fn reported_redis_url(&self) -> String {
        self.redis_url
            .clone()
            .unwrap_or_else(|| "redis://localhost:6379".to_string())
    }

    /// Checks values that would make the simulator misbehave.
    pub fn validate(&self) -> Result<(), String> {
        if self.workers == 0 || self.workers > 64 {
            return Err(format!("workers must be 1..=64, got {}", self.workers));
        }
        if !(self.traffic_rate.is_finite()
            && self.traffic_rate > 0.0
            && self.traffic_rate <= 1000.0)
        {
            return Err(format!(
                "traffic rate must be in (0, 1000] requests/s, got {}",
                self.traffic_rate
            ));
        }
        if self.max_requests == Some(0) {
            return Err("max requests must be > 0".to_string());
        }
        if self.restart_every.is_zero() {
            return Err("restart period must be > 0".to_string());
        }
        if let Some(url) = &self.redis_url
            && !(url.starts_with("redis://") || url.starts_with("rediss://"))
        {
            return Err(format!("redis url must start with redis://, got {url:?}"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names() {
        assert_eq!("v3".parse::<Flavour>().unwrap(), Flavour::V3);
        assert_eq!("d1391ac".parse::<Flavour>().unwrap(), Flavour::V1);
        assert!("v2".parse::<Flavour>().is_err());
        assert_eq!(
            "restart-loop".parse::<Scenario>().unwrap(),
            Scenario::RestartLoop
        );
        assert_eq!("IDLE".parse::<Scenario>().unwrap(), Scenario::Idle);
    }

    #[test]
    fn defaults_follow_flavour() {
        assert!(!SimConfig::idle(Flavour::V1).pattern_cache_enabled());
        assert!(SimConfig::idle(Flavour::V3).pattern_cache_enabled());
        assert!(SimConfig::default().validate().is_ok());
        let bad = SimConfig {
            workers: 0,
            ..SimConfig::default()
        };
        assert!(bad.validate().is_err());
    }
}

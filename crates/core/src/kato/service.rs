//! `GET /`, `GET /health` and `GET /status`: who KATO is and whether it feels well.
//!
//! `uptime_seconds`, `/status.sessions` and `/status.processors` are per worker process
//! (v3.10+ runs 4 workers, so consecutive polls jump between workers). `/health` is always
//! HTTP 200, even when `unhealthy`.

use super::generation::KatoGeneration;
use super::processors::ProcessorManager;
use super::{lenient, timestamp};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `GET /`: service information, the source of version detection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceInfo {
    /// `"KATO API"`.
    #[serde(default)]
    pub service: String,
    /// `"1.0.0"` (d1391ac, and every release before 3.9.1) or the real version (`"3.10.1"`).
    pub version: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub docs: Option<String>,
    #[serde(default)]
    pub health: Option<String>,
    /// `"running"`.
    #[serde(default)]
    pub status: Option<String>,
    /// Seconds since this worker started.
    #[serde(default)]
    pub uptime_seconds: Option<f64>,
    #[serde(default)]
    pub architecture: Option<String>,
    #[serde(default)]
    pub session_support: Option<bool>,
}

impl ServiceInfo {
    /// The API generation according to `version`.
    pub fn generation(&self) -> KatoGeneration {
        KatoGeneration::from_version(&self.version)
    }
}

/// `status` of `/health` and `/stats.current_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    /// Everything fine.
    Healthy,
    /// Host CPU above 80 % (KATO measures the whole host, so this is common).
    Degraded,
    /// Host memory above 90 %, or the processor manager is missing.
    Unhealthy,
    /// A status this crate does not know.
    #[serde(other)]
    Unknown,
}

/// `GET /health`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Health {
    pub status: HealthStatus,
    /// `"healthy"`, `"unhealthy"` or `"unknown"`.
    #[serde(default)]
    pub processor_status: Option<String>,
    #[serde(default)]
    pub service_name: Option<String>,
    /// Seconds since this worker started.
    #[serde(default)]
    pub uptime_seconds: Option<f64>,
    /// E.g. `["High CPU usage"]`.
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub issues: Vec<String>,
    /// Number of registered metric names (19), not a sample count.
    #[serde(default, deserialize_with = "lenient::opt_count")]
    pub metrics_collected: Option<u64>,
    /// Misnamed by KATO: the worker's start time, it never changes.
    #[serde(default, with = "timestamp::optional")]
    pub last_collection: Option<DateTime<Utc>>,
    /// Same number as `/sessions/count`.
    #[serde(default, deserialize_with = "lenient::opt_count")]
    pub active_sessions: Option<u64>,
    #[serde(default, with = "timestamp::optional")]
    pub timestamp: Option<DateTime<Utc>>,
    /// KATO 5.0+: the answering worker's pid.
    #[serde(default, deserialize_with = "lenient::opt_count")]
    pub worker_pid: Option<u64>,
}

/// `GET /status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    /// Always `"healthy"` in known versions.
    pub status: String,
    #[serde(default)]
    pub base_processor_id: Option<String>,
    #[serde(default)]
    pub uptime_seconds: Option<f64>,
    #[serde(default)]
    pub sessions: Option<StatusSessions>,
    #[serde(default)]
    pub processors: Option<ProcessorManager>,
    #[serde(default)]
    pub version: Option<String>,
}

impl Status {
    /// The API generation according to `version`, if present.
    pub fn generation(&self) -> KatoGeneration {
        self.version
            .as_deref()
            .map_or(KatoGeneration::Unknown, KatoGeneration::from_version)
    }
}

/// `/status.sessions`: session locks held in **this worker's** memory, cleaned every 300 s.
/// Approximate and per process; the real count is `/sessions/count`.
#[derive(Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct StatusSessions {
    #[serde(default, deserialize_with = "lenient::count")]
    pub total_sessions: u64,
    #[serde(default, deserialize_with = "lenient::count")]
    pub active_sessions: u64,
    /// Always 0 in known versions.
    #[serde(default, deserialize_with = "lenient::count")]
    pub expired_sessions: u64,
    #[serde(default)]
    pub backend: Option<String>,
    /// KATO's full `REDIS_URL`, **including any password**: see [`Self::redis_url_redacted`].
    #[serde(default)]
    pub redis_url: Option<String>,
}

impl StatusSessions {
    /// `redis_url` with its password (and query values) hidden, safe to log or display.
    pub fn redis_url_redacted(&self) -> Option<String> {
        self.redis_url.as_deref().map(crate::redact::redact_url)
    }
}

impl std::fmt::Debug for StatusSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusSessions")
            .field("total_sessions", &self.total_sessions)
            .field("active_sessions", &self.active_sessions)
            .field("expired_sessions", &self.expired_sessions)
            .field("backend", &self.backend)
            .field("redis_url", &self.redis_url_redacted())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_credentials() {
        let cases = [
            ("redis://127.0.0.1:6380", "redis://127.0.0.1:6380"),
            ("redis://:secret@redis:6379/1", "redis://:***@redis:6379/1"),
            (
                "redis://user:p@ss@redis:6379",
                "redis://user:***@redis:6379",
            ),
            ("not a url", "not a url"),
        ];
        for (url, want) in cases {
            let s = StatusSessions {
                redis_url: Some(url.into()),
                ..Default::default()
            };
            assert_eq!(s.redis_url_redacted().unwrap(), want, "{url}");
        }
        let s = StatusSessions {
            redis_url: Some("redis://:hunter2@r:6379".into()),
            ..Default::default()
        };
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn unknown_health_status_is_not_an_error() {
        let h: Health = serde_json::from_str(r#"{"status": "on fire"}"#).unwrap();
        assert_eq!(h.status, HealthStatus::Unknown);
        assert!(h.issues.is_empty());
    }
}

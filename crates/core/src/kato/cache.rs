//! `GET /cache/stats`: the Redis pattern cache, which is disabled, enabled or failing.
//!
//! * Disabled (`REDIS_ENABLED` unset, the d1391ac compose default):
//!   `{"cache_performance":{"status":"disabled","reason":…},"cache_health":{"status":"disabled"}}`.
//! * Enabled: `cache_performance` holds the numbers, `cache_health` =
//!   `{status:"healthy", redis_connected, cache_stats}`.
//! * Error: `{status:"error", error}` in both blocks, or `cache_performance: {"error": …}`.
//!
//! The three cases are the three variants of [`CacheStats`]; it serializes back to KATO's
//! shape.

use super::{lenient, timestamp};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// `GET /cache/stats`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawCacheStats", into = "RawCacheStats")]
pub enum CacheStats {
    /// The cache manager is not available (no `REDIS_ENABLED`).
    Disabled {
        reason: Option<String>,
        timestamp: Option<DateTime<Utc>>,
    },
    /// The cache is running.
    Enabled {
        performance: CachePerformance,
        health: CacheHealth,
        timestamp: Option<DateTime<Utc>>,
    },
    /// KATO could not read the cache statistics.
    Error {
        error: String,
        timestamp: Option<DateTime<Utc>>,
    },
}

/// Which of the three cases a [`CacheStats`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CacheState {
    Disabled,
    Enabled,
    Error,
}

impl CacheStats {
    /// The case, without data.
    pub fn state(&self) -> CacheState {
        match self {
            Self::Disabled { .. } => CacheState::Disabled,
            Self::Enabled { .. } => CacheState::Enabled,
            Self::Error { .. } => CacheState::Error,
        }
    }

    /// The response's timestamp.
    pub fn timestamp(&self) -> Option<DateTime<Utc>> {
        match self {
            Self::Disabled { timestamp, .. }
            | Self::Enabled { timestamp, .. }
            | Self::Error { timestamp, .. } => *timestamp,
        }
    }
}

/// The cache numbers (`cache_performance`, and `cache_health.cache_stats`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct CachePerformance {
    /// 0–100 (an int 0 when there were no lookups).
    pub hit_rate_percent: f64,
    #[serde(deserialize_with = "lenient::count")]
    pub cache_hits: u64,
    #[serde(deserialize_with = "lenient::count")]
    pub cache_misses: u64,
    #[serde(deserialize_with = "lenient::count")]
    pub patterns_in_cache: u64,
    #[serde(deserialize_with = "lenient::count")]
    pub symbols_in_cache: u64,
    #[serde(deserialize_with = "lenient::count")]
    pub patterns_cached_total: u64,
    #[serde(deserialize_with = "lenient::count")]
    pub symbols_cached_total: u64,
    /// Memory of the whole Redis server, MB.
    pub redis_memory_used_mb: f64,
    /// Seconds since the statistics were reset.
    pub uptime_seconds: f64,
    pub requests_per_second: f64,
}

/// `cache_health` of an enabled cache.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct CacheHealth {
    /// `"healthy"`.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub redis_connected: bool,
    #[serde(default)]
    pub cache_stats: Option<CachePerformance>,
}

/// The wire shape, converted to and from [`CacheStats`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RawCacheStats {
    #[serde(default)]
    cache_performance: Value,
    #[serde(default)]
    cache_health: Value,
    #[serde(default, with = "timestamp::optional")]
    timestamp: Option<DateTime<Utc>>,
}

fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn error_field(v: &Value) -> Option<String> {
    match v.get("error")? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

impl TryFrom<RawCacheStats> for CacheStats {
    type Error = String;

    fn try_from(raw: RawCacheStats) -> Result<Self, String> {
        let (perf, health, timestamp) = (raw.cache_performance, raw.cache_health, raw.timestamp);
        let status = |v: &Value| str_field(v, "status").map(str::to_ascii_lowercase);
        if status(&perf).as_deref() == Some("disabled")
            || status(&health).as_deref() == Some("disabled")
        {
            let reason = str_field(&perf, "reason").map(str::to_owned);
            return Ok(Self::Disabled { reason, timestamp });
        }
        if let Some(error) = error_field(&perf).or_else(|| error_field(&health)) {
            return Ok(Self::Error { error, timestamp });
        }
        if status(&perf).as_deref() == Some("error") || status(&health).as_deref() == Some("error")
        {
            let error = "cache reported status \"error\"".to_owned();
            return Ok(Self::Error { error, timestamp });
        }
        if !perf.is_object() {
            return Err("cache_performance is missing or not an object".to_owned());
        }
        let performance = serde_json::from_value(perf).map_err(|e| e.to_string())?;
        let health = match health {
            Value::Null => CacheHealth::default(),
            h => serde_json::from_value(h).map_err(|e| e.to_string())?,
        };
        Ok(Self::Enabled {
            performance,
            health,
            timestamp,
        })
    }
}

impl From<CacheStats> for RawCacheStats {
    fn from(stats: CacheStats) -> Self {
        let (cache_performance, cache_health, timestamp) = match stats {
            CacheStats::Disabled { reason, timestamp } => (
                json!({"status": "disabled", "reason": reason}),
                json!({"status": "disabled"}),
                timestamp,
            ),
            CacheStats::Enabled {
                performance,
                health,
                timestamp,
            } => (
                serde_json::to_value(performance).unwrap_or(Value::Null),
                serde_json::to_value(health).unwrap_or(Value::Null),
                timestamp,
            ),
            CacheStats::Error { error, timestamp } => (
                json!({"status": "error", "error": error}),
                json!({"status": "error", "error": error}),
                timestamp,
            ),
        };
        Self {
            cache_performance,
            cache_health,
            timestamp,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> CacheStats {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn three_states() {
        let cases = [
            (
                r#"{"cache_performance":{"status":"disabled","reason":"Cache manager not available"},
                    "cache_health":{"status":"disabled"},"timestamp":"2026-11-22T02:51:17.5+00:00"}"#,
                CacheState::Disabled,
            ),
            (
                r#"{"cache_performance":{"hit_rate_percent":0,"cache_hits":3,"redis_memory_used_mb":1.17},
                    "cache_health":{"status":"healthy","redis_connected":true,"cache_stats":{}}}"#,
                CacheState::Enabled,
            ),
            (
                r#"{"cache_performance":{"status":"error","error":"redis down"},
                    "cache_health":{"status":"error","error":"redis down"}}"#,
                CacheState::Error,
            ),
            (
                r#"{"cache_performance":{"error":"read failed"}}"#,
                CacheState::Error,
            ),
        ];
        for (json, want) in cases {
            assert_eq!(parse(json).state(), want, "{json}");
        }
        assert!(serde_json::from_str::<CacheStats>(r#"{"timestamp": 1.0}"#).is_err());
    }

    #[test]
    fn round_trips_through_kato_shape() {
        for json in [
            r#"{"cache_performance":{"status":"disabled","reason":"x"},"cache_health":{"status":"disabled"}}"#,
            r#"{"cache_performance":{"cache_hits":3},"cache_health":{"status":"healthy","redis_connected":true}}"#,
            r#"{"cache_performance":{"status":"error","error":"e"},"cache_health":{"status":"error"}}"#,
        ] {
            let stats = parse(json);
            let back: CacheStats =
                serde_json::from_str(&serde_json::to_string(&stats).unwrap()).unwrap();
            assert_eq!(back, stats);
        }
        if let CacheStats::Enabled { performance, .. } =
            parse(r#"{"cache_performance":{"cache_hits":3},"cache_health":{"status":"healthy"}}"#)
        {
            assert_eq!(performance.cache_hits, 3);
        } else {
            panic!("expected Enabled");
        }
    }
}

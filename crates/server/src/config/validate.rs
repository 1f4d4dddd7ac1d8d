//! Validation of a loaded [`Config`]: the checks its types alone cannot make, each error naming the key as the
//! user writes it (the flat key, not the section path).

use super::{Config, ConfigError};

impl Config {
    /// Checks values that types alone cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.server.bind_addr()?;
        crate::ws::origin::parse_trusted(&self.ws.trusted_proxies)
            .map_err(|e| ConfigError::invalid("trusted_proxies", e))?;
        if !matches!(self.kato.api_url.scheme(), "http" | "https") {
            return Err(ConfigError::invalid(
                "kato_api_url",
                "must be an http:// or https:// URL",
            ));
        }
        crate::collectors::fleet::targets::parse_urls(&self.fleet.url_list())
            .map_err(|e| ConfigError::invalid("kato_api_urls", e))?;
        crate::collectors::fleet::targets::Discovery::parse(&self.fleet.discovery, None)
            .map_err(|e| ConfigError::invalid("kato_discovery", e))?;
        let clickhouse = url::Url::parse(self.clickhouse.url.trim());
        if !clickhouse.is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host()) {
            return Err(ConfigError::invalid(
                "clickhouse_url",
                "must be ClickHouse's HTTP interface, http://host:8123 (or https://)",
            ));
        }
        if self.clickhouse.database.trim().is_empty() {
            return Err(ConfigError::invalid(
                "clickhouse_database",
                "must name KATO's database (kato)",
            ));
        }
        let positive = [
            ("kato_timeout_seconds", self.kato.timeout_seconds),
            (
                "kato_metrics_interval_seconds",
                self.kato.metrics_interval_seconds,
            ),
            (
                "kato_stats_interval_seconds",
                self.kato.stats_interval_seconds,
            ),
            (
                "session_reconcile_interval_seconds",
                self.redis.session_reconcile_interval_seconds,
            ),
            ("broadcast_interval", self.ws.broadcast_interval_seconds),
            (
                "docker_rescan_interval_seconds",
                self.docker.rescan_interval_seconds,
            ),
            ("ws_heartbeat_seconds", self.ws.heartbeat_seconds),
            (
                "kato_discovery_interval_seconds",
                self.fleet.discovery_interval_seconds,
            ),
            (
                "alert_instance_error_ratio",
                self.fleet.instance_error_ratio,
            ),
            (
                "http_header_timeout_seconds",
                self.http.header_timeout_seconds,
            ),
            (
                "http_stall_timeout_seconds",
                self.http.stall_timeout_seconds,
            ),
            ("ws_send_timeout_seconds", self.ws.send_timeout_seconds),
            ("ws_replay_max_age_seconds", self.ws.replay_max_age_seconds),
            ("history_sample_seconds", self.history.sample_seconds),
            ("history_kb_sample_seconds", self.history.kb_sample_seconds),
        ];
        for (key, value) in positive {
            if !(value.is_finite() && value > 0.0) {
                return Err(ConfigError::invalid(
                    key,
                    format!("must be a positive number of seconds, got {value}"),
                ));
            }
        }
        for (key, value, unit) in [
            ("history_raw_hours", self.history.raw_hours, "hours"),
            ("history_minute_days", self.history.minute_days, "days"),
            ("history_hour_days", self.history.hour_days, "days"),
            (
                "history_disk_budget_mb",
                self.history.disk_budget_mb,
                "megabytes",
            ),
        ] {
            if !(value.is_finite() && value > 0.0) {
                return Err(ConfigError::invalid(
                    key,
                    format!("must be a positive number of {unit}, got {value}"),
                ));
            }
        }
        let non_negative = [
            ("cache_ttl_seconds", self.kato.cache_ttl_seconds),
            ("alert_cooldown_seconds", self.alerts.cooldown_seconds),
            ("shutdown_grace_seconds", self.server.shutdown_grace_seconds),
        ];
        for (key, value) in non_negative {
            if !(value.is_finite() && value >= 0.0) {
                return Err(ConfigError::invalid(
                    key,
                    format!("must be zero or more seconds, got {value}"),
                ));
            }
        }
        if !(0.0..=1.0).contains(&self.alerts.error_rate_threshold) {
            return Err(ConfigError::invalid(
                "alert_error_rate_threshold",
                "is a fraction between 0 and 1 (0.05 = 5 %)",
            ));
        }
        for (key, value) in [
            ("alert_cpu_threshold", self.alerts.cpu_threshold),
            ("alert_memory_threshold", self.alerts.memory_threshold),
        ] {
            if !(value.is_finite() && value > 0.0) {
                return Err(ConfigError::invalid(
                    key,
                    format!("must be a positive percentage, got {value}"),
                ));
            }
        }
        for (key, value) in [
            ("ws_max_connections", self.ws.max_connections),
            ("http_max_connections", self.http.max_connections),
            ("ws_replay_buffer_size", self.ws.replay_buffer_size),
            ("ws_event_queue", self.ws.event_queue),
        ] {
            if value == 0 {
                return Err(ConfigError::invalid(key, "must be at least 1"));
            }
        }
        self.alerts.validate()?;
        self.docker.validate()?;
        if self
            .auth
            .admin_token
            .as_deref()
            .is_some_and(|t| t.trim().len() < 8)
        {
            return Err(ConfigError::invalid(
                "admin_token",
                "must be at least 8 characters",
            ));
        }
        Ok(())
    }
}

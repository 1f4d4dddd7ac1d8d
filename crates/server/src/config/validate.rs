//! Validation of a loaded [`Config`]: the checks its types alone cannot make (each error names the key), the bind
//! address, and the legacy keys that are set but do nothing.

use std::net::SocketAddr;

use super::{Config, ConfigError};

impl Config {
    /// Checks values that types alone cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.bind_addr()?;
        crate::ws::origin::parse_trusted(&self.trusted_proxies)
            .map_err(|e| ConfigError::invalid("trusted_proxies", e))?;
        if !matches!(self.kato_api_url.scheme(), "http" | "https") {
            return Err(ConfigError::invalid(
                "kato_api_url",
                "must be an http:// or https:// URL",
            ));
        }
        let clickhouse = url::Url::parse(self.clickhouse_url.trim());
        if !clickhouse.is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host()) {
            return Err(ConfigError::invalid(
                "clickhouse_url",
                "must be ClickHouse's HTTP interface, http://host:8123 (or https://)",
            ));
        }
        if self.clickhouse_database.trim().is_empty() {
            return Err(ConfigError::invalid(
                "clickhouse_database",
                "must name KATO's database (kato)",
            ));
        }
        let positive = [
            ("kato_timeout_seconds", self.kato_timeout_seconds),
            (
                "kato_metrics_interval_seconds",
                self.kato_metrics_interval_seconds,
            ),
            (
                "kato_stats_interval_seconds",
                self.kato_stats_interval_seconds,
            ),
            (
                "session_reconcile_interval_seconds",
                self.session_reconcile_interval_seconds,
            ),
            ("broadcast_interval", self.broadcast_interval),
            (
                "docker_rescan_interval_seconds",
                self.docker_rescan_interval_seconds,
            ),
            ("ws_heartbeat_seconds", self.ws_heartbeat_seconds),
            (
                "http_header_timeout_seconds",
                self.http_header_timeout_seconds,
            ),
            (
                "http_stall_timeout_seconds",
                self.http_stall_timeout_seconds,
            ),
            ("ws_send_timeout_seconds", self.ws_send_timeout_seconds),
            ("ws_replay_max_age_seconds", self.ws_replay_max_age_seconds),
        ];
        for (key, value) in positive {
            if !(value.is_finite() && value > 0.0) {
                return Err(ConfigError::invalid(
                    key,
                    format!("must be a positive number of seconds, got {value}"),
                ));
            }
        }
        let non_negative = [
            ("cache_ttl_seconds", self.cache_ttl_seconds),
            ("alert_cooldown_seconds", self.alert_cooldown_seconds),
            ("shutdown_grace_seconds", self.shutdown_grace_seconds),
        ];
        for (key, value) in non_negative {
            if !(value.is_finite() && value >= 0.0) {
                return Err(ConfigError::invalid(
                    key,
                    format!("must be zero or more seconds, got {value}"),
                ));
            }
        }
        if !(0.0..=1.0).contains(&self.alert_error_rate_threshold) {
            return Err(ConfigError::invalid(
                "alert_error_rate_threshold",
                "is a fraction between 0 and 1 (0.05 = 5 %)",
            ));
        }
        for (key, value) in [
            ("alert_cpu_threshold", self.alert_cpu_threshold),
            ("alert_memory_threshold", self.alert_memory_threshold),
        ] {
            if !(value.is_finite() && value > 0.0) {
                return Err(ConfigError::invalid(
                    key,
                    format!("must be a positive percentage, got {value}"),
                ));
            }
        }
        for (key, value) in [
            ("ws_max_connections", self.ws_max_connections),
            ("http_max_connections", self.http_max_connections),
            ("ws_replay_buffer_size", self.ws_replay_buffer_size),
            ("ws_event_queue", self.ws_event_queue),
        ] {
            if value == 0 {
                return Err(ConfigError::invalid(key, "must be at least 1"));
            }
        }
        self.validate_alerts()?;
        if self
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

    /// Socket address to bind.
    pub fn bind_addr(&self) -> Result<SocketAddr, ConfigError> {
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        let ip = host
            .parse()
            .or_else(|_| {
                if host == "localhost" {
                    Ok([127, 0, 0, 1].into())
                } else {
                    Err(())
                }
            })
            .map_err(|()| {
                ConfigError::invalid("host", format!("`{}` is not an IP address", self.host))
            })?;
        Ok(SocketAddr::new(ip, self.port))
    }

    /// Legacy keys that are set but have no effect (logged once at start).
    pub fn ignored_legacy_keys(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        let set: [(&'static str, bool); 5] = [
            ("ADMIN_USERNAME", self.admin_username.is_some()),
            ("ADMIN_PASSWORD", self.admin_password.is_some()),
            ("SECRET_KEY", self.secret_key.is_some()),
            ("ALGORITHM", self.algorithm.is_some()),
            (
                "ACCESS_TOKEN_EXPIRE_MINUTES",
                self.access_token_expire_minutes.is_some(),
            ),
        ];
        for (key, present) in set {
            if present {
                out.push(key);
            }
        }
        out
    }
}

//! The alert section ([`AlertsConfig`]): the effective [`RuleSet`] built from the old dashboard's thresholds, the
//! new keys and the per-rule overrides of `ALERT_RULES`
//! (`container_cpu.fire=70,container_cpu.clear=60,high_sessions.enabled=false`), the store's retention, the webhook,
//! and their validation.

use std::{path::PathBuf, time::Duration};

use kato_dashboard_core::alerts::{AlertType, Bands, RuleSet, Severity};
use serde::{Deserialize, Serialize};

use super::{ConfigError, secs};

/// Shape of the webhook's body.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    /// Alertmanager's webhook payload (version 4).
    #[default]
    Alertmanager,
    /// `{"text": …}` for Slack-compatible incoming webhooks.
    Slack,
}

/// The alert rules' thresholds (the old dashboard's keys and the new ones), the alert store, and the webhook.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct AlertsConfig {
    /// Aggregated container CPU % that fires `high_cpu`.
    #[serde(rename = "alert_cpu_threshold")]
    pub cpu_threshold: f64,
    /// Aggregated container memory % that fires `high_memory`.
    #[serde(rename = "alert_memory_threshold")]
    pub memory_threshold: f64,
    /// KATO error rate (fraction 0..1) that fires `high_error_rate`.
    #[serde(rename = "alert_error_rate_threshold")]
    pub error_rate_threshold: f64,
    /// Seconds between repeat reminders of a firing alert.
    #[serde(rename = "alert_cooldown_seconds")]
    pub cooldown_seconds: f64,
    /// Aggregated (and per-container) CPU % above which an alert is critical.
    #[serde(rename = "alert_cpu_critical")]
    pub cpu_critical: f64,
    /// Memory % above which an alert is critical.
    #[serde(rename = "alert_memory_critical")]
    pub memory_critical: f64,
    /// Error rate above which `high_error_rate` is critical.
    #[serde(rename = "alert_error_rate_critical")]
    pub error_rate_critical: f64,
    /// Active sessions that fire `high_sessions`.
    #[serde(rename = "alert_sessions_threshold")]
    pub sessions_threshold: f64,
    /// Seconds a CPU, memory or sessions condition must hold before it fires.
    #[serde(rename = "alert_pending_seconds")]
    pub pending_seconds: f64,
    /// Per-rule overrides, `rule.key=value` comma-separated (see docs/alerts.md).
    #[serde(rename = "alert_rules")]
    pub rules: String,
    /// Folder of the alert store; empty: `data_dir` (see [`super::Config::alert_store_dir`]).
    #[serde(rename = "alert_data_dir")]
    pub data_dir: Option<PathBuf>,
    /// Days of alert history kept.
    #[serde(rename = "alert_retention_days")]
    pub retention_days: f64,
    /// Most alert events kept.
    #[serde(rename = "alert_retention_max_events")]
    pub retention_max_events: usize,
    /// Where to POST notifications; empty: no webhook.
    #[serde(rename = "alert_webhook_url")]
    pub webhook_url: Option<String>,
    /// `alertmanager` or `slack`.
    #[serde(rename = "alert_webhook_format")]
    pub webhook_format: WebhookFormat,
    /// Per-request timeout of the webhook, in seconds.
    #[serde(rename = "alert_webhook_timeout_seconds")]
    pub webhook_timeout_seconds: f64,
    /// Retries of a failed notification.
    #[serde(rename = "alert_webhook_max_retries")]
    pub webhook_max_retries: u32,
    /// Notifications waiting to be sent before the oldest is dropped.
    #[serde(rename = "alert_webhook_queue")]
    pub webhook_queue: usize,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        Self {
            cpu_threshold: 80.0,
            memory_threshold: 85.0,
            error_rate_threshold: 0.05,
            cooldown_seconds: 60.0,
            cpu_critical: 90.0,
            memory_critical: 95.0,
            error_rate_critical: 0.10,
            sessions_threshold: 1000.0,
            pending_seconds: 10.0,
            rules: String::new(),
            data_dir: None,
            retention_days: 30.0,
            retention_max_events: 100_000,
            webhook_url: None,
            webhook_format: WebhookFormat::Alertmanager,
            webhook_timeout_seconds: 5.0,
            webhook_max_retries: 5,
            webhook_queue: 256,
        }
    }
}

const KEY: &str = "alert_rules";

fn bad(reason: impl Into<String>) -> ConfigError {
    ConfigError::invalid(KEY, reason)
}

fn number(rule: &str, key: &str, value: &str) -> Result<f64, ConfigError> {
    value
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| bad(format!("{rule}.{key}: `{value}` is not a number")))
}

fn seconds(rule: &str, key: &str, value: &str) -> Result<Duration, ConfigError> {
    let v = number(rule, key, value)?;
    if v < 0.0 {
        return Err(bad(format!("{rule}.{key}: must be zero or more seconds")));
    }
    Ok(secs(v))
}

impl AlertsConfig {
    /// How much alert history to keep.
    pub fn retention(&self) -> (Duration, usize) {
        (
            secs(self.retention_days * 86_400.0),
            self.retention_max_events,
        )
    }

    /// The effective rules: defaults, then the flat keys, then `ALERT_RULES`.
    pub fn rule_set(&self) -> Result<RuleSet, ConfigError> {
        let mut rules = RuleSet::defaults();
        let repeat = secs(self.cooldown_seconds);
        let pending = secs(self.pending_seconds);
        let critical_above = |warning: f64, critical: f64| (critical > warning).then_some(critical);
        for (rule, config) in rules.0.iter_mut() {
            if *rule != AlertType::KatoRestarted {
                config.repeat = repeat;
            }
            let bands = match rule {
                AlertType::HighCpu | AlertType::ContainerCpu => Some(Bands::new(
                    self.cpu_threshold,
                    critical_above(self.cpu_threshold, self.cpu_critical),
                    5.0,
                )),
                AlertType::HighMemory | AlertType::ContainerMemory => Some(Bands::new(
                    self.memory_threshold,
                    critical_above(self.memory_threshold, self.memory_critical),
                    5.0,
                )),
                AlertType::HighErrorRate => Some(Bands::new(
                    self.error_rate_threshold,
                    critical_above(self.error_rate_threshold, self.error_rate_critical),
                    (self.error_rate_threshold * 0.2).min(0.01),
                )),
                AlertType::HighSessions => Some(Bands::new(
                    self.sessions_threshold,
                    None,
                    (self.sessions_threshold * 0.05).max(1.0),
                )),
                _ => None,
            };
            if let Some(b) = bands {
                config.bands = Some(b);
                if *rule != AlertType::HighErrorRate {
                    config.pending = pending;
                }
            }
        }
        for entry in self.rules.split(',').map(str::trim) {
            if entry.is_empty() {
                continue;
            }
            let (path, value) = entry
                .split_once('=')
                .ok_or_else(|| bad(format!("`{entry}` is not rule.key=value")))?;
            let (rule_name, key) = path
                .trim()
                .split_once('.')
                .ok_or_else(|| bad(format!("`{path}` is not rule.key")))?;
            let value = value.trim();
            let rule = AlertType::parse(rule_name)
                .ok_or_else(|| bad(format!("unknown rule `{rule_name}`")))?;
            let Some(config) = rules.0.get_mut(&rule) else {
                continue;
            };
            let needs_bands = || bad(format!("{rule_name}.{key}: {rule_name} has no thresholds"));
            match key {
                "enabled" => {
                    config.enabled = value
                        .parse()
                        .map_err(|_| bad(format!("{rule_name}.enabled: true or false")))?;
                }
                "fire" => {
                    let b = config.bands.as_mut().ok_or_else(needs_bands)?;
                    b.warning = number(rule_name, key, value)?;
                }
                "clear" => {
                    let b = config.bands.as_mut().ok_or_else(needs_bands)?;
                    b.clear = number(rule_name, key, value)?;
                }
                "critical" => {
                    let b = config.bands.as_mut().ok_or_else(needs_bands)?;
                    b.critical = match value {
                        "none" | "" => None,
                        v => Some(number(rule_name, key, v)?),
                    };
                }
                "pending" => config.pending = seconds(rule_name, key, value)?,
                "repeat" => config.repeat = seconds(rule_name, key, value)?,
                "auto_resolve" => {
                    config.auto_resolve = match value {
                        "none" | "" => None,
                        v => Some(seconds(rule_name, key, v)?),
                    };
                }
                "severity" => {
                    config.severity = match value {
                        "info" => Severity::Info,
                        "warning" => Severity::Warning,
                        "critical" => Severity::Critical,
                        other => {
                            return Err(bad(format!(
                                "{rule_name}.severity: `{other}` is not info, warning or critical"
                            )));
                        }
                    };
                }
                other => return Err(bad(format!("{rule_name}: unknown setting `{other}`"))),
            }
        }
        for (rule, config) in &rules.0 {
            if let Some(b) = &config.bands {
                if b.clear > b.warning {
                    return Err(bad(format!(
                        "{}: the clear threshold {} is above the fire threshold {}",
                        rule.as_str(),
                        b.clear,
                        b.warning
                    )));
                }
                if b.critical.is_some_and(|c| c <= b.warning) {
                    return Err(bad(format!(
                        "{}: the critical threshold must be above the fire threshold {}",
                        rule.as_str(),
                        b.warning
                    )));
                }
            }
        }
        Ok(rules)
    }

    /// Checks the alert keys.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        for (key, value) in [
            ("alert_pending_seconds", self.pending_seconds),
            ("alert_retention_days", self.retention_days),
            (
                "alert_webhook_timeout_seconds",
                self.webhook_timeout_seconds,
            ),
            ("alert_sessions_threshold", self.sessions_threshold),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(ConfigError::invalid(
                    key,
                    format!("must be zero or more, got {value}"),
                ));
            }
        }
        for (key, value) in [
            ("alert_webhook_queue", self.webhook_queue),
            ("alert_retention_max_events", self.retention_max_events),
        ] {
            if value == 0 {
                return Err(ConfigError::invalid(key, "must be at least 1"));
            }
        }
        if let Some(url) = &self.webhook_url {
            let parsed = url::Url::parse(url)
                .map_err(|e| ConfigError::invalid("alert_webhook_url", e.to_string()))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(ConfigError::invalid(
                    "alert_webhook_url",
                    "must be an http:// or https:// URL",
                ));
            }
        }
        self.rule_set().map(|_| ())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::{super::Config, *};

    fn with(f: impl FnOnce(&mut Config)) -> Config {
        let mut c = Config::default();
        f(&mut c);
        c
    }

    #[test]
    fn flat_keys_and_overrides_make_the_rules() {
        let rules = Config::default().alerts.rule_set().unwrap();
        let cpu = rules.get(AlertType::ContainerCpu).unwrap();
        assert_eq!(cpu.bands, Some(Bands::new(80.0, Some(90.0), 5.0)));
        assert_eq!(cpu.repeat, Duration::from_secs(60));
        assert_eq!(
            rules.get(AlertType::KatoRestarted).unwrap().repeat,
            Duration::ZERO
        );
        let c = with(|c| {
            c.alerts.cooldown_seconds = 30.0;
            c.alerts.cpu_threshold = 95.0;
            c.alerts.rules =
                "container_cpu.fire=30, container_cpu.clear=10,container_cpu.pending=1,high_sessions.enabled=false"
                    .into();
        });
        let rules = c.alerts.rule_set().unwrap();
        let cpu = rules.get(AlertType::ContainerCpu).unwrap();
        assert_eq!(cpu.bands.unwrap().warning, 30.0);
        assert_eq!(cpu.bands.unwrap().clear, 10.0);
        assert_eq!(cpu.pending, Duration::from_secs(1));
        assert_eq!(
            cpu.repeat,
            Duration::from_secs(30),
            "ALERT_COOLDOWN_SECONDS sets repeat"
        );
        let high = rules.get(AlertType::HighCpu).unwrap().bands.unwrap();
        assert_eq!(
            (high.warning, high.critical),
            (95.0, None),
            "critical below fire is dropped"
        );
        assert!(!rules.get(AlertType::HighSessions).unwrap().enabled);
    }

    #[test]
    fn bad_overrides_name_the_key() {
        for bad in [
            "container_cpu.fire=x",
            "nope.fire=1",
            "container_down.fire=1",
            "container_cpu.colour=red",
            "container_cpu",
            "container_cpu.clear=99",
            "container_cpu.critical=50",
        ] {
            let err = with(|c| c.alerts.rules = bad.into())
                .validate()
                .unwrap_err();
            assert!(err.to_string().contains("ALERT_RULES"), "{bad}: {err}");
        }
        let err = with(|c| c.alerts.webhook_url = Some("ftp://x".into()))
            .validate()
            .unwrap_err();
        assert!(err.to_string().contains("ALERT_WEBHOOK_URL"), "{err}");
    }
}

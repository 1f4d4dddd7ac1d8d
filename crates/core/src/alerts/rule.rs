//! Alert types, severities, thresholds and the readings the collectors feed in.

use std::{collections::BTreeMap, time::Duration};

use serde::{Deserialize, Serialize};

/// What an alert is about. The first four are the old dashboard's types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertType {
    /// Sum of the monitored containers' CPU %.
    HighCpu,
    /// Monitored containers' memory in use over their limits, %.
    HighMemory,
    /// KATO's true error rate (fraction 0..1).
    HighErrorRate,
    /// A monitored container is not running.
    ContainerDown,
    /// One container's CPU %.
    ContainerCpu,
    /// One container's memory %.
    ContainerMemory,
    /// A monitored container does not exist.
    ContainerMissing,
    /// KATO does not answer.
    KatoUnreachable,
    /// KATO restarted (uptime reset).
    KatoRestarted,
    /// Active sessions above a limit.
    HighSessions,
    /// A watched Docker engine does not answer (subject: the engine id).
    DockerEngineDown,
    /// Fewer healthy KATO instances than `ALERT_MIN_HEALTHY_INSTANCES` (a fleet only).
    FleetDegraded,
    /// One KATO instance's error rate far above the others' (subject: the instance id).
    InstanceErrorOutlier,
}

impl AlertType {
    /// Every type.
    pub const ALL: [AlertType; 13] = [
        AlertType::HighCpu,
        AlertType::HighMemory,
        AlertType::HighErrorRate,
        AlertType::ContainerDown,
        AlertType::ContainerCpu,
        AlertType::ContainerMemory,
        AlertType::ContainerMissing,
        AlertType::KatoUnreachable,
        AlertType::KatoRestarted,
        AlertType::HighSessions,
        AlertType::DockerEngineDown,
        AlertType::FleetDegraded,
        AlertType::InstanceErrorOutlier,
    ];

    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertType::HighCpu => "high_cpu",
            AlertType::HighMemory => "high_memory",
            AlertType::HighErrorRate => "high_error_rate",
            AlertType::ContainerDown => "container_down",
            AlertType::ContainerCpu => "container_cpu",
            AlertType::ContainerMemory => "container_memory",
            AlertType::ContainerMissing => "container_missing",
            AlertType::KatoUnreachable => "kato_unreachable",
            AlertType::KatoRestarted => "kato_restarted",
            AlertType::HighSessions => "high_sessions",
            AlertType::DockerEngineDown => "docker_engine_down",
            AlertType::FleetDegraded => "fleet_degraded",
            AlertType::InstanceErrorOutlier => "instance_error_outlier",
        }
    }

    /// Parses a wire name.
    pub fn parse(name: &str) -> Option<AlertType> {
        AlertType::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

/// How bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Needs attention.
    Warning,
    /// Needs action now.
    Critical,
}

impl Severity {
    /// The old dashboard's `level` (`info`, `warning`, `error`).
    pub fn level(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "error",
        }
    }

    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// Thresholds of a numeric rule: fires above `warning` (strictly, as the old dashboard did), is critical above
/// `critical`, and resolves only below `clear` (hysteresis). Critical falls back to warning below
/// `critical - (warning - clear)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bands {
    /// Fire threshold.
    pub warning: f64,
    /// Critical threshold (`None`: never critical).
    pub critical: Option<f64>,
    /// Resolve threshold (≤ `warning`).
    pub clear: f64,
}

impl Bands {
    /// Bands with the clear threshold `hysteresis` below the fire threshold.
    pub fn new(warning: f64, critical: Option<f64>, hysteresis: f64) -> Self {
        Self {
            warning,
            critical,
            clear: warning - hysteresis.max(0.0),
        }
    }

    /// The severity a value deserves, given the current one (for de-escalation hysteresis).
    pub fn severity(&self, value: f64, current: Option<Severity>) -> Severity {
        match self.critical {
            Some(c) if value > c => Severity::Critical,
            Some(c)
                if current == Some(Severity::Critical)
                    && value >= c - (self.warning - self.clear) =>
            {
                Severity::Critical
            }
            _ => Severity::Warning,
        }
    }
}

/// How one rule behaves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleConfig {
    /// Evaluated at all.
    pub enabled: bool,
    /// Thresholds of a numeric rule (`None` for condition rules).
    pub bands: Option<Bands>,
    /// Severity of a condition rule.
    pub severity: Severity,
    /// How long a condition must hold before it fires.
    pub pending: Duration,
    /// Reminder interval while firing (`ALERT_COOLDOWN_SECONDS`); zero = no reminders.
    pub repeat: Duration,
    /// Resolve by itself after this long (one-off events such as a restart).
    pub auto_resolve: Option<Duration>,
}

impl RuleConfig {
    /// A numeric rule.
    pub fn numeric(bands: Bands, pending: Duration, repeat: Duration) -> Self {
        Self {
            enabled: true,
            bands: Some(bands),
            severity: Severity::Warning,
            pending,
            repeat,
            auto_resolve: None,
        }
    }

    /// A condition rule.
    pub fn condition(severity: Severity, pending: Duration, repeat: Duration) -> Self {
        Self {
            enabled: true,
            bands: None,
            severity,
            pending,
            repeat,
            auto_resolve: None,
        }
    }
}

/// Every rule's configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleSet(pub BTreeMap<AlertType, RuleConfig>);

impl RuleSet {
    /// The old dashboard's defaults (CPU 80/90 %, memory 85/95 %, error rate 5/10 %, 60 s reminders) plus the new rules.
    pub fn defaults() -> Self {
        let repeat = Duration::from_secs(60);
        let pending = Duration::from_secs(10);
        let mut rules = BTreeMap::new();
        rules.insert(
            AlertType::HighCpu,
            RuleConfig::numeric(Bands::new(80.0, Some(90.0), 5.0), pending, repeat),
        );
        rules.insert(
            AlertType::ContainerCpu,
            RuleConfig::numeric(Bands::new(80.0, Some(90.0), 5.0), pending, repeat),
        );
        rules.insert(
            AlertType::HighMemory,
            RuleConfig::numeric(Bands::new(85.0, Some(95.0), 5.0), pending, repeat),
        );
        rules.insert(
            AlertType::ContainerMemory,
            RuleConfig::numeric(Bands::new(85.0, Some(95.0), 5.0), pending, repeat),
        );
        rules.insert(
            AlertType::HighErrorRate,
            RuleConfig::numeric(Bands::new(0.05, Some(0.10), 0.01), Duration::ZERO, repeat),
        );
        rules.insert(
            AlertType::HighSessions,
            RuleConfig::numeric(Bands::new(1000.0, None, 50.0), pending, repeat),
        );
        rules.insert(
            AlertType::ContainerDown,
            RuleConfig::condition(Severity::Critical, Duration::ZERO, repeat),
        );
        rules.insert(
            AlertType::ContainerMissing,
            RuleConfig::condition(Severity::Critical, Duration::ZERO, repeat),
        );
        rules.insert(
            AlertType::KatoUnreachable,
            RuleConfig::condition(Severity::Critical, Duration::from_secs(5), repeat),
        );
        rules.insert(
            AlertType::DockerEngineDown,
            RuleConfig::condition(Severity::Critical, Duration::from_secs(5), repeat),
        );
        rules.insert(
            AlertType::FleetDegraded,
            RuleConfig::condition(Severity::Critical, Duration::from_secs(10), repeat),
        );
        rules.insert(
            AlertType::InstanceErrorOutlier,
            RuleConfig::condition(Severity::Warning, Duration::ZERO, repeat),
        );
        let mut restarted =
            RuleConfig::condition(Severity::Warning, Duration::ZERO, Duration::ZERO);
        restarted.auto_resolve = Some(Duration::from_secs(300));
        rules.insert(AlertType::KatoRestarted, restarted);
        Self(rules)
    }

    /// One rule's configuration.
    pub fn get(&self, rule: AlertType) -> Option<&RuleConfig> {
        self.0.get(&rule)
    }
}

/// What a collector observed for one rule and subject.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    /// A number for a numeric rule.
    Value(f64),
    /// Whether a condition rule's condition holds, and a human detail (e.g. the container status).
    Condition(bool, String),
    /// Nothing could be read: the state stays as it is.
    NoData,
}

/// One reading for one alert identity.
#[derive(Debug, Clone, PartialEq)]
pub struct Signal {
    /// The rule.
    pub rule: AlertType,
    /// What it is about: a container name, or empty for global rules.
    pub subject: String,
    /// The reading.
    pub reading: Reading,
}

impl Signal {
    /// A new signal.
    pub fn new(rule: AlertType, subject: impl Into<String>, reading: Reading) -> Self {
        Self {
            rule,
            subject: subject.into(),
            reading,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_escalate_and_de_escalate_with_hysteresis() {
        let b = Bands::new(80.0, Some(90.0), 5.0);
        assert_eq!(b.clear, 75.0);
        assert_eq!(b.severity(85.0, None), Severity::Warning);
        assert_eq!(b.severity(90.0, None), Severity::Warning, "strictly above");
        assert_eq!(b.severity(90.1, None), Severity::Critical);
        assert_eq!(
            b.severity(86.0, Some(Severity::Critical)),
            Severity::Critical,
            "within hysteresis"
        );
        assert_eq!(
            b.severity(84.9, Some(Severity::Critical)),
            Severity::Warning
        );
        assert_eq!(Severity::Critical.level(), "error");
        for t in AlertType::ALL {
            assert_eq!(AlertType::parse(t.as_str()), Some(t));
        }
    }
}

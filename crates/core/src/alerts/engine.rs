//! The state machine per alert identity: ok → pending → firing (→ escalated / de-escalated / repeated) → resolved.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::rule::{AlertType, Reading, RuleConfig, RuleSet, Severity, Signal};

/// Where an identity stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Phase {
    /// The condition holds, but not yet for the pending period.
    Pending {
        /// When it started holding.
        since: DateTime<Utc>,
    },
    /// Firing.
    Firing {
        /// Episode id.
        id: String,
        /// When it fired.
        since: DateTime<Utc>,
        /// Current severity.
        severity: Severity,
        /// Last notification (fire, severity change or reminder).
        last_sent: DateTime<Utc>,
    },
}

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransitionKind {
    /// Started firing.
    Fired,
    /// Became critical while firing.
    Escalated,
    /// Went back to warning while firing.
    DeEscalated,
    /// Still firing (reminder every `repeat`).
    Repeated,
    /// Stopped.
    Resolved,
}

/// A transition to publish and store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    /// Episode id (`identity@epoch-ms of firing`).
    pub alert_id: String,
    /// `rule/subject`.
    pub identity: String,
    /// The rule.
    pub rule: AlertType,
    /// The subject (container name, or empty).
    pub subject: String,
    /// What changed.
    pub kind: TransitionKind,
    /// Severity after the change.
    pub severity: Severity,
    /// The reading that caused it.
    pub value: Option<f64>,
    /// The threshold it crossed (fire threshold, critical threshold, or clear threshold when resolving).
    pub threshold: Option<f64>,
    /// Human text in the old dashboard's style.
    pub message: String,
    /// Extra detail (container status, unreachable reason).
    pub detail: Option<String>,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// When the episode started firing.
    pub started_at: DateTime<Utc>,
}

/// An alert that is pending or firing now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActiveAlert {
    /// `rule/subject`.
    pub identity: String,
    /// The rule.
    pub rule: AlertType,
    /// The subject.
    pub subject: String,
    /// Pending or firing.
    pub phase: Phase,
    /// Last reading.
    pub value: Option<f64>,
    /// Last detail.
    pub detail: Option<String>,
}

#[derive(Debug, Clone)]
struct State {
    phase: Phase,
    value: Option<f64>,
    detail: Option<String>,
}

/// The engine: rules plus the state of every identity.
#[derive(Debug, Clone)]
pub struct AlertEngine {
    rules: RuleSet,
    states: BTreeMap<(AlertType, String), State>,
}

fn identity(rule: AlertType, subject: &str) -> String {
    if subject.is_empty() {
        rule.as_str().to_owned()
    } else {
        format!("{}/{subject}", rule.as_str())
    }
}

fn std_to_chrono(d: std::time::Duration) -> Duration {
    Duration::from_std(d).unwrap_or(Duration::MAX)
}

impl AlertEngine {
    /// An engine with these rules and nothing active.
    pub fn new(rules: RuleSet) -> Self {
        Self {
            rules,
            states: BTreeMap::new(),
        }
    }

    /// The rules.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// Continues firing alerts that were firing before a restart, so they neither fire twice nor get lost.
    pub fn restore(&mut self, firing: impl IntoIterator<Item = ActiveAlert>) {
        for alert in firing {
            if matches!(alert.phase, Phase::Firing { .. }) {
                let state = State {
                    phase: alert.phase,
                    value: alert.value,
                    detail: alert.detail,
                };
                self.states.insert((alert.rule, alert.subject), state);
            }
        }
    }

    /// What is pending or firing now.
    pub fn active(&self) -> Vec<ActiveAlert> {
        self.states
            .iter()
            .map(|((rule, subject), s)| ActiveAlert {
                identity: identity(*rule, subject),
                rule: *rule,
                subject: subject.clone(),
                phase: s.phase.clone(),
                value: s.value,
                detail: s.detail.clone(),
            })
            .collect()
    }

    /// Applies this round's readings, then reminders and auto-resolution of every firing alert.
    pub fn evaluate(&mut self, signals: &[Signal], now: DateTime<Utc>) -> Vec<Transition> {
        let mut out = Vec::new();
        for signal in signals {
            let Some(rule) = self.rules.get(signal.rule).cloned() else {
                continue;
            };
            if !rule.enabled {
                if let Some(t) = self.resolve(signal.rule, &signal.subject, None, None, now) {
                    out.push(t);
                }
                continue;
            }
            out.extend(self.apply(signal, &rule, now));
        }
        out.extend(self.housekeeping(now));
        out
    }

    fn apply(
        &mut self,
        signal: &Signal,
        rule: &RuleConfig,
        now: DateTime<Utc>,
    ) -> Option<Transition> {
        let key = (signal.rule, signal.subject.clone());
        let (holds, value, detail) = match (&signal.reading, &rule.bands) {
            (Reading::NoData, _) => return None,
            (Reading::Value(v), Some(bands)) => {
                let firing = matches!(
                    self.states.get(&key),
                    Some(State {
                        phase: Phase::Firing { .. },
                        ..
                    })
                );
                // Hysteresis: firing continues down to the clear threshold; pending needs the fire threshold.
                (
                    if firing {
                        *v >= bands.clear
                    } else {
                        *v > bands.warning
                    },
                    Some(*v),
                    None,
                )
            }
            (Reading::Value(v), None) => (*v > 0.0, Some(*v), None),
            (Reading::Condition(c, d), _) => (*c, None, Some(d.clone())),
        };
        if !holds {
            let threshold = rule.bands.map(|b| b.clear);
            return match self.states.get(&key).map(|s| &s.phase) {
                Some(Phase::Firing { .. }) => {
                    self.resolve(signal.rule, &signal.subject, value, threshold, now)
                }
                Some(Phase::Pending { .. }) => {
                    self.states.remove(&key);
                    None
                }
                None => None,
            };
        }
        let wanted = match (&rule.bands, value) {
            (Some(b), Some(v)) => b.severity(v, self.current_severity(&key)),
            _ => rule.severity,
        };
        let state = self.states.entry(key.clone()).or_insert(State {
            phase: Phase::Pending { since: now },
            value,
            detail: detail.clone(),
        });
        state.value = value;
        state.detail = detail;
        match state.phase.clone() {
            Phase::Pending { since } => {
                if now - since < std_to_chrono(rule.pending) {
                    return None;
                }
                let id = format!(
                    "{}@{}",
                    identity(signal.rule, &signal.subject),
                    now.timestamp_millis()
                );
                state.phase = Phase::Firing {
                    id,
                    since: now,
                    severity: wanted,
                    last_sent: now,
                };
                self.transition(&key, TransitionKind::Fired, now)
            }
            Phase::Firing {
                id,
                since,
                severity,
                ..
            } if severity != wanted => {
                state.phase = Phase::Firing {
                    id,
                    since,
                    severity: wanted,
                    last_sent: now,
                };
                let kind = if wanted > severity {
                    TransitionKind::Escalated
                } else {
                    TransitionKind::DeEscalated
                };
                self.transition(&key, kind, now)
            }
            Phase::Firing { .. } => None,
        }
    }

    fn current_severity(&self, key: &(AlertType, String)) -> Option<Severity> {
        match self.states.get(key).map(|s| &s.phase) {
            Some(Phase::Firing { severity, .. }) => Some(*severity),
            _ => None,
        }
    }

    /// Reminders and auto-resolution.
    fn housekeeping(&mut self, now: DateTime<Utc>) -> Vec<Transition> {
        let mut out = Vec::new();
        let keys: Vec<(AlertType, String)> = self.states.keys().cloned().collect();
        for key in keys {
            let Some(rule) = self.rules.get(key.0).cloned() else {
                continue;
            };
            let Some(State {
                phase: Phase::Firing {
                    since, last_sent, ..
                },
                ..
            }) = self.states.get(&key).cloned()
            else {
                continue;
            };
            if rule
                .auto_resolve
                .is_some_and(|d| now - since >= std_to_chrono(d))
            {
                out.extend(self.resolve(key.0, &key.1, None, None, now));
            } else if !rule.repeat.is_zero() && now - last_sent >= std_to_chrono(rule.repeat) {
                if let Some(State {
                    phase: Phase::Firing { last_sent, .. },
                    ..
                }) = self.states.get_mut(&key)
                {
                    *last_sent = now;
                }
                out.extend(self.transition(&key, TransitionKind::Repeated, now));
            }
        }
        out
    }

    fn resolve(
        &mut self,
        rule: AlertType,
        subject: &str,
        value: Option<f64>,
        threshold: Option<f64>,
        now: DateTime<Utc>,
    ) -> Option<Transition> {
        let key = (rule, subject.to_owned());
        let state = self.states.remove(&key)?;
        let Phase::Firing {
            id,
            since,
            severity,
            ..
        } = state.phase
        else {
            return None;
        };
        let value = value.or(state.value);
        Some(Transition {
            alert_id: id,
            identity: identity(rule, subject),
            rule,
            subject: subject.to_owned(),
            kind: TransitionKind::Resolved,
            severity,
            value: value.map(|v| round(rule, v)),
            threshold,
            message: format!(
                "Resolved: {}",
                message(rule, subject, value, state.detail.as_deref())
            ),
            detail: state.detail,
            at: now,
            started_at: since,
        })
    }

    fn transition(
        &self,
        key: &(AlertType, String),
        kind: TransitionKind,
        now: DateTime<Utc>,
    ) -> Option<Transition> {
        let state = self.states.get(key)?;
        let Phase::Firing {
            id,
            since,
            severity,
            ..
        } = &state.phase
        else {
            return None;
        };
        let bands = self.rules.get(key.0).and_then(|r| r.bands);
        let threshold = bands.map(|b| match (severity, b.critical) {
            (Severity::Critical, Some(c)) => c,
            _ => b.warning,
        });
        Some(Transition {
            alert_id: id.clone(),
            identity: identity(key.0, &key.1),
            rule: key.0,
            subject: key.1.clone(),
            kind,
            severity: *severity,
            value: state.value.map(|v| round(key.0, v)),
            threshold,
            message: message(key.0, &key.1, state.value, state.detail.as_deref()),
            detail: state.detail.clone(),
            at: now,
            started_at: *since,
        })
    }
}

fn round(rule: AlertType, v: f64) -> f64 {
    let scale = if rule == AlertType::HighErrorRate {
        10_000.0
    } else {
        100.0
    };
    (v * scale).round() / scale
}

/// The old dashboard's wording where it had one.
fn message(rule: AlertType, subject: &str, value: Option<f64>, detail: Option<&str>) -> String {
    let v = value.unwrap_or(0.0);
    let detail = detail.unwrap_or("");
    match rule {
        // One instance of a KATO fleet (a single KATO's alerts have no subject and keep the old wording).
        AlertType::HighErrorRate if !subject.is_empty() => {
            format!(
                "High error rate on KATO instance '{subject}': {:.1}%",
                v * 100.0
            )
        }
        AlertType::KatoUnreachable if !subject.is_empty() => {
            let why = detail.rsplit_once(": ").map_or(detail, |(_, why)| why);
            format!("KATO instance '{subject}' is unreachable: {why}")
        }
        AlertType::KatoRestarted if !subject.is_empty() => {
            format!("KATO instance '{subject}' restarted ({detail})")
        }
        AlertType::FleetDegraded => format!("Only {detail} KATO instances are healthy"),
        AlertType::InstanceErrorOutlier => {
            format!("KATO instance '{subject}' fails far more requests than the others: {detail}")
        }
        AlertType::HighCpu => format!("High CPU usage: {v:.1}%"),
        AlertType::HighMemory => format!("High memory usage: {v:.1}%"),
        AlertType::HighErrorRate => format!("High error rate: {:.1}%", v * 100.0),
        AlertType::ContainerDown => format!(
            "Container '{subject}' is {}",
            if detail.is_empty() { "down" } else { detail }
        ),
        AlertType::ContainerCpu => format!("Container '{subject}' CPU usage: {v:.1}%"),
        AlertType::ContainerMemory => format!("Container '{subject}' memory usage: {v:.1}%"),
        AlertType::ContainerMissing => format!("Container '{subject}' does not exist"),
        AlertType::KatoUnreachable if detail.is_empty() => "KATO is unreachable".to_owned(),
        // The collector's reason already says so ("KATO is unreachable at http://…: …").
        AlertType::KatoUnreachable if detail.starts_with("KATO is unreachable") => {
            detail.to_owned()
        }
        AlertType::KatoUnreachable => format!("KATO is unreachable: {detail}"),
        AlertType::KatoRestarted if detail.is_empty() => "KATO restarted".to_owned(),
        AlertType::KatoRestarted => format!("KATO restarted ({detail})"),
        AlertType::HighSessions => format!("Active sessions: {v:.0}"),
        AlertType::DockerEngineDown if detail.is_empty() => {
            format!("Docker engine '{subject}' is unreachable")
        }
        AlertType::DockerEngineDown => {
            format!("Docker engine '{subject}' is unreachable: {detail}")
        }
    }
}

//! Readings of a KATO fleet, from the `instances` topic (a single KATO, `fleet: false`, gives no reading here): each instance's reachability and error rate (the `kato_unreachable` and `high_error_rate`
//! rules with the instance id as subject), the fleet's health (`fleet_degraded`: fewer healthy instances than
//! `ALERT_MIN_HEALTHY_INSTANCES`, or than half without it) and one instance failing far more requests than the
//! others (`instance_error_outlier`).

use kato_dashboard_core::{
    alerts::{AlertType, Reading, Signal},
    source::SourceState,
    topics::{InstanceSummary, InstancesTopic},
};

use crate::config::Config;

/// The fleet rules' settings.
#[derive(Debug, Clone, Copy)]
pub struct FleetRules {
    /// `ALERT_MIN_HEALTHY_INSTANCES` (0: a majority).
    pub min_healthy: usize,
    /// `ALERT_INSTANCE_ERROR_RATIO`.
    pub ratio: f64,
    /// Half of `ALERT_ERROR_RATE_THRESHOLD`: below it no instance is an outlier.
    pub floor: f64,
}

impl FleetRules {
    /// From the configuration.
    pub fn new(config: &Config) -> Self {
        Self {
            min_healthy: config.fleet.min_healthy_instances,
            ratio: config.fleet.instance_error_ratio,
            floor: config.alerts.error_rate_threshold / 2.0,
        }
    }
}

/// Signals of the fleet's instances.
pub fn signals(topic: &InstancesTopic, rules: &FleetRules) -> Vec<Signal> {
    let list = &topic.instances;
    if !topic.fleet || list.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(list.len() * 3 + 1);
    for i in list {
        let reachability = match &i.source {
            Some(SourceState::Ok) => Reading::Condition(false, String::new()),
            Some(SourceState::Unavailable { reason, .. }) => {
                Reading::Condition(true, reason.clone())
            }
            Some(SourceState::Off { .. }) | None => Reading::NoData,
        };
        out.push(Signal::new(AlertType::KatoUnreachable, &i.id, reachability));
        out.push(Signal::new(
            AlertType::HighErrorRate,
            &i.id,
            i.error_rate.map_or(Reading::NoData, Reading::Value),
        ));
        out.push(Signal::new(
            AlertType::InstanceErrorOutlier,
            &i.id,
            outlier(i, list, rules),
        ));
    }
    let healthy = list.iter().filter(|i| i.is_healthy()).count();
    let needed = if rules.min_healthy == 0 {
        list.len().div_ceil(2)
    } else {
        rules.min_healthy
    };
    out.push(Signal::new(
        AlertType::FleetDegraded,
        "",
        Reading::Condition(healthy < needed, format!("{healthy} of {}", list.len())),
    ));
    out
}

/// Whether one instance's error rate is `ratio` times the median of the others' (and above the floor).
fn outlier(i: &InstanceSummary, list: &[InstanceSummary], rules: &FleetRules) -> Reading {
    let Some(rate) = i.error_rate else {
        return Reading::NoData;
    };
    let mut others: Vec<f64> = list
        .iter()
        .filter(|o| o.id != i.id)
        .filter_map(|o| o.error_rate)
        .collect();
    if others.is_empty() {
        return Reading::NoData;
    }
    others.sort_by(f64::total_cmp);
    let median = others[others.len() / 2];
    let far = rate >= rules.floor && rate >= rules.ratio * median && rate > median;
    Reading::Condition(
        far,
        format!(
            "{:.1}% against a median of {:.1}% on the others",
            rate * 100.0,
            median * 100.0
        ),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use kato_dashboard_core::topics::InstanceOrigin;

    use super::*;

    fn instance(id: &str, up: bool, rate: Option<f64>) -> InstanceSummary {
        InstanceSummary {
            id: id.into(),
            origin: InstanceOrigin::Static,
            source: Some(if up {
                SourceState::Ok
            } else {
                SourceState::Unavailable {
                    reason: "KATO is unreachable at http://x/: refused".into(),
                    since: Default::default(),
                }
            }),
            error_rate: rate,
            ..InstanceSummary::default()
        }
    }

    fn topic(list: Vec<InstanceSummary>) -> InstancesTopic {
        InstancesTopic::new(true, list, None)
    }

    const RULES: FleetRules = FleetRules {
        min_healthy: 0,
        ratio: 5.0,
        floor: 0.025,
    };

    fn reading(s: &[Signal], rule: AlertType, subject: &str) -> Reading {
        s.iter()
            .find(|x| x.rule == rule && x.subject == subject)
            .unwrap()
            .reading
            .clone()
    }

    #[test]
    fn each_instance_and_the_fleet_give_readings() {
        let list = vec![
            instance("a:8000", true, Some(0.01)),
            instance("b:8000", true, Some(0.30)),
            instance("c:8000", false, None),
            instance("d:8000", true, Some(0.02)),
        ];
        let s = signals(&topic(list), &RULES);
        assert_eq!(
            reading(&s, AlertType::KatoUnreachable, "a:8000"),
            Reading::Condition(false, String::new())
        );
        assert!(matches!(
            reading(&s, AlertType::KatoUnreachable, "c:8000"),
            Reading::Condition(true, _)
        ));
        assert_eq!(
            reading(&s, AlertType::HighErrorRate, "b:8000"),
            Reading::Value(0.30)
        );
        assert!(matches!(
            reading(&s, AlertType::InstanceErrorOutlier, "b:8000"),
            Reading::Condition(true, _)
        ));
        assert!(matches!(
            reading(&s, AlertType::InstanceErrorOutlier, "a:8000"),
            Reading::Condition(false, _)
        ));
        assert_eq!(
            reading(&s, AlertType::InstanceErrorOutlier, "c:8000"),
            Reading::NoData
        );
        // 3 of 4 healthy: a majority (2) is there.
        assert_eq!(
            reading(&s, AlertType::FleetDegraded, ""),
            Reading::Condition(false, "3 of 4".into())
        );
        let strict = FleetRules {
            min_healthy: 4,
            ..RULES
        };
        let s = signals(
            &topic(vec![
                instance("a:8000", true, None),
                instance("c:8000", false, None),
            ]),
            &strict,
        );
        assert_eq!(
            reading(&s, AlertType::FleetDegraded, ""),
            Reading::Condition(true, "1 of 2".into())
        );
    }

    #[test]
    fn low_rates_are_never_outliers_and_a_single_kato_gives_nothing() {
        let list = vec![
            instance("a:8000", true, Some(0.0)),
            instance("b:8000", true, Some(0.02)),
        ];
        let s = signals(&topic(list), &RULES);
        assert!(matches!(
            reading(&s, AlertType::InstanceErrorOutlier, "b:8000"),
            Reading::Condition(false, _)
        ));
        assert!(signals(&topic(Vec::new()), &RULES).is_empty());
        let single = InstancesTopic::new(false, vec![instance("a:8000", false, None)], None);
        assert!(
            signals(&single, &RULES).is_empty(),
            "a single KATO's own rules cover it"
        );
    }
}

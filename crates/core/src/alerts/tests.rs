//! Table tests of the engine at and around every boundary.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::*;

fn t(s: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap() + Duration::seconds(s)
}

fn engine_with(rule: AlertType, config: RuleConfig) -> AlertEngine {
    let mut rules = RuleSet::defaults();
    rules.0.insert(rule, config);
    AlertEngine::new(rules)
}

fn cpu(v: f64) -> Signal {
    Signal::new(AlertType::HighCpu, "", Reading::Value(v))
}

fn kinds(ts: &[Transition]) -> Vec<TransitionKind> {
    ts.iter().map(|t| t.kind).collect()
}

/// CPU rule: fire > 80, critical > 90, clear < 75, no pending, reminders every 60 s.
fn cpu_engine() -> AlertEngine {
    engine_with(
        AlertType::HighCpu,
        RuleConfig::numeric(
            Bands::new(80.0, Some(90.0), 5.0),
            StdDuration::ZERO,
            StdDuration::from_secs(60),
        ),
    )
}

#[test]
fn numeric_rule_walks_every_boundary() {
    use TransitionKind::*;
    let mut e = cpu_engine();
    // (second, value, expected transitions, firing after?)
    let table: &[(i64, f64, &[TransitionKind], bool)] = &[
        (0, 79.9, &[], false),
        (1, 80.0, &[], false), // the old rule was strictly greater
        (2, 80.1, &[Fired], true),
        (3, 85.0, &[], true),
        (4, 75.0, &[], true), // at the clear threshold: still firing (hysteresis)
        (5, 80.5, &[], true),
        (6, 90.0, &[], true),
        (7, 90.1, &[Escalated], true),
        (8, 86.0, &[], true), // within the de-escalation hysteresis
        (9, 84.9, &[DeEscalated], true),
        (10, 74.9, &[Resolved], false),
        (11, 79.0, &[], false),
        (12, 80.01, &[Fired], true),
    ];
    for (s, v, expected, firing) in table {
        let got = e.evaluate(&[cpu(*v)], t(*s));
        assert_eq!(kinds(&got), expected.to_vec(), "at {s}s value {v}");
        let active = e.active();
        assert_eq!(
            active
                .iter()
                .any(|a| matches!(a.phase, Phase::Firing { .. })),
            *firing,
            "at {s}s value {v}"
        );
    }
}

#[test]
fn wobbling_around_the_threshold_fires_once() {
    let mut e = cpu_engine();
    let mut all = Vec::new();
    for (i, v) in [81.0, 79.0, 81.0, 78.0, 82.0, 76.0, 80.5, 79.5]
        .iter()
        .enumerate()
    {
        all.extend(e.evaluate(&[cpu(*v)], t(i as i64)));
    }
    assert_eq!(kinds(&all), vec![TransitionKind::Fired]);
}

#[test]
fn pending_period_must_pass_and_resets_when_the_condition_breaks() {
    let mut e = engine_with(
        AlertType::HighCpu,
        RuleConfig::numeric(
            Bands::new(80.0, None, 5.0),
            StdDuration::from_secs(10),
            StdDuration::ZERO,
        ),
    );
    assert!(e.evaluate(&[cpu(95.0)], t(0)).is_empty());
    assert!(matches!(e.active()[0].phase, Phase::Pending { .. }));
    assert!(
        e.evaluate(&[cpu(95.0)], t(9)).is_empty(),
        "9 s < 10 s pending"
    );
    assert!(e.evaluate(&[cpu(70.0)], t(9)).is_empty());
    assert!(
        e.active().is_empty(),
        "pending dropped without a transition"
    );
    assert!(e.evaluate(&[cpu(95.0)], t(10)).is_empty());
    let fired = e.evaluate(&[cpu(95.0)], t(20));
    assert_eq!(kinds(&fired), vec![TransitionKind::Fired]);
    assert_eq!(fired[0].started_at, t(20));
}

#[test]
fn reminders_come_every_repeat_interval_while_firing() {
    let mut e = cpu_engine();
    e.evaluate(&[cpu(85.0)], t(0));
    assert!(e.evaluate(&[cpu(85.0)], t(59)).is_empty());
    assert_eq!(
        kinds(&e.evaluate(&[cpu(85.0)], t(60))),
        vec![TransitionKind::Repeated]
    );
    assert!(e.evaluate(&[], t(119)).is_empty());
    assert_eq!(
        kinds(&e.evaluate(&[], t(120))),
        vec![TransitionKind::Repeated],
        "reminders do not need a new reading"
    );
}

#[test]
fn no_data_never_resolves() {
    let mut e = cpu_engine();
    e.evaluate(&[cpu(85.0)], t(0));
    assert!(
        e.evaluate(
            &[Signal::new(AlertType::HighCpu, "", Reading::NoData)],
            t(1)
        )
        .is_empty()
    );
    assert_eq!(e.active().len(), 1);
}

#[test]
fn ids_are_stable_per_episode_and_identities_per_subject() {
    let mut e = AlertEngine::new(RuleSet::defaults());
    let down = |c: bool| {
        Signal::new(
            AlertType::ContainerDown,
            "kato-redis",
            Reading::Condition(c, "exited".into()),
        )
    };
    let fired = e.evaluate(&[down(true)], t(0));
    assert_eq!(fired[0].identity, "container_down/kato-redis");
    assert_eq!(fired[0].message, "Container 'kato-redis' is exited");
    assert_eq!(fired[0].severity, Severity::Critical);
    let resolved = e.evaluate(&[down(false)], t(5));
    assert_eq!(resolved[0].kind, TransitionKind::Resolved);
    assert_eq!(resolved[0].alert_id, fired[0].alert_id);
    let again = e.evaluate(&[down(true)], t(10));
    assert_ne!(
        again[0].alert_id, fired[0].alert_id,
        "a new episode gets a new id"
    );
}

#[test]
fn one_off_events_resolve_by_themselves() {
    let mut e = AlertEngine::new(RuleSet::defaults());
    let restart = Signal::new(
        AlertType::KatoRestarted,
        "",
        Reading::Condition(true, "uptime 2 s".into()),
    );
    assert_eq!(
        kinds(&e.evaluate(&[restart], t(0))),
        vec![TransitionKind::Fired]
    );
    assert!(
        e.evaluate(&[], t(299)).is_empty(),
        "no reminders for a restart"
    );
    assert_eq!(
        kinds(&e.evaluate(&[], t(300))),
        vec![TransitionKind::Resolved]
    );
}

#[test]
fn restored_alerts_continue_without_firing_again() {
    let mut first = cpu_engine();
    first.evaluate(&[cpu(85.0)], t(0));
    let mut second = cpu_engine();
    second.restore(first.active());
    assert!(second.evaluate(&[cpu(85.0)], t(5)).is_empty());
    let resolved = second.evaluate(&[cpu(10.0)], t(6));
    assert_eq!(kinds(&resolved), vec![TransitionKind::Resolved]);
    assert_eq!(resolved[0].started_at, t(0));
}

#[test]
fn disabling_a_rule_resolves_what_it_fired() {
    let mut e = cpu_engine();
    e.evaluate(&[cpu(85.0)], t(0));
    let mut rules = e.rules().clone();
    rules.0.get_mut(&AlertType::HighCpu).unwrap().enabled = false;
    let mut e2 = AlertEngine::new(rules);
    e2.restore(e.active());
    assert_eq!(
        kinds(&e2.evaluate(&[cpu(99.0)], t(1))),
        vec![TransitionKind::Resolved]
    );
}

#[test]
fn error_rate_values_keep_their_precision_and_old_wording() {
    let mut e = AlertEngine::new(RuleSet::defaults());
    let fired = e.evaluate(
        &[Signal::new(
            AlertType::HighErrorRate,
            "",
            Reading::Value(0.123456),
        )],
        t(0),
    );
    assert_eq!(fired[0].value, Some(0.1235));
    assert_eq!(fired[0].threshold, Some(0.10));
    assert_eq!(fired[0].severity, Severity::Critical);
    assert_eq!(fired[0].message, "High error rate: 12.3%");
}

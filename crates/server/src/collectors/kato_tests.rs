//! The KATO collectors' restart rule and the `metrics` topic they publish, against the recorded wire.

#![allow(clippy::unwrap_used)]

use super::*;

#[test]
fn restarts_are_processes_that_started_after_we_last_saw_one() {
    let t = |s: i64| DateTime::<Utc>::from_timestamp(1_800_000_000 + s, 0).unwrap_or_default();
    // Seen at 100 s; 10 s later uptime says it started 2 s ago: a new process.
    assert!(restarted(t(100), t(110), 2.0));
    // A young server that restarted: seen at 2 s, back at 5 s with 0.4 s uptime.
    assert!(restarted(t(2), t(5), 0.4));
    // Same process, uptime grew.
    assert!(!restarted(t(100), t(110), 112.0));
    // Another worker of a multi-worker KATO, started a second after the first: not a restart.
    assert!(!restarted(t(100), t(110), 109.0));
}

/// The `metrics` topic for fixed inputs, as the collector publishes it.
fn metrics_text(raw: Option<&str>) -> String {
    use crate::golden::{at, fixture};
    let kato = KatoClient::new(kato_dashboard_kato::KatoClientConfig::new(
        "http://127.0.0.1:9/".parse().unwrap(),
    ))
    .unwrap();
    let health: Health = serde_json::from_str(&fixture("health.json")).unwrap();
    let slow = SlowState {
        health: Some(health),
        health_source: SourceState::Ok,
        error_rate: Some(RequestErrorRate {
            requests: 64,
            failed: 6,
        }),
        stats_source: SourceState::Ok,
        restarts: 2,
        last_restart: Some(at(-120)),
        generation: KatoGeneration::V3,
    };
    let (value, source) = match raw {
        Some(text) => (serde_json::from_str(text).unwrap(), SourceState::Ok),
        None => {
            let reason = "KATO is unreachable at http://127.0.0.1:9/: cannot connect";
            (
                json!({ "error": reason }),
                SourceState::Unavailable {
                    reason: reason.into(),
                    since: at(-30),
                },
            )
        }
    };
    let derived = derived(
        &source,
        &slow,
        &kato,
        (Some(3.456), 4),
        12.345,
        Some(at(-2)),
        at(0),
    );
    serde_json::to_string(&MetricsTopic::new(value, derived)).unwrap()
}

#[test]
fn the_metrics_topic_is_the_recorded_wire() {
    use crate::golden::{check, fixture};
    check(
        "metrics_v1.json",
        &metrics_text(Some(&fixture("metrics.json"))),
    );
    check(
        "metrics_v3.json",
        &metrics_text(Some(&fixture("c584167/metrics.json"))),
    );
    check("metrics_unreachable.json", &metrics_text(None));
    let restart = kato_event(
        "kato_restarted",
        crate::golden::at(5),
        KatoEventData::Restarted(KatoRestart {
            previous_uptime_seconds: 12.5,
            uptime_seconds: 1.25,
            restarts: 3,
            instance: None,
        }),
    );
    let down = kato_event(
        "kato_unreachable",
        crate::golden::at(6),
        KatoEventData::Unreachable(KatoUnreachable {
            reason: "refused".into(),
            instance: None,
        }),
    );
    let up = kato_event(
        "kato_reachable",
        crate::golden::at(7),
        KatoEventData::default(),
    );
    for (name, msg) in [
        ("kato_restarted.json", restart),
        ("kato_unreachable.json", down),
        ("kato_reachable.json", up),
    ] {
        check(name, &serde_json::to_string(&msg).unwrap());
    }
}

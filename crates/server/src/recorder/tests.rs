//! The recorder's pure parts (what a tick and the events become) and its status through a write failure.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use kato_dashboard_core::{
    kato::metrics::{PerformanceMetrics, ResourceMetrics},
    protocol::ServerMsg,
    source::SourceState,
    topics::{
        AlertItem, Derived, KatoEventData, KatoFigures, KatoRestart, MetricsTopic,
        SessionEventData, TopicState,
    },
};
use kato_dashboard_history_store::{HistoryStore, Sample, SeriesKind, Settings};

use super::{Recorder, Status, Tally, levels};

fn value(samples: &[Sample], name: &str) -> Option<(SeriesKind, f64)> {
    samples
        .iter()
        .find(|s| s.series == name)
        .map(|s| (s.kind, s.value))
}

fn metrics(up: bool) -> TopicState {
    let source = if up {
        SourceState::Ok
    } else {
        SourceState::Unavailable {
            reason: "connection refused".into(),
            since: Utc::now(),
        }
    };
    TopicState::Metrics(Arc::new(MetricsTopic {
        kato: KatoFigures {
            performance: Some(PerformanceMetrics {
                average_response_time: 0.025,
                ..Default::default()
            }),
            resources: Some(ResourceMetrics {
                cpu_percent: 12.5,
                memory_percent: 40.0,
                ..Default::default()
            }),
            ..Default::default()
        },
        derived: Some(Derived {
            source,
            requests_per_second: Some(3.0),
            error_rate: Some(0.02),
            ..Default::default()
        }),
        ..Default::default()
    }))
}

#[test]
fn a_metrics_tick_becomes_kato_gauges_in_their_units() {
    let mut out = Vec::new();
    levels(&metrics(true), &mut out);
    assert_eq!(value(&out, "kato.up"), Some((SeriesKind::Gauge, 1.0)));
    assert_eq!(
        value(&out, "kato.requests_per_second"),
        Some((SeriesKind::Gauge, 3.0))
    );
    assert_eq!(
        value(&out, "kato.error_rate"),
        Some((SeriesKind::Gauge, 2.0)),
        "percent"
    );
    assert_eq!(
        value(&out, "kato.latency_ms"),
        Some((SeriesKind::Gauge, 25.0)),
        "ms"
    );
    assert_eq!(
        value(&out, "kato.cpu_percent"),
        Some((SeriesKind::Gauge, 12.5))
    );
    // KATO down: only `up`, never a stale figure recorded as if it were current.
    let mut out = Vec::new();
    levels(&metrics(false), &mut out);
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(value(&out, "kato.up"), Some((SeriesKind::Gauge, 0.0)));
}

fn session(kind: &str, id: &str, reason: Option<&str>) -> ServerMsg {
    ServerMsg::SessionEvent {
        event_type: kind.into(),
        timestamp: String::new(),
        seq: 0,
        data: SessionEventData {
            session_id: id.into(),
            reason: reason.map(str::to_owned),
            ..Default::default()
        },
    }
}

#[test]
fn events_become_counts_durations_and_markers() {
    let t0 = Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).unwrap();
    let mut tally = Tally::default();
    tally.add(&session("session_created", "a", None), t0);
    tally.add(&session("session_created", "b", None), t0);
    tally.add(
        &session("session_destroyed", "a", Some("explicit_delete")),
        t0 + Duration::seconds(30),
    );
    tally.add(
        &session("session_destroyed", "b", Some("expired")),
        t0 + Duration::seconds(90),
    );
    tally.add(
        &session("session_destroyed", "unknown", Some("expired")),
        t0 + Duration::seconds(90),
    );
    let fired = |rule: &str, transition: &str| ServerMsg::SystemAlert {
        id: String::new(),
        timestamp: String::new(),
        seq: 1,
        snapshot: false,
        alerts: vec![AlertItem {
            rule: rule.into(),
            identity: format!("{rule}/kato"),
            transition: transition.into(),
            severity: "warning".into(),
            ..Default::default()
        }],
    };
    tally.add(&fired("high_cpu", "fired"), t0);
    tally.add(&fired("high_cpu", "repeated"), t0);
    tally.add(&fired("high_cpu", "fired"), t0);
    tally.add(
        &ServerMsg::KatoEvent {
            event_type: "kato_restarted".into(),
            timestamp: String::new(),
            seq: 1,
            data: KatoEventData::Restarted(KatoRestart {
                previous_uptime_seconds: 100.0,
                uptime_seconds: 1.0,
                restarts: 1,
                instance: Some("10.0.0.2:8000".into()),
            }),
        },
        t0,
    );
    tally.set_firing(1);
    let mut out = Vec::new();
    let markers = tally.drain(&mut out);
    assert_eq!(
        value(&out, "sessions.created"),
        Some((SeriesKind::Count, 2.0))
    );
    assert_eq!(
        value(&out, "sessions.ended"),
        Some((SeriesKind::Count, 1.0))
    );
    assert_eq!(
        value(&out, "sessions.expired"),
        Some((SeriesKind::Count, 2.0))
    );
    assert_eq!(
        value(&out, "sessions.duration_seconds"),
        Some((SeriesKind::Gauge, 60.0)),
        "mean of 30 s and 90 s; the session whose start was not seen is not timed"
    );
    assert_eq!(
        value(&out, "alerts.fired.high_cpu"),
        Some((SeriesKind::Count, 2.0)),
        "a repeat is not a new alert"
    );
    assert_eq!(value(&out, "alerts.firing"), Some((SeriesKind::Gauge, 1.0)));
    let kinds: Vec<(&str, &str)> = markers
        .iter()
        .map(|m| (m.kind.as_str(), m.label.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("alert", "high_cpu kato"),
            ("alert", "high_cpu kato"),
            ("kato_restart", "10.0.0.2:8000")
        ]
    );
    // Drained: the next round starts from zero.
    let mut again = Vec::new();
    assert!(tally.drain(&mut again).is_empty());
    assert_eq!(value(&again, "sessions.created"), None);
}

#[tokio::test]
async fn a_full_disk_is_a_status_and_recording_resumes_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(HistoryStore::open_dir(dir.path(), Settings::default()).unwrap());
    let recorder = Recorder {
        store: Some(store.clone()),
        status: Arc::new(std::sync::Mutex::new(Status {
            ok: true,
            error: None,
            moved_aside: None,
        })),
        stats: Arc::default(),
        pending: Arc::default(),
        queries: Arc::new(tokio::sync::Semaphore::new(super::QUERIES_AT_ONCE)),
    };
    let round = |i: usize| {
        (0..200)
            .map(|k| Sample {
                series: format!("container.c{k}.cpu_percent"),
                kind: SeriesKind::Gauge,
                value: (i * k) as f64,
            })
            .collect::<Vec<_>>()
    };
    recorder.write(1_000, round(1), Vec::new()).await;
    assert!(recorder.status().ok);
    let pages = store.usage().unwrap().bytes / 4096;
    store
        .limit_pages_for_tests(u32::try_from(pages).unwrap())
        .unwrap();
    let mut t = 1_001;
    while recorder.status().ok && t < 1_500 {
        recorder.write(t, round(t as usize), Vec::new()).await;
        t += 1;
    }
    let status = recorder.status();
    assert!(!status.ok, "the limit was reached");
    assert!(
        status.error.as_deref().unwrap().contains("full"),
        "{status:?}"
    );
    store.limit_pages_for_tests(1_000_000).unwrap();
    recorder.write(t + 1, round(1), Vec::new()).await;
    assert!(
        recorder.status().ok,
        "recording again: {:?}",
        recorder.status()
    );
    let failures = recorder
        .stats
        .write_failures
        .load(std::sync::atomic::Ordering::Relaxed);
    assert!(failures >= 1, "failures counted");
}

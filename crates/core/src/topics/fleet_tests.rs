//! The fleet aggregate against hand-made instance readings.

use chrono::TimeZone;
use serde_json::json;

use super::*;

fn t(s: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + s, 0)
        .single()
        .unwrap_or_default()
}

fn reading(requests: f64, rps: f64, failed: u64, window: u64, up: bool) -> MetricsTopic {
    let raw = json!({"timestamp": 1_800_000_000.0 + requests, "sessions": {"active": 3},
        "performance": {"total_requests": requests, "total_errors": 0.0, "error_rate": 0.0,
                        "average_response_time": 0.01 * requests / 100.0},
        "resources": {"cpu_percent": 10.0 + requests / 100.0, "memory_percent": 50.0, "disk_percent": 40.0},
        "processor_manager": {"total_processors": 2, "max_processors": 100}, "brand_new": 1});
    let source = if up {
        SourceState::Ok
    } else {
        SourceState::Unavailable {
            reason: "refused".into(),
            since: t(-5),
        }
    };
    let derived = Derived {
        source,
        updated_at: t(0),
        requests_per_second: up.then_some(rps),
        rate_workers_seen: 4,
        error_rate_requests: up.then_some(window),
        error_rate_failed: up.then_some(failed),
        error_rate: up.then(|| failed as f64 / window as f64),
        kato_status: up.then_some(HealthStatus::Healthy),
        kato_uptime_seconds: up.then_some(requests),
        restarts: 1,
        generation: KatoGeneration::V3,
        ..Derived::default()
    };
    if up {
        MetricsTopic::new(raw, derived)
    } else {
        MetricsTopic::new(json!({"error": "refused"}), derived)
    }
}

fn fleet(readings: &[MetricsTopic]) -> Vec<(InstanceSummary, &MetricsTopic)> {
    readings
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let id = format!("kato-{i}:8000");
            (
                InstanceSummary::of(&id, &format!("http://{id}/"), InstanceOrigin::Static, r),
                r,
            )
        })
        .collect()
}

#[test]
fn counters_and_rates_sum_and_the_error_rate_is_over_all_requests() {
    let readings = [
        reading(100.0, 2.0, 1, 10, true),
        reading(300.0, 6.0, 9, 30, true),
        reading(0.0, 0.0, 0, 0, false),
    ];
    let agg = aggregate(&fleet(&readings));
    let d = agg.derived.as_ref().unwrap();
    assert!(d.source.is_ok(), "reachable while any instance answers");
    assert_eq!(d.requests_per_second, Some(8.0));
    assert_eq!(
        (d.error_rate_requests, d.error_rate_failed),
        (Some(40), Some(10))
    );
    assert_eq!(d.error_rate, Some(0.25));
    assert_eq!((d.restarts, d.rate_workers_seen), (3, 8));
    assert_eq!(
        d.kato_uptime_seconds,
        Some(100.0),
        "the youngest answering instance"
    );
    let list = InstancesTopic::new(
        true,
        fleet(&readings).into_iter().map(|(s, _)| s).collect(),
        None,
    );
    assert_eq!((list.healthy, list.total), (2, 3));
    assert!(!list.instances[2].is_healthy() && list.instances[0].is_healthy());
    let p = agg.kato.performance.as_ref().unwrap();
    assert_eq!(p.total_requests, 400.0);
    // Weighted by requests: (0.01·100 + 0.03·300) / 400.
    assert!((p.average_response_time - 0.025).abs() < 1e-12, "{p:?}");
    assert_eq!(agg.kato.resources.as_ref().unwrap().cpu_percent, 12.0);
    assert_eq!(agg.kato.processor_manager.unwrap().total_processors, 4);
    assert_eq!(agg.raw["brand_new"], 1, "KATO's other fields pass through");
    let text = serde_json::to_string(&agg).unwrap();
    assert!(
        !text.contains("\"instances\""),
        "the metrics topic keeps one KATO's shape: {text}"
    );
    let back: InstancesTopic =
        serde_json::from_str(&serde_json::to_string(&list).unwrap()).unwrap();
    assert_eq!(back, list, "the list reads back");
}

#[test]
fn a_fleet_with_no_instance_answering_is_unreachable_and_says_which() {
    let readings = [
        reading(0.0, 0.0, 0, 0, false),
        reading(0.0, 0.0, 0, 0, false),
    ];
    let agg = aggregate(&fleet(&readings));
    let d = agg.derived.as_ref().unwrap();
    assert_eq!(
        d.source.reason(),
        Some("none of the 2 KATO instances answers")
    );
    assert_eq!(d.error_rate, None);
    assert!(
        agg.error().unwrap().contains("kato-1:8000: refused"),
        "{:?}",
        agg.error()
    );
    assert_eq!(
        aggregate(&[]).derived.unwrap().source.reason(),
        Some("none of the 0 KATO instances answers")
    );
}

#[test]
fn a_mixed_fleet_has_no_one_generation_and_shows_the_worst_status() {
    let mixed = [reading(100.0, 2.0, 1, 10, true), {
        let mut r = reading(5.0, 1.0, 0, 5, true);
        if let Some(d) = r.derived.as_mut() {
            d.generation = KatoGeneration::V1;
            d.kato_status = Some(HealthStatus::Degraded);
        }
        r
    }];
    let d = aggregate(&fleet(&mixed)).derived.unwrap();
    assert_eq!(
        d.generation,
        KatoGeneration::Unknown,
        "a mixed fleet has no one generation"
    );
    assert_eq!(
        d.kato_status,
        Some(HealthStatus::Degraded),
        "the worst status"
    );
}

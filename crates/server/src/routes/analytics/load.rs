//! `/analytics/predictions/load`: KATO's load now (the hub's latest values), the old trend labels and
//! recommendation texts, capacity against `ALERT_SESSIONS_THRESHOLD` (the old one assumed 1000 sessions), and
//! from the history the slope per hour of CPU, memory and active sessions over the last hour.

use chrono::{DateTime, Utc};
use kato_dashboard_core::time::rfc3339;
use kato_dashboard_history_store::Point;
use serde::Serialize;

use super::{
    Errors, HistoryNote,
    live::live,
    round2,
    trends::{points, read},
};
use crate::{error::ApiError, state::AppState};

const SLOPE_SERIES: [&str; 3] = ["kato.cpu_percent", "kato.memory_percent", "sessions.active"];

/// `current_load` (0 while unknown; `errors` says so).
#[derive(Debug, Clone, Serialize)]
pub struct CurrentLoad {
    cpu_percent: f64,
    memory_percent: f64,
    active_sessions: u64,
}

/// `trends`: `high`, `moderate`, `low`, or `unknown`.
#[derive(Debug, Clone, Serialize)]
pub struct Trends {
    cpu_trend: &'static str,
    memory_trend: &'static str,
}

/// `predictions`.
#[derive(Debug, Clone, Serialize)]
pub struct Predictions {
    /// Active sessions as a percentage of the capacity, 2 decimals.
    estimated_capacity_utilization: f64,
    /// `ALERT_SESSIONS_THRESHOLD`.
    estimated_sessions_capacity: f64,
    recommended_action: &'static str,
}

/// Least-squares slopes over the last hour of the history (`null`: fewer than two points).
#[derive(Debug, Clone, Default, Serialize)]
pub struct LastHour {
    cpu_percent_per_hour: Option<f64>,
    memory_percent_per_hour: Option<f64>,
    active_sessions_per_hour: Option<f64>,
}

/// The answer of `/analytics/predictions/load`.
#[derive(Debug, Clone, Serialize)]
pub struct LoadPrediction {
    current_load: CurrentLoad,
    trends: Trends,
    predictions: Predictions,
    last_hour: LastHour,
    history: HistoryNote,
    errors: Errors,
    timestamp: String,
}

/// The old labels: above 80 `high`, above 60 `moderate`, else `low`.
fn trend(percent: Option<f64>) -> &'static str {
    match percent {
        Some(p) if p > 80.0 => "high",
        Some(p) if p > 60.0 => "moderate",
        Some(_) => "low",
        None => "unknown",
    }
}

/// The old recommendation texts, from the figures that are known.
fn recommendation(cpu: Option<f64>, memory: Option<f64>, capacity: Option<f64>) -> &'static str {
    let above = |limit: f64| cpu.is_some_and(|c| c > limit) || memory.is_some_and(|m| m > limit);
    if above(85.0) {
        "Critical: Consider scaling resources immediately"
    } else if above(70.0) {
        "Warning: Monitor closely, consider scaling soon"
    } else if capacity.is_some_and(|c| c > 80.0) {
        "Approaching capacity: Plan for scaling"
    } else {
        "Normal: System operating within normal parameters"
    }
}

/// The least-squares slope of the points' means, per hour.
fn slope_per_hour(points: &[Point]) -> Option<f64> {
    if points.len() < 2 {
        return None;
    }
    let n = points.len() as f64;
    let t0 = points[0].t as f64;
    let mean_t = points.iter().map(|p| p.t as f64 - t0).sum::<f64>() / n;
    let mean_v = points.iter().map(|p| p.avg).sum::<f64>() / n;
    let (mut num, mut den) = (0.0, 0.0);
    for p in points {
        let dt = p.t as f64 - t0 - mean_t;
        num += dt * (p.avg - mean_v);
        den += dt * dt;
    }
    (den > 0.0).then(|| round2(num / den * 3600.0))
}

/// The load now and its recent slope (never fails: what is unknown is 0 and named in `errors`).
pub(super) async fn prediction(state: &AppState, now: DateTime<Utc>) -> LoadPrediction {
    let live = live(state);
    let threshold = state.config.alerts.sessions_threshold;
    let capacity = live
        .active_sessions
        .filter(|_| threshold > 0.0)
        .map(|n| round2(n as f64 / threshold * 100.0));
    let to = now.timestamp();
    let (last_hour, history) = match read(state, to - 3600, to, Some(60), &SLOPE_SERIES, 62).await {
        Ok(answer) => (
            LastHour {
                cpu_percent_per_hour: slope_per_hour(points(&answer, SLOPE_SERIES[0])),
                memory_percent_per_hour: slope_per_hour(points(&answer, SLOPE_SERIES[1])),
                active_sessions_per_hour: slope_per_hour(points(&answer, SLOPE_SERIES[2])),
            },
            HistoryNote::read(&answer),
        ),
        Err(ApiError::Unavailable { reason, .. }) => {
            (LastHour::default(), HistoryNote::missing(reason))
        }
        Err(e) => (LastHour::default(), HistoryNote::missing(e.to_string())),
    };
    LoadPrediction {
        current_load: CurrentLoad {
            cpu_percent: live.cpu_percent.unwrap_or(0.0),
            memory_percent: live.memory_percent.unwrap_or(0.0),
            active_sessions: live.active_sessions.unwrap_or(0),
        },
        trends: Trends {
            cpu_trend: trend(live.cpu_percent),
            memory_trend: trend(live.memory_percent),
        },
        predictions: Predictions {
            estimated_capacity_utilization: capacity.unwrap_or(0.0),
            estimated_sessions_capacity: threshold,
            recommended_action: recommendation(live.cpu_percent, live.memory_percent, capacity),
        },
        last_hour,
        history,
        errors: live.errors,
        timestamp: rfc3339(now),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn trends_and_recommendations_keep_the_old_thresholds() {
        assert_eq!(trend(Some(80.1)), "high");
        assert_eq!(trend(Some(80.0)), "moderate");
        assert_eq!(trend(Some(60.0)), "low");
        assert_eq!(trend(None), "unknown");
        let cases = [
            (Some(86.0), Some(10.0), None, "Critical"),
            (Some(10.0), Some(71.0), Some(99.0), "Warning"),
            (Some(10.0), Some(10.0), Some(80.5), "Approaching capacity"),
            (None, None, Some(50.0), "Normal"),
        ];
        for (cpu, memory, capacity, start) in cases {
            let text = recommendation(cpu, memory, capacity);
            assert!(
                text.starts_with(start),
                "{cpu:?} {memory:?} {capacity:?}: {text}"
            );
        }
    }

    #[test]
    fn the_slope_is_per_hour() {
        let p = |t: i64, v: f64| Point {
            t,
            min: v,
            avg: v,
            max: v,
            sum: v,
            n: 1,
        };
        // +1 every minute = +60 per hour.
        let rising: Vec<Point> = (0..10).map(|i| p(1000 + i * 60, i as f64)).collect();
        assert_eq!(slope_per_hour(&rising), Some(60.0));
        assert_eq!(slope_per_hour(&rising[..1]), None);
    }
}

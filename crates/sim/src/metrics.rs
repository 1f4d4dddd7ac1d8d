//! KATO's in-process metrics of one worker: request counters and the per-request time series
//! (`kato_requests_total`, `kato_request_duration_seconds`, `kato_requests_failed`), each a
//! deque of at most 1000 points, plus the derived figures `/metrics` reports (rates over the
//! last 60 s, mean response time). Resource series come from [`crate::waves`], one point per 10 s.

use std::collections::VecDeque;

use crate::json::Json;
use crate::obj;

/// KATO keeps at most this many points per series.
pub const MAX_POINTS: usize = 1000;

/// One time-series point.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub timestamp: f64,
    pub value: Json,
    pub labels: Vec<(String, String)>,
}

impl Point {
    pub fn to_json(&self) -> Json {
        obj! {
            "timestamp" => self.timestamp,
            "value" => self.value.clone(),
            "labels" => Json::Obj(self.labels.iter().map(|(k, v)| (k.clone(), Json::from(v))).collect()),
        }
    }
}

/// A bounded series.
#[derive(Clone, Debug, Default)]
pub struct Series {
    points: VecDeque<Point>,
}

impl Series {
    pub fn push(&mut self, point: Point) {
        if self.points.len() == MAX_POINTS {
            self.points.pop_front();
        }
        self.points.push_back(point);
    }

    /// Points at or after `since` (epoch seconds).
    pub fn since(&self, since: f64) -> impl Iterator<Item = &Point> {
        self.points.iter().filter(move |p| p.timestamp >= since)
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.points.len()
    }
}

/// Request counters and series of one worker.
#[derive(Clone, Debug, Default)]
pub struct RequestMetrics {
    pub requests_total: u64,
    pub failed_total: u64,
    pub requests: Series,
    pub durations: Series,
    pub failed: Series,
}

impl RequestMetrics {
    /// Records one finished request, as KATO's middleware does after the response.
    pub fn record(&mut self, method: &str, path: &str, status: u16, seconds: f64, at: f64) {
        self.requests_total += 1;
        let method_path = vec![
            ("method".to_string(), method.to_string()),
            ("path".to_string(), path.to_string()),
        ];
        let mut with_status = method_path.clone();
        with_status.push(("status".to_string(), status.to_string()));
        self.requests.push(Point {
            timestamp: at,
            value: Json::Float(self.requests_total as f64),
            labels: method_path,
        });
        self.durations.push(Point {
            timestamp: at,
            value: Json::Float(seconds),
            labels: with_status.clone(),
        });
        if status >= 400 {
            self.failed_total += 1;
            self.failed.push(Point {
                timestamp: at,
                value: Json::Float(self.failed_total as f64),
                labels: with_status,
            });
        }
    }

    /// `(requests_per_second, requests_per_minute)` over the last 60 s, KATO's way: counter
    /// delta over the time between the first and last point (0.0 with fewer than 2 points).
    pub fn rates(&self, now: f64) -> (f64, f64) {
        let window: Vec<&Point> = self.requests.since(now - 60.0).collect();
        let (Some(first), Some(last)) = (window.first(), window.last()) else {
            return (0.0, 0.0);
        };
        let dt = last.timestamp - first.timestamp;
        let dv = last.value.as_f64().unwrap_or(0.0) - first.value.as_f64().unwrap_or(0.0);
        if window.len() < 2 || dt <= 0.0 {
            return (0.0, 0.0);
        }
        let rps = dv / dt;
        (rps, rps * 60.0)
    }

    /// Mean duration (seconds) of the requests finished in the last 60 s.
    pub fn average_response_time(&self, now: f64) -> f64 {
        let (sum, n) = self
            .durations
            .since(now - 60.0)
            .fold((0.0, 0usize), |(s, n), p| {
                (s + p.value.as_f64().unwrap_or(0.0), n + 1)
            });
        if n == 0 { 0.0 } else { sum / n as f64 }
    }
}

/// `{count, min, max, avg}` of a metric history; min/max keep the values' number kind.
pub fn statistics(points: &[Point]) -> Json {
    let values: Vec<&Json> = points.iter().map(|p| &p.value).collect();
    let pick = |better: fn(f64, f64) -> bool| {
        values
            .iter()
            .copied()
            .reduce(|a, b| {
                if better(b.as_f64().unwrap_or(0.0), a.as_f64().unwrap_or(0.0)) {
                    b
                } else {
                    a
                }
            })
            .cloned()
            .unwrap_or(Json::Null)
    };
    let sum: f64 = values.iter().map(|v| v.as_f64().unwrap_or(0.0)).sum();
    obj! {
        "count" => values.len(),
        "min" => pick(|a, b| a < b),
        "max" => pick(|a, b| a > b),
        "avg" => if values.is_empty() { 0.0 } else { sum / values.len() as f64 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_failures_and_rates() {
        let mut m = RequestMetrics::default();
        m.record("GET", "/health", 200, 0.01, 100.0);
        m.record("GET", "/nope", 404, 0.03, 101.0);
        m.record("GET", "/health", 200, 0.02, 102.0);
        assert_eq!(m.requests_total, 3);
        assert_eq!(m.failed_total, 1);
        assert_eq!(m.failed.len(), 1);
        let (rps, rpm) = m.rates(102.0);
        assert!((rps - 1.0).abs() < 1e-9 && (rpm - 60.0).abs() < 1e-9);
        assert!((m.average_response_time(102.0) - 0.02).abs() < 1e-9);
        assert_eq!(m.rates(500.0), (0.0, 0.0));
        let failed: Vec<Point> = m.failed.since(0.0).cloned().collect();
        assert_eq!(
            failed[0].labels[2],
            ("status".to_string(), "404".to_string())
        );
        let stats = statistics(&failed);
        assert_eq!(
            stats.to_compact(),
            r#"{"count":1,"min":1.0,"max":1.0,"avg":1.0}"#
        );
    }

    #[test]
    fn series_is_bounded() {
        let mut s = Series::default();
        for i in 0..(MAX_POINTS + 10) {
            s.push(Point {
                timestamp: i as f64,
                value: Json::Int(0),
                labels: vec![],
            });
        }
        assert_eq!(s.len(), MAX_POINTS);
        assert_eq!(s.since(0.0).next().map(|p| p.timestamp), Some(10.0));
    }
}

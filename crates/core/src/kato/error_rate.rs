//! The real KATO error rate, which KATO itself never reports.
//!
//! `/metrics.performance.error_rate` is always 0.0: KATO counts failures in a separate
//! counter (`kato_requests_failed`). Two pure ways to recover the truth:
//!
//! * [`window_error_rate`]: from the `/stats` series `kato_request_duration_seconds` (one point
//!   per request, `labels.status`), the share of responses with status ≥ 400 in a window.
//! * [`counter_error_rate`]: from two successive samples of the cumulative counters
//!   (failed from `GET /metrics/kato_requests_failed?minutes=600`, total from
//!   `/metrics.performance.total_requests`). KATO restarts (every 10,000 requests before
//!   2026-03) and v3.10's per-worker counters make them drop: a decrease is a reset, never a
//!   negative rate.

use super::stats::{REQUEST_DURATION_SERIES, SeriesPoint, Stats};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Requests and failed requests counted over some span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RequestErrorRate {
    /// Requests with a known status.
    pub requests: u64,
    /// Of those, responses with status ≥ 400.
    pub failed: u64,
}

impl RequestErrorRate {
    /// `failed / requests` as a fraction 0..1; `None` without requests (no data is not 0 %).
    pub fn rate(&self) -> Option<f64> {
        (self.requests > 0).then(|| self.failed as f64 / self.requests as f64)
    }
}

/// Whether an HTTP status counts as a failure (KATO's own rule: status ≥ 400).
pub fn is_failure_status(status: u16) -> bool {
    status >= 400
}

/// Counts the points of a per-request series (normally `kato_request_duration_seconds`)
/// whose timestamp lies in the window `(now - window, now]`, and how many of them failed.
///
/// Points without a numeric `status` label are ignored. Pass KATO's own clock as `now`
/// (`Stats::timestamp`) to be immune to clock skew between KATO and the dashboard; see
/// [`stats_error_rate`].
pub fn window_error_rate(
    points: &[SeriesPoint],
    now: DateTime<Utc>,
    window: Duration,
) -> RequestErrorRate {
    let start = now - window;
    points
        .iter()
        .filter(|p| p.timestamp > start && p.timestamp <= now)
        .filter_map(SeriesPoint::status)
        .fold(RequestErrorRate::default(), |mut acc, status| {
            acc.requests += 1;
            acc.failed += u64::from(is_failure_status(status));
            acc
        })
}

/// [`window_error_rate`] over a `/stats` body's `kato_request_duration_seconds`, with the
/// body's own timestamp as `now`. `None` for a fallback body or one without a timestamp.
pub fn stats_error_rate(stats: &Stats, window: Duration) -> Option<RequestErrorRate> {
    if stats.fallback_error().is_some() {
        return None;
    }
    let now = stats.timestamp?;
    Some(window_error_rate(
        stats.series(REQUEST_DURATION_SERIES),
        now,
        window,
    ))
}

/// One reading of KATO's cumulative request counters.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct CounterSample {
    /// `kato_requests_failed` (latest value of its history; 0 when KATO has none).
    pub failed: f64,
    /// `performance.total_requests`.
    pub total: f64,
}

/// What happened between two counter samples.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct CounterDelta {
    /// Failed requests in between.
    pub failed: f64,
    /// Requests in between.
    pub total: f64,
    /// A counter went down: KATO restarted (or another worker answered), so the delta
    /// counts from zero.
    pub reset: bool,
}

impl CounterDelta {
    /// `failed / total`, clamped to 0..1; `None` without requests.
    pub fn rate(&self) -> Option<f64> {
        (self.total > 0.0).then(|| (self.failed / self.total).clamp(0.0, 1.0))
    }
}

fn sane(v: f64) -> f64 {
    if v.is_finite() && v > 0.0 { v } else { 0.0 }
}

/// The change between two successive samples, treating any decrease as a counter reset.
///
/// After a reset the current values are the delta (the counters restarted at 0), so the
/// result is never negative.
pub fn counter_delta(prev: CounterSample, cur: CounterSample) -> CounterDelta {
    let (pf, pt, cf, ct) = (
        sane(prev.failed),
        sane(prev.total),
        sane(cur.failed),
        sane(cur.total),
    );
    if cf < pf || ct < pt {
        CounterDelta {
            failed: cf,
            total: ct,
            reset: true,
        }
    } else {
        CounterDelta {
            failed: cf - pf,
            total: ct - pt,
            reset: false,
        }
    }
}

/// The error rate (fraction 0..1) between two samples; `None` when no request happened.
pub fn counter_error_rate(prev: CounterSample, cur: CounterSample) -> Option<f64> {
    counter_delta(prev, cur).rate()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_795_315_800 + secs, 0).unwrap()
    }

    fn point(secs: i64, status: Option<&str>) -> SeriesPoint {
        SeriesPoint {
            timestamp: at(secs),
            value: 0.01,
            labels: status
                .map(|s| [("status".to_owned(), s.to_owned())].into())
                .unwrap_or_default(),
        }
    }

    #[test]
    fn window_boundaries() {
        let now = at(100);
        let window = Duration::seconds(60);
        // (points, requests, failed)
        let cases: Vec<(Vec<SeriesPoint>, u64, u64)> = vec![
            (vec![], 0, 0),
            (vec![point(40, Some("500"))], 0, 0), // exactly now - window: excluded
            (vec![point(41, Some("500"))], 1, 1), // just inside
            (vec![point(100, Some("404"))], 1, 1), // exactly now: included
            (vec![point(101, Some("404"))], 0, 0), // after now: excluded
            (vec![point(50, Some("399")), point(51, Some("400"))], 2, 1),
            (vec![point(50, Some("200")), point(51, Some("201"))], 2, 0),
            (
                vec![
                    point(50, None),
                    point(51, Some("abc")),
                    point(52, Some("503")),
                ],
                1,
                1,
            ),
        ];
        for (points, requests, failed) in cases {
            let got = window_error_rate(&points, now, window);
            assert_eq!(got, RequestErrorRate { requests, failed }, "{points:?}");
        }
    }

    #[test]
    fn window_rate_is_none_without_requests() {
        assert_eq!(RequestErrorRate::default().rate(), None);
        let r = RequestErrorRate {
            requests: 4,
            failed: 1,
        };
        assert_eq!(r.rate(), Some(0.25));
        let empty = window_error_rate(&[point(10, Some("500"))], at(100), Duration::zero());
        assert_eq!(empty.rate(), None);
    }

    #[test]
    fn counter_deltas_and_resets() {
        let s = |failed, total| CounterSample { failed, total };
        // (prev, cur, delta failed, delta total, reset, rate)
        let cases = [
            (s(0.0, 0.0), s(0.0, 0.0), 0.0, 0.0, false, None),
            (s(5.0, 100.0), s(5.0, 100.0), 0.0, 0.0, false, None),
            (s(5.0, 100.0), s(6.0, 110.0), 1.0, 10.0, false, Some(0.1)),
            (s(5.0, 100.0), s(5.0, 120.0), 0.0, 20.0, false, Some(0.0)),
            // Restart: both counters back near zero.
            (s(5.0, 9_990.0), s(1.0, 4.0), 1.0, 4.0, true, Some(0.25)),
            // Only total went down (other worker answered): still a reset.
            (s(1.0, 9.0), s(2.0, 3.0), 2.0, 3.0, true, Some(2.0 / 3.0)),
            // Only failed went down: reset, never negative.
            (s(7.0, 50.0), s(0.0, 60.0), 0.0, 60.0, true, Some(0.0)),
            // Restart with no requests yet.
            (s(3.0, 30.0), s(0.0, 0.0), 0.0, 0.0, true, None),
            // Failed grew more than total (counters sampled at different moments): clamped.
            (s(0.0, 10.0), s(3.0, 11.0), 3.0, 1.0, false, Some(1.0)),
            // Garbage in → zeros, not NaN.
            (
                s(f64::NAN, 10.0),
                s(1.0, f64::INFINITY),
                1.0,
                0.0,
                true,
                None,
            ),
        ];
        for (prev, cur, failed, total, reset, rate) in cases {
            let d = counter_delta(prev, cur);
            assert_eq!(
                (d.failed, d.total, d.reset),
                (failed, total, reset),
                "{prev:?} → {cur:?}"
            );
            assert_eq!(d.rate(), rate, "{prev:?} → {cur:?}");
            assert_eq!(counter_error_rate(prev, cur), rate);
        }
    }
}

//! (f) The dashboard's `metrics.derived.error_rate` against KATO's own `/stats`, computed here independently: KATO
//! records one `kato_request_duration_seconds` point per request with its status; the rate over a minute ending at
//! T is (points with status >= 400) / (points) among those with T-60 < timestamp <= T.
//!
//! The dashboard read `/stats` at some moment T between the start of the failing requests and the first frame
//! that shows them all. That moment is not visible from outside, so every T in that span is tried (the counts
//! change only where a point enters or leaves the window), and the check passes when one of them gives exactly
//! the dashboard's requests and failures, and so its rate.

use std::time::Duration;

use anyhow::Result;
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::Ctx;

/// Requests KATO answers with 4xx here: unknown session (404, twice by path shape), invalid body (422), unknown
/// path (404).
const FAILING: &[(&str, &str)] = &[
    ("GET", "/sessions/session-real-kato-missing-1"),
    ("GET", "/sessions/session-real-kato-missing-2/stm"),
    ("POST", "/sessions/session-real-kato-missing-3/observe"),
    ("GET", "/sessions/session-real-kato-missing-4"),
    ("POST", "/sessions"),
    ("GET", "/real-kato-no-such-path"),
];

/// (requests, failed) among `points` with `t - 60 < timestamp <= t`.
pub fn window(points: &[(f64, u16)], t: f64) -> (u64, u64) {
    points
        .iter()
        .filter(|(ts, _)| *ts > t - 60.0 && *ts <= t)
        .fold((0, 0), |(n, f), (_, s)| (n + 1, f + u64::from(*s >= 400)))
}

/// The `(timestamp, status)` of each `kato_request_duration_seconds` point of a `/stats` body.
fn points(stats: &Value) -> Vec<(f64, u16)> {
    stats["time_series"]["kato_request_duration_seconds"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| {
                    Some((
                        p["timestamp"].as_f64()?,
                        p["labels"]["status"].as_str()?.parse().ok()?,
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The moments in `[lo, hi]` where the window's counts can change, and `lo` itself.
fn candidates(points: &[(f64, u16)], lo: f64, hi: f64) -> Vec<f64> {
    let mut c: Vec<f64> = std::iter::once(lo)
        .chain(points.iter().flat_map(|(t, _)| [*t, *t + 60.0]))
        .filter(|t| *t >= lo && *t <= hi)
        .collect();
    c.sort_by(f64::total_cmp);
    c
}

fn epoch(t: DateTime<Utc>) -> f64 {
    t.timestamp_micros() as f64 / 1e6
}

/// Runs (f).
pub async fn run(ctx: &Ctx) -> Result<()> {
    let v = ctx.v();
    let name = "f error rate = KATO /stats";
    let mut statuses = Vec::new();
    let start = Utc::now();
    for (method, path) in FAILING {
        let method = if *method == "POST" {
            reqwest::Method::POST
        } else {
            reqwest::Method::GET
        };
        let body = (method == reqwest::Method::POST).then(|| serde_json::json!({}));
        statuses.push(ctx.kato.call(method, path, body).await?.status);
    }
    let failing = statuses.iter().filter(|s| **s >= 400).count() as u64;
    let mark = ctx.ws.mark();
    // The next /stats poll (every KATO_STATS_INTERVAL_SECONDS) and the next /metrics poll that carries it out.
    let within = Duration::from_secs_f64(ctx.stats_interval + 15.0);
    let frame = ctx
        .ws
        .wait_for(mark, within, |m| {
            let d = &m["data"]["metrics"]["derived"];
            m["type"] == "realtime_update"
                && d["error_rate_failed"]
                    .as_u64()
                    .is_some_and(|f| f >= failing)
        })
        .await;
    let Some(frame) = frame else {
        ctx.report.check(v, name, false, format!("KATO answered {statuses:?}; no frame with error_rate_failed >= {failing} within {within:?}"));
        return Ok(());
    };
    let d = &frame.msg["data"]["metrics"]["derived"];
    let (rate, req, failed) = (
        d["error_rate"].as_f64(),
        d["error_rate_requests"].as_u64(),
        d["error_rate_failed"].as_u64(),
    );
    let stats = ctx.kato.get("/stats?minutes=3").await?.body;
    let kato_metrics = ctx.kato.get("/metrics").await?.body;
    let pts = points(&stats);
    let (lo, hi) = (epoch(start), epoch(frame.wall));
    // The first span of moments whose minute gives the dashboard's counts (constant between change points).
    let cands = candidates(&pts, lo, hi);
    let found = cands
        .iter()
        .enumerate()
        .find(|(_, t)| Some(window(&pts, **t)) == req.zip(failed))
        .map(|(i, t)| {
            let end = cands[i..]
                .iter()
                .find(|c| Some(window(&pts, **c)) != req.zip(failed));
            (*t, end.copied().unwrap_or(hi))
        });
    let kato_own = &kato_metrics["performance"]["error_rate"];
    match (found, rate, req, failed) {
        (Some((from, to)), Some(rate), Some(r), Some(f)) => {
            let mine = f as f64 / r as f64;
            let ok = (mine - rate).abs() < 1e-9;
            ctx.report.check(
                v,
                name,
                ok,
                format!(
                    "KATO answered {statuses:?}; dashboard {rate:.4} ({f}/{r}) = {mine:.4} ({f}/{r}) computed here from \
                     KATO's /stats for the minute ending {:.3} to {:.3} s after the failing calls began{}; KATO's own \
                     /metrics error_rate {kato_own}",
                    from - lo,
                    to - lo,
                    if ok { " (equal)" } else { " (NOT equal)" }
                ),
            );
        }
        _ => {
            let near = window(&pts, hi);
            ctx.report.check(
                v,
                name,
                false,
                format!(
                    "KATO answered {statuses:?}; dashboard {rate:?} ({failed:?}/{req:?}); no moment between the first \
                     failing call and the frame ({:.2} s) gives those counts from KATO /stats (at the frame: {}/{})",
                    hi - lo,
                    near.1,
                    near.0
                ),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_is_open_at_the_start_and_closed_at_the_end() {
        let pts = [(100.0, 200), (130.0, 404), (160.0, 500), (161.0, 200)];
        assert_eq!(window(&pts, 160.0), (2, 2));
        assert_eq!(window(&pts, 161.0), (3, 2));
        assert_eq!(window(&pts, 159.9), (2, 1));
        assert_eq!(
            candidates(&pts, 150.0, 170.0),
            vec![150.0, 160.0, 160.0, 161.0]
        );
    }
}

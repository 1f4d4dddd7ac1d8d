//! (h) the history on disk records the real KATO: every session event the dashboard pushed on `/ws` since it
//! started is counted in `sessions.created` / `sessions.ended` / `sessions.expired` (nothing lost, nothing twice),
//! KATO's figures are sampled (`kato.up` = 1, requests per second and CPU present), and the old dashboard's
//! `/analytics/system/performance` draws its time series from them.

use anyhow::Result;
use chrono::Utc;
use serde_json::Value;

use super::Ctx;

/// Sum of the bucket sums of `name` in a history answer (`[t, min, avg, max, sum, n]` points).
fn sum(answer: &Value, name: &str) -> f64 {
    series(answer, name)
        .iter()
        .filter_map(|p| p[4].as_f64())
        .sum()
}

fn series<'a>(answer: &'a Value, name: &str) -> &'a [Value] {
    answer["series"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["name"] == name))
        .and_then(|s| s["points"].as_array())
        .map_or(&[], Vec::as_slice)
}

/// (h): the session events seen on `/ws` against the history's counts, and KATO's figures in it.
pub async fn check(ctx: &Ctx) -> Result<()> {
    // The recorder tallies events once a second: let the last ones reach a sample.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let frames = ctx.ws.since(0);
    let events: Vec<&Value> = frames
        .iter()
        .map(|f| &f.msg)
        .filter(|m| m["type"] == "session_event")
        .collect();
    let created = events
        .iter()
        .filter(|m| m["event_type"] == "session_created")
        .count() as f64;
    let expired = events
        .iter()
        .filter(|m| m["event_type"] == "session_destroyed" && m["data"]["reason"] == "expired")
        .count() as f64;
    let ended = events
        .iter()
        .filter(|m| m["event_type"] == "session_destroyed")
        .count() as f64
        - expired;
    let from = frames.first().map_or(Utc::now(), |f| f.wall).timestamp() - 60;
    let to = Utc::now().timestamp() + 1;
    let (status, answer) = ctx
        .dash
        .get(&format!(
            "/api/v1/system/history?from={from}&to={to}&series=sessions.*,kato.up,kato.requests_per_second,kato.cpu_percent"
        ))
        .await?;
    let recorded = (
        sum(&answer, "sessions.created"),
        sum(&answer, "sessions.ended"),
        sum(&answer, "sessions.expired"),
    );
    let up = series(&answer, "kato.up")
        .last()
        .and_then(|p| p[2].as_f64());
    let rps = series(&answer, "kato.requests_per_second").len();
    let cpu = series(&answer, "kato.cpu_percent").len();
    let (ps, perf) = ctx
        .dash
        .get("/api/v1/analytics/system/performance?period_minutes=60")
        .await?;
    let points = perf["time_series"].as_array().map_or(0, Vec::len);
    let with_cpu = perf["time_series"]
        .as_array()
        .is_some_and(|a| a.iter().any(|p| p["cpu_percent"].is_number()));
    let ok = status == 200
        && recorded == (created, ended, expired)
        && created >= 1.0
        && up == Some(1.0)
        && rps > 0
        && cpu > 0
        && ps == 200
        && points > 0
        && with_cpu;
    ctx.report.check(
        ctx.v(),
        "h the history records KATO and every session event",
        ok,
        format!(
            "/ws pushed {created} created, {ended} ended, {expired} expired; the history counted {} / {} / {} \
             (tier {}, HTTP {status}); kato.up {up:?}, {rps} requests/s and {cpu} CPU samples; \
             /analytics/system/performance: HTTP {ps}, {points} points, cpu_percent {}",
            recorded.0,
            recorded.1,
            recorded.2,
            answer["tier"],
            if with_cpu { "present" } else { "missing" }
        ),
    );
    Ok(())
}

//! (e) KATO stopped by its PID and started again: the dashboard reports `kato_unreachable` and the metrics card's
//! state (`data.metrics.derived.source.state` = `unavailable`), then `kato_reachable` and `kato_restarted`; and no
//! `session_event` over the whole episode that does not match a real change of the session keys in Redis.

use std::time::{Duration, Instant};

use anyhow::Result;

use super::Ctx;
use crate::redis_keys;
use crate::ws::{is_kato_event, ms_between};

fn metrics_state(m: &serde_json::Value) -> Option<&str> {
    (m["type"] == "realtime_update")
        .then(|| m["data"]["metrics"]["derived"]["source"]["state"].as_str())?
}

/// Runs (e).
pub async fn run(ctx: &Ctx) -> Result<()> {
    let v = ctx.v();
    let mut conn = ctx.redis.clone();
    let before = redis_keys::session_ids(&mut conn).await?;
    let mark = ctx.ws.mark();
    let stopped_at = Instant::now();
    let pid = ctx.kato.stop().await?;
    let stop_took = stopped_at.elapsed();
    // The metrics poll runs every 2 s (5 s on KATO 3.x) with a 3 s timeout.
    let within = Duration::from_secs(15);
    let unreachable = ctx
        .ws
        .wait_for(mark, within, |m| is_kato_event(m, "kato_unreachable"))
        .await;
    let card = ctx
        .ws
        .wait_for(mark, within, |m| metrics_state(m) == Some("unavailable"))
        .await;
    let (_, health) = ctx.dash.get("/api/v1/health").await?;
    let kato_up = health["upstreams"]["kato"]["status"].clone();
    match (&unreachable, &card) {
        (Some(u), Some(c)) => ctx.report.check(
            v,
            "e outage: kato_unreachable + metrics card",
            kato_up == "down",
            format!(
                "KATO pid {} stopped (stop.sh took {:.2} s); kato_unreachable {:.2} s after the stop began (reason {}); \
                 metrics source `unavailable` {:.2} s after (card error {}); /api/v1/health kato {kato_up}",
                pid.map_or("?".into(), |p| p.to_string()),
                stop_took.as_secs_f64(),
                ms_between(stopped_at, u.at) / 1000.0,
                u.msg["data"]["reason"],
                ms_between(stopped_at, c.at) / 1000.0,
                c.msg["data"]["metrics"]["error"],
            ),
        ),
        _ => ctx.report.check(
            v,
            "e outage: kato_unreachable + metrics card",
            false,
            format!(
                "within {within:?}: kato_unreachable {}, metrics source unavailable {}; /api/v1/health kato {kato_up}",
                unreachable.is_some(),
                card.is_some()
            ),
        ),
    }
    // Stay down for two reconciliations: a scan during the outage must not invent anything.
    tokio::time::sleep(Duration::from_secs_f64(2.0 * ctx.reconcile + 1.0)).await;
    let down_for = stopped_at.elapsed();
    // What the sessions card says while KATO is down: Redis still answers, so the live count, not unknown or 0.
    let during = redis_keys::session_ids(&mut conn).await?.len();
    let card_sessions = ctx
        .ws
        .since(mark)
        .into_iter()
        .rev()
        .find(|f| f.msg["type"] == "realtime_update" && f.msg["data"]["sessions"].is_object())
        .map(|f| f.msg["data"]["sessions"].clone())
        .unwrap_or_default();
    let count_ok =
        card_sessions["active_count"] == during && card_sessions["count_source"] == "redis";
    let restart_mark = ctx.ws.mark();
    let restart_at = Instant::now();
    let took = ctx.kato.start().await?;
    let within = Duration::from_secs_f64(10.0 + 2.0 * ctx.stats_interval);
    let reachable = ctx
        .ws
        .wait_for(restart_mark, within, |m| is_kato_event(m, "kato_reachable"))
        .await;
    let restarted = ctx
        .ws
        .wait_for(restart_mark, within, |m| is_kato_event(m, "kato_restarted"))
        .await;
    let card = ctx
        .ws
        .wait_for(restart_mark, within, |m| metrics_state(m) == Some("ok"))
        .await;
    let ok = reachable.is_some() && restarted.is_some() && card.is_some();
    let at = |f: &Option<crate::ws::Frame>| {
        f.as_ref().map_or("never".to_owned(), |f| {
            format!("{:.2} s", ms_between(restart_at, f.at) / 1000.0)
        })
    };
    ctx.report.check(
        v,
        "e restart: kato_reachable + kato_restarted",
        ok,
        format!(
            "down {:.1} s; start.sh took {:.1} s (new pid {}); after the start began: kato_reachable {}, \
             kato_restarted {} (data {}), metrics source ok {}",
            down_for.as_secs_f64(),
            took.as_secs_f64(),
            ctx.kato.pid().map_or("?".into(), |p| p.to_string()),
            at(&reachable),
            at(&restarted),
            restarted.as_ref().map_or(serde_json::Value::Null, |f| f.msg["data"].clone()),
            at(&card),
        ),
    );
    // Two more reconciliations after the restart, then compare what the socket said with what Redis did.
    tokio::time::sleep(Duration::from_secs_f64(2.0 * ctx.reconcile + 1.0)).await;
    let after = redis_keys::session_ids(&mut conn).await?;
    let events: Vec<_> = ctx
        .ws
        .since(mark)
        .into_iter()
        .filter(|f| f.msg["type"] == "session_event")
        .collect();
    let fake: Vec<String> = events
        .iter()
        .filter(|f| {
            let id = f.msg["data"]["session_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let real = match f.msg["event_type"].as_str() {
                Some("session_created") => after.contains(&id) && !before.contains(&id),
                Some("session_destroyed") => before.contains(&id) && !after.contains(&id),
                _ => false,
            };
            !real
        })
        .map(|f| {
            format!(
                "{} {} ({})",
                f.msg["event_type"], f.msg["data"]["session_id"], f.msg["data"]["source"]
            )
        })
        .collect();
    let real_changes = before.symmetric_difference(&after).count();
    ctx.report.check(
        v,
        "e no fake session events",
        fake.is_empty() && events.len() == real_changes && count_ok,
        format!(
            "Redis {} session keys before the stop, {} after the restart ({} real changes); {} session_event(s) over \
             {:.1} s; sessions card while KATO was down: active_count {} (source {}) with {during} keys in Redis{}",
            before.len(),
            after.len(),
            real_changes,
            events.len(),
            stopped_at.elapsed().as_secs_f64(),
            card_sessions["active_count"],
            card_sessions["count_source"],
            if fake.is_empty() { String::new() } else { format!(": not matching Redis: {}", fake.join("; ")) }
        ),
    );
    Ok(())
}

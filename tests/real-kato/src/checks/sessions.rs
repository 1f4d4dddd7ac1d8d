//! (b) sessions created and deleted through KATO reach `/ws` as `session_event`s within 100 ms of KATO's answer;
//! (c) the dashboard's list and count equal the live `kato:session:*` keys of KATO's Redis; (d) a session whose
//! 3-second TTL runs out is reported destroyed (`expired`) within the reconciliation interval + 1 s of Redis
//! dropping its key.

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::Result;

use super::Ctx;
use crate::redis_keys;
use crate::ws::{is_session_event, ms_between};

/// The latency budget of a pushed session event, after KATO's answer.
const PUSH_BUDGET_MS: f64 = 100.0;

fn fmt_ms(v: f64) -> String {
    format!("{v:.1}")
}

/// (b), creation: `n` sessions one after another; returns their ids.
pub async fn created(ctx: &Ctx, n: usize) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    let mut after_answer = Vec::new();
    let mut after_sent = Vec::new();
    let mut problems = Vec::new();
    for i in 0..n {
        let mark = ctx.ws.mark();
        let (id, t) = ctx
            .kato
            .create_session(&format!("real-kato-node-{i}"), None)
            .await?;
        let event = ctx
            .ws
            .wait_for(mark, Duration::from_secs(5), |m| {
                is_session_event(m, "session_created", &id)
            })
            .await;
        match event {
            Some(f) => {
                after_answer.push(ms_between(t.answered, f.at));
                after_sent.push(ms_between(t.sent, f.at));
                if f.msg["data"]["source"] != "kato_push" {
                    problems.push(format!("{id}: source {}", f.msg["data"]["source"]));
                }
            }
            None => problems.push(format!("no session_created for {id} within 5 s")),
        }
        ids.push(id);
    }
    let list = |v: &[f64]| v.iter().map(|x| fmt_ms(*x)).collect::<Vec<_>>().join(", ");
    let worst = after_answer.iter().copied().fold(f64::MIN, f64::max);
    let ok = problems.is_empty() && after_answer.len() == n && worst <= PUSH_BUDGET_MS;
    ctx.report.check(
        ctx.v(),
        format!("b session_created x{n} (<= {PUSH_BUDGET_MS} ms)"),
        ok,
        format!(
            "event arrival minus KATO's answer (negative: the event came first): {} ms (max {:.1}); minus the \
             request's start: {} ms{}",
            list(&after_answer),
            worst,
            list(&after_sent),
            if problems.is_empty() {
                String::new()
            } else {
                format!("; {}", problems.join("; "))
            }
        ),
    );
    Ok(ids)
}

/// (b), deletion: `DELETE /sessions/{id}` through KATO.
pub async fn destroyed(ctx: &Ctx, id: &str) -> Result<()> {
    let mark = ctx.ws.mark();
    let t = ctx.kato.delete_session(id).await?;
    let event = ctx
        .ws
        .wait_for(mark, Duration::from_secs(5), |m| {
            is_session_event(m, "session_destroyed", id)
        })
        .await;
    let name = format!("b session_destroyed (<= {PUSH_BUDGET_MS} ms)");
    match event {
        Some(f) => {
            let ms = ms_between(t.answered, f.at);
            let data = &f.msg["data"];
            let ok = ms <= PUSH_BUDGET_MS
                && data["reason"] == "explicit_delete"
                && data["source"] == "kato_push";
            ctx.report.check(
                ctx.v(),
                name,
                ok,
                format!(
                    "event arrival minus KATO's answer {} ms (minus the request's start {:.1} ms); reason {}, source {}",
                    fmt_ms(ms),
                    ms_between(t.sent, f.at),
                    data["reason"],
                    data["source"]
                ),
            );
        }
        None => ctx.report.check(
            ctx.v(),
            name,
            false,
            format!("no session_destroyed for {id} within 5 s"),
        ),
    }
    Ok(())
}

/// (c): Redis before and after the dashboard's two answers must agree (else nothing is stable enough to compare;
/// read again, up to 3 times), then list total, list ids and count must equal it.
pub async fn counts(ctx: &Ctx, when: &str) -> Result<()> {
    let mut conn = ctx.redis.clone();
    let mut last = String::new();
    for attempt in 1..=3 {
        let before = redis_keys::session_ids(&mut conn).await?;
        let (list, count) = tokio::join!(
            ctx.dash.get("/api/v1/sessions?limit=200"),
            ctx.dash.get("/api/v1/sessions/count")
        );
        let after = redis_keys::session_ids(&mut conn).await?;
        if before != after {
            last = format!(
                "Redis changed during the reads ({} then {} keys)",
                before.len(),
                after.len()
            );
            continue;
        }
        let ((ls, list), (cs, count)) = (list?, count?);
        let listed: BTreeSet<String> = list["sessions"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s["session_id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let total = list["total"].as_u64();
        let n = count["active_session_count"].as_u64();
        let redis_n = after.len() as u64;
        let kato_n = &count["kato_active_session_count"];
        let ok = ls == 200
            && cs == 200
            && total == Some(redis_n)
            && n == Some(redis_n)
            && listed == after;
        let missing: Vec<&String> = after.difference(&listed).collect();
        let extra: Vec<&String> = listed.difference(&after).collect();
        let measured = format!(
            "Redis {redis_n} live session keys; /sessions total {} (ids {}), /sessions/count {} (source {}); KATO's own \
             /sessions/count {kato_n} (not compared){}",
            total.map_or("?".into(), |t| t.to_string()),
            if listed == after {
                "identical".to_owned()
            } else {
                format!("missing {missing:?}, extra {extra:?}")
            },
            n.map_or("?".into(), |t| t.to_string()),
            count["source"],
            if attempt > 1 {
                format!("; attempt {attempt} ({last})")
            } else {
                String::new()
            },
        );
        ctx.report
            .check(ctx.v(), format!("c counts = Redis ({when})"), ok, measured);
        return Ok(());
    }
    ctx.report
        .check(ctx.v(), format!("c counts = Redis ({when})"), false, last);
    Ok(())
}

/// (d): a session created with `ttl_seconds` 3.
pub async fn ttl_expiry(ctx: &Ctx) -> Result<()> {
    let mut conn = ctx.redis.clone();
    let mark = ctx.ws.mark();
    let (id, _) = ctx.kato.create_session("real-kato-ttl", Some(3)).await?;
    let pttl = redis_keys::pttl(&mut conn, &id).await?;
    let budget = ctx.reconcile + 1.0;
    let name = format!("d TTL 3 s expiry (<= {budget:.0} s after Redis drops it)");
    let Some(gone) = redis_keys::wait_gone(&mut conn, &id, Duration::from_secs(10)).await? else {
        ctx.report.check(
            ctx.v(),
            name,
            false,
            format!("the key was still there 10 s later (PTTL was {pttl} ms)"),
        );
        return Ok(());
    };
    let event = ctx
        .ws
        .wait_for(mark, Duration::from_secs_f64(budget + 5.0), |m| {
            is_session_event(m, "session_destroyed", &id)
        })
        .await;
    match event {
        Some(f) => {
            let s = ms_between(gone, f.at) / 1000.0;
            let data = &f.msg["data"];
            let ok = s <= budget && data["reason"] == "expired";
            ctx.report.check(
                ctx.v(),
                name,
                ok,
                format!(
                    "PTTL at creation {pttl} ms; session_destroyed {s:.2} s after the key was gone; reason {}, source {}",
                    data["reason"], data["source"]
                ),
            );
        }
        None => ctx.report.check(
            ctx.v(),
            name,
            false,
            format!("no session_destroyed within {:.0} s", budget + 5.0),
        ),
    }
    Ok(())
}

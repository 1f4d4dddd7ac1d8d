//! One KATO generation from start to stop: KATO through its launcher, the real dashboard beside it, a `/ws` client
//! subscribed to everything and a Redis connection of the checker's own; then the checks (a)–(g) in an order where
//! each leaves the state the next one needs. A check that cannot even run (KATO refuses a call, …) is a FAIL row
//! with the error, and the next check still runs.

mod error_rate;
mod history;
mod knowledge;
mod outage;
mod passthrough;
mod sessions;

use std::future::Future;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use redis::aio::MultiplexedConnection;

use crate::dashboard::{Dashboard, DashboardConfig};
use crate::kato::{Kato, Version};
use crate::redis_keys;
use crate::report::Report;
use crate::ws::WsRecorder;

/// What every check reads.
pub struct Ctx {
    pub kato: Kato,
    pub dash: Dashboard,
    pub ws: WsRecorder,
    pub redis: MultiplexedConnection,
    pub report: Report,
    /// `SESSION_RECONCILE_INTERVAL_SECONDS` of the dashboard.
    pub reconcile: f64,
    /// `KATO_STATS_INTERVAL_SECONDS` of the dashboard.
    pub stats_interval: f64,
}

impl Ctx {
    /// `v1` / `v3`, the table's first column.
    pub fn v(&self) -> &'static str {
        self.kato.version.label()
    }
}

/// Settings shared by both generations.
#[derive(Debug, Clone)]
pub struct Settings {
    pub bin: PathBuf,
    pub reconcile: f64,
    pub stats_interval: f64,
}

/// Runs `step`; an error becomes a FAIL row named `what`.
async fn step<T>(
    report: &Report,
    v: &str,
    what: &str,
    step: impl Future<Output = Result<T>>,
) -> Option<T> {
    match step.await {
        Ok(t) => Some(t),
        Err(e) => {
            report.check(v, what, false, format!("could not run: {e:#}"));
            None
        }
    }
}

/// Waits until the dashboard has scanned Redis and read `/metrics` (30 s at most: nothing is comparable before),
/// then up to 5 s more for it to listen to KATO's push (without it a session would be found by a scan, not pushed:
/// (b) then fails with what it measured). Returns the time waited and the push listener's state.
async fn ready(ctx: &Ctx) -> Result<(Duration, String)> {
    let started = Instant::now();
    let state = |m: &serde_json::Value, path: [&str; 4]| {
        m["data"][path[0]][path[1]][path[2]][path[3]].clone()
    };
    let frame = ctx
        .ws
        .wait_for(0, Duration::from_secs(30), |m| {
            m["type"] == "realtime_update"
                && state(m, ["sessions", "sources", "redis", "state"]) == "ok"
                && m["data"]["metrics"]["derived"]["source"]["state"] == "ok"
        })
        .await;
    frame.context("the dashboard did not report Redis and KATO's /metrics ok within 30 s")?;
    let push = ctx
        .ws
        .wait_for(0, Duration::from_secs(5), |m| {
            m["type"] == "realtime_update"
                && state(m, ["sessions", "sources", "kato_events", "state"]) == "ok"
        })
        .await;
    let push = match push {
        Some(_) => "connected".to_owned(),
        None => {
            let last = ctx
                .ws
                .since(0)
                .into_iter()
                .rev()
                .find(|f| f.msg["data"]["sessions"].is_object());
            let src = last.map(|f| f.msg["data"]["sessions"]["sources"]["kato_events"].clone());
            format!("NOT connected ({})", src.unwrap_or_default())
        }
    };
    Ok((started.elapsed(), push))
}

/// Starts KATO and the dashboard, runs every check for this generation, stops KATO.
pub async fn run_version(kato: Kato, settings: &Settings, report: &Report) -> Result<()> {
    let v = kato.version.label();
    println!(
        "\n== KATO {} ({v}) on {}, Redis {}",
        kato.version.commit(),
        kato.base(),
        kato.redis_url()
    );
    let took = kato.start().await?;
    let root = kato.get("/").await?.body;
    println!(
        "   KATO {} started in {:.1} s (pid {}), answers version {}",
        kato.version.commit(),
        took.as_secs_f64(),
        kato.pid().map_or("?".into(), |p| p.to_string()),
        root["version"]
    );
    let cfg = DashboardConfig {
        bin: settings.bin.clone(),
        dir: kato.work.join(format!("dashboard-{v}")),
        kato_url: kato.base(),
        redis_url: kato.redis_url(),
        clickhouse_url: None,
        reconcile_seconds: settings.reconcile,
        stats_seconds: settings.stats_interval,
    };
    let dash = Dashboard::start(&cfg).await?;
    println!(
        "   dashboard on {} (log {})",
        dash.base(),
        dash.log_path().display()
    );
    let ws = WsRecorder::connect(&dash.ws_url()).await?;
    let redis = redis_keys::connect(&kato.redis_url()).await?;
    let ctx = Ctx {
        kato,
        dash,
        ws,
        redis,
        report: report.clone(),
        reconcile: settings.reconcile,
        stats_interval: settings.stats_interval,
    };
    let (waited, push) = ready(&ctx).await?;
    println!(
        "   dashboard ready (Redis scanned, /metrics read) after {:.1} s; KATO's /ws/events push {push}",
        waited.as_secs_f64()
    );
    let ids = step(report, v, "b session_created", sessions::created(&ctx, 5))
        .await
        .unwrap_or_default();
    if let Some(id) = ids.first() {
        // A node with a processor, so KATO's processor lists and per-node figures are not empty.
        step(
            report,
            v,
            "setup: observe",
            ctx.kato.observe(id, &["hello", "world"]),
        )
        .await;
    }
    let learned = match ctx.kato.version {
        Version::V3 => {
            step(
                report,
                v,
                "g learn patterns through KATO",
                knowledge::learn(&ctx),
            )
            .await
        }
        Version::V1 => None,
    };
    passthrough::run(&ctx).await;
    match ids.get(1) {
        Some(id) => {
            step(
                report,
                v,
                "b session_destroyed",
                sessions::destroyed(&ctx, id),
            )
            .await;
        }
        None => report.check(v, "b session_destroyed", false, "no session to delete"),
    }
    step(
        report,
        v,
        "c counts = Redis",
        sessions::counts(&ctx, "after 5 created, 1 deleted"),
    )
    .await;
    step(report, v, "d TTL expiry", sessions::ttl_expiry(&ctx)).await;
    step(report, v, "f error rate", error_rate::run(&ctx)).await;
    step(report, v, "e outage", outage::run(&ctx)).await;
    step(
        report,
        v,
        "c counts = Redis",
        sessions::counts(&ctx, "after the outage"),
    )
    .await;
    step(
        report,
        v,
        "h the history records KATO and every session event",
        history::check(&ctx),
    )
    .await;
    let closed = ctx.ws.closed();
    report.check(
        v,
        "/ws stayed connected",
        closed.is_none(),
        closed.unwrap_or_else(|| format!("{} frames received on one connection", ctx.ws.mark())),
    );
    match (ctx.kato.version, learned) {
        (Version::V3, Some(learned)) => {
            step(
                report,
                v,
                "g KB pages show the learned patterns",
                knowledge::check(&ctx, &learned, &cfg),
            )
            .await;
        }
        (Version::V3, None) => {}
        (Version::V1, _) => {}
    }
    ctx.kato.stop().await?;
    Ok(())
}

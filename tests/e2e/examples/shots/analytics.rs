//! The `screenshots` example's history views: a history store seeded with three days of a plausible KATO (load that
//! follows the day, sessions, alerts, knowledge bases that grow, a restart), then the Analytics page (dark, light,
//! phone width) and the Dashboard over 6 hours, against kato-sim and the real server.

use std::time::Duration;

use kato_dashboard_e2e::{Browser, Stack, Tab, wait_for};
use kato_dashboard_history_store::{HistoryStore, Marker, Sample, SeriesKind, Settings};
use kato_dashboard_sim::{Flavour, Scenario, SimConfig};

use super::{settle, shot, theme};

const DAYS: i64 = 3;

fn gauge(series: &str, value: f64) -> Sample {
    Sample {
        series: series.into(),
        kind: SeriesKind::Gauge,
        value,
    }
}

fn count(series: &str, value: f64) -> Sample {
    Sample {
        series: series.into(),
        kind: SeriesKind::Count,
        value,
    }
}

/// A small deterministic noise in 0..1.
fn noise(i: i64, salt: i64) -> f64 {
    let x = (i.wrapping_mul(2_654_435_761) ^ salt.wrapping_mul(40_503)) as u64;
    ((x.wrapping_mul(6_364_136_223_846_793_005) >> 33) % 1000) as f64 / 1000.0
}

/// Writes `DAYS` days of one-minute rounds ending at `now` (a 40-minute outage two days ago leaves a gap) and rolls
/// them into the tiers.
fn seed(dir: &std::path::Path, now: i64) -> anyhow::Result<()> {
    let store = HistoryStore::open_dir(dir, Settings::default())?;
    let start = now - DAYS * 86_400;
    let gap = (now - 2 * 86_400, now - 2 * 86_400 + 2_400);
    let mut rounds = Vec::new();
    let (mut patterns, mut symbols) = (1_200.0, 310.0);
    for (i, t) in (start..now).step_by(60).enumerate() {
        let i = i as i64;
        if t >= gap.0 && t < gap.1 {
            continue;
        }
        let day = ((t % 86_400) as f64 / 86_400.0 * std::f64::consts::TAU).sin();
        let busy = 0.55 + 0.45 * day;
        let rps = 4.0 + 18.0 * busy + 3.0 * noise(i, 1);
        let mut s = vec![
            gauge("kato.requests_per_second", rps),
            gauge("kato.cpu_percent", 12.0 + 50.0 * busy + 8.0 * noise(i, 2)),
            gauge("kato.memory_percent", 38.0 + 12.0 * busy + 2.0 * noise(i, 3)),
            gauge("kato.error_rate", (0.4 + 1.6 * noise(i, 4) * busy).max(0.0)),
            gauge("kato.latency_ms", 20.0 + 30.0 * busy),
            gauge("kato.up", 1.0),
            gauge("sessions.active", (6.0 + 30.0 * busy + 4.0 * noise(i, 5)).round()),
            gauge("container.kato.cpu_percent", 30.0 + 90.0 * busy),
            gauge("container.kato.memory_percent", 20.0 + 5.0 * busy),
            gauge("container.kato-redis.cpu_percent", 2.0 + 3.0 * noise(i, 6)),
            gauge("container.kato-redis.memory_percent", 3.0),
        ];
        if noise(i, 7) < 0.35 + 0.4 * busy {
            s.push(count("sessions.created", 1.0 + (3.0 * busy * noise(i, 8)).round()));
        }
        if noise(i, 9) < 0.3 + 0.35 * busy {
            s.push(count("sessions.ended", 1.0 + (2.0 * busy * noise(i, 10)).round()));
        }
        if noise(i, 11) < 0.08 {
            s.push(count("sessions.expired", 1.0));
        }
        if busy > 0.9 && noise(i, 12) < 0.05 {
            s.push(count("alerts.fired.high_cpu", 1.0));
        }
        if noise(i, 13) < 0.01 {
            s.push(count("alerts.fired.high_error_rate", 1.0));
        }
        if i % 5 == 0 {
            patterns += 6.0 * busy + 2.0 * noise(i, 14);
            symbols += 1.5 * busy * noise(i, 15);
            s.push(gauge("kb.node-alpha.patterns", patterns));
            s.push(gauge("kb.node-alpha.symbols", symbols));
            s.push(gauge("kb.node-beta.patterns", patterns * 0.45));
            s.push(gauge("kb.node-beta.symbols", symbols * 0.6));
        }
        rounds.push((t, s));
    }
    store.write_many(&rounds)?;
    let marker = |t: i64, kind: &str, label: &str, severity: &str| Marker {
        t,
        kind: kind.into(),
        label: label.into(),
        severity: severity.into(),
    };
    store.add_markers(&[
        marker(gap.0, "alert", "kato_unreachable kato", "critical"),
        marker(gap.1, "kato_restart", "kato", "info"),
        marker(now - 9 * 3_600, "alert", "high_cpu kato", "warning"),
        marker(now - 3 * 3_600 - 600, "alert", "high_error_rate kato", "warning"),
        marker(now - 75 * 60, "kato_restart", "kato", "info"),
    ])?;
    store.maintain(now)?;
    Ok(())
}

async fn until(tab: &Tab, what: &str, js: &str) -> anyhow::Result<()> {
    wait_for(Duration::from_secs(30), what, || async {
        Ok(tab.eval::<bool>(js).await?.then_some(()))
    })
    .await
}

/// Waits until every chart of the page has drawn (or explained why it has nothing to draw).
async fn charts_ready(tab: &Tab) -> anyhow::Result<()> {
    until(
        tab,
        "the history charts",
        "[...document.querySelectorAll('.chart')].length > 0 && \
         ![...document.querySelectorAll('.chart-empty')].some(e => e.textContent.includes('Loading'))",
    )
    .await?;
    tab.eval::<bool>(
        "document.querySelectorAll('[data-testid=toast-dismiss]').forEach(b => b.click()); true",
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(800)).await;
    Ok(())
}

/// Seeds the store, starts the stack on it, and shoots.
pub async fn shoot() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let now = chrono::Utc::now().timestamp();
    seed(dir.path(), now)?;
    let history_dir = dir.path().display().to_string();
    let stack = Stack::start_with_env(
        SimConfig {
            scenario: Scenario::Steady,
            traffic_rate: 6.0,
            ..SimConfig::idle(Flavour::V1)
        },
        &[("HISTORY_DATA_DIR", &history_dir)],
    )
    .await?;
    let browser = Browser::launch(1440, 900).await?;
    let tab = browser.open(&stack.url("/analytics")).await?;
    for mode in ["dark", "light"] {
        theme(&tab, mode).await?;
        tab.goto(&stack.url("/analytics?range=24h")).await?;
        settle(&tab).await?;
        charts_ready(&tab).await?;
        shot(&tab, &format!("analytics-{mode}"), true).await?;
    }
    theme(&tab, "dark").await?;
    tab.goto(&stack.url("/?range=6h")).await?;
    settle(&tab).await?;
    charts_ready(&tab).await?;
    shot(&tab, "dashboard-range-dark", true).await?;
    tab.viewport(390, 844, true).await?;
    for mode in ["dark", "light"] {
        theme(&tab, mode).await?;
        tab.goto(&stack.url("/analytics?range=7d")).await?;
        settle(&tab).await?;
        charts_ready(&tab).await?;
        shot(&tab, &format!("mobile-analytics-{mode}"), true).await?;
    }
    browser.close().await;
    stack.stop().await;
    Ok(())
}

//! The `screenshots` example's history views: the Analytics page (dark, light, phone width) and the Dashboard over
//! 6 hours, against kato-sim as KATO 3.x (steady traffic) with KATO c584167's recorded stores behind the real
//! server (ClickHouse + Redis, `KbStores`), so the top patterns are the recorded ones and the knowledge-base
//! sampler adds the recorded sizes as the latest points each second.
//!
//! The 24-hour and 7-day views need days of history, which a screenshot run cannot wait for: for the screenshots
//! only (never in the tests, which chart what the recorder wrote), the history store is seeded with three days of
//! a plausible KATO — load that follows the day, sessions, alerts, a restart and an outage — and the recorded
//! knowledge bases growing to their recorded sizes, where the sampler's real points take over.

use std::time::Duration;

use kato_dashboard_e2e::{Browser, KbStores, Stack, Tab, kb::recorded_sizes, wait_for};
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

/// Growth of a knowledge base over the seeded days, 0 at the start to 1 at the end, in steps by day (its slope
/// `1 − cos` is 0 at night): `x` is the fraction of the days elapsed.
fn growth(x: f64) -> f64 {
    let turns = std::f64::consts::TAU * DAYS as f64;
    x - (turns * x).sin() / turns
}

/// Writes `DAYS` days of one-minute rounds ending at `now` (a 40-minute outage two days ago leaves a gap) and rolls
/// them into the tiers. The knowledge bases `kbs` (`kb_id`, patterns, symbols) grow to their recorded sizes.
fn seed(dir: &std::path::Path, now: i64, kbs: &[(String, u64, u64)]) -> anyhow::Result<()> {
    let store = HistoryStore::open_dir(dir, Settings::default())?;
    let start = now - DAYS * 86_400;
    let gap = (now - 2 * 86_400, now - 2 * 86_400 + 2_400);
    let mut rounds = Vec::new();
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
            gauge(
                "kato.memory_percent",
                38.0 + 12.0 * busy + 2.0 * noise(i, 3),
            ),
            gauge("kato.error_rate", (0.4 + 1.6 * noise(i, 4) * busy).max(0.0)),
            gauge("kato.latency_ms", 20.0 + 30.0 * busy),
            gauge("kato.up", 1.0),
            gauge(
                "sessions.active",
                (6.0 + 30.0 * busy + 4.0 * noise(i, 5)).round(),
            ),
            gauge("container.kato.cpu_percent", 30.0 + 90.0 * busy),
            gauge("container.kato.memory_percent", 20.0 + 5.0 * busy),
            gauge("container.kato-redis.cpu_percent", 2.0 + 3.0 * noise(i, 6)),
            gauge("container.kato-redis.memory_percent", 3.0),
        ];
        if noise(i, 7) < 0.35 + 0.4 * busy {
            s.push(count(
                "sessions.created",
                1.0 + (3.0 * busy * noise(i, 8)).round(),
            ));
        }
        if noise(i, 9) < 0.3 + 0.35 * busy {
            s.push(count(
                "sessions.ended",
                1.0 + (2.0 * busy * noise(i, 10)).round(),
            ));
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
            let g = growth((t - start) as f64 / (now - start) as f64);
            for (kb, patterns, symbols) in kbs {
                let (p, y) = (*patterns as f64, *symbols as f64);
                s.push(gauge(
                    &format!("kb.{kb}.patterns"),
                    (p * (0.45 + 0.55 * g)).floor(),
                ));
                s.push(gauge(
                    &format!("kb.{kb}.symbols"),
                    (y * (0.7 + 0.3 * g)).floor(),
                ));
            }
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
        marker(
            now - 3 * 3_600 - 600,
            "alert",
            "high_error_rate kato",
            "warning",
        ),
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

/// Seeds the store, starts the stack on it with the recorded stores, and shoots.
pub async fn shoot() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let now = chrono::Utc::now().timestamp();
    let sizes = recorded_sizes()?;
    seed(dir.path(), now, &sizes)?;
    let history_dir = dir.path().display().to_string();
    let kbs = KbStores::start()?;
    let stack = Stack::start_with_kbs(
        SimConfig {
            scenario: Scenario::Steady,
            traffic_rate: 6.0,
            ..SimConfig::idle(Flavour::V3)
        },
        &kbs,
        &[
            ("HISTORY_DATA_DIR", &history_dir),
            ("HISTORY_KB_SAMPLE_SECONDS", "1"),
        ],
    )
    .await?;
    // The sampler's first round of the recorded stores (after the seeded points).
    let url = stack.url(&format!(
        "/api/v1/system/history?series=kb.*&from={}",
        now + 1
    ));
    wait_for(
        Duration::from_secs(30),
        "the sampler's first round",
        || async {
            let body: serde_json::Value = reqwest::get(&url).await?.json().await?;
            let sampled = body["series"].as_array().is_some_and(|s| {
                s.len() >= 2 * sizes.len()
                    && s.iter()
                        .all(|s| s["points"].as_array().is_some_and(|p| !p.is_empty()))
            });
            Ok(sampled.then_some(()))
        },
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

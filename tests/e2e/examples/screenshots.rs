//! Screenshots of every page (dark, light, phone width) into `docs/screenshots/`, and the time to first data on
//! screen, against kato-sim (steady traffic), a private Redis and the real server, in headless Chromium.
//!
//! `cargo run -p kato-dashboard-e2e --example screenshots` (after `./dashboard.sh build`); with `-- knowledge-bases`
//! only KATO 3.x's knowledge-base views (`shots/kb.rs`: real ClickHouse, Redis and Qdrant, no Docker needed); with
//! `-- fleet` only the KATO fleet views (`shots/fleet.rs`: three kato-sim instances behind `KATO_API_URLS`); with
//! `-- analytics` only the history views (`shots/analytics.rs`: Analytics and the Dashboard over a range, KATO 3.x
//! with its recorded stores, on a history store seeded with days of history).

use std::{path::PathBuf, time::Duration};

use anyhow::Context;
use kato_dashboard_e2e::{Browser, Stack, Tab, wait_for};
use kato_dashboard_sim::{Flavour, Scenario, SimConfig};
use kato_dashboard_testkit::{DockerDaemon, TestContainers};

#[path = "shots/analytics.rs"]
mod analytics;
#[path = "shots/fleet.rs"]
mod fleet;
#[path = "../tests/fleet_support/mod.rs"]
mod fleet_support;
#[path = "shots/kb.rs"]
mod kb;

const OUT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/screenshots");

/// Records when KATO's status first shows a value (ms after navigation start).
const FIRST_DATA_PROBE: &str = r#"
window.__firstData = null;
new MutationObserver((_, obs) => {
  const e = document.querySelector('[data-testid=rps-value]');
  if (e && e.textContent.trim() && e.textContent.trim() !== '—') { window.__firstData = performance.now(); obs.disconnect(); }
}).observe(document, { subtree: true, childList: true, characterData: true });
"#;

async fn shot(tab: &Tab, name: &str, full: bool) -> anyhow::Result<()> {
    let png = tab.screenshot(full).await?;
    let path = PathBuf::from(OUT).join(format!("{name}.png"));
    std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
    println!("saved {}", path.display());
    Ok(())
}

async fn theme(tab: &Tab, name: &str) -> anyhow::Result<()> {
    tab.eval::<serde_json::Value>(&format!(
        "localStorage.setItem('kato.theme', '{name}'); document.documentElement.setAttribute('data-theme', '{name}'); true"
    ))
    .await?;
    tab.reload().await?;
    settle(tab).await
}

async fn settle(tab: &Tab) -> anyhow::Result<()> {
    tab.wait_connected(Duration::from_secs(20)).await?;
    // Let the first frames render and the charts draw (the app updates once a second).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    Ok(())
}

/// Opens the acknowledge form of the first firing alert on the Alerts page, fills it, shoots it, then sends it
/// (so the light-theme shots show the acknowledgement).
async fn ack_form(tab: &Tab) -> anyhow::Result<()> {
    const ENTRY: &str =
        "[data-testid=alert-history-page] [data-testid=history-entry]:has([data-testid=ack])";
    tab.click(&format!("{ENTRY} [data-testid=ack]")).await?;
    tab.eval::<serde_json::Value>(&format!(
        "(() => {{ const set = (f, v) => {{ const el = document.querySelector(\"{ENTRY} [data-testid=\" + f + \"]\"); \
         el.value = v; el.dispatchEvent(new Event('input', {{ bubbles: true }})); }}; \
         set('ack-by', 'ana (on call)'); set('ack-text', 'Known: KATO was redeployed at 14:02, watching it.'); \
         return true; }})()"
    ))
    .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    shot(tab, "alert-ack-form-dark", true).await?;
    tab.click(&format!("{ENTRY} [data-testid=ack-submit]"))
        .await?;
    tokio::time::sleep(Duration::from_millis(800)).await;
    Ok(())
}

async fn first_data_ms(stack: &Stack, warm: Option<&Browser>) -> anyhow::Result<(f64, f64)> {
    let owned;
    let browser = match warm {
        Some(b) => b,
        None => {
            owned = Browser::launch(1440, 900).await?;
            &owned
        }
    };
    let tab = browser.blank().await?;
    tab.on_new_document(FIRST_DATA_PROBE).await?;
    tab.goto(&stack.url("/")).await?;
    let first = wait_for(Duration::from_secs(20), "first data", || async {
        tab.eval::<Option<f64>>("window.__firstData").await
    })
    .await?;
    let wasm: f64 = tab
        .eval("performance.getEntriesByType('resource').filter(r => r.name.endsWith('.wasm')).map(r => r.responseEnd)[0] ?? 0")
        .await?;
    Ok((first, wasm))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    std::fs::create_dir_all(OUT)?;
    match std::env::args().nth(1).as_deref() {
        Some("knowledge-bases") => return kb::shoot().await,
        Some("fleet") => return fleet::shoot().await,
        Some("analytics") => return analytics::shoot().await,
        _ => {}
    }
    // Containers like a deployment's, on a real engine: KATO burning CPU, its stores idle, one stopped.
    let daemon = DockerDaemon::start().context("a Docker engine (apt-get install docker.io)")?;
    let mut containers = TestContainers::new(&daemon, "shots")?;
    let names = [
        containers.run_busy("kato")?,
        containers.run_idle("kato-redis")?,
        containers.run_idle("kato-mongodb")?,
        containers.run_stopped("kato-qdrant")?,
    ]
    .join(",");
    let stack = Stack::start_with_env(
        SimConfig {
            scenario: Scenario::Steady,
            traffic_rate: 6.0,
            ..SimConfig::idle(Flavour::V1)
        },
        &[
            ("DOCKER_HOST", daemon.host()),
            ("MONITORED_CONTAINERS", &names),
        ],
    )
    .await?;

    // Time to first data: fresh profile (cold cache) three times, then reloads of a warm tab.
    let mut cold = Vec::new();
    for _ in 0..3 {
        cold.push(first_data_ms(&stack, None).await?);
    }
    let warm_browser = Browser::launch(1440, 900).await?;
    first_data_ms(&stack, Some(&warm_browser)).await?;
    let mut warm = Vec::new();
    for _ in 0..3 {
        warm.push(first_data_ms(&stack, Some(&warm_browser)).await?);
    }
    warm_browser.close().await;
    println!(
        "first data on screen, cold (ms after navigation start; wasm downloaded at): {cold:?}"
    );
    println!("first data on screen, warm cache: {warm:?}");

    let browser = Browser::launch(1440, 900).await?;
    let tab = browser.open(&stack.url("/")).await?;
    theme(&tab, "dark").await?;
    // History for the charts (kept by the page: no reload until the dashboard is shot in both themes), a KATO
    // restart for the timeline, toasts and the alert history.
    tokio::time::sleep(Duration::from_secs(50)).await;
    stack.sim.restart(Duration::from_millis(2500));
    tokio::time::sleep(Duration::from_secs(10)).await;
    tab.click(".charts-head .segmented button:first-child")
        .await?;
    tokio::time::sleep(Duration::from_millis(600)).await;
    shot(&tab, "dashboard-dark", true).await?;
    tab.click("[aria-label='Switch to light theme']").await?;
    tokio::time::sleep(Duration::from_millis(600)).await;
    shot(&tab, "dashboard-light", true).await?;
    for mode in ["dark", "light"] {
        theme(&tab, mode).await?;
        tab.goto(&stack.url("/sessions")).await?;
        settle(&tab).await?;
        shot(&tab, &format!("sessions-{mode}"), false).await?;
        let first: Option<String> = tab
            .eval("document.querySelector('[data-testid=session-row]')?.dataset.sessionId ?? null")
            .await?;
        if let Some(id) = first {
            tab.goto(&stack.url(&format!("/sessions/{id}"))).await?;
            settle(&tab).await?;
            shot(&tab, &format!("session-detail-{mode}"), true).await?;
        }
        tab.goto(&stack.url("/alerts")).await?;
        settle(&tab).await?;
        shot(&tab, &format!("alerts-{mode}"), true).await?;
        if mode == "dark" {
            ack_form(&tab).await?;
        }
        tab.click("[data-testid=bell]").await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        shot(&tab, &format!("alert-drawer-{mode}"), false).await?;
    }
    // Phone width.
    tab.viewport(390, 844, true).await?;
    for mode in ["dark", "light"] {
        theme(&tab, mode).await?;
        tab.goto(&stack.url("/")).await?;
        settle(&tab).await?;
        shot(&tab, &format!("mobile-dashboard-{mode}"), true).await?;
        tab.goto(&stack.url("/sessions")).await?;
        settle(&tab).await?;
        shot(&tab, &format!("mobile-sessions-{mode}"), false).await?;
    }
    tab.click(".menu-btn").await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    shot(&tab, "mobile-nav-light", false).await?;
    browser.close().await;
    stack.stop().await;
    fleet::shoot().await?;
    analytics::shoot().await?;
    kb::shoot().await
}

//! The `screenshots` example's KATO fleet views: three kato-sim instances with steady traffic behind
//! `KATO_API_URLS` — one restarted, one refusing connections — shot on the Instances page (dark and light, and at
//! phone width), in an instance's drawer and on the Dashboard's fleet part; and the Instances page of a single KATO.

use std::time::Duration;

use kato_dashboard_e2e::{Browser, Stack, Tab, wait_for};
use kato_dashboard_sim::{Flavour, Scenario, SimConfig};

use super::fleet_support::Fleet;
use super::{settle, shot, theme};

const WAIT: Duration = Duration::from_secs(30);

async fn until(tab: &Tab, what: &str, js: &str) -> anyhow::Result<()> {
    wait_for(WAIT, what, || async {
        Ok(tab.eval::<bool>(js).await?.then_some(()))
    })
    .await
}

/// Dismisses the toasts, which would cover the page's top right.
async fn quiet(tab: &Tab) -> anyhow::Result<()> {
    tab.eval::<bool>(
        "document.querySelectorAll('[data-testid=toast-dismiss]').forEach(b => b.click()); true",
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(400)).await;
    Ok(())
}

/// The Instances page, then the drawer of `id`, in `mode` (`prefix` names the files).
async fn instances(
    tab: &Tab,
    fleet: &Fleet,
    id: &str,
    mode: &str,
    prefix: &str,
) -> anyhow::Result<()> {
    theme(tab, mode).await?;
    tab.goto(&fleet.url("/instances")).await?;
    settle(tab).await?;
    until(
        tab,
        "the instance rows",
        "document.querySelectorAll('[data-testid=instances-table] [data-testid=instance-row]').length === 3",
    )
    .await?;
    quiet(tab).await?;
    shot(tab, &format!("{prefix}instances-{mode}"), true).await?;
    tab.click(&format!(
        "[data-testid=instances-table] [data-instance=\"{id}\"] td:nth-child(3)"
    ))
    .await?;
    until(
        tab,
        "the instance's drawer",
        "document.querySelector('[data-testid=instance-drawer]')?.classList.contains('open')",
    )
    .await?;
    quiet(tab).await?;
    shot(tab, &format!("{prefix}instance-drawer-{mode}"), false).await
}

/// Every fleet shot.
pub async fn shoot() -> anyhow::Result<()> {
    let sim = |seed: u64, rate: f64| SimConfig {
        scenario: Scenario::Steady,
        traffic_rate: rate,
        seed,
        ..SimConfig::idle(Flavour::V1)
    };
    let fleet = Fleet::start(vec![sim(11, 6.0), sim(12, 3.5), sim(13, 9.0)]).await?;
    let browser = Browser::launch(1440, 900).await?;
    let tab = browser.open(&fleet.url("/")).await?;
    theme(&tab, "dark").await?;
    // A minute of history for the sparklines, then the incidents: the second restarts, the third stops answering.
    tokio::time::sleep(Duration::from_secs(45)).await;
    if let Some(s) = fleet.sim(1) {
        s.restart(Duration::from_millis(2500));
    }
    tokio::time::sleep(Duration::from_secs(15)).await;
    if let Some(s) = fleet.sim(2) {
        s.refuse(Duration::from_secs(600));
    }
    until(
        &tab,
        "2 of 3 instances healthy",
        "document.querySelector('[data-testid=fleet-healthy-value]')?.textContent.trim() === '2 of 3'",
    )
    .await?;
    tokio::time::sleep(Duration::from_secs(5)).await;
    quiet(&tab).await?;
    shot(&tab, "fleet-dashboard-dark", true).await?;
    let restarted = fleet.ids[1].clone();
    for mode in ["dark", "light"] {
        instances(&tab, &fleet, &restarted, mode, "").await?;
    }
    tab.viewport(390, 844, true).await?;
    instances(&tab, &fleet, &fleet.ids[2], "dark", "mobile-").await?;
    fleet.stop().await;
    // A single KATO: its one instance, from the aggregate figures, and how to watch a fleet.
    let single = Stack::start_with(sim(14, 4.0)).await?;
    tab.viewport(1440, 900, false).await?;
    tab.goto(&single.url("/instances")).await?;
    theme(&tab, "dark").await?;
    until(
        &tab,
        "the single instance",
        "document.querySelector('[data-testid=instance-row]')?.dataset.status === 'healthy'",
    )
    .await?;
    tokio::time::sleep(Duration::from_secs(4)).await;
    quiet(&tab).await?;
    shot(&tab, "instances-single-dark", false).await?;
    browser.close().await;
    single.stop().await;
    Ok(())
}

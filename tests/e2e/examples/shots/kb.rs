//! The `screenshots` example's KATO 3.x knowledge-base views: a v3 kato-sim in front of the real ClickHouse
//! engine, Redis and Qdrant loaded with KATO c584167's stores ([`KbStores`]); patterns, a pattern's drawer,
//! symbols, a symbol's drawer, statistics and the delete dry run, dark and light, desktop and phone width, and
//! the Databases overview in front of a v3 KATO.

use std::time::Duration;

use kato_dashboard_e2e::{Browser, KbStores, Stack, Tab, wait_for};

use super::{shot, theme};

const TOKEN: &str = "screenshots-admin-token";
const WAIT: Duration = Duration::from_secs(20);

async fn until(tab: &Tab, what: &str, js: &str) -> anyhow::Result<()> {
    wait_for(WAIT, what, || async {
        Ok(tab.eval::<bool>(js).await?.then_some(()))
    })
    .await
}

async fn open_kb(tab: &Tab, stack: &Stack, kb: &str) -> anyhow::Result<()> {
    tab.goto(&stack.url("/databases/clickhouse")).await?;
    until(
        tab,
        "the knowledge bases",
        "document.querySelectorAll('[data-testid=kb-card]').length === 5",
    )
    .await?;
    tab.click(&format!("[data-kb={kb}]")).await?;
    until(
        tab,
        "its patterns",
        "document.querySelectorAll('[data-testid=kb-patterns] tbody tr[data-name]').length > 0",
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(600)).await;
    Ok(())
}

async fn sub_tab(tab: &Tab, name: &str, ready: &str) -> anyhow::Result<()> {
    tab.click(&format!("[data-testid=kb-tab-{name}]")).await?;
    until(tab, name, &format!("!!document.querySelector({ready:?})")).await?;
    tokio::time::sleep(Duration::from_millis(800)).await;
    Ok(())
}

async fn escape(tab: &Tab) -> anyhow::Result<()> {
    tab.eval::<bool>("window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' })); true")
        .await?;
    tokio::time::sleep(Duration::from_millis(400)).await;
    Ok(())
}

/// Every knowledge-base view in `mode` at the current width (`prefix` names the files).
async fn views(tab: &Tab, stack: &Stack, mode: &str, prefix: &str) -> anyhow::Result<()> {
    theme(tab, mode).await?;
    open_kb(tab, stack, "sensor_alpha_kato").await?;
    shot(tab, &format!("{prefix}kb-patterns-{mode}"), true).await?;
    tab.click("[data-testid=kb-patterns] tbody tr").await?;
    until(
        tab,
        "the pattern",
        "!!document.querySelector('[data-testid=pattern-name]')",
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(600)).await;
    shot(tab, &format!("{prefix}kb-pattern-{mode}"), false).await?;
    escape(tab).await?;
    sub_tab(
        tab,
        "symbols",
        "[data-testid=kb-symbols] tbody tr[data-name]",
    )
    .await?;
    shot(tab, &format!("{prefix}kb-symbols-{mode}"), true).await?;
    tab.click("[data-testid=kb-symbols] tbody tr").await?;
    until(
        tab,
        "the affinity",
        "!!document.querySelector('[data-testid=symbol-affinity]')",
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(600)).await;
    shot(tab, &format!("{prefix}kb-symbol-{mode}"), false).await?;
    escape(tab).await?;
    sub_tab(tab, "statistics", "[data-testid=kb-coverage]").await?;
    shot(tab, &format!("{prefix}kb-statistics-{mode}"), true).await?;
    // The delete as an admin sees it: after the dry run.
    tab.eval::<bool>(&format!(
        "localStorage.setItem('kato.admin_token', '{TOKEN}'); true"
    ))
    .await?;
    theme(tab, mode).await?;
    open_kb(tab, stack, "planner_kato").await?;
    sub_tab(tab, "delete", "[data-testid=kb-dry-run]").await?;
    tab.click("[data-testid=kb-dry-run]").await?;
    until(
        tab,
        "the dry run",
        "!!document.querySelector('[data-testid=kb-plan]')",
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(600)).await;
    shot(tab, &format!("{prefix}kb-delete-{mode}"), true).await?;
    tab.eval::<bool>("localStorage.removeItem('kato.admin_token'); true")
        .await?;
    Ok(())
}

/// Shoots the knowledge-base views into `docs/screenshots/databases-kb-*.png` and `mobile-databases-kb-*.png`.
pub async fn shoot() -> anyhow::Result<()> {
    let kbs = KbStores::start()?;
    let admin = [("ADMIN_TOKEN", TOKEN), ("DATABASE_READ_ONLY", "false")];
    let stack = Stack::start_v3_with_kbs(&kbs, &admin).await?;
    let browser = Browser::launch(1440, 900).await?;
    let tab = browser.open(&stack.url("/databases")).await?;
    // The stores of a KATO 3.x: its knowledge bases instead of MongoDB.
    theme(&tab, "dark").await?;
    until(
        &tab,
        "the stores",
        "!!document.querySelector('[data-testid=store-ClickHouse]')",
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(800)).await;
    shot(&tab, "databases-v3-dark", true).await?;
    for mode in ["dark", "light"] {
        views(&tab, &stack, mode, "databases-").await?;
    }
    tab.viewport(390, 844, true).await?;
    for mode in ["dark", "light"] {
        views(&tab, &stack, mode, "mobile-databases-").await?;
    }
    browser.close().await;
    stack.stop().await;
    Ok(())
}

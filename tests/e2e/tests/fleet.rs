//! A KATO fleet in the browser: three kato-sim instances behind `KATO_API_URLS`, the Dashboard's "N of M healthy"
//! figure and instance table, one instance killed (its row turns unreachable, the timeline names it), and the
//! Instances page with its filter, sort and an instance's drawer. And a single KATO: the Dashboard shows no fleet
//! part, the Instances page shows that one KATO with the note on how to watch a fleet.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fleet_support;

use std::time::Duration;

use fleet_support::Fleet;
use kato_dashboard_e2e::{Browser, Stack, Tab, exclusive, wait_for};
use kato_dashboard_sim::{Flavour, SimConfig};

const LOAD: Duration = Duration::from_secs(20);

/// Waits until `js` (an expression) is true.
async fn until(tab: &Tab, what: &str, js: &str) {
    wait_for(LOAD, what, || async {
        Ok(tab.eval::<bool>(js).await?.then_some(()))
    })
    .await
    .unwrap();
}

/// `data-status` of each row of the table `table` (a `data-testid`), by instance id, in row order.
async fn rows(tab: &Tab, table: &str) -> Vec<(String, String)> {
    tab.eval(&format!(
        "[...document.querySelectorAll('[data-testid={table}] [data-testid=instance-row]')]\
         .map(r => [r.dataset.instance, r.dataset.status])"
    ))
    .await
    .unwrap()
}

fn sims() -> Vec<SimConfig> {
    (0..3)
        .map(|i| SimConfig {
            seed: 7 + i,
            ..SimConfig::idle(Flavour::V1)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_shows_every_instance_and_the_one_that_goes_down() {
    let _gate = exclusive().await;
    let mut fleet = Fleet::start(sims()).await.unwrap();
    let ids = fleet.ids.clone();
    let browser = Browser::launch(1440, 1000).await.unwrap();
    let tab = browser.open(&fleet.url("/")).await.unwrap();
    tab.wait_connected(LOAD).await.unwrap();

    until(
        &tab,
        "3 of 3 instances healthy",
        "document.querySelector('[data-testid=fleet-healthy-value]')?.textContent.trim() === '3 of 3'",
    )
    .await;
    wait_for(LOAD, "three healthy rows", || async {
        let r = rows(&tab, "fleet-table").await;
        Ok((r.len() == 3 && r.iter().all(|(_, s)| s == "healthy")).then_some(r))
    })
    .await
    .unwrap();
    let shown: Vec<String> = rows(&tab, "fleet-table")
        .await
        .into_iter()
        .map(|r| r.0)
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(shown, sorted, "one row per instance, in id order");

    // One instance dies: its row says so, the figure drops, the timeline names it.
    let dead = ids[1].clone();
    fleet.kill(1).await;
    until(
        &tab,
        "the killed instance's row to turn unreachable",
        &format!(
            "document.querySelector('[data-testid=fleet-table] [data-instance=\"{dead}\"]')?.dataset.status === 'unreachable'"
        ),
    )
    .await;
    until(
        &tab,
        "2 of 3 instances healthy",
        "document.querySelector('[data-testid=fleet-healthy-value]')?.textContent.trim() === '2 of 3'",
    )
    .await;
    let others: Vec<String> = rows(&tab, "fleet-table")
        .await
        .into_iter()
        .filter(|r| r.0 != dead)
        .map(|r| r.1)
        .collect();
    assert_eq!(others, vec!["healthy", "healthy"]);
    until(
        &tab,
        "the timeline to name the instance",
        &format!(
            "[...document.querySelectorAll('[data-testid=kato-timeline] .tl-text')].some(e => e.textContent.startsWith('{dead} · Unreachable'))"
        ),
    )
    .await;

    // Its row leads to the Instances page, with its drawer open.
    tab.click(&format!(
        "[data-testid=fleet-table] [data-instance=\"{dead}\"] a"
    ))
    .await
    .unwrap();
    until(
        &tab,
        "the instance's drawer",
        &format!(
            "location.pathname === '/instances' && document.querySelector('[data-testid=instance-drawer]')?.classList.contains('open') \
             && document.querySelector('[data-testid=instance-detail]')?.dataset.instance === '{dead}'"
        ),
    )
    .await;
    until(
        &tab,
        "the drawer to say why and list its outage",
        "document.querySelector('[data-testid=instance-detail] .banner')?.textContent.includes('Unreachable') \
         && [...document.querySelectorAll('[data-testid=instance-events] .tl-text')].some(e => e.textContent.startsWith('Unreachable'))",
    )
    .await;
    assert_eq!(
        tab.text("[data-testid=instances-healthy-value]")
            .await
            .unwrap()
            .as_deref(),
        Some("2 of 3")
    );
    assert_eq!(rows(&tab, "instances-table").await.len(), 3);

    // Escape closes the drawer; the filter and the sort work on the live rows.
    tab.eval::<bool>("window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' })); true")
        .await
        .unwrap();
    until(
        &tab,
        "the drawer to close",
        "!document.querySelector('[data-testid=instance-drawer]').classList.contains('open') && location.search === ''",
    )
    .await;
    tab.click("[data-testid=instance-filter] button:nth-child(3)")
        .await
        .unwrap();
    until(
        &tab,
        "only the unreachable instance",
        &format!(
            "(() => {{ const r = [...document.querySelectorAll('[data-testid=instances-table] [data-testid=instance-row]')]; \
             return r.length === 1 && r[0].dataset.instance === '{dead}'; }})()"
        ),
    )
    .await;
    tab.click("[data-testid=instance-filter] button:nth-child(1)")
        .await
        .unwrap();
    until(
        &tab,
        "all three again",
        "document.querySelectorAll('[data-testid=instances-table] [data-testid=instance-row]').length === 3",
    )
    .await;
    // The table opens sorted by instance, A to Z; a click on that header turns it to Z to A.
    let order = |r: Vec<(String, String)>| r.into_iter().map(|r| r.0).collect::<Vec<_>>();
    assert_eq!(order(rows(&tab, "instances-table").await), sorted);
    tab.click("[data-testid=instances-table] th:nth-child(2) button")
        .await
        .unwrap();
    let mut reversed = sorted.clone();
    reversed.reverse();
    wait_for(LOAD, "the order to reverse", || async {
        Ok((order(rows(&tab, "instances-table").await) == reversed).then_some(()))
    })
    .await
    .unwrap();
    assert_eq!(
        tab.eval::<String>("document.querySelector('[data-testid=instances-table] th:nth-child(2)').getAttribute('aria-sort')")
            .await
            .unwrap(),
        "descending"
    );

    browser.close().await;
    fleet.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_kato_keeps_its_dashboard_and_is_one_instance() {
    let _gate = exclusive().await;
    let stack = Stack::start().await.unwrap();
    let browser = Browser::launch(1440, 1000).await.unwrap();
    let tab = browser.open(&stack.url("/")).await.unwrap();
    tab.wait_connected(LOAD).await.unwrap();
    until(
        &tab,
        "KATO's status",
        "document.querySelector('[data-testid=kato-status-value]')?.textContent.trim() === 'Healthy'",
    )
    .await;
    assert_eq!(tab.count("[data-testid=fleet-healthy]").await.unwrap(), 0);
    assert_eq!(tab.count("[data-testid=fleet-table]").await.unwrap(), 0);

    tab.click("a.nav-link[href='/instances']").await.unwrap();
    until(
        &tab,
        "the one instance, healthy",
        "(() => { const r = [...document.querySelectorAll('[data-testid=instances-table] [data-testid=instance-row]')]; \
         return r.length === 1 && r[0].dataset.status === 'healthy'; })()",
    )
    .await;
    let note = tab.text(".page.instances .banner").await.unwrap();
    assert!(
        note.as_deref()
            .is_some_and(|n| n.contains("KATO_API_URLS") && n.contains("KATO_DISCOVERY")),
        "{note:?}"
    );
    assert_eq!(
        tab.text("[data-testid=instances-healthy-value]")
            .await
            .unwrap()
            .as_deref(),
        Some("1 of 1")
    );
    tab.click("[data-testid=instances-table] [data-testid=instance-row] td:nth-child(3)")
        .await
        .unwrap();
    until(
        &tab,
        "its drawer with the aggregate figures",
        "document.querySelector('[data-testid=instance-drawer]')?.classList.contains('open') \
         && !!document.querySelector('[data-testid=instance-detail] .inst-facts')",
    )
    .await;
    browser.close().await;
    stack.stop().await;
}

//! The web app in a real browser (headless Debian Chromium) against the real server and kato-sim on loopback.
//!
//! Needs the built app (`./dashboard.sh build`); without it every test fails with that instruction. Browser tests
//! run one at a time (see `exclusive`), and every wait has a deadline.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use kato_dashboard_e2e::{Browser, Stack, Tab, exclusive, wait_for};

const LOAD: Duration = Duration::from_secs(20);

/// Opens `path` and waits until the socket is open and KATO's first reading is on screen.
async fn open_live(browser: &Browser, stack: &Stack, path: &str) -> anyhow::Result<Tab> {
    let tab = browser.open(&stack.url(path)).await?;
    tab.wait_connected(LOAD).await?;
    Ok(tab)
}

async fn conn_state(tab: &Tab) -> anyhow::Result<Option<String>> {
    tab.eval("document.querySelector('[data-testid=conn-status]')?.dataset.state ?? null")
        .await
}

/// The sub-line of the requests card ("N requests in total"): changes with every KATO reading.
async fn total_requests(tab: &Tab) -> anyhow::Result<Option<String>> {
    Ok(tab
        .text("[data-testid=rps] .stat-sub")
        .await?
        .filter(|t| !t.is_empty()))
}

async fn toast_keys(tab: &Tab) -> anyhow::Result<Vec<String>> {
    tab.eval("[...document.querySelectorAll('[data-testid=toast]')].map(t => t.dataset.key)")
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_loads_and_its_numbers_change_live() {
    let _gate = exclusive().await;
    let stack = Stack::start().await.unwrap();
    let browser = Browser::launch(1440, 1000).await.unwrap();
    let tab = open_live(&browser, &stack, "/").await.unwrap();
    assert_eq!(
        tab.eval::<String>("document.title").await.unwrap(),
        "KATO Dashboard"
    );
    // The first reading may come before KATO's /health answer ("Up"); then its status shows.
    wait_for(LOAD, "KATO's status", || async {
        Ok(tab
            .text("[data-testid=kato-status-value]")
            .await?
            .filter(|s| s == "Healthy"))
    })
    .await
    .unwrap();
    let first = wait_for(LOAD, "the request counter", || total_requests(&tab))
        .await
        .unwrap();
    // The dashboard's own polls move KATO's counter: the figure must change without a reload.
    let changed = wait_for(
        Duration::from_secs(10),
        "the request counter to change",
        || async { Ok(total_requests(&tab).await?.filter(|t| *t != first)) },
    )
    .await
    .unwrap();
    assert_ne!(changed, first);
    let processors = tab.text("[data-testid=processors-value]").await.unwrap();
    assert!(processors.is_some_and(|p| p != "—"));
    // Charts draw from the live history.
    wait_for(LOAD, "a chart line", || async {
        Ok((tab.count(".chart .series .line[d^='M']").await? > 0).then_some(()))
    })
    .await
    .unwrap();
    // Docker is off in this setup: said plainly, with the reason, not shown as zeros or as an outage.
    let containers = wait_for(
        LOAD,
        "the containers panel to say why it is empty",
        || async {
            Ok(tab
                .text("[data-testid=containers]")
                .await?
                .filter(|t| t.contains("Container monitoring is off on this server")))
        },
    )
    .await
    .unwrap();
    assert!(!containers.contains("0 running"), "{containers}");
    assert!(containers.contains("DOCKER_ENABLED=false"), "{containers}");
    assert!(!containers.contains("Docker unavailable"), "{containers}");
    browser.close().await;
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_created_in_kato_appears_in_the_table_within_a_second() {
    let _gate = exclusive().await;
    let stack = Stack::start().await.unwrap();
    let browser = Browser::launch(1440, 1000).await.unwrap();
    let tab = open_live(&browser, &stack, "/sessions").await.unwrap();
    wait_for(LOAD, "the first page of sessions", || async {
        Ok(tab
            .text("[data-testid=sessions-range]")
            .await?
            .filter(|t| !t.is_empty()))
    })
    .await
    .unwrap();
    let started = Instant::now();
    let id = stack
        .sim
        .create_session("e2e-node", Some(600))
        .await
        .unwrap();
    let row = format!("tr[data-session-id='{id}']");
    wait_for(Duration::from_secs(1), "the new session's row", || async {
        Ok((tab.count(&row).await? == 1).then_some(()))
    })
    .await
    .unwrap();
    let latency = started.elapsed();
    assert!(latency <= Duration::from_secs(1), "took {latency:?}");
    eprintln!("session.created → row on screen: {latency:?}");
    assert_eq!(
        tab.count(&format!("{row}.row-new")).await.unwrap(),
        1,
        "new rows are highlighted"
    );
    // The refetch fills in what the event did not carry (the expiry countdown).
    wait_for(
        Duration::from_secs(5),
        "the row's TTL countdown",
        || async {
            let text = tab.text(&format!("{row} td:nth-child(4)")).await?;
            Ok(text.filter(|t| t.contains('m') && t != "—"))
        },
    )
    .await
    .unwrap();
    // Destroyed: marked at once, then gone.
    assert!(stack.sim.delete_session(&id).await.unwrap());
    wait_for(
        Duration::from_secs(1),
        "the deleted row to be marked",
        || async { Ok((tab.count(&format!("{row}.row-leaving")).await? == 1).then_some(())) },
    )
    .await
    .unwrap();
    wait_for(Duration::from_secs(6), "the deleted row to go", || async {
        Ok((tab.count(&row).await? == 0).then_some(()))
    })
    .await
    .unwrap();
    // A deep link to a session is served by the app (SPA fallback) and shows it.
    let other = stack
        .sim
        .create_session("e2e-node", Some(600))
        .await
        .unwrap();
    tab.goto(&stack.url(&format!("/sessions/{other}")))
        .await
        .unwrap();
    let shown = wait_for(LOAD, "the session detail", || async {
        tab.text("[data-testid=session-id]").await
    })
    .await
    .unwrap();
    assert_eq!(shown, other);
    wait_for(LOAD, "the TTL countdown", || async {
        Ok(tab
            .text("[data-testid=ttl] .big")
            .await?
            .filter(|t| t.ends_with('s')))
    })
    .await
    .unwrap();
    browser.close().await;
    stack.stop().await;
}

/// Resolved `kato_unreachable` alerts in the history: outages that are fully over.
async fn recoveries_in_history(tab: &Tab) -> anyhow::Result<usize> {
    tab.count(
        "[data-testid=alert-drawer] [data-testid=history-entry][data-kind=kato_unreachable][data-state=resolved]",
    )
    .await
}

/// Keys of the visible toasts about `kind`.
async fn toasts_about(tab: &Tab, kind: &str) -> anyhow::Result<Vec<String>> {
    tab.eval(&format!(
        "[...document.querySelectorAll('[data-testid=toast][data-kind={kind}]')].map(t => t.dataset.key)"
    ))
    .await
}

/// Makes KATO restart (down, back, counters reset): the dashboard emits unreachable/reachable/restarted events.
async fn kato_restart(stack: &Stack) {
    stack.sim.restart(Duration::from_millis(1500));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dismissed_toast_stays_dismissed_after_more_events_and_a_reload() {
    let _gate = exclusive().await;
    let stack = Stack::start().await.unwrap();
    let browser = Browser::launch(1440, 1000).await.unwrap();
    let tab = open_live(&browser, &stack, "/").await.unwrap();
    kato_restart(&stack).await;
    let key = wait_for(LOAD, "a toast about KATO", || async {
        Ok(toasts_about(&tab, "kato_unreachable")
            .await?
            .into_iter()
            .next())
    })
    .await
    .unwrap();
    let selector = format!("[data-testid=toast][data-key='{key}'] [data-testid=toast-dismiss]");
    tab.click(&selector).await.unwrap();
    wait_for(Duration::from_secs(2), "the toast to go", || async {
        Ok((!toast_keys(&tab).await?.contains(&key)).then_some(()))
    })
    .await
    .unwrap();
    // More events: new toasts come, the dismissed one does not. (The restart is seen once KATO answers again.)
    wait_for(LOAD, "the first restart to be complete", || async {
        Ok((recoveries_in_history(&tab).await? >= 1).then_some(()))
    })
    .await
    .unwrap();
    kato_restart(&stack).await;
    let before: Vec<String> = toast_keys(&tab).await.unwrap();
    wait_for(LOAD, "a toast about the second outage", || async {
        Ok(toasts_about(&tab, "kato_unreachable")
            .await?
            .into_iter()
            .find(|k| *k != key && !before.contains(k)))
    })
    .await
    .unwrap();
    assert!(!toast_keys(&tab).await.unwrap().contains(&key));
    // Both outages fully seen (down, back) before reloading.
    wait_for(LOAD, "both restarts in the history", || async {
        Ok((recoveries_in_history(&tab).await? >= 2).then_some(()))
    })
    .await
    .unwrap();
    let seen: Vec<String> = tab
        .eval("[...document.querySelectorAll('[data-testid=alert-drawer] [data-testid=history-entry]')].map(e => e.dataset.key)")
        .await
        .unwrap();
    // A reload replays the server's recent events: none of them toasts again.
    tab.reload().await.unwrap();
    tab.wait_connected(LOAD).await.unwrap();
    // The timeline is not stored: it fills from the server's replay of its recent KATO events.
    wait_for(LOAD, "the replayed KATO events", || async {
        let n = tab.count("[data-testid=kato-timeline] li.tl").await?;
        Ok((n >= 4).then_some(n))
    })
    .await
    .unwrap();
    let back: Vec<String> = toast_keys(&tab)
        .await
        .unwrap()
        .into_iter()
        .filter(|k| seen.contains(k))
        .collect();
    assert!(
        back.is_empty(),
        "toasts came back after the reload: {back:?}"
    );
    browser.close().await;
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_state_survives_a_reload() {
    let _gate = exclusive().await;
    let stack = Stack::start().await.unwrap();
    let browser = Browser::launch(1440, 1000).await.unwrap();
    let tab = open_live(&browser, &stack, "/alerts").await.unwrap();
    kato_restart(&stack).await;
    let unread = || async {
        let text: String = tab
            .eval("document.querySelector('[data-testid=unread-badge]')?.textContent.trim() ?? '0'")
            .await?;
        Ok::<_, anyhow::Error>(text.parse::<usize>().unwrap_or(0))
    };
    // The restart alert and the outage's alerts, all unread. (Marking an alert read covers all its events, so
    // the restart alert is the one marked: the outage's entries stay unread.)
    const UNREAD: &str =
        "[data-testid=alert-history-page] [data-testid=history-entry][data-read=false]";
    wait_for(LOAD, "unread restart and outage alerts", || async {
        let restarted = tab
            .count(&format!("{UNREAD}[data-kind=kato_restarted]"))
            .await?;
        let outage = tab
            .count(&format!("{UNREAD}[data-kind=kato_unreachable]"))
            .await?;
        Ok((restarted >= 1 && outage >= 1).then_some(()))
    })
    .await
    .unwrap();
    let key: String = tab
        .eval(&format!(
            "document.querySelector('{UNREAD}[data-kind=kato_restarted]').dataset.key"
        ))
        .await
        .unwrap();
    let entry =
        format!("[data-testid=alert-history-page] [data-testid=history-entry][data-key='{key}']");
    tab.click(&format!("{entry} [data-testid=mark-read]"))
        .await
        .unwrap();
    wait_for(Duration::from_secs(2), "the entry to be read", || async {
        Ok((tab.count(&format!("{entry}[data-read=true]")).await? == 1).then_some(()))
    })
    .await
    .unwrap();
    let unread_before = unread().await.unwrap();
    assert!(unread_before >= 1, "the other entries are still unread");
    tab.reload().await.unwrap();
    tab.wait_connected(LOAD).await.unwrap();
    wait_for(LOAD, "the entry, still read, after the reload", || async {
        Ok((tab.count(&format!("{entry}[data-read=true]")).await? == 1).then_some(()))
    })
    .await
    .unwrap();
    assert_eq!(unread().await.unwrap(), unread_before);
    // Mark all read, reload: nothing unread, the badge is gone.
    tab.click("[data-testid=alert-history-page] [data-testid=mark-all-read]")
        .await
        .unwrap();
    wait_for(Duration::from_secs(2), "the badge to go", || async {
        Ok((tab.count("[data-testid=unread-badge]").await? == 0).then_some(()))
    })
    .await
    .unwrap();
    tab.reload().await.unwrap();
    tab.wait_connected(LOAD).await.unwrap();
    assert_eq!(tab.count("[data-testid=unread-badge]").await.unwrap(), 0);
    browser.close().await;
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_recovers_after_a_server_restart() {
    let _gate = exclusive().await;
    let mut stack = Stack::start().await.unwrap();
    let browser = Browser::launch(1440, 1000).await.unwrap();
    let tab = open_live(&browser, &stack, "/").await.unwrap();
    wait_for(LOAD, "the request counter", || total_requests(&tab))
        .await
        .unwrap();
    let addr = stack.stop_dashboard().await.unwrap();
    wait_for(
        Duration::from_secs(5),
        "the indicator to say the connection is lost",
        || async { Ok(conn_state(&tab).await?.filter(|s| s != "open")) },
    )
    .await
    .unwrap();
    stack.start_dashboard(addr).await.unwrap();
    // The browser reconnects to the new server on its own (backoff, then resume).
    tab.wait_connected(Duration::from_secs(40)).await.unwrap();
    let after = wait_for(LOAD, "the request counter after the restart", || {
        total_requests(&tab)
    })
    .await
    .unwrap();
    wait_for(Duration::from_secs(10), "data to flow again", || async {
        Ok(total_requests(&tab).await?.filter(|t| *t != after))
    })
    .await
    .unwrap();
    browser.close().await;
    stack.stop().await;
}

/// Points drawn by the CPU chart's line (`M`/`L` commands of its path).
async fn cpu_chart_points(tab: &Tab) -> anyhow::Result<usize> {
    tab.eval(
        "(document.querySelector('figure.chart[aria-label=\"CPU usage\"] path.line')?.getAttribute('d') ?? '')\
         .split(/[ML]/).length - 1",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_reload_the_charts_show_the_last_minutes_at_once() {
    let _gate = exclusive().await;
    let stack = Stack::start().await.unwrap();
    let browser = Browser::launch(1440, 1000).await.unwrap();
    let tab = open_live(&browser, &stack, "/").await.unwrap();
    // KATO is read every 0.5 s here: 8 s of history is about 16 readings.
    wait_for(LOAD, "a chart with history", || async {
        Ok((cpu_chart_points(&tab).await? >= 14).then_some(()))
    })
    .await
    .unwrap();
    let reloaded = Instant::now();
    tab.reload().await.unwrap();
    let points = wait_for(LOAD, "the chart drawn again", || async {
        Ok(Some(cpu_chart_points(&tab).await?).filter(|n| *n >= 12))
    })
    .await
    .unwrap();
    let took = reloaded.elapsed();
    // Live readings alone would need 6 s for 12 points: the history came from the server.
    assert!(
        took < Duration::from_secs(3),
        "{points} points only after {took:?}"
    );
    browser.close().await;
    stack.stop().await;
}

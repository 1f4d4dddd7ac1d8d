//! Container alerts in a real browser: a CPU-burning container on a real Docker engine raises a toast and an
//! alert-history entry, and killing it resolves the alert on screen.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use kato_dashboard_e2e::{Browser, Stack, Tab, exclusive, wait_for};
use kato_dashboard_sim::{Flavour, SimConfig};
use kato_dashboard_testkit::{DockerDaemon, TestContainers};

const LOAD: Duration = Duration::from_secs(20);

/// `[text of each toast]`.
async fn toasts(tab: &Tab) -> anyhow::Result<Vec<String>> {
    tab.eval("[...document.querySelectorAll('[data-testid=toast]')].map(t => t.textContent)")
        .await
}

/// `[(state, text)]` of the alert-history entries in the drawer.
async fn history(tab: &Tab) -> anyhow::Result<Vec<(String, String)>> {
    tab.eval(
        "[...document.querySelectorAll('[data-testid=alert-drawer] [data-testid=history-entry]')]\
         .map(e => [e.querySelector('.entry-top .pill')?.textContent ?? '', e.textContent])",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cpu_burning_container_raises_a_toast_and_a_history_entry_then_resolves() {
    let _gate = exclusive().await;
    let daemon = DockerDaemon::start().expect("a Docker engine (apt-get install docker.io)");
    let mut containers = TestContainers::new(&daemon, "e2e").unwrap();
    let busy = containers.run_busy("burner").unwrap();
    let stack = Stack::start_with_env(
        SimConfig::idle(Flavour::V1),
        &[
            ("DOCKER_HOST", daemon.host()),
            ("MONITORED_CONTAINERS", &busy),
            // `yes` burns a whole core: far above 30 %. It resolves only below 1 % (killed), so a `yes` starved by
            // other work on a busy machine is not taken for a resolve.
            (
                "ALERT_RULES",
                "container_cpu.fire=30,container_cpu.clear=1,container_cpu.critical=none,\
                 container_cpu.pending=1,high_cpu.enabled=false",
            ),
        ],
    )
    .await
    .unwrap();
    let browser = Browser::launch(1440, 1000).await.unwrap();
    let tab = browser.open(&stack.url("/")).await.unwrap();

    // The container's card shows it running, then the alert toasts.
    wait_for(LOAD, "the container's card", || async {
        let text: Option<String> = tab.eval("document.body.textContent").await?;
        Ok(text.filter(|t| t.contains(busy.as_str())).map(|_| ()))
    })
    .await
    .unwrap();
    let started = Instant::now();
    let toast = wait_for(
        Duration::from_secs(30),
        "a CPU toast for the container",
        || async {
            Ok(toasts(&tab)
                .await?
                .into_iter()
                .find(|t| t.contains(busy.as_str()) && t.to_lowercase().contains("cpu")))
        },
    )
    .await
    .unwrap();
    eprintln!(
        "figure: page open → CPU toast {:?}: {toast}",
        started.elapsed()
    );

    tab.click("[data-testid=bell]").await.unwrap();
    wait_for(LOAD, "a firing entry in the alert history", || async {
        Ok(history(&tab)
            .await?
            .into_iter()
            .find(|(state, text)| state == "firing" && text.contains(busy.as_str())))
    })
    .await
    .unwrap();

    // Killed: the alert resolves, on screen.
    containers.kill(&busy).unwrap();
    wait_for(
        Duration::from_secs(20),
        "a resolved entry in the alert history",
        || async {
            Ok(history(&tab)
                .await?
                .into_iter()
                .find(|(state, text)| state == "resolved" && text.contains(busy.as_str())))
        },
    )
    .await
    .unwrap();
    browser.close().await;
    stack.stop().await;
}

//! Silences in the browser: without the admin token "Silence 1h" is refused with the server's reason and nothing
//! is silenced; with it, the silence appears on the Alerts page of every tab (the server's `alert_update` makes
//! them refetch), and "Expire now" removes it from every tab.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use kato_dashboard_e2e::{Browser, Stack, Tab, exclusive, wait_for};
use kato_dashboard_sim::{Flavour, SimConfig};

const LOAD: Duration = Duration::from_secs(20);
const TOKEN: &str = "e2e-silence-token";
const FIRING: &str = "[data-testid=alert-history-page] [data-testid=history-entry][data-key*='kato_restarted']:has([data-testid=silence])";
const SILENCE: &str = "[data-testid=silences] [data-testid=silence-entry]";

async fn open(browser: &Browser, stack: &Stack) -> Tab {
    let tab = browser.open(&stack.url("/alerts")).await.unwrap();
    tab.wait_connected(LOAD).await.unwrap();
    tab
}

async fn dismiss_toasts(tab: &Tab) {
    wait_for(Duration::from_secs(5), "no toast left", || async {
        let left: usize = tab
            .eval(
                "(() => { document.querySelectorAll('[data-testid=toast-dismiss]').forEach(b => b.click()); \
                 return document.querySelectorAll('[data-testid=toast]').length; })()",
            )
            .await?;
        Ok((left == 0).then_some(()))
    })
    .await
    .unwrap();
}

async fn silences(tab: &Tab) -> usize {
    tab.count(SILENCE).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_silence_an_alert_and_expire_the_silence_in_every_tab() {
    let _gate = exclusive().await;
    let env = [("ADMIN_TOKEN", TOKEN)];
    let stack = Stack::start_with_env(SimConfig::idle(Flavour::V1), &env)
        .await
        .unwrap();
    let browser = Browser::launch(1440, 1000).await.unwrap();
    let a = open(&browser, &stack).await;
    let b = open(&browser, &stack).await;
    // A firing server-side alert to silence: KATO restarts.
    tokio::time::sleep(Duration::from_secs(2)).await;
    stack.sim.restart(Duration::from_millis(1500));
    wait_for(LOAD, "the kato_restarted alert in tab A", || async {
        Ok((a.count(FIRING).await? == 1).then_some(()))
    })
    .await
    .unwrap();
    assert_eq!(silences(&a).await, 0);

    // No token in this browser: refused, with the server's reason, and nothing is silenced. (The alerts' own
    // toasts are dismissed first: only a few show at once.)
    dismiss_toasts(&a).await;
    a.click(&format!("{FIRING} [data-testid=silence]"))
        .await
        .unwrap();
    let refusal = wait_for(Duration::from_secs(5), "the refusal toast", || async {
        a.text("[data-testid=toast].tone-bad[data-key^='silence/']")
            .await
    })
    .await
    .unwrap();
    assert!(
        refusal.to_lowercase().contains("token"),
        "the toast says why: {refusal}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(silences(&a).await, 0, "a refused silence is not listed");

    // With the token: the silence shows in both tabs.
    a.eval::<bool>(&format!(
        "localStorage.setItem('kato.admin_token', '{TOKEN}'); true"
    ))
    .await
    .unwrap();
    a.reload().await.unwrap();
    a.wait_connected(LOAD).await.unwrap();
    wait_for(LOAD, "the alert after the reload", || async {
        Ok((a.count(FIRING).await? == 1).then_some(()))
    })
    .await
    .unwrap();
    dismiss_toasts(&a).await;
    a.click(&format!("{FIRING} [data-testid=silence]"))
        .await
        .unwrap();
    for (tab, name) in [(&a, "A"), (&b, "B")] {
        let what = format!("the silence in tab {name}");
        let text = wait_for(Duration::from_secs(5), &what, || async {
            tab.text(SILENCE).await
        })
        .await
        .unwrap();
        assert!(
            text.contains("type=kato_restarted"),
            "its matchers are shown: {text}"
        );
        assert!(text.contains("until "), "and when it ends: {text}");
    }
    let ok = a
        .text("[data-testid=toast].tone-ok[data-key^='silence/']")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(ok.contains("Silenced for 1 hour"), "{ok}");

    // Expire it from tab A: gone from both.
    a.click(&format!("{SILENCE} [data-testid=expire-silence]"))
        .await
        .unwrap();
    for (tab, name) in [(&a, "A"), (&b, "B")] {
        let what = format!("the silence gone from tab {name}");
        wait_for(Duration::from_secs(5), &what, || async {
            Ok((tab.count(SILENCE).await? == 0).then_some(()))
        })
        .await
        .unwrap();
    }
    browser.close().await;
    stack.stop().await;
}

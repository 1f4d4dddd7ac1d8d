//! The alert engine in the browser: a server-side alert (KATO restarted) marked read and acknowledged (with a
//! name and a comment, in the form under the entry) in one tab shows read and acknowledged, by whom and why, in
//! another tab at once (the server's `alert_update`), and after a reload (the server's history).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use kato_dashboard_e2e::{Browser, Stack, Tab, exclusive, wait_for};

const LOAD: Duration = Duration::from_secs(20);
const SERVER_ALERT: &str =
    "[data-testid=alert-history-page] [data-testid=history-entry][data-key^='alert/']";

async fn open(browser: &Browser, stack: &Stack) -> Tab {
    let tab = browser.open(&stack.url("/alerts")).await.unwrap();
    tab.wait_connected(LOAD).await.unwrap();
    tab
}

async fn count(tab: &Tab, selector: &str) -> usize {
    tab.count(selector).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_and_acknowledge_reach_every_tab_and_survive_a_reload() {
    let _gate = exclusive().await;
    let stack = Stack::start().await.unwrap();
    let browser = Browser::launch(1440, 1000).await.unwrap();
    let a = open(&browser, &stack).await;
    let b = open(&browser, &stack).await;
    // Let the dashboard see KATO alive once, then restart it: the engine fires `kato_restarted`.
    tokio::time::sleep(Duration::from_secs(2)).await;
    stack.sim.restart(Duration::from_millis(1500));
    let key: String = wait_for(LOAD, "the server's kato_restarted alert in tab A", || async {
        a.eval(&format!(
            "document.querySelector(\"{SERVER_ALERT}[data-key*='kato_restarted']\")?.dataset.key ?? null"
        ))
        .await
    })
    .await
    .unwrap();
    let entry =
        format!("[data-testid=alert-history-page] [data-testid=history-entry][data-key='{key}']");
    wait_for(LOAD, "the same alert in tab B", || async {
        Ok((b.count(&entry).await? == 1).then_some(()))
    })
    .await
    .unwrap();
    assert_eq!(count(&b, &format!("{entry}[data-read=false]")).await, 1);

    a.click(&format!("{entry} [data-testid=mark-read]"))
        .await
        .unwrap();
    wait_for(Duration::from_secs(5), "tab B to show it read", || async {
        Ok((b.count(&format!("{entry}[data-read=true]")).await? == 1).then_some(()))
    })
    .await
    .unwrap();
    // Acknowledge with a name and a comment: the form under the entry.
    a.click(&format!("{entry} [data-testid=ack]"))
        .await
        .unwrap();
    for (field, value) in [
        ("ack-by", "ana"),
        ("ack-text", "known: restart after deploy"),
    ] {
        let set: bool = a
            .eval(&format!(
                "(() => {{ const el = document.querySelector(\"{entry} [data-testid={field}]\"); \
                 if (!el) return false; el.value = '{value}'; \
                 el.dispatchEvent(new Event('input', {{ bubbles: true }})); return true; }})()"
            ))
            .await
            .unwrap();
        assert!(set, "the acknowledge form has its {field} field");
    }
    a.click(&format!("{entry} [data-testid=ack-submit]"))
        .await
        .unwrap();
    let note = format!("{entry} [data-testid=ack-note]");
    wait_for(
        Duration::from_secs(5),
        "tab B to show it acknowledged, by whom and why",
        || async {
            if b.count(&format!("{entry} .state-acknowledged")).await? != 1 {
                return Ok(None);
            }
            b.text(&note).await
        },
    )
    .await
    .map(|text| {
        assert!(text.contains("Acknowledged by ana"), "{text}");
        assert!(text.contains("known: restart after deploy"), "{text}");
    })
    .unwrap();
    assert_eq!(
        count(&a, &format!("{entry} [data-testid=ack-form]")).await,
        0,
        "the form closes once the server took it"
    );

    b.reload().await.unwrap();
    wait_for(
        LOAD,
        "the alert, read and acknowledged, after the reload",
        || async {
            Ok((b
                .count(&format!("{entry}[data-read=true] .state-acknowledged"))
                .await?
                == 1)
                .then_some(()))
        },
    )
    .await
    .unwrap();
    let text = b.text(&note).await.unwrap().unwrap_or_default();
    assert!(
        text.contains("by ana") && text.contains("known: restart after deploy"),
        "who and why come back with the server's history: {text:?}"
    );
    browser.close().await;
    stack.stop().await;
}

//! Helpers of the knowledge-base browser tests: waiting for text, typing into inputs as a user does (an `input`
//! event), the server's own answers (to compare the page with), and KATO c584167's recorded stores (to compare
//! the stores with after a delete).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::{path::PathBuf, process::Command, time::Duration};

use kato_dashboard_e2e::{Stack, Tab, wait_for};
use kato_dashboard_testkit::{ClickHouseServer, kato_fixtures_dir};
use serde_json::Value;

pub const LOAD: Duration = Duration::from_secs(20);
pub const TOKEN: &str = "e2e-kb-admin-token";
/// The knowledge base with 356 patterns (18 pages of 20).
pub const BIG: &str = "sensor_alpha_kato";

/// Waits until the first element matching `selector` holds `needle`; returns its text.
pub async fn wait_text(tab: &Tab, selector: &str, needle: &str) -> String {
    wait_for(LOAD, &format!("{needle:?} in {selector}"), || async {
        Ok(tab.text(selector).await?.filter(|t| t.contains(needle)))
    })
    .await
    .unwrap()
}

/// Waits until `selector` matches `n` elements.
pub async fn wait_count(tab: &Tab, selector: &str, n: usize) {
    wait_for(LOAD, &format!("{n} × {selector}"), || async {
        Ok((tab.count(selector).await? == n).then_some(()))
    })
    .await
    .unwrap();
}

/// Waits until the JavaScript expression `js` is true.
pub async fn wait_js(tab: &Tab, what: &str, js: &str) {
    wait_for(LOAD, what, || async {
        Ok(tab.eval::<bool>(js).await?.then_some(()))
    })
    .await
    .unwrap();
}

/// Types `text` into the input `selector` (value + `input` event, as a keyboard would).
pub async fn type_into(tab: &Tab, selector: &str, text: &str) {
    let (sel, text) = (
        serde_json::to_string(selector).unwrap(),
        serde_json::to_string(text).unwrap(),
    );
    tab.eval::<bool>(&format!(
        "(() => {{ const i = document.querySelector({sel}); i.value = {text}; \
         i.dispatchEvent(new Event('input', {{ bubbles: true }})); return true; }})()"
    ))
    .await
    .unwrap();
}

/// Presses Escape.
pub async fn escape(tab: &Tab) {
    tab.eval::<bool>(
        "window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true })); true",
    )
    .await
    .unwrap();
}

/// Whether the drawer `testid` is open.
pub fn drawer_open(testid: &str) -> String {
    format!("document.querySelector('[data-testid={testid}]').classList.contains('open')")
}

/// The first row of the table `testid` (its `data-name`).
pub async fn first_row(tab: &Tab, testid: &str) -> Option<String> {
    let name: String = tab
        .eval(&format!(
            "document.querySelector('[data-testid={testid}] tbody tr[data-name]')?.dataset.name ?? ''"
        ))
        .await
        .unwrap();
    (!name.is_empty()).then_some(name)
}

/// Waits until the first row of `testid` is `name`.
pub async fn wait_first_row(tab: &Tab, testid: &str, name: &str) {
    wait_for(LOAD, &format!("{name} first in {testid}"), || async {
        Ok((first_row(tab, testid).await.as_deref() == Some(name)).then_some(()))
    })
    .await
    .unwrap();
}

/// The server's answer to `GET path` (200 required).
pub async fn api(stack: &Stack, path: &str) -> Value {
    let resp = reqwest::get(stack.url(path)).await.unwrap();
    assert_eq!(resp.status(), 200, "{path}");
    resp.json().await.unwrap()
}

/// `stores-c584167`.
pub fn fixture_dir() -> PathBuf {
    kato_fixtures_dir().join("stores-c584167")
}

/// Recorded pattern rows per knowledge base.
pub fn recorded_rows(kb: &str) -> usize {
    std::fs::read_to_string(fixture_dir().join("clickhouse/kato.patterns_data.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| serde_json::from_str::<Value>(l).unwrap()["kb_id"] == kb)
        .count()
}

/// Recorded Redis keys under `<kb>:`.
pub fn recorded_keys(kb: &str) -> usize {
    let dump: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture_dir().join("redis-keys.json")).unwrap(),
    )
    .unwrap();
    let prefix = format!("{kb}:");
    dump["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["key"].as_str().unwrap().starts_with(&prefix))
        .count()
}

/// Rows of `kb` in ClickHouse now (asked behind the dashboard's back).
pub fn rows_now(clickhouse: &ClickHouseServer, kb: &str) -> usize {
    let sql = format!("SELECT count() FROM kato.patterns_data WHERE kb_id = '{kb}'");
    clickhouse
        .query(&sql, None)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// Keys under `<kb>:` in the Redis at `url` now.
pub fn keys_now(redis_url: &str, kb: &str) -> usize {
    let port = redis_url.rsplit(':').next().unwrap().trim_end_matches('/');
    let out = Command::new("redis-cli")
        .args(["-p", port, "--scan", "--pattern", &format!("{kb}:*")])
        .output()
        .unwrap();
    assert!(out.status.success(), "redis-cli: {out:?}");
    String::from_utf8_lossy(&out.stdout).lines().count()
}

/// A screenshot into `$DB_SCREENSHOTS_DIR` (default `$TMPDIR/kato-dashboard-screenshots/`), for looking at.
pub async fn shot(tab: &Tab, name: &str) {
    let dir = std::env::var_os("DB_SCREENSHOTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("kato-dashboard-screenshots"));
    std::fs::create_dir_all(&dir).unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let path = dir.join(format!("{name}.png"));
    std::fs::write(&path, tab.screenshot(true).await.unwrap()).unwrap();
    println!("screenshot: {}", path.display());
}

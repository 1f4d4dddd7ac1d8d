//! A tour of a running dashboard (by default `./dashboard.sh demo` on `http://127.0.0.1:3000`): every page in
//! headless Chromium, one screenshot each into `docs/screenshots/demo-*.png` (dark theme, desktop width), and a
//! line per page saying what it shows, so a person can check the demo shows the whole product.
//!
//! `./dashboard.sh demo && cargo run -p kato-dashboard-e2e --example demo_tour [-- BASE_URL [NAME_PREFIX]]`
//! (a prefix other than `demo` renames the shots, e.g. `demo-no-docker-dashboard.png`).

use std::{path::PathBuf, time::Duration};

use anyhow::Context;
use kato_dashboard_e2e::{Browser, Tab};

const OUT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/screenshots");

/// (screenshot name, path) of every page.
const PAGES: [(&str, &str); 6] = [
    ("demo-dashboard", "/"),
    ("demo-sessions", "/sessions"),
    ("demo-alerts", "/alerts"),
    ("demo-databases-mongodb", "/databases/mongodb"),
    ("demo-databases-qdrant", "/databases/qdrant"),
    ("demo-databases-redis", "/databases/redis"),
];

async fn visit(tab: &Tab, base: &str, name: &str, path: &str) -> anyhow::Result<()> {
    let prefix = std::env::args().nth(2).unwrap_or_else(|| "demo".into());
    let name = name.replacen("demo", &prefix, 1);
    tab.goto(&format!("{base}{path}")).await?;
    tab.wait_connected(Duration::from_secs(20)).await?;
    // The app updates once a second and the database pages load on open: let both settle before the shot.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let png = tab.screenshot(true).await?;
    let file = PathBuf::from(OUT).join(format!("{name}.png"));
    let name = name.as_str();
    std::fs::write(&file, png).with_context(|| format!("writing {}", file.display()))?;
    let text: String = tab
        .eval("(document.querySelector('main') || document.body).innerText.replace(/\\s+/g, ' ').slice(0, 300)")
        .await?;
    println!("{name:24} {path:20} {}\n{:46}{text}", file.display(), "");
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let base = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:3000".into());
    std::fs::create_dir_all(OUT)?;
    let browser = Browser::launch(1440, 900).await?;
    let tab = browser.blank().await?;
    tab.goto(&format!("{base}/")).await?;
    tab.eval::<serde_json::Value>(
        "localStorage.setItem('kato.theme', 'dark'); document.documentElement.setAttribute('data-theme', 'dark'); true",
    )
    .await?;
    for (name, path) in PAGES {
        visit(&tab, &base, name, path).await?;
    }
    // A session's own page: the first session of the list.
    let first: Option<String> = tab
        .eval("fetch('/api/v1/sessions?limit=1').then(r => r.json()).then(b => (b.sessions || [])[0]?.session_id ?? null)")
        .await?;
    match first {
        Some(id) => {
            visit(
                &tab,
                &base,
                "demo-session-detail",
                &format!("/sessions/{id}"),
            )
            .await?
        }
        None => println!("demo-session-detail: no session to show"),
    }
    browser.close().await;
    Ok(())
}

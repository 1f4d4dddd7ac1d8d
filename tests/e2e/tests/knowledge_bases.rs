//! The Databases page in front of each KATO generation, and KATO 3.x's knowledge bases in headless Chromium:
//! the real server with the real ClickHouse engine (chDB over HTTP) loaded with KATO c584167's rows, the stack's
//! Redis with its 4,008 keys, the Qdrant test server with its collections, and kato-sim as v3 in front. The
//! page must show what the server answers — pages, sorts, a search over the whole knowledge base, a pattern, a
//! symbol's affinity, coverage — and, when a store is down, its reason instead of zeros.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod kb_support;

use kato_dashboard_e2e::{Browser, KbStores, Stack, exclusive};
use kato_dashboard_sim::{Flavour, SimConfig};
use kb_support::*;

const TABS: &str = "[data-testid=store-tabs]";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_tabs_follow_the_kato_generation_and_a_store_down_says_why() {
    let _gate = exclusive().await;
    let browser = Browser::launch(1440, 1000).await.unwrap();

    // KATO 1.x: MongoDB, Qdrant, Redis; no ClickHouse anywhere.
    let v1 = Stack::start().await.unwrap();
    let tab = browser.open(&v1.url("/databases/redis")).await.unwrap();
    wait_text(&tab, TABS, "MongoDB").await;
    assert_eq!(tab.text(TABS).await.unwrap().unwrap(), "MongoDBQdrantRedis");
    tab.goto(&v1.url("/databases")).await.unwrap();
    wait_count(&tab, "[data-testid=store-MongoDB]", 1).await;
    assert_eq!(
        tab.count("[data-testid=store-ClickHouse]").await.unwrap(),
        0
    );
    v1.stop().await;

    // KATO 3.x with no ClickHouse listening: its tab and card instead of MongoDB's, and the reason, not zeros.
    let v3 = Stack::start_with(SimConfig::idle(Flavour::V3))
        .await
        .unwrap();
    tab.goto(&v3.url("/databases/redis")).await.unwrap();
    wait_text(&tab, TABS, "Knowledge bases (ClickHouse)").await;
    assert_eq!(
        tab.text(TABS).await.unwrap().unwrap(),
        "Knowledge bases (ClickHouse)QdrantRedis"
    );
    tab.goto(&v3.url("/databases")).await.unwrap();
    wait_text(&tab, "[data-testid=store-ClickHouse]", "down").await;
    assert_eq!(tab.count("[data-testid=store-MongoDB]").await.unwrap(), 0);
    tab.click("[data-testid=store-ClickHouse]").await.unwrap();
    let banner = wait_text(&tab, ".banner", "Could not load the knowledge bases").await;
    assert!(
        banner.contains("cannot reach ClickHouse at 127.0.0.1:1"),
        "{banner}"
    );
    assert_eq!(tab.count("[data-testid=kb-card]").await.unwrap(), 0);
    shot(&tab, "kb-clickhouse-down").await;
    v3.stop().await;

    // ClickHouse up, Redis down for the dashboard: the counts Redis holds are "—" with its reason.
    let kbs = KbStores::start().unwrap();
    let redis_down = [("REDIS_URL", "redis://127.0.0.1:1")];
    let stack = Stack::start_with_kbs(SimConfig::idle(Flavour::V3), &kbs, &redis_down)
        .await
        .unwrap();
    tab.goto(&stack.url("/databases/clickhouse")).await.unwrap();
    wait_count(&tab, "[data-testid=kb-card]", 5).await;
    let card = wait_text(&tab, "[data-kb=sensor_alpha_kato]", "356 patterns").await;
    assert!(
        card.contains("— symbols") && card.contains("22 vectors"),
        "{card}"
    );
    wait_text(&tab, ".banner", "Redis did not answer").await;
    // Sorting by frequency needs Redis: the table says it could not; by length ClickHouse alone fills it.
    wait_text(
        &tab,
        "[data-testid=kb-patterns]",
        "Could not load the patterns",
    )
    .await;
    tab.click("[data-testid=kb-patterns] [data-sort=length]")
        .await
        .unwrap();
    wait_text(&tab, "[data-testid=kb-pattern-range]", "1–20 of 27").await;
    wait_text(&tab, "[aria-label=Patterns] .banner", "frequencies unknown").await;
    shot(&tab, "kb-redis-down").await;
    browser.close().await;
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patterns_symbols_and_statistics_of_a_knowledge_base() {
    let _gate = exclusive().await;
    let kbs = KbStores::start().unwrap();
    let stack = Stack::start_v3_with_kbs(&kbs, &[]).await.unwrap();
    let browser = Browser::launch(1440, 1000).await.unwrap();
    let tab = browser
        .open(&stack.url("/databases/clickhouse"))
        .await
        .unwrap();

    // The list: every knowledge base with its three counts; the first with patterns is open.
    wait_count(&tab, "[data-testid=kb-card]", 5).await;
    let card = wait_text(&tab, "[data-kb=sensor_alpha_kato]", "356 patterns").await;
    assert!(
        card.contains("39 symbols") && card.contains("22 vectors"),
        "{card}"
    );
    wait_text(
        &tab,
        "[data-kb=scratch_kb_kato]",
        "not in ClickHouse, Redis",
    )
    .await;
    wait_text(&tab, "[data-testid=kb-selected]", "chat_bot_kato").await;
    tab.click("[data-kb=sensor_alpha_kato]").await.unwrap();
    wait_text(&tab, "[data-testid=kb-selected]", BIG).await;
    let base = format!("/api/v1/databases/patterns/{BIG}/patterns");

    // Paging: 20 at a time, as the server orders them (frequency, descending).
    let page1 = api(&stack, &format!("{base}?limit=20")).await;
    let first = page1["patterns"][0]["name"].as_str().unwrap().to_owned();
    wait_text(&tab, "[data-testid=kb-pattern-range]", "1–20 of 356").await;
    wait_first_row(&tab, "kb-patterns", &first).await;
    tab.click("[aria-label='Next page']").await.unwrap();
    wait_text(&tab, "[data-testid=kb-pattern-range]", "21–40 of 356").await;
    let page2 = api(&stack, &format!("{base}?skip=20&limit=20")).await;
    wait_first_row(
        &tab,
        "kb-patterns",
        page2["patterns"][0]["name"].as_str().unwrap(),
    )
    .await;

    // Sorting: by length (longest first, then shortest), by name (A→Z): back to the first page each time.
    let stats = api(
        &stack,
        &format!("/api/v1/databases/patterns/{BIG}/statistics"),
    )
    .await;
    let length_of_first =
        "document.querySelector('[data-testid=kb-patterns] tbody tr td:nth-child(4)')?.textContent";
    tab.click("[data-testid=kb-patterns] [data-sort=length]")
        .await
        .unwrap();
    wait_text(&tab, "[data-testid=kb-pattern-range]", "1–20 of 356").await;
    let max = stats["max_length"].to_string();
    wait_js(
        &tab,
        "the longest pattern first",
        &format!("{length_of_first} === '{max}'"),
    )
    .await;
    tab.click("[data-testid=kb-patterns] [data-sort=length]")
        .await
        .unwrap();
    let min = stats["min_length"].to_string();
    wait_js(
        &tab,
        "the shortest pattern first",
        &format!("{length_of_first} === '{min}'"),
    )
    .await;
    tab.click("[data-testid=kb-patterns] [data-sort=name]")
        .await
        .unwrap();
    tab.click("[data-testid=kb-patterns] [data-sort=name]")
        .await
        .unwrap();
    let by_name = api(
        &stack,
        &format!("{base}?limit=1&sort_by=name&sort_order=asc"),
    )
    .await;
    wait_first_row(
        &tab,
        "kb-patterns",
        by_name["patterns"][0]["name"].as_str().unwrap(),
    )
    .await;

    // A search finds a pattern far beyond the first page (row 301 by frequency) in the whole knowledge base.
    let far = api(&stack, &format!("{base}?skip=300&limit=1")).await;
    let far = far["patterns"][0].clone();
    let name = far["name"].as_str().unwrap().to_owned();
    assert!(
        !page1.to_string().contains(&name),
        "the pattern is not on the first page"
    );
    type_into(&tab, "[data-testid=kb-pattern-search]", &name[..16]).await;
    wait_text(&tab, "[data-testid=kb-pattern-range]", "1–1 of 1").await;
    wait_first_row(&tab, "kb-patterns", &name).await;
    wait_text(
        &tab,
        "[data-testid=kb-pattern-count]",
        "(whole knowledge base)",
    )
    .await;

    // Its detail: name as KATO shows it, frequency, every event, emotives and metadata.
    let detail = api(&stack, &format!("{base}/{name}")).await;
    tab.click(&format!("[data-testid=kb-patterns] tr[data-name='{name}']"))
        .await
        .unwrap();
    wait_text(&tab, "[data-testid=pattern-name]", &format!("PTRN|{name}")).await;
    wait_text(
        &tab,
        "[data-testid=pattern-frequency]",
        &detail["frequency"].to_string(),
    )
    .await;
    let events = detail["pattern_data"].as_array().unwrap().len();
    wait_count(&tab, "[data-testid=pattern-events] li", events).await;
    let emotives = detail["emotives"].as_array().map_or(0, Vec::len);
    assert_eq!(
        tab.count("[data-testid=pattern-emotives] tbody tr")
            .await
            .unwrap(),
        emotives
    );
    let meta_keys = detail["metadata"].as_object().map_or(0, |m| m.len());
    assert_eq!(
        tab.count("[data-testid=pattern-metadata] dt")
            .await
            .unwrap(),
        meta_keys
    );
    wait_js(&tab, "the drawer open", &drawer_open("pattern-drawer")).await;
    shot(&tab, "kb-pattern-detail").await;
    escape(&tab).await;
    wait_js(
        &tab,
        "the drawer closed",
        &format!("!{}", drawer_open("pattern-drawer")),
    )
    .await;

    // Symbols: the most frequent first, its coverage and affinity; from there, the patterns holding it.
    let sym = api(
        &stack,
        &format!("/api/v1/databases/symbols/{BIG}/statistics"),
    )
    .await;
    let top = &sym["top_symbols"][0];
    let symbol = top["name"].as_str().unwrap().to_owned();
    tab.click("[data-testid=kb-tab-symbols]").await.unwrap();
    wait_first_row(&tab, "kb-symbols", &symbol).await;
    wait_text(
        &tab,
        "[data-testid=kb-symbols-total-value]",
        &sym["total_symbols"].to_string(),
    )
    .await;
    tab.click("[data-testid=kb-symbols] tbody tr")
        .await
        .unwrap();
    let coverage = format!("{:.1}", top["pattern_coverage_percent"].as_f64().unwrap());
    wait_text(&tab, "[data-testid=symbol-coverage]", &coverage).await;
    let affinity = api(
        &stack,
        &format!(
            "/api/v1/databases/symbols/{BIG}/affinity/{}",
            symbol.replace('|', "%7C")
        ),
    )
    .await;
    let emotives = affinity["affinity"].as_object().unwrap().len();
    if emotives > 0 {
        wait_count(&tab, "[data-testid=symbol-affinity] tbody tr", emotives).await;
    } else {
        wait_text(&tab, "[data-testid=symbol-detail]", "no affinity").await;
    }
    shot(&tab, "kb-symbol-detail").await;
    tab.click("[data-testid=symbol-find-patterns]")
        .await
        .unwrap();
    let holding = api(
        &stack,
        &format!("{base}?limit=1&search={}", symbol.replace('|', "%7C")),
    )
    .await;
    let expected = format!("{} patterns hold", holding["total"]);
    wait_text(&tab, "[data-testid=kb-pattern-count]", &expected).await;
    wait_js(
        &tab,
        "the search box holds the symbol",
        &format!(
            "document.querySelector('[data-testid=kb-pattern-search]').value === {}",
            serde_json::to_string(&symbol).unwrap()
        ),
    )
    .await;

    // Statistics: the figures and pattern coverage as a percentage of all patterns.
    tab.click("[data-testid=kb-tab-statistics]").await.unwrap();
    wait_text(&tab, "[data-testid=kb-stat-patterns-value]", "356").await;
    wait_text(
        &tab,
        "[data-testid=kb-stat-symbols-value]",
        &sym["total_symbols"].to_string(),
    )
    .await;
    wait_text(
        &tab,
        "[data-testid=kb-stat-frequency-value]",
        &stats["frequency"]["total"].to_string(),
    )
    .await;
    wait_text(&tab, "[data-testid=kb-stat-vectors-value]", "22").await;
    let avg = format!(
        "{:.1}",
        sym["avg_pattern_coverage_percent"].as_f64().unwrap()
    );
    wait_text(&tab, "[data-testid=kb-coverage-avg]", &avg).await;
    let row = wait_text(&tab, "[data-testid=kb-coverage] tbody tr", &coverage).await;
    let holders = format!("{} of 356", top["pattern_member_frequency"]);
    assert!(row.contains(&holders), "{row}");
    shot(&tab, "kb-statistics").await;

    // Without the admin token there is no way to delete.
    assert_eq!(tab.count("[data-testid=kb-tab-delete]").await.unwrap(), 0);
    assert_eq!(tab.count(".btn.danger").await.unwrap(), 0);
    browser.close().await;
    stack.stop().await;
}

//! Deleting a KATO 3.x knowledge base from the page, in headless Chromium against the real server, the real
//! ClickHouse engine, Redis and the Qdrant test server loaded with KATO c584167's stores: the tab exists only
//! for an admin with read-only off; a dry run lists exactly what would go and removes nothing; the delete needs
//! the kb_id typed back; afterwards the knowledge base is gone from all three stores and from the list, and
//! every other knowledge base is untouched.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod kb_support;

use std::time::Duration;

use kato_dashboard_e2e::{Browser, KbStores, Stack, exclusive};
use kb_support::*;

const GONE: &str = "planner_kato";
const OTHERS: [&str; 3] = ["chat_bot_kato", "sensor_alpha_kato", "vision_1_kato"];
const SUBMIT: &str =
    "document.querySelector('[data-testid=confirm-dialog] button[type=submit]').disabled";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_delete_a_knowledge_base_after_a_dry_run_and_the_others_stay() {
    let _gate = exclusive().await;
    let kbs = KbStores::start().unwrap();
    let admin = [("ADMIN_TOKEN", TOKEN), ("DATABASE_READ_ONLY", "false")];
    let stack = Stack::start_v3_with_kbs(&kbs, &admin).await.unwrap();
    let redis = stack.redis.url();
    let browser = Browser::launch(1440, 1000).await.unwrap();
    let tab = browser
        .open(&stack.url("/databases/clickhouse"))
        .await
        .unwrap();

    // Without the token: read-only for this user, no Delete tab.
    wait_count(&tab, "[data-testid=kb-card]", 5).await;
    wait_text(&tab, "[data-testid=db-mode]", "Read-only for you").await;
    assert_eq!(tab.count("[data-testid=kb-tab-delete]").await.unwrap(), 0);

    // With it: the tab; the delete stays locked until a dry run has said what would go.
    tab.eval::<bool>(&format!(
        "localStorage.setItem('kato.admin_token', '{TOKEN}'); true"
    ))
    .await
    .unwrap();
    tab.reload().await.unwrap();
    wait_text(&tab, "[data-testid=db-mode]", "Admin mode").await;
    wait_count(&tab, "[data-kb=planner_kato]", 1).await;
    tab.click("[data-kb=planner_kato]").await.unwrap();
    wait_text(&tab, "[data-testid=kb-selected]", GONE).await;
    wait_count(&tab, "[data-testid=kb-tab-delete]", 1).await;
    tab.click("[data-testid=kb-tab-delete]").await.unwrap();
    wait_count(&tab, "[data-testid=kb-delete-button]:disabled", 1).await;

    // The dry run: exactly the recorded rows, keys and points, and nothing removed.
    let rows = recorded_rows(GONE);
    let keys = recorded_keys(GONE);
    let points = kbs.qdrant.point_ids("vectors_planner_kato").len();
    assert_eq!((rows, points), (30, 14), "the fixture as recorded");
    tab.click("[data-testid=kb-dry-run]").await.unwrap();
    let plan = wait_text(&tab, "[data-testid=kb-plan]", "Would remove").await;
    let summary = format!(
        "{rows} ClickHouse rows, {keys} Redis keys and the Qdrant collection vectors_planner_kato ({points} points)"
    );
    assert!(plan.contains(&summary), "{plan}\nexpected: {summary}");
    wait_text(&tab, "[data-testid=kb-plan-clickhouse]", "patterns_data").await;
    wait_text(&tab, "[data-testid=kb-plan-redis]", "planner_kato:*").await;
    wait_count(&tab, "[data-testid=kb-plan-keys] li", keys).await;
    wait_text(&tab, "[data-testid=kb-plan-qdrant]", "vectors_planner_kato").await;
    assert_eq!(rows_now(&kbs.clickhouse, GONE), rows);
    assert_eq!(keys_now(&redis, GONE), keys);
    assert!(kbs.qdrant.has_collection("vectors_planner_kato"));
    shot(&tab, "kb-delete-dry-run").await;

    // The delete: only the exact kb_id unlocks it.
    wait_count(&tab, "[data-testid=kb-delete-button]:not(:disabled)", 1).await;
    tab.click("[data-testid=kb-delete-button]").await.unwrap();
    wait_count(&tab, "[data-testid=confirm-dialog]", 1).await;
    type_into(&tab, "[data-testid=confirm-input]", "planner").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        tab.eval::<bool>(SUBMIT).await.unwrap(),
        "a partial kb_id does not unlock the delete"
    );
    type_into(&tab, "[data-testid=confirm-input]", GONE).await;
    wait_js(&tab, "the delete to unlock", &format!("!{SUBMIT}")).await;
    shot(&tab, "kb-delete-confirm").await;
    tab.click("[data-testid=confirm-dialog] button[type=submit]")
        .await
        .unwrap();

    // Gone from the page and from all three stores.
    let notice = wait_text(&tab, "[data-testid=kb-notice]", "planner_kato deleted").await;
    assert!(notice.contains(&summary), "{notice}");
    wait_count(&tab, "[data-testid=kb-card]", 4).await;
    assert_eq!(tab.count("[data-kb=planner_kato]").await.unwrap(), 0);
    assert_eq!(rows_now(&kbs.clickhouse, GONE), 0);
    assert_eq!(keys_now(&redis, GONE), 0);
    assert!(!kbs.qdrant.has_collection("vectors_planner_kato"));

    // Every other knowledge base is as recorded, in the stores and on the page.
    for kb in OTHERS {
        assert_eq!(
            rows_now(&kbs.clickhouse, kb),
            recorded_rows(kb),
            "{kb} rows"
        );
        assert_eq!(keys_now(&redis, kb), recorded_keys(kb), "{kb} keys");
        assert!(
            kbs.qdrant.has_collection(&format!("vectors_{kb}")),
            "{kb} vectors"
        );
        let card = wait_text(&tab, &format!("[data-kb={kb}]"), "patterns").await;
        assert!(
            card.contains(&format!("{} patterns", recorded_rows(kb))),
            "{card}"
        );
    }
    assert!(kbs.qdrant.has_collection("vectors_scratch_kb_kato"));
    shot(&tab, "kb-deleted").await;
    browser.close().await;
    stack.stop().await;
}

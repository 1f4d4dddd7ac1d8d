//! The database pages in headless Chromium against the real server, with KATO's stores behind it: the Qdrant
//! gRPC test server (KATO's collections, integer and UUID points), MongoDB (`nx-27017` loaded with the d1391ac
//! dump) and the stack's Redis holding keys recorded from KATO. Each page must show real data from its store.
//! Screenshots of each page go to `$TMPDIR/kato-dashboard-screenshots/` (set `DB_SCREENSHOTS_DIR` to change).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{path::PathBuf, process::Command, time::Duration};

use kato_dashboard_e2e::{Browser, Stack, Tab, exclusive, wait_for};
use kato_dashboard_sim::{Flavour, SimConfig};
use kato_dashboard_testkit::{MongoServer, kato_fixtures_dir, qdrant::QdrantTestServer};
use serde_json::Value;

const LOAD: Duration = Duration::from_secs(20);
const STREAM_KEY: &str = "stm:events:sensor_alpha_kato";

/// Loads the recorded stream key (with its consumer group) and one recorded session key into the stack's Redis.
fn load_redis(url: &str) -> String {
    let port = url
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    let path = kato_fixtures_dir().join("stores-d1391ac/redis/keys.json");
    let dump: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let session = dump["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["type"] == "string")
        .unwrap();
    let session_key = session["key"].as_str().unwrap().to_owned();
    let cli = |args: &[&str]| {
        let out = Command::new("redis-cli")
            .args(["-p", &port])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "redis-cli {args:?}: {out:?}");
    };
    cli(&[
        "XGROUP",
        "CREATE",
        STREAM_KEY,
        "stm_group_sensor_alpha_kato",
        "$",
        "MKSTREAM",
    ]);
    cli(&[
        "SET",
        &session_key,
        session["value"].as_str().unwrap(),
        "EX",
        "3600",
    ]);
    session_key
}

async fn shot(tab: &Tab, name: &str) {
    let dir = std::env::var_os("DB_SCREENSHOTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("kato-dashboard-screenshots"));
    std::fs::create_dir_all(&dir).unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let path = dir.join(format!("{name}.png"));
    std::fs::write(&path, tab.screenshot(true).await.unwrap()).unwrap();
    println!("screenshot: {}", path.display());
}

async fn wait_text(tab: &Tab, selector: &str, needle: &str) -> String {
    wait_for(LOAD, &format!("{needle:?} in {selector}"), || async {
        Ok(tab.text(selector).await?.filter(|t| t.contains(needle)))
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_database_page_shows_real_data_from_its_store() {
    let _gate = exclusive().await;
    let qdrant = QdrantTestServer::start().unwrap();
    let mongo = MongoServer::start_with_kato_fixture().expect("nx-27017 with the d1391ac dump");
    let (q_url, m_url) = (qdrant.url(), mongo.url());
    let env = [
        ("QDRANT_GRPC_URL", q_url.as_str()),
        ("MONGO_URL", m_url.as_str()),
    ];
    let stack = Stack::start_with_env(SimConfig::idle(Flavour::V1), &env)
        .await
        .unwrap();
    let session_key = load_redis(&stack.redis.url());
    let browser = Browser::launch(1440, 1000).await.unwrap();

    // Overview: all three stores up.
    let tab = browser.open(&stack.url("/databases")).await.unwrap();
    wait_text(&tab, "[data-testid=store-Qdrant]", "4 collections").await;
    wait_text(&tab, "[data-testid=store-Redis]", "available").await;
    shot(&tab, "databases").await;

    // Qdrant: the collections, a page of points, a point's vector and its nearest neighbour.
    tab.goto(&stack.url("/databases/qdrant")).await.unwrap();
    wait_text(
        &tab,
        "[data-testid=qdrant-collections]",
        "vectors_chat_bot_kato",
    )
    .await;
    wait_text(
        &tab,
        "[data-testid=qdrant-points] tbody tr:first-child",
        "1",
    )
    .await;
    tab.click("[data-testid=qdrant-points] tbody tr:first-child")
        .await
        .unwrap();
    wait_text(&tab, "[data-testid=vector-preview]", "+500 more").await;
    let nearest = wait_text(
        &tab,
        "[data-testid=similar-points] tbody tr:first-child",
        "2",
    )
    .await;
    assert!(
        nearest.starts_with("12"),
        "the near-duplicate point 2 first: {nearest}"
    );
    // Forward to the UUID ids and back to the first page.
    tab.click("[aria-label='Next page']").await.unwrap();
    wait_text(&tab, "[data-testid=qdrant-points] tbody tr:last-child", "-").await;
    shot(&tab, "databases-qdrant").await;
    tab.click("[aria-label='Previous page']").await.unwrap();
    wait_text(
        &tab,
        "[data-testid=qdrant-points] tbody tr:first-child td",
        "1",
    )
    .await;

    // MongoDB: the knowledge bases, a recorded pattern in the table and its detail.
    tab.goto(&stack.url("/databases/mongodb")).await.unwrap();
    let base = wait_for(LOAD, "the selected knowledge base", || async {
        tab.text(".kb.active .mono").await
    })
    .await
    .unwrap();
    let fixture =
        kato_fixtures_dir().join(format!("stores-d1391ac/mongodb/{base}/patterns_kb.json"));
    let patterns: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(fixture).unwrap()).unwrap();
    let total = patterns.len().to_string();
    wait_text(&tab, "[data-testid=mongo-total-value]", &total).await;
    let table = wait_for(LOAD, "the patterns table", || async {
        Ok(tab
            .text("[data-testid=mongo-patterns] tbody")
            .await?
            .filter(|t| t.len() > 40))
    })
    .await
    .unwrap();
    assert!(
        patterns
            .iter()
            .any(|p| table.contains(p["name"].as_str().unwrap())),
        "a recorded pattern name is on screen: {table}"
    );
    tab.click("[data-testid=mongo-patterns] tbody tr")
        .await
        .unwrap();
    wait_text(&tab, "[data-testid=pattern-detail]", "Frequency").await;
    shot(&tab, "databases-mongodb").await;
    // Any collection's documents, narrowed by a JSON filter.
    tab.click("[role=tab]:nth-child(2)").await.unwrap();
    wait_text(&tab, "[data-testid=mongo-collections]", "patterns_kb").await;
    wait_for(LOAD, "documents", || async {
        Ok((tab.count("[data-testid=mongo-documents] li").await? == 10).then_some(()))
    })
    .await
    .unwrap();
    let name = patterns[0]["name"].as_str().unwrap();
    let filter = serde_json::to_string(&serde_json::json!({ "name": name })).unwrap();
    tab.eval::<bool>(&format!(
        "(() => {{ const i = document.querySelector('[data-testid=doc-filter]'); i.value = {}; \
         i.dispatchEvent(new Event('input', {{ bubbles: true }})); i.form.requestSubmit(); return true; }})()",
        serde_json::to_string(&filter).unwrap()
    ))
    .await
    .unwrap();
    wait_for(LOAD, "the one matching document", || async {
        Ok((tab.count("[data-testid=mongo-documents] li").await? == 1).then_some(()))
    })
    .await
    .unwrap();
    wait_text(&tab, "[data-testid=mongo-documents]", name).await;
    tab.click("[data-testid=mongo-documents] .doc-head")
        .await
        .unwrap();
    shot(&tab, "databases-mongodb-documents").await;

    // Redis: INFO cards, a recorded key found by pattern, its detail.
    tab.goto(&stack.url("/databases/redis")).await.unwrap();
    wait_for(LOAD, "the Redis version", || async {
        Ok(tab
            .text("[data-testid=redis-version-value]")
            .await?
            .filter(|v| v.contains('.')))
    })
    .await
    .unwrap();
    wait_text(&tab, "[data-testid=redis-keys]", &session_key).await;
    tab.eval::<bool>(
        "(() => { const i = document.querySelector('[data-testid=redis-pattern]'); i.value = 'stm:*'; \
         i.dispatchEvent(new Event('input', { bubbles: true })); i.form.requestSubmit(); return true; })()",
    )
    .await
    .unwrap();
    wait_text(
        &tab,
        "[data-testid=redis-keys] tbody tr:first-child",
        STREAM_KEY,
    )
    .await;
    // Only the stream matches (the rows of the previous scan may take a frame to go).
    wait_for(Duration::from_secs(5), "one key matching stm:*", || async {
        let rows = tab.count("[data-testid=redis-keys] tbody tr").await?;
        Ok((rows == 1).then_some(()))
    })
    .await
    .unwrap();
    tab.click("[data-testid=redis-keys] tbody tr")
        .await
        .unwrap();
    wait_text(&tab, "[data-testid=redis-key-facts]", "stream").await;
    wait_text(&tab, "[data-testid=redis-key-facts]", "no expiry").await;
    shot(&tab, "databases-redis").await;

    // No admin token: no destructive control anywhere.
    assert_eq!(tab.count(".btn.danger").await.unwrap(), 0);
    // The dark theme.
    tab.eval::<bool>("localStorage.setItem('kato.theme', 'dark'); true")
        .await
        .unwrap();
    tab.goto(&stack.url("/databases/qdrant")).await.unwrap();
    wait_text(
        &tab,
        "[data-testid=qdrant-points] tbody tr:first-child",
        "1",
    )
    .await;
    tab.click("[data-testid=qdrant-points] tbody tr:nth-child(3)")
        .await
        .unwrap();
    wait_text(&tab, "[data-testid=similar-points]", "Point").await;
    shot(&tab, "databases-qdrant-dark").await;
    tab.goto(&stack.url("/databases/redis")).await.unwrap();
    wait_text(&tab, "[data-testid=redis-keys]", &session_key).await;
    tab.click("[data-testid=redis-keys] tbody tr")
        .await
        .unwrap();
    wait_text(&tab, "[data-testid=redis-key-facts]", "Type").await;
    shot(&tab, "databases-redis-dark").await;
    // A phone: the panels stack, nothing needs sideways scrolling of the page.
    tab.viewport(390, 844, true).await.unwrap();
    tab.goto(&stack.url("/databases/qdrant")).await.unwrap();
    wait_text(
        &tab,
        "[data-testid=qdrant-points] tbody tr:first-child",
        "1",
    )
    .await;
    let overflow: bool = tab
        .eval("document.documentElement.scrollWidth > window.innerWidth + 1")
        .await
        .unwrap();
    shot(&tab, "databases-qdrant-mobile").await;
    assert!(!overflow, "the page scrolls sideways on a phone");
    browser.close().await;
    stack.stop().await;
}

/// With an admin token and read-only off, the delete controls appear; dropping a collection needs its name typed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_delete_a_point_and_drop_a_collection_after_typing_its_name() {
    let _gate = exclusive().await;
    const TOKEN: &str = "e2e-admin-token";
    let qdrant = QdrantTestServer::start().unwrap();
    let q_url = qdrant.url();
    let env = [
        ("QDRANT_GRPC_URL", q_url.as_str()),
        ("ADMIN_TOKEN", TOKEN),
        ("DATABASE_READ_ONLY", "false"),
    ];
    let stack = Stack::start_with_env(SimConfig::idle(Flavour::V1), &env)
        .await
        .unwrap();
    let browser = Browser::launch(1440, 1000).await.unwrap();
    let tab = browser.open(&stack.url("/databases/qdrant")).await.unwrap();
    tab.eval::<bool>(&format!(
        "localStorage.setItem('kato.admin_token', '{TOKEN}'); true"
    ))
    .await
    .unwrap();
    tab.reload().await.unwrap();
    wait_text(&tab, "[data-testid=db-mode]", "Admin mode").await;
    const POINTS: &str = "vectors_chat_bot_kato";

    let type_name = |name: &str| {
        format!(
            "(() => {{ const i = document.querySelector('[data-testid=confirm-input]'); i.value = '{name}'; \
             i.dispatchEvent(new Event('input', {{ bubbles: true }})); \
             return document.querySelector('[data-testid=confirm-dialog] button[type=submit]').disabled; }})()"
        )
    };
    const SUBMIT: &str =
        "document.querySelector('[data-testid=confirm-dialog] button[type=submit]').disabled";
    // Delete point 1 (its id typed): it leaves Qdrant and the list.
    wait_text(
        &tab,
        "[data-testid=qdrant-points] tbody tr:first-child td",
        "1",
    )
    .await;
    tab.click("[data-testid=qdrant-points] tbody tr:first-child")
        .await
        .unwrap();
    wait_for(LOAD, "the delete button", || async {
        Ok((tab.count("[data-testid=delete-point]").await? == 1).then_some(()))
    })
    .await
    .unwrap();
    tab.click("[data-testid=delete-point]").await.unwrap();
    tab.eval::<bool>(&type_name("1")).await.unwrap();
    wait_for(LOAD, "the delete button to unlock", || async {
        Ok((!tab.eval::<bool>(SUBMIT).await?).then_some(()))
    })
    .await
    .unwrap();
    tab.click("[data-testid=confirm-dialog] button[type=submit]")
        .await
        .unwrap();
    wait_text(
        &tab,
        "[data-testid=qdrant-points] tbody tr:first-child td",
        "2",
    )
    .await;
    assert!(!qdrant.point_ids(POINTS).contains(&"1".to_owned()));

    // Drop: the dialog's button stays disabled until the exact name is typed.
    tab.click("[data-testid=drop-collection]").await.unwrap();
    tab.eval::<bool>(&type_name("vectors_chat_bot"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        tab.eval::<bool>(SUBMIT).await.unwrap(),
        "a partial name does not unlock the drop"
    );
    shot(&tab, "databases-qdrant-drop-confirm").await;
    tab.eval::<bool>(&type_name(POINTS)).await.unwrap();
    wait_for(LOAD, "the drop button to unlock", || async {
        Ok((!tab.eval::<bool>(SUBMIT).await?).then_some(()))
    })
    .await
    .unwrap();
    tab.click("[data-testid=confirm-dialog] button[type=submit]")
        .await
        .unwrap();
    wait_text(&tab, ".banner", "dropped").await;
    assert!(!qdrant.has_collection(POINTS));
    browser.close().await;
    stack.stop().await;
}

//! Tests of the features model, the store tabs and the delete plan.

use serde_json::json;

use super::*;

fn features(generation: &str, mongo_up: bool, clickhouse_up: bool) -> Features {
    let up = |ok: bool| {
        if ok {
            json!({"available": true, "reason": null})
        } else {
            json!({"available": false, "reason": "down"})
        }
    };
    Features::from_json(&json!({
        "mongodb": up(mongo_up), "redis": up(true), "qdrant": up(true), "clickhouse": up(clickhouse_up),
        "kato_generation": generation, "admin": true, "read_only": false, "destructive_allowed": true,
    }))
}

#[test]
fn the_generation_in_front_decides_the_knowledge_base_store() {
    assert_eq!(
        features("v1", true, true).kb_stores(),
        vec![KbStore::MongoDb]
    );
    assert_eq!(
        features("v3", true, true).kb_stores(),
        vec![KbStore::ClickHouse]
    );
    // Unknown: what answers; nothing answers: both, so their pages can say why.
    assert_eq!(
        features("unknown", false, true).kb_stores(),
        vec![KbStore::ClickHouse]
    );
    assert_eq!(
        features("unknown", true, false).kb_stores(),
        vec![KbStore::MongoDb]
    );
    assert_eq!(
        features("unknown", false, false).kb_stores(),
        vec![KbStore::MongoDb, KbStore::ClickHouse]
    );
}

#[test]
fn features_are_read_leniently_with_safe_defaults() {
    let f = Features::from_json(&json!({"patterns_store": "clickhouse"}));
    assert_eq!(f.generation.as_deref(), Some("v3"));
    assert!(f.read_only && !f.admin && !f.destructive_allowed);
    assert_eq!(f.clickhouse, None);
    let f = features("v3", false, false);
    assert_eq!(f.mongodb, Some(Some("down".into())));
    assert_eq!(f.clickhouse, Some(Some("down".into())));
    assert_eq!(f.redis, Some(None));
    assert!(f.destructive_allowed);
}

#[test]
fn store_tabs_follow_the_generation_and_keep_the_page_on_screen() {
    let labels = |tabs: Vec<(&'static str, &'static str)>| -> Vec<&'static str> {
        tabs.into_iter().map(|t| t.1).collect()
    };
    let v3 = features("v3", false, true);
    assert_eq!(
        labels(store_tabs(Some(&v3), "/databases/redis")),
        ["Knowledge bases (ClickHouse)", "Qdrant", "Redis"]
    );
    let v1 = features("v1", true, false);
    assert_eq!(
        labels(store_tabs(Some(&v1), "/databases/qdrant")),
        ["MongoDB", "Qdrant", "Redis"]
    );
    // Opened by URL: the MongoDB page keeps its tab in front of a v3 KATO.
    assert_eq!(
        labels(store_tabs(Some(&v3), "/databases/mongodb")),
        ["MongoDB", "Knowledge bases (ClickHouse)", "Qdrant", "Redis"]
    );
    // Features not known yet: only the page on screen.
    assert_eq!(
        labels(store_tabs(None, "/databases/clickhouse")),
        ["Knowledge bases (ClickHouse)", "Qdrant", "Redis"]
    );
}

#[test]
fn a_dry_run_reads_as_what_would_go() {
    let dry = json!({
        "kb_id": "planner_kato", "dry_run": true,
        "clickhouse": {"database": "kato", "rows": 30, "tables": [
            {"table": "lsh_buckets", "rows": 0, "statement": "ALTER TABLE kato.lsh_buckets DROP PARTITION 'planner_kato'"},
            {"table": "patterns_data", "rows": 30, "statement": "ALTER TABLE kato.patterns_data DROP PARTITION 'planner_kato'"}]},
        "redis": {"scan_pattern": "planner_kato:*", "keys_count": 455, "families": {"affinity": 40, "frequency": 30},
            "keys": ["planner_kato:affinity:a", "planner_kato:frequency:b"], "keys_complete": true, "kept": []},
        "qdrant": {"collection": "vectors_planner_kato", "exists": true, "points": 14},
        "not_touched": ["kato:session:* (sessions name the node, not the knowledge base)"],
    });
    let plan = DeletePlan::from_json(&dry);
    assert_eq!(plan.kb_id, "planner_kato");
    assert_eq!(plan.tables.len(), 2);
    assert_eq!(plan.tables[1].rows, 30);
    assert_eq!(
        plan.families,
        vec![("affinity".into(), 40), ("frequency".into(), 30)]
    );
    assert_eq!(plan.keys.len(), 2);
    assert_eq!(
        plan.summary(),
        "30 ClickHouse rows, 455 Redis keys and the Qdrant collection vectors_planner_kato (14 points)"
    );
    // The real run says `existed`; no collection and single items read naturally.
    let done = DeletePlan::from_json(&json!({
        "kb_id": "k", "clickhouse": {"rows": 1}, "redis": {"keys_count": 1},
        "qdrant": {"collection": "vectors_k", "existed": false, "points": null},
    }));
    assert!(!done.collection_exists);
    assert_eq!(
        done.summary(),
        "1 ClickHouse row and 1 Redis key (no Qdrant collection vectors_k)"
    );
}

#[test]
fn bars_stay_inside_their_track() {
    assert_eq!(bar_width(52.5), 52.5);
    assert_eq!(bar_width(140.0), 100.0);
    assert_eq!(bar_width(-3.0), 0.0);
    assert_eq!(bar_width(f64::NAN), 0.0);
}

#[test]
fn previews_shorten_vector_symbols_and_cut_long_patterns() {
    assert_eq!(
        short_symbol("VCTR|aabd8a7363225e7632af71fa1317d13ee609d89a"),
        "VCTR|aabd8a73…"
    );
    assert_eq!(short_symbol("temp:high"), "temp:high");
    let data = json!([
        ["VCTR|aabd8a7363225e7632af71fa1317d13ee609d89a", "temp:high"],
        ["alarm:overheat"]
    ]);
    assert_eq!(
        events_preview(&data, 100),
        "VCTR|aabd8a73… temp:high → alarm:overheat"
    );
    assert_eq!(events_preview(&data, 20), "VCTR|aabd8a73… temp…");
    assert_eq!(events_preview(&json!(null), 10), "");
    assert_eq!(utc_text("2026-12-06T23:22:06Z"), "2026-12-06 23:22:06");
    assert_eq!(utc_text("yesterday"), "yesterday");
}

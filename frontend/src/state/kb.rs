//! Pure model of the database pages' shared answers and of KATO 3.x's knowledge bases: the `features` answer
//! (which stores are up, which KATO generation is in front, what this user may do), the store tabs that follow
//! from it, and the plan of a knowledge-base delete (what a dry run says would go). No browser: unit-tested
//! natively.

use serde_json::Value;

/// What the browsers may do for this user, and what is there (`GET /databases/features`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Features {
    /// Deletes may be offered: a valid admin token and read-only mode off.
    pub destructive_allowed: bool,
    /// Read-only mode is on.
    pub read_only: bool,
    /// The token sent is the server's.
    pub admin: bool,
    /// Availability per store: `None` = not reported, `Some(None)` = up, `Some(Some(reason))` = down.
    pub mongodb: Option<Option<String>>,
    /// Same for Redis.
    pub redis: Option<Option<String>>,
    /// Same for Qdrant.
    pub qdrant: Option<Option<String>>,
    /// Same for ClickHouse (KATO 3.x).
    pub clickhouse: Option<Option<String>>,
    /// The KATO in front: `v1`, `v3`, or `None` while unknown.
    pub generation: Option<String>,
}

/// Where a KATO generation keeps its knowledge bases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KbStore {
    /// KATO 1.x: one MongoDB database per node.
    MongoDb,
    /// KATO 3.x: ClickHouse rows, Redis keys, Qdrant vectors.
    ClickHouse,
}

impl KbStore {
    /// The page of this store.
    pub fn href(self) -> &'static str {
        match self {
            KbStore::MongoDb => "/databases/mongodb",
            KbStore::ClickHouse => "/databases/clickhouse",
        }
    }

    /// The tab's label.
    pub fn label(self) -> &'static str {
        match self {
            KbStore::MongoDb => "MongoDB",
            KbStore::ClickHouse => "Knowledge bases (ClickHouse)",
        }
    }
}

fn store(v: &Value, name: &str) -> Option<Option<String>> {
    v.get(name).map(|s| {
        if s["available"].as_bool() == Some(true) {
            None
        } else {
            Some(s["reason"].as_str().unwrap_or("unavailable").to_owned())
        }
    })
}

impl Features {
    /// Reads the answer leniently: a missing flag is the safe value (read-only, not admin).
    pub fn from_json(v: &Value) -> Self {
        let generation = v["kato_generation"]
            .as_str()
            .filter(|g| matches!(*g, "v1" | "v3"))
            .map(str::to_owned)
            .or_else(|| match v["patterns_store"].as_str() {
                Some("mongodb") => Some("v1".into()),
                Some("clickhouse") => Some("v3".into()),
                _ => None,
            });
        Self {
            destructive_allowed: v["destructive_allowed"].as_bool().unwrap_or(false),
            read_only: v["read_only"].as_bool().unwrap_or(true),
            admin: v["admin"].as_bool().unwrap_or(false),
            mongodb: store(v, "mongodb"),
            redis: store(v, "redis"),
            qdrant: store(v, "qdrant"),
            clickhouse: store(v, "clickhouse"),
            generation,
        }
    }

    /// The knowledge-base stores to show: the generation's own; when it is unknown, those that answer; when
    /// none answers, both (their pages say why they are down).
    pub fn kb_stores(&self) -> Vec<KbStore> {
        match self.generation.as_deref() {
            Some("v1") => vec![KbStore::MongoDb],
            Some("v3") => vec![KbStore::ClickHouse],
            _ => {
                let up = |s: &Option<Option<String>>| matches!(s, Some(None));
                let mut stores = Vec::new();
                if up(&self.mongodb) {
                    stores.push(KbStore::MongoDb);
                }
                if up(&self.clickhouse) {
                    stores.push(KbStore::ClickHouse);
                }
                if stores.is_empty() {
                    stores = vec![KbStore::MongoDb, KbStore::ClickHouse];
                }
                stores
            }
        }
    }
}

/// The store tabs in order: the knowledge-base stores of `features` (all while it is not known yet, minus those
/// not on screen), Qdrant, Redis. The store of the page on screen (`current`) always keeps its tab.
pub fn store_tabs(features: Option<&Features>, current: &str) -> Vec<(&'static str, &'static str)> {
    let kb = [KbStore::MongoDb, KbStore::ClickHouse];
    let shown: Vec<KbStore> = match features {
        Some(f) => f.kb_stores(),
        None => Vec::new(),
    };
    let mut tabs: Vec<(&'static str, &'static str)> = kb
        .into_iter()
        .filter(|s| shown.contains(s) || current.starts_with(s.href()))
        .map(|s| (s.href(), s.label()))
        .collect();
    tabs.push(("/databases/qdrant", "Qdrant"));
    tabs.push(("/databases/redis", "Redis"));
    tabs
}

/// One ClickHouse table of a delete plan.
#[derive(Clone, Debug, PartialEq)]
pub struct TableRows {
    /// `patterns_data`, `lsh_buckets`, `pattern_stats`.
    pub table: String,
    /// Rows of the knowledge base in it.
    pub rows: u64,
    /// The statement that removes them.
    pub statement: String,
}

/// What a knowledge-base delete removes (the dry run's answer) or removed (the real one's).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DeletePlan {
    /// The knowledge base.
    pub kb_id: String,
    /// ClickHouse rows in all.
    pub clickhouse_rows: u64,
    /// Per table.
    pub tables: Vec<TableRows>,
    /// The `SCAN MATCH` pattern.
    pub scan_pattern: String,
    /// Redis keys in all.
    pub redis_keys: u64,
    /// Keys per family (`frequency`, `symbols`, …), in name order.
    pub families: Vec<(String, u64)>,
    /// The keys themselves (the first 10,000).
    pub keys: Vec<String>,
    /// Whether `keys` lists every key.
    pub keys_complete: bool,
    /// Keys under the prefix in another family: never deleted.
    pub kept: Vec<String>,
    /// `vectors_<kb_id>`.
    pub collection: String,
    /// Whether the collection exists (dry run) or existed (real run).
    pub collection_exists: bool,
    /// Its points.
    pub points: Option<u64>,
    /// What a delete never touches, and why.
    pub not_touched: Vec<String>,
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

impl DeletePlan {
    /// Reads a dry run's or a real delete's answer.
    pub fn from_json(v: &Value) -> Self {
        let redis = &v["redis"];
        let qdrant = &v["qdrant"];
        Self {
            kb_id: v["kb_id"].as_str().unwrap_or_default().to_owned(),
            clickhouse_rows: v["clickhouse"]["rows"].as_u64().unwrap_or(0),
            tables: v["clickhouse"]["tables"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|t| TableRows {
                    table: t["table"].as_str().unwrap_or_default().to_owned(),
                    rows: t["rows"].as_u64().unwrap_or(0),
                    statement: t["statement"].as_str().unwrap_or_default().to_owned(),
                })
                .collect(),
            scan_pattern: redis["scan_pattern"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            redis_keys: redis["keys_count"].as_u64().unwrap_or(0),
            families: redis["families"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, n)| (k.clone(), n.as_u64().unwrap_or(0)))
                .collect(),
            keys: strings(&redis["keys"]),
            keys_complete: redis["keys_complete"].as_bool().unwrap_or(true),
            kept: strings(&redis["kept"]),
            collection: qdrant["collection"].as_str().unwrap_or_default().to_owned(),
            collection_exists: qdrant["exists"]
                .as_bool()
                .or_else(|| qdrant["existed"].as_bool())
                .unwrap_or(false),
            points: qdrant["points"].as_u64(),
            not_touched: strings(&v["not_touched"]),
        }
    }

    /// One line: "30 ClickHouse rows, 455 Redis keys and the Qdrant collection vectors_x (14 points)".
    pub fn summary(&self) -> String {
        let plural = |n: u64, one: &str, many: &str| {
            format!(
                "{} {}",
                crate::format::int(n as f64),
                if n == 1 { one } else { many }
            )
        };
        let rows = plural(self.clickhouse_rows, "ClickHouse row", "ClickHouse rows");
        let keys = plural(self.redis_keys, "Redis key", "Redis keys");
        if self.collection_exists {
            let points = self
                .points
                .map(|p| format!(" ({})", plural(p, "point", "points")))
                .unwrap_or_default();
            format!(
                "{rows}, {keys} and the Qdrant collection {}{points}",
                self.collection
            )
        } else {
            format!(
                "{rows} and {keys} (no Qdrant collection {})",
                self.collection
            )
        }
    }
}

/// A percentage for a bar's width: 0..=100, 0 for anything not finite.
pub fn bar_width(percent: f64) -> f64 {
    if percent.is_finite() {
        percent.clamp(0.0, 100.0)
    } else {
        0.0
    }
}

/// A symbol for a preview: KATO's vector symbols (`VCTR|<sha1>`) cut to their first 8 hex digits.
pub fn short_symbol(symbol: &str) -> String {
    match symbol.strip_prefix("VCTR|") {
        Some(hash) if hash.len() > 8 => format!("VCTR|{}…", &hash[..8]),
        _ => symbol.to_owned(),
    }
}

/// A pattern's events on one line (`a b → c`), vector symbols shortened, cut at `max` characters.
pub fn events_preview(pattern_data: &Value, max: usize) -> String {
    let text = pattern_data
        .as_array()
        .into_iter()
        .flatten()
        .map(|event| {
            event
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(short_symbol)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join(" → ");
    if text.chars().count() > max {
        let cut: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    } else {
        text
    }
}

/// An RFC 3339 UTC time as the tables show it: `2026-12-06 23:22:06` (other text unchanged).
pub fn utc_text(rfc3339: &str) -> String {
    match rfc3339.strip_suffix('Z') {
        Some(t) if t.len() == 19 => t.replacen('T', " ", 1),
        _ => rfc3339.to_owned(),
    }
}

#[cfg(test)]
#[path = "kb_tests.rs"]
mod tests;

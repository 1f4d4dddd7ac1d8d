//! `INFO`, read once per request, summarised in the old dashboard's shape plus keyspace and ops/s.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::{RedisBrowser, error::Result};

/// Fields copied as numbers when they parse as one, else as text.
const SUMMARY: [&str; 14] = [
    "redis_version",
    "uptime_in_seconds",
    "connected_clients",
    "used_memory",
    "used_memory_human",
    "used_memory_peak",
    "used_memory_peak_human",
    "total_commands_processed",
    "instantaneous_ops_per_sec",
    "keyspace_hits",
    "keyspace_misses",
    "evicted_keys",
    "expired_keys",
    "maxmemory",
];

impl RedisBrowser {
    /// `{"info": {version, uptime_seconds, …, keyspace}, "cache_hit_rate": 0..100}`.
    pub async fn info(&self) -> Result<Value> {
        let mut conn = self.conn()?;
        let text: String = redis::cmd("INFO").query_async(&mut conn).await?;
        Ok(summarise(&text))
    }
}

/// The summary of an `INFO` answer.
pub fn summarise(text: &str) -> Value {
    let fields: HashMap<&str, &str> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.trim_end().split_once(':'))
        .collect();
    let mut info = Map::new();
    for key in SUMMARY {
        let Some(raw) = fields.get(key) else { continue };
        let name = match key {
            "redis_version" => "version",
            "uptime_in_seconds" => "uptime_seconds",
            "instantaneous_ops_per_sec" => "ops_per_sec",
            other => other,
        };
        let value = raw.parse::<i64>().map_or_else(|_| json!(raw), |n| json!(n));
        info.insert(name.to_owned(), value);
    }
    let mut keyspace = Map::new();
    for (key, raw) in &fields {
        if key.starts_with("db") && key[2..].chars().all(|c| c.is_ascii_digit()) {
            let parts: Map<String, Value> = raw
                .split(',')
                .filter_map(|p| p.split_once('='))
                .map(|(k, v)| {
                    (
                        k.to_owned(),
                        v.parse::<i64>().map_or_else(|_| json!(v), |n| json!(n)),
                    )
                })
                .collect();
            keyspace.insert((*key).to_owned(), Value::Object(parts));
        }
    }
    info.insert("keyspace".into(), Value::Object(keyspace));
    let number = |k: &str| {
        fields
            .get(k)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let (hits, misses) = (number("keyspace_hits"), number("keyspace_misses"));
    let rate = if hits + misses > 0.0 {
        hits / (hits + misses) * 100.0
    } else {
        0.0
    };
    json!({ "info": info, "cache_hit_rate": (rate * 100.0).round() / 100.0 })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn info_is_summarised_with_hit_rate_and_keyspace() {
        let text = "# Server\r\nredis_version:7.0.15\r\nuptime_in_seconds:42\r\n# Stats\r\nkeyspace_hits:3\r\n\
                    keyspace_misses:1\r\ninstantaneous_ops_per_sec:7\r\nused_memory_human:1.00M\r\n\
                    # Keyspace\r\ndb0:keys=13,expires=12,avg_ttl=3500000\r\n";
        let v = summarise(text);
        assert_eq!(v["info"]["version"], "7.0.15");
        assert_eq!(v["info"]["uptime_seconds"], 42);
        assert_eq!(v["info"]["ops_per_sec"], 7);
        assert_eq!(v["info"]["used_memory_human"], "1.00M");
        assert_eq!(v["info"]["keyspace"]["db0"]["keys"], 13);
        assert_eq!(v["cache_hit_rate"], 75.0);
        assert_eq!(summarise("")["cache_hit_rate"], 0.0);
    }
}

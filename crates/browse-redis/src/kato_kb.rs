//! KATO 3.x knowledge bases in Redis: per pattern `<kb>:frequency|emotives|metadata|…:<name>`, per symbol
//! `<kb>:affinity:<symbol>` and `<kb>:symbol_to_patterns:<symbol>`, the hashes `<kb>:symbols:freq` /
//! `<kb>:symbols:pmf`, the totals `<kb>:global:*` and the predictions `<kb>:prediction:<id>`.
//!
//! Reads are `MGET`, `HGETALL`, `HLEN` and pipelines of them. The keys of a whole knowledge base are found with
//! `SCAN MATCH <kb>:*` — the kb_id glob-escaped, because KATO leaves `[`, `]` and `^` in kb_ids — and only the
//! families above are ever deleted: a key under the prefix in any other family (`kato:session:*` when someone
//! names a knowledge base `kato`) is reported and kept.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::{RedisBrowser, error::Result};

/// The key families KATO 3.x writes per knowledge base (the part after `<kb>:`, up to the next `:`).
pub const KB_FAMILIES: [&str; 12] = [
    "frequency",
    "emotives",
    "metadata",
    "entropy",
    "normalized_entropy",
    "global_normalized_entropy",
    "tf_vector",
    "symbols",
    "symbol_to_patterns",
    "affinity",
    "global",
    "prediction",
];
/// Keys per `MGET`, `UNLINK` or pipeline.
const BATCH: usize = 1000;
/// Keys per `SCAN` round (the prediction keys make KATO's keyspace big).
const SCAN_COUNT: usize = 5000;

/// `\`, `*`, `?`, `[` and `]` escaped, so `text` matches itself in a `SCAN MATCH` pattern.
pub fn escape_glob(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '*' | '?' | '[' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// What Redis holds for one pattern besides its ClickHouse row.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PatternMeta {
    /// Learns (`SET NX 1`, then `INCR`); `None` when the key is missing.
    pub frequency: Option<u64>,
    /// The raw per-observation emotives of the learns (JSON), the last `persistence` of them.
    pub emotives: Option<Value>,
    /// Metadata: key → sorted unique strings (JSON).
    pub metadata: Option<Value>,
    /// Written by `finalize-training` only.
    pub entropy: Option<f64>,
    /// Written by `finalize-training` only.
    pub normalized_entropy: Option<f64>,
    /// Written by `finalize-training` only.
    pub global_normalized_entropy: Option<f64>,
    /// `{symbol: count/length}`, written by `finalize-training` only.
    pub tf_vector: Option<Value>,
}

/// One symbol of a knowledge base.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SymbolCounts {
    /// The symbol (`temp:high`, `VCTR|<sha1>`, …).
    pub name: String,
    /// Occurrences over all learns (`symbols:freq`).
    pub frequency: u64,
    /// Distinct patterns holding it (`symbols:pmf`).
    pub pattern_member_frequency: u64,
}

/// Every key of one knowledge base.
#[derive(Debug, Clone, Default, Serialize)]
pub struct KbKeys {
    /// The `SCAN MATCH` pattern used.
    pub scan_pattern: String,
    /// Keys in KATO's families (what a delete removes), sorted.
    pub keys: Vec<String>,
    /// Their number per family.
    pub families: BTreeMap<String, u64>,
    /// Keys under the prefix in another family: never deleted.
    pub kept: Vec<String>,
}

fn text(bytes: Option<Vec<u8>>) -> Option<String> {
    bytes.map(|b| String::from_utf8_lossy(&b).into_owned())
}

fn json(bytes: Option<Vec<u8>>) -> Option<Value> {
    text(bytes).map(|t| serde_json::from_str(&t).unwrap_or(Value::String(t)))
}

fn number<T: std::str::FromStr>(bytes: Option<Vec<u8>>) -> Option<T> {
    text(bytes).and_then(|t| t.trim().parse().ok())
}

impl RedisBrowser {
    /// kb_ids that have `<kb>:global:total_unique_patterns`, KATO's pattern counter, written with a knowledge
    /// base's first pattern (one full `SCAN`).
    pub async fn kato_kb_ids(&self) -> Result<BTreeSet<String>> {
        const SUFFIX: &str = ":global:total_unique_patterns";
        Ok(self
            .scan_all(&format!("*{SUFFIX}"))
            .await?
            .iter()
            .filter_map(|key| key.strip_suffix(SUFFIX))
            .filter(|kb| !kb.contains(':'))
            .map(str::to_owned)
            .collect())
    }

    /// Symbols per knowledge base (`HLEN <kb>:symbols:freq`; 0 when there is no hash).
    pub async fn kato_symbol_counts(&self, kb_ids: &[String]) -> Result<Vec<u64>> {
        let mut conn = self.conn()?;
        let mut out = Vec::with_capacity(kb_ids.len());
        for chunk in kb_ids.chunks(BATCH) {
            let mut pipe = redis::pipe();
            for kb in chunk {
                pipe.cmd("HLEN").arg(format!("{kb}:symbols:freq"));
            }
            let counts: Vec<u64> = pipe.query_async(&mut conn).await?;
            out.extend(counts);
        }
        Ok(out)
    }

    /// The frequency of each named pattern (`MGET` in batches), `None` where the key is missing.
    pub async fn kato_frequencies(&self, kb: &str, names: &[String]) -> Result<Vec<Option<u64>>> {
        let mut conn = self.conn()?;
        let mut out = Vec::with_capacity(names.len());
        for chunk in names.chunks(BATCH) {
            let keys: Vec<String> = chunk
                .iter()
                .map(|n| format!("{kb}:frequency:{n}"))
                .collect();
            let values: Vec<Option<Vec<u8>>> =
                redis::cmd("MGET").arg(&keys).query_async(&mut conn).await?;
            out.extend(values.into_iter().map(number));
        }
        Ok(out)
    }

    /// Everything Redis holds for one pattern (one `MGET`).
    pub async fn kato_pattern_meta(&self, kb: &str, name: &str) -> Result<PatternMeta> {
        let mut conn = self.conn()?;
        let families = [
            "frequency",
            "emotives",
            "metadata",
            "entropy",
            "normalized_entropy",
            "global_normalized_entropy",
            "tf_vector",
        ];
        let keys: Vec<String> = families
            .iter()
            .map(|f| format!("{kb}:{f}:{name}"))
            .collect();
        let mut v: std::vec::IntoIter<Option<Vec<u8>>> = redis::cmd("MGET")
            .arg(&keys)
            .query_async::<Vec<Option<Vec<u8>>>>(&mut conn)
            .await?
            .into_iter();
        let mut next = || v.next().flatten();
        Ok(PatternMeta {
            frequency: number(next()),
            emotives: json(next()),
            metadata: json(next()),
            entropy: number(next()),
            normalized_entropy: number(next()),
            global_normalized_entropy: number(next()),
            tf_vector: json(next()),
        })
    }

    /// Every symbol of `kb` with its counts (`HGETALL` of `symbols:freq` and `symbols:pmf`), by name.
    pub async fn kato_symbols(&self, kb: &str) -> Result<Vec<SymbolCounts>> {
        let mut conn = self.conn()?;
        let (freq, pmf): (BTreeMap<String, String>, BTreeMap<String, String>) = redis::pipe()
            .cmd("HGETALL")
            .arg(format!("{kb}:symbols:freq"))
            .cmd("HGETALL")
            .arg(format!("{kb}:symbols:pmf"))
            .query_async(&mut conn)
            .await?;
        let names: BTreeSet<&String> = freq.keys().chain(pmf.keys()).collect();
        let count = |m: &BTreeMap<String, String>, n: &String| {
            m.get(n).and_then(|v| v.trim().parse().ok()).unwrap_or(0)
        };
        Ok(names
            .into_iter()
            .map(|n| SymbolCounts {
                name: n.clone(),
                frequency: count(&freq, n),
                pattern_member_frequency: count(&pmf, n),
            })
            .collect())
    }

    /// One symbol's counts, `None` when `kb` has no such symbol (in neither hash).
    pub async fn kato_symbol(&self, kb: &str, symbol: &str) -> Result<Option<SymbolCounts>> {
        let mut conn = self.conn()?;
        let (freq, pmf): (Option<Vec<u8>>, Option<Vec<u8>>) = redis::pipe()
            .cmd("HGET")
            .arg(format!("{kb}:symbols:freq"))
            .arg(symbol)
            .cmd("HGET")
            .arg(format!("{kb}:symbols:pmf"))
            .arg(symbol)
            .query_async(&mut conn)
            .await?;
        if freq.is_none() && pmf.is_none() {
            return Ok(None);
        }
        Ok(Some(SymbolCounts {
            name: symbol.to_owned(),
            frequency: number(freq).unwrap_or(0),
            pattern_member_frequency: number(pmf).unwrap_or(0),
        }))
    }

    /// The emotive sums of each symbol (`HGETALL <kb>:affinity:<symbol>`), `None` where there are none.
    pub async fn kato_affinities(
        &self,
        kb: &str,
        symbols: &[&str],
    ) -> Result<Vec<Option<BTreeMap<String, f64>>>> {
        let mut conn = self.conn()?;
        let mut out = Vec::with_capacity(symbols.len());
        for chunk in symbols.chunks(BATCH) {
            let mut pipe = redis::pipe();
            for s in chunk {
                pipe.cmd("HGETALL").arg(format!("{kb}:affinity:{s}"));
            }
            let hashes: Vec<BTreeMap<String, String>> = pipe.query_async(&mut conn).await?;
            out.extend(hashes.into_iter().map(|h| {
                (!h.is_empty()).then(|| {
                    h.into_iter()
                        .filter_map(|(k, v)| Some((k, v.trim().parse::<f64>().ok()?)))
                        .collect()
                })
            }));
        }
        Ok(out)
    }

    /// KATO's running totals `<kb>:global:<name>` (`total_unique_patterns`, `total_pattern_frequencies`,
    /// `total_symbols_in_patterns_frequencies`); missing ones are left out.
    pub async fn kato_globals(&self, kb: &str) -> Result<BTreeMap<String, i64>> {
        let names = [
            "total_unique_patterns",
            "total_pattern_frequencies",
            "total_symbols_in_patterns_frequencies",
        ];
        let keys: Vec<String> = names.iter().map(|n| format!("{kb}:global:{n}")).collect();
        let mut conn = self.conn()?;
        let values: Vec<Option<Vec<u8>>> =
            redis::cmd("MGET").arg(&keys).query_async(&mut conn).await?;
        Ok(names
            .iter()
            .zip(values)
            .filter_map(|(n, v)| Some(((*n).to_owned(), number(v)?)))
            .collect())
    }

    /// Every key of `kb` (`SCAN MATCH <escaped kb>:*`), split into KATO's families and the rest.
    pub async fn kato_kb_keys(&self, kb: &str) -> Result<KbKeys> {
        let scan_pattern = format!("{}:*", escape_glob(kb));
        let prefix = format!("{kb}:");
        let mut found = self.scan_all(&scan_pattern).await?;
        found.sort();
        let mut out = KbKeys {
            scan_pattern,
            ..KbKeys::default()
        };
        for key in found {
            // The escaped pattern matches exactly this prefix; checked again all the same.
            let Some(rest) = key.strip_prefix(&prefix) else {
                continue;
            };
            let family = rest.split(':').next().unwrap_or_default();
            if KB_FAMILIES.contains(&family) {
                *out.families.entry(family.to_owned()).or_default() += 1;
                out.keys.push(key);
            } else {
                out.kept.push(key);
            }
        }
        Ok(out)
    }

    /// Unlinks these keys (in batches); returns how many existed.
    pub async fn unlink_keys(&self, keys: &[String]) -> Result<u64> {
        let mut conn = self.conn()?;
        let mut removed = 0;
        for chunk in keys.chunks(BATCH) {
            let n: u64 = redis::cmd("UNLINK")
                .arg(chunk)
                .query_async(&mut conn)
                .await?;
            removed += n;
        }
        Ok(removed)
    }

    /// Every key matching `pattern` (a full `SCAN`; keys that are not UTF-8 are skipped: KATO writes none).
    async fn scan_all(&self, pattern: &str) -> Result<Vec<String>> {
        let mut conn = self.conn()?;
        let mut cursor: u64 = 0;
        let mut seen = BTreeSet::new();
        loop {
            let (next, batch): (u64, Vec<Vec<u8>>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(pattern)
                .arg("COUNT")
                .arg(SCAN_COUNT)
                .query_async(&mut conn)
                .await?;
            seen.extend(batch.into_iter().filter_map(|k| String::from_utf8(k).ok()));
            cursor = next;
            if cursor == 0 {
                return Ok(seen.into_iter().collect());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_characters_are_escaped() {
        assert_eq!(escape_glob("node[1]_kato"), "node\\[1\\]_kato");
        assert_eq!(escape_glob("a*b?c\\d"), "a\\*b\\?c\\\\d");
        assert_eq!(escape_glob("sensor_alpha_kato"), "sensor_alpha_kato");
    }
}

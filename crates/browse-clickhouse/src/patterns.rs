//! `patterns_data` read: knowledge bases with their figures, pages sorted and searched on the server, one
//! pattern in full, the names of a whole knowledge base (for sorting by a Redis-held frequency), statistics.

use clickhouse::Row;
use serde::{Deserialize, Serialize};

use crate::{
    ClickHouseBrowser,
    error::{ClickHouseBrowseError, Result},
    query::{PatternQuery, validate_kb_id, validate_text, where_clause},
};

/// Most names fetched at once for a sort the caller does itself (by frequency).
const MAX_NAMES: u64 = 2_000_000;

/// One knowledge base as ClickHouse sees it.
#[derive(Debug, Clone, Serialize, Deserialize, Row)]
pub struct KnowledgeBase {
    /// KATO's kb_id (= processor id, e.g. `sensor_alpha_kato`).
    pub kb_id: String,
    /// Rows (one per distinct pattern).
    pub patterns: u64,
    /// Mean symbols per pattern.
    pub avg_length: f64,
    /// Fewest symbols.
    pub min_length: u32,
    /// Most symbols.
    pub max_length: u32,
    /// Mean distinct symbols per pattern.
    pub avg_token_count: f64,
    /// First learn (unix seconds; KATO writes `datetime.now()`).
    pub first_created: u32,
    /// Latest first learn.
    pub last_created: u32,
}

/// `SELECT` list of [`KnowledgeBase`] (grouped by `kb_id`).
const KB_FIGURES: &str = "kb_id, count() AS patterns, ifNotFinite(avg(length), 0) AS avg_length, \
    min(length) AS min_length, max(length) AS max_length, ifNotFinite(avg(token_count), 0) AS avg_token_count, \
    toUInt32(min(created_at)) AS first_created, toUInt32(max(created_at)) AS last_created";

/// A row without the MinHash/LSH columns (lists).
#[derive(Debug, Clone, Deserialize, Row)]
struct SummaryRow {
    name: String,
    pattern_data: Vec<Vec<String>>,
    length: u32,
    token_set: Vec<String>,
    token_count: u32,
    first_token: String,
    last_token: String,
    created_at: u32,
    updated_at: u32,
}

/// A whole row (detail).
#[derive(Debug, Clone, Deserialize, Row)]
struct FullRow {
    name: String,
    pattern_data: Vec<Vec<String>>,
    length: u32,
    token_set: Vec<String>,
    token_count: u32,
    minhash_sig: Vec<u32>,
    lsh_bands: Vec<u64>,
    first_token: String,
    last_token: String,
    created_at: u32,
    updated_at: u32,
}

/// A pattern as lists show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PatternSummary {
    /// The bare sha1 (KATO's API shows it as `PTRN|<name>`).
    pub name: String,
    /// Events, each a sorted list of symbols.
    pub pattern_data: Vec<Vec<String>>,
    /// Symbols in all (not events).
    pub length: u32,
    /// Events.
    pub events: usize,
    /// Distinct symbols.
    pub token_set: Vec<String>,
    /// Their number.
    pub token_count: u32,
    /// `pattern_data[0][0]`.
    pub first_token: String,
    /// `pattern_data[-1][-1]`.
    pub last_token: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// RFC 3339, UTC (always equal to `created_at` in KATO 3.10).
    pub updated_at: String,
}

/// A pattern in full: the summary plus its MinHash signature and LSH bands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pattern {
    /// Everything lists show.
    #[serde(flatten)]
    pub summary: PatternSummary,
    /// 100 MinHash values.
    pub minhash_sig: Vec<u32>,
    /// 20 band hashes, as decimal strings (they exceed 2^53, which JSON readers in browsers round).
    pub lsh_bands: Vec<String>,
}

/// One page of patterns.
#[derive(Debug, Clone, Serialize)]
pub struct PatternPage {
    /// The patterns, in order.
    pub patterns: Vec<PatternSummary>,
    /// Patterns matching (the whole knowledge base, or the search).
    pub total: u64,
}

/// A value and how many patterns have it.
#[derive(Debug, Clone, Serialize, Deserialize, Row)]
pub struct Count {
    /// The value (symbols or events per pattern).
    pub value: u32,
    /// Patterns with it.
    pub count: u64,
}

/// Figures of one knowledge base's patterns.
#[derive(Debug, Clone, Serialize)]
pub struct PatternStatistics {
    /// Counts, lengths and learn times.
    pub figures: KnowledgeBase,
    /// Patterns per length (symbols), ascending.
    pub length_distribution: Vec<Count>,
    /// Patterns per number of events, ascending.
    pub event_distribution: Vec<Count>,
}

fn rfc3339(secs: u32) -> String {
    chrono::DateTime::from_timestamp(i64::from(secs), 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

impl From<SummaryRow> for PatternSummary {
    fn from(r: SummaryRow) -> Self {
        Self {
            events: r.pattern_data.len(),
            name: r.name,
            pattern_data: r.pattern_data,
            length: r.length,
            token_set: r.token_set,
            token_count: r.token_count,
            first_token: r.first_token,
            last_token: r.last_token,
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
        }
    }
}

impl From<FullRow> for Pattern {
    fn from(r: FullRow) -> Self {
        Self {
            summary: PatternSummary {
                events: r.pattern_data.len(),
                name: r.name,
                pattern_data: r.pattern_data,
                length: r.length,
                token_set: r.token_set,
                token_count: r.token_count,
                first_token: r.first_token,
                last_token: r.last_token,
                created_at: rfc3339(r.created_at),
                updated_at: rfc3339(r.updated_at),
            },
            minhash_sig: r.minhash_sig,
            lsh_bands: r.lsh_bands.iter().map(u64::to_string).collect(),
        }
    }
}

impl ClickHouseBrowser {
    /// Every knowledge base that has rows, by kb_id, with its figures (one `GROUP BY`).
    pub async fn knowledge_bases(&self) -> Result<Vec<KnowledgeBase>> {
        let sql = format!("SELECT {KB_FIGURES} FROM patterns_data GROUP BY kb_id ORDER BY kb_id");
        let query = self.client()?.query(&sql).fetch_all::<KnowledgeBase>();
        self.run(query).await
    }

    /// The figures of one knowledge base; `NotFound` when it has no rows.
    pub async fn knowledge_base(&self, kb_id: &str) -> Result<KnowledgeBase> {
        let kb_id = validate_kb_id(kb_id)?;
        let sql = format!("SELECT {KB_FIGURES} FROM patterns_data WHERE kb_id = ? GROUP BY kb_id");
        let query = self
            .client()?
            .query(&sql)
            .bind(kb_id)
            .fetch_optional::<KnowledgeBase>();
        self.run(query).await?.ok_or_else(|| no_patterns(kb_id))
    }

    /// Patterns of `kb_id` matching the search (all when there is none).
    pub async fn pattern_count(&self, kb_id: &str, search: Option<&str>) -> Result<u64> {
        let kb_id = validate_kb_id(kb_id)?;
        if let Some(text) = search {
            validate_text("search", text, 4096)?;
        }
        let (clause, like) = where_clause(search);
        let sql = format!("SELECT count() FROM patterns_data WHERE {clause}");
        let mut query = self.client()?.query(&sql).bind(kb_id);
        if let Some(like) = &like {
            query = query.bind(like).bind(like);
        }
        self.run(query.fetch_one::<u64>()).await
    }

    /// A page sorted by a ClickHouse column (ties by name). Sorting by frequency is the caller's (the
    /// frequency is in Redis): use [`Self::pattern_names`] and [`Self::patterns_by_name`].
    pub async fn patterns(&self, kb_id: &str, q: &PatternQuery) -> Result<PatternPage> {
        let kb_id = validate_kb_id(kb_id)?;
        q.validate()?;
        let Some(column) = q.sort_by.column() else {
            return Err(ClickHouseBrowseError::BadRequest(
                "the frequency is in Redis: sort by it with pattern_names + patterns_by_name"
                    .into(),
            ));
        };
        let total = self.pattern_count(kb_id, q.search_text()).await?;
        let (clause, like) = where_clause(q.search_text());
        let tie = if column == "name" { "" } else { ", name ASC" };
        let sql = format!(
            "SELECT ?fields FROM patterns_data WHERE {clause} ORDER BY {column} {}{tie} LIMIT ? OFFSET ?",
            q.sort_order.sql()
        );
        let mut query = self.client()?.query(&sql).bind(kb_id);
        if let Some(like) = &like {
            query = query.bind(like).bind(like);
        }
        let rows = query.bind(q.limit).bind(q.skip).fetch_all::<SummaryRow>();
        let patterns = self.run(rows).await?.into_iter().map(Into::into).collect();
        Ok(PatternPage { patterns, total })
    }

    /// The names of every pattern of `kb_id` matching the search, by name; `BadRequest` beyond 2,000,000.
    pub async fn pattern_names(&self, kb_id: &str, search: Option<&str>) -> Result<Vec<String>> {
        let kb_id = validate_kb_id(kb_id)?;
        let total = self.pattern_count(kb_id, search).await?;
        if total > MAX_NAMES {
            return Err(ClickHouseBrowseError::BadRequest(format!(
                "{total} patterns are too many to sort by frequency (at most {MAX_NAMES}); sort by length, \
                 name or created_at, or narrow them with a search"
            )));
        }
        let (clause, like) = where_clause(search);
        let sql = format!("SELECT name FROM patterns_data WHERE {clause} ORDER BY name");
        let mut query = self.client()?.query(&sql).bind(kb_id);
        if let Some(like) = &like {
            query = query.bind(like).bind(like);
        }
        self.run(query.fetch_all::<String>()).await
    }

    /// The patterns named (at most 1000), in the order given; names without a row are left out.
    pub async fn patterns_by_name(
        &self,
        kb_id: &str,
        names: &[String],
    ) -> Result<Vec<PatternSummary>> {
        let kb_id = validate_kb_id(kb_id)?;
        if names.len() > crate::MAX_LIMIT as usize {
            return Err(ClickHouseBrowseError::BadRequest(format!(
                "at most {} names at once",
                crate::MAX_LIMIT
            )));
        }
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let query = self
            .client()?
            .query("SELECT ?fields FROM patterns_data WHERE kb_id = ? AND has(?, name)")
            .bind(kb_id)
            .bind(names)
            .fetch_all::<SummaryRow>();
        let mut rows: std::collections::HashMap<String, SummaryRow> = self
            .run(query)
            .await?
            .into_iter()
            .map(|r| (r.name.clone(), r))
            .collect();
        Ok(names
            .iter()
            .filter_map(|n| rows.remove(n))
            .map(Into::into)
            .collect())
    }

    /// One pattern in full (`name` with or without `PTRN|`); `NotFound` when `kb_id` has no such row.
    pub async fn pattern(&self, kb_id: &str, name: &str) -> Result<Pattern> {
        let kb_id = validate_kb_id(kb_id)?;
        let name = validate_text("pattern name", crate::patterns_name(name), 255)?;
        let query = self
            .client()?
            .query("SELECT ?fields FROM patterns_data WHERE kb_id = ? AND name = ? LIMIT 1")
            .bind(kb_id)
            .bind(name)
            .fetch_optional::<FullRow>();
        self.run(query).await?.map(Into::into).ok_or_else(|| {
            ClickHouseBrowseError::NotFound(format!(
                "pattern `{}` not found in `{kb_id}`",
                name.chars().take(80).collect::<String>()
            ))
        })
    }

    /// Figures, and the distributions of lengths and events; `NotFound` when `kb_id` has no rows.
    pub async fn statistics(&self, kb_id: &str) -> Result<PatternStatistics> {
        let figures = self.knowledge_base(kb_id).await?;
        let lengths = self
            .client()?
            .query(
                "SELECT length AS value, count() AS count FROM patterns_data WHERE kb_id = ? \
                 GROUP BY value ORDER BY value",
            )
            .bind(&figures.kb_id)
            .fetch_all::<Count>();
        let events = self
            .client()?
            .query(
                "SELECT toUInt32(length(pattern_data)) AS value, count() AS count FROM patterns_data \
                 WHERE kb_id = ? GROUP BY value ORDER BY value",
            )
            .bind(&figures.kb_id)
            .fetch_all::<Count>();
        let (lengths, events) = tokio::join!(self.run(lengths), self.run(events));
        Ok(PatternStatistics {
            figures,
            length_distribution: lengths?,
            event_distribution: events?,
        })
    }
}

fn no_patterns(kb_id: &str) -> ClickHouseBrowseError {
    ClickHouseBrowseError::NotFound(format!(
        "knowledge base `{kb_id}` has no patterns in ClickHouse"
    ))
}

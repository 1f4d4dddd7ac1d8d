//! Browser for KATO 3.x's pattern store in ClickHouse, on the official `clickhouse` client (HTTP, RowBinary).
//!
//! KATO 3.x keeps one row per pattern in `kato.patterns_data` (partitioned by `kb_id`, sorted by
//! `(kb_id, length, name)`); the pattern's frequency, emotives and metadata live in Redis and its vectors in
//! Qdrant. This crate reads ClickHouse only: the knowledge bases with their pattern counts and figures, pages of
//! patterns sorted and searched on the server (over the whole knowledge base, never one page), one pattern in
//! full, per-knowledge-base statistics, and the rows a knowledge-base delete would remove — and removes them
//! (`ALTER TABLE … DROP PARTITION`, as KATO's own `clear-all` does). The server composes these with Redis and
//! Qdrant.
//!
//! Rules it keeps whatever the caller does: every value from a request reaches ClickHouse as a bound,
//! escaped literal (never spliced into SQL); search text is matched literally (`%` and `_` escaped for
//! `ILIKE`); page sizes are 1..=1000; every call has a deadline, and a ClickHouse that cannot be reached is
//! [`ClickHouseBrowseError::Unavailable`], not a hang. Whether a caller may delete is the server's decision
//! (admin token, read-only mode): this crate does not know about HTTP. It must not depend on any other dashboard
//! crate.

mod client;
mod delete;
mod error;
mod patterns;
mod query;

pub use client::{ClickHouseBrowser, ClickHouseConfig};
pub use delete::{KbRows, TableRows};
pub use error::{ClickHouseBrowseError, Result};
pub use patterns::{Count, KnowledgeBase, Pattern, PatternPage, PatternStatistics, PatternSummary};
pub use query::{
    MAX_LIMIT, PatternQuery, SortKey, SortOrder, escape_like, patterns_name, validate_kb_id,
};

/// The table KATO keeps its patterns in.
pub const PATTERNS_TABLE: &str = "patterns_data";
/// Every table KATO's `init.sql` creates, all partitioned by `kb_id` (only `patterns_data` is written).
pub const KATO_TABLES: [&str; 3] = ["patterns_data", "lsh_buckets", "pattern_stats"];

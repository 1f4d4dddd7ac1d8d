//! `patterns_kb` and `symbols_kb`: server-side paging, sort, name search, detail and statistics.

use futures_util::TryStreamExt;
use mongodb::bson::{Bson, Document, doc};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    MongoBrowser,
    client::run,
    documents::{DocumentPage, DocumentQuery},
    error::{MongoBrowseError, Result},
    filter::escape_regex,
    json::to_json,
};

/// KATO's patterns collection.
pub const PATTERNS: &str = "patterns_kb";
/// KATO's symbols collection.
pub const SYMBOLS: &str = "symbols_kb";

/// What patterns and symbols can be sorted by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    /// How often it was learned (KATO's index `frequency_-1_name_1`).
    #[default]
    Frequency,
    /// Number of symbols (patterns only).
    Length,
    /// The sha1 name (patterns) or the symbol itself.
    Name,
    /// Insertion order.
    #[serde(rename = "_id")]
    Id,
    /// Legacy value of the old API (it named a field that does not exist); sorts by name.
    Pattern,
    /// Symbols only: learns whose pattern held the symbol.
    PatternMemberFrequency,
}

impl SortKey {
    fn field(self) -> &'static str {
        match self {
            Self::Frequency => "frequency",
            Self::Length => "length",
            Self::Name | Self::Pattern => "name",
            Self::Id => "_id",
            Self::PatternMemberFrequency => "pattern_member_frequency",
        }
    }
}

/// How `search` matches names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchMode {
    /// Anywhere in the name.
    #[default]
    Contains,
    /// At the start (uses the `name_1` index).
    Prefix,
}

/// A page request for patterns or symbols.
#[derive(Debug, Clone, Default)]
pub struct PatternQuery {
    /// Documents to skip.
    pub skip: u64,
    /// Page size (1..=1000).
    pub limit: i64,
    /// Sort field.
    pub sort_by: SortKey,
    /// 1 ascending, -1 descending.
    pub sort_order: i32,
    /// Text to find in `name` (matched literally).
    pub search: Option<String>,
    /// Where in the name it must occur.
    pub search_mode: SearchMode,
}

impl PatternQuery {
    fn filter(&self) -> Document {
        match self
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => Document::new(),
            Some(text) => {
                let escaped = escape_regex(text);
                let pattern = match self.search_mode {
                    SearchMode::Contains => escaped,
                    SearchMode::Prefix => format!("^{escaped}"),
                };
                doc! { "name": { "$regex": pattern } }
            }
        }
    }

    fn sort(&self) -> Document {
        let field = self.sort_by.field();
        let mut sort = doc! { field: self.sort_order };
        // Ties broken by name, then _id, so pages never overlap or skip documents.
        if field != "name" && field != "_id" {
            sort.insert("name", 1);
        }
        if field != "_id" {
            sort.insert("_id", 1);
        }
        sort
    }
}

impl MongoBrowser {
    /// A page of `patterns_kb` (or `symbols_kb`, when `collection` says so).
    pub async fn patterns(
        &self,
        database: &str,
        collection: &str,
        q: &PatternQuery,
    ) -> Result<DocumentPage> {
        if collection != PATTERNS && collection != SYMBOLS {
            return Err(MongoBrowseError::BadRequest(format!(
                "`{collection}` is not patterns_kb or symbols_kb"
            )));
        }
        if collection == SYMBOLS && q.sort_by == SortKey::Length {
            return Err(MongoBrowseError::BadRequest(
                "symbols have no length; sort by frequency or name".into(),
            ));
        }
        if collection == PATTERNS && q.sort_by == SortKey::PatternMemberFrequency {
            return Err(MongoBrowseError::BadRequest(
                "patterns have no pattern_member_frequency".into(),
            ));
        }
        self.require_collection(database, collection).await?;
        let query = DocumentQuery {
            skip: q.skip,
            limit: q.limit,
            filter: q.filter(),
            sort: q.sort(),
        };
        self.page(database, collection, query).await
    }

    /// Pattern statistics: totals, frequency figures and the distribution of `length` (symbols per pattern).
    pub async fn pattern_statistics(&self, database: &str) -> Result<Value> {
        self.require_collection(database, PATTERNS).await?;
        let coll = self.db(database).await?.collection::<Document>(PATTERNS);
        let total = run(coll.count_documents(doc! {})).await?;
        let frequency = vec![doc! {"$group": {
            "_id": Bson::Null,
            "avg_frequency": {"$avg": "$frequency"},
            "max_frequency": {"$max": "$frequency"},
            "min_frequency": {"$min": "$frequency"},
            "total_frequency": {"$sum": "$frequency"},
        }}];
        let frequency_stats = match self.aggregate(&coll, frequency).await?.into_iter().next() {
            Some(d) => to_json(d),
            None => json!({}),
        };
        let lengths = vec![
            doc! {"$group": {"_id": "$length", "count": {"$sum": 1}}},
            doc! {"$sort": {"_id": 1}},
        ];
        let mut length_distribution: Vec<Value> = self
            .aggregate(&coll, lengths)
            .await?
            .into_iter()
            .map(to_json)
            .collect();
        // Sorted here too: not every MongoDB-compatible server sorts `$group` output reliably.
        length_distribution.sort_by_key(|v| v["_id"].as_i64().unwrap_or(i64::MAX));
        Ok(json!({
            "total_patterns": total,
            "frequency_stats": frequency_stats,
            "length_distribution": length_distribution,
        }))
    }

    async fn aggregate(
        &self,
        coll: &mongodb::Collection<Document>,
        pipeline: Vec<Document>,
    ) -> Result<Vec<Document>> {
        let cursor = run(coll.aggregate(pipeline)).await?;
        run(cursor.try_collect::<Vec<_>>()).await
    }
}

//! The MongoDB browser's parameters: the path segments (`{db}`, `{c}`, `{id}`), the page query and the typed
//! confirmation of a drop, each with the description `/openapi.json` shows.

use kato_dashboard_browse_mongo::{PatternQuery, SearchMode, SortKey, filter};
use serde::Deserialize;
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;

/// `{db}`: a knowledge base (database).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(super) struct Db {
    /// Knowledge base (database) name
    pub(super) db: String,
}

/// `{db}` and `{id}`: a document of a knowledge base's patterns or symbols.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(super) struct DbId {
    /// Knowledge base (database) name
    pub(super) db: String,
    /// Document id: an ObjectId when it parses as one, else the string
    pub(super) id: String,
}

/// `{db}` and `{c}`: a collection.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(super) struct DbCollection {
    /// Knowledge base (database) name
    pub(super) db: String,
    /// Collection name
    pub(super) c: String,
}

/// `{db}`, `{c}` and `{id}`: a document of a collection.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(super) struct DbCollectionId {
    /// Knowledge base (database) name
    pub(super) db: String,
    /// Collection name
    pub(super) c: String,
    /// Document id: an ObjectId when it parses as one, else the string
    pub(super) id: String,
}

/// Page parameters of the pattern, symbol and document lists.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct PageParams {
    /// Offset
    #[serde(default)]
    pub(super) skip: u64,
    /// Page size (default 100)
    #[serde(default = "default_limit")]
    pub(super) limit: i64,
    /// Patterns and symbols: frequency, length, name or _id; documents: a field (default _id)
    #[serde(default)]
    pub(super) sort_by: Option<String>,
    /// 1/-1 or asc/desc
    #[serde(default)]
    pub(super) sort_order: Option<String>,
    /// Patterns and symbols: name search (escaped, not a regex)
    #[serde(default)]
    pub(super) search: Option<String>,
    /// Patterns and symbols: contains (default) or prefix
    #[serde(default)]
    #[param(value_type = Option<String>)]
    pub(super) search_mode: Option<SearchMode>,
    /// Documents: MongoDB filter as (Extended) JSON; $where, $function, $accumulator refused
    #[serde(default)]
    pub(super) filter: Option<String>,
}

fn default_limit() -> i64 {
    100
}

impl PageParams {
    pub(super) fn pattern_query(&self) -> Result<PatternQuery, ApiError> {
        let sort_by = match self.sort_by.as_deref() {
            None | Some("") => SortKey::default(),
            Some(s) => serde_json::from_value(json!(s)).map_err(|_| {
                ApiError::BadRequest(format!(
                    "sort_by must be frequency, length, name or _id, not `{s}`"
                ))
            })?,
        };
        Ok(PatternQuery {
            skip: self.skip,
            limit: self.limit,
            sort_by,
            sort_order: filter::sort_order(self.sort_order.as_deref())?,
            search: self.search.clone(),
            search_mode: self.search_mode.unwrap_or_default(),
        })
    }
}

/// A typed confirmation, from the JSON body or `?confirm=`.
#[derive(Debug, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub(super) struct Confirm {
    /// Must equal the name being dropped
    pub(super) confirm: Option<String>,
}

/// The confirmation from a DELETE's optional JSON body, else from the query string.
pub(super) fn confirmation(query: Confirm, body: &[u8]) -> Result<Option<String>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(query.confirm);
    }
    let parsed: Confirm = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("body must be {{\"confirm\": \"…\"}}: {e}")))?;
    Ok(parsed.confirm.or(query.confirm))
}

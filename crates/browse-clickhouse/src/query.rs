//! What a request may ask for, checked before anything reaches ClickHouse: knowledge-base ids, page sizes, sort
//! keys and orders, and literal search text turned into an escaped `ILIKE` pattern.

use serde::Serialize;

use crate::error::{ClickHouseBrowseError, Result};

/// Largest page.
pub const MAX_LIMIT: u64 = 1000;
/// Longest search text accepted.
const MAX_SEARCH: usize = 4096;
/// Longest kb_id accepted (KATO cuts node ids at 60 characters and adds an md5 and its service name).
const MAX_KB_ID: usize = 255;
/// Characters KATO replaces with `_` when it turns a node id into a kb_id; no kb_id holds one.
const REPLACED_BY_KATO: &[char] = &[
    '/', '\\', '.', '"', '$', '*', '<', '>', ':', '|', '?', '-', ' ',
];

/// Checks that `kb_id` can be one of KATO's knowledge-base ids: 1..=255 bytes, no control characters, none of
/// the characters KATO replaces (so never a `:`, which keeps `<kb_id>:*` in Redis to one knowledge base).
pub fn validate_kb_id(kb_id: &str) -> Result<&str> {
    let bad = |why: &str| {
        Err(ClickHouseBrowseError::BadRequest(format!(
            "`{}` is not a KATO knowledge-base id: {why}",
            kb_id.chars().take(80).collect::<String>()
        )))
    };
    if kb_id.is_empty() || kb_id.len() > MAX_KB_ID {
        return bad("it must have 1 to 255 bytes");
    }
    if kb_id.chars().any(char::is_control) {
        return bad("it holds a control character");
    }
    if let Some(c) = kb_id.chars().find(|c| REPLACED_BY_KATO.contains(c)) {
        return bad(&format!(
            "KATO replaces `{c}` with `_` (node `sensor-alpha` is kb_id `sensor_alpha_kato`)"
        ));
    }
    Ok(kb_id)
}

/// A pattern name as KATO stores it: the bare sha1 (`PTRN|` removed, as KATO's own API accepts both).
pub fn patterns_name(name: &str) -> &str {
    name.strip_prefix("PTRN|").unwrap_or(name)
}

/// Checks request text bound into a query (a pattern name, search text): at most `max` bytes, no control
/// characters (no KATO name or symbol has one).
pub(crate) fn validate_text<'a>(what: &str, text: &'a str, max: usize) -> Result<&'a str> {
    if text.len() > max {
        return Err(ClickHouseBrowseError::BadRequest(format!(
            "{what} is longer than {max} bytes"
        )));
    }
    if text.chars().any(char::is_control) {
        return Err(ClickHouseBrowseError::BadRequest(format!(
            "{what} holds a control character"
        )));
    }
    Ok(text)
}

/// What patterns can be sorted by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    /// How often it was learned (`<kb>:frequency:<name>` in Redis; sorted by the caller).
    #[default]
    Frequency,
    /// Number of symbols.
    Length,
    /// The sha1 name.
    Name,
    /// When it was first learned (`created_at`; KATO never updates a row).
    CreatedAt,
    /// Number of distinct symbols.
    TokenCount,
}

impl SortKey {
    /// From the query string: `frequency`, `length`, `name` (or the old `_id`), `created_at` (or `time`,
    /// `updated_at`), `token_count`.
    pub fn parse(value: Option<&str>) -> Result<Self> {
        Ok(match value.map(str::trim).unwrap_or_default() {
            "" | "frequency" => Self::Frequency,
            "length" => Self::Length,
            "name" | "_id" => Self::Name,
            "created_at" | "time" | "updated_at" => Self::CreatedAt,
            "token_count" => Self::TokenCount,
            other => {
                return Err(ClickHouseBrowseError::BadRequest(format!(
                    "sort_by must be frequency, length, name, created_at (time) or token_count, not `{}`",
                    other.chars().take(40).collect::<String>()
                )));
            }
        })
    }

    /// The ClickHouse column, or `None` for the frequency (which lives in Redis).
    pub fn column(self) -> Option<&'static str> {
        match self {
            Self::Frequency => None,
            Self::Length => Some("length"),
            Self::Name => Some("name"),
            Self::CreatedAt => Some("created_at"),
            Self::TokenCount => Some("token_count"),
        }
    }
}

/// Ascending or descending.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    /// Smallest first.
    Asc,
    /// Largest first (the default, as in the old dashboard).
    #[default]
    Desc,
}

impl SortOrder {
    /// `-1`/`desc` (default) or `1`/`asc`.
    pub fn parse(value: Option<&str>) -> Result<Self> {
        match value.map(str::trim).unwrap_or_default() {
            "" | "-1" | "desc" | "DESC" => Ok(Self::Desc),
            "1" | "asc" | "ASC" => Ok(Self::Asc),
            other => Err(ClickHouseBrowseError::BadRequest(format!(
                "sort_order must be -1/desc or 1/asc, not `{}`",
                other.chars().take(40).collect::<String>()
            ))),
        }
    }

    pub(crate) fn sql(self) -> &'static str {
        match self {
            Self::Asc => "ASC",
            Self::Desc => "DESC",
        }
    }
}

/// A page request for patterns.
#[derive(Debug, Clone, Default)]
pub struct PatternQuery {
    /// Patterns to skip (at most `i64::MAX`).
    pub skip: u64,
    /// Page size (1..=1000).
    pub limit: u64,
    /// Sort key; ties are broken by name, so pages never overlap.
    pub sort_by: SortKey,
    /// Sort direction.
    pub sort_order: SortOrder,
    /// Text to find, literally and ignoring case, in the name or in any symbol of the pattern.
    pub search: Option<String>,
}

impl PatternQuery {
    /// Checks the page bounds.
    pub fn validate(&self) -> Result<()> {
        if !(1..=MAX_LIMIT).contains(&self.limit) {
            return Err(ClickHouseBrowseError::BadRequest(format!(
                "limit must be 1..={MAX_LIMIT}, not {}",
                self.limit
            )));
        }
        if let Some(search) = self.search_text() {
            validate_text("search", search, MAX_SEARCH)?;
        }
        if i64::try_from(self.skip).is_err() {
            return Err(ClickHouseBrowseError::BadRequest(format!(
                "skip must be at most {}",
                i64::MAX
            )));
        }
        Ok(())
    }

    /// The search text, trimmed; `None` when there is none.
    pub fn search_text(&self) -> Option<&str> {
        self.search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }
}

/// `%text%` for `ILIKE`, with `\`, `%` and `_` escaped so the text matches literally.
pub fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// The `WHERE` clause of a kb's patterns, with the search condition when there is one: `kb_id = ?`, then
/// `(name ILIKE ? OR arrayExists(t -> t ILIKE ?, token_set))`. Returns the clause and the pattern to bind twice.
pub(crate) fn where_clause(search: Option<&str>) -> (&'static str, Option<String>) {
    match search {
        None => ("kb_id = ?", None),
        Some(text) => (
            "kb_id = ? AND (name ILIKE ? OR arrayExists(t -> t ILIKE ?, token_set))",
            Some(escape_like(text)),
        ),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn kb_ids_follow_katos_naming() {
        for ok in ["sensor_alpha_kato", "a", "node[1]_kato", "ünï_kato"] {
            assert_eq!(validate_kb_id(ok).unwrap(), ok);
        }
        for bad in [
            "",
            "a:b",
            "*",
            "x y",
            "a\0b",
            "../x",
            "sensor-alpha",
            &"x".repeat(256),
        ] {
            assert!(validate_kb_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn sort_keys_and_orders_parse_old_and_new_names() {
        assert_eq!(SortKey::parse(None).unwrap(), SortKey::Frequency);
        assert_eq!(SortKey::parse(Some("time")).unwrap(), SortKey::CreatedAt);
        assert_eq!(SortKey::parse(Some("_id")).unwrap(), SortKey::Name);
        assert!(SortKey::parse(Some("1; DROP TABLE x")).is_err());
        assert_eq!(SortOrder::parse(Some("1")).unwrap(), SortOrder::Asc);
        assert_eq!(SortOrder::parse(Some("-1")).unwrap(), SortOrder::Desc);
        assert!(SortOrder::parse(Some("sideways")).is_err());
    }

    #[test]
    fn search_text_is_literal_in_ilike() {
        assert_eq!(escape_like("a%b_c\\d"), "%a\\%b\\_c\\\\d%");
        assert_eq!(escape_like("temp:high"), "%temp:high%");
    }

    #[test]
    fn page_bounds_are_checked() {
        let q = |skip, limit| PatternQuery {
            skip,
            limit,
            ..Default::default()
        };
        assert!(q(0, 1).validate().is_ok() && q(i64::MAX as u64, 1000).validate().is_ok());
        assert!(q(0, 0).validate().is_err() && q(0, 1001).validate().is_err());
        assert!(q(i64::MAX as u64 + 1, 10).validate().is_err());
        let search = |text: &str| PatternQuery {
            limit: 10,
            search: Some(text.into()),
            ..Default::default()
        };
        assert!(search("temp:high").validate().is_ok());
        assert!(
            search("a\0b").validate().is_err() && search(&"x".repeat(5000)).validate().is_err()
        );
    }
}

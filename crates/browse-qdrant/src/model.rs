//! What the browser returns: plain serde types in the old dashboard's JSON shapes (plus a few new fields).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::BrowseError;

/// A point id: Qdrant accepts an unsigned integer or a UUID, nothing else. Serialized as a JSON number or a
/// string, as Qdrant's REST API does.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PointKey {
    /// An unsigned integer id.
    Num(u64),
    /// A UUID id, lower-case hyphenated.
    Uuid(String),
}

impl PointKey {
    /// Parses a path or query value: digits are an integer id, anything shaped like a UUID (with or without
    /// hyphens, any case) a UUID id. Everything else is refused rather than sent to Qdrant as a string.
    pub fn parse(text: &str) -> Result<Self, BrowseError> {
        let text = text.trim();
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            return text
                .parse()
                .map(Self::Num)
                .map_err(|_| BrowseError::Invalid(format!("point id {text} is out of range")));
        }
        let hex: String = text.chars().filter(|c| *c != '-').collect();
        let hyphens_ok = text.len() == 32
            || (text.len() == 36 && [8, 13, 18, 23].iter().all(|&i| text.as_bytes()[i] == b'-'));
        if hex.len() == 32 && hyphens_ok && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            let h = hex.to_ascii_lowercase();
            return Ok(Self::Uuid(format!(
                "{}-{}-{}-{}-{}",
                &h[0..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..32]
            )));
        }
        Err(BrowseError::Invalid(format!(
            "point id {text:?} is neither an unsigned integer nor a UUID"
        )))
    }
}

impl fmt::Display for PointKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Num(n) => write!(f, "{n}"),
            Self::Uuid(u) => f.write_str(u),
        }
    }
}

/// One entry of the collection list (old shape: `vectors_count` is the points count).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CollectionSummary {
    /// Collection name.
    pub name: String,
    /// Points in the collection (the old dashboard's name for it).
    pub vectors_count: Option<u64>,
    /// Points in the collection.
    pub points_count: Option<u64>,
    /// Dimension of the default vector; `null` for named vectors only.
    pub vector_size: Option<u64>,
    /// `COSINE`, `EUCLID`, `DOT`, `MANHATTAN`.
    pub distance: Option<String>,
    /// `GREEN`, `YELLOW`, `RED`, `GREY`.
    pub status: Option<String>,
    /// Why this collection's details could not be read (the others are still listed).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
}

/// One collection in detail (old shape plus `distance` and `segments_count`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CollectionDetail {
    /// Collection name.
    pub name: String,
    /// Points in the collection.
    pub points_count: Option<u64>,
    /// Vectors already indexed.
    pub indexed_vectors_count: Option<u64>,
    /// Dimension of the default vector.
    pub vector_size: Option<u64>,
    /// Distance of the default vector (old name).
    pub distance_metric: Option<String>,
    /// Same as `distance_metric`, named as in the list.
    pub distance: Option<String>,
    /// `GREEN`, `YELLOW`, `RED`, `GREY`.
    pub status: String,
    /// Whether the optimizers are fine.
    pub optimizer_status: bool,
    /// The optimizer error, when there is one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub optimizer_error: Option<String>,
    /// Segments.
    pub segments_count: u64,
}

/// A point; `payload` and `vector` are `null` when not asked for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointView {
    /// Its id.
    pub id: PointKey,
    /// The payload as a JSON object.
    pub payload: Option<serde_json::Value>,
    /// The default dense vector.
    pub vector: Option<Vec<f32>>,
}

/// A page of a scroll (old shape).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScrollPage {
    /// The points, in Qdrant's id order.
    pub points: Vec<PointView>,
    /// The offset of the next page; `null` on the last page.
    pub next_offset: Option<PointKey>,
    /// `points.len()`.
    pub count: usize,
}

/// A search or similarity hit (old shape).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScoredPointView {
    /// Its id.
    pub id: PointKey,
    /// Similarity score (for Euclid: the distance, smaller is closer).
    pub score: f32,
    /// Its payload.
    pub payload: serde_json::Value,
}

/// Outcome of a points delete: what was really there and removed, not just what was asked for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeletedPoints {
    /// Points that existed and were deleted.
    pub deleted_count: usize,
    /// Ids asked for.
    pub requested_count: usize,
    /// Ids asked for that did not exist.
    pub missing: Vec<PointKey>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_as_integers_or_uuids_only() {
        assert_eq!(PointKey::parse("42").ok(), Some(PointKey::Num(42)));
        let uuid = "5C56C793-69F3-4FBF-87E6-C4BF54C28C26";
        let want = PointKey::Uuid("5c56c793-69f3-4fbf-87e6-c4bf54c28c26".into());
        assert_eq!(PointKey::parse(uuid).ok(), Some(want.clone()));
        assert_eq!(
            PointKey::parse("5c56c79369f34fbf87e6c4bf54c28c26").ok(),
            Some(want)
        );
        for bad in [
            "",
            "-1",
            "VCTR|abc",
            "99999999999999999999999",
            "5c56c793-69f3",
        ] {
            assert!(
                matches!(PointKey::parse(bad), Err(BrowseError::Invalid(_))),
                "{bad}"
            );
        }
        assert_eq!(serde_json::json!(PointKey::Num(7)), serde_json::json!(7));
    }
}

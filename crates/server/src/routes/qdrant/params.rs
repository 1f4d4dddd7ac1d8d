//! The Qdrant browser's parameters and bodies, each with the description `/openapi.json` shows.

use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

/// `{name}`: a collection.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(super) struct CollectionName {
    /// Qdrant collection
    pub(super) name: String,
}

/// `{name}` and `{id}`: a point of a collection.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(super) struct PointPath {
    /// Qdrant collection
    pub(super) name: String,
    /// Point id: unsigned integer or UUID
    pub(super) id: String,
}

/// Query of a scroll.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ScrollQuery {
    /// Page size (default 100)
    #[serde(default = "default_page")]
    pub(super) limit: u32,
    /// Point id to start from (integer or UUID)
    #[serde(default)]
    pub(super) offset: Option<String>,
    /// Include vectors (default false)
    #[serde(default)]
    pub(super) with_vectors: bool,
    /// Include payloads (default true)
    #[serde(default = "yes")]
    pub(super) with_payload: bool,
}

fn default_page() -> u32 {
    100
}

fn yes() -> bool {
    true
}

/// Query of one point.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct PointQuery {
    /// Include the vector (default true)
    #[serde(default = "yes")]
    pub(super) with_vectors: bool,
    /// Include the payload (default true)
    #[serde(default = "yes")]
    pub(super) with_payload: bool,
}

/// Query of the nearest points.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct SimilarQuery {
    /// How many (default 10)
    #[serde(default = "default_hits")]
    pub(super) limit: u64,
    /// Minimum score
    #[serde(default)]
    pub(super) score_threshold: Option<f32>,
}

fn default_hits() -> u64 {
    10
}

/// Body of a search.
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct SearchBody {
    /// The query vector; its length must be the collection's vector size
    pub(super) query_vector: Vec<f32>,
    /// How many (default 10)
    #[serde(default = "default_hits")]
    pub(super) limit: u64,
    /// Minimum score
    #[serde(default)]
    pub(super) score_threshold: Option<f32>,
}

/// Body of a bulk delete.
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct DeletePointsBody {
    /// Point ids: unsigned integers or UUID strings
    pub(super) point_ids: Vec<Value>,
}

/// The typed confirmation of a collection delete.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ConfirmQuery {
    /// Must equal the name being dropped
    #[serde(default)]
    pub(super) confirm: Option<String>,
}

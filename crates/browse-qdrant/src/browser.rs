//! [`QdrantBrowser`]: the read and delete operations, each bounded by a deadline.

use std::{future::Future, time::Duration};

use qdrant_client::{
    Qdrant, QdrantError,
    qdrant::{
        CollectionInfo, Condition, DeletePoints, Filter, GetPoints, PointsIdsList, PointsSelector,
        ScrollPoints, SearchPoints, points_selector,
    },
};

use crate::{
    convert::{key_of, payload_json, point_view, status_name, summary, vector_params},
    error::{BrowseError, Result},
    model::{
        CollectionDetail, CollectionSummary, DeletedPoints, PointKey, PointView, ScoredPointView,
        ScrollPage,
    },
};

/// Largest page of a scroll.
pub const MAX_SCROLL_LIMIT: u32 = 1000;
/// Most hits of a search or similarity query.
pub const MAX_SEARCH_LIMIT: u64 = 100;
/// Most ids in one delete.
pub const MAX_DELETE_IDS: usize = 1000;

/// Where Qdrant is and how long to wait for it.
#[derive(Clone, Debug)]
pub struct QdrantBrowserConfig {
    /// The gRPC URL, e.g. `http://qdrant:6334`.
    pub grpc_url: String,
    /// Deadline of each call, connecting included.
    pub timeout: Duration,
    /// Qdrant API key, when the server needs one.
    pub api_key: Option<String>,
}

/// A Qdrant client with the browser's operations. Cloning is cheap; the connection is opened on first use, so
/// building one never waits for Qdrant.
#[derive(Clone)]
pub struct QdrantBrowser {
    client: std::sync::Arc<Qdrant>,
    timeout: Duration,
}

impl std::fmt::Debug for QdrantBrowser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QdrantBrowser")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl QdrantBrowser {
    /// Builds the client (no I/O).
    pub fn new(config: QdrantBrowserConfig) -> Result<Self> {
        let mut builder = Qdrant::from_url(&config.grpc_url)
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .skip_compatibility_check();
        if let Some(key) = config.api_key {
            builder = builder.api_key(key);
        }
        let client = builder
            .build()
            .map_err(|e| BrowseError::from_client(e, "Qdrant"))?;
        Ok(Self {
            client: std::sync::Arc::new(client),
            timeout: config.timeout,
        })
    }

    /// Runs one client call under the deadline.
    async fn call<T>(
        &self,
        what: &str,
        fut: impl Future<Output = std::result::Result<T, QdrantError>>,
    ) -> Result<T> {
        match tokio::time::timeout(self.timeout, fut).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(match BrowseError::from_client(e, what) {
                BrowseError::Timeout(_) => BrowseError::Timeout(self.timeout),
                other => other,
            }),
            Err(_) => Err(BrowseError::Timeout(self.timeout)),
        }
    }

    /// Whether Qdrant answers its gRPC health check (the server's version on success).
    pub async fn ping(&self) -> Result<String> {
        let reply = self
            .call("health check", self.client.health_check())
            .await?;
        Ok(reply.version)
    }

    /// Every collection with its figures. A collection whose details cannot be read is listed with `error`.
    pub async fn collections(&self) -> Result<Vec<CollectionSummary>> {
        let list = self
            .call("collection list", self.client.list_collections())
            .await?;
        let mut names: Vec<String> = list.collections.into_iter().map(|c| c.name).collect();
        names.sort();
        // The details are asked for all at once (the old dashboard made 1 + N calls one after another).
        let infos = futures_util::future::join_all(names.iter().map(|n| self.info(n))).await;
        let mut out = Vec::with_capacity(names.len());
        for (name, info) in names.into_iter().zip(infos) {
            out.push(match info {
                Ok(info) => summary(name, &info),
                Err(e @ (BrowseError::Unavailable(_) | BrowseError::Timeout(_))) => return Err(e),
                Err(e) => CollectionSummary {
                    name,
                    vectors_count: None,
                    points_count: None,
                    vector_size: None,
                    distance: None,
                    status: None,
                    error: Some(e.to_string()),
                },
            });
        }
        Ok(out)
    }

    async fn info(&self, name: &str) -> Result<CollectionInfo> {
        let what = format!("collection {name}");
        let response = self.call(&what, self.client.collection_info(name)).await?;
        response
            .result
            .ok_or_else(|| BrowseError::Upstream(format!("no info for {what}")))
    }

    /// One collection in detail.
    pub async fn collection(&self, name: &str) -> Result<CollectionDetail> {
        let info = self.info(name).await?;
        let (vector_size, distance) = vector_params(&info);
        let optimizer_error = info
            .optimizer_status
            .as_ref()
            .filter(|o| !o.ok)
            .map(|o| o.error.clone());
        Ok(CollectionDetail {
            name: name.to_owned(),
            points_count: info.points_count,
            indexed_vectors_count: info.indexed_vectors_count,
            vector_size,
            distance_metric: distance.clone(),
            distance,
            status: status_name(info.status),
            optimizer_status: optimizer_error.is_none(),
            optimizer_error,
            segments_count: info.segments_count,
        })
    }

    /// A page of points in id order, starting at `offset` (inclusive, as Qdrant does).
    pub async fn scroll(
        &self,
        collection: &str,
        offset: Option<PointKey>,
        limit: u32,
        with_payload: bool,
        with_vectors: bool,
    ) -> Result<ScrollPage> {
        if limit == 0 || limit > MAX_SCROLL_LIMIT {
            return Err(BrowseError::Invalid(format!(
                "limit must be 1..={MAX_SCROLL_LIMIT}"
            )));
        }
        let request = ScrollPoints {
            collection_name: collection.to_owned(),
            offset: offset.map(Into::into),
            limit: Some(limit),
            with_payload: Some(with_payload.into()),
            with_vectors: Some(with_vectors.into()),
            ..Default::default()
        };
        let what = format!("collection {collection}");
        let response = self.call(&what, self.client.scroll(request)).await?;
        let points: Vec<PointView> = response
            .result
            .into_iter()
            .filter_map(|p| point_view(p, with_payload, with_vectors))
            .collect();
        Ok(ScrollPage {
            count: points.len(),
            next_offset: key_of(response.next_page_offset),
            points,
        })
    }

    /// Points by id, those that exist; in the order asked for.
    pub async fn points(
        &self,
        collection: &str,
        ids: &[PointKey],
        with_payload: bool,
        with_vectors: bool,
    ) -> Result<Vec<PointView>> {
        let request = GetPoints {
            collection_name: collection.to_owned(),
            ids: ids.iter().cloned().map(Into::into).collect(),
            with_payload: Some(with_payload.into()),
            with_vectors: Some(with_vectors.into()),
            ..Default::default()
        };
        let what = format!("collection {collection}");
        let response = self.call(&what, self.client.get_points(request)).await?;
        let mut found: Vec<PointView> = response
            .result
            .into_iter()
            .filter_map(|p| point_view(p, with_payload, with_vectors))
            .collect();
        found.sort_by_key(|p| ids.iter().position(|id| *id == p.id));
        Ok(found)
    }

    /// One point; `NotFound` when it does not exist.
    pub async fn point(
        &self,
        collection: &str,
        id: &PointKey,
        with_payload: bool,
        with_vectors: bool,
    ) -> Result<PointView> {
        self.points(
            collection,
            std::slice::from_ref(id),
            with_payload,
            with_vectors,
        )
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| BrowseError::NotFound(format!("point {id} not found in {collection}")))
    }

    /// Nearest points to `vector`, whose dimension must be the collection's. `exclude` is filtered out.
    pub async fn search(
        &self,
        collection: &str,
        vector: Vec<f32>,
        limit: u64,
        score_threshold: Option<f32>,
        exclude: Option<&PointKey>,
    ) -> Result<Vec<ScoredPointView>> {
        if limit == 0 || limit > MAX_SEARCH_LIMIT {
            return Err(BrowseError::Invalid(format!(
                "limit must be 1..={MAX_SEARCH_LIMIT}"
            )));
        }
        if vector.is_empty() || vector.iter().any(|x| !x.is_finite()) {
            return Err(BrowseError::Invalid(
                "the query vector must be non-empty and hold finite numbers".into(),
            ));
        }
        let info = self.info(collection).await?;
        match vector_params(&info).0 {
            Some(size) if size != vector.len() as u64 => {
                return Err(BrowseError::Invalid(format!(
                    "the query vector has {} dimensions; collection {collection} holds {size}-dimension vectors",
                    vector.len()
                )));
            }
            None => {
                return Err(BrowseError::Invalid(format!(
                    "collection {collection} has no default vector (named vectors are not searchable here)"
                )));
            }
            Some(_) => {}
        }
        let request = SearchPoints {
            collection_name: collection.to_owned(),
            vector,
            limit,
            score_threshold,
            filter: exclude.map(|id| Filter::must_not([Condition::has_id([id.clone()])])),
            with_payload: Some(true.into()),
            ..Default::default()
        };
        let what = format!("collection {collection}");
        let response = self.call(&what, self.client.search_points(request)).await?;
        Ok(response
            .result
            .into_iter()
            .filter_map(|p| {
                Some(ScoredPointView {
                    id: key_of(p.id)?,
                    score: p.score,
                    payload: payload_json(p.payload),
                })
            })
            .collect())
    }

    /// Points nearest to the point `id`, never the point itself.
    pub async fn similar(
        &self,
        collection: &str,
        id: &PointKey,
        limit: u64,
        score_threshold: Option<f32>,
    ) -> Result<Vec<ScoredPointView>> {
        let point = self.point(collection, id, false, true).await?;
        let vector = point.vector.ok_or_else(|| {
            BrowseError::Invalid(format!("point {id} has no default dense vector"))
        })?;
        self.search(collection, vector, limit, score_threshold, Some(id))
            .await
    }

    /// Deletes the points that exist among `ids` and says which did not.
    pub async fn delete_points(&self, collection: &str, ids: &[PointKey]) -> Result<DeletedPoints> {
        if ids.is_empty() || ids.len() > MAX_DELETE_IDS {
            return Err(BrowseError::Invalid(format!(
                "give 1..={MAX_DELETE_IDS} point ids"
            )));
        }
        let existing: Vec<PointKey> = self
            .points(collection, ids, false, false)
            .await?
            .into_iter()
            .map(|p| p.id)
            .collect();
        let missing: Vec<PointKey> = ids
            .iter()
            .filter(|id| !existing.contains(id))
            .cloned()
            .collect();
        if !existing.is_empty() {
            let request = DeletePoints {
                collection_name: collection.to_owned(),
                wait: Some(true),
                points: Some(PointsSelector {
                    points_selector_one_of: Some(points_selector::PointsSelectorOneOf::Points(
                        PointsIdsList {
                            ids: existing.iter().cloned().map(Into::into).collect(),
                        },
                    )),
                }),
                ..Default::default()
            };
            let what = format!("collection {collection}");
            self.call(&what, self.client.delete_points(request)).await?;
        }
        Ok(DeletedPoints {
            deleted_count: existing.len(),
            requested_count: ids.len(),
            missing,
        })
    }

    /// Drops a collection; `NotFound` when there is none of that name.
    pub async fn delete_collection(&self, name: &str) -> Result<()> {
        let what = format!("collection {name}");
        let response = self
            .call(&what, self.client.delete_collection(name))
            .await?;
        if response.result {
            Ok(())
        } else {
            Err(BrowseError::NotFound(format!("{what} not found")))
        }
    }
}

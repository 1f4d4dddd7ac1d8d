//! The gRPC services, implemented on the server traits `qdrant-client` generates (`collections_server`,
//! `points_server`, `qdrant_server`). What the dashboard uses is implemented like Qdrant does it; every other
//! RPC answers `UNIMPLEMENTED`.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex, MutexGuard},
};

use qdrant_client::qdrant::{
    self as q, CollectionDescription, Distance, PointId, RetrievedPoint, ScoredPoint, VectorOutput,
    VectorsOutput, collections_server::Collections, condition::ConditionOneOf,
    point_id::PointIdOptions, points_selector::PointsSelectorOneOf, points_server::Points,
    qdrant_server::Qdrant, vector_output, vectors_config, vectors_output::VectorsOptions,
    with_payload_selector::SelectorOptions as PayloadSel,
    with_vectors_selector::SelectorOptions as VectorsSel,
};
use tonic::{Request, Response, Status};

use super::store::{Collection, Key, Point};

/// Collections by name.
pub type Store = Arc<Mutex<std::collections::BTreeMap<String, Collection>>>;

/// The three services over one store.
#[derive(Clone)]
pub struct Service {
    pub store: Store,
}

type Rpc<T> = Result<Response<T>, Status>;

impl Service {
    fn lock(&self) -> MutexGuard<'_, std::collections::BTreeMap<String, Collection>> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn missing(name: &str) -> Status {
    Status::not_found(format!("Not found: Collection `{name}` doesn't exist!"))
}

fn key(id: PointId) -> Result<Key, Status> {
    match id.point_id_options {
        Some(PointIdOptions::Num(n)) => Ok(Key::Num(n)),
        Some(PointIdOptions::Uuid(u)) => Ok(Key::Uuid(u.to_ascii_lowercase())),
        None => Err(Status::invalid_argument("Unable to parse empty point id")),
    }
}

fn id(key: &Key) -> PointId {
    let options = match key {
        Key::Num(n) => PointIdOptions::Num(*n),
        Key::Uuid(u) => PointIdOptions::Uuid(u.clone()),
    };
    PointId {
        point_id_options: Some(options),
    }
}

fn vectors(p: &Point) -> VectorsOutput {
    VectorsOutput {
        vectors_options: Some(VectorsOptions::Vector(VectorOutput {
            vector: Some(vector_output::Vector::Dense(q::DenseVector {
                data: p.vector.clone(),
            })),
            ..Default::default()
        })),
    }
}

fn retrieved(k: &Key, p: &Point, payload: bool, vector: bool) -> RetrievedPoint {
    RetrievedPoint {
        id: Some(id(k)),
        payload: if payload {
            p.payload.clone()
        } else {
            Default::default()
        },
        vectors: vector.then(|| vectors(p)),
        ..Default::default()
    }
}

fn wants_payload(s: Option<&q::WithPayloadSelector>) -> bool {
    !matches!(
        s.and_then(|s| s.selector_options.as_ref()),
        Some(PayloadSel::Enable(false)) | None
    )
}

fn wants_vectors(s: Option<&q::WithVectorsSelector>) -> bool {
    matches!(
        s.and_then(|s| s.selector_options.as_ref()),
        Some(VectorsSel::Enable(true))
    )
}

fn excluded_ids(filter: Option<&q::Filter>) -> Result<HashSet<Key>, Status> {
    let mut out = HashSet::new();
    for cond in filter.map(|f| f.must_not.as_slice()).unwrap_or_default() {
        match &cond.condition_one_of {
            Some(ConditionOneOf::HasId(has)) => {
                for i in &has.has_id {
                    out.insert(key(i.clone())?);
                }
            }
            _ => {
                return Err(Status::unimplemented(
                    "test server: only must_not has_id filters",
                ));
            }
        }
    }
    Ok(out)
}

fn done() -> q::PointsOperationResponse {
    q::PointsOperationResponse {
        result: Some(q::UpdateResult {
            operation_id: Some(0),
            status: q::UpdateStatus::Completed as i32,
        }),
        ..Default::default()
    }
}

fn info(c: &Collection) -> q::CollectionInfo {
    q::CollectionInfo {
        status: q::CollectionStatus::Green as i32,
        optimizer_status: Some(q::OptimizerStatus {
            ok: true,
            error: String::new(),
        }),
        segments_count: 4,
        config: Some(q::CollectionConfig {
            params: Some(q::CollectionParams {
                shard_number: 1,
                vectors_config: Some(q::VectorsConfig {
                    config: Some(vectors_config::Config::Params(q::VectorParams {
                        size: c.size,
                        distance: c.distance as i32,
                        ..Default::default()
                    })),
                }),
                ..Default::default()
            }),
            ..Default::default()
        }),
        points_count: Some(c.points.len() as u64),
        indexed_vectors_count: Some(0),
        ..Default::default()
    }
}

/// Declares the trait impl with the real methods given and an `UNIMPLEMENTED` stub for each listed RPC.
macro_rules! service_impl {
    ($tr:ident { $($real:item)* } unimplemented { $($name:ident($req:ident) -> $resp:ident;)* }) => {
        #[tonic::async_trait]
        impl $tr for Service {
            $($real)*
            $(async fn $name(&self, _: Request<q::$req>) -> Rpc<q::$resp> {
                Err(Status::unimplemented(concat!("test server: ", stringify!($name))))
            })*
        }
    };
}

service_impl!(Qdrant {
    async fn health_check(&self, _: Request<q::HealthCheckRequest>) -> Rpc<q::HealthCheckReply> {
        Ok(Response::new(q::HealthCheckReply {
            title: "kato-dashboard qdrant test server".into(),
            version: "1.15.1".into(),
            commit: None,
        }))
    }
} unimplemented {});

service_impl!(Collections {
    async fn get(&self, r: Request<q::GetCollectionInfoRequest>) -> Rpc<q::GetCollectionInfoResponse> {
        let name = r.into_inner().collection_name;
        let store = self.lock();
        let c = store.get(&name).ok_or_else(|| missing(&name))?;
        Ok(Response::new(q::GetCollectionInfoResponse { result: Some(info(c)), time: 0.0 }))
    }
    async fn list(&self, _: Request<q::ListCollectionsRequest>) -> Rpc<q::ListCollectionsResponse> {
        let collections = self.lock().keys().map(|name| CollectionDescription { name: name.clone() }).collect();
        Ok(Response::new(q::ListCollectionsResponse { collections, time: 0.0 }))
    }
    async fn create(&self, r: Request<q::CreateCollection>) -> Rpc<q::CollectionOperationResponse> {
        let r = r.into_inner();
        let Some(vectors_config::Config::Params(p)) = r.vectors_config.and_then(|v| v.config) else {
            return Err(Status::unimplemented("test server: only one unnamed dense vector"));
        };
        let distance = Distance::try_from(p.distance).unwrap_or(Distance::Cosine);
        let mut store = self.lock();
        if store.contains_key(&r.collection_name) {
            return Err(Status::already_exists(format!("Collection `{}` already exists!", r.collection_name)));
        }
        store.insert(r.collection_name, Collection::new(p.size, distance));
        Ok(Response::new(q::CollectionOperationResponse { result: true, time: 0.0 }))
    }
    async fn delete(&self, r: Request<q::DeleteCollection>) -> Rpc<q::CollectionOperationResponse> {
        let existed = self.lock().remove(&r.into_inner().collection_name).is_some();
        Ok(Response::new(q::CollectionOperationResponse { result: existed, time: 0.0 }))
    }
    async fn collection_exists(&self, r: Request<q::CollectionExistsRequest>) -> Rpc<q::CollectionExistsResponse> {
        let exists = self.lock().contains_key(&r.into_inner().collection_name);
        Ok(Response::new(q::CollectionExistsResponse { result: Some(q::CollectionExists { exists }), time: 0.0 }))
    }
} unimplemented {
    update(UpdateCollection) -> CollectionOperationResponse;
    update_aliases(ChangeAliases) -> CollectionOperationResponse;
    list_collection_aliases(ListCollectionAliasesRequest) -> ListAliasesResponse;
    list_aliases(ListAliasesRequest) -> ListAliasesResponse;
    collection_cluster_info(CollectionClusterInfoRequest) -> CollectionClusterInfoResponse;
    update_collection_cluster_setup(UpdateCollectionClusterSetupRequest) -> UpdateCollectionClusterSetupResponse;
    create_shard_key(CreateShardKeyRequest) -> CreateShardKeyResponse;
    delete_shard_key(DeleteShardKeyRequest) -> DeleteShardKeyResponse;
    list_shard_keys(ListShardKeysRequest) -> ListShardKeysResponse;
});

service_impl!(Points {
    async fn upsert(&self, r: Request<q::UpsertPoints>) -> Rpc<q::PointsOperationResponse> {
        let r = r.into_inner();
        let mut store = self.lock();
        let c = store.get_mut(&r.collection_name).ok_or_else(|| missing(&r.collection_name))?;
        for p in r.points {
            let k = key(p.id.unwrap_or_default())?;
            let vector = super::upsert_vector(p.vectors, c.size)?;
            c.points.insert(k, Point { vector, payload: p.payload });
        }
        Ok(Response::new(done()))
    }
    async fn delete(&self, r: Request<q::DeletePoints>) -> Rpc<q::PointsOperationResponse> {
        let r = r.into_inner();
        let Some(PointsSelectorOneOf::Points(list)) = r.points.and_then(|p| p.points_selector_one_of) else {
            return Err(Status::unimplemented("test server: delete by id list only"));
        };
        let mut store = self.lock();
        let c = store.get_mut(&r.collection_name).ok_or_else(|| missing(&r.collection_name))?;
        for i in list.ids {
            c.points.remove(&key(i)?);
        }
        Ok(Response::new(done()))
    }
    async fn get(&self, r: Request<q::GetPoints>) -> Rpc<q::GetResponse> {
        let r = r.into_inner();
        let (payload, vector) = (wants_payload(r.with_payload.as_ref()), wants_vectors(r.with_vectors.as_ref()));
        let store = self.lock();
        let c = store.get(&r.collection_name).ok_or_else(|| missing(&r.collection_name))?;
        let mut result = Vec::new();
        for i in r.ids {
            let k = key(i)?;
            if let Some(p) = c.points.get(&k) {
                result.push(retrieved(&k, p, payload, vector));
            }
        }
        Ok(Response::new(q::GetResponse { result, ..Default::default() }))
    }
    async fn scroll(&self, r: Request<q::ScrollPoints>) -> Rpc<q::ScrollResponse> {
        let r = r.into_inner();
        if r.filter.is_some() || r.order_by.is_some() {
            return Err(Status::unimplemented("test server: scroll without filter or order_by only"));
        }
        let (payload, vector) = (wants_payload(r.with_payload.as_ref()), wants_vectors(r.with_vectors.as_ref()));
        let offset = r.offset.map(key).transpose()?;
        let store = self.lock();
        let c = store.get(&r.collection_name).ok_or_else(|| missing(&r.collection_name))?;
        let (page, next) = c.scroll(offset.as_ref(), r.limit.unwrap_or(10) as usize);
        Ok(Response::new(q::ScrollResponse {
            result: page.into_iter().map(|(k, p)| retrieved(k, p, payload, vector)).collect(),
            next_page_offset: next.as_ref().map(id),
            ..Default::default()
        }))
    }
    async fn search(&self, r: Request<q::SearchPoints>) -> Rpc<q::SearchResponse> {
        let r = r.into_inner();
        let excluded = excluded_ids(r.filter.as_ref())?;
        let payload = wants_payload(r.with_payload.as_ref());
        let store = self.lock();
        let c = store.get(&r.collection_name).ok_or_else(|| missing(&r.collection_name))?;
        if r.vector.len() as u64 != c.size {
            return Err(Status::invalid_argument(format!(
                "Wrong input: Vector dimension error: expected dim: {}, got {}", c.size, r.vector.len()
            )));
        }
        let result = c
            .search(&r.vector, r.limit as usize, r.score_threshold, &excluded)
            .into_iter()
            .map(|(k, p, score)| ScoredPoint {
                id: Some(id(k)),
                payload: if payload { p.payload.clone() } else { Default::default() },
                score,
                ..Default::default()
            })
            .collect();
        Ok(Response::new(q::SearchResponse { result, ..Default::default() }))
    }
    async fn count(&self, r: Request<q::CountPoints>) -> Rpc<q::CountResponse> {
        let r = r.into_inner();
        let store = self.lock();
        let c = store.get(&r.collection_name).ok_or_else(|| missing(&r.collection_name))?;
        Ok(Response::new(q::CountResponse {
            result: Some(q::CountResult { count: c.points.len() as u64 }),
            ..Default::default()
        }))
    }
} unimplemented {
    update_vectors(UpdatePointVectors) -> PointsOperationResponse;
    delete_vectors(DeletePointVectors) -> PointsOperationResponse;
    set_payload(SetPayloadPoints) -> PointsOperationResponse;
    overwrite_payload(SetPayloadPoints) -> PointsOperationResponse;
    delete_payload(DeletePayloadPoints) -> PointsOperationResponse;
    clear_payload(ClearPayloadPoints) -> PointsOperationResponse;
    create_field_index(CreateFieldIndexCollection) -> PointsOperationResponse;
    delete_field_index(DeleteFieldIndexCollection) -> PointsOperationResponse;
    create_vector_name(CreateVectorNameRequest) -> PointsOperationResponse;
    delete_vector_name(DeleteVectorNameRequest) -> PointsOperationResponse;
    search_batch(SearchBatchPoints) -> SearchBatchResponse;
    search_groups(SearchPointGroups) -> SearchGroupsResponse;
    recommend(RecommendPoints) -> RecommendResponse;
    recommend_batch(RecommendBatchPoints) -> RecommendBatchResponse;
    recommend_groups(RecommendPointGroups) -> RecommendGroupsResponse;
    discover(DiscoverPoints) -> DiscoverResponse;
    discover_batch(DiscoverBatchPoints) -> DiscoverBatchResponse;
    update_batch(UpdateBatchPoints) -> UpdateBatchResponse;
    query(QueryPoints) -> QueryResponse;
    query_batch(QueryBatchPoints) -> QueryBatchResponse;
    query_groups(QueryPointGroups) -> QueryGroupsResponse;
    facet(FacetCounts) -> FacetResponse;
    search_matrix_pairs(SearchMatrixPoints) -> SearchMatrixPairsResponse;
    search_matrix_offsets(SearchMatrixPoints) -> SearchMatrixOffsetsResponse;
});

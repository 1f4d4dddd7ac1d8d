//! [`QdrantTestServer`]: a Qdrant gRPC server on a free loopback port, built on the server traits that
//! `qdrant-client` generates, holding KATO's collections as `stores-d1391ac/qdrant/collections.json` records them
//! (four `vectors_<node>_kato` collections, 512 dimensions, Euclid). d1391ac never writes points (see that
//! folder's README), so three stay empty as recorded, and `vectors_chat_bot_kato` holds points the way newer KATO
//! writes them: UUID ids, plus integer ids (which Qdrant also accepts), with seeded unit vectors rounded to 4
//! decimals. Point 1 and point 2 are near-duplicates, so the nearest neighbour of 1 is 2.
//!
//! [`QdrantTestServer::start_kato_c584167`] holds what KATO c584167 wrote instead: five collections with 153 points
//! (`stores-c584167/qdrant`).
//!
//! It runs on its own thread and Tokio runtime, so sync and async tests alike can start it; dropping it stops it.

mod c584167;
mod service;
mod store;

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex, mpsc},
    thread::JoinHandle,
    time::Duration,
};

use qdrant_client::qdrant::{
    Distance, Value, collections_server::CollectionsServer, points_server::PointsServer,
    qdrant_server::QdrantServer, vector, vectors,
};
use tonic::Status;

use crate::{Error, Result};
use store::{Collection, Key, Point};

/// The KATO collections of the fixture, in name order.
pub const KATO_COLLECTIONS: [&str; 4] = [
    "vectors_chat_bot_kato",
    "vectors_planner_kato",
    "vectors_sensor_alpha_kato",
    "vectors_vision_1_kato",
];
/// The collection that holds points.
pub const POINTS_COLLECTION: &str = "vectors_chat_bot_kato";
/// Vector dimension of every collection.
pub const VECTOR_SIZE: usize = 512;
/// Integer-id points in [`POINTS_COLLECTION`]: ids `1..=INTEGER_POINTS`.
pub const INTEGER_POINTS: u64 = 12;
/// UUID-id points in [`POINTS_COLLECTION`].
pub const UUID_POINTS: usize = 13;

/// A running test server; stopped on drop.
pub struct QdrantTestServer {
    port: u16,
    store: service::Store,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for QdrantTestServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QdrantTestServer")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl QdrantTestServer {
    /// Starts it with the KATO fixture and returns once it accepts connections.
    pub fn start() -> Result<Self> {
        Self::start_with_api_key(None)
    }

    /// The same, answering only calls that carry `api-key: KEY` (others get `UNAUTHENTICATED`, as Qdrant does)
    /// when `api_key` is set.
    pub fn start_with_api_key(api_key: Option<&str>) -> Result<Self> {
        Self::start_on(0, api_key)
    }

    /// On a given loopback port (0: any free one), e.g. the demo's Qdrant.
    pub fn start_on(port: u16, api_key: Option<&str>) -> Result<Self> {
        Self::start_with(port, api_key, fixture())
    }

    /// With the five collections and 153 points KATO c584167 wrote (`stores-c584167/qdrant`), on any free port.
    pub fn start_kato_c584167() -> Result<Self> {
        Self::start_with(0, None, c584167::collections()?)
    }

    fn start_with(
        port: u16,
        api_key: Option<&str>,
        collections: BTreeMap<String, Collection>,
    ) -> Result<Self> {
        let api_key: Option<Arc<str>> = api_key.map(Arc::from);
        let io = |what: &str| {
            let what = what.to_owned();
            move |source| Error::Io { what, source }
        };
        let listener = std::net::TcpListener::bind(("127.0.0.1", port))
            .map_err(io("binding the Qdrant test server"))?;
        listener
            .set_nonblocking(true)
            .map_err(io("non-blocking listener"))?;
        let port = listener
            .local_addr()
            .map_err(io("listener address"))?
            .port();
        let store: service::Store = Arc::new(Mutex::new(collections));
        let svc = service::Service {
            store: store.clone(),
        };
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = mpsc::channel::<std::result::Result<(), String>>();
        let thread = std::thread::Builder::new()
            .name("qdrant-test-server".into())
            .spawn(move || serve(listener, svc, api_key, stop, ready_tx))
            .map_err(io("spawning the Qdrant test server thread"))?;
        match ready_rx.recv_timeout(Duration::from_secs(10)) {
            Ok(Ok(())) => Ok(Self {
                port,
                store,
                shutdown: Some(shutdown),
                thread: Some(thread),
            }),
            Ok(Err(reason)) => Err(Error::NotReady {
                what: "Qdrant test server".into(),
                reason,
                log_tail: String::new(),
            }),
            Err(e) => Err(Error::NotReady {
                what: "Qdrant test server".into(),
                reason: e.to_string(),
                log_tail: String::new(),
            }),
        }
    }

    /// `http://127.0.0.1:PORT` (gRPC).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Ids of a collection in Qdrant's scroll order (integers first, then UUIDs), as strings.
    pub fn point_ids(&self, collection: &str) -> Vec<String> {
        self.with(collection, |c| c.points.keys().map(key_text).collect())
    }

    /// The stored vector of a point (id as text).
    pub fn vector(&self, collection: &str, id: &str) -> Option<Vec<f32>> {
        self.with(collection, |c| {
            c.points
                .iter()
                .find(|(k, _)| key_text(k) == id)
                .map(|(_, p)| p.vector.clone())
        })
    }

    /// Whether a collection exists.
    pub fn has_collection(&self, collection: &str) -> bool {
        self.store
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(collection)
    }

    fn with<T: Default>(&self, collection: &str, f: impl FnOnce(&Collection) -> T) -> T {
        self.store
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(collection)
            .map(f)
            .unwrap_or_default()
    }
}

impl Drop for QdrantTestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Refuses calls without the right `api-key` when one is required.
fn api_key_check(
    api_key: Option<Arc<str>>,
) -> impl Fn(tonic::Request<()>) -> std::result::Result<tonic::Request<()>, Status> + Clone {
    move |req: tonic::Request<()>| {
        let given = req.metadata().get("api-key").and_then(|v| v.to_str().ok());
        match &api_key {
            Some(key) if given != Some(key.as_ref()) => {
                Err(Status::unauthenticated("Invalid api-key"))
            }
            _ => Ok(req),
        }
    }
}

fn serve(
    listener: std::net::TcpListener,
    svc: service::Service,
    api_key: Option<Arc<str>>,
    stop: tokio::sync::oneshot::Receiver<()>,
    ready: mpsc::Sender<std::result::Result<(), String>>,
) {
    let check = api_key_check(api_key);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = ready.send(Err(format!("tokio runtime: {e}")));
            return;
        }
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::from_std(listener) {
            Ok(l) => l,
            Err(e) => {
                let _ = ready.send(Err(format!("listener: {e}")));
                return;
            }
        };
        let _ = ready.send(Ok(()));
        let server = tonic::transport::Server::builder()
            .add_service(QdrantServer::with_interceptor(svc.clone(), check.clone()))
            .add_service(CollectionsServer::with_interceptor(
                svc.clone(),
                check.clone(),
            ))
            .add_service(PointsServer::with_interceptor(svc, check))
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener));
        // No graceful shutdown: it would wait for clients' idle HTTP/2 connections, whose tasks may live on the
        // very runtime that is blocked in `drop`. Leaving `block_on` and dropping this runtime closes them all.
        tokio::select! {
            served = server => if let Err(e) = served {
                eprintln!("qdrant test server stopped with an error: {e}");
            },
            _ = stop => {}
        }
    });
    drop(runtime);
}

fn key_text(k: &Key) -> String {
    match k {
        Key::Num(n) => n.to_string(),
        Key::Uuid(u) => u.clone(),
    }
}

/// The dense vector of an upserted point, checked against the collection's dimension.
pub(crate) fn upsert_vector(
    v: Option<qdrant_client::qdrant::Vectors>,
    size: u64,
) -> std::result::Result<Vec<f32>, Status> {
    let data = match v.and_then(|v| v.vectors_options) {
        Some(vectors::VectorsOptions::Vector(v)) => match v.vector {
            Some(vector::Vector::Dense(d)) => d.data,
            #[allow(deprecated)]
            None => v.data,
            Some(_) => return Err(Status::unimplemented("test server: dense vectors only")),
        },
        _ => {
            return Err(Status::unimplemented(
                "test server: one unnamed dense vector per point",
            ));
        }
    };
    if data.len() as u64 != size {
        return Err(Status::invalid_argument(format!(
            "Wrong input: Vector dimension error: expected dim: {size}, got {}",
            data.len()
        )));
    }
    Ok(data)
}

/// A small deterministic generator (splitmix64), so the fixture is the same in every run.
struct Seeded(u64);

impl Seeded {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn unit_vector(&mut self) -> Vec<f32> {
        let raw: Vec<f64> = (0..VECTOR_SIZE)
            .map(|_| (self.next() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0)
            .collect();
        let norm = raw.iter().map(|x| x * x).sum::<f64>().sqrt();
        raw.iter()
            .map(|x| ((x / norm) * 10_000.0).round() as f32 / 10_000.0)
            .collect()
    }

    fn uuid(&mut self) -> String {
        let (a, b) = (self.next(), self.next());
        format!(
            "{:08x}-{:04x}-5{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | (b >> 48) & 0x3fff,
            b & 0xffff_ffff_ffff
        )
    }

    fn sha1ish(&mut self) -> String {
        format!(
            "{:016x}{:016x}{:08x}",
            self.next(),
            self.next(),
            self.next() >> 32
        )
    }
}

fn fixture() -> BTreeMap<String, Collection> {
    let mut collections: BTreeMap<String, Collection> = KATO_COLLECTIONS
        .iter()
        .map(|name| {
            (
                (*name).to_owned(),
                Collection::new(VECTOR_SIZE as u64, Distance::Euclid),
            )
        })
        .collect();
    let mut rng = Seeded(0x00d1_391a);
    let mut points = BTreeMap::new();
    let mut add = |key: Key, vector: Vec<f32>, rng: &mut Seeded, n: usize| {
        let payload = HashMap::from([
            (
                "name".to_owned(),
                Value::from(format!("VCTR|{}", rng.sha1ish())),
            ),
            ("node_id".to_owned(), Value::from("chat-bot")),
            ("observation".to_owned(), Value::from(n as i64)),
        ]);
        points.insert(key, Point { vector, payload });
    };
    let first = rng.unit_vector();
    // Point 2: point 1 nudged a little, so it is point 1's nearest neighbour by far.
    let twin: Vec<f32> = first
        .iter()
        .enumerate()
        .map(|(i, x)| if i % 64 == 0 { x + 0.01 } else { *x })
        .collect();
    add(Key::Num(1), first, &mut rng, 1);
    add(Key::Num(2), twin, &mut rng, 2);
    for n in 3..=INTEGER_POINTS {
        let v = rng.unit_vector();
        add(Key::Num(n), v, &mut rng, n as usize);
    }
    for i in 0..UUID_POINTS {
        let (id, v) = (rng.uuid(), rng.unit_vector());
        add(Key::Uuid(id), v, &mut rng, INTEGER_POINTS as usize + i + 1);
    }
    if let Some(c) = collections.get_mut(POINTS_COLLECTION) {
        c.points = points;
    }
    collections
}

//! Knowledge bases (databases holding `*_kb` collections), their collections with statistics, and drops.

use futures_util::future::join_all;
use mongodb::bson::{Bson, Document, doc};
use serde::Serialize;
use serde_json::Value;

use crate::{
    MongoBrowser,
    client::run,
    error::{MongoBrowseError, Result},
    filter::{self, SYSTEM_DATABASES},
    json::to_json,
};

/// One KATO knowledge base (one node's database).
#[derive(Debug, Clone, Serialize)]
pub struct KnowledgeBase {
    /// Database name = KATO processor id (old field name kept).
    pub processor_id: String,
    /// Its collections, sorted.
    pub collections: Vec<String>,
    /// Documents in `patterns_kb` (absent when it cannot be counted).
    pub patterns_count: Option<u64>,
    /// MongoDB's `dbStats` answer, or `null` when the server does not implement it.
    pub stats: Value,
}

/// One collection with the statistics the server could give.
#[derive(Debug, Clone, Serialize)]
pub struct CollectionInfo {
    /// Collection name.
    pub name: String,
    /// Number of documents.
    pub count: u64,
    /// Whether `collStats` answered; when false only `count` is known.
    pub stats_available: bool,
    /// Uncompressed data size.
    pub size_bytes: Option<i64>,
    /// Mean document size.
    pub avg_document_size: Option<f64>,
    /// Size on disk.
    pub storage_size: Option<i64>,
    /// Number of indexes.
    pub indexes: Option<i64>,
}

impl MongoBrowser {
    /// Databases that hold at least one `*_kb` collection, and those allowed by `MONGO_DATABASES`; never
    /// `admin`/`config`/`local`.
    pub async fn knowledge_bases(&self) -> Result<Vec<KnowledgeBase>> {
        let client = self.client().await?;
        let mut names = run(client.list_database_names()).await?;
        names.retain(|n| !SYSTEM_DATABASES.contains(&n.as_str()));
        names.sort();
        let mut out = Vec::new();
        for name in names {
            let collections = match self.collection_names(&name).await {
                Ok(c) => c,
                Err(MongoBrowseError::NotFound(_)) => continue,
                Err(e) => return Err(e),
            };
            if !collections.iter().any(|c| c.ends_with("_kb")) && !self.allow_listed(&name) {
                continue;
            }
            let db = self.db(&name).await?;
            let patterns_count = if collections.iter().any(|c| c == "patterns_kb") {
                run(db
                    .collection::<Document>("patterns_kb")
                    .count_documents(doc! {}))
                .await
                .ok()
            } else {
                None
            };
            let stats = match run(db.run_command(doc! {"dbStats": 1})).await {
                Ok(d) => to_json(d),
                Err(e) if e.is_unsupported() => Value::Null,
                Err(e) => return Err(e),
            };
            out.push(KnowledgeBase {
                processor_id: name,
                collections,
                patterns_count,
                stats,
            });
        }
        Ok(out)
    }

    /// Whether `database` exists and holds a `*_kb` collection.
    pub async fn is_knowledge_base(&self, database: &str) -> Result<bool> {
        Ok(self
            .collection_names(database)
            .await?
            .iter()
            .any(|c| c.ends_with("_kb")))
    }

    /// Collection names of `database`, sorted; `NotFound` when it has none (MongoDB has no empty databases).
    pub async fn collection_names(&self, database: &str) -> Result<Vec<String>> {
        let db = self.db(database).await?;
        let mut names = run(db.list_collection_names()).await?;
        names.retain(|n| !n.starts_with("system."));
        names.sort();
        if names.is_empty() {
            return Err(MongoBrowseError::NotFound(format!(
                "database `{database}` does not exist"
            )));
        }
        Ok(names)
    }

    /// Every collection of `database` with its statistics (fetched concurrently).
    pub async fn collections(&self, database: &str) -> Result<Vec<CollectionInfo>> {
        let names = self.collection_names(database).await?;
        let infos = join_all(names.iter().map(|n| self.collection_info(database, n))).await;
        infos.into_iter().collect()
    }

    /// Statistics of one collection: `collStats` when the server implements it, else the count alone.
    pub async fn collection_info(
        &self,
        database: &str,
        collection: &str,
    ) -> Result<CollectionInfo> {
        let collection = filter::collection(collection)?;
        self.require_collection(database, collection).await?;
        let db = self.db(database).await?;
        let count = run(db
            .collection::<Document>(collection)
            .count_documents(doc! {}))
        .await?;
        let mut info = CollectionInfo {
            name: collection.to_owned(),
            count,
            stats_available: false,
            size_bytes: None,
            avg_document_size: None,
            storage_size: None,
            indexes: None,
        };
        match run(db.run_command(doc! {"collStats": collection})).await {
            Ok(stats) => {
                info.stats_available = true;
                info.size_bytes = number(&stats, "size").map(|v| v as i64);
                info.avg_document_size = number(&stats, "avgObjSize");
                info.storage_size = number(&stats, "storageSize").map(|v| v as i64);
                info.indexes = number(&stats, "nindexes").map(|v| v as i64);
            }
            Err(e) if e.is_unsupported() => {
                tracing::debug!(collection, error = %e, "collStats not available; count only");
            }
            Err(e) => return Err(e),
        }
        Ok(info)
    }

    /// The handle of a collection that exists (`BadRequest` for a name the browser does not read, `NotFound` for
    /// one that does not exist): every document operation goes through it, so a bad name never reaches MongoDB.
    pub(crate) async fn existing(
        &self,
        database: &str,
        collection: &str,
    ) -> Result<mongodb::Collection<mongodb::bson::Document>> {
        let collection = filter::collection(collection)?;
        self.require_collection(database, collection).await?;
        Ok(self.db(database).await?.collection(collection))
    }

    /// `NotFound` unless `collection` exists in `database`.
    pub async fn require_collection(&self, database: &str, collection: &str) -> Result<()> {
        let names = self.collection_names(database).await?;
        if names.iter().any(|n| n == collection) {
            Ok(())
        } else {
            Err(MongoBrowseError::NotFound(format!(
                "collection `{collection}` does not exist in `{database}`"
            )))
        }
    }

    /// Drops a collection. `confirm` must equal its name.
    pub async fn drop_collection(
        &self,
        database: &str,
        collection: &str,
        confirm: Option<&str>,
    ) -> Result<()> {
        confirmed(collection, confirm)?;
        let collection = filter::collection(collection)?;
        self.require_collection(database, collection).await?;
        let db = self.db(database).await?;
        run(db.collection::<Document>(collection).drop()).await
    }

    /// Drops a whole knowledge base. `confirm` must equal its name; only KATO knowledge bases can be dropped.
    pub async fn drop_database(&self, database: &str, confirm: Option<&str>) -> Result<()> {
        confirmed(database, confirm)?;
        if !self.is_knowledge_base(database).await? {
            return Err(MongoBrowseError::NotFound(format!(
                "`{database}` is not a KATO knowledge base (no *_kb collection)"
            )));
        }
        run(self.db(database).await?.drop()).await
    }
}

/// The typed confirmation every drop needs.
fn confirmed(name: &str, confirm: Option<&str>) -> Result<()> {
    match confirm {
        Some(given) if given == name => Ok(()),
        Some(given) => Err(MongoBrowseError::BadRequest(format!(
            "confirmation `{given}` does not match `{name}`; send {{\"confirm\": \"{name}\"}}"
        ))),
        None => Err(MongoBrowseError::BadRequest(format!(
            "dropping needs a typed confirmation: send {{\"confirm\": \"{name}\"}}"
        ))),
    }
}

/// A numeric field of any BSON number type.
fn number(doc: &Document, key: &str) -> Option<f64> {
    match doc.get(key)? {
        Bson::Int32(v) => Some(f64::from(*v)),
        Bson::Int64(v) => Some(*v as f64),
        Bson::Double(v) => Some(*v),
        _ => None,
    }
}

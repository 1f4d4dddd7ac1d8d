//! Any collection's documents: paging with a checked filter, detail, edits and deletes by id.

use futures_util::TryStreamExt;
use mongodb::bson::{Bson, Document, doc};
use serde::Serialize;
use serde_json::Value;

use crate::{
    MongoBrowser,
    client::run,
    error::{MongoBrowseError, Result},
    filter::{self, id_filter, ids_filter},
    json::to_json,
};

/// Most ids one bulk delete accepts.
pub const MAX_BULK_IDS: usize = 1000;

/// A page request for any collection.
#[derive(Debug, Clone, Default)]
pub struct DocumentQuery {
    /// Documents to skip.
    pub skip: u64,
    /// Page size (1..=1000).
    pub limit: i64,
    /// Checked filter (see [`filter::json_filter`]).
    pub filter: Document,
    /// Sort document.
    pub sort: Document,
}

/// One page of documents.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentPage {
    /// The documents, ObjectIds as hex strings.
    pub documents: Vec<Value>,
    /// Documents matching the filter.
    pub total: u64,
    /// Echo of the request.
    pub skip: u64,
    /// Echo of the request.
    pub limit: i64,
    /// Whether more documents follow this page.
    pub has_more: bool,
}

impl MongoBrowser {
    /// A page of `collection`, after checking it exists.
    pub async fn documents(
        &self,
        database: &str,
        collection: &str,
        query: DocumentQuery,
    ) -> Result<DocumentPage> {
        let collection = filter::collection(collection)?;
        self.require_collection(database, collection).await?;
        self.page(database, collection, query).await
    }

    pub(crate) async fn page(
        &self,
        database: &str,
        collection: &str,
        q: DocumentQuery,
    ) -> Result<DocumentPage> {
        if !(1..=1000).contains(&q.limit) {
            return Err(MongoBrowseError::BadRequest(format!(
                "limit must be 1..1000, not {}",
                q.limit
            )));
        }
        // The driver sends skip as a signed 64-bit number.
        if i64::try_from(q.skip).is_err() {
            return Err(MongoBrowseError::BadRequest(format!(
                "skip must be at most {}, not {}",
                i64::MAX,
                q.skip
            )));
        }
        let coll = self.db(database).await?.collection::<Document>(collection);
        let total = count(&coll, &q.filter).await?;
        let cursor = run(coll.find(q.filter).sort(q.sort).skip(q.skip).limit(q.limit)).await?;
        let docs: Vec<Document> = run(cursor.try_collect()).await?;
        let documents: Vec<Value> = docs.into_iter().map(to_json).collect();
        let has_more = q.skip + (documents.len() as u64) < total;
        Ok(DocumentPage {
            documents,
            total,
            skip: q.skip,
            limit: q.limit,
            has_more,
        })
    }

    /// One document by id (ObjectId first, then string).
    pub async fn document(&self, database: &str, collection: &str, id: &str) -> Result<Value> {
        let coll = self.existing(database, collection).await?;
        match run(coll.find_one(id_filter(id))).await? {
            Some(d) => Ok(to_json(d)),
            None => Err(MongoBrowseError::NotFound(format!(
                "no document `{id}` in {database}.{collection}"
            ))),
        }
    }

    /// Sets fields of one document; `NotFound` when no document has that id. Returns (matched, modified).
    pub async fn update_document(
        &self,
        database: &str,
        collection: &str,
        id: &str,
        fields: Value,
    ) -> Result<(u64, u64)> {
        let set = filter::set_fields(fields)?;
        let coll = self.existing(database, collection).await?;
        let r = run(coll.update_one(id_filter(id), doc! {"$set": set})).await?;
        if r.matched_count == 0 {
            return Err(MongoBrowseError::NotFound(format!(
                "no document `{id}` in {database}.{collection}"
            )));
        }
        Ok((r.matched_count, r.modified_count))
    }

    /// Deletes one document; `NotFound` when no document has that id.
    pub async fn delete_document(&self, database: &str, collection: &str, id: &str) -> Result<()> {
        let coll = self.existing(database, collection).await?;
        let r = run(coll.delete_one(id_filter(id))).await?;
        if r.deleted_count == 0 {
            return Err(MongoBrowseError::NotFound(format!(
                "no document `{id}` in {database}.{collection}"
            )));
        }
        Ok(())
    }

    /// Deletes the documents with these ids; returns how many were really deleted.
    pub async fn delete_documents(
        &self,
        database: &str,
        collection: &str,
        ids: &[String],
    ) -> Result<u64> {
        if ids.is_empty() {
            return Err(MongoBrowseError::BadRequest("no ids given".into()));
        }
        if ids.len() > MAX_BULK_IDS {
            return Err(MongoBrowseError::BadRequest(format!(
                "at most {MAX_BULK_IDS} ids per request"
            )));
        }
        let coll = self.existing(database, collection).await?;
        Ok(run(coll.delete_many(ids_filter(ids))).await?.deleted_count)
    }
}

/// Documents matching `filter`. A filter holding ObjectIds is counted with a `find` of the ids: some
/// MongoDB-compatible servers (nx-27017) cannot bind ObjectIds in `count`/`aggregate`, and such filters are
/// selective anyway.
pub(crate) async fn count(coll: &mongodb::Collection<Document>, filter: &Document) -> Result<u64> {
    if !has_object_id(filter) {
        return run(coll.count_documents(filter.clone())).await;
    }
    let cursor = run(coll.find(filter.clone()).projection(doc! {"_id": 1})).await?;
    let ids: Vec<Document> = run(cursor.try_collect()).await?;
    Ok(ids.len() as u64)
}

fn has_object_id(doc: &Document) -> bool {
    doc.values().any(bson_has_object_id)
}

fn bson_has_object_id(value: &Bson) -> bool {
    match value {
        Bson::ObjectId(_) => true,
        Bson::Document(d) => has_object_id(d),
        Bson::Array(items) => items.iter().any(bson_has_object_id),
        _ => false,
    }
}

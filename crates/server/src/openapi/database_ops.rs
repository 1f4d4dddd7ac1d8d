//! Database browser operations (docs/databases.md). Changes need `DATABASE_READ_ONLY=false` and the admin token.

use super::{Op, Param, Upstream, path, query};

const fn op(
    method: &'static str,
    path: &'static str,
    tag: &'static str,
    summary: &'static str,
    params: &'static [Param],
    body: Option<&'static str>,
) -> Op {
    let admin = !matches!(method.as_bytes(), b"get");
    Op {
        method,
        path,
        tag,
        summary,
        description: if admin {
            "Admin only, and only with DATABASE_READ_ONLY=false; audited in the log."
        } else {
            "Read-only."
        },
        params,
        body,
        admin,
        upstream: Upstream::Remote,
    }
}

const DB: Param = path("db", "Knowledge base (database) name");
const C: Param = path("c", "Collection name");
const ID: Param = path(
    "id",
    "Document id: an ObjectId when it parses as one, else the string",
);
const NAME: Param = path("name", "Qdrant collection");
const POINT: Param = path("id", "Point id: unsigned integer or UUID");
const CONFIRM: Param = query("confirm", "string", "Must equal the name being dropped");
const PAGE: &[Param] = &[
    DB,
    query("skip", "integer", "Offset"),
    query("limit", "integer", "Page size"),
    query("sort_by", "string", "frequency, length, name or _id"),
    query("sort_order", "string", "1/-1 or asc/desc"),
    query("search", "string", "Name search (escaped, not a regex)"),
    query("search_mode", "string", "contains (default) or prefix"),
];
const DOCS: &[Param] = &[
    DB,
    C,
    query("skip", "integer", "Offset"),
    query("limit", "integer", "Page size"),
    query(
        "filter",
        "string",
        "MongoDB filter as (Extended) JSON; $where, $function, $accumulator refused",
    ),
];
const REDIS_KEY: &[Param] = &[
    query("key", "string", "Key (URL-encoded; any characters)"),
    query(
        "key_b64",
        "string",
        "Key as base64, for keys that are not UTF-8",
    ),
    query("cursor", "string", "Paging cursor of big values"),
    query("offset", "integer", "Offset in lists and sorted sets"),
    query("count", "integer", "Items per page of big values"),
];

pub const OPS: &[Op] = &[
    Op {
        method: "get",
        path: "/api/v1/databases/features",
        tag: "service",
        summary: "What the database browsers can do",
        description: "Each store's availability, whether the caller is admin, read-only mode, and whether \
                      destructive operations are allowed (the UI hides them otherwise).",
        params: &[],
        body: None,
        admin: false,
        upstream: Upstream::None,
    },
    // --- MongoDB ---
    op(
        "get",
        "/api/v1/databases/mongodb/processors",
        "mongodb",
        "Knowledge bases (databases holding *_kb collections)",
        &[],
        None,
    ),
    op(
        "delete",
        "/api/v1/databases/mongodb/processors/{db}",
        "mongodb",
        "Drop a knowledge base",
        &[DB],
        Some("`{\"confirm\": \"<db>\"}`"),
    ),
    op(
        "get",
        "/api/v1/databases/mongodb/{db}/patterns",
        "mongodb",
        "Patterns, paged, sorted, searched on the server",
        PAGE,
        None,
    ),
    op(
        "post",
        "/api/v1/databases/mongodb/{db}/patterns/bulk-delete",
        "mongodb",
        "Delete patterns by id",
        &[DB],
        Some("`{\"pattern_ids\": [...]}`"),
    ),
    op(
        "get",
        "/api/v1/databases/mongodb/{db}/patterns/{id}",
        "mongodb",
        "One pattern",
        &[DB, ID],
        None,
    ),
    op(
        "put",
        "/api/v1/databases/mongodb/{db}/patterns/{id}",
        "mongodb",
        "Update a pattern",
        &[DB, ID],
        Some("Fields to set (not `_id`)"),
    ),
    op(
        "delete",
        "/api/v1/databases/mongodb/{db}/patterns/{id}",
        "mongodb",
        "Delete a pattern",
        &[DB, ID],
        None,
    ),
    op(
        "get",
        "/api/v1/databases/mongodb/{db}/symbols",
        "mongodb",
        "Symbols, paged",
        PAGE,
        None,
    ),
    op(
        "get",
        "/api/v1/databases/mongodb/{db}/symbols/{id}",
        "mongodb",
        "One symbol",
        &[DB, ID],
        None,
    ),
    op(
        "get",
        "/api/v1/databases/mongodb/{db}/statistics",
        "mongodb",
        "Totals, frequency figures, length distribution",
        &[DB],
        None,
    ),
    op(
        "get",
        "/api/v1/databases/mongodb/{db}/collections",
        "mongodb",
        "Collections with statistics",
        &[DB],
        None,
    ),
    op(
        "delete",
        "/api/v1/databases/mongodb/{db}/collections/{c}",
        "mongodb",
        "Drop a collection",
        &[DB, C],
        Some("`{\"confirm\": \"<collection>\"}`"),
    ),
    op(
        "get",
        "/api/v1/databases/mongodb/{db}/collections/{c}/statistics",
        "mongodb",
        "One collection's statistics",
        &[DB, C],
        None,
    ),
    op(
        "get",
        "/api/v1/databases/mongodb/{db}/collections/{c}/documents",
        "mongodb",
        "Documents, paged, with a JSON filter",
        DOCS,
        None,
    ),
    op(
        "post",
        "/api/v1/databases/mongodb/{db}/collections/{c}/documents/bulk-delete",
        "mongodb",
        "Delete documents by id",
        &[DB, C],
        Some("`{\"document_ids\": [...]}`"),
    ),
    op(
        "get",
        "/api/v1/databases/mongodb/{db}/collections/{c}/documents/{id}",
        "mongodb",
        "One document",
        &[DB, C, ID],
        None,
    ),
    op(
        "put",
        "/api/v1/databases/mongodb/{db}/collections/{c}/documents/{id}",
        "mongodb",
        "Replace a document's fields",
        &[DB, C, ID],
        Some("Fields to set (not `_id`)"),
    ),
    op(
        "delete",
        "/api/v1/databases/mongodb/{db}/collections/{c}/documents/{id}",
        "mongodb",
        "Delete a document",
        &[DB, C, ID],
        None,
    ),
    // --- Qdrant ---
    op(
        "get",
        "/api/v1/databases/qdrant/collections",
        "qdrant",
        "Collections (points, vector size, distance, status)",
        &[],
        None,
    ),
    op(
        "get",
        "/api/v1/databases/qdrant/processors",
        "qdrant",
        "Collections grouped by KATO processor",
        &[],
        None,
    ),
    op(
        "get",
        "/api/v1/databases/qdrant/collections/{name}",
        "qdrant",
        "One collection",
        &[NAME],
        None,
    ),
    op(
        "delete",
        "/api/v1/databases/qdrant/collections/{name}",
        "qdrant",
        "Delete a collection",
        &[NAME, CONFIRM],
        None,
    ),
    op(
        "get",
        "/api/v1/databases/qdrant/collections/{name}/points",
        "qdrant",
        "Scroll points (the answer carries the next and previous offsets)",
        &[
            NAME,
            query("limit", "integer", "Page size"),
            query(
                "offset",
                "string",
                "Point id to start from (integer or UUID)",
            ),
            query("with_vectors", "boolean", "Include vectors"),
            query("with_payload", "boolean", "Include payloads"),
        ],
        None,
    ),
    op(
        "post",
        "/api/v1/databases/qdrant/collections/{name}/points/bulk-delete",
        "qdrant",
        "Delete points by id",
        &[NAME],
        Some("`{\"point_ids\": [...]}`"),
    ),
    op(
        "get",
        "/api/v1/databases/qdrant/collections/{name}/points/{id}",
        "qdrant",
        "One point with its vector and payload",
        &[
            NAME,
            POINT,
            query("with_vectors", "boolean", "Include the vector"),
            query("with_payload", "boolean", "Include the payload"),
        ],
        None,
    ),
    op(
        "get",
        "/api/v1/databases/qdrant/collections/{name}/points/{id}/similar",
        "qdrant",
        "Points nearest to this one (itself excluded)",
        &[
            NAME,
            POINT,
            query("limit", "integer", "How many"),
            query("score_threshold", "number", "Minimum score"),
        ],
        None,
    ),
    // A search changes nothing: POST only because the vector is a body.
    Op {
        admin: false,
        description: "Read-only (POST because the vector is a body).",
        ..op(
            "post",
            "/api/v1/databases/qdrant/collections/{name}/search",
            "qdrant",
            "Search by vector",
            &[NAME],
            Some("`{\"query_vector\": [f32; size], \"limit\": N, \"score_threshold\": x}`"),
        )
    },
    // --- Redis ---
    op(
        "get",
        "/api/v1/databases/redis/info",
        "redis",
        "INFO summary and cache hit rate",
        &[],
        None,
    ),
    op(
        "get",
        "/api/v1/databases/redis/keys",
        "redis",
        "SCAN keys (never KEYS) with type and TTL",
        &[
            query("pattern", "string", "MATCH pattern (default *)"),
            query("count", "integer", "Keys per page"),
            query("cursor", "string", "Cursor of the next page (0 to start)"),
        ],
        None,
    ),
    op(
        "get",
        "/api/v1/databases/redis/keys/{key}",
        "redis",
        "Key detail by path (the key may contain /)",
        &[path("key", "The key")],
        None,
    ),
    op(
        "delete",
        "/api/v1/databases/redis/keys/{key}",
        "redis",
        "Delete a key by path",
        &[path("key", "The key")],
        None,
    ),
    op(
        "get",
        "/api/v1/databases/redis/key",
        "redis",
        "Key detail for every type, paged for big values, with TTL and size",
        REDIS_KEY,
        None,
    ),
    op(
        "delete",
        "/api/v1/databases/redis/key",
        "redis",
        "Delete a key (UNLINK)",
        REDIS_KEY,
        None,
    ),
    op(
        "get",
        "/api/v1/databases/redis/sessions",
        "redis",
        "KATO's session keys (kato:session:*)",
        &[],
        None,
    ),
    op(
        "post",
        "/api/v1/databases/redis/flush",
        "redis",
        "Delete the keys matching a pattern (SCAN + UNLINK; never FLUSHDB)",
        &[query("pattern", "string", "Required MATCH pattern")],
        None,
    ),
];

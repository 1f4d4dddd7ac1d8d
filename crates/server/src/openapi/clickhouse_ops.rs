//! KATO 3.x knowledge-base operations (ClickHouse + Redis + Qdrant; docs/databases.md, "KATO 3.x knowledge
//! bases"). The delete needs `DATABASE_READ_ONLY=false`, the admin token and the kb_id typed back.

use super::{Op, Param, Upstream, path, query};

const fn read(
    path: &'static str,
    summary: &'static str,
    description: &'static str,
    params: &'static [Param],
) -> Op {
    Op {
        method: "get",
        path,
        tag: "knowledge bases",
        summary,
        description,
        params,
        body: None,
        admin: false,
        upstream: Upstream::Remote,
    }
}

const KB: Param = path(
    "kb_id",
    "Knowledge base id (KATO's processor id, e.g. sensor_alpha_kato)",
);
const PAGE: &[Param] = &[
    KB,
    query("skip", "integer", "Offset (0..=2^63-1)"),
    query("limit", "integer", "Page size 1..=1000 (100)"),
    query(
        "sort_by",
        "string",
        "frequency (default; Redis), length, name, created_at (time) or token_count",
    ),
    query("sort_order", "string", "-1/desc (default) or 1/asc"),
    query(
        "search",
        "string",
        "Literal text (ILIKE, % and _ escaped) in the name or any symbol, over the whole knowledge base",
    ),
];
const SYMBOL_PAGE: &[Param] = &[
    KB,
    query("skip", "integer", "Offset"),
    query("limit", "integer", "Page size 1..=1000 (100)"),
    query(
        "sort_by",
        "string",
        "frequency (default), pattern_member_frequency (pmf), freq_pmf_ratio (ratio) or name",
    ),
    query("sort_order", "string", "-1/desc (default) or 1/asc"),
    query("search", "string", "Text in the symbol, ignoring case"),
];

pub const OPS: &[Op] = &[
    read(
        "/api/v1/databases/patterns/processors",
        "Knowledge bases of KATO 3.x",
        "Every kb_id any store knows (ClickHouse rows, Redis keys, Qdrant vectors_<kb_id>), with patterns, symbols \
         and vectors counts; `sources` tells which optional store did not answer.",
        &[],
    ),
    read(
        "/api/v1/databases/patterns/{kb_id}/patterns",
        "Patterns, paged, sorted and searched over the whole knowledge base",
        "Rows from ClickHouse with each pattern's frequency from Redis.",
        PAGE,
    ),
    read(
        "/api/v1/databases/patterns/{kb_id}/patterns/{name}",
        "One pattern in full",
        "The ClickHouse row (MinHash, LSH bands as strings) with frequency, emotives, metadata and the \
         finalize-training metrics from Redis; `name` with or without PTRN|.",
        &[
            KB,
            path("name", "Pattern name: the sha1, with or without PTRN|"),
        ],
    ),
    read(
        "/api/v1/databases/patterns/{kb_id}/statistics",
        "Knowledge-base statistics",
        "Lengths, events, learns (Σ frequency), symbols with pattern coverage (% of all patterns holding a \
         symbol), KATO's Redis totals and the Qdrant points.",
        &[KB],
    ),
    Op {
        method: "delete",
        path: "/api/v1/databases/patterns/{kb_id}",
        tag: "knowledge bases",
        summary: "Delete a knowledge base from ClickHouse, Redis and Qdrant (or a dry run)",
        description: "Admin only, DATABASE_READ_ONLY=false, audited; the kb_id typed back as ?confirm=. \
                      dry_run=true lists exactly what would go (rows and statements, every Redis key with its \
                      family counts and the SCAN pattern, the Qdrant collection and its points).",
        params: &[
            KB,
            query("confirm", "string", "Must equal kb_id"),
            query("dry_run", "boolean", "true: only say what would be removed"),
        ],
        body: None,
        admin: true,
        upstream: Upstream::Remote,
    },
    read(
        "/api/v1/databases/symbols/{kb_id}",
        "Symbols with frequency, patterns holding them, pattern coverage and affinity",
        "From Redis (symbols:freq, symbols:pmf, affinity:<symbol> for the page).",
        SYMBOL_PAGE,
    ),
    read(
        "/api/v1/databases/symbols/{kb_id}/statistics",
        "Symbol statistics",
        "Totals, means, maxima and the ten most frequent symbols.",
        &[KB],
    ),
    read(
        "/api/v1/databases/symbols/{kb_id}/affinity/{symbol}",
        "One symbol's affinity",
        "Emotive → running sum, as KATO's /symbols/{symbol}/affinity answers it.",
        &[
            KB,
            path("symbol", "The symbol (URL-encoded; may hold : | and /)"),
        ],
    ),
];

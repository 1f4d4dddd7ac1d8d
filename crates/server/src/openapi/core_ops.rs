//! Service, KATO, sessions and containers operations.

use super::{Op, Upstream, path, query};

const fn get(
    path: &'static str,
    tag: &'static str,
    summary: &'static str,
    description: &'static str,
    params: &'static [super::Param],
    upstream: Upstream,
) -> Op {
    Op {
        method: "get",
        path,
        tag,
        summary,
        description,
        params,
        body: None,
        admin: false,
        upstream,
    }
}

const NO_CACHE: super::Param = query(
    "use_cache",
    "boolean",
    "Accepted for the old dashboard's clients; answers are always current",
);

pub const OPS: &[Op] = &[
    get(
        "/api/v1",
        "service",
        "Service information",
        "Name, version and the main paths.",
        &[],
        Upstream::None,
    ),
    get(
        "/api/v1/health",
        "service",
        "Health of the dashboard and each upstream",
        "`status` is `healthy` or `degraded`; `upstreams` has `kato`, `redis`, `mongodb`, `qdrant`, `docker` \
         with `status` up/down, latency and the error. 200 while the dashboard serves.",
        &[query(
            "strict",
            "boolean",
            "Answer 503 when any upstream is down",
        )],
        Upstream::None,
    ),
    get(
        "/metrics",
        "service",
        "Prometheus metrics of the dashboard",
        "Text exposition format 0.0.4 (not JSON): connections, frames and bytes per stream, resyncs, \
         disconnects, tick durations, collector latency and errors, KATO request outcomes.",
        &[],
        Upstream::None,
    ),
    get(
        "/ws",
        "service",
        "Live updates (WebSocket)",
        "Upgrade to a WebSocket: topics metrics, containers, sessions, session_events, system_alerts, \
         kato_events; subscribe, resume, deltas, heartbeats (docs/protocol.md).",
        &[],
        Upstream::None,
    ),
    get(
        "/openapi.json",
        "service",
        "This document",
        "OpenAPI 3.1.",
        &[],
        Upstream::None,
    ),
    get(
        "/docs",
        "service",
        "API explorer",
        "An HTML page that lists these operations and sends requests (not JSON).",
        &[],
        Upstream::None,
    ),
    get(
        "/api/v1/system/kato-health",
        "kato",
        "KATO's /health",
        "KATO's answer, unchanged.",
        &[NO_CACHE],
        Upstream::Remote,
    ),
    get(
        "/api/v1/system/metrics",
        "kato",
        "KATO's /metrics",
        "KATO's answer, unchanged (`active_session_count`, processors, performance, databases).",
        &[NO_CACHE],
        Upstream::Remote,
    ),
    get(
        "/api/v1/system/stats",
        "kato",
        "KATO's /stats",
        "Time series of the last `minutes`.",
        &[
            query("minutes", "integer", "Window, 1..=1440 (default 10)"),
            NO_CACHE,
        ],
        Upstream::Remote,
    ),
    get(
        "/api/v1/system/history",
        "kato",
        "The last minutes of the chart topics",
        "`{metrics: [...], containers: [...]}`: every value the socket sent on those topics in the window, \
         oldest first (what the web app draws its charts from after a reload).",
        &[query("minutes", "integer", "Window, 1..=15 (default 15)")],
        Upstream::None,
    ),
    get(
        "/api/v1/system/cache-stats",
        "kato",
        "KATO's /cache/stats",
        "KATO's answer, unchanged.",
        &[NO_CACHE],
        Upstream::Remote,
    ),
    get(
        "/api/v1/system/connection-pools",
        "kato",
        "KATO's /connection-pools",
        "KATO's answer, unchanged.",
        &[NO_CACHE],
        Upstream::Remote,
    ),
    get(
        "/api/v1/system/distributed-stm",
        "kato",
        "KATO's /distributed-stm/stats",
        "KATO's answer, unchanged.",
        &[NO_CACHE],
        Upstream::Remote,
    ),
    get(
        "/api/v1/system/container-stats",
        "containers",
        "Monitored containers",
        "CPU, memory, network and block I/O (totals and rates), pids, status, health, restarts, uptime per \
         container, aggregates, and the names that do not exist (`missing`). 503 when Docker is unavailable.",
        &[],
        Upstream::Remote,
    ),
    get(
        "/api/v1/system/container-stats/{name}",
        "containers",
        "One monitored container",
        "404 for a container that is not monitored or does not exist.",
        &[path("name", "Container name")],
        Upstream::Remote,
    ),
    get(
        "/api/v1/sessions/count",
        "sessions",
        "Active session count",
        "`{\"active_session_count\": N, \"source\": \"redis\"|\"kato\", \"kato_active_session_count\": M}`: N is the live sessions in Redis while it is readable (KATO 3.x's own count lags 5 s and keeps TTL-expired sessions), else KATO's count; M is KATO's figure.",
        &[],
        Upstream::Remote,
    ),
    get(
        "/api/v1/sessions",
        "sessions",
        "The live session list",
        "Merged from Redis (`SCAN kato:session:*`) and KATO's pushes; paged, searched and sorted here.",
        &[
            query("skip", "integer", "Offset (default 0)"),
            query("limit", "integer", "Page size, 1..=200 (default 50)"),
            query("search", "string", "Substring of the id, node or user"),
            query(
                "sort",
                "string",
                "created_at (default), expires_at, last_active, node_id, session_id, ttl_seconds",
            ),
            query("order", "string", "asc or desc"),
            query(
                "status",
                "string",
                "active (the only state a listed session has)",
            ),
            query("node_id", "string", "Only this node's sessions"),
        ],
        Upstream::None,
    ),
    get(
        "/api/v1/sessions/{id}",
        "sessions",
        "One session",
        "Read from Redis: looking never extends a KATO 3.x session's TTL.",
        &[path("id", "Session id")],
        Upstream::Remote,
    ),
    Op {
        method: "delete",
        path: "/api/v1/sessions/{id}",
        tag: "sessions",
        summary: "Delete a session",
        description: "Through KATO's API. Admin only; audited in the log.",
        params: &[path("id", "Session id")],
        body: None,
        admin: true,
        upstream: Upstream::Remote,
    },
    get(
        "/api/v1/sessions/statistics/overview",
        "sessions",
        "Session keys in Redis by status",
        "The old dashboard's shape: `redis_total`, `redis_active` (with a TTL), `redis_idle` (kept without a TTL), \
         `redis_expired` (without a TTL, past the stored `expires_at`), plus `redis_index_keys` and `live_sessions`.",
        &[],
        Upstream::Remote,
    ),
    get(
        "/api/v1/sessions/redis-keys/diagnostic",
        "sessions",
        "Every key under kato:session:",
        "`{keys: [{redis_key, node_name, status, session_reference, ttl_seconds, expires, type}], total}`, soonest \
         expiry first; at most 10,000 keys (`truncated`).",
        &[],
        Upstream::Remote,
    ),
    Op {
        method: "post",
        path: "/api/v1/sessions/redis-keys/cleanup",
        tag: "sessions",
        summary: "Remove orphaned session keys",
        description: "Removes session keys without a TTL that KATO says it does not know (checked with \
                      `/sessions/{id}/exists`, which never extends a TTL); KATO's index keys and live sessions are \
                      never touched. `dry_run=true` lists them and needs no token. Admin only otherwise; audited.",
        params: &[query(
            "dry_run",
            "boolean",
            "List what would be removed, remove nothing",
        )],
        body: None,
        admin: true,
        upstream: Upstream::Remote,
    },
    Op {
        method: "post",
        path: "/api/v1/sessions/bulk-delete",
        tag: "sessions",
        summary: "Delete several sessions",
        description: "Each through KATO's API, like the single delete. At most 500 ids. Admin only; audited.",
        params: &[],
        body: Some("`{\"session_ids\": [\"session-…\"]}`"),
        admin: true,
        upstream: Upstream::Remote,
    },
    get(
        "/api/v1/sessions/{id}/stm",
        "sessions",
        "A session's short-term memory",
        "`{stm: [[symbol]], length}`; on KATO 3.x checked with /exists first.",
        &[path("id", "Session id")],
        Upstream::Remote,
    ),
];

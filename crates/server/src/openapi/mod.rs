//! OpenAPI 3.1 description of every HTTP endpoint, served at `/openapi.json`, and the interactive explorer at
//! `/docs` (a self-contained page: no CDN, works offline beside KATO).
//!
//! The operations are a table in one place ([`core_ops`], [`alert_ops`], [`database_ops`], [`clickhouse_ops`]),
//! so the document is plain data checked by tests: every route the router registers must appear here, and every
//! operation here must reach a handler (`crates/server/tests/openapi.rs`).

mod alert_ops;
mod clickhouse_ops;
mod core_ops;
mod database_ops;
mod page;

use serde_json::{Map, Value, json};

pub use page::DOCS_HTML;

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum In {
    /// A `{name}` segment of the path.
    Path,
    /// The query string.
    Query,
}

/// One parameter.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub location: In,
    /// JSON schema type: `string`, `integer`, `number`, `boolean`.
    pub ty: &'static str,
    pub required: bool,
    pub description: &'static str,
}

/// A path parameter (always required).
pub const fn path(name: &'static str, description: &'static str) -> Param {
    Param {
        name,
        location: In::Path,
        ty: "string",
        required: true,
        description,
    }
}

/// An optional query parameter.
pub const fn query(name: &'static str, ty: &'static str, description: &'static str) -> Param {
    Param {
        name,
        location: In::Query,
        ty,
        required: false,
        description,
    }
}

/// What an operation may answer besides 200, by the kind of work it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upstream {
    /// Answers from the dashboard's own state.
    None,
    /// Calls KATO, a database or Docker: 502/503/504 when it fails.
    Remote,
}

/// One operation.
#[derive(Debug, Clone, Copy)]
pub struct Op {
    pub method: &'static str,
    /// Full path, `{name}` for parameters.
    pub path: &'static str,
    pub tag: &'static str,
    pub summary: &'static str,
    pub description: &'static str,
    pub params: &'static [Param],
    /// Request body description (JSON), if any.
    pub body: Option<&'static str>,
    /// Needs the admin token (`X-Admin-Token`).
    pub admin: bool,
    pub upstream: Upstream,
}

/// Every documented operation.
pub fn operations() -> Vec<Op> {
    [
        core_ops::OPS,
        alert_ops::OPS,
        database_ops::OPS,
        clickhouse_ops::OPS,
    ]
    .concat()
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    })
}

fn operation(op: &Op) -> Value {
    let params: Vec<Value> = op
        .params
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "in": if p.location == In::Path { "path" } else { "query" },
                "required": p.required,
                "description": p.description,
                "schema": {"type": p.ty},
            })
        })
        .collect();
    let mut responses = Map::new();
    responses.insert(
        "200".into(),
        json!({"description": "OK", "content": {"application/json": {"schema": {}}}}),
    );
    if !op.params.is_empty() || op.body.is_some() {
        responses.insert("400".into(), error_response("Invalid parameters or body"));
        responses.insert("422".into(), error_response("Malformed query string"));
    }
    if op.params.iter().any(|p| p.location == In::Path) {
        responses.insert("404".into(), error_response("Not found"));
    }
    if op.admin {
        responses.insert("401".into(), error_response("Missing or wrong admin token"));
        responses.insert(
            "403".into(),
            error_response("Destructive operations are off (no ADMIN_TOKEN, or read-only)"),
        );
    }
    if op.upstream == Upstream::Remote {
        responses.insert(
            "502".into(),
            error_response("The upstream answered with an error or garbage"),
        );
        responses.insert("503".into(), error_response("The upstream is unreachable"));
        responses.insert(
            "504".into(),
            error_response("The upstream did not answer in time"),
        );
    }
    let mut o = json!({
        "tags": [op.tag],
        "summary": op.summary,
        "description": op.description,
        "operationId": format!("{}{}", op.method, op.path.replace(['/', '{', '}', '-', '.'], "_")),
        "parameters": params,
        "responses": responses,
    });
    if let Some(body) = op.body {
        o["requestBody"] = json!({
            "required": true,
            "description": body,
            "content": {"application/json": {"schema": {"type": "object"}}}
        });
    }
    if op.admin {
        o["security"] = json!([{"adminToken": []}, {"bearer": []}]);
    }
    o
}

/// The OpenAPI document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for op in operations() {
        let entry = paths.entry(op.path.to_owned()).or_insert_with(|| json!({}));
        entry[op.method] = operation(&op);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "KATO Dashboard API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "REST API of the KATO Dashboard: KATO's state, sessions, containers, alerts and the \
                database browsers. Errors are JSON `{\"detail\": …}`. Live updates are on the WebSocket `/ws` \
                (docs/protocol.md).",
        },
        "servers": [{"url": "/"}],
        "tags": [
            {"name": "service", "description": "The dashboard itself"},
            {"name": "kato", "description": "KATO's own answers, proxied with short timeouts"},
            {"name": "sessions", "description": "KATO sessions (Redis + KATO pushes)"},
            {"name": "containers", "description": "Docker containers of the deployment"},
            {"name": "alerts", "description": "The server-side alert engine"},
            {"name": "mongodb", "description": "KATO 1.x's knowledge bases"},
            {"name": "knowledge bases", "description": "KATO 3.x's knowledge bases (ClickHouse, Redis, Qdrant)"},
            {"name": "qdrant", "description": "KATO's vectors"},
            {"name": "redis", "description": "KATO's Redis"},
        ],
        "paths": paths,
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["detail"],
                    "properties": {
                        "detail": {"type": "string", "description": "What went wrong"},
                        "upstream": {"type": "string", "description": "The upstream that failed, if any"},
                    },
                },
            },
            "securitySchemes": {
                "adminToken": {"type": "apiKey", "in": "header", "name": "X-Admin-Token"},
                "bearer": {"type": "http", "scheme": "bearer"},
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_unique_and_their_path_parameters_match_the_path() {
        let ops = operations();
        let mut seen = std::collections::BTreeSet::new();
        for op in &ops {
            assert!(
                seen.insert((op.method, op.path)),
                "{} {} twice",
                op.method,
                op.path
            );
            assert!(
                ["get", "post", "put", "delete", "patch"].contains(&op.method),
                "{}",
                op.method
            );
            let in_path: Vec<&str> = op
                .path
                .split('/')
                .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
                .collect();
            let declared: Vec<&str> = op
                .params
                .iter()
                .filter(|p| p.location == In::Path)
                .map(|p| p.name)
                .collect();
            assert_eq!(in_path, declared, "{} {}", op.method, op.path);
        }
        let doc = document();
        assert_eq!(doc["openapi"], "3.1.0");
        assert!(doc["paths"].as_object().is_some_and(|p| p.len() > 30));
    }
}

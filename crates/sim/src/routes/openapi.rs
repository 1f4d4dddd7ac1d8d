//! `GET /openapi.json`: a compact OpenAPI document listing the paths this flavour serves, so
//! clients that probe it (FastAPI serves one) find the same paths as on the real service.

use axum::extract::State;

use super::{ApiResult, ok};
use crate::config::Flavour;
use crate::json::Json;
use crate::obj;
use crate::state::AppState;

const COMMON: &[(&str, &[&str])] = &[
    ("/", &["get"]),
    ("/health", &["get"]),
    ("/status", &["get"]),
    ("/metrics", &["get"]),
    ("/stats", &["get"]),
    ("/metrics/{metric_name}", &["get"]),
    ("/cache/stats", &["get"]),
    ("/connection-pools", &["get"]),
    ("/distributed-stm/stats", &["get"]),
    ("/concurrency", &["get"]),
    ("/sessions", &["post"]),
    ("/sessions/count", &["get"]),
    ("/sessions/{session_id}", &["get", "delete"]),
    ("/sessions/{session_id}/stm", &["get"]),
    ("/sessions/{session_id}/observe", &["post"]),
    ("/sessions/{session_id}/observe-sequence", &["post"]),
    ("/sessions/{session_id}/learn", &["post"]),
    ("/sessions/{session_id}/predictions", &["get"]),
    ("/sessions/{session_id}/clear-stm", &["post"]),
    ("/sessions/{session_id}/clear-all", &["post"]),
    ("/sessions/{session_id}/extend", &["post"]),
];

const V1_ONLY: &[(&str, &[&str])] = &[("/sessions/{session_id}/config", &["post"])];

const V3_ONLY: &[(&str, &[&str])] = &[
    ("/sessions/{session_id}/config", &["get", "post"]),
    ("/sessions/{session_id}/exists", &["get"]),
    ("/sessions/{session_id}/percept-data", &["get"]),
    ("/sessions/{session_id}/cognition-data", &["get"]),
    ("/sessions/{session_id}/finalize-training", &["post"]),
    ("/symbols/stats", &["get"]),
];

pub(super) async fn openapi(State(app): State<AppState>) -> ApiResult {
    let extra = match app.config.flavour {
        Flavour::V1 => V1_ONLY,
        Flavour::V3 => V3_ONLY,
    };
    let paths = COMMON
        .iter()
        .chain(extra)
        .map(|(path, methods)| {
            let ops = methods
                .iter()
                .map(|m| {
                    let op = obj! {
                        "summary" => format!("{} {path}", m.to_uppercase()),
                        "responses" => obj! { "200" => obj! { "description" => "Successful Response" } },
                    };
                    (m.to_string(), op)
                })
                .collect();
            (path.to_string(), Json::Obj(ops))
        })
        .collect();
    Ok(ok(obj! {
        "openapi" => "3.1.0",
        "info" => obj! {
            "title" => "KATO API",
            "description" => "Knowledge Abstraction for Traceable Outcomes with Multi-User Support",
            "version" => app.config.flavour.version(),
        },
        "paths" => Json::Obj(paths),
    }))
}

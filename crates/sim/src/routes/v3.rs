//! v3-only session utilities: `/sessions/{id}/percept-data`, `/cognition-data`,
//! `/finalize-training`, and `/symbols/stats?node_id=`.

use std::collections::HashMap;
use std::time::Instant;

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;

use super::sessions::load;
use super::validate::{Errors, Loc};
use super::{ApiResult, WorkerId, detail, ok};
use crate::json::Json;
use crate::obj;
use crate::state::{AppState, lock, processor_id};

fn empty_percept() -> Json {
    obj! {
        "strings" => Json::Arr(vec![]),
        "vectors" => Json::Arr(vec![]),
        "emotives" => Json::object(),
        "path" => Json::Arr(vec![]),
        "metadata" => Json::object(),
    }
}

pub(super) async fn percept_data(
    State(app): State<AppState>,
    Extension(WorkerId(w)): Extension<WorkerId>,
    Path(id): Path<String>,
) -> ApiResult {
    let rec = match load(&app, w, &id).await? {
        Ok(r) => r,
        Err(resp) => return Ok(resp),
    };
    let percept = if rec.percept_data.is_null() {
        empty_percept()
    } else {
        rec.percept_data.clone()
    };
    Ok(ok(
        obj! { "percept_data" => percept, "session_id" => &id, "node_id" => &rec.node_id },
    ))
}

pub(super) async fn cognition_data(
    State(app): State<AppState>,
    Extension(WorkerId(w)): Extension<WorkerId>,
    Path(id): Path<String>,
) -> ApiResult {
    let rec = match load(&app, w, &id).await? {
        Ok(r) => r,
        Err(resp) => return Ok(resp),
    };
    let emotives = rec
        .percept_data
        .get("emotives")
        .cloned()
        .unwrap_or_else(Json::object);
    let stm = Json::Arr(
        rec.stm
            .iter()
            .map(|e| Json::Arr(e.iter().map(Json::from).collect()))
            .collect(),
    );
    Ok(ok(obj! {
        "cognition_data" => obj! {
            "predictions" => Json::Arr(rec.predictions.clone()),
            "emotives" => emotives,
            "symbols" => Json::Arr(vec![]),
            "command" => "",
            "metadata" => Json::object(),
            "path" => Json::Arr(vec![]),
            "strings" => Json::Arr(vec![]),
            "vectors" => Json::Arr(vec![]),
            "short_term_memory" => stm,
            "time" => rec.time,
        },
        "session_id" => &id,
        "node_id" => &rec.node_id,
    }))
}

pub(super) async fn finalize_training(
    State(app): State<AppState>,
    Extension(WorkerId(w)): Extension<WorkerId>,
    Path(id): Path<String>,
) -> ApiResult {
    let started = Instant::now();
    let rec = match load(&app, w, &id).await? {
        Ok(r) => r,
        Err(resp) => return Ok(resp),
    };
    let n = lock(&app.kb).pattern_count(&rec.node_id);
    let ms = ((started.elapsed().as_secs_f64() * 1000.0 + 0.8 * n as f64) * 100.0).round() / 100.0;
    Ok(ok(obj! {
        "status" => "completed",
        "patterns_processed" => n,
        "time_ms" => ms,
        "session_id" => &id,
        "node_id" => &rec.node_id,
        "message" => format!("Computed Shannon entropy and TF vectors for {n} patterns in {ms}ms"),
    }))
}

pub(super) async fn symbols_stats(
    State(app): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult {
    let Some(node) = query.get("node_id") else {
        let mut e = Errors::default();
        e.push(
            "missing",
            &[Loc::Key("query"), Loc::Key("node_id")],
            "Field required",
            &Json::Null,
        );
        return Ok(e
            .finish()
            .err()
            .unwrap_or_else(|| detail(StatusCode::BAD_REQUEST, "node_id required")));
    };
    Ok(ok(lock(&app.kb).symbols_stats(node, &processor_id(node))))
}

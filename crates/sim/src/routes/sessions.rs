//! Session endpoints: create, count, get, delete, STM, extend, clear, config, and v3's
//! `/exists`. All storage goes through [`crate::sessions`].

use std::collections::HashMap;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;

use super::validate::{Errors, Loc, body_object, query_int};
use super::{ApiResult, WorkerId, detail, ok, session_not_found};
use crate::json::Json;
use crate::obj;
use crate::session::{self, SessionRecord};
use crate::sessions::{self as manager, CreateSession};
use crate::state::AppState;
use crate::timefmt;

/// Validates a `POST /sessions` body.
pub(crate) fn parse_create(body: &Json) -> Result<CreateSession, axum::response::Response> {
    let mut e = Errors::default();
    let node_id = match body.get("node_id") {
        None => {
            e.push(
                "missing",
                &[Loc::Key("body"), Loc::Key("node_id")],
                "Field required",
                body,
            );
            None
        }
        Some(v) => e.string(&[Loc::Key("body"), Loc::Key("node_id")], v),
    };
    let metadata = match body.get("metadata") {
        None | Some(Json::Null) => Json::object(),
        Some(v) => e.dict(&[Loc::Key("body"), Loc::Key("metadata")], v),
    };
    let ttl_seconds = match body.get("ttl_seconds") {
        None | Some(Json::Null) => None,
        Some(v) => match e.int(&[Loc::Key("body"), Loc::Key("ttl_seconds")], v) {
            Some(t) if t < 0 => {
                e.push(
                    "greater_than_equal",
                    &[Loc::Key("body"), Loc::Key("ttl_seconds")],
                    "Input should be greater than or equal to 0",
                    v,
                );
                None
            }
            t => t.map(|t| t as u64),
        },
    };
    let config = match body.get("config") {
        None | Some(Json::Null) => None,
        Some(v) => Some(e.dict(&[Loc::Key("body"), Loc::Key("config")], v)),
    };
    e.finish()?;
    Ok(CreateSession {
        node_id: node_id.unwrap_or_default(),
        metadata,
        ttl_seconds,
        config,
    })
}

pub(super) async fn create(
    State(app): State<AppState>,
    Extension(WorkerId(w)): Extension<WorkerId>,
    body: Bytes,
) -> ApiResult {
    let req = match body_object(&body, true).and_then(|b| parse_create(&b)) {
        Ok(r) => r,
        Err(resp) => return Ok(resp),
    };
    let (rec, ttl) = manager::create(&app, w, req).await?;
    Ok(ok(rec.response(ttl as i64)))
}

pub(super) async fn count(
    State(app): State<AppState>,
    Extension(WorkerId(w)): Extension<WorkerId>,
) -> ApiResult {
    let n = manager::count(&app, w, true).await?;
    Ok(ok(obj! { "active_session_count" => n }))
}

pub(super) async fn get_session(
    State(app): State<AppState>,
    Extension(WorkerId(w)): Extension<WorkerId>,
    Path(id): Path<String>,
) -> ApiResult {
    match manager::get(&app, w, &id).await? {
        Some(rec) => {
            let remaining = rec.remaining_seconds(timefmt::now());
            Ok(ok(rec.response(remaining)))
        }
        None => Ok(detail(
            StatusCode::NOT_FOUND,
            format!("Session {id} not found or expired"),
        )),
    }
}

pub(super) async fn delete_session(
    State(app): State<AppState>,
    Extension(WorkerId(w)): Extension<WorkerId>,
    Path(id): Path<String>,
) -> ApiResult {
    if manager::delete(&app, w, &id).await? {
        Ok(ok(obj! { "status" => "deleted", "session_id" => &id }))
    } else {
        Ok(session_not_found(&id))
    }
}

/// Loads the session for a `/sessions/{id}/…` handler (the middleware already checked it; a
/// session that expired in between gets the middleware's 404).
pub(super) async fn load(
    app: &AppState,
    worker: usize,
    id: &str,
) -> Result<Result<SessionRecord, axum::response::Response>, crate::error::SimError> {
    Ok(manager::get(app, worker, id)
        .await?
        .ok_or_else(|| session_not_found(id)))
}

fn stm_json(rec: &SessionRecord) -> Json {
    Json::Arr(
        rec.stm
            .iter()
            .map(|e| Json::Arr(e.iter().map(Json::from).collect()))
            .collect(),
    )
}

pub(super) async fn stm(
    State(app): State<AppState>,
    Extension(WorkerId(w)): Extension<WorkerId>,
    Path(id): Path<String>,
) -> ApiResult {
    let rec = match load(&app, w, &id).await? {
        Ok(r) => r,
        Err(resp) => return Ok(resp),
    };
    app.worker(w).lock().touch_processor(
        &rec.node_id,
        timefmt::now(),
        app.config.session_ttl_seconds,
    );
    Ok(ok(obj! {
        "stm" => stm_json(&rec),
        "session_id" => &id,
        "length" => rec.stm.len(),
    }))
}

pub(super) async fn extend(
    State(app): State<AppState>,
    Extension(WorkerId(w)): Extension<WorkerId>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult {
    let ttl = match query_int(&query, "ttl_seconds", 3600) {
        Ok(t) => t.max(1),
        Err(resp) => return Ok(resp),
    };
    if manager::extend(&app, w, &id, ttl as u64).await? {
        Ok(ok(
            obj! { "status" => "extended", "session_id" => &id, "ttl_seconds" => ttl },
        ))
    } else {
        Ok(session_not_found(&id))
    }
}

async fn clear(app: &AppState, w: usize, id: &str, all: bool) -> ApiResult {
    let mut rec = match load(app, w, id).await? {
        Ok(r) => r,
        Err(resp) => return Ok(resp),
    };
    rec.stm.clear();
    rec.emotives_accumulator.clear();
    if all {
        rec.metadata_accumulator.clear();
        crate::state::lock(&app.kb).clear(&rec.node_id);
    }
    manager::save(app, &rec).await?;
    let mut body = obj! { "status" => "cleared", "session_id" => id };
    if all {
        body.set("scope", "all");
    }
    Ok(ok(body))
}

pub(super) async fn clear_stm(
    State(app): State<AppState>,
    Extension(WorkerId(w)): Extension<WorkerId>,
    Path(id): Path<String>,
) -> ApiResult {
    clear(&app, w, &id, false).await
}

pub(super) async fn clear_all(
    State(app): State<AppState>,
    Extension(WorkerId(w)): Extension<WorkerId>,
    Path(id): Path<String>,
) -> ApiResult {
    clear(&app, w, &id, true).await
}

pub(super) async fn update_config(
    State(app): State<AppState>,
    Extension(WorkerId(w)): Extension<WorkerId>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let update = match body_object(&body, true).and_then(|b| {
        let mut e = Errors::default();
        let config = match b.get("config") {
            None => {
                e.push(
                    "missing",
                    &[Loc::Key("body"), Loc::Key("config")],
                    "Field required",
                    &b,
                );
                Json::object()
            }
            Some(v) => e.dict(&[Loc::Key("body"), Loc::Key("config")], v),
        };
        e.finish().map(|()| config)
    }) {
        Ok(c) => c,
        Err(resp) => return Ok(resp),
    };
    let mut rec = match load(&app, w, &id).await? {
        Ok(r) => r,
        Err(resp) => return Ok(resp),
    };
    rec.session_config.apply(&update, timefmt::now());
    manager::save(&app, &rec).await?;
    Ok(ok(obj! {
        "status" => "okay",
        "message" => "Configuration updated",
        "session_id" => &id,
    }))
}

/// v3 `GET /sessions/{id}/config`.
pub(super) async fn get_config(
    State(app): State<AppState>,
    Extension(WorkerId(w)): Extension<WorkerId>,
    Path(id): Path<String>,
) -> ApiResult {
    let rec = match load(&app, w, &id).await? {
        Ok(r) => r,
        Err(resp) => return Ok(resp),
    };
    Ok(ok(
        obj! { "session_id" => &id, "config" => rec.session_config.response() },
    ))
}

/// v3 `GET /sessions/{id}/exists`: a check that does not extend the TTL.
pub(super) async fn exists(State(app): State<AppState>, Path(id): Path<String>) -> ApiResult {
    let raw = app.store.get(&session::key(&id)).await?;
    let (exists, expired) = match raw
        .as_deref()
        .and_then(|r| SessionRecord::from_redis_value(app.config.flavour, r))
    {
        Some(rec) => (true, rec.expires_at <= timefmt::now()),
        None => (false, false),
    };
    Ok(ok(
        obj! { "exists" => exists, "expired" => expired, "session_id" => &id },
    ))
}

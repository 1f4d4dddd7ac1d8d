//! Knowledge-base endpoints of a session: observe, observe-sequence, learn and predictions.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::sessions::load;
use super::validate::{Errors, Loc, body_object};
use super::{ApiResult, WorkerId, detail, ok};
use crate::config::Flavour;
use crate::json::Json;
use crate::obj;
use crate::session::SessionRecord;
use crate::sessions as manager;
use crate::state::{AppState, lock};
use crate::{ids, timefmt};

/// One validated observation.
pub(crate) struct Observation {
    strings: Vec<String>,
    vectors: Vec<Vec<f64>>,
    emotives: Vec<(String, f64)>,
    metadata: Json,
    unique_id: Option<String>,
}

fn parse_observation(e: &mut Errors, loc: &[Loc<'_>], body: &Json) -> Observation {
    let field = |name: &'static str| {
        let mut l: Vec<Loc<'_>> = loc
            .iter()
            .map(|x| match x {
                Loc::Key(k) => Loc::Key(k),
                Loc::Index(i) => Loc::Index(*i),
            })
            .collect();
        l.push(Loc::Key(name));
        l
    };
    let get = |name: &str| body.get(name).filter(|v| !v.is_null());
    Observation {
        strings: get("strings").map_or_else(Vec::new, |v| e.str_list(&field("strings"), v)),
        vectors: get("vectors").map_or_else(Vec::new, |v| e.vectors(&field("vectors"), v)),
        emotives: get("emotives").map_or_else(Vec::new, |v| e.float_map(&field("emotives"), v)),
        metadata: get("metadata").map_or_else(Json::object, |v| e.dict(&field("metadata"), v)),
        unique_id: get("unique_id").and_then(|v| e.string(&field("unique_id"), v)),
    }
}

fn vector_symbol(v: &[f64]) -> String {
    let text: Vec<String> = v.iter().map(|f| Json::Float(*f).to_compact()).collect();
    format!("VCTR|{}", ids::hex160(&text.join(",")))
}

fn emotives_json(e: &[(String, f64)]) -> Json {
    Json::Obj(
        e.iter()
            .map(|(k, v)| (k.clone(), Json::Float(*v)))
            .collect(),
    )
}

fn learn_stm(app: &AppState, rec: &mut SessionRecord) -> String {
    let name = lock(&app.kb).learn(&rec.node_id, &rec.stm, &rec.emotives_accumulator);
    rec.stm.clear();
    rec.emotives_accumulator.clear();
    name
}

/// Applies one observation to the session; returns the auto-learned pattern, if any.
fn apply(
    app: &AppState,
    worker: usize,
    rec: &mut SessionRecord,
    obs: &Observation,
) -> Option<String> {
    let mut strings = obs.strings.clone();
    let sort = rec
        .session_config
        .get("sort_symbols")
        .and_then(Json::as_bool)
        .unwrap_or(true);
    if sort {
        strings.sort();
    }
    let mut event: Vec<String> = obs.vectors.iter().map(|v| vector_symbol(v)).collect();
    event.extend(strings.iter().cloned());
    if sort {
        event.sort();
    }
    if !event.is_empty() {
        rec.stm.push(event);
    }
    if !obs.emotives.is_empty() {
        rec.emotives_accumulator.push(emotives_json(&obs.emotives));
    }
    if obs.metadata.as_object().is_some_and(|m| !m.is_empty()) {
        rec.metadata_accumulator.push(obs.metadata.clone());
    }
    rec.time += 1;
    rec.percept_data = obj! {
        "strings" => strings,
        "vectors" => Json::Arr(vec![]),
        "emotives" => emotives_json(&obs.emotives),
        "path" => Json::Arr(vec![]),
        "metadata" => obs.metadata.clone(),
    };
    {
        let mut w = app.worker(worker).lock();
        w.touch_processor(&rec.node_id, timefmt::now(), app.config.session_ttl_seconds);
        w.stm_events += 1;
    }
    let max_len = rec
        .session_config
        .get("max_pattern_length")
        .and_then(Json::as_i64)
        .unwrap_or(0);
    (max_len > 0 && rec.stm.len() as i64 >= max_len).then(|| learn_stm(app, rec))
}

async fn session_and_body(
    app: &AppState,
    w: usize,
    id: &str,
    body: &Bytes,
) -> Result<Result<(SessionRecord, Json), axum::response::Response>, crate::error::SimError> {
    let parsed = match body_object(body, true) {
        Ok(b) => b,
        Err(resp) => return Ok(Err(resp)),
    };
    Ok(load(app, w, id).await?.map(|rec| (rec, parsed)))
}

pub(super) async fn observe(
    State(app): State<AppState>,
    Extension(WorkerId(w)): Extension<WorkerId>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let (mut rec, body) = match session_and_body(&app, w, &id, &body).await? {
        Ok(x) => x,
        Err(resp) => return Ok(resp),
    };
    let mut e = Errors::default();
    let obs = parse_observation(&mut e, &[Loc::Key("body")], &body);
    if let Err(resp) = e.finish() {
        return Ok(resp);
    }
    let auto = apply(&app, w, &mut rec, &obs);
    manager::save(&app, &rec).await?;
    Ok(ok(obj! {
        "status" => "okay",
        "session_id" => &id,
        "processor_id" => &rec.node_id,
        "stm_length" => rec.stm.len(),
        "time" => rec.time,
        "unique_id" => obs.unique_id.unwrap_or_else(|| format!("obs-{}", ids::hex32())),
        "auto_learned_pattern" => auto,
    }))
}

pub(super) async fn observe_sequence(
    State(app): State<AppState>,
    Extension(WorkerId(w)): Extension<WorkerId>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let (mut rec, body) = match session_and_body(&app, w, &id, &body).await? {
        Ok(x) => x,
        Err(resp) => return Ok(resp),
    };
    let mut e = Errors::default();
    let flag = |e: &mut Errors, name: &'static str| {
        body.get(name)
            .is_some_and(|v| e.boolean(&[Loc::Key("body"), Loc::Key(name)], v))
    };
    let (learn_after_each, learn_at_end, clear_between) = (
        flag(&mut e, "learn_after_each"),
        flag(&mut e, "learn_at_end"),
        flag(&mut e, "clear_stm_between"),
    );
    let mut observations = Vec::new();
    match body.get("observations") {
        None => e.push(
            "missing",
            &[Loc::Key("body"), Loc::Key("observations")],
            "Field required",
            &body,
        ),
        Some(Json::Arr(items)) => {
            for (i, item) in items.iter().enumerate() {
                observations.push(parse_observation(
                    &mut e,
                    &[Loc::Key("body"), Loc::Key("observations"), Loc::Index(i)],
                    item,
                ));
            }
        }
        Some(other) => e.push(
            "list_type",
            &[Loc::Key("body"), Loc::Key("observations")],
            "Input should be a valid list",
            other,
        ),
    }
    if let Err(resp) = e.finish() {
        return Ok(resp);
    }
    let initial = rec.stm.len();
    let mut results = Vec::new();
    let mut learned: Vec<Json> = Vec::new();
    for (i, obs) in observations.iter().enumerate() {
        if clear_between {
            rec.stm.clear();
        }
        let auto = apply(&app, w, &mut rec, obs);
        if let Some(name) = &auto {
            learned.push(name.into());
        }
        results.push(obj! {
            "status" => "okay",
            "sequence_position" => i,
            "stm_length" => rec.stm.len(),
            "time" => rec.time,
            "unique_id" => obs.unique_id.clone().unwrap_or_else(|| format!("seq-obs-{}", ids::hex32())),
            "auto_learned_pattern" => auto,
        });
        if learn_after_each && !rec.stm.is_empty() {
            learned.push(learn_stm(&app, &mut rec).into());
        }
    }
    let final_pattern = (learn_at_end && !rec.stm.is_empty()).then(|| learn_stm(&app, &mut rec));
    if let Some(name) = &final_pattern {
        learned.push(name.into());
    }
    manager::save(&app, &rec).await?;
    Ok(ok(obj! {
        "status" => "completed",
        "processor_id" => &rec.node_id,
        "observations_processed" => observations.len(),
        "initial_stm_length" => initial,
        "final_stm_length" => rec.stm.len(),
        "results" => Json::Arr(results),
        "auto_learned_patterns" => Json::Arr(learned),
        "final_learned_pattern" => final_pattern,
        "isolated" => false,
    }))
}

pub(super) async fn learn(
    State(app): State<AppState>,
    Extension(WorkerId(w)): Extension<WorkerId>,
    Path(id): Path<String>,
) -> ApiResult {
    let mut rec = match load(&app, w, &id).await? {
        Ok(r) => r,
        Err(resp) => return Ok(resp),
    };
    if rec.stm.is_empty() {
        return Ok(detail(
            StatusCode::BAD_REQUEST,
            "Cannot learn from empty STM",
        ));
    }
    app.worker(w).lock().touch_processor(
        &rec.node_id,
        timefmt::now(),
        app.config.session_ttl_seconds,
    );
    let name = learn_stm(&app, &mut rec);
    manager::save(&app, &rec).await?;
    Ok(ok(obj! {
        "status" => "learned",
        "pattern_name" => &name,
        "session_id" => &id,
        "processor_id" => Json::Null,
        // KATO reports the STM length after learning: always "from 0 events".
        "message" => format!("Learned pattern {name} from {} events", rec.stm.len()),
    }))
}

fn compute_predictions(app: &AppState, rec: &SessionRecord) -> (Vec<Json>, Vec<Json>) {
    let max = rec
        .session_config
        .get("max_predictions")
        .and_then(Json::as_i64)
        .unwrap_or(100);
    let threshold = rec
        .session_config
        .get("recall_threshold")
        .and_then(Json::as_f64)
        .unwrap_or(0.1);
    lock(&app.kb).predict(
        app.config.flavour,
        &rec.node_id,
        &rec.stm,
        max.max(1) as usize,
        threshold,
    )
}

pub(super) async fn predictions(
    State(app): State<AppState>,
    Extension(WorkerId(w)): Extension<WorkerId>,
    Path(id): Path<String>,
) -> ApiResult {
    let mut rec = match load(&app, w, &id).await? {
        Ok(r) => r,
        Err(resp) => return Ok(resp),
    };
    app.worker(w).lock().touch_processor(
        &rec.node_id,
        timefmt::now(),
        app.config.session_ttl_seconds,
    );
    let (preds, futures) = compute_predictions(&app, &rec);
    if app.config.flavour == Flavour::V3 {
        rec.predictions = preds.clone();
        manager::save(&app, &rec).await?;
    }
    Ok(ok(obj! {
        "predictions" => Json::Arr(preds.clone()),
        "future_potentials" => Json::Arr(futures),
        "session_id" => &id,
        "processor_id" => Json::Null,
        "count" => preds.len(),
        "time" => Json::Null,
        "unique_id" => Json::Null,
    }))
}

//! The HTTP surface: KATO's REST paths and `/ws/events`, the `/_sim` control API, and the one
//! middleware that does what KATO's middlewares do (count every request per worker, record its
//! duration and status in the time series, count ≥ 400 answers as failed, and check the session
//! of `/sessions/{id}/…` paths first), plus the simulated incidents (latency, injected errors).
//!
//! Error bodies follow FastAPI's defaults exactly (kato-api.md §1.5); this module is the one
//! place that maps errors to HTTP.
//!
//! Validation helpers return a ready `Response` as their error: handlers answer it as is, so
//! boxing it would only add noise.
#![allow(clippy::result_large_err)]

mod control;
mod health;
mod kb;
mod metrics;
mod openapi;
mod sessions;
mod v3;
pub(crate) mod validate;
mod ws;

use std::time::Instant;

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::config::Flavour;
use crate::error::SimError;
use crate::incidents::{self, InjectedError};
use crate::json::Json;
use crate::listener::ConnMeta;
use crate::obj;
use crate::state::AppState;
use crate::{sessions as manager, timefmt};

/// The simulated worker serving the current request.
#[derive(Clone, Copy, Debug)]
pub(crate) struct WorkerId(pub usize);

/// A JSON response with KATO's compact rendering.
pub(crate) fn json(status: StatusCode, body: &Json) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_compact(),
    )
        .into_response()
}

/// 200 with a JSON body.
pub(crate) fn ok(body: Json) -> Response {
    json(StatusCode::OK, &body)
}

/// FastAPI's `HTTPException` body: `{"detail": "<message>"}`.
pub(crate) fn detail(status: StatusCode, message: impl Into<String>) -> Response {
    json(status, &obj! { "detail" => message.into() })
}

/// The session middleware's 404.
pub(crate) fn session_not_found(id: &str) -> Response {
    json(
        StatusCode::NOT_FOUND,
        &obj! {
            "error" => obj! {
                "code" => "SESSION_NOT_FOUND",
                "message" => format!("Session {id} not found or expired"),
                "session_id" => id,
            }
        },
    )
}

/// A store failure inside a handler: 500 with a generic detail (the cause is logged).
pub(crate) struct ApiError(pub SimError);

impl From<SimError> for ApiError {
    fn from(e: SimError) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        tracing::warn!(error = %self.0, "request failed");
        detail(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
    }
}

pub(crate) type ApiResult = Result<Response, ApiError>;

async fn not_found() -> Response {
    detail(StatusCode::NOT_FOUND, "Not Found")
}

async fn method_not_allowed() -> Response {
    detail(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
}

/// The full application: KATO's routes for the configured flavour, `/_sim`, and the middleware.
pub(crate) fn router(app: AppState) -> Router {
    let mut r = Router::new()
        .route("/", get(health::root))
        .route("/health", get(health::health))
        .route("/status", get(health::status))
        .route("/concurrency", get(health::concurrency))
        .route("/cache/stats", get(health::cache_stats))
        .route("/connection-pools", get(health::connection_pools))
        .route("/distributed-stm/stats", get(health::distributed_stm))
        .route("/openapi.json", get(openapi::openapi))
        .route("/metrics", get(metrics::metrics))
        .route("/stats", get(metrics::stats))
        .route("/metrics/{name}", get(metrics::history))
        .route("/sessions", post(sessions::create))
        .route("/sessions/count", get(sessions::count))
        .route(
            "/sessions/{id}",
            get(sessions::get_session).delete(sessions::delete_session),
        )
        .route("/sessions/{id}/stm", get(sessions::stm))
        .route("/sessions/{id}/extend", post(sessions::extend))
        .route("/sessions/{id}/clear-stm", post(sessions::clear_stm))
        .route("/sessions/{id}/clear-all", post(sessions::clear_all))
        .route("/sessions/{id}/observe", post(kb::observe))
        .route(
            "/sessions/{id}/observe-sequence",
            post(kb::observe_sequence),
        )
        .route("/sessions/{id}/learn", post(kb::learn))
        .route("/sessions/{id}/predictions", get(kb::predictions))
        .route("/ws/events", get(ws::events))
        .route("/_sim/incident", post(control::incident))
        .route("/_sim/sessions", post(control::create_sessions))
        .route("/_sim/state", get(control::state));
    r = match app.config.flavour {
        Flavour::V1 => r.route("/sessions/{id}/config", post(sessions::update_config)),
        Flavour::V3 => r
            .route(
                "/sessions/{id}/config",
                get(sessions::get_config).post(sessions::update_config),
            )
            .route("/sessions/{id}/exists", get(sessions::exists))
            .route("/sessions/{id}/percept-data", get(v3::percept_data))
            .route("/sessions/{id}/cognition-data", get(v3::cognition_data))
            .route(
                "/sessions/{id}/finalize-training",
                post(v3::finalize_training),
            )
            .route("/symbols/stats", get(v3::symbols_stats)),
    };
    r.fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(app.clone(), kato_middleware))
        .with_state(app)
}

/// Decrements the worker's in-flight count when the request ends.
struct InFlight {
    app: AppState,
    worker: usize,
}

impl InFlight {
    fn enter(app: &AppState, worker: usize) -> InFlight {
        let mut w = app.worker(worker).lock();
        w.in_flight += 1;
        w.peak_in_flight = w.peak_in_flight.max(w.in_flight);
        InFlight {
            app: app.clone(),
            worker,
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut w = self.app.worker(self.worker).lock();
        w.in_flight = w.in_flight.saturating_sub(1);
    }
}

fn injected(err: InjectedError) -> Response {
    match err.body() {
        Some(body) => json(err.status(), &body),
        None => (
            err.status(),
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "Internal Server Error",
        )
            .into_response(),
    }
}

async fn kato_middleware(State(app): State<AppState>, mut req: Request, next: Next) -> Response {
    let worker = req
        .extensions()
        .get::<ConnectInfo<ConnMeta>>()
        .map_or_else(|| app.pick_worker(), |c| c.0.worker);
    req.extensions_mut().insert(WorkerId(worker));
    let path = req.uri().path().to_string();
    // The control API is not KATO; WebSockets bypass KATO's HTTP middleware.
    if path.starts_with("/_sim/") || path == "/ws/events" {
        return next.run(req).await;
    }
    let method = req.method().clone();
    let started = Instant::now();
    let in_flight = InFlight::enter(&app, worker);
    if let Some(latency) = app.incidents.latency() {
        tokio::time::sleep(latency).await;
    }
    let response = match app.incidents.roll_error(&app.rng) {
        Some(err) => injected(err),
        None => match session_gate(&app, worker, &method, &path).await {
            Some(refusal) => refusal,
            None => next.run(req).await,
        },
    };
    drop(in_flight);
    let at = timefmt::epoch(&timefmt::now());
    let served = {
        let mut w = app.worker(worker).lock();
        w.metrics.record(
            method.as_str(),
            &path,
            response.status().as_u16(),
            started.elapsed().as_secs_f64(),
            at,
        );
        w.metrics.requests_total
    };
    if app.config.max_requests.is_some_and(|max| served > max) {
        incidents::exit_after_max_requests(&app);
    }
    response
}

/// KATO's session middleware: any `/sessions/{id}/…` path and `DELETE /sessions/{id}` need a
/// live session (v3 exempts `/exists`); the check is a full `get_session` (touch + v3 slide).
async fn session_gate(
    app: &AppState,
    worker: usize,
    method: &Method,
    path: &str,
) -> Option<Response> {
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    if segs.first() != Some(&"sessions") {
        return None;
    }
    let id = *segs.get(1)?;
    let guarded = match segs.len() {
        2 => method == Method::DELETE && id != "count",
        3 if app.config.flavour == Flavour::V3 && segs[2] == "exists" => false,
        n => n >= 3,
    };
    if !guarded || id.is_empty() {
        return None;
    }
    match manager::get(app, worker, id).await {
        Ok(Some(_)) => None,
        Ok(None) => Some(session_not_found(id)),
        Err(e) => Some(ApiError(e).into_response()),
    }
}

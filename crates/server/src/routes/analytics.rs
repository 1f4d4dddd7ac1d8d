//! `/api/v1/analytics/*`: the old dashboard's seven analytics endpoints, in its shapes (field names and nesting
//! its React client reads), with real figures instead of the old empty or wrong ones:
//!
//! * pattern frequencies from the knowledge bases of KATO's generation ([`patterns`]: MongoDB `patterns_kb` on
//!   1.x, ClickHouse names + Redis frequencies on 3.x);
//! * session and performance trends from the persistent history ([`trends`]: `sessions.*`, `kato.*`), with the
//!   time series as the array the old chart reads (defect D21);
//! * store sizes and load from the live state ([`stores`], [`load`]): the hub's latest `metrics`/`sessions`
//!   values ([`live`]), Redis `INFO`, Qdrant's `vectors_*` collections.
//!
//! A store that is down never fails the whole answer where the old shape can say less: its figures fall back to
//! the old defaults (0, `"unknown"`, empty lists) and `errors` names it; without the history, trends fall back to
//! the live values and `history` says why. Bad parameters are 422 like the old FastAPI's.

mod live;
mod load;
mod patterns;
mod stores;
mod trends;

use std::collections::BTreeMap;

use axum::{Json, extract::State};
use chrono::Utc;
use kato_dashboard_core::time::rfc3339;
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{error::ApiError, extract::ApiQuery, openapi::UpstreamErrors, state::AppState};

/// The routes, for `routes::router` to merge.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(overview))
        .routes(routes!(pattern_frequency))
        .routes(routes!(session_duration))
        .routes(routes!(system_performance))
        .routes(routes!(database_statistics))
        .routes(routes!(load_prediction))
        .routes(routes!(comprehensive))
}

/// What could not be read, by source (`{"mongodb": "MongoDB is unavailable: …"}`); empty when all answered.
#[derive(Debug, Default, Clone, Serialize)]
pub(super) struct Errors(BTreeMap<String, String>);

impl Errors {
    fn add(&mut self, source: &str, reason: impl std::fmt::Display) {
        self.0.insert(source.to_owned(), reason.to_string());
    }
}

/// Whether the history answered a trend, and at what resolution.
#[derive(Debug, Default, Clone, Serialize)]
pub(super) struct HistoryNote {
    /// Whether the figures come from the history (else from the live state).
    available: bool,
    /// Why not.
    reason: Option<String>,
    /// The tier read (`raw`, `1m`, `1h`).
    tier: Option<&'static str>,
    /// Seconds per point.
    step_seconds: Option<i64>,
}

impl HistoryNote {
    fn read(answer: &kato_dashboard_history_store::Answer) -> Self {
        Self {
            available: true,
            reason: None,
            tier: Some(answer.tier.as_str()),
            step_seconds: Some(answer.step),
        }
    }

    fn missing(reason: String) -> Self {
        Self {
            available: false,
            reason: Some(reason),
            ..Self::default()
        }
    }
}

/// `value` rounded to 2 decimals.
pub(super) fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// A number checked against its range (422 like the old API's `Query(ge, le)`).
fn in_range(name: &str, value: i64, min: i64, max: i64) -> Result<i64, ApiError> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(ApiError::Invalid(format!(
            "{name} must be between {min} and {max}, got {value}"
        )))
    }
}

fn default_limit() -> i64 {
    20
}

fn default_hours() -> i64 {
    24
}

fn default_minutes() -> i64 {
    60
}

/// Query of `/analytics/patterns/frequency`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FrequencyQuery {
    /// One knowledge base (KATO's processor id, e.g. sensor_alpha_kato); all of them when absent
    #[serde(default)]
    processor_id: Option<String>,
    /// Patterns to return, 1..=100 (20)
    #[serde(default = "default_limit")]
    limit: i64,
}

/// Query of `/analytics/sessions/duration`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DurationQuery {
    /// Hours back from now, 1..=168 (24)
    #[serde(default = "default_hours")]
    period_hours: i64,
}

/// Query of `/analytics/system/performance`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PerformanceQuery {
    /// Minutes back from now, 1..=1440 (60)
    #[serde(default = "default_minutes")]
    period_minutes: i64,
}

/// Query of `/analytics/comprehensive`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ComprehensiveQuery {
    /// Patterns in `pattern_analysis`, 1..=100 (20)
    #[serde(default = "default_limit")]
    pattern_limit: i64,
    /// Hours of `session_trends`, 1..=168 (24)
    #[serde(default = "default_hours")]
    session_period_hours: i64,
    /// Minutes of `performance_trends`, 1..=1440 (60)
    #[serde(default = "default_minutes")]
    performance_period_minutes: i64,
}

/// Overview: sessions, knowledge bases, vector collections, KATO's performance and Redis
///
/// `{timestamp, sessions: {active, total_created}, processors: {total, processor_ids, source}, vector_collections:
/// {total, collections}, performance, resources, redis: {connected_clients, used_memory_human}, errors}`. Sessions
/// are the dashboard's live count and the sessions it saw created; processors come from the store of KATO's
/// generation (MongoDB on 1.x, ClickHouse on 3.x); performance and resources are KATO's latest `/metrics`. A store
/// that is down leaves its part empty (`0`, `"unknown"`) and is named in `errors`.
#[utoipa::path(get, path = "/analytics/overview", tag = "analytics")]
pub async fn overview(State(state): State<AppState>) -> Json<stores::Overview> {
    Json(stores::overview(&state).await)
}

/// Top patterns by frequency
///
/// With `processor_id`: `{processor_id, patterns: [{pattern, frequency, processor_id}], total_patterns, source}`,
/// the knowledge base's `limit` most frequent patterns (`pattern` is the pattern's name) and its pattern count.
/// Without: the top `limit` of every knowledge base merged, `{patterns, total_processors, total_patterns_analyzed,
/// total_patterns, source, errors}`. MongoDB `patterns_kb` on KATO 1.x; ClickHouse names with Redis frequencies on
/// 3.x.
#[utoipa::path(
    get,
    path = "/analytics/patterns/frequency",
    tag = "analytics",
    params(FrequencyQuery),
    responses(UpstreamErrors)
)]
pub async fn pattern_frequency(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<FrequencyQuery>,
) -> Result<Json<patterns::Frequency>, ApiError> {
    let limit = in_range("limit", q.limit, 1, 100)?;
    let processor = q
        .processor_id
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    Ok(Json(
        patterns::frequency(&state, processor, limit as usize).await?,
    ))
}

/// Session counts and durations by hour
///
/// `{period_hours, total_sessions, avg_duration_minutes, min_duration_minutes, max_duration_minutes,
/// sessions_by_hour: [{timestamp: "YYYY-MM-DD HH:00", session_count, avg_duration_minutes}], ended_sessions,
/// timed_sessions, history}` from the history: sessions created per hour, and the lifetimes of the sessions whose
/// creation and end the dashboard saw, over the whole UTC clock hours that cover the period (the first began up
/// to an hour before it). Hours the dashboard did not record are left out. Without the history: the sessions
/// created since the dashboard started and no hours.
#[utoipa::path(
    get,
    path = "/analytics/sessions/duration",
    tag = "analytics",
    params(DurationQuery)
)]
pub async fn session_duration(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<DurationQuery>,
) -> Result<Json<trends::SessionTrends>, ApiError> {
    let hours = in_range("period_hours", q.period_hours, 1, 168)?;
    Ok(Json(
        trends::sessions(&state, hours, Utc::now().timestamp()).await?,
    ))
}

/// KATO's current figures and their time series
///
/// `{period_minutes, current_metrics: {cpu_percent, memory_percent, active_sessions, requests_per_second,
/// error_rate, latency_ms}, time_series: [{timestamp, cpu_percent, memory_percent, active_sessions,
/// requests_per_second, error_rate, latency_ms}], timestamp, history, errors}`: now from the hub's latest values,
/// the series (an array, oldest first, at most 360 points; `null` where nothing was recorded) from the history.
/// Without the history the series is the current point alone. `error_rate` is in percent.
#[utoipa::path(
    get,
    path = "/analytics/system/performance",
    tag = "analytics",
    params(PerformanceQuery)
)]
pub async fn system_performance(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<PerformanceQuery>,
) -> Result<Json<trends::Performance>, ApiError> {
    let minutes = in_range("period_minutes", q.period_minutes, 1, 1440)?;
    Ok(Json(
        trends::performance(&state, minutes, Utc::now()).await?,
    ))
}

/// Knowledge-base and Redis figures
///
/// `{mongodb: {processors, total_patterns, avg_patterns_per_processor, source}, redis: {used_memory,
/// used_memory_bytes, connected_clients, total_keys}, timestamp, errors}`. The `mongodb` part counts the
/// knowledge bases of whichever store holds them (`source`: `mongodb` on KATO 1.x, `clickhouse` on 3.x);
/// `total_keys` is every key of every Redis database (`INFO keyspace`).
#[utoipa::path(get, path = "/analytics/database/statistics", tag = "analytics")]
pub async fn database_statistics(
    State(state): State<AppState>,
) -> Json<stores::DatabaseStatistics> {
    Json(stores::database_statistics(&state).await)
}

/// Load now, its trends and a recommendation
///
/// `{current_load: {cpu_percent, memory_percent, active_sessions}, trends: {cpu_trend, memory_trend},
/// predictions: {estimated_capacity_utilization, estimated_sessions_capacity, recommended_action}, last_hour,
/// history, errors, timestamp}`. Trends: `high` above 80 %, `moderate` above 60 %, else `low` (`unknown` while
/// KATO is not read). Capacity is `ALERT_SESSIONS_THRESHOLD`; `last_hour` holds the slopes per hour of CPU, memory
/// and active sessions over the last hour of the history.
#[utoipa::path(get, path = "/analytics/predictions/load", tag = "analytics")]
pub async fn load_prediction(State(state): State<AppState>) -> Json<load::LoadPrediction> {
    Json(load::prediction(&state, Utc::now()).await)
}

/// Everything at once
///
/// `{pattern_analysis, session_trends, performance_trends, database_statistics, load_prediction, generated_at,
/// errors}`: the other endpoints' answers, read concurrently; a part that fails is `null` and named in `errors`.
#[utoipa::path(
    get,
    path = "/analytics/comprehensive",
    tag = "analytics",
    params(ComprehensiveQuery)
)]
pub async fn comprehensive(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ComprehensiveQuery>,
) -> Result<Json<Comprehensive>, ApiError> {
    let limit = in_range("pattern_limit", q.pattern_limit, 1, 100)?;
    let hours = in_range("session_period_hours", q.session_period_hours, 1, 168)?;
    let minutes = in_range(
        "performance_period_minutes",
        q.performance_period_minutes,
        1,
        1440,
    )?;
    let now = Utc::now();
    let (frequency, sessions, performance, databases, load) = tokio::join!(
        patterns::frequency(&state, None, limit as usize),
        trends::sessions(&state, hours, now.timestamp()),
        trends::performance(&state, minutes, now),
        stores::database_statistics(&state),
        load::prediction(&state, now),
    );
    let mut errors = Errors::default();
    let pattern_analysis = frequency
        .map_err(|e| errors.add("pattern_analysis", e))
        .ok();
    let session_trends = sessions.map_err(|e| errors.add("session_trends", e)).ok();
    let performance_trends = performance
        .map_err(|e| errors.add("performance_trends", e))
        .ok();
    Ok(Json(Comprehensive {
        pattern_analysis,
        session_trends,
        performance_trends,
        database_statistics: databases,
        load_prediction: load,
        generated_at: rfc3339(now),
        errors,
    }))
}

/// The answer of `/analytics/comprehensive`.
#[derive(Debug, Serialize)]
pub struct Comprehensive {
    pattern_analysis: Option<patterns::Frequency>,
    session_trends: Option<trends::SessionTrends>,
    performance_trends: Option<trends::Performance>,
    database_statistics: stores::DatabaseStatistics,
    load_prediction: load::LoadPrediction,
    generated_at: String,
    errors: Errors,
}

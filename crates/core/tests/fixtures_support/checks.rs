//! One check per model: parse, then assert the variant and the facts the recording pins.

use super::{Ctx, Kind, ensure, parse};
use kato_dashboard_core::kato::error_body::SESSION_NOT_FOUND;
use kato_dashboard_core::kato::error_rate::stats_error_rate;
use kato_dashboard_core::kato::stats::{REQUEST_DURATION_SERIES, REQUESTS_FAILED_METRIC};
use kato_dashboard_core::kato::*;
use serde_json::Value;

/// Checks one JSON document of `kind`; returns how many response bodies it held.
pub fn check_value(kind: Kind, ctx: &Ctx, v: &Value) -> Result<usize, String> {
    match kind {
        Kind::Timeline => return super::embedded::check_timeline(ctx, v),
        Kind::Polls => return super::embedded::check_polls(ctx, v),
        Kind::PollsSummary => return super::embedded::check_polls_summary(v),
        Kind::WsEvents | Kind::WsTranscript => {
            return Err(format!("{kind:?} is a JSONL format, not a .json file"));
        }
        _ => {}
    }
    // Every 200 body of a normal response has no (or a null) `error`.
    if let Some(e) = fallback_error(v).filter(|_| kind != Kind::ErrorBody) {
        return Err(format!("200 body carries error {e:?}"));
    }
    check_body(kind, ctx, v)?;
    Ok(1)
}

fn expect_generation(ctx: &Ctx, got: KatoGeneration, what: &str) -> Result<(), String> {
    ensure(got == ctx.generation, || {
        format!("{what} says {got}, fixture folder says {}", ctx.generation)
    })
}

fn check_body(kind: Kind, ctx: &Ctx, v: &Value) -> Result<(), String> {
    match kind {
        Kind::ServiceInfo => {
            let info: ServiceInfo = parse(v)?;
            expect_generation(ctx, info.generation(), "version")?;
        }
        Kind::Health => {
            let h: Health = parse(v)?;
            ensure(h.status != HealthStatus::Unknown, || {
                "unknown health status".into()
            })?;
            ensure(h.active_sessions.is_some() && h.timestamp.is_some(), || {
                "health without active_sessions/timestamp".into()
            })?;
        }
        Kind::Status => {
            let s: Status = parse(v)?;
            expect_generation(ctx, s.generation(), "status.version")?;
            ensure(s.sessions.is_some() && s.processors.is_some(), || {
                "status without sessions/processors".into()
            })?;
        }
        Kind::Metrics => {
            let m: Metrics = parse(v)?;
            ensure(!m.is_fallback(), || {
                "normal /metrics read as a fallback".into()
            })?;
            expect_generation(ctx, KatoGeneration::from_shape(v), "metrics shape")?;
            let db = ctx.generation.pattern_database().unwrap_or_default();
            ensure(m.has_database(db), || {
                format!("databases lack {db}: {:?}", m.database_names())
            })?;
            let perf = m.performance.as_ref().ok_or("no performance")?;
            ensure(perf.error_rate == 0.0, || {
                "KATO's error_rate is always 0.0".into()
            })?;
        }
        Kind::Stats => {
            let s: Stats = parse(v)?;
            ensure(!s.is_fallback(), || {
                "normal /stats read as a fallback".into()
            })?;
            expect_generation(ctx, KatoGeneration::from_shape(v), "stats shape")?;
            ensure(!s.series(REQUEST_DURATION_SERIES).is_empty(), || {
                "no request duration points".into()
            })?;
            let rate =
                stats_error_rate(&s, chrono::Duration::minutes(10)).ok_or("no error rate")?;
            ensure(rate.requests > 0, || {
                "no requests in the last 10 min".into()
            })?;
        }
        Kind::MetricHistory => {
            let h: MetricHistory = parse(v)?;
            ensure(h.statistics.count == h.data_points.len() as u64, || {
                "statistics.count differs from data_points".into()
            })?;
            if h.metric_name == REQUESTS_FAILED_METRIC {
                ensure(
                    h.data_points
                        .iter()
                        .all(|p| p.status().is_some_and(|s| s >= 400)),
                    || "kato_requests_failed holds a non-failure".into(),
                )?;
            }
        }
        Kind::CacheStats => {
            let c: CacheStats = parse(v)?;
            let want = if ctx.cache_enabled {
                CacheState::Enabled
            } else {
                CacheState::Disabled
            };
            ensure(c.state() == want, || {
                format!("cache is {:?}, expected {want:?}", c.state())
            })?;
        }
        Kind::ConnectionPools => {
            let p: ConnectionPools = parse(v)?;
            ensure(p.error.is_none(), || "pools error".into())?;
            expect_generation(ctx, KatoGeneration::from_shape(v), "pools health keys")?;
            ensure(p.is_healthy("qdrant") == Some(false), || {
                "qdrant is never checked".into()
            })?;
        }
        Kind::DistributedStm => {
            let d: DistributedStmStats = parse(v)?;
            let active = ctx.generation == KatoGeneration::V3 && ctx.is("distributed_stm_stats");
            ensure(d.is_active() == active, || {
                format!("status {} unexpected", d.status)
            })?;
            ensure(d.performance_stats.is_some() == active, || {
                "performance_stats".into()
            })?;
        }
        Kind::Concurrency => {
            let c: Concurrency = parse(v)?;
            ensure(!c.recommendations.is_empty(), || {
                "no recommendations".into()
            })?;
        }
        Kind::SessionCount => {
            parse::<SessionCount>(v)?;
        }
        Kind::Session => {
            let s: Session = parse(v)?;
            ensure(s.session_id.starts_with("session-"), || {
                "odd session id".into()
            })?;
            ensure(s.expires_at > s.created_at, || {
                "expires before created".into()
            })?;
        }
        Kind::Stm => {
            let s: Stm = parse(v)?;
            ensure(s.length == Some(s.stm.len() as u64), || {
                "length differs from stm".into()
            })?;
        }
        Kind::SessionExists => {
            let e: SessionExists = parse(v)?;
            let want = !ctx.name.contains("after_ttl_expiry");
            ensure(e.exists == want, || format!("exists = {}", e.exists))?;
        }
        Kind::SessionDeleted => {
            let d: SessionDeleted = parse(v)?;
            ensure(d.is_deleted(), || format!("status {}", d.status))?;
        }
        Kind::Observe => status_is(parse::<ObserveResult>(v)?.status, "okay")?,
        Kind::ObserveSequence => status_is(parse::<ObserveSequenceResult>(v)?.status, "completed")?,
        Kind::Learn => status_is(parse::<LearnResult>(v)?.status, "learned")?,
        Kind::Predictions => {
            let p: Predictions = parse(v)?;
            ensure(p.count == Some(p.predictions.len() as u64), || {
                "count differs".into()
            })?;
        }
        Kind::SessionCleared => status_is(parse::<SessionCleared>(v)?.status, "cleared")?,
        Kind::SessionConfigUpdated => status_is(parse::<SessionConfigUpdated>(v)?.status, "okay")?,
        Kind::SessionExtended => status_is(parse::<SessionExtended>(v)?.status, "extended")?,
        Kind::SessionConfig => {
            let c: SessionConfig = parse(v)?;
            ensure(!c.config.is_empty(), || "empty config".into())?;
        }
        Kind::PerceptData => {
            parse::<PerceptData>(v)?;
        }
        Kind::CognitionData => {
            parse::<CognitionData>(v)?;
        }
        Kind::FinalizeTraining => status_is(parse::<FinalizeTraining>(v)?.status, "completed")?,
        Kind::SymbolsStats => {
            let s: SymbolsStats = parse(v)?;
            ensure(!s.symbols.is_empty(), || "no symbols".into())?;
        }
        Kind::ErrorBody => check_error_body(ctx, v)?,
        Kind::Timeline | Kind::Polls | Kind::PollsSummary | Kind::WsEvents | Kind::WsTranscript => {
            return Err(format!("{kind:?} is not a single response body"));
        }
    }
    Ok(())
}

fn status_is(status: String, want: &str) -> Result<(), String> {
    ensure(status == want, || {
        format!("status {status:?}, expected {want:?}")
    })
}

/// The error shape must match what the file name says the request was.
fn check_error_body(ctx: &Ctx, v: &Value) -> Result<(), String> {
    let body: KatoErrorBody = parse(v)?;
    let stem = ctx.name.trim_end_matches(".json");
    let ok = if stem.ends_with("_422") {
        matches!(&body, KatoErrorBody::Validation { detail } if !detail.is_empty())
    } else if (stem.starts_with("session_delete") || stem.starts_with("session_stm"))
        && stem.ends_with("_404")
    {
        body.code() == Some(SESSION_NOT_FOUND) && body.session_id().is_some()
    } else if stem.starts_with("session_get") && stem.ends_with("_404") {
        matches!(body, KatoErrorBody::Detail { .. }) && body.is_session_not_found()
    } else if stem.starts_with("metric_history") && stem.ends_with("_404") {
        body.is_metric_without_data()
    } else if stem == "unknown_path_404" || stem == "info_GET" {
        body.is_route_not_found()
    } else if stem.ends_with("_405") || stem == "sessions_list_GET" {
        body.is_method_not_allowed()
    } else if stem.ends_with("_400") {
        matches!(&body, KatoErrorBody::Detail { detail } if !detail.is_empty())
    } else {
        return Err(format!(
            "no expected error shape for {stem}: extend check_error_body"
        ));
    };
    ensure(ok, || format!("wrong error shape: {body:?}"))?;
    ensure(!body.message().is_empty(), || "empty message".into())
}

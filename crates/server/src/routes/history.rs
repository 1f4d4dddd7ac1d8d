//! `/api/v1/system/history`: the charts' history. Without a range it is the last minutes of the live topics (what
//! the web app seeds its charts with after a reload, the old answer); with `from`/`to`/`step`/`series` it is a
//! range of the persistent, tiered history (`crate::recorder`), as JSON or CSV. `/system/history/series` lists
//! what is recorded and the store's size.

use axum::{
    Json,
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};
use chrono::{DateTime, TimeZone, Utc};
use kato_dashboard_history_store::{Answer, Marker, Point, SeriesPoints};
use serde::{Deserialize, Serialize, Serializer, ser::SerializeSeq};
use serde_json::{Value, json};
use utoipa::IntoParams;

use crate::{error::ApiError, extract::ApiQuery, state::AppState};

/// Most points one series of an answer may have (30 days at 1 minute is 43,200).
pub const MAX_POINTS: usize = 100_000;
/// Most series names or patterns one query may list.
pub const MAX_SERIES: usize = 200;
/// Most points one answer may hold, all series together (≈ 48 MB in memory and 35 MB of JSON; 30 days at 1 minute
/// of 23 series). The web app asks for ≈ 800 per series.
pub const MAX_TOTAL_POINTS: usize = 1_000_000;

/// Query of `/system/history`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Live window, 1..=15 minutes (default 15), when no range is given
    #[serde(default)]
    minutes: Option<i64>,
    /// Range start: unix seconds or RFC 3339 (default: `to` − 1 h)
    #[serde(default)]
    from: Option<String>,
    /// Range end: unix seconds or RFC 3339 (default: now)
    #[serde(default)]
    to: Option<String>,
    /// Seconds per point (default: the finest stored tier that covers `from`)
    #[serde(default)]
    step: Option<i64>,
    /// Comma-separated series names; `prefix*` matches every series with that prefix (`container.*`)
    #[serde(default)]
    series: Option<String>,
    /// `json` (default) or `csv`
    #[serde(default)]
    format: Option<String>,
}

impl HistoryQuery {
    fn is_range(&self) -> bool {
        self.from.is_some()
            || self.to.is_some()
            || self.step.is_some()
            || self.series.is_some()
            || self.format.is_some()
    }
}

/// Reads a time: unix seconds (fractions allowed) or RFC 3339.
fn parse_time(key: &str, text: &str) -> Result<i64, ApiError> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<f64>()
        && secs.is_finite()
        && secs.abs() < 1e11
    {
        return Ok(secs.floor() as i64);
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp())
        .map_err(|_| {
            ApiError::BadRequest(format!(
                "{key} must be unix seconds or an RFC 3339 time, got {text:?}"
            ))
        })
}

/// The query as the store takes it.
fn range_query(
    q: &HistoryQuery,
    now: i64,
) -> Result<kato_dashboard_history_store::Query, ApiError> {
    let to = q.to.as_deref().map_or(Ok(now), |t| parse_time("to", t))?;
    let from = q
        .from
        .as_deref()
        .map_or(Ok(to - 3600), |t| parse_time("from", t))?;
    if from > to {
        return Err(ApiError::BadRequest(format!(
            "from ({from}) is after to ({to})"
        )));
    }
    if let Some(step) = q.step
        && step <= 0
    {
        return Err(ApiError::BadRequest(format!(
            "step must be a positive number of seconds, got {step}"
        )));
    }
    let series: Vec<String> = q
        .series
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if series.is_empty() {
        return Err(ApiError::BadRequest(
            "series is required with a range: comma-separated names, prefix* for a family (see /api/v1/system/history/series)".into(),
        ));
    }
    if series.len() > MAX_SERIES {
        return Err(ApiError::BadRequest(format!(
            "at most {MAX_SERIES} series per query, got {}",
            series.len()
        )));
    }
    Ok(kato_dashboard_history_store::Query {
        from,
        to,
        step: q.step,
        series,
        max_points: MAX_POINTS,
        max_total_points: MAX_TOTAL_POINTS,
    })
}

/// A point on the wire: `[t, min, avg, max, sum, n]`.
struct Row<'a>(&'a Point);

impl Serialize for Row<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let p = self.0;
        let mut seq = s.serialize_seq(Some(6))?;
        seq.serialize_element(&p.t)?;
        seq.serialize_element(&p.min)?;
        seq.serialize_element(&p.avg)?;
        seq.serialize_element(&p.max)?;
        seq.serialize_element(&p.sum)?;
        seq.serialize_element(&p.n)?;
        seq.end()
    }
}

struct Rows<'a>(&'a [Point]);

impl Serialize for Rows<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(Row))
    }
}

#[derive(Serialize)]
struct WireSeries<'a> {
    name: &'a str,
    kind: kato_dashboard_history_store::SeriesKind,
    points: Rows<'a>,
}

#[derive(Serialize)]
struct Wire<'a> {
    from: i64,
    to: i64,
    step: i64,
    tier: &'static str,
    series: Vec<WireSeries<'a>>,
    markers: &'a [Marker],
}

fn json_answer(
    from: i64,
    to: i64,
    answer: &Answer,
    markers: &[Marker],
) -> Result<Response, ApiError> {
    let wire = Wire {
        from,
        to,
        step: answer.step,
        tier: answer.tier.as_str(),
        series: answer
            .series
            .iter()
            .map(|s: &SeriesPoints| WireSeries {
                name: &s.name,
                kind: s.kind,
                points: Rows(&s.points),
            })
            .collect(),
        markers,
    };
    let body = serde_json::to_vec(&wire).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

fn rfc3339(t: i64) -> String {
    Utc.timestamp_opt(t, 0)
        .single()
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

fn csv_answer(from: i64, to: i64, answer: &Answer) -> Result<Response, ApiError> {
    let mut w = csv::Writer::from_writer(Vec::with_capacity(64 * 1024));
    let fail = |e: csv::Error| ApiError::Internal(format!("csv: {e}"));
    w.write_record(["time", "series", "min", "avg", "max", "sum", "n"])
        .map_err(fail)?;
    for s in &answer.series {
        for p in &s.points {
            w.write_record([
                rfc3339(p.t),
                s.name.clone(),
                p.min.to_string(),
                p.avg.to_string(),
                p.max.to_string(),
                p.sum.to_string(),
                p.n.to_string(),
            ])
            .map_err(fail)?;
        }
    }
    let body = w
        .into_inner()
        .map_err(|e| ApiError::Internal(format!("csv: {e}")))?;
    let file = format!("attachment; filename=\"kato-history-{from}-{to}.csv\"");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, file),
        ],
        body,
    )
        .into_response())
}

/// Chart history: the live minutes, or a range of the tiered history
///
/// Without a range: `{metrics: [...], containers: [...]}`, every value the socket sent on those topics in the last
/// `minutes`, oldest first (what the web app draws after a reload). With `from`, `to`, `step` or `series`: the
/// series asked for, from the finest tier that covers the range (raw seconds, 1-minute or 1-hour buckets),
/// `{from, to, step, tier, series: [{name, kind, points: [[t, min, avg, max, sum, n], …]}], markers: [{t, kind,
/// label, severity}]}` — a gauge plots `avg`, a count plots `sum`; a missing bucket is a gap. `format=csv` gives
/// `time,series,min,avg,max,sum,n`. 422 beyond 100,000 points per series or 1,000,000 in all; 503 when the
/// history cannot be read (live data is not affected).
#[utoipa::path(get, path = "/system/history", tag = "history", params(HistoryQuery))]
pub async fn history(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> Result<Response, ApiError> {
    if !q.is_range() {
        let minutes = q.minutes.unwrap_or(15);
        if !(1..=15).contains(&minutes) {
            return Err(ApiError::BadRequest(format!(
                "minutes must be between 1 and 15, got {minutes}"
            )));
        }
        let since = Utc::now() - chrono::Duration::minutes(minutes);
        return Ok((
            [(header::CONTENT_TYPE, "application/json")],
            state.history.json_since(since),
        )
            .into_response());
    }
    let csv = match q.format.as_deref().map(str::trim) {
        None | Some("" | "json") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "format must be json or csv, got {other:?}"
            )));
        }
    };
    let query = range_query(&q, Utc::now().timestamp())?;
    let (from, to) = (query.from, query.to);
    let (answer, markers) = state.recorder.query(query).await?;
    if csv {
        csv_answer(from, to, &answer)
    } else {
        json_answer(from, to, &answer, &markers)
    }
}

/// What the history holds
///
/// `{series: [{name, kind, last}], usage: {bytes, budget_bytes, tiers: [{tier, rows, oldest, newest}], series,
/// markers}, status: {ok, error, moved_aside}, settings}`.
#[utoipa::path(get, path = "/system/history/series", tag = "history")]
pub async fn series(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let status = state.recorder.status();
    let h = &state.config.history;
    let settings = json!({
        "raw_hours": h.raw_hours,
        "minute_days": h.minute_days,
        "hour_days": h.hour_days,
        "disk_budget_mb": h.disk_budget_mb,
        "sample_seconds": h.sample_seconds,
    });
    match state.recorder.catalog().await {
        Ok((series, usage)) => Ok(Json(json!({
            "series": series, "usage": usage, "status": status, "settings": settings,
        }))),
        Err(ApiError::Unavailable { reason, .. }) => Ok(Json(json!({
            "series": [], "usage": null, "status": {"ok": false, "error": reason, "moved_aside": status.moved_aside},
            "settings": settings,
        }))),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn q(from: Option<&str>, to: Option<&str>, series: Option<&str>) -> HistoryQuery {
        HistoryQuery {
            minutes: None,
            from: from.map(str::to_owned),
            to: to.map(str::to_owned),
            step: None,
            series: series.map(str::to_owned),
            format: None,
        }
    }

    #[test]
    fn times_read_as_unix_seconds_or_rfc3339() {
        assert_eq!(parse_time("from", "1765100000").unwrap(), 1_765_100_000);
        assert_eq!(parse_time("from", "1765100000.9").unwrap(), 1_765_100_000);
        assert_eq!(
            parse_time("from", "2025-12-07T09:33:20Z").unwrap(),
            1_765_100_000
        );
        assert!(parse_time("from", "yesterday").is_err());
    }

    #[test]
    fn a_range_defaults_to_the_last_hour_and_needs_series() {
        let got = range_query(&q(None, None, Some("kato.*, sessions.active")), 10_000).unwrap();
        assert_eq!((got.from, got.to), (6400, 10_000));
        assert_eq!(got.series, ["kato.*", "sessions.active"]);
        assert!(range_query(&q(None, None, Some(" , ")), 10_000).is_err());
        assert!(range_query(&q(Some("200"), Some("100"), Some("a")), 10_000).is_err());
        assert!(!q(None, None, None).is_range());
    }
}

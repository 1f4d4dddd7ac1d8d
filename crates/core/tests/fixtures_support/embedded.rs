//! Container formats: WebSocket JSONL files, the annotated transcript, the polling rounds
//! of `c584167-workers4/` and the TTL-expiry timelines. Their embedded bodies are checked
//! with the same models as the plain fixtures.

use super::{Ctx, Kind, check_value, ensure};
use kato_dashboard_core::kato::{
    HealthStatus, KatoEvent, KatoGeneration, SessionCount, StatusSessions, parse_timestamp,
};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeSet;

/// Checks every line of a JSONL file; returns the number of lines.
pub fn check_lines(kind: Kind, ctx: &Ctx, lines: &[&str]) -> Result<usize, String> {
    match kind {
        Kind::WsEvents => check_event_lines(lines)?,
        Kind::WsTranscript => check_transcript(lines)?,
        other => return Err(format!("{other:?} is not a JSONL format ({})", ctx.rel)),
    }
    Ok(lines.len())
}

fn event(line_no: usize, raw: &str) -> Result<KatoEvent, String> {
    let e = KatoEvent::from_frame(raw).map_err(|e| format!("line {line_no}: {e}: {raw}"))?;
    ensure(!matches!(e, KatoEvent::Other { .. }), || {
        format!("line {line_no}: known event landed in Other: {raw}")
    })?;
    ensure(e.timestamp().is_some(), || {
        format!("line {line_no}: no timestamp")
    })?;
    Ok(e)
}

/// `ws_events*.jsonl`: one KATO frame per line, a snapshot first.
fn check_event_lines(lines: &[&str]) -> Result<(), String> {
    for (i, line) in lines.iter().enumerate() {
        let e = event(i + 1, line)?;
        let is_snapshot = matches!(e, KatoEvent::Snapshot { .. });
        ensure(is_snapshot == (i == 0), || {
            format!("line {}: snapshot must be exactly the first frame", i + 1)
        })?;
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TranscriptEntry {
    conn: String,
    dir: String,
    at: Option<String>,
    received_at: Option<String>,
    what: Option<String>,
    url: Option<String>,
    raw: Option<String>,
}

/// `ws_transcript.jsonl`: annotated entries; server frames are KATO events or `pong`.
fn check_transcript(lines: &[&str]) -> Result<(), String> {
    let mut seen_first_frame = BTreeSet::new();
    let mut pongs = 0;
    for (i, line) in lines.iter().enumerate() {
        let n = i + 1;
        let e: TranscriptEntry =
            serde_json::from_str(line).map_err(|err| format!("line {n}: {err}"))?;
        let when =
            e.at.as_deref()
                .or(e.received_at.as_deref())
                .unwrap_or_default();
        ensure(parse_timestamp(when).is_some(), || {
            format!("line {n}: bad time {when:?}")
        })?;
        match e.dir.as_str() {
            "server->client" => {
                let raw = e.raw.ok_or_else(|| format!("line {n}: no raw frame"))?;
                if raw == "pong" {
                    // KATO's answer to `ping` is plain text, not JSON.
                    ensure(serde_json::from_str::<Value>(&raw).is_err(), || {
                        "pong is JSON".into()
                    })?;
                    pongs += 1;
                    continue;
                }
                let ev = event(n, &raw)?;
                let first = seen_first_frame.insert(e.conn.clone());
                ensure(first == matches!(ev, KatoEvent::Snapshot { .. }), || {
                    format!("line {n}: the snapshot must be {}'s first frame", e.conn)
                })?;
            }
            "client->server" => {
                ensure(e.raw.is_some(), || {
                    format!("line {n}: client frame without raw")
                })?;
            }
            "client" => match e.what.as_deref() {
                Some("connect") => ensure(
                    e.url.as_deref().is_some_and(|u| u.ends_with("/ws/events")),
                    || format!("line {n}: connect without /ws/events url"),
                )?,
                Some("close") => {}
                other => return Err(format!("line {n}: unknown client action {other:?}")),
            },
            other => return Err(format!("line {n}: unknown direction {other:?}")),
        }
    }
    ensure(pongs > 0, || "transcript shows no pong".into())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Timeline {
    note: String,
    sessions: Vec<String>,
    timeline: Vec<TimelineRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TimelineRow {
    at: String,
    sessions_count: SessionCount,
    #[serde(rename = "status.sessions")]
    status_sessions: StatusSessions,
    #[serde(rename = "health.active_sessions")]
    health_active_sessions: u64,
    #[serde(rename = "health.status")]
    health_status: HealthStatus,
    #[serde(rename = "health.issues")]
    health_issues: Vec<String>,
}

/// `timeline_after_ttl_expiry.json`: v1's count drops to 0 after expiry, v3.10.1's stays.
pub fn check_timeline(ctx: &Ctx, v: &Value) -> Result<usize, String> {
    let t: Timeline = serde_json::from_value(v.clone()).map_err(|e| e.to_string())?;
    ensure(!t.note.is_empty() && t.sessions.len() == 2, || {
        "odd timeline header".into()
    })?;
    for (i, row) in t.timeline.iter().enumerate() {
        ensure(parse_timestamp(&row.at).is_some(), || {
            format!("row {i}: bad `at`")
        })?;
        ensure(row.health_status != HealthStatus::Unknown, || {
            format!("row {i}: status")
        })?;
        ensure(!row.health_issues.is_empty(), || {
            format!("row {i}: no issues")
        })?;
        ensure(row.status_sessions.backend.is_some(), || {
            format!("row {i}: no backend")
        })?;
        ensure(
            row.health_active_sessions == row.sessions_count.active_session_count,
            || format!("row {i}: /health and /sessions/count disagree"),
        )?;
    }
    let last = t.timeline.last().ok_or("empty timeline")?;
    let want = if ctx.generation == KatoGeneration::V3 {
        2
    } else {
        0
    };
    ensure(last.sessions_count.active_session_count == want, || {
        format!(
            "final count {}, expected {want}",
            last.sessions_count.active_session_count
        )
    })?;
    Ok(t.timeline.len())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Poll {
    requested_at: String,
    request: String,
    status: u16,
    body: Value,
}

fn poll_kind(request: &str) -> Result<Kind, String> {
    Ok(match request {
        "GET /health" => Kind::Health,
        "GET /metrics" => Kind::Metrics,
        "GET /sessions/count" => Kind::SessionCount,
        "GET /concurrency" => Kind::Concurrency,
        "GET /status" => Kind::Status,
        other => return Err(format!("no mapping for polled request {other:?}")),
    })
}

/// `polls.json`: full bodies of 12 polling rounds against 4 workers.
pub fn check_polls(ctx: &Ctx, v: &Value) -> Result<usize, String> {
    let polls: Vec<Poll> = serde_json::from_value(v.clone()).map_err(|e| e.to_string())?;
    for (i, poll) in polls.iter().enumerate() {
        let kind = poll_kind(&poll.request)?;
        ensure(poll.status == 200, || {
            format!("poll {i}: HTTP {}", poll.status)
        })?;
        ensure(parse_timestamp(&poll.requested_at).is_some(), || {
            format!("poll {i}: time")
        })?;
        check_value(kind, ctx, &poll.body)
            .map_err(|e| format!("poll {i} ({}): {e}", poll.request))?;
    }
    ensure(!polls.is_empty(), || "no polls".into())?;
    Ok(polls.len())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PollsSummary {
    sessions_created: u64,
    sessions_deleted: u64,
    ws_events_received: u64,
    polls: Vec<PollSummaryRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PollSummaryRow {
    req: String,
    uptime_seconds: Option<f64>,
    active_sessions: Option<u64>,
    last_collection: Option<f64>,
    total_requests: Option<f64>,
    #[serde(rename = "sessions.active")]
    sessions_active: Option<u64>,
    processors: Option<u64>,
    active_session_count: Option<u64>,
    workers: Option<u64>,
    peak: Option<u64>,
    #[serde(rename = "sessions.total_sessions")]
    status_total_sessions: Option<u64>,
    uptime: Option<f64>,
}

/// `polls_summary.json`: the per-worker fields of each poll; only the count is consistent.
pub fn check_polls_summary(v: &Value) -> Result<usize, String> {
    let s: PollsSummary = serde_json::from_value(v.clone()).map_err(|e| e.to_string())?;
    ensure(s.sessions_created >= s.sessions_deleted, || {
        "more deletes than creates".into()
    })?;
    ensure(s.ws_events_received > 0, || "no ws events".into())?;
    let mut counts = BTreeSet::new();
    for (i, row) in s.polls.iter().enumerate() {
        let has = match poll_kind(&row.req)? {
            Kind::Health => row
                .uptime_seconds
                .and(row.active_sessions)
                .and(row.last_collection)
                .is_some(),
            Kind::Metrics => row.total_requests.is_some() && row.sessions_active.is_some(),
            Kind::SessionCount => row.active_session_count.is_some(),
            Kind::Concurrency => row.workers.and(row.peak).is_some(),
            _ => row.status_total_sessions.and(row.processors).is_some() && row.uptime.is_some(),
        };
        ensure(has, || format!("poll {i} ({}) lacks its fields", row.req))?;
        counts.extend(row.active_session_count);
    }
    ensure(counts.len() == 1, || {
        format!("/sessions/count varied: {counts:?}")
    })?;
    Ok(s.polls.len())
}

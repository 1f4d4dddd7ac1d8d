//! KATO's session manager, shared by the HTTP handlers, the library API and the traffic
//! generator so that all three behave identically: Redis/memory writes, the v3 active index,
//! per-worker session locks, and `/ws/events` frames (created; destroyed on explicit delete
//! only; nothing on TTL expiry).

use chrono::{DateTime, Utc};

use crate::config::Flavour;
use crate::error::SimError;
use crate::json::Json;
use crate::obj;
use crate::session::{self, ACTIVE_INDEX, SessionConfig, SessionRecord};
use crate::state::AppState;
use crate::{ids, timefmt};

/// KATO answers a create without `ttl_seconds` with this TTL (hard-coded, §1.1).
pub(crate) const DEFAULT_TTL: u64 = 3600;

/// `session.created` frame.
pub(crate) fn created_frame(rec: &SessionRecord, now: &DateTime<Utc>) -> String {
    obj! {
        "event_type" => "session.created",
        "timestamp" => timefmt::iso_offset(now),
        "data" => obj! {
            "session_id" => &rec.session_id,
            "node_id" => &rec.node_id,
            "created_at" => timefmt::iso_offset(&rec.created_at),
        },
    }
    .to_python()
}

/// `session.destroyed` frame (explicit deletes only).
pub(crate) fn destroyed_frame(session_id: &str, now: &DateTime<Utc>) -> String {
    obj! {
        "event_type" => "session.destroyed",
        "timestamp" => timefmt::iso_offset(now),
        "data" => obj! {
            "session_id" => session_id,
            "destroyed_at" => timefmt::iso_offset(&timefmt::now()),
            "reason" => "explicit_delete",
        },
    }
    .to_python()
}

/// `state.snapshot` frame sent on connect (naive local timestamp, constant "healthy").
pub(crate) fn snapshot_frame(active_sessions: u64, now: &DateTime<Utc>) -> String {
    obj! {
        "event_type" => "state.snapshot",
        "timestamp" => timefmt::iso_naive_local(now),
        "data" => obj! { "active_sessions" => active_sessions, "system_status" => "healthy" },
    }
    .to_python()
}

/// A validated create request.
#[derive(Clone, Debug)]
pub(crate) struct CreateSession {
    pub node_id: String,
    pub metadata: Json,
    pub ttl_seconds: Option<u64>,
    pub config: Option<Json>,
}

/// Creates a session through `worker`. Returns the record and the TTL KATO reports for it.
pub(crate) async fn create(
    app: &AppState,
    worker: usize,
    req: CreateSession,
) -> Result<(SessionRecord, u64), SimError> {
    let flavour = app.config.flavour;
    let now = timefmt::now();
    let ttl = req.ttl_seconds.filter(|t| *t > 0).unwrap_or(match flavour {
        Flavour::V1 => DEFAULT_TTL,
        Flavour::V3 => app.config.session_ttl_seconds,
    });
    let rec = SessionRecord {
        session_id: ids::session_id(&now),
        node_id: req.node_id,
        created_at: now,
        last_accessed: now,
        expires_at: now + chrono::Duration::seconds(ttl as i64),
        stm: Vec::new(),
        emotives_accumulator: Vec::new(),
        metadata_accumulator: Vec::new(),
        time: 0,
        metadata: req.metadata,
        access_count: 0,
        session_config: SessionConfig::new(flavour, now, req.config.as_ref()),
        ttl_seconds: ttl,
        percept_data: Json::Null,
        predictions: Vec::new(),
    };
    let key = session::key(&rec.session_id);
    app.store
        .set_ex(&key, &rec.to_redis_value(flavour), ttl)
        .await?;
    if flavour == Flavour::V3 {
        app.store.sadd(ACTIVE_INDEX, &rec.session_id).await?;
    }
    let w = app.worker(worker);
    w.lock().locks.insert(rec.session_id.clone());
    w.broadcast(created_frame(&rec, &timefmt::now()));
    Ok((
        rec,
        req.ttl_seconds.filter(|t| *t > 0).unwrap_or(DEFAULT_TTL),
    ))
}

/// Reads a session without touching it; `None` if missing or past `expires_at`.
pub(crate) async fn peek(app: &AppState, id: &str) -> Result<Option<SessionRecord>, SimError> {
    let Some(raw) = app.store.get(&session::key(id)).await? else {
        return Ok(None);
    };
    Ok(SessionRecord::from_redis_value(app.config.flavour, &raw)
        .filter(|rec| rec.expires_at > timefmt::now()))
}

/// KATO's `get_session`: records an access (and on v3 slides the expiry to now + the
/// session's TTL), saves it, and registers the session lock in `worker`.
pub(crate) async fn get(
    app: &AppState,
    worker: usize,
    id: &str,
) -> Result<Option<SessionRecord>, SimError> {
    let key = session::key(id);
    let Some(raw) = app.store.get(&key).await? else {
        return Ok(None);
    };
    let Some(mut rec) = SessionRecord::from_redis_value(app.config.flavour, &raw) else {
        return Ok(None);
    };
    let now = timefmt::now();
    if rec.expires_at <= now {
        // KATO deletes a stored-but-expired session it stumbles upon (rare: Redis is faster).
        delete(app, worker, id).await?;
        return Ok(None);
    }
    rec.touch(now);
    if app.config.flavour == Flavour::V3 {
        // Sliding TTL as c584167 does it: `EXPIRE` on the key only. The answer carries the new expiry and access,
        // but the stored JSON keeps its old `expires_at`, `last_accessed` and `access_count` until the next write.
        rec.expires_at = now + chrono::Duration::seconds(rec.ttl_seconds as i64);
        app.store.expire(&key, rec.ttl_seconds).await?;
    } else {
        save(app, &rec).await?;
    }
    app.worker(worker).lock().locks.insert(id.to_string());
    Ok(Some(rec))
}

/// KATO's `update_session`: stores `rec` with its remaining TTL; an expired one is deleted.
pub(crate) async fn save(app: &AppState, rec: &SessionRecord) -> Result<bool, SimError> {
    let remaining = rec.remaining_seconds(timefmt::now());
    let key = session::key(&rec.session_id);
    if remaining <= 0 {
        app.store.del(&key).await?;
        return Ok(false);
    }
    app.store
        .set_ex(
            &key,
            &rec.to_redis_value(app.config.flavour),
            remaining as u64,
        )
        .await?;
    Ok(true)
}

/// `POST /sessions/{id}/extend`: expiry = now + `ttl` (on v3 the next access slides it back
/// to the session's own TTL, as the real one does).
pub(crate) async fn extend(
    app: &AppState,
    worker: usize,
    id: &str,
    ttl: u64,
) -> Result<bool, SimError> {
    let Some(mut rec) = get(app, worker, id).await? else {
        return Ok(false);
    };
    rec.expires_at = timefmt::now() + chrono::Duration::seconds(ttl as i64);
    app.store
        .set_ex(
            &session::key(id),
            &rec.to_redis_value(app.config.flavour),
            ttl,
        )
        .await?;
    Ok(true)
}

/// KATO's `delete_session`: removes the key; only if it existed: removes it from the v3
/// index and sends `session.destroyed` to the worker's WebSocket clients.
pub(crate) async fn delete(app: &AppState, worker: usize, id: &str) -> Result<bool, SimError> {
    let deleted = app.store.del(&session::key(id)).await?;
    let w = app.worker(worker);
    w.lock().locks.remove(id);
    if deleted {
        if app.config.flavour == Flavour::V3 {
            app.store.srem(ACTIVE_INDEX, id).await?;
        }
        w.broadcast(destroyed_frame(id, &timefmt::now()));
    }
    Ok(deleted)
}

/// The session count. v1: live keys (exact). v3: SCARD of the active index (drifts upward
/// with TTL expiries), cached per worker for `cache_ttl` when `cached`.
pub(crate) async fn count(app: &AppState, worker: usize, cached: bool) -> Result<u64, SimError> {
    match app.config.flavour {
        Flavour::V1 => {
            app.store
                .count_prefix(&format!("{}session-", session::KEY_PREFIX))
                .await
        }
        Flavour::V3 => {
            let w = app.worker(worker);
            let fresh = w
                .lock()
                .count_cache
                .filter(|(at, _)| cached && at.elapsed() < app.config.cache_ttl);
            if let Some((_, n)) = fresh {
                return Ok(n);
            }
            let n = app.store.scard(ACTIVE_INDEX).await?;
            if cached {
                w.lock().count_cache = Some((std::time::Instant::now(), n));
            }
            Ok(n)
        }
    }
}

/// `/status.sessions` lock count of `worker`, after KATO's 300 s cleanup of locks whose key
/// is gone.
pub(crate) async fn lock_count(app: &AppState, worker: usize) -> Result<usize, SimError> {
    let now = timefmt::epoch(&timefmt::now());
    let due = {
        let w = app.worker(worker).lock();
        (now - w.last_lock_cleanup >= 300.0).then(|| w.locks.iter().cloned().collect::<Vec<_>>())
    };
    if let Some(ids) = due {
        let mut gone = Vec::new();
        for id in ids {
            if !app.store.exists(&session::key(&id)).await? {
                gone.push(id);
            }
        }
        let mut w = app.worker(worker).lock();
        for id in gone {
            w.locks.remove(&id);
        }
        w.last_lock_cleanup = now;
    }
    Ok(app.worker(worker).lock().locks.len())
}

//! The merged session list: KATO's `/ws/events` push for speed, Redis scans for truth.
//!
//! KATO announces creations and explicit deletes (only those of the worker a listener is connected to) and never
//! TTL expiries; a Redis `SCAN` of `kato:session:*` sees every live session. This registry merges both without
//! inventing events: a session is created once whichever source sees it first, a scan only removes sessions it
//! should have seen (known before the scan started), and a session destroyed by an event is not brought back by
//! a scan that started before the delete. Time is an input.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One live session as the dashboard shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionRecord {
    /// KATO's id (`session-<hex>-<epoch ms>`).
    pub session_id: String,
    /// The node (processor) it belongs to.
    pub node_id: Option<String>,
    /// Creation time.
    pub created_at: Option<DateTime<Utc>>,
    /// Expiry time as KATO stored it.
    pub expires_at: Option<DateTime<Utc>>,
    /// Last access.
    pub last_accessed: Option<DateTime<Utc>>,
    /// Number of accesses.
    pub access_count: Option<u64>,
    /// Remaining TTL in seconds when last read from Redis.
    pub ttl_seconds: Option<i64>,
    /// Length of the short-term memory.
    pub stm_length: Option<usize>,
    /// Session metadata.
    #[serde(default)]
    pub metadata: Value,
    /// In a KATO fleet, the instance whose `/ws/events` announced it: its creator (each KATO process broadcasts
    /// only its own changes). Left out for a single KATO and for sessions only Redis told of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
}

impl SessionRecord {
    /// A record that only knows its id and node (from a KATO event).
    pub fn bare(
        session_id: impl Into<String>,
        node_id: Option<String>,
        created_at: Option<DateTime<Utc>>,
    ) -> Self {
        Self {
            session_id: session_id.into(),
            node_id,
            created_at,
            expires_at: None,
            last_accessed: None,
            access_count: None,
            ttl_seconds: None,
            stm_length: None,
            metadata: Value::Null,
            instance: None,
        }
    }
}

/// Whether a session appeared or went away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// `session_created`.
    Created,
    /// `session_destroyed`.
    Destroyed,
}

/// Who saw the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeSource {
    /// KATO's `/ws/events`.
    KatoPush,
    /// A Redis scan.
    RedisScan,
    /// This dashboard deleted it.
    Dashboard,
}

/// A change to publish as a `session_event`.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionChange {
    /// Created or destroyed.
    pub kind: ChangeKind,
    /// The session.
    pub session_id: String,
    /// Its node, when known.
    pub node_id: Option<String>,
    /// `explicit_delete`, `expired`, `removed` (gone from Redis before its expiry, without an event).
    pub reason: Option<String>,
    /// Who saw it.
    pub source: ChangeSource,
    /// When it was seen.
    pub at: DateTime<Utc>,
    /// Number of sessions after the change.
    pub count_after: usize,
}

#[derive(Debug, Clone)]
struct Entry {
    record: SessionRecord,
    confirmed_at: DateTime<Utc>,
}

/// How long a destroyed id keeps scans that started earlier from resurrecting it.
const TOMBSTONE_TTL_SECONDS: i64 = 120;
/// A session missing from a scan counts as expired when its `expires_at` is this close.
const EXPIRY_SLACK_SECONDS: i64 = 3;

/// The merged list.
#[derive(Debug, Default, Clone)]
pub struct SessionRegistry {
    sessions: BTreeMap<String, Entry>,
    tombstones: HashMap<String, DateTime<Utc>>,
    created_total: u64,
}

impl SessionRegistry {
    /// Number of live sessions.
    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    /// Sessions created since this registry started (as observed).
    pub fn created_total(&self) -> u64 {
        self.created_total
    }

    /// The live sessions, by id.
    pub fn records(&self) -> impl Iterator<Item = &SessionRecord> {
        self.sessions.values().map(|e| &e.record)
    }

    /// One session.
    pub fn get(&self, id: &str) -> Option<&SessionRecord> {
        self.sessions.get(id).map(|e| &e.record)
    }

    /// Merges a complete scan that started at `started` (every live session at that moment).
    pub fn apply_scan(
        &mut self,
        started: DateTime<Utc>,
        records: Vec<SessionRecord>,
        now: DateTime<Utc>,
    ) -> Vec<SessionChange> {
        self.prune_tombstones(now);
        let mut changes = Vec::new();
        let mut seen = std::collections::HashSet::with_capacity(records.len());
        for record in records {
            seen.insert(record.session_id.clone());
            if let Some(entry) = self.sessions.get_mut(&record.session_id) {
                entry.record = merge(&entry.record, record);
                entry.confirmed_at = entry.confirmed_at.max(started);
                continue;
            }
            if self
                .tombstones
                .get(&record.session_id)
                .is_some_and(|dead| *dead >= started)
            {
                continue;
            }
            changes.push(self.insert(record, started, ChangeSource::RedisScan, now));
        }
        let gone: Vec<String> = self
            .sessions
            .iter()
            .filter(|(id, e)| !seen.contains(*id) && e.confirmed_at < started)
            .map(|(id, _)| id.clone())
            .collect();
        for id in gone {
            let expired = self
                .sessions
                .get(&id)
                .and_then(|e| e.record.expires_at)
                .is_some_and(|exp| exp <= now + Duration::seconds(EXPIRY_SLACK_SECONDS));
            let reason = if expired { "expired" } else { "removed" };
            if let Some(change) = self.remove(&id, reason, ChangeSource::RedisScan, now) {
                changes.push(change);
            }
        }
        changes
    }

    /// A `session.created` push.
    pub fn apply_created(
        &mut self,
        record: SessionRecord,
        at: DateTime<Utc>,
    ) -> Option<SessionChange> {
        if let Some(entry) = self.sessions.get_mut(&record.session_id) {
            entry.record = merge(&entry.record, record);
            entry.confirmed_at = entry.confirmed_at.max(at);
            return None;
        }
        Some(self.insert(record, at, ChangeSource::KatoPush, at))
    }

    /// Newer facts about a listed session (a read of its key after a push); nothing for one that is not listed
    /// (it may have gone meanwhile: a refresh never brings a session back).
    pub fn refresh(&mut self, record: SessionRecord) {
        if let Some(entry) = self.sessions.get_mut(&record.session_id) {
            entry.record = merge(&entry.record, record);
        }
    }

    /// A `session.destroyed` push, or a delete done by this dashboard.
    pub fn apply_destroyed(
        &mut self,
        id: &str,
        reason: &str,
        source: ChangeSource,
        at: DateTime<Utc>,
    ) -> Option<SessionChange> {
        self.tombstones.insert(id.to_owned(), at);
        self.remove(id, reason, source, at)
    }

    fn insert(
        &mut self,
        record: SessionRecord,
        confirmed_at: DateTime<Utc>,
        source: ChangeSource,
        at: DateTime<Utc>,
    ) -> SessionChange {
        let (session_id, node_id) = (record.session_id.clone(), record.node_id.clone());
        self.sessions.insert(
            session_id.clone(),
            Entry {
                record,
                confirmed_at,
            },
        );
        self.created_total += 1;
        SessionChange {
            kind: ChangeKind::Created,
            session_id,
            node_id,
            reason: None,
            source,
            at,
            count_after: self.len(),
        }
    }

    fn remove(
        &mut self,
        id: &str,
        reason: &str,
        source: ChangeSource,
        at: DateTime<Utc>,
    ) -> Option<SessionChange> {
        let entry = self.sessions.remove(id)?;
        self.tombstones.insert(id.to_owned(), at);
        Some(SessionChange {
            kind: ChangeKind::Destroyed,
            session_id: id.to_owned(),
            node_id: entry.record.node_id,
            reason: Some(reason.to_owned()),
            source,
            at,
            count_after: self.len(),
        })
    }

    fn prune_tombstones(&mut self, now: DateTime<Utc>) {
        self.tombstones
            .retain(|_, at| now - *at < Duration::seconds(TOMBSTONE_TTL_SECONDS));
    }
}

/// Newer facts win; facts the newer record lacks are kept.
fn merge(old: &SessionRecord, new: SessionRecord) -> SessionRecord {
    SessionRecord {
        session_id: new.session_id,
        node_id: new.node_id.or_else(|| old.node_id.clone()),
        created_at: new.created_at.or(old.created_at),
        expires_at: new.expires_at.or(old.expires_at),
        last_accessed: new.last_accessed.or(old.last_accessed),
        access_count: new.access_count.or(old.access_count),
        ttl_seconds: new.ttl_seconds.or(old.ttl_seconds),
        stm_length: new.stm_length.or(old.stm_length),
        metadata: if new.metadata.is_null() {
            old.metadata.clone()
        } else {
            new.metadata
        },
        // The first announcer created it; a later read from Redis does not know.
        instance: old.instance.clone().or(new.instance),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(s: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 0, 0, 0).unwrap() + Duration::seconds(s)
    }

    fn rec(id: &str, expires: Option<i64>) -> SessionRecord {
        SessionRecord {
            expires_at: expires.map(t),
            ..SessionRecord::bare(id, Some("node".into()), Some(t(0)))
        }
    }

    fn kinds(changes: &[SessionChange]) -> Vec<(ChangeKind, &str, Option<&str>)> {
        changes
            .iter()
            .map(|c| (c.kind, c.session_id.as_str(), c.reason.as_deref()))
            .collect()
    }

    #[test]
    fn push_then_scan_creates_once() {
        let mut r = SessionRegistry::default();
        let c = r.apply_created(rec("a", None), t(1)).unwrap();
        assert_eq!(
            (c.kind, c.source, c.count_after),
            (ChangeKind::Created, ChangeSource::KatoPush, 1)
        );
        assert!(
            r.apply_scan(t(2), vec![rec("a", Some(100))], t(2))
                .is_empty()
        );
        assert_eq!(
            r.get("a").unwrap().expires_at,
            Some(t(100)),
            "scan facts merged"
        );
        assert!(r.apply_created(rec("a", None), t(3)).is_none());
    }

    #[test]
    fn scan_finds_sessions_other_workers_created_and_ttl_expiries() {
        let mut r = SessionRegistry::default();
        let changes = r.apply_scan(t(0), vec![rec("a", Some(10)), rec("b", Some(1000))], t(0));
        assert_eq!(
            kinds(&changes),
            vec![
                (ChangeKind::Created, "a", None),
                (ChangeKind::Created, "b", None)
            ]
        );
        let changes = r.apply_scan(t(11), vec![], t(11));
        assert_eq!(
            kinds(&changes),
            vec![
                (ChangeKind::Destroyed, "a", Some("expired")),
                (ChangeKind::Destroyed, "b", Some("removed"))
            ]
        );
        assert!(r.is_empty());
        assert_eq!(r.created_total(), 2);
    }

    #[test]
    fn a_scan_that_started_before_a_push_neither_drops_nor_resurrects() {
        let mut r = SessionRegistry::default();
        // Created by push at 5; a scan that started at 4 did not see it: it must stay.
        r.apply_created(rec("new", None), t(5));
        assert!(r.apply_scan(t(4), vec![], t(6)).is_empty());
        assert_eq!(r.len(), 1);
        // Deleted by push at 8; a scan that started at 7 still saw it: it must not come back.
        r.apply_scan(
            t(7),
            vec![rec("old", Some(500)), rec("new", Some(500))],
            t(7),
        );
        r.apply_destroyed("old", "explicit_delete", ChangeSource::KatoPush, t(8))
            .unwrap();
        assert!(
            r.apply_scan(
                t(7),
                vec![rec("old", Some(500)), rec("new", Some(500))],
                t(9)
            )
            .is_empty()
        );
        assert!(r.get("old").is_none());
        // Much later, the tombstone is gone but the key is gone too.
        assert!(
            r.apply_scan(t(400), vec![rec("new", Some(500))], t(400))
                .is_empty()
        );
    }

    #[test]
    fn destroy_of_an_unknown_session_emits_nothing() {
        let mut r = SessionRegistry::default();
        assert!(
            r.apply_destroyed("ghost", "explicit_delete", ChangeSource::KatoPush, t(1))
                .is_none()
        );
    }
}

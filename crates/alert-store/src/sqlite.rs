//! [`SqliteStore`]: one file (`alerts.sqlite3`) in the data directory, WAL journal, one connection behind a
//! mutex. Every write is one short transaction.

use std::{
    path::{Path, PathBuf},
    sync::{Mutex, MutexGuard, PoisonError},
};

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{Connection, OptionalExtension, params};

mod query;

use crate::{
    Ack, ActiveChange, ActiveRecord, AlertRow, AlertStore, HistoryPage, HistoryQuery, Result,
    Retention, Silence, StoreError, StoredEvent, schema,
};

/// The SQLite store.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Mutex<Connection>,
    path: PathBuf,
}

/// Largest page a history query returns.
pub const MAX_PAGE: usize = 1000;

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn from_ms(v: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(v).single().unwrap_or_default()
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn json_err(e: serde_json::Error) -> StoreError {
    StoreError::Data(e.to_string())
}

impl SqliteStore {
    /// Opens (creating if needed) `alerts.sqlite3` in `dir`.
    pub fn open_dir(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            path: dir.display().to_string(),
            source,
        })?;
        Self::open(&dir.join("alerts.sqlite3"))
    }

    /// Opens (creating if needed) the database file at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        schema::migrate(&mut conn)?;
        Ok(Self {
            conn: Mutex::new(conn),
            path: path.to_owned(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn last_seq(conn: &Connection) -> Result<u64> {
    let v: i64 = conn.query_row("SELECT value FROM meta WHERE key = 'last_seq'", [], |r| {
        r.get(0)
    })?;
    Ok(u64::try_from(v).unwrap_or(0))
}

impl AlertStore for SqliteStore {
    fn last_seq(&self) -> Result<u64> {
        last_seq(&self.lock())
    }

    fn append(
        &self,
        event: &StoredEvent,
        alert: Option<&AlertRow>,
        active: &ActiveChange,
    ) -> Result<()> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let last = last_seq(&tx)?;
        if event.seq <= last {
            return Err(StoreError::OutOfOrder {
                given: event.seq,
                last,
            });
        }
        tx.execute(
            "INSERT INTO events (seq, at_ms, kind, text) VALUES (?1, ?2, ?3, ?4)",
            params![to_i64(event.seq), ms(event.at), event.kind, event.text],
        )?;
        tx.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'last_seq'",
            params![to_i64(event.seq)],
        )?;
        if let Some(a) = alert {
            let item = serde_json::to_string(&a.item).map_err(json_err)?;
            tx.execute(
                "INSERT INTO alerts (seq, message_id, alert_id, identity, rule, subject, state, severity, at_ms, \
                 silenced, item) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    to_i64(a.seq),
                    a.message_id,
                    a.alert_id,
                    a.identity,
                    a.rule,
                    a.subject,
                    a.state,
                    a.severity,
                    ms(a.at),
                    i64::from(a.silenced),
                    item
                ],
            )?;
            tx.execute(
                "INSERT OR IGNORE INTO flags (alert_id) VALUES (?1)",
                params![a.alert_id],
            )?;
        }
        match active {
            ActiveChange::Keep => {}
            ActiveChange::Upsert(r) => {
                let data = serde_json::to_string(&r.data).map_err(json_err)?;
                tx.execute(
                    "INSERT INTO active (identity, alert_id, data) VALUES (?1, ?2, ?3) \
                     ON CONFLICT(identity) DO UPDATE SET alert_id = ?2, data = ?3",
                    params![r.identity, r.alert_id, data],
                )?;
            }
            ActiveChange::Remove(identity) => {
                tx.execute("DELETE FROM active WHERE identity = ?1", params![identity])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn events_after(&self, seq: u64, limit: usize) -> Result<Vec<StoredEvent>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT seq, at_ms, kind, text FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![to_i64(seq), to_i64(limit as u64)], |r| {
            Ok(StoredEvent {
                seq: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
                at: from_ms(r.get(1)?),
                kind: r.get(2)?,
                text: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn history(&self, q: &HistoryQuery) -> Result<HistoryPage> {
        query::history(&self.lock(), q)
    }

    fn active(&self) -> Result<Vec<ActiveRecord>> {
        let conn = self.lock();
        let mut stmt =
            conn.prepare_cached("SELECT identity, alert_id, data FROM active ORDER BY identity")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (identity, alert_id, data) = row?;
            out.push(ActiveRecord {
                identity,
                alert_id,
                data: serde_json::from_str(&data).map_err(json_err)?,
            });
        }
        Ok(out)
    }

    fn mark_read(&self, alert_id: &str) -> Result<bool> {
        let conn = self.lock();
        conn.execute(
            "UPDATE alerts SET read = 1 WHERE alert_id = ?1 AND read = 0",
            params![alert_id],
        )?;
        let known: Option<i64> = conn
            .query_row(
                "SELECT 1 FROM flags WHERE alert_id = ?1",
                params![alert_id],
                |r| r.get(0),
            )
            .optional()?;
        Ok(known.is_some())
    }

    fn mark_all_read(&self) -> Result<Vec<String>> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let ids = {
            let mut stmt = tx
                .prepare("SELECT DISTINCT alert_id FROM alerts WHERE read = 0 ORDER BY alert_id")?;
            stmt.query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?
        };
        tx.execute("UPDATE alerts SET read = 1 WHERE read = 0", [])?;
        tx.commit()?;
        Ok(ids)
    }

    fn clear(&self) -> Result<u64> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let n = tx.execute("DELETE FROM alerts", [])?;
        // Bookkeeping of alerts still firing stays (they are still news); the rest goes with the history.
        tx.execute(
            "DELETE FROM flags WHERE alert_id NOT IN (SELECT alert_id FROM active)",
            [],
        )?;
        tx.commit()?;
        Ok(n as u64)
    }

    fn acknowledge(&self, alert_id: &str, ack: &Ack) -> Result<bool> {
        let conn = self.lock();
        let n = conn.execute(
            "UPDATE flags SET ack_by = ?2, ack_comment = ?3, ack_at_ms = ?4 WHERE alert_id = ?1",
            params![alert_id, ack.by, ack.comment, ms(ack.at)],
        )?;
        Ok(n > 0)
    }

    fn create_silence(&self, s: &Silence) -> Result<()> {
        let matchers = serde_json::to_string(&s.matchers).map_err(json_err)?;
        self.lock().execute(
            "INSERT INTO silences (id, matchers, comment, created_by, created_ms, ends_ms, expired_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                s.id,
                matchers,
                s.comment,
                s.created_by,
                ms(s.created_at),
                ms(s.ends_at),
                s.expired_at.map(ms)
            ],
        )?;
        Ok(())
    }

    fn silences(&self, include_expired: bool, now: DateTime<Utc>) -> Result<Vec<Silence>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT id, matchers, comment, created_by, created_ms, ends_ms, expired_ms FROM silences \
             ORDER BY created_ms DESC, id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, Option<i64>>(6)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, matchers, comment, created_by, created, ends, expired) = row?;
            let s = Silence {
                id,
                matchers: serde_json::from_str(&matchers).map_err(json_err)?,
                comment,
                created_by,
                created_at: from_ms(created),
                ends_at: from_ms(ends),
                expired_at: expired.map(from_ms),
            };
            if include_expired || s.active_at(now) {
                out.push(s);
            }
        }
        Ok(out)
    }

    fn expire_silence(&self, id: &str, now: DateTime<Utc>) -> Result<bool> {
        let conn = self.lock();
        let n = conn.execute(
            "UPDATE silences SET expired_ms = ?2 WHERE id = ?1 AND expired_ms IS NULL AND ends_ms > ?2",
            params![id, ms(now)],
        )?;
        Ok(n > 0)
    }

    fn apply_retention(&self, retention: &Retention, now: DateTime<Utc>) -> Result<u64> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let mut removed = 0u64;
        if let Some(age) = retention.max_age {
            let cutoff = ms(now) - i64::try_from(age.as_millis()).unwrap_or(i64::MAX);
            removed += tx.execute("DELETE FROM alerts WHERE at_ms < ?1", params![cutoff])? as u64;
            tx.execute("DELETE FROM events WHERE at_ms < ?1", params![cutoff])?;
            tx.execute(
                "DELETE FROM silences WHERE ends_ms < ?1 OR expired_ms < ?1",
                params![cutoff],
            )?;
        }
        if let Some(max) = retention.max_events {
            let keep = to_i64(max as u64);
            for table in ["alerts", "events"] {
                let cut: Option<i64> = tx
                    .query_row(
                        &format!("SELECT seq FROM {table} ORDER BY seq DESC LIMIT 1 OFFSET ?1"),
                        params![keep],
                        |r| r.get(0),
                    )
                    .optional()?;
                if let Some(cut) = cut {
                    let n = tx.execute(
                        &format!("DELETE FROM {table} WHERE seq <= ?1"),
                        params![cut],
                    )?;
                    if table == "alerts" {
                        removed += n as u64;
                    }
                }
            }
        }
        tx.execute(
            "DELETE FROM flags WHERE alert_id NOT IN (SELECT alert_id FROM alerts) \
             AND alert_id NOT IN (SELECT alert_id FROM active)",
            [],
        )?;
        tx.commit()?;
        Ok(removed)
    }
}

//! Maintenance: rolling raw samples up into minutes and minutes into hours (again for buckets touched by
//! out-of-order samples), age retention per tier, then the disk budget. Every step works per series on the
//! `(series, t)` primary key, so its cost follows the rows it touches, not the size of the tables.

use std::path::Path;

use rusqlite::{Connection, params};

use super::{Inner, bytes_on_disk, floor, read};
use crate::{Maintenance, Result, Settings, Tier};

/// Slices the deletable span of a tier is cut into by the budget (each deletes, then measures again).
const SLICES: i64 = 16;

/// Budget rounds per tier at most (more than [`SLICES`]: data written into a slice already cut is cut again).
const MAX_ROUNDS: usize = 2 * SLICES as usize;

/// What the budget never deletes, per tier: its newest rows over this many seconds before `now`.
const BUDGET_KEEPS: [(Tier, i64); 3] = [
    (Tier::Raw, 3600),
    (Tier::Minute, 86_400),
    (Tier::Hour, 86_400),
];

pub(super) fn maintain(
    inner: &mut Inner,
    path: &Path,
    settings: &Settings,
    now: i64,
) -> Result<Maintenance> {
    let mut out = Maintenance::default();
    let mut ids: Vec<i64> = inner.ids.values().map(|v| v.0).collect();
    ids.sort_unstable();
    let Inner { conn, marks, .. } = inner;
    let mut next = *marks;
    let tx = conn.transaction()?;
    if let Some(m1_old) = marks.m1 {
        let h1_old = marks.h1.unwrap_or(floor(m1_old, 3600));
        if let Some((lo, hi)) = marks.dirty {
            // Late samples: roll their minutes (and hours) again from the finer tier.
            let end = (floor(hi, 60) + 60).min(m1_old);
            out.minutes_rolled += roll(&tx, Tier::Minute, &ids, floor(lo, 60), end)?;
            let end = (floor(hi, 3600) + 3600).min(h1_old);
            out.hours_rolled += roll(&tx, Tier::Hour, &ids, floor(lo, 3600), end)?;
            next.dirty = None;
        }
        let m1_new = floor(now, 60).max(m1_old);
        out.minutes_rolled += roll(&tx, Tier::Minute, &ids, m1_old, m1_new)?;
        let h1_new = floor(m1_new, 3600).max(h1_old);
        out.hours_rolled += roll(&tx, Tier::Hour, &ids, h1_old, h1_new)?;
        next.m1 = Some(m1_new);
        next.h1 = Some(h1_new);
    }
    // Keep each series' newest time before its raw rows age out.
    tx.prepare_cached(
        "UPDATE series SET last = (SELECT max(t) FROM raw WHERE raw.series = series.id) \
         WHERE (SELECT max(t) FROM raw WHERE raw.series = series.id) > last",
    )?
    .execute([])?;
    let keeps = [
        (Tier::Raw, settings.raw_keep),
        (Tier::Minute, settings.minute_keep),
        (Tier::Hour, settings.hour_keep),
    ];
    for (tier, keep) in keeps {
        let cut = now.saturating_sub(i64::try_from(keep.as_secs()).unwrap_or(i64::MAX));
        out.aged_out += delete_before(&tx, tier, &ids, cut)?;
    }
    let cut = now.saturating_sub(i64::try_from(settings.hour_keep.as_secs()).unwrap_or(i64::MAX));
    out.aged_out += tx
        .prepare_cached("DELETE FROM markers WHERE t < ?1")?
        .execute([cut])? as u64;
    if next != *marks {
        next.save(&tx)?;
    }
    tx.commit()?;
    *marks = next;
    reclaim(conn)?;
    out.bytes = bytes_on_disk(path);
    if out.bytes > settings.budget_bytes {
        out.over_budget =
            enforce_budget(conn, path, settings.budget_bytes, &ids, now, &mut out.bytes)?;
    }
    Ok(out)
}

/// Rolls the buckets of `tier` starting in `[from, to)` from the next finer tier, for every series.
fn roll(conn: &Connection, tier: Tier, ids: &[i64], from: i64, to: i64) -> Result<u64> {
    if from >= to {
        return Ok(0);
    }
    let sql = match tier {
        Tier::Raw => return Ok(0),
        Tier::Minute => {
            "INSERT OR REPLACE INTO m1 (series, t, min, max, sum, n) \
             SELECT ?1, t - ((t % 60) + 60) % 60 AS b, min(v), max(v), sum(v), count(*) FROM raw \
             WHERE series = ?1 AND t >= ?2 AND t < ?3 GROUP BY b"
        }
        Tier::Hour => {
            "INSERT OR REPLACE INTO h1 (series, t, min, max, sum, n) \
             SELECT ?1, t - ((t % 3600) + 3600) % 3600 AS b, min(min), max(max), sum(sum), sum(n) FROM m1 \
             WHERE series = ?1 AND t >= ?2 AND t < ?3 GROUP BY b"
        }
    };
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rolled = 0;
    for id in ids {
        rolled += stmt.execute(params![id, from, to])? as u64;
    }
    Ok(rolled)
}

/// Deletes the rows of `tier` older than `cut`, series by series on the primary key.
fn delete_before(conn: &Connection, tier: Tier, ids: &[i64], cut: i64) -> Result<u64> {
    let sql = format!(
        "DELETE FROM {} WHERE series = ?1 AND t < ?2",
        read::table(tier)
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut deleted = 0;
    for id in ids {
        deleted += stmt.execute(params![id, cut])? as u64;
    }
    Ok(deleted)
}

/// Gives freed pages back to the file system: the free list is cut off the file's end, and the log is copied
/// into the file and truncated.
fn reclaim(conn: &Connection) -> Result<()> {
    // The pragma frees one page per step: step it to the end (`execute` would stop after the first).
    let mut stmt = conn.prepare_cached("PRAGMA incremental_vacuum")?;
    let mut rows = stmt.query([])?;
    while rows.next()?.is_some() {}
    drop(rows);
    drop(stmt);
    let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
    if busy != 0 {
        tracing::debug!("history store: checkpoint could not finish (busy)");
    }
    Ok(())
}

/// Deletes the oldest data, finest tier first, slice by slice, until the bytes used fit the budget or nothing
/// more may go. Returns the rows deleted; `bytes` is updated.
fn enforce_budget(
    conn: &mut Connection,
    path: &Path,
    budget: u64,
    ids: &[i64],
    now: i64,
    bytes: &mut u64,
) -> Result<u64> {
    let mut deleted = 0;
    for (tier, keep) in BUDGET_KEEPS {
        let keep_from = now - keep;
        let mut slice = None;
        for _ in 0..MAX_ROUNDS {
            if *bytes <= budget {
                return Ok(deleted);
            }
            let Some((oldest, newest)) = read::span(conn, tier, ids)? else {
                break;
            };
            let end = newest.min(keep_from);
            if oldest >= end {
                break;
            }
            // A sixteenth of what may go: little overshoot, and few rounds (each one checkpoints).
            let slice = *slice.get_or_insert(((end - oldest) / SLICES).max(tier.step()));
            let cut = (oldest + slice).min(end);
            let tx = conn.transaction()?;
            deleted += delete_before(&tx, tier, ids, cut)?;
            tx.commit()?;
            reclaim(conn)?;
            *bytes = bytes_on_disk(path);
        }
    }
    if *bytes > budget {
        tracing::warn!(
            bytes = *bytes,
            budget,
            "history store: still over its disk budget after trimming every tier to its minimum"
        );
    }
    Ok(deleted)
}

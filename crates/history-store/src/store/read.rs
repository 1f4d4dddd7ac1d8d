//! Reads that are not range queries: markers, the series list, usage and per-tier bytes.

use std::path::Path;

use rusqlite::{Connection, params};

use super::{bytes_on_disk, kind_of};
use crate::{Marker, Result, SeriesInfo, Tier, TierUsage, Usage};

/// The table holding a tier.
pub(super) fn table(tier: Tier) -> &'static str {
    match tier {
        Tier::Raw => "raw",
        Tier::Minute => "m1",
        Tier::Hour => "h1",
    }
}

pub(super) fn markers(conn: &Connection, from: i64, to: i64, limit: usize) -> Result<Vec<Marker>> {
    let mut stmt = conn.prepare_cached(
        "SELECT t, kind, label, severity FROM markers WHERE t >= ?1 AND t <= ?2 \
         ORDER BY t DESC, id DESC LIMIT ?3",
    )?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = stmt.query_map(params![from, to, limit], |r| {
        Ok(Marker {
            t: r.get(0)?,
            kind: r.get(1)?,
            label: r.get(2)?,
            severity: r.get(3)?,
        })
    })?;
    let mut out = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    out.reverse();
    Ok(out)
}

pub(super) fn series(conn: &Connection) -> Result<Vec<SeriesInfo>> {
    // `last` is brought up to date at each maintenance; the raw tier's newest row covers the time since.
    let mut stmt = conn.prepare_cached(
        "SELECT name, kind, max(last, coalesce((SELECT max(t) FROM raw WHERE raw.series = s.id), last)) \
         FROM series s ORDER BY name",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(SeriesInfo {
            name: r.get(0)?,
            kind: kind_of(r.get(1)?),
            last: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Oldest and newest bucket of a tier over the given series (each a seek on the primary key).
pub(super) fn span(conn: &Connection, tier: Tier, ids: &[i64]) -> Result<Option<(i64, i64)>> {
    let sql = format!(
        "SELECT (SELECT min(t) FROM {0} WHERE series = ?1), (SELECT max(t) FROM {0} WHERE series = ?1)",
        table(tier)
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut out: Option<(i64, i64)> = None;
    for id in ids {
        let (lo, hi): (Option<i64>, Option<i64>) =
            stmt.query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        if let (Some(lo), Some(hi)) = (lo, hi) {
            out = Some(match out {
                Some((a, b)) => (a.min(lo), b.max(hi)),
                None => (lo, hi),
            });
        }
    }
    Ok(out)
}

/// Every series id of the file.
pub(super) fn all_ids(conn: &Connection) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached("SELECT id FROM series ORDER BY id")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(super) fn usage(conn: &Connection, path: &Path, budget_bytes: u64) -> Result<Usage> {
    let ids = all_ids(conn)?;
    let mut tiers = Vec::with_capacity(Tier::ALL.len());
    for tier in Tier::ALL {
        let rows: i64 =
            conn.query_row(&format!("SELECT count(*) FROM {}", table(tier)), [], |r| {
                r.get(0)
            })?;
        let span = span(conn, tier, &ids)?;
        tiers.push(TierUsage {
            tier,
            rows: u64::try_from(rows).unwrap_or(0),
            oldest: span.map(|s| s.0),
            newest: span.map(|s| s.1),
        });
    }
    let markers: i64 = conn.query_row("SELECT count(*) FROM markers", [], |r| r.get(0))?;
    Ok(Usage {
        bytes: bytes_on_disk(path),
        budget_bytes,
        tiers,
        series: ids.len() as u64,
        markers: u64::try_from(markers).unwrap_or(0),
    })
}

pub(super) fn tier_bytes(conn: &Connection) -> Result<Vec<(Tier, u64)>> {
    let mut stmt =
        conn.prepare_cached("SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = ?1")?;
    let mut out = Vec::with_capacity(Tier::ALL.len());
    for tier in Tier::ALL {
        let bytes: i64 = stmt.query_row([table(tier)], |r| r.get(0))?;
        out.push((tier, u64::try_from(bytes).unwrap_or(0)));
    }
    Ok(out)
}

//! Writing sampling rounds and markers. A round is one upsert per sample on the raw tier's primary key; the
//! series name → id cache and the watermarks change only once the transaction has committed.

use std::collections::HashMap;

use rusqlite::{Connection, params};

use super::{Inner, floor, kind_code};
use crate::{Marker, Result, Sample, SeriesKind};

const UPSERT_GAUGE: &str = "INSERT INTO raw (series, t, v) VALUES (?1, ?2, ?3) \
                            ON CONFLICT(series, t) DO UPDATE SET v = excluded.v";
const UPSERT_COUNT: &str = "INSERT INTO raw (series, t, v) VALUES (?1, ?2, ?3) \
                            ON CONFLICT(series, t) DO UPDATE SET v = v + excluded.v";

/// Writes rounds of samples in one transaction.
pub(super) fn write_rounds(inner: &mut Inner, rounds: &[(i64, &[Sample])]) -> Result<()> {
    let Some(oldest) = rounds
        .iter()
        .filter(|(_, s)| s.iter().any(|s| s.value.is_finite()))
        .map(|(t, _)| *t)
        .min()
    else {
        return Ok(());
    };
    let Inner { conn, ids, marks } = inner;
    let mut next = *marks;
    if next.m1.is_none() {
        // The first write: nothing before it needs rolling.
        next.m1 = Some(floor(oldest, 60));
        next.h1 = Some(floor(oldest, 3600));
    }
    let mut created: HashMap<String, (i64, SeriesKind)> = HashMap::new();
    let tx = conn.transaction()?;
    {
        let mut gauge = tx.prepare_cached(UPSERT_GAUGE)?;
        let mut count = tx.prepare_cached(UPSERT_COUNT)?;
        for (t, samples) in rounds {
            let mut wrote = false;
            for s in samples.iter().filter(|s| s.value.is_finite()) {
                let (id, kind) = match ids.get(&s.series).or_else(|| created.get(&s.series)) {
                    Some(known) => *known,
                    None => {
                        let id = create_series(&tx, s, *t)?;
                        created.insert(s.series.clone(), (id, s.kind));
                        (id, s.kind)
                    }
                };
                let stmt = match kind {
                    SeriesKind::Gauge => &mut gauge,
                    SeriesKind::Count => &mut count,
                };
                stmt.execute(params![id, t, s.value])?;
                wrote = true;
            }
            if wrote && next.m1.is_some_and(|m1| *t < m1) {
                next.dirty = Some(match next.dirty {
                    Some((lo, hi)) => (lo.min(*t), hi.max(*t)),
                    None => (*t, *t),
                });
            }
        }
    }
    if next != *marks {
        next.save(&tx)?;
    }
    tx.commit()?;
    *marks = next;
    ids.extend(created);
    Ok(())
}

fn create_series(conn: &Connection, s: &Sample, t: i64) -> Result<i64> {
    let mut stmt =
        conn.prepare_cached("INSERT INTO series (name, kind, last) VALUES (?1, ?2, ?3)")?;
    stmt.execute(params![s.series, kind_code(s.kind), t])?;
    Ok(conn.last_insert_rowid())
}

/// Stores markers in one transaction.
pub(super) fn add_markers(conn: &mut Connection, markers: &[Marker]) -> Result<()> {
    let tx = conn.transaction()?;
    {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO markers (t, kind, label, severity) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for m in markers {
            stmt.execute(params![m.t, m.kind, m.label, m.severity])?;
        }
    }
    tx.commit()?;
    Ok(())
}

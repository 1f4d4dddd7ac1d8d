//! Range queries: which series match, which tier answers, at which step, and the points — read from the tier's
//! table up to its watermark and computed on the fly from the finer tiers after it (the live edge), grouped to
//! the answer's step in one ordered pass.

use rusqlite::{Connection, params};

use super::{Inner, Marks, floor, read};
use crate::{Answer, Point, Query, Result, SeriesKind, SeriesPoints, StoreError, Tier};

pub(super) fn query(inner: &Inner, q: &Query) -> Result<Answer> {
    check(q)?;
    let matched = matching(inner, &q.series);
    let ids: Vec<i64> = matched.iter().map(|m| m.1).collect();
    let tier = choose_tier(&inner.conn, &ids, q.from, q.to, q.step)?;
    let step = answer_step(tier, q)?;
    let total = buckets(q.from, q.to, step).saturating_mul(matched.len() as u64);
    if q.max_total_points > 0 && total > q.max_total_points as u64 {
        return Err(bad(format!(
            "{} series × {} points at step {step} s = {total} points, more than the {} one answer may hold: ask \
             for fewer series, a shorter range or a larger step",
            matched.len(),
            buckets(q.from, q.to, step),
            q.max_total_points
        )));
    }
    let mut series = Vec::with_capacity(matched.len());
    for (name, id, kind) in matched {
        let points = points(
            &inner.conn,
            &inner.marks,
            tier,
            id,
            floor(q.from, step),
            q.to,
            step,
        )?;
        series.push(SeriesPoints { name, kind, points });
    }
    Ok(Answer { tier, step, series })
}

fn bad(msg: impl Into<String>) -> StoreError {
    StoreError::BadQuery(msg.into())
}

fn check(q: &Query) -> Result<()> {
    if q.from > q.to {
        return Err(bad(format!("from ({}) is after to ({})", q.from, q.to)));
    }
    if q.series.is_empty() {
        return Err(bad("no series asked for"));
    }
    if let Some(step) = q.step
        && step <= 0
    {
        return Err(bad(format!("step must be positive, not {step}")));
    }
    if q.max_points == 0 {
        return Err(bad("max_points must be positive"));
    }
    Ok(())
}

/// The series matching any pattern (exact name or `prefix*`), by name.
fn matching(inner: &Inner, patterns: &[String]) -> Vec<(String, i64, SeriesKind)> {
    let mut out: Vec<(String, i64, SeriesKind)> = inner
        .ids
        .iter()
        .filter(|(name, _)| {
            patterns.iter().any(|p| match p.strip_suffix('*') {
                Some(prefix) => name.starts_with(prefix),
                None => *name == p,
            })
        })
        .map(|(name, (id, kind))| (name.clone(), *id, *kind))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The tier allowed by the wanted step (its step not above it; the coarsest such, or the finest without a step)
/// whose data reaches back to `from` (within 1 % of the range) — or to
/// the oldest data stored, when nothing is that old (a young store: the raw seconds it has beat one hour bucket
/// made of them); when no allowed tier reaches back that far, the finest tier that does; when none does, the one
/// with the oldest data (finest and allowed first among equals).
fn choose_tier(
    conn: &Connection,
    ids: &[i64],
    from: i64,
    to: i64,
    step: Option<i64>,
) -> Result<Tier> {
    let allowed = |t: Tier| step.is_none_or(|s| t.step() <= s);
    let mut oldest = [None; 3];
    for (i, tier) in Tier::ALL.into_iter().enumerate() {
        oldest[i] = read::span(conn, tier, ids)?.map(|s| s.0);
    }
    // A coarser tier also holds (or computes at its live edge) everything of the finer ones.
    let data = |i: usize| oldest[..=i].iter().flatten().min().copied();
    // Nothing is older than the oldest data: asking from before it cannot be answered better by a coarser tier.
    let from = data(2).map_or(from, |first| from.max(first));
    // A tier "reaches back" when at most 1 % of the range is missing at its start: the 1-minute tier of a
    // 30-day range whose oldest minute just aged out beats 720 hour buckets.
    let slack = (to - from).max(0) / 100;
    let covers = |i: usize| data(i).is_some_and(|d| d <= from + slack);
    // With a step, the coarsest tier it allows (the same buckets from fewer rows); without, the finest. Failing
    // that, any tier that covers `from` (a coarser step beats a hole).
    let order: [usize; 3] = if step.is_some() { [2, 1, 0] } else { [0, 1, 2] };
    if let Some(i) = order
        .into_iter()
        .find(|&i| allowed(Tier::ALL[i]) && covers(i))
        .or_else(|| (0..3).find(|&i| covers(i)))
    {
        return Ok(Tier::ALL[i]);
    }
    let best = (0..3)
        .filter_map(|i| data(i).map(|d| (d, !allowed(Tier::ALL[i]), i)))
        .min();
    Ok(match best {
        Some((_, _, i)) => Tier::ALL[i],
        // Nothing stored: the coarsest tier the wanted step allows.
        None => Tier::ALL
            .into_iter()
            .rev()
            .find(|t| allowed(*t))
            .unwrap_or(Tier::Raw),
    })
}

/// Buckets of `step` seconds between `from` and `to`.
fn buckets(from: i64, to: i64, step: i64) -> u64 {
    u64::try_from(to.div_euclid(step) - from.div_euclid(step) + 1).unwrap_or(u64::MAX)
}

/// The answer's step: the wanted one rounded up to a multiple of the tier's, or without one the tier's step,
/// widened to the smallest multiple that fits `max_points`.
fn answer_step(tier: Tier, q: &Query) -> Result<i64> {
    let ts = tier.step();
    let max = q.max_points as u64;
    match q.step {
        Some(s) => {
            let step = s.saturating_add(ts - 1) / ts * ts;
            let n = buckets(q.from, q.to, step);
            if n > max {
                return Err(bad(format!(
                    "{n} points per series at step {step}s, more than the {max} allowed"
                )));
            }
            Ok(step)
        }
        None => {
            let span = q.to.saturating_sub(q.from).saturating_add(1);
            let per = i64::try_from(max).unwrap_or(i64::MAX).saturating_mul(ts);
            let mut k = (span / per).max(1);
            while buckets(q.from, q.to, k * ts) > max {
                k += 1;
            }
            Ok(k * ts)
        }
    }
}

/// Appends rows (ordered by time) to points of `step` seconds, merging rows of the same bucket.
struct Grouper {
    step: i64,
    points: Vec<Point>,
}

impl Grouper {
    fn add(&mut self, t: i64, min: f64, max: f64, sum: f64, n: u64) {
        let b = floor(t, self.step);
        match self.points.last_mut() {
            Some(p) if p.t == b => {
                p.min = p.min.min(min);
                p.max = p.max.max(max);
                p.sum += sum;
                p.n += n;
            }
            _ => self.points.push(Point {
                t: b,
                min,
                avg: 0.0,
                max,
                sum,
                n,
            }),
        }
    }

    fn finish(mut self) -> Vec<Point> {
        for p in &mut self.points {
            p.avg = if p.n > 0 { p.sum / p.n as f64 } else { 0.0 };
        }
        self.points
    }
}

/// One series' points of `tier` in `[from, to]`: stored buckets before the tier's watermark, the rest computed
/// from the finer tiers.
fn points(
    conn: &Connection,
    marks: &Marks,
    tier: Tier,
    id: i64,
    from: i64,
    to: i64,
    step: i64,
) -> Result<Vec<Point>> {
    let mut g = Grouper {
        step,
        points: Vec::new(),
    };
    let m1 = marks.m1.unwrap_or(i64::MIN);
    let h1 = marks.h1.unwrap_or(i64::MIN).min(m1);
    match tier {
        Tier::Raw => read_raw(conn, id, from, to, &mut g)?,
        Tier::Minute => {
            read_buckets(
                conn,
                Tier::Minute,
                id,
                from,
                to.min(m1.saturating_sub(1)),
                &mut g,
            )?;
            read_raw(conn, id, from.max(m1), to, &mut g)?;
        }
        Tier::Hour => {
            read_buckets(
                conn,
                Tier::Hour,
                id,
                from,
                to.min(h1.saturating_sub(1)),
                &mut g,
            )?;
            read_buckets(
                conn,
                Tier::Minute,
                id,
                from.max(h1),
                to.min(m1.saturating_sub(1)),
                &mut g,
            )?;
            read_raw(conn, id, from.max(m1), to, &mut g)?;
        }
    }
    Ok(g.finish())
}

fn read_raw(conn: &Connection, id: i64, from: i64, to: i64, g: &mut Grouper) -> Result<()> {
    if from > to {
        return Ok(());
    }
    let mut stmt = conn.prepare_cached(
        "SELECT t, v FROM raw WHERE series = ?1 AND t >= ?2 AND t <= ?3 ORDER BY t",
    )?;
    let mut rows = stmt.query(params![id, from, to])?;
    while let Some(r) = rows.next()? {
        let v: f64 = r.get(1)?;
        g.add(r.get(0)?, v, v, v, 1);
    }
    Ok(())
}

fn read_buckets(
    conn: &Connection,
    tier: Tier,
    id: i64,
    from: i64,
    to: i64,
    g: &mut Grouper,
) -> Result<()> {
    if from > to {
        return Ok(());
    }
    let sql = format!(
        "SELECT t, min, max, sum, n FROM {} WHERE series = ?1 AND t >= ?2 AND t <= ?3 ORDER BY t",
        read::table(tier)
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params![id, from, to])?;
    while let Some(r) = rows.next()? {
        let n: i64 = r.get(4)?;
        g.add(
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            u64::try_from(n).unwrap_or(0),
        );
    }
    Ok(())
}

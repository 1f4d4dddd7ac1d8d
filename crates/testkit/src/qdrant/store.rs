//! The test server's data and Qdrant's semantics for it, without gRPC: ids ordered integers first, then UUIDs
//! (as Qdrant orders `ExtendedPointId`), inclusive scroll offsets, Euclid/Cosine/Dot scoring, id filters.

use std::collections::{BTreeMap, HashMap, HashSet};

use qdrant_client::qdrant::{Distance, Value};

/// A point id, ordered like Qdrant's.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
    /// Unsigned integer id (sorts first).
    Num(u64),
    /// UUID id, lower-case hyphenated.
    Uuid(String),
}

/// A stored point.
#[derive(Clone, Debug)]
pub struct Point {
    /// The dense default vector.
    pub vector: Vec<f32>,
    /// The payload.
    pub payload: HashMap<String, Value>,
}

/// A stored collection.
#[derive(Clone, Debug)]
pub struct Collection {
    /// Vector dimension.
    pub size: u64,
    /// Distance.
    pub distance: Distance,
    /// Points by id, in scroll order.
    pub points: BTreeMap<Key, Point>,
}

impl Collection {
    /// An empty collection.
    pub fn new(size: u64, distance: Distance) -> Self {
        Self {
            size,
            distance,
            points: BTreeMap::new(),
        }
    }

    /// Up to `limit` points from `offset` on (inclusive), and the id that starts the next page.
    pub fn scroll(&self, offset: Option<&Key>, limit: usize) -> (Vec<(&Key, &Point)>, Option<Key>) {
        let mut iter: Box<dyn Iterator<Item = (&Key, &Point)>> = match offset {
            Some(o) => Box::new(self.points.range(o.clone()..)),
            None => Box::new(self.points.iter()),
        };
        let page: Vec<_> = iter.by_ref().take(limit).collect();
        let next = iter.next().map(|(k, _)| k.clone());
        (page, next)
    }

    /// The `limit` best points for `query`, best first, leaving out `excluded`. Euclid scores are distances
    /// (smaller is better, the threshold is a maximum); Cosine and Dot are similarities (the threshold a minimum).
    pub fn search(
        &self,
        query: &[f32],
        limit: usize,
        threshold: Option<f32>,
        excluded: &HashSet<Key>,
    ) -> Vec<(&Key, &Point, f32)> {
        let smaller_is_better = matches!(self.distance, Distance::Euclid | Distance::Manhattan);
        let mut hits: Vec<_> = self
            .points
            .iter()
            .filter(|(k, _)| !excluded.contains(*k))
            .map(|(k, p)| (k, p, score(self.distance, query, &p.vector)))
            .filter(|(_, _, s)| match threshold {
                Some(t) if smaller_is_better => *s <= t,
                Some(t) => *s >= t,
                None => true,
            })
            .collect();
        hits.sort_by(|a, b| {
            let order = a.2.total_cmp(&b.2);
            if smaller_is_better {
                order
            } else {
                order.reverse()
            }
        });
        hits.truncate(limit);
        hits
    }
}

fn score(distance: Distance, a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    match distance {
        Distance::Euclid => a
            .iter()
            .zip(b)
            .map(|(x, y)| (x - y).powi(2))
            .sum::<f32>()
            .sqrt(),
        Distance::Manhattan => a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum(),
        Distance::Cosine => {
            let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
            let n = norm(a) * norm(b);
            if n == 0.0 { 0.0 } else { dot / n }
        }
        Distance::Dot | Distance::UnknownDistance => dot,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(v: &[f32]) -> Point {
        Point {
            vector: v.to_vec(),
            payload: HashMap::new(),
        }
    }

    #[test]
    fn integers_sort_before_uuids_and_offsets_are_inclusive() {
        let mut c = Collection::new(2, Distance::Euclid);
        c.points
            .insert(Key::Uuid("0000".into()), point(&[0.0, 0.0]));
        c.points.insert(Key::Num(10), point(&[1.0, 0.0]));
        c.points.insert(Key::Num(2), point(&[0.0, 1.0]));
        let (page, next) = c.scroll(None, 2);
        assert_eq!(
            page.iter().map(|(k, _)| (*k).clone()).collect::<Vec<_>>(),
            [Key::Num(2), Key::Num(10)]
        );
        assert_eq!(next, Some(Key::Uuid("0000".into())));
        let (page, next) = c.scroll(next.as_ref(), 2);
        assert_eq!(page.len(), 1);
        assert_eq!(next, None);
        let hits = c.search(&[1.0, 0.1], 5, None, &HashSet::from([Key::Num(10)]));
        assert_eq!(hits.first().map(|h| h.0), Some(&Key::Uuid("0000".into())));
        assert_eq!(hits.len(), 2);
    }
}

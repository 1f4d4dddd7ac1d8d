//! Bounded histories for the live charts, and the geometry that turns them into SVG paths.
//!
//! A [`Series`] is a ring buffer of `(time ms, value)` points: pushing beyond the capacity drops the oldest, so a
//! tab left open for days holds the same few KB. [`ChartGeometry`] maps a window of points onto a fixed
//! `viewBox` (the SVG scales it), with a "nice" y-axis ceiling.

use std::collections::VecDeque;

/// A bounded, time-ordered series of points.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    points: VecDeque<(f64, f64)>,
    capacity: usize,
}

impl Series {
    /// An empty series keeping at most `capacity` points.
    pub fn new(capacity: usize) -> Self {
        Self {
            points: VecDeque::with_capacity(capacity.min(1024)),
            capacity: capacity.max(1),
        }
    }

    /// Appends a point. A point not after the last one replaces it (same reading seen twice, or a clock step).
    pub fn push(&mut self, t_ms: f64, value: f64) {
        if !t_ms.is_finite() || !value.is_finite() {
            return;
        }
        if let Some(last) = self.points.back_mut()
            && t_ms <= last.0
        {
            *last = (last.0, value);
            return;
        }
        if self.points.len() == self.capacity {
            self.points.pop_front();
        }
        self.points.push_back((t_ms, value));
    }

    /// Points at or after `from_ms`.
    pub fn since(&self, from_ms: f64) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.points
            .iter()
            .copied()
            .filter(move |(t, _)| *t >= from_ms)
    }

    /// The newest point.
    pub fn last(&self) -> Option<(f64, f64)> {
        self.points.back().copied()
    }

    /// Number of points held.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// Whether no point is held.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Adds the points of `older` that come before this series' first point (history loaded after live points
    /// arrived). When the capacity is short, the newest points win.
    pub fn prepend(&mut self, older: &Series) {
        let first = self.points.front().map(|p| p.0);
        let add: Vec<(f64, f64)> = older
            .points
            .iter()
            .copied()
            .filter(|(t, _)| first.is_none_or(|f| *t < f))
            .collect();
        let room = self.capacity.saturating_sub(self.points.len());
        let skip = add.len().saturating_sub(room);
        for p in add[skip..].iter().rev() {
            self.points.push_front(*p);
        }
    }
}

/// A ceiling for the y axis: the smallest of 1, 2, 2.5, 5 × 10ⁿ at or above `max` (at least `floor`).
pub fn nice_ceiling(max: f64, floor: f64) -> f64 {
    let m = if max.is_finite() {
        max.max(floor)
    } else {
        floor
    };
    if m <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(m.log10().floor());
    for step in [1.0, 2.0, 2.5, 5.0, 10.0] {
        let candidate = step * magnitude;
        if candidate >= m * 0.999_999 {
            return candidate;
        }
    }
    10.0 * magnitude
}

/// The y ceiling of a chart of counts: a nice one that is an even whole number, so the middle grid line is a
/// whole count too (1 → 2, 5 → 6, 25 → 26; never "0.5" printed as "0").
pub fn count_ceiling(max: f64) -> f64 {
    (nice_ceiling(max, 2.0) / 2.0).ceil() * 2.0
}

/// Width and height of every chart's `viewBox`.
pub const VIEW_W: f64 = 600.0;
/// See [`VIEW_W`].
pub const VIEW_H: f64 = 160.0;

/// Paths for one series in a time window.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartGeometry {
    /// The line (`M x y L x y …`), empty without points.
    pub line: String,
    /// The line closed down to the x axis, for the area fill.
    pub area: String,
    /// Where the newest point is drawn, for the end marker.
    pub last: Option<(f64, f64)>,
}

/// Lays out `points` in the window `[from_ms, to_ms]` with the y axis `0..=y_max`. Gaps longer than `gap_ms`
/// (the dashboard was disconnected) break the line instead of drawing a misleading slope.
pub fn geometry(
    points: &[(f64, f64)],
    from_ms: f64,
    to_ms: f64,
    y_max: f64,
    gap_ms: f64,
) -> ChartGeometry {
    let span = (to_ms - from_ms).max(1.0);
    let y_max = if y_max > 0.0 { y_max } else { 1.0 };
    let x = |t: f64| ((t - from_ms) / span * VIEW_W).clamp(0.0, VIEW_W);
    let y = |v: f64| VIEW_H - (v / y_max).clamp(0.0, 1.0) * VIEW_H;
    let mut line = String::new();
    let mut area = String::new();
    let mut segment_start: Option<f64> = None;
    let mut prev: Option<(f64, f64)> = None;
    let mut last = None;
    for &(t, v) in points.iter().filter(|(t, _)| *t >= from_ms && *t <= to_ms) {
        let (px, py) = (x(t), y(v));
        let broken = prev.is_some_and(|(pt, _)| t - pt > gap_ms);
        if broken && let (Some(sx), Some((ppx, _))) = (segment_start, last) {
            area.push_str(&format!("L{ppx:.1} {VIEW_H} L{sx:.1} {VIEW_H} Z "));
            segment_start = None;
        }
        if segment_start.is_none() {
            line.push_str(&format!("M{px:.1} {py:.1} "));
            area.push_str(&format!("M{px:.1} {VIEW_H} L{px:.1} {py:.1} "));
            segment_start = Some(px);
        } else {
            line.push_str(&format!("L{px:.1} {py:.1} "));
            area.push_str(&format!("L{px:.1} {py:.1} "));
        }
        prev = Some((t, v));
        last = Some((px, py));
    }
    if let (Some(sx), Some((lx, _))) = (segment_start, last) {
        area.push_str(&format!("L{lx:.1} {VIEW_H} L{sx:.1} {VIEW_H} Z"));
    }
    ChartGeometry {
        line: line.trim_end().to_string(),
        area: area.trim_end().to_string(),
        last,
    }
}

/// Bars for bucketed counts, as one path of rectangles: each bucket `[t, t + bucket_ms)` of the window is shared by
/// `of` series side by side, and this is series `index`. Zero and empty buckets draw nothing.
pub fn bars(
    points: &[(f64, f64)],
    window: (f64, f64),
    y_max: f64,
    bucket_ms: f64,
    index: usize,
    of: usize,
) -> String {
    let (from_ms, to_ms) = window;
    let span = (to_ms - from_ms).max(1.0);
    let y_max = if y_max > 0.0 { y_max } else { 1.0 };
    let slot = bucket_ms / span * VIEW_W;
    let of = of.max(1) as f64;
    // A window shorter than one bucket (a short zoom) must not give bars wider than the chart (and a clamp whose
    // upper bound is below its lower one, which panics).
    let w = (slot * 0.8 / of).max(0.6).min(VIEW_W / of);
    let mut d = String::new();
    for &(t, v) in points {
        if v <= 0.0 || t + bucket_ms <= from_ms || t >= to_ms {
            continue;
        }
        // The bucket's group of bars stays inside the chart; this series' bar is its `index`th.
        let group = ((t - from_ms) / span * VIEW_W + slot * 0.1).clamp(0.0, VIEW_W - w * of);
        let x = group + w * index as f64;
        let y = VIEW_H - (v / y_max).clamp(0.0, 1.0) * VIEW_H;
        d.push_str(&format!("M{x:.1} {VIEW_H}V{y:.1}h{w:.2}V{VIEW_H}Z"));
    }
    d
}

/// The point nearest to the relative x position `fraction` (0..1) of the window, for the hover read-out.
pub fn nearest(
    points: &[(f64, f64)],
    from_ms: f64,
    to_ms: f64,
    fraction: f64,
) -> Option<(f64, f64)> {
    let t = from_ms + (to_ms - from_ms) * fraction.clamp(0.0, 1.0);
    points
        .iter()
        .copied()
        .filter(|(pt, _)| *pt >= from_ms && *pt <= to_ms)
        .min_by(|a, b| (a.0 - t).abs().total_cmp(&(b.0 - t).abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepend_puts_older_points_first_and_keeps_the_newest_within_capacity() {
        let mut older = Series::new(10);
        for t in [1.0, 2.0, 3.0, 4.0] {
            older.push(t, t * 10.0);
        }
        let mut live = Series::new(4);
        live.push(3.5, 35.0);
        live.push(5.0, 50.0);
        live.prepend(&older);
        let all: Vec<(f64, f64)> = live.since(0.0).collect();
        assert_eq!(
            all,
            vec![(2.0, 20.0), (3.0, 30.0), (3.5, 35.0), (5.0, 50.0)]
        );
        let mut empty = Series::new(10);
        empty.prepend(&older);
        assert_eq!(empty.len(), 4);
    }

    #[test]
    fn a_series_is_bounded_and_ordered() {
        let mut s = Series::new(3);
        for (t, v) in [(1.0, 1.0), (2.0, 2.0), (3.0, 3.0), (4.0, 4.0)] {
            s.push(t, v);
        }
        assert_eq!(s.len(), 3, "the oldest point is dropped");
        assert_eq!(s.since(0.0).next(), Some((2.0, 2.0)));
        s.push(4.0, 9.0);
        assert_eq!(s.last(), Some((4.0, 9.0)), "the same time replaces");
        s.push(3.5, 1.0);
        assert_eq!(s.len(), 3, "an earlier time never goes backwards");
        s.push(5.0, f64::NAN);
        assert_eq!(s.last(), Some((4.0, 1.0)));
        assert_eq!(s.since(4.0).count(), 1);
    }

    #[test]
    fn y_axis_ceilings_are_round() {
        assert_eq!(nice_ceiling(0.0, 0.0), 1.0);
        assert_eq!(nice_ceiling(3.2, 1.0), 5.0);
        assert_eq!(nice_ceiling(42.0, 1.0), 50.0);
        assert_eq!(nice_ceiling(100.0, 1.0), 100.0);
        assert_eq!(nice_ceiling(101.0, 1.0), 200.0);
        assert_eq!(
            nice_ceiling(0.3, 1.0),
            1.0,
            "the floor keeps flat lines low"
        );
        assert_eq!(nice_ceiling(f64::NAN, 10.0), 10.0);
    }

    #[test]
    fn geometry_maps_points_into_the_view_box_and_breaks_at_gaps() {
        let g = geometry(
            &[(0.0, 0.0), (50.0, 50.0), (100.0, 100.0)],
            0.0,
            100.0,
            100.0,
            1e9,
        );
        assert_eq!(g.line, "M0.0 160.0 L300.0 80.0 L600.0 0.0");
        assert!(g.area.starts_with("M0.0 160 L0.0 160.0"));
        assert!(g.area.ends_with("L600.0 160 L0.0 160 Z"));
        assert_eq!(g.last, Some((600.0, 0.0)));
        let gap = geometry(
            &[(0.0, 1.0), (10.0, 1.0), (80.0, 1.0), (90.0, 1.0)],
            0.0,
            100.0,
            2.0,
            30.0,
        );
        assert_eq!(gap.line.matches('M').count(), 2, "{}", gap.line);
        assert_eq!(gap.area.matches('Z').count(), 2, "{}", gap.area);
        let empty = geometry(&[], 0.0, 100.0, 1.0, 10.0);
        assert!(empty.line.is_empty() && empty.last.is_none());
        let outside = geometry(&[(-5.0, 1.0), (200.0, 1.0)], 0.0, 100.0, 1.0, 10.0);
        assert!(outside.line.is_empty());
    }

    #[test]
    fn bars_share_a_bucket_side_by_side_and_skip_zeros() {
        // 10 buckets of 10 ms in a 100 ms window: a slot is 60 units; two series get 24 units each.
        let a = bars(
            &[(0.0, 5.0), (10.0, 0.0), (50.0, 10.0)],
            (0.0, 100.0),
            10.0,
            10.0,
            0,
            2,
        );
        assert_eq!(a, "M6.0 160V80.0h24.00V160ZM306.0 160V0.0h24.00V160Z");
        let b = bars(&[(0.0, 5.0)], (0.0, 100.0), 10.0, 10.0, 1, 2);
        assert!(b.starts_with("M30.0 160V80.0"), "{b}");
        assert!(bars(&[(200.0, 1.0)], (0.0, 100.0), 1.0, 10.0, 0, 1).is_empty());
    }

    #[test]
    fn count_charts_have_whole_grid_lines() {
        assert_eq!(count_ceiling(0.0), 2.0);
        assert_eq!(count_ceiling(1.0), 2.0);
        assert_eq!(count_ceiling(5.0), 6.0);
        assert_eq!(count_ceiling(7.0), 10.0);
        assert_eq!(count_ceiling(120.0), 200.0);
    }

    #[test]
    fn a_window_shorter_than_a_bucket_keeps_bars_inside_the_chart() {
        // A 60 s bucket in a 10 s zoom: one series' bar is the whole width, two share it; no panic.
        let one = bars(&[(0.0, 1.0)], (20_000.0, 30_000.0), 1.0, 60_000.0, 0, 1);
        assert_eq!(one, format!("M0.0 160V0.0h{:.2}V160Z", VIEW_W));
        let two = bars(&[(0.0, 1.0)], (20_000.0, 30_000.0), 1.0, 60_000.0, 1, 2);
        assert_eq!(
            two,
            format!("M{:.1} 160V0.0h{:.2}V160Z", VIEW_W / 2.0, VIEW_W / 2.0)
        );
    }

    #[test]
    fn hover_finds_the_nearest_point() {
        let pts = [(0.0, 1.0), (40.0, 2.0), (100.0, 3.0)];
        assert_eq!(nearest(&pts, 0.0, 100.0, 0.35), Some((40.0, 2.0)));
        assert_eq!(nearest(&pts, 0.0, 100.0, 2.0), Some((100.0, 3.0)));
        assert_eq!(nearest(&[], 0.0, 100.0, 0.5), None);
    }
}

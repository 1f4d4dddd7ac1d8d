//! Latency statistics from raw samples (microseconds): nearest-rank percentiles over the sorted samples.
//! A 10,000-client, 60 s run at 1 Hz holds 600,000 samples (4.8 MB), so sorting beats a histogram's
//! approximation here.

use serde::Serialize;

/// Nearest-rank percentile (`p` in 0..=100) of ascending `sorted` samples; `None` when empty.
///
/// The smallest sample such that at least `p` % of the samples are ≤ it.
pub fn percentile(sorted: &[u64], p: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let p = p.clamp(0.0, 100.0);
    // The epsilon keeps 99.9 % of 1000 at rank 999 despite binary floating point (0.999 × 1000 > 999).
    let rank = (p * sorted.len() as f64 / 100.0 - 1e-9).ceil() as usize;
    Some(sorted[rank.saturating_sub(1).min(sorted.len() - 1)])
}

/// Summary of latency samples, in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LatencySummary {
    /// Number of samples.
    pub samples: usize,
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p999_ms: f64,
    /// Largest sample.
    pub max_ms: f64,
    /// Mean.
    pub mean_ms: f64,
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

impl LatencySummary {
    /// Summarises samples in microseconds (sorts them in place).
    pub fn from_micros(samples: &mut [u64]) -> Self {
        if samples.is_empty() {
            return Self::default();
        }
        samples.sort_unstable();
        let at = |p| percentile(samples, p).map_or(0.0, ms);
        let sum: u128 = samples.iter().map(|&s| u128::from(s)).sum();
        Self {
            samples: samples.len(),
            p50_ms: at(50.0),
            p90_ms: at(90.0),
            p99_ms: at(99.0),
            p999_ms: at(99.9),
            max_ms: at(100.0),
            mean_ms: sum as f64 / samples.len() as f64 / 1000.0,
        }
    }
}

/// One latency sample: when it was received (ms since the steady window opened) and its latency (µs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// Receive time, ms since the window opened.
    pub at_ms: u32,
    /// tick→client latency, µs.
    pub latency_us: u32,
}

/// Latency over one slice of the steady window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bucket {
    /// Slice start, seconds since the window opened.
    pub from_s: f64,
    /// Slice end.
    pub to_s: f64,
    /// Latency within the slice.
    pub latency: LatencySummary,
}

/// Splits samples into consecutive slices of `bucket_ms` by receive time and summarises each (empty slices
/// are left out).
pub fn buckets(samples: &[Sample], bucket_ms: u32) -> Vec<Bucket> {
    let bucket_ms = bucket_ms.max(1);
    let mut by: std::collections::BTreeMap<u32, Vec<u64>> = std::collections::BTreeMap::new();
    for s in samples {
        by.entry(s.at_ms / bucket_ms)
            .or_default()
            .push(u64::from(s.latency_us));
    }
    by.into_iter()
        .map(|(i, mut v)| Bucket {
            from_s: f64::from(i) * f64::from(bucket_ms) / 1000.0,
            to_s: f64::from(i + 1) * f64::from(bucket_ms) / 1000.0,
            latency: LatencySummary::from_micros(&mut v),
        })
        .collect()
}

/// Mean, minimum and maximum of per-client figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Spread {
    /// Mean over clients.
    pub mean: f64,
    /// Smallest client.
    pub min: f64,
    /// Largest client.
    pub max: f64,
}

impl Spread {
    /// Spread of `values` (all zero when empty).
    pub fn of(values: impl IntoIterator<Item = f64>) -> Self {
        let mut n = 0usize;
        let mut sum = 0.0;
        let mut min = f64::INFINITY;
        let mut max = f64::NEG_INFINITY;
        for v in values {
            n += 1;
            sum += v;
            min = min.min(v);
            max = max.max(v);
        }
        if n == 0 {
            return Self::default();
        }
        Self {
            mean: sum / n as f64,
            min,
            max,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let s: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&s, 50.0), Some(50));
        assert_eq!(percentile(&s, 99.0), Some(99));
        assert_eq!(percentile(&s, 99.5), Some(100));
        assert_eq!(percentile(&s, 100.0), Some(100));
        assert_eq!(percentile(&s, 0.0), Some(1));
        assert_eq!(percentile(&[7], 99.9), Some(7));
        assert_eq!(percentile(&[], 50.0), None);
        let ten: Vec<u64> = (1..=10).collect();
        assert_eq!(percentile(&ten, 90.0), Some(9));
        assert_eq!(percentile(&ten, 91.0), Some(10));
    }

    #[test]
    fn summary_in_milliseconds() {
        let mut s: Vec<u64> = (1..=1000).rev().map(|i| i * 1000).collect();
        let sum = LatencySummary::from_micros(&mut s);
        assert_eq!(sum.samples, 1000);
        assert_eq!(sum.p50_ms, 500.0);
        assert_eq!(sum.p90_ms, 900.0);
        assert_eq!(sum.p99_ms, 990.0);
        assert_eq!(sum.p999_ms, 999.0);
        assert_eq!(sum.max_ms, 1000.0);
        assert!((sum.mean_ms - 500.5).abs() < 1e-9);
        assert_eq!(
            LatencySummary::from_micros(&mut []),
            LatencySummary::default()
        );
    }

    #[test]
    fn buckets_split_by_receive_time() {
        let s = |at_ms, latency_us| Sample { at_ms, latency_us };
        let b = buckets(
            &[s(0, 1000), s(9_999, 3000), s(10_000, 5000), s(35_000, 7000)],
            10_000,
        );
        assert_eq!(b.len(), 3, "the empty 20–30 s slice is left out");
        assert_eq!(
            (b[0].from_s, b[0].to_s, b[0].latency.samples),
            (0.0, 10.0, 2)
        );
        assert_eq!(b[0].latency.max_ms, 3.0);
        assert_eq!((b[2].from_s, b[2].latency.p50_ms), (30.0, 7.0));
        assert!(buckets(&[], 0).is_empty());
    }

    #[test]
    fn spread_of_clients() {
        let s = Spread::of([1.0, 2.0, 6.0]);
        assert_eq!((s.mean, s.min, s.max), (3.0, 1.0, 6.0));
        assert_eq!(Spread::of([]), Spread::default());
    }
}

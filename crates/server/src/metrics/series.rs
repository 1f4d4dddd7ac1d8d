//! Two small [`EncodeMetric`] adaptors `prometheus-client` leaves to its users: a family over a fixed set of
//! label values ([`Labelled`]) and a value read at scrape time ([`Scraped`]). Only this module's parent uses them.

use prometheus_client::{
    encoding::{EncodeMetric, MetricEncoder},
    metrics::{MetricType, TypedMetric},
};

/// One metric per value of a single label, known up front and encoded in that order.
///
/// Not a `Family`: a `Family` finds a series through a lock on a hash map (the hot path holds the series itself
/// here) and encodes in hash order (this keeps the exposition stable, scrape after scrape).
#[derive(Debug, Clone)]
pub struct Labelled<M, const N: usize> {
    key: &'static str,
    series: [(&'static str, M); N],
}

impl<M, const N: usize> Labelled<M, N> {
    /// A family with the label `key` and one series per value.
    pub fn new(key: &'static str, series: [(&'static str, M); N]) -> Self {
        Self { key, series }
    }

    /// The series of the `i`-th value.
    pub fn get(&self, i: usize) -> Option<&M> {
        self.series.get(i).map(|(_, m)| m)
    }
}

impl<M: TypedMetric, const N: usize> TypedMetric for Labelled<M, N> {
    const TYPE: MetricType = M::TYPE;
}

impl<M: EncodeMetric + TypedMetric, const N: usize> EncodeMetric for Labelled<M, N> {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        for (value, metric) in &self.series {
            let labels = [(self.key, *value)];
            metric.encode(encoder.encode_family(&labels)?)?;
        }
        Ok(())
    }

    fn metric_type(&self) -> MetricType {
        M::TYPE
    }
}

/// A metric built at every scrape from a value kept elsewhere (another module's atomic, a semaphore, a clock):
/// `Scraped(move || ConstGauge::new(..))`.
pub struct Scraped<F>(pub F);

impl<F> std::fmt::Debug for Scraped<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Scraped")
    }
}

impl<F, M> EncodeMetric for Scraped<F>
where
    F: Fn() -> M,
    M: EncodeMetric + TypedMetric,
{
    fn encode(&self, encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        (self.0)().encode(encoder)
    }

    fn metric_type(&self) -> MetricType {
        M::TYPE
    }
}

//! The collector's own state (one owner, the collector task): what each watched container is,
//! its last two samples and its stream, which names are expected, and whether Docker is
//! reachable. No I/O; [`State::snapshot`] turns it into the wire snapshot.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use kato_dashboard_core::docker::{
    ContainerInfo, ContainerStats, ContainersSnapshot, HostInfo, StatsSample,
};
use kato_dashboard_core::source::SourceState;

use crate::stream::StatsStream;

/// One watched container.
#[derive(Debug, Default)]
pub struct Tracked {
    pub info: ContainerInfo,
    latest: Option<StatsSample>,
    previous: Option<StatsSample>,
    /// The open stats stream (running containers only).
    pub stream: Option<StatsStream>,
    /// The stream failed and has not delivered since: figures are stale.
    broken: bool,
}

impl Tracked {
    /// Forgets samples (the container restarted: its counters start again from 0).
    pub fn reset_samples(&mut self) {
        self.latest = None;
        self.previous = None;
        self.broken = false;
    }

    /// Running without an open stream.
    pub fn needs_stream(&self) -> bool {
        self.info.is_running() && self.stream.is_none()
    }
}

/// How an [`State::upsert`] changed whether the container runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunChange {
    Same,
    /// Now running; before not running or not known.
    Up,
    /// Running before and now, but started again (or recreated) in between.
    Restarted,
    /// Running before, not now.
    Down,
}

/// Everything the collector knows.
#[derive(Debug)]
pub struct State {
    tracked: BTreeMap<String, Tracked>,
    /// Configured names plus names once seen through a label/compose selector.
    expected: BTreeSet<String>,
    /// Missing names already announced with a `missing` event.
    announced_missing: BTreeSet<String>,
    docker: SourceState,
    /// Docker was reached at least once (before that, nothing is known to be missing).
    reached: bool,
    host: HostInfo,
    generation: u64,
}

impl State {
    /// Nothing known yet; Docker "unavailable: connecting" since `now`.
    pub fn new(names: &[String], now: DateTime<Utc>) -> Self {
        Self {
            tracked: BTreeMap::new(),
            expected: names.iter().cloned().collect(),
            announced_missing: BTreeSet::new(),
            docker: SourceState::Ok.failed("connecting to Docker", now),
            reached: false,
            host: HostInfo::default(),
            generation: 0,
        }
    }

    /// A fresh stream generation number.
    pub fn next_generation(&mut self) -> u64 {
        self.generation += 1;
        self.generation
    }

    pub fn get_mut(&mut self, name: &str) -> Option<&mut Tracked> {
        self.tracked.get_mut(name)
    }

    pub fn get(&self, name: &str) -> Option<&Tracked> {
        self.tracked.get(name)
    }

    pub fn names(&self) -> Vec<String> {
        self.tracked.keys().cloned().collect()
    }

    pub fn is_expected(&self, name: &str) -> bool {
        self.expected.contains(name)
    }

    /// Records fresh engine facts and says how running changed. A different id under the same
    /// name (recreated container) or a new start time drops the old samples and stream; a
    /// container that is no longer running loses its stream.
    pub fn upsert(&mut self, info: ContainerInfo) -> RunChange {
        self.expected.insert(info.name.clone());
        let t = self.tracked.entry(info.name.clone()).or_default();
        let was_running = t.info.is_running();
        let replaced = t.info.id != info.id;
        let restarted = !replaced && info.started_at != t.info.started_at;
        if replaced || restarted {
            t.reset_samples();
            t.stream = None;
        }
        if !info.is_running() {
            t.stream = None;
            t.broken = false;
        }
        let change = match (was_running, info.is_running()) {
            (false, true) => RunChange::Up,
            (true, true) if replaced || restarted => RunChange::Restarted,
            (true, false) => RunChange::Down,
            _ => RunChange::Same,
        };
        t.info = info;
        change
    }

    /// Whether Docker had been reached before (so a listing can reveal changes missed during an
    /// outage).
    pub fn was_reached(&self) -> bool {
        self.reached
    }

    /// Drops a container (destroyed or gone); it becomes missing if expected.
    pub fn remove(&mut self, name: &str) -> Option<Tracked> {
        self.tracked.remove(name)
    }

    /// Stores a live sample from the current stream of `name`; false if ignored (old stream,
    /// unknown container, or a zero-time sample of a stopped container).
    pub fn on_sample(&mut self, name: &str, generation: u64, sample: StatsSample) -> bool {
        let Some(t) = self.tracked.get_mut(name) else {
            return false;
        };
        let current = t
            .stream
            .as_ref()
            .is_some_and(|s| s.generation == generation);
        if !current || !sample.is_live() || !t.info.is_running() {
            return false;
        }
        t.previous = t.latest.replace(sample);
        t.broken = false;
        true
    }

    /// The current stream of `name` failed: its figures are stale until the next sample.
    pub fn on_broken(&mut self, name: &str, generation: u64) -> bool {
        match self.tracked.get_mut(name) {
            Some(t)
                if t.stream
                    .as_ref()
                    .is_some_and(|s| s.generation == generation) =>
            {
                let changed = !t.broken;
                t.broken = true;
                changed
            }
            _ => false,
        }
    }

    /// Docker answered: source ok, host facts known.
    pub fn connected(&mut self, host: HostInfo) {
        self.docker = SourceState::Ok;
        self.reached = true;
        self.host = host;
    }

    /// Docker is unavailable: every stream stops, the containers keep their last values (stale).
    pub fn unavailable(&mut self, reason: &str, now: DateTime<Utc>) {
        self.docker = self.docker.failed(reason, now);
        for t in self.tracked.values_mut() {
            t.stream = None;
        }
    }

    pub fn docker(&self) -> &SourceState {
        &self.docker
    }

    /// CPUs and RAM of the engine's host (default until Docker was reached).
    pub fn host(&self) -> HostInfo {
        self.host
    }

    /// Expected names without a container (empty until Docker was reached once).
    pub fn missing(&self) -> Vec<String> {
        if !self.reached {
            return Vec::new();
        }
        self.expected
            .iter()
            .filter(|n| !self.tracked.contains_key(*n))
            .cloned()
            .collect()
    }

    /// Missing names not announced yet (each is announced once per absence).
    pub fn newly_missing(&mut self) -> Vec<String> {
        let missing: BTreeSet<String> = self.missing().into_iter().collect();
        if self.docker.is_ok() {
            self.announced_missing.retain(|n| missing.contains(n));
        }
        missing
            .into_iter()
            .filter(|n| self.announced_missing.insert(n.clone()))
            .collect()
    }

    /// The wire snapshot at `now`.
    pub fn snapshot(&self, now: DateTime<Utc>) -> ContainersSnapshot {
        let down = !self.docker.is_ok();
        let containers = self
            .tracked
            .values()
            .map(|t| {
                let stale = down || (t.broken && t.info.is_running());
                ContainerStats::build(&t.info, t.latest.as_ref(), t.previous.as_ref(), stale, now)
            })
            .collect();
        ContainersSnapshot::build(
            containers,
            self.missing(),
            self.docker.clone(),
            self.host,
            now,
        )
    }
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;

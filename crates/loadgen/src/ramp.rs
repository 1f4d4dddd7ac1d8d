//! Ramp-up and stop of the client fleet: connection attempts paced at `--rate`, stalled clients spread
//! evenly among live ones, every attempt settled (connected or failed, with its reason) before measuring.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use tokio::{sync::mpsc, task::JoinHandle};
use tokio_util::sync::CancellationToken;

use crate::{
    cli::Settings,
    client::{self, ClientSpec, ClientStats, Window},
    report::Connections,
};

/// Whether the `i`-th of `total` connection attempts is a stalled client: spreads `stalled` of them
/// evenly through the ramp.
pub fn is_stalled(i: usize, total: usize, stalled: usize) -> bool {
    total > 0 && (i + 1) * stalled / total != i * stalled / total
}

#[derive(Clone, Copy)]
enum Kind {
    Live,
    Stalled,
}

/// The running clients.
pub struct Fleet {
    live: Vec<JoinHandle<Option<ClientStats>>>,
    stalled: Vec<JoinHandle<()>>,
    stalled_ports: Arc<Mutex<Vec<u16>>>,
    cancel: CancellationToken,
}

impl Fleet {
    /// Local ports of the connected stalled sockets.
    pub fn stalled_ports(&self) -> HashSet<u16> {
        self.stalled_ports
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .copied()
            .collect()
    }

    /// Stops every client (live ones send a Close) and returns the live clients' figures.
    pub async fn stop(self) -> Vec<ClientStats> {
        self.cancel.cancel();
        let mut all = Vec::with_capacity(self.live.len());
        for h in self.live {
            if let Ok(Some(st)) = h.await {
                all.push(st);
            }
        }
        for h in self.stalled {
            let _ = h.await;
        }
        all
    }
}

/// Opens every client at the configured pace and waits until each attempt has settled; fills `conns`.
pub async fn ramp(s: &Settings, window: Arc<Window>, conns: &mut Connections) -> Fleet {
    let spec = Arc::new(ClientSpec::new(
        s.url.clone(),
        &s.topics,
        s.deltas,
        s.read_buffer,
        s.connect_timeout,
    ));
    let total = s.clients + s.stalled;
    let (tx, mut rx) = mpsc::unbounded_channel::<(Kind, Result<(), String>)>();
    let mut fleet = Fleet {
        live: Vec::with_capacity(s.clients),
        stalled: Vec::with_capacity(s.stalled),
        stalled_ports: Arc::default(),
        cancel: CancellationToken::new(),
    };
    let started = Instant::now();
    let mut pace = tokio::time::interval(Duration::from_secs_f64(1.0 / s.rate));
    if total > 0 {
        eprintln!(
            "ws-load: opening {} live + {} stalled clients at {}/s",
            s.clients, s.stalled, s.rate
        );
    }
    for i in 0..total {
        pace.tick().await;
        let (spec, tx, cancel) = (spec.clone(), tx.clone(), fleet.cancel.clone());
        if is_stalled(i, total, s.stalled) {
            let (ports, rcvbuf) = (fleet.stalled_ports.clone(), s.stalled_rcvbuf);
            fleet.stalled.push(tokio::spawn(async move {
                match client::connect(&spec, rcvbuf).await {
                    Ok(ws) => {
                        if let Ok(addr) = ws.get_ref().local_addr() {
                            ports
                                .lock()
                                .unwrap_or_else(PoisonError::into_inner)
                                .push(addr.port());
                        }
                        let _ = tx.send((Kind::Stalled, Ok(())));
                        client::hold_stalled(ws, cancel).await;
                    }
                    Err(e) => {
                        let _ = tx.send((Kind::Stalled, Err(e)));
                    }
                }
            }));
        } else {
            let keep = fleet.live.is_empty() && s.save_frame.is_some();
            let window = window.clone();
            fleet.live.push(tokio::spawn(async move {
                match client::connect(&spec, None).await {
                    Ok(ws) => {
                        let _ = tx.send((Kind::Live, Ok(())));
                        Some(client::run_live(ws, window, cancel, keep).await)
                    }
                    Err(e) => {
                        let _ = tx.send((Kind::Live, Err(e)));
                        None
                    }
                }
            }));
        }
    }
    drop(tx);
    conns.live_requested = s.clients;
    conns.stalled_requested = s.stalled;
    // Every task reports exactly once (and keeps its sender while it runs, so count rather than wait for the
    // channel to close); each attempt is bounded by the connect timeout.
    let mut settled = 0;
    while settled < total {
        let Some((kind, result)) = rx.recv().await else {
            break;
        };
        settled += 1;
        match (kind, result) {
            (Kind::Live, Ok(())) => conns.live_connected += 1,
            (Kind::Stalled, Ok(())) => conns.stalled_connected += 1,
            (_, Err(reason)) => *conns.failures.entry(reason).or_default() += 1,
        }
    }
    conns.ramp_seconds = started.elapsed().as_secs_f64();
    fleet
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stalled_clients_are_spread_through_the_ramp() {
        let picks: Vec<bool> = (0..10).map(|i| is_stalled(i, 10, 5)).collect();
        assert_eq!(
            picks,
            [
                false, true, false, true, false, true, false, true, false, true
            ]
        );
        assert_eq!(
            (0..2000).filter(|&i| is_stalled(i, 2000, 1000)).count(),
            1000
        );
        assert_eq!((0..7).filter(|&i| is_stalled(i, 7, 0)).count(), 0);
        assert_eq!((0..7).filter(|&i| is_stalled(i, 7, 7)).count(), 7);
    }
}

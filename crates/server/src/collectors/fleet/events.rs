//! KATO's `/ws/events` push from every instance, merged for the sessions task.
//!
//! Each instance gets [`EVENT_CONNECTIONS`] connections: KATO 3.x's workers each broadcast only to their own
//! clients, and each connection lands on one worker, so several reach more of them. The sessions registry takes
//! each change once (the same session event heard on several connections or instances is one event), and what no
//! connection hears is found by the Redis reconciliation within `SESSION_RECONCILE_INTERVAL_SECONDS`. The push
//! counts as connected while any connection of any instance is.

use std::collections::BTreeMap;

use kato_dashboard_kato::{
    KatoClient,
    events::{EventListener, ListenerUpdate, ws_events_url},
};
use tokio::sync::mpsc;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::collectors::sessions::SessionInput;

/// Connections to each instance's `/ws/events` (KATO 3.x's default worker count).
pub const EVENT_CONNECTIONS: usize = 4;

/// What the listeners tell the merger: `(instance, connection, update)`; `None` when the instance is removed.
type Update = (String, usize, Option<ListenerUpdate>);

/// Feeds every instance's push into the sessions task.
#[derive(Clone)]
pub struct Merger {
    tx: mpsc::Sender<Update>,
    sessions: mpsc::Sender<SessionInput>,
}

/// Whether pushed sessions are tagged with the instance that announced them (a fleet).
#[derive(Clone, Copy)]
pub struct TagInstances(pub bool);

impl Merger {
    /// Starts the merger.
    pub fn spawn(
        sessions: mpsc::Sender<SessionInput>,
        tag: TagInstances,
        cancel: CancellationToken,
        tracker: &TaskTracker,
    ) -> Self {
        let (tx, rx) = mpsc::channel(256);
        tracker.spawn(merge(rx, sessions.clone(), tag, cancel));
        Self { tx, sessions }
    }

    /// Listens to one instance until `cancel` (its removal or shutdown).
    pub fn watch(
        &self,
        id: &str,
        kato: &KatoClient,
        cancel: CancellationToken,
        tracker: &TaskTracker,
    ) {
        let url = match ws_events_url(kato.base_url()) {
            Ok(url) => url,
            Err(e) => {
                tracing::error!(instance = %id, error = %e, "cannot derive KATO's /ws/events URL; session pushes of this instance are off");
                let sessions = self.sessions.clone();
                tracker.spawn(async move {
                    let _ = sessions
                        .send(SessionInput::EventsState(Some(e.to_string())))
                        .await;
                });
                return;
            }
        };
        for i in 0..EVENT_CONNECTIONS {
            let mut updates = EventListener::spawn(url.clone(), cancel.clone());
            let tx = self.tx.clone();
            let id = id.to_owned();
            tracker.spawn(async move {
                while let Some(update) = updates.recv().await {
                    if tx.send((id.clone(), i, Some(update))).await.is_err() {
                        return;
                    }
                }
                // The listener ended: the instance was removed (or the server stops).
                let _ = tx.send((id, i, None)).await;
            });
        }
    }
}

async fn merge(
    mut rx: mpsc::Receiver<Update>,
    sessions: mpsc::Sender<SessionInput>,
    tag: TagInstances,
    cancel: CancellationToken,
) {
    let mut connected: BTreeMap<(String, usize), bool> = BTreeMap::new();
    loop {
        let (id, i, update) = tokio::select! {
            () = cancel.cancelled() => return,
            next = rx.recv() => match next {
                Some(u) => u,
                None => return,
            },
        };
        let was = connected.values().any(|c| *c);
        let input = match update {
            Some(ListenerUpdate::Event(event)) => {
                Some(SessionInput::KatoEvent(event, tag.0.then_some(id)))
            }
            Some(ListenerUpdate::Connected) => {
                connected.insert((id, i), true);
                (!was).then_some(SessionInput::EventsState(None))
            }
            Some(ListenerUpdate::Disconnected { reason }) => {
                connected.insert((id, i), false);
                (was && !connected.values().any(|c| *c))
                    .then_some(SessionInput::EventsState(Some(reason)))
            }
            None => {
                connected.remove(&(id, i));
                (was && !connected.values().any(|c| *c))
                    .then(|| SessionInput::EventsState(Some("no KATO instance is watched".into())))
            }
        };
        if let Some(input) = input
            && sessions.send(input).await.is_err()
        {
            return;
        }
    }
}

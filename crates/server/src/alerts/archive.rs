//! The alert store as the `system_alerts` topic's archive: a client resuming with a sequence number older than the
//! hub's replay buffer (or from before a server restart) gets the events it missed from the store.
//!
//! Both reads are SQLite queries, so they block: the hub makes [`EventArchive::after`] on the blocking pool (see
//! `HubHandle::replay_after`), and [`EventArchive::last_seq`] is read once, at start-up.

use std::sync::Arc;

use kato_dashboard_alert_store::AlertStore;
use kato_dashboard_core::protocol::Topic;

use crate::hub::{EventArchive, EventFrame};

/// Adapter from [`AlertStore`] to [`EventArchive`].
pub struct StoreArchive {
    store: Arc<dyn AlertStore>,
}

impl StoreArchive {
    /// Wraps a store.
    pub fn new(store: Arc<dyn AlertStore>) -> Self {
        Self { store }
    }
}

impl EventArchive for StoreArchive {
    fn last_seq(&self) -> u64 {
        self.store.last_seq().unwrap_or_else(|e| {
            tracing::error!(error = %e, "alert store: cannot read the last sequence number");
            0
        })
    }

    fn after(&self, seq: u64, limit: usize) -> Vec<Arc<EventFrame>> {
        match self.store.events_after(seq, limit) {
            Ok(events) => events
                .into_iter()
                .map(|e| {
                    Arc::new(EventFrame::new(
                        Topic::SystemAlerts,
                        e.seq,
                        e.at,
                        e.text.into(),
                    ))
                })
                .collect(),
            Err(e) => {
                tracing::error!(error = %e, "alert store: replay failed");
                Vec::new()
            }
        }
    }
}

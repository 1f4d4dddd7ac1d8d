//! Alert history and toasts: one entry per alert item of a `system_alert`, deduplicated by key, with read flags,
//! filters and "currently firing". KATO outages and restarts are alerts of the server's engine like any other
//! (`kato_unreachable`, `kato_restarted`); the raw `kato_event`s only feed the restarts timeline.
//!
//! The alert engine's history lives on the server: it is loaded from `GET /alerts/history` on start
//! ([`AlertsState::load_history`]) and kept in step by `system_alert` and `alert_update` messages, so read and
//! acknowledged flags agree across tabs and reloads. What the browser persists ([`Persisted`]) is only what the
//! server does not keep: the keys of toasts already shown (a dismissed toast stays dismissed), and alerts of an
//! older server that sends no `alert_id`.

use kato_dashboard_core::{
    protocol::ServerMsg,
    topics::{AlertItem, from_object},
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::json::text;
use super::toasts::{Toast, Toasts, Tone};
#[cfg(test)]
use crate::format::parse_ts_ms;

#[path = "alerts_entry.rs"]
mod entry;
use entry::{alert_entry, non_empty};

/// Entries kept in the history.
pub const HISTORY_CAP: usize = 300;
/// Events older than this when they arrive (replays, snapshots after a reload) go to the history without a toast.
pub const TOAST_MAX_AGE_MS: f64 = 120_000.0;

/// One history entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertEntry {
    /// Unique key (message and alert identity).
    pub key: String,
    /// The alert engine's id (for acknowledge).
    pub alert_id: Option<String>,
    /// `critical`, `error`, `warning`, `info`.
    pub severity: String,
    /// `high_cpu`, `container_down`, `kato_unreachable`, …
    pub kind: String,
    /// `firing`, `resolved`, `acknowledged`, `pending`, or `event` for one-off notices.
    pub state: String,
    pub message: String,
    pub value: Option<f64>,
    pub threshold: Option<f64>,
    pub container: Option<String>,
    pub timestamp_ms: f64,
    pub read: bool,
    /// Someone acknowledged the alert (an `alert_update` from the alert engine).
    #[serde(default)]
    pub acknowledged: bool,
    /// Who acknowledged it, and their comment (empty comments are `None`).
    #[serde(default)]
    pub ack_by: Option<String>,
    #[serde(default)]
    pub ack_comment: Option<String>,
    /// A silence matched it on the server: kept in the history, never toasted.
    #[serde(default)]
    pub silenced: bool,
}

impl AlertEntry {
    /// The toast colour.
    pub fn tone(&self) -> Tone {
        match (self.state.as_str(), self.severity.as_str()) {
            ("resolved", _) => Tone::Ok,
            (_, "critical" | "error") => Tone::Bad,
            (_, "warning") => Tone::Warn,
            _ => Tone::Info,
        }
    }

    /// What the alert is about, across its transitions (fire, repeat, resolve share it).
    pub fn identity(&self) -> String {
        self.alert_id
            .clone()
            .unwrap_or_else(|| format!("{}/{}", self.kind, self.container.as_deref().unwrap_or("")))
    }

    /// A readable type name: `high_cpu` → `High CPU`.
    pub fn kind_label(&self) -> String {
        kind_label(&self.kind)
    }
}

/// `high_cpu` → `High CPU`.
pub fn kind_label(kind: &str) -> String {
    kind.split('_')
        .map(|w| match w {
            "cpu" | "kato" | "stm" | "ttl" => w.to_ascii_uppercase(),
            _ => {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Filters of the history.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AlertFilter {
    pub severity: Option<String>,
    pub kind: Option<String>,
    pub state: Option<String>,
    pub unread_only: bool,
}

impl AlertFilter {
    fn accepts(&self, e: &AlertEntry) -> bool {
        self.severity.as_ref().is_none_or(|s| s == &e.severity)
            && self.kind.as_ref().is_none_or(|k| k == &e.kind)
            && self.state.as_ref().is_none_or(|s| s == &e.state)
            && (!self.unread_only || !e.read)
    }
}

/// What is stored in the browser.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Persisted {
    pub entries: Vec<AlertEntry>,
    pub shown_toasts: Vec<String>,
}

/// History, filters and toasts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AlertsState {
    /// Newest first.
    pub entries: Vec<AlertEntry>,
    pub filter: AlertFilter,
    pub toasts: Toasts,
    /// Bumped when a silence was created or expired (in any tab): the silences list refetches.
    pub silences_version: u64,
}

impl AlertsState {
    /// Restores what was stored (local notices only: the server's alerts come from its history).
    pub fn restore(p: Persisted) -> Self {
        let mut entries: Vec<AlertEntry> = p
            .entries
            .into_iter()
            .filter(|e| e.alert_id.is_none())
            .collect();
        entries.sort_by(|a, b| b.timestamp_ms.total_cmp(&a.timestamp_ms));
        entries.truncate(HISTORY_CAP);
        AlertsState {
            entries,
            filter: AlertFilter::default(),
            toasts: Toasts::with_seen(p.shown_toasts),
            silences_version: 0,
        }
    }

    /// What to store.
    pub fn persisted(&self) -> Persisted {
        Persisted {
            entries: self
                .entries
                .iter()
                .filter(|e| e.alert_id.is_none())
                .cloned()
                .collect(),
            shown_toasts: self.toasts.seen_keys().cloned().collect(),
        }
    }

    /// A `system_alert` or `alert_update`. Returns whether the history changed.
    pub fn apply(&mut self, msg: &ServerMsg, now_ms: f64) -> bool {
        let entries = match msg {
            ServerMsg::SystemAlert {
                id,
                timestamp,
                seq,
                alerts,
                ..
            } => alerts
                .iter()
                .enumerate()
                .map(|(i, a)| alert_entry((id, timestamp, *seq), i, a, None, now_ms))
                .collect(),
            ServerMsg::AlertUpdate { action, data, .. } => return self.apply_update(action, data),
            _ => Vec::new(),
        };
        let mut changed = false;
        for entry in entries {
            changed |= self.add(entry, now_ms);
        }
        changed
    }

    /// Items of `GET /alerts/history` (newest first): added without toasts; the server's read and acknowledged
    /// flags are merged into entries already shown. Returns whether the history changed.
    pub fn load_history(&mut self, items: &[Value], now_ms: f64) -> bool {
        let before = self.entries.clone();
        for item in items {
            let typed = from_object::<AlertItem>(item).unwrap_or_default();
            let entry = alert_entry(("", "", 0), 0, &typed, Some(item), now_ms);
            match self.entries.iter_mut().find(|e| e.key == entry.key) {
                Some(e) => {
                    e.read |= entry.read;
                    if entry.acknowledged {
                        e.acknowledged = true;
                        e.ack_by = entry.ack_by.or(e.ack_by.take());
                        e.ack_comment = entry.ack_comment.or(e.ack_comment.take());
                    }
                }
                None => self.insert(entry),
            }
        }
        self.entries != before
    }

    /// The engine's id of an entry (for the REST calls), if it is one of the server's alerts.
    pub fn alert_id_of(&self, key: &str) -> Option<String> {
        self.entries
            .iter()
            .find(|e| e.key == key)
            .and_then(|e| e.alert_id.clone())
    }

    /// Whether any entry is one of the server's alerts.
    pub fn has_server_alerts(&self) -> bool {
        self.entries.iter().any(|e| e.alert_id.is_some())
    }

    fn insert(&mut self, entry: AlertEntry) {
        let at = self
            .entries
            .iter()
            .position(|e| e.timestamp_ms < entry.timestamp_ms)
            .unwrap_or(self.entries.len());
        self.entries.insert(at, entry);
        self.entries.truncate(HISTORY_CAP);
    }

    fn add(&mut self, entry: AlertEntry, now_ms: f64) -> bool {
        if self.entries.iter().any(|e| e.key == entry.key) {
            return false;
        }
        // Toasts on fire and resolve only: a reminder of an alert still firing goes to the history.
        let toasts = matches!(entry.state.as_str(), "firing" | "resolved");
        if toasts && now_ms - entry.timestamp_ms <= TOAST_MAX_AGE_MS && !entry.silenced {
            let title = match entry.state.as_str() {
                "resolved" => format!("Resolved · {}", entry.kind_label()),
                _ => entry.kind_label(),
            };
            let body = match (&entry.container, entry.threshold) {
                (Some(c), _) => format!("{} · {c}", entry.message),
                _ => entry.message.clone(),
            };
            self.toasts.push(
                Toast {
                    key: entry.key.clone(),
                    kind: entry.kind.clone(),
                    tone: entry.tone(),
                    title,
                    body,
                    until_ms: 0.0,
                },
                now_ms,
            );
        }
        self.insert(entry);
        true
    }

    /// Bookkeeping shared by every tab through the alert engine (`alert_update`): read, acknowledged, cleared.
    /// Alerts are named by `alert_id` (or `alert_ids`); unknown actions change nothing.
    fn apply_update(&mut self, action: &str, data: &Value) -> bool {
        let mut ids: Vec<String> = data
            .get("alert_ids")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        ids.extend(text(data, "alert_id"));
        let named = |e: &AlertEntry| e.alert_id.as_ref().is_some_and(|id| ids.contains(id));
        let before = self.entries.clone();
        match action {
            "read" => self
                .entries
                .iter_mut()
                .filter(|e| named(e))
                .for_each(|e| e.read = true),
            "read_all" => self.mark_all_read(),
            "acknowledged" => {
                let (by, comment) = (non_empty(data, "by"), non_empty(data, "comment"));
                self.entries.iter_mut().filter(|e| named(e)).for_each(|e| {
                    e.acknowledged = true;
                    e.ack_by.clone_from(&by);
                    e.ack_comment.clone_from(&comment);
                });
            }
            "silence_created" | "silence_expired" => {
                self.silences_version += 1;
                return true;
            }
            "cleared" if ids.is_empty() => self.clear(),
            "cleared" => self.entries.retain(|e| !named(e)),
            _ => {}
        }
        self.entries != before
    }

    /// Unread entries.
    pub fn unread(&self) -> usize {
        self.entries.iter().filter(|e| !e.read).count()
    }

    /// Marks one entry read.
    pub fn mark_read(&mut self, key: &str) {
        if let Some(e) = self.entries.iter_mut().find(|e| e.key == key) {
            e.read = true;
        }
    }

    /// Marks every entry read.
    pub fn mark_all_read(&mut self) {
        self.entries.iter_mut().for_each(|e| e.read = true);
    }

    /// Empties the history (the toasts already shown stay remembered).
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Entries passing the filter, newest first.
    pub fn filtered(&self) -> Vec<AlertEntry> {
        self.entries
            .iter()
            .filter(|e| self.filter.accepts(e))
            .cloned()
            .collect()
    }

    /// Distinct values of a field in the history, for the filter menus.
    pub fn distinct(&self, field: fn(&AlertEntry) -> &str) -> Vec<String> {
        let mut v: Vec<String> = self.entries.iter().map(|e| field(e).to_owned()).collect();
        v.sort();
        v.dedup();
        v
    }

    /// Alerts firing now: the newest entry of each alert, when it is not resolved (one-off notices excluded).
    pub fn firing(&self) -> Vec<AlertEntry> {
        let mut seen: Vec<String> = Vec::new();
        self.entries
            .iter()
            .filter(|e| e.state != "event")
            .filter(|e| {
                let id = e.identity();
                let new = !seen.contains(&id);
                if new {
                    seen.push(id);
                }
                new
            })
            .filter(|e| e.state != "resolved")
            .cloned()
            .collect()
    }
}

#[cfg(test)]
#[path = "alerts_tests.rs"]
mod tests;

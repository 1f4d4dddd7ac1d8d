//! The Sessions page: one page of `GET /api/v1/sessions` kept live by `session_event`s.
//!
//! A created session that belongs on the page shown (first page, newest first, matching the search) is inserted at
//! once from the event and highlighted; a destroyed one stays on screen, marked, for a moment before it goes.
//! Every event also asks for a (debounced) refetch, which fills in what the event did not carry (expiry, TTL).

use kato_dashboard_core::{
    protocol::ServerMsg,
    topics::{CountSource, SessionsTopic, from_object},
};
use serde::Deserialize;
use serde_json::Value;

use super::json::Availability;
use crate::format::parse_ts_ms;

/// How long a new row stays highlighted.
pub const NEW_MARK_MS: f64 = 4000.0;
/// How long a destroyed row stays on screen.
pub const LEAVING_MARK_MS: f64 = 2500.0;

/// One row of the list (the server's `sessions[]` item).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SessionRow {
    pub session_id: String,
    #[serde(default)]
    pub node_id: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub expires_at: Option<String>,
    #[serde(default)]
    pub last_active: Option<String>,
    #[serde(default)]
    pub ttl_seconds: Option<f64>,
    #[serde(default)]
    pub access_count: Option<f64>,
    #[serde(default)]
    pub stm_length: Option<f64>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub metadata: Option<Value>,
}

/// `GET /api/v1/sessions`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SessionPage {
    pub sessions: Vec<SessionRow>,
    pub total: u64,
    #[serde(default)]
    pub pages: u64,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub summary: Option<Value>,
}

/// The `sessions` topic (and the list's `summary`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SessionSummaryView {
    /// Live sessions; `None` is unknown (never a fake 0).
    pub active: Option<f64>,
    /// Sessions seen created since the dashboard started.
    pub total_created: Option<f64>,
    /// `redis` or `kato`.
    pub count_source: Option<String>,
    /// KATO's own count.
    pub kato_count: Option<f64>,
    pub redis: Option<Availability>,
    pub kato_events: Option<Availability>,
    /// The list was cut short.
    pub truncated: bool,
}

impl SessionSummaryView {
    /// Reads the summary object (anything unreadable is "not known").
    pub fn from_value(v: &Value) -> Self {
        from_object::<SessionsTopic>(v).map_or_else(|_| Self::default(), |t| Self::from_topic(&t))
    }

    /// The view of a typed `sessions` value.
    pub fn from_topic(t: &SessionsTopic) -> Self {
        let source = match t.count_source {
            CountSource::Redis => "redis",
            CountSource::Kato => "kato",
            CountSource::Unknown => "unknown",
        };
        SessionSummaryView {
            active: t.active_count.map(|n| n as f64),
            total_created: Some(t.total_count as f64),
            count_source: Some(source.to_owned()),
            kato_count: t.kato_count.map(|n| n as f64),
            redis: Some(Availability::from(&t.sources.redis)),
            kato_events: Some(Availability::from(&t.sources.kato_events)),
            truncated: t.truncated,
        }
    }
}

/// A `session_event`, flattened.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionEventView {
    pub created: bool,
    pub session_id: Option<String>,
    pub node_id: Option<String>,
    /// `explicit_delete`, `expired`, `removed` (destroyed only).
    pub reason: Option<String>,
    pub timestamp: String,
    pub current_count: Option<f64>,
}

impl SessionEventView {
    /// The event's fields, or `None` for any other message.
    pub fn from_msg(msg: &ServerMsg) -> Option<Self> {
        let ServerMsg::SessionEvent {
            event_type,
            timestamp,
            data,
            ..
        } = msg
        else {
            return None;
        };
        Some(SessionEventView {
            created: event_type == "session_created",
            session_id: (!data.session_id.is_empty()).then(|| data.session_id.clone()),
            node_id: data.node_id.clone(),
            reason: data.reason.clone(),
            timestamp: timestamp.clone(),
            current_count: Some(data.current_count as f64),
        })
    }
}

/// Columns the list can be sorted by (the server's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    CreatedAt,
    ExpiresAt,
    LastActive,
    NodeId,
    SessionId,
    TtlSeconds,
}

impl SortKey {
    /// The server's name.
    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::CreatedAt => "created_at",
            SortKey::ExpiresAt => "expires_at",
            SortKey::LastActive => "last_active",
            SortKey::NodeId => "node_id",
            SortKey::SessionId => "session_id",
            SortKey::TtlSeconds => "ttl_seconds",
        }
    }
}

/// What the table shows: search, sort and page.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionQuery {
    pub search: String,
    pub sort: SortKey,
    pub desc: bool,
    /// 0-based.
    pub page: u64,
    pub limit: u64,
}

impl Default for SessionQuery {
    fn default() -> Self {
        Self {
            search: String::new(),
            sort: SortKey::CreatedAt,
            desc: true,
            page: 0,
            limit: 25,
        }
    }
}

impl SessionQuery {
    /// The query string of `GET /api/v1/sessions`.
    pub fn to_query_string(&self) -> String {
        let mut q = format!(
            "skip={}&limit={}&sort={}&order={}",
            self.page * self.limit,
            self.limit,
            self.sort.as_str(),
            if self.desc { "desc" } else { "asc" }
        );
        if !self.search.trim().is_empty() {
            q.push_str("&search=");
            q.push_str(&encode_component(self.search.trim()));
        }
        q
    }

    /// Clicking a column: the same column flips the order, another sorts by it (newest/largest first).
    pub fn toggle_sort(&mut self, key: SortKey) {
        if self.sort == key {
            self.desc = !self.desc;
        } else {
            self.sort = key;
            self.desc = !matches!(key, SortKey::NodeId | SortKey::SessionId);
        }
        self.page = 0;
    }

    /// Whether a session created now goes at the top of this page.
    fn shows_newest_first(&self) -> bool {
        self.page == 0 && self.sort == SortKey::CreatedAt && self.desc
    }

    /// Whether a pushed session belongs on this page, ignoring ASCII case (KATO's ids and nodes are ASCII; the
    /// page is fetched again after every event, and the server's search decides in the end).
    fn matches(&self, id: &str, node: Option<&str>) -> bool {
        let needle = self.search.trim().to_ascii_lowercase();
        needle.is_empty()
            || id.to_ascii_lowercase().contains(&needle)
            || node.is_some_and(|n| n.to_ascii_lowercase().contains(&needle))
    }
}

/// Percent-encodes a query component (RFC 3986 unreserved characters pass).
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A row's highlight.
#[derive(Debug, Clone, PartialEq)]
pub enum Mark {
    /// Just created.
    New,
    /// Destroyed: why (`explicit_delete`, `expired`, `removed`).
    Leaving(String),
}

/// The live table.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SessionsTable {
    pub query: SessionQuery,
    pub rows: Vec<SessionRow>,
    /// Sessions matching the query; `None` before the first answer.
    pub total: Option<u64>,
    pub pages: u64,
    pub error: Option<String>,
    /// `redis` or `kato_events`: where the list comes from.
    pub source: Option<String>,
    pub summary: Option<SessionSummaryView>,
    /// Highlights `(session, mark, until_ms)`: a few seconds' worth of events, so a list.
    marks: Vec<(String, Mark, f64)>,
}

impl SessionsTable {
    /// A fetched page. Rows still fading out stay where they were.
    pub fn apply_page(&mut self, page: SessionPage, now_ms: f64) {
        self.expire(now_ms);
        let mut rows = page.sessions;
        let ghosts: Vec<(usize, SessionRow)> = self
            .rows
            .iter()
            .enumerate()
            .filter(|(_, r)| matches!(self.mark(&r.session_id), Some(Mark::Leaving(_))))
            .filter(|(_, r)| !rows.iter().any(|n| n.session_id == r.session_id))
            .map(|(i, r)| (i, r.clone()))
            .collect();
        for (i, row) in ghosts {
            rows.insert(i.min(rows.len()), row);
        }
        self.rows = rows;
        self.total = Some(page.total);
        self.pages = page.pages;
        self.source = page.source;
        self.summary = page.summary.as_ref().map(SessionSummaryView::from_value);
        self.error = None;
    }

    /// A failed fetch: the rows shown stay, with the error above them.
    pub fn apply_error(&mut self, error: String) {
        self.error = Some(error);
    }

    /// A session event. Returns whether the page should be refetched.
    pub fn apply_event(&mut self, ev: &SessionEventView, now_ms: f64) -> bool {
        let Some(id) = ev.session_id.clone() else {
            return true;
        };
        if ev.created {
            if self.rows.iter().any(|r| r.session_id == id) {
                return false;
            }
            self.total = self.total.map(|t| t + 1);
            self.set_mark(id.clone(), Mark::New, now_ms + NEW_MARK_MS);
            if self.query.shows_newest_first() && self.query.matches(&id, ev.node_id.as_deref()) {
                self.rows.insert(
                    0,
                    SessionRow {
                        session_id: id,
                        node_id: ev.node_id.clone(),
                        created_at: Some(ev.timestamp.clone()),
                        expires_at: None,
                        last_active: None,
                        ttl_seconds: None,
                        access_count: None,
                        stm_length: None,
                        user_id: None,
                        metadata: None,
                    },
                );
                self.rows.truncate(self.query.limit as usize);
            }
        } else {
            let reason = ev.reason.clone().unwrap_or_else(|| "destroyed".into());
            if self.rows.iter().any(|r| r.session_id == id) {
                self.total = self.total.map(|t| t.saturating_sub(1));
            }
            self.set_mark(id, Mark::Leaving(reason), now_ms + LEAVING_MARK_MS);
        }
        true
    }

    /// The `sessions` topic.
    pub fn apply_summary(&mut self, v: &Value) {
        self.summary = Some(SessionSummaryView::from_value(v));
    }

    /// Drops finished highlights and the rows that faded out. Returns whether anything changed.
    pub fn expire(&mut self, now_ms: f64) -> bool {
        let (done, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.marks)
            .into_iter()
            .partition(|(_, _, until)| *until <= now_ms);
        self.marks = kept;
        for (id, mark, _) in &done {
            if matches!(mark, Mark::Leaving(_)) {
                self.rows.retain(|r| &r.session_id != id);
            }
        }
        !done.is_empty()
    }

    /// A row's current highlight.
    pub fn mark(&self, id: &str) -> Option<&Mark> {
        self.marks
            .iter()
            .find(|(m, _, _)| m == id)
            .map(|(_, m, _)| m)
    }

    fn set_mark(&mut self, id: String, mark: Mark, until_ms: f64) {
        self.marks.retain(|(m, _, _)| *m != id);
        self.marks.push((id, mark, until_ms));
    }
}

/// Milliseconds until a row's session expires, from `expires_at`, or `ttl_seconds` counted from `fetched_ms`.
pub fn expires_ms(row: &SessionRow, fetched_ms: f64) -> Option<f64> {
    row.expires_at.as_deref().and_then(parse_ts_ms).or_else(|| {
        row.ttl_seconds
            .filter(|t| *t >= 0.0)
            .map(|t| fetched_ms + t * 1000.0)
    })
}

#[cfg(test)]
#[path = "sessions_tests.rs"]
mod tests;

//! What the REST API does with alerts: history, active alerts, read, clear, acknowledge, silences. Every change is
//! published as an `alert_update` so all tabs agree. Store calls run on the blocking pool.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use kato_dashboard_alert_store::{Ack, AlertRecord, AlertStore, HistoryQuery, Silence};
use kato_dashboard_core::{alerts::AlertType, time::rfc3339, topics::AlertItem};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{AlertService, message};
use crate::error::ApiError;

/// Default page size of the history.
const DEFAULT_LIMIT: usize = 100;
/// Largest page.
const MAX_LIMIT: usize = 1000;
/// Labels a silence may match on.
const MATCHER_KEYS: [&str; 5] = ["type", "severity", "container_name", "alert_id", "identity"];

/// Query parameters of `GET /alerts/history`, validated.
pub struct HistoryParams;

fn time_param(map: &HashMap<String, String>, key: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
    map.get(key)
        .filter(|v| !v.is_empty())
        .map(|v| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| ApiError::BadRequest(format!("{key}: `{v}` is not an RFC 3339 time")))
        })
        .transpose()
}

/// A whole-number parameter; at most `i64::MAX`, the largest integer the alert store (SQLite) holds.
fn number_param(map: &HashMap<String, String>, key: &str) -> Result<Option<u64>, ApiError> {
    map.get(key)
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse::<u64>()
                .ok()
                .filter(|n| i64::try_from(*n).is_ok())
                .ok_or_else(|| {
                    ApiError::BadRequest(format!(
                        "{key}: `{v}` is not a whole number from 0 to {}",
                        i64::MAX
                    ))
                })
        })
        .transpose()
}

fn one_of(
    map: &HashMap<String, String>,
    key: &str,
    allowed: &[&str],
) -> Result<Option<String>, ApiError> {
    match map.get(key).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) if allowed.contains(&v.as_str()) => Ok(Some(v.clone())),
        Some(v) => Err(ApiError::BadRequest(format!(
            "{key}: `{v}` is not one of {}",
            allowed.join(", ")
        ))),
    }
}

impl HistoryParams {
    /// Parses and checks the query string.
    pub fn parse(map: &HashMap<String, String>) -> Result<HistoryQuery, ApiError> {
        let types: Vec<&str> = AlertType::ALL.iter().map(|t| t.as_str()).collect();
        let limit = number_param(map, "limit")?.map_or(DEFAULT_LIMIT, |l| l as usize);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(ApiError::BadRequest(format!(
                "limit: must be 1..={MAX_LIMIT}"
            )));
        }
        let since = time_param(map, "since")?;
        let until = time_param(map, "until")?;
        if let (Some(s), Some(u)) = (since, until)
            && s > u
        {
            return Err(ApiError::BadRequest("since is after until".into()));
        }
        let unread_only = match map.get("unread").map(String::as_str) {
            None | Some("" | "false" | "0") => false,
            Some("true" | "1") => true,
            Some(v) => {
                return Err(ApiError::BadRequest(format!(
                    "unread: `{v}` is not true or false"
                )));
            }
        };
        Ok(HistoryQuery {
            severity: one_of(map, "severity", &["info", "warning", "critical"])?,
            rule: one_of(map, "type", &types)?,
            state: one_of(map, "state", &["firing", "repeat", "resolved"])?,
            alert_id: map.get("alert_id").filter(|v| !v.is_empty()).cloned(),
            since,
            until,
            after_seq: number_param(map, "after_seq")?,
            unread_only,
            limit,
            offset: number_param(map, "offset")?.map_or(0, |o| o as usize),
        })
    }
}

/// Body of `POST /alerts/silences`.
#[derive(Debug, Deserialize)]
pub struct NewSilence {
    /// Label → value; null values are ignored.
    #[serde(default)]
    pub matchers: BTreeMap<String, Option<String>>,
    /// End time (RFC 3339); or `duration_seconds`.
    pub ends_at: Option<String>,
    /// Length from now.
    pub duration_seconds: Option<f64>,
    /// Why.
    #[serde(default)]
    pub comment: String,
    /// Who.
    pub created_by: Option<String>,
}

fn view(rec: AlertRecord) -> Value {
    let mut v = rec.row.item;
    if !v.is_object() {
        v = json!({});
    }
    v["seq"] = json!(rec.row.seq);
    v["event_id"] = json!(rec.row.message_id);
    v["read"] = json!(rec.read);
    v["silenced"] = json!(rec.row.silenced);
    v["acknowledged"] = json!(rec.acknowledged.is_some());
    v["ack"] = match rec.acknowledged {
        Some(a) => json!({"by": a.by, "comment": a.comment, "at": rfc3339(a.at)}),
        None => Value::Null,
    };
    v
}

fn silence_view(s: &Silence) -> Value {
    json!({
        "id": s.id,
        "matchers": s.matchers,
        "comment": s.comment,
        "created_by": s.created_by,
        "created_at": rfc3339(s.created_at),
        "ends_at": rfc3339(s.ends_at),
        "expired_at": s.expired_at.map(rfc3339),
        "active": s.active_at(Utc::now()),
    })
}

impl AlertService {
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn AlertStore) -> kato_dashboard_alert_store::Result<T> + Send + 'static,
    ) -> Result<T, ApiError> {
        let store = self.inner.store.clone();
        tokio::task::spawn_blocking(move || f(store.as_ref()))
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?
            .map_err(|e| ApiError::Internal(e.to_string()))
    }

    /// One page of history, newest first.
    pub async fn history(&self, q: HistoryQuery) -> Result<Value, ApiError> {
        let (limit, offset) = (q.limit, q.offset);
        let page = self.blocking(move |s| s.history(&q)).await?;
        let items: Vec<Value> = page.items.into_iter().map(view).collect();
        Ok(json!({"items": items, "total": page.total, "limit": limit, "offset": offset}))
    }

    /// How many alerts are firing now.
    pub fn firing_count(&self) -> usize {
        self.inner
            .firing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }

    /// Alerts firing now (as last sent) and pending.
    pub fn active(&self) -> Value {
        let firing: Vec<AlertItem> = self
            .inner
            .firing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .values()
            .cloned()
            .collect();
        let pending = self
            .inner
            .pending
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        json!({"firing": firing, "pending": pending, "count": firing.len()})
    }

    /// The rules in force, and the webhook's counters.
    pub fn rules_view(&self) -> Value {
        let mut v = message::rules_view(&self.inner.rules);
        v["webhook"] = match &self.inner.webhook {
            Some(w) => {
                let s = w.stats();
                let n =
                    |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
                json!({"configured": true, "sent": n(&s.sent), "failed": n(&s.failed),
                       "retries": n(&s.retries), "dropped": n(&s.dropped)})
            }
            None => json!({"configured": false}),
        };
        v
    }

    /// Marks an alert read (every event of its episode).
    pub async fn mark_read(&self, alert_id: String) -> Result<Value, ApiError> {
        let id = alert_id.clone();
        if !self.blocking(move |s| s.mark_read(&id)).await? {
            return Err(ApiError::NotFound(format!("no alert {alert_id}")));
        }
        let data = json!({ "alert_id": alert_id });
        let seq = self.publish_update("read", data.clone()).await;
        Ok(json!({"action": "read", "seq": seq, "data": data}))
    }

    /// Marks everything read.
    pub async fn read_all(&self) -> Result<Value, ApiError> {
        let ids = self.blocking(|s| s.mark_all_read()).await?;
        let data = json!({ "alert_ids": ids });
        let seq = self.publish_update("read_all", data.clone()).await;
        Ok(json!({"action": "read_all", "seq": seq, "data": data}))
    }

    /// Deletes the history.
    pub async fn clear(&self) -> Result<Value, ApiError> {
        let removed = self.blocking(|s| s.clear()).await?;
        let data = json!({ "removed": removed });
        let seq = self.publish_update("cleared", data.clone()).await;
        Ok(json!({"action": "cleared", "seq": seq, "data": data}))
    }

    /// Records who acknowledged an alert, and why.
    pub async fn acknowledge(
        &self,
        alert_id: String,
        by: String,
        comment: String,
    ) -> Result<Value, ApiError> {
        let ack = Ack {
            by,
            comment,
            at: Utc::now(),
        };
        let (id, a) = (alert_id.clone(), ack.clone());
        if !self.blocking(move |s| s.acknowledge(&id, &a)).await? {
            return Err(ApiError::NotFound(format!("no alert {alert_id}")));
        }
        let data = json!({"alert_id": alert_id, "by": ack.by, "comment": ack.comment, "at": rfc3339(ack.at)});
        let seq = self.publish_update("acknowledged", data.clone()).await;
        Ok(json!({"action": "acknowledged", "seq": seq, "data": data}))
    }

    /// Silences, in force only unless `all`.
    pub async fn silences(&self, all: bool) -> Result<Value, ApiError> {
        let list = self.blocking(move |s| s.silences(all, Utc::now())).await?;
        let views: Vec<Value> = list.iter().map(silence_view).collect();
        Ok(json!({ "silences": views }))
    }

    /// Creates a silence after checking it.
    pub async fn create_silence(&self, new: NewSilence) -> Result<Value, ApiError> {
        let now = Utc::now();
        let matchers: BTreeMap<String, String> = new
            .matchers
            .into_iter()
            .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| (k, v)))
            .collect();
        if matchers.is_empty() {
            return Err(ApiError::BadRequest(
                "matchers: at least one label (type, severity, container_name, alert_id, identity)"
                    .into(),
            ));
        }
        if let Some(k) = matchers
            .keys()
            .find(|k| !MATCHER_KEYS.contains(&k.as_str()))
        {
            return Err(ApiError::BadRequest(format!(
                "matchers: unknown label `{k}` (use {})",
                MATCHER_KEYS.join(", ")
            )));
        }
        let ends_at = match (new.ends_at.as_deref(), new.duration_seconds) {
            (Some(t), _) => DateTime::parse_from_rfc3339(t)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| {
                    ApiError::BadRequest(format!("ends_at: `{t}` is not an RFC 3339 time"))
                })?,
            (None, Some(d)) if d.is_finite() && d > 0.0 && d <= 366.0 * 86_400.0 => {
                now + chrono::Duration::milliseconds((d * 1000.0) as i64)
            }
            (None, Some(_)) => {
                return Err(ApiError::BadRequest(
                    "duration_seconds: must be positive and at most a year".into(),
                ));
            }
            (None, None) => {
                return Err(ApiError::BadRequest(
                    "ends_at or duration_seconds is required".into(),
                ));
            }
        };
        if ends_at <= now {
            return Err(ApiError::BadRequest("ends_at is in the past".into()));
        }
        let silence = Silence {
            id: format!(
                "silence-{}-{:04x}",
                now.timestamp_millis(),
                rand::random::<u16>()
            ),
            matchers,
            comment: new.comment,
            created_by: new.created_by.unwrap_or_else(|| "admin".into()),
            created_at: now,
            ends_at,
            expired_at: None,
        };
        let s = silence.clone();
        let list = self
            .blocking(move |st| {
                st.create_silence(&s)?;
                st.silences(false, Utc::now())
            })
            .await?;
        self.reload_silences(list);
        let data = json!({ "silence": silence_view(&silence) });
        let seq = self.publish_update("silence_created", data.clone()).await;
        Ok(json!({"action": "silence_created", "seq": seq, "data": data}))
    }

    /// Ends a silence now.
    pub async fn expire_silence(&self, id: String) -> Result<Value, ApiError> {
        let sid = id.clone();
        let (found, list) = self
            .blocking(move |st| {
                let found = st.expire_silence(&sid, Utc::now())?;
                Ok((found, st.silences(false, Utc::now())?))
            })
            .await?;
        self.reload_silences(list);
        if !found {
            return Err(ApiError::NotFound(format!("no silence {id} in force")));
        }
        let data = json!({ "silence_id": id });
        let seq = self.publish_update("silence_expired", data.clone()).await;
        Ok(json!({"action": "silence_expired", "seq": seq, "data": data}))
    }
}

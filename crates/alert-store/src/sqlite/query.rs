//! The history query: filters become a `WHERE` clause with bound parameters; rows are joined with their
//! acknowledgement.

use rusqlite::{Connection, Row, types::ToSql};

use super::{MAX_PAGE, from_ms, json_err, ms, to_i64};
use crate::{Ack, AlertRecord, AlertRow, HistoryPage, HistoryQuery, Result};

fn record(row: &Row<'_>) -> rusqlite::Result<(AlertRecord, String)> {
    let item: String = row.get(10)?;
    let ack_by: Option<String> = row.get(12)?;
    let acknowledged = match ack_by {
        Some(by) => Some(Ack {
            by,
            comment: row.get::<_, Option<String>>(13)?.unwrap_or_default(),
            at: from_ms(row.get::<_, Option<i64>>(14)?.unwrap_or(0)),
        }),
        None => None,
    };
    let rec = AlertRecord {
        row: AlertRow {
            seq: u64::try_from(row.get::<_, i64>(0)?).unwrap_or(0),
            message_id: row.get(1)?,
            alert_id: row.get(2)?,
            identity: row.get(3)?,
            rule: row.get(4)?,
            subject: row.get(5)?,
            state: row.get(6)?,
            severity: row.get(7)?,
            at: from_ms(row.get(8)?),
            silenced: row.get::<_, i64>(9)? != 0,
            item: serde_json::Value::Null,
        },
        read: row.get::<_, Option<i64>>(11)?.unwrap_or(0) != 0,
        acknowledged,
    };
    Ok((rec, item))
}

pub fn history(conn: &Connection, q: &HistoryQuery) -> Result<HistoryPage> {
    let mut clauses: Vec<&str> = Vec::new();
    let mut args: Vec<Box<dyn ToSql>> = Vec::new();
    let mut text_filter = |clause: &'static str, value: &Option<String>| {
        if let Some(v) = value {
            clauses.push(clause);
            args.push(Box::new(v.clone()));
        }
    };
    text_filter("a.severity = ?", &q.severity);
    text_filter("a.rule = ?", &q.rule);
    text_filter("a.state = ?", &q.state);
    text_filter("a.alert_id = ?", &q.alert_id);
    if let Some(t) = q.since {
        clauses.push("a.at_ms >= ?");
        args.push(Box::new(ms(t)));
    }
    if let Some(t) = q.until {
        clauses.push("a.at_ms < ?");
        args.push(Box::new(ms(t)));
    }
    if let Some(s) = q.after_seq {
        clauses.push("a.seq > ?");
        args.push(Box::new(to_i64(s)));
    }
    if q.unread_only {
        clauses.push("a.read = 0");
    }
    let filter = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    let from = "FROM alerts a LEFT JOIN flags f ON f.alert_id = a.alert_id";
    let refs: Vec<&dyn ToSql> = args.iter().map(|b| b.as_ref()).collect();
    let total: i64 = conn.query_row(
        &format!("SELECT COUNT(*) {from} {filter}"),
        refs.as_slice(),
        |r| r.get(0),
    )?;
    let sql = format!(
        "SELECT a.seq, a.message_id, a.alert_id, a.identity, a.rule, a.subject, a.state, a.severity, a.at_ms, \
         a.silenced, a.item, a.read, f.ack_by, f.ack_comment, f.ack_at_ms {from} {filter} \
         ORDER BY a.seq DESC LIMIT {} OFFSET {}",
        q.limit.min(MAX_PAGE),
        q.offset
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(refs.as_slice(), record)?;
    let mut items = Vec::new();
    for row in rows {
        let (mut rec, item) = row?;
        rec.row.item = serde_json::from_str(&item).map_err(json_err)?;
        items.push(rec);
    }
    Ok(HistoryPage {
        items,
        total: u64::try_from(total).unwrap_or(0),
    })
}

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{collections::BTreeMap, time::Duration};

use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;

use crate::*;

fn t(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + chrono::Duration::seconds(secs)
}

fn event(seq: u64, at: DateTime<Utc>) -> StoredEvent {
    StoredEvent {
        seq,
        at,
        kind: "system_alert".into(),
        text: format!("{{\"type\":\"system_alert\",\"seq\":{seq}}}"),
    }
}

fn row(
    seq: u64,
    alert_id: &str,
    rule: &str,
    state: &str,
    severity: &str,
    at: DateTime<Utc>,
) -> AlertRow {
    AlertRow {
        seq,
        message_id: format!("m{seq}"),
        alert_id: alert_id.into(),
        identity: alert_id.split('@').next().unwrap_or("").into(),
        rule: rule.into(),
        subject: String::new(),
        state: state.into(),
        severity: severity.into(),
        at,
        silenced: false,
        item: json!({"type": rule, "state": state, "alert_id": alert_id}),
    }
}

fn push(s: &SqliteStore, r: AlertRow, active: ActiveChange) {
    s.append(&event(r.seq, r.at), Some(&r), &active).unwrap();
}

fn fired(identity: &str, alert_id: &str) -> ActiveChange {
    ActiveChange::Upsert(ActiveRecord {
        identity: identity.into(),
        alert_id: alert_id.into(),
        data: json!({"identity": identity}),
    })
}

#[test]
fn appends_in_order_and_replays_events() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open_dir(dir.path()).unwrap();
    assert_eq!(s.last_seq().unwrap(), 0);
    push(
        &s,
        row(1, "high_cpu@1", "high_cpu", "firing", "warning", t(0)),
        fired("high_cpu", "high_cpu@1"),
    );
    s.append(&event(2, t(1)), None, &ActiveChange::Keep)
        .unwrap();
    let err = s
        .append(&event(2, t(2)), None, &ActiveChange::Keep)
        .unwrap_err();
    assert!(
        matches!(err, StoreError::OutOfOrder { given: 2, last: 2 }),
        "{err}"
    );
    assert_eq!(s.last_seq().unwrap(), 2);
    let after: Vec<u64> = s
        .events_after(0, 10)
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(after, vec![1, 2]);
    assert_eq!(s.events_after(1, 10).unwrap().len(), 1);
    assert_eq!(s.active().unwrap().len(), 1);
    push(
        &s,
        row(3, "high_cpu@1", "high_cpu", "resolved", "warning", t(5)),
        ActiveChange::Remove("high_cpu".into()),
    );
    assert!(s.active().unwrap().is_empty());
}

#[test]
fn history_filters_pages_and_bookkeeping() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open_dir(dir.path()).unwrap();
    push(
        &s,
        row(1, "a@1", "high_cpu", "firing", "warning", t(0)),
        ActiveChange::Keep,
    );
    push(
        &s,
        row(2, "b@1", "container_down", "firing", "critical", t(10)),
        ActiveChange::Keep,
    );
    push(
        &s,
        row(3, "a@1", "high_cpu", "resolved", "warning", t(20)),
        ActiveChange::Keep,
    );
    push(
        &s,
        row(4, "c@1", "high_error_rate", "firing", "critical", t(30)),
        ActiveChange::Keep,
    );

    let all = s
        .history(&HistoryQuery {
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(all.total, 4);
    assert_eq!(
        all.items.iter().map(|r| r.row.seq).collect::<Vec<_>>(),
        vec![4, 3, 2, 1],
        "newest first"
    );
    assert_eq!(all.items[0].row.item["type"], "high_error_rate");

    let q = |f: HistoryQuery| s.history(&HistoryQuery { limit: 10, ..f }).unwrap();
    assert_eq!(
        q(HistoryQuery {
            severity: Some("critical".into()),
            ..Default::default()
        })
        .total,
        2
    );
    assert_eq!(
        q(HistoryQuery {
            rule: Some("high_cpu".into()),
            ..Default::default()
        })
        .total,
        2
    );
    assert_eq!(
        q(HistoryQuery {
            state: Some("resolved".into()),
            ..Default::default()
        })
        .total,
        1
    );
    assert_eq!(
        q(HistoryQuery {
            since: Some(t(10)),
            until: Some(t(30)),
            ..Default::default()
        })
        .total,
        2
    );
    assert_eq!(
        q(HistoryQuery {
            after_seq: Some(2),
            ..Default::default()
        })
        .total,
        2
    );
    let page = s
        .history(&HistoryQuery {
            limit: 2,
            offset: 2,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(page.total, 4);
    assert_eq!(
        page.items.iter().map(|r| r.row.seq).collect::<Vec<_>>(),
        vec![2, 1]
    );

    assert!(s.mark_read("a@1").unwrap());
    assert!(!s.mark_read("nope").unwrap());
    let unread = q(HistoryQuery {
        unread_only: true,
        ..Default::default()
    });
    assert_eq!(unread.total, 2);
    assert_eq!(
        s.mark_all_read().unwrap(),
        vec!["b@1".to_string(), "c@1".to_string()]
    );
    assert!(s.mark_all_read().unwrap().is_empty());

    let ack = Ack {
        by: "ops".into(),
        comment: "on it".into(),
        at: t(40),
    };
    assert!(s.acknowledge("b@1", &ack).unwrap());
    assert!(!s.acknowledge("zzz", &ack).unwrap());
    let b = q(HistoryQuery {
        alert_id: Some("b@1".into()),
        ..Default::default()
    });
    assert_eq!(b.items[0].acknowledged.as_ref(), Some(&ack));
    assert!(b.items[0].read);

    assert_eq!(s.clear().unwrap(), 4);
    assert_eq!(q(HistoryQuery::default()).total, 0);
    assert_eq!(
        s.last_seq().unwrap(),
        4,
        "numbering continues after clearing"
    );
}

#[test]
fn silences_match_labels_and_expire() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open_dir(dir.path()).unwrap();
    let silence = Silence {
        id: "s1".into(),
        matchers: BTreeMap::from([("type".to_string(), "container_cpu".to_string())]),
        comment: "maintenance".into(),
        created_by: "ops".into(),
        created_at: t(0),
        ends_at: t(3600),
        expired_at: None,
    };
    s.create_silence(&silence).unwrap();
    let labels = BTreeMap::from([
        ("type".to_string(), "container_cpu".to_string()),
        ("container_name".to_string(), "kato".to_string()),
    ]);
    let listed = s.silences(false, t(10)).unwrap();
    assert_eq!(listed, vec![silence.clone()]);
    assert!(listed[0].matches(&labels, t(10)));
    assert!(!listed[0].matches(&BTreeMap::new(), t(10)));
    assert!(!listed[0].matches(&labels, t(3600)), "over at ends_at");
    assert!(s.expire_silence("s1", t(20)).unwrap());
    assert!(!s.expire_silence("s1", t(30)).unwrap(), "already expired");
    assert!(s.silences(false, t(30)).unwrap().is_empty());
    let all = s.silences(true, t(30)).unwrap();
    assert_eq!(all[0].expired_at, Some(t(20)));
    assert!(!all[0].matches(&labels, t(30)));
}

#[test]
fn survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let s = SqliteStore::open_dir(dir.path()).unwrap();
        push(
            &s,
            row(7, "a@1", "high_cpu", "firing", "warning", t(0)),
            fired("high_cpu", "a@1"),
        );
        s.mark_read("a@1").unwrap();
    }
    let s = SqliteStore::open_dir(dir.path()).unwrap();
    assert_eq!(s.last_seq().unwrap(), 7);
    let active = s.active().unwrap();
    assert_eq!(active.len(), 1);
    assert_eq!(active[0].data, json!({"identity": "high_cpu"}));
    let h = s
        .history(&HistoryQuery {
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(h.total, 1);
    assert!(h.items[0].read);
    assert_eq!(s.events_after(0, 10).unwrap()[0].seq, 7);
}

#[test]
fn refuses_a_newer_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alerts.sqlite3");
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.pragma_update(None, "user_version", 99).unwrap();
    }
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(
        matches!(err, StoreError::NewerSchema { found: 99, .. }),
        "{err}"
    );
}

#[test]
fn retention_by_age_and_count() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open_dir(dir.path()).unwrap();
    for seq in 1..=10u64 {
        let at = t(i64::try_from(seq).unwrap() * 3600);
        push(
            &s,
            row(
                seq,
                &format!("x@{seq}"),
                "high_cpu",
                "firing",
                "warning",
                at,
            ),
            ActiveChange::Keep,
        );
    }
    // Keep 8 hours back from hour 10: hours 2..=10 (2 is exactly at the cut-off and stays).
    let removed = s
        .apply_retention(
            &Retention {
                max_age: Some(Duration::from_secs(8 * 3600)),
                max_events: None,
            },
            t(10 * 3600),
        )
        .unwrap();
    assert_eq!(removed, 1);
    let removed = s
        .apply_retention(
            &Retention {
                max_age: None,
                max_events: Some(4),
            },
            t(10 * 3600),
        )
        .unwrap();
    assert_eq!(removed, 5);
    let h = s
        .history(&HistoryQuery {
            limit: 100,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        h.items.iter().map(|r| r.row.seq).collect::<Vec<_>>(),
        vec![10, 9, 8, 7]
    );
    assert_eq!(s.events_after(0, 100).unwrap().len(), 4);
    assert_eq!(s.last_seq().unwrap(), 10);
    assert!(
        !s.mark_read("x@1").unwrap(),
        "bookkeeping of removed alerts goes too"
    );
}

#[test]
fn read_marks_the_events_so_far_and_later_ones_start_unread() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open_dir(dir.path()).unwrap();
    push(
        &s,
        row(1, "a@1", "high_cpu", "firing", "warning", t(0)),
        ActiveChange::Keep,
    );
    assert!(s.mark_read("a@1").unwrap());
    push(
        &s,
        row(2, "a@1", "high_cpu", "repeat", "warning", t(60)),
        ActiveChange::Keep,
    );
    let h = s
        .history(&HistoryQuery {
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    let read: Vec<(u64, bool)> = h.items.iter().map(|r| (r.row.seq, r.read)).collect();
    assert_eq!(read, vec![(2, false), (1, true)]);
    assert_eq!(s.mark_all_read().unwrap(), vec!["a@1".to_string()]);
}

#[test]
fn appends_take_well_under_a_millisecond() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open_dir(dir.path()).unwrap();
    let n = 2000u64;
    let started = std::time::Instant::now();
    for seq in 1..=n {
        let r = row(seq, "a@1", "high_cpu", "repeat", "warning", t(0));
        push(&s, r, fired("high_cpu", "a@1"));
    }
    let per = started.elapsed() / u32::try_from(n).unwrap();
    let started = std::time::Instant::now();
    let page = s
        .history(&HistoryQuery {
            rule: Some("high_cpu".into()),
            limit: 100,
            offset: 1000,
            ..Default::default()
        })
        .unwrap();
    let query = started.elapsed();
    eprintln!(
        "figure: append (event + history row + active upsert) {per:?} each; filtered page at offset 1000 of {n}: {query:?}"
    );
    assert_eq!(page.items.len(), 100);
    // Generous bounds: a debug build on a loaded 2-core machine.
    assert!(per < std::time::Duration::from_millis(5), "{per:?}");
    assert!(query < std::time::Duration::from_millis(200), "{query:?}");
}

use super::*;
use serde_json::json;

fn page(ids: &[&str], total: u64) -> SessionPage {
    serde_json::from_value(json!({
        "sessions": ids.iter().map(|id| json!({"session_id": id, "node_id": "n1", "created_at": null,
            "expires_at": "2026-11-22T08:10:00.000Z", "ttl_seconds": 60, "metadata": null})).collect::<Vec<_>>(),
        "total": total, "page": 1, "pages": 1, "source": "redis",
        "summary": {"active_count": total, "total_count": 9, "sources": {"redis": {"state": "ok"}}}
    }))
    .unwrap()
}

fn event(created: bool, id: &str, reason: Option<&str>) -> SessionEventView {
    let msg: ServerMsg = serde_json::from_value(json!({
        "type": "session_event",
        "event_type": if created { "session_created" } else { "session_destroyed" },
        "timestamp": "2026-11-22T08:00:00.000Z", "seq": 4,
        "data": {"session_id": id, "node_id": "n1", "reason": reason, "current_count": 3}
    }))
    .unwrap();
    SessionEventView::from_msg(&msg).unwrap()
}

#[test]
fn the_server_page_parses_with_its_summary() {
    let mut t = SessionsTable::default();
    t.apply_page(page(&["a", "b"], 2), 0.0);
    assert_eq!(t.rows.len(), 2);
    assert_eq!(t.total, Some(2));
    let s = t.summary.as_ref().unwrap();
    assert_eq!(s.active, Some(2.0));
    assert!(s.redis.as_ref().unwrap().is_ok());
    assert_eq!(
        expires_ms(&t.rows[0], 0.0),
        parse_ts_ms("2026-11-22T08:10:00.000Z")
    );
    let no_expiry = SessionRow {
        expires_at: None,
        ..t.rows[0].clone()
    };
    assert_eq!(expires_ms(&no_expiry, 1000.0), Some(61_000.0));
}

#[test]
fn a_created_session_appears_at_the_top_at_once_and_is_highlighted() {
    let mut t = SessionsTable::default();
    t.apply_page(page(&["a", "b"], 2), 0.0);
    assert!(
        t.apply_event(&event(true, "c", None), 100.0),
        "refetch for the details"
    );
    assert_eq!(t.rows[0].session_id, "c");
    assert_eq!(t.total, Some(3));
    assert_eq!(t.mark("c"), Some(&Mark::New));
    assert!(
        !t.apply_event(&event(true, "c", None), 150.0),
        "the same event twice changes nothing"
    );
    assert_eq!(t.total, Some(3));
    // The refetch brings the full row; the highlight stays until it times out.
    t.apply_page(page(&["c", "a", "b"], 3), 200.0);
    assert_eq!(t.mark("c"), Some(&Mark::New));
    assert!(t.expire(100.0 + NEW_MARK_MS));
    assert_eq!(t.mark("c"), None);
    assert_eq!(t.rows.len(), 3);
}

#[test]
fn created_sessions_off_this_page_only_count() {
    let mut t = SessionsTable::default();
    t.query.search = "zzz".into();
    t.apply_page(page(&["a"], 1), 0.0);
    t.apply_event(&event(true, "c", None), 1.0);
    assert_eq!(t.rows.len(), 1, "does not match the search");
    t.query = SessionQuery {
        page: 1,
        ..SessionQuery::default()
    };
    t.apply_event(&event(true, "d", None), 2.0);
    assert_eq!(t.rows.len(), 1, "not the first page");
}

#[test]
fn a_destroyed_session_fades_out_even_across_a_refetch() {
    let mut t = SessionsTable::default();
    t.apply_page(page(&["a", "b", "c"], 3), 0.0);
    t.apply_event(&event(false, "b", Some("expired")), 10.0);
    assert_eq!(t.mark("b"), Some(&Mark::Leaving("expired".into())));
    assert_eq!(t.total, Some(2));
    // The refetch no longer has "b": it stays in place until its mark ends.
    t.apply_page(page(&["a", "c"], 2), 20.0);
    assert_eq!(
        t.rows
            .iter()
            .map(|r| r.session_id.as_str())
            .collect::<Vec<_>>(),
        vec!["a", "b", "c"]
    );
    t.expire(10.0 + LEAVING_MARK_MS);
    assert_eq!(t.rows.len(), 2);
    assert!(!t.expire(1e12), "nothing left to expire");
}

#[test]
fn queries_encode_search_and_toggle_sort() {
    let mut q = SessionQuery::default();
    assert_eq!(
        q.to_query_string(),
        "skip=0&limit=25&sort=created_at&order=desc"
    );
    q.search = " node a&b ".into();
    q.page = 2;
    assert_eq!(
        q.to_query_string(),
        "skip=50&limit=25&sort=created_at&order=desc&search=node%20a%26b"
    );
    q.toggle_sort(SortKey::CreatedAt);
    assert!(!q.desc && q.page == 0);
    q.toggle_sort(SortKey::NodeId);
    assert_eq!((q.sort, q.desc), (SortKey::NodeId, false));
    q.toggle_sort(SortKey::TtlSeconds);
    assert!(q.desc);
    assert_eq!(encode_component("é/"), "%C3%A9%2F");
}

#[test]
fn errors_keep_the_rows_and_summaries_update_live() {
    let mut t = SessionsTable::default();
    t.apply_page(page(&["a"], 1), 0.0);
    t.apply_error("503: redis down".into());
    assert_eq!(t.rows.len(), 1);
    assert!(t.error.is_some());
    t.apply_summary(&json!({"active_count": null, "sources": {"redis": {"state": "unavailable", "reason": "x"}}}));
    let s = t.summary.as_ref().unwrap();
    assert_eq!(s.active, None, "unknown, not 0");
    assert_eq!(s.redis.as_ref().and_then(|r| r.reason()), Some("x"));
}

//! Tests of the shared time range: the URL round trip, the step choice and drag-to-zoom.

use super::*;

const DAY: TimeRange = TimeRange::Last(86_400);

#[test]
fn spans_parse_and_print_in_the_shortest_unit() {
    for (text, secs) in [
        ("15m", 900),
        ("1h", 3_600),
        ("6h", 21_600),
        ("7d", 604_800),
        ("90s", 90),
    ] {
        assert_eq!(parse_span(text), Some(secs), "{text}");
        assert_eq!(span_text(secs), text);
    }
    assert_eq!(span_text(120), "2m");
    for bad in ["", "h", "0h", "-5m", "5x", "1.5h", "ünf"] {
        assert_eq!(parse_span(bad), None, "{bad:?}");
    }
}

#[test]
fn the_url_restores_the_range() {
    let q = |r: Option<&str>, f: Option<&str>, t: Option<&str>| TimeRange::from_query(r, f, t, DAY);
    assert_eq!(q(Some("6h"), None, None), TimeRange::Last(21_600));
    assert_eq!(q(None, None, None), DAY, "no range: the page's default");
    assert_eq!(q(Some("soon"), None, None), DAY, "a bad range: the default");
    let abs = TimeRange::Between {
        from: 1_765_100_000,
        to: 1_765_103_600,
    };
    assert_eq!(
        q(Some("6h"), Some("1765100000"), Some("1765103600")),
        abs,
        "from/to win"
    );
    assert_eq!(
        q(None, Some("2025-12-07T09:33:20Z"), Some("1765103600")),
        abs,
        "RFC 3339 is accepted too"
    );
    assert_eq!(
        q(None, Some("1765103600"), Some("1765100000")),
        DAY,
        "reversed: ignored"
    );
    assert_eq!(
        q(None, Some("1765100000"), None),
        DAY,
        "half a span: ignored"
    );
    for r in [TimeRange::Last(21_600), TimeRange::Last(90), abs] {
        let query = r.to_query();
        let get = |k: &str| {
            query
                .split('&')
                .find_map(|kv| kv.strip_prefix(k).and_then(|v| v.strip_prefix('=')))
        };
        assert_eq!(
            TimeRange::from_query(get("range"), get("from"), get("to"), DAY),
            r,
            "{query}"
        );
    }
    assert_eq!(abs.to_query(), "from=1765100000&to=1765103600");
    assert_eq!(TimeRange::Last(604_800).to_query(), "range=7d");
}

#[test]
fn windows_end_now_for_relative_ranges_only() {
    let now = 1_765_103_600_500.0;
    assert_eq!(
        TimeRange::Last(3_600).window_ms(now),
        (now - 3_600_000.0, now)
    );
    assert_eq!(
        TimeRange::Last(3_600).window_s(now),
        (1_765_100_000, 1_765_103_601)
    );
    let abs = TimeRange::Between { from: 10, to: 70 };
    assert_eq!(abs.window_ms(now), (10_000.0, 70_000.0));
    assert!(TimeRange::Last(60).is_live() && !abs.is_live());
    assert_eq!(abs.span_s(), 60);
    assert_eq!(TimeRange::Last(21_600).preset(), Some("6h"));
    assert_eq!(TimeRange::Last(7_200).preset(), None);
    assert_eq!(abs.preset(), None);
}

#[test]
fn steps_give_a_few_hundred_points_on_the_tiers() {
    for (span, step) in [
        (900, 2),
        (3_600, 5),
        (21_600, 60),
        (86_400, 120),
        (604_800, 900),
        (2_592_000, 3_600),
        (60, 1),
        (31_536_000, 43_200),
    ] {
        assert_eq!(chart_step(span), step, "span {span}");
        let points = span / step;
        assert!(points <= 800, "span {span}: {points} points");
    }
    for (span, step) in [
        (900, 60),
        (3_600, 60),
        (21_600, 600),
        (86_400, 3_600),
        (2_592_000, 3_600),
    ] {
        assert_eq!(count_step(span), step, "span {span}");
    }
    assert_eq!(per_step(3_600), "per hour");
    assert_eq!(per_step(600), "per 10 min");
    assert_eq!(per_step(60), "per minute");
    assert_eq!(per_step(7_200), "per 2 h");
    assert_eq!(per_step(15), "per 15 s");
}

#[test]
fn dragging_across_a_chart_selects_an_absolute_range() {
    // A chart of one hour from t = 1 000 000 s, 600 px wide at x = 100.
    let (from, to) = (1_000_000_000.0, 1_003_600_000.0);
    let a = fraction(250.0, 100.0, 600.0);
    let b = fraction(400.0, 100.0, 600.0);
    assert_eq!((a, b), (0.25, 0.5));
    let want = TimeRange::Between {
        from: 1_000_900,
        to: 1_001_800,
    };
    assert_eq!(drag_range(from, to, a, b), Some(want));
    assert_eq!(
        drag_range(from, to, b, a),
        Some(want),
        "dragging right to left"
    );
    assert_eq!(
        fraction(-50.0, 100.0, 600.0),
        0.0,
        "outside the chart: its edge"
    );
    assert_eq!(fraction(10.0, 0.0, 0.0), 0.0);
    assert_eq!(drag_range(from, to, 0.5, 0.505), None, "a click is no zoom");
    assert_eq!(
        drag_range(0.0, 100_000.0, 0.1, 0.11),
        None,
        "under two seconds"
    );
    assert_eq!(
        drag_range(from, to, -1.0, 2.0),
        Some(TimeRange::Between {
            from: 1_000_000,
            to: 1_003_600
        })
    );
}

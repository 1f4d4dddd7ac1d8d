//! The Analytics page's non-history answers: top patterns by frequency (`/analytics/patterns/frequency`) and the
//! load prediction (`/analytics/predictions/load`), read leniently from `serde_json::Value`. Pure, tested natively.

use serde_json::Value;

use super::history_api::insertion_sort;
use super::json::{num, text};

/// One bar of "top patterns".
#[derive(Debug, Clone, PartialEq)]
pub struct PatternBar {
    pub pattern: String,
    pub frequency: f64,
    pub kb: String,
}

/// The top patterns, most frequent first, and the knowledge bases they come from.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TopPatterns {
    pub bars: Vec<PatternBar>,
    /// Knowledge bases seen in the answer, sorted, for the selector.
    pub kbs: Vec<String>,
    /// The server's error (the endpoint answers 200 with `error` when its store fails).
    pub error: Option<String>,
}

impl TopPatterns {
    /// Reads either shape (all knowledge bases, or one with `processor_id`).
    pub fn from_value(v: &Value) -> Self {
        let kb_of_answer = text(v, "processor_id").unwrap_or_default();
        let mut bars: Vec<PatternBar> = v
            .get("patterns")
            .and_then(Value::as_array)
            .map(|l| {
                l.iter()
                    .filter_map(|p| {
                        Some(PatternBar {
                            pattern: text(p, "pattern").unwrap_or_else(|| "—".into()),
                            frequency: num(p, "frequency")?,
                            kb: text(p, "processor_id").unwrap_or_else(|| kb_of_answer.clone()),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        insertion_sort(&mut bars, |a, b| a.frequency > b.frequency);
        let mut kbs: Vec<String> = bars
            .iter()
            .map(|b| b.kb.clone())
            .filter(|k| !k.is_empty())
            .collect();
        kbs.sort();
        kbs.dedup();
        TopPatterns {
            bars,
            kbs,
            error: text(v, "error"),
        }
    }

    /// The largest frequency (the bars' 100 %).
    pub fn max(&self) -> f64 {
        self.bars.iter().map(|b| b.frequency).fold(0.0, f64::max)
    }
}

/// `text` safe inside HTML text and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

impl TopPatterns {
    /// The bars as list items (one `inner_html` instead of a view per row keeps the WASM small); the knowledge
    /// base is tagged when `show_kb`. `int` formats the frequencies.
    pub fn bars_html(&self, show_kb: bool, int: fn(f64) -> String) -> String {
        let max = self.max().max(1.0);
        self.bars
            .iter()
            .map(|b| {
                let p = escape_html(&b.pattern);
                let kb = if show_kb {
                    format!("<span class=\"pill small\">{}</span>", escape_html(&b.kb))
                } else {
                    String::new()
                };
                format!(
                    "<li><span class=\"hbar-label mono\" title=\"{p}\">{p}</span>{kb}<span class=\"hbar\"><i style=\"width:{:.1}%\"></i></span><b class=\"num\">{}</b></li>",
                    b.frequency / max * 100.0,
                    int(b.frequency)
                )
            })
            .collect()
    }
}

/// `<option>`s of the knowledge-base selector: "All" (value ``) and each KB, the chosen one selected.
pub fn kb_options_html(kbs: &[String], chosen: Option<&str>) -> String {
    let sel = |on: bool| if on { " selected" } else { "" };
    let mut out = format!("<option value=\"\"{}>All</option>", sel(chosen.is_none()));
    for k in kbs {
        let e = escape_html(k);
        out.push_str(&format!(
            "<option value=\"{e}\"{}>{e}</option>",
            sel(chosen == Some(k.as_str()))
        ));
    }
    out
}

/// The load prediction's figures.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LoadView {
    pub cpu_percent: Option<f64>,
    pub memory_percent: Option<f64>,
    pub active_sessions: Option<f64>,
    pub cpu_trend: Option<String>,
    pub memory_trend: Option<String>,
    pub capacity_percent: Option<f64>,
    pub sessions_capacity: Option<f64>,
    pub action: Option<String>,
}

impl LoadView {
    /// Reads the answer.
    pub fn from_value(v: &Value) -> Self {
        LoadView {
            cpu_percent: num(v, "current_load.cpu_percent"),
            memory_percent: num(v, "current_load.memory_percent"),
            active_sessions: num(v, "current_load.active_sessions"),
            cpu_trend: text(v, "trends.cpu_trend"),
            memory_trend: text(v, "trends.memory_trend"),
            capacity_percent: num(v, "predictions.estimated_capacity_utilization"),
            sessions_capacity: num(v, "predictions.estimated_sessions_capacity"),
            action: text(v, "predictions.recommended_action"),
        }
    }

    /// The recommendation's tone, from its first word (`Critical:`, `Warning:`, `Approaching…`, `Normal:`).
    pub fn tone(&self) -> &'static str {
        match self
            .action
            .as_deref()
            .and_then(|a| a.split([':', ' ']).next())
        {
            Some("Critical") => "bad",
            Some("Warning" | "Approaching") => "warn",
            Some("Normal") => "ok",
            _ => "idle",
        }
    }
}

/// A trend word's tone (`high` / `moderate` / `low`).
pub fn trend_tone(trend: Option<&str>) -> &'static str {
    match trend {
        Some("high") => "bad",
        Some("moderate") => "warn",
        Some("low") => "ok",
        _ => "idle",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn top_patterns_read_both_shapes_most_frequent_first() {
        let all = TopPatterns::from_value(&json!({
            "patterns": [{"pattern": "PTRN|a", "frequency": 3, "processor_id": "kb2"},
                         {"pattern": "PTRN|b", "frequency": 9, "processor_id": "kb1"},
                         {"pattern": "PTRN|c", "frequency": null, "processor_id": "kb1"},
                         {"frequency": 1, "processor_id": "kb1"}],
            "total_processors": 2, "total_patterns_analyzed": 4
        }));
        let names: Vec<&str> = all.bars.iter().map(|b| b.pattern.as_str()).collect();
        assert_eq!(names, vec!["PTRN|b", "PTRN|a", "—"]);
        assert_eq!(all.kbs, vec!["kb1".to_string(), "kb2".to_string()]);
        assert_eq!(all.max(), 9.0);
        let one = TopPatterns::from_value(&json!({
            "processor_id": "kb1", "patterns": [{"pattern": "p", "frequency": 2}], "total_patterns": 1
        }));
        assert_eq!(one.bars[0].kb, "kb1");
        let failed = TopPatterns::from_value(&json!({"patterns": [], "error": "mongo down"}));
        assert_eq!(failed.error.as_deref(), Some("mongo down"));
        assert_eq!(failed.max(), 0.0);
    }

    #[test]
    fn bars_and_options_are_escaped_html() {
        assert_eq!(
            escape_html("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
        let t = TopPatterns::from_value(&json!({"patterns": [
            {"pattern": "<b>", "frequency": 4, "processor_id": "kb1"},
            {"pattern": "p2", "frequency": 2, "processor_id": "kb2"}]}));
        let html = t.bars_html(true, |n| format!("{n}"));
        assert!(html.starts_with("<li><span class=\"hbar-label mono\" title=\"&lt;b&gt;\">&lt;b&gt;</span><span class=\"pill small\">kb1</span>"), "{html}");
        assert!(
            html.contains("width:100.0%")
                && html.contains("width:50.0%")
                && html.contains("<b class=\"num\">4</b>")
        );
        assert!(!t.bars_html(false, |n| format!("{n}")).contains("pill"));
        assert!(
            TopPatterns::default()
                .bars_html(true, |n| format!("{n}"))
                .is_empty()
        );
        let kbs = vec!["kb1".to_string(), "a\"b".to_string()];
        assert_eq!(
            kb_options_html(&kbs, Some("kb1")),
            "<option value=\"\">All</option><option value=\"kb1\" selected>kb1</option><option value=\"a&quot;b\">a&quot;b</option>"
        );
        assert!(kb_options_html(&[], None).contains("value=\"\" selected>All"));
    }

    #[test]
    fn the_load_prediction_reads_with_tones() {
        let v = LoadView::from_value(&json!({
            "current_load": {"cpu_percent": 72.5, "memory_percent": 40.0, "active_sessions": 12},
            "trends": {"cpu_trend": "moderate", "memory_trend": "low"},
            "predictions": {"estimated_capacity_utilization": 1.2, "estimated_sessions_capacity": 1000,
                            "recommended_action": "Warning: Monitor closely, consider scaling soon"},
            "timestamp": "2026-01-01T00:00:00Z"
        }));
        assert_eq!(v.cpu_percent, Some(72.5));
        assert_eq!(v.active_sessions, Some(12.0));
        assert_eq!(v.sessions_capacity, Some(1000.0));
        assert_eq!(v.tone(), "warn");
        assert_eq!(trend_tone(v.cpu_trend.as_deref()), "warn");
        assert_eq!(trend_tone(v.memory_trend.as_deref()), "ok");
        assert_eq!(trend_tone(None), "idle");
        assert_eq!(LoadView::default().tone(), "idle");
        let crit = LoadView {
            action: Some("Critical: scale".into()),
            ..LoadView::default()
        };
        assert_eq!(crit.tone(), "bad");
    }
}

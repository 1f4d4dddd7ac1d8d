//! Pure helpers of the database pages: cursor stacks for paging backwards through APIs that only page forwards
//! (Qdrant scroll offsets, Redis SCAN cursors), vector previews, TTL text and JSON text for cells.

use serde_json::Value;

/// Cursors of the pages seen so far: the last is the current page's. `None` is the first page.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct CursorStack {
    stack: Vec<Option<String>>,
}

impl CursorStack {
    /// At the first page.
    pub fn new() -> Self {
        Self { stack: vec![None] }
    }

    /// The cursor of the current page.
    pub fn current(&self) -> Option<String> {
        self.stack.last().cloned().flatten()
    }

    /// 1-based page number.
    pub fn page(&self) -> usize {
        self.stack.len().max(1)
    }

    /// Whether there is a previous page.
    pub fn can_back(&self) -> bool {
        self.stack.len() > 1
    }

    /// Moves to the page that starts at `next`.
    pub fn forward(&mut self, next: String) {
        self.stack.push(Some(next));
    }

    /// Moves back one page.
    pub fn back(&mut self) {
        if self.stack.len() > 1 {
            self.stack.pop();
        }
    }
}

/// A point id or cursor from JSON (`7` or `"5c56…"`) as text.
pub fn id_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The first `n` values with 4 decimals, and how many more there are.
pub fn vector_preview(v: &[f64], n: usize) -> (String, usize) {
    let head: Vec<String> = v.iter().take(n).map(|x| format!("{x:.4}")).collect();
    (head.join(", "), v.len().saturating_sub(n))
}

/// Redis TTL seconds as text: `-1` no expiry, `-2` gone.
pub fn ttl_text(ttl: Option<i64>) -> String {
    match ttl {
        None => "—".into(),
        Some(-1) => "no expiry".into(),
        Some(-2) | Some(i64::MIN..=-3) => "expired".into(),
        Some(s) => crate::format::duration(s as f64),
    }
}

/// A JSON value for a table cell: strings bare, everything else compact JSON, cut at `max` characters.
pub fn cell(v: &Value, max: usize) -> String {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".into(),
        other => other.to_string(),
    };
    if text.chars().count() > max {
        let cut: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    } else {
        text
    }
}

/// Checks a MongoDB filter typed by the user: empty, or a JSON object.
pub fn parse_filter(text: &str) -> Result<Option<String>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    match serde_json::from_str::<Value>(t) {
        Ok(Value::Object(_)) => Ok(Some(t.to_owned())),
        Ok(_) => Err("the filter must be a JSON object, e.g. {\"name\": \"x\"}".into()),
        Err(e) => Err(format!("not JSON: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_cursor_stack_goes_back_to_the_exact_previous_page() {
        let mut s = CursorStack::new();
        assert_eq!((s.current(), s.page(), s.can_back()), (None, 1, false));
        s.forward("11".into());
        s.forward("5c56c793-69f3-4fbf-87e6-c4bf54c28c26".into());
        assert_eq!(s.page(), 3);
        s.back();
        assert_eq!(s.current().as_deref(), Some("11"));
        s.back();
        s.back();
        assert_eq!((s.current(), s.page()), (None, 1));
    }

    #[test]
    fn cells_ttls_vectors_and_filters() {
        assert_eq!(id_text(&json!(7)), "7");
        assert_eq!(id_text(&json!("a-b")), "a-b");
        assert_eq!(
            vector_preview(&[0.123_456, 1.0, 2.0], 2),
            ("0.1235, 1.0000".into(), 1)
        );
        assert_eq!(ttl_text(Some(-1)), "no expiry");
        assert_eq!(ttl_text(Some(-2)), "expired");
        assert_eq!(cell(&json!({"a": 1}), 100), "{\"a\":1}");
        assert_eq!(cell(&json!("abcdef"), 4), "abc…");
        assert_eq!(parse_filter("  "), Ok(None));
        assert!(parse_filter("[1]").is_err());
        assert!(parse_filter("{x").is_err());
        assert_eq!(parse_filter("{\"a\":1}"), Ok(Some("{\"a\":1}".into())));
    }
}

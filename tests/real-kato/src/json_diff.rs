//! Structural comparison of two JSON answers (values, and the order of each object's keys), with named fields left
//! out: every difference elsewhere is reported by its path (`performance.total_requests`,
//! `processor_manager.processors[0].idle_seconds`).

use serde_json::Value;

/// `path` with array indexes written `[]`, the form ignore patterns use.
pub fn normalized(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push_str("[]");
            }
            ']' => in_index = false,
            _ if in_index => {}
            _ => out.push(c),
        }
    }
    out
}

/// Whether `path` is `pattern` or lies under it.
fn ignored(path: &str, ignore: &[&str]) -> bool {
    let p = normalized(path);
    ignore.iter().any(|pat| {
        p == *pat
            || p.strip_prefix(pat)
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
    })
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s
    }
}

fn walk(a: &Value, b: &Value, path: &str, ignore: &[&str], out: &mut Vec<String>) {
    if ignored(path, ignore) {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            // The same keys in another order are still a change of what KATO sent (serde_json keeps the order).
            let (kx, ky): (Vec<&String>, Vec<&String>) = (x.keys().collect(), y.keys().collect());
            if kx != ky && x.len() == y.len() && x.keys().all(|k| y.contains_key(k)) {
                let at = if path.is_empty() { "(root)" } else { path };
                out.push(format!("{at}: key order {kx:?} vs {ky:?}"));
            }
            for (k, va) in x {
                match y.get(k) {
                    Some(vb) => walk(va, vb, &join(path, k), ignore, out),
                    None if !ignored(&join(path, k), ignore) => {
                        out.push(format!("{}: only in the first", join(path, k)))
                    }
                    None => {}
                }
            }
            for k in y.keys().filter(|k| !x.contains_key(*k)) {
                if !ignored(&join(path, k), ignore) {
                    out.push(format!("{}: only in the second", join(path, k)));
                }
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                out.push(format!("{path}: {} vs {} elements", x.len(), y.len()));
            }
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                walk(va, vb, &format!("{path}[{i}]"), ignore, out);
            }
        }
        _ if a == b => {}
        _ => out.push(format!(
            "{}: {} vs {}",
            if path.is_empty() { "(root)" } else { path },
            short(a),
            short(b)
        )),
    }
}

/// Every difference between `a` and `b` outside the `ignore` paths (array indexes written `[]`).
pub fn diff(a: &Value, b: &Value, ignore: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    walk(a, b, "", ignore, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ignores_named_paths_and_reports_the_rest() {
        let a = json!({"t": 1, "p": {"n": 1, "list": [{"idle": 1.0, "id": "a"}]}, "x": [1, 2]});
        let b = json!({"t": 2, "p": {"n": 2, "list": [{"idle": 2.0, "id": "a"}]}, "x": [1, 3], "new": true});
        let d = diff(&a, &b, &["t", "p.list[].idle"]);
        assert_eq!(
            d,
            vec!["p.n: 1 vs 2", "x[1]: 2 vs 3", "new: only in the second"]
        );
        assert!(diff(&a, &a, &[]).is_empty());
        assert!(diff(&a, &b, &["t", "p", "x", "new"]).is_empty());
        let reordered: Value = serde_json::from_str(r#"{"b": 1, "a": 2}"#).unwrap_or_default();
        let ordered: Value = serde_json::from_str(r#"{"a": 2, "b": 1}"#).unwrap_or_default();
        assert_eq!(
            diff(&reordered, &ordered, &[]),
            vec![r#"(root): key order ["b", "a"] vs ["a", "b"]"#]
        );
    }
}

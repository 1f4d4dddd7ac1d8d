//! Compact patches between two JSON values, for opt-in delta updates.
//!
//! A merge patch in the spirit of RFC 7386, made exact: `null` is a value, not a deletion, and arrays of the
//! same length are patched element by element (a container list changes in place every second).
//!
//! Patch grammar, applied to a target value:
//! - an object patch on an object target: each key is set to its value, or patched recursively when both the
//!   patch value and the current value are objects (or the array form below); keys listed in `"$del"` are removed;
//! - `{"$a": {"<index>": patch, …}}` on an array target: patches those elements;
//! - `{"$set": value}` anywhere: replaces the target with `value` (used when a new value would be ambiguous);
//! - anything else replaces the target.
//!
//! `apply(old, diff(old, new)) == new` for every pair of values (tested).

use serde_json::{Map, Value};

/// The patch turning `old` into `new`, or `None` when they are equal.
pub fn diff(old: &Value, new: &Value) -> Option<Value> {
    if old == new {
        return None;
    }
    Some(match (old, new) {
        // Data keys that look like patch operators are sent whole, so they are never misread.
        (Value::Object(o), Value::Object(n)) if !has_operator_key(o) && !has_operator_key(n) => {
            Value::Object(diff_objects(o, n))
        }
        (Value::Array(o), Value::Array(n)) if o.len() == n.len() => {
            let mut changed = Map::new();
            for (i, (a, b)) in o.iter().zip(n).enumerate() {
                if let Some(p) = diff(a, b) {
                    changed.insert(i.to_string(), p);
                }
            }
            let patch = Value::Object(Map::from_iter([("$a".to_string(), Value::Object(changed))]));
            // Patching element by element only pays when few elements changed.
            if encoded_len(&patch) < encoded_len(new) {
                patch
            } else {
                replacement(new)
            }
        }
        _ => replacement(new),
    })
}

fn diff_objects(o: &Map<String, Value>, n: &Map<String, Value>) -> Map<String, Value> {
    let mut patch = Map::new();
    for (k, nv) in n {
        match o.get(k) {
            Some(ov) => {
                if let Some(p) = diff(ov, nv) {
                    patch.insert(k.clone(), p);
                }
            }
            None => {
                patch.insert(k.clone(), replacement(nv));
            }
        }
    }
    let deleted: Vec<Value> = o
        .keys()
        .filter(|k| !n.contains_key(*k))
        .map(|k| Value::String(k.clone()))
        .collect();
    if !deleted.is_empty() {
        patch.insert("$del".into(), Value::Array(deleted));
    }
    patch
}

fn has_operator_key(map: &Map<String, Value>) -> bool {
    map.keys().any(|k| k.starts_with('$'))
}

/// A value that replaces whatever is there: objects and arrays are wrapped so `apply` can't mistake them for
/// patches.
fn replacement(new: &Value) -> Value {
    match new {
        Value::Object(_) | Value::Array(_) => {
            Value::Object(Map::from_iter([("$set".to_string(), new.clone())]))
        }
        other => other.clone(),
    }
}

fn encoded_len(v: &Value) -> usize {
    serde_json::to_string(v)
        .map(|s| s.len())
        .unwrap_or(usize::MAX)
}

/// Applies a patch made by [`diff`] in place.
pub fn apply(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if let Some(v) = p.get("$set") {
        *target = v.clone();
        return;
    }
    if let (Some(Value::Object(elements)), Value::Array(items)) = (p.get("$a"), &mut *target) {
        for (index, ep) in elements {
            if let Some(item) = index.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                apply(item, ep);
            }
        }
        return;
    }
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(t) = target else { return };
    for (k, v) in p {
        if k == "$del" {
            for key in v.as_array().into_iter().flatten().filter_map(Value::as_str) {
                t.remove(key);
            }
            continue;
        }
        match t.get_mut(k) {
            Some(existing) if v.is_object() => apply(existing, v),
            _ => {
                let mut fresh = Value::Null;
                apply(&mut fresh, v);
                t.insert(k.clone(), fresh);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(old: Value, new: Value) -> Option<Value> {
        let patch = diff(&old, &new);
        let mut patched = old.clone();
        if let Some(p) = &patch {
            apply(&mut patched, p);
        }
        assert_eq!(patched, new, "old {old} patch {patch:?}");
        patch
    }

    #[test]
    fn equal_values_need_no_patch() {
        assert_eq!(
            round_trip(
                json!({"a": [1, {"b": null}]}),
                json!({"a": [1, {"b": null}]})
            ),
            None
        );
    }

    #[test]
    fn patches_are_exact_for_every_kind_of_change() {
        let cases = [
            (json!({"a": 1, "b": 2}), json!({"a": 1, "b": 3})),
            (json!({"a": 1}), json!({"a": null})),
            (json!({"a": null}), json!({"a": {"x": 1}})),
            (json!({"a": 1, "gone": true}), json!({"a": 1})),
            (
                json!({"a": {"x": 1, "y": 2}}),
                json!({"a": {"x": 1, "y": 5, "z": [1]}}),
            ),
            (json!({"list": [1, 2, 3]}), json!({"list": [1, 2]})),
            (
                json!({"list": [{"cpu": 1.0, "name": "kato"}, {"cpu": 2.0, "name": "redis"}]}),
                json!({"list": [{"cpu": 1.5, "name": "kato"}, {"cpu": 2.0, "name": "redis"}]}),
            ),
            (json!([1, 2]), json!({"$a": {"0": 5}})),
            (json!({"k": 1}), json!({"k": {"$set": 1}})),
            (json!({"k": {"a": 1}}), json!({"k": [1]})),
            (json!("x"), json!(["y"])),
            (json!({"k": [1]}), json!({"k": {"a": 1}})),
            (json!({"m": {"$del": 1}}), json!({"m": {"$del": 2, "x": 1}})),
            (json!({"m": {"a": 1}}), json!({"m": {"$set": 2}})),
        ];
        for (old, new) in cases {
            round_trip(old, new);
        }
    }

    #[test]
    fn a_small_change_gives_a_small_patch() {
        let containers: Vec<Value> =
            (0..4).map(|i| json!({"name": format!("kato-{i}"), "cpu": 1.0, "memory": {"usage_bytes": 1000, "limit_bytes": 99999}})).collect();
        let old =
            json!({"containers": containers.clone(), "aggregated": {"total_cpu_percent": 4.0}});
        let mut changed = containers;
        changed[2]["cpu"] = json!(7.5);
        let new = json!({"containers": changed, "aggregated": {"total_cpu_percent": 10.5}});
        let patch = round_trip(old, new.clone()).unwrap();
        assert_eq!(
            patch,
            json!({"containers": {"$a": {"2": {"cpu": 7.5}}}, "aggregated": {"total_cpu_percent": 10.5}})
        );
        assert!(encoded_len(&patch) * 4 < encoded_len(&new));
    }
}

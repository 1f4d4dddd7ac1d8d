//! Checking what users send before it reaches MongoDB: names, ids, JSON filters, sort fields, search text.

use mongodb::bson::{Bson, Document, doc, oid::ObjectId};
use serde_json::Value;

use crate::error::{MongoBrowseError, Result};

/// Databases the browser never reads or writes.
pub const SYSTEM_DATABASES: [&str; 3] = ["admin", "config", "local"];
/// Largest JSON filter accepted, in bytes of its JSON text.
pub const MAX_FILTER_BYTES: usize = 8 * 1024;
/// Operators that run code on the server; refused anywhere in a filter or update.
const CODE_OPERATORS: [&str; 3] = ["$where", "$function", "$accumulator"];
/// Deepest nesting accepted in a filter.
const MAX_DEPTH: usize = 20;

/// A database name the browser may use: not a system database, and a legal MongoDB name.
pub fn database(name: &str) -> Result<&str> {
    if SYSTEM_DATABASES.contains(&name) {
        return Err(MongoBrowseError::Forbidden(format!(
            "database `{name}` is a MongoDB system database; the browser never touches it"
        )));
    }
    // MongoDB's portable rule (its Windows list included: `*<>:|?`), and ASCII: KATO names its databases after
    // processor ids.
    if name.is_empty()
        || name.len() > 64
        || !name.is_ascii()
        || name.contains([
            '/', '\\', '.', ' ', '"', '$', '\0', '*', '<', '>', ':', '|', '?',
        ])
    {
        return Err(MongoBrowseError::BadRequest(format!(
            "`{name}` is not a valid database name"
        )));
    }
    Ok(name)
}

/// A collection name the browser may use (no `system.*`, no `$`).
pub fn collection(name: &str) -> Result<&str> {
    if name.is_empty()
        || name.len() > 200
        || name.contains(['$', '\0'])
        || name.starts_with("system.")
    {
        return Err(MongoBrowseError::BadRequest(format!(
            "`{name}` is not a collection the browser reads"
        )));
    }
    Ok(name)
}

/// The `_id` filter for an id taken from a URL: an ObjectId when it parses as one (KATO's ids), else the
/// string. A 24-hex id matches either form, so string ids that look like ObjectIds still work.
pub fn id_filter(id: &str) -> Document {
    match ObjectId::parse_str(id) {
        Ok(oid) => doc! { "_id": { "$in": [Bson::ObjectId(oid), Bson::String(id.to_owned())] } },
        Err(_) => doc! { "_id": id },
    }
}

/// `_id: {$in: [...]}` for many ids, each as ObjectId and/or string as in [`id_filter`].
pub fn ids_filter(ids: &[String]) -> Document {
    let mut values = Vec::with_capacity(ids.len() * 2);
    for id in ids {
        if let Ok(oid) = ObjectId::parse_str(id) {
            values.push(Bson::ObjectId(oid));
        }
        values.push(Bson::String(id.clone()));
    }
    doc! { "_id": { "$in": values } }
}

/// Parses a user filter (MongoDB Extended JSON, so `{"_id": {"$oid": "…"}}` works) after checking its size and
/// refusing server-side code.
pub fn json_filter(text: Option<&str>) -> Result<Document> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(Document::new());
    };
    if text.len() > MAX_FILTER_BYTES {
        return Err(MongoBrowseError::BadRequest(format!(
            "filter is {} bytes; at most {MAX_FILTER_BYTES} are accepted",
            text.len()
        )));
    }
    let value: Value = serde_json::from_str(text)
        .map_err(|e| MongoBrowseError::BadRequest(format!("filter is not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(MongoBrowseError::BadRequest(
            "filter must be a JSON object".into(),
        ));
    }
    json_document(value, "filter")
}

/// Converts a checked JSON object into a BSON document (Extended JSON aware).
pub fn json_document(value: Value, what: &str) -> Result<Document> {
    refuse_code(&value, what, 0)?;
    match Bson::try_from(value) {
        Ok(Bson::Document(d)) => Ok(d),
        Ok(_) => Err(MongoBrowseError::BadRequest(format!(
            "{what} must be a JSON object"
        ))),
        Err(e) => Err(MongoBrowseError::BadRequest(format!(
            "{what} is not valid Extended JSON: {e}"
        ))),
    }
}

fn refuse_code(value: &Value, what: &str, depth: usize) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(MongoBrowseError::BadRequest(format!(
            "{what} is nested deeper than {MAX_DEPTH} levels"
        )));
    }
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                if CODE_OPERATORS.contains(&key.as_str()) {
                    return Err(MongoBrowseError::BadRequest(format!(
                        "{what} uses `{key}`, which runs code on the server and is refused"
                    )));
                }
                refuse_code(inner, what, depth + 1)?;
            }
            Ok(())
        }
        Value::Array(items) => items
            .iter()
            .try_for_each(|v| refuse_code(v, what, depth + 1)),
        _ => Ok(()),
    }
}

/// The fields of a `$set` update: a non-empty object whose keys are plain field paths (no operators, no `_id`).
pub fn set_fields(value: Value) -> Result<Document> {
    let Value::Object(map) = &value else {
        return Err(MongoBrowseError::BadRequest(
            "update body must be a JSON object of fields".into(),
        ));
    };
    if map.is_empty() {
        return Err(MongoBrowseError::BadRequest(
            "update body has no fields".into(),
        ));
    }
    for key in map.keys() {
        if key.starts_with('$') || key.is_empty() {
            return Err(MongoBrowseError::BadRequest(format!(
                "`{key}` is not a field name (give fields to set, not update operators)"
            )));
        }
        if key == "_id" || key.starts_with("_id.") {
            return Err(MongoBrowseError::BadRequest(
                "`_id` cannot be changed".into(),
            ));
        }
    }
    json_document(value, "update")
}

/// A sort field from a query string: a plain field path.
pub fn sort_field(name: &str) -> Result<&str> {
    if name.is_empty() || name.len() > 100 || name.starts_with('$') || name.contains('\0') {
        return Err(MongoBrowseError::BadRequest(format!(
            "cannot sort by `{name}`"
        )));
    }
    Ok(name)
}

/// Sort direction from `1`/`-1`/`asc`/`desc` (the old API took `-1..1`, where 0 failed inside MongoDB).
pub fn sort_order(value: Option<&str>) -> Result<i32> {
    match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None | Some("" | "-1" | "desc" | "descending") => Ok(-1),
        Some("1" | "asc" | "ascending") => Ok(1),
        Some(other) => Err(MongoBrowseError::BadRequest(format!(
            "sort_order must be 1, -1, asc or desc, not `{other}`"
        ))),
    }
}

/// Escapes regular-expression metacharacters so search text matches literally.
pub fn escape_regex(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if "\\^$.|?*+()[]{}/-".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn code_operators_are_refused_at_any_depth() {
        for bad in [
            r#"{"$where": "1"}"#,
            r#"{"a": {"$function": {"body": "x"}}}"#,
            r#"{"$and": [{"b": 1}, {"$expr": {"$accumulator": {}}}]}"#,
        ] {
            let err = json_filter(Some(bad)).unwrap_err();
            assert!(matches!(err, MongoBrowseError::BadRequest(_)), "{bad}");
        }
        assert!(json_filter(Some("[1]")).is_err());
        assert!(
            json_filter(Some(&format!(
                r#"{{"a": "{}"}}"#,
                "x".repeat(MAX_FILTER_BYTES)
            )))
            .is_err()
        );
        let ok = json_filter(Some(
            r#"{"_id": {"$oid": "6920f43bdc0b3f3d3d4a3c11"}, "frequency": {"$gte": 2}}"#,
        ))
        .unwrap();
        assert!(matches!(ok.get("_id"), Some(Bson::ObjectId(_))));
        assert!(json_filter(None).unwrap().is_empty());
    }

    #[test]
    fn ids_try_object_id_then_string() {
        let f = id_filter("6920f43bdc0b3f3d3d4a3c11");
        let inner = f.get_document("_id").unwrap().get_array("$in").unwrap();
        assert!(matches!(inner[0], Bson::ObjectId(_)));
        assert_eq!(inner[1], Bson::String("6920f43bdc0b3f3d3d4a3c11".into()));
        assert_eq!(id_filter("abc"), doc! {"_id": "abc"});
    }

    #[test]
    fn names_orders_and_regex() {
        assert!(matches!(
            database("admin"),
            Err(MongoBrowseError::Forbidden(_))
        ));
        assert!(database("a.b").is_err());
        assert!(database("sensor_alpha_kato").is_ok());
        assert!(collection("system.users").is_err());
        assert_eq!(sort_order(Some("asc")).unwrap(), 1);
        assert_eq!(sort_order(None).unwrap(), -1);
        assert!(sort_order(Some("0")).is_err());
        assert_eq!(escape_regex("a.b*(c)"), r"a\.b\*\(c\)");
        assert!(set_fields(serde_json::json!({"$set": {"a": 1}})).is_err());
        assert!(set_fields(serde_json::json!({"_id": 1})).is_err());
        assert!(set_fields(serde_json::json!({"frequency": 3})).is_ok());
    }
}

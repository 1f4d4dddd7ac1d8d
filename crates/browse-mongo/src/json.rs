//! BSON → JSON for answers: ObjectIds become their hex string (as the old dashboard sent them), everything
//! else relaxed Extended JSON (numbers stay numbers; dates, binaries and the like keep their `$` wrapper).

use mongodb::bson::{Bson, Document};
use serde_json::{Map, Value};

/// A document as JSON.
pub fn to_json(doc: Document) -> Value {
    Value::Object(
        doc.into_iter()
            .map(|(k, v)| (k, bson_to_json(v)))
            .collect::<Map<_, _>>(),
    )
}

fn bson_to_json(value: Bson) -> Value {
    match value {
        Bson::ObjectId(oid) => Value::String(oid.to_hex()),
        Bson::Document(d) => to_json(d),
        Bson::Array(items) => Value::Array(items.into_iter().map(bson_to_json).collect()),
        other => other.into_relaxed_extjson(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use mongodb::bson::{doc, oid::ObjectId};

    use super::*;

    #[test]
    fn object_ids_are_hex_and_numbers_stay_numbers() {
        let oid = ObjectId::parse_str("6920f43bdc0b3f3d3d4a3c11").unwrap();
        let v = to_json(doc! {"_id": oid, "n": 3_i32, "x": 1.0_f64, "a": [{"id": oid}]});
        assert_eq!(v["_id"], "6920f43bdc0b3f3d3d4a3c11");
        assert_eq!(v["n"], 3);
        assert!(v["x"].is_f64());
        assert_eq!(v["a"][0]["id"], "6920f43bdc0b3f3d3d4a3c11");
    }
}

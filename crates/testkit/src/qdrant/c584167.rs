//! The collections KATO c584167 wrote, read from `stores-c584167/qdrant`: `collections.json` names each collection
//! with its vector size, distance and points file; each point has a UUID id, a `vctr_name` payload and its vector.

use std::collections::{BTreeMap, HashMap};

use qdrant_client::qdrant::{Distance, Value};
use serde_json::Value as Json;

use super::store::{Collection, Key, Point};
use crate::{Error, Result, fixtures::kato_fixtures_dir};

fn read(path: &std::path::Path) -> Result<Json> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        what: format!("read {}", path.display()),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| Error::Io {
        what: format!("parse {}", path.display()),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
    })
}

fn bad(what: &str) -> Error {
    Error::Io {
        what: format!("stores-c584167/qdrant: {what}"),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, "unexpected shape"),
    }
}

fn distance(name: &str) -> Distance {
    match name.to_ascii_lowercase().as_str() {
        "cosine" => Distance::Cosine,
        "dot" => Distance::Dot,
        "manhattan" => Distance::Manhattan,
        _ => Distance::Euclid,
    }
}

fn payload_value(v: &Json) -> Value {
    match v {
        Json::String(s) => Value::from(s.clone()),
        Json::Bool(b) => Value::from(*b),
        Json::Number(n) => n
            .as_i64()
            .map(Value::from)
            .unwrap_or_else(|| Value::from(n.as_f64().unwrap_or_default())),
        other => Value::from(other.to_string()),
    }
}

/// Every collection of the recording with its points.
pub(super) fn collections() -> Result<BTreeMap<String, Collection>> {
    let dir = kato_fixtures_dir().join("stores-c584167/qdrant");
    let index = read(&dir.join("collections.json"))?;
    let mut out = BTreeMap::new();
    for c in index["collections"]
        .as_array()
        .ok_or_else(|| bad("no collections"))?
    {
        let name = c["name"]
            .as_str()
            .ok_or_else(|| bad("a collection without name"))?;
        let size = c["vector_size"]
            .as_u64()
            .ok_or_else(|| bad("no vector_size"))?;
        let mut collection = Collection::new(size, distance(c["distance"].as_str().unwrap_or("")));
        let file = c["points_file"]
            .as_str()
            .ok_or_else(|| bad("no points_file"))?;
        for p in read(&dir.join(file))?
            .as_array()
            .ok_or_else(|| bad("points are not a list"))?
        {
            let key = match &p["id"] {
                Json::Number(n) => Key::Num(n.as_u64().ok_or_else(|| bad("a negative id"))?),
                Json::String(s) => Key::Uuid(s.to_ascii_lowercase()),
                _ => return Err(bad("a point without id")),
            };
            let vector = p["vector"]
                .as_array()
                .ok_or_else(|| bad("a point without vector"))?
                .iter()
                .map(|x| x.as_f64().unwrap_or_default() as f32)
                .collect();
            let payload: HashMap<String, Value> = p["payload"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), payload_value(v)))
                        .collect()
                })
                .unwrap_or_default();
            collection.points.insert(key, Point { vector, payload });
        }
        out.insert(name.to_owned(), collection);
    }
    Ok(out)
}

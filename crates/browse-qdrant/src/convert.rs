//! Conversions between Qdrant's generated protobuf types and the browser's JSON and id types.

use std::collections::HashMap;

use qdrant_client::qdrant::{
    CollectionInfo, Distance, PointId, RetrievedPoint, Value, VectorsOutput,
    point_id::PointIdOptions, value::Kind, vector_output, vectors_config,
    vectors_output::VectorsOptions,
};

use crate::model::{CollectionSummary, PointKey, PointView};

impl From<PointKey> for PointId {
    fn from(key: PointKey) -> Self {
        let options = match key {
            PointKey::Num(n) => PointIdOptions::Num(n),
            PointKey::Uuid(u) => PointIdOptions::Uuid(u),
        };
        PointId {
            point_id_options: Some(options),
        }
    }
}

/// The id of a point Qdrant returned; `None` when it has none (never from a real server).
pub(crate) fn key_of(id: Option<PointId>) -> Option<PointKey> {
    match id?.point_id_options? {
        PointIdOptions::Num(n) => Some(PointKey::Num(n)),
        PointIdOptions::Uuid(u) => Some(PointKey::Uuid(u)),
    }
}

/// A payload as a JSON object.
pub(crate) fn payload_json(payload: HashMap<String, Value>) -> serde_json::Value {
    serde_json::Value::Object(
        payload
            .into_iter()
            .map(|(k, v)| (k, value_json(v)))
            .collect(),
    )
}

/// One payload value as JSON. Integers stay integers; a non-finite float becomes `null` (JSON has none).
pub(crate) fn value_json(value: Value) -> serde_json::Value {
    use serde_json::Value as J;
    match value.kind {
        None | Some(Kind::NullValue(_)) => J::Null,
        Some(Kind::BoolValue(b)) => J::Bool(b),
        Some(Kind::IntegerValue(i)) => J::from(i),
        Some(Kind::DoubleValue(d)) => serde_json::Number::from_f64(d).map_or(J::Null, J::Number),
        Some(Kind::StringValue(s)) => J::String(s),
        Some(Kind::ListValue(list)) => J::Array(list.values.into_iter().map(value_json).collect()),
        Some(Kind::StructValue(st)) => payload_json(st.fields),
    }
}

/// The default dense vector of a point. Reads the current `dense` field and falls back to the deprecated flat
/// `data`, which older servers fill. Named vectors: the only one, or none when there are several.
pub(crate) fn dense_vector(vectors: Option<VectorsOutput>) -> Option<Vec<f32>> {
    let output = match vectors?.vectors_options? {
        VectorsOptions::Vector(v) => v,
        VectorsOptions::Vectors(named) => {
            let mut all = named.vectors.into_values();
            let only = all.next()?;
            if all.next().is_some() {
                return None;
            }
            only
        }
    };
    match output.vector {
        Some(vector_output::Vector::Dense(dense)) => Some(dense.data),
        Some(_) => None,
        #[allow(deprecated)]
        None => Some(output.data),
    }
}

pub(crate) fn point_view(
    p: RetrievedPoint,
    with_payload: bool,
    with_vectors: bool,
) -> Option<PointView> {
    Some(PointView {
        id: key_of(p.id)?,
        payload: with_payload.then(|| payload_json(p.payload)),
        vector: if with_vectors {
            dense_vector(p.vectors)
        } else {
            None
        },
    })
}

pub(crate) fn summary(name: String, info: &CollectionInfo) -> CollectionSummary {
    let (vector_size, distance) = vector_params(info);
    CollectionSummary {
        name,
        vectors_count: info.points_count,
        points_count: info.points_count,
        vector_size,
        distance,
        status: Some(status_name(info.status)),
        error: None,
    }
}

/// Size and distance of the default (unnamed) vector.
pub(crate) fn vector_params(info: &CollectionInfo) -> (Option<u64>, Option<String>) {
    let config = info
        .config
        .as_ref()
        .and_then(|c| c.params.as_ref())
        .and_then(|p| p.vectors_config.as_ref())
        .and_then(|v| v.config.as_ref());
    match config {
        Some(vectors_config::Config::Params(params)) => (
            Some(params.size),
            Some(Distance::try_from(params.distance).map_or_else(
                |_| format!("UNKNOWN({})", params.distance),
                |d| d.as_str_name().to_ascii_uppercase(),
            )),
        ),
        _ => (None, None),
    }
}

pub(crate) fn status_name(status: i32) -> String {
    qdrant_client::qdrant::CollectionStatus::try_from(status).map_or_else(
        |_| format!("UNKNOWN({status})"),
        |s| s.as_str_name().to_ascii_uppercase(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use qdrant_client::qdrant::{DenseVector, ListValue, Struct, VectorOutput};

    #[test]
    fn payload_values_become_json() {
        let payload = HashMap::from([
            ("name".to_owned(), Value::from("VCTR|ab")),
            ("n".to_owned(), Value::from(3_i64)),
            ("x".to_owned(), Value::from(0.5_f64)),
            (
                "tags".to_owned(),
                Value {
                    kind: Some(Kind::ListValue(ListValue {
                        values: vec![Value::from(true)],
                    })),
                },
            ),
            (
                "nested".to_owned(),
                Value {
                    kind: Some(Kind::StructValue(Struct {
                        fields: HashMap::from([("nan".to_owned(), Value::from(f64::NAN))]),
                    })),
                },
            ),
        ]);
        assert_eq!(
            payload_json(payload),
            serde_json::json!({"name": "VCTR|ab", "n": 3, "x": 0.5, "tags": [true], "nested": {"nan": null}})
        );
    }

    #[test]
    #[allow(deprecated)]
    fn vectors_are_read_from_either_field() {
        let dense = VectorOutput {
            vector: Some(vector_output::Vector::Dense(DenseVector {
                data: vec![1.0, 2.0],
            })),
            ..Default::default()
        };
        let flat = VectorOutput {
            data: vec![3.0],
            ..Default::default()
        };
        let wrap = |v| {
            Some(VectorsOutput {
                vectors_options: Some(VectorsOptions::Vector(v)),
            })
        };
        assert_eq!(dense_vector(wrap(dense)), Some(vec![1.0, 2.0]));
        assert_eq!(dense_vector(wrap(flat)), Some(vec![3.0]));
        assert_eq!(dense_vector(None), None);
    }
}

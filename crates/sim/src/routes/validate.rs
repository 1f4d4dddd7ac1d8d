//! Request validation with FastAPI/pydantic v2's 422 bodies:
//! `{"detail": [{"type", "loc", "msg", "input"}]}` (kato-api.md §1.5).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::Response;

use super::json;
use crate::json::Json;
use crate::obj;

/// Collected validation errors of one request.
#[derive(Default)]
pub(crate) struct Errors(Vec<Json>);

/// A location element: a field name or a list index.
pub(crate) enum Loc<'a> {
    Key(&'a str),
    Index(usize),
}

fn loc_json(loc: &[Loc<'_>]) -> Json {
    Json::Arr(
        loc.iter()
            .map(|l| match l {
                Loc::Key(k) => Json::from(*k),
                Loc::Index(i) => Json::from(*i),
            })
            .collect(),
    )
}

impl Errors {
    pub(crate) fn push(&mut self, ty: &str, loc: &[Loc<'_>], msg: &str, input: &Json) {
        self.0.push(obj! {
            "type" => ty,
            "loc" => loc_json(loc),
            "msg" => msg,
            "input" => input.clone(),
        });
    }

    /// `Err(422 response)` if any error was collected.
    pub(crate) fn finish(self) -> Result<(), Response> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(unprocessable(self.0))
        }
    }

    /// A list of strings.
    pub(crate) fn str_list(&mut self, loc: &[Loc<'_>], v: &Json) -> Vec<String> {
        let Some(items) = v.as_array() else {
            self.push("list_type", loc, "Input should be a valid list", v);
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item.as_str() {
                Some(s) => out.push(s.to_string()),
                None => self.push(
                    "string_type",
                    &with(loc, Loc::Index(i)),
                    "Input should be a valid string",
                    item,
                ),
            }
        }
        out
    }

    /// A list of lists of numbers.
    pub(crate) fn vectors(&mut self, loc: &[Loc<'_>], v: &Json) -> Vec<Vec<f64>> {
        let Some(items) = v.as_array() else {
            self.push("list_type", loc, "Input should be a valid list", v);
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, vector) in items.iter().enumerate() {
            let vloc = with(loc, Loc::Index(i));
            let Some(nums) = vector.as_array() else {
                self.push("list_type", &vloc, "Input should be a valid list", vector);
                continue;
            };
            let mut vec = Vec::with_capacity(nums.len());
            for (j, n) in nums.iter().enumerate() {
                match n.as_f64() {
                    Some(f) => vec.push(f),
                    None => self.push(
                        "float_type",
                        &with(&vloc, Loc::Index(j)),
                        "Input should be a valid number",
                        n,
                    ),
                }
            }
            out.push(vec);
        }
        out
    }

    /// A `dict[str, float]`.
    pub(crate) fn float_map(&mut self, loc: &[Loc<'_>], v: &Json) -> Vec<(String, f64)> {
        let Some(fields) = v.as_object() else {
            self.push("dict_type", loc, "Input should be a valid dictionary", v);
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, n) in fields {
            match n.as_f64() {
                Some(f) => out.push((k.clone(), f)),
                None => self.push(
                    "float_type",
                    &with(loc, Loc::Key(k)),
                    "Input should be a valid number",
                    n,
                ),
            }
        }
        out
    }

    /// A `dict[str, Any]`.
    pub(crate) fn dict(&mut self, loc: &[Loc<'_>], v: &Json) -> Json {
        if v.as_object().is_some() {
            v.clone()
        } else {
            self.push("dict_type", loc, "Input should be a valid dictionary", v);
            Json::object()
        }
    }

    /// An `int` (integral floats accepted, as pydantic's lax mode does).
    pub(crate) fn int(&mut self, loc: &[Loc<'_>], v: &Json) -> Option<i64> {
        match v {
            Json::Int(i) => Some(*i),
            Json::Float(f) if f.fract() == 0.0 => Some(*f as i64),
            Json::Float(_) => {
                self.push(
                    "int_from_float",
                    loc,
                    "Input should be a valid integer, got a number with a fractional part",
                    v,
                );
                None
            }
            Json::Str(s) => match s.trim().parse::<i64>() {
                Ok(i) => Some(i),
                Err(_) => {
                    self.push(
                        "int_parsing",
                        loc,
                        "Input should be a valid integer, unable to parse string as an integer",
                        v,
                    );
                    None
                }
            },
            _ => {
                self.push("int_type", loc, "Input should be a valid integer", v);
                None
            }
        }
    }

    /// A `str`.
    pub(crate) fn string(&mut self, loc: &[Loc<'_>], v: &Json) -> Option<String> {
        match v.as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                self.push("string_type", loc, "Input should be a valid string", v);
                None
            }
        }
    }

    /// A `bool`.
    pub(crate) fn boolean(&mut self, loc: &[Loc<'_>], v: &Json) -> bool {
        match v {
            Json::Bool(b) => *b,
            Json::Int(0) => false,
            Json::Int(1) => true,
            _ => {
                self.push("bool_type", loc, "Input should be a valid boolean", v);
                false
            }
        }
    }
}

fn with<'a>(loc: &[Loc<'a>], last: Loc<'a>) -> Vec<Loc<'a>> {
    let mut out: Vec<Loc<'a>> = loc
        .iter()
        .map(|l| match l {
            Loc::Key(k) => Loc::Key(k),
            Loc::Index(i) => Loc::Index(*i),
        })
        .collect();
    out.push(last);
    out
}

/// 422 with the given error items.
pub(crate) fn unprocessable(errors: Vec<Json>) -> Response {
    json(
        StatusCode::UNPROCESSABLE_ENTITY,
        &obj! { "detail" => Json::Arr(errors) },
    )
}

/// Parses a JSON request body into an object. `required`: an empty body is a "missing" error;
/// otherwise it reads as `{}`.
pub(crate) fn body_object(bytes: &Bytes, required: bool) -> Result<Json, Response> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        if required {
            let mut e = Errors::default();
            e.push(
                "missing",
                &[Loc::Key("body")],
                "Field required",
                &Json::Null,
            );
            e.finish()?;
        }
        return Ok(Json::object());
    }
    let v = Json::parse(bytes).map_err(|err| {
        let mut e = Errors::default();
        e.0.push(obj! {
            "type" => "json_invalid",
            "loc" => Json::Arr(vec![Json::from("body"), Json::from(err.column().saturating_sub(1))]),
            "msg" => "JSON decode error",
            "input" => Json::object(),
            "ctx" => obj! { "error" => "Expecting value" },
        });
        unprocessable(e.0)
    })?;
    if v.as_object().is_none() {
        let mut e = Errors::default();
        e.push(
            "model_attributes_type",
            &[Loc::Key("body")],
            "Input should be a valid dictionary or object to extract fields from",
            &v,
        );
        e.finish()?;
    }
    Ok(v)
}

/// An optional integer query parameter with a default, 422 (`int_parsing`) when malformed.
pub(crate) fn query_int(
    query: &HashMap<String, String>,
    name: &str,
    default: i64,
) -> Result<i64, Response> {
    match query.get(name) {
        None => Ok(default),
        Some(raw) => raw.trim().parse::<i64>().map_err(|_| {
            let mut e = Errors::default();
            e.push(
                "int_parsing",
                &[Loc::Key("query"), Loc::Key(name)],
                "Input should be a valid integer, unable to parse string as an integer",
                &Json::from(raw.as_str()),
            );
            unprocessable(e.0)
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_type_error_matches_fastapi() {
        let body = Json::parse(br#"{"strings": "not-a-list"}"#).unwrap();
        let mut e = Errors::default();
        e.str_list(
            &[Loc::Key("body"), Loc::Key("strings")],
            body.get("strings").unwrap(),
        );
        assert_eq!(
            Json::Arr(e.0).to_compact(),
            r#"[{"type":"list_type","loc":["body","strings"],"msg":"Input should be a valid list","input":"not-a-list"}]"#
        );
    }

    #[test]
    fn empty_and_invalid_bodies() {
        assert!(body_object(&Bytes::from_static(b""), false).is_ok());
        assert_eq!(
            body_object(&Bytes::from_static(b""), true)
                .unwrap_err()
                .status(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            body_object(&Bytes::from_static(b"{nope"), false)
                .unwrap_err()
                .status(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            body_object(&Bytes::from_static(b"[1]"), false)
                .unwrap_err()
                .status(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
}

//! JSON objects parsed with duplicate member names rejected at every depth (JWT-11).
//!
//! `serde_json` keeps the last of two equal names; a JOSE library must not, or a token could
//! show one `iss` to one parser and another to the next (RFC 7519 §4, RFC 7515 §5.2).

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::error::{ErrorKind, Segment};

/// Parse `bytes` as a JSON object, rejecting duplicate member names anywhere inside.
pub(crate) fn parse_object(
    bytes: &[u8],
    segment: Segment,
) -> Result<Map<String, Value>, ErrorKind> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = StrictValue
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v));
    match value {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ErrorKind::InvalidJson(segment)),
        Err(e) => {
            let msg = e.to_string();
            match msg.strip_prefix(DUPLICATE_PREFIX) {
                Some(rest) => Err(ErrorKind::DuplicateMember {
                    segment,
                    name: ErrorKind::echo(rest.split('\u{0}').next().unwrap_or_default()),
                }),
                None => Err(ErrorKind::InvalidJson(segment)),
            }
        }
    }
}

const DUPLICATE_PREFIX: &str = "duplicate member\u{0}";

struct StrictValue;

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictValue {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(StrictValue)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                // The NUL separates the name from serde_json's position suffix.
                return Err(de::Error::custom(format_args!(
                    "{DUPLICATE_PREFIX}{key}\u{0}"
                )));
            }
            let value = map.next_value_seed(StrictValue)?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_11_duplicate_member_names_rejected_at_any_depth() {
        assert_eq!(
            parse_object(br#"{"iss":"a","iss":"b"}"#, Segment::Payload),
            Err(ErrorKind::DuplicateMember {
                segment: Segment::Payload,
                name: "iss".into()
            })
        );
        assert_eq!(
            parse_object(br#"{"cnf":{"jkt":"a","jkt":"b"}}"#, Segment::Payload),
            Err(ErrorKind::DuplicateMember {
                segment: Segment::Payload,
                name: "jkt".into()
            })
        );
        assert_eq!(
            parse_object(br#"{"a":[{"x":1,"x":2}]}"#, Segment::Header),
            Err(ErrorKind::DuplicateMember {
                segment: Segment::Header,
                name: "x".into()
            })
        );
        // Escaped spellings of the same name are the same name.
        assert!(matches!(
            parse_object(br#"{"iss":"a","\u0069ss":"b"}"#, Segment::Payload),
            Err(ErrorKind::DuplicateMember { .. })
        ));
    }

    #[test]
    fn objects_only_and_no_trailing_data() {
        assert_eq!(
            parse_object(b"[1]", Segment::Header),
            Err(ErrorKind::InvalidJson(Segment::Header))
        );
        assert_eq!(
            parse_object(b"{} {}", Segment::Header),
            Err(ErrorKind::InvalidJson(Segment::Header))
        );
        assert_eq!(
            parse_object(b"{\"a\":1,}", Segment::Header),
            Err(ErrorKind::InvalidJson(Segment::Header))
        );
        assert!(parse_object(br#" {"a":{"b":[1,2.5,null,true]}} "#, Segment::Payload).is_ok());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(
            parse_object(deep.as_bytes(), Segment::Payload),
            Err(ErrorKind::InvalidJson(Segment::Payload))
        );
    }
}

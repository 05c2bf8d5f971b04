//! JSON objects parsed with duplicate member names rejected at every depth (JWT-11).
//!
//! `serde_json` keeps the last of two equal names; a JOSE library must not, or a token could
//! show one `iss` to one parser and another to the next (RFC 7519 §4, RFC 7515 §5.2).

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::map::Entry;
use serde_json::{Map, Value};

use crate::claims_object::ClaimsObject;
use crate::error::{ErrorKind, Segment};

/// Parse `bytes` as a JSON object of claims, rejecting duplicate member names anywhere inside.
pub(crate) fn parse_claims(bytes: &[u8], segment: Segment) -> Result<ClaimsObject, ErrorKind> {
    parse_with(bytes, segment, Claims)
}

/// Parse `bytes` as a JSON object as strictly as [`parse_claims`], keeping only the members
/// named in `names` (in that order): the others are checked and dropped, never built.
pub(crate) fn parse_object_picking<const N: usize>(
    bytes: &[u8],
    segment: Segment,
    names: &[&'static str; N],
) -> Result<[Option<Value>; N], ErrorKind> {
    parse_with(bytes, segment, Picking { names })
}

fn parse_with<'de, S: DeserializeSeed<'de>>(
    bytes: &'de [u8],
    segment: Segment,
    seed: S,
) -> Result<S::Value, ErrorKind> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = seed.deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    value.map_err(|e| {
        let msg = e.to_string();
        match msg.strip_prefix(DUPLICATE_PREFIX) {
            Some(rest) => ErrorKind::DuplicateMember {
                segment,
                name: ErrorKind::echo(rest.split('\u{0}').next().unwrap_or_default()),
            },
            None => ErrorKind::InvalidJson(segment),
        }
    })
}

fn duplicate<E: de::Error>(name: &str) -> E {
    // The NUL separates the name from serde_json's position suffix.
    E::custom(format_args!("{DUPLICATE_PREFIX}{name}\u{0}"))
}

/// Names already seen in one object: a short list, then a set, so that an object of many
/// members costs `n log n` comparisons, not `n²`.
#[derive(Default)]
struct SeenNames<'de> {
    few: Vec<Cow<'de, str>>,
    many: BTreeSet<Cow<'de, str>>,
}

/// Members compared linearly before [`SeenNames`] switches to a set.
const FEW_NAMES: usize = 16;

impl<'de> SeenNames<'de> {
    /// Records `name`; `false` when it was already seen.
    fn insert(&mut self, name: Cow<'de, str>) -> bool {
        if self.many.is_empty() {
            if self.few.contains(&name) {
                return false;
            }
            if self.few.len() < FEW_NAMES {
                self.few.push(name);
                return true;
            }
            self.many.extend(self.few.drain(..));
        }
        self.many.insert(name)
    }
}

/// A member name, borrowed from the input when it has no escapes.
struct Name;

impl<'de> DeserializeSeed<'de> for Name {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Name {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// A claims object: the top-level members kept in token order, their values built strictly.
struct Claims;

impl<'de> DeserializeSeed<'de> for Claims {
    type Value = ClaimsObject;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Claims {
    type Value = ClaimsObject;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut claims = ClaimsObject::with_typical_capacity();
        // A repeat is looked for among the members kept so far while they are few, then in a
        // set of the names (filled once, when the members outgrow the short list).
        let mut many: Option<SeenNames<'de>> = None;
        while let Some(name) = map.next_key_seed(Name)? {
            let repeated = match &mut many {
                Some(seen) => !seen.insert(name.clone()),
                None if claims.len() < FEW_NAMES => claims.contains_key(&name),
                None => {
                    let mut seen = SeenNames::default();
                    for earlier in claims.names() {
                        seen.insert(Cow::Owned(earlier.to_owned()));
                    }
                    let repeated = !seen.insert(name.clone());
                    many = Some(seen);
                    repeated
                }
            };
            if repeated {
                return Err(duplicate(&name));
            }
            claims.push_new(name, map.next_value_seed(StrictValue)?);
        }
        Ok(claims)
    }
}

/// The members of one object named in `names`, the others checked by [`StrictIgnored`].
struct Picking<'n, const N: usize> {
    names: &'n [&'static str; N],
}

impl<'de, const N: usize> DeserializeSeed<'de> for Picking<'_, N> {
    type Value = [Option<Value>; N];

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, const N: usize> Visitor<'de> for Picking<'_, N> {
    type Value = [Option<Value>; N];

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut picked: [Option<Value>; N] = [const { None }; N];
        // A picked name repeats when its slot is already filled; only the other names are
        // remembered, so a header of picked members alone allocates nothing for this.
        let mut others = SeenNames::default();
        while let Some(name) = map.next_key_seed(Name)? {
            let slot = self.names.iter().position(|n| *n == name);
            match slot.and_then(|i| picked.get_mut(i)) {
                Some(Some(_)) => return Err(duplicate(&name)),
                Some(slot) => *slot = Some(map.next_value_seed(StrictValue)?),
                None if !others.insert(name.clone()) => return Err(duplicate(&name)),
                None => map.next_value_seed(StrictIgnored)?,
            }
        }
        Ok(picked)
    }
}

/// Any JSON value, checked for duplicate member names at every depth and dropped.
struct StrictIgnored;

impl<'de> DeserializeSeed<'de> for StrictIgnored {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictIgnored {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(StrictIgnored)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = SeenNames::default();
        while let Some(name) = map.next_key_seed(Name)? {
            if !seen.insert(name.clone()) {
                return Err(duplicate(&name));
            }
            map.next_value_seed(StrictIgnored)?;
        }
        Ok(())
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
            // One search of the map per member: the entry tells whether the name repeats.
            match out.entry(key) {
                Entry::Occupied(seen) => return Err(duplicate(seen.key())),
                Entry::Vacant(slot) => {
                    slot.insert(map.next_value_seed(StrictValue)?);
                }
            }
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
            parse_claims(br#"{"iss":"a","iss":"b"}"#, Segment::Payload),
            Err(ErrorKind::DuplicateMember {
                segment: Segment::Payload,
                name: "iss".into()
            })
        );
        assert_eq!(
            parse_claims(br#"{"cnf":{"jkt":"a","jkt":"b"}}"#, Segment::Payload),
            Err(ErrorKind::DuplicateMember {
                segment: Segment::Payload,
                name: "jkt".into()
            })
        );
        assert_eq!(
            parse_claims(br#"{"a":[{"x":1,"x":2}]}"#, Segment::Header),
            Err(ErrorKind::DuplicateMember {
                segment: Segment::Header,
                name: "x".into()
            })
        );
        // Escaped spellings of the same name are the same name.
        assert!(matches!(
            parse_claims(br#"{"iss":"a","\u0069ss":"b"}"#, Segment::Payload),
            Err(ErrorKind::DuplicateMember { .. })
        ));
        // Past the short list of names: a repeat of an early member and of a late one.
        let many: Vec<String> = (0..40).map(|i| format!("\"m{i}\":{i}")).collect();
        for repeat in ["m3", "m30"] {
            let json = format!("{{{},\"{repeat}\":0}}", many.join(","));
            assert_eq!(
                parse_claims(json.as_bytes(), Segment::Payload),
                Err(ErrorKind::DuplicateMember {
                    segment: Segment::Payload,
                    name: repeat.into()
                })
            );
        }
        let json = format!("{{{}}}", many.join(","));
        assert_eq!(
            parse_claims(json.as_bytes(), Segment::Payload).map(|c| c.len()),
            Ok(40)
        );
    }

    #[test]
    fn jwt_11_picking_parse_is_as_strict_as_the_full_parse() {
        const NAMES: [&str; 2] = ["alg", "kid"];
        let pick = |json: &str| parse_object_picking(json.as_bytes(), Segment::Header, &NAMES);
        let dup = |name: &str| {
            Err(ErrorKind::DuplicateMember {
                segment: Segment::Header,
                name: name.into(),
            })
        };
        assert_eq!(
            pick(r#"{"alg":"ES256","x":[1,{"k":true}],"kid":"k1"}"#),
            Ok([Some(Value::from("ES256")), Some(Value::from("k1"))])
        );
        assert_eq!(pick(r#"{"x":1}"#), Ok([None, None]));
        // Repeats of picked and dropped members, escaped spellings, inside dropped values.
        assert_eq!(pick(r#"{"alg":"ES256","alg":"ES256"}"#), dup("alg"));
        assert_eq!(pick(r#"{"alg":null,"kid":"k","alg":"ES256"}"#), dup("alg"));
        assert_eq!(pick(r#"{"alg":"ES256","\u0061lg":"none"}"#), dup("alg"));
        assert_eq!(pick(r#"{"x":1,"x":2}"#), dup("x"));
        assert_eq!(pick(r#"{"x":[{"y":1,"y":2}]}"#), dup("y"));
        assert_eq!(pick(r#"{"kid":{"y":1,"y":2}}"#), dup("y"));
        // Past the short list, the set still finds the repeat.
        let many: Vec<String> = (0..40).map(|i| format!("\"m{i}\":{i}")).collect();
        let json = format!("{{{},\"m3\":0}}", many.join(","));
        assert_eq!(pick(&json), dup("m3"));
        let json = format!("{{{}}}", many.join(","));
        assert_eq!(pick(&json), Ok([None, None]));
        for bad in ["[1]", "\"alg\"", "{} {}", "{\"alg\":1,}", ""] {
            assert_eq!(
                pick(bad),
                Err(ErrorKind::InvalidJson(Segment::Header)),
                "{bad}"
            );
        }
    }

    proptest::proptest! {
        /// JWT-11: a claims object of up to 40 members (past the short list of names, so the
        /// set takes over) is refused exactly when a name repeats, and otherwise holds what
        /// `serde_json` reads.
        #[test]
        fn jwt_11_claims_refused_exactly_when_a_name_repeats(
            names in proptest::collection::vec("[a-z]{1,2}", 0..40)
        ) {
            let members: Vec<String> =
                names.iter().enumerate().map(|(i, n)| format!("\"{n}\":{i}")).collect();
            let json = format!("{{{}}}", members.join(","));
            let distinct: std::collections::BTreeSet<&String> = names.iter().collect();
            match parse_claims(json.as_bytes(), Segment::Payload) {
                Ok(claims) => {
                    proptest::prop_assert_eq!(distinct.len(), names.len());
                    let expected: Map<String, Value> = serde_json::from_str(&json).unwrap();
                    proptest::prop_assert_eq!(claims.into_map(), expected);
                }
                Err(ErrorKind::DuplicateMember { .. }) => {
                    proptest::prop_assert!(distinct.len() < names.len());
                }
                Err(other) => proptest::prop_assert!(false, "{other:?}"),
            }
        }
    }

    #[test]
    fn objects_only_and_no_trailing_data() {
        assert_eq!(
            parse_claims(b"[1]", Segment::Header),
            Err(ErrorKind::InvalidJson(Segment::Header))
        );
        assert_eq!(
            parse_claims(b"{} {}", Segment::Header),
            Err(ErrorKind::InvalidJson(Segment::Header))
        );
        assert_eq!(
            parse_claims(b"{\"a\":1,}", Segment::Header),
            Err(ErrorKind::InvalidJson(Segment::Header))
        );
        assert!(parse_claims(br#" {"a":{"b":[1,2.5,null,true]}} "#, Segment::Payload).is_ok());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(
            parse_claims(deep.as_bytes(), Segment::Payload),
            Err(ErrorKind::InvalidJson(Segment::Payload))
        );
    }
}

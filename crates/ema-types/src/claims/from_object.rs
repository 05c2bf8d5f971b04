//! Claims sets built by moving the members out of an already parsed JSON object.
//!
//! A verifier has the payload as a JSON object once its checks have run; turning that object
//! into a typed claims set with `serde_json::from_value` would buffer every member a second
//! time for the `#[serde(flatten)]` of the unknown claims. [`FromClaimsObject`] moves each
//! known member out by name instead and keeps the rest as the unknown claims, with the same
//! result as `serde_json::from_value` (tested for every claims type).

use std::borrow::Cow;

use serde::de::{DeserializeOwned, Error as _};
use serde_json::Value;

use super::ExtraClaims;

/// A claims set that can be built from a parsed JSON object of claims.
pub trait FromClaimsObject: Sized {
    /// The claims set of `members` (a JSON object's, names unique): what
    /// `serde_json::from_value` of that object gives, known members typed and the others kept
    /// as unknown claims. A decoder that keeps member names as `&'static str` for the names it
    /// knows passes them without a copy.
    fn from_claims_members<I>(members: I) -> Result<Self, serde_json::Error>
    where
        I: IntoIterator<Item = (Cow<'static, str>, Value)>;

    /// The claims set of `object`: what `serde_json::from_value(Value::Object(object))`
    /// gives, known members typed and the others kept as unknown claims.
    fn from_claims_object(object: ExtraClaims) -> Result<Self, serde_json::Error> {
        Self::from_claims_members(
            object
                .into_iter()
                .map(|(name, value)| (Cow::Owned(name), value)),
        )
    }
}

/// Reads one member's value: what `#[serde(default)]` on an `Option` field reads, where
/// `null` is absent too.
pub(super) fn optional<T: DeserializeOwned>(value: Value) -> Result<Option<T>, serde_json::Error> {
    match value {
        Value::Null => Ok(None),
        value => T::deserialize(value).map(Some),
    }
}

/// A required member that was not seen.
pub(super) fn missing<T>(name: &'static str) -> Result<T, serde_json::Error> {
    Err(serde_json::Error::missing_field(name))
}

/// Implements [`FromClaimsObject`] for a claims struct whose JSON member names are its field
/// names: `required` fields, `optional` (`Option`) fields, and `extra` for the rest. One pass
/// over the members, each moved into its field by name; the struct literal makes the
/// compiler refuse a list that misses a field.
macro_rules! from_claims_object {
    ($ty:ident { required: [$($req:ident),* $(,)?], optional: [$($opt:ident),* $(,)?] $(,)? }) => {
        impl $crate::claims::FromClaimsObject for $ty {
            fn from_claims_members<I>(members: I) -> Result<Self, serde_json::Error>
            where
                I: IntoIterator<Item = (std::borrow::Cow<'static, str>, serde_json::Value)>,
            {
                use $crate::claims::from_object::{missing, optional};
                $(let mut $req = None;)*
                $(let mut $opt = None;)*
                let mut extra = $crate::claims::ExtraClaims::new();
                for (name, value) in members {
                    match name.as_ref() {
                        $(stringify!($req) => $req = Some(serde::Deserialize::deserialize(value)?),)*
                        $(stringify!($opt) => $opt = optional(value)?,)*
                        _ => {
                            extra.insert(name.into_owned(), value);
                        }
                    }
                }
                Ok(Self {
                    $($req: match $req {
                        Some(value) => value,
                        None => missing(stringify!($req))?,
                    },)*
                    $($opt,)*
                    extra,
                })
            }
        }
    };
}
pub(super) use from_claims_object;

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{Map, Value, json};

    use super::FromClaimsObject;
    use crate::claims::{AccessTokenClaims, ClientAssertionClaims, IdJagClaims, IdTokenClaims};

    /// Values of every shape a claim may wrongly or rightly have.
    fn any_value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            Just(json!(1.5)),
            "[a-z: ]{0,12}".prop_map(Value::from),
            prop::collection::vec("[a-z]{1,6}".prop_map(Value::from), 0..3).prop_map(Value::from),
            Just(json!({"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"})),
            Just(json!({"format": "email", "email": "a@b.test"})),
            Just(json!({"x": [1, {"y": null}]})),
        ]
    }

    const NAMES: &[&str] = &[
        "iss",
        "sub",
        "aud",
        "client_id",
        "jti",
        "iat",
        "exp",
        "nbf",
        "resource",
        "scope",
        "auth_time",
        "acr",
        "amr",
        "email",
        "tenant",
        "aud_tenant",
        "aud_sub",
        "sub_id",
        "cnf",
        "authorization_details",
        "act",
        "nonce",
        "azp",
        "x-vendor",
        "ext",
    ];

    /// A typical valid token's members, valid for every kind.
    fn base() -> Map<String, Value> {
        let members = json!({
            "iss": "https://idp.test", "sub": "u1", "aud": ["https://as.test"],
            "client_id": "c1", "jti": "j1", "iat": 1000, "exp": 1300, "scope": "a b",
        });
        members.as_object().cloned().unwrap_or_default()
    }

    /// A claims object: a typical valid token's members, some replaced or dropped, some added.
    fn any_object() -> impl Strategy<Value = Map<String, Value>> {
        let base = base();
        (
            prop::collection::vec((prop::sample::select(NAMES), any_value()), 0..8),
            prop::collection::vec(prop::sample::select(NAMES), 0..3),
        )
            .prop_map(move |(set, drop)| {
                let mut map = base.clone();
                for (name, value) in set {
                    map.insert(name.to_owned(), value);
                }
                for name in drop {
                    map.remove(name);
                }
                map
            })
    }

    fn same_as_from_value<C>(object: Map<String, Value>) -> Result<(), TestCaseError>
    where
        C: FromClaimsObject + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        let expected = serde_json::from_value::<C>(Value::Object(object.clone())).ok();
        let moved = C::from_claims_object(object).ok();
        prop_assert_eq!(moved, expected);
        Ok(())
    }

    proptest! {
        #[test]
        fn id_jag_claims_equal_from_value(object in any_object()) {
            same_as_from_value::<IdJagClaims>(object)?;
        }

        #[test]
        fn access_token_claims_equal_from_value(object in any_object()) {
            same_as_from_value::<AccessTokenClaims>(object)?;
        }

        #[test]
        fn id_token_claims_equal_from_value(object in any_object()) {
            same_as_from_value::<IdTokenClaims>(object)?;
        }

        #[test]
        fn client_assertion_claims_equal_from_value(object in any_object()) {
            same_as_from_value::<ClientAssertionClaims>(object)?;
        }
    }

    /// The generator's base object is a valid claims set of every kind, so the properties
    /// above compare successful conversions too, not only two failures.
    #[test]
    fn the_base_object_converts_for_every_kind() {
        let base = base();
        assert!(IdJagClaims::from_claims_object(base.clone()).is_ok());
        assert!(AccessTokenClaims::from_claims_object(base.clone()).is_ok());
        assert!(IdTokenClaims::from_claims_object(base.clone()).is_ok());
        assert!(ClientAssertionClaims::from_claims_object(base).is_ok());
    }

    #[test]
    fn unknown_claims_are_kept_and_known_ones_taken() {
        let object = json!({"iss": "i", "sub": "s", "aud": "a", "client_id": "c", "jti": "j",
            "iat": 1, "exp": 2, "x-vendor": {"k": [1]}, "scope": null});
        let Value::Object(object) = object else {
            unreachable!()
        };
        let claims = IdJagClaims::from_claims_object(object).unwrap();
        assert_eq!(claims.scope, None);
        assert_eq!(claims.extra.len(), 1);
        assert_eq!(claims.extra["x-vendor"], json!({"k": [1]}));
    }
}

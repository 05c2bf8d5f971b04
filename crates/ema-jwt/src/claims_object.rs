//! The members of a JWT claims set as decoded: a short list in token order, names unique.

use std::borrow::Cow;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

/// Names of the claims this crate's verifiers check and its typed claims sets hold (a test in
/// `verify` keeps every verifier's rules among them). A member with one of these names is
/// stored under the static name, so decoding allocates no name for it.
macro_rules! known_claim_names {
    ($($name:literal),* $(,)?) => {
        /// Every name [`interned`] knows (for tests).
        #[cfg(test)]
        const KNOWN: &[&str] = &[$($name),*];

        /// The static copy of `name` when it is a known claim name.
        pub(crate) fn interned(name: &str) -> Option<&'static str> {
            match name {
                $($name => Some($name),)*
                _ => None,
            }
        }
    };
}

known_claim_names!(
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "jti",
    "client_id",
    "scope",
    "resource",
    "auth_time",
    "acr",
    "amr",
    "azp",
    "nonce",
    "email",
    "tenant",
    "aud_tenant",
    "aud_sub",
    "sub_id",
    "cnf",
    "act",
    "authorization_details",
    "htm",
    "htu",
    "ath",
);

/// The claims of a decoded token, **unverified**: every member of the payload object, in the
/// order of the token, no name twice (a repeated name is refused when decoding, JWT-11).
///
/// Lookups compare names in order, which for the dozen members of a token is faster than a
/// tree or a hash; a payload is at most the token's size cap. [`ClaimsObject::to_map`] gives a
/// `serde_json` map, and the type serializes as a JSON object in token order.
#[derive(Clone, Default)]
pub struct ClaimsObject {
    members: Vec<(Cow<'static, str>, Value)>,
}

impl ClaimsObject {
    /// Members allocated for up front: a typical token's and then some.
    const TYPICAL_MEMBERS: usize = 16;

    /// An empty set of claims, with room for a typical token's members.
    pub(crate) fn with_typical_capacity() -> Self {
        Self {
            members: Vec::with_capacity(Self::TYPICAL_MEMBERS),
        }
    }

    /// Appends a member whose name the caller has checked is not already present.
    pub(crate) fn push_new(&mut self, name: Cow<'_, str>, value: Value) {
        let name = match interned(&name) {
            Some(known) => Cow::Borrowed(known),
            None => Cow::Owned(name.into_owned()),
        };
        self.members.push((name, value));
    }

    /// Whether a member is named `name`.
    #[must_use]
    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The value of the member named `name`.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.members
            .iter()
            .find(|(n, _)| n.as_ref() == name)
            .map(|(_, v)| v)
    }

    /// The members, in token order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &Value)> {
        self.members.iter().map(|(n, v)| (n.as_ref(), v))
    }

    /// The names, in token order.
    pub fn names(&self) -> impl ExactSizeIterator<Item = &str> {
        self.members.iter().map(|(n, _)| n.as_ref())
    }

    /// How many members there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether there are no members.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// A copy as a `serde_json` map.
    #[must_use]
    pub fn to_map(&self) -> Map<String, Value> {
        self.clone().into_map()
    }

    /// The members as a `serde_json` map.
    #[must_use]
    pub fn into_map(self) -> Map<String, Value> {
        self.members
            .into_iter()
            .map(|(n, v)| (n.into_owned(), v))
            .collect()
    }

    /// The members, moved out in token order (for typed claims).
    #[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto", test))]
    pub(crate) fn into_members(self) -> impl Iterator<Item = (Cow<'static, str>, Value)> {
        self.members.into_iter()
    }
}

impl From<Map<String, Value>> for ClaimsObject {
    /// The members of `map` (its names are unique), in the map's order.
    fn from(map: Map<String, Value>) -> Self {
        let mut claims = Self {
            members: Vec::with_capacity(map.len()),
        };
        for (name, value) in map {
            claims.push_new(Cow::Owned(name), value);
        }
        claims
    }
}

impl From<ClaimsObject> for Value {
    fn from(claims: ClaimsObject) -> Self {
        Value::Object(claims.into_map())
    }
}

/// Equal when both hold the same members, in whatever order (as two JSON objects are).
impl PartialEq for ClaimsObject {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .all(|(name, value)| other.get(name) == Some(value))
    }
}

impl Eq for ClaimsObject {}

impl std::fmt::Debug for ClaimsObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for ClaimsObject {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (name, value) in self.iter() {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(v: Value) -> ClaimsObject {
        match v {
            Value::Object(m) => m.into(),
            _ => unreachable!(),
        }
    }

    #[test]
    fn lookups_and_conversions() {
        let c = claims(json!({"iss": "a", "x-vendor": [1], "exp": 5}));
        assert_eq!(c.len(), 3);
        assert_eq!(c.get("iss"), Some(&json!("a")));
        assert_eq!(c.get("x-vendor"), Some(&json!([1])));
        assert!(c.contains_key("exp") && !c.contains_key("ex") && !c.contains_key("iat"));
        assert_eq!(
            Value::from(c.clone()),
            json!({"iss": "a", "x-vendor": [1], "exp": 5})
        );
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            json!({"exp": 5, "iss": "a", "x-vendor": [1]})
        );
        assert_eq!(c.names().collect::<Vec<_>>(), ["exp", "iss", "x-vendor"]);
        assert!(ClaimsObject::default().is_empty());
        assert_eq!(c, claims(json!({"exp": 5, "x-vendor": [1], "iss": "a"})));
        assert_ne!(c, claims(json!({"exp": 5, "x-vendor": [1], "iss": "b"})));
        assert_ne!(c, claims(json!({"exp": 5, "iss": "a"})));
    }

    #[test]
    fn known_names_are_stored_without_a_copy_and_others_with_one() {
        let mut c = ClaimsObject::with_typical_capacity();
        for name in KNOWN {
            c.push_new(Cow::Owned((*name).to_owned()), Value::Null);
        }
        c.push_new(Cow::Borrowed("x-vendor"), Value::Null);
        let (known, other): (Vec<_>, Vec<_>) = c
            .into_members()
            .partition(|(n, _)| matches!(n, Cow::Borrowed(_)));
        assert_eq!(known.len(), KNOWN.len());
        assert_eq!(other.len(), 1);
    }
}

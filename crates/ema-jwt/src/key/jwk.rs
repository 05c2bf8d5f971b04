//! JSON Web Keys and JWK Sets as plain data (RFC 7517 §4–5, JWT-09).
//!
//! These types only carry JSON; they need no crypto backend. A [`Jwk`] becomes usable for
//! verification only through `VerifyingKey::from_jwk`, which validates it and parses the key
//! once.

use std::fmt;

use serde::{Deserialize, Serialize};

/// JWK members that hold private or secret key material (RFC 7518 §6.2.2, §6.3.2, §6.4.1,
/// RFC 8037 §2). Their values are never printed, and a JWK carrying any of them is never
/// accepted as a verifying key.
pub(crate) const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// A JSON Web Key (RFC 7517 §4) as found in a JWK Set.
///
/// Every member except `kty` is optional, as RFC 7517 has it (JWT-09): a key is never rejected
/// merely because `use`, `alg` or `kid` is absent. Members this type does not name (`x5c`,
/// `x5t`, `ext`, …) are kept in [`Jwk::extra`] so a key survives a round trip. `alg` is a plain
/// string so that keys for algorithms this crate does not implement still deserialize, and
/// can be skipped rather than failing the whole set.
///
/// `Debug` never prints private members (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`, `k`).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Jwk {
    /// Key type: `EC`, `RSA`, `OKP`, … (RFC 7517 §4.1).
    pub kty: String,
    /// Key ID (RFC 7517 §4.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// Intended use: `sig` or `enc` (RFC 7517 §4.2).
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    /// The algorithm the key is meant for (RFC 7517 §4.4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// Curve of an `EC` or `OKP` key: `P-256`, `Ed25519`, … (RFC 7518 §6.2.1.1, RFC 8037 §2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// `EC` x coordinate or `OKP` public key, unpadded base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// `EC` y coordinate, unpadded base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    /// `RSA` modulus, unpadded base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// `RSA` public exponent, unpadded base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// Permitted operations: `sign`, `verify`, … (RFC 7517 §4.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_ops: Option<Vec<String>>,
    /// Every other member, kept as is (for example `x5c`, `x5t#S256`).
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Jwk {
    /// An otherwise empty JWK of key type `kty`.
    #[must_use]
    pub fn new(kty: impl Into<String>) -> Self {
        Self {
            kty: kty.into(),
            ..Self::default()
        }
    }

    /// Whether the JWK carries private or secret key material (`d`, `p`, `q`, `dp`, `dq`, `qi`,
    /// `oth` or `k`).
    #[must_use]
    pub fn has_private_material(&self) -> bool {
        PRIVATE_MEMBERS
            .iter()
            .any(|name| self.extra.contains_key(*name))
    }
}

impl fmt::Debug for Jwk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Jwk")
            .field("kty", &self.kty)
            .field("kid", &self.kid)
            .field("use", &self.use_)
            .field("alg", &self.alg)
            .field("crv", &self.crv)
            .field("x", &self.x)
            .field("y", &self.y)
            .field("n", &self.n)
            .field("e", &self.e)
            .field("key_ops", &self.key_ops)
            .field("extra", &RedactedMembers(&self.extra))
            .finish()
    }
}

/// Prints a member map with the values of private members replaced by `[redacted]`.
struct RedactedMembers<'a>(&'a serde_json::Map<String, serde_json::Value>);

impl fmt::Debug for RedactedMembers<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (name, value) in self.0 {
            if PRIVATE_MEMBERS.contains(&name.as_str()) {
                map.entry(name, &format_args!("[redacted]"));
            } else {
                map.entry(name, value);
            }
        }
        map.finish()
    }
}

/// A JWK Set: `{"keys": [...]}` (RFC 7517 §5, JWT-09).
///
/// Deserializing this type fails if any key is malformed JSON for a [`Jwk`] (for example a
/// missing `kty`). To load a set fetched from an issuer, prefer `KeySet::from_json`, which is
/// size-bounded and skips unusable keys as RFC 7517 §5 recommends.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct JwkSet {
    /// The keys, in document order.
    pub keys: Vec<Jwk>,
}

impl JwkSet {
    /// A set of `keys`.
    #[must_use]
    pub fn new(keys: Vec<Jwk>) -> Self {
        Self { keys }
    }
}

impl FromIterator<Jwk> for JwkSet {
    fn from_iter<I: IntoIterator<Item = Jwk>>(iter: I) -> Self {
        Self::new(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn jwt_09_members_absent_are_fine_and_unknown_members_are_kept() {
        let jwk: Jwk = serde_json::from_str(
            r#"{"kty":"EC","crv":"P-256","x":"AA","y":"AA","x5t#S256":"abc","ext":true}"#,
        )
        .unwrap();
        assert_eq!(jwk.kty, "EC");
        assert_eq!(jwk.kid, None);
        assert_eq!(jwk.use_, None);
        assert_eq!(jwk.alg, None);
        assert_eq!(jwk.extra.get("x5t#S256"), Some(&serde_json::json!("abc")));
        assert_eq!(jwk.extra.get("ext"), Some(&serde_json::json!(true)));
        let again: Jwk = serde_json::from_str(&serde_json::to_string(&jwk).unwrap()).unwrap();
        assert_eq!(again, jwk);
    }

    #[test]
    fn use_is_renamed_and_unknown_alg_deserializes() {
        let jwk: Jwk =
            serde_json::from_str(r#"{"kty":"RSA","use":"enc","alg":"RSA-OAEP-256"}"#).unwrap();
        assert_eq!(jwk.use_.as_deref(), Some("enc"));
        assert_eq!(jwk.alg.as_deref(), Some("RSA-OAEP-256"));
        let json = serde_json::to_value(&jwk).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"kty":"RSA","use":"enc","alg":"RSA-OAEP-256"})
        );
    }

    #[test]
    fn kty_is_required_and_duplicates_are_refused() {
        assert!(serde_json::from_str::<Jwk>(r#"{"kid":"a"}"#).is_err());
        assert!(serde_json::from_str::<Jwk>(r#"{"kty":"EC","kty":"RSA"}"#).is_err());
        assert!(serde_json::from_str::<Jwk>(r#"{"kty":"EC","x":1}"#).is_err());
    }

    #[test]
    fn debug_redacts_private_members() {
        let jwk: Jwk = serde_json::from_str(
            r#"{"kty":"EC","crv":"P-256","x":"pubx","y":"puby","d":"SECRET-D","k":"SECRET-K","qi":"SECRET-QI"}"#,
        )
        .unwrap();
        assert!(jwk.has_private_material());
        let debug = format!("{jwk:?}");
        assert!(!debug.contains("SECRET"), "{debug}");
        assert!(debug.contains("[redacted]"), "{debug}");
        assert!(debug.contains("pubx"), "{debug}");
        assert!(!Jwk::new("EC").has_private_material());
    }

    #[test]
    fn jwt_09_set_is_keys_array() {
        let set: JwkSet = serde_json::from_str(r#"{"keys":[{"kty":"EC"},{"kty":"RSA"}]}"#).unwrap();
        assert_eq!(set.keys.len(), 2);
        assert_eq!(
            serde_json::to_string(&JwkSet::new(vec![Jwk::new("OKP")])).unwrap(),
            r#"{"keys":[{"kty":"OKP"}]}"#
        );
        let collected: JwkSet = [Jwk::new("EC")].into_iter().collect();
        assert_eq!(collected.keys.len(), 1);
    }
}

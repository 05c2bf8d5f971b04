//! A parsed JWK Set, ready for key selection (JWT-05, JWT-09).

use serde::Deserialize;

use super::jwk::{Jwk, JwkSet};
use super::verifying_key::VerifyingKey;
use crate::Algorithm;
use crate::error::{Error, ErrorKind};

/// The verifying keys of one issuer, each parsed once.
///
/// Build it from a fetched document with [`KeySet::from_json`], from a [`JwkSet`] with
/// [`KeySet::from_jwks`], or from keys with [`KeySet::from_keys`]. Keys that cannot verify
/// signatures here (`use` `enc`, unsupported `kty` or `crv`, malformed or weak keys) are
/// skipped, as RFC 7517 §5 recommends, and counted in [`KeySet::skipped`].
///
/// Lookups scan the keys in order: issuer key sets hold a handful of keys, where a linear scan
/// beats hashing.
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    keys: Vec<VerifyingKey>,
    skipped: usize,
}

/// `{"keys": [...]}` with each entry kept as raw JSON, so one bad key does not fail the set.
#[derive(Deserialize)]
struct RawJwkSet {
    keys: Vec<serde_json::Value>,
}

impl KeySet {
    /// Largest JWKS document [`KeySet::from_json`] accepts, in bytes (256 KiB).
    pub const MAX_JSON_BYTES: usize = 256 * 1024;

    /// Most keys [`KeySet::from_json`] accepts in one document.
    pub const MAX_KEYS: usize = 100;

    /// Parse a JWKS document (`{"keys":[...]}`), for example the body of a `jwks_uri` response.
    ///
    /// Entries that are not valid public signing keys are skipped and counted, not fatal.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidKey`] when the document is larger than [`KeySet::MAX_JSON_BYTES`],
    /// is not a JSON object with a `keys` array, or holds more than [`KeySet::MAX_KEYS`] keys.
    pub fn from_json(json: &[u8]) -> Result<Self, Error> {
        if json.len() > Self::MAX_JSON_BYTES {
            return Err(Error::new(ErrorKind::InvalidKey(
                "JWKS document is larger than 256 KiB",
            )));
        }
        let raw: RawJwkSet = serde_json::from_slice(json).map_err(|_| {
            Error::new(ErrorKind::InvalidKey(
                "JWKS is not a JSON object with a `keys` array",
            ))
        })?;
        if raw.keys.len() > Self::MAX_KEYS {
            return Err(Error::new(ErrorKind::InvalidKey(
                "JWKS holds more than 100 keys",
            )));
        }
        let total = raw.keys.len();
        let keys: Vec<VerifyingKey> = raw
            .keys
            .into_iter()
            .filter_map(|value| serde_json::from_value::<Jwk>(value).ok())
            .filter_map(|jwk| VerifyingKey::from_jwk(&jwk).ok())
            .collect();
        Ok(Self {
            skipped: total.saturating_sub(keys.len()),
            keys,
        })
    }

    /// Parse every usable key of `jwks`; the others are skipped and counted.
    #[must_use]
    pub fn from_jwks(jwks: &JwkSet) -> Self {
        let keys: Vec<VerifyingKey> = jwks
            .keys
            .iter()
            .filter_map(|jwk| VerifyingKey::from_jwk(jwk).ok())
            .collect();
        Self {
            skipped: jwks.keys.len().saturating_sub(keys.len()),
            keys,
        }
    }

    /// A set of already parsed keys.
    #[must_use]
    pub fn from_keys(keys: Vec<VerifyingKey>) -> Self {
        Self { keys, skipped: 0 }
    }

    /// Pick the key for a token with header `kid` and `alg` (JWT-05).
    ///
    /// - With a `kid`: the keys with exactly that `kid` (case-sensitive). None →
    ///   [`ErrorKind::UnknownKeyId`] (the caller may refetch the set once). Of those, the one
    ///   pinned to `alg`; if there is none → [`ErrorKind::KeyAlgorithmMismatch`], if several →
    ///   [`ErrorKind::AmbiguousKey`].
    /// - Without a `kid`: the keys pinned to `alg`. Exactly one → it; none →
    ///   [`ErrorKind::NoKeyForAlgorithm`]; more → [`ErrorKind::AmbiguousKey`], never a guess.
    ///
    /// # Errors
    ///
    /// As listed above.
    pub fn select(&self, kid: Option<&str>, alg: Algorithm) -> Result<&VerifyingKey, ErrorKind> {
        match kid {
            Some(kid) => {
                let with_kid = || self.keys.iter().filter(move |key| key.kid() == Some(kid));
                let first = with_kid()
                    .next()
                    .ok_or_else(|| ErrorKind::UnknownKeyId(ErrorKind::echo(kid)))?;
                only_one(with_kid().filter(|key| key.algorithm() == alg)).map_err(|candidates| {
                    match candidates {
                        0 => ErrorKind::KeyAlgorithmMismatch {
                            key: first.algorithm(),
                            token: alg,
                        },
                        n => ErrorKind::AmbiguousKey(n),
                    }
                })
            }
            None => only_one(self.keys.iter().filter(|key| key.algorithm() == alg)).map_err(
                |candidates| match candidates {
                    0 => ErrorKind::NoKeyForAlgorithm(alg),
                    n => ErrorKind::AmbiguousKey(n),
                },
            ),
        }
    }

    /// The key with exactly this `kid`, if any (the first, should several share it).
    #[must_use]
    pub fn get(&self, kid: &str) -> Option<&VerifyingKey> {
        self.keys.iter().find(|key| key.kid() == Some(kid))
    }

    /// The keys, in document order.
    pub fn iter(&self) -> std::slice::Iter<'_, VerifyingKey> {
        self.keys.iter()
    }

    /// Number of usable keys.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key is usable.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// How many entries of the source document were skipped as unusable.
    #[must_use]
    pub fn skipped(&self) -> usize {
        self.skipped
    }

    /// The set to publish: each key's [`VerifyingKey::to_jwk`] (JWT-09).
    #[must_use]
    pub fn to_jwks(&self) -> JwkSet {
        self.keys.iter().map(VerifyingKey::to_jwk).collect()
    }
}

/// The single item of `items`, or how many there were (0 or ≥ 2).
fn only_one<'a>(
    mut items: impl Iterator<Item = &'a VerifyingKey>,
) -> Result<&'a VerifyingKey, usize> {
    match (items.next(), items.next()) {
        (Some(key), None) => Ok(key),
        (None, _) => Err(0),
        (Some(_), Some(_)) => Err(2 + items.count()),
    }
}

impl<'a> IntoIterator for &'a KeySet {
    type Item = &'a VerifyingKey;
    type IntoIter = std::slice::Iter<'a, VerifyingKey>;

    fn into_iter(self) -> Self::IntoIter {
        self.keys.iter()
    }
}

impl FromIterator<VerifyingKey> for KeySet {
    fn from_iter<I: IntoIterator<Item = VerifyingKey>>(iter: I) -> Self {
        Self::from_keys(iter.into_iter().collect())
    }
}

//! The public parameters of a supported key, decoded and checked once.
//!
//! A [`KeyParams`] is what a JWK says about a key once validated: which family (P-256, RSA,
//! Ed25519) and the raw public values. It drives the backend key, the RFC 7638 thumbprint and
//! the JWK a key publishes (JWT-09).

use super::jwk::Jwk;
use crate::Algorithm;
use crate::b64;
use crate::backend::{self, P256_COORDINATE_LEN, PublicComponents};
use crate::error::ErrorKind;

/// Decoded public parameters of a P-256, RSA or Ed25519 key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyParams {
    /// `kty` `EC`, `crv` `P-256`.
    P256 {
        x: [u8; P256_COORDINATE_LEN],
        y: [u8; P256_COORDINATE_LEN],
    },
    /// `kty` `RSA`.
    Rsa { n: Vec<u8>, e: Vec<u8> },
    /// `kty` `OKP`, `crv` `Ed25519` (RFC 8037).
    Ed25519 {
        x: [u8; backend::ED25519_PUBLIC_KEY_LEN],
    },
}

impl KeyParams {
    /// Decode the public members of `jwk`, with strict base64url and exact lengths.
    pub(crate) fn from_jwk(jwk: &Jwk) -> Result<Self, ErrorKind> {
        match jwk.kty.as_str() {
            "EC" => match jwk.crv.as_deref() {
                Some("P-256") => Ok(Self::P256 {
                    x: coordinate(Member::X.decode(jwk)?)?,
                    y: coordinate(Member::Y.decode(jwk)?)?,
                }),
                Some(other) => Err(unsupported("EC curve", other)),
                None => Err(ErrorKind::InvalidKey("JWK member `crv` is missing")),
            },
            "RSA" => Ok(Self::Rsa {
                n: Member::N.decode(jwk)?,
                e: Member::E.decode(jwk)?,
            }),
            "OKP" => match jwk.crv.as_deref() {
                Some("Ed25519") => {
                    let x = Member::X.decode(jwk)?;
                    let x = x.try_into().map_err(|_| {
                        ErrorKind::InvalidKey("Ed25519 public key is not 32 octets")
                    })?;
                    Ok(Self::Ed25519 { x })
                }
                Some(other) => Err(unsupported("OKP curve", other)),
                None => Err(ErrorKind::InvalidKey("JWK member `crv` is missing")),
            },
            other => Err(unsupported("key type", other)),
        }
    }

    /// Build the backend key, parsing it once.
    pub(crate) fn public_key(&self) -> Result<backend::PublicKey, ErrorKind> {
        match self {
            Self::P256 { x, y } => backend::PublicKey::ec_p256(x, y),
            Self::Rsa { n, e } => backend::PublicKey::rsa(n, e),
            Self::Ed25519 { x } => backend::PublicKey::ed25519(x),
        }
    }

    /// The algorithm a key of this family is pinned to when its JWK names none.
    pub(crate) fn default_algorithm(&self) -> Algorithm {
        match self {
            Self::P256 { .. } => Algorithm::ES256,
            Self::Rsa { .. } => Algorithm::RS256,
            Self::Ed25519 { .. } => Algorithm::EdDSA,
        }
    }

    /// Whether `alg` can be used with a key of this family (JWT-02).
    pub(crate) fn supports(&self, alg: Algorithm) -> bool {
        matches!(
            (self, alg),
            (Self::P256 { .. }, Algorithm::ES256)
                | (Self::Rsa { .. }, Algorithm::RS256 | Algorithm::PS256)
                | (Self::Ed25519 { .. }, Algorithm::EdDSA)
        )
    }

    /// Set `kty`, `crv` and the public members on `jwk`.
    pub(crate) fn write_public_members(&self, jwk: &mut Jwk) {
        match self {
            Self::P256 { x, y } => {
                jwk.kty = "EC".to_owned();
                jwk.crv = Some("P-256".to_owned());
                jwk.x = Some(b64::encode(x));
                jwk.y = Some(b64::encode(y));
            }
            Self::Rsa { n, e } => {
                jwk.kty = "RSA".to_owned();
                jwk.n = Some(b64::encode(n));
                jwk.e = Some(b64::encode(e));
            }
            Self::Ed25519 { x } => {
                jwk.kty = "OKP".to_owned();
                jwk.crv = Some("Ed25519".to_owned());
                jwk.x = Some(b64::encode(x));
            }
        }
    }
}

impl From<&PublicComponents> for KeyParams {
    fn from(components: &PublicComponents) -> Self {
        match *components {
            PublicComponents::P256 { x, y } => Self::P256 { x, y },
            PublicComponents::Ed25519 { x } => Self::Ed25519 { x },
        }
    }
}

/// A base64url member a key type requires.
#[derive(Debug, Clone, Copy)]
enum Member {
    X,
    Y,
    N,
    E,
}

impl Member {
    /// The member's value in `jwk`, decoded as strict unpadded base64url.
    fn decode(self, jwk: &Jwk) -> Result<Vec<u8>, ErrorKind> {
        let (value, missing, malformed) = match self {
            Self::X => (
                &jwk.x,
                "JWK member `x` is missing",
                "JWK member `x` is not unpadded base64url",
            ),
            Self::Y => (
                &jwk.y,
                "JWK member `y` is missing",
                "JWK member `y` is not unpadded base64url",
            ),
            Self::N => (
                &jwk.n,
                "JWK member `n` is missing",
                "JWK member `n` is not unpadded base64url",
            ),
            Self::E => (
                &jwk.e,
                "JWK member `e` is missing",
                "JWK member `e` is not unpadded base64url",
            ),
        };
        let value = value.as_deref().ok_or(ErrorKind::InvalidKey(missing))?;
        b64::decode(value).ok_or(ErrorKind::InvalidKey(malformed))
    }
}

/// A P-256 coordinate: exactly 32 octets, as RFC 7518 §6.2.1.2 requires (no stripped zeros).
fn coordinate(bytes: Vec<u8>) -> Result<[u8; P256_COORDINATE_LEN], ErrorKind> {
    bytes
        .try_into()
        .map_err(|_| ErrorKind::InvalidKey("P-256 coordinate is not 32 octets"))
}

fn unsupported(what: &str, value: &str) -> ErrorKind {
    ErrorKind::UnsupportedKey(format!("{what} `{}`", ErrorKind::echo(value)))
}

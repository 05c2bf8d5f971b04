//! JWS algorithms this crate implements (JWT-02).

use std::fmt;
use std::str::FromStr;

use crate::error::ErrorKind;

/// A JWS signature algorithm (RFC 7518 §3, RFC 8037).
///
/// Only asymmetric algorithms exist here: `none` and the `HS*` family are unrepresentable, so
/// no configuration can allow them (JWT-01, JWT-02).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Algorithm {
    /// ECDSA with P-256 and SHA-256; raw `R‖S` signatures (64 bytes). Sign and verify.
    ES256,
    /// RSASSA-PKCS1-v1_5 with SHA-256; keys of at least 2048 bits. Verify only.
    RS256,
    /// RSASSA-PSS with SHA-256 and MGF1-SHA-256; keys of at least 2048 bits. Verify only.
    PS256,
    /// Ed25519 (RFC 8037). Sign and verify.
    EdDSA,
}

impl Algorithm {
    /// Every algorithm, in preference order.
    pub const ALL: [Algorithm; 4] = [Self::ES256, Self::RS256, Self::PS256, Self::EdDSA];

    /// The JOSE name (`alg` value).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ES256 => "ES256",
            Self::RS256 => "RS256",
            Self::PS256 => "PS256",
            Self::EdDSA => "EdDSA",
        }
    }

    /// The JWK `kty` of keys for this algorithm.
    #[must_use]
    pub fn key_type(self) -> &'static str {
        match self {
            Self::ES256 => "EC",
            Self::RS256 | Self::PS256 => "RSA",
            Self::EdDSA => "OKP",
        }
    }

    /// Parse a header `alg`, telling `none` apart from other unsupported values.
    pub(crate) fn from_header(alg: &str) -> Result<Self, ErrorKind> {
        match alg {
            "ES256" => Ok(Self::ES256),
            "RS256" => Ok(Self::RS256),
            "PS256" => Ok(Self::PS256),
            "EdDSA" => Ok(Self::EdDSA),
            _ if alg.eq_ignore_ascii_case("none") => Err(ErrorKind::UnsecuredJwt),
            other => Err(ErrorKind::UnsupportedAlgorithm(ErrorKind::echo(other))),
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = crate::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_header(s).map_err(crate::Error::new)
    }
}

impl serde::Serialize for Algorithm {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Algorithm {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::from_header(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_02_only_asymmetric_algorithms_parse() {
        for alg in Algorithm::ALL {
            assert_eq!(Algorithm::from_header(alg.as_str()), Ok(alg));
        }
        assert_eq!(Algorithm::from_header("none"), Err(ErrorKind::UnsecuredJwt));
        assert_eq!(Algorithm::from_header("NONE"), Err(ErrorKind::UnsecuredJwt));
        assert_eq!(
            Algorithm::from_header("HS256"),
            Err(ErrorKind::UnsupportedAlgorithm("HS256".into()))
        );
        assert_eq!(
            Algorithm::from_header("es256"),
            Err(ErrorKind::UnsupportedAlgorithm("es256".into()))
        );
    }
}

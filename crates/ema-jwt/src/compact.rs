//! JWS Compact Serialization, split and decoded strictly (JWT-01, JWT-11; §6 step 4).

use serde_json::Value;

use crate::claims_object::ClaimsObject;
use crate::error::{ErrorKind, Segment};
use crate::header::{Header, HeaderMembers};
use crate::{b64, json};

/// Default cap on a token's size: 16 KiB (JWT-11).
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 16 * 1024;

/// A compact JWS, decoded but **not verified**.
///
/// Decoding checks the structure only: the size cap, three non-empty segments of strict
/// unpadded base64url (five segments, a JWE, are refused), a header and a payload that are
/// JSON objects with no repeated member names, and the header rules of [`Header`]. Nothing
/// here says the token is authentic; the verifiers of this crate do that.
#[derive(Clone)]
pub struct UnverifiedJws<'a> {
    token: &'a str,
    signing_input_len: usize,
    header: Header,
    claims: ClaimsObject,
    signature: Vec<u8>,
}

impl std::fmt::Debug for UnverifiedJws<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the token itself (CL-20, AS-19).
        f.debug_struct("UnverifiedJws")
            .field("header", &self.header)
            .field("len", &self.token.len())
            .finish_non_exhaustive()
    }
}

impl<'a> UnverifiedJws<'a> {
    /// Decode `token`, refusing anything over `max_bytes`.
    pub fn decode(token: &'a str, max_bytes: usize) -> Result<Self, ErrorKind> {
        Self::decode_with(token, max_bytes, |members| {
            Header::from_members(members).map(|h| (h, ()))
        })
        .map(|(jws, ())| jws)
    }

    /// Decode an RFC 9449 DPoP proof: as [`UnverifiedJws::decode`], except that the header
    /// may embed its public key in `jwk`, which is returned raw beside the token (see
    /// [`Header`]'s DPoP path). Only the DPoP proof verifier uses this.
    #[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
    pub(crate) fn decode_dpop_proof(
        token: &'a str,
        max_bytes: usize,
    ) -> Result<(Self, Option<Value>), ErrorKind> {
        Self::decode_with(token, max_bytes, Header::from_members_allowing_proof_key)
    }

    fn decode_with<X>(
        token: &'a str,
        max_bytes: usize,
        read_header: impl FnOnce(HeaderMembers) -> Result<(Header, X), ErrorKind>,
    ) -> Result<(Self, X), ErrorKind> {
        if token.len() > max_bytes {
            return Err(ErrorKind::TooLarge {
                len: token.len(),
                max: max_bytes,
            });
        }
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(ErrorKind::Malformed {
                segments: token.split('.').count(),
            });
        };
        let extra = parts.count();
        if extra == 2 {
            return Err(ErrorKind::EncryptedToken);
        }
        if extra != 0 {
            return Err(ErrorKind::Malformed {
                segments: 3 + extra,
            });
        }
        if h.is_empty() {
            return Err(ErrorKind::EmptySegment(Segment::Header));
        }
        let members = b64::decode_then(h, HeaderMembers::parse)
            .ok_or(ErrorKind::InvalidBase64(Segment::Header))??;
        let (header, extra) = read_header(members)?;
        if p.is_empty() {
            return Err(ErrorKind::EmptySegment(Segment::Payload));
        }
        if s.is_empty() {
            return Err(ErrorKind::EmptySegment(Segment::Signature));
        }
        let claims = b64::decode_then(p, |payload| json::parse_claims(payload, Segment::Payload))
            .ok_or(ErrorKind::InvalidBase64(Segment::Payload))?;
        let signature = b64::decode(s).ok_or(ErrorKind::InvalidBase64(Segment::Signature))?;
        let claims = claims?;
        let jws = Self {
            token,
            signing_input_len: h.len() + 1 + p.len(),
            header,
            claims,
            signature,
        };
        Ok((jws, extra))
    }

    /// The validated header.
    #[must_use]
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The claims, unverified.
    #[must_use]
    pub fn claims(&self) -> &ClaimsObject {
        &self.claims
    }

    /// The `iss` claim when it is a string, unverified (used to pick the issuer's keys).
    #[must_use]
    pub fn unverified_issuer(&self) -> Option<&str> {
        self.claims.get("iss").and_then(Value::as_str)
    }

    /// The `sub` claim when it is a string, unverified.
    #[must_use]
    pub fn unverified_subject(&self) -> Option<&str> {
        self.claims.get("sub").and_then(Value::as_str)
    }

    /// The bytes the signature covers: `BASE64URL(header) '.' BASE64URL(payload)`.
    #[must_use]
    pub fn signing_input(&self) -> &[u8] {
        self.token
            .as_bytes()
            .get(..self.signing_input_len)
            .unwrap_or_default()
    }

    /// The decoded signature bytes.
    #[must_use]
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// Take the claims object (unverified).
    #[must_use]
    pub fn into_claims(self) -> ClaimsObject {
        self.claims
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(s: &str) -> String {
        b64::encode(s.as_bytes())
    }

    fn token(header: &str, payload: &str) -> String {
        format!("{}.{}.{}", enc(header), enc(payload), enc("sig"))
    }

    #[test]
    fn jwt_01_three_segments_only() {
        let good = token(r#"{"alg":"ES256"}"#, r#"{"iss":"x"}"#);
        let jws = UnverifiedJws::decode(&good, DEFAULT_MAX_TOKEN_BYTES).unwrap();
        assert_eq!(jws.unverified_issuer(), Some("x"));
        assert_eq!(jws.signature(), b"sig");
        assert!(
            jws.signing_input()
                .ends_with(enc(r#"{"iss":"x"}"#).as_bytes())
        );
        assert_eq!(
            UnverifiedJws::decode("a.b", 100).unwrap_err(),
            ErrorKind::Malformed { segments: 2 }
        );
        assert_eq!(
            UnverifiedJws::decode("a.b.c.d", 100).unwrap_err(),
            ErrorKind::Malformed { segments: 4 }
        );
        assert_eq!(
            UnverifiedJws::decode("a.b.c.d.e", 100).unwrap_err(),
            ErrorKind::EncryptedToken
        );
    }

    #[test]
    fn jwt_01_unsecured_jwt_rejected_before_empty_signature() {
        let t = format!("{}.{}.", enc(r#"{"alg":"none"}"#), enc("{}"));
        assert_eq!(
            UnverifiedJws::decode(&t, 1000).unwrap_err(),
            ErrorKind::UnsecuredJwt
        );
        let t = format!("{}.{}.", enc(r#"{"alg":"ES256"}"#), enc("{}"));
        assert_eq!(
            UnverifiedJws::decode(&t, 1000).unwrap_err(),
            ErrorKind::EmptySegment(Segment::Signature)
        );
    }

    #[test]
    fn jwt_11_size_cap() {
        let t = "a".repeat(DEFAULT_MAX_TOKEN_BYTES + 1);
        assert_eq!(
            UnverifiedJws::decode(&t, DEFAULT_MAX_TOKEN_BYTES).unwrap_err(),
            ErrorKind::TooLarge {
                len: DEFAULT_MAX_TOKEN_BYTES + 1,
                max: DEFAULT_MAX_TOKEN_BYTES
            }
        );
    }

    #[test]
    fn jwt_01_padded_base64_rejected() {
        let h = enc(r#"{"alg":"ES256"}"#);
        let t = format!("{h}.{}=.{}", enc(r#"{"a":1}"#), enc("s"));
        assert_eq!(
            UnverifiedJws::decode(&t, 1000).unwrap_err(),
            ErrorKind::InvalidBase64(Segment::Payload)
        );
        let t = format!("{h}=.{}.{}", enc("{}"), enc("s"));
        assert_eq!(
            UnverifiedJws::decode(&t, 1000).unwrap_err(),
            ErrorKind::InvalidBase64(Segment::Header)
        );
    }

    #[test]
    fn payload_must_be_an_object() {
        let t = token(r#"{"alg":"ES256"}"#, "[1]");
        assert_eq!(
            UnverifiedJws::decode(&t, 1000).unwrap_err(),
            ErrorKind::InvalidJson(Segment::Payload)
        );
    }
}

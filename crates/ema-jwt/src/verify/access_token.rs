//! RFC 9068 access-token verification at the resource server (RS-03, RS-07).

use ema_types::claims::AccessTokenClaims;
use ema_types::{Clock, Issuer, Resource, urn};

use super::TrustAnchor;
use super::rules::{self, ClaimRule, Shape, TypRule};
use crate::compact::{DEFAULT_MAX_TOKEN_BYTES, UnverifiedJws};
use crate::error::{Error, ErrorKind, TokenKind};
use crate::{Algorithm, KeySet};

pub(super) const CLAIMS: &[ClaimRule] = &[
    ("iss", Shape::String, true),
    ("sub", Shape::String, true),
    ("aud", Shape::StringOrStrings, true),
    ("client_id", Shape::String, true),
    ("jti", Shape::String, true),
    ("exp", Shape::Time, true),
    ("iat", Shape::Time, true),
    ("nbf", Shape::Time, false),
    ("scope", Shape::Scope, false),
    ("auth_time", Shape::Time, false),
    ("acr", Shape::String, false),
    ("amr", Shape::Strings, false),
    ("cnf", Shape::Object, false),
];
const _: () = assert!(CLAIMS.len() <= rules::MAX_RULES);

fn err(kind: ErrorKind) -> Error {
    Error::for_token(TokenKind::AccessToken, kind)
}

/// Verifies RFC 9068 access tokens at a resource server: `typ` `at+jwt`, the AS issuer
/// exactly, `aud` containing this resource, time with skew. Scope checks are the caller's
/// (they depend on the operation, RS-05).
#[derive(Debug, Clone)]
pub struct AccessTokenVerifier {
    issuer: Issuer,
    resource: Resource,
    skew: u64,
    max_token_bytes: usize,
}

impl AccessTokenVerifier {
    /// A verifier for tokens of the AS `issuer` for this `resource`.
    #[must_use]
    pub fn new(issuer: Issuer, resource: Resource) -> Self {
        Self {
            issuer,
            resource,
            skew: rules::DEFAULT_SKEW_SECS,
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
        }
    }

    /// Set the clock skew (JWT-06; at most 300 s).
    pub fn with_skew(mut self, secs: u64) -> Result<Self, Error> {
        self.skew = rules::checked_skew(secs)?;
        Ok(self)
    }

    /// Verify `token` against the AS keys and allowed algorithms.
    pub fn verify(
        &self,
        token: &str,
        keys: &KeySet,
        algorithms: &[Algorithm],
        clock: &dyn Clock,
    ) -> Result<AccessTokenClaims, Error> {
        let jws = UnverifiedJws::decode(token, self.max_token_bytes).map_err(err)?;
        let anchor = TrustAnchor::new(self.issuer.as_str(), keys, algorithms);
        self.check(&jws, &anchor, clock.now_unix()).map_err(err)?;
        rules::into_typed(jws.into_claims()).map_err(err)
    }

    fn check(
        &self,
        jws: &UnverifiedJws<'_>,
        anchor: &TrustAnchor<'_>,
        now: u64,
    ) -> Result<(), ErrorKind> {
        let header = jws.header();
        let claims = jws.claims();
        rules::check_typ(header, TypRule::Required(urn::JOSE_TYPE_ACCESS_TOKEN))?;
        rules::check_algorithm(header, anchor.algorithms)?;
        rules::check_issuer(claims, anchor.issuer)?;
        rules::check_signature(header, anchor.keys, jws.signing_input(), jws.signature())?;
        rules::check_claim_shapes(claims, CLAIMS)?;
        rules::check_audience_contains(claims, |aud| self.resource.matches_presented(aud))?;
        rules::check_times(claims, now, self.skew)
    }
}

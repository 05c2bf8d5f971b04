//! `private_key_jwt` client-assertion verification (JWT-10; RFC 7523 §3, rfc7523bis).

use ema_types::claims::ClientAssertionClaims;
use ema_types::{Clock, Issuer};

use super::TrustAnchor;
use super::rules::{self, ClaimRule, Shape, TypRule};
use crate::compact::{DEFAULT_MAX_TOKEN_BYTES, UnverifiedJws};
use crate::error::{Error, ErrorKind, TokenKind};

/// Longest a client assertion may live: `exp` at most 5 minutes ahead (JWT-10).
pub const CLIENT_ASSERTION_MAX_LIFETIME_SECS: u64 = 300;

/// `typ` of a client assertion under rfc7523bis.
pub const JOSE_TYPE_CLIENT_AUTHENTICATION: &str = "client-authentication+jwt";

pub(super) const CLAIMS: &[ClaimRule] = &[
    ("iss", Shape::String, true),
    ("sub", Shape::String, true),
    ("aud", Shape::StringOrStrings, true),
    ("jti", Shape::String, true),
    ("exp", Shape::Time, true),
    ("iat", Shape::Time, false),
    ("nbf", Shape::Time, false),
];
const _: () = assert!(CLAIMS.len() <= rules::MAX_RULES);

/// No `typ`, `JWT`, or the rfc7523bis type; never an ID-JAG, access token or DPoP proof (JWT-03).
const TYP: TypRule = TypRule::AbsentOr(&[JOSE_TYPE_CLIENT_AUTHENTICATION, "jwt"]);

fn err(kind: ErrorKind) -> Error {
    Error::for_token(TokenKind::ClientAssertion, kind)
}

/// Verifies client assertions sent to one authorization server: `aud` is the server's issuer
/// (the token endpoint URL only when the legacy flag is set), `iss` = `sub` = the client id,
/// `exp` at most 5 minutes ahead, `jti` present (its single use is the caller's replay store).
#[derive(Debug, Clone)]
pub struct ClientAssertionVerifier {
    audience: Issuer,
    legacy_token_endpoint: Option<String>,
    skew: u64,
    max_lifetime: u64,
    max_token_bytes: usize,
}

impl ClientAssertionVerifier {
    /// A verifier for assertions addressed to the server `audience`.
    #[must_use]
    pub fn new(audience: Issuer) -> Self {
        Self {
            audience,
            legacy_token_endpoint: None,
            skew: rules::DEFAULT_SKEW_SECS,
            max_lifetime: CLIENT_ASSERTION_MAX_LIFETIME_SECS,
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
        }
    }

    /// Also accept the token endpoint URL as `aud` (RFC 7523 legacy; off by default, JWT-10).
    #[must_use]
    pub fn accept_token_endpoint_audience(mut self, token_endpoint: impl Into<String>) -> Self {
        self.legacy_token_endpoint = Some(token_endpoint.into());
        self
    }

    /// Set the clock skew (JWT-06; at most 300 s).
    pub fn with_skew(mut self, secs: u64) -> Result<Self, Error> {
        self.skew = rules::checked_skew(secs)?;
        Ok(self)
    }

    /// Structure and `typ`. Read [`UnverifiedJws::unverified_issuer`] to find the client.
    pub fn decode<'t>(&self, token: &'t str) -> Result<UnverifiedJws<'t>, Error> {
        let jws = UnverifiedJws::decode(token, self.max_token_bytes).map_err(err)?;
        rules::check_typ(jws.header(), TYP).map_err(err)?;
        Ok(jws)
    }

    /// Verify for the client whose id is `anchor.issuer` and whose registered keys are
    /// `anchor.keys`.
    pub fn verify(
        &self,
        jws: UnverifiedJws<'_>,
        anchor: &TrustAnchor<'_>,
        clock: &dyn Clock,
    ) -> Result<ClientAssertionClaims, Error> {
        self.check(&jws, anchor, clock.now_unix()).map_err(err)?;
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
        rules::check_typ(header, TYP)?; // JWT-03: `jws` may come from another decoder
        rules::check_algorithm(header, anchor.algorithms)?;
        let iss = claims.get("iss").and_then(|v| v.as_str());
        let sub = claims.get("sub").and_then(|v| v.as_str());
        if iss != Some(anchor.issuer) || sub != Some(anchor.issuer) {
            return Err(ErrorKind::SubjectMismatch);
        }
        rules::check_signature(header, anchor.keys, jws.signing_input(), jws.signature())?;
        rules::check_claim_shapes(claims, CLAIMS)?;
        rules::check_single_audience(
            claims,
            self.audience.as_str(),
            self.legacy_token_endpoint.as_deref(),
        )?;
        rules::check_times(claims, now, self.skew)?;
        rules::check_lifetime(claims, self.max_lifetime)?;
        if let Some(exp) = rules::time_of(claims, "exp") {
            let ahead = exp.saturating_sub(now);
            if ahead > self.max_lifetime.saturating_add(self.skew) {
                return Err(ErrorKind::LifetimeTooLong {
                    lifetime: ahead,
                    max: self.max_lifetime,
                });
            }
        }
        Ok(())
    }
}

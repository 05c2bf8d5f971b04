//! OpenID Connect ID-token verification (IDP-06 at the IdP; CL-02 at the client).

use ema_types::claims::IdTokenClaims;
use ema_types::{Clock, Issuer};

use super::TrustAnchor;
use super::rules::{self, ClaimRule, Shape, TypRule};
use crate::compact::{DEFAULT_MAX_TOKEN_BYTES, UnverifiedJws};
use crate::error::{Error, ErrorKind, TokenKind};
use crate::{Algorithm, KeySet};

pub(super) const CLAIMS: &[ClaimRule] = &[
    ("iss", Shape::String, true),
    ("sub", Shape::String, true),
    ("aud", Shape::StringOrStrings, true),
    ("exp", Shape::Time, true),
    ("iat", Shape::Time, true),
    ("nbf", Shape::Time, false),
    ("nonce", Shape::String, false),
    ("auth_time", Shape::Time, false),
    ("acr", Shape::String, false),
    ("amr", Shape::Strings, false),
    ("azp", Shape::String, false),
    ("email", Shape::String, false),
];
const _: () = assert!(CLAIMS.len() <= rules::MAX_RULES);

/// ID tokens carry no `typ` or `JWT`; anything else (an ID-JAG, an `at+jwt`) is refused (JWT-03).
const TYP: TypRule = TypRule::AbsentOr(&["jwt"]);

fn err(kind: ErrorKind) -> Error {
    Error::for_token(TokenKind::IdToken, kind)
}

/// Verifies ID tokens of one OP for one client: `iss` exact, `aud` containing the client id,
/// `exp`/`iat`/`nbf` with skew, and the `nonce` when one is expected.
#[derive(Debug, Clone)]
pub struct IdTokenVerifier {
    issuer: Issuer,
    client_id: String,
    skew: u64,
    max_token_bytes: usize,
}

impl IdTokenVerifier {
    /// A verifier for ID tokens of `issuer` issued to `client_id`.
    #[must_use]
    pub fn new(issuer: Issuer, client_id: impl Into<String>) -> Self {
        Self {
            issuer,
            client_id: client_id.into(),
            skew: rules::DEFAULT_SKEW_SECS,
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
        }
    }

    /// Set the clock skew (JWT-06; at most 300 s).
    pub fn with_skew(mut self, secs: u64) -> Result<Self, Error> {
        self.skew = rules::checked_skew(secs)?;
        Ok(self)
    }

    /// Verify `token`; when `nonce` is given the token's `nonce` must equal it (CL-02).
    pub fn verify(
        &self,
        token: &str,
        keys: &KeySet,
        algorithms: &[Algorithm],
        nonce: Option<&str>,
        clock: &dyn Clock,
    ) -> Result<IdTokenClaims, Error> {
        let jws = UnverifiedJws::decode(token, self.max_token_bytes).map_err(err)?;
        let anchor = TrustAnchor::new(self.issuer.as_str(), keys, algorithms);
        self.check(&jws, &anchor, nonce, clock.now_unix())
            .map_err(err)?;
        rules::into_typed(jws.into_claims()).map_err(err)
    }

    fn check(
        &self,
        jws: &UnverifiedJws<'_>,
        anchor: &TrustAnchor<'_>,
        nonce: Option<&str>,
        now: u64,
    ) -> Result<(), ErrorKind> {
        let header = jws.header();
        let claims = jws.claims();
        rules::check_typ(header, TYP)?;
        rules::check_algorithm(header, anchor.algorithms)?;
        rules::check_issuer(claims, anchor.issuer)?;
        rules::check_signature(header, anchor.keys, jws.signing_input(), jws.signature())?;
        rules::check_claim_shapes(claims, CLAIMS)?;
        rules::check_audience_contains(claims, |aud| aud == self.client_id)?;
        rules::check_times(claims, now, self.skew)?;
        if let Some(expected) = nonce
            && claims.get("nonce").and_then(|v| v.as_str()) != Some(expected)
        {
            return Err(ErrorKind::NonceMismatch);
        }
        Ok(())
    }
}

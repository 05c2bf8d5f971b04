//! RFC 9449 DPoP proof verification (IDP-20 at the IdP token endpoint, AS-17 at the AS,
//! RS-10 at the MCP server; JWT-03).
//!
//! # The one key taken from a header
//!
//! Every other verifier of this crate refuses a token that embeds or points to a key
//! (`jwk`, `jku`, `x5u`, `x5c`; RFC 8725 §3.10, AS-18): a key chosen by the token would let
//! anyone sign anything. A DPoP proof is different by design (RFC 9449 §4.2): its header
//! *must* carry the client's public key in `jwk`, and the signature only proves that the
//! sender **holds the private half of that key** right now, for this method and URL. It
//! grants nothing by itself. Authority comes from elsewhere: the caller compares
//! [`VerifiedDpopProof::jkt`], the RFC 7638 thumbprint of the embedded key, with the `cnf.jkt`
//! of the ID-JAG or access token (AS-17, RS-10, CL-23), or binds a new token to it (IDP-20).
//! An attacker who embeds their own key proves possession of their own key, whose thumbprint
//! matches no token they did not obtain with it.
//!
//! The exception is kept as narrow as possible:
//!
//! - only this verifier reads headers through the separate DPoP path
//!   (`Header::from_members_allowing_proof_key`); the decoders of every other kind still refuse
//!   `jwk`, so a DPoP proof never validates as another kind, nor another kind as a proof
//!   (JWT-03: `typ` `dpop+jwt` is also required here and refused there);
//! - `jku`, `x5u` and `x5c` stay refused: nothing is fetched and no chain is trusted;
//! - the `jwk` must be a public key ([`ErrorKind::InvalidKey`] on `d`, `p`, `k`, …) that passes
//!   the same validation as a JWKS key ([`VerifyingKey::from_jwk`]: P-256 point on the curve,
//!   RSA ≥ 2048 bits, no `oct`), and it is pinned to the header `alg`, which must be in the
//!   verifier's allow-list (ES256 and EdDSA by default);
//! - `alg: none` and `HS*` are refused before any of this.
//!
//! Unlike the other verifiers, this one parses a key on every call (the proof's own), since
//! each proof brings its key.
//!
//! # What stays with the caller
//!
//! Single use of `jti` within the proof age (RFC 9449 §11.1) needs a replay store; issuing
//! and rotating server nonces (§8, §9) is the server's; so is comparing `jkt` with `cnf.jkt`.

use std::fmt;

use ema_types::{Clock, urn};
use serde_json::Value;

use super::rules::{self, ClaimRule, Shape, TypRule};
use crate::compact::{DEFAULT_MAX_TOKEN_BYTES, UnverifiedJws};
use crate::error::{Error, ErrorKind, TokenKind};
use crate::key::{Jwk, VerifyingKey};
use crate::{Algorithm, ClaimsObject, b64, backend};

/// Default accepted age of a proof: `iat` at most 300 s before now (plus skew).
pub const DPOP_DEFAULT_MAX_AGE_SECS: u64 = 300;
/// Largest proof age a verifier may be configured with: 600 s.
pub const DPOP_MAX_AGE_LIMIT_SECS: u64 = 600;
/// Longest accepted `jti`, in bytes (a replay store keys on it).
pub const DPOP_MAX_JTI_BYTES: usize = 256;
/// Algorithms a verifier accepts by default: ES256 and EdDSA. RS256 and PS256 can be added
/// with [`DpopProofVerifier::with_algorithms`].
pub const DPOP_DEFAULT_ALGORITHMS: [Algorithm; 2] = [Algorithm::ES256, Algorithm::EdDSA];

pub(super) const CLAIMS: &[ClaimRule] = &[
    ("jti", Shape::String, true),
    ("htm", Shape::String, true),
    ("htu", Shape::String, true),
    ("iat", Shape::Time, true),
    ("ath", Shape::String, false),
    ("nonce", Shape::String, false),
];
const _: () = assert!(CLAIMS.len() <= rules::MAX_RULES);

const TYP: TypRule = TypRule::Required(urn::JOSE_TYPE_DPOP);

fn err(kind: ErrorKind) -> Error {
    Error::for_token(TokenKind::DpopProof, kind)
}

/// The HTTP request a DPoP proof was received with, as the server saw it.
///
/// `Debug` never prints the access token.
#[derive(Clone, Copy)]
pub struct DpopRequest<'a> {
    method: &'a str,
    url: &'a str,
    access_token: Option<&'a str>,
    nonce: Option<&'a str>,
}

impl<'a> DpopRequest<'a> {
    /// A request with this `method` (compared exactly with `htm`, so `POST`, not `post`) to
    /// this absolute `url` (the query and fragment, if any, are ignored).
    #[must_use]
    pub fn new(method: &'a str, url: &'a str) -> Self {
        Self {
            method,
            url,
            access_token: None,
            nonce: None,
        }
    }

    /// The access token presented with the proof (RS-10, RFC 9449 §7): the proof must then
    /// carry `ath` = base64url(SHA-256(token)).
    #[must_use]
    pub fn with_access_token(mut self, access_token: &'a str) -> Self {
        self.access_token = Some(access_token);
        self
    }

    /// The server nonce the proof must carry in `nonce` (RFC 9449 §8, §9).
    #[must_use]
    pub fn with_nonce(mut self, nonce: &'a str) -> Self {
        self.nonce = Some(nonce);
        self
    }
}

impl fmt::Debug for DpopRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("access_token", &self.access_token.map(|_| "[redacted]"))
            .field("nonce", &self.nonce)
            .finish()
    }
}

/// A DPoP proof whose signature, key and claims have been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedDpopProof {
    /// RFC 7638 SHA-256 thumbprint of the proof's `jwk`, unpadded base64url: what `cnf.jkt`
    /// must equal (AS-17, RS-10) or is set to (IDP-20).
    pub jkt: String,
    /// `jti`, for the caller's replay store (single use within the proof age).
    pub jti: String,
    /// `iat`.
    pub iat: u64,
    /// `htm`, as signed.
    pub htm: String,
    /// `htu`, as signed.
    pub htu: String,
    /// `nonce`, when the proof carries one.
    pub nonce: Option<String>,
    /// Every claim of the proof, for extension checks (for example the MCP DPoP
    /// extension's `content_digest`).
    pub claims: ClaimsObject,
}

/// Verifies RFC 9449 DPoP proofs (§4.3): `typ` `dpop+jwt`; `alg` in the allow-list; a public
/// `jwk` in the header, pinned to `alg`, that verifies the signature; `jti` (≤ 256 bytes),
/// `htm` and `htu` matching the request; `iat` within `[now - max_age - skew, now + skew]`;
/// `nonce` and `ath` when the request calls for them.
///
/// Failures are [`Error`]s of [`TokenKind::DpopProof`] (`invalid_dpop_proof`), except a
/// request URL that is not an absolute `http`/`https` URL, which is the caller's error
/// ([`ErrorKind::InvalidConfig`], no token kind).
///
/// ```
/// use ema_jwt::{Algorithm, SigningKey};
/// use ema_jwt::mint::DpopProofMinter;
/// use ema_jwt::verify::{DpopProofVerifier, DpopRequest};
/// use ema_types::{FixedClock, SystemRandom};
///
/// let clock = FixedClock::new(1_793_000_000);
/// let client = DpopProofMinter::new(SigningKey::generate(Algorithm::ES256)?);
/// let url = "https://login.acme-idp.test/oauth2/token";
/// let proof = client.mint("POST", url, None, None, &clock, &SystemRandom)?;
///
/// let verified = DpopProofVerifier::new()
///     .verify(proof.expose(), &DpopRequest::new("POST", url), &clock)?;
/// assert_eq!(verified.jkt, client.jkt()); // the IdP puts it in `cnf.jkt` (IDP-20)
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct DpopProofVerifier {
    algorithms: Vec<Algorithm>,
    max_age: u64,
    skew: u64,
    max_token_bytes: usize,
}

impl Default for DpopProofVerifier {
    fn default() -> Self {
        Self::new()
    }
}

impl DpopProofVerifier {
    /// A verifier with the defaults: ES256 and EdDSA, proofs up to 300 s old, 60 s skew.
    #[must_use]
    pub fn new() -> Self {
        Self {
            algorithms: DPOP_DEFAULT_ALGORITHMS.to_vec(),
            max_age: DPOP_DEFAULT_MAX_AGE_SECS,
            skew: rules::DEFAULT_SKEW_SECS,
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
        }
    }

    /// Replace the algorithm allow-list (for example add RS256 or PS256). It must not be
    /// empty.
    pub fn with_algorithms(
        mut self,
        algorithms: impl IntoIterator<Item = Algorithm>,
    ) -> Result<Self, Error> {
        let algorithms: Vec<Algorithm> = algorithms.into_iter().collect();
        if algorithms.is_empty() {
            return Err(Error::new(ErrorKind::InvalidConfig(
                "empty DPoP algorithm allow-list",
            )));
        }
        self.algorithms = algorithms;
        Ok(self)
    }

    /// Set the accepted proof age: 1 to 600 seconds.
    pub fn with_max_age(mut self, secs: u64) -> Result<Self, Error> {
        self.max_age = rules::checked_lifetime(
            secs,
            DPOP_MAX_AGE_LIMIT_SECS,
            "DPoP proof age outside 1..=600 seconds",
        )?;
        Ok(self)
    }

    /// Set the clock skew (JWT-06; at most 300 s).
    pub fn with_skew(mut self, secs: u64) -> Result<Self, Error> {
        self.skew = rules::checked_skew(secs)?;
        Ok(self)
    }

    /// The algorithms accepted.
    #[must_use]
    pub fn algorithms(&self) -> &[Algorithm] {
        &self.algorithms
    }

    /// Verify `proof`, received with `request`, at the time of `clock`.
    pub fn verify(
        &self,
        proof: &str,
        request: &DpopRequest<'_>,
        clock: &dyn Clock,
    ) -> Result<VerifiedDpopProof, Error> {
        let expected_htu = htu_key(request.url).ok_or_else(|| {
            Error::new(ErrorKind::InvalidConfig(
                "request URL is not an absolute http(s) URL",
            ))
        })?;
        let (jws, jwk) =
            UnverifiedJws::decode_dpop_proof(proof, self.max_token_bytes).map_err(err)?;
        let key = self.check_key_and_signature(&jws, jwk).map_err(err)?;
        self.check_claims(jws.claims(), request, &expected_htu, clock.now_unix())
            .map_err(err)?;
        let claims = jws.into_claims();
        let string = |name: &str| {
            claims
                .get(name)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_default()
        };
        Ok(VerifiedDpopProof {
            jkt: key.thumbprint().to_owned(),
            jti: string("jti"),
            iat: rules::time_of(&claims, "iat").unwrap_or_default(),
            htm: string("htm"),
            htu: string("htu"),
            nonce: claims
                .get("nonce")
                .and_then(Value::as_str)
                .map(str::to_owned),
            claims,
        })
    }

    /// RFC 9449 §4.3 checks 4-7: `typ`, `alg`, the embedded public key and the signature.
    fn check_key_and_signature(
        &self,
        jws: &UnverifiedJws<'_>,
        jwk: Option<Value>,
    ) -> Result<VerifyingKey, ErrorKind> {
        let header = jws.header();
        rules::check_typ(header, TYP)?; // JWT-03
        rules::check_algorithm(header, &self.algorithms)?;
        let Some(Value::Object(jwk)) = jwk else {
            return Err(ErrorKind::MissingProofKey);
        };
        let mut jwk: Jwk = serde_json::from_value(Value::Object(jwk))
            .map_err(|_| ErrorKind::InvalidKey("DPoP `jwk` is not a JWK"))?;
        if jwk.has_private_material() {
            return Err(ErrorKind::InvalidKey("private key material in JWK"));
        }
        // Pin the key to the header `alg`: a `jwk.alg` must already equal it; without one the
        // key type must suit it (an `EC` key never verifies EdDSA, an RSA key RS256 and PS256
        // alike).
        if jwk.alg.is_none() {
            jwk.alg = Some(header.alg.as_str().to_owned());
        }
        let key = VerifyingKey::from_jwk(&jwk).map_err(|e| e.kind().clone())?;
        key.verify(header.alg, jws.signing_input(), jws.signature())?;
        Ok(key)
    }

    /// RFC 9449 §4.3 checks 8-12 (claims of a proof whose signature verified).
    fn check_claims(
        &self,
        claims: &ClaimsObject,
        request: &DpopRequest<'_>,
        expected_htu: &str,
        now: u64,
    ) -> Result<(), ErrorKind> {
        rules::check_claim_shapes(claims, CLAIMS)?;
        let str_claim = |name: &'static str| {
            claims
                .get(name)
                .and_then(Value::as_str)
                .ok_or(ErrorKind::MissingClaim(name))
        };
        if str_claim("jti")?.len() > DPOP_MAX_JTI_BYTES {
            return Err(ErrorKind::InvalidClaim("jti"));
        }
        if str_claim("htm")? != request.method {
            return Err(ErrorKind::HtmMismatch);
        }
        let htu = htu_key(str_claim("htu")?).ok_or(ErrorKind::InvalidClaim("htu"))?;
        if htu != expected_htu {
            return Err(ErrorKind::HtuMismatch);
        }
        let iat = rules::time_of(claims, "iat").ok_or(ErrorKind::MissingClaim("iat"))?;
        if iat > now.saturating_add(self.skew) {
            return Err(ErrorKind::IssuedInFuture);
        }
        if iat < now.saturating_sub(self.max_age.saturating_add(self.skew)) {
            return Err(ErrorKind::ProofTooOld);
        }
        if let Some(expected) = request.nonce
            && str_claim("nonce")? != expected
        {
            return Err(ErrorKind::NonceMismatch);
        }
        if let Some(access_token) = request.access_token
            && str_claim("ath")? != access_token_hash(access_token)
        {
            return Err(ErrorKind::AthMismatch);
        }
        Ok(())
    }
}

/// `ath`: base64url(SHA-256(ASCII(access token))) (RFC 9449 §4.2).
pub(crate) fn access_token_hash(access_token: &str) -> String {
    b64::encode(&backend::sha256(access_token.as_bytes()))
}

/// The form an `htu` and a request URL are compared in (RFC 9449 §4.3 check 9): query and
/// fragment dropped; scheme and host lower-cased; a default port (`:443` for `https`, `:80`
/// for `http`) or an empty one removed, other ports as numbers; an empty path made `/`; and
/// the hex digits of percent-escapes upper-cased (RFC 3986 §6.2.2.1, §6.2.3). The path is
/// otherwise compared exactly: a trailing slash, a dot segment or a decoded unreserved
/// character makes a different URL (stricter than full normalization, never looser).
///
/// `None` unless the URL is an absolute `http` or `https` URL with a host and no user info.
pub(crate) fn htu_key(url: &str) -> Option<String> {
    let url = url.split('#').next().unwrap_or_default();
    let url = url.split('?').next().unwrap_or_default();
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port: u16 = match scheme.as_str() {
        "https" => 443,
        "http" => 80,
        _ => return None,
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    if authority.contains('@') || authority.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return None;
    }
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (inner, tail) = v6.split_once(']')?;
            let port = match tail {
                "" => None,
                t => Some(t.strip_prefix(':')?),
            };
            (format!("[{}]", inner.to_ascii_lowercase()), port)
        }
        None => match authority.split_once(':') {
            Some((host, port)) => (host.to_ascii_lowercase(), Some(port)),
            None => (authority.to_ascii_lowercase(), None),
        },
    };
    if host.is_empty() || host == "[]" {
        return None;
    }
    let port = match port {
        None | Some("") => None,
        Some(p) if p.bytes().all(|b| b.is_ascii_digit()) => {
            Some(p.parse::<u16>().ok()).filter(|p| *p != Some(default_port))
        }
        Some(_) => return None,
    };
    let mut out = String::with_capacity(url.len() + 1);
    out.push_str(&scheme);
    out.push_str("://");
    out.push_str(&host);
    match port {
        None => {}
        Some(Some(p)) => {
            out.push(':');
            out.push_str(&p.to_string());
        }
        Some(None) => return None, // digits, but above 65535
    }
    if path.is_empty() {
        out.push('/');
    }
    let mut rest = path;
    while let Some(i) = rest.find('%') {
        let (before, from) = rest.split_at(i);
        out.push_str(before);
        match from.get(1..3) {
            Some(hex) if hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                out.push('%');
                out.push_str(&hex.to_ascii_uppercase());
                rest = from.get(3..).unwrap_or_default();
            }
            _ => {
                out.push('%');
                rest = from.get(1..).unwrap_or_default();
            }
        }
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn htu_normalization() {
        let k = |u: &str| htu_key(u);
        let base = Some("https://as.example/oauth/token".to_owned());
        assert_eq!(k("https://as.example/oauth/token"), base);
        assert_eq!(k("HTTPS://AS.Example/oauth/token"), base);
        assert_eq!(k("https://as.example:443/oauth/token"), base);
        assert_eq!(k("https://as.example:/oauth/token"), base);
        assert_eq!(k("https://as.example/oauth/token?a=b#frag"), base);
        assert_eq!(k("https://as.example/oauth/token#f?x"), base);
        assert_ne!(k("https://as.example/oauth/token/"), base);
        assert_ne!(k("https://as.example/OAuth/token"), base);
        assert_ne!(k("http://as.example/oauth/token"), base);
        assert_ne!(k("https://as.example:8443/oauth/token"), base);
        assert_eq!(
            k("http://as.example:80"),
            Some("http://as.example/".to_owned())
        );
        assert_eq!(
            k("https://as.example:0443/x"),
            Some("https://as.example/x".to_owned())
        );
        assert_eq!(
            k("https://[::1]:8443/x"),
            Some("https://[::1]:8443/x".to_owned())
        );
        assert_eq!(
            k("https://as.example/a%2fb%"),
            k("https://as.example/a%2Fb%")
        );
        assert_ne!(k("https://as.example/a%2fb"), k("https://as.example/a/b"));
        for bad in [
            "",
            "as.example/token",
            "ftp://as.example/x",
            "https://",
            "https:///x",
            "https://user@as.example/x",
            "https://as.example:99999/x",
            "https://as.example:44a/x",
            "https://[::1/x",
            "https://[]/x",
            "https://as example/x",
            "//as.example/x",
        ] {
            assert_eq!(k(bad), None, "{bad}");
        }
    }

    #[test]
    fn ath_is_base64url_sha256() {
        // RFC 9449 §7.1 example: access token and its `ath`.
        assert_eq!(
            access_token_hash("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
            "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
        );
    }
}

//! The one error type of this crate.
//!
//! [`Error`] is a boxed [`ErrorKind`] (one pointer wide, so `Result` stays small on hot paths)
//! plus the [`TokenKind`] being processed, which decides the OAuth error code a server puts
//! on the wire ([`Error::oauth_error_code`]). Every kind names exactly one rule, so tests assert
//! the precise reason and logs can carry it while the wire answer stays uniform.

use std::fmt;

use ema_types::ErrorCode;

use crate::Algorithm;

/// The kind of token a verifier or minter was working on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenKind {
    /// An Identity Assertion JWT Authorization Grant (`typ` `oauth-id-jag+jwt`).
    IdJag,
    /// An RFC 9068 JWT access token (`typ` `at+jwt`).
    AccessToken,
    /// An OpenID Connect ID token.
    IdToken,
    /// An RFC 7523 §2.2 client assertion (`private_key_jwt`).
    ClientAssertion,
    /// An RFC 9449 DPoP proof (`typ` `dpop+jwt`).
    DpopProof,
}

impl TokenKind {
    /// The OAuth error code the digest prescribes for a token of this kind that fails validation:
    /// `invalid_grant` for ID-JAGs (AS-19), `invalid_token` for access tokens (RS-04),
    /// `invalid_client` for client assertions (JWT-10), `invalid_request` for ID tokens
    /// presented as subject tokens (IDP-06, OQ-09) and `invalid_dpop_proof` for DPoP proofs
    /// (IDP-20, AS-17; RFC 9449 §5). A resource server answering a bad proof on a resource
    /// request (RS-10, RFC 9449 §7.1) uses `invalid_dpop_proof` too.
    #[must_use]
    pub fn rejection_code(self) -> ErrorCode {
        match self {
            Self::IdJag => ErrorCode::InvalidGrant,
            Self::AccessToken => ErrorCode::InvalidToken,
            Self::IdToken => ErrorCode::InvalidRequest,
            Self::ClientAssertion => ErrorCode::InvalidClient,
            Self::DpopProof => ErrorCode::InvalidDpopProof,
        }
    }
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::IdJag => "ID-JAG",
            Self::AccessToken => "access token",
            Self::IdToken => "ID token",
            Self::ClientAssertion => "client assertion",
            Self::DpopProof => "DPoP proof",
        })
    }
}

/// The part of a compact JWS a structural error was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Segment {
    /// The protected header.
    Header,
    /// The payload (claims).
    Payload,
    /// The signature.
    Signature,
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Header => "header",
            Self::Payload => "payload",
            Self::Signature => "signature",
        })
    }
}

/// Exactly which rule failed. Requirement IDs from the digest are given per variant.
///
/// Attacker-controlled strings carried here (a `kid`, a `typ`, an `alg`) are truncated to
/// [`ErrorKind::MAX_ECHO`] bytes, so an error can be logged without amplifying input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    // ---- structure (JWT-01, JWT-11; §6 step 4) ----
    /// The token is larger than the configured cap (JWT-11: 16 KiB by default).
    #[error("token is {len} bytes, more than the {max}-byte cap")]
    TooLarge {
        /// Size of the presented token.
        len: usize,
        /// The cap in force.
        max: usize,
    },
    /// Not three dot-separated segments (JWT-01).
    #[error("not a JWS compact serialization (expected 3 segments, found {segments})")]
    Malformed {
        /// How many segments were found.
        segments: usize,
    },
    /// Five segments: a JWE, which is not supported (JWT-01).
    #[error("JWE tokens are not supported")]
    EncryptedToken,
    /// A segment is empty where content is required (for example an empty signature).
    #[error("the {0} segment is empty")]
    EmptySegment(Segment),
    /// A segment is not strict unpadded base64url (JWT-01).
    #[error("the {0} segment is not unpadded base64url")]
    InvalidBase64(Segment),
    /// A segment does not decode to a JSON object.
    #[error("the {0} segment is not a JSON object")]
    InvalidJson(Segment),
    /// A JSON object in the token repeats a member name (JWT-11).
    #[error("the {segment} repeats the member `{name}`")]
    DuplicateMember {
        /// Where the duplicate was found.
        segment: Segment,
        /// The repeated name (truncated).
        name: String,
    },

    // ---- header (JWT-01..JWT-05; §6 steps 4-6) ----
    /// The header has no `alg`.
    #[error("header has no `alg`")]
    MissingAlgorithm,
    /// `alg` is `none`: an unsecured JWT (JWT-01).
    #[error("unsecured JWT (`alg: none`)")]
    UnsecuredJwt,
    /// `alg` is not one this crate implements for verification (for example `HS256`) (JWT-02).
    #[error("algorithm `{0}` is not supported")]
    UnsupportedAlgorithm(String),
    /// `alg` is supported but not in the verifier's allow-list for this issuer (JWT-02, §6 step 6).
    #[error("algorithm {0} is not allowed here")]
    AlgorithmNotAllowed(Algorithm),
    /// The header has no `typ` although this token kind requires explicit typing (JWT-03).
    #[error("header has no `typ`")]
    MissingType,
    /// `typ` is not the one this verifier accepts (JWT-03, JWT-04, §6 step 5).
    #[error("`typ` is `{found}`, expected `{expected}`")]
    WrongType {
        /// The short form this verifier accepts.
        expected: &'static str,
        /// What the token carried (truncated).
        found: String,
    },
    /// The header carries `crit` with names this crate does not understand (JWT-05).
    #[error("unsupported critical header parameter `{0}`")]
    UnsupportedCritical(String),
    /// The header embeds or points to key material (`jwk`, `jku`, `x5u`, `x5c`); keys are never
    /// taken from a token (AS-18, RFC 8725 §3.10).
    #[error("header parameter `{0}` (embedded or remote key) is not accepted")]
    EmbeddedKey(&'static str),
    /// A header member has the wrong JSON type (for example a numeric `kid`).
    #[error("header member `{0}` has the wrong type")]
    InvalidHeader(&'static str),

    // ---- keys (JWT-02, JWT-05, JWT-09; §6 steps 6, 8) ----
    /// No key with this `kid` in the issuer's key set (JWT-05, §6 step 8).
    #[error("no key with kid `{0}`")]
    UnknownKeyId(String),
    /// The token has no `kid` and more than one key could verify it (JWT-05).
    #[error("no `kid` and {0} candidate keys")]
    AmbiguousKey(usize),
    /// No key in the set is usable for this algorithm.
    #[error("no key for algorithm {0}")]
    NoKeyForAlgorithm(Algorithm),
    /// The selected key is pinned to another algorithm (JWT-02).
    #[error("key is pinned to {key}, token uses {token}")]
    KeyAlgorithmMismatch {
        /// The algorithm the key is pinned to.
        key: Algorithm,
        /// The algorithm in the token header.
        token: Algorithm,
    },
    /// An RSA key shorter than 2048 bits (JWT-02).
    #[error("RSA key of {0} bits is too short (minimum 2048)")]
    WeakKey(usize),
    /// A JWK or PEM could not be turned into a key.
    #[error("invalid key: {0}")]
    InvalidKey(&'static str),
    /// A JWK of a type or curve this crate does not support.
    #[error("unsupported key: {0}")]
    UnsupportedKey(String),

    // ---- signature (§6 step 9) ----
    /// The signature does not verify (also: wrong length, DER instead of raw `R‖S`).
    #[error("signature does not verify")]
    InvalidSignature,

    // ---- claims (JWT-06..JWT-08, JWT-10; §6 steps 10-16) ----
    /// A required claim is absent (§6 step 10).
    #[error("required claim `{0}` is missing")]
    MissingClaim(&'static str),
    /// A claim has the wrong JSON type or an invalid value (§6 step 10).
    #[error("claim `{0}` is malformed")]
    InvalidClaim(&'static str),
    /// `iss` is not the expected or a trusted issuer (§6 step 7, JWT-08).
    #[error("issuer is not trusted")]
    UntrustedIssuer,
    /// `aud` does not contain the expected audience exactly (JWT-07, JWT-08, §6 step 11).
    #[error("audience does not match")]
    AudienceMismatch,
    /// `aud` is an array with more than one element where a single audience is required (JWT-07).
    #[error("audience has {0} values, exactly one is required")]
    MultipleAudiences(usize),
    /// `client_id` differs from the authenticated client (§6 step 12).
    #[error("client_id does not match the authenticated client")]
    ClientIdMismatch,
    /// A client assertion whose `iss` and `sub` differ, or differ from the client id (JWT-10).
    #[error("client assertion iss/sub do not name the client")]
    SubjectMismatch,
    /// now ≥ `exp` + skew (JWT-06, §6 step 13).
    #[error("token expired")]
    Expired,
    /// `nbf` > now + skew (JWT-06, §6 step 13).
    #[error("token not yet valid")]
    NotYetValid,
    /// `iat` > now + skew (JWT-06, §6 step 13).
    #[error("token issued in the future")]
    IssuedInFuture,
    /// `exp` - `iat` (or, for client assertions, `exp` - now) exceeds the lifetime cap
    /// (§6 step 14, JWT-10). With the expiry check of step 13 this also bounds now - `iat`
    /// to the cap plus skew, the second half of step 14.
    #[error("token lifetime of {lifetime}s exceeds the {max}s cap")]
    LifetimeTooLong {
        /// `exp` - `iat` in seconds.
        lifetime: u64,
        /// The cap in force.
        max: u64,
    },
    /// `resource` is missing where it is required (§6 step 16, OQ-02).
    #[error("resource claim is missing")]
    MissingResource,
    /// A `resource` value is not one the verifier serves (§6 step 16, AS-08).
    #[error("resource is not served here")]
    ResourceMismatch,
    /// A `nonce` in an ID token (CL-02) or a DPoP proof (RFC 9449 §8) differs from the
    /// expected one.
    #[error("nonce does not match")]
    NonceMismatch,

    // ---- DPoP proofs (IDP-20, AS-17, RS-10; RFC 9449 §4.3) ----
    /// A header claiming `typ` `dpop+jwt` has no `jwk`, or a `jwk` that is not a JSON object
    /// (RFC 9449 §4.2).
    #[error("DPoP proof header has no public key (`jwk`)")]
    MissingProofKey,
    /// `htm` differs from the request method (RFC 9449 §4.3 check 8).
    #[error("`htm` does not match the request method")]
    HtmMismatch,
    /// `htu` differs from the request URL, query and fragment ignored (RFC 9449 §4.3 check 9).
    #[error("`htu` does not match the request URL")]
    HtuMismatch,
    /// `ath` differs from the hash of the presented access token (RFC 9449 §4.3 check 12).
    #[error("`ath` does not match the access token")]
    AthMismatch,
    /// `iat` is older than the accepted proof age plus skew (RFC 9449 §4.3 check 11).
    #[error("DPoP proof is too old")]
    ProofTooOld,

    // ---- minting and configuration ----
    /// The system random generator failed.
    #[error("random generator failure")]
    Randomness,
    /// Signing failed inside the crypto backend.
    #[error("signing failed")]
    Signing,
    /// A minting or verifier configuration is invalid (for example a lifetime above the cap).
    #[error("invalid configuration: {0}")]
    InvalidConfig(&'static str),
    /// Serialization of a header or claims set failed.
    #[error("could not serialize the token")]
    Serialization,
}

impl ErrorKind {
    /// Longest attacker-controlled string echoed inside an error.
    pub const MAX_ECHO: usize = 64;

    /// Truncate an untrusted string for inclusion in an error, on a char boundary.
    pub(crate) fn echo(s: &str) -> String {
        if s.len() <= Self::MAX_ECHO {
            return s.to_owned();
        }
        let mut end = Self::MAX_ECHO;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        let mut out = s.get(..end).unwrap_or_default().to_owned();
        out.push('…');
        out
    }
}

/// The error of every fallible operation in this crate.
#[derive(Clone, PartialEq, Eq)]
pub struct Error(Box<Inner>);

#[derive(Clone, PartialEq, Eq)]
struct Inner {
    kind: ErrorKind,
    token: Option<TokenKind>,
}

impl Error {
    /// An error of `kind` not tied to a token kind (key or configuration problems).
    #[must_use]
    pub fn new(kind: ErrorKind) -> Self {
        Self(Box::new(Inner { kind, token: None }))
    }

    /// An error of `kind` raised while processing a token of `token` kind.
    #[must_use]
    pub fn for_token(token: TokenKind, kind: ErrorKind) -> Self {
        Self(Box::new(Inner {
            kind,
            token: Some(token),
        }))
    }

    /// The precise reason.
    #[must_use]
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// The token kind being processed, if any.
    #[must_use]
    pub fn token_kind(&self) -> Option<TokenKind> {
        self.0.token
    }

    /// Attach the token kind, keeping the reason.
    #[must_use]
    pub fn with_token_kind(mut self, token: TokenKind) -> Self {
        self.0.token = Some(token);
        self
    }

    /// The RFC 6749 / RFC 6750 error code a server should answer with.
    ///
    /// Token failures map through [`TokenKind::rejection_code`]; failures with no token
    /// (bad key material, configuration, randomness) are `server_error`.
    #[must_use]
    pub fn oauth_error_code(&self) -> ErrorCode {
        match self.0.token {
            Some(token) => token.rejection_code(),
            None => ErrorCode::ServerError,
        }
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Self::new(kind)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.0.kind)
            .field("token", &self.0.token)
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.token {
            Some(token) => write!(f, "{token}: {}", self.0.kind),
            None => fmt::Display::fmt(&self.0.kind, f),
        }
    }
}

impl std::error::Error for Error {}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_one_pointer_wide() {
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }

    #[test]
    fn echo_truncates_on_char_boundary() {
        let long = "é".repeat(100);
        let echoed = ErrorKind::echo(&long);
        assert!(echoed.len() <= ErrorKind::MAX_ECHO + '…'.len_utf8());
        assert!(echoed.ends_with('…'));
        assert_eq!(ErrorKind::echo("kid-1"), "kid-1");
    }

    #[test]
    fn oauth_codes_follow_token_kind() {
        let e = Error::for_token(TokenKind::IdJag, ErrorKind::Expired);
        assert_eq!(e.oauth_error_code(), ErrorCode::InvalidGrant);
        let e = Error::for_token(TokenKind::AccessToken, ErrorKind::Expired);
        assert_eq!(e.oauth_error_code(), ErrorCode::InvalidToken);
        let e = Error::for_token(TokenKind::ClientAssertion, ErrorKind::Expired);
        assert_eq!(e.oauth_error_code(), ErrorCode::InvalidClient);
        let e = Error::for_token(TokenKind::IdToken, ErrorKind::Expired);
        assert_eq!(e.oauth_error_code(), ErrorCode::InvalidRequest);
        let e = Error::for_token(TokenKind::DpopProof, ErrorKind::HtmMismatch);
        assert_eq!(e.oauth_error_code(), ErrorCode::InvalidDpopProof);
        assert_eq!(
            e.to_string(),
            "DPoP proof: `htm` does not match the request method"
        );
        assert_eq!(
            Error::new(ErrorKind::Randomness).oauth_error_code(),
            ErrorCode::ServerError
        );
    }
}

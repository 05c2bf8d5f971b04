//! The JSON schema of the corpus (`ema-vectors/1`), as serde types.
//!
//! Every vector file is a [`VectorFile`]; `keys.json` is a [`KeysFile`]. Unknown members are
//! refused when reading, so a consumer notices a schema change.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The value of the `schema` member of every file.
pub const SCHEMA: &str = "ema-vectors/1";

/// One file of vectors, all for the same [`Target`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VectorFile {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// What every vector of the file is presented to.
    pub target: Target,
    /// What the file covers.
    pub description: String,
    /// The configuration of the verifier or handler the vectors assume (issuers, audiences,
    /// resources, clients, skew, lifetime caps). Free-form, documented per target in the
    /// corpus README.
    pub setup: serde_json::Value,
    /// The vectors.
    pub vectors: Vec<Vector>,
}

/// What a vector is presented to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// ID-JAG verification at the resource AS (§6 steps 4-16), on the token alone.
    IdJag,
    /// RFC 9068 access-token verification at the resource server (RS-03).
    AccessToken,
    /// `private_key_jwt` client-assertion verification (JWT-10).
    ClientAssertion,
    /// The IdP token endpoint: RFC 8693 token exchange issuing ID-JAGs (IDP-01..IDP-22).
    TokenExchange,
    /// The resource AS token endpoint: the RFC 7523 jwt-bearer grant (AS-01..AS-23, §6).
    JwtBearer,
}

impl Target {
    /// Every target, in file order.
    pub const ALL: [Self; 5] = [
        Self::IdJag,
        Self::AccessToken,
        Self::ClientAssertion,
        Self::TokenExchange,
        Self::JwtBearer,
    ];

    /// The corpus file holding this target's vectors.
    #[must_use]
    pub fn file_name(self) -> &'static str {
        match self {
            Self::IdJag => "id_jag.json",
            Self::AccessToken => "access_token.json",
            Self::ClientAssertion => "client_assertion.json",
            Self::TokenExchange => "token_exchange.json",
            Self::JwtBearer => "jwt_bearer.json",
        }
    }
}

/// One vector: an input, the clock it is presented at, and the expected outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vector {
    /// Stable identifier, unique across the corpus (for example `idjag-alg-none`).
    pub id: String,
    /// The requirement IDs of the digest the vector exercises (`JWT-01`, `AS-08`,
    /// `§6 step 7`, ...), most specific first.
    pub requirement: Vec<String>,
    /// What the vector does, in one sentence.
    pub description: String,
    /// The target (same as the file's).
    pub target: Target,
    /// "Now" for the verifier or handler, in Unix seconds.
    pub clock: u64,
    /// Which keys of `keys.json` play which role: role name → JWKS name (in `jwks`) or key
    /// name (in `keys`). Roles are listed per target in the corpus README.
    pub keys: BTreeMap<String, String>,
    /// Inputs presented first, in order, to the same handler instance (same replay store and
    /// clock), each with its own expected outcome: for replay sequences.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub before: Vec<Step>,
    /// The input under test.
    pub input: Input,
    /// The expected outcome of `input`.
    pub expect: Expect,
}

/// An input with its expected outcome (a step of a sequence).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// The input.
    pub input: Input,
    /// Its expected outcome.
    pub expect: Expect,
}

/// What is presented.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Input {
    /// A token presented to a verifier.
    Token {
        /// The token, exactly as presented (it may be malformed on purpose).
        token: String,
        /// For ID-JAGs: the client the AS authenticated (compared with the `client_id` claim,
        /// §6 step 12).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<String>,
    },
    /// An HTTP request to a token endpoint.
    Request {
        /// The HTTP method.
        method: String,
        /// The request target (path).
        path: String,
        /// Header fields in order, as `[name, value]` pairs (a name may repeat).
        headers: Vec<(String, String)>,
        /// The body, exactly as sent (`application/x-www-form-urlencoded`).
        body: String,
    },
}

/// The expected outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Accepted or rejected.
    pub verdict: Verdict,
    /// The OAuth error code (RFC 6749 §5.2, RFC 6750 §3.1, RFC 8693, RFC 9449) a server
    /// answers with on rejection, as the digest prescribes. For token targets this is the code
    /// of the token kind (`invalid_grant` for an ID-JAG, `invalid_token` for an access token,
    /// `invalid_client` for a client assertion).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// For request targets: the HTTP status of the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// For token targets: the rule that refuses the token, as the name of an `ema-jwt`
    /// `ErrorKind` variant (informative for other implementations; the first failing check
    /// depends on the order of checks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

/// Accepted or rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The token verifies, or the request succeeds (HTTP 200).
    Accept,
    /// The token or the request is refused.
    Reject,
}

/// `keys.json`: every key the corpus uses, and the JWKS documents built from them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysFile {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// A warning: test-only keys.
    pub description: String,
    /// Key name → key (public and private forms).
    pub keys: BTreeMap<String, KeyEntry>,
    /// JWKS name → JWKS document (`{"keys": [...]}`), as the verifiers are given it. Some
    /// hold deliberately unusable keys (off-curve points, short RSA moduli, `oct` keys).
    pub jwks: BTreeMap<String, serde_json::Value>,
}

/// One key pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyEntry {
    /// The `kid` it is published under.
    pub kid: String,
    /// The JWS algorithm it signs with.
    pub alg: String,
    /// How the key was made (committed test key, or the seed it is derived from).
    pub origin: String,
    /// The public JWK.
    pub public_jwk: serde_json::Value,
    /// The private JWK (with `d`, and the CRT members for RSA).
    pub private_jwk: serde_json::Value,
    /// The private key as PKCS#8 PEM.
    pub pkcs8_pem: String,
}

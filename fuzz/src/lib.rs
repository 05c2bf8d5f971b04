//! Shared fixtures of the fuzz targets: fixed keys, a deterministic random source, the fixed
//! clock, and the structure-aware token mutations of the `verify_*` targets.
//!
//! Everything here is deterministic so that a crash input replays to the same execution:
//! the Ed25519 key is derived from fixed bytes, the ES256 key is a committed PKCS#8 PEM
//! (`fuzz/keys/es256.pem`, a test key that signs nothing outside this directory), Ed25519
//! signatures are deterministic, and the random source returns a fixed pattern.

use std::sync::OnceLock;

use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair as _};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ema_jwt::compact::DEFAULT_MAX_TOKEN_BYTES;
use ema_jwt::{KeySet, SigningKey};
use ema_types::{FixedClock, RandomError, SecureRandom};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use serde_json::{Map, Number, Value};

/// The instant every token is minted at; verification runs at this plus a bounded offset.
pub const NOW: u64 = 1_793_000_000;
/// The IdP issuing ID-JAGs.
pub const IDP: &str = "https://login.acme-idp.test";
/// The resource authorization server (audience of ID-JAGs and client assertions, issuer of
/// access tokens).
pub const AS: &str = "https://as.toolhub.test";
/// The AS token endpoint, accepted as a legacy client-assertion audience.
pub const TOKEN_ENDPOINT: &str = "https://as.toolhub.test/token";
/// The MCP server (the resource).
pub const MCP: &str = "https://tools.toolhub.test/mcp";
/// The authenticated client.
pub const CLIENT: &str = "cli_42b19c";
/// The end user.
pub const SUBJECT: &str = "00u8k2p9xq";
/// The requested scope.
pub const SCOPE: &str = "tickets:read";

/// The fixed Ed25519 seed (32 bytes).
const ED25519_SEED: &[u8; 32] = b"ema-fuzz fixed ed25519 seed 0001";
/// RFC 8410 PKCS#8 v1 prefix of an Ed25519 private key; the 32-byte seed follows.
const ED25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];
const ES256_PEM: &str = include_str!("../keys/es256.pem");

/// The fixed keys.
pub struct Fixture {
    /// The Ed25519 signing key as `ema-jwt` sees it (used by the minters).
    pub signing: SigningKey,
    /// The same key for signing arbitrary input.
    pub pair: Ed25519KeyPair,
    /// The Ed25519 key and an ES256 key (which never signs here): the verifiers' key set.
    pub keys: KeySet,
    /// The Ed25519 key's `kid`.
    pub ed_kid: String,
    /// The ES256 key's `kid`.
    pub ec_kid: String,
}

impl std::fmt::Debug for Fixture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fixture")
            .field("ed_kid", &self.ed_kid)
            .field("ec_kid", &self.ec_kid)
            .finish_non_exhaustive()
    }
}

/// The fixed keys, built once per process.
///
/// # Panics
///
/// When the fixed key material does not load: the harness is broken, not the input.
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let mut der = ED25519_PKCS8_PREFIX.to_vec();
        der.extend_from_slice(ED25519_SEED);
        let signing = SigningKey::from_pkcs8_der(&der).expect("fixed Ed25519 key");
        let pair = Ed25519KeyPair::from_seed_unchecked(ED25519_SEED).expect("fixed Ed25519 seed");
        let ec = SigningKey::from_pkcs8_pem(ES256_PEM).expect("fixed ES256 key");
        assert_eq!(
            URL_SAFE_NO_PAD.encode(pair.public_key().as_ref()),
            jwk_x(&signing.verifying_key().to_jwk()),
            "both views of the Ed25519 key agree"
        );
        let keys = KeySet::from_keys(vec![
            signing.verifying_key().clone(),
            ec.verifying_key().clone(),
        ]);
        Fixture {
            ed_kid: signing.kid().to_owned(),
            ec_kid: ec.kid().to_owned(),
            signing,
            pair,
            keys,
        }
    })
}

/// The `x` member of a public JWK (for the fixture's self-check).
fn jwk_x(jwk: &ema_jwt::Jwk) -> String {
    serde_json::to_value(jwk)
        .ok()
        .and_then(|v| v.get("x").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_default()
}

/// A random source returning a fixed pattern, so minted `jti`s are reproducible.
#[derive(Debug, Clone, Copy, Default)]
pub struct FixedRandom;

impl SecureRandom for FixedRandom {
    fn fill(&self, dest: &mut [u8]) -> Result<(), RandomError> {
        for (i, b) in dest.iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(37) ^ 0x5a;
        }
        Ok(())
    }
}

/// The minting clock.
#[must_use]
pub fn mint_clock() -> FixedClock {
    FixedClock::new(NOW)
}

/// The strings a mutation picks from: every identifier the verifiers compare with, near
/// misses of them, and the header values that matter.
pub fn interesting_string(i: u8) -> String {
    let f = fixture();
    let table: [&str; 26] = [
        IDP,
        AS,
        MCP,
        CLIENT,
        SUBJECT,
        SCOPE,
        TOKEN_ENDPOINT,
        "HTTPS://TOOLS.TOOLHUB.TEST/mcp",
        "https://tools.toolhub.test/MCP",
        "https://tools.toolhub.test/mcp/",
        "https://as.toolhub.test/",
        "https://login.acme-idp.test/",
        "other_client",
        "oauth-id-jag+jwt",
        "application/OAUTH-ID-JAG+JWT",
        "at+jwt",
        "client-authentication+jwt",
        "JWT",
        "EdDSA",
        "ES256",
        "RS256",
        "none",
        "HS256",
        &f.ed_kid,
        &f.ec_kid,
        "",
    ];
    table
        .get(usize::from(i) % table.len())
        .copied()
        .unwrap_or_default()
        .to_owned()
}

/// A string chosen from [`interesting_string`] or raw.
#[derive(Arbitrary, Debug, Clone)]
pub enum Str {
    /// One of the interesting strings.
    Known(u8),
    /// Any string.
    Raw(String),
}

impl Str {
    fn resolve(&self) -> String {
        match self {
            Str::Known(i) => interesting_string(*i),
            Str::Raw(s) => s.clone(),
        }
    }
}

/// A JSON value to put in a header parameter or a claim (one level of arrays and objects, so
/// nesting stays bounded).
#[derive(Arbitrary, Debug, Clone)]
pub enum Json {
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A negative or positive integer.
    Int(i64),
    /// An unsigned integer.
    Uint(u64),
    /// A float (non-finite values become `null`, as JSON has no such number).
    Float(f64),
    /// [`NOW`] plus an offset: times near the clock.
    Time(i32),
    /// A string.
    Str(Str),
    /// An array of strings.
    Strings(Vec<Str>),
    /// An object of strings.
    Object(Vec<(Str, Str)>),
}

impl Json {
    fn resolve(&self) -> Value {
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Int(i) => Value::from(*i),
            Json::Uint(u) => Value::from(*u),
            Json::Float(x) => Number::from_f64(*x).map_or(Value::Null, Value::Number),
            Json::Time(d) => Value::from(NOW.saturating_add_signed(i64::from(*d))),
            Json::Str(s) => Value::String(s.resolve()),
            Json::Strings(v) => {
                Value::Array(v.iter().map(|s| Value::String(s.resolve())).collect())
            }
            Json::Object(v) => Value::Object(
                v.iter()
                    .map(|(k, s)| (k.resolve(), Value::String(s.resolve())))
                    .collect(),
            ),
        }
    }
}

const NAMES: [&str; 28] = [
    "alg",
    "typ",
    "kid",
    "cty",
    "crit",
    "jwk",
    "jku",
    "x5u",
    "x5c",
    "iss",
    "sub",
    "aud",
    "client_id",
    "jti",
    "exp",
    "iat",
    "nbf",
    "resource",
    "scope",
    "auth_time",
    "acr",
    "amr",
    "email",
    "tenant",
    "aud_tenant",
    "aud_sub",
    "sub_id",
    "cnf",
];

/// A member name: a known header parameter or claim, or any string.
#[derive(Arbitrary, Debug, Clone)]
pub enum Name {
    /// A header parameter or claim name this crate reads.
    Known(u8),
    /// Any name.
    Raw(String),
}

impl Name {
    fn resolve(&self) -> String {
        match self {
            Name::Known(i) => NAMES
                .get(usize::from(*i) % NAMES.len())
                .copied()
                .unwrap_or_default()
                .to_owned(),
            Name::Raw(s) => s.clone(),
        }
    }
}

/// One edit of a JSON object (the header or the claims).
#[derive(Arbitrary, Debug, Clone)]
pub enum Edit {
    /// Set (or replace) a member.
    Set(Name, Json),
    /// Remove a member.
    Remove(Name),
    /// Write the member a second time in the serialized text (a repeated member name).
    Repeat(Name, Json),
}

/// What becomes of the signature.
#[derive(Arbitrary, Debug, Clone)]
pub enum Sig {
    /// Sign the mutated header and payload with the fixed Ed25519 key.
    Resign,
    /// Keep the signature of the valid token.
    Original,
    /// Re-sign, then flip one bit.
    FlipBit(u16),
    /// Re-sign, then keep only the first bytes.
    Truncate(u8),
    /// Any bytes.
    Raw(Vec<u8>),
}

/// How the three segments are written.
#[derive(Arbitrary, Debug, Clone)]
pub enum Encoding {
    /// Unpadded base64url, as JWS requires.
    Canonical,
    /// `=` padding on each segment.
    Padded,
    /// The standard alphabet (`+`, `/`).
    Standard,
    /// A fourth and fifth segment (the JWE shape).
    FiveSegments,
    /// A space inside the token.
    Space(u16),
}

/// A structure-aware mutation of a valid token.
#[derive(Arbitrary, Debug, Clone)]
pub struct TokenMutation {
    /// Edits of the JOSE header.
    pub header: Vec<Edit>,
    /// Edits of the claims.
    pub claims: Vec<Edit>,
    /// The signature.
    pub sig: Sig,
    /// The segment encoding.
    pub encoding: Encoding,
    /// Verification time relative to the minting time [`NOW`].
    pub clock_offset: i16,
}

impl TokenMutation {
    /// No edit at all: the valid token's header and claims, re-signed and canonically encoded.
    #[must_use]
    pub fn is_identity(&self) -> bool {
        self.header.is_empty()
            && self.claims.is_empty()
            && matches!(self.sig, Sig::Resign)
            && matches!(self.encoding, Encoding::Canonical)
    }

    /// The verification clock.
    #[must_use]
    pub fn clock(&self) -> FixedClock {
        FixedClock::new(NOW.saturating_add_signed(i64::from(self.clock_offset)))
    }
}

/// A mutated token and what it was made of, for the invariants of an accepted token.
#[derive(Debug, Clone)]
pub struct Mutated {
    /// The token handed to the verifier.
    pub token: String,
    /// The header as serialized (last value of a repeated member).
    pub header: Map<String, Value>,
    /// The claims as serialized (last value of a repeated member).
    pub claims: Map<String, Value>,
    /// Whether a member name was written twice in the header or the claims.
    pub repeated_member: bool,
    /// Whether the token is exactly `b64(header).b64(claims).b64(Ed25519 signature)`.
    pub canonical_and_signed: bool,
}

fn decode_object(segment: &str) -> Map<String, Value> {
    URL_SAFE_NO_PAD
        .decode(segment)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .and_then(|v| match v {
            Value::Object(m) => Some(m),
            _ => None,
        })
        .unwrap_or_default()
}

fn apply(map: &mut Map<String, Value>, edits: &[Edit]) -> Vec<(String, Value)> {
    let mut repeats = Vec::new();
    for edit in edits {
        match edit {
            Edit::Set(name, value) => {
                map.insert(name.resolve(), value.resolve());
            }
            Edit::Remove(name) => {
                map.remove(&name.resolve());
            }
            Edit::Repeat(name, value) => repeats.push((name.resolve(), value.resolve())),
        }
    }
    repeats
}

/// Serialize `map` and write each repeated member again at the start of the object. The
/// returned map holds what a last-wins JSON parser would read.
fn serialize(map: &Map<String, Value>, repeats: &[(String, Value)]) -> (String, bool) {
    let body = serde_json::to_string(map).unwrap_or_else(|_| "{}".to_owned());
    let mut extra = String::new();
    let mut repeated = false;
    for (name, value) in repeats {
        let (Ok(n), Ok(v)) = (serde_json::to_string(name), serde_json::to_string(value)) else {
            continue;
        };
        if map.contains_key(name) || repeats.iter().filter(|(m, _)| m == name).count() > 1 {
            repeated = true;
        }
        extra.push_str(&n);
        extra.push(':');
        extra.push_str(&v);
        extra.push(',');
    }
    if extra.is_empty() {
        return (body, false);
    }
    let rest = body.strip_prefix('{').unwrap_or("}");
    if rest == "}" {
        extra.pop();
    }
    (format!("{{{extra}{rest}"), repeated)
}

/// Apply `m` to the valid compact token `valid`.
#[must_use]
pub fn mutate(valid: &str, m: &TokenMutation) -> Mutated {
    let f = fixture();
    let mut parts = valid.split('.');
    let (h, p, s) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let mut header = decode_object(h);
    let mut claims = decode_object(p);
    let header_repeats = apply(&mut header, &m.header);
    let claim_repeats = apply(&mut claims, &m.claims);
    let (header_json, hr) = serialize(&header, &header_repeats);
    let (claims_json, cr) = serialize(&claims, &claim_repeats);
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header_json.as_bytes()),
        URL_SAFE_NO_PAD.encode(claims_json.as_bytes())
    );
    let good_sig = f.pair.sign(signing_input.as_bytes()).as_ref().to_vec();
    let sig = match &m.sig {
        Sig::Resign => good_sig.clone(),
        Sig::Original => URL_SAFE_NO_PAD.decode(s).unwrap_or_default(),
        Sig::FlipBit(bit) => {
            let mut sig = good_sig.clone();
            let bit = usize::from(*bit) % (sig.len() * 8);
            if let Some(b) = sig.get_mut(bit / 8) {
                *b ^= 1 << (bit % 8);
            }
            sig
        }
        Sig::Truncate(n) => good_sig
            .get(..usize::from(*n).min(good_sig.len()))
            .unwrap_or_default()
            .to_vec(),
        Sig::Raw(bytes) => bytes.clone(),
    };
    let canonical = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(&sig));
    let token = match &m.encoding {
        Encoding::Canonical => canonical.clone(),
        Encoding::Padded => canonical
            .split('.')
            .map(|seg| {
                let pad = (4 - seg.len() % 4) % 4;
                format!("{seg}{}", "=".repeat(pad))
            })
            .collect::<Vec<_>>()
            .join("."),
        Encoding::Standard => canonical.replace('-', "+").replace('_', "/"),
        Encoding::FiveSegments => format!("{canonical}.e30.e30"),
        Encoding::Space(at) => {
            let mut t = canonical.clone();
            let at = usize::from(*at) % (t.len() + 1);
            if t.is_char_boundary(at) {
                t.insert(at, ' ');
            }
            t
        }
    };
    let last_wins = |map: &Map<String, Value>, repeats: &[(String, Value)]| {
        let mut out = map.clone();
        for (k, v) in repeats {
            if !map.contains_key(k) {
                out.insert(k.clone(), v.clone());
            }
        }
        out
    };
    Mutated {
        canonical_and_signed: token == canonical && sig == good_sig,
        token,
        header: last_wins(&header, &header_repeats),
        claims: last_wins(&claims, &claim_repeats),
        repeated_member: hr || cr,
    }
}

/// The checks every accepted token must pass, whatever its kind: exactly what was signed by
/// the fixed key, canonically encoded, no repeated member, `alg` `EdDSA`, no `crit` and no
/// key-bearing header parameter, within the size cap.
///
/// # Panics
///
/// When an invariant does not hold: that is the finding.
pub fn assert_accepted_common(m: &Mutated) {
    assert!(
        m.token.len() <= DEFAULT_MAX_TOKEN_BYTES,
        "over the size cap"
    );
    assert!(
        m.canonical_and_signed,
        "accepted a token not signed as sent"
    );
    assert!(!m.repeated_member, "accepted a repeated member name");
    assert_eq!(
        m.header.get("alg").and_then(Value::as_str),
        Some("EdDSA"),
        "accepted an algorithm the signing key is not pinned to"
    );
    for name in ["crit", "jwk", "jku", "x5u", "x5c"] {
        assert!(!m.header.contains_key(name), "accepted header `{name}`");
    }
}

/// The claim `name` as a string.
#[must_use]
pub fn claim_str<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    claims.get(name).and_then(Value::as_str)
}

/// The claim `name` as a time.
#[must_use]
pub fn claim_time(claims: &Map<String, Value>, name: &str) -> Option<u64> {
    claims.get(name).and_then(Value::as_u64)
}

/// The string values of a string-or-array claim.
#[must_use]
pub fn claim_strings<'a>(claims: &'a Map<String, Value>, name: &str) -> Vec<&'a str> {
    match claims.get(name) {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// `exp` is after `now - skew`, and `iat`/`nbf` (when present) are not after `now + skew`.
///
/// # Panics
///
/// When the accepted claims are expired or not yet valid at `now`.
pub fn assert_times(claims: &Map<String, Value>, now: u64, skew: u64, iat_required: bool) {
    let exp = claim_time(claims, "exp").expect("accepted without a numeric exp");
    assert!(now < exp.saturating_add(skew), "accepted an expired token");
    match claim_time(claims, "iat") {
        Some(iat) => assert!(
            iat <= now.saturating_add(skew),
            "accepted iat in the future"
        ),
        None => assert!(!iat_required, "accepted without a numeric iat"),
    }
    if claims.contains_key("nbf") {
        let nbf = claim_time(claims, "nbf").expect("accepted a non-numeric nbf");
        assert!(nbf <= now.saturating_add(skew), "accepted before nbf");
    }
}

/// Every `(name, required)` claim is a non-empty string when present.
///
/// # Panics
///
/// When one is missing or malformed.
pub fn assert_string_claims(claims: &Map<String, Value>, names: &[(&str, bool)]) {
    for &(name, required) in names {
        match claims.get(name) {
            Some(v) => assert!(
                v.as_str().is_some_and(|s| !s.is_empty()),
                "accepted a malformed `{name}`"
            ),
            None => assert!(!required, "accepted without `{name}`"),
        }
    }
}

//! Shared fixtures of the `ema-jwt` acceptance suite: a fixed clock, the test keys, builders
//! that mint valid ID-JAGs, access tokens, client assertions and ID tokens from a JSON claims
//! object, a forger for hand-built compact JWS (any header, any payload bytes), and the
//! assertion every rejection test uses (exact [`ErrorKind`], [`TokenKind`] and OAuth code).
//!
//! Each integration test file compiles this module on its own and uses part of it.
#![allow(dead_code, unreachable_pub)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::fmt::Debug;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ema_jwt::mint::sign_jws;
use ema_jwt::verify::{
    AccessTokenVerifier, ClientAssertionVerifier, IdJagVerifier, IdTokenVerifier, TrustAnchor,
};
use ema_jwt::{Algorithm, Error, ErrorKind, KeySet, SigningKey, TokenKind, VerifyingKey};
use ema_types::claims::{AccessTokenClaims, ClientAssertionClaims, IdJagClaims, IdTokenClaims};
use ema_types::{ErrorCode, FixedClock, Issuer, Resource, SecureRandom as _, SystemRandom};
use serde_json::{Map, Value, json};

// ---- the cast ----

/// The fixed "now" of every test: 2026-10-26T07:33:20Z.
pub const NOW: u64 = 1_793_000_000;
/// The enterprise IdP that mints ID-JAGs and ID tokens.
pub const IDP: &str = "https://idp.example";
/// The resource authorization server: audience of ID-JAGs, issuer of access tokens.
pub const AS: &str = "https://as.example";
/// The AS token endpoint: never a valid ID-JAG audience (§6 step 11).
pub const TOKEN_ENDPOINT: &str = "https://as.example/oauth/token";
/// The MCP server.
pub const RESOURCE: &str = "https://mcp.example/mcp";
/// The client, as registered at the AS.
pub const CLIENT_ID: &str = "client-7f3a";
/// The user.
pub const SUBJECT: &str = "user-42";
/// The IdP tenant.
pub const TENANT: &str = "acme";
/// Scopes granted in the default ID-JAG and access token.
pub const SCOPE: &str = "tickets:read tickets:write";
/// Nonce of the default ID token.
pub const NONCE: &str = "n-0S6_WzA2Mj";

pub const IDP_ES_KID: &str = "idp-es256";
pub const IDP_ED_KID: &str = "idp-ed25519";
pub const AS_KID: &str = "as-es256";
pub const CLIENT_KID: &str = "client-es256";
pub const RSA_KID: &str = "rsa-test";

/// `typ` values.
pub const TYP_ID_JAG: &str = "oauth-id-jag+jwt";
pub const TYP_AT: &str = "at+jwt";
pub const TYP_DPOP: &str = "dpop+jwt";
pub const TYP_CLIENT_AUTH: &str = "client-authentication+jwt";

/// 16 KiB (JWT-11).
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

// ---- committed test-only keys (tests/data, see its README) ----

pub const P256_PEM: &str = include_str!("../data/p256-test-key.pem");
pub const ED25519_PEM: &str = include_str!("../data/ed25519-test-key.pem");
pub const RSA_PEM: &str = include_str!("../data/rsa2048-test-key.pem");
pub const VECTORS: &str = include_str!("../data/vectors.json");

// ---- encoding helpers ----

pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn b64d(s: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD
        .decode(s)
        .expect("test token segment is base64url")
}

/// The three segments of a compact JWS, as strings.
pub fn segments(token: &str) -> [String; 3] {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "test token has three segments");
    [
        parts[0].to_owned(),
        parts[1].to_owned(),
        parts[2].to_owned(),
    ]
}

/// The decoded header of a compact JWS.
pub fn header_of(token: &str) -> Value {
    serde_json::from_slice(&b64d(&segments(token)[0])).unwrap()
}

/// The decoded payload of a compact JWS.
pub fn payload_of(token: &str) -> Value {
    serde_json::from_slice(&b64d(&segments(token)[1])).unwrap()
}

/// The decoded signature of a compact JWS.
pub fn signature_of(token: &str) -> Vec<u8> {
    b64d(&segments(token)[2])
}

/// `token` with its payload replaced by `edit(payload)`, header and signature kept: a
/// tampered token whose signature no longer covers its content.
pub fn tamper_payload(token: &str, edit: impl FnOnce(&mut Map<String, Value>)) -> String {
    let [h, _, s] = segments(token);
    let mut payload = payload_of(token);
    edit(payload.as_object_mut().unwrap());
    format!("{h}.{}.{s}", b64(serde_json::to_vec(&payload).unwrap()))
}

/// `token` with its signature replaced by `signature`.
pub fn with_signature(token: &str, signature: &[u8]) -> String {
    let [h, p, _] = segments(token);
    format!("{h}.{p}.{}", b64(signature))
}

/// The ASN.1 DER `ECDSA-Sig-Value` of a raw `R‖S` ES256 signature (what OpenSSL and Java
/// produce, and what JWS forbids, RFC 7518 §3.4).
pub fn es256_raw_to_der(raw: &[u8]) -> Vec<u8> {
    assert_eq!(raw.len(), 64);
    fn integer(magnitude: &[u8]) -> Vec<u8> {
        let start = magnitude
            .iter()
            .position(|&b| b != 0)
            .unwrap_or(magnitude.len() - 1);
        let trimmed = &magnitude[start..];
        let mut out = vec![0x02];
        let pad = trimmed[0] & 0x80 != 0;
        out.push(u8::try_from(trimmed.len() + usize::from(pad)).unwrap());
        if pad {
            out.push(0);
        }
        out.extend_from_slice(trimmed);
        out
    }
    let mut body = integer(&raw[..32]);
    body.extend(integer(&raw[32..]));
    let mut der = vec![0x30, u8::try_from(body.len()).unwrap()];
    der.extend(body);
    der
}

/// The order `n` of the P-256 group, big-endian.
pub const P256_ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

/// `n - s` for a big-endian 32-byte `s` < `n` (the other valid ECDSA signature).
pub fn p256_negate_scalar(s: &[u8]) -> [u8; 32] {
    let mut out = [0_u8; 32];
    let mut borrow = 0_i16;
    for i in (0..32).rev() {
        let mut d = i16::from(P256_ORDER[i]) - i16::from(s[i]) - borrow;
        borrow = 0;
        if d < 0 {
            d += 256;
            borrow = 1;
        }
        out[i] = u8::try_from(d).unwrap();
    }
    assert_eq!(borrow, 0, "s must be below n");
    out
}

// ---- signing outside `sign_jws` (forged headers, raw payload bytes) ----

/// jsonwebtoken's view of one of our signing keys, from its PKCS#8 DER.
pub fn jwt_encoding_key(key: &SigningKey) -> jsonwebtoken::EncodingKey {
    let der = key.to_pkcs8_der().unwrap();
    match key.algorithm() {
        Algorithm::ES256 => jsonwebtoken::EncodingKey::from_ec_der(&der),
        Algorithm::EdDSA => jsonwebtoken::EncodingKey::from_ed_der(&der),
        other => panic!("no signing key for {other}"),
    }
}

fn jwt_algorithm(alg: Algorithm) -> jsonwebtoken::Algorithm {
    match alg {
        Algorithm::ES256 => jsonwebtoken::Algorithm::ES256,
        Algorithm::RS256 => jsonwebtoken::Algorithm::RS256,
        Algorithm::PS256 => jsonwebtoken::Algorithm::PS256,
        Algorithm::EdDSA => jsonwebtoken::Algorithm::EdDSA,
        other => panic!("unexpected algorithm {other}"),
    }
}

/// Sign `message` with `key` (raw `R‖S` for ES256), through jsonwebtoken's signer, since
/// [`sign_jws`] only signs headers it builds itself.
pub fn raw_sign(key: &SigningKey, message: &[u8]) -> Vec<u8> {
    let sig = jsonwebtoken::crypto::sign(
        message,
        &jwt_encoding_key(key),
        jwt_algorithm(key.algorithm()),
    )
    .unwrap();
    b64d(&sig)
}

/// A compact JWS built by hand: `b64(header) . b64(payload) . b64(sign(key, input))`. The
/// header and payload are taken byte for byte (duplicate members, odd whitespace, anything).
pub fn forge_raw(key: &SigningKey, header: &[u8], payload: &[u8]) -> String {
    let input = format!("{}.{}", b64(header), b64(payload));
    let sig = raw_sign(key, input.as_bytes());
    format!("{input}.{}", b64(sig))
}

/// [`forge_raw`] from JSON values.
pub fn forge(key: &SigningKey, header: &Value, payload: &Value) -> String {
    forge_raw(
        key,
        &serde_json::to_vec(header).unwrap(),
        &serde_json::to_vec(payload).unwrap(),
    )
}

/// The header our minter writes for `key` and `typ`, as JSON, for forging variants of it.
pub fn header_for(key: &SigningKey, typ: Option<&str>) -> Map<String, Value> {
    let mut h = Map::new();
    h.insert("alg".into(), json!(key.algorithm().as_str()));
    if let Some(typ) = typ {
        h.insert("typ".into(), json!(typ));
    }
    h.insert("kid".into(), json!(key.kid()));
    h
}

/// The RSA test key as PKCS#1 `RSAPrivateKey` DER (what jsonwebtoken's aws-lc signer reads).
pub fn rsa_pkcs1_der() -> Vec<u8> {
    let (label, doc) = pkcs8::SecretDocument::from_pem(RSA_PEM).unwrap();
    assert_eq!(label, "PRIVATE KEY");
    let info = pkcs8::PrivateKeyInfo::try_from(doc.as_bytes()).unwrap();
    info.private_key.to_vec()
}

/// jsonwebtoken's encoding key for the committed RSA test key.
pub fn rsa_encoding_key() -> jsonwebtoken::EncodingKey {
    jsonwebtoken::EncodingKey::from_rsa_der(&rsa_pkcs1_der())
}

/// Sign `message` with the RSA test key (`RS256` or `PS256`).
pub fn rsa_sign(alg: Algorithm, message: &[u8]) -> Vec<u8> {
    b64d(&jsonwebtoken::crypto::sign(message, &rsa_encoding_key(), jwt_algorithm(alg)).unwrap())
}

/// A hand-built RSA-signed compact JWS.
pub fn forge_rsa(alg: Algorithm, header: &Value, payload: &Value) -> String {
    let input = format!(
        "{}.{}",
        b64(serde_json::to_vec(header).unwrap()),
        b64(serde_json::to_vec(payload).unwrap())
    );
    let sig = rsa_sign(alg, input.as_bytes());
    format!("{input}.{}", b64(sig))
}

/// The public JWK of the RSA test key (from `vectors.json`), pinned to `alg` when given.
pub fn rsa_jwk(alg: Option<Algorithm>) -> ema_jwt::Jwk {
    let vectors: Value = serde_json::from_str(VECTORS).unwrap();
    let mut jwk: ema_jwt::Jwk = serde_json::from_value(vectors["rsa_jwk"].clone()).unwrap();
    jwk.alg = alg.map(|a| a.as_str().to_owned());
    jwk
}

/// The RSA test key as a verifying key pinned to `alg`.
pub fn rsa_verifying_key(alg: Algorithm) -> VerifyingKey {
    VerifyingKey::from_jwk(&rsa_jwk(Some(alg))).unwrap()
}

// ---- claims ----

pub fn jti() -> String {
    SystemRandom.token_id(16).unwrap()
}

/// A valid ID-JAG claims set for the default fixture (IDP-15): issued now, 300 s lifetime.
pub fn id_jag_claims() -> Value {
    json!({
        "iss": IDP,
        "sub": SUBJECT,
        "aud": AS,
        "client_id": CLIENT_ID,
        "jti": jti(),
        "iat": NOW,
        "exp": NOW + 300,
        "resource": RESOURCE,
        "scope": SCOPE,
    })
}

/// A valid RFC 9068 access-token claims set (AS-14): issued now, 3600 s lifetime.
pub fn access_token_claims() -> Value {
    json!({
        "iss": AS,
        "sub": SUBJECT,
        "aud": RESOURCE,
        "client_id": CLIENT_ID,
        "jti": jti(),
        "iat": NOW,
        "exp": NOW + 3600,
        "scope": SCOPE,
    })
}

/// A valid `private_key_jwt` client assertion claims set (JWT-10): 60 s lifetime.
pub fn client_assertion_claims() -> Value {
    json!({
        "iss": CLIENT_ID,
        "sub": CLIENT_ID,
        "aud": AS,
        "jti": jti(),
        "iat": NOW,
        "exp": NOW + 60,
    })
}

/// A valid OpenID Connect ID token claims set, issued by the IdP to the client.
pub fn id_token_claims() -> Value {
    json!({
        "iss": IDP,
        "sub": SUBJECT,
        "aud": CLIENT_ID,
        "iat": NOW,
        "exp": NOW + 300,
        "nonce": NONCE,
    })
}

/// `claims` with `edit` applied.
pub fn edited(mut claims: Value, edit: impl FnOnce(&mut Map<String, Value>)) -> Value {
    edit(claims.as_object_mut().unwrap());
    claims
}

// ---- the fixture ----

/// Keys, clock and verifiers of one scenario: an IdP (ES256 + EdDSA keys from `tests/data`),
/// an AS (fresh ES256 key), a client (fresh ES256 key).
#[derive(Debug, Clone)]
pub struct Fixture {
    pub clock: FixedClock,
    pub idp_es: SigningKey,
    pub idp_ed: SigningKey,
    pub idp_keys: KeySet,
    pub as_key: SigningKey,
    pub as_keys: KeySet,
    pub client_key: SigningKey,
    pub client_keys: KeySet,
    /// The allow-list every anchor gets by default: all four algorithms, so that key pinning
    /// (not the allow-list) is what the key-confusion vectors meet.
    pub algs: Vec<Algorithm>,
}

impl Default for Fixture {
    fn default() -> Self {
        Self::new()
    }
}

impl Fixture {
    pub fn new() -> Self {
        let idp_es = SigningKey::from_pkcs8_pem(P256_PEM)
            .unwrap()
            .with_kid(IDP_ES_KID);
        let idp_ed = SigningKey::from_pkcs8_pem(ED25519_PEM)
            .unwrap()
            .with_kid(IDP_ED_KID);
        let as_key = SigningKey::generate(Algorithm::ES256)
            .unwrap()
            .with_kid(AS_KID);
        let client_key = SigningKey::generate(Algorithm::ES256)
            .unwrap()
            .with_kid(CLIENT_KID);
        Self {
            clock: FixedClock::new(NOW),
            idp_keys: KeySet::from_keys(vec![
                idp_es.verifying_key().clone(),
                idp_ed.verifying_key().clone(),
            ]),
            as_keys: KeySet::from_keys(vec![as_key.verifying_key().clone()]),
            client_keys: KeySet::from_keys(vec![client_key.verifying_key().clone()]),
            idp_es,
            idp_ed,
            as_key,
            client_key,
            algs: Algorithm::ALL.to_vec(),
        }
    }

    // -- minting with sign_jws (header: alg, typ, kid of the key) --

    pub fn id_jag(&self, claims: &Value) -> String {
        sign_jws(&self.idp_es, Some(TYP_ID_JAG), claims).unwrap()
    }

    pub fn id_jag_ed(&self, claims: &Value) -> String {
        sign_jws(&self.idp_ed, Some(TYP_ID_JAG), claims).unwrap()
    }

    pub fn access_token(&self, claims: &Value) -> String {
        sign_jws(&self.as_key, Some(TYP_AT), claims).unwrap()
    }

    pub fn client_assertion(&self, claims: &Value) -> String {
        sign_jws(&self.client_key, Some(TYP_CLIENT_AUTH), claims).unwrap()
    }

    pub fn id_token(&self, claims: &Value) -> String {
        sign_jws(&self.idp_es, None, claims).unwrap()
    }

    /// The default valid ID-JAG with `edit` applied to its claims (signed, so valid signature).
    pub fn id_jag_with(&self, edit: impl FnOnce(&mut Map<String, Value>)) -> String {
        self.id_jag(&edited(id_jag_claims(), edit))
    }

    /// A valid ID-JAG with a forged header: the default header edited by `edit`, signed with
    /// the IdP ES256 key.
    pub fn id_jag_header(&self, edit: impl FnOnce(&mut Map<String, Value>)) -> String {
        let mut h = header_for(&self.idp_es, Some(TYP_ID_JAG));
        edit(&mut h);
        forge(&self.idp_es, &Value::Object(h), &id_jag_claims())
    }

    // -- verification with the default configuration --

    pub fn id_jag_verifier(&self) -> IdJagVerifier {
        IdJagVerifier::new(Issuer::new(AS).unwrap(), [Resource::new(RESOURCE).unwrap()])
    }

    pub fn idp_anchor(&self) -> TrustAnchor<'_> {
        TrustAnchor::new(IDP, &self.idp_keys, &self.algs)
    }

    /// §6 steps 4-16 with the default verifier, anchor, client and clock.
    pub fn verify_id_jag(&self, token: &str) -> Result<IdJagClaims, Error> {
        self.verify_id_jag_with(
            token,
            &self.id_jag_verifier(),
            &self.idp_anchor(),
            CLIENT_ID,
        )
    }

    pub fn verify_id_jag_with(
        &self,
        token: &str,
        verifier: &IdJagVerifier,
        anchor: &TrustAnchor<'_>,
        client_id: &str,
    ) -> Result<IdJagClaims, Error> {
        let jws = verifier.decode(token)?;
        verifier.verify(jws, anchor, client_id, &self.clock)
    }

    pub fn access_token_verifier(&self) -> AccessTokenVerifier {
        AccessTokenVerifier::new(Issuer::new(AS).unwrap(), Resource::new(RESOURCE).unwrap())
    }

    pub fn verify_access_token(&self, token: &str) -> Result<AccessTokenClaims, Error> {
        self.access_token_verifier()
            .verify(token, &self.as_keys, &self.algs, &self.clock)
    }

    pub fn id_token_verifier(&self) -> IdTokenVerifier {
        IdTokenVerifier::new(Issuer::new(IDP).unwrap(), CLIENT_ID)
    }

    pub fn verify_id_token(&self, token: &str) -> Result<IdTokenClaims, Error> {
        self.id_token_verifier()
            .verify(token, &self.idp_keys, &self.algs, Some(NONCE), &self.clock)
    }

    pub fn client_assertion_verifier(&self) -> ClientAssertionVerifier {
        ClientAssertionVerifier::new(Issuer::new(AS).unwrap())
    }

    pub fn verify_client_assertion(&self, token: &str) -> Result<ClientAssertionClaims, Error> {
        self.verify_client_assertion_with(token, &self.client_assertion_verifier())
    }

    pub fn verify_client_assertion_with(
        &self,
        token: &str,
        verifier: &ClientAssertionVerifier,
    ) -> Result<ClientAssertionClaims, Error> {
        let jws = verifier.decode(token)?;
        let anchor = TrustAnchor::new(CLIENT_ID, &self.client_keys, &self.algs);
        verifier.verify(jws, &anchor, &self.clock)
    }

    /// Present `token` to the verifier of `kind`, keeping only the verdict.
    pub fn verdict(&self, kind: TokenKind, token: &str) -> Result<(), Error> {
        match kind {
            TokenKind::IdJag => self.verify_id_jag(token).map(drop),
            TokenKind::AccessToken => self.verify_access_token(token).map(drop),
            TokenKind::IdToken => self.verify_id_token(token).map(drop),
            TokenKind::ClientAssertion => self.verify_client_assertion(token).map(drop),
            other => panic!("no verifier for {other:?}"),
        }
    }
}

// ---- assertions ----

/// The OAuth error code the digest prescribes per token kind (AS-19, RS-04, JWT-10, IDP-06);
/// written out here rather than read from the library, so a wrong mapping fails.
pub fn expected_code(kind: TokenKind) -> ErrorCode {
    match kind {
        TokenKind::IdJag => ErrorCode::InvalidGrant,
        TokenKind::AccessToken => ErrorCode::InvalidToken,
        TokenKind::IdToken => ErrorCode::InvalidRequest,
        TokenKind::ClientAssertion => ErrorCode::InvalidClient,
        TokenKind::DpopProof => ErrorCode::InvalidDpopProof,
        other => panic!("unexpected token kind {other:?}"),
    }
}

/// Assert that `result` failed with exactly `kind`, for a token of `token_kind`, mapped to
/// that kind's OAuth error code.
#[track_caller]
pub fn assert_rejected<T: Debug>(result: Result<T, Error>, token_kind: TokenKind, kind: ErrorKind) {
    match result {
        Ok(v) => panic!("expected {kind:?}, but the token verified: {v:?}"),
        Err(err) => {
            assert_eq!(err.kind(), &kind, "error kind");
            assert_eq!(err.token_kind(), Some(token_kind), "token kind");
            assert_eq!(
                err.oauth_error_code(),
                expected_code(token_kind),
                "OAuth error code"
            );
        }
    }
}

/// Shorthand for ID-JAG rejections.
#[track_caller]
pub fn assert_id_jag_rejected<T: Debug>(result: Result<T, Error>, kind: ErrorKind) {
    assert_rejected(result, TokenKind::IdJag, kind);
}

/// The `WrongType` an ID-JAG verifier reports for `found`.
pub fn wrong_type(expected: &'static str, found: &str) -> ErrorKind {
    ErrorKind::WrongType {
        expected,
        found: found.to_owned(),
    }
}

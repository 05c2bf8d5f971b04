//! Negative vectors: known JOSE attacks and malformations, as one table
//! (vector → token-producing fn → expected verdict).
//!
//! The same table runs under each crypto backend (`cargo test -p ema-jwt` for aws-lc-rs,
//! `cargo test -p ema-jwt --no-default-features --features rust-crypto` for the pure-Rust
//! one): the expected verdicts are fixed in the table, so both backends passing means both
//! give the same verdict on every vector. A few controls (valid tokens, and the high-S ES256
//! signature both backends accept) make sure the table can tell acceptance from rejection.
//!
//! Each vector carries the requirement it exercises (JWT-xx, §6 step_xx); one test per
//! requirement group runs its rows, so a failure names the rule. Nothing is printed unless a
//! test fails.
#![cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::*;
use ema_jwt::verify::TrustAnchor;
use ema_jwt::{Algorithm, Error, ErrorKind, KeySet, Segment, SigningKey, TokenKind};
use serde_json::{Value, json};

/// Which verifier a vector is presented to.
#[derive(Debug, Clone, Copy)]
enum Target {
    /// `IdJagVerifier` with the IdP anchor (ES256 + EdDSA keys, all algorithms allowed).
    IdJag,
    /// `IdJagVerifier` with an anchor holding the RSA test key pinned to RS256 and the IdP
    /// ES256 key.
    IdJagRsa,
    /// `IdJagVerifier` with an anchor whose keys `KeySet::from_json` loads from this JWKS
    /// document (unusable entries skipped).
    IdJagJwks(fn(&Fixture) -> Value),
    /// `AccessTokenVerifier` with the AS key.
    AccessToken,
    /// `IdTokenVerifier` with the IdP keys.
    IdToken,
    /// `ClientAssertionVerifier` with the client's key.
    ClientAssertion,
}

impl Target {
    fn token_kind(self) -> TokenKind {
        match self {
            Self::IdJag | Self::IdJagRsa | Self::IdJagJwks(_) => TokenKind::IdJag,
            Self::AccessToken => TokenKind::AccessToken,
            Self::IdToken => TokenKind::IdToken,
            Self::ClientAssertion => TokenKind::ClientAssertion,
        }
    }

    fn verify(self, fx: &Fixture, token: &str) -> Result<(), Error> {
        match self {
            Self::IdJagRsa => {
                let keys = KeySet::from_keys(vec![
                    rsa_verifying_key(Algorithm::RS256),
                    fx.idp_es.verifying_key().clone(),
                ]);
                let anchor = TrustAnchor::new(IDP, &keys, &fx.algs);
                fx.verify_id_jag_with(token, &fx.id_jag_verifier(), &anchor, CLIENT_ID)
                    .map(drop)
            }
            Self::IdJagJwks(jwks) => {
                let doc = serde_json::to_vec(&jwks(fx)).unwrap();
                let keys = KeySet::from_json(&doc).unwrap();
                let anchor = TrustAnchor::new(IDP, &keys, &fx.algs);
                fx.verify_id_jag_with(token, &fx.id_jag_verifier(), &anchor, CLIENT_ID)
                    .map(drop)
            }
            other => fx.verdict(other.token_kind(), token),
        }
    }
}

/// The verdict a vector must get.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expect {
    /// Verifies (controls).
    Accept,
    /// Rejected with exactly this kind.
    Reject(ErrorKind),
    /// Rejected as larger than 16 KiB, with the token's own length reported.
    TooLarge,
}

struct Vector {
    /// Requirement ID and a short name.
    id: &'static str,
    name: &'static str,
    target: Target,
    token: fn(&Fixture) -> String,
    expect: Expect,
}

fn v(
    id: &'static str,
    name: &'static str,
    target: Target,
    token: fn(&Fixture) -> String,
    expect: Expect,
) -> Vector {
    Vector {
        id,
        name,
        target,
        token,
        expect,
    }
}

use Expect::{Accept, Reject};
use Target::{AccessToken, ClientAssertion, IdJag, IdJagJwks, IdJagRsa, IdToken};

// ---- token builders used by several rows ----

fn valid(fx: &Fixture) -> String {
    fx.id_jag(&id_jag_claims())
}

fn id_jag_header_json(fx: &Fixture) -> serde_json::Map<String, Value> {
    header_for(&fx.idp_es, Some(TYP_ID_JAG))
}

fn payload_b64() -> String {
    b64(serde_json::to_vec(&id_jag_claims()).unwrap())
}

fn replace_segment(token: &str, index: usize, segment: &str) -> String {
    let mut parts = segments(token);
    parts[index] = segment.to_owned();
    parts.join(".")
}

/// An ID-JAG whose header is `header` (raw JSON text), signed over whatever it says.
fn raw_header(fx: &Fixture, header: &str) -> String {
    forge_raw(
        &fx.idp_es,
        header.as_bytes(),
        &serde_json::to_vec(&id_jag_claims()).unwrap(),
    )
}

/// An ID-JAG whose payload is `payload` (raw JSON text), validly signed.
fn raw_payload(fx: &Fixture, payload: &str) -> String {
    let header = serde_json::to_vec(&id_jag_header_json(fx)).unwrap();
    forge_raw(&fx.idp_es, &header, payload.as_bytes())
}

/// The default claims as JSON text without the leading `{`, to prepend members to.
fn claims_tail() -> String {
    let s = serde_json::to_string(&id_jag_claims()).unwrap();
    s[1..].to_owned()
}

/// An ID-JAG with the header edited, signed by `key`.
fn header_edit(key: &SigningKey, edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
    let mut h = header_for(key, Some(TYP_ID_JAG));
    edit(&mut h);
    forge(key, &Value::Object(h), &id_jag_claims())
}

fn attacker() -> SigningKey {
    SigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid("attacker")
}

/// HS256 over the ID-JAG signing input with `secret` as the HMAC key.
fn hs256_with_secret(secret: &[u8]) -> String {
    let header = b64(format!(
        r#"{{"alg":"HS256","typ":"{TYP_ID_JAG}","kid":"{IDP_ES_KID}"}}"#
    ));
    let input = format!("{header}.{}", payload_b64());
    let sig = jsonwebtoken::crypto::sign(
        input.as_bytes(),
        &jsonwebtoken::EncodingKey::from_secret(secret),
        jsonwebtoken::Algorithm::HS256,
    )
    .unwrap();
    format!("{input}.{sig}")
}

fn es256_public_point(fx: &Fixture) -> Vec<u8> {
    let jwk = fx.idp_es.verifying_key().to_jwk();
    let mut point = vec![0x04];
    point.extend(b64d(jwk.x.as_deref().unwrap()));
    point.extend(b64d(jwk.y.as_deref().unwrap()));
    point
}

fn rsa_id_jag(alg: Algorithm, kid: Option<&str>) -> String {
    let mut header = json!({"alg": alg.as_str(), "typ": TYP_ID_JAG});
    if let Some(kid) = kid {
        header["kid"] = json!(kid);
    }
    forge_rsa(alg, &header, &id_jag_claims())
}

fn signature_edit(fx: &Fixture, edit: impl FnOnce(Vec<u8>) -> Vec<u8>) -> String {
    let token = valid(fx);
    let sig = edit(signature_of(&token));
    with_signature(&token, &sig)
}

fn claims_edit(fx: &Fixture, edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
    fx.id_jag_with(edit)
}

/// The IdP's JWKS with one more, unusable, key named `kid`.
fn jwks_with(fx: &Fixture, bad: Value) -> Value {
    let good = serde_json::to_value(fx.idp_es.verifying_key().to_jwk()).unwrap();
    json!({ "keys": [bad, good] })
}

/// An ID-JAG whose header is `{"alg": alg, "typ": ..., "kid": kid}`, with `signature`.
fn with_header_and_signature(alg: &str, kid: &str, signature: &[u8]) -> String {
    let header = json!({"alg": alg, "typ": TYP_ID_JAG, "kid": kid});
    format!(
        "{}.{}.{}",
        b64(serde_json::to_vec(&header).unwrap()),
        payload_b64(),
        b64(signature)
    )
}

/// The Ed25519 identity point (small order): with it, `R` = identity and `S` = 0 would
/// verify any message in a verifier that accepts small-order keys.
fn ed25519_identity() -> Vec<u8> {
    let mut point = vec![0_u8; 32];
    point[0] = 1;
    point
}

/// A valid ID-JAG made larger than 16 KiB by a big claim.
fn oversize(fx: &Fixture) -> String {
    fx.id_jag_with(|c| {
        c.insert("x-blob".into(), json!("A".repeat(MAX_TOKEN_BYTES)));
    })
}

// ---- the table ----

#[allow(clippy::too_many_lines)]
fn vectors() -> Vec<Vector> {
    vec![
        // -- controls: the table must be able to accept --
        v("control", "valid ID-JAG (ES256)", IdJag, valid, Accept),
        v(
            "control",
            "valid ID-JAG (EdDSA)",
            IdJag,
            |fx| fx.id_jag_ed(&id_jag_claims()),
            Accept,
        ),
        v(
            "control",
            "valid ID-JAG (RS256)",
            IdJagRsa,
            |_| rsa_id_jag(Algorithm::RS256, Some(RSA_KID)),
            Accept,
        ),
        v(
            "control",
            "valid access token",
            AccessToken,
            |fx| fx.access_token(&access_token_claims()),
            Accept,
        ),
        v(
            "control",
            "valid ID token",
            IdToken,
            |fx| fx.id_token(&id_token_claims()),
            Accept,
        ),
        v(
            "control",
            "valid client assertion",
            ClientAssertion,
            |fx| fx.client_assertion(&client_assertion_claims()),
            Accept,
        ),
        // ECDSA signatures are malleable: (r, n - s) verifies too. JWS does not require
        // low-S; both backends must agree to accept it (replay protection keys on jti).
        v(
            "control",
            "ES256 high-S twin of a valid signature",
            IdJag,
            |fx| {
                signature_edit(fx, |sig| {
                    let mut twin = sig[..32].to_vec();
                    twin.extend(p256_negate_scalar(&sig[32..]));
                    twin
                })
            },
            Accept,
        ),
        // -- JWT-01: compact JWS only, no JWE, no alg none, strict base64url --
        v(
            "JWT-01",
            "alg none, empty signature",
            IdJag,
            |_| {
                format!(
                    "{}.{}.",
                    b64(format!(r#"{{"alg":"none","typ":"{TYP_ID_JAG}"}}"#)),
                    payload_b64()
                )
            },
            Reject(ErrorKind::UnsecuredJwt),
        ),
        v(
            "JWT-01",
            "alg none, with a signature",
            IdJag,
            |fx| raw_header(fx, &format!(r#"{{"alg":"none","typ":"{TYP_ID_JAG}"}}"#)),
            Reject(ErrorKind::UnsecuredJwt),
        ),
        v(
            "JWT-01",
            "alg NoNe, with the real signature of a valid token",
            IdJag,
            |fx| {
                let token = valid(fx);
                replace_segment(
                    &token,
                    0,
                    &b64(format!(
                        r#"{{"alg":"NoNe","typ":"{TYP_ID_JAG}","kid":"{IDP_ES_KID}"}}"#
                    )),
                )
            },
            Reject(ErrorKind::UnsecuredJwt),
        ),
        v(
            "JWT-01",
            "alg none as an access token",
            AccessToken,
            |_| {
                format!(
                    "{}.{}.",
                    b64(r#"{"alg":"none","typ":"at+jwt"}"#),
                    b64(serde_json::to_vec(&access_token_claims()).unwrap())
                )
            },
            Reject(ErrorKind::UnsecuredJwt),
        ),
        v(
            "JWT-01",
            "JWE (five segments)",
            IdJag,
            |fx| format!("{}.AAAA.AAAA", valid(fx)),
            Reject(ErrorKind::EncryptedToken),
        ),
        v(
            "JWT-01",
            "two segments",
            IdJag,
            |fx| {
                let [h, p, _] = segments(&valid(fx));
                format!("{h}.{p}")
            },
            Reject(ErrorKind::Malformed { segments: 2 }),
        ),
        v(
            "JWT-01",
            "four segments",
            IdJag,
            |fx| format!("{}.AAAA", valid(fx)),
            Reject(ErrorKind::Malformed { segments: 4 }),
        ),
        v(
            "JWT-01",
            "padded base64 in the header",
            IdJag,
            |fx| {
                let [h, p, s] = segments(&valid(fx));
                format!("{h}=.{p}.{s}")
            },
            Reject(ErrorKind::InvalidBase64(Segment::Header)),
        ),
        v(
            "JWT-01",
            "padded base64 in the payload",
            IdJag,
            |fx| {
                let [h, p, s] = segments(&valid(fx));
                format!("{h}.{p}=.{s}")
            },
            Reject(ErrorKind::InvalidBase64(Segment::Payload)),
        ),
        v(
            "JWT-01",
            "padded base64 in the signature",
            IdJag,
            |fx| {
                // 64 octets encode to 86 characters; padded: 88.
                let [h, p, s] = segments(&valid(fx));
                format!("{h}.{p}.{s}==")
            },
            Reject(ErrorKind::InvalidBase64(Segment::Signature)),
        ),
        v(
            "JWT-01",
            "standard base64 alphabet in the signature",
            IdJag,
            |fx| {
                let [h, p, s] = segments(&valid(fx));
                format!("{h}.{p}.+{}", &s[1..])
            },
            Reject(ErrorKind::InvalidBase64(Segment::Signature)),
        ),
        v(
            "JWT-01",
            "non-canonical trailing bits in the signature",
            IdJag,
            |fx| {
                // 86 characters carry 516 bits for 512: the last 4 bits must be zero.
                let [h, p, s] = segments(&valid(fx));
                let last = s.chars().last().unwrap();
                let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
                let idx = alphabet.find(last).unwrap();
                let bumped = alphabet.chars().nth(idx | 1).unwrap();
                format!("{h}.{p}.{}{bumped}", &s[..s.len() - 1])
            },
            Reject(ErrorKind::InvalidBase64(Segment::Signature)),
        ),
        v(
            "JWT-01",
            "non-ASCII character in the payload",
            IdJag,
            |fx| {
                let [h, p, s] = segments(&valid(fx));
                format!("{h}.{}é{}.{s}", &p[..4], &p[4..])
            },
            Reject(ErrorKind::InvalidBase64(Segment::Payload)),
        ),
        v(
            "JWT-01",
            "line break inside the payload",
            IdJag,
            |fx| {
                let [h, p, s] = segments(&valid(fx));
                format!("{h}.{}\r\n{}.{s}", &p[..40], &p[40..])
            },
            Reject(ErrorKind::InvalidBase64(Segment::Payload)),
        ),
        v(
            "JWT-01",
            "empty header segment",
            IdJag,
            |fx| replace_segment(&valid(fx), 0, ""),
            Reject(ErrorKind::EmptySegment(Segment::Header)),
        ),
        v(
            "JWT-01",
            "empty payload segment",
            IdJag,
            |fx| replace_segment(&valid(fx), 1, ""),
            Reject(ErrorKind::EmptySegment(Segment::Payload)),
        ),
        v(
            "JWT-01",
            "empty signature segment",
            IdJag,
            |fx| replace_segment(&valid(fx), 2, ""),
            Reject(ErrorKind::EmptySegment(Segment::Signature)),
        ),
        v(
            "JWT-01",
            "all segments empty",
            IdJag,
            |_| "..".to_owned(),
            Reject(ErrorKind::EmptySegment(Segment::Header)),
        ),
        v(
            "JWT-01",
            "empty string",
            IdJag,
            |_| String::new(),
            Reject(ErrorKind::Malformed { segments: 1 }),
        ),
        v(
            "JWT-01",
            "header is not JSON",
            IdJag,
            |fx| replace_segment(&valid(fx), 0, &b64("alg=ES256")),
            Reject(ErrorKind::InvalidJson(Segment::Header)),
        ),
        v(
            "JWT-01",
            "header JSON with trailing data",
            IdJag,
            |fx| {
                raw_header(
                    fx,
                    &format!(r#"{{"alg":"ES256","typ":"{TYP_ID_JAG}","kid":"{IDP_ES_KID}"}}{{}}"#),
                )
            },
            Reject(ErrorKind::InvalidJson(Segment::Header)),
        ),
        v(
            "JWT-01",
            "payload is a JSON array",
            IdJag,
            |fx| raw_payload(fx, r#"[{"iss":"https://idp.example"}]"#),
            Reject(ErrorKind::InvalidJson(Segment::Payload)),
        ),
        v(
            "JWT-01",
            "payload is a JSON string",
            IdJag,
            |fx| raw_payload(fx, r#""eyJ""#),
            Reject(ErrorKind::InvalidJson(Segment::Payload)),
        ),
        v(
            "JWT-01",
            "header without alg",
            IdJag,
            |fx| {
                raw_header(
                    fx,
                    &format!(r#"{{"typ":"{TYP_ID_JAG}","kid":"{IDP_ES_KID}"}}"#),
                )
            },
            Reject(ErrorKind::MissingAlgorithm),
        ),
        // -- JWT-02: allow-list, no HS*, alg bound to the key --
        v(
            "JWT-02",
            "HS256 keyed with the IdP public key (uncompressed point)",
            IdJag,
            |fx| hs256_with_secret(&es256_public_point(fx)),
            Reject(ErrorKind::UnsupportedAlgorithm("HS256".into())),
        ),
        v(
            "JWT-02",
            "HS256 keyed with the IdP published JWK JSON",
            IdJag,
            |fx| {
                hs256_with_secret(&serde_json::to_vec(&fx.idp_es.verifying_key().to_jwk()).unwrap())
            },
            Reject(ErrorKind::UnsupportedAlgorithm("HS256".into())),
        ),
        v(
            "JWT-02",
            "HS256 keyed with the RSA public key (n)",
            IdJagRsa,
            |_| hs256_with_secret(&b64d(rsa_jwk(None).n.as_deref().unwrap())),
            Reject(ErrorKind::UnsupportedAlgorithm("HS256".into())),
        ),
        v(
            "JWT-02",
            "ES384 (not implemented)",
            IdJag,
            |fx| {
                header_edit(&fx.idp_es, |h| {
                    h.insert("alg".into(), json!("ES384"));
                })
            },
            Reject(ErrorKind::UnsupportedAlgorithm("ES384".into())),
        ),
        v(
            "JWT-02",
            "RS256 token, no kid, issuer key set has only EC and OKP keys",
            IdJag,
            |_| rsa_id_jag(Algorithm::RS256, None),
            Reject(ErrorKind::NoKeyForAlgorithm(Algorithm::RS256)),
        ),
        v(
            "JWT-02",
            "RS256 token naming the ES256-pinned key",
            IdJag,
            |_| rsa_id_jag(Algorithm::RS256, Some(IDP_ES_KID)),
            Reject(ErrorKind::KeyAlgorithmMismatch {
                key: Algorithm::ES256,
                token: Algorithm::RS256,
            }),
        ),
        v(
            "JWT-02",
            "ES256 token naming the RS256-pinned RSA key",
            IdJagRsa,
            |fx| {
                header_edit(&fx.idp_es, |h| {
                    h.insert("kid".into(), json!(RSA_KID));
                })
            },
            Reject(ErrorKind::KeyAlgorithmMismatch {
                key: Algorithm::RS256,
                token: Algorithm::ES256,
            }),
        ),
        v(
            "JWT-02",
            "PS256 token on the RS256-pinned RSA key",
            IdJagRsa,
            |_| rsa_id_jag(Algorithm::PS256, Some(RSA_KID)),
            Reject(ErrorKind::KeyAlgorithmMismatch {
                key: Algorithm::RS256,
                token: Algorithm::PS256,
            }),
        ),
        v(
            "JWT-02",
            "EdDSA token naming the ES256-pinned key",
            IdJag,
            |fx| {
                header_edit(&fx.idp_ed, |h| {
                    h.insert("kid".into(), json!(IDP_ES_KID));
                })
            },
            Reject(ErrorKind::KeyAlgorithmMismatch {
                key: Algorithm::ES256,
                token: Algorithm::EdDSA,
            }),
        ),
        v(
            "JWT-02",
            "RSA key of 1024 bits in the JWKS is never used",
            IdJagJwks(|fx| {
                let mut jwk = serde_json::to_value(rsa_jwk(None)).unwrap();
                let n = b64d(jwk["n"].as_str().unwrap());
                let mut short = n[..128].to_vec();
                *short.last_mut().unwrap() |= 1;
                jwk["n"] = json!(b64(short));
                jwk["kid"] = json!("weak-rsa");
                jwks_with(fx, jwk)
            }),
            |_| rsa_id_jag(Algorithm::RS256, Some("weak-rsa")),
            Reject(ErrorKind::UnknownKeyId("weak-rsa".into())),
        ),
        v(
            "JWT-02",
            "RSA key with e = 1 in the JWKS is never used",
            IdJagJwks(|fx| {
                let mut jwk = serde_json::to_value(rsa_jwk(None)).unwrap();
                jwk["e"] = json!("AQ");
                jwk["kid"] = json!("e1");
                jwks_with(fx, jwk)
            }),
            |_| {
                // With e = 1 the "signature" is the encoded message itself.
                let mut sig = vec![0xff_u8; 256];
                sig[0] = 0;
                sig[1] = 1;
                with_header_and_signature("RS256", "e1", &sig)
            },
            Reject(ErrorKind::UnknownKeyId("e1".into())),
        ),
        v(
            "JWT-02",
            "symmetric (oct) key in the JWKS with an HS256 token",
            IdJagJwks(|fx| jwks_with(fx, json!({"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"}))),
            |_| hs256_with_secret(b"secret"),
            Reject(ErrorKind::UnsupportedAlgorithm("HS256".into())),
        ),
        v(
            "JWT-02",
            "symmetric (oct) key in the JWKS, ES256 token naming it",
            IdJagJwks(|fx| jwks_with(fx, json!({"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"}))),
            |fx| {
                header_edit(&fx.idp_es, |h| {
                    h.insert("kid".into(), json!("hmac"));
                })
            },
            Reject(ErrorKind::UnknownKeyId("hmac".into())),
        ),
        // -- JWT-03: explicit typing --
        v(
            "JWT-03",
            "ID token (no typ) presented as an ID-JAG",
            IdJag,
            |fx| fx.id_token(&id_jag_claims()),
            Reject(ErrorKind::MissingType),
        ),
        v(
            "JWT-03",
            "ID token (typ JWT) presented as an ID-JAG",
            IdJag,
            |fx| ema_jwt::mint::sign_jws(&fx.idp_es, Some("JWT"), &id_jag_claims()).unwrap(),
            Reject(wrong_type(TYP_ID_JAG, "JWT")),
        ),
        v(
            "JWT-03",
            "at+jwt presented as an ID-JAG",
            IdJag,
            |fx| ema_jwt::mint::sign_jws(&fx.idp_es, Some(TYP_AT), &id_jag_claims()).unwrap(),
            Reject(wrong_type(TYP_ID_JAG, TYP_AT)),
        ),
        v(
            "JWT-03",
            "client assertion presented as an ID-JAG",
            IdJag,
            |fx| {
                ema_jwt::mint::sign_jws(&fx.idp_es, Some(TYP_CLIENT_AUTH), &id_jag_claims())
                    .unwrap()
            },
            Reject(wrong_type(TYP_ID_JAG, TYP_CLIENT_AUTH)),
        ),
        v(
            "JWT-03",
            "DPoP proof presented as an ID-JAG",
            IdJag,
            |fx| ema_jwt::mint::sign_jws(&fx.idp_es, Some(TYP_DPOP), &id_jag_claims()).unwrap(),
            Reject(wrong_type(TYP_ID_JAG, TYP_DPOP)),
        ),
        v(
            "JWT-03",
            "ID-JAG presented as an access token",
            AccessToken,
            |fx| {
                ema_jwt::mint::sign_jws(&fx.as_key, Some(TYP_ID_JAG), &access_token_claims())
                    .unwrap()
            },
            Reject(wrong_type(TYP_AT, TYP_ID_JAG)),
        ),
        v(
            "JWT-03",
            "ID token (no typ) presented as an access token",
            AccessToken,
            |fx| ema_jwt::mint::sign_jws(&fx.as_key, None, &access_token_claims()).unwrap(),
            Reject(ErrorKind::MissingType),
        ),
        v(
            "JWT-03",
            "ID-JAG presented as an ID token",
            IdToken,
            |fx| fx.id_jag(&id_token_claims()),
            Reject(wrong_type("jwt", TYP_ID_JAG)),
        ),
        v(
            "JWT-03",
            "access token presented as an ID token",
            IdToken,
            |fx| ema_jwt::mint::sign_jws(&fx.idp_es, Some(TYP_AT), &id_token_claims()).unwrap(),
            Reject(wrong_type("jwt", TYP_AT)),
        ),
        v(
            "JWT-03",
            "ID-JAG presented as a client assertion",
            ClientAssertion,
            |fx| {
                ema_jwt::mint::sign_jws(
                    &fx.client_key,
                    Some(TYP_ID_JAG),
                    &client_assertion_claims(),
                )
                .unwrap()
            },
            Reject(wrong_type(TYP_CLIENT_AUTH, TYP_ID_JAG)),
        ),
        v(
            "JWT-03",
            "access token presented as a client assertion",
            ClientAssertion,
            |fx| {
                ema_jwt::mint::sign_jws(&fx.client_key, Some(TYP_AT), &client_assertion_claims())
                    .unwrap()
            },
            Reject(wrong_type(TYP_CLIENT_AUTH, TYP_AT)),
        ),
        // -- JWT-04: typ comparison --
        v(
            "JWT-04",
            "typ with another media-type prefix",
            IdJag,
            |fx| {
                ema_jwt::mint::sign_jws(&fx.idp_es, Some("text/oauth-id-jag+jwt"), &id_jag_claims())
                    .unwrap()
            },
            Reject(wrong_type(TYP_ID_JAG, "text/oauth-id-jag+jwt")),
        ),
        v(
            "JWT-04",
            "typ with trailing whitespace",
            IdJag,
            |fx| {
                ema_jwt::mint::sign_jws(&fx.idp_es, Some("oauth-id-jag+jwt "), &id_jag_claims())
                    .unwrap()
            },
            Reject(wrong_type(TYP_ID_JAG, "oauth-id-jag+jwt ")),
        ),
        v(
            "JWT-04",
            "typ with application/ prefix in mixed case (accepted)",
            IdJag,
            |fx| {
                ema_jwt::mint::sign_jws(
                    &fx.idp_es,
                    Some("Application/OAuth-ID-JAG+JWT"),
                    &id_jag_claims(),
                )
                .unwrap()
            },
            Accept,
        ),
        // -- JWT-05 / AS-18: keys only from the trusted JWKS, by kid; crit --
        v(
            "JWT-05",
            "jwk header embedding the attacker's key",
            IdJag,
            |_| {
                let evil = attacker();
                let jwk = serde_json::to_value(evil.verifying_key().to_jwk()).unwrap();
                header_edit(&evil, |h| {
                    h.insert("jwk".into(), jwk);
                })
            },
            Reject(ErrorKind::EmbeddedKey("jwk")),
        ),
        v(
            "JWT-05",
            "jku header pointing at the attacker's JWKS",
            IdJag,
            |_| {
                header_edit(&attacker(), |h| {
                    h.insert("jku".into(), json!("https://attacker.example/jwks.json"));
                })
            },
            Reject(ErrorKind::EmbeddedKey("jku")),
        ),
        v(
            "JWT-05",
            "x5u header",
            IdJag,
            |_| {
                header_edit(&attacker(), |h| {
                    h.insert("x5u".into(), json!("https://attacker.example/cert.pem"));
                })
            },
            Reject(ErrorKind::EmbeddedKey("x5u")),
        ),
        v(
            "JWT-05",
            "x5c header",
            IdJag,
            |_| {
                header_edit(&attacker(), |h| {
                    h.insert("x5c".into(), json!(["MIIBszCCAVmgAwIBAgIU"]));
                })
            },
            Reject(ErrorKind::EmbeddedKey("x5c")),
        ),
        v(
            "JWT-05",
            "jwk header on an otherwise valid token (IdP key, IdP kid)",
            IdJag,
            |fx| {
                let jwk = serde_json::to_value(fx.idp_es.verifying_key().to_jwk()).unwrap();
                header_edit(&fx.idp_es, |h| {
                    h.insert("jwk".into(), jwk);
                })
            },
            Reject(ErrorKind::EmbeddedKey("jwk")),
        ),
        v(
            "JWT-05",
            "kid path traversal",
            IdJag,
            |fx| {
                header_edit(&fx.idp_es, |h| {
                    h.insert("kid".into(), json!("../../etc/passwd"));
                })
            },
            Reject(ErrorKind::UnknownKeyId("../../etc/passwd".into())),
        ),
        v(
            "JWT-05",
            "kid SQL injection",
            IdJag,
            |fx| {
                header_edit(&fx.idp_es, |h| {
                    h.insert("kid".into(), json!("' OR 1=1 --"));
                })
            },
            Reject(ErrorKind::UnknownKeyId("' OR 1=1 --".into())),
        ),
        v(
            "JWT-05",
            "kid /dev/null",
            IdJag,
            |fx| {
                header_edit(&fx.idp_es, |h| {
                    h.insert("kid".into(), json!("/dev/null"));
                })
            },
            Reject(ErrorKind::UnknownKeyId("/dev/null".into())),
        ),
        v(
            "JWT-05",
            "kid is a URL",
            IdJag,
            |fx| {
                header_edit(&fx.idp_es, |h| {
                    h.insert("kid".into(), json!("https://attacker.example/key"));
                })
            },
            Reject(ErrorKind::UnknownKeyId(
                "https://attacker.example/key".into(),
            )),
        ),
        v(
            "JWT-05",
            "kid with a NUL suffix",
            IdJag,
            |fx| {
                header_edit(&fx.idp_es, |h| {
                    h.insert("kid".into(), json!(format!("{IDP_ES_KID}\u{0}")));
                })
            },
            Reject(ErrorKind::UnknownKeyId(format!("{IDP_ES_KID}\u{0}"))),
        ),
        v(
            "JWT-05",
            "empty kid",
            IdJag,
            |fx| {
                header_edit(&fx.idp_es, |h| {
                    h.insert("kid".into(), json!(""));
                })
            },
            Reject(ErrorKind::UnknownKeyId(String::new())),
        ),
        v(
            "JWT-05",
            "numeric kid",
            IdJag,
            |fx| {
                header_edit(&fx.idp_es, |h| {
                    h.insert("kid".into(), json!(0));
                })
            },
            Reject(ErrorKind::InvalidHeader("kid")),
        ),
        v(
            "JWT-05",
            "unknown crit",
            IdJag,
            |fx| {
                header_edit(&fx.idp_es, |h| {
                    h.insert("crit".into(), json!(["exp"]));
                    h.insert("exp".into(), json!(NOW + 300));
                })
            },
            Reject(ErrorKind::UnsupportedCritical("exp".into())),
        ),
        v(
            "JWT-05",
            "crit b64 (unencoded payload, RFC 7797)",
            IdJag,
            |fx| {
                header_edit(&fx.idp_es, |h| {
                    h.insert("crit".into(), json!(["b64"]));
                    h.insert("b64".into(), json!(false));
                })
            },
            Reject(ErrorKind::UnsupportedCritical("b64".into())),
        ),
        // -- JWT-06 / step 13: time --
        v(
            "JWT-06",
            "expired",
            IdJag,
            |fx| {
                claims_edit(fx, |c| {
                    c.insert("iat".into(), json!(NOW - 400));
                    c.insert("exp".into(), json!(NOW - 100));
                })
            },
            Reject(ErrorKind::Expired),
        ),
        v(
            "JWT-06",
            "not yet valid (nbf)",
            IdJag,
            |fx| {
                claims_edit(fx, |c| {
                    c.insert("nbf".into(), json!(NOW + 3600));
                })
            },
            Reject(ErrorKind::NotYetValid),
        ),
        v(
            "JWT-06",
            "iat in the future",
            IdJag,
            |fx| {
                claims_edit(fx, |c| {
                    c.insert("iat".into(), json!(NOW + 3600));
                    c.insert("exp".into(), json!(NOW + 3900));
                })
            },
            Reject(ErrorKind::IssuedInFuture),
        ),
        v(
            "JWT-06",
            "exp as a string",
            IdJag,
            |fx| {
                claims_edit(fx, |c| {
                    c.insert("exp".into(), json!((NOW + 300).to_string()));
                })
            },
            Reject(ErrorKind::InvalidClaim("exp")),
        ),
        v(
            "JWT-06",
            "exp far beyond u64 as a float",
            IdJag,
            |fx| {
                raw_payload(
                    fx,
                    &format!(
                        r#"{{"exp":1e300,{}"#,
                        claims_tail().replace(&format!(r#""exp":{},"#, NOW + 300), "")
                    ),
                )
            },
            Reject(ErrorKind::InvalidClaim("exp")),
        ),
        v(
            "JWT-06",
            "expired access token",
            AccessToken,
            |fx| {
                fx.access_token(&edited(access_token_claims(), |c| {
                    c.insert("exp".into(), json!(NOW - 60));
                }))
            },
            Reject(ErrorKind::Expired),
        ),
        // -- JWT-07 / step 11: audience --
        v(
            "JWT-07",
            "multi-valued aud",
            IdJag,
            |fx| {
                claims_edit(fx, |c| {
                    c.insert("aud".into(), json!([AS, "https://attacker.example"]));
                })
            },
            Reject(ErrorKind::MultipleAudiences(2)),
        ),
        v(
            "JWT-07",
            "empty aud array",
            IdJag,
            |fx| {
                claims_edit(fx, |c| {
                    c.insert("aud".into(), json!([]));
                })
            },
            Reject(ErrorKind::InvalidClaim("aud")),
        ),
        // -- JWT-08 / steps 7, 11: exact StringOrURI comparison --
        v(
            "JWT-08",
            "aud is the token endpoint",
            IdJag,
            |fx| {
                claims_edit(fx, |c| {
                    c.insert("aud".into(), json!(TOKEN_ENDPOINT));
                })
            },
            Reject(ErrorKind::AudienceMismatch),
        ),
        v(
            "JWT-08",
            "aud with a trailing slash",
            IdJag,
            |fx| {
                claims_edit(fx, |c| {
                    c.insert("aud".into(), json!(format!("{AS}/")));
                })
            },
            Reject(ErrorKind::AudienceMismatch),
        ),
        v(
            "JWT-08",
            "iss with a trailing slash",
            IdJag,
            |fx| {
                claims_edit(fx, |c| {
                    c.insert("iss".into(), json!(format!("{IDP}/")));
                })
            },
            Reject(ErrorKind::UntrustedIssuer),
        ),
        v(
            "JWT-08",
            "iss with an upper-case host",
            IdJag,
            |fx| {
                claims_edit(fx, |c| {
                    c.insert("iss".into(), json!("https://IDP.EXAMPLE"));
                })
            },
            Reject(ErrorKind::UntrustedIssuer),
        ),
        v(
            "JWT-08",
            "access token iss with a trailing slash",
            AccessToken,
            |fx| {
                fx.access_token(&edited(access_token_claims(), |c| {
                    c.insert("iss".into(), json!(format!("{AS}/")));
                }))
            },
            Reject(ErrorKind::UntrustedIssuer),
        ),
        v(
            "JWT-08",
            "access token aud with a trailing slash",
            AccessToken,
            |fx| {
                fx.access_token(&edited(access_token_claims(), |c| {
                    c.insert("aud".into(), json!(format!("{RESOURCE}/")));
                }))
            },
            Reject(ErrorKind::AudienceMismatch),
        ),
        v(
            "JWT-08",
            "ID token for another client",
            IdToken,
            |fx| {
                fx.id_token(&edited(id_token_claims(), |c| {
                    c.insert("aud".into(), json!("client-other"));
                }))
            },
            Reject(ErrorKind::AudienceMismatch),
        ),
        v(
            "JWT-08",
            "ID token with another nonce",
            IdToken,
            |fx| {
                fx.id_token(&edited(id_token_claims(), |c| {
                    c.insert("nonce".into(), json!("replayed"));
                }))
            },
            Reject(ErrorKind::NonceMismatch),
        ),
        // -- JWT-09 / step 9: signatures --
        v(
            "JWT-09",
            "ES256 signature DER-encoded",
            IdJag,
            |fx| signature_edit(fx, |sig| es256_raw_to_der(&sig)),
            Reject(ErrorKind::InvalidSignature),
        ),
        v(
            "JWT-09",
            "psychic signature (r = s = 0)",
            IdJag,
            |fx| signature_edit(fx, |_| vec![0; 64]),
            Reject(ErrorKind::InvalidSignature),
        ),
        v(
            "JWT-09",
            "psychic signature, DER-encoded (r = s = 0)",
            IdJag,
            |fx| signature_edit(fx, |_| vec![0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00]),
            Reject(ErrorKind::InvalidSignature),
        ),
        v(
            "JWT-09",
            "ES256 r = n, s = n",
            IdJag,
            |fx| signature_edit(fx, |_| [P256_ORDER, P256_ORDER].concat()),
            Reject(ErrorKind::InvalidSignature),
        ),
        v(
            "JWT-09",
            "ES256 r + n (out of range, same residue)",
            IdJag,
            |fx| {
                signature_edit(fx, |sig| {
                    // 0xff..ff > n: r' = 2^256 - 1 is never a valid scalar.
                    let mut out = vec![0xff; 32];
                    out.extend_from_slice(&sig[32..]);
                    out
                })
            },
            Reject(ErrorKind::InvalidSignature),
        ),
        v(
            "JWT-09",
            "truncated signature (63 octets)",
            IdJag,
            |fx| signature_edit(fx, |sig| sig[..63].to_vec()),
            Reject(ErrorKind::InvalidSignature),
        ),
        v(
            "JWT-09",
            "truncated signature (one octet)",
            IdJag,
            |fx| signature_edit(fx, |sig| sig[..1].to_vec()),
            Reject(ErrorKind::InvalidSignature),
        ),
        v(
            "JWT-09",
            "extended signature (65 octets)",
            IdJag,
            |fx| {
                signature_edit(fx, |mut sig| {
                    sig.push(0);
                    sig
                })
            },
            Reject(ErrorKind::InvalidSignature),
        ),
        v(
            "JWT-09",
            "EdDSA all-zero signature",
            IdJag,
            |fx| {
                let token = fx.id_jag_ed(&id_jag_claims());
                with_signature(&token, &[0; 64])
            },
            Reject(ErrorKind::InvalidSignature),
        ),
        v(
            "JWT-09",
            "Ed25519 small-order key in the JWKS, identity signature",
            IdJagJwks(|fx| {
                jwks_with(
                    fx,
                    json!({"kty": "OKP", "crv": "Ed25519", "x": b64(ed25519_identity()), "kid": "weak-ed"}),
                )
            }),
            |_| {
                let mut sig = ed25519_identity();
                sig.extend([0_u8; 32]);
                with_header_and_signature("EdDSA", "weak-ed", &sig)
            },
            Reject(ErrorKind::UnknownKeyId("weak-ed".into())),
        ),
        v(
            "JWT-09",
            "Ed25519 identity signature (R = identity, S = 0) under the real key",
            IdJag,
            |_| {
                let mut sig = ed25519_identity();
                sig.extend([0_u8; 32]);
                with_header_and_signature("EdDSA", IDP_ED_KID, &sig)
            },
            Reject(ErrorKind::InvalidSignature),
        ),
        v(
            "JWT-09",
            "Ed25519 signature with S >= L (malleated)",
            IdJag,
            |fx| {
                let token = fx.id_jag_ed(&id_jag_claims());
                let mut sig = signature_of(&token);
                // Add L = 2^252 + 27742317777372353535851937790883648493 to S (little-endian).
                const L: [u8; 32] = [
                    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde,
                    0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
                ];
                let mut carry = 0_u16;
                for (i, l) in L.iter().enumerate() {
                    let sum = u16::from(sig[32 + i]) + u16::from(*l) + carry;
                    sig[32 + i] = (sum & 0xff) as u8;
                    carry = sum >> 8;
                }
                with_signature(&token, &sig)
            },
            Reject(ErrorKind::InvalidSignature),
        ),
        v(
            "JWT-09",
            "RS256 signature of all zero octets",
            IdJagRsa,
            |_| with_signature(&rsa_id_jag(Algorithm::RS256, Some(RSA_KID)), &[0; 256]),
            Reject(ErrorKind::InvalidSignature),
        ),
        v(
            "JWT-09",
            "signature transplanted from another valid token",
            IdJag,
            |fx| {
                let donor = valid(fx);
                with_signature(&valid(fx), &signature_of(&donor))
            },
            Reject(ErrorKind::InvalidSignature),
        ),
        v(
            "JWT-09",
            "tampered payload (re-encoded, original signature)",
            IdJag,
            |fx| {
                tamper_payload(&valid(fx), |c| {
                    c.insert("sub".into(), json!("admin"));
                })
            },
            Reject(ErrorKind::InvalidSignature),
        ),
        v(
            "JWT-09",
            "payload re-encoded with different whitespace (same claims)",
            IdJag,
            |fx| {
                let token = valid(fx);
                let pretty = serde_json::to_vec_pretty(&payload_of(&token)).unwrap();
                replace_segment(&token, 1, &b64(pretty))
            },
            Reject(ErrorKind::InvalidSignature),
        ),
        v(
            "JWT-09",
            "attacker key under the IdP kid",
            IdJag,
            |_| {
                let evil = attacker().with_kid(IDP_ES_KID);
                ema_jwt::mint::sign_jws(&evil, Some(TYP_ID_JAG), &id_jag_claims()).unwrap()
            },
            Reject(ErrorKind::InvalidSignature),
        ),
        // -- JWT-10: client assertions --
        v(
            "JWT-10",
            "client assertion aud is the token endpoint",
            ClientAssertion,
            |fx| {
                fx.client_assertion(&edited(client_assertion_claims(), |c| {
                    c.insert("aud".into(), json!(TOKEN_ENDPOINT));
                }))
            },
            Reject(ErrorKind::AudienceMismatch),
        ),
        v(
            "JWT-10",
            "client assertion without jti",
            ClientAssertion,
            |fx| {
                fx.client_assertion(&edited(client_assertion_claims(), |c| {
                    c.remove("jti");
                }))
            },
            Reject(ErrorKind::MissingClaim("jti")),
        ),
        v(
            "JWT-10",
            "client assertion valid for an hour",
            ClientAssertion,
            |fx| {
                fx.client_assertion(&edited(client_assertion_claims(), |c| {
                    c.insert("exp".into(), json!(NOW + 3600));
                }))
            },
            Reject(ErrorKind::LifetimeTooLong {
                lifetime: 3600,
                max: 300,
            }),
        ),
        v(
            "JWT-10",
            "client assertion for another client (sub)",
            ClientAssertion,
            |fx| {
                fx.client_assertion(&edited(client_assertion_claims(), |c| {
                    c.insert("sub".into(), json!("client-victim"));
                }))
            },
            Reject(ErrorKind::SubjectMismatch),
        ),
        // -- JWT-11: size and duplicate members --
        v(
            "JWT-11",
            "oversize token (> 16 KiB, big claim)",
            IdJag,
            oversize,
            Expect::TooLarge,
        ),
        v(
            "JWT-11",
            "oversize token presented as an access token",
            AccessToken,
            oversize,
            Expect::TooLarge,
        ),
        v(
            "JWT-11",
            "duplicate iss in the signed payload",
            IdJag,
            |fx| {
                raw_payload(
                    fx,
                    &format!(r#"{{"iss":"https://evil.example",{}"#, claims_tail()),
                )
            },
            Reject(ErrorKind::DuplicateMember {
                segment: Segment::Payload,
                name: "iss".into(),
            }),
        ),
        v(
            "JWT-11",
            "duplicate aud in the signed payload, trusted value last",
            IdJag,
            |fx| {
                raw_payload(
                    fx,
                    &format!(r#"{{"aud":"https://evil.example",{}"#, claims_tail()),
                )
            },
            Reject(ErrorKind::DuplicateMember {
                segment: Segment::Payload,
                name: "aud".into(),
            }),
        ),
        v(
            "JWT-11",
            "duplicate alg in the header",
            IdJag,
            |fx| {
                raw_header(
                    fx,
                    &format!(
                        r#"{{"alg":"none","alg":"ES256","typ":"{TYP_ID_JAG}","kid":"{IDP_ES_KID}"}}"#
                    ),
                )
            },
            Reject(ErrorKind::DuplicateMember {
                segment: Segment::Header,
                name: "alg".into(),
            }),
        ),
        v(
            "JWT-11",
            "duplicate kid in the header",
            IdJag,
            |fx| {
                raw_header(
                    fx,
                    &format!(
                        r#"{{"alg":"ES256","typ":"{TYP_ID_JAG}","kid":"attacker","kid":"{IDP_ES_KID}"}}"#
                    ),
                )
            },
            Reject(ErrorKind::DuplicateMember {
                segment: Segment::Header,
                name: "kid".into(),
            }),
        ),
        // -- §6 steps 10-16 --
        v(
            "step_10",
            "ID-JAG without jti",
            IdJag,
            |fx| {
                claims_edit(fx, |c| {
                    c.remove("jti");
                })
            },
            Reject(ErrorKind::MissingClaim("jti")),
        ),
        v(
            "step_10",
            "ID-JAG without client_id",
            IdJag,
            |fx| {
                claims_edit(fx, |c| {
                    c.remove("client_id");
                })
            },
            Reject(ErrorKind::MissingClaim("client_id")),
        ),
        v(
            "step_12",
            "ID-JAG for another client",
            IdJag,
            |fx| {
                claims_edit(fx, |c| {
                    c.insert("client_id".into(), json!("client-other"));
                })
            },
            Reject(ErrorKind::ClientIdMismatch),
        ),
        v(
            "step_14",
            "over-long lifetime (601 s)",
            IdJag,
            |fx| {
                claims_edit(fx, |c| {
                    c.insert("exp".into(), json!(NOW + 601));
                })
            },
            Reject(ErrorKind::LifetimeTooLong {
                lifetime: 601,
                max: 600,
            }),
        ),
        v(
            "step_16",
            "ID-JAG without resource",
            IdJag,
            |fx| {
                claims_edit(fx, |c| {
                    c.remove("resource");
                })
            },
            Reject(ErrorKind::MissingResource),
        ),
        v(
            "step_16",
            "ID-JAG for another resource",
            IdJag,
            |fx| {
                claims_edit(fx, |c| {
                    c.insert("resource".into(), json!("https://attacker.example/mcp"));
                })
            },
            Reject(ErrorKind::ResourceMismatch),
        ),
    ]
}

/// Run every row whose id is `id`; return the mismatches, one line each.
fn run(id: &str) -> Vec<String> {
    let fx = Fixture::new();
    let rows: Vec<Vector> = vectors().into_iter().filter(|v| v.id == id).collect();
    assert!(!rows.is_empty(), "no vectors for {id}");
    let mut failures = Vec::new();
    for row in rows {
        let token = (row.token)(&fx);
        let verdict = row.target.verify(&fx, &token);
        let kind = row.target.token_kind();
        let ok = match (&row.expect, &verdict) {
            (Expect::Accept, Ok(())) => true,
            (Expect::Reject(expected), Err(err)) => {
                err.kind() == expected
                    && err.token_kind() == Some(kind)
                    && err.oauth_error_code() == expected_code(kind)
            }
            (Expect::TooLarge, Err(err)) => {
                token.len() > MAX_TOKEN_BYTES
                    && err.kind()
                        == &ErrorKind::TooLarge {
                            len: token.len(),
                            max: MAX_TOKEN_BYTES,
                        }
                    && err.oauth_error_code() == expected_code(kind)
            }
            _ => false,
        };
        if !ok {
            failures.push(format!(
                "[{}] {} ({:?}, {:?}): expected {:?}, got {:?}",
                ema_jwt::BACKEND.unwrap_or("none"),
                row.name,
                row.id,
                row.target,
                row.expect,
                verdict
            ));
        }
    }
    failures
}

#[track_caller]
fn check(id: &str) {
    let failures = run(id);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn jwt_01_to_11_controls_accepted_so_the_table_can_tell() {
    check("control");
}

#[test]
fn jwt_01_vectors() {
    check("JWT-01");
}

#[test]
fn jwt_02_vectors() {
    check("JWT-02");
}

#[test]
fn jwt_03_vectors() {
    check("JWT-03");
}

#[test]
fn jwt_04_vectors() {
    check("JWT-04");
}

#[test]
fn jwt_05_vectors() {
    check("JWT-05");
}

#[test]
fn jwt_06_vectors() {
    check("JWT-06");
}

#[test]
fn jwt_07_vectors() {
    check("JWT-07");
}

#[test]
fn jwt_08_vectors() {
    check("JWT-08");
}

#[test]
fn jwt_09_vectors() {
    check("JWT-09");
}

#[test]
fn jwt_10_vectors() {
    check("JWT-10");
}

#[test]
fn jwt_11_vectors() {
    check("JWT-11");
}

#[test]
fn step_10_to_16_vectors() {
    let mut failures = Vec::new();
    for id in ["step_10", "step_12", "step_14", "step_16"] {
        failures.extend(run(id));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every row belongs to a group some test runs, and names are unique.
#[test]
fn jwt_01_to_11_every_vector_is_run_and_named_once() {
    let groups = [
        "control", "JWT-01", "JWT-02", "JWT-03", "JWT-04", "JWT-05", "JWT-06", "JWT-07", "JWT-08",
        "JWT-09", "JWT-10", "JWT-11", "step_10", "step_12", "step_14", "step_16",
    ];
    let rows = vectors();
    assert!(rows.len() >= 100, "{} vectors", rows.len());
    let mut names = std::collections::BTreeSet::new();
    for row in &rows {
        assert!(
            groups.contains(&row.id),
            "{}: unknown group {}",
            row.name,
            row.id
        );
        assert!(names.insert(row.name), "duplicate vector name {}", row.name);
    }
}

/// The table above ran on the backend this build was compiled with; the suite runs once per
/// backend (CI), which is what makes the verdicts comparable.
#[test]
fn jwt_01_to_11_same_verdict_on_both_backends_runs_on_the_compiled_backend() {
    let expected = if cfg!(feature = "aws-lc-rs") {
        "aws-lc-rs"
    } else {
        "rust-crypto"
    };
    assert_eq!(ema_jwt::BACKEND, Some(expected));
}

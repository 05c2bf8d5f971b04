//! Cross-checks with an independent JOSE implementation, `jsonwebtoken` 11 (dev-dependency,
//! aws-lc-rs backend), in both directions (JWT-02, JWT-09):
//!
//! - tokens we mint (ES256 and EdDSA; ID-JAG, access token, client assertion) decode and
//!   verify in jsonwebtoken with its own validation, from the JWK we publish;
//! - tokens jsonwebtoken signs (ES256, EdDSA, RS256 and PS256 with the 2048-bit RSA test key)
//!   verify with our verifiers;
//! - the same tokens with one claim changed are rejected by both.
//!
//! jsonwebtoken picks its crypto provider from its features; with only `aws_lc_rs` enabled it
//! needs no installation. It is independent of our backend, so this file runs unchanged under
//! `--no-default-features --features rust-crypto`, where it checks the pure-Rust backend
//! against AWS-LC through jsonwebtoken.
#![cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::*;
use ema_jwt::mint::{
    AccessTokenGrant, AccessTokenMinter, ClientAssertionMinter, IdJagGrant, IdJagMinter,
};
use ema_jwt::verify::TrustAnchor;
use ema_jwt::{Algorithm, ErrorKind, KeySet, SigningKey, TokenKind, VerifyingKey};
use ema_types::{ClientId, Issuer, Resource, SystemRandom};
use jsonwebtoken::errors::ErrorKind as JwtErrorKind;
use jsonwebtoken::{DecodingKey, Validation};
use serde_json::{Value, json};

/// A clock far enough ahead (2096-10-02) that jsonwebtoken's wall-clock `exp` check passes
/// for tokens minted "now" here, deterministically.
const FAR: u64 = 4_000_000_000;

fn jwt_alg(alg: Algorithm) -> jsonwebtoken::Algorithm {
    match alg {
        Algorithm::ES256 => jsonwebtoken::Algorithm::ES256,
        Algorithm::RS256 => jsonwebtoken::Algorithm::RS256,
        Algorithm::PS256 => jsonwebtoken::Algorithm::PS256,
        Algorithm::EdDSA => jsonwebtoken::Algorithm::EdDSA,
        other => panic!("{other}"),
    }
}

/// jsonwebtoken's decoding key from the JWK we publish for `key`.
fn decoding_key(key: &VerifyingKey) -> DecodingKey {
    let json = serde_json::to_value(key.to_jwk()).unwrap();
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(json).unwrap();
    DecodingKey::from_jwk(&jwk).unwrap()
}

fn validation(alg: Algorithm, aud: &str, iss: &str) -> Validation {
    let mut v = Validation::new(jwt_alg(alg));
    v.set_audience(&[aud]);
    v.set_issuer(&[iss]);
    v.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
    v.validate_nbf = true;
    v
}

fn jwt_decode(
    token: &str,
    key: &VerifyingKey,
    alg: Algorithm,
    aud: &str,
    iss: &str,
) -> Result<Value, JwtErrorKind> {
    jsonwebtoken::decode::<Value>(token, &decoding_key(key), &validation(alg, aud, iss))
        .map(|data| data.claims)
        .map_err(|e| e.into_kind())
}

fn far_fixture() -> Fixture {
    let fx = Fixture::new();
    fx.clock.set(FAR);
    fx
}

// ---------------------------------------------------------------------------------------------
// Our tokens, verified by jsonwebtoken.
// ---------------------------------------------------------------------------------------------

#[test]
fn idp_15_our_id_jag_verifies_in_jsonwebtoken_es256_and_eddsa() {
    let fx = far_fixture();
    for key in [&fx.idp_es, &fx.idp_ed] {
        let grant = IdJagGrant::new(
            SUBJECT,
            Issuer::new(AS).unwrap(),
            ClientId::new(CLIENT_ID).unwrap(),
        )
        .with_resource(Resource::new(RESOURCE).unwrap())
        .with_scope(SCOPE.parse().unwrap());
        let minted = IdJagMinter::new(Issuer::new(IDP).unwrap(), key.clone())
            .mint(grant, &fx.clock, &SystemRandom)
            .unwrap();
        let token = minted.token.expose();
        let claims = jwt_decode(token, key.verifying_key(), key.algorithm(), AS, IDP).unwrap();
        assert_eq!(claims, serde_json::to_value(&minted.claims).unwrap());
        let header = jsonwebtoken::decode_header(token).unwrap();
        assert_eq!(header.typ.as_deref(), Some(TYP_ID_JAG));
        assert_eq!(header.kid.as_deref(), Some(key.kid()));
        assert_eq!(header.alg, jwt_alg(key.algorithm()));
    }
}

#[test]
fn as_14_our_access_token_verifies_in_jsonwebtoken() {
    let fx = far_fixture();
    for key in [
        fx.as_key.clone(),
        SigningKey::generate(Algorithm::EdDSA)
            .unwrap()
            .with_kid("as-ed"),
    ] {
        let grant = AccessTokenGrant::new(
            SUBJECT,
            Resource::new(RESOURCE).unwrap(),
            ClientId::new(CLIENT_ID).unwrap(),
            SCOPE.parse().unwrap(),
        );
        let minted = AccessTokenMinter::new(Issuer::new(AS).unwrap(), key.clone())
            .mint(grant, &fx.clock, &SystemRandom)
            .unwrap();
        let claims = jwt_decode(
            minted.token.expose(),
            key.verifying_key(),
            key.algorithm(),
            RESOURCE,
            AS,
        )
        .unwrap();
        assert_eq!(claims, serde_json::to_value(&minted.claims).unwrap());
    }
}

#[test]
fn jwt_10_our_client_assertion_verifies_in_jsonwebtoken() {
    let fx = far_fixture();
    for key in [
        fx.client_key.clone(),
        SigningKey::generate(Algorithm::EdDSA)
            .unwrap()
            .with_kid("client-ed"),
    ] {
        let minted = ClientAssertionMinter::new(ClientId::new(CLIENT_ID).unwrap(), key.clone())
            .mint(&Issuer::new(AS).unwrap(), &fx.clock, &SystemRandom)
            .unwrap();
        let mut v = validation(key.algorithm(), AS, CLIENT_ID);
        v.sub = Some(CLIENT_ID.to_owned());
        let claims = jsonwebtoken::decode::<Value>(
            minted.token.expose(),
            &decoding_key(key.verifying_key()),
            &v,
        )
        .unwrap()
        .claims;
        assert_eq!(claims, serde_json::to_value(&minted.claims).unwrap());
    }
}

#[test]
fn jwt_09_our_published_jwks_parses_in_jsonwebtoken() {
    let fx = Fixture::new();
    let keys = KeySet::from_keys(vec![
        fx.idp_es.verifying_key().clone(),
        fx.idp_ed.verifying_key().clone(),
        rsa_verifying_key(Algorithm::PS256),
    ]);
    let doc = serde_json::to_string(&keys.to_jwks()).unwrap();
    let set: jsonwebtoken::jwk::JwkSet = serde_json::from_str(&doc).unwrap();
    assert_eq!(set.keys.len(), 3);
    for kid in [IDP_ES_KID, IDP_ED_KID, RSA_KID] {
        let jwk = set.find(kid).unwrap();
        DecodingKey::from_jwk(jwk).unwrap();
    }
    // RFC 7638 thumbprints agree.
    let es = set.find(IDP_ES_KID).unwrap();
    assert_eq!(
        es.thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)
            .unwrap(),
        fx.idp_es.verifying_key().thumbprint()
    );
}

// ---------------------------------------------------------------------------------------------
// jsonwebtoken's tokens, verified by us.
// ---------------------------------------------------------------------------------------------

/// A token signed by jsonwebtoken with `alg`: the IdP ES256 / EdDSA test keys, or the RSA
/// test key for RS256 / PS256.
fn jwt_sign(fx: &Fixture, alg: Algorithm, typ: Option<&str>, claims: &Value) -> String {
    let (key, kid) = match alg {
        Algorithm::ES256 => (jwt_encoding_key(&fx.idp_es), IDP_ES_KID),
        Algorithm::EdDSA => (jwt_encoding_key(&fx.idp_ed), IDP_ED_KID),
        Algorithm::RS256 | Algorithm::PS256 => (rsa_encoding_key(), RSA_KID),
        other => panic!("{other}"),
    };
    let mut header = jsonwebtoken::Header::new(jwt_alg(alg));
    header.typ = typ.map(str::to_owned);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

/// The IdP keys, with the RSA test key pinned to `alg` when `alg` is an RSA algorithm.
fn idp_keys_for(fx: &Fixture, alg: Algorithm) -> KeySet {
    let mut keys = vec![
        fx.idp_es.verifying_key().clone(),
        fx.idp_ed.verifying_key().clone(),
    ];
    if matches!(alg, Algorithm::RS256 | Algorithm::PS256) {
        keys.push(rsa_verifying_key(alg));
    }
    KeySet::from_keys(keys)
}

const ALL_ALGS: [Algorithm; 4] = [
    Algorithm::ES256,
    Algorithm::EdDSA,
    Algorithm::RS256,
    Algorithm::PS256,
];

#[test]
fn jwt_02_jsonwebtoken_id_jag_verifies_with_ours_all_algorithms() {
    let fx = Fixture::new();
    for alg in ALL_ALGS {
        let signed = id_jag_claims();
        let token = jwt_sign(&fx, alg, Some(TYP_ID_JAG), &signed);
        let keys = idp_keys_for(&fx, alg);
        let algs = [alg];
        let anchor = TrustAnchor::new(IDP, &keys, &algs);
        let claims = fx
            .verify_id_jag_with(&token, &fx.id_jag_verifier(), &anchor, CLIENT_ID)
            .unwrap_or_else(|e| panic!("{alg}: {e:?}"));
        assert_eq!(serde_json::to_value(&claims).unwrap(), signed, "{alg}");
    }
}

#[test]
fn jwt_02_jsonwebtoken_access_token_id_token_client_assertion_verify_with_ours() {
    let fx = Fixture::new();
    for alg in ALL_ALGS {
        let keys = idp_keys_for(&fx, alg);
        let algs = [alg];
        // Access token (RS256 is what enterprise ASes commonly use, RFC 9068 §2.1).
        let at = jwt_sign(&fx, alg, Some(TYP_AT), &access_token_claims());
        let verified = fx
            .access_token_verifier()
            .verify(&at, &keys, &algs, &fx.clock);
        assert!(verified.is_ok(), "{alg}: {verified:?}");
        // ID token with jsonwebtoken's default `typ: JWT`.
        let idt = jwt_sign(&fx, alg, Some("JWT"), &id_token_claims());
        let verified = fx
            .id_token_verifier()
            .verify(&idt, &keys, &algs, Some(NONCE), &fx.clock);
        assert!(verified.is_ok(), "{alg}: {verified:?}");
        // Client assertion, untyped as RFC 7523 clients send it.
        let ca = jwt_sign(&fx, alg, None, &client_assertion_claims());
        let verifier = fx.client_assertion_verifier();
        let anchor = TrustAnchor::new(CLIENT_ID, &keys, &algs);
        let verified = verifier.verify(verifier.decode(&ca).unwrap(), &anchor, &fx.clock);
        assert!(verified.is_ok(), "{alg}: {verified:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// One claim changed: rejected by both.
// ---------------------------------------------------------------------------------------------

/// Verdicts of both implementations on an ID-JAG signed with `alg`.
fn both_verdicts(
    fx: &Fixture,
    alg: Algorithm,
    token: &str,
) -> (Result<(), ErrorKind>, Result<(), JwtErrorKind>) {
    let keys = idp_keys_for(fx, alg);
    let anchor = TrustAnchor::new(IDP, &keys, &fx.algs);
    let ours = fx
        .verify_id_jag_with(token, &fx.id_jag_verifier(), &anchor, CLIENT_ID)
        .map(drop)
        .map_err(|e| {
            assert_eq!(e.token_kind(), Some(TokenKind::IdJag));
            e.kind().clone()
        });
    let key = match alg {
        Algorithm::ES256 => fx.idp_es.verifying_key().clone(),
        Algorithm::EdDSA => fx.idp_ed.verifying_key().clone(),
        _ => rsa_verifying_key(alg),
    };
    let theirs = jwt_decode(token, &key, alg, AS, IDP).map(drop);
    (ours, theirs)
}

#[test]
fn jwt_09_tampered_claim_rejected_by_both_whoever_signed() {
    let fx = far_fixture();
    let claims = edited(id_jag_claims(), |c| {
        c.insert("iat".into(), json!(FAR));
        c.insert("exp".into(), json!(FAR + 300));
    });
    for alg in ALL_ALGS {
        let signed_by_them = jwt_sign(&fx, alg, Some(TYP_ID_JAG), &claims);
        let mut tokens = vec![signed_by_them];
        if alg == Algorithm::ES256 {
            tokens.push(fx.id_jag(&claims));
        }
        if alg == Algorithm::EdDSA {
            tokens.push(fx.id_jag_ed(&claims));
        }
        for token in tokens {
            // Untouched: both accept.
            let (ours, theirs) = both_verdicts(&fx, alg, &token);
            assert_eq!(ours, Ok(()), "{alg}");
            assert_eq!(theirs, Ok(()), "{alg}");
            for (name, value) in [
                ("sub", json!("admin")),
                ("aud", json!("https://evil.example")),
                ("client_id", json!("client-evil")),
                ("exp", json!(FAR + 86_400)),
                ("scope", json!("admin")),
            ] {
                let tampered = tamper_payload(&token, |c| {
                    c.insert(name.into(), value.clone());
                });
                let (ours, theirs) = both_verdicts(&fx, alg, &tampered);
                assert_eq!(ours, Err(ErrorKind::InvalidSignature), "{alg} {name}");
                assert_eq!(theirs, Err(JwtErrorKind::InvalidSignature), "{alg} {name}");
            }
        }
    }
}

#[test]
fn jwt_08_claim_changed_and_resigned_rejected_by_both() {
    let fx = far_fixture();
    let base = edited(id_jag_claims(), |c| {
        c.insert("iat".into(), json!(FAR));
        c.insert("exp".into(), json!(FAR + 300));
    });
    let cases = [
        (
            "aud: token endpoint",
            edited(base.clone(), |c| {
                c.insert("aud".into(), json!(TOKEN_ENDPOINT));
            }),
            ErrorKind::AudienceMismatch,
            JwtErrorKind::InvalidAudience,
        ),
        (
            "aud: trailing slash",
            edited(base.clone(), |c| {
                c.insert("aud".into(), json!(format!("{AS}/")));
            }),
            ErrorKind::AudienceMismatch,
            JwtErrorKind::InvalidAudience,
        ),
        (
            "iss: trailing slash",
            edited(base.clone(), |c| {
                c.insert("iss".into(), json!(format!("{IDP}/")));
            }),
            ErrorKind::UntrustedIssuer,
            JwtErrorKind::InvalidIssuer,
        ),
        (
            "iss: other issuer",
            edited(base.clone(), |c| {
                c.insert("iss".into(), json!("https://evil.example"));
            }),
            ErrorKind::UntrustedIssuer,
            JwtErrorKind::InvalidIssuer,
        ),
        (
            "nbf: an hour ahead",
            edited(base.clone(), |c| {
                c.insert("nbf".into(), json!(FAR + 3600));
            }),
            ErrorKind::NotYetValid,
            JwtErrorKind::ImmatureSignature,
        ),
        (
            "exp: long past",
            edited(base.clone(), |c| {
                c.insert("iat".into(), json!(1_000_000_000));
                c.insert("exp".into(), json!(1_000_000_300));
            }),
            ErrorKind::Expired,
            JwtErrorKind::ExpiredSignature,
        ),
    ];
    for alg in ALL_ALGS {
        for (name, claims, ours_expected, theirs_expected) in &cases {
            let mut tokens = vec![jwt_sign(&fx, alg, Some(TYP_ID_JAG), claims)];
            match alg {
                Algorithm::ES256 => tokens.push(fx.id_jag(claims)),
                Algorithm::EdDSA => tokens.push(fx.id_jag_ed(claims)),
                _ => {}
            }
            for token in tokens {
                let (ours, theirs) = both_verdicts(&fx, alg, &token);
                assert_eq!(ours, Err(ours_expected.clone()), "{alg} {name}");
                assert_eq!(theirs, Err(theirs_expected.clone()), "{alg} {name}");
            }
        }
    }
}

#[test]
fn jwt_09_signature_encodings_rejected_by_both() {
    let fx = far_fixture();
    let claims = edited(id_jag_claims(), |c| {
        c.insert("iat".into(), json!(FAR));
        c.insert("exp".into(), json!(FAR + 300));
    });
    let token = jwt_sign(&fx, Algorithm::ES256, Some(TYP_ID_JAG), &claims);
    let raw = signature_of(&token);
    for (name, sig) in [
        ("DER", es256_raw_to_der(&raw)),
        ("zero", vec![0; 64]),
        ("truncated", raw[..63].to_vec()),
    ] {
        let forged = with_signature(&token, &sig);
        let (ours, theirs) = both_verdicts(&fx, Algorithm::ES256, &forged);
        assert_eq!(ours, Err(ErrorKind::InvalidSignature), "{name}");
        assert!(theirs.is_err(), "{name}: jsonwebtoken accepted");
    }
}

#[test]
fn jwt_03_typ_is_ours_to_check() {
    // jsonwebtoken does not check `typ` (it has no notion of token kinds); we do. The same
    // validly signed access token passes its validation and fails our ID-JAG verifier.
    let fx = far_fixture();
    let claims = edited(id_jag_claims(), |c| {
        c.insert("iat".into(), json!(FAR));
        c.insert("exp".into(), json!(FAR + 300));
    });
    let token = jwt_sign(&fx, Algorithm::ES256, Some(TYP_AT), &claims);
    let (ours, theirs) = both_verdicts(&fx, Algorithm::ES256, &token);
    assert_eq!(ours, Err(wrong_type(TYP_ID_JAG, TYP_AT)));
    assert_eq!(theirs, Ok(()));
}

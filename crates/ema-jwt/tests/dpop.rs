//! RFC 9449 DPoP proofs: minting (CL-23), verification (IDP-20, AS-17, RS-10) and explicit
//! typing against every other token kind (JWT-03).
//!
//! Every rejection asserts the exact [`ErrorKind`], [`TokenKind::DpopProof`] and the
//! `invalid_dpop_proof` OAuth code.
#![cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::*;
use ema_jwt::mint::DpopProofMinter;
use ema_jwt::verify::{DpopProofVerifier, DpopRequest, VerifiedDpopProof};
use ema_jwt::{Algorithm, Error, ErrorKind, SigningKey, TokenKind};
use ema_types::{ErrorCode, FixedClock, SystemRandom};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// The IdP token endpoint the proofs are sent to (IDP-20: `htm` `POST`).
const URL: &str = "https://idp.example/oauth2/token";
const ACCESS_TOKEN: &str = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";
/// `ath` of [`ACCESS_TOKEN`] (RFC 9449 §7.1).
const ATH: &str = "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo";
const SERVER_NONCE: &str = "eyJ7S_zG.eyJH0-Z.HX4w-7v";

fn es_key() -> SigningKey {
    SigningKey::from_pkcs8_pem(P256_PEM).unwrap()
}

fn ed_key() -> SigningKey {
    SigningKey::from_pkcs8_pem(ED25519_PEM).unwrap()
}

fn clock() -> FixedClock {
    FixedClock::new(NOW)
}

/// The public JWK of `key` as a DPoP header carries it.
fn public_jwk(key: &SigningKey) -> Value {
    let mut jwk = serde_json::to_value(key.verifying_key().to_jwk()).unwrap();
    let m = jwk.as_object_mut().unwrap();
    m.remove("kid");
    m.remove("use");
    m.remove("alg");
    jwk
}

fn proof_header(key: &SigningKey) -> Map<String, Value> {
    let mut h = Map::new();
    h.insert("typ".into(), json!(TYP_DPOP));
    h.insert("alg".into(), json!(key.algorithm().as_str()));
    h.insert("jwk".into(), public_jwk(key));
    h
}

fn proof_claims() -> Map<String, Value> {
    match json!({ "jti": jti(), "htm": "POST", "htu": URL, "iat": NOW }) {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

/// A proof signed by `key`, header and claims edited first.
fn forge_proof(
    key: &SigningKey,
    header: impl FnOnce(&mut Map<String, Value>),
    claims: impl FnOnce(&mut Map<String, Value>),
) -> String {
    let mut h = proof_header(key);
    header(&mut h);
    let mut c = proof_claims();
    claims(&mut c);
    forge(key, &Value::Object(h), &Value::Object(c))
}

fn header_only(key: &SigningKey, edit: impl FnOnce(&mut Map<String, Value>)) -> String {
    forge_proof(key, edit, |_| {})
}

fn claims_only(edit: impl FnOnce(&mut Map<String, Value>)) -> String {
    forge_proof(&es_key(), |_| {}, edit)
}

fn verify(proof: &str) -> Result<VerifiedDpopProof, Error> {
    DpopProofVerifier::new().verify(proof, &DpopRequest::new("POST", URL), &clock())
}

fn verify_with(proof: &str, request: &DpopRequest<'_>) -> Result<VerifiedDpopProof, Error> {
    DpopProofVerifier::new().verify(proof, request, &clock())
}

#[track_caller]
fn rejected(result: Result<VerifiedDpopProof, Error>, kind: ErrorKind) {
    assert_rejected(result, TokenKind::DpopProof, kind);
}

// ---------------------------------------------------------------------------------------------
// Round trips (CL-23, IDP-20, RS-10).
// ---------------------------------------------------------------------------------------------

#[test]
fn round_trip_es256_and_eddsa() {
    for key in [
        es_key(),
        ed_key(),
        SigningKey::generate(Algorithm::ES256).unwrap(),
    ] {
        let minter = DpopProofMinter::new(key.clone());
        let proof = minter
            .mint("POST", URL, None, None, &clock(), &SystemRandom)
            .unwrap();
        let header = header_of(proof.expose());
        assert_eq!(header["typ"], json!(TYP_DPOP));
        assert_eq!(header["alg"], json!(key.algorithm().as_str()));
        assert_eq!(header["jwk"], public_jwk(&key));
        assert!(header.get("kid").is_none());
        assert!(header["jwk"].get("d").is_none());
        let verified = verify(proof.expose()).unwrap();
        assert_eq!(verified.jkt, minter.jkt());
        assert_eq!(verified.jkt, key.verifying_key().thumbprint());
        assert_eq!(verified.htm, "POST");
        assert_eq!(verified.htu, URL);
        assert_eq!(verified.iat, NOW);
        assert_eq!(verified.jti.len(), 22, "128-bit jti");
        assert_eq!(verified.nonce, None);
        let mut names: Vec<&str> = verified.claims.names().collect();
        names.sort_unstable();
        assert_eq!(names, ["htm", "htu", "iat", "jti"]);
    }
}

#[test]
fn rs_10_round_trip_with_access_token_and_nonce() {
    let minter = DpopProofMinter::new(ed_key());
    let proof = minter
        .mint(
            "GET",
            "https://MCP.example:443/mcp?session=1#top",
            Some(ACCESS_TOKEN),
            Some(SERVER_NONCE),
            &clock(),
            &SystemRandom,
        )
        .unwrap();
    let claims = payload_of(proof.expose());
    assert_eq!(claims["ath"], json!(ATH));
    assert_eq!(claims["nonce"], json!(SERVER_NONCE));
    assert_eq!(
        claims["htu"],
        json!("https://MCP.example:443/mcp"),
        "query dropped"
    );
    let request = DpopRequest::new("GET", "https://mcp.example/mcp")
        .with_access_token(ACCESS_TOKEN)
        .with_nonce(SERVER_NONCE);
    let verified = verify_with(proof.expose(), &request).unwrap();
    assert_eq!(verified.jkt, minter.jkt());
    assert_eq!(verified.nonce.as_deref(), Some(SERVER_NONCE));
}

#[test]
fn minter_refuses_bad_method_or_url() {
    let minter = DpopProofMinter::new(es_key());
    for (htm, htu) in [
        ("", URL),
        ("PO ST", URL),
        ("POST", "/oauth2/token"),
        ("POST", "ftp://idp.example/x"),
    ] {
        let err = minter
            .mint(htm, htu, None, None, &clock(), &SystemRandom)
            .unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::InvalidConfig(_)), "{err:?}");
        assert_eq!(err.oauth_error_code(), ErrorCode::ServerError);
    }
}

#[test]
fn rfc_7638_thumbprint_is_the_verifying_key_thumbprint() {
    for key in [es_key(), ed_key()] {
        let minter = DpopProofMinter::new(key.clone());
        assert_eq!(minter.jkt(), key.verifying_key().thumbprint());
        let rebuilt = ema_jwt::VerifyingKey::from_jwk(&minter.public_jwk()).unwrap();
        assert_eq!(rebuilt.thumbprint(), minter.jkt());
    }
    // Members outside the RFC 7638 input (`kid`, `use`, `alg`, unknown ones) change nothing.
    let key = es_key();
    let proof = header_only(&key, |h| {
        let jwk = h.get_mut("jwk").unwrap().as_object_mut().unwrap();
        jwk.insert("kid".into(), json!("client-key-1"));
        jwk.insert("use".into(), json!("sig"));
        jwk.insert("alg".into(), json!("ES256"));
        jwk.insert("ext".into(), json!(true));
    });
    assert_eq!(
        verify(&proof).unwrap().jkt,
        key.verifying_key().thumbprint()
    );
    // The RSA test key: RFC 7638 §3.1 canonical form, same as the JWKS key.
    let mut h = json!({"typ": TYP_DPOP, "alg": "PS256", "jwk": rsa_jwk(None)});
    h["jwk"].as_object_mut().unwrap().remove("kid");
    let c = Value::Object(proof_claims());
    let proof = forge_rsa(Algorithm::PS256, &h, &c);
    let verified = DpopProofVerifier::new()
        .with_algorithms([Algorithm::PS256, Algorithm::ES256])
        .unwrap()
        .verify(&proof, &DpopRequest::new("POST", URL), &clock())
        .unwrap();
    assert_eq!(
        verified.jkt,
        rsa_verifying_key(Algorithm::RS256).thumbprint()
    );
}

// ---------------------------------------------------------------------------------------------
// Header rules: `jwk` required and public, other key parameters refused, `typ`, `alg`.
// ---------------------------------------------------------------------------------------------

#[test]
fn missing_or_non_object_jwk_rejected() {
    let key = es_key();
    rejected(
        verify(&header_only(&key, |h| {
            h.remove("jwk");
        })),
        ErrorKind::MissingProofKey,
    );
    for bad in [json!("eyJrdHkiOiJFQyJ9"), json!(null), json!([])] {
        rejected(
            verify(&header_only(&key, |h| {
                h.insert("jwk".into(), bad);
            })),
            ErrorKind::MissingProofKey,
        );
    }
    rejected(
        verify(&header_only(&key, |h| {
            h.insert("jwk".into(), json!({"crv": "P-256"}));
        })),
        ErrorKind::InvalidKey("DPoP `jwk` is not a JWK"),
    );
}

#[test]
fn private_jwk_rejected() {
    let key = es_key();
    for member in ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] {
        rejected(
            verify(&header_only(&key, |h| {
                h.get_mut("jwk")
                    .unwrap()
                    .as_object_mut()
                    .unwrap()
                    .insert(member.into(), json!("AAAA"));
            })),
            ErrorKind::InvalidKey("private key material in JWK"),
        );
    }
    rejected(
        verify(&header_only(&key, |h| {
            h.insert("jwk".into(), json!({"kty": "oct", "k": "c2VjcmV0"}));
        })),
        ErrorKind::InvalidKey("private key material in JWK"),
    );
}

#[test]
fn remote_and_certificate_keys_still_rejected() {
    let key = es_key();
    for (name, value) in [
        ("jku", json!("https://attacker.example/jwks")),
        ("x5u", json!("https://attacker.example/cert.pem")),
        ("x5c", json!(["MIIB"])),
    ] {
        rejected(
            verify(&header_only(&key, |h| {
                h.insert(name.into(), value);
            })),
            ErrorKind::EmbeddedKey(name),
        );
    }
}

#[test]
fn typ_must_be_dpop_jwt() {
    let key = es_key();
    for typ in [
        "JWT",
        TYP_AT,
        TYP_ID_JAG,
        TYP_CLIENT_AUTH,
        "dpop",
        "text/dpop+jwt",
    ] {
        rejected(
            verify(&header_only(&key, |h| {
                h.insert("typ".into(), json!(typ));
            })),
            wrong_type(TYP_DPOP, typ),
        );
    }
    rejected(
        verify(&header_only(&key, |h| {
            h.remove("typ");
        })),
        ErrorKind::MissingType,
    );
    for typ in ["application/dpop+jwt", "DPoP+JWT"] {
        let proof = header_only(&key, |h| {
            h.insert("typ".into(), json!(typ));
        });
        assert!(verify(&proof).is_ok(), "{typ}");
    }
}

#[test]
fn alg_none_and_hs256_rejected() {
    let key = es_key();
    let mut h = proof_header(&key);
    h.insert("alg".into(), json!("none"));
    let unsecured = format!(
        "{}.{}.",
        b64(serde_json::to_vec(&h).unwrap()),
        b64(serde_json::to_vec(&proof_claims()).unwrap())
    );
    rejected(verify(&unsecured), ErrorKind::UnsecuredJwt);
    h.insert("alg".into(), json!("HS256"));
    let hs = format!(
        "{}.{}.{}",
        b64(serde_json::to_vec(&h).unwrap()),
        b64(serde_json::to_vec(&proof_claims()).unwrap()),
        b64([7_u8; 32])
    );
    rejected(verify(&hs), ErrorKind::UnsupportedAlgorithm("HS256".into()));
}

#[test]
fn alg_allow_list() {
    // RS256 and PS256 are off by default.
    for alg in [Algorithm::RS256, Algorithm::PS256] {
        let mut jwk = serde_json::to_value(rsa_jwk(None)).unwrap();
        jwk.as_object_mut().unwrap().remove("kid");
        let h = json!({"typ": TYP_DPOP, "alg": alg.as_str(), "jwk": jwk});
        let proof = forge_rsa(alg, &h, &Value::Object(proof_claims()));
        rejected(verify(&proof), ErrorKind::AlgorithmNotAllowed(alg));
        let verifier = DpopProofVerifier::new().with_algorithms([alg]).unwrap();
        assert!(
            verifier
                .verify(&proof, &DpopRequest::new("POST", URL), &clock())
                .is_ok()
        );
    }
    // And a narrowed list refuses the others.
    let proof = DpopProofMinter::new(ed_key())
        .mint("POST", URL, None, None, &clock(), &SystemRandom)
        .unwrap();
    let es_only = DpopProofVerifier::new()
        .with_algorithms([Algorithm::ES256])
        .unwrap();
    rejected(
        es_only.verify(proof.expose(), &DpopRequest::new("POST", URL), &clock()),
        ErrorKind::AlgorithmNotAllowed(Algorithm::EdDSA),
    );
}

#[test]
fn alg_must_match_the_embedded_key() {
    let es = es_key();
    let ed = ed_key();
    // Header says ES256, `jwk` is an Ed25519 key without `alg`: the key cannot be pinned to it.
    let proof = forge_proof(
        &es,
        |h| {
            h.insert("jwk".into(), public_jwk(&ed));
        },
        |_| {},
    );
    rejected(
        verify(&proof),
        ErrorKind::KeyAlgorithmMismatch {
            key: Algorithm::EdDSA,
            token: Algorithm::ES256,
        },
    );
    // A `jwk.alg` must equal the header `alg`.
    let proof = header_only(&es, |h| {
        h.get_mut("jwk")
            .unwrap()
            .as_object_mut()
            .unwrap()
            .insert("alg".into(), json!("EdDSA"));
    });
    rejected(
        verify(&proof),
        ErrorKind::KeyAlgorithmMismatch {
            key: Algorithm::ES256,
            token: Algorithm::EdDSA,
        },
    );
    // An RSA key pinned to PS256 refuses an RS256 proof.
    let mut jwk = serde_json::to_value(rsa_jwk(Some(Algorithm::PS256))).unwrap();
    jwk.as_object_mut().unwrap().remove("kid");
    let h = json!({"typ": TYP_DPOP, "alg": "RS256", "jwk": jwk});
    let proof = forge_rsa(Algorithm::RS256, &h, &Value::Object(proof_claims()));
    let rsa = DpopProofVerifier::new()
        .with_algorithms([Algorithm::RS256, Algorithm::PS256])
        .unwrap();
    rejected(
        rsa.verify(&proof, &DpopRequest::new("POST", URL), &clock()),
        ErrorKind::KeyAlgorithmMismatch {
            key: Algorithm::PS256,
            token: Algorithm::RS256,
        },
    );
}

#[test]
fn weak_or_invalid_embedded_keys_rejected() {
    let es = es_key();
    let proof = header_only(&es, |h| {
        h.get_mut("jwk")
            .unwrap()
            .as_object_mut()
            .unwrap()
            .insert("use".into(), json!("enc"));
    });
    rejected(
        verify(&proof),
        ErrorKind::InvalidKey("JWK `use` is not `sig`"),
    );
    let proof = header_only(&es, |h| {
        h.get_mut("jwk")
            .unwrap()
            .as_object_mut()
            .unwrap()
            .insert("y".into(), json!(b64([0_u8; 32])));
    });
    assert!(
        matches!(verify(&proof).unwrap_err().kind(), ErrorKind::InvalidKey(_)),
        "point off the curve"
    );
}

#[test]
fn bad_signature_rejected() {
    let es = es_key();
    let other = SigningKey::generate(Algorithm::ES256).unwrap();
    // Signed by another key than the one embedded.
    let proof = forge_proof(
        &other,
        |h| {
            h.insert("jwk".into(), public_jwk(&es));
        },
        |_| {},
    );
    rejected(verify(&proof), ErrorKind::InvalidSignature);
    // Claims changed after signing.
    let good = DpopProofMinter::new(es)
        .mint("POST", URL, None, None, &clock(), &SystemRandom)
        .unwrap();
    let tampered = tamper_payload(good.expose(), |c| {
        c.insert("htm".into(), json!("DELETE"));
    });
    rejected(verify(&tampered), ErrorKind::InvalidSignature);
    // DER instead of raw R‖S.
    let der = with_signature(
        good.expose(),
        &es256_raw_to_der(&signature_of(good.expose())),
    );
    rejected(verify(&der), ErrorKind::InvalidSignature);
}

// ---------------------------------------------------------------------------------------------
// Claims: jti, htm, htu, iat, nonce, ath.
// ---------------------------------------------------------------------------------------------

#[test]
fn jti_required_non_empty_and_bounded() {
    rejected(
        verify(&claims_only(|c| {
            c.remove("jti");
        })),
        ErrorKind::MissingClaim("jti"),
    );
    for bad in [json!(""), json!(7), json!(null)] {
        rejected(
            verify(&claims_only(|c| {
                c.insert("jti".into(), bad);
            })),
            ErrorKind::InvalidClaim("jti"),
        );
    }
    let at_cap = claims_only(|c| {
        c.insert("jti".into(), json!("j".repeat(256)));
    });
    assert_eq!(verify(&at_cap).unwrap().jti.len(), 256);
    rejected(
        verify(&claims_only(|c| {
            c.insert("jti".into(), json!("j".repeat(257)));
        })),
        ErrorKind::InvalidClaim("jti"),
    );
}

#[test]
fn htm_must_match_exactly() {
    for htm in ["GET", "post", "POST ", "PUT"] {
        rejected(
            verify(&claims_only(|c| {
                c.insert("htm".into(), json!(htm));
            })),
            ErrorKind::HtmMismatch,
        );
    }
    rejected(
        verify(&claims_only(|c| {
            c.remove("htm");
        })),
        ErrorKind::MissingClaim("htm"),
    );
    let proof = claims_only(|_| {});
    rejected(
        verify_with(&proof, &DpopRequest::new("GET", URL)),
        ErrorKind::HtmMismatch,
    );
}

#[test]
fn htu_matching_per_rfc_9449_section_4_3() {
    // Query and fragment are ignored on both sides; scheme and host are case-insensitive; a
    // default port is the same as none.
    for (htu, request) in [
        (URL, "https://idp.example/oauth2/token?client=1"),
        ("https://idp.example/oauth2/token?x=y#f", URL),
        ("HTTPS://IDP.Example/oauth2/token", URL),
        ("https://idp.example:443/oauth2/token", URL),
        (URL, "https://idp.example:443/oauth2/token#frag"),
    ] {
        let proof = claims_only(|c| {
            c.insert("htu".into(), json!(htu));
        });
        assert!(
            verify_with(&proof, &DpopRequest::new("POST", request)).is_ok(),
            "{htu} vs {request}"
        );
    }
    // A trailing slash, a path in another case, another scheme, port or host: mismatch.
    for htu in [
        "https://idp.example/oauth2/token/",
        "https://idp.example/OAUTH2/token",
        "http://idp.example/oauth2/token",
        "https://idp.example:8443/oauth2/token",
        "https://idp.example.evil/oauth2/token",
        "https://idp.example/oauth2/token/../token",
        "https://idp.example/oauth2",
    ] {
        rejected(
            verify(&claims_only(|c| {
                c.insert("htu".into(), json!(htu));
            })),
            ErrorKind::HtuMismatch,
        );
    }
    for htu in ["/oauth2/token", "idp.example/oauth2/token", "urn:x:y"] {
        rejected(
            verify(&claims_only(|c| {
                c.insert("htu".into(), json!(htu));
            })),
            ErrorKind::InvalidClaim("htu"),
        );
    }
    rejected(
        verify(&claims_only(|c| {
            c.remove("htu");
        })),
        ErrorKind::MissingClaim("htu"),
    );
}

#[test]
fn unusable_request_url_is_the_callers_error() {
    let proof = claims_only(|_| {});
    let err = verify_with(&proof, &DpopRequest::new("POST", "/oauth2/token")).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::InvalidConfig(_)), "{err:?}");
    assert_eq!(err.token_kind(), None);
    assert_eq!(err.oauth_error_code(), ErrorCode::ServerError);
}

#[test]
fn iat_window_to_the_second() {
    // Defaults: max age 300 s, skew 60 s → iat in [NOW - 360, NOW + 60].
    let at = |iat: u64| {
        verify(&claims_only(|c| {
            c.insert("iat".into(), json!(iat));
        }))
    };
    assert!(at(NOW - 360).is_ok());
    rejected(at(NOW - 361), ErrorKind::ProofTooOld);
    assert!(at(NOW + 60).is_ok());
    rejected(at(NOW + 61), ErrorKind::IssuedInFuture);
    // Configured: max age 10 s, no skew → [NOW - 10, NOW].
    let v = DpopProofVerifier::new()
        .with_max_age(10)
        .unwrap()
        .with_skew(0)
        .unwrap();
    let at = |iat: u64| {
        let proof = claims_only(|c| {
            c.insert("iat".into(), json!(iat));
        });
        v.verify(&proof, &DpopRequest::new("POST", URL), &clock())
    };
    assert!(at(NOW - 10).is_ok());
    rejected(at(NOW - 11), ErrorKind::ProofTooOld);
    assert!(at(NOW).is_ok());
    rejected(at(NOW + 1), ErrorKind::IssuedInFuture);
    for bad in [json!("1793000000"), json!(1.5), json!(-1)] {
        rejected(
            verify(&claims_only(|c| {
                c.insert("iat".into(), bad);
            })),
            ErrorKind::InvalidClaim("iat"),
        );
    }
    rejected(
        verify(&claims_only(|c| {
            c.remove("iat");
        })),
        ErrorKind::MissingClaim("iat"),
    );
}

#[test]
fn verifier_configuration_bounds() {
    for bad in [0, 601] {
        assert!(matches!(
            DpopProofVerifier::new()
                .with_max_age(bad)
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidConfig(_)
        ));
    }
    assert!(DpopProofVerifier::new().with_max_age(600).is_ok());
    assert!(DpopProofVerifier::new().with_skew(301).is_err());
    assert!(
        DpopProofVerifier::new()
            .with_algorithms(std::iter::empty())
            .is_err()
    );
    assert_eq!(
        DpopProofVerifier::default().algorithms(),
        [Algorithm::ES256, Algorithm::EdDSA]
    );
}

#[test]
fn rs_10_ath_required_with_an_access_token() {
    let request = DpopRequest::new("POST", URL).with_access_token(ACCESS_TOKEN);
    rejected(
        verify_with(&claims_only(|_| {}), &request),
        ErrorKind::MissingClaim("ath"),
    );
    for bad in [
        b64([0_u8; 32]),
        ATH.to_lowercase(),
        format!("{ATH}="),
        ACCESS_TOKEN.to_owned(),
    ] {
        rejected(
            verify_with(
                &claims_only(|c| {
                    c.insert("ath".into(), json!(bad));
                }),
                &request,
            ),
            ErrorKind::AthMismatch,
        );
    }
    let good = claims_only(|c| {
        c.insert("ath".into(), json!(ATH));
    });
    assert!(verify_with(&good, &request).is_ok());
    // Another access token than the one the proof was made for.
    let other = DpopRequest::new("POST", URL).with_access_token("another-token");
    rejected(verify_with(&good, &other), ErrorKind::AthMismatch);
    // `ath` without an access token (token endpoint): not checked.
    assert!(verify(&good).is_ok());
    // Not a string.
    rejected(
        verify_with(
            &claims_only(|c| {
                c.insert("ath".into(), json!(1));
            }),
            &request,
        ),
        ErrorKind::InvalidClaim("ath"),
    );
}

#[test]
fn nonce_checked_when_expected() {
    let request = DpopRequest::new("POST", URL).with_nonce(SERVER_NONCE);
    rejected(
        verify_with(&claims_only(|_| {}), &request),
        ErrorKind::MissingClaim("nonce"),
    );
    rejected(
        verify_with(
            &claims_only(|c| {
                c.insert("nonce".into(), json!("stale-nonce"));
            }),
            &request,
        ),
        ErrorKind::NonceMismatch,
    );
    let good = claims_only(|c| {
        c.insert("nonce".into(), json!(SERVER_NONCE));
    });
    assert_eq!(
        verify_with(&good, &request).unwrap().nonce.as_deref(),
        Some(SERVER_NONCE)
    );
    // Not expected: a nonce is carried through, not checked.
    assert!(verify(&good).is_ok());
}

#[test]
fn request_debug_redacts_the_access_token() {
    let request = DpopRequest::new("POST", URL).with_access_token(ACCESS_TOKEN);
    let debug = format!("{request:?}");
    assert!(!debug.contains(ACCESS_TOKEN), "{debug}");
    assert!(debug.contains("[redacted]"), "{debug}");
    let proof = DpopProofMinter::new(es_key())
        .mint("POST", URL, None, None, &clock(), &SystemRandom)
        .unwrap();
    assert!(!format!("{proof:?}").contains(proof.expose()));
}

// ---------------------------------------------------------------------------------------------
// JWT-03: a DPoP proof never validates as another kind, and no other kind as a proof.
// ---------------------------------------------------------------------------------------------

const OTHER_KINDS: [TokenKind; 4] = [
    TokenKind::IdJag,
    TokenKind::AccessToken,
    TokenKind::IdToken,
    TokenKind::ClientAssertion,
];

#[test]
fn jwt_03_real_proofs_never_validate_as_other_kinds() {
    let fx = Fixture::new();
    // A proof signed by a key each verifier trusts, carrying that kind's claims: refused for
    // its embedded key before anything else.
    let cases = [
        (TokenKind::IdJag, fx.idp_es.clone(), id_jag_claims()),
        (
            TokenKind::AccessToken,
            fx.as_key.clone(),
            access_token_claims(),
        ),
        (TokenKind::IdToken, fx.idp_es.clone(), id_token_claims()),
        (
            TokenKind::ClientAssertion,
            fx.client_key.clone(),
            client_assertion_claims(),
        ),
    ];
    for (kind, key, claims) in cases {
        let mut h = proof_header(&key);
        h.insert("kid".into(), json!(key.kid()));
        let proof = forge(&key, &Value::Object(h), &claims);
        assert_rejected(
            fx.verdict(kind, &proof),
            kind,
            ErrorKind::EmbeddedKey("jwk"),
        );
    }
    // A minted proof too.
    let proof = DpopProofMinter::new(fx.client_key.clone())
        .mint("POST", URL, None, None, &fx.clock, &SystemRandom)
        .unwrap();
    for kind in OTHER_KINDS {
        assert_rejected(
            fx.verdict(kind, proof.expose()),
            kind,
            ErrorKind::EmbeddedKey("jwk"),
        );
    }
}

#[test]
fn jwt_03_other_kinds_never_validate_as_proofs() {
    let fx = Fixture::new();
    let id_jag = fx.id_jag(&id_jag_claims());
    rejected(verify(&id_jag), wrong_type(TYP_DPOP, TYP_ID_JAG));
    let at = fx.access_token(&access_token_claims());
    rejected(verify(&at), wrong_type(TYP_DPOP, TYP_AT));
    let ca = fx.client_assertion(&client_assertion_claims());
    rejected(verify(&ca), wrong_type(TYP_DPOP, TYP_CLIENT_AUTH));
    let id_token = fx.id_token(&id_token_claims());
    rejected(verify(&id_token), ErrorKind::MissingType);
    // Even with a `jwk` embedded and DPoP claims, another `typ` is refused.
    for typ in [TYP_ID_JAG, TYP_AT, TYP_CLIENT_AUTH, "JWT"] {
        let proof = header_only(&es_key(), |h| {
            h.insert("typ".into(), json!(typ));
        });
        rejected(verify(&proof), wrong_type(TYP_DPOP, typ));
    }
    // A `dpop+jwt` token without a key is no proof.
    let keyless = ema_jwt::mint::sign_jws(&fx.client_key, Some(TYP_DPOP), &proof_claims()).unwrap();
    rejected(verify(&keyless), ErrorKind::MissingProofKey);
}

// ---------------------------------------------------------------------------------------------
// Properties: decoding never panics; a mutated proof never verifies.
// ---------------------------------------------------------------------------------------------

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        "[ -~]{0,24}".prop_map(Value::from),
        Just(json!("ES256")),
        Just(json!("EdDSA")),
        Just(json!(TYP_DPOP)),
        Just(json!("P-256")),
        Just(json!("EC")),
        Just(json!("OKP")),
        Just(json!("RSA")),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("kty".to_owned()),
                    Just("crv".to_owned()),
                    Just("x".to_owned()),
                    Just("y".to_owned()),
                    Just("n".to_owned()),
                    Just("e".to_owned()),
                    Just("d".to_owned()),
                    Just("alg".to_owned()),
                    "[a-z]{1,4}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn decoding_arbitrary_strings_never_panics(s in "\\PC{0,300}") {
        let _ = verify(&s);
        let _ = verify_with(&s, &DpopRequest::new("GET", &s));
    }

    #[test]
    fn arbitrary_headers_and_claims_never_panic_or_verify(
        jwk in json_value(),
        alg in json_leaf(),
        typ in json_leaf(),
        htu in json_leaf(),
        iat in json_leaf(),
    ) {
        let key = es_key();
        let proof = forge_proof(
            &key,
            |h| {
                h.insert("jwk".into(), jwk);
                h.insert("alg".into(), alg);
                h.insert("typ".into(), typ);
            },
            |c| {
                c.insert("htu".into(), htu);
                c.insert("iat".into(), iat);
            },
        );
        // The embedded key is never the signing key (random members), so nothing verifies.
        let result = verify(&proof);
        prop_assert!(result.is_err(), "{result:?}");
        prop_assert_eq!(result.unwrap_err().token_kind(), Some(TokenKind::DpopProof));
    }

    #[test]
    fn any_single_byte_change_is_rejected(index in any::<prop::sample::Index>(), byte in 0x21_u8..0x7f) {
        let proof = DpopProofMinter::new(ed_key())
            .mint("POST", URL, None, None, &clock(), &SystemRandom)
            .unwrap();
        let mut bytes = proof.expose().as_bytes().to_vec();
        let i = index.index(bytes.len());
        prop_assume!(bytes[i] != byte);
        bytes[i] = byte;
        let mutated = String::from_utf8(bytes).unwrap();
        prop_assert!(verify(&mutated).is_err());
    }
}

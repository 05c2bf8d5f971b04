//! Acceptance tests for the ID-JAG validation checklist at the resource AS (REQUIREMENTS §6),
//! steps 4 to 16: the steps that need no I/O and that `IdJagVerifier` implements.
//!
//! Each step has its own tests, named `step_NN_...`, asserting the exact [`ErrorKind`] and
//! `invalid_grant`. The `..._before_step_MM` tests pin the ORDER: a token failing two steps
//! must be rejected by the earlier one (for example a wrong `typ` with a bad signature fails
//! step 5, an expired token with a bad signature fails step 9).
#![cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::*;
use ema_jwt::mint::{IdJagGrant, IdJagMinter};
use ema_jwt::verify::{IdJagVerifier, TrustAnchor};
use ema_jwt::{Algorithm, ErrorKind, KeySet, Segment, SigningKey};
use ema_types::{ClientId, ErrorCode, Issuer, OneOrMany, Resource, SystemRandom};
use serde_json::{Map, Value, json};

/// A signature that does not verify: the token's own, with one bit of `r` flipped.
fn break_signature(token: &str) -> String {
    let mut sig = signature_of(token);
    sig[5] ^= 0x01;
    with_signature(token, &sig)
}

fn expired(c: &mut Map<String, Value>) {
    c.insert("iat".into(), json!(NOW - 1000));
    c.insert("exp".into(), json!(NOW - 700));
}

// ---- success paths ----

#[test]
fn step_04_to_16_valid_id_jag_accepted_with_its_claims() {
    let fx = Fixture::new();
    let signed = edited(id_jag_claims(), |c| {
        c.insert("tenant".into(), json!(TENANT));
        c.insert("auth_time".into(), json!(NOW - 30));
        c.insert("amr".into(), json!(["pwd", "otp"]));
        c.insert("x-vendor".into(), json!({"k": 1}));
    });
    let token = fx.id_jag(&signed);
    let anchor = fx.idp_anchor().with_tenant(TENANT);
    let claims = fx
        .verify_id_jag_with(&token, &fx.id_jag_verifier(), &anchor, CLIENT_ID)
        .unwrap();
    assert_eq!(claims.iss, IDP);
    assert_eq!(claims.sub, SUBJECT);
    assert_eq!(claims.aud, OneOrMany::One(AS.to_owned()));
    assert_eq!(claims.client_id, CLIENT_ID);
    assert_eq!(claims.jti, signed["jti"].as_str().unwrap());
    assert_eq!((claims.iat, claims.exp), (NOW, NOW + 300));
    assert_eq!(claims.resource, Some(OneOrMany::One(RESOURCE.to_owned())));
    assert_eq!(claims.scope.unwrap().to_string(), SCOPE);
    assert_eq!(claims.tenant.as_deref(), Some(TENANT));
    assert_eq!(claims.auth_time, Some(NOW - 30));
    assert_eq!(claims.extra.get("x-vendor"), Some(&json!({"k": 1})));
}

#[test]
fn step_04_to_16_minted_id_jag_accepted_with_eddsa_and_es256() {
    let fx = Fixture::new();
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
        let claims = fx.verify_id_jag(minted.token.expose()).unwrap();
        assert_eq!(claims, minted.claims);
        assert_eq!(claims.exp - claims.iat, 300);
    }
}

/// An edit of a token header, for table-driven header cases.
type HeaderEdit = fn(&mut Map<String, Value>);

// ---- step 4: JWS Compact, well-formed, <= 16 KiB, header JSON, no unknown crit ----

#[test]
fn step_04_malformed_structure_rejected() {
    let fx = Fixture::new();
    let [h, p, s] = segments(&fx.id_jag(&id_jag_claims()));
    let not_json = b64("not json");
    let array = b64("[]");
    let cases = [
        (String::new(), ErrorKind::Malformed { segments: 1 }),
        ("..".to_owned(), ErrorKind::EmptySegment(Segment::Header)),
        (
            format!(".{p}.{s}"),
            ErrorKind::EmptySegment(Segment::Header),
        ),
        (
            format!("{h}..{s}"),
            ErrorKind::EmptySegment(Segment::Payload),
        ),
        (
            format!("{h}.{p}."),
            ErrorKind::EmptySegment(Segment::Signature),
        ),
        (
            format!("{not_json}.{p}.{s}"),
            ErrorKind::InvalidJson(Segment::Header),
        ),
        (
            format!("{array}.{p}.{s}"),
            ErrorKind::InvalidJson(Segment::Header),
        ),
        (
            format!("{h}.{not_json}.{s}"),
            ErrorKind::InvalidJson(Segment::Payload),
        ),
        (
            format!("{h}.{array}.{s}"),
            ErrorKind::InvalidJson(Segment::Payload),
        ),
        (format!("{h}.{p}.{s}.x.y"), ErrorKind::EncryptedToken),
    ];
    for (token, kind) in cases {
        assert_id_jag_rejected(fx.verify_id_jag(&token), kind);
    }
    assert_id_jag_rejected(
        fx.verify_id_jag(&"a".repeat(MAX_TOKEN_BYTES + 1)),
        ErrorKind::TooLarge {
            len: MAX_TOKEN_BYTES + 1,
            max: MAX_TOKEN_BYTES,
        },
    );
}

#[test]
fn step_04_header_rules() {
    let fx = Fixture::new();
    let cases: [(HeaderEdit, ErrorKind); 7] = [
        (
            |h| {
                h.remove("alg");
            },
            ErrorKind::MissingAlgorithm,
        ),
        (
            |h| {
                h.insert("alg".into(), json!(["ES256"]));
            },
            ErrorKind::InvalidHeader("alg"),
        ),
        (
            |h| {
                h.insert("kid".into(), json!(1));
            },
            ErrorKind::InvalidHeader("kid"),
        ),
        (
            |h| {
                h.insert("typ".into(), json!(null));
            },
            ErrorKind::InvalidHeader("typ"),
        ),
        (
            |h| {
                h.insert("cty".into(), json!(false));
            },
            ErrorKind::InvalidHeader("cty"),
        ),
        (
            |h| {
                h.insert("crit".into(), json!(["urn:example:ext"]));
                h.insert("urn:example:ext".into(), json!(1));
            },
            ErrorKind::UnsupportedCritical("urn:example:ext".into()),
        ),
        (
            |h| {
                h.insert("jwk".into(), json!({"kty": "EC"}));
            },
            ErrorKind::EmbeddedKey("jwk"),
        ),
    ];
    for (edit, kind) in cases {
        assert_id_jag_rejected(fx.verify_id_jag(&fx.id_jag_header(edit)), kind);
    }
    // Unknown, non-critical header members are ignored.
    let token = fx.id_jag_header(|h| {
        h.insert("x5t#S256".into(), json!("ignored"));
        h.insert("x-custom".into(), json!({"a": 1}));
    });
    assert!(fx.verify_id_jag(&token).is_ok());
}

#[test]
fn step_04_decode_exposes_the_unverified_issuer_for_step_07() {
    let fx = Fixture::new();
    let token = fx.id_jag(&id_jag_claims());
    let jws = fx.id_jag_verifier().decode(&token).unwrap();
    assert_eq!(jws.unverified_issuer(), Some(IDP));
    assert_eq!(jws.unverified_subject(), Some(SUBJECT));
    assert_eq!(jws.header().kid.as_deref(), Some(IDP_ES_KID));
    assert_eq!(jws.header().alg, Algorithm::ES256);
    // Debug never prints the token (a credential).
    assert!(!format!("{jws:?}").contains(&segments(&token)[2]));
}

#[test]
fn step_04_crit_before_step_05_typ() {
    let fx = Fixture::new();
    let token = fx.id_jag_header(|h| {
        h.insert("crit".into(), json!(["exp"]));
        h.insert("typ".into(), json!(TYP_AT));
    });
    assert_id_jag_rejected(
        fx.verify_id_jag(&token),
        ErrorKind::UnsupportedCritical("exp".into()),
    );
    // A payload that is not JSON fails step 4 even when typ is wrong too.
    let header = serde_json::to_vec(&header_for(&fx.idp_es, Some(TYP_AT))).unwrap();
    let token = forge_raw(&fx.idp_es, &header, b"not json");
    assert_id_jag_rejected(
        fx.verify_id_jag(&token),
        ErrorKind::InvalidJson(Segment::Payload),
    );
}

// ---- step 5: typ = oauth-id-jag+jwt ----

#[test]
fn step_05_typ_must_be_id_jag() {
    let fx = Fixture::new();
    let token = fx.id_jag_header(|h| {
        h.insert("typ".into(), json!("JWT"));
    });
    assert_id_jag_rejected(fx.verify_id_jag(&token), wrong_type(TYP_ID_JAG, "JWT"));
    let token = fx.id_jag_header(|h| {
        h.remove("typ");
    });
    assert_id_jag_rejected(fx.verify_id_jag(&token), ErrorKind::MissingType);
    // decode alone (no keys, no clock) already refuses it.
    let err = fx.id_jag_verifier().decode(&token).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::MissingType);
    assert_eq!(err.oauth_error_code(), ErrorCode::InvalidGrant);
}

#[test]
fn step_05_wrong_typ_before_step_09_signature() {
    let fx = Fixture::new();
    let token = break_signature(&fx.access_token(&id_jag_claims()));
    assert_id_jag_rejected(fx.verify_id_jag(&token), wrong_type(TYP_ID_JAG, TYP_AT));
}

#[test]
fn step_05_wrong_typ_before_step_06_algorithm() {
    let fx = Fixture::new();
    let token = ema_jwt::mint::sign_jws(&fx.idp_ed, Some(TYP_AT), &id_jag_claims()).unwrap();
    let anchor = TrustAnchor::new(IDP, &fx.idp_keys, &[Algorithm::ES256]);
    assert_id_jag_rejected(
        fx.verify_id_jag_with(&token, &fx.id_jag_verifier(), &anchor, CLIENT_ID),
        wrong_type(TYP_ID_JAG, TYP_AT),
    );
}

// ---- step 6: alg in the issuer's allow-list; not none / HS* ----

#[test]
fn step_06_alg_in_issuer_allow_list() {
    let fx = Fixture::new();
    let es_only = TrustAnchor::new(IDP, &fx.idp_keys, &[Algorithm::ES256]);
    let ed_only = TrustAnchor::new(IDP, &fx.idp_keys, &[Algorithm::EdDSA]);
    let es = fx.id_jag(&id_jag_claims());
    let ed = fx.id_jag_ed(&id_jag_claims());
    let v = fx.id_jag_verifier();
    assert!(fx.verify_id_jag_with(&es, &v, &es_only, CLIENT_ID).is_ok());
    assert!(fx.verify_id_jag_with(&ed, &v, &ed_only, CLIENT_ID).is_ok());
    assert_id_jag_rejected(
        fx.verify_id_jag_with(&ed, &v, &es_only, CLIENT_ID),
        ErrorKind::AlgorithmNotAllowed(Algorithm::EdDSA),
    );
    assert_id_jag_rejected(
        fx.verify_id_jag_with(&es, &v, &ed_only, CLIENT_ID),
        ErrorKind::AlgorithmNotAllowed(Algorithm::ES256),
    );
    // An empty allow-list trusts nothing.
    let none = TrustAnchor::new(IDP, &fx.idp_keys, &[]);
    assert_id_jag_rejected(
        fx.verify_id_jag_with(&es, &v, &none, CLIENT_ID),
        ErrorKind::AlgorithmNotAllowed(Algorithm::ES256),
    );
}

#[test]
fn step_06_none_and_hs256_never_allowed() {
    let fx = Fixture::new();
    let token = fx.id_jag_header(|h| {
        h.insert("alg".into(), json!("none"));
    });
    assert_id_jag_rejected(fx.verify_id_jag(&token), ErrorKind::UnsecuredJwt);
    let token = fx.id_jag_header(|h| {
        h.insert("alg".into(), json!("HS256"));
    });
    assert_id_jag_rejected(
        fx.verify_id_jag(&token),
        ErrorKind::UnsupportedAlgorithm("HS256".into()),
    );
}

#[test]
fn step_06_algorithm_before_step_07_issuer() {
    let fx = Fixture::new();
    let token = fx.id_jag_ed(&edited(id_jag_claims(), |c| {
        c.insert("iss".into(), json!("https://evil.example"));
    }));
    let anchor = TrustAnchor::new(IDP, &fx.idp_keys, &[Algorithm::ES256]);
    assert_id_jag_rejected(
        fx.verify_id_jag_with(&token, &fx.id_jag_verifier(), &anchor, CLIENT_ID),
        ErrorKind::AlgorithmNotAllowed(Algorithm::EdDSA),
    );
}

// ---- step 7: iss is exactly the trusted issuer ----

#[test]
fn step_07_issuer_must_be_the_trusted_issuer() {
    let fx = Fixture::new();
    let token = fx.id_jag_with(|c| {
        c.insert("iss".into(), json!("https://other-idp.example"));
    });
    assert_id_jag_rejected(fx.verify_id_jag(&token), ErrorKind::UntrustedIssuer);
    let token = fx.id_jag_with(|c| {
        c.remove("iss");
    });
    assert_id_jag_rejected(fx.verify_id_jag(&token), ErrorKind::MissingClaim("iss"));
    // A non-string iss is a malformed claim.
    let token = fx.id_jag_with(|c| {
        c.insert("iss".into(), json!(["https://idp.example"]));
    });
    assert_id_jag_rejected(fx.verify_id_jag(&token), ErrorKind::InvalidClaim("iss"));
}

#[test]
fn step_07_anchor_chosen_from_unverified_iss_cannot_be_crossed() {
    // Two trusted IdPs; a token of IdP B verified against the anchor of IdP A (as a caller
    // looking up by a forged iss would) fails on iss before any key is tried.
    let fx = Fixture::new();
    let idp_b = SigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid(IDP_ES_KID);
    let b_keys = KeySet::from_keys(vec![idp_b.verifying_key().clone()]);
    let token = ema_jwt::mint::sign_jws(
        &idp_b,
        Some(TYP_ID_JAG),
        &edited(id_jag_claims(), |c| {
            c.insert("iss".into(), json!("https://idp-b.example"));
        }),
    )
    .unwrap();
    let v = fx.id_jag_verifier();
    assert_id_jag_rejected(
        fx.verify_id_jag_with(&token, &v, &fx.idp_anchor(), CLIENT_ID),
        ErrorKind::UntrustedIssuer,
    );
    let b_anchor = TrustAnchor::new("https://idp-b.example", &b_keys, &fx.algs);
    assert!(
        fx.verify_id_jag_with(&token, &v, &b_anchor, CLIENT_ID)
            .is_ok()
    );
    // B's anchor does not accept a token claiming to be from A but signed by B.
    let token = ema_jwt::mint::sign_jws(&idp_b, Some(TYP_ID_JAG), &id_jag_claims()).unwrap();
    assert_id_jag_rejected(
        fx.verify_id_jag_with(&token, &v, &fx.idp_anchor(), CLIENT_ID),
        ErrorKind::InvalidSignature,
    );
}

#[test]
fn step_07_issuer_before_step_08_kid() {
    let fx = Fixture::new();
    let mut h = header_for(&fx.idp_es, Some(TYP_ID_JAG));
    h.insert("kid".into(), json!("unknown"));
    let token = forge(
        &fx.idp_es,
        &Value::Object(h),
        &edited(id_jag_claims(), |c| {
            c.insert("iss".into(), json!("https://evil.example"));
        }),
    );
    assert_id_jag_rejected(fx.verify_id_jag(&token), ErrorKind::UntrustedIssuer);
}

// ---- step 8: kid resolves in the issuer's JWKS ----

#[test]
fn step_08_kid_must_resolve() {
    let fx = Fixture::new();
    let token = fx.id_jag_header(|h| {
        h.insert("kid".into(), json!("idp-es256-2025"));
    });
    assert_id_jag_rejected(
        fx.verify_id_jag(&token),
        ErrorKind::UnknownKeyId("idp-es256-2025".into()),
    );
    // After a refetch (the caller's job) the new set resolves it.
    let rotated = KeySet::from_keys(vec![
        fx.idp_es.verifying_key().clone().with_kid("idp-es256-2025"),
    ]);
    let anchor = TrustAnchor::new(IDP, &rotated, &fx.algs);
    assert!(
        fx.verify_id_jag_with(&token, &fx.id_jag_verifier(), &anchor, CLIENT_ID)
            .is_ok()
    );
}

#[test]
fn step_08_kid_before_step_09_signature() {
    let fx = Fixture::new();
    let token = break_signature(&fx.id_jag_header(|h| {
        h.insert("kid".into(), json!("unknown"));
    }));
    assert_id_jag_rejected(
        fx.verify_id_jag(&token),
        ErrorKind::UnknownKeyId("unknown".into()),
    );
}

#[test]
fn step_08_selected_key_must_be_pinned_to_the_alg() {
    let fx = Fixture::new();
    let mut h = header_for(&fx.idp_ed, Some(TYP_ID_JAG));
    h.insert("kid".into(), json!(IDP_ES_KID));
    let token = forge(&fx.idp_ed, &Value::Object(h), &id_jag_claims());
    assert_id_jag_rejected(
        fx.verify_id_jag(&token),
        ErrorKind::KeyAlgorithmMismatch {
            key: Algorithm::ES256,
            token: Algorithm::EdDSA,
        },
    );
}

// ---- step 9: signature verifies ----

#[test]
fn step_09_signature_must_verify() {
    let fx = Fixture::new();
    let token = fx.id_jag(&id_jag_claims());
    assert_id_jag_rejected(
        fx.verify_id_jag(&break_signature(&token)),
        ErrorKind::InvalidSignature,
    );
    let tampered = tamper_payload(&token, |c| {
        c.insert("sub".into(), json!("admin"));
    });
    assert_id_jag_rejected(fx.verify_id_jag(&tampered), ErrorKind::InvalidSignature);
    // The signature covers the header too.
    let [_, p, s] = segments(&token);
    let mut header = header_of(&token);
    header["x"] = json!(1);
    let reheadered = format!("{}.{p}.{s}", b64(serde_json::to_vec(&header).unwrap()));
    assert_id_jag_rejected(fx.verify_id_jag(&reheadered), ErrorKind::InvalidSignature);
}

#[test]
fn step_09_signature_before_step_10_claims() {
    let fx = Fixture::new();
    let token = fx.id_jag(&id_jag_claims());
    let tampered = tamper_payload(&token, |c| {
        c.remove("jti");
        c.remove("sub");
        c.insert("exp".into(), json!("soon"));
    });
    assert_id_jag_rejected(fx.verify_id_jag(&tampered), ErrorKind::InvalidSignature);
}

#[test]
fn step_09_signature_before_step_13_expiry() {
    let fx = Fixture::new();
    let token = break_signature(&fx.id_jag_with(expired));
    assert_id_jag_rejected(fx.verify_id_jag(&token), ErrorKind::InvalidSignature);
}

// ---- step 10: required claims present and well-typed ----

#[test]
fn step_10_required_claims_present() {
    let fx = Fixture::new();
    for name in ["iss", "sub", "aud", "client_id", "jti", "exp", "iat"] {
        let token = fx.id_jag_with(|c| {
            c.remove(name);
        });
        assert_id_jag_rejected(
            fx.verify_id_jag(&token),
            ErrorKind::MissingClaim(static_name(name)),
        );
    }
}

#[test]
fn step_10_claims_well_typed() {
    let fx = Fixture::new();
    let cases = [
        ("sub", json!(42)),
        ("sub", json!("")),
        ("client_id", json!("")),
        ("client_id", json!([CLIENT_ID])),
        ("jti", json!(7)),
        ("aud", json!({"AS": AS})),
        ("exp", json!("1793000300")),
        ("iat", json!(null)),
        ("nbf", json!(-5)),
        ("resource", json!(5)),
        ("resource", json!([])),
        ("scope", json!(["tickets:read"])),
        ("scope", json!("a  b")),
        ("scope", json!("bad\"scope")),
        ("auth_time", json!("yesterday")),
        ("acr", json!(1)),
        ("amr", json!("pwd")),
        ("amr", json!([1])),
        ("email", json!(false)),
        ("tenant", json!(1)),
        ("aud_tenant", json!({})),
        ("aud_sub", json!([])),
        ("sub_id", json!("opaque")),
        ("cnf", json!("jkt")),
    ];
    for (name, value) in cases {
        let token = fx.id_jag_with(|c| {
            c.insert(name.into(), value.clone());
        });
        assert_id_jag_rejected(
            fx.verify_id_jag(&token),
            ErrorKind::InvalidClaim(static_name(name)),
        );
    }
}

fn static_name(name: &str) -> &'static str {
    [
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
    ]
    .into_iter()
    .find(|n| *n == name)
    .unwrap()
}

#[test]
fn step_10_claims_before_step_11_audience() {
    let fx = Fixture::new();
    let token = fx.id_jag_with(|c| {
        c.remove("jti");
        c.insert("aud".into(), json!(TOKEN_ENDPOINT));
    });
    assert_id_jag_rejected(fx.verify_id_jag(&token), ErrorKind::MissingClaim("jti"));
}

#[test]
fn step_10_claims_before_step_13_time() {
    let fx = Fixture::new();
    let token = fx.id_jag_with(|c| {
        expired(c);
        c.remove("jti");
    });
    assert_id_jag_rejected(fx.verify_id_jag(&token), ErrorKind::MissingClaim("jti"));
}

// ---- step 11: aud is exactly this AS issuer (string or one-element array) ----

#[test]
fn step_11_aud_is_this_as_issuer() {
    let fx = Fixture::new();
    assert!(
        fx.verify_id_jag(&fx.id_jag_with(|c| {
            c.insert("aud".into(), json!([AS]));
        }))
        .is_ok()
    );
    for aud in [
        json!(TOKEN_ENDPOINT),
        json!("https://as.example/"),
        json!("https://other-as.example"),
        json!([TOKEN_ENDPOINT]),
        json!(RESOURCE),
    ] {
        let token = fx.id_jag_with(|c| {
            c.insert("aud".into(), aud.clone());
        });
        assert_id_jag_rejected(fx.verify_id_jag(&token), ErrorKind::AudienceMismatch);
    }
    let token = fx.id_jag_with(|c| {
        c.insert("aud".into(), json!([AS, TOKEN_ENDPOINT]));
    });
    assert_id_jag_rejected(fx.verify_id_jag(&token), ErrorKind::MultipleAudiences(2));
    // The verifier is bound to its own issuer: another AS refuses the same token.
    let other = IdJagVerifier::new(
        Issuer::new("https://as.example/tenant-b").unwrap(),
        [Resource::new(RESOURCE).unwrap()],
    );
    assert_id_jag_rejected(
        fx.verify_id_jag_with(
            &fx.id_jag(&id_jag_claims()),
            &other,
            &fx.idp_anchor(),
            CLIENT_ID,
        ),
        ErrorKind::AudienceMismatch,
    );
}

#[test]
fn step_11_audience_before_step_12_client() {
    let fx = Fixture::new();
    let token = fx.id_jag_with(|c| {
        c.insert("aud".into(), json!(TOKEN_ENDPOINT));
        c.insert("client_id".into(), json!("someone-else"));
    });
    assert_id_jag_rejected(fx.verify_id_jag(&token), ErrorKind::AudienceMismatch);
}

// ---- step 12: client_id == the authenticated client ----

#[test]
fn step_12_client_id_matches_authenticated_client() {
    let fx = Fixture::new();
    let token = fx.id_jag(&id_jag_claims());
    let v = fx.id_jag_verifier();
    for authenticated in ["client-other", "CLIENT-7F3A", "client-7f3a ", ""] {
        assert_id_jag_rejected(
            fx.verify_id_jag_with(&token, &v, &fx.idp_anchor(), authenticated),
            ErrorKind::ClientIdMismatch,
        );
    }
}

#[test]
fn step_12_client_before_step_13_time() {
    let fx = Fixture::new();
    let token = fx.id_jag_with(|c| {
        expired(c);
        c.insert("client_id".into(), json!("someone-else"));
    });
    assert_id_jag_rejected(fx.verify_id_jag(&token), ErrorKind::ClientIdMismatch);
}

// ---- step 13: exp / nbf / iat within skew ----

#[test]
fn step_13_time_window() {
    let fx = Fixture::new();
    assert_id_jag_rejected(
        fx.verify_id_jag(&fx.id_jag_with(expired)),
        ErrorKind::Expired,
    );
    let token = fx.id_jag_with(|c| {
        c.insert("nbf".into(), json!(NOW + 120));
    });
    assert_id_jag_rejected(fx.verify_id_jag(&token), ErrorKind::NotYetValid);
    let token = fx.id_jag_with(|c| {
        c.insert("iat".into(), json!(NOW + 120));
        c.insert("exp".into(), json!(NOW + 420));
    });
    assert_id_jag_rejected(fx.verify_id_jag(&token), ErrorKind::IssuedInFuture);
    // The clock decides: the same token is valid before expiry and refused after.
    let token = fx.id_jag(&id_jag_claims());
    fx.clock.set(NOW + 300 + 59);
    assert!(fx.verify_id_jag(&token).is_ok());
    fx.clock.set(NOW + 300 + 60);
    assert_id_jag_rejected(fx.verify_id_jag(&token), ErrorKind::Expired);
}

#[test]
fn step_13_time_before_step_14_lifetime() {
    let fx = Fixture::new();
    let token = fx.id_jag_with(|c| {
        c.insert("iat".into(), json!(NOW - 2000));
        c.insert("exp".into(), json!(NOW - 100));
    });
    assert_id_jag_rejected(fx.verify_id_jag(&token), ErrorKind::Expired);
}

// ---- step 14: exp - iat <= 600 and now - iat <= 600 + S ----

#[test]
fn step_14_lifetime_cap_600_seconds() {
    let fx = Fixture::new();
    let lifetime = |secs: u64| {
        fx.id_jag_with(|c| {
            c.insert("exp".into(), json!(NOW + secs));
        })
    };
    assert!(fx.verify_id_jag(&lifetime(600)).is_ok());
    assert_id_jag_rejected(
        fx.verify_id_jag(&lifetime(601)),
        ErrorKind::LifetimeTooLong {
            lifetime: 601,
            max: 600,
        },
    );
    assert_id_jag_rejected(
        fx.verify_id_jag(&lifetime(86_400)),
        ErrorKind::LifetimeTooLong {
            lifetime: 86_400,
            max: 600,
        },
    );
    // exp before iat is malformed.
    let token = fx.id_jag_with(|c| {
        c.insert("exp".into(), json!(NOW - 1));
    });
    assert_id_jag_rejected(fx.verify_id_jag(&token), ErrorKind::InvalidClaim("exp"));
}

#[test]
fn step_14_now_minus_iat_bounded_by_cap_plus_skew() {
    let fx = Fixture::new();
    let issued_ago = |secs: u64| {
        fx.id_jag_with(|c| {
            c.insert("iat".into(), json!(NOW - secs));
            c.insert("exp".into(), json!(NOW - secs + 600));
        })
    };
    // now - iat = 659 <= 600 + 60: accepted; 660: refused (by the expiry that implies it).
    assert!(fx.verify_id_jag(&issued_ago(659)).is_ok());
    assert_id_jag_rejected(fx.verify_id_jag(&issued_ago(660)), ErrorKind::Expired);
}

#[test]
fn step_14_lower_cap_configurable() {
    let fx = Fixture::new();
    let v = fx.id_jag_verifier().with_max_lifetime(120).unwrap();
    let token = fx.id_jag(&id_jag_claims());
    assert_id_jag_rejected(
        fx.verify_id_jag_with(&token, &v, &fx.idp_anchor(), CLIENT_ID),
        ErrorKind::LifetimeTooLong {
            lifetime: 300,
            max: 120,
        },
    );
    for secs in [0, 601] {
        let err = fx.id_jag_verifier().with_max_lifetime(secs).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::InvalidConfig(_)), "{err:?}");
        assert_eq!(err.oauth_error_code(), ErrorCode::ServerError);
    }
}

#[test]
fn step_14_lifetime_before_step_15_tenant() {
    let fx = Fixture::new();
    let token = fx.id_jag_with(|c| {
        c.insert("exp".into(), json!(NOW + 601));
        c.insert("tenant".into(), json!("evil"));
    });
    let anchor = fx.idp_anchor().with_tenant(TENANT);
    assert_id_jag_rejected(
        fx.verify_id_jag_with(&token, &fx.id_jag_verifier(), &anchor, CLIENT_ID),
        ErrorKind::LifetimeTooLong {
            lifetime: 601,
            max: 600,
        },
    );
}

// ---- step 15: tenant ----

#[test]
fn step_15_tenant_must_match_the_configured_tenant() {
    let fx = Fixture::new();
    let anchor = fx.idp_anchor().with_tenant(TENANT);
    let v = fx.id_jag_verifier();
    let with_tenant = |t: Option<&str>| {
        fx.id_jag_with(|c| {
            if let Some(t) = t {
                c.insert("tenant".into(), json!(t));
            }
        })
    };
    assert!(
        fx.verify_id_jag_with(&with_tenant(Some(TENANT)), &v, &anchor, CLIENT_ID)
            .is_ok()
    );
    for bad in [Some("other"), Some("ACME"), Some("acme "), None] {
        assert_id_jag_rejected(
            fx.verify_id_jag_with(&with_tenant(bad), &v, &anchor, CLIENT_ID),
            ErrorKind::InvalidClaim("tenant"),
        );
    }
    // Without a configured tenant, the claim is not constrained.
    assert!(fx.verify_id_jag(&with_tenant(Some("other"))).is_ok());
    assert!(fx.verify_id_jag(&with_tenant(None)).is_ok());
}

#[test]
fn step_15_tenant_before_step_16_resource() {
    let fx = Fixture::new();
    let token = fx.id_jag_with(|c| {
        c.insert("tenant".into(), json!("other"));
        c.insert("resource".into(), json!("https://elsewhere.example/mcp"));
    });
    let anchor = fx.idp_anchor().with_tenant(TENANT);
    assert_id_jag_rejected(
        fx.verify_id_jag_with(&token, &fx.id_jag_verifier(), &anchor, CLIENT_ID),
        ErrorKind::InvalidClaim("tenant"),
    );
}

// ---- step 16: resource present and served here ----

#[test]
fn step_16_resource_required() {
    let fx = Fixture::new();
    let token = fx.id_jag_with(|c| {
        c.remove("resource");
    });
    assert_id_jag_rejected(fx.verify_id_jag(&token), ErrorKind::MissingResource);
    // allow_missing_resource (OQ-02), only with exactly one configured resource.
    let lenient = fx.id_jag_verifier().allow_missing_resource(true).unwrap();
    assert!(
        fx.verify_id_jag_with(&token, &lenient, &fx.idp_anchor(), CLIENT_ID)
            .is_ok()
    );
    let two = IdJagVerifier::new(
        Issuer::new(AS).unwrap(),
        [
            Resource::new(RESOURCE).unwrap(),
            Resource::new("https://mcp.example/other").unwrap(),
        ],
    );
    let err = two.allow_missing_resource(true).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::InvalidConfig(_)), "{err:?}");
}

#[test]
fn step_16_every_resource_must_be_served_here() {
    let fx = Fixture::new();
    for resource in [
        json!("https://elsewhere.example/mcp"),
        json!("https://mcp.example/mcp/"),
        json!("https://mcp.example/MCP"),
        json!("https://mcp.example"),
        json!([RESOURCE, "https://elsewhere.example/mcp"]),
    ] {
        let token = fx.id_jag_with(|c| {
            c.insert("resource".into(), resource.clone());
        });
        assert_id_jag_rejected(fx.verify_id_jag(&token), ErrorKind::ResourceMismatch);
    }
    // Scheme and host may differ in case (META-08); an array of served resources is fine.
    for resource in [
        json!("HTTPS://MCP.Example/mcp"),
        json!([RESOURCE]),
        json!([RESOURCE, RESOURCE]),
    ] {
        let token = fx.id_jag_with(|c| {
            c.insert("resource".into(), resource.clone());
        });
        assert!(fx.verify_id_jag(&token).is_ok(), "{resource}");
    }
    let two = IdJagVerifier::new(
        Issuer::new(AS).unwrap(),
        [
            Resource::new(RESOURCE).unwrap(),
            Resource::new("https://mcp.example/other").unwrap(),
        ],
    );
    let token = fx.id_jag_with(|c| {
        c.insert(
            "resource".into(),
            json!([RESOURCE, "https://mcp.example/other"]),
        );
    });
    assert!(
        fx.verify_id_jag_with(&token, &two, &fx.idp_anchor(), CLIENT_ID)
            .is_ok()
    );
}

#[test]
fn step_16_resource_checked_last() {
    // A token whose only fault is its resource passes every earlier step.
    let fx = Fixture::new();
    let token = fx.id_jag_with(|c| {
        c.insert("resource".into(), json!("https://elsewhere.example/mcp"));
        c.insert("tenant".into(), json!(TENANT));
    });
    let anchor = fx.idp_anchor().with_tenant(TENANT);
    assert_id_jag_rejected(
        fx.verify_id_jag_with(&token, &fx.id_jag_verifier(), &anchor, CLIENT_ID),
        ErrorKind::ResourceMismatch,
    );
}

//! Acceptance tests for the JWT / JOSE rules JWT-01..JWT-11 (REQUIREMENTS §5b).
//!
//! Every test is named after the rule it covers and asserts the exact [`ErrorKind`], the
//! [`TokenKind`] and the OAuth error code of each rejection.
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
use ema_jwt::verify::{IdJagVerifier, TrustAnchor};
use ema_jwt::{Algorithm, ErrorKind, KeySet, Segment, SigningKey, TokenKind, VerifyingKey};
use ema_types::{ClientId, ErrorCode, Issuer, Resource, SystemRandom};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// JWT-01: JWS Compact only; JWE, `alg: none` and unsecured JWTs rejected.
// ---------------------------------------------------------------------------------------------

#[test]
fn jwt_01_jwe_rejected() {
    let fx = Fixture::new();
    // RFC 7516 compact JWE: five segments.
    let jwe = format!(
        "{}.{}.{}.{}.{}",
        b64(r#"{"alg":"RSA-OAEP-256","enc":"A256GCM","cty":"JWT"}"#),
        b64([7_u8; 256]),
        b64([1_u8; 12]),
        b64(b"ciphertext"),
        b64([2_u8; 16])
    );
    for kind in [
        TokenKind::IdJag,
        TokenKind::AccessToken,
        TokenKind::IdToken,
        TokenKind::ClientAssertion,
    ] {
        assert_rejected(fx.verdict(kind, &jwe), kind, ErrorKind::EncryptedToken);
    }
}

#[test]
fn jwt_01_alg_none_rejected() {
    let fx = Fixture::new();
    let payload = b64(serde_json::to_vec(&id_jag_claims()).unwrap());
    for alg in ["none", "None", "NONE"] {
        let header = b64(format!(r#"{{"alg":"{alg}","typ":"oauth-id-jag+jwt"}}"#));
        // Unsecured JWT (RFC 7519 §6): empty signature.
        assert_id_jag_rejected(
            fx.verify_id_jag(&format!("{header}.{payload}.")),
            ErrorKind::UnsecuredJwt,
        );
        // ... and with a real signature attached.
        let signed = forge_raw(&fx.idp_es, &b64d(&header), &b64d(&payload));
        assert_id_jag_rejected(fx.verify_id_jag(&signed), ErrorKind::UnsecuredJwt);
    }
}

#[test]
fn jwt_01_compact_serialization_has_exactly_three_segments() {
    let fx = Fixture::new();
    let [h, p, s] = segments(&fx.id_jag(&id_jag_claims()));
    let cases = [
        (format!("{h}.{p}"), ErrorKind::Malformed { segments: 2 }),
        (h.clone(), ErrorKind::Malformed { segments: 1 }),
        (
            format!("{h}.{p}.{s}.{s}"),
            ErrorKind::Malformed { segments: 4 },
        ),
        (
            format!("{h}.{p}.{s}.{s}.{s}.{s}"),
            ErrorKind::Malformed { segments: 6 },
        ),
        // JWS JSON Serialization (RFC 7515 §7.2) is not accepted.
        (
            format!(r#"{{"payload":"{p}","protected":"{h}","signature":"{s}"}}"#),
            ErrorKind::Malformed { segments: 1 },
        ),
    ];
    for (token, kind) in cases {
        assert_id_jag_rejected(fx.verify_id_jag(&token), kind);
    }
}

#[test]
fn jwt_01_padded_base64_rejected() {
    let fx = Fixture::new();
    let [h, p, s] = segments(&fx.id_jag(&id_jag_claims()));
    let cases = [
        (format!("{h}=.{p}.{s}"), Segment::Header),
        (format!("{h}.{p}==.{s}"), Segment::Payload),
        (format!("{h}.{p}.{s}=="), Segment::Signature),
    ];
    for (token, segment) in cases {
        assert_id_jag_rejected(fx.verify_id_jag(&token), ErrorKind::InvalidBase64(segment));
    }
}

#[test]
fn jwt_01_standard_alphabet_and_whitespace_rejected() {
    let fx = Fixture::new();
    let [h, p, s] = segments(&fx.id_jag(&id_jag_claims()));
    let standard = s.replace('-', "+").replace('_', "/");
    let sig = if standard == s {
        format!("+{}", &s[1..])
    } else {
        standard
    };
    assert_id_jag_rejected(
        fx.verify_id_jag(&format!("{h}.{p}.{sig}")),
        ErrorKind::InvalidBase64(Segment::Signature),
    );
    assert_id_jag_rejected(
        fx.verify_id_jag(&format!("{h}.{} {}.{s}", &p[..10], &p[10..])),
        ErrorKind::InvalidBase64(Segment::Payload),
    );
    assert_id_jag_rejected(
        fx.verify_id_jag(&format!(" {h}.{p}.{s}")),
        ErrorKind::InvalidBase64(Segment::Header),
    );
    assert_id_jag_rejected(
        fx.verify_id_jag(&format!("{h}.{p}.{s}\n")),
        ErrorKind::InvalidBase64(Segment::Signature),
    );
}

// ---------------------------------------------------------------------------------------------
// JWT-02: algorithm allow-list, no HS*, the alg must match the key, RSA >= 2048 bits.
// ---------------------------------------------------------------------------------------------

#[test]
fn jwt_02_es256_eddsa_rs256_ps256_accepted() {
    let fx = Fixture::new();
    assert!(fx.verify_id_jag(&fx.id_jag(&id_jag_claims())).is_ok());
    assert!(fx.verify_id_jag(&fx.id_jag_ed(&id_jag_claims())).is_ok());
    for alg in [Algorithm::RS256, Algorithm::PS256] {
        let keys = KeySet::from_keys(vec![rsa_verifying_key(alg)]);
        let header = json!({"alg": alg.as_str(), "typ": TYP_ID_JAG, "kid": RSA_KID});
        let token = forge_rsa(alg, &header, &id_jag_claims());
        let algs = [alg];
        let anchor = TrustAnchor::new(IDP, &keys, &algs);
        let claims = fx
            .verify_id_jag_with(&token, &fx.id_jag_verifier(), &anchor, CLIENT_ID)
            .unwrap();
        assert_eq!(claims.sub, SUBJECT);
    }
}

#[test]
fn jwt_02_hs256_rejected() {
    let fx = Fixture::new();
    for alg in ["HS256", "HS384", "HS512"] {
        let token = fx.id_jag_header(|h| {
            h.insert("alg".into(), json!(alg));
        });
        assert_id_jag_rejected(
            fx.verify_id_jag(&token),
            ErrorKind::UnsupportedAlgorithm(alg.into()),
        );
    }
    // Other unimplemented asymmetric algorithms, and a lower-cased spelling.
    for alg in ["ES384", "RS512", "ES256K", "es256"] {
        let token = fx.id_jag_header(|h| {
            h.insert("alg".into(), json!(alg));
        });
        assert_id_jag_rejected(
            fx.verify_id_jag(&token),
            ErrorKind::UnsupportedAlgorithm(alg.into()),
        );
    }
}

#[test]
fn jwt_02_alg_outside_issuer_allow_list_rejected() {
    let fx = Fixture::new();
    let token = fx.id_jag_ed(&id_jag_claims());
    let anchor = TrustAnchor::new(IDP, &fx.idp_keys, &[Algorithm::ES256]);
    assert_id_jag_rejected(
        fx.verify_id_jag_with(&token, &fx.id_jag_verifier(), &anchor, CLIENT_ID),
        ErrorKind::AlgorithmNotAllowed(Algorithm::EdDSA),
    );
    // Same for access tokens, whose allow-list is given per call.
    let at = sign_jws_ed_at(&fx);
    let keys = KeySet::from_keys(vec![fx.idp_ed.verifying_key().clone()]);
    assert_rejected(
        fx.access_token_verifier()
            .verify(&at, &keys, &[Algorithm::ES256], &fx.clock),
        TokenKind::AccessToken,
        ErrorKind::AlgorithmNotAllowed(Algorithm::EdDSA),
    );
}

fn sign_jws_ed_at(fx: &Fixture) -> String {
    ema_jwt::mint::sign_jws(&fx.idp_ed, Some(TYP_AT), &access_token_claims()).unwrap()
}

#[test]
fn jwt_02_alg_must_match_the_key() {
    let fx = Fixture::new();
    // An EdDSA-signed token naming the ES256 key.
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
    // One RSA key is pinned to one padding: RS256 on a PS256-pinned key is refused.
    let keys = KeySet::from_keys(vec![rsa_verifying_key(Algorithm::PS256)]);
    let header = json!({"alg": "RS256", "typ": TYP_ID_JAG, "kid": RSA_KID});
    let token = forge_rsa(Algorithm::RS256, &header, &id_jag_claims());
    let anchor = TrustAnchor::new(IDP, &keys, &fx.algs);
    assert_id_jag_rejected(
        fx.verify_id_jag_with(&token, &fx.id_jag_verifier(), &anchor, CLIENT_ID),
        ErrorKind::KeyAlgorithmMismatch {
            key: Algorithm::PS256,
            token: Algorithm::RS256,
        },
    );
}

#[test]
fn jwt_02_rsa_key_below_2048_bits_refused() {
    let mut jwk = rsa_jwk(None);
    let n = b64d(jwk.n.as_deref().unwrap());
    let mut short = n[..128].to_vec(); // 1024 bits, top bit set
    *short.last_mut().unwrap() |= 1;
    jwk.n = Some(b64(&short));
    let err = VerifyingKey::from_jwk(&jwk).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::WeakKey(1024));
    assert_eq!(err.token_kind(), None);
    assert_eq!(err.oauth_error_code(), ErrorCode::ServerError);

    // In a fetched JWKS the weak key is skipped, so a token naming it finds no key.
    let doc = serde_json::to_vec(&json!({ "keys": [jwk] })).unwrap();
    let keys = KeySet::from_json(&doc).unwrap();
    assert_eq!((keys.len(), keys.skipped()), (0, 1));
    let fx = Fixture::new();
    let header = json!({"alg": "RS256", "typ": TYP_ID_JAG, "kid": RSA_KID});
    let token = forge_rsa(Algorithm::RS256, &header, &id_jag_claims());
    let anchor = TrustAnchor::new(IDP, &keys, &fx.algs);
    assert_id_jag_rejected(
        fx.verify_id_jag_with(&token, &fx.id_jag_verifier(), &anchor, CLIENT_ID),
        ErrorKind::UnknownKeyId(RSA_KID.into()),
    );
}

#[test]
fn jwt_02_no_signing_key_for_rsa_or_symmetric() {
    for alg in [Algorithm::RS256, Algorithm::PS256] {
        let err = SigningKey::generate(alg).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::UnsupportedKey(_)),
            "{err:?}"
        );
    }
    let oct: ema_jwt::Jwk =
        serde_json::from_value(json!({"kty":"oct","k":"c2VjcmV0","alg":"HS256"})).unwrap();
    assert!(matches!(
        VerifyingKey::from_jwk(&oct).unwrap_err().kind(),
        ErrorKind::UnsupportedKey(_)
    ));
}

// ---------------------------------------------------------------------------------------------
// JWT-03: explicit typing, mutually exclusive validators.
// ---------------------------------------------------------------------------------------------

const KINDS: [TokenKind; 4] = [
    TokenKind::IdJag,
    TokenKind::AccessToken,
    TokenKind::IdToken,
    TokenKind::ClientAssertion,
];

/// The `expected` short type each verifier reports in `WrongType`.
fn expected_typ(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::IdJag => TYP_ID_JAG,
        TokenKind::AccessToken => TYP_AT,
        TokenKind::IdToken => "jwt",
        TokenKind::ClientAssertion => TYP_CLIENT_AUTH,
        other => panic!("{other:?}"),
    }
}

#[test]
fn jwt_03_each_token_kind_validates_only_as_itself() {
    let fx = Fixture::new();
    let minted = [
        (
            TokenKind::IdJag,
            fx.id_jag(&id_jag_claims()),
            Some(TYP_ID_JAG),
        ),
        (
            TokenKind::AccessToken,
            fx.access_token(&access_token_claims()),
            Some(TYP_AT),
        ),
        (TokenKind::IdToken, fx.id_token(&id_token_claims()), None),
        (
            TokenKind::ClientAssertion,
            fx.client_assertion(&client_assertion_claims()),
            Some(TYP_CLIENT_AUTH),
        ),
    ];
    for (minted_as, token, typ) in &minted {
        for presented_as in KINDS {
            let verdict = fx.verdict(presented_as, token);
            if *minted_as == presented_as {
                assert!(verdict.is_ok(), "{minted_as:?}: {verdict:?}");
                continue;
            }
            let expected = match (typ, presented_as) {
                (Some(typ), _) => wrong_type(expected_typ(presented_as), typ),
                // An untyped ID token: the explicitly typed kinds require `typ`.
                (None, TokenKind::IdJag | TokenKind::AccessToken) => ErrorKind::MissingType,
                // Client assertions may be untyped (RFC 7523); the claims refuse it.
                (None, TokenKind::ClientAssertion) => ErrorKind::SubjectMismatch,
                (None, _) => unreachable!(),
            };
            assert_rejected(verdict, presented_as, expected);
        }
    }
}

#[test]
fn jwt_03_client_assertion_never_validates_as_another_kind() {
    let fx = Fixture::new();
    // Untyped and `JWT`-typed client assertions, the legacy RFC 7523 forms.
    let claims = client_assertion_claims();
    let untyped = ema_jwt::mint::sign_jws(&fx.client_key, None, &claims).unwrap();
    let jwt_typed = ema_jwt::mint::sign_jws(&fx.client_key, Some("JWT"), &claims).unwrap();
    assert!(fx.verify_client_assertion(&untyped).is_ok());
    assert!(fx.verify_client_assertion(&jwt_typed).is_ok());
    for token in [&untyped, &jwt_typed] {
        let typ = header_of(token)["typ"].as_str().map(str::to_owned);
        for kind in [TokenKind::IdJag, TokenKind::AccessToken] {
            let expected = match &typ {
                Some(t) => wrong_type(expected_typ(kind), t),
                None => ErrorKind::MissingType,
            };
            assert_rejected(fx.verdict(kind, token), kind, expected);
        }
        // Same signature rules as ID tokens, but iss is the client, not the OP.
        assert_rejected(
            fx.verdict(TokenKind::IdToken, token),
            TokenKind::IdToken,
            ErrorKind::UntrustedIssuer,
        );
    }
}

#[test]
fn jwt_03_verify_rechecks_typ_of_a_token_decoded_elsewhere() {
    // `verify` takes any `UnverifiedJws`; one decoded by another verifier's `decode` or by
    // `UnverifiedJws::decode` must not skip the typ rule (§6 step 5).
    let fx = Fixture::new();
    let at = ema_jwt::mint::sign_jws(&fx.idp_es, Some(TYP_AT), &id_jag_claims()).unwrap();
    let jws = ema_jwt::compact::UnverifiedJws::decode(&at, MAX_TOKEN_BYTES).unwrap();
    let v = fx.id_jag_verifier();
    assert_id_jag_rejected(
        v.verify(jws, &fx.idp_anchor(), CLIENT_ID, &fx.clock),
        wrong_type(TYP_ID_JAG, TYP_AT),
    );
    // A client assertion (untyped, as RFC 7523 allows) passed through the client-assertion
    // decoder never validates as an ID-JAG either.
    let untyped = ema_jwt::mint::sign_jws(&fx.idp_es, None, &id_jag_claims()).unwrap();
    let jws = fx.client_assertion_verifier().decode(&untyped).unwrap();
    assert_id_jag_rejected(
        v.verify(jws, &fx.idp_anchor(), CLIENT_ID, &fx.clock),
        ErrorKind::MissingType,
    );
    // And an ID-JAG decoded by the ID-JAG verifier never validates as a client assertion.
    let id_jag =
        ema_jwt::mint::sign_jws(&fx.client_key, Some(TYP_ID_JAG), &client_assertion_claims())
            .unwrap();
    let jws = fx.id_jag_verifier().decode(&id_jag).unwrap();
    let anchor = TrustAnchor::new(CLIENT_ID, &fx.client_keys, &fx.algs);
    assert_rejected(
        fx.client_assertion_verifier()
            .verify(jws, &anchor, &fx.clock),
        TokenKind::ClientAssertion,
        wrong_type(TYP_CLIENT_AUTH, TYP_ID_JAG),
    );
}

#[test]
fn jwt_03_dpop_proof_never_validates() {
    let fx = Fixture::new();
    let dpop = ema_jwt::mint::sign_jws(&fx.idp_es, Some(TYP_DPOP), &id_jag_claims()).unwrap();
    for kind in KINDS {
        assert_rejected(
            fx.verdict(kind, &dpop),
            kind,
            wrong_type(expected_typ(kind), TYP_DPOP),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// JWT-04: `typ` compared case-insensitively, implied `application/` prefix, short form emitted.
// ---------------------------------------------------------------------------------------------

#[test]
fn jwt_04_typ_application_prefix_case_insensitive_accepted() {
    let fx = Fixture::new();
    for typ in [
        "oauth-id-jag+jwt",
        "OAUTH-ID-JAG+JWT",
        "application/oauth-id-jag+jwt",
        "Application/OAuth-ID-JAG+JWT",
        "APPLICATION/oauth-id-jag+jwt",
    ] {
        let token = ema_jwt::mint::sign_jws(&fx.idp_es, Some(typ), &id_jag_claims()).unwrap();
        assert!(fx.verify_id_jag(&token).is_ok(), "{typ}");
    }
    for typ in [
        "at+jwt",
        "AT+JWT",
        "application/at+jwt",
        "Application/At+Jwt",
    ] {
        let token = ema_jwt::mint::sign_jws(&fx.as_key, Some(typ), &access_token_claims()).unwrap();
        assert!(fx.verify_access_token(&token).is_ok(), "{typ}");
    }
    for typ in ["JWT", "jwt", "application/jwt"] {
        let token = ema_jwt::mint::sign_jws(&fx.idp_es, Some(typ), &id_token_claims()).unwrap();
        assert!(fx.verify_id_token(&token).is_ok(), "{typ}");
    }
    for typ in [
        "client-authentication+jwt",
        "application/Client-Authentication+JWT",
    ] {
        let token =
            ema_jwt::mint::sign_jws(&fx.client_key, Some(typ), &client_assertion_claims()).unwrap();
        assert!(fx.verify_client_assertion(&token).is_ok(), "{typ}");
    }
}

#[test]
fn jwt_04_typ_other_media_types_and_near_misses_rejected() {
    let fx = Fixture::new();
    for typ in [
        "text/oauth-id-jag+jwt",
        "application/application/oauth-id-jag+jwt",
        "application/",
        "oauth-id-jag+jwt ",
        " oauth-id-jag+jwt",
        "oauth-id-jag",
        "oauth_id_jag+jwt",
        "id-jag+jwt",
        "JWT",
        "",
    ] {
        let token = ema_jwt::mint::sign_jws(&fx.idp_es, Some(typ), &id_jag_claims()).unwrap();
        assert_id_jag_rejected(fx.verify_id_jag(&token), wrong_type(TYP_ID_JAG, typ));
    }
}

#[test]
fn jwt_04_minters_emit_the_short_form() {
    let fx = Fixture::new();
    let as_issuer = Issuer::new(AS).unwrap();
    let client = ClientId::new(CLIENT_ID).unwrap();
    let resource = Resource::new(RESOURCE).unwrap();

    let grant =
        IdJagGrant::new(SUBJECT, as_issuer.clone(), client.clone()).with_resource(resource.clone());
    let id_jag = IdJagMinter::new(Issuer::new(IDP).unwrap(), fx.idp_es.clone())
        .mint(grant, &fx.clock, &SystemRandom)
        .unwrap();
    let at = AccessTokenMinter::new(as_issuer.clone(), fx.as_key.clone())
        .mint(
            AccessTokenGrant::new(SUBJECT, resource, client.clone(), SCOPE.parse().unwrap()),
            &fx.clock,
            &SystemRandom,
        )
        .unwrap();
    let ca = ClientAssertionMinter::new(client, fx.client_key.clone())
        .mint(&as_issuer, &fx.clock, &SystemRandom)
        .unwrap();
    for (token, typ, kid) in [
        (id_jag.token.expose(), TYP_ID_JAG, IDP_ES_KID),
        (at.token.expose(), TYP_AT, AS_KID),
        (ca.token.expose(), TYP_CLIENT_AUTH, CLIENT_KID),
    ] {
        let header = header_of(token);
        assert_eq!(header["typ"], json!(typ));
        assert_eq!(header["alg"], json!("ES256"));
        assert_eq!(header["kid"], json!(kid));
        assert_eq!(header.as_object().unwrap().len(), 3, "{header}");
    }
    assert!(fx.verify_id_jag(id_jag.token.expose()).is_ok());
    assert!(fx.verify_access_token(at.token.expose()).is_ok());
    assert!(fx.verify_client_assertion(ca.token.expose()).is_ok());
}

// ---------------------------------------------------------------------------------------------
// JWT-05: key selection by `kid`; no `kid` and several candidates rejected; unknown `crit`.
// ---------------------------------------------------------------------------------------------

#[test]
fn jwt_05_key_selected_by_kid() {
    let fx = Fixture::new();
    // Both IdP keys are in the set; each token finds its own.
    assert!(fx.verify_id_jag(&fx.id_jag(&id_jag_claims())).is_ok());
    assert!(fx.verify_id_jag(&fx.id_jag_ed(&id_jag_claims())).is_ok());
    // An attacker key that claims the IdP's kid does not verify.
    let attacker = SigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid(IDP_ES_KID);
    let token = ema_jwt::mint::sign_jws(&attacker, Some(TYP_ID_JAG), &id_jag_claims()).unwrap();
    assert_id_jag_rejected(fx.verify_id_jag(&token), ErrorKind::InvalidSignature);
    // kid is case-sensitive.
    let token = fx.id_jag_header(|h| {
        h.insert("kid".into(), json!(IDP_ES_KID.to_uppercase()));
    });
    assert_id_jag_rejected(
        fx.verify_id_jag(&token),
        ErrorKind::UnknownKeyId(IDP_ES_KID.to_uppercase()),
    );
}

#[test]
fn jwt_05_unknown_kid_rejected() {
    let fx = Fixture::new();
    let token = fx.id_jag_header(|h| {
        h.insert("kid".into(), json!("rotated-away"));
    });
    assert_id_jag_rejected(
        fx.verify_id_jag(&token),
        ErrorKind::UnknownKeyId("rotated-away".into()),
    );
    // Long kids are echoed truncated (no amplification in logs).
    let long = "k".repeat(1000);
    let token = fx.id_jag_header(|h| {
        h.insert("kid".into(), json!(long));
    });
    let err = fx.verify_id_jag(&token).unwrap_err();
    match err.kind() {
        ErrorKind::UnknownKeyId(echo) => {
            assert!(echo.len() <= ErrorKind::MAX_ECHO + '…'.len_utf8());
            assert!(echo.starts_with("kkkk"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn jwt_05_no_kid_single_candidate_accepted() {
    let fx = Fixture::new();
    // The set holds one ES256 and one EdDSA key: without kid, the alg decides.
    for key in [&fx.idp_es, &fx.idp_ed] {
        let mut h = header_for(key, Some(TYP_ID_JAG));
        h.remove("kid");
        let token = forge(key, &Value::Object(h), &id_jag_claims());
        assert!(fx.verify_id_jag(&token).is_ok(), "{:?}", key.algorithm());
    }
}

#[test]
fn jwt_05_no_kid_with_several_candidate_keys_rejected() {
    let fx = Fixture::new();
    let second = SigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid("idp-es256-next");
    let keys = KeySet::from_keys(vec![
        fx.idp_es.verifying_key().clone(),
        second.verifying_key().clone(),
        fx.idp_ed.verifying_key().clone(),
    ]);
    let anchor = TrustAnchor::new(IDP, &keys, &fx.algs);
    let mut h = header_for(&fx.idp_es, Some(TYP_ID_JAG));
    h.remove("kid");
    // Correctly signed by one of the two: still no guess.
    let token = forge(&fx.idp_es, &Value::Object(h), &id_jag_claims());
    assert_id_jag_rejected(
        fx.verify_id_jag_with(&token, &fx.id_jag_verifier(), &anchor, CLIENT_ID),
        ErrorKind::AmbiguousKey(2),
    );
    // With the kid it verifies.
    let token = fx.id_jag(&id_jag_claims());
    assert!(
        fx.verify_id_jag_with(&token, &fx.id_jag_verifier(), &anchor, CLIENT_ID)
            .is_ok()
    );
    // Two keys sharing a kid and an algorithm are ambiguous too.
    let keys = KeySet::from_keys(vec![
        fx.idp_es.verifying_key().clone(),
        second.verifying_key().clone().with_kid(IDP_ES_KID),
    ]);
    let anchor = TrustAnchor::new(IDP, &keys, &fx.algs);
    assert_id_jag_rejected(
        fx.verify_id_jag_with(&token, &fx.id_jag_verifier(), &anchor, CLIENT_ID),
        ErrorKind::AmbiguousKey(2),
    );
}

#[test]
fn jwt_05_unknown_crit_rejected() {
    let fx = Fixture::new();
    let token = fx.id_jag_header(|h| {
        h.insert("crit".into(), json!(["exp"]));
        h.insert("exp".into(), json!(NOW + 300));
    });
    assert_id_jag_rejected(
        fx.verify_id_jag(&token),
        ErrorKind::UnsupportedCritical("exp".into()),
    );
    let token = fx.id_jag_header(|h| {
        h.insert("crit".into(), json!(["b64"]));
        h.insert("b64".into(), json!(false));
    });
    assert_id_jag_rejected(
        fx.verify_id_jag(&token),
        ErrorKind::UnsupportedCritical("b64".into()),
    );
    // Malformed crit values (RFC 7515 §4.1.11: a non-empty array of names).
    for crit in [json!([]), json!("exp"), json!([1])] {
        let token = fx.id_jag_header(|h| {
            h.insert("crit".into(), crit.clone());
        });
        assert_id_jag_rejected(fx.verify_id_jag(&token), ErrorKind::InvalidHeader("crit"));
    }
}

// ---------------------------------------------------------------------------------------------
// JWT-06: time checks with skew S = 60 s (configurable, at most 300); non-numeric refused.
// ---------------------------------------------------------------------------------------------

#[test]
fn jwt_06_exp_with_skew_boundary() {
    let fx = Fixture::new();
    let at_exp = |exp: u64| {
        fx.id_jag_with(|c| {
            c.insert("exp".into(), json!(exp));
            c.insert("iat".into(), json!(exp - 300));
        })
    };
    // Reject iff now >= exp + 60.
    assert!(fx.verify_id_jag(&at_exp(NOW - 59)).is_ok());
    assert_id_jag_rejected(fx.verify_id_jag(&at_exp(NOW - 60)), ErrorKind::Expired);
    assert_id_jag_rejected(fx.verify_id_jag(&at_exp(NOW - 3600)), ErrorKind::Expired);
}

#[test]
fn jwt_06_nbf_with_skew_boundary() {
    let fx = Fixture::new();
    let with_nbf = |nbf: u64| {
        fx.id_jag_with(|c| {
            c.insert("nbf".into(), json!(nbf));
        })
    };
    // Reject iff nbf > now + 60.
    assert!(fx.verify_id_jag(&with_nbf(NOW + 60)).is_ok());
    assert_id_jag_rejected(
        fx.verify_id_jag(&with_nbf(NOW + 61)),
        ErrorKind::NotYetValid,
    );
}

#[test]
fn jwt_06_iat_in_future_rejected() {
    let fx = Fixture::new();
    let with_iat = |iat: u64| {
        fx.id_jag_with(|c| {
            c.insert("iat".into(), json!(iat));
            c.insert("exp".into(), json!(iat + 300));
        })
    };
    // Reject iff iat > now + 60 (our choice, D).
    assert!(fx.verify_id_jag(&with_iat(NOW + 60)).is_ok());
    assert_id_jag_rejected(
        fx.verify_id_jag(&with_iat(NOW + 61)),
        ErrorKind::IssuedInFuture,
    );
}

#[test]
fn jwt_06_skew_configurable_up_to_300_seconds() {
    let fx = Fixture::new();
    let expired_by = |secs: u64| {
        fx.id_jag_with(|c| {
            c.insert("exp".into(), json!(NOW - secs));
            c.insert("iat".into(), json!(NOW - secs - 300));
        })
    };
    let strict = fx.id_jag_verifier().with_skew(0).unwrap();
    let token = expired_by(0);
    assert_id_jag_rejected(
        fx.verify_id_jag_with(&token, &strict, &fx.idp_anchor(), CLIENT_ID),
        ErrorKind::Expired,
    );
    let lenient = fx.id_jag_verifier().with_skew(300).unwrap();
    let token = expired_by(299);
    assert!(
        fx.verify_id_jag_with(&token, &lenient, &fx.idp_anchor(), CLIENT_ID)
            .is_ok()
    );
    let token = expired_by(300);
    assert_id_jag_rejected(
        fx.verify_id_jag_with(&token, &lenient, &fx.idp_anchor(), CLIENT_ID),
        ErrorKind::Expired,
    );
    // More than 300 s is a configuration error, not a token error.
    for err in [
        fx.id_jag_verifier().with_skew(301).unwrap_err(),
        fx.access_token_verifier().with_skew(301).unwrap_err(),
        fx.id_token_verifier().with_skew(301).unwrap_err(),
        fx.client_assertion_verifier().with_skew(301).unwrap_err(),
    ] {
        assert!(matches!(err.kind(), ErrorKind::InvalidConfig(_)), "{err:?}");
        assert_eq!(err.token_kind(), None);
        assert_eq!(err.oauth_error_code(), ErrorCode::ServerError);
    }
}

#[test]
fn jwt_06_non_numeric_times_rejected() {
    let fx = Fixture::new();
    for (claim, value) in [
        ("exp", json!((NOW + 300).to_string())),
        ("exp", json!(1_793_000_300.5)),
        ("exp", json!(-1)),
        ("exp", json!(null)),
        ("exp", json!(true)),
        ("exp", json!([NOW + 300])),
        ("iat", json!(NOW.to_string())),
        ("iat", json!(1_793_000_000.25)),
        ("nbf", json!("0")),
    ] {
        let token = fx.id_jag_with(|c| {
            c.insert(claim.into(), value.clone());
        });
        assert_id_jag_rejected(
            fx.verify_id_jag(&token),
            ErrorKind::InvalidClaim(claim_name(claim)),
        );
    }
}

/// The `&'static str` of a claim name, as carried in `ErrorKind`.
fn claim_name(name: &str) -> &'static str {
    match name {
        "exp" => "exp",
        "iat" => "iat",
        "nbf" => "nbf",
        other => panic!("{other}"),
    }
}

#[test]
fn jwt_06_time_checks_apply_to_every_kind() {
    let fx = Fixture::new();
    let expired = |claims: Value| {
        edited(claims, |c| {
            c.insert("exp".into(), json!(NOW - 60));
            c.insert("iat".into(), json!(NOW - 120));
        })
    };
    assert_rejected(
        fx.verify_access_token(&fx.access_token(&expired(access_token_claims()))),
        TokenKind::AccessToken,
        ErrorKind::Expired,
    );
    assert_rejected(
        fx.verify_id_token(&fx.id_token(&expired(id_token_claims()))),
        TokenKind::IdToken,
        ErrorKind::Expired,
    );
    assert_rejected(
        fx.verify_client_assertion(&fx.client_assertion(&expired(client_assertion_claims()))),
        TokenKind::ClientAssertion,
        ErrorKind::Expired,
    );
    let future_nbf = |claims: Value| {
        edited(claims, |c| {
            c.insert("nbf".into(), json!(NOW + 61));
        })
    };
    assert_rejected(
        fx.verify_access_token(&fx.access_token(&future_nbf(access_token_claims()))),
        TokenKind::AccessToken,
        ErrorKind::NotYetValid,
    );
    assert_rejected(
        fx.verify_id_token(&fx.id_token(&future_nbf(id_token_claims()))),
        TokenKind::IdToken,
        ErrorKind::NotYetValid,
    );
    assert_rejected(
        fx.verify_client_assertion(&fx.client_assertion(&future_nbf(client_assertion_claims()))),
        TokenKind::ClientAssertion,
        ErrorKind::NotYetValid,
    );
}

// ---------------------------------------------------------------------------------------------
// JWT-07: `aud` string or array; for an ID-JAG an array must have exactly one element.
// ---------------------------------------------------------------------------------------------

#[test]
fn jwt_07_aud_string_or_single_element_array_accepted() {
    let fx = Fixture::new();
    for aud in [json!(AS), json!([AS])] {
        let token = fx.id_jag_with(|c| {
            c.insert("aud".into(), aud.clone());
        });
        let claims = fx.verify_id_jag(&token).unwrap();
        assert_eq!(claims.aud.as_slice(), [AS.to_owned()]);
    }
}

#[test]
fn jwt_07_id_jag_aud_array_with_several_elements_rejected() {
    let fx = Fixture::new();
    for (aud, n) in [
        (json!([AS, "https://other.example"]), 2),
        (json!(["https://other.example", AS]), 2),
        (json!([AS, AS]), 2),
        (json!([AS, "https://a.example", "https://b.example"]), 3),
    ] {
        let token = fx.id_jag_with(|c| {
            c.insert("aud".into(), aud.clone());
        });
        assert_id_jag_rejected(fx.verify_id_jag(&token), ErrorKind::MultipleAudiences(n));
    }
    for aud in [json!([]), json!([""]), json!(""), json!([AS, 1]), json!(7)] {
        let token = fx.id_jag_with(|c| {
            c.insert("aud".into(), aud.clone());
        });
        assert_id_jag_rejected(fx.verify_id_jag(&token), ErrorKind::InvalidClaim("aud"));
    }
}

#[test]
fn jwt_07_access_token_aud_array_containing_the_resource_accepted() {
    let fx = Fixture::new();
    let token = fx.access_token(&edited(access_token_claims(), |c| {
        c.insert("aud".into(), json!(["https://other.example/mcp", RESOURCE]));
    }));
    assert!(fx.verify_access_token(&token).is_ok());
    let token = fx.access_token(&edited(access_token_claims(), |c| {
        c.insert("aud".into(), json!(["https://other.example/mcp"]));
    }));
    assert_rejected(
        fx.verify_access_token(&token),
        TokenKind::AccessToken,
        ErrorKind::AudienceMismatch,
    );
}

// ---------------------------------------------------------------------------------------------
// JWT-08: StringOrURI claims compared exactly and case-sensitively, no normalisation.
// ---------------------------------------------------------------------------------------------

#[test]
fn jwt_08_iss_compared_exactly() {
    let fx = Fixture::new();
    for iss in [
        "https://idp.example/",
        "https://IDP.example",
        "HTTPS://idp.example",
        "https://idp.example:443",
        "http://idp.example",
        "https://idp.example/.",
        "https://idp.example#",
        " https://idp.example",
        "https://idp.examp\u{0142}e",
    ] {
        let token = fx.id_jag_with(|c| {
            c.insert("iss".into(), json!(iss));
        });
        assert_id_jag_rejected(fx.verify_id_jag(&token), ErrorKind::UntrustedIssuer);
        let at = fx.access_token(&edited(access_token_claims(), |c| {
            c.insert("iss".into(), json!(iss.replace("idp", "as")));
        }));
        assert_rejected(
            fx.verify_access_token(&at),
            TokenKind::AccessToken,
            ErrorKind::UntrustedIssuer,
        );
    }
}

#[test]
fn jwt_08_aud_compared_exactly() {
    let fx = Fixture::new();
    for aud in [
        "https://as.example/",
        "https://AS.example",
        "https://as.example:443",
        "http://as.example",
        TOKEN_ENDPOINT,
    ] {
        let token = fx.id_jag_with(|c| {
            c.insert("aud".into(), json!(aud));
        });
        assert_id_jag_rejected(fx.verify_id_jag(&token), ErrorKind::AudienceMismatch);
    }
    // ID token audience is the client id, exactly.
    for aud in ["CLIENT-7F3A", "client-7f3a ", "client-7f3"] {
        let token = fx.id_token(&edited(id_token_claims(), |c| {
            c.insert("aud".into(), json!(aud));
        }));
        assert_rejected(
            fx.verify_id_token(&token),
            TokenKind::IdToken,
            ErrorKind::AudienceMismatch,
        );
    }
}

#[test]
fn jwt_08_meta_08_access_token_aud_folds_only_scheme_and_host_case() {
    // META-08: the RS lower-cases only the scheme and host of a received `aud` before the
    // exact comparison; nothing else is normalised.
    let fx = Fixture::new();
    let with_aud = |aud: &str| {
        fx.access_token(&edited(access_token_claims(), |c| {
            c.insert("aud".into(), json!(aud));
        }))
    };
    assert!(
        fx.verify_access_token(&with_aud("HTTPS://MCP.Example/mcp"))
            .is_ok()
    );
    for aud in [
        "https://mcp.example/MCP",
        "https://mcp.example/mcp/",
        "https://mcp.example:443/mcp",
        "https://mcp.example/./mcp",
        "https://mcp.example/%6Dcp",
        "https://mcp.example",
    ] {
        assert_rejected(
            fx.verify_access_token(&with_aud(aud)),
            TokenKind::AccessToken,
            ErrorKind::AudienceMismatch,
        );
    }
}

#[test]
fn jwt_08_client_id_and_sub_compared_exactly() {
    let fx = Fixture::new();
    for client_id in [
        "Client-7f3a",
        "client-7f3a ",
        "client-7f3a\u{0}",
        "client-7f3",
    ] {
        let token = fx.id_jag_with(|c| {
            c.insert("client_id".into(), json!(client_id));
        });
        assert_id_jag_rejected(fx.verify_id_jag(&token), ErrorKind::ClientIdMismatch);
    }
    // A client assertion's iss and sub must both be the client id, byte for byte.
    for (iss, sub) in [
        (CLIENT_ID, "Client-7f3a"),
        ("Client-7f3a", CLIENT_ID),
        ("client-7f3a/", "client-7f3a/"),
    ] {
        let token = fx.client_assertion(&edited(client_assertion_claims(), |c| {
            c.insert("iss".into(), json!(iss));
            c.insert("sub".into(), json!(sub));
        }));
        assert_rejected(
            fx.verify_client_assertion(&token),
            TokenKind::ClientAssertion,
            ErrorKind::SubjectMismatch,
        );
    }
}

// ---------------------------------------------------------------------------------------------
// JWT-09: JWKS shape; only `kty` required; raw R‖S ES256 signatures, not DER.
// ---------------------------------------------------------------------------------------------

#[test]
fn jwt_09_jwks_keys_without_use_alg_kid_accepted() {
    let fx = Fixture::new();
    let full = serde_json::to_value(fx.idp_es.verifying_key().to_jwk()).unwrap();
    let bare = json!({"kty": "EC", "crv": "P-256", "x": full["x"], "y": full["y"]});
    let doc = serde_json::to_vec(&json!({ "keys": [bare] })).unwrap();
    let keys = KeySet::from_json(&doc).unwrap();
    assert_eq!((keys.len(), keys.skipped()), (1, 0));
    let key = keys.iter().next().unwrap();
    assert_eq!(key.kid(), None);
    assert_eq!(key.algorithm(), Algorithm::ES256);
    // A token without kid verifies against it.
    let mut h = header_for(&fx.idp_es, Some(TYP_ID_JAG));
    h.remove("kid");
    let token = forge(&fx.idp_es, &Value::Object(h), &id_jag_claims());
    let anchor = TrustAnchor::new(IDP, &keys, &fx.algs);
    assert!(
        fx.verify_id_jag_with(&token, &fx.id_jag_verifier(), &anchor, CLIENT_ID)
            .is_ok()
    );
}

#[test]
fn jwt_09_published_jwks_members() {
    let fx = Fixture::new();
    let keys = KeySet::from_keys(vec![
        fx.idp_es.verifying_key().clone(),
        fx.idp_ed.verifying_key().clone(),
        rsa_verifying_key(Algorithm::RS256),
    ]);
    let doc = serde_json::to_value(keys.to_jwks()).unwrap();
    let obj = doc.as_object().unwrap();
    assert_eq!(obj.keys().collect::<Vec<_>>(), ["keys"]);
    let members = |i: usize| {
        let mut m: Vec<String> = doc["keys"][i]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        m.sort();
        m
    };
    assert_eq!(members(0), ["alg", "crv", "kid", "kty", "use", "x", "y"]);
    assert_eq!(members(1), ["alg", "crv", "kid", "kty", "use", "x"]);
    assert_eq!(members(2), ["alg", "e", "kid", "kty", "n", "use"]);
    let expect = [
        ("EC", "ES256", IDP_ES_KID),
        ("OKP", "EdDSA", IDP_ED_KID),
        ("RSA", "RS256", RSA_KID),
    ];
    for (i, (kty, alg, kid)) in expect.into_iter().enumerate() {
        assert_eq!(doc["keys"][i]["kty"], json!(kty));
        assert_eq!(doc["keys"][i]["alg"], json!(alg));
        assert_eq!(doc["keys"][i]["kid"], json!(kid));
        assert_eq!(doc["keys"][i]["use"], json!("sig"));
    }
    assert_eq!(doc["keys"][0]["crv"], json!("P-256"));
    assert_eq!(doc["keys"][1]["crv"], json!("Ed25519"));
    // The published document parses back into the same keys.
    let back = KeySet::from_json(&serde_json::to_vec(&doc).unwrap()).unwrap();
    assert_eq!((back.len(), back.skipped()), (3, 0));
    assert!(
        fx.verify_id_jag_with(
            &fx.id_jag(&id_jag_claims()),
            &fx.id_jag_verifier(),
            &TrustAnchor::new(IDP, &back, &fx.algs),
            CLIENT_ID
        )
        .is_ok()
    );
}

#[test]
fn jwt_09_unusable_jwks_entries_skipped_not_fatal() {
    let fx = Fixture::new();
    let good = serde_json::to_value(fx.idp_es.verifying_key().to_jwk()).unwrap();
    let mut enc = good.clone();
    enc["use"] = json!("enc");
    enc["kid"] = json!("enc-key");
    let mut private = good.clone();
    private["d"] = json!(b64([1_u8; 32]));
    private["kid"] = json!("private");
    let doc = json!({"keys": [
        enc,
        private,
        {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"},
        {"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA", "kid": "p384"},
        {"no": "kty"},
        good,
    ]});
    let keys = KeySet::from_json(&serde_json::to_vec(&doc).unwrap()).unwrap();
    assert_eq!((keys.len(), keys.skipped()), (1, 5));
    assert!(
        fx.verify_id_jag_with(
            &fx.id_jag(&id_jag_claims()),
            &fx.id_jag_verifier(),
            &TrustAnchor::new(IDP, &keys, &fx.algs),
            CLIENT_ID
        )
        .is_ok()
    );
    // Not a JWKS at all: an error of the key layer, not of a token.
    for bad in [&b"[]"[..], b"{}", b"{\"keys\":{}}", b"not json"] {
        let err = KeySet::from_json(bad).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::InvalidKey(_)), "{err:?}");
        assert_eq!(err.oauth_error_code(), ErrorCode::ServerError);
    }
}

#[test]
fn jwt_09_es256_der_signature_rejected() {
    let fx = Fixture::new();
    let token = fx.id_jag(&id_jag_claims());
    let raw = signature_of(&token);
    assert_eq!(raw.len(), 64);
    let der = es256_raw_to_der(&raw);
    assert_id_jag_rejected(
        fx.verify_id_jag(&with_signature(&token, &der)),
        ErrorKind::InvalidSignature,
    );
    // The raw form of the same signature verifies (the test is about the encoding only).
    assert!(fx.verify_id_jag(&with_signature(&token, &raw)).is_ok());
}

// ---------------------------------------------------------------------------------------------
// JWT-10: `private_key_jwt` client assertions; failures are `invalid_client`.
// ---------------------------------------------------------------------------------------------

#[test]
fn jwt_10_client_assertion_accepted() {
    let fx = Fixture::new();
    let minted =
        ClientAssertionMinter::new(ClientId::new(CLIENT_ID).unwrap(), fx.client_key.clone())
            .mint(&Issuer::new(AS).unwrap(), &fx.clock, &SystemRandom)
            .unwrap();
    assert_eq!(minted.claims.iss, CLIENT_ID);
    assert_eq!(minted.claims.sub, CLIENT_ID);
    assert_eq!(minted.claims.aud.as_slice(), [AS.to_owned()]);
    assert!(minted.claims.exp - NOW <= 300);
    assert!(minted.claims.jti.len() >= 22, "128-bit jti");
    let claims = fx.verify_client_assertion(minted.token.expose()).unwrap();
    assert_eq!(claims, minted.claims);
}

#[test]
fn jwt_10_aud_token_endpoint_only_with_legacy_flag() {
    let fx = Fixture::new();
    let token = fx.client_assertion(&edited(client_assertion_claims(), |c| {
        c.insert("aud".into(), json!(TOKEN_ENDPOINT));
    }));
    assert_rejected(
        fx.verify_client_assertion(&token),
        TokenKind::ClientAssertion,
        ErrorKind::AudienceMismatch,
    );
    let legacy = fx
        .client_assertion_verifier()
        .accept_token_endpoint_audience(TOKEN_ENDPOINT);
    assert!(fx.verify_client_assertion_with(&token, &legacy).is_ok());
    // The issuer stays accepted with the flag; anything else stays refused.
    let token = fx.client_assertion(&client_assertion_claims());
    assert!(fx.verify_client_assertion_with(&token, &legacy).is_ok());
    let token = fx.client_assertion(&edited(client_assertion_claims(), |c| {
        c.insert("aud".into(), json!("https://as.example/oauth/token/"));
    }));
    assert_rejected(
        fx.verify_client_assertion_with(&token, &legacy),
        TokenKind::ClientAssertion,
        ErrorKind::AudienceMismatch,
    );
    let token = fx.client_assertion(&edited(client_assertion_claims(), |c| {
        c.insert("aud".into(), json!([AS, TOKEN_ENDPOINT]));
    }));
    assert_rejected(
        fx.verify_client_assertion_with(&token, &legacy),
        TokenKind::ClientAssertion,
        ErrorKind::MultipleAudiences(2),
    );
}

#[test]
fn jwt_10_iss_and_sub_must_be_the_client_id() {
    let fx = Fixture::new();
    for (iss, sub) in [
        (CLIENT_ID, "someone-else"),
        ("someone-else", CLIENT_ID),
        ("someone-else", "someone-else"),
    ] {
        let token = fx.client_assertion(&edited(client_assertion_claims(), |c| {
            c.insert("iss".into(), json!(iss));
            c.insert("sub".into(), json!(sub));
        }));
        assert_rejected(
            fx.verify_client_assertion(&token),
            TokenKind::ClientAssertion,
            ErrorKind::SubjectMismatch,
        );
    }
    let token = fx.client_assertion(&edited(client_assertion_claims(), |c| {
        c.remove("sub");
    }));
    assert_rejected(
        fx.verify_client_assertion(&token),
        TokenKind::ClientAssertion,
        ErrorKind::SubjectMismatch,
    );
}

#[test]
fn jwt_10_exp_at_most_five_minutes_ahead() {
    let fx = Fixture::new();
    let with = |iat: Option<u64>, exp: u64| {
        fx.client_assertion(&edited(client_assertion_claims(), |c| {
            match iat {
                Some(iat) => c.insert("iat".into(), json!(iat)),
                None => c.remove("iat"),
            };
            c.insert("exp".into(), json!(exp));
        }))
    };
    assert!(
        fx.verify_client_assertion(&with(Some(NOW), NOW + 300))
            .is_ok()
    );
    assert_rejected(
        fx.verify_client_assertion(&with(Some(NOW), NOW + 301)),
        TokenKind::ClientAssertion,
        ErrorKind::LifetimeTooLong {
            lifetime: 301,
            max: 300,
        },
    );
    // Without iat, exp - now is bounded by 300 s + skew.
    assert!(fx.verify_client_assertion(&with(None, NOW + 360)).is_ok());
    assert_rejected(
        fx.verify_client_assertion(&with(None, NOW + 361)),
        TokenKind::ClientAssertion,
        ErrorKind::LifetimeTooLong {
            lifetime: 361,
            max: 300,
        },
    );
    // An iat at the edge of the skew cannot stretch exp beyond now + 300 s + skew.
    assert!(
        fx.verify_client_assertion(&with(Some(NOW + 60), NOW + 360))
            .is_ok()
    );
    assert_rejected(
        fx.verify_client_assertion(&with(Some(NOW + 60), NOW + 361)),
        TokenKind::ClientAssertion,
        ErrorKind::LifetimeTooLong {
            lifetime: 301,
            max: 300,
        },
    );
}

#[test]
fn jwt_10_jti_required() {
    let fx = Fixture::new();
    let token = fx.client_assertion(&edited(client_assertion_claims(), |c| {
        c.remove("jti");
    }));
    assert_rejected(
        fx.verify_client_assertion(&token),
        TokenKind::ClientAssertion,
        ErrorKind::MissingClaim("jti"),
    );
    let token = fx.client_assertion(&edited(client_assertion_claims(), |c| {
        c.insert("jti".into(), json!(""));
    }));
    assert_rejected(
        fx.verify_client_assertion(&token),
        TokenKind::ClientAssertion,
        ErrorKind::InvalidClaim("jti"),
    );
}

#[test]
fn jwt_10_signed_by_another_key_is_invalid_client() {
    let fx = Fixture::new();
    // Signed with the IdP key under the client's kid: not the client's registered key.
    let token = ema_jwt::mint::sign_jws(
        &fx.idp_es.clone().with_kid(CLIENT_KID),
        Some(TYP_CLIENT_AUTH),
        &client_assertion_claims(),
    )
    .unwrap();
    assert_rejected(
        fx.verify_client_assertion(&token),
        TokenKind::ClientAssertion,
        ErrorKind::InvalidSignature,
    );
}

// ---------------------------------------------------------------------------------------------
// JWT-11: at most 16 KiB; no duplicate JSON member names.
// ---------------------------------------------------------------------------------------------

/// A valid ID-JAG padded with an extra claim so that the token is exactly `len` bytes, if a
/// padding length gives that size.
fn id_jag_of_len(fx: &Fixture, len: usize) -> Option<String> {
    let base = fx.id_jag(&id_jag_claims()).len();
    let start = (len.saturating_sub(base)) * 3 / 4;
    (start.saturating_sub(40)..start + 8).find_map(|pad| {
        let token = fx.id_jag_with(|c| {
            c.insert("x-pad".into(), json!("p".repeat(pad)));
        });
        (token.len() == len).then_some(token)
    })
}

#[test]
fn jwt_11_token_over_16_kib_rejected() {
    let fx = Fixture::new();
    let exact = (MAX_TOKEN_BYTES - 3..=MAX_TOKEN_BYTES)
        .rev()
        .find_map(|len| id_jag_of_len(&fx, len))
        .unwrap();
    assert!(fx.verify_id_jag(&exact).is_ok(), "{} bytes", exact.len());
    let over = (MAX_TOKEN_BYTES + 1..MAX_TOKEN_BYTES + 5)
        .find_map(|len| id_jag_of_len(&fx, len))
        .unwrap();
    assert_id_jag_rejected(
        fx.verify_id_jag(&over),
        ErrorKind::TooLarge {
            len: over.len(),
            max: MAX_TOKEN_BYTES,
        },
    );
    // The cap holds for every kind, before any parsing.
    let huge = "a".repeat(MAX_TOKEN_BYTES + 1);
    for kind in KINDS {
        assert_rejected(
            fx.verdict(kind, &huge),
            kind,
            ErrorKind::TooLarge {
                len: MAX_TOKEN_BYTES + 1,
                max: MAX_TOKEN_BYTES,
            },
        );
    }
}

#[test]
fn jwt_11_duplicate_member_names_rejected() {
    let fx = Fixture::new();
    let header = serde_json::to_vec(&header_for(&fx.idp_es, Some(TYP_ID_JAG))).unwrap();
    let claims = id_jag_claims();
    let rest = serde_json::to_string(&claims).unwrap();
    // `{"iss":"https://evil.example","iss":"https://idp.example",...}`: last-wins parsers
    // would see the trusted issuer.
    let payload = format!(r#"{{"iss":"https://evil.example",{}"#, &rest[1..]);
    assert!(payload.contains(r#""iss":"https://idp.example""#));
    let token = forge_raw(&fx.idp_es, &header, payload.as_bytes());
    assert_id_jag_rejected(
        fx.verify_id_jag(&token),
        ErrorKind::DuplicateMember {
            segment: Segment::Payload,
            name: "iss".into(),
        },
    );
    // Nested, and spelled with an escape.
    let payload = format!(r#"{{"cnf":{{"jkt":"a","jkt":"b"}},{}"#, &rest[1..]);
    let token = forge_raw(&fx.idp_es, &header, payload.as_bytes());
    assert_id_jag_rejected(
        fx.verify_id_jag(&token),
        ErrorKind::DuplicateMember {
            segment: Segment::Payload,
            name: "jkt".into(),
        },
    );
    let payload = format!(r#"{{"\u0073ub":"admin",{}"#, &rest[1..]);
    let token = forge_raw(&fx.idp_es, &header, payload.as_bytes());
    assert_id_jag_rejected(
        fx.verify_id_jag(&token),
        ErrorKind::DuplicateMember {
            segment: Segment::Payload,
            name: "sub".into(),
        },
    );
    // In the header.
    let header =
        format!(r#"{{"alg":"ES256","typ":"at+jwt","typ":"{TYP_ID_JAG}","kid":"{IDP_ES_KID}"}}"#);
    let token = forge_raw(&fx.idp_es, header.as_bytes(), rest.as_bytes());
    assert_id_jag_rejected(
        fx.verify_id_jag(&token),
        ErrorKind::DuplicateMember {
            segment: Segment::Header,
            name: "typ".into(),
        },
    );
}

#[test]
fn jwt_11_caps_apply_to_the_id_jag_verifier_built_without_options() {
    // The default verifier carries the 16 KiB cap; nothing needs configuring.
    let verifier = IdJagVerifier::new(Issuer::new(AS).unwrap(), [Resource::new(RESOURCE).unwrap()]);
    let err = verifier
        .decode(&"x".repeat(MAX_TOKEN_BYTES + 1))
        .unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::TooLarge {
            len: MAX_TOKEN_BYTES + 1,
            max: MAX_TOKEN_BYTES
        }
    );
    assert_eq!(err.oauth_error_code(), ErrorCode::InvalidGrant);
}

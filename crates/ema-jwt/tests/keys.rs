//! Public key API: JWK parsing and publishing, RFC 7638 thumbprints, key selection (JWT-05),
//! PKCS#8 signing keys. Runs unchanged on each backend (`cargo test -p ema-jwt` for AWS-LC,
//! `--no-default-features --features rust-crypto` for pure Rust); the OpenSSL-made vectors in
//! `tests/data` pin both to the same answers.

#![cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ema_jwt::{Algorithm, ErrorKind, Jwk, JwkSet, KeySet, SigningKey, VerifyingKey};
use proptest::prelude::*;
use serde_json::{Value, json};

const VECTORS: &str = include_str!("data/vectors.json");
const P256_PEM: &str = include_str!("data/p256-test-key.pem");
const ED25519_PEM: &str = include_str!("data/ed25519-test-key.pem");
const RSA_PEM: &str = include_str!("data/rsa2048-test-key.pem");

/// RFC 7638 §3.1.
const RFC7638_JWK: &str = r#"{
    "kty": "RSA",
    "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
    "e": "AQAB",
    "alg": "RS256",
    "kid": "2011-04-29"
}"#;

fn vectors() -> Value {
    serde_json::from_str(VECTORS).unwrap()
}

/// A JWK from the vectors, with `edit` applied to its JSON first.
fn jwk(name: &str, edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Jwk {
    let mut value = vectors()[name].clone();
    edit(value.as_object_mut().unwrap());
    serde_json::from_value(value).unwrap()
}

fn key(name: &str) -> VerifyingKey {
    VerifyingKey::from_jwk(&jwk(name, |_| {})).unwrap()
}

fn rejection(jwk: &Jwk) -> ErrorKind {
    VerifyingKey::from_jwk(jwk).unwrap_err().kind().clone()
}

fn assert_send_sync<T: Send + Sync + Clone>() {}

#[test]
fn public_key_types_are_send_sync_clone() {
    assert_send_sync::<Jwk>();
    assert_send_sync::<JwkSet>();
    assert_send_sync::<VerifyingKey>();
    assert_send_sync::<KeySet>();
    assert_send_sync::<SigningKey>();
}

// ---- thumbprints (RFC 7638) ----

#[test]
fn rfc7638_section_3_1_thumbprint() {
    let key = VerifyingKey::from_jwk(&serde_json::from_str(RFC7638_JWK).unwrap()).unwrap();
    assert_eq!(
        key.thumbprint(),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
    assert_eq!(key.kid(), Some("2011-04-29"));
    assert_eq!(key.algorithm(), Algorithm::RS256);
}

#[test]
fn thumbprint_ignores_kid_alg_use_and_extra_members() {
    let plain = key("ec_jwk");
    let decorated = VerifyingKey::from_jwk(&jwk("ec_jwk", |m| {
        m.insert("kid".into(), json!("other"));
        m.insert("alg".into(), json!("ES256"));
        m.insert("use".into(), json!("sig"));
        m.insert("x5t#S256".into(), json!("abc"));
    }))
    .unwrap();
    assert_eq!(plain.thumbprint(), decorated.thumbprint());
    assert_eq!(plain.thumbprint(), plain.clone().with_kid("k").thumbprint());
}

/// The vector keys' thumbprints, computed independently with Python's hashlib, so each
/// backend's SHA-256 and encoding agree with a third implementation.
#[test]
fn backends_agree_on_thumbprints_of_the_test_keys() {
    let expected = [
        ("ec_jwk", "thumbprint_ec"),
        ("rsa_jwk", "thumbprint_rsa"),
        ("ed25519_jwk", "thumbprint_ed25519"),
    ];
    let v = vectors();
    for (name, thumbprint) in expected {
        assert_eq!(
            key(name).thumbprint(),
            v[thumbprint].as_str().unwrap(),
            "{name}"
        );
    }
}

// ---- publishing (JWT-09) ----

#[test]
fn jwt_09_publishes_kty_kid_use_alg() {
    let es = SigningKey::generate(Algorithm::ES256).unwrap();
    let published = serde_json::to_value(es.verifying_key().to_jwk()).unwrap();
    let members: Vec<&str> = published
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(members, ["alg", "crv", "kid", "kty", "use", "x", "y"]);
    assert_eq!(published["kty"], "EC");
    assert_eq!(published["crv"], "P-256");
    assert_eq!(published["use"], "sig");
    assert_eq!(published["alg"], "ES256");
    assert_eq!(published["kid"], es.kid());

    let ed = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let published = serde_json::to_value(ed.verifying_key().to_jwk()).unwrap();
    assert_eq!(
        published.as_object().unwrap().len(),
        6,
        "kty kid use alg crv x"
    );
    assert_eq!(published["kty"], "OKP");
    assert_eq!(published["crv"], "Ed25519");
    assert_eq!(published["alg"], "EdDSA");

    let rsa = serde_json::to_value(key("rsa_jwk").to_jwk()).unwrap();
    assert_eq!(
        rsa,
        json!({
            "kty": "RSA", "kid": "rsa-test", "use": "sig", "alg": "RS256",
            "n": vectors()["rsa_jwk"]["n"], "e": "AQAB",
        })
    );
}

#[test]
fn jwt_09_jwk_round_trip() {
    for name in ["ec_jwk", "rsa_jwk", "ed25519_jwk"] {
        let original = key(name);
        let published = original.to_jwk();
        let mut expected = jwk(name, |_| {});
        expected.use_ = Some("sig".into());
        expected.alg = Some(original.algorithm().as_str().into());
        assert_eq!(published, expected, "{name}");
        let again = VerifyingKey::from_jwk(&published).unwrap();
        assert_eq!(again.thumbprint(), original.thumbprint());
        assert_eq!(again.kid(), original.kid());
        assert_eq!(again.algorithm(), original.algorithm());
    }
}

#[test]
fn jwt_09_use_alg_kid_may_be_absent() {
    let key = VerifyingKey::from_jwk(&jwk("ec_jwk", |m| {
        m.remove("kid");
    }))
    .unwrap();
    assert_eq!(key.kid(), None);
    assert_eq!(key.algorithm(), Algorithm::ES256);
    assert_eq!(key.to_jwk().kid, None);
}

// ---- what a verifying key refuses ----

#[test]
fn private_jwk_rejected() {
    for member in ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] {
        let with_private = jwk("ec_jwk", |m| {
            m.insert(member.into(), json!("AAAA"));
        });
        assert_eq!(
            rejection(&with_private),
            ErrorKind::InvalidKey("private key material in JWK"),
            "{member}"
        );
    }
}

#[test]
fn jwt_02_symmetric_and_unknown_key_types_rejected() {
    let oct: Jwk = serde_json::from_value(json!({"kty": "oct", "k": "c2VjcmV0"})).unwrap();
    assert!(matches!(rejection(&oct), ErrorKind::UnsupportedKey(_)));
    let p384 = jwk("ec_jwk", |m| {
        m.insert("crv".into(), json!("P-384"));
    });
    assert_eq!(
        rejection(&p384),
        ErrorKind::UnsupportedKey("EC curve `P-384`".into())
    );
    let x25519 = jwk("ed25519_jwk", |m| {
        m.insert("crv".into(), json!("X25519"));
    });
    assert_eq!(
        rejection(&x25519),
        ErrorKind::UnsupportedKey("OKP curve `X25519`".into())
    );
    assert!(matches!(
        rejection(&Jwk::new("AKP")),
        ErrorKind::UnsupportedKey(_)
    ));
}

#[test]
fn jwt_02_jwk_alg_must_match_the_key_type() {
    let ec_as_rsa = jwk("ec_jwk", |m| {
        m.insert("alg".into(), json!("RS256"));
    });
    assert_eq!(
        rejection(&ec_as_rsa),
        ErrorKind::KeyAlgorithmMismatch {
            key: Algorithm::ES256,
            token: Algorithm::RS256
        }
    );
    let rsa_as_ec = jwk("rsa_jwk", |m| {
        m.insert("alg".into(), json!("ES256"));
    });
    assert!(matches!(
        rejection(&rsa_as_ec),
        ErrorKind::KeyAlgorithmMismatch { .. }
    ));
    for alg in ["HS256", "none", "ES384", "RSA-OAEP"] {
        let odd = jwk("ec_jwk", |m| {
            m.insert("alg".into(), json!(alg));
        });
        assert!(
            matches!(rejection(&odd), ErrorKind::UnsupportedKey(_)),
            "{alg}"
        );
    }
    let ps = VerifyingKey::from_jwk(&jwk("rsa_jwk", |m| {
        m.insert("alg".into(), json!("PS256"));
    }))
    .unwrap();
    assert_eq!(ps.algorithm(), Algorithm::PS256);
}

#[test]
fn enc_keys_and_keys_without_verify_op_rejected() {
    let enc = jwk("rsa_jwk", |m| {
        m.insert("use".into(), json!("enc"));
    });
    assert_eq!(
        rejection(&enc),
        ErrorKind::InvalidKey("JWK `use` is not `sig`")
    );
    let encrypt_only = jwk("rsa_jwk", |m| {
        m.insert("key_ops".into(), json!(["encrypt", "wrapKey"]));
    });
    assert_eq!(
        rejection(&encrypt_only),
        ErrorKind::InvalidKey("JWK `key_ops` does not allow `verify`")
    );
    let verify = jwk("rsa_jwk", |m| {
        m.insert("key_ops".into(), json!(["verify"]));
    });
    assert!(VerifyingKey::from_jwk(&verify).is_ok());
}

#[test]
fn ec_key_with_31_byte_x_rejected() {
    // 31 zero octets, then the same with 33.
    let short = jwk("ec_jwk", |m| {
        m.insert(
            "x".into(),
            json!("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        );
    });
    assert_eq!(
        rejection(&short),
        ErrorKind::InvalidKey("P-256 coordinate is not 32 octets")
    );
    let long = jwk("ec_jwk", |m| {
        m.insert(
            "y".into(),
            json!("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        );
    });
    assert_eq!(
        rejection(&long),
        ErrorKind::InvalidKey("P-256 coordinate is not 32 octets")
    );
}

#[test]
fn ec_point_not_on_curve_rejected() {
    let v = vectors();
    let y = v["ec_jwk"]["y"].as_str().unwrap();
    // Change the last symbol but keep the encoding canonical (low 2 bits zero).
    let last = if y.ends_with('A') { "E" } else { "A" };
    let bad_y = format!("{}{last}", &y[..y.len() - 1]);
    let off_curve = jwk("ec_jwk", |m| {
        m.insert("y".into(), json!(bad_y));
    });
    assert_eq!(
        rejection(&off_curve),
        ErrorKind::InvalidKey("point is not on P-256")
    );
}

/// With the identity (or any small-order point) as public key, anyone can sign.
#[test]
fn ed25519_small_order_key_rejected() {
    let mut identity = [0_u8; 32];
    identity[0] = 1;
    let weak = jwk("ed25519_jwk", |m| {
        m.insert("x".into(), json!(URL_SAFE_NO_PAD.encode(identity)));
    });
    assert_eq!(
        rejection(&weak),
        ErrorKind::InvalidKey("Ed25519 public key has small order")
    );
}

#[test]
fn padded_or_non_url_base64_rejected() {
    let v = vectors();
    let x = v["ec_jwk"]["x"].as_str().unwrap();
    let padded_x = jwk("ec_jwk", |m| {
        m.insert("x".into(), json!(format!("{x}=")));
    });
    assert_eq!(
        rejection(&padded_x),
        ErrorKind::InvalidKey("JWK member `x` is not unpadded base64url")
    );
    let padded_e = jwk("rsa_jwk", |m| {
        m.insert("e".into(), json!("AQAB="));
    });
    assert_eq!(
        rejection(&padded_e),
        ErrorKind::InvalidKey("JWK member `e` is not unpadded base64url")
    );
    let n = v["rsa_jwk"]["n"].as_str().unwrap();
    let standard_n = jwk("rsa_jwk", |m| {
        m.insert("n".into(), json!(n.replace('-', "+").replace('_', "/")));
    });
    assert_eq!(
        rejection(&standard_n),
        ErrorKind::InvalidKey("JWK member `n` is not unpadded base64url")
    );
    let missing = jwk("ec_jwk", |m| {
        m.remove("y");
    });
    assert_eq!(
        rejection(&missing),
        ErrorKind::InvalidKey("JWK member `y` is missing")
    );
}

#[test]
fn jwt_02_rsa_1024_rejected() {
    let v = vectors();
    let n = URL_SAFE_NO_PAD
        .decode(v["rsa_jwk"]["n"].as_str().unwrap())
        .unwrap();
    // The first 128 octets of the 2048-bit test modulus (whose top bit is set): 1024 bits.
    let weak = jwk("rsa_jwk", |m| {
        m.insert("n".into(), json!(URL_SAFE_NO_PAD.encode(&n[..128])));
    });
    assert_eq!(rejection(&weak), ErrorKind::WeakKey(1024));
}

#[test]
fn jwt_02_rsa_exponent_one_or_even_rejected() {
    for e in ["AQ", "Ag", "AAEAAQ"] {
        let silly = jwk("rsa_jwk", |m| {
            m.insert("e".into(), json!(e));
        });
        assert!(
            matches!(rejection(&silly), ErrorKind::InvalidKey(_)),
            "e = {e}"
        );
    }
}

// ---- key sets and selection (JWT-05) ----

fn issuer_jwks() -> Value {
    let v = vectors();
    let mut enc = v["rsa_jwk"].clone();
    enc["kid"] = json!("enc-1");
    enc["use"] = json!("enc");
    let mut rsa = v["rsa_jwk"].clone();
    rsa["kid"] = json!("rsa-1");
    rsa["alg"] = json!("RS256");
    let mut ec = v["ec_jwk"].clone();
    ec["kid"] = json!("ec-1");
    let mut ed = v["ed25519_jwk"].clone();
    ed["kid"] = json!("ed-1");
    json!({"keys": [
        ec,
        rsa,
        enc,
        ed,
        {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
        {"kid": "no-kty"},
        {"kty": "EC", "crv": "P-384", "kid": "p384", "x": "AA", "y": "AA"},
        "not an object",
    ]})
}

fn issuer_set() -> KeySet {
    KeySet::from_json(issuer_jwks().to_string().as_bytes()).unwrap()
}

#[test]
fn jwt_05_unusable_keys_skipped_and_counted() {
    let set = issuer_set();
    assert_eq!(set.len(), 3);
    assert_eq!(set.skipped(), 5);
    let kids: Vec<_> = set.iter().map(|k| k.kid().unwrap()).collect();
    assert_eq!(kids, ["ec-1", "rsa-1", "ed-1"]);
    assert!(set.get("enc-1").is_none(), "enc key skipped");
    assert!(set.get("hmac").is_none());
}

#[test]
fn jwt_05_kid_hit() {
    let set = issuer_set();
    let key = set.select(Some("rsa-1"), Algorithm::RS256).unwrap();
    assert_eq!(key.kid(), Some("rsa-1"));
    assert_eq!(
        set.select(Some("ec-1"), Algorithm::ES256).unwrap().kid(),
        Some("ec-1")
    );
}

#[test]
fn jwt_05_kid_miss_is_unknown_and_case_sensitive() {
    let set = issuer_set();
    assert_eq!(
        set.select(Some("nope"), Algorithm::ES256).unwrap_err(),
        ErrorKind::UnknownKeyId("nope".into())
    );
    assert_eq!(
        set.select(Some("EC-1"), Algorithm::ES256).unwrap_err(),
        ErrorKind::UnknownKeyId("EC-1".into())
    );
    assert_eq!(
        set.select(Some("enc-1"), Algorithm::RS256).unwrap_err(),
        ErrorKind::UnknownKeyId("enc-1".into())
    );
}

#[test]
fn jwt_05_unknown_kid_echo_is_truncated() {
    let long = "k".repeat(1000);
    match issuer_set().select(Some(&long), Algorithm::ES256) {
        Err(ErrorKind::UnknownKeyId(echo)) => assert!(echo.len() <= ErrorKind::MAX_ECHO + 3),
        other => panic!("{other:?}"),
    }
}

#[test]
fn jwt_05_kid_with_other_alg_is_mismatch() {
    assert_eq!(
        issuer_set()
            .select(Some("ec-1"), Algorithm::RS256)
            .unwrap_err(),
        ErrorKind::KeyAlgorithmMismatch {
            key: Algorithm::ES256,
            token: Algorithm::RS256
        }
    );
    // The RSA key is pinned to RS256, so a PS256 token cannot use it.
    assert_eq!(
        issuer_set()
            .select(Some("rsa-1"), Algorithm::PS256)
            .unwrap_err(),
        ErrorKind::KeyAlgorithmMismatch {
            key: Algorithm::RS256,
            token: Algorithm::PS256
        }
    );
}

#[test]
fn jwt_05_no_kid_one_candidate() {
    let set = issuer_set();
    assert_eq!(
        set.select(None, Algorithm::EdDSA).unwrap().kid(),
        Some("ed-1")
    );
    assert_eq!(
        set.select(None, Algorithm::ES256).unwrap().kid(),
        Some("ec-1")
    );
}

#[test]
fn jwt_05_no_kid_no_candidate() {
    assert_eq!(
        issuer_set().select(None, Algorithm::PS256).unwrap_err(),
        ErrorKind::NoKeyForAlgorithm(Algorithm::PS256)
    );
    assert_eq!(
        KeySet::default()
            .select(None, Algorithm::ES256)
            .unwrap_err(),
        ErrorKind::NoKeyForAlgorithm(Algorithm::ES256)
    );
}

#[test]
fn jwt_05_no_kid_two_candidates_is_ambiguous() {
    let set = KeySet::from_keys(vec![
        SigningKey::generate(Algorithm::ES256)
            .unwrap()
            .verifying_key()
            .clone(),
        key("ec_jwk"),
        key("ed25519_jwk"),
    ]);
    assert_eq!(
        set.select(None, Algorithm::ES256).unwrap_err(),
        ErrorKind::AmbiguousKey(2)
    );
    assert!(set.select(None, Algorithm::EdDSA).is_ok());
}

#[test]
fn jwt_05_shared_kid_is_resolved_by_algorithm_or_refused() {
    let rs = key("rsa_jwk").with_kid("shared");
    let ps = VerifyingKey::from_jwk(&jwk("rsa_jwk", |m| {
        m.insert("alg".into(), json!("PS256"));
    }))
    .unwrap()
    .with_kid("shared");
    let set = KeySet::from_keys(vec![rs.clone(), ps]);
    assert_eq!(
        set.select(Some("shared"), Algorithm::PS256)
            .unwrap()
            .algorithm(),
        Algorithm::PS256
    );
    assert_eq!(
        set.select(Some("shared"), Algorithm::RS256)
            .unwrap()
            .algorithm(),
        Algorithm::RS256
    );
    let twins = KeySet::from_keys(vec![rs.clone(), rs]);
    assert_eq!(
        twins.select(Some("shared"), Algorithm::RS256).unwrap_err(),
        ErrorKind::AmbiguousKey(2)
    );
}

#[test]
fn key_set_from_json_is_bounded() {
    let too_big = vec![b' '; KeySet::MAX_JSON_BYTES + 1];
    assert_eq!(
        KeySet::from_json(&too_big).unwrap_err().kind(),
        &ErrorKind::InvalidKey("JWKS document is larger than 256 KiB")
    );
    let keys = |n: usize| json!({ "keys": vec![json!({"kty": "oct"}); n] }).to_string();
    let at_limit = KeySet::from_json(keys(KeySet::MAX_KEYS).as_bytes()).unwrap();
    assert_eq!(at_limit.skipped(), KeySet::MAX_KEYS);
    assert!(at_limit.is_empty());
    assert_eq!(
        KeySet::from_json(keys(KeySet::MAX_KEYS + 1).as_bytes())
            .unwrap_err()
            .kind(),
        &ErrorKind::InvalidKey("JWKS holds more than 100 keys")
    );
}

#[test]
fn key_set_from_json_needs_a_keys_array() {
    for bad in [
        &b""[..],
        b"null",
        b"[]",
        b"{}",
        br#"{"keys":{}}"#,
        br#"{"keys":[]} trailing"#,
        b"\xff",
    ] {
        assert_eq!(
            KeySet::from_json(bad).unwrap_err().kind(),
            &ErrorKind::InvalidKey("JWKS is not a JSON object with a `keys` array"),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
    assert!(KeySet::from_json(br#"{"keys":[]}"#).unwrap().is_empty());
}

#[test]
fn key_set_publishes_and_reloads() {
    let set = issuer_set();
    let published = set.to_jwks();
    assert_eq!(published.keys.len(), 3);
    let reloaded = KeySet::from_jwks(&published);
    assert_eq!(reloaded.skipped(), 0);
    for (a, b) in set.iter().zip(&reloaded) {
        assert_eq!(a.thumbprint(), b.thumbprint());
        assert_eq!(a.kid(), b.kid());
        assert_eq!(a.algorithm(), b.algorithm());
    }
    let json = serde_json::to_string(&published).unwrap();
    assert_eq!(KeySet::from_json(json.as_bytes()).unwrap().len(), 3);
}

#[test]
fn jwk_set_is_strict_where_key_set_is_tolerant() {
    let doc = issuer_jwks().to_string();
    assert!(serde_json::from_str::<JwkSet>(&doc).is_err());
    let clean = json!({"keys": [vectors()["ec_jwk"], {"kty": "oct"}]}).to_string();
    let jwks: JwkSet = serde_json::from_str(&clean).unwrap();
    let set = KeySet::from_jwks(&jwks);
    assert_eq!((set.len(), set.skipped()), (1, 1));
}

// ---- signing keys ----

#[test]
fn pem_round_trip() {
    for alg in [Algorithm::ES256, Algorithm::EdDSA] {
        let key = SigningKey::generate(alg).unwrap();
        let pem = key.to_pkcs8_pem().unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        let again = SigningKey::from_pkcs8_pem(&pem).unwrap();
        assert_eq!(again.algorithm(), alg);
        assert_eq!(
            again.verifying_key().thumbprint(),
            key.verifying_key().thumbprint()
        );
        assert_eq!(again.kid(), key.kid());
        let der = key.to_pkcs8_der().unwrap();
        assert_eq!(SigningKey::from_pkcs8_der(&der).unwrap().kid(), key.kid());
    }
}

#[test]
fn openssl_pem_keys_load_with_their_published_public_keys() {
    let p256 = SigningKey::from_pkcs8_pem(P256_PEM).unwrap();
    assert_eq!(p256.algorithm(), Algorithm::ES256);
    assert_eq!(p256.kid(), key("ec_jwk").thumbprint());
    let ed = SigningKey::from_pkcs8_pem(ED25519_PEM).unwrap();
    assert_eq!(ed.algorithm(), Algorithm::EdDSA);
    assert_eq!(ed.verifying_key().to_jwk().x, jwk("ed25519_jwk", |_| {}).x);
}

#[test]
fn default_kid_is_the_thumbprint_and_with_kid_overrides_it() {
    let key = SigningKey::generate(Algorithm::ES256).unwrap();
    assert_eq!(key.kid(), key.verifying_key().thumbprint());
    assert_eq!(key.verifying_key().kid(), Some(key.kid()));
    let thumbprint = key.verifying_key().thumbprint().to_owned();
    let renamed = key.with_kid("2026-signing");
    assert_eq!(renamed.kid(), "2026-signing");
    assert_eq!(renamed.verifying_key().kid(), Some("2026-signing"));
    assert_eq!(
        renamed.verifying_key().to_jwk().kid.as_deref(),
        Some("2026-signing")
    );
    assert_eq!(renamed.verifying_key().thumbprint(), thumbprint);
}

#[test]
fn jwt_02_rsa_signing_is_unsupported() {
    for alg in [Algorithm::RS256, Algorithm::PS256] {
        assert_eq!(
            SigningKey::generate(alg).unwrap_err().kind(),
            &ErrorKind::UnsupportedKey("RSA signing".into())
        );
    }
    assert_eq!(
        SigningKey::from_pkcs8_pem(RSA_PEM).unwrap_err().kind(),
        &ErrorKind::UnsupportedKey("RSA signing".into())
    );
}

#[test]
fn non_pkcs8_pem_rejected() {
    let sec1 = P256_PEM.replace("PRIVATE KEY", "EC PRIVATE KEY");
    assert!(matches!(
        SigningKey::from_pkcs8_pem(&sec1).unwrap_err().kind(),
        ErrorKind::InvalidKey(_)
    ));
    assert!(matches!(
        SigningKey::from_pkcs8_pem("hello").unwrap_err().kind(),
        ErrorKind::InvalidKey(_)
    ));
}

#[test]
fn signing_key_debug_is_redacted() {
    let key = SigningKey::from_pkcs8_pem(P256_PEM).unwrap();
    assert_eq!(
        format!("{key:?}"),
        format!(
            "SigningKey {{ alg: ES256, kid: \"{}\", key: [redacted] }}",
            key.kid()
        )
    );
}

// ---- robustness ----

fn member() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        "[A-Za-z0-9_-]{0,400}".prop_map(Some),
        ".{0,64}".prop_map(Some),
    ]
}

prop_compose! {
    fn any_jwk()(
        kty in prop_oneof![
            Just("EC".to_owned()),
            Just("RSA".to_owned()),
            Just("OKP".to_owned()),
            Just("oct".to_owned()),
            ".{0,8}",
        ],
        crv in prop_oneof![Just(Some("P-256".to_owned())), Just(Some("Ed25519".to_owned())), member()],
        alg in prop_oneof![Just(None), Just(Some("ES256".to_owned())), Just(Some("PS256".to_owned())), member()],
        use_ in prop_oneof![Just(None), Just(Some("sig".to_owned())), member()],
        x in member(), y in member(), n in member(), e in member(),
    ) -> Jwk {
        let mut jwk = Jwk::new(kty);
        jwk.crv = crv;
        jwk.alg = alg;
        jwk.use_ = use_;
        jwk.x = x;
        jwk.y = y;
        jwk.n = n;
        jwk.e = e;
        jwk
    }
}

proptest! {
    #[test]
    fn from_jwk_never_panics(jwk in any_jwk()) {
        let _ = VerifyingKey::from_jwk(&jwk);
    }

    #[test]
    fn key_set_from_json_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = KeySet::from_json(&bytes);
    }

    #[test]
    fn key_set_from_json_never_panics_on_jwk_shaped_json(jwks in proptest::collection::vec(any_jwk(), 0..8)) {
        let count = jwks.len();
        let doc = serde_json::to_vec(&JwkSet::new(jwks)).unwrap();
        let set = KeySet::from_json(&doc).unwrap();
        prop_assert_eq!(set.len() + set.skipped(), count);
    }

    #[test]
    fn signing_key_parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256), text in ".{0,512}") {
        let _ = SigningKey::from_pkcs8_der(&bytes);
        let _ = SigningKey::from_pkcs8_pem(&text);
        let _ = SigningKey::from_pkcs8_pem(&format!("-----BEGIN PRIVATE KEY-----\n{text}\n-----END PRIVATE KEY-----\n"));
    }
}

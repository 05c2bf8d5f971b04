//! Property tests (proptest) of the JOSE core:
//!
//! - any token we mint verifies (IDP-15 ID-JAGs, AS-14 access tokens, JWT-10 client
//!   assertions), for random subjects, scopes, resources, lifetimes and clocks;
//! - any single-byte change to a minted token is rejected (JWT-01, JWT-09; §6 step 9);
//! - the decoders never panic on arbitrary input (JWT-01, JWT-09, JWT-11);
//! - a validly signed token with one claim mutated (type change, removal, new value) never
//!   panics and never verifies with a claim value other than the one signed (§6 step 10).
//!
//! Case counts are kept moderate so the file runs in a few seconds on either backend.
#![cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::sync::OnceLock;

use common::*;
use ema_jwt::compact::UnverifiedJws;
use ema_jwt::mint::{
    AccessTokenGrant, AccessTokenMinter, ClientAssertionMinter, IdJagGrant, IdJagMinter,
};
use ema_jwt::verify::{
    AccessTokenVerifier, ClientAssertionVerifier, IdJagVerifier, IdTokenVerifier, TrustAnchor,
};
use ema_jwt::{ErrorKind, Jwk, JwkSet, KeySet, TokenKind, VerifyingKey};
use ema_types::{ClientId, FixedClock, Issuer, Resource, ScopeSet, SystemRandom};
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::RngSeed;
use serde_json::{Map, Value, json};

/// Moderate case counts, no regression files, and a fixed seed so that every run explores
/// the same inputs (set `PROPTEST_RNG_SEED` to explore others).
fn config(cases: u32) -> ProptestConfig {
    let base = ProptestConfig::default();
    let rng_seed = if std::env::var_os("PROPTEST_RNG_SEED").is_some() {
        base.rng_seed
    } else {
        RngSeed::Fixed(0x00e3_a2026)
    };
    ProptestConfig {
        cases,
        failure_persistence: None,
        rng_seed,
        ..base
    }
}

// ---- strategies ----

/// A scope token: `1*( %x21 / %x23-5B / %x5D-7E )` (RFC 6749 §3.3).
fn scope_token() -> impl Strategy<Value = String> {
    "[!#-\\[\\]-~]{1,16}"
}

fn scope_set() -> impl Strategy<Value = ScopeSet> {
    prop::collection::vec(scope_token(), 1..6).prop_map(|s| ScopeSet::from_scopes(s).unwrap())
}

/// An https resource URI without fragment or query.
fn resource() -> impl Strategy<Value = Resource> {
    (
        "[a-z][a-z0-9-]{0,12}",
        prop::collection::vec("[a-zA-Z0-9._~-]{1,10}", 0..4),
    )
        .prop_map(|(host, path)| {
            let uri = format!("https://{host}.example/{}", path.join("/"));
            Resource::new(uri).unwrap()
        })
}

/// Subjects: any non-empty string of non-control characters.
fn subject() -> impl Strategy<Value = String> {
    "\\PC{1,40}"
}

/// A client id: VSCHAR (%x20-7E), non-empty.
fn client_id() -> impl Strategy<Value = ClientId> {
    "[ -~]{1,40}".prop_map(|s| ClientId::new(s).unwrap())
}

/// A clock between 2001 and 2096.
fn clock() -> impl Strategy<Value = u64> {
    1_000_000_000_u64..4_000_000_000
}

/// Any JSON value, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (NOW - 1000..NOW + 1000).prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        Just(json!(IDP)),
        Just(json!(AS)),
        Just(json!(CLIENT_ID)),
        Just(json!(RESOURCE)),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

// ---- shared minted tokens for the mutation properties ----

struct Minted {
    fx: Fixture,
    tokens: Vec<(TokenKind, String)>,
}

fn minted() -> &'static Minted {
    static MINTED: OnceLock<Minted> = OnceLock::new();
    MINTED.get_or_init(|| {
        let fx = Fixture::new();
        let tokens = vec![
            (TokenKind::IdJag, fx.id_jag(&id_jag_claims())),
            (TokenKind::IdJag, fx.id_jag_ed(&id_jag_claims())),
            (
                TokenKind::AccessToken,
                fx.access_token(&access_token_claims()),
            ),
            (TokenKind::IdToken, fx.id_token(&id_token_claims())),
            (
                TokenKind::ClientAssertion,
                fx.client_assertion(&client_assertion_claims()),
            ),
        ];
        for (kind, token) in &tokens {
            assert!(fx.verdict(*kind, token).is_ok(), "{kind:?}");
        }
        Minted { fx, tokens }
    })
}

// ---- any token we mint verifies ----

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn idp_15_any_minted_id_jag_verifies(
        sub in subject(),
        client in client_id(),
        scope in prop::option::of(scope_set()),
        resources in prop::collection::vec(resource(), 1..3),
        now in clock(),
        ttl in 1_u64..=600,
        elapsed in 0_u64..660,
        eddsa in any::<bool>(),
    ) {
        let fx = minted_fx();
        let key = if eddsa { fx.idp_ed.clone() } else { fx.idp_es.clone() };
        let mut grant = IdJagGrant::new(sub.clone(), Issuer::new(AS).unwrap(), client.clone());
        for r in &resources {
            grant = grant.with_resource(r.clone());
        }
        if let Some(scope) = scope {
            grant = grant.with_scope(scope);
        }
        let clock = FixedClock::new(now);
        let minted = IdJagMinter::new(Issuer::new(IDP).unwrap(), key)
            .with_ttl(ttl)
            .unwrap()
            .mint(grant, &clock, &SystemRandom)
            .unwrap();
        let verifier = IdJagVerifier::new(Issuer::new(AS).unwrap(), resources);
        // Anywhere in [iat, exp + skew) it verifies, with exactly the minted claims.
        clock.set(now + elapsed.min(ttl + 59));
        let jws = verifier.decode(minted.token.expose()).unwrap();
        let claims = verifier.verify(jws, &fx.idp_anchor(), client.as_str(), &clock).unwrap();
        prop_assert_eq!(&claims, &minted.claims);
        prop_assert_eq!(claims.sub, sub);
        prop_assert_eq!(claims.exp - claims.iat, ttl);
    }

    #[test]
    fn as_14_any_minted_access_token_verifies(
        sub in subject(),
        client in client_id(),
        scope in scope_set(),
        resource in resource(),
        now in clock(),
        ttl in 1_u64..=86_400,
    ) {
        let fx = minted_fx();
        let clock = FixedClock::new(now);
        let grant = AccessTokenGrant::new(sub, resource.clone(), client, scope);
        let minted = AccessTokenMinter::new(Issuer::new(AS).unwrap(), fx.as_key.clone())
            .with_ttl(ttl)
            .unwrap()
            .mint(grant, &clock, &SystemRandom)
            .unwrap();
        clock.set(now + ttl + 59);
        let claims = AccessTokenVerifier::new(Issuer::new(AS).unwrap(), resource)
            .verify(minted.token.expose(), &fx.as_keys, &fx.algs, &clock)
            .unwrap();
        prop_assert_eq!(claims, minted.claims);
    }

    #[test]
    fn jwt_10_any_minted_client_assertion_verifies(
        client in client_id(),
        now in clock(),
        elapsed in 0_u64..119,
    ) {
        let fx = minted_fx();
        let clock = FixedClock::new(now);
        let minted = ClientAssertionMinter::new(client.clone(), fx.client_key.clone())
            .mint(&Issuer::new(AS).unwrap(), &clock, &SystemRandom)
            .unwrap();
        clock.set(now + elapsed);
        let verifier = ClientAssertionVerifier::new(Issuer::new(AS).unwrap());
        let jws = verifier.decode(minted.token.expose()).unwrap();
        let anchor = TrustAnchor::new(client.as_str(), &fx.client_keys, &fx.algs);
        let claims = verifier.verify(jws, &anchor, &clock).unwrap();
        prop_assert_eq!(claims, minted.claims);
    }
}

fn minted_fx() -> &'static Fixture {
    &minted().fx
}

// ---- any single-byte change is rejected ----

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn jwt_09_any_single_byte_change_rejected(
        which in any::<Index>(),
        at in any::<Index>(),
        byte in any::<u8>(),
    ) {
        let m = minted();
        let (kind, token) = which.get(&m.tokens);
        let mut bytes = token.as_bytes().to_vec();
        let i = at.index(bytes.len());
        prop_assume!(bytes[i] != byte);
        bytes[i] = byte;
        // A non-UTF-8 result cannot even be presented (the API takes &str); its lossy
        // decoding is still a one-position change and must be rejected.
        let mutated = String::from_utf8_lossy(&bytes).into_owned();
        let verdict = m.fx.verdict(*kind, &mutated);
        prop_assert!(verdict.is_err(), "{kind:?}: byte {i} -> {byte:#04x} verified");
        let err = verdict.unwrap_err();
        prop_assert_eq!(err.token_kind(), Some(*kind));
        prop_assert_eq!(err.oauth_error_code(), expected_code(*kind));
    }
}

/// Deterministic companion of the property above: every position of the ES256 ID-JAG,
/// changed to the next base64url symbol (the change most likely to still decode). One token
/// only, to keep the pure-Rust debug build fast; the property covers the other kinds.
#[test]
fn jwt_09_every_position_changed_to_another_symbol_rejected() {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let m = minted();
    for (kind, token) in m.tokens.iter().take(1) {
        for i in 0..token.len() {
            let mut bytes = token.as_bytes().to_vec();
            let next = match ALPHABET.iter().position(|&c| c == bytes[i]) {
                Some(p) => ALPHABET[(p + 1) % ALPHABET.len()],
                None => b'A', // the dots
            };
            bytes[i] = next;
            let mutated = String::from_utf8(bytes).unwrap();
            assert!(
                m.fx.verdict(*kind, &mutated).is_err(),
                "{kind:?}: position {i} verified"
            );
        }
    }
}

// ---- decoders never panic ----

/// Present `input` to every decoder and verifier; only panics matter.
fn decode_everywhere(input: &str) {
    let m = minted();
    let fx = &m.fx;
    let _ = UnverifiedJws::decode(input, MAX_TOKEN_BYTES);
    let _ = UnverifiedJws::decode(input, 8);
    let _ = fx.id_jag_verifier().decode(input);
    let _ = fx.client_assertion_verifier().decode(input);
    for kind in [
        TokenKind::IdJag,
        TokenKind::AccessToken,
        TokenKind::IdToken,
        TokenKind::ClientAssertion,
    ] {
        if let Err(err) = fx.verdict(kind, input) {
            assert_eq!(err.token_kind(), Some(kind));
        }
    }
    let _ = IdTokenVerifier::new(Issuer::new(IDP).unwrap(), CLIENT_ID).verify(
        input,
        &fx.idp_keys,
        &fx.algs,
        None,
        &fx.clock,
    );
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        json_value().prop_map(|v| b64(serde_json::to_vec(&v).unwrap())),
        prop::collection::vec(any::<u8>(), 0..96).prop_map(b64),
        "[A-Za-z0-9_=+/ -]{0,40}",
        Just(String::new()),
    ]
}

/// A header built from plausible members, some of them hostile.
fn header_json() -> impl Strategy<Value = Value> {
    let alg = prop_oneof![
        Just(json!("ES256")),
        Just(json!("EdDSA")),
        Just(json!("RS256")),
        Just(json!("PS256")),
        Just(json!("none")),
        Just(json!("HS256")),
        json_value(),
    ];
    let typ = prop_oneof![
        Just(json!(TYP_ID_JAG)),
        Just(json!(TYP_AT)),
        Just(json!("JWT")),
        json_value()
    ];
    let kid = prop_oneof![
        Just(json!(IDP_ES_KID)),
        Just(json!(IDP_ED_KID)),
        json_value()
    ];
    let extra = prop::collection::btree_map(
        prop_oneof![
            Just("crit".to_owned()),
            Just("jwk".to_owned()),
            Just("b64".to_owned()),
            "[a-z]{1,4}"
        ],
        json_value(),
        0..3,
    );
    (
        prop::option::of(alg),
        prop::option::of(typ),
        prop::option::of(kid),
        extra,
    )
        .prop_map(|(alg, typ, kid, extra)| {
            let mut h: Map<String, Value> = extra.into_iter().collect();
            for (name, value) in [("alg", alg), ("typ", typ), ("kid", kid)] {
                if let Some(value) = value {
                    h.insert(name.into(), value);
                }
            }
            Value::Object(h)
        })
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn jwt_01_decoders_never_panic_on_arbitrary_strings(s in "\\PC{0,200}") {
        decode_everywhere(&s);
    }

    #[test]
    fn jwt_01_decoders_never_panic_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        decode_everywhere(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn jwt_01_decoders_never_panic_on_token_shaped_input(
        parts in prop::collection::vec(segment(), 1..7),
    ) {
        decode_everywhere(&parts.join("."));
    }

    #[test]
    fn jwt_01_decoders_never_panic_on_signed_hostile_headers(
        header in header_json(),
        claims in prop_oneof![Just(id_jag_claims()), json_value()],
    ) {
        let m = minted();
        let token = forge(&m.fx.idp_es, &header, &claims);
        decode_everywhere(&token);
        // A signed token whose header or claims are wrong is never accepted as an ID-JAG
        // unless both are exactly right.
        if m.fx.verify_id_jag(&token).is_ok() {
            prop_assert_eq!(header.get("alg"), Some(&json!("ES256")));
            prop_assert_eq!(&claims["iss"], &json!(IDP));
        }
    }
}

// ---- JWKS and JWK decoding never panics ----

fn b64_blob() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300).prop_map(|b| json!(b64(b))),
        prop::collection::vec(any::<u8>(), 32..=32).prop_map(|b| json!(b64(b))),
        prop::collection::vec(any::<u8>(), 256..=256).prop_map(|b| json!(b64(b))),
        Just(json!("AQAB")),
        Just(json!("AA")),
        Just(json!("")),
        Just(json!("=")),
        json_value(),
    ]
}

/// JWK-shaped JSON objects: known members with plausible and hostile values.
fn jwk_json() -> impl Strategy<Value = Value> {
    let kty = prop_oneof![
        Just(json!("EC")),
        Just(json!("RSA")),
        Just(json!("OKP")),
        Just(json!("oct")),
        json_value()
    ];
    let crv = prop_oneof![
        Just(json!("P-256")),
        Just(json!("Ed25519")),
        Just(json!("P-384")),
        Just(json!("X25519")),
        json_value()
    ];
    let alg = prop_oneof![
        Just(json!("ES256")),
        Just(json!("RS256")),
        Just(json!("PS256")),
        Just(json!("EdDSA")),
        Just(json!("HS256")),
        json_value()
    ];
    let use_ = prop_oneof![Just(json!("sig")), Just(json!("enc")), json_value()];
    let members = (
        prop::option::of(kty),
        prop::option::of(crv),
        prop::option::of(alg),
        prop::option::of(use_),
        prop::option::of(b64_blob()),
        prop::option::of(b64_blob()),
        prop::option::of(b64_blob()),
        prop::option::of(b64_blob()),
        prop::option::of(b64_blob()),
    );
    members.prop_map(|(kty, crv, alg, use_, x, y, n, e, d)| {
        let mut m = Map::new();
        for (name, value) in [
            ("kty", kty),
            ("crv", crv),
            ("alg", alg),
            ("use", use_),
            ("x", x),
            ("y", y),
            ("n", n),
            ("e", e),
            ("d", d),
        ] {
            if let Some(value) = value {
                m.insert(name.into(), value);
            }
        }
        Value::Object(m)
    })
}

fn parse_jwk_everywhere(value: &Value) {
    if let Ok(jwk) = serde_json::from_value::<Jwk>(value.clone())
        && let Ok(key) = VerifyingKey::from_jwk(&jwk)
    {
        // A key that parses publishes a JWK that parses back to the same thumbprint.
        let again = VerifyingKey::from_jwk(&key.to_jwk()).unwrap();
        assert_eq!(again.thumbprint(), key.thumbprint());
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn jwt_09_keyset_from_json_never_panics_on_arbitrary_bytes(
        bytes in prop::collection::vec(any::<u8>(), 0..400),
    ) {
        let _ = KeySet::from_json(&bytes);
        let _ = serde_json::from_slice::<JwkSet>(&bytes);
        let _ = serde_json::from_slice::<Jwk>(&bytes);
    }

    #[test]
    fn jwt_09_jwk_decoding_never_panics_on_jwk_shaped_json(keys in prop::collection::vec(jwk_json(), 0..5)) {
        for key in &keys {
            parse_jwk_everywhere(key);
        }
        let doc = serde_json::to_vec(&json!({ "keys": keys })).unwrap();
        let set = KeySet::from_json(&doc).unwrap();
        prop_assert_eq!(set.len() + set.skipped(), keys.len());
        if let Ok(jwks) = serde_json::from_slice::<JwkSet>(&doc) {
            let from_jwks = KeySet::from_jwks(&jwks);
            prop_assert_eq!(from_jwks.len(), set.len());
        }
    }

    #[test]
    fn jwt_09_jwk_decoding_never_panics_on_arbitrary_strings(s in "\\PC{0,200}") {
        if let Ok(value) = serde_json::from_str::<Value>(&s) {
            parse_jwk_everywhere(&value);
        }
        let _ = KeySet::from_json(s.as_bytes());
    }

    #[test]
    fn jwt_09_real_key_with_one_member_mutated_never_panics(
        which in 0_usize..4,
        member in select(vec!["kty", "crv", "x", "y", "n", "e", "alg", "use", "kid", "key_ops"]),
        value in prop::option::of(b64_blob()),
    ) {
        let fx = minted_fx();
        let base = match which {
            0 => fx.idp_es.verifying_key().to_jwk(),
            1 => fx.idp_ed.verifying_key().to_jwk(),
            2 => rsa_jwk(None),
            _ => rsa_jwk(Some(ema_jwt::Algorithm::PS256)),
        };
        let mut value_json = serde_json::to_value(base).unwrap();
        match value {
            Some(v) => value_json[member] = v,
            None => {
                value_json.as_object_mut().unwrap().remove(member);
            }
        }
        parse_jwk_everywhere(&value_json);
    }
}

// ---- structure-aware: one claim mutated, validly signed ----

#[derive(Debug, Clone)]
enum Mutation {
    Remove,
    Set(Value),
}

const ID_JAG_CLAIMS: [&str; 23] = [
    "iss",
    "sub",
    "aud",
    "client_id",
    "jti",
    "iat",
    "exp",
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
    "authorization_details",
    "act",
    "x-vendor",
    "",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        1 => Just(Mutation::Remove),
        6 => json_value().prop_map(Mutation::Set),
        1 => "[a-z:]{1,8}( [a-z:]{1,8}){0,3}".prop_map(|s| Mutation::Set(json!(s))),
        1 => prop::collection::vec(
            prop_oneof![Just(RESOURCE.to_owned()), Just(AS.to_owned()), ".{0,8}".prop_map(String::from)],
            0..3,
        )
        .prop_map(|v| Mutation::Set(json!(v))),
    ]
}

/// JSON as the verifier's typed claims print it, for comparison with what was signed:
/// scopes compared as sets, null members of objects dropped (absent == null for optional
/// members), and non-integer numbers compared to 12 significant digits: without its
/// `float_roundtrip` feature serde_json may parse a float 1 ULP away from the one it printed
/// (for example `-1.278390624730681e69`), which only unknown claims can carry (every time
/// claim must be an integer, §6 step 10).
fn normalize(mut value: Value) -> Value {
    fn canonical(v: &mut Value) {
        match v {
            Value::Object(m) => {
                m.retain(|_, x| !x.is_null());
                m.values_mut().for_each(canonical);
            }
            Value::Array(items) => items.iter_mut().for_each(canonical),
            Value::Number(n) if n.is_f64() => {
                *v = json!(format!("{:.11e}", n.as_f64().unwrap()));
            }
            _ => {}
        }
    }
    canonical(&mut value);
    if let Some(scope) = value.get_mut("scope")
        && let Some(s) = scope.as_str()
        && let Ok(set) = ScopeSet::parse(s)
    {
        *scope = json!(set.to_string());
    }
    value
}

fn mutate(mut claims: Value, name: &str, mutation: &Mutation) -> Value {
    let map = claims.as_object_mut().unwrap();
    match mutation {
        Mutation::Remove => {
            map.remove(name);
        }
        Mutation::Set(v) => {
            map.insert(name.to_owned(), v.clone());
        }
    }
    claims
}

/// Rejections a validly signed token can get from claim content alone.
fn is_claim_rejection(kind: &ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::MissingClaim(_)
            | ErrorKind::InvalidClaim(_)
            | ErrorKind::UntrustedIssuer
            | ErrorKind::AudienceMismatch
            | ErrorKind::MultipleAudiences(_)
            | ErrorKind::ClientIdMismatch
            | ErrorKind::Expired
            | ErrorKind::NotYetValid
            | ErrorKind::IssuedInFuture
            | ErrorKind::LifetimeTooLong { .. }
            | ErrorKind::MissingResource
            | ErrorKind::ResourceMismatch
    )
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn step_10_id_jag_with_one_claim_mutated_never_verifies_another_value(
        name in select(ID_JAG_CLAIMS.to_vec()),
        mutation in mutation(),
    ) {
        let fx = minted_fx();
        let signed = mutate(id_jag_claims(), name, &mutation);
        let token = fx.id_jag(&signed);
        match fx.verify_id_jag(&token) {
            Ok(claims) => {
                let verified = normalize(serde_json::to_value(&claims).unwrap());
                prop_assert_eq!(verified, normalize(signed));
            }
            Err(err) => {
                prop_assert!(is_claim_rejection(err.kind()), "{name}: {err:?}");
                prop_assert_eq!(err.token_kind(), Some(TokenKind::IdJag));
            }
        }
    }

    #[test]
    fn rs_03_access_token_with_one_claim_mutated_never_verifies_another_value(
        name in select(vec![
            "iss", "sub", "aud", "client_id", "jti", "iat", "exp", "nbf", "scope",
            "auth_time", "acr", "amr", "cnf", "x-vendor",
        ]),
        mutation in mutation(),
    ) {
        let fx = minted_fx();
        let signed = mutate(access_token_claims(), name, &mutation);
        let token = fx.access_token(&signed);
        match fx.verify_access_token(&token) {
            Ok(claims) => {
                let verified = normalize(serde_json::to_value(&claims).unwrap());
                prop_assert_eq!(verified, normalize(signed));
            }
            Err(err) => {
                prop_assert!(is_claim_rejection(err.kind()), "{name}: {err:?}");
                prop_assert_eq!(err.token_kind(), Some(TokenKind::AccessToken));
            }
        }
    }

    #[test]
    fn jwt_10_client_assertion_with_one_claim_mutated_never_verifies_another_value(
        name in select(vec!["iss", "sub", "aud", "jti", "iat", "exp", "nbf", "x-vendor"]),
        mutation in mutation(),
    ) {
        let fx = minted_fx();
        let signed = mutate(client_assertion_claims(), name, &mutation);
        let token = fx.client_assertion(&signed);
        match fx.verify_client_assertion(&token) {
            Ok(claims) => {
                let verified = normalize(serde_json::to_value(&claims).unwrap());
                prop_assert_eq!(verified, normalize(signed));
            }
            Err(err) => {
                prop_assert!(
                    is_claim_rejection(err.kind()) || err.kind() == &ErrorKind::SubjectMismatch,
                    "{name}: {err:?}"
                );
                prop_assert_eq!(err.token_kind(), Some(TokenKind::ClientAssertion));
            }
        }
    }
}

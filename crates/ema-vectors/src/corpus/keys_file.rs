//! `keys.json`: every key (public and private) and the JWKS documents the verifiers get.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::Gen;
use crate::jose::{Key, b64, sha256};
use crate::keys as k;
use crate::schema::{KeyEntry, KeysFile, SCHEMA};
use crate::{Error, Result};

pub(super) fn file(g: &Gen) -> Result<KeysFile> {
    let all = [
        &g.idp_es,
        &g.idp_ed,
        &g.idp_rs,
        &g.idp_next,
        &g.other_idp,
        &g.as_key,
        &g.client,
        &g.dpop,
        &g.attacker,
    ];
    let keys: BTreeMap<String, KeyEntry> = all
        .iter()
        .map(|key| (key.name.to_owned(), entry(key)))
        .collect();
    let mut jwks = BTreeMap::new();
    jwks.insert(
        k::JWKS_IDP.to_owned(),
        set(&[&g.idp_es, &g.idp_ed, &g.idp_rs]),
    );
    jwks.insert(
        k::JWKS_IDP_ROTATING.to_owned(),
        set(&[&g.idp_es, &g.idp_next]),
    );
    jwks.insert(k::JWKS_OTHER_IDP.to_owned(), set(&[&g.other_idp]));
    jwks.insert(k::JWKS_AS.to_owned(), set(&[&g.as_key]));
    jwks.insert(k::JWKS_CLIENT.to_owned(), set(&[&g.client]));
    jwks.insert(k::JWKS_IDP_UNUSABLE.to_owned(), unusable(g)?);
    Ok(KeysFile {
        schema: SCHEMA.to_owned(),
        description: "TEST-ONLY keys of the ema-vectors corpus, published with it: never use them for anything else.".to_owned(),
        keys,
        jwks,
    })
}

fn entry(key: &Key) -> KeyEntry {
    KeyEntry {
        kid: key.kid.to_owned(),
        alg: key.alg().to_owned(),
        origin: key.origin.clone(),
        public_jwk: key.public_jwk(),
        private_jwk: key.private_jwk(),
        pkcs8_pem: key.pem.clone(),
    }
}

/// `jwk` with some members replaced or added.
fn with(mut jwk: Value, members: &[(&str, Value)]) -> Value {
    if let Some(obj) = jwk.as_object_mut() {
        if members.iter().any(|(n, _)| *n == "key_ops") {
            obj.remove("use");
        }
        for (name, value) in members {
            obj.insert((*name).to_owned(), value.clone());
        }
    }
    jwk
}

fn set(keys: &[&Key]) -> Value {
    json!({ "keys": keys.iter().map(|k| k.public_jwk()).collect::<Vec<_>>() })
}

/// The IdP ES256 key next to entries a verifier must skip: an off-curve point ("wrong curve
/// point"), a P-384 key, a 1024-bit RSA modulus, an `oct` key, and the IdP key itself
/// published for encryption (`use` `enc`, `key_ops` without `verify`) or pinned to RS256.
fn unusable(g: &Gen) -> Result<Value> {
    let (x, mut y) = g
        .idp_es
        .ec_point()
        .ok_or_else(|| Error::new("EC key expected"))?;
    if let Some(last) = y.last_mut() {
        *last ^= 0x01;
    }
    let rsa = g.idp_rs.public_jwk();
    let n = rsa
        .get("n")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::new("RSA modulus expected"))?;
    let modulus = {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(n)
            .map_err(Error::new)?
    };
    let mut short = modulus.get(..128).unwrap_or_default().to_vec();
    if let Some(last) = short.last_mut() {
        *last |= 1;
    }
    let short_n = b64(short);
    let p384 = sha256("ema-vectors/1 p384 x");
    let p384_y = sha256("ema-vectors/1 p384 y");
    Ok(json!({ "keys": [
        {"kty": "EC", "crv": "P-256", "kid": "off-curve", "use": "sig", "alg": "ES256", "x": b64(&x), "y": b64(&y)},
        {"kty": "EC", "crv": "P-384", "kid": "p384", "use": "sig", "alg": "ES384",
         "x": b64([p384, p384].concat().get(..48).unwrap_or_default()), "y": b64([p384_y, p384_y].concat().get(..48).unwrap_or_default())},
        {"kty": "RSA", "kid": "weak-rsa", "use": "sig", "alg": "RS256", "n": short_n, "e": "AQAB"},
        {"kty": "oct", "kid": "hmac", "k": b64("secret")},
        with(g.idp_es.public_jwk(), &[("kid", json!("enc-use")), ("use", json!("enc"))]),
        with(g.idp_es.public_jwk(), &[("kid", json!("ops-encrypt")), ("key_ops", json!(["encrypt"]))]),
        with(g.idp_es.public_jwk(), &[("kid", json!("ec-declares-rs256")), ("alg", json!("RS256"))]),
        g.idp_es.public_jwk(),
    ]}))
}

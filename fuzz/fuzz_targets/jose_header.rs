//! The JOSE header on its decoded layer: the input is the header JSON itself, wrapped in a
//! token with a fixed valid payload and signature.
//!
//! Property: an accepted header has an `alg` this crate implements, no `crit`, no
//! key-bearing parameter (`jwk`, `jku`, `x5u`, `x5c`), no repeated member, and its `typ`,
//! `kid` and `cty` are the JSON strings sent.
#![no_main]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ema_jwt::Algorithm;
use ema_jwt::compact::{DEFAULT_MAX_TOKEN_BYTES, UnverifiedJws};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let token = format!(
        "{}.eyJpc3MiOiJodHRwczovL2FzLnRvb2xodWIudGVzdCJ9.AA",
        URL_SAFE_NO_PAD.encode(data)
    );
    let Ok(jws) = UnverifiedJws::decode(&token, DEFAULT_MAX_TOKEN_BYTES) else {
        return;
    };
    let header = jws.header();
    assert!(Algorithm::ALL.contains(&header.alg));
    let raw: serde_json::Map<String, Value> =
        serde_json::from_slice(data).expect("an accepted header is a JSON object");
    assert_eq!(
        raw.get("alg").and_then(Value::as_str),
        Some(header.alg.as_str())
    );
    for name in ["crit", "jwk", "jku", "x5u", "x5c"] {
        assert!(!raw.contains_key(name), "accepted header `{name}`");
    }
    assert_eq!(
        raw.get("typ").and_then(Value::as_str),
        header.typ.as_deref()
    );
    assert_eq!(
        raw.get("kid").and_then(Value::as_str),
        header.kid.as_deref()
    );
    assert_eq!(
        raw.get("cty").and_then(Value::as_str),
        header.cty.as_deref()
    );
    assert_eq!(raw.contains_key("typ"), header.typ.is_some());
});

//! JWK Sets: `KeySet::from_json` (keys validated and parsed once, JWT-05) and the serde
//! `JwkSet`.
//!
//! Property: a loaded set holds no private material, and publishing it (`to_jwks`) and
//! loading that again gives the same keys (same count, `kid`s, algorithms, thumbprints).
#![no_main]

use ema_jwt::{JwkSet, KeySet};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<JwkSet>(data);
    let Ok(set) = KeySet::from_json(data) else {
        return;
    };
    let published = set.to_jwks();
    let json = serde_json::to_vec(&published).expect("JWKS serializes");
    let again = KeySet::from_json(&json).expect("a published set loads");
    assert_eq!(again.len(), set.len());
    assert_eq!(again.skipped(), 0);
    for (a, b) in set.iter().zip(again.iter()) {
        assert_eq!(a.kid(), b.kid());
        assert_eq!(a.algorithm(), b.algorithm());
        assert_eq!(a.thumbprint(), b.thumbprint());
        assert!(!a.to_jwk().has_private_material());
    }
});

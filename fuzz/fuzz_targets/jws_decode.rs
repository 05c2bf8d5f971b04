//! Compact JWS on raw strings: size cap, split, strict base64url, header and payload JSON,
//! and the `decode` step of the ID-JAG and client-assertion verifiers.
//!
//! Property: a decoded token has exactly three non-empty segments, its signing input is the
//! text before the last `.`, and each segment is canonical unpadded base64url of what was
//! decoded (no padding, no other alphabet, no stray bits).
#![no_main]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ema_jwt::compact::{DEFAULT_MAX_TOKEN_BYTES, UnverifiedJws};
use ema_jwt::verify::{ClientAssertionVerifier, IdJagVerifier};
use ema_types::{Issuer, Resource};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(jws) = UnverifiedJws::decode(token, DEFAULT_MAX_TOKEN_BYTES) {
        assert!(token.len() <= DEFAULT_MAX_TOKEN_BYTES);
        let segments: Vec<&str> = token.split('.').collect();
        assert_eq!(segments.len(), 3);
        assert!(segments.iter().all(|s| !s.is_empty()));
        let (input, sig) = token.rsplit_once('.').expect("three segments");
        assert_eq!(jws.signing_input(), input.as_bytes());
        assert_eq!(URL_SAFE_NO_PAD.encode(jws.signature()), sig);
        for segment in segments.iter().take(2) {
            let bytes = URL_SAFE_NO_PAD.decode(segment).expect("decoded segment");
            assert_eq!(&URL_SAFE_NO_PAD.encode(&bytes), segment);
        }
        assert_eq!(
            jws.unverified_issuer(),
            jws.claims().get("iss").and_then(|v| v.as_str())
        );
    }
    if let (Ok(aud), Ok(res)) = (
        Issuer::new("https://as.toolhub.test"),
        Resource::new("https://tools.toolhub.test/mcp"),
    ) {
        let _ = IdJagVerifier::new(aud.clone(), [res]).decode(token);
        let _ = ClientAssertionVerifier::new(aud).decode(token);
    }
});

//! Compact JWS splitting, base64url, header and payload JSON, and each verifier's decode step.
#![no_main]

use ema_jwt::compact::{DEFAULT_MAX_TOKEN_BYTES, UnverifiedJws};
use ema_jwt::verify::{ClientAssertionVerifier, IdJagVerifier};
use ema_types::{Issuer, Resource};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let _ = UnverifiedJws::decode(token, DEFAULT_MAX_TOKEN_BYTES);
    if let (Ok(aud), Ok(res)) = (
        Issuer::new("https://as.example"),
        Resource::new("https://mcp.example/mcp"),
    ) {
        let _ = IdJagVerifier::new(aud.clone(), [res]).decode(token);
        let _ = ClientAssertionVerifier::new(aud).decode(token);
    }
});

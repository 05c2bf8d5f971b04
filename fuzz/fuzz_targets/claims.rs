//! Each claims type (ID-JAG, access token, ID token, client assertion) from JSON, and the
//! same bytes as the payload of a compact JWS.
//!
//! Property: whatever deserializes serializes and deserializes to an equal value; a payload
//! the JWS layer accepts is a JSON object.
#![no_main]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ema_jwt::compact::{DEFAULT_MAX_TOKEN_BYTES, UnverifiedJws};
use ema_types::claims::{AccessTokenClaims, ClientAssertionClaims, IdJagClaims, IdTokenClaims};
use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;

fn round_trip<C: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(data: &[u8]) {
    if let Ok(claims) = serde_json::from_slice::<C>(data) {
        let json = serde_json::to_vec(&claims).expect("claims serialize");
        let again: C = serde_json::from_slice(&json).expect("serialized claims parse");
        assert_eq!(again, claims);
    }
}

fuzz_target!(|data: &[u8]| {
    round_trip::<IdJagClaims>(data);
    round_trip::<AccessTokenClaims>(data);
    round_trip::<IdTokenClaims>(data);
    round_trip::<ClientAssertionClaims>(data);
    // The decoded layer: these bytes as a token payload (JWT-11: repeated members refused).
    let token = format!(
        "eyJhbGciOiJFZERTQSIsInR5cCI6Im9hdXRoLWlkLWphZytqd3QifQ.{}.AA",
        URL_SAFE_NO_PAD.encode(data)
    );
    if let Ok(jws) = UnverifiedJws::decode(&token, DEFAULT_MAX_TOKEN_BYTES) {
        let parsed: serde_json::Value =
            serde_json::from_slice(data).expect("an accepted payload is JSON");
        assert_eq!(parsed.as_object(), Some(&jws.claims().to_map()));
    }
});

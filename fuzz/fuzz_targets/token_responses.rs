//! Token endpoint responses as a client reads them: RFC 6749 §5.1 `TokenResponse`, RFC 8693
//! `TokenExchangeResponse`, RFC 6749 §5.2 `ErrorResponse` (with `ErrorCode`).
//!
//! Property: whatever deserializes serializes and deserializes to an equal value, and an
//! error code's string form parses back to the same code.
#![no_main]

use ema_types::{ErrorCode, ErrorResponse, TokenExchangeResponse, TokenResponse};
use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(data: &[u8]) {
    if let Ok(value) = serde_json::from_slice::<T>(data) {
        let json = serde_json::to_vec(&value).expect("serializes");
        let again: T = serde_json::from_slice(&json).expect("serialized response parses");
        assert_eq!(again, value);
    }
}

fuzz_target!(|data: &[u8]| {
    round_trip::<TokenResponse>(data);
    round_trip::<TokenExchangeResponse>(data);
    round_trip::<ErrorResponse>(data);
    if let Ok(err) = serde_json::from_slice::<ErrorResponse>(data) {
        let _ = err.to_string();
        assert_eq!(ErrorCode::parse(err.error.as_str()), err.error);
    }
    if let Ok(resp) = serde_json::from_slice::<TokenExchangeResponse>(data) {
        let _ = resp.is_id_jag();
    }
});

//! JWK Set parsing and key construction.
#![no_main]

use ema_jwt::KeySet;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = KeySet::from_json(data);
});

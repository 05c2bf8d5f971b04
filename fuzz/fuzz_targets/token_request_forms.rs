//! Form bodies of both token endpoints.
#![no_main]

use ema_types::{Form, JwtBearerRequest, TokenExchangeRequest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(form) = Form::decode(data) {
        let _ = TokenExchangeRequest::from_form(&form);
        let _ = JwtBearerRequest::from_form(&form);
        // Whatever decodes must encode and decode to the same form.
        let again = Form::decode(form.encode().as_bytes());
        assert_eq!(again.ok(), Some(form));
    }
});

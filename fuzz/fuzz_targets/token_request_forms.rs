//! Form bodies of both token endpoints: the strict `application/x-www-form-urlencoded` codec,
//! RFC 8693 token exchange (IdP) and RFC 7523 JWT bearer (resource AS).
//!
//! Property: a decoded form encodes and decodes to the same form; a decoded request encodes
//! to a form that decodes to the same request.
#![no_main]

use ema_types::{Form, JwtBearerRequest, TokenExchangeRequest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(form) = Form::decode(data) else {
        return;
    };
    let again = Form::decode(form.encode().as_bytes());
    assert_eq!(again.ok(), Some(form.clone()));
    if let Ok(req) = TokenExchangeRequest::from_form(&form) {
        let body = req.to_form().encode();
        assert_eq!(
            TokenExchangeRequest::decode(body.as_bytes()).ok(),
            Some(req)
        );
    }
    if let Ok(req) = JwtBearerRequest::from_form(&form) {
        let body = req.to_form().encode();
        assert_eq!(JwtBearerRequest::decode(body.as_bytes()).ok(), Some(req));
    }
});

//! `WWW-Authenticate` header values (RFC 9110 §11.6.1, RFC 6750 §3, RFC 9728 §5.1), as a
//! client reads them from a `401`.
//!
//! Property: parse → format → parse gives the same challenges, and the formatted value is a
//! header value of the same bytes; the typed accessors never panic.
#![no_main]

use ema_metadata::challenge::{
    find_resource_metadata, format_www_authenticate, parse_www_authenticate,
    www_authenticate_header_value,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(challenges) = parse_www_authenticate(value) else {
        return;
    };
    for c in &challenges {
        let _ = (
            c.realm(),
            c.scope(),
            c.scopes(),
            c.error(),
            c.error_description(),
        );
        let _ = (c.error_uri(), c.resource_metadata(), c.algs(), c.token68());
        let _ = c.scheme().is_oauth();
    }
    let _ = find_resource_metadata(&challenges);
    let formatted = format_www_authenticate(&challenges);
    let again = parse_www_authenticate(&formatted)
        .unwrap_or_else(|e| panic!("formatted value {formatted:?} does not parse: {e:?}"));
    assert_eq!(again, challenges, "round trip through {formatted:?}");
    if let Ok(header) = www_authenticate_header_value(&challenges) {
        assert_eq!(header.as_bytes(), formatted.as_bytes());
    }
});

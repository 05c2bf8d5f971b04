//! What every token request must be before its body is read (IDP-01, AS-01).

use ema_types::{ErrorCode, Form, MAX_FORM_BYTES, urn};
use http::{Method, StatusCode};

use super::{HttpRequest, Rejection};

/// Largest token-request body accepted.
pub const MAX_TOKEN_REQUEST_BYTES: usize = MAX_FORM_BYTES;

/// Check method (`POST`, else 405), media type (`application/x-www-form-urlencoded`, else 415)
/// and size (else 413), then decode the form strictly (else 400 `invalid_request`).
pub fn preflight(request: &HttpRequest) -> Result<Form, Rejection> {
    if request.method() != Method::POST {
        return Err(
            Rejection::new(ErrorCode::InvalidRequest, "method not allowed")
                .with_status(StatusCode::METHOD_NOT_ALLOWED),
        );
    }
    let media_type = request
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::trim);
    if !media_type.is_some_and(|m| m.eq_ignore_ascii_case(urn::MEDIA_TYPE_FORM)) {
        return Err(
            Rejection::new(ErrorCode::InvalidRequest, "unsupported media type")
                .with_status(StatusCode::UNSUPPORTED_MEDIA_TYPE),
        );
    }
    if request.body().len() > MAX_TOKEN_REQUEST_BYTES {
        return Err(Rejection::new(ErrorCode::InvalidRequest, "body too large")
            .with_status(StatusCode::PAYLOAD_TOO_LARGE));
    }
    Ok(Form::decode(request.body())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: Method, ct: Option<&str>, body: &[u8]) -> HttpRequest {
        let mut b = http::Request::builder().method(method).uri("/token");
        if let Some(ct) = ct {
            b = b.header("content-type", ct);
        }
        b.body(body.to_vec()).unwrap()
    }

    #[test]
    fn idp_01_method_media_type_and_size() {
        assert_eq!(
            preflight(&req(Method::GET, None, b"")).unwrap_err().status,
            StatusCode::METHOD_NOT_ALLOWED
        );
        assert_eq!(
            preflight(&req(Method::POST, Some("application/json"), b"{}"))
                .unwrap_err()
                .status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        let big = vec![b'a'; MAX_TOKEN_REQUEST_BYTES + 1];
        assert_eq!(
            preflight(&req(Method::POST, Some(urn::MEDIA_TYPE_FORM), &big))
                .unwrap_err()
                .status,
            StatusCode::PAYLOAD_TOO_LARGE
        );
        let ok = preflight(&req(
            Method::POST,
            Some("Application/X-WWW-Form-Urlencoded; charset=UTF-8"),
            b"grant_type=x",
        ))
        .unwrap();
        assert_eq!(ok.single("grant_type").unwrap(), Some("x"));
        let bad = preflight(&req(Method::POST, Some(urn::MEDIA_TYPE_FORM), b"a=%zz")).unwrap_err();
        assert_eq!(
            (bad.status, bad.code),
            (StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest)
        );
    }
}

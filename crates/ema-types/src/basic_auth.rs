//! HTTP Basic client credentials (`client_secret_basic`, RFC 6749 §2.3.1).
//!
//! The client id and secret are each `application/x-www-form-urlencoded` before being joined
//! with `:` and base64-encoded, so ids and secrets containing `:` or non-ASCII survive.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::error::{FormError, FormErrorKind};
use crate::{ClientId, Secret};

fn form_encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The `Authorization` header value for `client_secret_basic`.
///
/// ```
/// use ema_types::{basic_auth, ClientId, Secret};
/// let id = ClientId::new("desk-7f3a")?;
/// let value = basic_auth::encode(&id, &Secret::new("s4pr-example-secret"));
/// assert_eq!(value, "Basic ZGVzay03ZjNhOnM0cHItZXhhbXBsZS1zZWNyZXQ=");
/// let (id2, secret) = basic_auth::decode(&value)?;
/// assert_eq!(id2, id);
/// assert_eq!(secret.expose(), "s4pr-example-secret");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn encode(client_id: &ClientId, secret: &Secret) -> String {
    let joined = format!(
        "{}:{}",
        form_encode(client_id.as_str()),
        form_encode(secret.expose())
    );
    format!("Basic {}", STANDARD.encode(joined.as_bytes()))
}

/// Decode an `Authorization: Basic …` value into a client id and secret.
///
/// The scheme is matched case-insensitively. Errors name the `authorization` parameter; the
/// caller answers them with `invalid_client` or `invalid_request` as its rules say.
pub fn decode(header_value: &str) -> Result<(ClientId, Secret), FormError> {
    let bad = || FormError::param(FormErrorKind::InvalidValue, "authorization");
    let (scheme, rest) = header_value.trim().split_once(' ').ok_or_else(bad)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(bad());
    }
    let raw = STANDARD.decode(rest.trim()).map_err(|_| bad())?;
    let raw = zeroize::Zeroizing::new(raw);
    let colon = raw.iter().position(|&b| b == b':').ok_or_else(bad)?;
    let decode_part = |part: &[u8]| crate::form::decode_component(part, None).map_err(|_| bad());
    let id = decode_part(raw.get(..colon).unwrap_or_default())?;
    let secret = decode_part(raw.get(colon + 1..).unwrap_or_default())?;
    let id = ClientId::new(id).map_err(|_| bad())?;
    Ok((id, Secret::new(secret)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_characters_are_form_encoded_first() {
        let id = ClientId::new("a:b c").unwrap();
        let secret = Secret::new("p@ss:wörd+&=");
        let header = encode(&id, &secret);
        let raw = STANDARD
            .decode(header.strip_prefix("Basic ").unwrap())
            .unwrap();
        assert_eq!(
            String::from_utf8(raw).unwrap(),
            "a%3Ab+c:p%40ss%3Aw%C3%B6rd%2B%26%3D"
        );
        let (id2, secret2) = decode(&header).unwrap();
        assert_eq!(id2, id);
        assert_eq!(secret2, secret);
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "Bearer abc",
            "Basic",
            "Basic !!!",
            "Basic Zm9v",
            "Basic OnNlY3JldA==",
        ] {
            assert_eq!(
                decode(bad).unwrap_err(),
                FormError::param(FormErrorKind::InvalidValue, "authorization"),
                "{bad}"
            );
        }
        assert!(decode("basic ZGVzazpzZWNyZXQ=").is_ok());
    }
}

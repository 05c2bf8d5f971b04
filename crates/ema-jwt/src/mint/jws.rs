//! Signing a claims set into a compact JWS.

use serde::Serialize;

use crate::b64;
use crate::error::{Error, ErrorKind};
use crate::header::Header;
use crate::key::SigningKey;

/// Sign `claims` with `key` into a compact JWS whose header holds the key's `alg` and `kid`
/// and the given `typ` (short form, JWT-04).
///
/// ```
/// # use ema_jwt::{Algorithm, SigningKey, mint::sign_jws};
/// let key = SigningKey::generate(Algorithm::ES256)?;
/// let jwt = sign_jws(&key, Some("JWT"), &serde_json::json!({"iss": "https://op.example"}))?;
/// assert_eq!(jwt.split('.').count(), 3);
/// # Ok::<(), ema_jwt::Error>(())
/// ```
pub fn sign_jws<C: Serialize>(
    key: &SigningKey,
    typ: Option<&str>,
    claims: &C,
) -> Result<String, Error> {
    let header = Header::new(key.algorithm(), typ, Some(key.kid()));
    sign_with_header_json(key, &header.to_json()?, claims)
}

/// Sign `claims` with `key` under a header given as its JSON bytes. Only minters whose header
/// carries more than `alg`, `typ` and `kid` use this (the DPoP proof's `jwk`).
pub(crate) fn sign_with_header_json<C: Serialize>(
    key: &SigningKey,
    header_json: &[u8],
    claims: &C,
) -> Result<String, Error> {
    let payload = serde_json::to_vec(claims).map_err(|_| ErrorKind::Serialization)?;
    let mut out = String::with_capacity((header_json.len() + payload.len()) * 4 / 3 + 100);
    out.push_str(&b64::encode(header_json));
    out.push('.');
    out.push_str(&b64::encode(&payload));
    let signature = key.sign(out.as_bytes())?;
    out.push('.');
    out.push_str(&b64::encode(&signature));
    Ok(out)
}

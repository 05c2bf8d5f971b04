//! Minting: ID-JAGs (IDP-15), RFC 9068 access tokens (AS-14), OpenID Connect ID tokens (the
//! IdP's own code flow, CL-02), `private_key_jwt` client assertions (JWT-10), RFC 9449 DPoP
//! proofs (CL-23), and any JWS from a serializable claims set.
//!
//! Minters fill `iss`, `iat`, `exp` and a `jti` of 128 random bits from the injected clock and
//! random source, and write the header `alg`, `typ` and `kid` from the signing key.

mod access_token;
mod client_assertion;
mod dpop;
mod id_jag;
mod id_token;
mod jws;

pub use access_token::{
    ACCESS_TOKEN_DEFAULT_TTL_SECS, ACCESS_TOKEN_MAX_TTL_SECS, AccessTokenGrant, AccessTokenMinter,
};
pub use client_assertion::{CLIENT_ASSERTION_TTL_SECS, ClientAssertionMinter};
pub use dpop::DpopProofMinter;
pub use id_jag::{ID_JAG_DEFAULT_TTL_SECS, IdJagGrant, IdJagMinter};
pub use id_token::{
    ID_TOKEN_DEFAULT_TTL_SECS, ID_TOKEN_MAX_TTL_SECS, ID_TOKEN_TYP, IdTokenGrant, IdTokenMinter,
};
pub use jws::sign_jws;

use ema_types::Secret;

/// Bytes of randomness in a minted `jti`: 128 bits (IDP-15).
pub const JTI_BYTES: usize = 16;

/// A minted token and the claims it carries.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Minted<C> {
    /// The compact JWS (a credential: redacted in `Debug`).
    pub token: Secret,
    /// The claims written into it.
    pub claims: C,
}

/// Sign `claims` with `key` under `typ` and keep the claims beside the token.
pub(crate) fn seal<C: serde::Serialize>(
    key: &crate::SigningKey,
    typ: &str,
    claims: C,
) -> Result<Minted<C>, crate::Error> {
    let token = sign_jws(key, Some(typ), &claims)?;
    Ok(Minted {
        token: Secret::new(token),
        claims,
    })
}

pub(crate) use crate::verify::rules::checked_lifetime;

pub(crate) fn new_jti(rng: &dyn ema_types::SecureRandom) -> Result<String, crate::Error> {
    rng.token_id(JTI_BYTES)
        .map_err(|_| crate::Error::new(crate::ErrorKind::Randomness))
}

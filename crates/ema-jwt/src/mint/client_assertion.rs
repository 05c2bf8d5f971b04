//! `private_key_jwt` client-assertion minting (JWT-10).

use ema_types::claims::ClientAssertionClaims;
use ema_types::{ClientId, Clock, Issuer, SecureRandom};

use super::{Minted, new_jti, seal};
use crate::error::Error;
use crate::key::SigningKey;
use crate::verify::client_assertion::JOSE_TYPE_CLIENT_AUTHENTICATION;

/// Lifetime of a minted client assertion: 60 s (JWT-10 allows up to 300).
pub const CLIENT_ASSERTION_TTL_SECS: u64 = 60;

/// Mints client assertions for one client: `iss` = `sub` = the client id, `aud` = the
/// server's issuer (rfc7523bis), `typ` `client-authentication+jwt`, a fresh `jti`.
#[derive(Debug, Clone)]
pub struct ClientAssertionMinter {
    client_id: ClientId,
    key: SigningKey,
}

impl ClientAssertionMinter {
    /// A minter for `client_id` signing with its registered `key`.
    #[must_use]
    pub fn new(client_id: ClientId, key: SigningKey) -> Self {
        Self { client_id, key }
    }

    /// The client id.
    #[must_use]
    pub fn client_id(&self) -> &ClientId {
        &self.client_id
    }

    /// Mint an assertion for the server whose issuer is `audience`.
    pub fn mint(
        &self,
        audience: &Issuer,
        clock: &dyn Clock,
        rng: &dyn SecureRandom,
    ) -> Result<Minted<ClientAssertionClaims>, Error> {
        let iat = clock.now_unix();
        let claims = ClientAssertionClaims::new(
            self.client_id.as_str(),
            audience.as_str(),
            new_jti(rng)?,
            iat,
            iat.saturating_add(CLIENT_ASSERTION_TTL_SECS),
        );
        seal(&self.key, JOSE_TYPE_CLIENT_AUTHENTICATION, claims)
    }
}

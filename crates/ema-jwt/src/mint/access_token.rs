//! RFC 9068 access-token minting at the resource AS (AS-09, AS-14).

use ema_types::claims::{AccessTokenClaims, Confirmation};
use ema_types::{ClientId, Clock, Issuer, Resource, ScopeSet, SecureRandom, urn};

use super::{Minted, checked_lifetime, new_jti, seal};
use crate::error::Error;
use crate::key::SigningKey;

/// Default access-token lifetime: 3600 s (AS-14, OQ-20).
pub const ACCESS_TOKEN_DEFAULT_TTL_SECS: u64 = 3600;
/// Largest access-token lifetime: 86400 s (OQ-20).
pub const ACCESS_TOKEN_MAX_TTL_SECS: u64 = 86_400;

/// What an access token grants.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AccessTokenGrant {
    /// `sub`: the principal.
    pub subject: String,
    /// `aud`: the single granted resource (AS-09).
    pub resource: Resource,
    /// `client_id`.
    pub client_id: ClientId,
    /// `scope`.
    pub scope: ScopeSet,
    /// `auth_time` (copied from the ID-JAG).
    pub auth_time: Option<u64>,
    /// `acr` (copied from the ID-JAG).
    pub acr: Option<String>,
    /// `amr` (copied from the ID-JAG).
    pub amr: Option<Vec<String>>,
    /// `cnf` (DPoP binding).
    pub cnf: Option<Confirmation>,
}

impl AccessTokenGrant {
    /// A grant of `scope` on `resource` to `client_id` acting for `subject`.
    #[must_use]
    pub fn new(
        subject: impl Into<String>,
        resource: Resource,
        client_id: ClientId,
        scope: ScopeSet,
    ) -> Self {
        Self {
            subject: subject.into(),
            resource,
            client_id,
            scope,
            auth_time: None,
            acr: None,
            amr: None,
            cnf: None,
        }
    }
}

/// Mints RFC 9068 access tokens for one AS issuer.
#[derive(Debug, Clone)]
pub struct AccessTokenMinter {
    issuer: Issuer,
    key: SigningKey,
    ttl: u64,
}

impl AccessTokenMinter {
    /// A minter for `issuer` signing with `key`, lifetime 3600 s.
    #[must_use]
    pub fn new(issuer: Issuer, key: SigningKey) -> Self {
        Self {
            issuer,
            key,
            ttl: ACCESS_TOKEN_DEFAULT_TTL_SECS,
        }
    }

    /// Set the lifetime (1 to 86400 s, OQ-20).
    pub fn with_ttl(mut self, secs: u64) -> Result<Self, Error> {
        self.ttl = checked_lifetime(
            secs,
            ACCESS_TOKEN_MAX_TTL_SECS,
            "access-token lifetime must be 1..=86400 seconds",
        )?;
        Ok(self)
    }

    /// The lifetime in seconds.
    #[must_use]
    pub fn ttl(&self) -> u64 {
        self.ttl
    }

    /// Mint an access token (header `typ` `at+jwt`, `aud` = the resource).
    pub fn mint(
        &self,
        grant: AccessTokenGrant,
        clock: &dyn Clock,
        rng: &dyn SecureRandom,
    ) -> Result<Minted<AccessTokenClaims>, Error> {
        let iat = clock.now_unix();
        let mut claims = AccessTokenClaims::new(
            self.issuer.as_str(),
            grant.subject,
            grant.resource.into_string(),
            grant.client_id.into_string(),
            new_jti(rng)?,
            iat,
            iat.saturating_add(self.ttl),
            grant.scope,
        );
        claims.auth_time = grant.auth_time;
        claims.acr = grant.acr;
        claims.amr = grant.amr;
        claims.cnf = grant.cnf;
        seal(&self.key, urn::JOSE_TYPE_ACCESS_TOKEN, claims)
    }
}

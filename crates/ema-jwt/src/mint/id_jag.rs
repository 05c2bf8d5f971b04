//! ID-JAG minting at the IdP (IDP-15, IDP-16).

use ema_types::claims::{Confirmation, IdJagClaims, SubjectIdentifier};
use ema_types::{ClientId, Clock, Issuer, OneOrMany, Resource, ScopeSet, SecureRandom, urn};

use super::{Minted, checked_lifetime, new_jti, seal};
use crate::error::{Error, ErrorKind};
use crate::key::SigningKey;
use crate::verify::id_jag::ID_JAG_MAX_LIFETIME_SECS;

/// Default ID-JAG lifetime: 300 s (IDP-16).
pub const ID_JAG_DEFAULT_TTL_SECS: u64 = 300;

/// What an ID-JAG grants: who, to which AS, for which client, resources and scopes.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct IdJagGrant {
    /// `sub`: the user as the IdP names them to the AS (IDP-13).
    pub subject: String,
    /// `aud`: the AS issuer.
    pub audience: Issuer,
    /// `client_id`: the client's id **at the AS** (IDP-12).
    pub client_id: ClientId,
    /// `resource`: the MCP server(s).
    pub resource: Vec<Resource>,
    /// `scope`: the granted scopes.
    pub scope: Option<ScopeSet>,
    /// `auth_time`.
    pub auth_time: Option<u64>,
    /// `acr`.
    pub acr: Option<String>,
    /// `amr`.
    pub amr: Option<Vec<String>>,
    /// `email` (IDP-24: only when configured for the AS).
    pub email: Option<String>,
    /// `tenant`, `aud_tenant`, `aud_sub` (IDP-14).
    pub tenant: Option<String>,
    /// `aud_tenant`.
    pub aud_tenant: Option<String>,
    /// `aud_sub`.
    pub aud_sub: Option<String>,
    /// `sub_id` (IDP-23).
    pub sub_id: Option<SubjectIdentifier>,
    /// `cnf` (IDP-20).
    pub cnf: Option<Confirmation>,
}

impl IdJagGrant {
    /// A grant for `subject` at the AS `audience`, for the client known there as `client_id`.
    #[must_use]
    pub fn new(subject: impl Into<String>, audience: Issuer, client_id: ClientId) -> Self {
        Self {
            subject: subject.into(),
            audience,
            client_id,
            resource: Vec::new(),
            scope: None,
            auth_time: None,
            acr: None,
            amr: None,
            email: None,
            tenant: None,
            aud_tenant: None,
            aud_sub: None,
            sub_id: None,
            cnf: None,
        }
    }

    /// Add a resource.
    #[must_use]
    pub fn with_resource(mut self, resource: Resource) -> Self {
        self.resource.push(resource);
        self
    }

    /// Set the granted scopes.
    #[must_use]
    pub fn with_scope(mut self, scope: ScopeSet) -> Self {
        self.scope = Some(scope);
        self
    }
}

/// Mints ID-JAGs for one IdP issuer with one signing key.
#[derive(Debug, Clone)]
pub struct IdJagMinter {
    issuer: Issuer,
    key: SigningKey,
    ttl: u64,
}

impl IdJagMinter {
    /// A minter for `issuer` signing with `key`, lifetime 300 s.
    #[must_use]
    pub fn new(issuer: Issuer, key: SigningKey) -> Self {
        Self {
            issuer,
            key,
            ttl: ID_JAG_DEFAULT_TTL_SECS,
        }
    }

    /// Set the lifetime (1 to 600 s, IDP-16).
    pub fn with_ttl(mut self, secs: u64) -> Result<Self, Error> {
        self.ttl = checked_lifetime(
            secs,
            ID_JAG_MAX_LIFETIME_SECS,
            "ID-JAG lifetime must be 1..=600 seconds",
        )?;
        Ok(self)
    }

    /// The lifetime in seconds.
    #[must_use]
    pub fn ttl(&self) -> u64 {
        self.ttl
    }

    /// Mint an ID-JAG (header `typ` `oauth-id-jag+jwt`, `aud` a single string, IDP-15).
    pub fn mint(
        &self,
        grant: IdJagGrant,
        clock: &dyn Clock,
        rng: &dyn SecureRandom,
    ) -> Result<Minted<IdJagClaims>, Error> {
        let iat = clock.now_unix();
        let mut claims = IdJagClaims::new(
            self.issuer.as_str(),
            grant.subject,
            grant.audience.into_string(),
            grant.client_id.into_string(),
            new_jti(rng)?,
            iat,
            iat.saturating_add(self.ttl),
        );
        claims.resource = match grant.resource.len() {
            0 => None,
            1 => grant
                .resource
                .into_iter()
                .next()
                .map(|r| OneOrMany::One(r.into_string())),
            _ => Some(OneOrMany::Many(
                grant
                    .resource
                    .into_iter()
                    .map(Resource::into_string)
                    .collect(),
            )),
        };
        claims.scope = grant.scope;
        claims.auth_time = grant.auth_time;
        claims.acr = grant.acr;
        claims.amr = grant.amr;
        claims.email = grant.email;
        claims.tenant = grant.tenant;
        claims.aud_tenant = grant.aud_tenant;
        claims.aud_sub = grant.aud_sub;
        claims.sub_id = grant.sub_id;
        claims.cnf = grant.cnf;
        if claims.sub.is_empty() {
            return Err(ErrorKind::InvalidConfig("ID-JAG subject is empty").into());
        }
        seal(&self.key, urn::JOSE_TYPE_ID_JAG, claims)
    }
}

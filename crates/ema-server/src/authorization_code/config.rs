//! What an authorization server accepts in authorization requests.

use ema_types::{Issuer, Resource, ScopeSet};

use crate::ConfigError;

/// Default authorization-code lifetime: 60 s.
pub const DEFAULT_CODE_TTL_SECS: u64 = 60;
/// Largest authorization-code lifetime: 600 s (RFC 6749 §4.1.2: "A maximum authorization code
/// lifetime of 10 minutes is RECOMMENDED").
pub const MAX_CODE_TTL_SECS: u64 = 600;

/// Which `resource` values (RFC 8707) an authorization request may carry.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResourceRule {
    /// No `resource` parameter is accepted (`invalid_target`): an OpenID provider's login.
    Refused,
    /// At most one `resource`, one of these (exact, except the case of scheme and host,
    /// META-08); when absent and exactly one is configured, that one. Several or another →
    /// `invalid_target`; absent with several configured → `invalid_request`.
    OneOf(Vec<Resource>),
}

/// The rules of one authorization server's authorization endpoint: its issuer (the RFC 9207
/// `iss` of responses), the code lifetime, whether `openid` is required, the scopes it may
/// grant and the [`ResourceRule`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AuthorizationCodeConfig {
    pub(crate) issuer: Issuer,
    pub(crate) code_ttl: u64,
    pub(crate) require_openid: bool,
    pub(crate) scopes_supported: Option<ScopeSet>,
    pub(crate) resources: ResourceRule,
}

impl AuthorizationCodeConfig {
    /// The rules for the server `issuer`: codes live 60 s, `openid` not required, every
    /// scope grantable (within the client's own allow-list), `resource` refused.
    #[must_use]
    pub fn new(issuer: Issuer) -> Self {
        Self {
            issuer,
            code_ttl: DEFAULT_CODE_TTL_SECS,
            require_openid: false,
            scopes_supported: None,
            resources: ResourceRule::Refused,
        }
    }

    /// Set the code lifetime (1 to 600 s).
    pub fn with_code_ttl(mut self, secs: u64) -> Result<Self, ConfigError> {
        if secs == 0 || secs > MAX_CODE_TTL_SECS {
            return Err(ConfigError::new(format!(
                "authorization-code lifetime {secs} s is outside 1..={MAX_CODE_TTL_SECS} s"
            )));
        }
        self.code_ttl = secs;
        Ok(self)
    }

    /// Require the `openid` scope (an OpenID provider; else `invalid_scope`).
    #[must_use]
    pub fn require_openid(mut self, require: bool) -> Self {
        self.require_openid = require;
        self
    }

    /// Grant only scopes of `scopes` (requested scopes outside it are dropped, RFC 6749 §3.3).
    #[must_use]
    pub fn with_scopes_supported(mut self, scopes: ScopeSet) -> Self {
        self.scopes_supported = Some(scopes);
        self
    }

    /// Set the [`ResourceRule`].
    #[must_use]
    pub fn with_resources(mut self, rule: ResourceRule) -> Self {
        self.resources = rule;
        self
    }

    /// The issuer.
    #[must_use]
    pub fn issuer(&self) -> &Issuer {
        &self.issuer
    }

    /// The code lifetime in seconds.
    #[must_use]
    pub fn code_ttl(&self) -> u64 {
        self.code_ttl
    }

    /// The scopes that may be granted (`None`: any).
    #[must_use]
    pub fn scopes_supported(&self) -> Option<&ScopeSet> {
        self.scopes_supported.as_ref()
    }
}

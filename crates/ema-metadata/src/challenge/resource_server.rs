//! The challenges a resource server sends (RS-02, RS-04, RS-05), for ema-server.
//!
//! Each returns a [`ChallengeBuilder`] so the caller can add `realm`, `algs` (DPoP) or an
//! `error_description`; `build` enforces the rule: no `offline_access` in `scope` (RS-08),
//! no `error` on a missing-token challenge (RS-02), a non-empty `scope` on
//! `insufficient_scope` (RS-05). Status codes: 401 for RS-02 and RS-04, 403 for RS-05
//! ([`ema_types::ErrorCode::default_status`]).

use ema_types::{ErrorCode, ScopeSet};
use url::Url;

use super::builder::ResourceServerRule;
use super::{AuthScheme, Challenge, ChallengeBuilder};

impl Challenge {
    /// RS-02: a request without credentials (401). `resource_metadata`, and `scope` when the
    /// caller adds it (SHOULD, MCP scope selection); no `error` (RFC 6750 §3.1).
    ///
    /// ```
    /// use ema_metadata::challenge::{AuthScheme, Challenge};
    /// let prm = "https://tools.toolhub.test/.well-known/oauth-protected-resource/mcp".parse()?;
    /// let c = Challenge::missing_token(AuthScheme::Bearer, &prm)
    ///     .scope(&"tickets:read".parse()?)
    ///     .build()?;
    /// assert_eq!(c.to_string(), r#"Bearer resource_metadata="https://tools.toolhub.test/.well-known/oauth-protected-resource/mcp", scope="tickets:read""#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn missing_token(scheme: AuthScheme, resource_metadata: &Url) -> ChallengeBuilder {
        ChallengeBuilder::new(scheme)
            .for_rule(ResourceServerRule::MissingToken)
            .resource_metadata(resource_metadata)
    }

    /// RS-04: a token that is present but invalid or expired (401,
    /// `error="invalid_token"`).
    pub fn invalid_token(scheme: AuthScheme, resource_metadata: &Url) -> ChallengeBuilder {
        ChallengeBuilder::new(scheme)
            .for_rule(ResourceServerRule::InvalidToken)
            .error(&ErrorCode::InvalidToken)
            .resource_metadata(resource_metadata)
    }

    /// RS-05: a valid token without the scopes the operation needs (403,
    /// `error="insufficient_scope"`, `scope` = every scope needed for the operation).
    ///
    /// ```
    /// use ema_metadata::challenge::{AuthScheme, Challenge};
    /// let prm = "https://tools.toolhub.test/.well-known/oauth-protected-resource/mcp".parse()?;
    /// let c = Challenge::insufficient_scope(AuthScheme::Bearer, &prm, &"tickets:read tickets:write".parse()?)
    ///     .error_description("write access required")
    ///     .build()?;
    /// assert_eq!(c.to_string(), r#"Bearer error="insufficient_scope", scope="tickets:read tickets:write", resource_metadata="https://tools.toolhub.test/.well-known/oauth-protected-resource/mcp", error_description="write access required""#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn insufficient_scope(
        scheme: AuthScheme,
        resource_metadata: &Url,
        required: &ScopeSet,
    ) -> ChallengeBuilder {
        let builder = ChallengeBuilder::new(scheme)
            .for_rule(ResourceServerRule::InsufficientScope)
            .error(&ErrorCode::InsufficientScope);
        // An empty set leaves `scope` out, which `build` reports as RS-05.
        builder.scope(required).resource_metadata(resource_metadata)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{ChallengeError, parse_www_authenticate};
    use super::*;

    fn prm() -> Url {
        Url::parse("https://tools.toolhub.test/.well-known/oauth-protected-resource/mcp").unwrap()
    }

    fn scopes(s: &str) -> ScopeSet {
        ScopeSet::parse(s).unwrap()
    }

    #[test]
    fn rs_02_missing_token() {
        let c = Challenge::missing_token(AuthScheme::Bearer, &prm())
            .scope(&scopes("tickets:read"))
            .build()
            .unwrap();
        // The §7.1 wire example.
        assert_eq!(
            c.to_string(),
            r#"Bearer resource_metadata="https://tools.toolhub.test/.well-known/oauth-protected-resource/mcp", scope="tickets:read""#
        );
        assert_eq!(c.error(), None);
        assert_eq!(
            Challenge::missing_token(AuthScheme::Bearer, &prm())
                .error(&ErrorCode::InvalidRequest)
                .build(),
            Err(ChallengeError::ErrorOnMissingToken)
        );
    }

    #[test]
    fn rs_04_invalid_token() {
        let c = Challenge::invalid_token(AuthScheme::Bearer, &prm())
            .error_description("token expired")
            .build()
            .unwrap();
        assert_eq!(
            c.to_string(),
            r#"Bearer error="invalid_token", resource_metadata="https://tools.toolhub.test/.well-known/oauth-protected-resource/mcp", error_description="token expired""#
        );
        assert_eq!(c.error().unwrap().default_status(), 401);
    }

    #[test]
    fn rs_05_insufficient_scope() {
        let c = Challenge::insufficient_scope(
            AuthScheme::Bearer,
            &prm(),
            &scopes("tickets:write tickets:read"),
        )
        .error_description("write access required")
        .build()
        .unwrap();
        // The §7.5 wire example, parameter for parameter.
        let wire = parse_www_authenticate(
            r#"Bearer error="insufficient_scope", scope="tickets:read tickets:write", resource_metadata="https://tools.toolhub.test/.well-known/oauth-protected-resource/mcp", error_description="write access required""#,
        )
        .unwrap();
        assert_eq!(wire, std::slice::from_ref(&c));
        assert_eq!(c.error().unwrap().default_status(), 403);
        assert_eq!(
            Challenge::insufficient_scope(AuthScheme::Bearer, &prm(), &ScopeSet::new()).build(),
            Err(ChallengeError::EmptyScope)
        );
    }

    #[test]
    fn rs_08_no_offline_access() {
        for b in [
            Challenge::missing_token(AuthScheme::Bearer, &prm()).scope(&scopes("a offline_access")),
            Challenge::invalid_token(AuthScheme::Bearer, &prm()).scope(&scopes("offline_access")),
            Challenge::insufficient_scope(AuthScheme::Bearer, &prm(), &scopes("offline_access b")),
        ] {
            assert_eq!(b.build(), Err(ChallengeError::OfflineAccessInScope));
        }
        // A general-purpose challenge is not bound by RS-08.
        Challenge::builder(AuthScheme::Bearer)
            .scope(&scopes("offline_access"))
            .build()
            .unwrap();
    }

    #[test]
    fn dpop_variant_carries_algs() {
        let c = Challenge::invalid_token(AuthScheme::DPoP, &prm())
            .algs(["ES256", "RS256"])
            .build()
            .unwrap();
        assert!(c.to_string().starts_with(r#"DPoP error="invalid_token", "#));
        assert_eq!(c.algs(), ["ES256", "RS256"]);
    }
}

//! The resource AS's RFC 8414 metadata, built from its configuration (AS-15, AS-16).

use ema_metadata::{AuthorizationServerMetadata, AuthorizationServerMetadataBuilder, SchemePolicy};

use super::AuthorizationServerConfig;
use crate::ConfigError;
use crate::client_auth::ClientAuthMethod;

/// `token_endpoint_auth_signing_alg_values_supported` when `private_key_jwt` is offered.
const CLIENT_ASSERTION_ALGORITHMS: [&str; 2] = ["ES256", "RS256"];

impl AuthorizationServerConfig {
    /// A metadata builder pre-filled from this configuration: `issuer`, `token_endpoint`,
    /// `jwks_uri`, `token_endpoint_auth_methods_supported` = `auth_methods` (plus `none` when
    /// public clients are allowed), `token_endpoint_auth_signing_alg_values_supported` =
    /// ES256, RS256 when `private_key_jwt` is offered, `scopes_supported` = the scopes of
    /// every served resource except `offline_access`, `dpop_signing_alg_values_supported` =
    /// ES256, EdDSA (AS-17; a warning is logged when `token_endpoint` is not
    /// [`Self::dpop_token_endpoint`]), and (always, from the builder) the
    /// jwt-bearer grant and the ID-JAG grant profile. Trusted issuers are never published
    /// (AS-16).
    ///
    /// Add what the application serves besides (an `authorization_endpoint`, other grants,
    /// the scheme policy) on the builder.
    ///
    /// # Errors
    ///
    /// When `token_endpoint` or `jwks_uri` is not a URL.
    pub fn metadata_builder(
        &self,
        token_endpoint: &str,
        jwks_uri: &str,
        auth_methods: &[ClientAuthMethod],
    ) -> Result<AuthorizationServerMetadataBuilder, ConfigError> {
        let bad = |what: &str| ConfigError::new(format!("{what} is not a URL"));
        let mut methods: Vec<&str> = Vec::with_capacity(auth_methods.len() + 1);
        let public = self.allow_public_clients.then_some(ClientAuthMethod::None);
        for method in auth_methods.iter().copied().chain(public) {
            if !methods.contains(&method.as_str()) {
                methods.push(method.as_str());
            }
        }
        let mut builder = AuthorizationServerMetadataBuilder::new(
            self.issuer.clone(),
            token_endpoint.parse().map_err(|_| bad("token_endpoint"))?,
            jwks_uri.parse().map_err(|_| bad("jwks_uri"))?,
        )
        .token_endpoint_auth_methods_supported(methods)
        .scopes_supported(
            self.all_scopes()
                .iter()
                .filter(|s| s.as_str() != "offline_access")
                .map(|s| s.as_str().to_owned()),
        )
        .dpop_signing_alg_values_supported(
            ema_jwt::verify::DPOP_DEFAULT_ALGORITHMS
                .iter()
                .map(|a| a.as_str().to_owned()),
        );
        if token_endpoint != self.dpop_token_endpoint() {
            tracing::warn!(
                token_endpoint,
                dpop_htu = %self.dpop_token_endpoint(),
                "the advertised token_endpoint is not the DPoP htu the AS checks; set \
                 AuthorizationServerConfigBuilder::token_endpoint (AS-17)"
            );
        }
        if auth_methods.contains(&ClientAuthMethod::PrivateKeyJwt) {
            builder = builder
                .token_endpoint_auth_signing_alg_values_supported(CLIENT_ASSERTION_ALGORITHMS);
        }
        Ok(builder)
    }

    /// The metadata of [`Self::metadata_builder`], built. `loopback_http` allows `http` URLs
    /// on loopback hosts (development).
    ///
    /// ```
    /// use ema_server::authorization_server::{AuthorizationServerConfig, ResourceConfig, TrustedIssuer};
    /// use ema_server::client_auth::ClientAuthMethod;
    /// use ema_types::{Issuer, Resource, ScopeSet};
    /// let config = AuthorizationServerConfig::builder(Issuer::new("https://as.toolhub.test")?)
    ///     .trusted_issuer(TrustedIssuer::new(Issuer::new("https://login.acme-idp.test")?))
    ///     .resource(ResourceConfig::new(
    ///         Resource::new("https://tools.toolhub.test/mcp")?,
    ///         ScopeSet::parse("tickets:read tickets:write")?,
    ///     ))
    ///     .build()?;
    /// let md = config.metadata(
    ///     "https://as.toolhub.test/oauth/token",
    ///     "https://as.toolhub.test/oauth/jwks",
    ///     &[ClientAuthMethod::PrivateKeyJwt, ClientAuthMethod::ClientSecretBasic],
    ///     false,
    /// )?;
    /// assert!(md.supports_id_jag());
    /// assert_eq!(md.token_endpoint_auth_methods_supported, ["private_key_jwt", "client_secret_basic"]);
    /// assert_eq!(md.scopes_supported, ["tickets:read", "tickets:write"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// When a URL is not one, or the document breaks AS-15 (no authentication method, a
    /// non-`https` URL, …).
    pub fn metadata(
        &self,
        token_endpoint: &str,
        jwks_uri: &str,
        auth_methods: &[ClientAuthMethod],
        loopback_http: bool,
    ) -> Result<AuthorizationServerMetadata, ConfigError> {
        self.metadata_builder(token_endpoint, jwks_uri, auth_methods)?
            .scheme_policy(if loopback_http {
                SchemePolicy::AllowLoopbackHttp
            } else {
                SchemePolicy::HttpsOnly
            })
            .build()
            .map_err(|e| ConfigError::new(format!("metadata: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use ema_types::{Issuer, Resource, ScopeSet};

    use super::*;
    use crate::authorization_server::{ResourceConfig, TrustedIssuer};

    fn config(public: bool) -> AuthorizationServerConfig {
        AuthorizationServerConfig::builder(Issuer::new("https://as.example/t1").unwrap())
            .trusted_issuer(TrustedIssuer::new(
                Issuer::new("https://idp.example").unwrap(),
            ))
            .resource(ResourceConfig::new(
                Resource::new("https://mcp.example/").unwrap(),
                ScopeSet::parse("b a offline_access").unwrap(),
            ))
            .allow_public_clients(public)
            .build()
            .unwrap()
    }

    #[test]
    fn as_15_metadata_from_the_configuration() {
        let md = config(true)
            .metadata(
                "https://as.example/t1/token",
                "https://as.example/t1/jwks",
                &[
                    ClientAuthMethod::ClientSecretBasic,
                    ClientAuthMethod::ClientSecretBasic,
                ],
                false,
            )
            .unwrap();
        assert_eq!(md.issuer.as_str(), "https://as.example/t1");
        assert_eq!(
            md.token_endpoint_auth_methods_supported,
            ["client_secret_basic", "none"]
        );
        assert!(
            md.token_endpoint_auth_signing_alg_values_supported
                .is_empty()
        );
        assert!(!md.scopes_supported.iter().any(|s| s == "offline_access"));
        assert!(md.supports_id_jag());
        let md = config(false)
            .metadata(
                "http://127.0.0.1:8080/token",
                "http://127.0.0.1:8080/jwks",
                &[ClientAuthMethod::PrivateKeyJwt],
                true,
            )
            .unwrap();
        assert_eq!(
            md.token_endpoint_auth_methods_supported,
            ["private_key_jwt"]
        );
        assert_eq!(
            md.token_endpoint_auth_signing_alg_values_supported,
            CLIENT_ASSERTION_ALGORITHMS
        );
        // https only unless loopback http is asked for; a method is required.
        let c = config(false);
        assert!(
            c.metadata(
                "http://127.0.0.1/t",
                "http://127.0.0.1/j",
                &[ClientAuthMethod::PrivateKeyJwt],
                false
            )
            .is_err()
        );
        assert!(
            c.metadata("https://as.example/t", "https://as.example/j", &[], false)
                .is_err()
        );
        assert!(
            c.metadata(
                "not a url",
                "https://as.example/j",
                &[ClientAuthMethod::PrivateKeyJwt],
                false
            )
            .is_err()
        );
    }
}

//! The enterprise IdP's metadata (IDP-21, IDJAG §7.1).

use ema_types::Issuer;
use ema_types::urn::{GRANT_TYPE_TOKEN_EXCHANGE, TOKEN_TYPE_ID_JAG};
use url::Url;

use super::server::{ServerFields, server_setters};
use super::{BuildError, check_url, clean_algs, clean_list, strings};
use crate::document::AuthorizationServerMetadata;

/// Builds the metadata an enterprise IdP publishes (IDP-21): `issuer`,
/// `authorization_endpoint` and `response_types_supported` (it serves the SSO code flow),
/// `token_endpoint`, `jwks_uri`, `grant_types_supported` with the token-exchange grant, and
/// `identity_chaining_requested_token_types_supported` with
/// `urn:ietf:params:oauth:token-type:id-jag`.
///
/// `response_types_supported` defaults to `["code"]`. For an OpenID provider, set
/// `subject_types_supported` and `id_token_signing_alg_values_supported` (OpenID Connect
/// Discovery §3 requires both; `build` refuses one without the other, and requires both when
/// `openid` is in `scopes_supported`).
///
/// ```
/// use ema_metadata::IdentityProviderMetadataBuilder;
/// let md = IdentityProviderMetadataBuilder::new(
///     "https://login.acme-idp.test".parse()?,
///     "https://login.acme-idp.test/oauth2/v1/authorize".parse()?,
///     "https://login.acme-idp.test/oauth2/v1/token".parse()?,
///     "https://login.acme-idp.test/oauth2/v1/keys".parse()?,
/// )
/// .token_endpoint_auth_methods_supported(["client_secret_basic", "private_key_jwt"])
/// .token_endpoint_auth_signing_alg_values_supported(["ES256"])
/// .subject_types_supported(["pairwise"])
/// .id_token_signing_alg_values_supported(["ES256", "RS256"])
/// .scopes_supported(["openid", "offline_access"])
/// .build()?;
/// assert!(md.advertises_id_jag_token_exchange());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct IdentityProviderMetadataBuilder {
    fields: ServerFields,
    chaining_token_types: Vec<String>,
    userinfo_endpoint: Option<Url>,
    subject_types: Vec<String>,
    id_token_algs: Vec<String>,
}

impl IdentityProviderMetadataBuilder {
    /// Start with the members IDP-21 requires.
    #[must_use]
    pub fn new(
        issuer: Issuer,
        authorization_endpoint: Url,
        token_endpoint: Url,
        jwks_uri: Url,
    ) -> Self {
        let mut fields = ServerFields::new(issuer, token_endpoint, jwks_uri);
        fields.authorization_endpoint = Some(authorization_endpoint);
        fields.response_types = vec!["code".to_owned()];
        Self {
            fields,
            chaining_token_types: Vec::new(),
            userinfo_endpoint: None,
            subject_types: Vec::new(),
            id_token_algs: Vec::new(),
        }
    }

    /// `response_types_supported` (default `["code"]`).
    #[must_use]
    pub fn response_types_supported<I, S>(mut self, response_types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.fields.response_types = strings(response_types);
        self
    }

    /// Token types besides the ID-JAG obtainable by identity chaining (for example
    /// `urn:ietf:params:oauth:token-type:refresh_token` for the SAML route of IDJAG §4.5).
    #[must_use]
    pub fn identity_chaining_token_types<I, S>(mut self, token_types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.chaining_token_types = strings(token_types);
        self
    }

    /// `userinfo_endpoint` (OpenID Connect).
    #[must_use]
    pub fn userinfo_endpoint(mut self, url: Url) -> Self {
        self.userinfo_endpoint = Some(url);
        self
    }

    /// `subject_types_supported` (OpenID Connect; `public`, `pairwise`).
    #[must_use]
    pub fn subject_types_supported<I, S>(mut self, subject_types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.subject_types = strings(subject_types);
        self
    }

    /// `id_token_signing_alg_values_supported` (OpenID Connect; never `none` or `HS*`: ID
    /// tokens cross trust domains as subject tokens).
    #[must_use]
    pub fn id_token_signing_alg_values_supported<I, S>(mut self, algs: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.id_token_algs = strings(algs);
        self
    }

    server_setters!();

    /// Check and produce the document.
    pub fn build(self) -> Result<AuthorizationServerMetadata, BuildError> {
        let scheme = self.fields.scheme;
        if let Some(url) = &self.userinfo_endpoint {
            check_url("userinfo_endpoint", url, scheme)?;
        }
        let subject_types = clean_list("subject_types_supported", self.subject_types)?;
        let id_token_algs = clean_algs(
            "id_token_signing_alg_values_supported",
            self.id_token_algs,
            true,
        )?;
        let openid = self.fields.scopes.iter().any(|s| s == "openid");
        if (openid || !id_token_algs.is_empty()) && subject_types.is_empty() {
            return Err(BuildError::MissingMember {
                member: "subject_types_supported",
            });
        }
        if (openid || !subject_types.is_empty()) && id_token_algs.is_empty() {
            return Err(BuildError::MissingMember {
                member: "id_token_signing_alg_values_supported",
            });
        }
        let mut chaining = vec![TOKEN_TYPE_ID_JAG.to_owned()];
        for t in clean_list(
            "identity_chaining_requested_token_types_supported",
            self.chaining_token_types,
        )? {
            if !chaining.contains(&t) {
                chaining.push(t);
            }
        }

        let mut md = self.fields.finish(&[GRANT_TYPE_TOKEN_EXCHANGE])?;
        md.identity_chaining_requested_token_types_supported = chaining;
        md.userinfo_endpoint = self.userinfo_endpoint;
        md.subject_types_supported = subject_types;
        md.id_token_signing_alg_values_supported = id_token_algs;
        Ok(md)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ValidationPolicy;
    use ema_types::urn::TOKEN_TYPE_REFRESH_TOKEN;

    fn builder() -> IdentityProviderMetadataBuilder {
        IdentityProviderMetadataBuilder::new(
            Issuer::new("https://login.acme-idp.test").unwrap(),
            Url::parse("https://login.acme-idp.test/authorize").unwrap(),
            Url::parse("https://login.acme-idp.test/token").unwrap(),
            Url::parse("https://login.acme-idp.test/keys").unwrap(),
        )
        .token_endpoint_auth_methods_supported(["client_secret_basic"])
    }

    #[test]
    fn idp_21_required_members() {
        let md = builder().build().unwrap();
        assert_eq!(
            md.authorization_endpoint.as_ref().unwrap().as_str(),
            "https://login.acme-idp.test/authorize"
        );
        assert_eq!(md.response_types_supported, ["code"]);
        assert_eq!(md.code_challenge_methods_supported, ["S256"]);
        assert_eq!(
            md.grant_types_supported,
            ["authorization_code", GRANT_TYPE_TOKEN_EXCHANGE]
        );
        assert_eq!(
            md.identity_chaining_requested_token_types_supported,
            [TOKEN_TYPE_ID_JAG]
        );
        assert!(md.authorization_grant_profiles_supported.is_empty());
        assert!(md.advertises_id_jag_token_exchange());
        md.validate(&md.issuer, &ValidationPolicy::default())
            .unwrap();
    }

    #[test]
    fn idp_21_extra_chaining_types_and_grants() {
        let md = builder()
            .identity_chaining_token_types([TOKEN_TYPE_REFRESH_TOKEN, TOKEN_TYPE_ID_JAG])
            .grant_types_supported(["refresh_token"])
            .build()
            .unwrap();
        assert_eq!(
            md.identity_chaining_requested_token_types_supported,
            [TOKEN_TYPE_ID_JAG, TOKEN_TYPE_REFRESH_TOKEN]
        );
        assert_eq!(
            md.grant_types_supported,
            [
                "authorization_code",
                "refresh_token",
                GRANT_TYPE_TOKEN_EXCHANGE
            ]
        );
    }

    #[test]
    fn openid_members_come_together() {
        assert_eq!(
            builder().scopes_supported(["openid"]).build(),
            Err(BuildError::MissingMember {
                member: "subject_types_supported"
            })
        );
        assert_eq!(
            builder().subject_types_supported(["public"]).build(),
            Err(BuildError::MissingMember {
                member: "id_token_signing_alg_values_supported"
            })
        );
        assert_eq!(
            builder()
                .subject_types_supported(["public"])
                .id_token_signing_alg_values_supported(["none"])
                .build(),
            Err(BuildError::AlgorithmNone {
                member: "id_token_signing_alg_values_supported"
            })
        );
        let md = builder()
            .scopes_supported(["openid", "offline_access"])
            .subject_types_supported(["pairwise"])
            .id_token_signing_alg_values_supported(["ES256"])
            .userinfo_endpoint(Url::parse("https://login.acme-idp.test/userinfo").unwrap())
            .build()
            .unwrap();
        assert_eq!(md.subject_types_supported, ["pairwise"]);
        assert!(md.userinfo_endpoint.is_some());
    }

    #[test]
    fn userinfo_must_be_https() {
        assert_eq!(
            builder()
                .userinfo_endpoint(Url::parse("http://login.acme-idp.test/userinfo").unwrap())
                .build(),
            Err(BuildError::InsecureUrl {
                member: "userinfo_endpoint",
                url: "http://login.acme-idp.test/userinfo".into()
            })
        );
    }

    #[test]
    fn response_types_cannot_be_emptied() {
        assert_eq!(
            builder()
                .response_types_supported(Vec::<String>::new())
                .build(),
            Err(BuildError::MissingMember {
                member: "response_types_supported"
            })
        );
    }
}

//! What the authorization-server and IdP builders share: the RFC 8414 members and their
//! checks (AS-15, RFC 8414 §2).

use ema_types::Issuer;
use ema_types::urn::GRANT_TYPE_AUTHORIZATION_CODE;
use url::Url;

use super::{BuildError, check_extra, check_url, clean_algs, clean_list, clean_scopes};
use crate::SchemePolicy;
use crate::document::AuthorizationServerMetadata;

/// Client authentication methods that sign a JWT, which need
/// `token_endpoint_auth_signing_alg_values_supported`.
const JWT_AUTH_METHODS: &[&str] = &["private_key_jwt", "client_secret_jwt"];

#[derive(Debug, Clone)]
pub(crate) struct ServerFields {
    pub(crate) issuer: Issuer,
    pub(crate) token_endpoint: Url,
    pub(crate) jwks_uri: Url,
    pub(crate) authorization_endpoint: Option<Url>,
    pub(crate) registration_endpoint: Option<Url>,
    pub(crate) revocation_endpoint: Option<Url>,
    pub(crate) introspection_endpoint: Option<Url>,
    pub(crate) service_documentation: Option<Url>,
    pub(crate) response_types: Vec<String>,
    pub(crate) code_challenge_methods: Vec<String>,
    pub(crate) grant_types: Vec<String>,
    pub(crate) auth_methods: Vec<String>,
    pub(crate) auth_signing_algs: Vec<String>,
    pub(crate) scopes: Vec<String>,
    pub(crate) dpop_algs: Vec<String>,
    pub(crate) client_id_metadata_document_supported: Option<bool>,
    pub(crate) iss_parameter_supported: Option<bool>,
    pub(crate) extra: serde_json::Map<String, serde_json::Value>,
    pub(crate) scheme: SchemePolicy,
}

impl ServerFields {
    pub(crate) fn new(issuer: Issuer, token_endpoint: Url, jwks_uri: Url) -> Self {
        Self {
            issuer,
            token_endpoint,
            jwks_uri,
            authorization_endpoint: None,
            registration_endpoint: None,
            revocation_endpoint: None,
            introspection_endpoint: None,
            service_documentation: None,
            response_types: Vec::new(),
            code_challenge_methods: Vec::new(),
            grant_types: Vec::new(),
            auth_methods: Vec::new(),
            auth_signing_algs: Vec::new(),
            scopes: Vec::new(),
            dpop_algs: Vec::new(),
            client_id_metadata_document_supported: None,
            iss_parameter_supported: None,
            extra: serde_json::Map::new(),
            scheme: SchemePolicy::HttpsOnly,
        }
    }

    /// Check everything and produce the document; `extra_grants` are appended to
    /// `grant_types_supported` when absent.
    pub(crate) fn finish(
        self,
        extra_grants: &[&str],
    ) -> Result<AuthorizationServerMetadata, BuildError> {
        let scheme = self.scheme;
        if !scheme.permits_str(self.issuer.as_str()) {
            return Err(BuildError::InsecureUrl {
                member: "issuer",
                url: self.issuer.to_string(),
            });
        }
        check_url("token_endpoint", &self.token_endpoint, scheme)?;
        check_url("jwks_uri", &self.jwks_uri, scheme)?;
        for (member, url) in [
            ("authorization_endpoint", &self.authorization_endpoint),
            ("registration_endpoint", &self.registration_endpoint),
            ("revocation_endpoint", &self.revocation_endpoint),
            ("introspection_endpoint", &self.introspection_endpoint),
        ] {
            if let Some(url) = url {
                check_url(member, url, scheme)?;
            }
        }
        check_extra(&self.extra, crate::document::AS_MEMBERS)?;

        let auth_methods = clean_list("token_endpoint_auth_methods_supported", self.auth_methods)?;
        if auth_methods.is_empty() {
            return Err(BuildError::MissingMember {
                member: "token_endpoint_auth_methods_supported",
            });
        }
        let auth_signing_algs = clean_algs(
            "token_endpoint_auth_signing_alg_values_supported",
            self.auth_signing_algs,
            false,
        )?;
        if auth_signing_algs.is_empty()
            && auth_methods
                .iter()
                .any(|m| JWT_AUTH_METHODS.contains(&m.as_str()))
        {
            return Err(BuildError::SigningAlgorithmsRequired);
        }
        let dpop_algs = clean_algs("dpop_signing_alg_values_supported", self.dpop_algs, true)?;
        let scopes = clean_scopes(self.scopes)?;

        let response_types = clean_list("response_types_supported", self.response_types)?;
        let mut code_challenge_methods = clean_list(
            "code_challenge_methods_supported",
            self.code_challenge_methods,
        )?;
        let mut grant_types = clean_list("grant_types_supported", self.grant_types)?;
        if self.authorization_endpoint.is_some() {
            if response_types.is_empty() {
                return Err(BuildError::MissingMember {
                    member: "response_types_supported",
                });
            }
            if code_challenge_methods.is_empty() {
                code_challenge_methods.push("S256".to_owned());
            }
            if let Some(plain) = code_challenge_methods.iter().find(|m| *m == "plain") {
                return Err(BuildError::InvalidValue {
                    member: "code_challenge_methods_supported",
                    value: plain.clone(),
                });
            }
            if !code_challenge_methods.iter().any(|m| m == "S256") {
                return Err(BuildError::S256Required);
            }
            if response_types.iter().any(|r| r == "code")
                && !grant_types
                    .iter()
                    .any(|g| g == GRANT_TYPE_AUTHORIZATION_CODE)
            {
                grant_types.insert(0, GRANT_TYPE_AUTHORIZATION_CODE.to_owned());
            }
        } else {
            if !response_types.is_empty() {
                return Err(BuildError::RequiresAuthorizationEndpoint {
                    member: "response_types_supported",
                });
            }
            if !code_challenge_methods.is_empty() {
                return Err(BuildError::RequiresAuthorizationEndpoint {
                    member: "code_challenge_methods_supported",
                });
            }
        }
        for g in extra_grants {
            if !grant_types.iter().any(|x| x == g) {
                grant_types.push((*g).to_owned());
            }
        }

        Ok(AuthorizationServerMetadata {
            issuer: self.issuer,
            authorization_endpoint: self.authorization_endpoint,
            token_endpoint: Some(self.token_endpoint),
            jwks_uri: Some(self.jwks_uri),
            registration_endpoint: self.registration_endpoint,
            scopes_supported: scopes,
            response_types_supported: response_types,
            response_modes_supported: Vec::new(),
            grant_types_supported: grant_types,
            token_endpoint_auth_methods_supported: auth_methods,
            token_endpoint_auth_signing_alg_values_supported: auth_signing_algs,
            service_documentation: self.service_documentation,
            ui_locales_supported: Vec::new(),
            op_policy_uri: None,
            op_tos_uri: None,
            revocation_endpoint: self.revocation_endpoint,
            revocation_endpoint_auth_methods_supported: Vec::new(),
            revocation_endpoint_auth_signing_alg_values_supported: Vec::new(),
            introspection_endpoint: self.introspection_endpoint,
            introspection_endpoint_auth_methods_supported: Vec::new(),
            introspection_endpoint_auth_signing_alg_values_supported: Vec::new(),
            code_challenge_methods_supported: code_challenge_methods,
            authorization_response_iss_parameter_supported: self.iss_parameter_supported,
            dpop_signing_alg_values_supported: dpop_algs,
            client_id_metadata_document_supported: self.client_id_metadata_document_supported,
            authorization_grant_profiles_supported: Vec::new(),
            identity_chaining_requested_token_types_supported: Vec::new(),
            userinfo_endpoint: None,
            subject_types_supported: Vec::new(),
            id_token_signing_alg_values_supported: Vec::new(),
            claims_supported: Vec::new(),
            acr_values_supported: Vec::new(),
            extra: self.extra,
        })
    }
}

/// Setters shared by the authorization-server and IdP builders (each has a `fields:
/// ServerFields`).
macro_rules! server_setters {
    () => {
        /// `grant_types_supported`: grants besides the ones this builder always adds.
        /// `authorization_code` is added when `response_types_supported` has `code`.
        #[must_use]
        pub fn grant_types_supported<I, S>(mut self, grant_types: I) -> Self
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            self.fields.grant_types = crate::builder::strings(grant_types);
            self
        }

        /// `token_endpoint_auth_methods_supported` (required; e.g. `private_key_jwt`,
        /// `client_secret_basic`).
        #[must_use]
        pub fn token_endpoint_auth_methods_supported<I, S>(mut self, methods: I) -> Self
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            self.fields.auth_methods = crate::builder::strings(methods);
            self
        }

        /// `token_endpoint_auth_signing_alg_values_supported` (required when `private_key_jwt`
        /// or `client_secret_jwt` is listed; never `none`).
        #[must_use]
        pub fn token_endpoint_auth_signing_alg_values_supported<I, S>(mut self, algs: I) -> Self
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            self.fields.auth_signing_algs = crate::builder::strings(algs);
            self
        }

        /// `scopes_supported`.
        #[must_use]
        pub fn scopes_supported<I, S>(mut self, scopes: I) -> Self
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            self.fields.scopes = crate::builder::strings(scopes);
            self
        }

        /// `code_challenge_methods_supported` (needs `authorization_endpoint`; must list
        /// `S256`, never `plain`; defaults to `["S256"]` when there is an authorization
        /// endpoint).
        #[must_use]
        pub fn code_challenge_methods_supported<I, S>(mut self, methods: I) -> Self
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            self.fields.code_challenge_methods = crate::builder::strings(methods);
            self
        }

        /// `dpop_signing_alg_values_supported` (asymmetric algorithms only, RFC 9449 §5.1).
        #[must_use]
        pub fn dpop_signing_alg_values_supported<I, S>(mut self, algs: I) -> Self
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            self.fields.dpop_algs = crate::builder::strings(algs);
            self
        }

        /// `client_id_metadata_document_supported` (CIMD, META-07).
        #[must_use]
        pub fn client_id_metadata_document_supported(mut self, supported: bool) -> Self {
            self.fields.client_id_metadata_document_supported = Some(supported);
            self
        }

        /// `authorization_response_iss_parameter_supported` (RFC 9207).
        #[must_use]
        pub fn authorization_response_iss_parameter_supported(mut self, supported: bool) -> Self {
            self.fields.iss_parameter_supported = Some(supported);
            self
        }

        /// `registration_endpoint` (RFC 7591).
        #[must_use]
        pub fn registration_endpoint(mut self, url: url::Url) -> Self {
            self.fields.registration_endpoint = Some(url);
            self
        }

        /// `revocation_endpoint` (RFC 7009).
        #[must_use]
        pub fn revocation_endpoint(mut self, url: url::Url) -> Self {
            self.fields.revocation_endpoint = Some(url);
            self
        }

        /// `introspection_endpoint` (RFC 7662).
        #[must_use]
        pub fn introspection_endpoint(mut self, url: url::Url) -> Self {
            self.fields.introspection_endpoint = Some(url);
            self
        }

        /// `service_documentation`.
        #[must_use]
        pub fn service_documentation(mut self, url: url::Url) -> Self {
            self.fields.service_documentation = Some(url);
            self
        }

        /// An extension member. A name that is a typed member is refused by `build`.
        #[must_use]
        pub fn member(mut self, name: impl Into<String>, value: serde_json::Value) -> Self {
            self.fields.extra.insert(name.into(), value);
            self
        }

        /// Which URL schemes are acceptable (default `https` only; loopback `http` for
        /// development).
        #[must_use]
        pub fn scheme_policy(mut self, scheme: crate::SchemePolicy) -> Self {
            self.fields.scheme = scheme;
            self
        }
    };
}

pub(crate) use server_setters;

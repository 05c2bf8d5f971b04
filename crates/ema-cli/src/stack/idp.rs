//! `[idp]` → ema-server's IdP: the OIDC provider (authorization code + PKCE, development
//! `login_hint` sign-in, refresh tokens) and the token exchange that issues ID-JAGs, on one
//! token endpoint, with JWKS and metadata (RFC 8414 and OpenID discovery).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use ema_server::audit::AuditSink;
use ema_server::authorization_code::{DevLoginHintAuthenticator, DevUser};
use ema_server::axum::IdpRouter;
use ema_server::client_auth::{ClientAuthContext, RegisteredClient, StaticClientRegistry};
use ema_server::idp::oidc::OidcProvider;
use ema_server::idp::{
    DirectoryUser, IdpConfig, MemoryDirectory, StaticPolicy, TokenExchangeGrant, TrustedAudience,
};
use ema_server::replay::MemoryReplayStore;
use ema_types::{Clock, urn};

use super::{RoleError, signing_keys};
use crate::config::IdpSpec;

/// Single-use markers of client assertions at the IdP.
const REPLAY_CAPACITY: usize = 100_000;

/// The central policy of `[idp]`: the `[[idp.grants]]` rows in file order over a directory of
/// the `[[idp.users]]` with their groups and roles (a user not listed is refused).
pub(crate) fn policy(spec: &IdpSpec) -> StaticPolicy {
    let directory = spec
        .users
        .iter()
        .fold(MemoryDirectory::new(), |directory, u| {
            let mut user = DirectoryUser::new(u.sub.clone())
                .in_groups(u.groups.iter().cloned())
                .with_roles(u.roles.iter().cloned());
            if let Some(email) = &u.email {
                user = user.with_email(email.clone());
            }
            directory.with_user(user)
        });
    spec.rules
        .iter()
        .cloned()
        .fold(StaticPolicy::new(), StaticPolicy::with_rule)
        .with_directory(Arc::new(directory))
}

/// The IdP's routes; every token-exchange decision is recorded in `audit`.
pub(crate) fn router(
    spec: &IdpSpec,
    dev_allow_http: bool,
    clock: Arc<dyn Clock>,
    audit: Arc<dyn AuditSink>,
) -> Result<Router, RoleError> {
    let err = |e: &dyn std::fmt::Display| RoleError::new("idp", e.to_string());
    let issuer = spec.issuer.clone();
    let signing = signing_keys("idp.signing_key_files", &spec.signing.keys)?;
    let mut registry = StaticClientRegistry::new();
    for client in &spec.clients {
        let mut registered = RegisteredClient::confidential(client.client_id.clone())
            .with_secret(client.secret.clone())
            .with_grant_type(urn::GRANT_TYPE_AUTHORIZATION_CODE)
            .with_grant_type(urn::GRANT_TYPE_REFRESH_TOKEN)
            .with_grant_type(urn::GRANT_TYPE_TOKEN_EXCHANGE);
        for uri in &client.redirect_uris {
            registered = registered.with_redirect_uri(uri.clone());
        }
        registry.insert(registered);
    }
    let registry = Arc::new(registry);
    let client_auth = ClientAuthContext::new(
        issuer.clone(),
        Arc::new(MemoryReplayStore::new(REPLAY_CAPACITY)),
        Arc::clone(&clock),
    );

    // Audiences (resource authorization servers) and their resources, from the policy rows.
    let mut audiences: BTreeMap<String, TrustedAudience> = BTreeMap::new();
    for rule in &spec.rules {
        let entry = audiences
            .remove(rule.audience.as_str())
            .unwrap_or_else(|| TrustedAudience::new(rule.audience.clone()));
        let entry = if entry.allowed_resource(&rule.resource).is_some() {
            entry
        } else {
            entry.resource(rule.resource.clone())
        };
        audiences.insert(rule.audience.as_str().to_owned(), entry);
    }
    let token_url = format!("{issuer}/token");
    let mut builder = IdpConfig::builder(issuer.clone())
        .ttl(spec.id_jag_ttl_secs)
        .token_endpoint(token_url.clone());
    for audience in audiences.into_values() {
        builder = builder.audience(audience);
    }
    let config = builder
        .build()
        .map_err(|e| RoleError::new("idp.id_jag_ttl_secs", e.to_string()))?;
    let policy = policy(spec);

    let provider = OidcProvider::builder(
        issuer.clone(),
        signing.clone(),
        registry.clone(),
        client_auth.clone(),
    )
    .id_token_ttl(spec.id_token_ttl_secs)
    .build()
    .map_err(|e| err(&e))?;
    let users = DevLoginHintAuthenticator::new(
        spec.users.iter().map(|u| {
            let user = DevUser::new(u.sub.clone());
            match &u.email {
                Some(email) => user.with_email(email.clone()),
                None => user,
            }
        }),
        Arc::clone(&clock),
    );
    let authorize = provider.authorization_endpoint(Arc::new(users));
    let metadata = provider.metadata(
        config
            .metadata(
                &format!("{issuer}/authorize"),
                &token_url,
                &format!("{issuer}/jwks"),
                dev_allow_http,
            )
            .map_err(|e| err(&e))?,
    );
    let exchange = TokenExchangeGrant::new(
        config,
        signing.clone(),
        provider.id_token_keys(),
        registry,
        client_auth,
        Arc::new(policy),
    )
    .map_err(|e| err(&e))?
    .with_refresh_tokens(provider.refresh_token_validator())
    .with_audit(audit);
    let endpoint = provider
        .token_endpoint()
        .with_grant(urn::GRANT_TYPE_TOKEN_EXCHANGE, Arc::new(exchange));
    IdpRouter::new(endpoint, signing, metadata)
        .with_authorization_endpoint(authorize)
        .build()
        .map_err(|e| err(&e))
}

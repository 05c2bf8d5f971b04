//! The OAuth 2.0 authorization-code grant with PKCE, sans-IO and role-independent: the IdP's
//! OpenID Connect login ([`crate::idp::oidc`]) and the resource AS's interactive fallback
//! (CL-06; [`crate::authorization_server::code_grant`]) are both built on it and differ only
//! in what the token response carries and in the [`ResourceRule`].
//!
//! | piece | what |
//! |---|---|
//! | [`AuthorizationEndpoint`] | RFC 6749 §4.1.1 request validation in §4.1.2.1 order (client and exact redirect URI first, never redirecting to an unvalidated URI), PKCE `S256` only (RFC 7636), `state`, `nonce`, scopes, RFC 8707 `resource`, RFC 9207 `iss` in every response |
//! | [`UserAuthenticator`] | the application authenticates users (the library never owns passwords): a user, a page, `access_denied` or `login_required` |
//! | [`DevLoginHintAuthenticator`] | **development only**: signs in the configured user named by `login_hint` |
//! | [`AuthorizationGrants`] | single-use, short-lived codes bound to client, redirect URI, challenge, nonce, scope, resources and user; constant-time `code_verifier` check; refresh tokens rotated on every use with family revocation on reuse (RFC 9700 §4.14.2) |
//! | [`GrantStore`] | where codes and refresh tokens live: [`MemoryGrantStore`] (bounded, fails closed), `RedisGrantStore` (feature `redis`) |
//!
//! Clients register their redirect URIs with
//! [`RegisteredClient::with_redirect_uri`](crate::client_auth::RegisteredClient::with_redirect_uri)
//! and the `authorization_code` grant type (and `refresh_token` for refreshing).
#![cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]

mod authenticator;
mod config;
mod dev;
mod endpoint;
mod grants;
mod pkce;
mod redirect;
#[cfg(feature = "redis")]
mod redis_store;
mod request;
mod store;
mod token_grant;

pub use authenticator::{AuthenticatedUser, AuthenticationOutcome, UserAuthenticator};
pub use config::{AuthorizationCodeConfig, DEFAULT_CODE_TTL_SECS, MAX_CODE_TTL_SECS, ResourceRule};
pub use dev::{DevLoginHintAuthenticator, DevUser};
pub use endpoint::AuthorizationEndpoint;
pub use grants::{
    AuthorizationGrants, CREDENTIAL_BYTES, DEFAULT_REFRESH_TOKEN_TTL_SECS, Grant,
    MAX_REFRESH_TOKEN_TTL_SECS,
};
pub use pkce::{CODE_CHALLENGE_METHOD_S256, s256_challenge, verify_s256};
pub use redirect::{MAX_REDIRECT_URI_BYTES, redirect_uri_matches};
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use redis_store::RedisGrantStore;
pub use request::{AuthorizationRequest, MAX_LOGIN_HINT_BYTES, MAX_NONCE_BYTES, MAX_STATE_BYTES};
pub use store::{
    GrantKey, GrantKind, GrantStore, GrantStoreError, MAX_GRANT_VALUE_BYTES, MemoryGrantStore,
};
pub(crate) use token_grant::{
    CodeGrantContext, CodeGrantHandler, CodeTokenIssuer, RefreshGrantHandler, refresh_scope,
    user_access_token,
};

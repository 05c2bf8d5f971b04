//! The MCP client side of **Enterprise-Managed Authorization** (EMA, ID-JAG,
//! `draft-ietf-oauth-identity-assertion-authz-grant`): from an MCP server URL and the
//! enterprise IdP configuration to an access token, with no user interaction.
//!
//! The flow (digest §2, CL-01..CL-23):
//!
//! 1. **Discovery** ([`discover_resource`]): the server's `401`, protected-resource metadata,
//!    authorization-server metadata (validated by `ema-metadata`), and the CL-06 check that
//!    the AS takes ID-JAGs.
//! 2. **Token exchange** at the IdP ([`exchange_token`], CL-07..CL-11): the user's subject
//!    token (an ID token or IdP refresh token, from a [`SubjectTokenSource`]) for an ID-JAG
//!    whose `audience` is the AS issuer and whose `resource` is the MCP server.
//! 3. **Verification** of the ID-JAG against the IdP's JWKS (`verify_id_jag`), on by default
//!    when the IdP publishes `jwks_uri`.
//! 4. **Redemption** at the AS ([`redeem_id_jag`], CL-12): the JWT-bearer grant, for an
//!    access token.
//!
//! Each party gets its own [`ClientCredentials`] (CL-13): `client_secret_basic`,
//! `client_secret_post` or `private_key_jwt`. Errors ([`Error`]) name the [`Leg`] that
//! failed, keep the OAuth `error`/`error_description`, and say what to do next
//! ([`Disposition`]); no error, `Debug` output or log line contains a token or a secret.
//!
//! [`TokenSource`] runs the whole flow with a per-(server, scope) cache, renewal before
//! expiry, single-flight, single-use ID-JAGs (CL-15), `401` handling and bounded step-up
//! (CL-17). [`Session`] connects a whole list of MCP servers after one sign-in,
//! concurrently, reporting per server connected / denied by policy / failed. [`OidcLogin`] signs the user in (authorization code + PKCE, CL-02); behind the
//! `loopback-login` feature, `LoopbackListener` receives the redirect for command-line hosts.
//!
//! # Features
//!
//! - `aws-lc-rs` (default) / `rust-crypto`: the crypto backend of `ema-jwt`, needed for
//!   `private_key_jwt`, ID-JAG verification and ID-token validation.
//! - `reqwest` (default): re-exports `ReqwestClient`, the hardened transport of
//!   `ema-metadata` (rustls, no redirects, timeouts, body cap).
//! - `loopback-login`: the RFC 8252 loopback redirect listener.
//!
//! ```no_run
//! # async fn run(http: impl ema_types::transport::HttpClient + 'static) -> Result<(), ema_client::Error> {
//! use ema_client::{
//!     ClientAuthMethod, ClientCredentials, IdentityProvider, StaticIdToken, TokenSource,
//! };
//! use ema_types::{ClientId, Issuer, Resource, Secret};
//! # let id = |s: &str| ClientId::new(s).unwrap_or_else(|_| unreachable!());
//! # let iss = |s: &str| Issuer::new(s).unwrap_or_else(|_| unreachable!());
//!
//! let idp = IdentityProvider::new(
//!     iss("https://login.acme-idp.test"),
//!     ClientCredentials::new(id("desk-7f3a"), ClientAuthMethod::SecretBasic(Secret::new("..."))),
//! );
//! let tokens = TokenSource::builder(http, StaticIdToken::new(Secret::new("eyJ...")), idp)
//!     .authorization_server(
//!         iss("https://as.toolhub.test"),
//!         ClientCredentials::new(id("cli_42b19c"), ClientAuthMethod::SecretPost(Secret::new("..."))),
//!     )
//!     .build();
//! let server = Resource::new("https://tools.toolhub.test/mcp").unwrap_or_else(|_| unreachable!());
//! let token = tokens.access_token(&server).await?;
//! let _header = token.authorization_header()?; // Authorization: Bearer ...
//! # Ok(()) }
//! ```
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

mod auth;
mod error;
mod legs;
mod login;
#[cfg(feature = "loopback-login")]
mod loopback;
mod session;
mod subject;
mod token_source;
mod wire;

pub use auth::{ClientAuthMethod, ClientCredentials};
pub use error::{Disposition, Error, ErrorKind, Leg, RequiredAuthentication};
pub use legs::{
    AccessToken, Context, IdJagRequest, IdpEndpoints, IssuedIdJag, Party, ResourceTarget,
    discover_from_headers, discover_idp, discover_resource, discover_resource_with, exchange_token,
    redeem_id_jag,
};
#[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
pub use legs::{IdJagExpectations, fetch_jwks, verify_id_jag};
pub use login::{LoginResult, OidcLogin, OidcLoginConfig, PendingLogin};
#[cfg(feature = "loopback-login")]
#[cfg_attr(docsrs, doc(cfg(feature = "loopback-login")))]
pub use loopback::LoopbackListener;
pub use session::{
    ServerOutcome, ServerReport, ServerTokens, Session, SessionConfig, SessionFailure,
    SessionReport, SessionServer,
};
pub use subject::{
    OidcRefreshSource, RefreshMode, StaticIdToken, SubjectToken, SubjectTokenSource,
    exchange_saml_for_refresh_token,
};
pub use token_source::{
    IdJagVerification, IdentityProvider, TokenSource, TokenSourceBuilder, TokenSourceConfig,
};

/// The HTTP transport on reqwest and rustls (from `ema-metadata`): no redirects, timeouts,
/// a streaming body cap, `https` only unless loopback `http` is allowed.
#[cfg(feature = "reqwest")]
#[cfg_attr(docsrs, doc(cfg(feature = "reqwest")))]
pub use ema_metadata::{ReqwestClient, ReqwestClientBuilder, SchemePolicy};

/// CL-21: the value to announce under
/// `_meta["io.modelcontextprotocol/clientCapabilities"].extensions` of each MCP request:
/// `{"io.modelcontextprotocol/enterprise-managed-authorization": {}}`.
#[must_use]
pub fn mcp_extension_capability() -> serde_json::Value {
    let mut extensions = serde_json::Map::new();
    extensions.insert(
        ema_types::urn::MCP_EXTENSION_ENTERPRISE_MANAGED_AUTHORIZATION.to_owned(),
        serde_json::Value::Object(serde_json::Map::new()),
    );
    serde_json::Value::Object(extensions)
}

/// The README's example, compiled as a doctest.
#[cfg(all(doctest, feature = "reqwest"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// Re-exports of the crates this one builds on.
pub use {ema_jwt, ema_metadata, ema_types};

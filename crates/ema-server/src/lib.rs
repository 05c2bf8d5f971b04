//! Server roles of MCP **Enterprise-Managed Authorization**: the IdP's token exchange that
//! issues ID-JAGs, the resource authorization server that redeems them (jwt-bearer grant), and
//! the resource server that checks access tokens.
//!
//! Each role is a set of sans-IO handlers over `http::Request<Vec<u8>>` →
//! `http::Response<Vec<u8>>` with injected collaborators (clock, key source, replay store,
//! client registry, policy); axum and tower adapters live behind features.
//!
//! | module | what |
//! |---|---|
//! | [`audit`] | one event per IdP/AS decision: the sink trait, JSON lines, `tracing`, a summarizer |
//! | [`endpoint`] | token-endpoint plumbing: preflight (405/413/415), [`endpoint::Rejection`], dispatch on `grant_type` |
//! | `client_auth` | `client_secret_basic`, `client_secret_post`, `private_key_jwt`, public opt-in; the client registry |
//! | `authorization_code` | the authorization-code grant with PKCE, role-independent: authorization endpoint, user-authenticator trait, single-use codes, rotating refresh tokens, grant stores |
//! | `authorization_server` | the jwt-bearer grant: §6 checklist, access-token minting; `code_grant`, the interactive code-flow fallback |
//! | `idp` | the token exchange issuing ID-JAGs; `idp::oidc`, the IdP's OpenID Connect login (code + PKCE, ID tokens, refresh tokens) |
//! | `keys` | where issuer keys come from: static sets, the JWKS cache |
//! | [`rate_limit`] | opt-in token-endpoint rate limiting per key (AS-20): token buckets, 429 + `Retry-After`, a tower layer |
//! | [`replay`] | single use of `jti`s: in-memory (bounded) and Redis stores |
//! | `signing` | the server's own signing keys, with rotation |
//! | `axum` | routers for each role (feature `axum`): `IdpRouter`, `AuthorizationServerRouter`, `ResourceServerRouter` |
//!
//! Features: `aws-lc-rs` (default) or `rust-crypto` select the ema-jwt backend; without
//! either, only [`endpoint`], [`rate_limit`], [`replay`] and the configuration types build (nothing can
//! verify a token). `redis`: the Redis replay and grant stores. `axum`: the HTTP adapters.
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

pub mod audit;
#[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
pub mod authorization_code;
#[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
pub mod authorization_server;
#[cfg(all(feature = "axum", any(feature = "aws-lc-rs", feature = "rust-crypto")))]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod axum;
#[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
pub mod client_auth;
#[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
mod dpop;
pub mod endpoint;
pub mod idp;
#[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
pub mod keys;
pub mod rate_limit;
#[cfg(feature = "redis")]
mod redis_connection;
pub mod replay;
pub mod resource_server;
#[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
pub mod signing;
#[cfg(feature = "tower")]
pub mod tower;

/// A configuration was refused when it was built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration: {message}")]
pub struct ConfigError {
    message: String,
}

impl ConfigError {
    /// An error saying `message`.
    #[must_use]
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    /// What is wrong.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }
}

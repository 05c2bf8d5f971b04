//! Metadata and discovery for MCP **Enterprise-Managed Authorization** (EMA, ID-JAG).
//!
//! Everything a client needs to go from an MCP server's `401` to the right token endpoint,
//! and everything a server needs to publish so that clients can.
//!
//! Without I/O (always available):
//!
//! - the documents: [`AuthorizationServerMetadata`] (RFC 8414, also read from OpenID Connect
//!   `openid-configuration`) and [`ProtectedResourceMetadata`] (RFC 9728), typed with
//!   unknown members kept, and builders to serve them:
//!   [`AuthorizationServerMetadataBuilder`] (AS-15), [`IdentityProviderMetadataBuilder`]
//!   (IDP-21), [`ProtectedResourceMetadataBuilder`] (RS-01);
//! - well-known URLs with path insertion and the candidate orders of META-01, META-02 and
//!   META-04 ([`well_known`]);
//! - validation on receipt: META-03 (`resource`), META-05 (`issuer`), `https` except loopback
//!   in development ([`ValidationPolicy`], [`SchemePolicy`]); CL-06
//!   ([`AuthorizationServerMetadata::supports_id_jag`]);
//! - `WWW-Authenticate` parsing and formatting for Bearer and DPoP, and the resource server's
//!   challenges of RS-02, RS-04 and RS-05 ([`challenge`]).
//!
//! With the `discovery` feature (default): [`discovery::Discovery`], the client's walk from
//! an MCP server URL or a `401` to validated authorization-server metadata, over
//! [`ema_types::transport::HttpClient`], with a bounded cache (META-09).
//!
//! With the `reqwest` feature: [`ReqwestClient`], an `HttpClient` on reqwest and rustls that
//! follows no redirect, applies a timeout and caps the response body while reading it.
//!
//! ```
//! use ema_metadata::challenge::{parse_www_authenticate, AuthScheme, Challenge};
//! use ema_metadata::well_known::authorization_server_metadata_candidates;
//! use ema_metadata::ProtectedResourceMetadataBuilder;
//!
//! // Resource server: publish PRM and challenge unauthenticated requests (RS-01, RS-02).
//! let prm = ProtectedResourceMetadataBuilder::new("https://tools.toolhub.test/mcp".parse()?)
//!     .authorization_server("https://as.toolhub.test".parse()?)
//!     .scopes_supported(["tickets:read"])
//!     .build()?;
//! let challenge = Challenge::missing_token(AuthScheme::Bearer, &prm.well_known_url()?)
//!     .scope(&"tickets:read".parse()?)
//!     .build()?;
//!
//! // Client: read the challenge and list the metadata URLs to try (CL-03, META-04).
//! let parsed = parse_www_authenticate(&challenge.to_string())?;
//! assert_eq!(
//!     parsed[0].resource_metadata(),
//!     Some("https://tools.toolhub.test/.well-known/oauth-protected-resource/mcp")
//! );
//! let urls = authorization_server_metadata_candidates(&prm.authorization_servers[0])?;
//! assert_eq!(urls[0].url().as_str(), "https://as.toolhub.test/.well-known/oauth-authorization-server");
//! # Ok::<(), Box<dyn std::error::Error>>(())
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

mod builder;
pub mod challenge;
mod document;
mod scheme_policy;
mod validation;
pub mod well_known;

#[cfg(feature = "discovery")]
#[cfg_attr(docsrs, doc(cfg(feature = "discovery")))]
pub mod discovery;

#[cfg(feature = "reqwest")]
#[cfg_attr(docsrs, doc(cfg(feature = "reqwest")))]
pub mod reqwest_client;

pub use builder::{
    AuthorizationServerMetadataBuilder, BuildError, IdentityProviderMetadataBuilder,
    ProtectedResourceMetadataBuilder,
};
pub use document::{
    AuthorizationServerMetadata, DocumentError, IdJagSupportError, MAX_DOCUMENT_BYTES,
    ProtectedResourceMetadata,
};
#[cfg(feature = "reqwest")]
#[cfg_attr(docsrs, doc(cfg(feature = "reqwest")))]
pub use reqwest_client::{ReqwestClient, ReqwestClientBuilder};
pub use scheme_policy::SchemePolicy;
pub use validation::{ValidationError, ValidationPolicy};
pub use well_known::WellKnownError;

/// The README's examples, compiled and run as doctests (the second needs `discovery`).
#[cfg(all(doctest, feature = "discovery"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

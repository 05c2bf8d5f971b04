//! Wire types for MCP **Enterprise-Managed Authorization** (EMA) and the Identity Assertion
//! JWT Authorization Grant (ID-JAG, `draft-ietf-oauth-identity-assertion-authz-grant`).
//!
//! No I/O. This crate holds what every role shares:
//!
//! - the URNs and constants of the specification ([`urn`]);
//! - token requests and responses with strict form encoding: [`TokenExchangeRequest`]
//!   (RFC 8693), [`JwtBearerRequest`] (RFC 7523), [`TokenResponse`] (RFC 6749 §5.1),
//!   [`ErrorResponse`] with [`ErrorCode`] (RFC 6749 §5.2);
//! - claims sets of ID-JAGs, access tokens, ID tokens and client assertions ([`claims`]);
//! - identifier newtypes compared byte-for-byte ([`Issuer`], [`Resource`], [`ClientId`]),
//!   [`ScopeSet`], and [`Secret`] (redacted, constant-time equality, zeroized);
//! - the collaborator traits: [`Clock`], [`SecureRandom`] and [`transport::HttpClient`].
//!
//! ```
//! use ema_types::{JwtBearerRequest, urn};
//! let body = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer\
//!             &assertion=eyJ.eyJ.sig&resource=https%3A%2F%2Ftools.toolhub.test%2Fmcp";
//! let req = JwtBearerRequest::decode(body.as_bytes())?;
//! assert_eq!(req.resource[0].as_str(), "https://tools.toolhub.test/mcp");
//! # Ok::<(), ema_types::FormError>(())
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

pub mod basic_auth;
pub mod claims;
mod client_auth;
mod clock;
mod error;
mod form;
mod grant;
pub mod identifier;
mod jwt_bearer;
mod oauth_error;
mod one_or_many;
mod random;
pub mod scope;
mod secret;
mod token_exchange;
mod token_response;
mod token_type;
pub mod transport;
pub mod urn;

pub use client_auth::ClientAuthParams;
pub use clock::{Clock, FixedClock, SystemClock};
pub use error::{FormError, FormErrorKind, IdentifierError, ScopeError};
pub use form::{Form, MAX_FORM_BYTES, MAX_FORM_PARAMS};
pub use grant::grant_type;
pub use identifier::{ClientId, Issuer, Resource};
pub use jwt_bearer::JwtBearerRequest;
pub use oauth_error::{ErrorCode, ErrorResponse};
pub use one_or_many::OneOrMany;
pub use random::{RandomError, SecureRandom, SystemRandom};
pub use scope::{Scope, ScopeSet};
pub use secret::Secret;
pub use token_exchange::{TokenExchangeRequest, TokenExchangeResponse};
pub use token_response::TokenResponse;
pub use token_type::TokenType;

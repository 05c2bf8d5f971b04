//! Strict JOSE for MCP **Enterprise-Managed Authorization**: keys, JWKS, and typed signing and
//! validation of ID-JAGs, RFC 9068 access tokens, OpenID Connect ID tokens,
//! `private_key_jwt` client assertions and RFC 9449 DPoP proofs. No I/O.
//!
//! - **Strict by default.** JWS Compact only; `alg: none`, `HS*` and JWE refused; one `typ`
//!   per token kind so no token validates as another kind (JWT-03); keys pinned to one
//!   algorithm and never taken from token headers (`jwk`, `jku`, `x5u`, `x5c`), with one
//!   documented exception: a DPoP proof's own `jwk`, which only proves possession and whose
//!   thumbprint the caller compares with `cnf.jkt` (`verify::DpopProofVerifier`); repeated JSON
//!   member names refused (JWT-11); 16 KiB size cap; exact issuer, audience, client and
//!   resource matching; time checks against an injected [`ema_types::Clock`].
//! - **Typed errors.** Each [`ErrorKind`] names one rule, for tests and logs; the
//!   [`TokenKind`] gives the OAuth error a server answers with ([`Error::oauth_error_code`]).
//! - **Fast, no global state.** Two crypto backends chosen at compile time: `aws-lc-rs`
//!   (default) and `rust-crypto` (pure Rust). When both features are on, `aws-lc-rs` is used.
//!   Keys are parsed once, when loaded; nothing on a verification path parses a key.
//!
//! Without a backend feature the crate still builds and offers the decoding layer
//! ([`compact::UnverifiedJws`], [`Header`], [`Jwk`], [`JwkSet`], `typ` rules), for tools that
//! inspect tokens without verifying them.
//!
//! ```
//! use ema_jwt::{Algorithm, KeySet, SigningKey};
//! use ema_jwt::mint::{IdJagGrant, IdJagMinter};
//! use ema_jwt::verify::{IdJagVerifier, TrustAnchor};
//! use ema_types::{ClientId, FixedClock, Issuer, Resource, SystemRandom};
//!
//! let clock = FixedClock::new(1_793_000_000);
//! let idp = Issuer::new("https://login.acme-idp.test")?;
//! let as_issuer = Issuer::new("https://as.toolhub.test")?;
//! let mcp = Resource::new("https://tools.toolhub.test/mcp")?;
//!
//! // The IdP mints an ID-JAG (IDP-15).
//! let key = SigningKey::generate(Algorithm::ES256)?;
//! let grant = IdJagGrant::new("00u8k2p9xq", as_issuer.clone(), ClientId::new("cli_42b19c")?)
//!     .with_resource(mcp.clone())
//!     .with_scope("tickets:read".parse()?);
//! let id_jag = IdJagMinter::new(idp.clone(), key.clone()).mint(grant, &clock, &SystemRandom)?;
//!
//! // The resource AS verifies it (§6 steps 4-16).
//! let idp_keys = KeySet::from_keys(vec![key.verifying_key().clone()]);
//! let verifier = IdJagVerifier::new(as_issuer, [mcp]);
//! let token = verifier.decode(id_jag.token.expose())?;
//! let anchor = TrustAnchor::new(idp.as_str(), &idp_keys, &[Algorithm::ES256]);
//! let claims = verifier.verify(token, &anchor, "cli_42b19c", &clock)?;
//! assert_eq!(claims.scope.map(|s| s.to_string()).as_deref(), Some("tickets:read"));
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

mod alg;
mod b64;
mod claims_object;
pub mod compact;
pub mod error;
pub mod header;
mod json;
pub mod key;
pub mod typ;

#[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
mod backend;
#[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
pub mod mint;
#[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
pub mod verify;

pub use alg::Algorithm;
pub use claims_object::ClaimsObject;
pub use error::{Error, ErrorKind, Result, Segment, TokenKind};
pub use header::Header;
pub use key::{Jwk, JwkSet};
#[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
pub use key::{KeySet, SigningKey, VerifyingKey};

/// The crypto backend compiled in: `"aws-lc-rs"` or `"rust-crypto"` (`None` without one).
pub const BACKEND: Option<&str> = if cfg!(feature = "aws-lc-rs") {
    Some("aws-lc-rs")
} else if cfg!(feature = "rust-crypto") {
    Some("rust-crypto")
} else {
    None
};

//! Enterprise-Managed Authorization for [`rmcp`], the official Rust MCP SDK.
//!
//! - [`server`] (feature `server`): guard an rmcp streamable-HTTP server with ema-server's
//!   resource-server checks, with per-tool scopes, and read the verified caller in tool
//!   handlers.
//! - [`client`] (feature `client`): an rmcp streamable-HTTP client whose requests carry
//!   EMA access tokens from an ema-client [`TokenSource`](ema_client::TokenSource), renewed
//!   after a `401` and stepped up after a `403 insufficient_scope`.
//!
//! This crate is separate from the core crates so that rmcp's release cadence never forces
//! theirs. It enables none of rmcp's `auth*` features: EMA does the authorization, and
//! `auth-client-credentials-jwt` would install a process-wide jsonwebtoken crypto backend.
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "server")]
#[cfg_attr(docsrs, doc(cfg(feature = "server")))]
pub mod server;

pub use rmcp;

#[cfg(feature = "client")]
#[cfg_attr(docsrs, doc(cfg(feature = "client")))]
pub mod client;

#[cfg(feature = "oauth-bridge")]
#[cfg_attr(docsrs, doc(cfg(feature = "oauth-bridge")))]
pub mod oauth;

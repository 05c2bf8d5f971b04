//! Test vectors for MCP **Enterprise-Managed Authorization**: a JSON corpus other
//! implementations can reuse, and the deterministic generator that writes it.
//!
//! The corpus lives in `testdata/vectors/` at the workspace root (see its `README.md`): one
//! file per target ([`schema::Target`]) plus `keys.json` with every key, public and private.
//! Each vector names the requirement it exercises (digest IDs such as `JWT-01`, `AS-08`,
//! `§6 step 7`), the fixed clock, the input (a token, or a token request with its headers) and
//! the expected verdict with its OAuth error code.
//!
//! [`generate`] rebuilds the whole corpus in memory from fixed keys and seeds: ECDSA is signed
//! with RFC 6979 deterministic nonces, Ed25519 and RSA PKCS#1 v1.5 are deterministic, and every
//! `jti` is derived from the vector id, so the output is byte-identical on every run and with
//! either crypto backend. `cargo run -p ema-vectors --bin generate-vectors` writes it;
//! the `generator_output_matches_committed_corpus` test checks the committed files, and
//! `tests/run_vectors.rs` runs every vector through the `ema-jwt` verifiers and the sans-IO
//! `ema-server` handlers.
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod cast;
mod corpus;
mod jose;
pub mod keys;
pub mod schema;

pub use corpus::{FILE_NAMES, generate};

/// Why the corpus could not be generated (a key that does not load, a serialization error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("vector generation failed: {0}")]
pub struct Error(pub String);

impl Error {
    fn new(reason: impl std::fmt::Display) -> Self {
        Self(reason.to_string())
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

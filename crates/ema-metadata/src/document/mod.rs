//! The metadata documents: RFC 8414 / OpenID Connect Discovery authorization-server metadata
//! and RFC 9728 protected-resource metadata. Typed members, unknown members kept.

mod authorization_server;
mod protected_resource;
pub(crate) mod serde_helpers;

pub(crate) use authorization_server::MEMBERS as AS_MEMBERS;
pub use authorization_server::{AuthorizationServerMetadata, IdJagSupportError};
pub(crate) use protected_resource::MEMBERS as PRM_MEMBERS;
pub use protected_resource::ProtectedResourceMetadata;

use serde::de::DeserializeOwned;

/// Largest metadata document accepted, in bytes (256 KiB).
pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

/// A metadata document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DocumentError {
    /// The document is larger than [`MAX_DOCUMENT_BYTES`].
    #[error("document is {len} bytes, over the {limit}-byte limit")]
    TooLarge {
        /// Size of the document.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// The document is not a JSON object (RFC 8414 §3.2, RFC 9728 §3.2).
    #[error("document is not a JSON object")]
    NotAnObject,
    /// The document is not valid JSON, repeats a member, or a member has the wrong type or an
    /// invalid value (for example an `issuer` with a query).
    #[error("invalid document: {message}")]
    Json {
        /// What the JSON parser reported, with line and column.
        message: String,
    },
}

pub(crate) fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DocumentError> {
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(DocumentError::TooLarge {
            len: bytes.len(),
            limit: MAX_DOCUMENT_BYTES,
        });
    }
    let first = bytes
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    if first != Some(&b'{') {
        return Err(DocumentError::NotAnObject);
    }
    serde_json::from_slice(bytes).map_err(|e| DocumentError::Json {
        message: e.to_string(),
    })
}

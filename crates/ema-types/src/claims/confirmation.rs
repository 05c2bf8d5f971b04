//! `cnf` (RFC 7800) and `sub_id` (RFC 9493) claim values.

use serde::{Deserialize, Serialize};

/// A confirmation claim (`cnf`, RFC 7800); EMA uses `jkt` (RFC 9449 §6.1).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Confirmation {
    /// RFC 7638 SHA-256 thumbprint of the DPoP key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jkt: Option<String>,
    /// Other confirmation methods.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Confirmation {
    /// A `cnf` with a DPoP key thumbprint.
    #[must_use]
    pub fn jkt(thumbprint: impl Into<String>) -> Self {
        Self {
            jkt: Some(thumbprint.into()),
            extra: serde_json::Map::new(),
        }
    }
}

/// A subject identifier (`sub_id`, RFC 9493), for example format `saml-nameid` (IDP-23).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SubjectIdentifier {
    /// The identifier format (`saml-nameid`, `email`, `iss_sub`, …).
    pub format: String,
    /// The format's members (`issuer`, `nameid`, `nameid_format`, …).
    #[serde(flatten)]
    pub members: serde_json::Map<String, serde_json::Value>,
}

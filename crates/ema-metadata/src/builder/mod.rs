//! Builders for the documents a server publishes. Each `build` checks the document against
//! the digest (AS-15, IDP-21, RS-01, RS-08) and returns an error naming the member and rule;
//! none panics.

mod authorization_server;
mod identity_provider;
mod protected_resource;
mod server;

pub use authorization_server::AuthorizationServerMetadataBuilder;
pub use identity_provider::IdentityProviderMetadataBuilder;
pub use protected_resource::ProtectedResourceMetadataBuilder;

use ema_types::ScopeError;
use ema_types::scope::Scope;
use url::Url;

use crate::SchemePolicy;

/// A document cannot be built as configured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// An issuer, resource or endpoint is not `https` (loopback `http` needs
    /// [`SchemePolicy::AllowLoopbackHttp`]).
    #[error("{member} `{url}` is not an https URL")]
    InsecureUrl {
        /// The member.
        member: &'static str,
        /// The URL.
        url: String,
    },
    /// An endpoint URL has a fragment (RFC 6749 §3.1, §3.2).
    #[error("{member} `{url}` has a fragment")]
    EndpointFragment {
        /// The member.
        member: &'static str,
        /// The URL.
        url: String,
    },
    /// A member the document must have is missing or empty.
    #[error("{member} is required")]
    MissingMember {
        /// The member.
        member: &'static str,
    },
    /// AS-15 / CC-03: `private_key_jwt` or `client_secret_jwt` is listed, so
    /// `token_endpoint_auth_signing_alg_values_supported` must be present.
    #[error(
        "AS-15: token_endpoint_auth_signing_alg_values_supported is required when a JWT client authentication method is listed"
    )]
    SigningAlgorithmsRequired,
    /// `none` is listed as a signing algorithm (RFC 8414 §2: MUST NOT).
    #[error("{member} must not list `none`")]
    AlgorithmNone {
        /// The member.
        member: &'static str,
    },
    /// A symmetric (`HS*`) algorithm is listed where only asymmetric ones are allowed
    /// (RFC 9449 §5.1 for DPoP, OpenID Connect for cross-domain ID tokens).
    #[error("{member} must not list symmetric algorithm `{alg}`")]
    SymmetricAlgorithm {
        /// The member.
        member: &'static str,
        /// The algorithm.
        alg: String,
    },
    /// RS-08: `offline_access` must not be in a resource's `scopes_supported`.
    #[error("RS-08: scopes_supported must not contain offline_access")]
    OfflineAccessScope,
    /// A scope is not a valid scope token (RFC 6749 §3.3).
    #[error("invalid scope `{scope}`: {error}")]
    InvalidScope {
        /// The scope, cut to 64 characters.
        scope: String,
        /// Why.
        error: ScopeError,
    },
    /// A member about the authorization endpoint is set without `authorization_endpoint`.
    #[error("{member} needs authorization_endpoint")]
    RequiresAuthorizationEndpoint {
        /// The member.
        member: &'static str,
    },
    /// `code_challenge_methods_supported` must list `S256` (MCP requires PKCE with S256).
    #[error("code_challenge_methods_supported must list S256")]
    S256Required,
    /// A value is not acceptable for its member (empty, control characters, or `plain`
    /// PKCE).
    #[error("invalid value `{value}` for {member}")]
    InvalidValue {
        /// The member.
        member: &'static str,
        /// The value, cut to 64 characters.
        value: String,
    },
    /// An extension member would collide with a typed member.
    #[error("extension member `{name}` is a typed member; use its setter")]
    ReservedMember {
        /// The name.
        name: String,
    },
    /// The same authorization server is listed twice.
    #[error("authorization server `{issuer}` is listed twice")]
    DuplicateAuthorizationServer {
        /// The issuer.
        issuer: String,
    },
}

fn cut(value: &str) -> String {
    value.chars().take(64).collect()
}

/// Check a URL member against the scheme policy; no fragment.
pub(crate) fn check_url(
    member: &'static str,
    url: &Url,
    scheme: SchemePolicy,
) -> Result<(), BuildError> {
    if !scheme.permits(url) {
        return Err(BuildError::InsecureUrl {
            member,
            url: url.to_string(),
        });
    }
    if url.fragment().is_some() {
        return Err(BuildError::EndpointFragment {
            member,
            url: url.to_string(),
        });
    }
    Ok(())
}

/// Non-empty values without control characters or spaces, deduplicated, order kept.
pub(crate) fn clean_list(
    member: &'static str,
    values: Vec<String>,
) -> Result<Vec<String>, BuildError> {
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for v in values {
        if v.is_empty() || v.chars().any(|c| c.is_control() || c == ' ') {
            return Err(BuildError::InvalidValue {
                member,
                value: cut(&v),
            });
        }
        if !out.contains(&v) {
            out.push(v);
        }
    }
    Ok(out)
}

/// Signing algorithms: cleaned, never `none`; with `asymmetric_only`, never `HS*`.
pub(crate) fn clean_algs(
    member: &'static str,
    values: Vec<String>,
    asymmetric_only: bool,
) -> Result<Vec<String>, BuildError> {
    let values = clean_list(member, values)?;
    for alg in &values {
        if alg.eq_ignore_ascii_case("none") {
            return Err(BuildError::AlgorithmNone { member });
        }
        if asymmetric_only && alg.starts_with("HS") {
            return Err(BuildError::SymmetricAlgorithm {
                member,
                alg: alg.clone(),
            });
        }
    }
    Ok(values)
}

/// Scopes: valid scope tokens, deduplicated, order kept.
pub(crate) fn clean_scopes(values: Vec<String>) -> Result<Vec<String>, BuildError> {
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for v in values {
        Scope::new(v.as_str()).map_err(|error| BuildError::InvalidScope {
            scope: cut(&v),
            error,
        })?;
        if !out.contains(&v) {
            out.push(v);
        }
    }
    Ok(out)
}

/// Refuse extension members that are typed members.
pub(crate) fn check_extra(
    extra: &serde_json::Map<String, serde_json::Value>,
    typed: &[&str],
) -> Result<(), BuildError> {
    match extra.keys().find(|k| typed.contains(&k.as_str())) {
        Some(name) => Err(BuildError::ReservedMember { name: name.clone() }),
        None => Ok(()),
    }
}

pub(crate) fn strings<I, S>(values: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    values.into_iter().map(Into::into).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_cleaning() {
        assert_eq!(
            clean_list("m", strings(["a", "b", "a"])).unwrap(),
            ["a", "b"]
        );
        assert_eq!(
            clean_list("m", strings(["a", ""])),
            Err(BuildError::InvalidValue {
                member: "m",
                value: String::new()
            })
        );
        assert!(clean_list("m", strings(["a b"])).is_err());
        assert!(clean_list("m", strings(["a\nb"])).is_err());
        assert_eq!(
            clean_algs("m", strings(["ES256", "None"]), false),
            Err(BuildError::AlgorithmNone { member: "m" })
        );
        assert_eq!(
            clean_algs("m", strings(["HS256"]), true),
            Err(BuildError::SymmetricAlgorithm {
                member: "m",
                alg: "HS256".into()
            })
        );
        assert!(clean_algs("m", strings(["HS256"]), false).is_ok());
        assert!(matches!(
            clean_scopes(strings(["ok", "a\"b"])),
            Err(BuildError::InvalidScope { .. })
        ));
    }
}

//! Authorization-server metadata URLs (RFC 8414 §3.1, OpenID Connect Discovery §4) in the
//! client's order (META-04).

use ema_types::Issuer;
use ema_types::urn::{WELL_KNOWN_AUTHORIZATION_SERVER, WELL_KNOWN_OPENID_CONFIGURATION};
use url::Url;

use super::{SafeIdentifier, WellKnownError};

/// Which well-known document a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WellKnownDocument {
    /// RFC 8414 `oauth-authorization-server`.
    OAuthAuthorizationServer,
    /// OpenID Connect Discovery `openid-configuration`.
    OpenIdConfiguration,
}

/// One authorization-server metadata URL to try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerMetadataCandidate {
    url: Url,
    document: WellKnownDocument,
}

impl ServerMetadataCandidate {
    /// The URL to fetch.
    #[must_use]
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Which well-known document it is.
    #[must_use]
    pub fn document(&self) -> WellKnownDocument {
        self.document
    }
}

/// The RFC 8414 metadata URL of `issuer` (path-inserted): where an authorization server
/// publishes its metadata.
///
/// ```
/// use ema_metadata::well_known::authorization_server_metadata_url;
/// let issuer = "https://as.toolhub.test".parse()?;
/// assert_eq!(
///     authorization_server_metadata_url(&issuer)?.as_str(),
///     "https://as.toolhub.test/.well-known/oauth-authorization-server"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn authorization_server_metadata_url(issuer: &Issuer) -> Result<Url, WellKnownError> {
    Ok(SafeIdentifier::parse(issuer.as_str())?.path_inserted(WELL_KNOWN_AUTHORIZATION_SERVER))
}

/// The OpenID Connect Discovery URL of `issuer`: the issuer without its terminating `/`,
/// then `/.well-known/openid-configuration` (OpenID Connect Discovery §4.1).
pub fn openid_configuration_url(issuer: &Issuer) -> Result<Url, WellKnownError> {
    Ok(SafeIdentifier::parse(issuer.as_str())?.appended(WELL_KNOWN_OPENID_CONFIGURATION))
}

/// The metadata URLs a client tries for `issuer`, in order (META-04).
///
/// With a path (`https://a/t1`): `https://a/.well-known/oauth-authorization-server/t1`,
/// `https://a/.well-known/openid-configuration/t1`, `https://a/t1/.well-known/openid-configuration`.
/// Without one: `https://a/.well-known/oauth-authorization-server`,
/// `https://a/.well-known/openid-configuration`.
///
/// ```
/// use ema_metadata::well_known::authorization_server_metadata_candidates;
/// let issuer = "https://a/t1".parse()?;
/// let urls: Vec<String> = authorization_server_metadata_candidates(&issuer)?
///     .iter().map(|c| c.url().to_string()).collect();
/// assert_eq!(urls, [
///     "https://a/.well-known/oauth-authorization-server/t1",
///     "https://a/.well-known/openid-configuration/t1",
///     "https://a/t1/.well-known/openid-configuration",
/// ]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn authorization_server_metadata_candidates(
    issuer: &Issuer,
) -> Result<Vec<ServerMetadataCandidate>, WellKnownError> {
    let id = SafeIdentifier::parse(issuer.as_str())?;
    let mut out = vec![
        ServerMetadataCandidate {
            url: id.path_inserted(WELL_KNOWN_AUTHORIZATION_SERVER),
            document: WellKnownDocument::OAuthAuthorizationServer,
        },
        ServerMetadataCandidate {
            url: id.path_inserted(WELL_KNOWN_OPENID_CONFIGURATION),
            document: WellKnownDocument::OpenIdConfiguration,
        },
    ];
    if id.has_path() {
        out.push(ServerMetadataCandidate {
            url: id.appended(WELL_KNOWN_OPENID_CONFIGURATION),
            document: WellKnownDocument::OpenIdConfiguration,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(issuer: &str) -> Vec<String> {
        authorization_server_metadata_candidates(&Issuer::new(issuer).unwrap())
            .unwrap()
            .iter()
            .map(|c| c.url().to_string())
            .collect()
    }

    #[test]
    fn meta_04_issuer_with_path_order() {
        assert_eq!(
            urls("https://a/t1"),
            [
                "https://a/.well-known/oauth-authorization-server/t1",
                "https://a/.well-known/openid-configuration/t1",
                "https://a/t1/.well-known/openid-configuration",
            ]
        );
        let kinds: Vec<_> =
            authorization_server_metadata_candidates(&Issuer::new("https://a/t1").unwrap())
                .unwrap()
                .iter()
                .map(ServerMetadataCandidate::document)
                .collect();
        assert_eq!(
            kinds,
            [
                WellKnownDocument::OAuthAuthorizationServer,
                WellKnownDocument::OpenIdConfiguration,
                WellKnownDocument::OpenIdConfiguration
            ]
        );
    }

    #[test]
    fn meta_04_issuer_without_path_order() {
        let expected = [
            "https://a/.well-known/oauth-authorization-server",
            "https://a/.well-known/openid-configuration",
        ];
        assert_eq!(urls("https://a"), expected);
        assert_eq!(urls("https://a/"), expected);
    }

    #[test]
    fn meta_04_trailing_slash_and_ports() {
        assert_eq!(
            urls("https://a:8443/t1/"),
            [
                "https://a:8443/.well-known/oauth-authorization-server/t1/",
                "https://a:8443/.well-known/openid-configuration/t1/",
                "https://a:8443/t1/.well-known/openid-configuration",
            ]
        );
        assert_eq!(
            urls("https://login.acme-idp.test/tenants/t1"),
            [
                "https://login.acme-idp.test/.well-known/oauth-authorization-server/tenants/t1",
                "https://login.acme-idp.test/.well-known/openid-configuration/tenants/t1",
                "https://login.acme-idp.test/tenants/t1/.well-known/openid-configuration",
            ]
        );
        assert_eq!(
            urls("http://127.0.0.1:9000"),
            [
                "http://127.0.0.1:9000/.well-known/oauth-authorization-server",
                "http://127.0.0.1:9000/.well-known/openid-configuration",
            ]
        );
    }

    #[test]
    fn serving_urls() {
        let issuer = Issuer::new("https://as.toolhub.test/t1/").unwrap();
        assert_eq!(
            authorization_server_metadata_url(&issuer).unwrap().as_str(),
            "https://as.toolhub.test/.well-known/oauth-authorization-server/t1/"
        );
        assert_eq!(
            openid_configuration_url(&issuer).unwrap().as_str(),
            "https://as.toolhub.test/t1/.well-known/openid-configuration"
        );
        assert_eq!(
            openid_configuration_url(&Issuer::new("https://idp.example").unwrap())
                .unwrap()
                .as_str(),
            "https://idp.example/.well-known/openid-configuration"
        );
    }

    #[test]
    fn meta_04_refuses_unsafe_issuer_paths() {
        assert_eq!(
            authorization_server_metadata_candidates(&Issuer::new("https://a//t1").unwrap()),
            Err(WellKnownError::EmptyPathSegment)
        );
        assert_eq!(
            authorization_server_metadata_candidates(&Issuer::new("https://a/t1/..").unwrap()),
            Err(WellKnownError::DotSegment)
        );
    }
}

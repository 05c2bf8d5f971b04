//! Protected-resource metadata URLs (RFC 9728 §3.1, META-01) and the client's candidate
//! order (CL-03, META-02) with what each candidate's `resource` must equal (META-03).

use ema_types::Resource;
use ema_types::urn::WELL_KNOWN_PROTECTED_RESOURCE;
use url::Url;

use super::{SafeIdentifier, WellKnownError, raw_origin};

/// The path-inserted protected-resource metadata URL of `resource` (META-01):
/// `/.well-known/oauth-protected-resource` goes between the host and the path; the query is
/// kept after the path.
///
/// ```
/// use ema_metadata::well_known::protected_resource_metadata_url;
/// let r = "https://tools.toolhub.test/mcp".parse()?;
/// assert_eq!(
///     protected_resource_metadata_url(&r)?.as_str(),
///     "https://tools.toolhub.test/.well-known/oauth-protected-resource/mcp"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn protected_resource_metadata_url(resource: &Resource) -> Result<Url, WellKnownError> {
    Ok(SafeIdentifier::parse(resource.as_str())?.path_inserted(WELL_KNOWN_PROTECTED_RESOURCE))
}

/// The root protected-resource metadata URL of the host of `resource`:
/// `scheme://authority/.well-known/oauth-protected-resource`, no path, no query.
pub fn protected_resource_metadata_root_url(resource: &Resource) -> Result<Url, WellKnownError> {
    Ok(SafeIdentifier::parse(resource.as_str())?.root(WELL_KNOWN_PROTECTED_RESOURCE))
}

/// Where a protected-resource metadata URL came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResourceMetadataSource {
    /// The `resource_metadata` parameter of the resource server's `WWW-Authenticate` challenge.
    Header,
    /// The path-inserted well-known URL built from the requested URL (META-01).
    PathInserted,
    /// The well-known URL at the root of the host.
    Root,
}

/// One protected-resource metadata URL to try, and what the document found there must say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceMetadataCandidate {
    url: Url,
    source: ResourceMetadataSource,
    requested: Resource,
}

impl ResourceMetadataCandidate {
    /// The URL to fetch.
    #[must_use]
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Where the URL came from.
    #[must_use]
    pub fn source(&self) -> ResourceMetadataSource {
        self.source
    }

    /// The URL the client requested (the MCP server URL).
    #[must_use]
    pub fn requested(&self) -> &Resource {
        &self.requested
    }

    /// Whether a document whose `resource` is `found` may be used for this candidate (META-03,
    /// RFC 9728 §3.3): compared exactly, byte for byte.
    ///
    /// - Header and path-inserted URLs: `found` must equal the requested URL.
    /// - The root URL was built from the host alone, so `found` may also be that host's
    ///   identifier (`scheme://authority`, with or without a terminating `/`).
    /// - `accepted_prefixes` (OQ-12, empty by default): `found` may also be one of these when
    ///   the requested URL lies under it (equal, or followed by `/` or `?`).
    #[must_use]
    pub fn accepts(&self, found: &Resource, accepted_prefixes: &[Resource]) -> bool {
        let requested = self.requested.as_str();
        let found = found.as_str();
        if found == requested {
            return true;
        }
        if self.source == ResourceMetadataSource::Root
            && let Some(origin) = raw_origin(requested)
            && (found == origin || found.strip_suffix('/') == Some(origin))
        {
            return true;
        }
        accepted_prefixes
            .iter()
            .any(|p| p.as_str() == found && is_under(requested, found))
    }

    /// The identifiers [`Self::accepts`] takes without a prefix allow-list, for error messages.
    #[must_use]
    pub fn expected(&self) -> String {
        match (self.source, raw_origin(self.requested.as_str())) {
            (ResourceMetadataSource::Root, Some(origin)) if origin != self.requested.as_str() => {
                format!("{} or {origin}", self.requested)
            }
            _ => self.requested.to_string(),
        }
    }
}

fn is_under(requested: &str, prefix: &str) -> bool {
    match requested.strip_prefix(prefix) {
        Some("") => true,
        Some(rest) => prefix.ends_with('/') || rest.starts_with('/') || rest.starts_with('?'),
        None => false,
    }
}

/// The protected-resource metadata URLs a client tries for `requested`, in order (CL-03,
/// META-02): the `resource_metadata` URL of the challenge when there is one, then the
/// path-inserted URL, then the root URL; duplicates removed.
///
/// ```
/// use ema_metadata::well_known::{protected_resource_metadata_candidates, ResourceMetadataSource};
/// let requested = "https://tools.toolhub.test/mcp".parse()?;
/// let c = protected_resource_metadata_candidates(&requested, None)?;
/// let urls: Vec<_> = c.iter().map(|c| (c.url().as_str(), c.source())).collect();
/// assert_eq!(urls, [
///     ("https://tools.toolhub.test/.well-known/oauth-protected-resource/mcp", ResourceMetadataSource::PathInserted),
///     ("https://tools.toolhub.test/.well-known/oauth-protected-resource", ResourceMetadataSource::Root),
/// ]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn protected_resource_metadata_candidates(
    requested: &Resource,
    header_url: Option<Url>,
) -> Result<Vec<ResourceMetadataCandidate>, WellKnownError> {
    let id = SafeIdentifier::parse(requested.as_str())?;
    let mut out: Vec<ResourceMetadataCandidate> = Vec::with_capacity(3);
    let mut push = |url: Url, source| {
        if !out.iter().any(|c| c.url == url) {
            out.push(ResourceMetadataCandidate {
                url,
                source,
                requested: requested.clone(),
            });
        }
    };
    if let Some(url) = header_url {
        push(url, ResourceMetadataSource::Header);
    }
    push(
        id.path_inserted(WELL_KNOWN_PROTECTED_RESOURCE),
        ResourceMetadataSource::PathInserted,
    );
    push(
        id.root(WELL_KNOWN_PROTECTED_RESOURCE),
        ResourceMetadataSource::Root,
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Resource {
        Resource::new(s).unwrap()
    }

    fn prm(s: &str) -> String {
        protected_resource_metadata_url(&r(s)).unwrap().to_string()
    }

    #[test]
    fn meta_01_path_inserted_prm_url() {
        // The digest's examples.
        assert_eq!(
            prm("https://h/x/mcp"),
            "https://h/.well-known/oauth-protected-resource/x/mcp"
        );
        assert_eq!(
            prm("https://h"),
            "https://h/.well-known/oauth-protected-resource"
        );
        // §7.1 wire example.
        assert_eq!(
            prm("https://tools.toolhub.test/mcp"),
            "https://tools.toolhub.test/.well-known/oauth-protected-resource/mcp"
        );
    }

    #[test]
    fn meta_01_terminating_slash_after_host_is_removed() {
        assert_eq!(
            prm("https://h/"),
            "https://h/.well-known/oauth-protected-resource"
        );
        // A trailing slash on a longer path is part of the identifier and is kept.
        assert_eq!(
            prm("https://h/mcp/"),
            "https://h/.well-known/oauth-protected-resource/mcp/"
        );
    }

    #[test]
    fn meta_01_suffix_goes_before_path_and_query() {
        assert_eq!(
            prm("https://h/mcp?tenant=acme&x=1"),
            "https://h/.well-known/oauth-protected-resource/mcp?tenant=acme&x=1"
        );
        assert_eq!(
            prm("https://h?tenant=acme"),
            "https://h/.well-known/oauth-protected-resource?tenant=acme"
        );
        assert_eq!(
            prm("https://h/?tenant=acme"),
            "https://h/.well-known/oauth-protected-resource?tenant=acme"
        );
    }

    #[test]
    fn meta_01_ports_and_loopback() {
        assert_eq!(
            prm("https://h:8443/a/mcp"),
            "https://h:8443/.well-known/oauth-protected-resource/a/mcp"
        );
        assert_eq!(
            prm("http://127.0.0.1:3000/mcp"),
            "http://127.0.0.1:3000/.well-known/oauth-protected-resource/mcp"
        );
        assert_eq!(
            prm("http://[::1]:3000"),
            "http://[::1]:3000/.well-known/oauth-protected-resource"
        );
    }

    #[test]
    fn meta_01_root_url_drops_path_and_query() {
        let root = protected_resource_metadata_root_url(&r("https://h:8443/x/mcp?q=1")).unwrap();
        assert_eq!(
            root.as_str(),
            "https://h:8443/.well-known/oauth-protected-resource"
        );
    }

    #[test]
    fn meta_01_refuses_identifiers_that_would_break_the_path() {
        assert_eq!(
            protected_resource_metadata_url(&r("https://h//mcp")),
            Err(WellKnownError::EmptyPathSegment)
        );
        assert_eq!(
            protected_resource_metadata_url(&r("https://h/a/../../etc")),
            Err(WellKnownError::DotSegment)
        );
    }

    #[test]
    fn meta_02_order_header_then_path_inserted_then_root() {
        let header = Url::parse("https://meta.example/prm/tools").unwrap();
        let c =
            protected_resource_metadata_candidates(&r("https://h/x/mcp"), Some(header)).unwrap();
        let got: Vec<_> = c.iter().map(|c| (c.url().as_str(), c.source())).collect();
        assert_eq!(
            got,
            [
                (
                    "https://meta.example/prm/tools",
                    ResourceMetadataSource::Header
                ),
                (
                    "https://h/.well-known/oauth-protected-resource/x/mcp",
                    ResourceMetadataSource::PathInserted
                ),
                (
                    "https://h/.well-known/oauth-protected-resource",
                    ResourceMetadataSource::Root
                ),
            ]
        );
    }

    #[test]
    fn meta_02_duplicates_removed() {
        // Without a path, the path-inserted URL is the root URL.
        let c = protected_resource_metadata_candidates(&r("https://h"), None).unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].source(), ResourceMetadataSource::PathInserted);
        // A header URL equal to the path-inserted one is tried once, as the header URL.
        let header = Url::parse("https://h/.well-known/oauth-protected-resource/mcp").unwrap();
        let c = protected_resource_metadata_candidates(&r("https://h/mcp"), Some(header)).unwrap();
        let sources: Vec<_> = c.iter().map(ResourceMetadataCandidate::source).collect();
        assert_eq!(
            sources,
            [ResourceMetadataSource::Header, ResourceMetadataSource::Root]
        );
    }

    #[test]
    fn meta_03_expected_resource_per_source() {
        let header = Url::parse("https://meta.example/prm").unwrap();
        let c = protected_resource_metadata_candidates(&r("https://h/mcp"), Some(header)).unwrap();
        let (hdr, inserted, root) = (&c[0], &c[1], &c[2]);
        for cand in [hdr, inserted, root] {
            assert!(cand.accepts(&r("https://h/mcp"), &[]));
            assert!(!cand.accepts(&r("https://h/mcp/"), &[]));
            assert!(!cand.accepts(&r("https://H/mcp"), &[]));
            assert!(!cand.accepts(&r("https://evil.example/mcp"), &[]));
        }
        // Only the root URL was built from the host's identifier.
        assert!(!hdr.accepts(&r("https://h"), &[]));
        assert!(!inserted.accepts(&r("https://h"), &[]));
        assert!(root.accepts(&r("https://h"), &[]));
        assert!(root.accepts(&r("https://h/"), &[]));
        assert!(!root.accepts(&r("https://h:443"), &[]));
        assert_eq!(root.expected(), "https://h/mcp or https://h");
        assert_eq!(hdr.expected(), "https://h/mcp");
    }

    #[test]
    fn oq_12_prefix_allow_list() {
        let c = protected_resource_metadata_candidates(&r("https://h/api/mcp1"), None).unwrap();
        let inserted = &c[0];
        let prefix = r("https://h/api");
        assert!(!inserted.accepts(&prefix, &[]));
        assert!(inserted.accepts(&prefix, std::slice::from_ref(&prefix)));
        // The prefix must be what the document says, and must lie above the requested URL.
        assert!(!inserted.accepts(&r("https://h/ap"), &[r("https://h/ap")]));
        assert!(!inserted.accepts(&r("https://h/other"), &[r("https://h/other")]));
        assert!(!inserted.accepts(&r("https://h/api"), &[r("https://h/other")]));
        assert!(is_under("https://h/api?x=1", "https://h/api"));
        assert!(is_under("https://h/api/x", "https://h/api/"));
        assert!(!is_under("https://h/apix", "https://h/api"));
    }
}

//! Well-known metadata URLs: path insertion (RFC 8414 §3.1, RFC 9728 §3.1), the OpenID
//! Connect appended form, and the candidate orders of META-02 and META-04.
//!
//! URLs are built from the identifier exactly as given, after refusing identifiers whose path
//! a URL parser would rewrite or whose well-known URL would be ambiguous: empty path segments
//! (`//`), dot segments (`.`, `..`, also percent-encoded) and backslashes. So the result never
//! has `//` in its path, never escapes the well-known prefix, and keeps the query.

mod authorization_server;
mod protected_resource;

pub use authorization_server::{
    ServerMetadataCandidate, WellKnownDocument, authorization_server_metadata_candidates,
    authorization_server_metadata_url, openid_configuration_url,
};
pub use protected_resource::{
    ResourceMetadataCandidate, ResourceMetadataSource, protected_resource_metadata_candidates,
    protected_resource_metadata_root_url, protected_resource_metadata_url,
};

use url::Url;

/// Why no well-known URL can be built from an identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WellKnownError {
    /// The identifier does not parse as a URL.
    #[error("identifier is not a valid URL")]
    InvalidUrl,
    /// The scheme is neither `https` nor `http`.
    #[error("unsupported scheme `{scheme}`; metadata is fetched over https")]
    UnsupportedScheme {
        /// The scheme found.
        scheme: String,
    },
    /// The identifier has no host.
    #[error("identifier has no host")]
    NoHost,
    /// The identifier carries user information (`user:pass@`), which is never sent.
    #[error("identifier carries user information")]
    UserInfo,
    /// The path has an empty segment (`//`), which would put `//` in the well-known path.
    #[error("identifier path has an empty segment (`//`)")]
    EmptyPathSegment,
    /// The path has a `.` or `..` segment (or a percent-encoded one), which a URL parser
    /// would resolve, moving the well-known URL elsewhere.
    #[error("identifier path has a dot segment")]
    DotSegment,
    /// The path has a backslash, which URL parsers treat as `/` in http(s) URLs.
    #[error("identifier path has a backslash")]
    Backslash,
}

/// A parsed identifier whose path is safe to insert into a well-known URL.
#[derive(Debug)]
pub(crate) struct SafeIdentifier {
    url: Url,
}

impl SafeIdentifier {
    pub(crate) fn parse(value: &str) -> Result<Self, WellKnownError> {
        let url = Url::parse(value).map_err(|_| WellKnownError::InvalidUrl)?;
        match url.scheme() {
            "https" | "http" => {}
            other => {
                return Err(WellKnownError::UnsupportedScheme {
                    scheme: other.to_owned(),
                });
            }
        }
        if url.host().is_none() {
            return Err(WellKnownError::NoHost);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(WellKnownError::UserInfo);
        }
        check_raw_path(raw_path(value))?;
        Ok(Self { url })
    }

    /// The path to insert: empty for a root identifier (RFC 9728 §3.1: a terminating `/`
    /// right after the host is removed), otherwise the path as given (percent-encoded).
    fn insertable_path(&self) -> &str {
        match self.url.path() {
            "/" => "",
            p => p,
        }
    }

    /// `scheme://authority` + `suffix` + path, query kept (RFC 8414 §3.1, RFC 9728 §3.1).
    pub(crate) fn path_inserted(&self, suffix: &str) -> Url {
        let mut url = self.url.clone();
        let path = format!("{suffix}{}", self.insertable_path());
        url.set_path(&path);
        url
    }

    /// `scheme://authority` + `suffix`, no query.
    pub(crate) fn root(&self, suffix: &str) -> Url {
        let mut url = self.url.clone();
        url.set_path(suffix);
        url.set_query(None);
        url
    }

    /// Path without its terminating `/`, then `suffix` (OpenID Connect Discovery §4).
    pub(crate) fn appended(&self, suffix: &str) -> Url {
        let mut url = self.url.clone();
        let base = self.insertable_path();
        let base = base.strip_suffix('/').unwrap_or(base);
        let path = format!("{base}{suffix}");
        url.set_path(&path);
        url
    }

    pub(crate) fn has_path(&self) -> bool {
        !self.insertable_path().is_empty()
    }
}

/// The path of an absolute URI as written: after the authority, before `?` or `#`.
fn raw_path(value: &str) -> &str {
    let Some((_, rest)) = value.split_once("://") else {
        return "";
    };
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    match rest.find('/') {
        Some(i) => rest.get(i..).unwrap_or(""),
        None => "",
    }
}

/// The `scheme://authority` prefix of an absolute URI as written.
pub(crate) fn raw_origin(value: &str) -> Option<&str> {
    let scheme_end = value.find("://")?;
    let after = scheme_end + 3;
    let rest = value.get(after..)?;
    let len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    value.get(..after + len)
}

fn check_raw_path(path: &str) -> Result<(), WellKnownError> {
    if path.contains('\\') {
        return Err(WellKnownError::Backslash);
    }
    let Some(segments) = path.strip_prefix('/') else {
        return Ok(());
    };
    let mut iter = segments.split('/').peekable();
    while let Some(segment) = iter.next() {
        let last = iter.peek().is_none();
        // "/" alone, and a trailing "/", end with one empty segment; any other is `//`.
        if segment.is_empty() && !last {
            return Err(WellKnownError::EmptyPathSegment);
        }
        if is_dot_segment(segment) {
            return Err(WellKnownError::DotSegment);
        }
    }
    Ok(())
}

fn is_dot_segment(segment: &str) -> bool {
    let lower = segment.to_ascii_lowercase();
    matches!(
        lower.as_str(),
        "." | ".." | "%2e" | ".%2e" | "%2e." | "%2e%2e"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_parts() {
        assert_eq!(raw_path("https://h"), "");
        assert_eq!(raw_path("https://h/"), "/");
        assert_eq!(raw_path("https://h:8443/a/b?x=/y"), "/a/b");
        assert_eq!(raw_path("https://h?x=/y"), "");
        assert_eq!(raw_origin("https://h:8443/a?b"), Some("https://h:8443"));
        assert_eq!(raw_origin("https://h?b"), Some("https://h"));
        assert_eq!(raw_origin("https://h"), Some("https://h"));
        assert_eq!(raw_origin("nope"), None);
    }

    #[test]
    fn unsafe_paths_are_refused() {
        let cases = [
            ("https://h//x", WellKnownError::EmptyPathSegment),
            ("https://h/a//b", WellKnownError::EmptyPathSegment),
            ("https://h/a//", WellKnownError::EmptyPathSegment),
            ("https://h/a/../b", WellKnownError::DotSegment),
            ("https://h/./b", WellKnownError::DotSegment),
            ("https://h/a/%2E%2e", WellKnownError::DotSegment),
            ("https://h/a/.%2e/b", WellKnownError::DotSegment),
            ("https://h/a\\b", WellKnownError::Backslash),
            ("https://u:p@h/a", WellKnownError::UserInfo),
            ("https://u@h/a", WellKnownError::UserInfo),
            (
                "ftp://h/a",
                WellKnownError::UnsupportedScheme {
                    scheme: "ftp".into(),
                },
            ),
            (
                "urn:x:y",
                WellKnownError::UnsupportedScheme {
                    scheme: "urn".into(),
                },
            ),
            ("nope", WellKnownError::InvalidUrl),
        ];
        for (input, expected) in cases {
            assert_eq!(
                SafeIdentifier::parse(input).unwrap_err(),
                expected,
                "{input}"
            );
        }
        for ok in [
            "https://h/...",
            "https://h/.well-known",
            "https://h/a./b",
            "https://h/a/",
        ] {
            assert!(SafeIdentifier::parse(ok).is_ok(), "{ok}");
        }
    }
}

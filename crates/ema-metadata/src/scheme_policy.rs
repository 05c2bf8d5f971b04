//! Which URL schemes may be fetched, published or accepted: `https`, and `http` on loopback
//! only when the caller opts in to development mode.

use ema_types::identifier::is_loopback_host;
use url::Url;

/// Which URL schemes are acceptable for issuers, resources, endpoints and metadata URLs.
///
/// RFC 8414 §2 and RFC 9728 §2 require `https`. For local development, `http` may be allowed
/// on loopback hosts only (`localhost`, `127.0.0.0/8`, `[::1]`); never anywhere else.
///
/// ```
/// use ema_metadata::SchemePolicy;
/// let dev = SchemePolicy::AllowLoopbackHttp;
/// assert!(dev.permits(&"http://127.0.0.1:8080/mcp".parse()?));
/// assert!(!dev.permits(&"http://tools.example/mcp".parse()?));
/// assert!(!SchemePolicy::HttpsOnly.permits(&"http://localhost/mcp".parse()?));
/// # Ok::<(), url::ParseError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum SchemePolicy {
    /// Only `https` URLs (the production setting).
    #[default]
    HttpsOnly,
    /// `https` URLs, and `http` URLs whose host is a loopback host. For development only.
    AllowLoopbackHttp,
}

impl SchemePolicy {
    /// Whether `url` may be used under this policy.
    #[must_use]
    pub fn permits(self, url: &Url) -> bool {
        match url.scheme() {
            "https" => url.host().is_some(),
            "http" => {
                self == Self::AllowLoopbackHttp && url.host().is_some_and(|h| is_loopback_host(&h))
            }
            _ => false,
        }
    }

    /// Whether the absolute URI `value` may be used under this policy; a value that does not
    /// parse as a URL is never permitted.
    #[must_use]
    pub fn permits_str(self, value: &str) -> bool {
        Url::parse(value).is_ok_and(|u| self.permits(&u))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn https_only_refuses_http_everywhere() {
        let p = SchemePolicy::HttpsOnly;
        assert!(p.permits(&u("https://as.example/t1")));
        assert!(!p.permits(&u("http://as.example")));
        assert!(!p.permits(&u("http://127.0.0.1:8080")));
        assert!(!p.permits(&u("http://[::1]:8080")));
        assert!(!p.permits(&u("ftp://as.example")));
        assert!(!p.permits(&u("urn:example:as")));
    }

    #[test]
    fn development_allows_http_on_loopback_only() {
        let p = SchemePolicy::AllowLoopbackHttp;
        assert!(p.permits(&u("http://127.0.0.1:8080")));
        assert!(p.permits(&u("http://127.10.0.3/x")));
        assert!(p.permits(&u("http://[::1]:8080")));
        assert!(p.permits(&u("http://LOCALHOST:3000/mcp")));
        assert!(p.permits(&u("https://as.example")));
        assert!(!p.permits(&u("http://10.0.0.1")));
        assert!(!p.permits(&u("http://localhost.example.com")));
        assert!(!p.permits(&u("http://128.0.0.1")));
        assert!(!p.permits(&u("file:///etc/passwd")));
        assert!(!p.permits_str("not a url"));
    }
}

//! Identifier newtypes: [`Issuer`], [`Resource`], [`ClientId`].
//!
//! Each keeps the exact string it was built from. Comparison is byte-for-byte (JWT-08,
//! META-08): `https://as.example` and `https://as.example/` are different issuers.

use std::fmt;

use crate::error::IdentifierError;

/// Longest identifier accepted, in bytes.
pub const MAX_IDENTIFIER_LEN: usize = 2048;

/// Checks shared by every URI identifier: bounded, no whitespace or control characters (which
/// a URL parser would silently strip), absolute, and no fragment.
fn check_absolute_uri(value: &str) -> Result<url::Url, IdentifierError> {
    if value.is_empty() {
        return Err(IdentifierError::Empty);
    }
    if value.len() > MAX_IDENTIFIER_LEN {
        return Err(IdentifierError::TooLong(value.len()));
    }
    if value.bytes().any(|b| b.is_ascii_control() || b == b' ') {
        return Err(IdentifierError::InvalidCharacter);
    }
    if value.contains('#') {
        return Err(IdentifierError::Fragment);
    }
    let url = url::Url::parse(value).map_err(|_| IdentifierError::NotAbsoluteUri)?;
    if url.cannot_be_a_base() || !value.contains("://") {
        return Err(IdentifierError::NotAbsoluteUri);
    }
    Ok(url)
}

/// Whether `host` names the loopback interface (`localhost`, `127.0.0.0/8`, `[::1]`).
#[must_use]
pub fn is_loopback_host(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// Compares a configured identifier with a presented one, lower-casing only the scheme and
/// host of the presented value (META-08: MCP asks servers to accept upper-case scheme and
/// host in a presented resource URI; nothing else is normalised).
fn eq_case_insensitive_origin(configured: &str, presented: &str) -> bool {
    fn split(s: &str) -> Option<(&str, &str)> {
        let scheme_end = s.find("://")?;
        let after = scheme_end + 3;
        let rest = s.get(after..)?;
        let authority_len = rest.find(['/', '?']).unwrap_or(rest.len());
        let origin_end = after + authority_len;
        Some((s.get(..origin_end)?, s.get(origin_end..)?))
    }
    match (split(configured), split(presented)) {
        (Some((co, cr)), Some((po, pr))) => co.eq_ignore_ascii_case(po) && cr == pr,
        _ => configured == presented,
    }
}

macro_rules! string_newtype_common {
    ($name:ident) => {
        impl $name {
            /// The identifier exactly as given.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Consume into the inner string.
            #[must_use]
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdentifierError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdentifierError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::new(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = IdentifierError;
            fn try_from(s: &str) -> Result<Self, Self::Error> {
                Self::new(s)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = String::deserialize(deserializer)?;
                Self::new(s).map_err(serde::de::Error::custom)
            }
        }
    };
}

macro_rules! uri_newtype_common {
    ($name:ident) => {
        impl $name {
            /// Whether the scheme is `https`.
            #[must_use]
            pub fn is_https(&self) -> bool {
                scheme_is(&self.0, "https")
            }

            /// Whether the host is a loopback host.
            #[must_use]
            pub fn is_loopback(&self) -> bool {
                host_is_loopback(&self.0)
            }
        }
    };
}

/// An authorization server or IdP issuer identifier (RFC 8414 §2): an absolute URI with no
/// query and no fragment, kept byte-for-byte.
///
/// Whether `https` is required is a policy of the caller (development mode allows `http` on
/// loopback); see [`Issuer::is_https`] and [`Issuer::is_loopback`].
///
/// ```
/// use ema_types::Issuer;
/// let a: Issuer = "https://as.example".parse()?;
/// assert_ne!(a, "https://as.example/".parse::<Issuer>()?);
/// assert!("https://as.example?x=1".parse::<Issuer>().is_err());
/// # Ok::<(), ema_types::IdentifierError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Issuer(String);

impl Issuer {
    /// Validate and wrap an issuer identifier.
    pub fn new(value: impl Into<String>) -> Result<Self, IdentifierError> {
        let value = value.into();
        let url = check_absolute_uri(&value)?;
        if value.contains('?') || url.query().is_some() {
            return Err(IdentifierError::Query);
        }
        Ok(Self(value))
    }
}

string_newtype_common!(Issuer);
uri_newtype_common!(Issuer);

impl fmt::Debug for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Issuer({:?})", self.0)
    }
}

/// A protected resource identifier (RFC 8707 §2, RFC 9728 §1.2): an absolute URI without
/// fragment, kept byte-for-byte. The MCP server's canonical URI.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Resource(String);

impl Resource {
    /// Validate and wrap a resource identifier.
    pub fn new(value: impl Into<String>) -> Result<Self, IdentifierError> {
        let value = value.into();
        check_absolute_uri(&value)?;
        Ok(Self(value))
    }

    /// Whether a presented resource value names this resource: exact, except that the scheme
    /// and host of the presented value may differ in case (META-08).
    #[must_use]
    pub fn matches_presented(&self, presented: &str) -> bool {
        self.0 == presented || eq_case_insensitive_origin(&self.0, presented)
    }
}

string_newtype_common!(Resource);
uri_newtype_common!(Resource);

impl fmt::Debug for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Resource({:?})", self.0)
    }
}

/// An OAuth client identifier: any non-empty printable string (an opaque id, or a CIMD
/// `https` URL), kept byte-for-byte.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(String);

impl ClientId {
    /// Validate and wrap a client identifier (RFC 6749 §2.2, A.1: VSCHAR = %x20-7E).
    pub fn new(value: impl Into<String>) -> Result<Self, IdentifierError> {
        let value = value.into();
        if value.is_empty() {
            return Err(IdentifierError::Empty);
        }
        if value.len() > MAX_IDENTIFIER_LEN {
            return Err(IdentifierError::TooLong(value.len()));
        }
        if !value.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
            return Err(IdentifierError::InvalidCharacter);
        }
        Ok(Self(value))
    }
}

string_newtype_common!(ClientId);

impl fmt::Debug for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClientId({:?})", self.0)
    }
}

fn scheme_is(value: &str, scheme: &str) -> bool {
    value
        .split_once(':')
        .is_some_and(|(s, _)| s.eq_ignore_ascii_case(scheme))
}

fn host_is_loopback(value: &str) -> bool {
    url::Url::parse(value)
        .ok()
        .and_then(|u| u.host().map(|h| is_loopback_host(&h)))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_08_exact_comparison_no_normalisation() {
        let a = Issuer::new("https://as.example").unwrap();
        let b = Issuer::new("https://as.example/").unwrap();
        let c = Issuer::new("https://AS.example").unwrap();
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(a, "https://as.example");
    }

    #[test]
    fn issuer_rules() {
        assert_eq!(Issuer::new(""), Err(IdentifierError::Empty));
        assert_eq!(
            Issuer::new("as.example"),
            Err(IdentifierError::NotAbsoluteUri)
        );
        assert_eq!(
            Issuer::new("urn:example:as"),
            Err(IdentifierError::NotAbsoluteUri)
        );
        assert_eq!(Issuer::new("https://a/#x"), Err(IdentifierError::Fragment));
        assert_eq!(Issuer::new("https://a/?x"), Err(IdentifierError::Query));
        assert_eq!(
            Issuer::new(" https://a"),
            Err(IdentifierError::InvalidCharacter)
        );
        assert_eq!(
            Issuer::new("https://a/\tb"),
            Err(IdentifierError::InvalidCharacter)
        );
        let long = format!("https://a/{}", "x".repeat(MAX_IDENTIFIER_LEN));
        assert!(matches!(
            Issuer::new(long),
            Err(IdentifierError::TooLong(_))
        ));
        assert!(
            Issuer::new("https://login.acme-idp.test/t1")
                .unwrap()
                .is_https()
        );
        assert!(
            Issuer::new("http://127.0.0.1:8080/as")
                .unwrap()
                .is_loopback()
        );
        assert!(Issuer::new("http://[::1]:8080").unwrap().is_loopback());
        assert!(!Issuer::new("http://10.0.0.1").unwrap().is_loopback());
    }

    #[test]
    fn resource_allows_query_rejects_fragment() {
        assert!(Resource::new("https://tools.example/mcp?tenant=1").is_ok());
        assert_eq!(
            Resource::new("https://tools.example/mcp#x"),
            Err(IdentifierError::Fragment)
        );
    }

    #[test]
    fn meta_08_presented_scheme_and_host_case_insensitive_only() {
        let r = Resource::new("https://tools.example/mcp").unwrap();
        assert!(r.matches_presented("https://tools.example/mcp"));
        assert!(r.matches_presented("HTTPS://Tools.Example/mcp"));
        assert!(!r.matches_presented("https://tools.example/MCP"));
        assert!(!r.matches_presented("https://tools.example/mcp/"));
        assert!(!r.matches_presented("https://tools.example"));
    }

    #[test]
    fn client_id_rules() {
        assert!(ClientId::new("cli_42b19c").is_ok());
        assert!(ClientId::new("https://client.example/meta.json").is_ok());
        assert_eq!(ClientId::new(""), Err(IdentifierError::Empty));
        assert_eq!(
            ClientId::new("a\nb"),
            Err(IdentifierError::InvalidCharacter)
        );
    }

    #[test]
    fn serde_validates() {
        let ok: Issuer = serde_json::from_str("\"https://a.example\"").unwrap();
        assert_eq!(ok.as_str(), "https://a.example");
        assert!(serde_json::from_str::<Issuer>("\"nope\"").is_err());
    }
}

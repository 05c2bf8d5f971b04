//! Redirect URIs: matching against the registration (RFC 6749 §3.1.2, RFC 8252 §7.3) and the
//! authorization response (RFC 6749 §4.1.2, §4.1.2.1; RFC 9207 `iss`).

use http::StatusCode;
use url::{Host, Url};

use crate::endpoint::HttpResponse;

/// Largest redirect URI accepted.
pub const MAX_REDIRECT_URI_BYTES: usize = 2048;

/// Whether the `presented` redirect URI matches the `registered` one: byte-for-byte equal, or
/// (RFC 8252 §7.3, native apps) a registered `http` URI on the loopback IP literal
/// `127.0.0.1` or `[::1]` written **without a port** matches the same URI with any port.
/// Nothing else is normalized: no case folding, no path or query leniency; URIs with a
/// fragment never match (RFC 6749 §3.1.2).
#[must_use]
pub fn redirect_uri_matches(registered: &str, presented: &str) -> bool {
    if presented.len() > MAX_REDIRECT_URI_BYTES || presented.contains('#') {
        return false;
    }
    if registered == presented {
        return true;
    }
    loopback_any_port(registered, presented).unwrap_or(false)
}

fn loopback_any_port(registered: &str, presented: &str) -> Option<bool> {
    let reg = Url::parse(registered).ok()?;
    let mut pre = Url::parse(presented).ok()?;
    let loopback_ip = match reg.host()? {
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
        Host::Domain(_) => false,
    };
    // The registration and the presented URI must both be in canonical form, so that the
    // comparison below is of what was written, not of a normalization of it.
    if reg.scheme() != "http" || !loopback_ip || reg.as_str() != registered {
        return Some(false);
    }
    if pre.as_str() != presented || reg.port().is_some() {
        return Some(false);
    }
    pre.set_port(None).ok()?;
    Some(pre.as_str() == reg.as_str())
}

/// A `302 Found` to `redirect_uri` with `params` appended to its query (keeping the query it
/// already has, RFC 6749 §3.1.2), `Cache-Control: no-store`. `None` when `redirect_uri` is not
/// a URL (it was validated against the registration before, so this does not happen for a
/// registered URI).
#[must_use]
pub(crate) fn redirect_response(
    redirect_uri: &str,
    params: &[(&str, &str)],
) -> Option<HttpResponse> {
    let mut url = Url::parse(redirect_uri).ok()?;
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in params {
            query.append_pair(name, value);
        }
    }
    let location = http::HeaderValue::from_str(url.as_str()).ok()?;
    let mut response = HttpResponse::new(Vec::new());
    *response.status_mut() = StatusCode::FOUND;
    let headers = response.headers_mut();
    headers.insert(http::header::LOCATION, location);
    headers.insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    Some(response)
}

/// The page shown instead of a redirect when the client or its redirect URI cannot be trusted
/// (RFC 6749 §4.1.2.1: "MUST NOT automatically redirect the user-agent to the invalid
/// redirection URI"): `status`, `text/plain`, a fixed message that echoes no input.
#[must_use]
pub(crate) fn error_page(status: StatusCode, message: &'static str) -> HttpResponse {
    let mut response = HttpResponse::new(format!("{message}\n").into_bytes());
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6749_3_1_2_exact_match_and_rfc_8252_7_3_loopback_ports() {
        let reg = "https://app.example/cb";
        assert!(redirect_uri_matches(reg, "https://app.example/cb"));
        for bad in [
            "https://app.example/cb/",
            "https://APP.example/cb",
            "https://app.example/cb?x=1",
            "https://app.example/cb#f",
            "https://app.example:8443/cb",
            "http://app.example/cb",
        ] {
            assert!(!redirect_uri_matches(reg, bad), "{bad}");
        }
        let lo = "http://127.0.0.1/callback";
        assert!(redirect_uri_matches(lo, "http://127.0.0.1:53100/callback"));
        assert!(redirect_uri_matches(lo, "http://127.0.0.1/callback"));
        assert!(!redirect_uri_matches(
            lo,
            "http://127.0.0.1:53100/callbackx"
        ));
        assert!(!redirect_uri_matches(lo, "http://localhost:53100/callback"));
        assert!(!redirect_uri_matches(
            lo,
            "https://127.0.0.1:53100/callback"
        ));
        assert!(!redirect_uri_matches(
            lo,
            "http://127.0.0.1:53100/callback?x"
        ));
        assert!(redirect_uri_matches(
            "http://[::1]/cb",
            "http://[::1]:4000/cb"
        ));
        // A registered port pins the port.
        assert!(!redirect_uri_matches(
            "http://127.0.0.1:4000/cb",
            "http://127.0.0.1:4001/cb"
        ));
        // Not for host names, even `localhost` (RFC 8252 §8.3).
        assert!(!redirect_uri_matches(
            "http://localhost/cb",
            "http://localhost:4000/cb"
        ));
    }

    #[test]
    fn response_keeps_the_registered_query() {
        let r = redirect_response(
            "https://app.example/cb?tenant=a",
            &[("code", "x y"), ("state", "s")],
        )
        .unwrap();
        assert_eq!(r.status(), StatusCode::FOUND);
        assert_eq!(
            r.headers()["location"],
            "https://app.example/cb?tenant=a&code=x+y&state=s"
        );
    }
}

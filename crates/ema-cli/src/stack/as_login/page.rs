//! The AS's HTML: the consent page and the sign-in error page. Every value is escaped; the
//! pages load nothing, run no script and refuse to be framed.

use std::fmt::Write as _;

use ema_server::endpoint::HttpResponse;
use http::{HeaderValue, StatusCode, header};

/// What the consent page shows and posts back.
pub(crate) struct Consent<'a> {
    /// Where the form posts (the authorization endpoint's path).
    pub(crate) action: &'a str,
    pub(crate) client_id: &'a str,
    pub(crate) redirect_uri: &'a str,
    pub(crate) resource: &'a str,
    pub(crate) scopes: Vec<&'a str>,
    pub(crate) user: &'a str,
    /// The authorization request's parameters, posted back as they came.
    pub(crate) params: &'a [(String, String)],
    /// The consent form's id (its CSRF token).
    pub(crate) consent_id: &'a str,
}

/// `s` safe in HTML text and in double-quoted attribute values.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;\
padding:0 1rem;color:#222}dt{font-weight:600;margin-top:.8rem}dd{margin:0}code{word-break:break-all}\
button{font-size:1rem;padding:.5rem 1.2rem;margin-right:.8rem}";

fn html(status: StatusCode, body: String) -> HttpResponse {
    let mut response = HttpResponse::new(body.into_bytes());
    *response.status_mut() = status;
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CACHE_CONTROL, "no-store"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
        ),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// The consent page: client, resource, scopes and the user; Approve and Deny post the
/// request back with the consent id.
pub(crate) fn consent(c: &Consent<'_>) -> HttpResponse {
    let mut body = String::with_capacity(2048);
    let _ = write!(
        body,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>Authorize {client}</title><style>{STYLE}</style></head><body>\
         <h1>Authorize access</h1>\
         <p>Signed in as <strong id=\"user\">{user}</strong>.</p>\
         <p>The application <strong id=\"client\">{client}</strong> asks for access to:</p>\
         <dl><dt>Resource</dt><dd><code id=\"resource\">{resource}</code></dd>\
         <dt>Scopes</dt><dd><ul id=\"scopes\">",
        client = escape(c.client_id),
        user = escape(c.user),
        resource = escape(c.resource),
    );
    for scope in &c.scopes {
        let _ = write!(body, "<li class=\"scope\">{}</li>", escape(scope));
    }
    let _ = write!(
        body,
        "</ul></dd><dt>You will be returned to</dt><dd><code id=\"redirect\">{redirect}</code></dd></dl>\
         <form method=\"post\" action=\"{action}\">",
        redirect = escape(c.redirect_uri),
        action = escape(c.action),
    );
    for (name, value) in c.params {
        let _ = write!(
            body,
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            escape(name),
            escape(value)
        );
    }
    let _ = writeln!(
        body,
        "<input type=\"hidden\" name=\"ema_consent\" value=\"{id}\">\
         <button type=\"submit\" name=\"ema_decision\" value=\"approve\" id=\"approve\">Approve</button>\
         <button type=\"submit\" name=\"ema_decision\" value=\"deny\" id=\"deny\">Deny</button>\
         </form></body></html>",
        id = escape(c.consent_id),
    );
    html(StatusCode::OK, body)
}

/// A page explaining why the sign-in cannot go on (no redirect: the request cannot be
/// trusted or the IdP cannot be reached).
pub(crate) fn error(status: StatusCode, message: &str) -> HttpResponse {
    html(
        status,
        format!(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <title>Sign-in</title><style>{STYLE}</style></head><body><h1>Sign-in</h1>\
             <p id=\"error\">{}</p></body></html>\n",
            escape(message)
        ),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn cl_06_consent_page_escapes_every_value() {
        let params = vec![(
            "state".to_owned(),
            "\"><script>alert(1)</script>".to_owned(),
        )];
        let page = consent(&Consent {
            action: "/as/authorize",
            client_id: "<b>evil</b>",
            redirect_uri: "http://127.0.0.1/cb?a=1&b='2'",
            resource: "http://127.0.0.1:1/mcp",
            scopes: vec!["todo.read", "x<y"],
            user: "alice",
            params: &params,
            consent_id: "abc",
        });
        let body = String::from_utf8(page.body().clone()).unwrap();
        assert!(!body.contains("<script>"));
        assert!(!body.contains("<b>evil"));
        assert!(body.contains("&lt;b&gt;evil&lt;/b&gt;"));
        assert!(body.contains("value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\""));
        assert!(body.contains("a=1&amp;b=&#39;2&#39;"));
        assert!(body.contains("<li class=\"scope\">x&lt;y</li>"));
        assert_eq!(page.headers()[header::X_FRAME_OPTIONS], "DENY");
        assert_eq!(page.headers()[header::CACHE_CONTROL], "no-store");
    }
}

//! One metadata GET, hardened: no redirect followed, 4xx reported for fall-through, other
//! statuses refused, `application/json` required, body capped.

use ema_types::transport::{HttpClient, HttpResponse};
use ema_types::urn::MEDIA_TYPE_JSON;
use http::header::{ACCEPT, CONTENT_TYPE, LOCATION};
use http::{Method, StatusCode};
use url::Url;

use super::cache_control::{Freshness, freshness};
use super::error::DiscoveryError;

/// The outcome of a metadata GET that did not fail.
#[derive(Debug)]
pub(crate) enum Fetched {
    /// A 200 JSON body within the cap.
    Document { body: Vec<u8>, freshness: Freshness },
    /// A 4xx status: nothing here, try the next URL.
    ClientError(StatusCode),
}

/// Build a bodiless request; `http` may refuse a URL that `url` accepted.
pub(crate) fn request(
    method: Method,
    url: &Url,
    accept: &'static str,
) -> Result<ema_types::transport::HttpRequest, DiscoveryError> {
    http::Request::builder()
        .method(method)
        .uri(url.as_str())
        .header(ACCEPT, accept)
        .body(Vec::new())
        .map_err(|_| DiscoveryError::InvalidRequestUrl {
            url: url.to_string(),
        })
}

/// Send `request` for `url`, mapping transport failures.
pub(crate) async fn send(
    client: &dyn HttpClient,
    url: &Url,
    request: ema_types::transport::HttpRequest,
) -> Result<HttpResponse, DiscoveryError> {
    client
        .send(request)
        .await
        .map_err(|e| DiscoveryError::from_transport(url.as_str(), e))
}

/// A redirect answer, as an error.
pub(crate) fn redirect_error(url: &Url, response: &HttpResponse) -> DiscoveryError {
    DiscoveryError::Redirect {
        url: url.to_string(),
        status: response.status().as_u16(),
        location: response.headers().get(LOCATION).map(|l| {
            String::from_utf8_lossy(l.as_bytes())
                .chars()
                .take(512)
                .collect()
        }),
    }
}

/// GET a metadata document.
pub(crate) async fn fetch_document(
    client: &dyn HttpClient,
    url: &Url,
    max_body: usize,
) -> Result<Fetched, DiscoveryError> {
    let req = request(Method::GET, url, MEDIA_TYPE_JSON)?;
    let response = send(client, url, req).await?;
    let status = response.status();
    if status.is_redirection() {
        return Err(redirect_error(url, &response));
    }
    if status.is_client_error() {
        return Ok(Fetched::ClientError(status));
    }
    if status != StatusCode::OK {
        return Err(DiscoveryError::HttpStatus {
            url: url.to_string(),
            status: status.as_u16(),
        });
    }
    check_content_type(url, &response)?;
    if response.body().len() > max_body {
        return Err(DiscoveryError::BodyTooLarge {
            url: url.to_string(),
            limit: max_body,
        });
    }
    let freshness = freshness(response.headers());
    Ok(Fetched::Document {
        body: response.into_body(),
        freshness,
    })
}

/// Exactly one `Content-Type`, whose media type is `application/json` (any parameters, such
/// as `charset`, allowed; case-insensitive).
fn check_content_type(url: &Url, response: &HttpResponse) -> Result<(), DiscoveryError> {
    let mut values = response.headers().get_all(CONTENT_TYPE).iter();
    let first = values.next();
    let found = || {
        first.map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .chars()
                .take(128)
                .collect::<String>()
        })
    };
    let ok = match (first, values.next()) {
        (Some(v), None) => v
            .to_str()
            .ok()
            .and_then(|s| s.split(';').next())
            .is_some_and(|m| m.trim().eq_ignore_ascii_case(MEDIA_TYPE_JSON)),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(DiscoveryError::ContentType {
            url: url.to_string(),
            found: found(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ema_types::transport::{HttpRequest, TransportError};

    fn respond(
        status: u16,
        headers: &'static [(&'static str, &'static str)],
        body: &'static [u8],
    ) -> impl HttpClient {
        move |req: HttpRequest| async move {
            assert_eq!(req.method(), Method::GET);
            assert_eq!(req.headers()[ACCEPT], "application/json");
            let mut b = http::Response::builder().status(status);
            for (k, v) in headers {
                b = b.header(*k, *v);
            }
            Ok::<_, TransportError>(b.body(body.to_vec()).unwrap())
        }
    }

    fn url() -> Url {
        Url::parse("https://h/.well-known/oauth-protected-resource").unwrap()
    }

    async fn fetch(client: impl HttpClient) -> Result<Fetched, DiscoveryError> {
        fetch_document(&client, &url(), 64).await
    }

    #[tokio::test]
    async fn content_type_rules() {
        for ct in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON;charset=UTF-8",
            " application/json ",
        ] {
            let c = move |_req: HttpRequest| async move {
                Ok::<_, TransportError>(
                    http::Response::builder()
                        .header(CONTENT_TYPE, ct)
                        .body(b"{}".to_vec())
                        .unwrap(),
                )
            };
            assert!(
                matches!(fetch(c).await, Ok(Fetched::Document { .. })),
                "{ct}"
            );
        }
        for (headers, found) in [
            (&[("content-type", "text/html")][..], Some("text/html")),
            (
                &[("content-type", "application/jsonx")][..],
                Some("application/jsonx"),
            ),
            (
                &[("content-type", "application/jwk-set+json")][..],
                Some("application/jwk-set+json"),
            ),
            (&[][..], None),
            (
                &[
                    ("content-type", "application/json"),
                    ("content-type", "text/html"),
                ][..],
                Some("application/json"),
            ),
        ] {
            let err = fetch(respond(200, headers, b"{}")).await.unwrap_err();
            assert_eq!(
                err,
                DiscoveryError::ContentType {
                    url: url().to_string(),
                    found: found.map(str::to_owned)
                }
            );
        }
    }

    #[tokio::test]
    async fn statuses() {
        let json = &[("content-type", "application/json")][..];
        assert!(matches!(
            fetch(respond(404, &[], b"")).await,
            Ok(Fetched::ClientError(StatusCode::NOT_FOUND))
        ));
        assert!(matches!(
            fetch(respond(401, &[], b"")).await,
            Ok(Fetched::ClientError(StatusCode::UNAUTHORIZED))
        ));
        assert_eq!(
            fetch(respond(503, json, b"{}")).await.unwrap_err(),
            DiscoveryError::HttpStatus {
                url: url().to_string(),
                status: 503
            }
        );
        assert_eq!(
            fetch(respond(204, json, b"")).await.unwrap_err(),
            DiscoveryError::HttpStatus {
                url: url().to_string(),
                status: 204
            }
        );
        assert_eq!(
            fetch(respond(
                302,
                &[("location", "https://evil.example/prm")],
                b""
            ))
            .await
            .unwrap_err(),
            DiscoveryError::Redirect {
                url: url().to_string(),
                status: 302,
                location: Some("https://evil.example/prm".into())
            }
        );
        assert_eq!(
            fetch(respond(308, &[], b"")).await.unwrap_err(),
            DiscoveryError::Redirect {
                url: url().to_string(),
                status: 308,
                location: None
            }
        );
    }

    #[tokio::test]
    async fn body_cap_is_enforced_even_if_the_transport_does_not() {
        let big: &'static [u8] = &[b' '; 65];
        assert_eq!(
            fetch(respond(200, &[("content-type", "application/json")], big))
                .await
                .unwrap_err(),
            DiscoveryError::BodyTooLarge {
                url: url().to_string(),
                limit: 64
            }
        );
    }

    #[tokio::test]
    async fn transport_errors_name_the_url() {
        let c = |_req: HttpRequest| async { Err::<HttpResponse, _>(TransportError::Timeout) };
        assert_eq!(
            fetch(c).await.unwrap_err(),
            DiscoveryError::Timeout {
                url: url().to_string()
            }
        );
    }
}

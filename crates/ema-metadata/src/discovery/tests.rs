//! Discovery over an in-memory transport: order, fall-through, validation, cache.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ema_types::FixedClock;
use ema_types::transport::{HttpRequest, HttpResponse, TransportError};

use super::*;

#[derive(Clone)]
struct Route {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

/// A fake origin: exact URL → response; anything else is 404. Logs every request URL.
#[derive(Clone, Default)]
struct Fake {
    routes: Arc<Mutex<HashMap<String, Route>>>,
    log: Arc<Mutex<Vec<String>>>,
}

impl Fake {
    fn route(&self, url: &str, route: Route) {
        self.routes.lock().unwrap().insert(url.to_owned(), route);
    }

    fn json(&self, url: &str, body: &str) {
        self.json_with(url, body, &[]);
    }

    fn json_with(&self, url: &str, body: &str, extra: &[(&'static str, &str)]) {
        let mut headers = vec![("content-type", "application/json".to_owned())];
        headers.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        self.route(
            url,
            Route {
                status: 200,
                headers,
                body: body.as_bytes().to_vec(),
            },
        );
    }

    fn status(&self, url: &str, status: u16, headers: &[(&'static str, &str)]) {
        self.route(
            url,
            Route {
                status,
                headers: headers.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
                body: Vec::new(),
            },
        );
    }

    fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    fn clear_log(&self) {
        self.log.lock().unwrap().clear();
    }

    fn client(&self) -> impl HttpClient + 'static {
        let fake = self.clone();
        move |req: HttpRequest| {
            let fake = fake.clone();
            async move {
                let url = req.uri().to_string();
                assert!(req.headers().get(http::header::AUTHORIZATION).is_none());
                fake.log.lock().unwrap().push(url.clone());
                let route = fake.routes.lock().unwrap().get(&url).cloned();
                let Some(route) = route else {
                    return Ok(http::Response::builder()
                        .status(404)
                        .body(Vec::new())
                        .unwrap());
                };
                let mut b = http::Response::builder().status(route.status);
                for (k, v) in &route.headers {
                    b = b.header(*k, v.as_str());
                }
                Ok::<HttpResponse, TransportError>(b.body(route.body).unwrap())
            }
        }
    }
}

const SERVER: &str = "https://tools.toolhub.test/mcp";
const PRM_INSERTED: &str = "https://tools.toolhub.test/.well-known/oauth-protected-resource/mcp";
const PRM_ROOT: &str = "https://tools.toolhub.test/.well-known/oauth-protected-resource";
const AS: &str = "https://as.toolhub.test";
const AS_MD: &str = "https://as.toolhub.test/.well-known/oauth-authorization-server";

fn prm(resource: &str, servers: &[&str]) -> String {
    serde_json::json!({"resource": resource, "authorization_servers": servers}).to_string()
}

fn asm(issuer: &str) -> String {
    serde_json::json!({
        "issuer": issuer,
        "token_endpoint": format!("{issuer}/oauth/token"),
        "grant_types_supported": ["urn:ietf:params:oauth:grant-type:jwt-bearer"],
        "authorization_grant_profiles_supported": ["urn:ietf:params:oauth:grant-profile:id-jag"],
    })
    .to_string()
}

fn server() -> Resource {
    Resource::new(SERVER).unwrap()
}

fn issuer(s: &str) -> Issuer {
    Issuer::new(s).unwrap()
}

fn challenge_header(url: &str) -> String {
    format!(r#"Bearer resource_metadata="{url}", scope="tickets:read""#)
}

#[tokio::test]
async fn cl_03_probe_reads_the_challenge_and_uses_the_header_url() {
    let fake = Fake::default();
    let header_url = "https://meta.toolhub.test/prm/tools";
    fake.status(
        SERVER,
        401,
        &[("www-authenticate", &challenge_header(header_url))],
    );
    fake.json(header_url, &prm(SERVER, &[AS]));
    fake.json(AS_MD, &asm(AS));
    let d = Discovery::new(fake.client());
    let found = d.discover(&server()).await.unwrap();
    assert_eq!(found.resource.source, ResourceMetadataSource::Header);
    assert_eq!(found.resource.url.as_str(), header_url);
    assert_eq!(found.issuer(), &issuer(AS));
    assert_eq!(found.resource(), &server());
    assert_eq!(
        found.authorization_server.document,
        WellKnownDocument::OAuthAuthorizationServer
    );
    assert_eq!(
        found.challenge.as_ref().unwrap().scope(),
        Some("tickets:read")
    );
    assert!(found.supports_id_jag());
    assert_eq!(fake.log(), [SERVER, header_url, AS_MD]);
}

#[tokio::test]
async fn meta_02_header_then_path_inserted_then_root() {
    let fake = Fake::default();
    let header_url = "https://tools.toolhub.test/prm";
    fake.status(header_url, 404, &[]);
    fake.status(PRM_INSERTED, 410, &[]);
    fake.json(PRM_ROOT, &prm(SERVER, &[AS]));
    fake.json(AS_MD, &asm(AS));
    let d = Discovery::new(fake.client());
    let found = d
        .protected_resource_metadata(&server(), Some(header_url))
        .await
        .unwrap();
    assert_eq!(found.source, ResourceMetadataSource::Root);
    assert_eq!(fake.log(), [header_url, PRM_INSERTED, PRM_ROOT]);
}

#[tokio::test]
async fn meta_02_without_header_starts_with_the_path_inserted_url() {
    let fake = Fake::default();
    fake.status(SERVER, 405, &[]);
    fake.json(PRM_INSERTED, &prm(SERVER, &[AS]));
    fake.json(AS_MD, &asm(AS));
    let found = Discovery::new(fake.client())
        .discover(&server())
        .await
        .unwrap();
    assert_eq!(found.resource.source, ResourceMetadataSource::PathInserted);
    assert!(found.challenge.is_none());
    assert_eq!(fake.log(), [SERVER, PRM_INSERTED, AS_MD]);
}

#[tokio::test]
async fn cl_03_malformed_challenge_falls_back_to_well_known() {
    let fake = Fake::default();
    fake.status(
        SERVER,
        401,
        &[(
            "www-authenticate",
            r#"Bearer resource_metadata="unterminated"#,
        )],
    );
    fake.json(PRM_INSERTED, &prm(SERVER, &[AS]));
    fake.json(AS_MD, &asm(AS));
    let found = Discovery::new(fake.client())
        .discover(&server())
        .await
        .unwrap();
    assert_eq!(found.resource.source, ResourceMetadataSource::PathInserted);
}

#[tokio::test]
async fn meta_02_every_url_not_found() {
    let fake = Fake::default();
    fake.status(PRM_INSERTED, 401, &[]);
    let err = Discovery::new(fake.client())
        .discover_from_challenges(&server(), &[])
        .await
        .unwrap_err();
    let DiscoveryError::ProtectedResourceMetadataNotFound { resource, attempts } = err else {
        panic!("{err:?}");
    };
    assert_eq!(resource, SERVER);
    let got: Vec<_> = attempts
        .iter()
        .map(|a| (a.url.as_str(), a.status))
        .collect();
    assert_eq!(got, [(PRM_INSERTED, 401), (PRM_ROOT, 404)]);
}

#[tokio::test]
async fn meta_03_resource_mismatch_is_a_hard_error() {
    let fake = Fake::default();
    fake.json(
        PRM_INSERTED,
        &prm("https://tools.toolhub.test/other", &[AS]),
    );
    fake.json(PRM_ROOT, &prm(SERVER, &[AS]));
    let err = Discovery::new(fake.client())
        .protected_resource_metadata(&server(), None)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        DiscoveryError::Invalid {
            url: PRM_INSERTED.into(),
            error: ValidationError::ResourceMismatch {
                expected: SERVER.into(),
                found: "https://tools.toolhub.test/other".into()
            }
        }
    );
    assert_eq!(
        fake.log(),
        [PRM_INSERTED],
        "no fall-through after a mismatch"
    );
}

#[tokio::test]
async fn meta_03_header_document_must_name_the_requested_url() {
    let fake = Fake::default();
    // The header points at another resource's metadata (an impersonation attempt).
    let other = "https://tools.toolhub.test/.well-known/oauth-protected-resource/admin";
    fake.json(other, &prm("https://tools.toolhub.test/admin", &[AS]));
    let err = Discovery::new(fake.client())
        .protected_resource_metadata(&server(), Some(other))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        DiscoveryError::Invalid {
            error: ValidationError::ResourceMismatch { .. },
            ..
        }
    ));
}

#[tokio::test]
async fn rs_01_document_without_authorization_servers() {
    let fake = Fake::default();
    fake.json(PRM_INSERTED, &prm(SERVER, &[]));
    let err = Discovery::new(fake.client())
        .discover_from_challenges(&server(), &[])
        .await
        .unwrap_err();
    assert_eq!(
        err,
        DiscoveryError::Invalid {
            url: PRM_INSERTED.into(),
            error: ValidationError::NoAuthorizationServers
        }
    );
}

#[tokio::test]
async fn meta_04_order_with_fall_through_to_the_third_url() {
    let fake = Fake::default();
    let iss = "https://login.acme-idp.test/t1";
    let third = "https://login.acme-idp.test/t1/.well-known/openid-configuration";
    fake.json(third, &asm(iss));
    let found = Discovery::new(fake.client())
        .authorization_server_metadata(&issuer(iss))
        .await
        .unwrap();
    assert_eq!(found.url.as_str(), third);
    assert_eq!(found.document, WellKnownDocument::OpenIdConfiguration);
    assert_eq!(
        fake.log(),
        [
            "https://login.acme-idp.test/.well-known/oauth-authorization-server/t1",
            "https://login.acme-idp.test/.well-known/openid-configuration/t1",
            third,
        ]
    );
}

#[tokio::test]
async fn meta_04_not_found_lists_the_attempts() {
    let fake = Fake::default();
    let err = Discovery::new(fake.client())
        .authorization_server_metadata(&issuer(AS))
        .await
        .unwrap_err();
    let DiscoveryError::AuthorizationServerMetadataNotFound {
        issuer: i,
        attempts,
    } = err
    else {
        panic!("{err:?}");
    };
    assert_eq!(i, AS);
    assert_eq!(attempts.len(), 2);
    assert_eq!(
        attempts[1].url,
        "https://as.toolhub.test/.well-known/openid-configuration"
    );
}

#[tokio::test]
async fn meta_05_issuer_mismatch_is_a_hard_error() {
    let fake = Fake::default();
    fake.json(AS_MD, &asm("https://evil.example"));
    fake.json(
        "https://as.toolhub.test/.well-known/openid-configuration",
        &asm(AS),
    );
    let err = Discovery::new(fake.client())
        .authorization_server_metadata(&issuer(AS))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        DiscoveryError::Invalid {
            url: AS_MD.into(),
            error: ValidationError::IssuerMismatch {
                expected: AS.into(),
                found: "https://evil.example".into()
            }
        }
    );
    assert_eq!(fake.log(), [AS_MD], "no fall-through after a mismatch");
}

#[tokio::test]
async fn server_errors_do_not_fall_through() {
    let fake = Fake::default();
    fake.status(AS_MD, 500, &[]);
    fake.json(
        "https://as.toolhub.test/.well-known/openid-configuration",
        &asm(AS),
    );
    let err = Discovery::new(fake.client())
        .authorization_server_metadata(&issuer(AS))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        DiscoveryError::HttpStatus {
            url: AS_MD.into(),
            status: 500
        }
    );
}

#[tokio::test]
async fn invalid_json_is_a_document_error() {
    let fake = Fake::default();
    fake.json(AS_MD, "{not json");
    let err = Discovery::new(fake.client())
        .authorization_server_metadata(&issuer(AS))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        DiscoveryError::Document { ref url, error: DocumentError::Json { .. } } if url == AS_MD
    ));
}

#[tokio::test]
async fn redirects_are_errors_everywhere() {
    let fake = Fake::default();
    fake.status(
        SERVER,
        307,
        &[("location", "https://elsewhere.example/mcp")],
    );
    let err = Discovery::new(fake.client())
        .discover(&server())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        DiscoveryError::Redirect {
            url: SERVER.into(),
            status: 307,
            location: Some("https://elsewhere.example/mcp".into())
        }
    );
    fake.status(
        PRM_INSERTED,
        301,
        &[("location", "https://evil.example/prm")],
    );
    let err = Discovery::new(fake.client())
        .protected_resource_metadata(&server(), None)
        .await
        .unwrap_err();
    assert!(matches!(err, DiscoveryError::Redirect { status: 301, .. }));
}

#[tokio::test]
async fn cl_05_selector() {
    let fake = Fake::default();
    let second = "https://as2.toolhub.test";
    fake.json(PRM_INSERTED, &prm(SERVER, &[AS, second]));
    fake.json(
        "https://as2.toolhub.test/.well-known/oauth-authorization-server",
        &asm(second),
    );
    let pick_second = |p: &ProtectedResourceMetadata| p.authorization_servers.get(1).cloned();
    let found = Discovery::new(fake.client())
        .with_selector(pick_second)
        .discover_from_challenges(&server(), &[])
        .await
        .unwrap();
    assert_eq!(found.issuer(), &issuer(second));

    let none = |_: &ProtectedResourceMetadata| None;
    let err = Discovery::new(fake.client())
        .with_selector(none)
        .discover_from_challenges(&server(), &[])
        .await
        .unwrap_err();
    assert_eq!(
        err,
        DiscoveryError::NoAuthorizationServerSelected {
            url: PRM_INSERTED.into()
        }
    );

    let rogue = |_: &ProtectedResourceMetadata| Some(Issuer::new("https://rogue.example").unwrap());
    let err = Discovery::new(fake.client())
        .with_selector(rogue)
        .discover_from_challenges(&server(), &[])
        .await
        .unwrap_err();
    assert_eq!(
        err,
        DiscoveryError::SelectedIssuerNotListed {
            issuer: "https://rogue.example".into()
        }
    );
}

#[tokio::test]
async fn https_required_unless_development_loopback() {
    let fake = Fake::default();
    let d = Discovery::new(fake.client());
    let err = d
        .discover(&Resource::new("http://127.0.0.1:3000/mcp").unwrap())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        DiscoveryError::InsecureUrl {
            what: "resource",
            url: "http://127.0.0.1:3000/mcp".into()
        }
    );
    let err = d
        .protected_resource_metadata(&server(), Some("http://tools.toolhub.test/prm"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        DiscoveryError::InsecureUrl {
            what: "resource_metadata",
            url: "http://tools.toolhub.test/prm".into()
        }
    );
    let err = d
        .authorization_server_metadata(&issuer("http://as.toolhub.test"))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        DiscoveryError::InsecureUrl {
            what: "authorization server",
            ..
        }
    ));
    // The selected issuer is checked before any request to it.
    fake.json(PRM_INSERTED, &prm(SERVER, &["http://as.toolhub.test"]));
    let err = d
        .discover_from_challenges(&server(), &[])
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        DiscoveryError::InsecureUrl {
            what: "authorization server",
            ..
        }
    ));
    assert!(fake.log().iter().all(|u| u.starts_with("https://")));

    // Development mode: loopback http is fine, other http is not.
    let dev = Discovery::new(fake.client()).with_config(DiscoveryConfig::development());
    let err = dev
        .protected_resource_metadata(&server(), Some("http://tools.toolhub.test/prm"))
        .await
        .unwrap_err();
    assert!(matches!(err, DiscoveryError::InsecureUrl { .. }));
    let local = "http://127.0.0.1:3000/mcp";
    fake.json(
        "http://127.0.0.1:3000/.well-known/oauth-protected-resource/mcp",
        &prm(local, &["http://127.0.0.1:9000"]),
    );
    fake.json(
        "http://127.0.0.1:9000/.well-known/oauth-authorization-server",
        &asm("http://127.0.0.1:9000"),
    );
    dev.discover_from_challenges(&Resource::new(local).unwrap(), &[])
        .await
        .unwrap();
}

#[tokio::test]
async fn cl_03_invalid_resource_metadata_values() {
    let fake = Fake::default();
    let d = Discovery::new(fake.client());
    for bad in [
        "not a url",
        "/relative/prm",
        "https://h/prm#frag",
        "mailto:x@h",
        "https://user:pw@h/prm",
    ] {
        let err = d
            .protected_resource_metadata(&server(), Some(bad))
            .await
            .unwrap_err();
        assert_eq!(
            err,
            DiscoveryError::InvalidResourceMetadataUrl {
                value: bad.to_owned()
            },
            "{bad}"
        );
    }
    assert!(fake.log().is_empty());
}

#[tokio::test]
async fn discover_from_headers_of_a_401() {
    let fake = Fake::default();
    fake.json(PRM_INSERTED, &prm(SERVER, &[AS]));
    fake.json(AS_MD, &asm(AS));
    let mut headers = HeaderMap::new();
    headers.append(
        http::header::WWW_AUTHENTICATE,
        http::HeaderValue::from_str(&format!(
            r#"Basic realm="x", {}"#,
            challenge_header(PRM_INSERTED)
        ))
        .unwrap(),
    );
    let found = Discovery::new(fake.client())
        .discover_from_headers(&server(), &headers)
        .await
        .unwrap();
    assert_eq!(found.resource.source, ResourceMetadataSource::Header);
    assert_eq!(fake.log(), [PRM_INSERTED, AS_MD]);
}

#[tokio::test]
async fn meta_09_cache_honours_max_age_no_store_and_the_24h_bound() {
    let fake = Fake::default();
    let clock = FixedClock::new(1_793_000_000);
    fake.json_with(
        PRM_INSERTED,
        &prm(SERVER, &[AS]),
        &[("cache-control", "max-age=600")],
    );
    fake.json_with(AS_MD, &asm(AS), &[("cache-control", "no-store")]);
    let d = Discovery::new(fake.client()).with_clock(clock.clone());

    d.discover_from_challenges(&server(), &[]).await.unwrap();
    assert_eq!(fake.log(), [PRM_INSERTED, AS_MD]);
    fake.clear_log();

    // PRM from the cache; AS metadata said no-store.
    clock.advance(599);
    d.discover_from_challenges(&server(), &[]).await.unwrap();
    assert_eq!(fake.log(), [AS_MD]);
    fake.clear_log();

    // PRM expired.
    clock.advance(1);
    d.discover_from_challenges(&server(), &[]).await.unwrap();
    assert_eq!(fake.log(), [PRM_INSERTED, AS_MD]);
    fake.clear_log();

    // A max-age beyond 24 hours is cut to 24 hours.
    fake.json_with(AS_MD, &asm(AS), &[("cache-control", "max-age=31536000")]);
    d.clear_cache();
    d.authorization_server_metadata(&issuer(AS)).await.unwrap();
    clock.advance(86_399);
    d.authorization_server_metadata(&issuer(AS)).await.unwrap();
    assert_eq!(fake.log(), [AS_MD]);
    clock.advance(1);
    d.authorization_server_metadata(&issuer(AS)).await.unwrap();
    assert_eq!(fake.log(), [AS_MD, AS_MD]);
}

#[tokio::test]
async fn meta_09_default_ttl_and_revalidation_of_cached_documents() {
    let fake = Fake::default();
    let clock = FixedClock::new(1_000);
    fake.json(PRM_INSERTED, &prm(SERVER, &[AS]));
    let d = Discovery::new(fake.client())
        .with_clock(clock.clone())
        .with_config(
            DiscoveryConfig::default().with_default_ttl(std::time::Duration::from_secs(60)),
        );
    d.protected_resource_metadata(&server(), None)
        .await
        .unwrap();
    // Cached by exact URL, but checked again for what this call requires: fetched through
    // a header for another requested URL, the cached document no longer matches.
    let other = Resource::new("https://tools.toolhub.test/other").unwrap();
    let err = d
        .protected_resource_metadata(&other, Some(PRM_INSERTED))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        DiscoveryError::Invalid {
            error: ValidationError::ResourceMismatch { .. },
            ..
        }
    ));
    assert_eq!(fake.log(), [PRM_INSERTED]);
    clock.advance(60);
    d.protected_resource_metadata(&server(), None)
        .await
        .unwrap();
    assert_eq!(fake.log(), [PRM_INSERTED, PRM_INSERTED]);
}

#[tokio::test]
async fn cache_can_be_disabled() {
    let fake = Fake::default();
    fake.json(AS_MD, &asm(AS));
    let d = Discovery::new(fake.client())
        .with_config(DiscoveryConfig::default().with_cache_capacity(0));
    d.authorization_server_metadata(&issuer(AS)).await.unwrap();
    d.authorization_server_metadata(&issuer(AS)).await.unwrap();
    assert_eq!(fake.log(), [AS_MD, AS_MD]);
}

#[tokio::test]
async fn probe_sends_no_credentials_and_takes_oauth_challenges_only() {
    let fake = Fake::default();
    // resource_metadata on a Basic challenge is ignored (CL-03 reads Bearer/DPoP).
    fake.status(
        SERVER,
        401,
        &[(
            "www-authenticate",
            r#"Basic realm="x", resource_metadata="https://evil.example/prm""#,
        )],
    );
    fake.json(PRM_INSERTED, &prm(SERVER, &[AS]));
    fake.json(AS_MD, &asm(AS));
    let found = Discovery::new(fake.client())
        .discover(&server())
        .await
        .unwrap();
    assert_eq!(found.resource.source, ResourceMetadataSource::PathInserted);
    assert!(found.challenge.is_none());
    assert!(!fake.log().iter().any(|u| u.contains("evil")));
}

#[test]
fn discovery_futures_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    fn assert_sync<T: Send + Sync>() {}
    assert_sync::<Discovery>();
    let d = Discovery::new(Fake::default().client());
    let s = server();
    assert_send(&d.discover(&s));
    assert_send(&d.authorization_server_metadata(&Issuer::new(AS).unwrap()));
    let _ = format!("{d:?}");
}

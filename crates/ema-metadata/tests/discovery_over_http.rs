//! Discovery over real HTTP on loopback: an axum origin on 127.0.0.1 and `ReqwestClient`.
//! Each fallback step succeeds; each hardening rule fails with its own error.

#![cfg(all(feature = "discovery", feature = "reqwest"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;

use std::time::{Duration, Instant};

use ema_metadata::discovery::{Discovery, DiscoveryConfig, DiscoveryError};
use ema_metadata::well_known::{ResourceMetadataSource, WellKnownDocument};
use ema_metadata::{
    AuthorizationServerMetadataBuilder, DocumentError, ProtectedResourceMetadataBuilder,
    SchemePolicy, ValidationError,
};
use ema_types::{FixedClock, Issuer, Resource};
use support::{Origin, Reply, client, client_with_timeout};

fn discovery() -> Discovery {
    Discovery::new(client()).with_config(DiscoveryConfig::development())
}

/// PRM for `resource` naming `issuer`, built the way a server would publish it.
fn prm(resource: &str, issuer: &str) -> String {
    let md = ProtectedResourceMetadataBuilder::new(Resource::new(resource).unwrap())
        .authorization_server(Issuer::new(issuer).unwrap())
        .scopes_supported(["tickets:read"])
        .scheme_policy(SchemePolicy::AllowLoopbackHttp)
        .build()
        .unwrap();
    String::from_utf8(md.to_json().unwrap()).unwrap()
}

/// AS metadata for `issuer`, built the way an AS would publish it.
fn asm(issuer: &str) -> String {
    let md = AuthorizationServerMetadataBuilder::new(
        Issuer::new(issuer).unwrap(),
        format!("{issuer}/oauth/token").parse().unwrap(),
        format!("{issuer}/oauth/jwks").parse().unwrap(),
    )
    .token_endpoint_auth_methods_supported(["private_key_jwt"])
    .token_endpoint_auth_signing_alg_values_supported(["ES256"])
    .scheme_policy(SchemePolicy::AllowLoopbackHttp)
    .build()
    .unwrap();
    String::from_utf8(md.to_json().unwrap()).unwrap()
}

fn challenge(resource_metadata: &str) -> String {
    format!(r#"Bearer resource_metadata="{resource_metadata}", scope="tickets:read""#)
}

#[tokio::test]
async fn step_1_header_url_then_as_metadata() {
    let o = Origin::start().await;
    let mcp = o.url("/mcp");
    o.on(
        "/mcp",
        Reply::status(401).header("www-authenticate", challenge(&o.url("/meta/prm"))),
    );
    o.on("/meta/prm", Reply::json(prm(&mcp, &o.base)));
    o.on(
        "/.well-known/oauth-authorization-server",
        Reply::json(asm(&o.base)),
    );

    let found = discovery()
        .discover(&Resource::new(&mcp).unwrap())
        .await
        .unwrap();
    assert_eq!(found.resource.source, ResourceMetadataSource::Header);
    assert_eq!(found.resource().as_str(), mcp);
    assert_eq!(found.issuer().as_str(), o.base);
    assert_eq!(
        found.authorization_server.document,
        WellKnownDocument::OAuthAuthorizationServer
    );
    assert!(found.supports_id_jag());
    assert_eq!(found.challenge.unwrap().scope(), Some("tickets:read"));
    assert_eq!(
        o.paths(),
        [
            "/mcp",
            "/meta/prm",
            "/.well-known/oauth-authorization-server"
        ]
    );
    // The probe carried no credentials; metadata requests asked for JSON.
    let seen = o.seen();
    assert!(
        seen.iter()
            .all(|s| s.headers.get("authorization").is_none())
    );
    assert_eq!(seen[1].headers["accept"], "application/json");
}

#[tokio::test]
async fn step_2_path_inserted_prm_and_second_as_url() {
    let o = Origin::start().await;
    let mcp = o.url("/mcp");
    let issuer = o.url("/tenant1");
    o.on(
        "/mcp",
        Reply::status(401).header("www-authenticate", "Bearer"),
    );
    o.on(
        "/.well-known/oauth-protected-resource/mcp",
        Reply::json(prm(&mcp, &issuer)),
    );
    o.on(
        "/.well-known/openid-configuration/tenant1",
        Reply::json(asm(&issuer)),
    );

    let found = discovery()
        .discover(&Resource::new(&mcp).unwrap())
        .await
        .unwrap();
    assert_eq!(found.resource.source, ResourceMetadataSource::PathInserted);
    assert_eq!(
        found.authorization_server.document,
        WellKnownDocument::OpenIdConfiguration
    );
    assert_eq!(found.issuer().as_str(), issuer);
    assert_eq!(
        o.paths(),
        [
            "/mcp",
            "/.well-known/oauth-protected-resource/mcp",
            "/.well-known/oauth-authorization-server/tenant1",
            "/.well-known/openid-configuration/tenant1",
        ]
    );
}

#[tokio::test]
async fn step_3_root_prm_and_third_as_url_after_a_dead_header_url() {
    let o = Origin::start().await;
    let mcp = o.url("/mcp");
    let issuer = o.url("/tenant1");
    o.on(
        "/mcp",
        Reply::status(401).header("www-authenticate", challenge(&o.url("/gone"))),
    );
    o.on("/gone", Reply::status(404));
    o.on(
        "/.well-known/oauth-protected-resource",
        Reply::json(prm(&mcp, &issuer)),
    );
    o.on(
        "/tenant1/.well-known/openid-configuration",
        Reply::json(asm(&issuer)),
    );

    let found = discovery()
        .discover(&Resource::new(&mcp).unwrap())
        .await
        .unwrap();
    assert_eq!(found.resource.source, ResourceMetadataSource::Root);
    assert_eq!(
        found.authorization_server.url.as_str(),
        o.url("/tenant1/.well-known/openid-configuration")
    );
    assert_eq!(
        o.paths(),
        [
            "/mcp",
            "/gone",
            "/.well-known/oauth-protected-resource/mcp",
            "/.well-known/oauth-protected-resource",
            "/.well-known/oauth-authorization-server/tenant1",
            "/.well-known/openid-configuration/tenant1",
            "/tenant1/.well-known/openid-configuration",
        ]
    );
}

#[tokio::test]
async fn prm_query_is_kept_after_the_path() {
    let o = Origin::start().await;
    let mcp = o.url("/mcp?tenant=acme");
    o.on(
        "/.well-known/oauth-protected-resource/mcp?tenant=acme",
        Reply::json(prm(&mcp, &o.base)),
    );
    o.on(
        "/.well-known/oauth-authorization-server",
        Reply::json(asm(&o.base)),
    );
    let found = discovery()
        .discover_from_challenges(&Resource::new(&mcp).unwrap(), &[])
        .await
        .unwrap();
    assert_eq!(found.resource().as_str(), mcp);
}

#[tokio::test]
async fn mismatched_issuer_fails() {
    let o = Origin::start().await;
    let mcp = o.url("/mcp");
    o.on(
        "/.well-known/oauth-protected-resource/mcp",
        Reply::json(prm(&mcp, &o.base)),
    );
    let impostor = "http://127.0.0.1:1";
    o.on(
        "/.well-known/oauth-authorization-server",
        Reply::json(asm(impostor)),
    );
    o.on(
        "/.well-known/openid-configuration",
        Reply::json(asm(&o.base)),
    );

    let err = discovery()
        .discover_from_challenges(&Resource::new(&mcp).unwrap(), &[])
        .await
        .unwrap_err();
    assert_eq!(
        err,
        DiscoveryError::Invalid {
            url: o.url("/.well-known/oauth-authorization-server"),
            error: ValidationError::IssuerMismatch {
                expected: o.base.clone(),
                found: impostor.into()
            }
        }
    );
}

#[tokio::test]
async fn mismatched_prm_resource_fails() {
    let o = Origin::start().await;
    let mcp = o.url("/mcp");
    o.on(
        "/mcp",
        Reply::status(401).header("www-authenticate", challenge(&o.url("/meta/prm"))),
    );
    o.on("/meta/prm", Reply::json(prm(&o.url("/admin"), &o.base)));

    let err = discovery()
        .discover(&Resource::new(&mcp).unwrap())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        DiscoveryError::Invalid {
            url: o.url("/meta/prm"),
            error: ValidationError::ResourceMismatch {
                expected: mcp,
                found: o.url("/admin")
            }
        }
    );
}

#[tokio::test]
async fn oversize_body_fails() {
    let o = Origin::start().await;
    let padding = " ".repeat(ema_metadata::MAX_DOCUMENT_BYTES);
    o.on(
        "/.well-known/oauth-authorization-server",
        Reply::json(format!("{}{padding}", asm(&o.base))),
    );
    let err = discovery()
        .authorization_server_metadata(&Issuer::new(&o.base).unwrap())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        DiscoveryError::BodyTooLarge {
            url: o.url("/.well-known/oauth-authorization-server"),
            limit: ema_metadata::MAX_DOCUMENT_BYTES
        }
    );
}

#[tokio::test]
async fn redirect_fails_and_is_not_followed() {
    let o = Origin::start().await;
    o.on(
        "/.well-known/oauth-authorization-server",
        Reply::status(302).header("location", o.url("/elsewhere")),
    );
    o.on("/elsewhere", Reply::json(asm(&o.base)));
    let err = discovery()
        .authorization_server_metadata(&Issuer::new(&o.base).unwrap())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        DiscoveryError::Redirect {
            url: o.url("/.well-known/oauth-authorization-server"),
            status: 302,
            location: Some(o.url("/elsewhere"))
        }
    );
    assert_eq!(o.paths(), ["/.well-known/oauth-authorization-server"]);
}

#[tokio::test]
async fn slow_server_times_out() {
    let o = Origin::start().await;
    o.on(
        "/.well-known/oauth-authorization-server",
        Reply::json(asm(&o.base)).delayed(Duration::from_secs(2)),
    );
    let d = Discovery::new(client_with_timeout(Duration::from_millis(300)))
        .with_config(DiscoveryConfig::development());
    let started = Instant::now();
    let err = d
        .authorization_server_metadata(&Issuer::new(&o.base).unwrap())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        DiscoveryError::Timeout {
            url: o.url("/.well-known/oauth-authorization-server")
        }
    );
    assert!(started.elapsed() < Duration::from_millis(1_500));
}

#[tokio::test]
async fn non_json_content_type_fails() {
    let o = Origin::start().await;
    o.on(
        "/.well-known/oauth-authorization-server",
        Reply::status(200)
            .header("content-type", "text/html; charset=utf-8")
            .header("x", "y"),
    );
    let err = discovery()
        .authorization_server_metadata(&Issuer::new(&o.base).unwrap())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        DiscoveryError::ContentType {
            url: o.url("/.well-known/oauth-authorization-server"),
            found: Some("text/html; charset=utf-8".into())
        }
    );
}

#[tokio::test]
async fn non_json_body_fails() {
    let o = Origin::start().await;
    o.on(
        "/.well-known/oauth-authorization-server",
        Reply::json("<html>login</html>"),
    );
    let err = discovery()
        .authorization_server_metadata(&Issuer::new(&o.base).unwrap())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        DiscoveryError::Document {
            url: o.url("/.well-known/oauth-authorization-server"),
            error: DocumentError::NotAnObject
        }
    );
}

#[tokio::test]
async fn strict_policy_refuses_loopback_http_before_any_request() {
    let o = Origin::start().await;
    let err = Discovery::new(client())
        .discover(&Resource::new(o.url("/mcp")).unwrap())
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        DiscoveryError::InsecureUrl {
            what: "resource",
            ..
        }
    ));
    assert!(o.paths().is_empty());
}

#[tokio::test]
async fn cache_honours_max_age_over_http() {
    let o = Origin::start().await;
    let mcp = o.url("/mcp");
    o.on(
        "/.well-known/oauth-protected-resource/mcp",
        Reply::json(prm(&mcp, &o.base)).header("cache-control", "public, max-age=300"),
    );
    o.on(
        "/.well-known/oauth-authorization-server",
        Reply::json(asm(&o.base)).header("cache-control", "no-store"),
    );
    let clock = FixedClock::new(1_793_000_000);
    let d = discovery().with_clock(clock.clone());
    let server = Resource::new(&mcp).unwrap();
    d.discover_from_challenges(&server, &[]).await.unwrap();
    d.discover_from_challenges(&server, &[]).await.unwrap();
    clock.advance(300);
    d.discover_from_challenges(&server, &[]).await.unwrap();
    assert_eq!(
        o.paths(),
        [
            "/.well-known/oauth-protected-resource/mcp",
            "/.well-known/oauth-authorization-server",
            "/.well-known/oauth-authorization-server",
            "/.well-known/oauth-protected-resource/mcp",
            "/.well-known/oauth-authorization-server",
        ]
    );
}

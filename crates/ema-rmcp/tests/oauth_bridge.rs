//! rmcp's OAuth state machine over an ema transport (`EmaOAuthHttpClient`), on loopback.

#![cfg(feature = "oauth-bridge")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use ema_metadata::{ReqwestClient, SchemePolicy};
use ema_rmcp::oauth::EmaOAuthHttpClient;
use ema_types::transport::{HttpClient, HttpRequest};
use rmcp::transport::AuthorizationManager;

fn json(value: &serde_json::Value) -> axum::response::Response {
    (
        [(http::header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}

/// An MCP server's metadata: PRM naming the AS on the same host, whose RFC 8414 document
/// is reached through a same-origin redirect.
async fn start(redirect_to: Option<String>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let prm = serde_json::json!({
        "resource": format!("{base}/mcp"),
        "authorization_servers": [base.clone()],
    });
    let metadata = serde_json::json!({
        "issuer": base.clone(),
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
    });
    let target = redirect_to.unwrap_or_else(|| "/as-metadata".to_owned());
    let app = Router::new()
        .route(
            "/.well-known/oauth-protected-resource/mcp",
            get(move || {
                let prm = prm.clone();
                async move { json(&prm) }
            }),
        )
        .route(
            "/.well-known/oauth-authorization-server",
            get(move || {
                let target = target.clone();
                async move { Redirect::temporary(&target).into_response() }
            }),
        )
        .route(
            "/as-metadata",
            get(move || {
                let metadata = metadata.clone();
                async move { json(&metadata) }
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

/// An ema transport that records the paths it was asked for.
fn recording(log: Arc<Mutex<Vec<String>>>) -> impl HttpClient + 'static {
    let inner = Arc::new(
        ReqwestClient::builder()
            .scheme_policy(SchemePolicy::AllowLoopbackHttp)
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap(),
    );
    move |request: HttpRequest| {
        log.lock().unwrap().push(request.uri().path().to_owned());
        let inner = Arc::clone(&inner);
        async move { inner.send(request).await }
    }
}

#[tokio::test]
async fn rmcp_discovery_runs_over_the_ema_transport_and_follows_same_origin_redirects() {
    let base = start(None).await;
    let log = Arc::new(Mutex::new(Vec::new()));
    let client = EmaOAuthHttpClient::new(recording(Arc::clone(&log))).into_dyn();
    let manager = AuthorizationManager::new_with_oauth_http_client(format!("{base}/mcp"), client)
        .await
        .unwrap();
    let resolved = manager.resolve_metadata().await.unwrap();
    assert_eq!(resolved.metadata.token_endpoint, format!("{base}/token"));
    let paths = log.lock().unwrap().clone();
    assert!(
        paths.contains(&"/.well-known/oauth-protected-resource/mcp".to_owned()),
        "{paths:?}"
    );
    assert!(paths.contains(&"/as-metadata".to_owned()), "{paths:?}");
}

#[tokio::test]
async fn a_cross_origin_redirect_is_not_followed() {
    let other = start(None).await;
    let base = start(Some(format!("{other}/as-metadata"))).await;
    let log = Arc::new(Mutex::new(Vec::new()));
    let client = EmaOAuthHttpClient::new(recording(Arc::clone(&log))).into_dyn();
    let manager = AuthorizationManager::new_with_oauth_http_client(format!("{base}/mcp"), client)
        .await
        .unwrap();
    let resolved = manager.resolve_metadata().await;
    let followed = resolved
        .as_ref()
        .is_ok_and(|r| r.metadata.token_endpoint == format!("{other}/token"));
    assert!(!followed, "{resolved:?}");
    assert!(
        !log.lock().unwrap().iter().any(|p| p == "/as-metadata"),
        "the other origin was never asked"
    );
}

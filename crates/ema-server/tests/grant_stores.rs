//! Grant stores (codes and refresh tokens, RFC 6749 §4.1.2 single use, RFC 9700 §4.14.2
//! rotation): the in-memory store and, with feature `redis`, the Redis store on a real
//! `redis-server` started on a free loopback port, each driven through the IdP's code flow.
#![cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::sync::Arc;

use ema_jwt::{Algorithm, SigningKey};
use ema_server::authorization_code::{
    DevLoginHintAuthenticator, DevUser, GrantKey, GrantKind, GrantStore, MemoryGrantStore,
    s256_challenge,
};
use ema_server::client_auth::{ClientAuthContext, RegisteredClient, StaticClientRegistry};
use ema_server::idp::oidc::OidcProvider;
use ema_server::replay::MemoryReplayStore;
use ema_server::signing::SigningKeys;
use ema_types::{ClientId, FixedClock, Issuer, Secret, basic_auth, urn};

const NOW: u64 = 1_793_000_000;
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const REDIRECT: &str = "http://127.0.0.1:4000/cb";

async fn exactly_one_of_32_takes_wins(store: Arc<dyn GrantStore>) {
    let key = GrantKey {
        kind: GrantKind::Code,
        id: "concurrent",
    };
    assert!(store.insert(key, b"v", NOW, NOW + 60).await.unwrap());
    assert!(!store.insert(key, b"w", NOW, NOW + 60).await.unwrap());
    let other = GrantKey {
        kind: GrantKind::RefreshToken,
        ..key
    };
    assert_eq!(store.get(other, NOW).await.unwrap(), None);
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            store
                .take(
                    GrantKey {
                        kind: GrantKind::Code,
                        id: "concurrent",
                    },
                    NOW,
                )
                .await
                .unwrap()
        }));
    }
    let mut wins = 0;
    for t in tasks {
        if let Some(v) = t.await.unwrap() {
            assert_eq!(v, b"v");
            wins += 1;
        }
    }
    assert_eq!(wins, 1);
}

/// Authorize, redeem, rotate, reuse: through the IdP's handlers, sans-IO, over `store`.
async fn code_flow_over(store: Arc<dyn GrantStore>) {
    let clock = FixedClock::new(NOW);
    let issuer = Issuer::new("https://login.acme-idp.test").unwrap();
    let registry = Arc::new(
        StaticClientRegistry::new().with_client(
            RegisteredClient::confidential(ClientId::new("cli").unwrap())
                .with_secret(Secret::new("secret"))
                .with_grant_type(urn::GRANT_TYPE_AUTHORIZATION_CODE)
                .with_redirect_uri("http://127.0.0.1/cb"),
        ),
    );
    let client_auth = ClientAuthContext::new(
        issuer.clone(),
        Arc::new(MemoryReplayStore::new(100)),
        Arc::new(clock.clone()),
    );
    let provider = OidcProvider::builder(
        issuer,
        SigningKeys::new(SigningKey::generate(Algorithm::ES256).unwrap()),
        registry,
        client_auth,
    )
    .store(store)
    .build()
    .unwrap();
    let authorize = provider.authorization_endpoint(Arc::new(DevLoginHintAuthenticator::new(
        [DevUser::new("alice")],
        Arc::new(clock.clone()),
    )));
    let token = provider.token_endpoint();
    let code = || async {
        let query = format!(
            "response_type=code&client_id=cli&redirect_uri={}&scope=openid%20offline_access\
             &code_challenge={}&code_challenge_method=S256&login_hint=alice",
            "http%3A%2F%2F127.0.0.1%3A4000%2Fcb",
            s256_challenge(VERIFIER)
        );
        let response = authorize
            .handle(
                http::Request::get(format!("/authorize?{query}"))
                    .body(Vec::new())
                    .unwrap(),
            )
            .await;
        assert_eq!(response.status(), 302);
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let q: std::collections::HashMap<String, String> =
            url::form_urlencoded::parse(location.split_once('?').unwrap().1.as_bytes())
                .into_owned()
                .collect();
        q["code"].clone()
    };
    let post = |pairs: Vec<(&str, String)>| {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        let basic = basic_auth::encode(&ClientId::new("cli").unwrap(), &Secret::new("secret"));
        let token = token.clone();
        async move {
            let response = token
                .handle(
                    http::Request::post("/token")
                        .header("content-type", "application/x-www-form-urlencoded")
                        .header("authorization", basic)
                        .body(body.into_bytes())
                        .unwrap(),
                )
                .await;
            let json: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
            (response.status().as_u16(), json)
        }
    };
    let redeem = |code: String| {
        post(vec![
            ("grant_type", "authorization_code".into()),
            ("code", code),
            ("redirect_uri", REDIRECT.into()),
            ("code_verifier", VERIFIER.into()),
        ])
    };
    let refresh = |rt: String| {
        post(vec![
            ("grant_type", "refresh_token".into()),
            ("refresh_token", rt),
        ])
    };
    let c = code().await;
    let (status, body) = redeem(c.clone()).await;
    assert_eq!(status, 200, "{body}");
    let rt1 = body["refresh_token"].as_str().unwrap().to_owned();
    let (status, body) = refresh(rt1.clone()).await;
    assert_eq!(status, 200, "{body}");
    let rt2 = body["refresh_token"].as_str().unwrap().to_owned();
    // Reusing rt1 revokes the family: rt2 is dead too.
    assert_eq!(refresh(rt1).await.1["error"], "invalid_grant");
    assert_eq!(refresh(rt2).await.1["error"], "invalid_grant");
    // A reused code revokes the refresh token it produced.
    let c = code().await;
    let rt = redeem(c.clone()).await.1["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(redeem(c).await.1["error"], "invalid_grant");
    assert_eq!(refresh(rt).await.1["error"], "invalid_grant");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn rfc_6749_4_1_2_memory_grant_store_single_use_and_code_flow() {
    exactly_one_of_32_takes_wins(Arc::new(MemoryGrantStore::new(1024))).await;
    code_flow_over(Arc::new(MemoryGrantStore::new(1024))).await;
}

#[cfg(feature = "redis")]
#[path = "replay_support/redis_server.rs"]
mod redis_server;

#[cfg(feature = "redis")]
mod redis {
    use super::*;
    use ema_server::authorization_code::{GrantStoreError, RedisGrantStore};

    #[tokio::test(flavor = "multi_thread", worker_threads = 8)]
    async fn rfc_6749_4_1_2_redis_grant_store_single_use_and_code_flow() {
        let Some(server) = redis_server::RedisServer::start() else {
            return;
        };
        let store = RedisGrantStore::connect(&server.url())
            .await
            .unwrap()
            .with_prefix("test:");
        exactly_one_of_32_takes_wins(Arc::new(store.clone())).await;
        code_flow_over(Arc::new(store)).await;
    }

    #[tokio::test]
    async fn rfc_9700_4_14_redis_grant_store_down_fails_closed() {
        let Some(server) = redis_server::RedisServer::start() else {
            return;
        };
        let store = RedisGrantStore::connect(&server.url())
            .await
            .unwrap()
            .with_timeout(std::time::Duration::from_millis(500));
        drop(server);
        let key = GrantKey {
            kind: GrantKind::RefreshToken,
            id: "down",
        };
        assert!(matches!(
            store.take(key, NOW).await,
            Err(GrantStoreError::Unavailable(_))
        ));
    }
}

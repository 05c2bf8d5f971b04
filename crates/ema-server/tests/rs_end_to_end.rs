//! All three roles in one process, each served on loopback by its axum router
//! (`IdpRouter`, `AuthorizationServerRouter`, `ResourceServerRouter`) and driven by plain
//! HTTP/1.1 requests: ID token → (IdP token exchange) → ID-JAG → (AS jwt-bearer) → access
//! token → authorized call on a protected MCP route.
//!
//! The same flow runs twice: with bearer tokens, and with DPoP (IDP-20 → AS-17 → RS-10), where
//! one client key proves possession at the IdP (the ID-JAG gets `cnf.jkt`), at the AS (the
//! access token keeps it, `token_type` `DPoP`) and at the MCP server (`Authorization: DPoP` +
//! proof).
#![cfg(all(feature = "axum", any(feature = "aws-lc-rs", feature = "rust-crypto")))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Arc;

use async_trait::async_trait;
use axum::Router;
use axum::routing::any;
use ema_jwt::mint::{DpopProofMinter, sign_jws};
use ema_jwt::{Algorithm, KeySet, SigningKey};
use ema_server::authorization_server::{
    AuthorizationServerConfig, JwtBearerGrant, ResourceConfig, TrustedIssuer,
};
use ema_server::axum::{AuthorizationServerRouter, IdpRouter, ResourceServerRouter};
use ema_server::client_auth::{
    ClientAuthContext, ClientAuthMethod, RegisteredClient, StaticClientRegistry,
};
use ema_server::endpoint::TokenEndpoint;
use ema_server::idp::{IdpConfig, PolicyRule, StaticPolicy, TokenExchangeGrant, TrustedAudience};
use ema_server::keys::{KeySource, KeySourceError};
use ema_server::replay::MemoryReplayStore;
use ema_server::resource_server::{AccessTokenGuard, Principal, ResourceServerConfig};
use ema_server::signing::SigningKeys;
use ema_types::claims::IdTokenClaims;
use http_support::{NO_HEADERS, send, serve};

mod http_support;

use ema_types::{
    ClientId, FixedClock, Form, Issuer, Resource, ScopeSet, Secret, SystemRandom, basic_auth, urn,
};

const NOW: u64 = 1_793_000_000;
const IDP: &str = "https://login.acme-idp.test";
const AS: &str = "https://as.toolhub.test";
const MCP: &str = "https://tools.toolhub.test/mcp";
const PRM: &str = "https://tools.toolhub.test/.well-known/oauth-protected-resource/mcp";

/// The keys of one issuer, as the other party has them (a JWKS fetched earlier).
struct Keys {
    issuer: &'static str,
    signing: SigningKeys,
}

#[async_trait]
impl KeySource for Keys {
    async fn keys(
        &self,
        issuer: &Issuer,
        _kid: Option<&str>,
    ) -> Result<Arc<KeySet>, KeySourceError> {
        if issuer.as_str() != self.issuer {
            return Err(KeySourceError::UnknownIssuer);
        }
        Ok(Arc::new(KeySet::from_jwks(&self.signing.jwks())))
    }
}

fn scopes(s: &str) -> ScopeSet {
    ScopeSet::parse(s).unwrap()
}

fn enc(pairs: &[(&str, &str)]) -> String {
    let mut f = Form::new();
    for (n, v) in pairs {
        f.push(*n, *v);
    }
    f.encode()
}

#[tokio::test]
async fn rs_end_to_end_id_token_to_authorized_mcp_call() {
    id_token_to_authorized_mcp_call(false).await;
}

#[tokio::test]
async fn dpop_end_to_end_one_key_binds_the_id_jag_the_access_token_and_the_call() {
    id_token_to_authorized_mcp_call(true).await;
}

/// The whole flow; with `dpop`, every leg carries a proof of one client key.
async fn id_token_to_authorized_mcp_call(dpop: bool) {
    let clock = FixedClock::new(NOW);
    let client = DpopProofMinter::new(SigningKey::generate(Algorithm::ES256).unwrap());
    // The `DPoP` header line of a request, or nothing without DPoP.
    let proof = |method: &str, url: &str, token: Option<&str>| {
        dpop.then(|| {
            let p = client
                .mint(method, url, token, None, &clock, &SystemRandom)
                .unwrap();
            format!("DPoP: {}", p.expose())
        })
    };
    let expected_cnf = if dpop {
        serde_json::json!({"jkt": client.jkt()})
    } else {
        serde_json::Value::Null
    };
    let claims_of = |token: &str| {
        ema_jwt::compact::UnverifiedJws::decode(token, 16 * 1024)
            .unwrap()
            .into_claims()
            .into_map()
    };

    // --- IdP: desk-7f3a may get ID-JAGs for the ToolHub AS and its MCP server.
    let idp_signing = SigningKeys::new(
        SigningKey::generate(Algorithm::ES256)
            .unwrap()
            .with_kid("idp-2026"),
    );
    let idp_config = IdpConfig::builder(Issuer::new(IDP).unwrap())
        .token_endpoint(format!("{IDP}/oauth2/token"))
        .audience(
            TrustedAudience::new(Issuer::new(AS).unwrap()).resource(Resource::new(MCP).unwrap()),
        )
        .build()
        .unwrap();
    let idp_grant = TokenExchangeGrant::new(
        idp_config.clone(),
        idp_signing.clone(),
        Arc::new(Keys {
            issuer: IDP,
            signing: idp_signing.clone(),
        }),
        Arc::new(
            StaticClientRegistry::new().with_client(
                RegisteredClient::confidential(ClientId::new("desk-7f3a").unwrap())
                    .with_secret(Secret::new("idp-secret"))
                    .with_grant_type(urn::GRANT_TYPE_TOKEN_EXCHANGE),
            ),
        ),
        ClientAuthContext::new(
            Issuer::new(IDP).unwrap(),
            Arc::new(MemoryReplayStore::new(100)),
            Arc::new(clock.clone()),
        ),
        Arc::new(StaticPolicy::new().with_rule(PolicyRule::new(
            ClientId::new("desk-7f3a").unwrap(),
            Issuer::new(AS).unwrap(),
            Resource::new(MCP).unwrap(),
            scopes("tickets:read tickets:write"),
            ClientId::new("cli_42b19c").unwrap(),
        ))),
    )
    .unwrap();
    let idp_metadata = idp_config
        .metadata(
            &format!("{IDP}/authorize"),
            &format!("{IDP}/oauth2/token"),
            &format!("{IDP}/oauth2/keys"),
            false,
        )
        .unwrap();
    let idp = serve(
        IdpRouter::from_grant(idp_grant, idp_metadata)
            .build()
            .unwrap(),
    )
    .await;

    // --- AS: trusts the IdP, serves the MCP resource.
    let as_signing = SigningKeys::new(
        SigningKey::generate(Algorithm::ES256)
            .unwrap()
            .with_kid("as-1"),
    );
    let as_config = AuthorizationServerConfig::builder(Issuer::new(AS).unwrap())
        .token_endpoint(format!("{AS}/oauth/token"))
        .trusted_issuer(TrustedIssuer::new(Issuer::new(IDP).unwrap()))
        .resource(ResourceConfig::new(
            Resource::new(MCP).unwrap(),
            scopes("tickets:read tickets:write"),
        ))
        .build()
        .unwrap();
    let as_metadata = as_config
        .metadata(
            &format!("{AS}/oauth/token"),
            &format!("{AS}/oauth/jwks"),
            &[ClientAuthMethod::ClientSecretBasic],
            false,
        )
        .unwrap();
    let as_grant = JwtBearerGrant::new(
        as_config,
        Arc::new(
            StaticClientRegistry::new().with_client(
                RegisteredClient::confidential(ClientId::new("cli_42b19c").unwrap())
                    .with_secret(Secret::new("as-secret"))
                    .with_grant_type(urn::GRANT_TYPE_JWT_BEARER),
            ),
        ),
        Arc::new(Keys {
            issuer: IDP,
            signing: idp_signing.clone(),
        }),
        Arc::new(MemoryReplayStore::new(100)),
        as_signing.clone(),
    )
    .unwrap()
    .with_clock(Arc::new(clock.clone()));
    let as_addr = serve(
        AuthorizationServerRouter::new(
            TokenEndpoint::new().with_grant(urn::GRANT_TYPE_JWT_BEARER, Arc::new(as_grant)),
            as_signing.clone(),
            as_metadata,
        )
        .build()
        .unwrap(),
    )
    .await;

    // --- RS: accepts the AS's tokens; GET needs tickets:read.
    let guard = Arc::new(
        AccessTokenGuard::new(
            ResourceServerConfig::builder(Resource::new(MCP).unwrap(), Issuer::new(AS).unwrap())
                .scopes_supported(scopes("tickets:read tickets:write"))
                .build()
                .unwrap(),
            Arc::new(Keys {
                issuer: AS,
                signing: as_signing.clone(),
            }),
            Arc::new(clock.clone()),
        )
        .unwrap(),
    );
    let rs = serve(ResourceServerRouter::new(guard).protect(
        Router::new().route(
            "/mcp",
            any(
                |axum::Extension(p): axum::Extension<Principal>| async move {
                    format!("{} {} {}", p.subject, p.client_id, p.scopes)
                },
            ),
        ),
        scopes("tickets:read"),
    ))
    .await;

    // 1. The client calls the MCP server without a token and discovers the PRM.
    let r = send(rs, "POST", "/mcp", NO_HEADERS, "").await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.header("www-authenticate"),
        Some(format!(r#"Bearer resource_metadata="{PRM}", scope="tickets:read""#).as_str())
    );
    let r = send(
        rs,
        "GET",
        "/.well-known/oauth-protected-resource/mcp",
        NO_HEADERS,
        String::new(),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["authorization_servers"][0], AS);

    // ... and both servers' metadata, which name the token endpoints used below.
    let token_path = |addr, well_known: &'static str| async move {
        let r = send(addr, "GET", well_known, NO_HEADERS, "").await;
        assert_eq!(r.status, 200);
        let url = r.json()["token_endpoint"].as_str().unwrap().to_owned();
        url.split_once(".test").unwrap().1.to_owned()
    };
    let idp_token = token_path(idp, "/.well-known/openid-configuration").await;
    assert_eq!(idp_token, "/oauth2/token");
    let as_token = token_path(as_addr, "/.well-known/oauth-authorization-server").await;
    assert_eq!(as_token, "/oauth/token");

    // 2. Token exchange at the IdP with the SSO ID token.
    let id_token = sign_jws(
        &idp_signing.active(),
        None,
        &IdTokenClaims::new(IDP, "00u8k2p9xq", "desk-7f3a", NOW - 5, NOW + 600),
    )
    .unwrap();
    let form_header = "Content-Type: application/x-www-form-urlencoded".to_owned();
    let idp_basic = format!(
        "Authorization: {}",
        basic_auth::encode(
            &ClientId::new("desk-7f3a").unwrap(),
            &Secret::new("idp-secret")
        )
    );
    let r = send(
        idp,
        "POST",
        &idp_token,
        [form_header.clone(), idp_basic].into_iter().chain(proof(
            "POST",
            &format!("{IDP}/oauth2/token"),
            None,
        )),
        enc(&[
            ("grant_type", urn::GRANT_TYPE_TOKEN_EXCHANGE),
            ("requested_token_type", urn::TOKEN_TYPE_ID_JAG),
            ("audience", AS),
            ("resource", MCP),
            ("scope", "tickets:read"),
            ("subject_token", &id_token),
            ("subject_token_type", urn::TOKEN_TYPE_ID_TOKEN),
        ]),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let id_jag = r.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        claims_of(&id_jag).get("cnf").cloned().unwrap_or_default(),
        expected_cnf
    );

    // 3. jwt-bearer at the AS with the ID-JAG.
    let as_basic = format!(
        "Authorization: {}",
        basic_auth::encode(
            &ClientId::new("cli_42b19c").unwrap(),
            &Secret::new("as-secret")
        )
    );
    let r = send(
        as_addr,
        "POST",
        &as_token,
        [form_header.clone(), as_basic.clone()]
            .into_iter()
            .chain(proof("POST", &format!("{AS}/oauth/token"), None)),
        enc(&[
            ("grant_type", urn::GRANT_TYPE_JWT_BEARER),
            ("assertion", &id_jag),
            ("resource", MCP),
        ]),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["token_type"], if dpop { "DPoP" } else { "Bearer" });
    let access_token = r.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        claims_of(&access_token)
            .get("cnf")
            .cloned()
            .unwrap_or_default(),
        expected_cnf
    );

    // 3b. The same ID-JAG a second time, with a fresh proof, is a replay (AS-11).
    let r = send(
        as_addr,
        "POST",
        &as_token,
        [form_header.clone(), as_basic.clone()]
            .into_iter()
            .chain(proof("POST", &format!("{AS}/oauth/token"), None)),
        enc(&[
            ("grant_type", urn::GRANT_TYPE_JWT_BEARER),
            ("assertion", &id_jag),
            ("resource", MCP),
        ]),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["error"], "invalid_grant");

    // 4. The authorized call, with a proof for this method and URL and the token hash.
    let r = send(
        rs,
        "POST",
        "/mcp",
        if dpop {
            [format!("Authorization: DPoP {access_token}")]
                .into_iter()
                .chain(proof("POST", MCP, Some(&access_token)))
                .collect()
        } else {
            vec![format!("Authorization: Bearer {access_token}")]
        },
        String::new(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body, "00u8k2p9xq cli_42b19c tickets:read");

    // 5. The ID-JAG itself is not an access token at the RS.
    let r = send(
        rs,
        "POST",
        "/mcp",
        vec![format!("Authorization: Bearer {id_jag}")],
        String::new(),
    )
    .await;
    assert_eq!(r.status, 401);
    if !dpop {
        return;
    }

    // 6. The bound token as a bearer token is refused (RS-10).
    let r = send(
        rs,
        "POST",
        "/mcp",
        vec![format!("Authorization: Bearer {access_token}")],
        String::new(),
    )
    .await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.header("www-authenticate"),
        Some(format!(r#"Bearer error="invalid_token", resource_metadata="{PRM}""#).as_str())
    );
}

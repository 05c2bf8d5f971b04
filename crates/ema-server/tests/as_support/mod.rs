//! A resource AS on loopback (axum on 127.0.0.1:0) and a reqwest client, for the `as_*` tests.
#![allow(dead_code, unreachable_pub, missing_debug_implementations)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use ema_jwt::mint::sign_jws;
use ema_jwt::{Algorithm, KeySet, SigningKey};
use ema_server::authorization_server::{
    AuthorizationServerConfig, AuthorizationServerConfigBuilder, JwtBearerGrant, ResourceConfig,
    SubjectResolver, TrustedIssuer,
};
use ema_server::axum::AuthorizationServerRouter;
use ema_server::client_auth::{ClientAuthMethod, RegisteredClient, StaticClientRegistry};
use ema_server::endpoint::TokenEndpoint;
use ema_server::keys::{KeySource, KeySourceError, StaticKeySource};
use ema_server::replay::{MemoryReplayStore, ReplayStore};
use ema_server::signing::SigningKeys;
use ema_types::{ClientId, FixedClock, Issuer, Resource, ScopeSet, Secret, basic_auth, urn};
use serde_json::{Value, json};

pub const AS_ISSUER: &str = "https://as.toolhub.test";
pub const IDP: &str = "https://login.acme-idp.test";
pub const OTHER_IDP: &str = "https://login.other-idp.test";
pub const MCP: &str = "https://tools.toolhub.test/mcp";
pub const WIKI: &str = "https://tools.toolhub.test/wiki";
pub const NOW: u64 = 1_793_000_000;
pub const CLIENT: &str = "cli_42b19c";
pub const SECRET: &str = "s4pr-example-secret";
pub const JWT_BEARER: &str = urn::GRANT_TYPE_JWT_BEARER;

/// A key source counting its calls (AS-02: none before client authentication).
#[derive(Debug)]
pub struct Counting {
    pub inner: StaticKeySource,
    pub calls: AtomicUsize,
}

#[async_trait]
impl KeySource for Counting {
    async fn keys(
        &self,
        issuer: &Issuer,
        kid: Option<&str>,
    ) -> Result<Arc<KeySet>, KeySourceError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.keys(issuer, kid).await
    }
}

pub struct Options {
    pub config: Box<
        dyn FnOnce(AuthorizationServerConfigBuilder) -> AuthorizationServerConfigBuilder + Send,
    >,
    pub replay: Arc<dyn ReplayStore>,
    pub subjects: Option<Arc<dyn SubjectResolver>>,
    pub keys: Option<Arc<dyn KeySource>>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            config: Box::new(|b| b),
            replay: Arc::new(MemoryReplayStore::new(10_000)),
            subjects: None,
            keys: None,
        }
    }
}

pub struct As {
    pub addr: SocketAddr,
    pub idp_key: SigningKey,
    pub other_idp_key: SigningKey,
    pub client_key: SigningKey,
    pub key_source: Arc<Counting>,
    pub signing: SigningKeys,
    pub http: reqwest::Client,
    pub clock: FixedClock,
}

pub fn scopes(s: &str) -> ScopeSet {
    ScopeSet::parse(s).unwrap()
}

pub async fn start(options: Options) -> As {
    let clock = FixedClock::new(NOW);
    let idp_key = SigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid("idp-2026");
    let other_idp_key = SigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid("other-1");
    let client_key = SigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid("cli-k1");
    let idp = Issuer::new(IDP).unwrap();
    let other = Issuer::new(OTHER_IDP).unwrap();
    let key_source = Arc::new(Counting {
        inner: StaticKeySource::new()
            .with_issuer(
                &idp,
                KeySet::from_keys(vec![idp_key.verifying_key().clone()]),
            )
            .with_issuer(
                &other,
                KeySet::from_keys(vec![other_idp_key.verifying_key().clone()]),
            ),
        calls: AtomicUsize::new(0),
    });
    let builder = AuthorizationServerConfig::builder(Issuer::new(AS_ISSUER).unwrap())
        .trusted_issuer(TrustedIssuer::new(idp.clone()))
        .trusted_issuer(TrustedIssuer::new(other.clone()))
        .resource(
            ResourceConfig::new(
                Resource::new(MCP).unwrap(),
                scopes("tickets:read tickets:write"),
            )
            .with_default_scopes(scopes("tickets:read")),
        )
        .resource(ResourceConfig::new(
            Resource::new(WIKI).unwrap(),
            scopes("wiki:read"),
        ));
    let config = (options.config)(builder).build().unwrap();
    let grant = |id: &str| {
        RegisteredClient::confidential(ClientId::new(id).unwrap())
            .with_secret(Secret::new(SECRET))
            .with_grant_type(JWT_BEARER)
    };
    let registry = StaticClientRegistry::new()
        .with_client(
            grant(CLIENT)
                .with_keys(
                    KeySet::from_keys(vec![client_key.verifying_key().clone()]),
                    [Algorithm::ES256],
                )
                .with_secret(Secret::new(SECRET)),
        )
        .with_client(
            RegisteredClient::confidential(ClientId::new("cli_nogrant").unwrap())
                .with_secret(Secret::new(SECRET))
                .with_grant_type("authorization_code"),
        )
        .with_client(grant("cli_not_ema").with_trusted_issuers(Vec::<String>::new()))
        .with_client(grant("cli_other_only").with_trusted_issuers([OTHER_IDP]))
        .with_client(grant("cli_read_only").with_scopes(scopes("tickets:read")))
        .with_client(
            RegisteredClient::public(ClientId::new("https://app.example/cimd.json").unwrap())
                .with_grant_type(JWT_BEARER),
        );
    let signing = SigningKeys::new(
        SigningKey::generate(Algorithm::ES256)
            .unwrap()
            .with_kid("as-1"),
    );
    let keys: Arc<dyn KeySource> = options.keys.unwrap_or_else(|| key_source.clone());
    let mut handler = JwtBearerGrant::new(
        config.clone(),
        Arc::new(registry),
        keys,
        options.replay,
        signing.clone(),
    )
    .unwrap()
    .with_clock(Arc::new(clock.clone()));
    if let Some(s) = options.subjects {
        handler = handler.with_subject_resolver(s);
    }
    let metadata = config
        .metadata_builder(
            "https://as.toolhub.test/oauth/token",
            "https://as.toolhub.test/oauth/jwks",
            &[
                ClientAuthMethod::PrivateKeyJwt,
                ClientAuthMethod::ClientSecretBasic,
                ClientAuthMethod::ClientSecretPost,
            ],
        )
        .unwrap()
        .token_endpoint_auth_signing_alg_values_supported(["ES256"])
        .build()
        .unwrap();
    let endpoint = TokenEndpoint::new().with_grant(JWT_BEARER, Arc::new(handler));
    let router = AuthorizationServerRouter::new(endpoint, signing.clone(), metadata)
        .build()
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        ::axum::serve(listener, router).await.unwrap();
    });
    As {
        addr,
        idp_key,
        other_idp_key,
        client_key,
        key_source,
        signing,
        http: reqwest::Client::new(),
        clock,
    }
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub json: Value,
}

impl Reply {
    pub fn error(&self) -> &str {
        self.json["error"].as_str().unwrap_or("")
    }

    /// Assert a 400 uniform invalid_grant (AS-19).
    pub fn assert_invalid_grant(&self) {
        assert_eq!(self.status, 400, "{}", self.json);
        assert_eq!(
            self.json,
            json!({"error":"invalid_grant","error_description":"assertion rejected"})
        );
        assert_eq!(self.headers["cache-control"], "no-store");
    }

    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!((self.status, self.error()), (status, code), "{}", self.json);
        assert_eq!(self.headers["cache-control"], "no-store");
    }
}

impl As {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Default ID-JAG claims, with `overrides` merged in (`null` removes a claim).
    pub fn claims(&self, overrides: Value) -> Value {
        let mut c = json!({
            "iss": IDP, "sub": "00u8k2p9xq", "aud": AS_ISSUER, "client_id": CLIENT,
            "jti": format!("jti-{}", rand_suffix()), "iat": NOW, "exp": NOW + 300,
            "resource": MCP, "scope": "tickets:read", "auth_time": NOW - 500, "amr": ["pwd", "otp"],
        });
        let map = c.as_object_mut().unwrap();
        for (k, v) in overrides.as_object().unwrap() {
            if v.is_null() {
                map.remove(k);
            } else {
                map.insert(k.clone(), v.clone());
            }
        }
        c
    }

    pub fn id_jag(&self, overrides: Value) -> String {
        sign_jws(
            &self.idp_key,
            Some(urn::JOSE_TYPE_ID_JAG),
            &self.claims(overrides),
        )
        .unwrap()
    }

    pub async fn post(&self, form: &[(&str, &str)], basic: Option<(&str, &str)>) -> Reply {
        self.post_with(form, basic, &[]).await
    }

    pub async fn post_with(
        &self,
        form: &[(&str, &str)],
        basic: Option<(&str, &str)>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut f = ema_types::Form::new();
        for (k, v) in form {
            f.push(*k, *v);
        }
        let mut req = self
            .http
            .post(self.url("/oauth/token"))
            .header("content-type", urn::MEDIA_TYPE_FORM)
            .body(f.encode());
        if let Some((id, secret)) = basic {
            req = req.header(
                "authorization",
                basic_auth::encode(&ClientId::new(id).unwrap(), &Secret::new(secret)),
            );
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let body = res.bytes().await.unwrap();
        let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            json,
        }
    }

    /// Redeem `id_jag` as `CLIENT` with Basic authentication.
    pub async fn redeem(&self, id_jag: &str, extra: &[(&str, &str)]) -> Reply {
        let mut form = vec![("grant_type", JWT_BEARER), ("assertion", id_jag)];
        form.extend_from_slice(extra);
        self.post(&form, Some((CLIENT, SECRET))).await
    }

    pub async fn redeem_as(&self, client: &str, id_jag: &str, extra: &[(&str, &str)]) -> Reply {
        let mut form = vec![("grant_type", JWT_BEARER), ("assertion", id_jag)];
        form.extend_from_slice(extra);
        self.post(&form, Some((client, SECRET))).await
    }
}

fn rand_suffix() -> String {
    use ema_types::SecureRandom;
    ema_types::SystemRandom.token_id(12).unwrap()
}

/// The claims of a compact JWS (not verified).
pub fn payload(token: &str) -> Value {
    let jws = ema_jwt::compact::UnverifiedJws::decode(token, 16 * 1024).unwrap();
    Value::Object(jws.claims().to_map())
}

pub fn header(token: &str) -> ema_jwt::Header {
    ema_jwt::compact::UnverifiedJws::decode(token, 16 * 1024)
        .unwrap()
        .header()
        .clone()
}

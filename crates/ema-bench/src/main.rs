//! The load-benchmark binary of `bench/run.sh`: writes fixtures and serves the real jwt-bearer
//! token endpoint beside a baseline endpoint (see the crate README).

use std::error::Error;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aws_lc_rs::rand::SystemRandom as AwsRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair as _, ParsedPublicKey};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ema_jwt::mint::{IdJagGrant, IdJagMinter};
use ema_jwt::{Algorithm, KeySet, SigningKey};
use ema_server::authorization_server::{
    AuthorizationServerConfig, JwtBearerGrant, ResourceConfig, TrustedIssuer,
};
use ema_server::axum::AuthorizationServerRouter;
use ema_server::client_auth::{ClientAuthMethod, RegisteredClient, StaticClientRegistry};
use ema_server::endpoint::TokenEndpoint;
use ema_server::keys::StaticKeySource;
use ema_server::replay::MemoryReplayStore;
use ema_server::signing::SigningKeys;
use ema_types::{ClientId, Issuer, Resource, ScopeSet, Secret, SystemClock, SystemRandom, urn};
use serde_json::json;

type Fallible<T> = Result<T, Box<dyn Error>>;

const IDP: &str = "https://login.acme-idp.test";
const AS: &str = "https://as.toolhub.test";
const MCP: &str = "https://tools.toolhub.test/mcp";
const CLIENT: &str = "cli_42b19c";
const SECRET: &str = "s4pr-bench-secret";
const IDP_KID: &str = "idp-bench";
const USAGE: &str = "usage: ema-bench fixture DIR N | ema-bench serve DIR";
/// Most bodies a fixture may hold (bounds its size and minting time).
const MAX_BODIES: usize = 1_000_000;

fn main() -> Fallible<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["fixture", dir, n] => fixture(Path::new(dir), n.parse::<usize>()?.min(MAX_BODIES)),
        ["serve", dir] => serve(PathBuf::from(dir)),
        _ => Err(USAGE.into()),
    }
}

fn idp_key(dir: &Path) -> Fallible<SigningKey> {
    let pem = std::fs::read_to_string(dir.join("idp-key.pem"))?;
    Ok(SigningKey::from_pkcs8_pem(&pem)?.with_kid(IDP_KID))
}

/// Writes the IdP key, `n` form bodies with fresh ID-JAGs and the peers' fixture.
fn fixture(dir: &Path, n: usize) -> Fallible<()> {
    std::fs::create_dir_all(dir)?;
    let key = SigningKey::generate(Algorithm::ES256)?.with_kid(IDP_KID);
    std::fs::write(dir.join("idp-key.pem"), key.to_pkcs8_pem()?.as_bytes())?;
    let minter = IdJagMinter::new(Issuer::new(IDP)?, key.clone());
    let grant = IdJagGrant::new("00u8k2p9xq", Issuer::new(AS)?, ClientId::new(CLIENT)?)
        .with_resource(Resource::new(MCP)?)
        .with_scope(ScopeSet::parse("tickets:read")?);
    let mut bodies = std::io::BufWriter::new(std::fs::File::create(dir.join("bodies.txt"))?);
    let mut peer_token = None;
    for _ in 0..n.max(1) {
        let token = minter
            .mint(grant.clone(), &SystemClock, &SystemRandom)?
            .token;
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", urn::GRANT_TYPE_JWT_BEARER)
            .append_pair("assertion", token.expose())
            .append_pair("client_id", CLIENT)
            .append_pair("client_secret", SECRET)
            .finish();
        writeln!(bodies, "{body}")?;
        peer_token.get_or_insert_with(|| token.expose().to_owned());
    }
    bodies.flush()?;
    let peer = json!({
        "token": peer_token,
        "jwk": key.verifying_key().to_jwk(),
        "issuer": IDP,
        "audience": AS,
        "client_id": CLIENT,
        "resource": MCP,
        "typ": urn::JOSE_TYPE_ID_JAG,
    });
    std::fs::write(dir.join("peer.json"), serde_json::to_vec_pretty(&peer)?)?;
    Ok(())
}

/// The baseline: what any token endpoint must do at least, with keys parsed once.
struct Baseline {
    idp_public: ParsedPublicKey,
    as_key: EcdsaKeyPair,
    rng: AwsRandom,
}

fn bad_request() -> Response {
    StatusCode::BAD_REQUEST.into_response()
}

/// Form parsing, one raw ES256 verify of the assertion, one raw ES256 sign.
async fn baseline_token(State(b): State<Arc<Baseline>>, body: Bytes) -> Response {
    let mut assertion = None;
    let mut client_id = None;
    for (name, value) in form_urlencoded::parse(&body) {
        match name.as_ref() {
            "assertion" => assertion = Some(value.into_owned()),
            "client_id" => client_id = Some(value.into_owned()),
            _ => {}
        }
    }
    let (Some(assertion), Some(_client)) = (assertion, client_id) else {
        return bad_request();
    };
    let Some((input, sig)) = assertion.rsplit_once('.') else {
        return bad_request();
    };
    let Ok(sig) = URL_SAFE_NO_PAD.decode(sig) else {
        return bad_request();
    };
    if b.idp_public.verify_sig(input.as_bytes(), &sig).is_err() {
        return bad_request();
    }
    let Ok(signed) = b.as_key.sign(&b.rng, input.as_bytes()) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let token = format!("{input}.{}", URL_SAFE_NO_PAD.encode(signed.as_ref()));
    let body = json!({"access_token": token, "token_type": "Bearer", "expires_in": 3600});
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body.to_string(),
    )
        .into_response()
}

fn baseline_router(idp: &SigningKey) -> Fallible<Router> {
    let der = idp.to_pkcs8_der()?;
    let pair = EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &der)?;
    let idp_public = ParsedPublicKey::new(
        &signature::ECDSA_P256_SHA256_FIXED,
        pair.public_key().as_ref(),
    )?;
    let as_key = EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING)?;
    let state = Arc::new(Baseline {
        idp_public,
        as_key,
        rng: AwsRandom::new(),
    });
    Ok(Router::new()
        .route("/baseline/token", post(baseline_token))
        .with_state(state))
}

fn as_router(idp: &SigningKey) -> Fallible<Router> {
    let idp_issuer = Issuer::new(IDP)?;
    let resource = Resource::new(MCP)?;
    let config = AuthorizationServerConfig::builder(Issuer::new(AS)?)
        .trusted_issuer(TrustedIssuer::new(idp_issuer.clone()))
        .resource(ResourceConfig::new(
            resource,
            ScopeSet::parse("tickets:read tickets:write")?,
        ))
        .build()?;
    let clients = StaticClientRegistry::new().with_client(
        RegisteredClient::confidential(ClientId::new(CLIENT)?)
            .with_secret(Secret::new(SECRET))
            .with_grant_type(urn::GRANT_TYPE_JWT_BEARER),
    );
    let keys = StaticKeySource::new().with_issuer(
        &idp_issuer,
        KeySet::from_keys(vec![idp.verifying_key().clone()]),
    );
    let signing = SigningKeys::new(SigningKey::generate(Algorithm::ES256)?.with_kid("as-1"));
    // Sized as rate × lifetime: 5 000 per second for 300 s (plus skew), doubled.
    let replay = MemoryReplayStore::new(3_600_000);
    let grant = JwtBearerGrant::new(
        config.clone(),
        Arc::new(clients),
        Arc::new(keys),
        Arc::new(replay),
        signing.clone(),
    )?;
    let metadata = config
        .metadata_builder(
            &format!("{AS}/oauth/token"),
            &format!("{AS}/oauth/jwks"),
            &[ClientAuthMethod::ClientSecretPost],
        )?
        .build()?;
    let endpoint = TokenEndpoint::new().with_grant(urn::GRANT_TYPE_JWT_BEARER, Arc::new(grant));
    Ok(AuthorizationServerRouter::new(endpoint, signing, metadata).build()?)
}

/// Serves both endpoints until killed.
fn serve(dir: PathBuf) -> Fallible<()> {
    let idp = idp_key(&dir)?;
    let router = as_router(&idp)?.merge(baseline_router(&idp)?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let mut out = std::io::stdout();
        writeln!(out, "listening {}", listener.local_addr()?)?;
        out.flush()?;
        axum::serve(listener, router).await?;
        Ok(())
    })
}

//! Runs every vector of `testdata/vectors/` through the real verifiers of `ema-jwt` and the
//! sans-IO token-endpoint handlers of `ema-server`, each at the vector's fixed clock, and
//! asserts the exact verdict, OAuth error code, HTTP status (requests) and `ema-jwt` rule
//! (tokens). Runs under either crypto backend:
//!
//! ```sh
//! cargo test -p ema-vectors
//! cargo test -p ema-vectors --no-default-features --features rust-crypto
//! ```
#![cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use ema_jwt::verify::{AccessTokenVerifier, ClientAssertionVerifier, IdJagVerifier, TrustAnchor};
use ema_jwt::{Algorithm, Error, KeySet, SigningKey, TokenKind};
use ema_server::authorization_server::{
    AuthorizationServerConfig, JwtBearerGrant, Principal, ResourceConfig, SubjectError,
    SubjectResolver, TrustedIssuer,
};
use ema_server::client_auth::{
    AuthenticatedClient, ClientAuthContext, RegisteredClient, StaticClientRegistry,
};
use ema_server::endpoint::{HttpResponse, TokenEndpoint};
use ema_server::idp::{IdpConfig, PolicyRule, StaticPolicy, TokenExchangeGrant, TrustedAudience};
use ema_server::keys::StaticKeySource;
use ema_server::replay::MemoryReplayStore;
use ema_server::signing::SigningKeys;
use ema_types::claims::IdJagClaims;
use ema_types::{ClientId, FixedClock, Issuer, Resource, ScopeSet, Secret, urn};
use ema_vectors::cast::*;
use ema_vectors::keys as k;
use ema_vectors::schema::{Expect, Input, KeysFile, Target, Vector, VectorFile, Verdict};
use serde_json::Value;

// ---------------------------------------------------------------- loading

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/vectors")
}

fn load_file(target: Target) -> VectorFile {
    let text = std::fs::read_to_string(corpus_dir().join(target.file_name())).unwrap();
    let file: VectorFile = serde_json::from_str(&text).unwrap();
    assert_eq!(file.target, target);
    file
}

struct Keys(KeysFile);

impl Keys {
    fn load() -> Self {
        let text = std::fs::read_to_string(corpus_dir().join("keys.json")).unwrap();
        Self(serde_json::from_str(&text).unwrap())
    }

    /// The JWKS named `name`, loaded as a verifier loads a fetched document (unusable
    /// entries skipped).
    fn jwks(&self, name: &str) -> KeySet {
        let doc = self
            .0
            .jwks
            .get(name)
            .unwrap_or_else(|| panic!("no JWKS {name}"));
        KeySet::from_json(&serde_json::to_vec(doc).unwrap()).unwrap()
    }

    fn role_jwks(&self, v: &Vector, role: &str) -> KeySet {
        self.jwks(&v.keys[role])
    }

    fn signing_key(&self, name: &str) -> SigningKey {
        let entry = &self.0.keys[name];
        SigningKey::from_pkcs8_pem(&entry.pkcs8_pem)
            .unwrap()
            .with_kid(entry.kid.clone())
    }
}

fn issuer(s: &str) -> Issuer {
    Issuer::new(s).unwrap()
}

fn resource(s: &str) -> Resource {
    Resource::new(s).unwrap()
}

fn client(s: &str) -> ClientId {
    ClientId::new(s).unwrap()
}

fn scopes(s: &str) -> ScopeSet {
    ScopeSet::parse(s).unwrap()
}

// ---------------------------------------------------------------- token targets

/// The `ErrorKind` variant name of an error (`UnknownKeyId("x")` → `UnknownKeyId`).
fn rule_name(err: &Error) -> String {
    format!("{:?}", err.kind())
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect()
}

fn token_input(v: &Vector) -> (&str, Option<&str>) {
    match &v.input {
        Input::Token { token, client_id } => (token.as_str(), client_id.as_deref()),
        Input::Request { .. } => panic!("{}: a token target needs a token input", v.id),
    }
}

fn verify_token(keys: &Keys, v: &Vector) -> Result<(), Error> {
    let (token, client_id) = token_input(v);
    let clock = FixedClock::new(v.clock);
    let set = keys.role_jwks(v, k::ROLE_TRUSTED_JWKS);
    let algs = Algorithm::ALL;
    match v.target {
        Target::IdJag => {
            let verifier = IdJagVerifier::new(issuer(AS), [resource(MCP), resource(WIKI)]);
            let anchor = TrustAnchor::new(IDP, &set, &algs);
            let jws = verifier.decode(token)?;
            verifier
                .verify(jws, &anchor, client_id.expect("client_id"), &clock)
                .map(drop)
        }
        Target::AccessToken => AccessTokenVerifier::new(issuer(AS), resource(MCP))
            .verify(token, &set, &algs, &clock)
            .map(drop),
        Target::ClientAssertion => {
            let verifier = ClientAssertionVerifier::new(issuer(AS));
            let anchor = TrustAnchor::new(CLIENT, &set, &algs);
            let jws = verifier.decode(token)?;
            verifier.verify(jws, &anchor, &clock).map(drop)
        }
        other => panic!("{}: {other:?} is not a token target", v.id),
    }
}

fn token_kind(target: Target) -> TokenKind {
    match target {
        Target::IdJag => TokenKind::IdJag,
        Target::AccessToken => TokenKind::AccessToken,
        Target::ClientAssertion => TokenKind::ClientAssertion,
        other => panic!("{other:?} is not a token target"),
    }
}

/// The mismatch, if any, between a token verdict and the expectation.
fn check_token(keys: &Keys, v: &Vector) -> Option<String> {
    let result = verify_token(keys, v);
    let e = &v.expect;
    match (e.verdict, result) {
        (Verdict::Accept, Ok(())) => None,
        (Verdict::Accept, Err(err)) => Some(format!("expected accept, got {err:?}")),
        (Verdict::Reject, Ok(())) => Some(format!(
            "expected reject ({:?}), but the token verified",
            e.rule
        )),
        (Verdict::Reject, Err(err)) => {
            let got = (
                Some(err.oauth_error_code().as_str().to_owned()),
                Some(rule_name(&err)),
                err.token_kind(),
            );
            let want = (e.error.clone(), e.rule.clone(), Some(token_kind(v.target)));
            (got != want).then(|| format!("expected {want:?}, got {got:?} ({err:?})"))
        }
    }
}

// ---------------------------------------------------------------- request targets

/// The IdP token endpoint of `token_exchange.json`'s `setup`.
fn idp_endpoint(keys: &Keys, v: &Vector) -> TokenEndpoint {
    let clock = FixedClock::new(v.clock);
    let config = IdpConfig::builder(issuer(IDP))
        .token_endpoint(IDP_TOKEN_ENDPOINT)
        .skew(SKEW)
        .audience(
            TrustedAudience::new(issuer(AS))
                .alias("urn:toolhub:as")
                .resource(resource(MCP))
                .resource(resource(WIKI)),
        )
        .audience(TrustedAudience::new(issuer(OTHER_AS)).resource(resource(OTHER_MCP)))
        .build()
        .unwrap();
    let registry = StaticClientRegistry::new()
        .with_client(
            RegisteredClient::confidential(client(IDP_CLIENT))
                .with_secret(Secret::new(SECRET))
                .with_keys(keys.role_jwks(v, k::ROLE_CLIENT_JWKS), [Algorithm::ES256])
                .with_grant_type(urn::GRANT_TYPE_TOKEN_EXCHANGE),
        )
        .with_client(
            RegisteredClient::confidential(client(IDP_SSO_ONLY_CLIENT))
                .with_secret(Secret::new(SECRET))
                .with_grant_type("authorization_code"),
        )
        .with_client(
            RegisteredClient::public(client("pub-cli"))
                .with_grant_type(urn::GRANT_TYPE_TOKEN_EXCHANGE),
        );
    let policy = StaticPolicy::new()
        .with_rule(PolicyRule::new(
            client(IDP_CLIENT),
            issuer(AS),
            resource(MCP),
            scopes("tickets:read tickets:write"),
            client(CLIENT),
        ))
        .with_rule(PolicyRule::new(
            client(IDP_CLIENT),
            issuer(AS),
            resource(WIKI),
            scopes("tickets:read wiki:read"),
            client(CLIENT),
        ))
        .with_rule(PolicyRule::new(
            client(IDP_CLIENT),
            issuer(OTHER_AS),
            resource(OTHER_MCP),
            scopes("files:read"),
            client("other-cli"),
        ));
    let ctx = ClientAuthContext::new(
        issuer(IDP),
        Arc::new(MemoryReplayStore::new(1000)),
        Arc::new(clock),
    )
    .with_skew(SKEW)
    .unwrap();
    let own_keys =
        StaticKeySource::new().with_issuer(&issuer(IDP), keys.role_jwks(v, k::ROLE_IDP_JWKS));
    let grant = TokenExchangeGrant::new(
        config,
        SigningKeys::new(keys.signing_key(&v.keys[k::ROLE_SIGNING_KEY])),
        Arc::new(own_keys),
        Arc::new(registry),
        ctx,
        Arc::new(policy),
    )
    .unwrap();
    TokenEndpoint::new().with_grant(urn::GRANT_TYPE_TOKEN_EXCHANGE, Arc::new(grant))
}

/// The AS's user directory (§6 step 19, AS-10): principals keyed by (`iss`, `tenant`, `sub`),
/// no just-in-time provisioning.
struct Directory;

#[async_trait]
impl SubjectResolver for Directory {
    async fn resolve(
        &self,
        claims: &IdJagClaims,
        _client: &AuthenticatedClient,
    ) -> Result<Option<Principal>, SubjectError> {
        let key = (
            claims.iss.as_str(),
            claims.tenant.as_deref(),
            claims.sub.as_str(),
        );
        Ok(match key {
            (IDP, None, SUBJECT) => Some(Principal::new("user-1")),
            (IDP, None, "ops-admin") => Some(Principal::new("user-3")),
            (OTHER_IDP, Some(OTHER_IDP_TENANT), SUBJECT) => Some(Principal::new("user-2")),
            _ => None,
        })
    }
}

/// The AS token endpoint of `jwt_bearer.json`'s `setup`.
fn as_endpoint(keys: &Keys, v: &Vector) -> TokenEndpoint {
    let clock = FixedClock::new(v.clock);
    let config = AuthorizationServerConfig::builder(issuer(AS))
        .token_endpoint(AS_TOKEN_ENDPOINT)
        .skew(SKEW)
        .trusted_issuer(TrustedIssuer::new(issuer(IDP)))
        .trusted_issuer(TrustedIssuer::new(issuer(OTHER_IDP)).with_tenant(OTHER_IDP_TENANT))
        .resource(
            ResourceConfig::new(resource(MCP), scopes(MCP_SCOPES))
                .with_default_scopes(scopes("tickets:read")),
        )
        .resource(ResourceConfig::new(resource(WIKI), scopes("wiki:read")))
        .build()
        .unwrap();
    let secret = |id: &str| {
        RegisteredClient::confidential(client(id))
            .with_secret(Secret::new(SECRET))
            .with_grant_type(urn::GRANT_TYPE_JWT_BEARER)
    };
    let registry = StaticClientRegistry::new()
        .with_client(
            secret(CLIENT).with_keys(keys.role_jwks(v, k::ROLE_CLIENT_JWKS), [Algorithm::ES256]),
        )
        .with_client(
            RegisteredClient::confidential(client(NO_GRANT_CLIENT))
                .with_secret(Secret::new(SECRET))
                .with_grant_type("authorization_code"),
        )
        .with_client(secret(NOT_EMA_CLIENT).with_trusted_issuers(Vec::<String>::new()))
        .with_client(secret(OTHER_CLIENT).with_trusted_issuers([OTHER_IDP]))
        .with_client(
            RegisteredClient::public(client("https://app.example/cimd.json"))
                .with_grant_type(urn::GRANT_TYPE_JWT_BEARER),
        );
    let key_source = StaticKeySource::new()
        .with_issuer(&issuer(IDP), keys.role_jwks(v, k::ROLE_IDP_JWKS))
        .with_issuer(
            &issuer(OTHER_IDP),
            keys.role_jwks(v, k::ROLE_OTHER_IDP_JWKS),
        );
    let grant = JwtBearerGrant::new(
        config,
        Arc::new(registry),
        Arc::new(key_source),
        Arc::new(MemoryReplayStore::new(1000)),
        SigningKeys::new(keys.signing_key(&v.keys[k::ROLE_SIGNING_KEY])),
    )
    .unwrap()
    .with_clock(Arc::new(clock))
    .with_subject_resolver(Arc::new(Directory));
    TokenEndpoint::new().with_grant(urn::GRANT_TYPE_JWT_BEARER, Arc::new(grant))
}

fn http_request(v: &Vector, input: &Input) -> http::Request<Vec<u8>> {
    let Input::Request {
        method,
        path,
        headers,
        body,
    } = input
    else {
        panic!("{}: a request target needs a request input", v.id)
    };
    let mut b = http::Request::builder()
        .method(method.as_str())
        .uri(path.as_str());
    for (name, value) in headers {
        b = b.header(name.as_str(), value.as_str());
    }
    b.body(body.clone().into_bytes()).unwrap()
}

/// What a successful answer must hold: the issued token verifies for the next hop.
fn check_success(keys: &Keys, v: &Vector, dpop: bool, body: &Value) -> Option<String> {
    let clock = FixedClock::new(v.clock);
    let token = body["access_token"].as_str()?;
    match v.target {
        Target::TokenExchange => {
            if body["issued_token_type"] != urn::TOKEN_TYPE_ID_JAG || body["token_type"] != "N_A" {
                return Some(format!("not an ID-JAG response: {body}"));
            }
            let idp_keys = keys.role_jwks(v, k::ROLE_IDP_JWKS);
            let verifier = IdJagVerifier::new(issuer(AS), [resource(MCP), resource(WIKI)]);
            let anchor = TrustAnchor::new(IDP, &idp_keys, &[Algorithm::ES256]);
            let result = verifier
                .decode(token)
                .and_then(|jws| verifier.verify(jws, &anchor, CLIENT, &clock));
            result
                .err()
                .map(|e| format!("issued ID-JAG does not verify: {e:?}"))
        }
        Target::JwtBearer => {
            let token_type = if dpop { "DPoP" } else { "Bearer" };
            if body["token_type"] != token_type || body.get("refresh_token").is_some() {
                return Some(format!("not a {token_type} access-token response: {body}"));
            }
            let as_keys = keys.jwks(k::JWKS_AS);
            let aud = body["resource"].as_str().unwrap_or(MCP);
            AccessTokenVerifier::new(issuer(AS), resource(aud))
                .verify(token, &as_keys, &[Algorithm::ES256], &clock)
                .err()
                .map(|e| format!("issued access token does not verify: {e:?}"))
        }
        _ => None,
    }
}

fn check_response(
    keys: &Keys,
    v: &Vector,
    input: &Input,
    expect: &Expect,
    r: &HttpResponse,
) -> Option<String> {
    let body: Value = serde_json::from_slice(r.body()).unwrap_or(Value::Null);
    let status = r.status().as_u16();
    if Some(status) != expect.status {
        return Some(format!(
            "expected status {:?}, got {status}: {body}",
            expect.status
        ));
    }
    if r.headers().get("cache-control").map(|h| h.as_bytes()) != Some(b"no-store".as_slice()) {
        return Some("missing Cache-Control: no-store".to_owned());
    }
    let dpop =
        matches!(input, Input::Request { headers, .. } if headers.iter().any(|(n, _)| n == "dpop"));
    let basic = matches!(input, Input::Request { headers, .. } if headers.iter().any(|(n, _)| n == "authorization"));
    // IDP-02 / AS-02: after Basic, invalid_client is 401 with a Basic challenge.
    if status == 401 {
        let challenge = r.headers().get("www-authenticate").map(|h| h.as_bytes());
        if !basic || !challenge.is_some_and(|c| c.starts_with(b"Basic")) {
            return Some(format!(
                "401 without Basic use or without a Basic challenge: {challenge:?}"
            ));
        }
    }
    // AS-19: every invalid_grant carries the same description.
    if v.target == Target::JwtBearer
        && body["error"] == "invalid_grant"
        && body["error_description"] != "assertion rejected"
    {
        return Some(format!(
            "invalid_grant without the uniform description: {body}"
        ));
    }
    match expect.verdict {
        Verdict::Accept => check_success(keys, v, dpop, &body).or_else(|| {
            body.get("access_token")
                .is_none()
                .then(|| format!("no access_token: {body}"))
        }),
        Verdict::Reject => {
            let got = body["error"].as_str().map(str::to_owned);
            (got != expect.error)
                .then(|| format!("expected {:?}, got {got:?}: {body}", expect.error))
        }
    }
}

async fn check_request(keys: &Keys, v: &Vector) -> Option<String> {
    let endpoint = match v.target {
        Target::TokenExchange => idp_endpoint(keys, v),
        Target::JwtBearer => as_endpoint(keys, v),
        other => panic!("{}: {other:?} is not a request target", v.id),
    };
    for (i, step) in v.before.iter().enumerate() {
        let r = endpoint.handle(http_request(v, &step.input)).await;
        if let Some(problem) = check_response(keys, v, &step.input, &step.expect, &r) {
            return Some(format!("before[{i}]: {problem}"));
        }
    }
    let r = endpoint.handle(http_request(v, &v.input)).await;
    check_response(keys, v, &v.input, &v.expect, &r)
}

// ---------------------------------------------------------------- the tests

/// Run every vector of `target`; report all mismatches at once.
async fn run(target: Target) {
    let keys = Keys::load();
    let file = load_file(target);
    assert!(!file.vectors.is_empty());
    let mut failures = Vec::new();
    for v in &file.vectors {
        assert_eq!(v.target, target, "{}", v.id);
        let problem = match target {
            Target::IdJag | Target::AccessToken | Target::ClientAssertion => check_token(&keys, v),
            Target::TokenExchange | Target::JwtBearer => check_request(&keys, v).await,
        };
        if let Some(problem) = problem {
            failures.push(format!(
                "{} [{}]: {problem}",
                v.id,
                v.requirement.join(", ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} vectors failed:\n{}",
        failures.len(),
        file.vectors.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn id_jag_vectors() {
    run(Target::IdJag).await;
}

#[tokio::test]
async fn access_token_vectors() {
    run(Target::AccessToken).await;
}

#[tokio::test]
async fn client_assertion_vectors() {
    run(Target::ClientAssertion).await;
}

#[tokio::test]
async fn token_exchange_vectors() {
    run(Target::TokenExchange).await;
}

#[tokio::test]
async fn jwt_bearer_vectors() {
    run(Target::JwtBearer).await;
}

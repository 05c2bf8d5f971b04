//! The client side of EMA as the CLI runs it (ema-client legs, one by one, so each step can be
//! shown): discover the MCP server, sign in at the IdP, exchange the ID token for an ID-JAG,
//! redeem it at the authorization server.

use std::time::Duration;

use ema_client::{
    AccessToken, ClientCredentials, Context, IdJagRequest, IdpEndpoints, IssuedIdJag, LoginResult,
    OidcLogin, OidcLoginConfig, Party, ResourceTarget, SubjectToken, discover_idp,
    discover_resource, exchange_token, fetch_jwks, redeem_id_jag,
};
use ema_jwt::KeySet;
use ema_metadata::discovery::{Discovery, DiscoveryConfig};
use ema_metadata::{ReqwestClient, SchemePolicy};
use ema_types::transport::HttpClient;
use ema_types::{ClientId, Issuer, Resource, ScopeSet, Secret};

/// Where the flow reports its steps (stderr for `ema token --verbose`, stdout for the demo).
pub(crate) trait Steps {
    /// One step happened.
    fn step(&self, title: &str, detail: &str);
    /// A token was issued; `label` says which.
    fn token(&self, label: &str, token: &Secret);
}

/// Reports nothing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Quiet;

impl Steps for Quiet {
    fn step(&self, _title: &str, _detail: &str) {}
    fn token(&self, _label: &str, _token: &Secret) {}
}

/// `eyJhbGciOi…Xk2Q (742 chars)`: enough to tell tokens apart, not enough to use one.
pub(crate) fn shorten(token: &str) -> String {
    let n = token.chars().count();
    if n <= 24 {
        return format!("[{n} chars]");
    }
    let head: String = token.chars().take(12).collect();
    let tail: String = token.chars().skip(n - 6).collect();
    format!("{head}…{tail} ({n} chars)")
}

/// The HTTP transport: rustls, no redirects, timeouts; `http` only on loopback hosts.
pub(crate) fn http_client() -> Result<ReqwestClient, String> {
    ReqwestClient::builder()
        .scheme_policy(SchemePolicy::AllowLoopbackHttp)
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| format!("HTTP client: {e}"))
}

/// The largest JWKS document read.
const MAX_JWKS_BYTES: usize = 256 * 1024;

/// GET a JWKS document (no redirects, bounded) and parse its usable keys.
pub(crate) async fn fetch_key_set(http: &dyn HttpClient, url: &str) -> Result<KeySet, String> {
    let request = http::Request::get(url)
        .header(http::header::ACCEPT, "application/json")
        .body(Vec::new())
        .map_err(|e| format!("{url}: {e}"))?;
    let response = http
        .send(request)
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    if response.status() != http::StatusCode::OK {
        return Err(format!("{url}: HTTP {}", response.status()));
    }
    if response.body().len() > MAX_JWKS_BYTES {
        return Err(format!("{url}: larger than {MAX_JWKS_BYTES} bytes"));
    }
    let keys = KeySet::from_json(response.body()).map_err(|e| format!("{url}: not a JWKS: {e}"))?;
    if keys.is_empty() {
        return Err(format!("{url}: no usable key"));
    }
    Ok(keys)
}

/// Discovery that accepts `http` metadata on loopback hosts (development).
pub(crate) fn discovery(http: ReqwestClient) -> Discovery {
    Discovery::new(http).with_config(DiscoveryConfig::development())
}

/// How the user's ID token is had.
#[derive(Debug, Clone)]
pub(crate) enum Subject {
    /// Given (`--id-token`).
    IdToken(Secret),
    /// Signed in at the IdP's authorize endpoint with `login_hint` (development IdPs).
    Login { user: String, redirect_uri: String },
}

/// The client's identity at one party.
#[derive(Debug, Clone)]
pub(crate) struct Credentials {
    pub(crate) client_id: ClientId,
    pub(crate) credentials: ClientCredentials,
}

/// Probe the MCP server for its challenge, then PRM and AS metadata.
pub(crate) async fn discover(
    discovery: &Discovery,
    server: &Resource,
    steps: &dyn Steps,
) -> Result<ResourceTarget, String> {
    let target = discover_resource(discovery, server)
        .await
        .map_err(|e| format!("discovery of {server}: {e}"))?;
    steps.step(
        "discovery",
        &format!(
            "{server} → authorization server {} (token endpoint {}); challenge scope: {}",
            target.as_issuer,
            target.as_token_endpoint,
            target
                .challenged_scope()
                .map_or_else(|| "(none)".to_owned(), |s| s.to_string())
        ),
    );
    Ok(target)
}

/// The IdP's endpoints from its metadata.
pub(crate) async fn idp_endpoints(
    discovery: &Discovery,
    issuer: &Issuer,
    steps: &dyn Steps,
) -> Result<IdpEndpoints, String> {
    let endpoints = discover_idp(discovery, issuer)
        .await
        .map_err(|e| format!("IdP discovery of {issuer}: {e}"))?;
    steps.step(
        "IdP metadata",
        &format!(
            "{issuer}: token {}, authorize {}",
            endpoints.token_endpoint,
            endpoints
                .authorization_endpoint
                .as_ref()
                .map_or("(none)", |u| u.as_str())
        ),
    );
    Ok(endpoints)
}

/// Sign `user` in with authorization code + PKCE and `login_hint`: GET the authorize URL
/// without following the redirect, check `state` and `iss` of the `Location`, redeem the code
/// and validate the ID token against the IdP's JWKS.
pub(crate) async fn login(
    ctx: &Context<'_>,
    idp: &IdpEndpoints,
    client: &Credentials,
    user: &str,
    redirect_uri: &str,
    steps: &dyn Steps,
) -> Result<LoginResult, String> {
    let authorize = idp
        .authorization_endpoint
        .clone()
        .ok_or("the IdP metadata has no authorization_endpoint")?;
    let jwks_uri = idp
        .jwks_uri
        .clone()
        .ok_or("the IdP metadata has no jwks_uri")?;
    let login = OidcLogin::new(
        OidcLoginConfig::new(
            idp.issuer.clone(),
            authorize,
            idp.token_endpoint.clone(),
            client.client_id.clone(),
            redirect_uri,
        )
        .with_credentials(client.credentials.clone())
        .with_param("login_hint", user)
        .require_iss(true),
    );
    let (url, pending) = login.begin(ctx.rng).map_err(|e| format!("login: {e}"))?;
    let request = http::Request::get(url.as_str())
        .body(Vec::new())
        .map_err(|e| format!("login: {e}"))?;
    let response = ctx
        .http
        .send(request)
        .await
        .map_err(|e| format!("login: GET authorize: {e}"))?;
    if !response.status().is_redirection() {
        return Err(format!(
            "login: the authorize endpoint answered {} instead of a redirect: {}",
            response.status(),
            String::from_utf8_lossy(response.body())
                .chars()
                .take(200)
                .collect::<String>()
        ));
    }
    let location = response
        .headers()
        .get(http::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or("login: the redirect has no Location")?
        .to_owned();
    steps.step(
        "login",
        &format!(
            "GET authorize?login_hint={user} (PKCE S256) → {} redirect with code, state and iss",
            response.status().as_u16()
        ),
    );
    let keys = fetch_jwks(ctx.http, &jwks_uri)
        .await
        .map_err(|e| format!("login: IdP JWKS: {e}"))?;
    let result = login
        .complete(ctx, &pending, &location, &keys)
        .await
        .map_err(|e| format!("login: {e}"))?;
    steps.step(
        "login",
        &format!(
            "code redeemed; ID token for sub={} validated",
            result.claims.sub
        ),
    );
    steps.token("ID token", &result.id_token);
    Ok(result)
}

/// RFC 8693 token exchange at the IdP: ID token → ID-JAG for the AS and the MCP server.
pub(crate) async fn exchange(
    ctx: &Context<'_>,
    idp: &IdpEndpoints,
    client: &Credentials,
    target: &ResourceTarget,
    id_token: &Secret,
    scope: Option<ScopeSet>,
    steps: &dyn Steps,
) -> Result<IssuedIdJag, String> {
    let party = Party::new(
        idp.issuer.clone(),
        idp.token_endpoint.clone(),
        client.credentials.clone(),
    );
    let request = IdJagRequest::for_target(target, scope);
    let issued = exchange_token(
        ctx,
        &party,
        &request,
        &SubjectToken::id_token(id_token.clone()),
    )
    .await
    .map_err(|e| format!("token exchange: {e}"))?;
    steps.step(
        "token exchange",
        &format!(
            "audience={} resource={} → ID-JAG, scope {}",
            request.audience,
            request.resource,
            issued
                .scope
                .as_ref()
                .map_or_else(String::new, ToString::to_string)
        ),
    );
    steps.token("ID-JAG", &issued.token);
    Ok(issued)
}

/// RFC 7523 jwt-bearer at the AS: ID-JAG → access token.
pub(crate) async fn redeem(
    ctx: &Context<'_>,
    target: &ResourceTarget,
    client: &Credentials,
    id_jag: &IssuedIdJag,
    steps: &dyn Steps,
) -> Result<AccessToken, String> {
    let party = Party::new(
        target.as_issuer.clone(),
        target.as_token_endpoint.clone(),
        client.credentials.clone(),
    );
    let token = redeem_id_jag(
        ctx,
        &party,
        &id_jag.token,
        &target.resource,
        id_jag.scope.as_ref(),
    )
    .await
    .map_err(|e| format!("redemption: {e}"))?;
    steps.step(
        "redemption",
        &format!(
            "jwt-bearer at {} → access token, scope {}",
            target.as_issuer,
            token
                .scope
                .as_ref()
                .map_or_else(String::new, ToString::to_string)
        ),
    );
    steps.token("access token", &token.token);
    Ok(token)
}

/// The access-token response as JSON (what `ema token` prints).
pub(crate) fn token_response_json(token: &AccessToken) -> serde_json::Value {
    let mut body = serde_json::Map::new();
    body.insert("access_token".into(), token.token.expose().into());
    body.insert("token_type".into(), "Bearer".into());
    if let Some(exp) = token.expires_at {
        body.insert(
            "expires_in".into(),
            exp.saturating_sub(token.issued_at).into(),
        );
    }
    if let Some(scope) = &token.scope {
        body.insert("scope".into(), scope.to_string().into());
    }
    body.insert("resource".into(), token.resource.as_str().into());
    serde_json::Value::Object(body)
}

/// What `ema token` was asked for.
#[derive(Debug, Clone)]
pub(crate) struct TokenRequest {
    pub(crate) server: Resource,
    pub(crate) idp_issuer: Issuer,
    pub(crate) idp_client: Credentials,
    pub(crate) as_client: Credentials,
    pub(crate) subject: Subject,
    pub(crate) scope: Option<ScopeSet>,
}

/// The whole flow for `ema token`.
pub(crate) async fn run(
    http: &ReqwestClient,
    request: &TokenRequest,
    steps: &dyn Steps,
) -> Result<AccessToken, String> {
    let clock = ema_types::SystemClock;
    let rng = ema_types::SystemRandom;
    let ctx = Context::new(http as &dyn HttpClient, &clock, &rng);
    let discovery = discovery(http.clone());
    let target = discover(&discovery, &request.server, steps).await?;
    let idp = idp_endpoints(&discovery, &request.idp_issuer, steps).await?;
    let id_token = match &request.subject {
        Subject::IdToken(t) => t.clone(),
        Subject::Login { user, redirect_uri } => {
            login(&ctx, &idp, &request.idp_client, user, redirect_uri, steps)
                .await?
                .id_token
        }
    };
    let scope = request.scope.clone().or_else(|| target.challenged_scope());
    let id_jag = exchange(
        &ctx,
        &idp,
        &request.idp_client,
        &target,
        &id_token,
        scope,
        steps,
    )
    .await?;
    redeem(&ctx, &target, &request.as_client, &id_jag, steps).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortened_tokens_cannot_be_used() {
        let token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl";
        assert_eq!(shorten(token), "eyJhbGciOiJF…F0dXJl (54 chars)");
        assert_eq!(shorten("short"), "[5 chars]");
    }
}

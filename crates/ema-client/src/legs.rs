//! Each leg of the flow as a public function, for hosts that run the steps themselves.
//!
//! 1. [`discover_resource`] / [`discover_from_headers`]: PRM and AS metadata, CL-06;
//!    [`discover_idp`]: the IdP's endpoints.
//! 2. [`exchange_token`]: RFC 8693 token exchange at the IdP for an ID-JAG (CL-07..CL-11).
//! 3. [`fetch_jwks`] and [`verify_id_jag`]: optional check of the ID-JAG against the IdP's
//!    keys.
//! 4. [`redeem_id_jag`]: RFC 7523 JWT-bearer grant at the resource AS (CL-12).

use std::fmt;

use ema_metadata::challenge::Challenge;
use ema_metadata::discovery::{Discovered, Discovery};
use ema_types::transport::HttpClient;
use ema_types::{
    Clock, Issuer, JwtBearerRequest, Resource, ScopeSet, Secret, SecureRandom,
    TokenExchangeRequest, TokenExchangeResponse, TokenResponse, TokenType, urn,
};
use url::Url;

use crate::auth::ClientCredentials;
use crate::error::{Error, ErrorKind, Leg, truncate};
use crate::subject::SubjectToken;
use crate::wire::post_token_request;

/// The collaborators every leg uses: the transport, the clock and the random source.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// The HTTP transport.
    pub http: &'a dyn HttpClient,
    /// The clock (assertion `iat`/`exp`, token expiry).
    pub clock: &'a dyn Clock,
    /// The random source (assertion `jti`).
    pub rng: &'a dyn SecureRandom,
}

impl fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("clock", &self.clock)
            .field("rng", &self.rng)
            .finish_non_exhaustive()
    }
}

impl<'a> Context<'a> {
    /// A context over `http`, `clock` and `rng`.
    #[must_use]
    pub fn new(http: &'a dyn HttpClient, clock: &'a dyn Clock, rng: &'a dyn SecureRandom) -> Self {
        Self { http, clock, rng }
    }
}

/// A token endpoint and how the client authenticates there: the IdP, or one resource AS.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Party {
    /// The party's issuer (the `aud` of `private_key_jwt` assertions, JWT-10).
    pub issuer: Issuer,
    /// Its token endpoint, from validated metadata.
    pub token_endpoint: Url,
    /// The client's credentials registered at this party (CL-13).
    pub credentials: ClientCredentials,
}

impl Party {
    /// A party.
    #[must_use]
    pub fn new(issuer: Issuer, token_endpoint: Url, credentials: ClientCredentials) -> Self {
        Self {
            issuer,
            token_endpoint,
            credentials,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Discovery
// ---------------------------------------------------------------------------------------------

/// An MCP server whose authorization server takes ID-JAGs (CL-06 passed).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ResourceTarget {
    /// The resource identifier (the PRM `resource`, META-03 checked): `resource` in both
    /// token requests (CL-07, CL-12).
    pub resource: Resource,
    /// The authorization server's issuer, from validated metadata (META-05): the `audience`
    /// of the exchange, byte for byte (CL-07).
    pub as_issuer: Issuer,
    /// The authorization server's token endpoint.
    pub as_token_endpoint: Url,
    /// The challenge discovery started from, if any.
    pub challenge: Option<Challenge>,
    /// `scopes_supported` of the protected-resource metadata.
    pub scopes_supported: Vec<String>,
}

impl ResourceTarget {
    /// CL-06: check that the discovered authorization server advertises the ID-JAG profile
    /// with the JWT-bearer grant and a token endpoint.
    pub fn from_discovered(discovered: &Discovered) -> Result<Self, Error> {
        Self::from_discovered_with(discovered, true)
    }

    /// As [`Self::from_discovered`]; with `require_profile` false, an authorization server
    /// that lists the JWT-bearer grant but not the ID-JAG profile is accepted too (see
    /// [`TokenSourceConfig::require_id_jag_profile`](crate::TokenSourceConfig::require_id_jag_profile)).
    pub fn from_discovered_with(
        discovered: &Discovered,
        require_profile: bool,
    ) -> Result<Self, Error> {
        let metadata = &discovered.authorization_server.metadata;
        let checked = match metadata.check_id_jag_support() {
            Err(ema_metadata::IdJagSupportError::ProfileNotListed) if !require_profile => {
                if metadata.supports_grant_type(ema_types::urn::GRANT_TYPE_JWT_BEARER) {
                    metadata
                        .token_endpoint
                        .as_ref()
                        .ok_or(ema_metadata::IdJagSupportError::NoTokenEndpoint)
                } else {
                    Err(ema_metadata::IdJagSupportError::JwtBearerGrantNotListed)
                }
            }
            other => other,
        };
        let token_endpoint =
            checked.map_err(|e| Error::new(Leg::Discovery, ErrorKind::ProfileUnsupported(e)))?;
        Ok(Self {
            resource: discovered.resource().clone(),
            as_issuer: metadata.issuer.clone(),
            as_token_endpoint: token_endpoint.clone(),
            challenge: discovered.challenge.clone(),
            scopes_supported: discovered.resource.metadata.scopes_supported.clone(),
        })
    }

    /// The `scope` of the challenge discovery started from, if any and well formed.
    #[must_use]
    pub fn challenged_scope(&self) -> Option<ScopeSet> {
        self.challenge
            .as_ref()
            .and_then(Challenge::scopes)
            .and_then(Result::ok)
    }
}

/// Discover from the MCP server URL: probe it, follow its `401` (CL-03) or the well-known
/// URLs, validate PRM (CL-04) and AS metadata (CL-05), and check the profile (CL-06).
pub async fn discover_resource(
    discovery: &Discovery,
    server: &Resource,
) -> Result<ResourceTarget, Error> {
    discover_resource_with(discovery, server, true).await
}

/// As [`discover_resource`], with the CL-06 profile check as [`ResourceTarget::from_discovered_with`].
pub async fn discover_resource_with(
    discovery: &Discovery,
    server: &Resource,
    require_profile: bool,
) -> Result<ResourceTarget, Error> {
    let discovered = discovery
        .discover(server)
        .await
        .map_err(|e| Error::new(Leg::Discovery, ErrorKind::Discovery(e)))?;
    ResourceTarget::from_discovered_with(&discovered, require_profile)
}

/// Discover from the headers of a `401`/`403` the MCP server at `server` answered.
pub async fn discover_from_headers(
    discovery: &Discovery,
    server: &Resource,
    headers: &http::HeaderMap,
) -> Result<ResourceTarget, Error> {
    let discovered = discovery
        .discover_from_headers(server, headers)
        .await
        .map_err(|e| Error::new(Leg::Discovery, ErrorKind::Discovery(e)))?;
    ResourceTarget::from_discovered(&discovered)
}

/// The IdP's endpoints, from its validated metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IdpEndpoints {
    /// The IdP issuer (META-05 checked).
    pub issuer: Issuer,
    /// The token endpoint (token exchange, refresh, code exchange).
    pub token_endpoint: Url,
    /// The authorization endpoint (login), if published.
    pub authorization_endpoint: Option<Url>,
    /// The JWKS URL (ID-JAG and ID-token keys), if published.
    pub jwks_uri: Option<Url>,
    /// Whether the IdP advertises ID-JAG issuance by token exchange (IDJAG §7.1).
    pub advertises_id_jag: bool,
}

/// Fetch the IdP's metadata in the META-04 order (OAuth, then OpenID configuration).
pub async fn discover_idp(discovery: &Discovery, issuer: &Issuer) -> Result<IdpEndpoints, Error> {
    let found = discovery
        .authorization_server_metadata(issuer)
        .await
        .map_err(|e| Error::new(Leg::Discovery, ErrorKind::Discovery(e)))?;
    let m = found.metadata;
    let token_endpoint = m
        .token_endpoint
        .clone()
        .ok_or_else(|| Error::new(Leg::Discovery, ErrorKind::NoIdpTokenEndpoint))?;
    Ok(IdpEndpoints {
        advertises_id_jag: m.advertises_id_jag_token_exchange(),
        issuer: m.issuer,
        token_endpoint,
        authorization_endpoint: m.authorization_endpoint,
        jwks_uri: m.jwks_uri,
    })
}

// ---------------------------------------------------------------------------------------------
// 2. Token exchange
// ---------------------------------------------------------------------------------------------

/// What to ask the IdP an ID-JAG for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IdJagRequest {
    /// `audience`: the AS issuer, byte for byte from validated metadata (CL-07).
    pub audience: Issuer,
    /// `resource`: the MCP server's resource identifier, always sent (CL-08).
    pub resource: Resource,
    /// `scope`, if any.
    pub scope: Option<ScopeSet>,
}

impl IdJagRequest {
    /// A request for `resource` at the AS `audience`.
    #[must_use]
    pub fn new(audience: Issuer, resource: Resource, scope: Option<ScopeSet>) -> Self {
        Self {
            audience,
            resource,
            scope,
        }
    }

    /// The request for a discovered target.
    #[must_use]
    pub fn for_target(target: &ResourceTarget, scope: Option<ScopeSet>) -> Self {
        Self::new(target.as_issuer.clone(), target.resource.clone(), scope)
    }
}

/// An ID-JAG issued by the IdP. Single use (CL-15): redeem it once and drop it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct IssuedIdJag {
    /// The ID-JAG (redacted in `Debug`).
    pub token: Secret,
    /// The granted scope: the response `scope`, or the requested scope when absent (CL-11).
    pub scope: Option<ScopeSet>,
    /// `expires_in`, if sent.
    pub expires_in: Option<u64>,
}

/// CL-07..CL-11: exchange `subject` at the IdP for an ID-JAG.
///
/// Sends exactly `grant_type`, `requested_token_type` (ID-JAG), `audience`, `resource`,
/// `scope` (when given), `subject_token`, `subject_token_type` and the client authentication
/// of `idp.credentials` (always authenticated, CL-09); never `actor_token` (CL-10). Requires
/// `issued_token_type` = ID-JAG and `token_type` = `N_A` (case-insensitively).
pub async fn exchange_token(
    ctx: &Context<'_>,
    idp: &Party,
    request: &IdJagRequest,
    subject: &SubjectToken,
) -> Result<IssuedIdJag, Error> {
    let leg = Leg::TokenExchange;
    let te = TokenExchangeRequest::for_id_jag(
        subject.token.clone(),
        subject.token_type.clone(),
        &request.audience,
        request.resource.clone(),
        request.scope.clone(),
    );
    let auth = idp
        .credentials
        .authenticate(leg, &idp.issuer, ctx.clock, ctx.rng)?;
    let response: TokenExchangeResponse =
        post_token_request(ctx.http, leg, &idp.token_endpoint, te.to_form(), Some(auth)).await?;
    if response.issued_token_type != TokenType::IdJag {
        return Err(Error::new(
            leg,
            ErrorKind::WrongIssuedTokenType(truncate(response.issued_token_type.as_str(), 128)),
        ));
    }
    if !response
        .token_type
        .eq_ignore_ascii_case(urn::TOKEN_TYPE_NOT_APPLICABLE)
    {
        return Err(Error::new(
            leg,
            ErrorKind::WrongTokenType {
                expected: urn::TOKEN_TYPE_NOT_APPLICABLE,
                found: truncate(&response.token_type, 64),
            },
        ));
    }
    if response.access_token.is_empty() {
        return Err(Error::new(
            leg,
            ErrorKind::InvalidResponse("empty access_token"),
        ));
    }
    if response.refresh_token.is_some() {
        tracing::debug!("the IdP returned a refresh token with an ID-JAG; it is dropped (OQ-06)");
    }
    Ok(IssuedIdJag {
        scope: response.scope.or_else(|| request.scope.clone()),
        expires_in: response.expires_in,
        token: response.access_token,
    })
}

// ---------------------------------------------------------------------------------------------
// 3. ID-JAG verification
// ---------------------------------------------------------------------------------------------

/// Fetch and parse a JWKS document (`jwks_uri` of the IdP).
#[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))))]
pub async fn fetch_jwks(http: &dyn HttpClient, jwks_uri: &Url) -> Result<ema_jwt::KeySet, Error> {
    let leg = Leg::IdJagVerification;
    let request = http::Request::get(jwks_uri.as_str())
        .header(
            http::header::ACCEPT,
            "application/jwk-set+json, application/json",
        )
        .body(Vec::new())
        .map_err(|_| Error::new(leg, ErrorKind::Config("jwks_uri is not a valid URI")))?;
    let response = http
        .send(request)
        .await
        .map_err(|e| Error::new(leg, ErrorKind::Transport(e)))?;
    let status = response.status().as_u16();
    if status != 200 {
        return Err(Error::new(leg, ErrorKind::HttpStatus { status }));
    }
    ema_jwt::KeySet::from_json(response.body()).map_err(|e| Error::new(leg, ErrorKind::Jwt(e)))
}

/// What the client checks in an ID-JAG before redeeming it.
#[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))))]
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct IdJagExpectations {
    /// `iss`: the IdP issuer.
    pub idp_issuer: Issuer,
    /// `aud`: the AS issuer (single value).
    pub as_issuer: Issuer,
    /// `resource`: the MCP server.
    pub resource: Resource,
    /// `client_id`: the client's id **at the AS**.
    pub as_client_id: String,
    /// Accepted algorithms (default: all that ema-jwt verifies).
    pub algorithms: Vec<ema_jwt::Algorithm>,
}

#[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
impl IdJagExpectations {
    /// The expectations for an ID-JAG from `idp_issuer` for `request`, to be presented by the
    /// client `as_client_id`.
    #[must_use]
    pub fn new(
        idp_issuer: Issuer,
        request: &IdJagRequest,
        as_client_id: impl Into<String>,
    ) -> Self {
        Self {
            idp_issuer,
            as_issuer: request.audience.clone(),
            resource: request.resource.clone(),
            as_client_id: as_client_id.into(),
            algorithms: ema_jwt::Algorithm::ALL.to_vec(),
        }
    }
}

/// Verify an ID-JAG the way the AS will (its §6 checklist minus replay): `typ`
/// `oauth-id-jag+jwt`, algorithm, `iss` = the IdP, signature by the IdP's `keys`, `aud` =
/// the AS issuer, `client_id` = the client's id at the AS, times and lifetime, `resource`.
#[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))))]
pub fn verify_id_jag(
    id_jag: &Secret,
    expect: &IdJagExpectations,
    keys: &ema_jwt::KeySet,
    clock: &dyn Clock,
) -> Result<ema_types::claims::IdJagClaims, Error> {
    let leg = Leg::IdJagVerification;
    let jwt = |e| Error::new(leg, ErrorKind::Jwt(e));
    let verifier =
        ema_jwt::verify::IdJagVerifier::new(expect.as_issuer.clone(), [expect.resource.clone()]);
    let jws = verifier.decode(id_jag.expose()).map_err(jwt)?;
    let anchor =
        ema_jwt::verify::TrustAnchor::new(expect.idp_issuer.as_str(), keys, &expect.algorithms);
    verifier
        .verify(jws, &anchor, &expect.as_client_id, clock)
        .map_err(jwt)
}

// ---------------------------------------------------------------------------------------------
// 4. Redemption
// ---------------------------------------------------------------------------------------------

/// An access token for one MCP server.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AccessToken {
    /// The token (redacted in `Debug`).
    pub token: Secret,
    /// When it was received (seconds since the epoch).
    pub issued_at: u64,
    /// When it expires (seconds since the epoch), from `expires_in`.
    pub expires_at: Option<u64>,
    /// The granted scope: the response `scope`, or the requested scope when absent.
    pub scope: Option<ScopeSet>,
    /// The scope that was requested.
    pub requested_scope: Option<ScopeSet>,
    /// The resource it is for.
    pub resource: Resource,
    /// The AS that issued it.
    pub issuer: Issuer,
}

impl AccessToken {
    /// The `Authorization` header value, `Bearer <token>`, marked sensitive (CL-14).
    pub fn authorization_header(&self) -> Result<http::HeaderValue, Error> {
        let mut v = http::HeaderValue::from_str(&format!("Bearer {}", self.token.expose()))
            .map_err(|_| {
                Error::new(
                    Leg::Redemption,
                    ErrorKind::InvalidResponse("access_token is not a valid header value"),
                )
            })?;
        v.set_sensitive(true);
        Ok(v)
    }

    /// Whether the token is still usable at `now` with `margin` seconds to spare. The margin
    /// is capped at half the token's lifetime, so that a short-lived token is still used.
    #[must_use]
    pub fn is_fresh(&self, now: u64, margin: u64) -> bool {
        self.expires_at.is_none_or(|exp| {
            let margin = margin.min(exp.saturating_sub(self.issued_at) / 2);
            now.saturating_add(margin) < exp
        })
    }
}

/// CL-12: redeem `id_jag` at the resource AS with the JWT-bearer grant.
///
/// Sends `grant_type`, `assertion`, `resource` (always), `scope` (when given) and the client
/// authentication registered at **that** AS. Requires `token_type` `Bearer`
/// (case-insensitively); a refresh token, if any, is dropped (CL-15).
pub async fn redeem_id_jag(
    ctx: &Context<'_>,
    authorization_server: &Party,
    id_jag: &Secret,
    resource: &Resource,
    scope: Option<&ScopeSet>,
) -> Result<AccessToken, Error> {
    let leg = Leg::Redemption;
    let request = JwtBearerRequest::new(id_jag.clone(), resource.clone(), scope.cloned());
    let auth = authorization_server.credentials.authenticate(
        leg,
        &authorization_server.issuer,
        ctx.clock,
        ctx.rng,
    )?;
    let response: TokenResponse = post_token_request(
        ctx.http,
        leg,
        &authorization_server.token_endpoint,
        request.to_form(),
        Some(auth),
    )
    .await?;
    if !response
        .token_type
        .eq_ignore_ascii_case(urn::TOKEN_TYPE_BEARER)
    {
        return Err(Error::new(
            leg,
            ErrorKind::WrongTokenType {
                expected: urn::TOKEN_TYPE_BEARER,
                found: truncate(&response.token_type, 64),
            },
        ));
    }
    if response.access_token.is_empty() {
        return Err(Error::new(
            leg,
            ErrorKind::InvalidResponse("empty access_token"),
        ));
    }
    // OQ-14: a `resource` member, when present, must name the resource asked for.
    if let Some(granted) = &response.resource
        && !granted.iter().any(|r| r == resource.as_str())
    {
        return Err(Error::new(
            leg,
            ErrorKind::InvalidResponse("the granted resource is not the one requested"),
        ));
    }
    if response.refresh_token.is_some() {
        tracing::debug!(
            "the AS returned a refresh token for an ID-JAG grant; it is dropped (CL-15)"
        );
    }
    let now = ctx.clock.now_unix();
    Ok(AccessToken {
        issued_at: now,
        expires_at: response.expires_in.map(|s| now.saturating_add(s)),
        scope: response.scope.or_else(|| scope.cloned()),
        requested_scope: scope.cloned(),
        resource: resource.clone(),
        issuer: authorization_server.issuer.clone(),
        token: response.access_token,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use ema_types::transport::{HttpRequest, TransportError};
    use ema_types::{ClientId, FixedClock, SystemRandom};

    use super::*;
    use crate::{ClientAuthMethod, Disposition};

    fn idp() -> Party {
        Party::new(
            Issuer::new("https://login.acme-idp.test").unwrap(),
            "https://login.acme-idp.test/token".parse().unwrap(),
            ClientCredentials::new(
                ClientId::new("desk-7f3a").unwrap(),
                ClientAuthMethod::SecretPost(Secret::new("s")),
            ),
        )
    }

    fn request() -> IdJagRequest {
        IdJagRequest::new(
            Issuer::new("https://as.toolhub.test").unwrap(),
            Resource::new("https://tools.toolhub.test/mcp").unwrap(),
            Some("tickets:read".parse().unwrap()),
        )
    }

    async fn exchange_with(status: u16, body: &'static str) -> Result<IssuedIdJag, Error> {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        let http = move |req: HttpRequest| {
            log.lock().unwrap().push(req.uri().to_string());
            async move {
                http::Response::builder()
                    .status(status)
                    .body(body.as_bytes().to_vec())
                    .map_err(|e| TransportError::Other(e.to_string()))
            }
        };
        let clock = FixedClock::new(1_793_000_000);
        let ctx = Context::new(&http, &clock, &SystemRandom);
        let subject = SubjectToken::id_token(Secret::new("eyJ.subject.sig"));
        let r = exchange_token(&ctx, &idp(), &request(), &subject).await;
        assert_eq!(seen.lock().unwrap().len(), 1);
        r
    }

    #[tokio::test]
    async fn cl_09_a_public_client_sends_its_client_id_alone() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        let http = move |req: HttpRequest| {
            log.lock().unwrap().push(req.clone());
            async move {
                http::Response::builder()
                    .status(200)
                    .body(br#"{"issued_token_type":"urn:ietf:params:oauth:token-type:id-jag","access_token":"a.b.c","token_type":"N_A"}"#.to_vec())
                    .map_err(|e| TransportError::Other(e.to_string()))
            }
        };
        let public = Party::new(
            Issuer::new("https://login.acme-idp.test").unwrap(),
            "https://login.acme-idp.test/token".parse().unwrap(),
            ClientCredentials::new(
                ClientId::new("desk-7f3a").unwrap(),
                ClientAuthMethod::Public,
            ),
        );
        let clock = FixedClock::new(1_793_000_000);
        let ctx = Context::new(&http, &clock, &SystemRandom);
        let subject = SubjectToken::id_token(Secret::new("eyJ.subject.sig"));
        exchange_token(&ctx, &public, &request(), &subject)
            .await
            .unwrap();
        let sent = seen.lock().unwrap().pop().unwrap();
        assert!(sent.headers().get(http::header::AUTHORIZATION).is_none());
        let form = ema_types::Form::decode(sent.body()).unwrap();
        let names: Vec<&str> = form.pairs().map(|(k, _)| k).collect();
        assert!(names.contains(&"client_id"), "{names:?}");
        assert!(!names.contains(&"client_secret"), "{names:?}");
        assert!(!names.contains(&"client_assertion"), "{names:?}");
        assert_eq!(ClientAuthMethod::Public.name(), "none");
    }

    /// Discovery of `https://tools.toolhub.test/mcp` whose AS metadata is `as_metadata`.
    fn discovery_with(as_metadata: &'static str) -> Discovery {
        Discovery::new(move |req: HttpRequest| async move {
            let body = match req.uri().path() {
                "/.well-known/oauth-protected-resource/mcp" => {
                    r#"{"resource":"https://tools.toolhub.test/mcp","authorization_servers":["https://as.toolhub.test"]}"#
                }
                "/.well-known/oauth-authorization-server" => as_metadata,
                _ => "",
            };
            http::Response::builder()
                .status(if body.is_empty() { 404 } else { 200 })
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(body.as_bytes().to_vec())
                .map_err(|e| TransportError::Other(e.to_string()))
        })
    }

    #[tokio::test]
    async fn cl_06_the_profile_check_is_on_by_default_and_can_be_relaxed() {
        let server = Resource::new("https://tools.toolhub.test/mcp").unwrap();
        let no_profile = discovery_with(
            r#"{"issuer":"https://as.toolhub.test","token_endpoint":"https://as.toolhub.test/token","grant_types_supported":["urn:ietf:params:oauth:grant-type:jwt-bearer"]}"#,
        );
        let e = discover_resource(&no_profile, &server).await.unwrap_err();
        assert!(
            matches!(
                e.kind(),
                ErrorKind::ProfileUnsupported(ema_metadata::IdJagSupportError::ProfileNotListed)
            ),
            "{e}"
        );
        let target = discover_resource_with(&no_profile, &server, false)
            .await
            .unwrap();
        assert_eq!(
            target.as_token_endpoint.as_str(),
            "https://as.toolhub.test/token"
        );
        // Relaxed, the jwt-bearer grant must still be listed.
        let no_grant = discovery_with(
            r#"{"issuer":"https://as.toolhub.test","token_endpoint":"https://as.toolhub.test/token","grant_types_supported":["authorization_code"]}"#,
        );
        let e = discover_resource_with(&no_grant, &server, false)
            .await
            .unwrap_err();
        assert!(
            matches!(
                e.kind(),
                ErrorKind::ProfileUnsupported(
                    ema_metadata::IdJagSupportError::JwtBearerGrantNotListed
                )
            ),
            "{e}"
        );
    }

    #[tokio::test]
    async fn cl_11_granted_scope_defaults_to_the_request() {
        let ok = exchange_with(
            200,
            r#"{"issued_token_type":"urn:ietf:params:oauth:token-type:id-jag","access_token":"a.b.c","token_type":"N_A"}"#,
        )
        .await
        .unwrap();
        assert_eq!(ok.scope.unwrap().to_string(), "tickets:read");
        let narrowed = exchange_with(
            200,
            r#"{"issued_token_type":"urn:ietf:params:oauth:token-type:id-jag","access_token":"a.b.c","token_type":"N_A","scope":"a"}"#,
        )
        .await
        .unwrap();
        assert_eq!(narrowed.scope.unwrap().to_string(), "a");
    }

    #[tokio::test]
    async fn cl_11_wrong_token_type_and_malformed_answers() {
        let e = exchange_with(
            200,
            r#"{"issued_token_type":"urn:ietf:params:oauth:token-type:id-jag","access_token":"a.b.c","token_type":"Bearer"}"#,
        )
        .await
        .unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::WrongTokenType { .. }), "{e}");
        let e = exchange_with(200, "not json").await.unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::InvalidResponse(_)), "{e}");
        let e = exchange_with(503, "<html>busy</html>").await.unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::HttpStatus { status: 503 });
        assert_eq!(e.disposition(), Disposition::Retry);
        let e = exchange_with(400, r#"{"error":"invalid_request"}"#)
            .await
            .unwrap_err();
        assert_eq!(e.disposition(), Disposition::ReauthenticateUser);
        let e = exchange_with(401, r#"{"error":"invalid_client"}"#)
            .await
            .unwrap_err();
        assert_eq!(e.disposition(), Disposition::FixConfiguration);
    }

    #[test]
    fn access_token_freshness_and_header() {
        let t = AccessToken {
            token: Secret::new("at-1"),
            issued_at: 1000,
            expires_at: Some(4600),
            scope: None,
            requested_scope: None,
            resource: Resource::new("https://tools.toolhub.test/mcp").unwrap(),
            issuer: Issuer::new("https://as.toolhub.test").unwrap(),
        };
        assert!(t.is_fresh(4539, 60));
        assert!(!t.is_fresh(4540, 60));
        let h = t.authorization_header().unwrap();
        assert!(h.is_sensitive());
        assert_eq!(h.to_str().unwrap(), "Bearer at-1");
        assert!(!format!("{t:?}").contains("at-1"));
    }
}

//! The resource authorization server: the RFC 7523 jwt-bearer grant redeeming an ID-JAG for an
//! RFC 9068 access token (AS-01..AS-23), running the §6 checklist in order.
//!
//! [`JwtBearerGrant`] is a [`GrantHandler`]: serve it at the token endpoint next to the
//! application's own grants with
//! [`TokenEndpoint::with_grant`](crate::endpoint::TokenEndpoint::with_grant).
//!
//! | § 6 step | check | on failure |
//! |---|---|---|
//! | 1 | one non-empty `assertion` (`grant_type` dispatched by the endpoint) | `invalid_request` |
//! | 2 | client authentication, before any fetch | `invalid_client` (401 after Basic) |
//! | 3 | client registered for the jwt-bearer grant and for EMA (a non-empty issuer list) | `unauthorized_client` |
//! | 4-5 | JWS structure, `typ` | `invalid_grant` |
//! | 7 | unverified `iss` is a trusted issuer allowed for this client | `invalid_grant` |
//! | 8 | the issuer's keys ([`KeySource`]; unreachable JWKS → OQ-18) | `invalid_grant` |
//! | 6, 9-16 | algorithm, signature, claims, `aud`, `client_id`, times, lifetime, tenant, `resource` | `invalid_grant` |
//! | 16 | request `resource` ⊆ claim; one resource per token | `invalid_target` |
//! | 17 | request `scope` ⊆ claim; granted non-empty | `invalid_scope` |
//! | 18 | `authorization_details` (unsupported, OQ-17) | `invalid_authorization_details` |
//! | 18 | `act` unless configured (OQ-19) | `invalid_grant` |
//! | 19 | subject resolution ([`SubjectResolver`]) | `invalid_grant` |
//! | 20 | several `DPoP` fields; a proof that fails RFC 9449 §4.3 (`htm` `POST`, `htu` = [`AuthorizationServerConfig::dpop_token_endpoint`]) or whose `jti` was seen (replay kind `dpop`) | `invalid_dpop_proof` |
//! | 20 | `cnf` without a DPoP proof, `cnf.jkt` ≠ the proof's key thumbprint, or neither while [`AuthorizationServerConfig::require_dpop`] (AS-17) | `invalid_grant` |
//! | 21 | replay reservation of (`iss`, `jti`) until `exp` + skew, **last** | `invalid_grant` |
//! | 22 | mint: `aud` = the granted resource, no refresh token; with a proof, `cnf.jkt` and `token_type` `DPoP` (AS-12) | — |
//!
//! ```
//! use std::sync::Arc;
//! use ema_jwt::{Algorithm, KeySet, SigningKey};
//! use ema_server::authorization_server::{
//!     AuthorizationServerConfig, JwtBearerGrant, ResourceConfig, TrustedIssuer,
//! };
//! use ema_server::client_auth::{RegisteredClient, StaticClientRegistry};
//! use ema_server::endpoint::TokenEndpoint;
//! use ema_server::keys::StaticKeySource;
//! use ema_server::replay::MemoryReplayStore;
//! use ema_server::signing::SigningKeys;
//! use ema_types::{ClientId, Issuer, Resource, ScopeSet, Secret, urn};
//!
//! let idp = Issuer::new("https://login.acme-idp.test")?;
//! # let idp_keys = KeySet::default();
//! let config = AuthorizationServerConfig::builder(Issuer::new("https://as.toolhub.test")?)
//!     .trusted_issuer(TrustedIssuer::new(idp.clone()))
//!     .resource(ResourceConfig::new(
//!         Resource::new("https://tools.toolhub.test/mcp")?,
//!         ScopeSet::parse("tickets:read tickets:write")?,
//!     ))
//!     .build()?;
//! let clients = StaticClientRegistry::new().with_client(
//!     RegisteredClient::confidential(ClientId::new("cli_42b19c")?)
//!         .with_secret(Secret::new("s3cret"))
//!         .with_grant_type(urn::GRANT_TYPE_JWT_BEARER),
//! );
//! let grant = JwtBearerGrant::new(
//!     config,
//!     Arc::new(clients),
//!     Arc::new(StaticKeySource::new().with_issuer(&idp, idp_keys)),
//!     Arc::new(MemoryReplayStore::new(100_000)),
//!     SigningKeys::new(SigningKey::generate(Algorithm::ES256)?.with_kid("as-1")),
//! )?;
//! let endpoint = TokenEndpoint::new().with_grant(urn::GRANT_TYPE_JWT_BEARER, Arc::new(grant));
//! # let _ = endpoint;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Every `invalid_grant` carries the same `error_description` ("assertion rejected", AS-19);
//! the precise reason goes to `tracing` only, never token material. A failing replay store or
//! subject resolver is `server_error` (500): the store refuses to vouch for single use, so the
//! request fails closed, and the answer says the fault is the server's, not the assertion's.
//!
//! With [`JwtBearerGrant::with_audit`], every request, granted or refused at any step, yields
//! exactly one [`AuditEvent`] (`role` `as`, the redeemed ID-JAG's
//! `jti` once its signature verified, reason `replayed` for a reused `jti`).

pub mod code_grant;
mod config;
mod metadata;
mod subject;

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use ema_jwt::mint::{AccessTokenGrant, AccessTokenMinter};
use ema_jwt::verify::{DpopRequest, IdJagVerifier, TrustAnchor};
use ema_types::claims::{Confirmation, IdJagClaims};
use ema_types::{
    Clock, ErrorCode, Form, JwtBearerRequest, OneOrMany, ScopeSet, SecureRandom, SystemClock,
    SystemRandom, TokenResponse, urn,
};
use http::StatusCode;

pub use config::{
    AuthorizationServerConfig, AuthorizationServerConfigBuilder, ResourceConfig, TrustedIssuer,
};
pub use subject::{Principal, SubjectError, SubjectResolver, TrustedSubjectResolver};

use crate::ConfigError;
use crate::audit::{AuditEvent, AuditRole, AuditSink};
use crate::client_auth::{AuthenticatedClient, ClientAuthContext, ClientRegistry, authenticate};
use crate::endpoint::{GrantHandler, HttpRequest, HttpResponse, Rejection, json_response};
use crate::keys::KeySource;
use crate::replay::{ReplayKey, ReplayStore};
use crate::signing::SigningKeys;

/// The uniform `error_description` of every `invalid_grant` (AS-19).
pub const ASSERTION_REJECTED: &str = "assertion rejected";

/// Replay-store kind of ID-JAG `jti`s (AS-11).
pub const REPLAY_KIND_ID_JAG: &str = "id-jag";

fn assertion_rejected(reason: impl Into<String>) -> Rejection {
    Rejection::new(ErrorCode::InvalidGrant, reason).describe(ASSERTION_REJECTED)
}

fn dpop_rejection(failure: crate::dpop::DpopFailure) -> Rejection {
    match failure {
        crate::dpop::DpopFailure::Invalid(reason) => {
            Rejection::new(ErrorCode::InvalidDpopProof, format!("{reason} (AS-17)"))
                .describe("invalid DPoP proof")
        }
        crate::dpop::DpopFailure::Server(reason) => server_error(reason),
    }
}

fn server_error(reason: impl Into<String>) -> Rejection {
    Rejection::new(ErrorCode::ServerError, reason).with_status(StatusCode::INTERNAL_SERVER_ERROR)
}

/// The jwt-bearer grant handler of the resource AS. See the [module documentation](self).
#[derive(Clone)]
pub struct JwtBearerGrant {
    config: Arc<AuthorizationServerConfig>,
    verifier: IdJagVerifier,
    registry: Arc<dyn ClientRegistry>,
    keys: Arc<dyn KeySource>,
    replay: Arc<dyn ReplayStore>,
    signing: SigningKeys,
    subjects: Arc<dyn SubjectResolver>,
    clock: Arc<dyn Clock>,
    rng: Arc<dyn SecureRandom>,
    client_auth: ClientAuthContext,
    audit: Option<Arc<dyn AuditSink>>,
}

impl fmt::Debug for JwtBearerGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtBearerGrant")
            .field("config", &self.config)
            .field("signing", &self.signing)
            .field("audit", &self.audit)
            .finish_non_exhaustive()
    }
}

impl JwtBearerGrant {
    /// A handler for `config`, authenticating clients from `registry`, taking issuer keys
    /// from `keys`, reserving `jti`s in `replay` (ID-JAGs and client assertions) and signing
    /// access tokens with `signing`. System clock and randomness; subjects mapped by
    /// [`TrustedSubjectResolver`].
    ///
    /// # Errors
    ///
    /// When the verifier refuses the configuration.
    pub fn new(
        config: AuthorizationServerConfig,
        registry: Arc<dyn ClientRegistry>,
        keys: Arc<dyn KeySource>,
        replay: Arc<dyn ReplayStore>,
        signing: SigningKeys,
    ) -> Result<Self, ConfigError> {
        let bad = |e: ema_jwt::Error| ConfigError::new(e.kind().to_string());
        let verifier = IdJagVerifier::new(
            config.issuer.clone(),
            config.resources.iter().map(|r| r.resource.clone()),
        )
        .with_skew(config.skew)
        .map_err(bad)?
        .allow_missing_resource(config.allow_missing_resource)
        .map_err(bad)?;
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let client_auth = Self::client_auth_context(&config, &replay, &clock)?;
        Ok(Self {
            config: Arc::new(config),
            verifier,
            registry,
            keys,
            replay,
            signing,
            subjects: Arc::new(TrustedSubjectResolver),
            clock,
            rng: Arc::new(SystemRandom),
            client_auth,
            audit: None,
        })
    }

    fn client_auth_context(
        config: &AuthorizationServerConfig,
        replay: &Arc<dyn ReplayStore>,
        clock: &Arc<dyn Clock>,
    ) -> Result<ClientAuthContext, ConfigError> {
        let mut ctx =
            ClientAuthContext::new(config.issuer.clone(), Arc::clone(replay), Arc::clone(clock))
                .allow_public_clients(config.allow_public_clients)
                .with_skew(config.skew)
                .map_err(|e| ConfigError::new(e.kind().to_string()))?;
        if let Some(endpoint) = &config.legacy_token_endpoint_audience {
            ctx = ctx.accept_token_endpoint_audience(endpoint.clone());
        }
        Ok(ctx)
    }

    /// Use `clock` (tests: [`ema_types::FixedClock`]).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Arc::clone(&clock);
        if let Ok(ctx) = Self::client_auth_context(&self.config, &self.replay, &clock) {
            self.client_auth = ctx;
        }
        self
    }

    /// Use `rng` for access-token `jti`s.
    #[must_use]
    pub fn with_random(mut self, rng: Arc<dyn SecureRandom>) -> Self {
        self.rng = rng;
        self
    }

    /// Record one [`AuditEvent`] per jwt-bearer request in `sink` (default: none): granted or
    /// denied, early rejections (`invalid_request`, `invalid_client`, …) included, with the
    /// redeemed ID-JAG's `jti` (once its signature verified) as correlation id, and never a
    /// token, an assertion or a secret.
    #[must_use]
    pub fn with_audit(mut self, sink: Arc<dyn AuditSink>) -> Self {
        self.audit = Some(sink);
        self
    }

    /// Map subjects with `resolver` (AS-10, §6 step 19).
    #[must_use]
    pub fn with_subject_resolver(mut self, resolver: Arc<dyn SubjectResolver>) -> Self {
        self.subjects = resolver;
        self
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &AuthorizationServerConfig {
        &self.config
    }

    /// The signing keys (publish [`SigningKeys::jwks`] at the `jwks_uri`).
    #[must_use]
    pub fn signing_keys(&self) -> &SigningKeys {
        &self.signing
    }

    /// Run the §6 checklist; `Ok` is the 200 response. With an audit sink
    /// ([`JwtBearerGrant::with_audit`]), records one event either way.
    pub async fn redeem(
        &self,
        request: &HttpRequest,
        form: &Form,
    ) -> Result<HttpResponse, Rejection> {
        let Some(sink) = &self.audit else {
            let mut trail = AuditEvent::new(AuditRole::AuthorizationServer, "", 0);
            return self.run_checklist(request, form, &mut trail).await;
        };
        let mut trail = AuditEvent::new(
            AuditRole::AuthorizationServer,
            self.config.issuer.as_str(),
            self.clock.now_unix(),
        );
        let result = self.run_checklist(request, form, &mut trail).await;
        crate::audit::emit_decision(sink.as_ref(), &mut trail, &result);
        result
    }

    async fn run_checklist(
        &self,
        request: &HttpRequest,
        form: &Form,
        trail: &mut AuditEvent,
    ) -> Result<HttpResponse, Rejection> {
        // 1. Exactly one non-empty assertion (AS-01).
        trail.audience = Some(self.config.issuer.as_str().to_owned());
        let grant = JwtBearerRequest::from_form(form).map_err(Rejection::from)?;
        trail.requested_scope = grant.scope.as_ref().map(ToString::to_string);
        trail.resource = grant
            .resource
            .iter()
            .map(|r| {
                r.as_str()
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(256)
                    .collect()
            })
            .collect();
        // 2. Client authentication, before any fetch (AS-02, AS-03).
        let client = authenticate(request, form, self.registry.as_ref(), &self.client_auth).await?;
        trail.client_id = Some(client.client_id.as_str().to_owned());
        // 3. Registered for this grant and for EMA (AS-04).
        let for_ema = client
            .client
            .trusted_issuers
            .as_ref()
            .is_none_or(|list| !list.is_empty());
        if !client.client.allows_grant(urn::GRANT_TYPE_JWT_BEARER) || !for_ema {
            return Err(Rejection::new(
                ErrorCode::UnauthorizedClient,
                "client not registered for the jwt-bearer grant / EMA",
            )
            .describe("client is not authorized for this grant"));
        }
        // 4-5. Structure and typ.
        let jws = self
            .verifier
            .decode(grant.assertion.expose())
            .map_err(|e| assertion_rejected(format!("ID-JAG: {}", e.kind())))?;
        // 7. Unverified iss: trusted, and allowed for this client.
        let iss = jws.unverified_issuer().unwrap_or_default();
        let trusted = self
            .config
            .trusted_issuer(iss)
            .ok_or_else(|| assertion_rejected("ID-JAG: issuer not trusted"))?;
        if !client.client.allows_issuer(iss) {
            return Err(assertion_rejected(
                "ID-JAG: issuer not allowed for this client",
            ));
        }
        // 8. The issuer's keys (OQ-18: unreachable JWKS is invalid_grant too).
        let keys = self
            .keys
            .keys(&trusted.issuer, jws.header().kid.as_deref())
            .await
            .map_err(|e| {
                tracing::warn!(issuer = trusted.issuer.as_str(), error = %e, "issuer keys unavailable");
                assertion_rejected(format!("ID-JAG: issuer keys: {e}"))
            })?;
        // 6, 8-16.
        let mut anchor = TrustAnchor::new(trusted.issuer.as_str(), &keys, &trusted.algorithms);
        if let Some(tenant) = &trusted.tenant {
            anchor = anchor.with_tenant(tenant);
        }
        let claims = self
            .verifier
            .verify(jws, &anchor, client.client_id.as_str(), self.clock.as_ref())
            .map_err(|e| assertion_rejected(format!("ID-JAG: {}", e.kind())))?;
        trail.jti = Some(claims.jti.clone());
        trail.subject = Some(claims.sub.clone());
        // 16. Request resource within the claim; one resource per access token.
        let resource = self.granted_resource(&grant, &claims)?;
        trail.resource = vec![resource.resource.as_str().to_owned()];
        // 17. Scope.
        let scope = self.granted_scope(&grant, &claims, resource, &client)?;
        // 18. authorization_details (OQ-17) and act (OQ-19).
        if claims.authorization_details.is_some() {
            return Err(Rejection::new(
                ErrorCode::InvalidAuthorizationDetails,
                "ID-JAG carries authorization_details (unsupported, OQ-17)",
            )
            .describe("authorization_details not supported"));
        }
        if claims.act.is_some() && !self.config.allow_actor_claim {
            return Err(assertion_rejected("ID-JAG: act claim not accepted (OQ-19)"));
        }
        // 19. Subject.
        let principal = match self.subjects.resolve(&claims, &client).await {
            Ok(Some(p)) => p,
            Ok(None) => return Err(assertion_rejected("ID-JAG: subject not resolved (AS-10)")),
            Err(e) => return Err(server_error(format!("subject resolver failed: {e}"))),
        };
        // 20. DPoP (AS-17): the binding of the access token, if any.
        let bound_jkt = self.check_dpop(request, &claims).await?;
        // 21. Replay, last (AS-11).
        let key = ReplayKey {
            kind: REPLAY_KIND_ID_JAG,
            issuer: &claims.iss,
            jti: &claims.jti,
        };
        match self
            .replay
            .reserve(
                key,
                self.clock.now_unix(),
                claims.exp.saturating_add(self.config.skew),
            )
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                trail.reason = "replayed".to_owned();
                return Err(assertion_rejected("ID-JAG: jti replayed (AS-11)"));
            }
            Err(e) => {
                tracing::error!(error = %e, "replay store failed; refusing (fail closed)");
                return Err(server_error(format!("replay store: {e}")));
            }
        }
        // 22. Mint.
        let mut at = AccessTokenGrant::new(
            principal.subject,
            resource.resource.clone(),
            client.client_id.clone(),
            scope.clone(),
        );
        at.auth_time = claims.auth_time;
        at.acr = claims.acr.clone();
        at.amr = claims.amr.clone();
        at.cnf = bound_jkt.clone().map(Confirmation::jkt);
        let minter = AccessTokenMinter::new(self.config.issuer.clone(), self.signing.active())
            .with_ttl(self.config.access_token_ttl)
            .map_err(|e| server_error(format!("minter: {}", e.kind())))?;
        let minted = minter
            .mint(at, self.clock.as_ref(), self.rng.as_ref())
            .map_err(|e| server_error(format!("minting failed: {}", e.kind())))?;
        tracing::info!(
            client_id = client.client_id.as_str(),
            issuer = claims.iss.as_str(),
            resource = resource.resource.as_str(),
            scope = %scope,
            "access token issued"
        );
        trail.granted_scope = Some(scope.to_string());
        let mut body = TokenResponse::bearer(minted.token, minter.ttl(), scope);
        if bound_jkt.is_some() {
            // AS-12: a DPoP-bound token is announced as such.
            body.token_type = urn::TOKEN_TYPE_DPOP.to_owned();
        }
        body.resource = Some(OneOrMany::One(resource.resource.as_str().to_owned()));
        Ok(json_response(StatusCode::OK, &body))
    }

    /// §6 step 20 (AS-17): verify the proof (if any) and decide the binding.
    ///
    /// | ID-JAG `cnf.jkt` | proof | result |
    /// |---|---|---|
    /// | present | valid, same `jkt` | bound to `jkt` |
    /// | present | valid, other `jkt` | `invalid_grant` |
    /// | present | absent | `invalid_grant` |
    /// | absent | valid | bound to the proof `jkt` |
    /// | absent | absent | unbound, or `invalid_grant` when `require_dpop` |
    /// | any | invalid or replayed | `invalid_dpop_proof` |
    async fn check_dpop(
        &self,
        request: &HttpRequest,
        claims: &IdJagClaims,
    ) -> Result<Option<String>, Rejection> {
        let proof = crate::dpop::single_proof(request.headers()).map_err(dpop_rejection)?;
        let cnf_jkt = match &claims.cnf {
            None => None,
            Some(cnf) => Some(
                cnf.jkt
                    .as_deref()
                    .ok_or_else(|| assertion_rejected("ID-JAG: cnf without jkt (AS-17)"))?,
            ),
        };
        let Some(proof) = proof else {
            if cnf_jkt.is_some() {
                return Err(assertion_rejected(
                    "ID-JAG: cnf present without a DPoP proof (AS-17)",
                ));
            }
            if self.config.require_dpop {
                return Err(assertion_rejected(
                    "DPoP required and neither cnf nor a DPoP proof (AS-17)",
                ));
            }
            return Ok(None);
        };
        let htu = self.config.dpop_token_endpoint();
        let verified = crate::dpop::verify_and_reserve(
            proof,
            &DpopRequest::new("POST", &htu),
            self.config.skew,
            self.replay.as_ref(),
            self.clock.as_ref(),
        )
        .await
        .map_err(dpop_rejection)?;
        if let Some(jkt) = cnf_jkt
            && !bool::from(subtle::ConstantTimeEq::ct_eq(
                jkt.as_bytes(),
                verified.jkt.as_bytes(),
            ))
        {
            return Err(assertion_rejected(
                "ID-JAG: cnf.jkt does not match the DPoP proof key (AS-17)",
            ));
        }
        Ok(Some(verified.jkt))
    }

    fn granted_resource(
        &self,
        grant: &JwtBearerRequest,
        claims: &IdJagClaims,
    ) -> Result<&ResourceConfig, Rejection> {
        let target = |reason: &str| {
            Rejection::new(ErrorCode::InvalidTarget, reason).describe("resource not granted")
        };
        // Resources the ID-JAG grants (all served: checked by the verifier, step 16).
        let claimed: Vec<&ResourceConfig> = match &claims.resource {
            Some(values) => self
                .config
                .resources
                .iter()
                .filter(|r| values.iter().any(|v| r.resource.matches_presented(v)))
                .collect(),
            // allow_missing_resource (OQ-02): the single configured resource is implied.
            None => self.config.resources.iter().take(1).collect(),
        };
        match grant.resource.as_slice() {
            [] => match claimed.as_slice() {
                [one] => Ok(one),
                _ => Err(target(
                    "ID-JAG grants several resources and the request names none",
                )),
            },
            [requested] => claimed
                .into_iter()
                .find(|r| r.resource.matches_presented(requested.as_str()))
                .ok_or_else(|| target("requested resource is not in the ID-JAG")),
            _ => Err(target("one resource per access token")),
        }
    }

    fn granted_scope(
        &self,
        grant: &JwtBearerRequest,
        claims: &IdJagClaims,
        resource: &ResourceConfig,
        client: &AuthenticatedClient,
    ) -> Result<ScopeSet, Rejection> {
        let invalid_scope = |reason: &str| {
            Rejection::new(ErrorCode::InvalidScope, reason).describe("scope not granted")
        };
        let base = match &claims.scope {
            Some(s) => s.clone(),
            None if self.config.require_scope_claim => {
                return Err(assertion_rejected(
                    "ID-JAG: no scope claim and require_scope_claim is set (OQ-04)",
                ));
            }
            None => resource.default_scopes.clone(),
        };
        let mut granted = base.intersection(&resource.scopes);
        if let Some(requested) = &grant.scope {
            if !requested.is_subset(&base) {
                return Err(invalid_scope("requested scope beyond the ID-JAG (OQ-04)"));
            }
            granted = granted.intersection(requested);
        }
        if let Some(allowed) = &client.client.scopes {
            granted = granted.intersection(allowed);
        }
        if granted.is_empty() {
            return Err(invalid_scope("no grantable scope"));
        }
        Ok(granted)
    }
}

#[async_trait]
impl GrantHandler for JwtBearerGrant {
    async fn handle(&self, request: &HttpRequest, form: &Form) -> HttpResponse {
        match self.redeem(request, form).await {
            Ok(response) => response,
            Err(rejection) => rejection.into_response(),
        }
    }
}

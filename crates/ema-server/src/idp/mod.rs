//! The IdP role: RFC 8693 token exchange that issues ID-JAGs (IDP-01..IDP-24).
//!
//! [`TokenExchangeGrant`] is a [`GrantHandler`] for
//! `urn:ietf:params:oauth:grant-type:token-exchange`; mount it on the IdP's existing token
//! endpoint with [`TokenEndpoint::with_grant`](crate::endpoint::TokenEndpoint::with_grant)
//! next to the IdP's own grants (IDP-01). Each request runs, in order:
//!
//! 1. client authentication ([`crate::client_auth::authenticate`]; IDP-02), and the client
//!    must be confidential (a public client is `invalid_client` even when the context allows
//!    public clients) and registered for the token-exchange grant (else
//!    `unauthorized_client`);
//! 2. request shape (IDP-03, IDP-04): the RFC 8693 parameters, `requested_token_type` =
//!    ID-JAG, exactly one `audience` (several → `invalid_target`), no `actor_token`
//!    (OQ-19 → `invalid_request`), and at least one `resource` (OQ-02: required for EMA
//!    audiences; a missing required parameter is `invalid_request`);
//! 3. DPoP (IDP-20): without a `DPoP` header the ID-JAG is unbound. With exactly one, the
//!    proof must verify ([`DpopProofVerifier`](ema_jwt::verify::DpopProofVerifier): `htm`
//!    `POST`, `htu` = [`IdpConfig::token_endpoint`], age ≤ 300 s + skew) and its `jti` must be
//!    new (reserved in the client-authentication replay store, kind `dpop`, until `iat` +
//!    300 s + skew); the ID-JAG then carries `cnf.jkt` = the proof key's thumbprint. Several
//!    `DPoP` fields, an invalid or a replayed proof are `invalid_dpop_proof` (400); a failing
//!    replay store is `server_error` (500). Server nonces (RFC 9449 §8) are not issued;
//! 4. the audience: the AS issuer or a configured alias (IDP-09), else `invalid_target`; each
//!    resource must be allowed for that AS (IDP-10), else `invalid_target`;
//! 5. the subject token (IDP-05, IDP-06, IDP-08, IDP-22): an ID token signed by this IdP's
//!    own keys, `iss` = this IdP, `aud` ∋ the authenticated client id (and `azp`, when
//!    present, = that client id), within its lifetime;
//!    or a refresh token through the application's [`RefreshTokenValidator`]. SAML
//!    assertions (IDP-07) and every other type, including an ID-JAG, are unsupported. Every
//!    failure is `invalid_request` (OQ-09);
//! 6. the subject the AS will see ([`SubjectMapper`], IDP-13; default the ID token `sub`);
//! 7. the [`Policy`] (IDP-11, IDP-12, IDP-19): `invalid_target`, `invalid_scope`, or
//!    `insufficient_user_authentication` with `max_age`/`acr_values`;
//! 8. the ID-JAG (IDP-14 `tenant`/`aud_tenant` per AS, IDP-15, IDP-16, IDP-24) and the response (IDP-17): `scope` is always
//!    included, `refresh_token` never, `Cache-Control: no-store`, `Pragma: no-cache`.
//!
//! Every refusal is an RFC 6749 §5.2 error ([`Rejection`], IDP-18) whose precise reason is
//! logged through `tracing` without token material.
//!
//! With [`TokenExchangeGrant::with_audit`], every request, granted or refused at any step,
//! yields exactly one [`AuditEvent`] (`role` `idp`, the minted
//! ID-JAG's `jti` on a grant, reason `policy_denied` for a [`Policy`] refusal).
#![cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]

mod config;
mod directory;
mod explain;
pub mod oidc;
mod policy;
mod subject;

pub use config::{IdpConfig, IdpConfigBuilder, IdpConfigError, TrustedAudience};
pub use directory::{DirectoryUser, MemoryDirectory, UserDirectory};
pub use explain::{DenialReason, Explanation, ResolvedUser, RowExplanation, RowVerdict};
pub use policy::{
    Decision, Effect, Policy, PolicyGrant, PolicyRequest, PolicyRule, StaticPolicy, StepUp,
};
pub use subject::{RefreshTokenValidator, SubjectContext, SubjectMapper, SubjectTokenError};

use std::sync::Arc;

use async_trait::async_trait;
use ema_jwt::mint::{IdJagGrant, IdJagMinter};
use ema_jwt::verify::{DpopRequest, IdTokenVerifier};
use ema_types::claims::Confirmation;
use ema_types::{
    Clock, ErrorCode, Form, Resource, SecureRandom, SystemRandom, TokenExchangeRequest,
    TokenExchangeResponse, TokenType, urn,
};
use http::StatusCode;

use crate::audit::{AuditEvent, AuditRole, AuditSink};
use crate::client_auth::{
    AuthenticatedClient, ClientAuthContext, ClientAuthMethod, ClientRegistry, authenticate,
};
use crate::endpoint::{GrantHandler, HttpRequest, HttpResponse, Rejection, json_response};
use crate::keys::KeySource;
use crate::signing::SigningKeys;

/// The token-exchange grant handler of an IdP: see the [module documentation](self).
pub struct TokenExchangeGrant {
    config: IdpConfig,
    signing: SigningKeys,
    id_token_keys: Arc<dyn KeySource>,
    registry: Arc<dyn ClientRegistry>,
    client_auth: ClientAuthContext,
    policy: Arc<dyn Policy>,
    refresh_tokens: Option<Arc<dyn RefreshTokenValidator>>,
    subject_mapper: Option<Arc<dyn SubjectMapper>>,
    rng: Arc<dyn SecureRandom>,
    audit: Option<Arc<dyn AuditSink>>,
}

impl std::fmt::Debug for TokenExchangeGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenExchangeGrant")
            .field("config", &self.config)
            .field("signing", &self.signing)
            .field("client_auth", &self.client_auth)
            .field("refresh_tokens", &self.refresh_tokens.is_some())
            .field("subject_mapper", &self.subject_mapper.is_some())
            .field("audit", &self.audit)
            .finish_non_exhaustive()
    }
}

impl TokenExchangeGrant {
    /// A handler for `config`, signing ID-JAGs with the active key of `signing` (publish
    /// [`SigningKeys::jwks`] at the IdP's `jwks_uri`; [`SigningKeys::rotate`] takes effect on
    /// the next request), checking subject ID tokens against `id_token_keys` (the IdP's own
    /// keys, asked for under the IdP issuer), authenticating clients of `registry` with
    /// `client_auth` (whose clock is used throughout), and deciding with `policy`.
    pub fn new(
        config: IdpConfig,
        signing: SigningKeys,
        id_token_keys: Arc<dyn KeySource>,
        registry: Arc<dyn ClientRegistry>,
        client_auth: ClientAuthContext,
        policy: Arc<dyn Policy>,
    ) -> Result<Self, IdpConfigError> {
        // Fail now, not per request, if the lifetime is refused.
        IdJagMinter::new(config.issuer.clone(), signing.active())
            .with_ttl(config.ttl)
            .map_err(|e| IdpConfigError::SigningKey(e.to_string()))?;
        Ok(Self {
            config,
            signing,
            id_token_keys,
            registry,
            client_auth,
            policy,
            refresh_tokens: None,
            subject_mapper: None,
            rng: Arc::new(SystemRandom),
            audit: None,
        })
    }

    /// Accept refresh tokens as subject tokens, validated by `validator` (IDP-08).
    #[must_use]
    pub fn with_refresh_tokens(mut self, validator: Arc<dyn RefreshTokenValidator>) -> Self {
        self.refresh_tokens = Some(validator);
        self
    }

    /// Name users to each AS through `mapper` (IDP-13).
    #[must_use]
    pub fn with_subject_mapper(mut self, mapper: Arc<dyn SubjectMapper>) -> Self {
        self.subject_mapper = Some(mapper);
        self
    }

    /// Record one [`AuditEvent`] per token exchange in `sink` (default: none): granted or
    /// denied, early rejections (`invalid_client`, `invalid_request`, …) included, with the
    /// minted ID-JAG's `jti` as correlation id and never a token or secret.
    #[must_use]
    pub fn with_audit(mut self, sink: Arc<dyn AuditSink>) -> Self {
        self.audit = Some(sink);
        self
    }

    /// Draw `jti`s from `rng` (default [`SystemRandom`]).
    #[must_use]
    pub fn with_random(mut self, rng: Arc<dyn SecureRandom>) -> Self {
        self.rng = rng;
        self
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &IdpConfig {
        &self.config
    }

    /// The ID-JAG signing keys (publish their JWKS).
    #[must_use]
    pub fn signing_keys(&self) -> &SigningKeys {
        &self.signing
    }

    async fn exchange(
        &self,
        request: &HttpRequest,
        form: &Form,
        trail: &mut AuditEvent,
    ) -> Result<HttpResponse, Rejection> {
        // 1. Client authentication comes first (IDP-02).
        let client = authenticate(request, form, &*self.registry, &self.client_auth).await?;
        trail.client_id = Some(client.client_id.as_str().to_owned());
        if client.method == ClientAuthMethod::None || client.client.public {
            return Err(Rejection::new(
                ErrorCode::InvalidClient,
                "public clients are not served by the token exchange (IDP-02)",
            ));
        }
        if !client.client.allows_grant(urn::GRANT_TYPE_TOKEN_EXCHANGE) {
            return Err(Rejection::new(
                ErrorCode::UnauthorizedClient,
                "client is not registered for the token-exchange grant",
            ));
        }

        // 2. Request shape (IDP-03, IDP-04, OQ-19, OQ-02).
        let te = TokenExchangeRequest::from_form(form)?;
        trail.requested_scope = te.scope.as_ref().map(ToString::to_string);
        trail.audience = te.audience.first().map(|a| echo_raw(a));
        trail.resource = te.resource.iter().map(|r| echo_raw(r.as_str())).collect();
        if te.actor_token.is_some() {
            return Err(invalid_request("actor_token is not supported (OQ-19)")
                .describe("actor_token is not supported"));
        }
        match &te.requested_token_type {
            None => {
                return Err(invalid_request("requested_token_type missing (IDP-03)")
                    .describe("requested_token_type is required"));
            }
            Some(TokenType::IdJag) => {}
            Some(other) => {
                return Err(invalid_request(format!(
                    "requested_token_type {} is not the ID-JAG type (IDP-04)",
                    echo(other.as_str())
                ))
                .describe("unsupported requested_token_type"));
            }
        }
        let audience = match te.audience.as_slice() {
            [] => {
                return Err(
                    invalid_request("audience missing (IDP-03)").describe("audience is required")
                );
            }
            [one] => one,
            _ => {
                return Err(Rejection::new(
                    ErrorCode::InvalidTarget,
                    "more than one audience (IDP-03)",
                )
                .describe("exactly one audience is allowed"));
            }
        };
        if te.resource.is_empty() {
            return Err(
                invalid_request("resource missing (OQ-02)").describe("resource is required")
            );
        }

        // 3. DPoP (IDP-20): a proof binds the ID-JAG to its key (`cnf.jkt`).
        let dpop_jkt = self.check_dpop(request).await?;

        // 4. Audience and (audience, resource) pairs (IDP-09, IDP-10).
        let Some(target) = self.config.resolve_audience(audience) else {
            trail.reason = "unknown_audience".to_owned();
            return Err(Rejection::new(
                ErrorCode::InvalidTarget,
                format!("unknown audience {} (IDP-09)", echo(audience)),
            )
            .describe("audience not permitted"));
        };
        let mut resources: Vec<Resource> = Vec::with_capacity(te.resource.len());
        for presented in &te.resource {
            let Some(allowed) = target.allowed_resource(presented) else {
                trail.reason = "resource_not_allowed".to_owned();
                return Err(Rejection::new(
                    ErrorCode::InvalidTarget,
                    format!(
                        "resource {} is not allowed for audience {} (IDP-10)",
                        echo(presented.as_str()),
                        target.issuer
                    ),
                )
                .describe("resource not permitted for this audience"));
            };
            if !resources.contains(allowed) {
                resources.push(allowed.clone());
            }
        }

        trail.audience = Some(target.issuer.as_str().to_owned());
        trail.resource = resources.iter().map(|r| r.as_str().to_owned()).collect();

        // 5. The subject token (IDP-05, IDP-06, IDP-08, IDP-22).
        let user = self.validate_subject(&te, &client).await.inspect_err(|_| {
            trail.reason = "invalid_subject_token".to_owned();
        })?;
        trail.subject = Some(user.subject.clone());

        // 6. The subject the AS sees (IDP-13).
        let subject = match &self.subject_mapper {
            Some(mapper) => mapper.subject_for(&user, &target.issuer).ok_or_else(|| {
                trail.reason = "subject_not_mapped".to_owned();
                Rejection::new(
                    ErrorCode::InvalidTarget,
                    "subject mapper has no subject for this audience (IDP-13)",
                )
                .describe("user not permitted for this audience")
            })?,
            None => user.subject.clone(),
        };

        // 7. Policy (IDP-11, IDP-12, IDP-19).
        let decision = self
            .policy
            .decide(&PolicyRequest {
                user: &user,
                client_id: &client.client_id,
                audience: &target.issuer,
                resources: &resources,
                scope: te.scope.as_ref(),
            })
            .await;
        let grant = match decision {
            Decision::Grant(grant) => grant,
            Decision::DenyTarget => {
                trail.reason = REASON_POLICY_DENIED.to_owned();
                return Err(Rejection::new(
                    ErrorCode::InvalidTarget,
                    "policy: user or client not permitted for this audience/resource (IDP-11)",
                )
                .describe("resource not permitted for this client"));
            }
            Decision::DenyScope => {
                trail.reason = REASON_POLICY_DENIED.to_owned();
                return Err(Rejection::new(
                    ErrorCode::InvalidScope,
                    "policy: none of the requested scopes may be granted (IDP-11)",
                )
                .describe("no requested scope may be granted"));
            }
            Decision::StepUp(step_up) => {
                trail.reason = "step_up_required".to_owned();
                return Err(step_up_rejection(step_up));
            }
        };
        if let Some(asked) = &te.scope {
            if !grant.scope.is_subset(asked) {
                return Err(Rejection::new(
                    ErrorCode::ServerError,
                    "policy granted scopes beyond the request",
                ));
            }
            if grant.scope.is_empty() {
                trail.reason = REASON_POLICY_DENIED.to_owned();
                return Err(Rejection::new(
                    ErrorCode::InvalidScope,
                    "policy granted none of the requested scopes (IDP-11)",
                )
                .describe("no requested scope may be granted"));
            }
        }

        // 8. Mint (IDP-15, IDP-16, IDP-24) and answer (IDP-17).
        let mut id_jag = IdJagGrant::new(subject, target.issuer.clone(), grant.as_client_id);
        id_jag.resource = resources;
        if !grant.scope.is_empty() {
            id_jag.scope = Some(grant.scope.clone());
        }
        id_jag.auth_time = user.auth_time;
        id_jag.acr = user.acr.clone();
        id_jag.amr = user.amr.clone();
        if target.include_email {
            id_jag.email = user.email.clone();
        }
        id_jag.tenant = target.tenant.clone();
        id_jag.aud_tenant = target.aud_tenant.clone();
        id_jag.cnf = dpop_jkt.map(Confirmation::jkt);
        let clock = self.client_auth.clock();
        let minter = IdJagMinter::new(self.config.issuer.clone(), self.signing.active())
            .with_ttl(self.config.ttl)
            .map_err(|e| Rejection::new(ErrorCode::ServerError, format!("minter: {e}")))?;
        let minted = minter
            .mint(id_jag, &**clock, &*self.rng)
            .map_err(|e| Rejection::new(ErrorCode::ServerError, format!("minting failed: {e}")))?;
        tracing::info!(
            client_id = %client.client_id,
            audience = %target.issuer,
            jti = %minted.claims.jti,
            "ID-JAG issued"
        );
        trail.jti = Some(minted.claims.jti.clone());
        trail.granted_scope = Some(grant.scope.to_string());
        let scope = (!grant.scope.is_empty()).then_some(grant.scope);
        let body = TokenExchangeResponse::id_jag(minted.token, minter.ttl(), scope);
        Ok(json_response(StatusCode::OK, &body))
    }

    /// IDP-20: at most one `DPoP` field; when present, a valid proof for `POST` to the token
    /// endpoint whose `jti` was never seen, and its key thumbprint.
    async fn check_dpop(&self, request: &HttpRequest) -> Result<Option<String>, Rejection> {
        let proof = crate::dpop::single_proof(request.headers()).map_err(dpop_rejection)?;
        let Some(proof) = proof else {
            return Ok(None);
        };
        let clock = self.client_auth.clock();
        let verified = crate::dpop::verify_and_reserve(
            proof,
            &DpopRequest::new("POST", &self.config.token_endpoint),
            self.config.skew,
            self.client_auth.replay().as_ref(),
            &**clock,
        )
        .await
        .map_err(dpop_rejection)?;
        Ok(Some(verified.jkt))
    }

    async fn validate_subject(
        &self,
        te: &TokenExchangeRequest,
        client: &AuthenticatedClient,
    ) -> Result<SubjectContext, Rejection> {
        match &te.subject_token_type {
            TokenType::IdToken => {
                self.validate_id_token(te.subject_token.expose(), client)
                    .await
            }
            TokenType::RefreshToken => match &self.refresh_tokens {
                Some(validator) => validator
                    .validate(&te.subject_token, &client.client_id)
                    .await
                    .map_err(|e| {
                        invalid_request(format!("refresh token: {e} (IDP-08)"))
                            .describe("subject_token is invalid")
                    }),
                None => Err(invalid_request(
                    "refresh tokens are not accepted as subject tokens here (IDP-05)",
                )
                .describe("unsupported subject_token_type")),
            },
            TokenType::IdJag => Err(invalid_request(
                "an ID-JAG is never accepted as a subject token (IDP-22)",
            )
            .describe("unsupported subject_token_type")),
            other => Err(invalid_request(format!(
                "subject_token_type {} is not supported (IDP-05; SAML is not implemented)",
                echo(other.as_str())
            ))
            .describe("unsupported subject_token_type")),
        }
    }

    async fn validate_id_token(
        &self,
        token: &str,
        client: &AuthenticatedClient,
    ) -> Result<SubjectContext, Rejection> {
        let subject_error = |reason: String| {
            invalid_request(format!("subject ID token: {reason} (IDP-06)"))
                .describe("subject_token is invalid")
        };
        let header = ema_jwt::compact::UnverifiedJws::decode(
            token,
            ema_jwt::compact::DEFAULT_MAX_TOKEN_BYTES,
        )
        .map_err(|e| subject_error(e.to_string()))?
        .header()
        .clone();
        if header
            .typ
            .as_deref()
            .is_some_and(|t| ema_jwt::typ::matches(t, urn::JOSE_TYPE_ID_JAG))
        {
            return Err(subject_error(
                "an ID-JAG presented as an ID token (IDP-22)".to_owned(),
            ));
        }
        let keys = self
            .id_token_keys
            .keys(&self.config.issuer, header.kid.as_deref())
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "IdP's own ID-token keys unavailable");
                Rejection::new(ErrorCode::ServerError, format!("own keys unavailable: {e}"))
            })?;
        let verifier = IdTokenVerifier::new(self.config.issuer.clone(), client.client_id.as_str())
            .with_skew(self.config.skew)
            .map_err(|e| Rejection::new(ErrorCode::ServerError, e.to_string()))?;
        let clock = self.client_auth.clock();
        let claims = verifier
            .verify(
                token,
                &keys,
                &self.config.id_token_algorithms,
                None,
                &**clock,
            )
            .map_err(|e| subject_error(e.to_string()))?;
        // OIDC Core §2: when present, `azp` names the party the token was issued to.
        if claims
            .azp
            .as_deref()
            .is_some_and(|azp| azp != client.client_id.as_str())
        {
            return Err(subject_error(
                "azp names another client than the authenticated one".to_owned(),
            ));
        }
        Ok(SubjectContext::from_id_token(&claims))
    }
}

#[async_trait]
impl GrantHandler for TokenExchangeGrant {
    async fn handle(&self, request: &HttpRequest, form: &Form) -> HttpResponse {
        let Some(sink) = &self.audit else {
            let mut trail = AuditEvent::new(AuditRole::Idp, "", 0);
            return match self.exchange(request, form, &mut trail).await {
                Ok(response) => response,
                Err(rejection) => rejection.into_response(),
            };
        };
        let now = self.client_auth.clock().now_unix();
        let mut trail = AuditEvent::new(AuditRole::Idp, self.config.issuer.as_str(), now);
        let result = self.exchange(request, form, &mut trail).await;
        crate::audit::emit_decision(sink.as_ref(), &mut trail, &result);
        match result {
            Ok(response) => response,
            Err(rejection) => rejection.into_response(),
        }
    }
}

fn dpop_rejection(failure: crate::dpop::DpopFailure) -> Rejection {
    match failure {
        crate::dpop::DpopFailure::Invalid(reason) => {
            Rejection::new(ErrorCode::InvalidDpopProof, format!("{reason} (IDP-20)"))
                .describe("invalid DPoP proof")
        }
        crate::dpop::DpopFailure::Server(reason) => Rejection::new(ErrorCode::ServerError, reason)
            .with_status(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

fn invalid_request(reason: impl Into<String>) -> Rejection {
    Rejection::new(ErrorCode::InvalidRequest, reason)
}

fn step_up_rejection(step_up: StepUp) -> Rejection {
    let mut r = Rejection::new(
        ErrorCode::InsufficientUserAuthentication,
        "policy asks for step-up authentication (IDP-19)",
    );
    if let Some(d) = step_up.description {
        r = r.describe(d);
    }
    if let Some(max_age) = step_up.max_age {
        r = r.with_member("max_age", serde_json::Value::from(max_age));
    }
    if let Some(acr) = step_up.acr_values {
        r = r.with_member("acr_values", serde_json::Value::from(acr));
    }
    r
}

/// The audit reason of a refusal by the [`Policy`] (`invalid_target` / `invalid_scope` on
/// the wire, IDP-11).
pub const REASON_POLICY_DENIED: &str = "policy_denied";

/// A presented value, cut to 256 characters without control characters, for the audit
/// trail.
fn echo_raw(value: &str) -> String {
    value
        .chars()
        .filter(|c| !c.is_control())
        .take(256)
        .collect()
}

/// A presented value, cut for logs.
fn echo(value: &str) -> String {
    let mut s: String = value.chars().take(64).filter(|c| !c.is_control()).collect();
    if value.chars().count() > 64 {
        s.push('…');
    }
    format!("`{s}`")
}

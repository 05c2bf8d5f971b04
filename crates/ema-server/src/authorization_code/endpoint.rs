//! The authorization endpoint (RFC 6749 §3.1, §4.1.1–§4.1.2.1; RFC 9207).

use std::fmt;
use std::sync::Arc;

use ema_types::{Clock, ErrorCode, SecureRandom};
use http::StatusCode;

use super::config::AuthorizationCodeConfig;
use super::grants::AuthorizationGrants;
use super::redirect::{error_page, redirect_response};
use super::request::{self, PageError, RedirectError};
use super::{AuthenticationOutcome, UserAuthenticator};
use crate::client_auth::ClientRegistry;
use crate::endpoint::{HttpRequest, HttpResponse};

/// The authorization endpoint of the code flow, sans-IO: `GET` (query) or `POST` (form).
///
/// 1. `client_id` must name a registered client and `redirect_uri` must match one it
///    registered ([`redirect_uri_matches`](super::redirect_uri_matches)); otherwise a 400
///    `text/plain` page, and **never** a redirect (RFC 6749 §4.1.2.1);
/// 2. then, redirected with `error`, `error_description`, `state` and `iss` (RFC 9207):
///    `response_type` must be `code` (`unsupported_response_type`), the client registered
///    for `authorization_code` (`unauthorized_client`), PKCE `S256` present (missing or
///    `plain` → `invalid_request`), the scope well formed (and `openid` when required,
///    `invalid_scope`), the `resource` within the [`ResourceRule`](super::ResourceRule)
///    (`invalid_target`);
/// 3. the [`UserAuthenticator`] decides: a page, `access_denied`, `login_required`, or a user;
/// 4. a single-use code bound to the client, redirect URI, challenge, `nonce`, scope,
///    resources and user is issued (lifetime [`AuthorizationCodeConfig::with_code_ttl`]) and
///    the user agent redirected with `code`, `state` and `iss`.
///
/// Every answer carries `Cache-Control: no-store`.
pub struct AuthorizationEndpoint {
    config: AuthorizationCodeConfig,
    registry: Arc<dyn ClientRegistry>,
    authenticator: Arc<dyn UserAuthenticator>,
    grants: AuthorizationGrants,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for AuthorizationEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationEndpoint")
            .field("config", &self.config)
            .field("grants", &self.grants)
            .finish_non_exhaustive()
    }
}

impl AuthorizationEndpoint {
    /// An endpoint applying `config` to clients of `registry`, asking `authenticator` about
    /// users, keeping codes in `grants` (share it with the token endpoint's grant handler),
    /// with time from `clock`.
    #[must_use]
    pub fn new(
        config: AuthorizationCodeConfig,
        registry: Arc<dyn ClientRegistry>,
        authenticator: Arc<dyn UserAuthenticator>,
        grants: AuthorizationGrants,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            config,
            registry,
            authenticator,
            grants,
            clock,
        }
    }

    /// Draw codes from `rng` (default: the `grants`' random source).
    #[must_use]
    pub fn with_random(mut self, rng: Arc<dyn SecureRandom>) -> Self {
        self.grants = self.grants.with_random(rng);
        self
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &AuthorizationCodeConfig {
        &self.config
    }

    /// Answer an authorization request.
    pub async fn handle(&self, request: HttpRequest) -> HttpResponse {
        match self.authorize(&request).await {
            Ok(response) => response,
            Err(Refusal::Page(e)) => {
                tracing::info!(status = e.status.as_u16(), reason = %e.log_reason, "authorization request refused (no redirect)");
                let mut response = error_page(e.status, e.message);
                if e.status == StatusCode::METHOD_NOT_ALLOWED {
                    response.headers_mut().insert(
                        http::header::ALLOW,
                        http::HeaderValue::from_static("GET, POST"),
                    );
                }
                response
            }
            Err(Refusal::Redirect {
                redirect_uri,
                state,
                error,
            }) => {
                tracing::info!(error = %error.code, reason = %error.log_reason, "authorization request refused");
                let mut params = vec![
                    ("error", error.code.as_str()),
                    ("error_description", error.description),
                ];
                if let Some(state) = state.as_deref() {
                    params.push(("state", state));
                }
                params.push(("iss", self.config.issuer.as_str()));
                redirect_response(&redirect_uri, &params)
                    .unwrap_or_else(|| error_page(StatusCode::BAD_REQUEST, "invalid redirect_uri"))
            }
        }
    }

    async fn authorize(&self, http: &HttpRequest) -> Result<HttpResponse, Refusal> {
        let form = request::read_parameters(http).map_err(Refusal::Page)?;
        let client_id = request::client_id(&form).map_err(Refusal::Page)?;
        let client = self
            .registry
            .client(&client_id)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "client registry failed");
                Refusal::Page(PageError {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    message: "the server cannot answer now",
                    log_reason: e.to_string(),
                })
            })?
            .ok_or_else(|| {
                Refusal::Page(PageError {
                    status: StatusCode::BAD_REQUEST,
                    message: "invalid authorization request: unknown client",
                    log_reason: "unknown client".to_owned(),
                })
            })?;
        let redirect_uri = request::redirect_uri(&form, &client).map_err(Refusal::Page)?;
        let redirect = |state: Option<String>, error: RedirectError| Refusal::Redirect {
            redirect_uri: redirect_uri.clone(),
            state,
            error,
        };
        let state = request::state(&form).map_err(|e| redirect(None, e))?;
        let validated = request::validate(
            &form,
            &self.config,
            &client,
            redirect_uri.clone(),
            state.clone(),
        )
        .map_err(|e| redirect(state.clone(), e))?;
        let user = match self.authenticator.authenticate(&validated, http).await {
            AuthenticationOutcome::Authenticated(user) => user,
            AuthenticationOutcome::Respond(mut response) => {
                // A login page is per user and per request: never cached unless the
                // application says otherwise.
                if !response.headers().contains_key(http::header::CACHE_CONTROL) {
                    response.headers_mut().insert(
                        http::header::CACHE_CONTROL,
                        http::HeaderValue::from_static("no-store"),
                    );
                }
                return Ok(response);
            }
            AuthenticationOutcome::Denied => {
                return Err(redirect(
                    state,
                    RedirectError {
                        code: ErrorCode::AccessDenied,
                        description: "the user or the server denied the request",
                        log_reason: "authenticator denied".to_owned(),
                    },
                ));
            }
            AuthenticationOutcome::LoginRequired => {
                return Err(redirect(
                    state,
                    RedirectError {
                        code: ErrorCode::Other("login_required".to_owned()),
                        description: "the user must sign in",
                        log_reason: "authenticator: login required".to_owned(),
                    },
                ));
            }
        };
        let now = self.clock.now_unix();
        let code = self
            .grants
            .issue_code(&validated, user, now, self.config.code_ttl)
            .await
            .map_err(|rejection| {
                redirect(
                    state.clone(),
                    RedirectError {
                        code: ErrorCode::ServerError,
                        description: "the server cannot answer now",
                        log_reason: rejection.log_reason,
                    },
                )
            })?;
        let mut params = vec![("code", code.expose())];
        if let Some(state) = state.as_deref() {
            params.push(("state", state));
        }
        params.push(("iss", self.config.issuer.as_str()));
        tracing::info!(client_id = %validated.client_id, "authorization code issued");
        redirect_response(&redirect_uri, &params).ok_or_else(|| {
            Refusal::Page(PageError {
                status: StatusCode::BAD_REQUEST,
                message: "invalid redirect_uri",
                log_reason: "registered redirect_uri is not a URL".to_owned(),
            })
        })
    }
}

enum Refusal {
    Page(PageError),
    Redirect {
        redirect_uri: String,
        state: Option<String>,
        error: RedirectError,
    },
}

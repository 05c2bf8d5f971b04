//! `[as.login]`: the AS signs users in by federating to the IdP with OpenID Connect (the AS is
//! a relying party of the IdP), then asks for consent (CL-06, the interactive fallback).
//!
//! The MCP client sends the browser to `{as}/authorize`; ema-server validates the request,
//! then [`FederatedLogin`] (the AS's [`UserAuthenticator`]) decides:
//!
//! 1. no session → the browser goes to the IdP's authorization endpoint (OIDC discovery,
//!    PKCE `S256`, `state`, `nonce`, `login_hint` passed through); a `login` cookie binds the
//!    login to this browser;
//! 2. the IdP redirects to `{as}/login/callback`: the code is redeemed at the IdP, the ID
//!    token validated against the IdP's JWKS, and a session opened for its `sub` — the
//!    principal the jwt-bearer grant maps an ID-JAG of the same IdP to — then the browser
//!    goes back to `{as}/authorize` with the same request;
//! 3. with a session, the consent page shows the client, the resource and the scopes; its
//!    form posts the request back with a consent id (the CSRF token) bound to the session
//!    and to that exact request, single use;
//! 4. Approve → ema-server issues the code and redirects with `code`, `state`, `iss`;
//!    Deny → `error=access_denied`.
//!
//! State (logins in progress, sessions, consent forms) stays server-side, bounded and
//! short-lived, under unguessable ids from the injected random source; cookies are
//! `HttpOnly; SameSite=Lax; Path={as issuer path}` (and `Secure` for an `https` issuer).

mod page;
mod pending;

use std::sync::Arc;

use async_trait::async_trait;
use axum::Router;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::get;
use ema_client::{
    ClientAuthMethod, ClientCredentials, Context, ErrorKind, IdpEndpoints, OidcLogin,
    OidcLoginConfig, PendingLogin, discover_idp,
};
use ema_metadata::ReqwestClient;
use ema_metadata::discovery::{Discovery, DiscoveryConfig};
use ema_server::authorization_code::{
    AuthenticatedUser, AuthenticationOutcome, AuthorizationRequest, UserAuthenticator,
};
use ema_server::authorization_server::ResourceConfig;
use ema_server::axum::into_axum;
use ema_server::endpoint::{HttpRequest, HttpResponse};
use ema_types::{Clock, Form, Issuer, ScopeSet, Secret, SecureRandom};
use http::{HeaderValue, StatusCode, header};
use tokio::sync::OnceCell;

use self::pending::Pending;
use super::RoleError;
use crate::config::AsLoginSpec;

/// The session cookie.
const SESSION_COOKIE: &str = "ema_as_session";
/// The cookie binding a login in progress to the browser that started it.
const LOGIN_COOKIE: &str = "ema_as_login";
/// Form fields of the consent page (never authorization parameters).
const CONSENT_FIELD: &str = "ema_consent";
const DECISION_FIELD: &str = "ema_decision";
/// Logins in progress: at most this many, each for this long.
const LOGINS: (usize, u64) = (10_000, 600);
/// Sessions.
const SESSIONS: (usize, u64) = (10_000, 900);
/// Consent forms.
const CONSENTS: (usize, u64) = (10_000, 600);
/// The largest authorization request kept for the return from the IdP.
const MAX_PARAMS_BYTES: usize = 8 * 1024;

/// What a session holds.
#[derive(Clone)]
enum Session {
    /// Signed in; `fresh_for` is the request the sign-in was made for (it satisfies
    /// `prompt=login`, `max_age` and a `login_hint` once).
    User {
        user: AuthenticatedUser,
        fresh_for: Option<String>,
    },
    /// The sign-in for `params` failed: that request is answered with an error, once.
    Failed {
        login_required: bool,
        params: String,
    },
}

/// A login in progress, under its `state`.
#[derive(Clone)]
struct LoginState {
    login: OidcLogin,
    pending: PendingLogin,
    binding: Secret,
    params: String,
}

/// A consent form shown, under its id.
#[derive(Clone)]
struct ConsentState {
    session: Secret,
    request: AuthorizationRequest,
}

struct Inner {
    spec: AsLoginSpec,
    /// `{as}/login/callback`.
    callback: String,
    /// `{as}/authorize`.
    authorize_url: String,
    /// The path of the authorization endpoint (the consent form's action).
    authorize_path: String,
    /// The cookies' `Path`.
    cookie_path: String,
    secure: bool,
    subjects: Option<Vec<String>>,
    resources: Vec<ResourceConfig>,
    http: ReqwestClient,
    discovery: Discovery,
    endpoints: OnceCell<IdpEndpoints>,
    clock: Arc<dyn Clock>,
    rng: Arc<dyn SecureRandom>,
    logins: Pending<LoginState>,
    sessions: Pending<Session>,
    consents: Pending<ConsentState>,
}

/// The AS's sign-in at the IdP and its consent page: see the [module documentation](self).
#[derive(Clone)]
pub(crate) struct FederatedLogin {
    inner: Arc<Inner>,
}

impl FederatedLogin {
    /// The sign-in of the AS `issuer` at `spec.idp_issuer`. Nothing is fetched yet: the IdP
    /// is discovered at the first sign-in (it may be served by this very process).
    pub(crate) fn new(
        spec: &AsLoginSpec,
        issuer: &Issuer,
        resources: Vec<ResourceConfig>,
        subjects: Option<Vec<String>>,
        dev_allow_http: bool,
        clock: Arc<dyn Clock>,
        rng: Arc<dyn SecureRandom>,
    ) -> Result<Self, RoleError> {
        let http = crate::flow::http_client().map_err(|e| RoleError::new("as.login", e))?;
        let discovery = if dev_allow_http {
            Discovery::new(http.clone()).with_config(DiscoveryConfig::development())
        } else {
            Discovery::new(http.clone())
        };
        let base = issuer.as_str().trim_end_matches('/');
        let url =
            url::Url::parse(base).map_err(|e| RoleError::new("as.issuer_path", e.to_string()))?;
        let cookie_path = url.path().to_owned();
        Ok(Self {
            inner: Arc::new(Inner {
                spec: spec.clone(),
                callback: crate::config::login_callback(base),
                authorize_url: format!("{base}/authorize"),
                authorize_path: format!("{}/authorize", cookie_path.trim_end_matches('/')),
                cookie_path,
                secure: url.scheme() == "https",
                subjects,
                resources,
                http,
                discovery,
                endpoints: OnceCell::new(),
                clock,
                rng,
                logins: Pending::new(LOGINS.0, LOGINS.1),
                sessions: Pending::new(SESSIONS.0, SESSIONS.1),
                consents: Pending::new(CONSENTS.0, CONSENTS.1),
            }),
        })
    }

    /// `GET {as}/login/callback`, where the IdP sends the browser back.
    pub(crate) fn router(&self) -> Router {
        let path = format!(
            "{}/login/callback",
            self.inner.cookie_path.trim_end_matches('/')
        );
        Router::new()
            .route(&path, get(callback))
            .with_state(self.clone())
    }

    fn cookie(&self, name: &str, value: &str, max_age: u64) -> Option<HeaderValue> {
        let secure = if self.inner.secure { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{name}={value}; HttpOnly; SameSite=Lax; Path={}; Max-Age={max_age}{secure}",
            self.inner.cookie_path
        ))
        .ok()
    }

    async fn endpoints(&self) -> Result<&IdpEndpoints, String> {
        self.inner
            .endpoints
            .get_or_try_init(|| async {
                discover_idp(&self.inner.discovery, &self.inner.spec.idp_issuer)
                    .await
                    .map_err(|e| format!("IdP discovery: {e}"))
            })
            .await
    }

    /// No usable session: send the browser to the IdP.
    async fn start_login(&self, request: &AuthorizationRequest, params: String) -> HttpResponse {
        let unavailable = |why: String| {
            tracing::warn!(reason = %why, "AS sign-in cannot start");
            page::error(
                StatusCode::BAD_GATEWAY,
                "The identity provider cannot be reached. Try again later.",
            )
        };
        let endpoints = match self.endpoints().await {
            Ok(e) => e,
            Err(why) => return unavailable(why),
        };
        let Some(authorize) = endpoints.authorization_endpoint.clone() else {
            return unavailable("the IdP metadata has no authorization_endpoint".to_owned());
        };
        let spec = &self.inner.spec;
        let mut config = OidcLoginConfig::new(
            spec.idp_issuer.clone(),
            authorize,
            endpoints.token_endpoint.clone(),
            spec.client_id.clone(),
            self.inner.callback.clone(),
        )
        .with_credentials(ClientCredentials::new(
            spec.client_id.clone(),
            ClientAuthMethod::SecretBasic(spec.client_secret.clone()),
        ))
        .with_scope(spec.scopes.clone());
        if let Some(hint) = &request.login_hint {
            config = config.with_param("login_hint", hint.clone());
        }
        let login = OidcLogin::new(config);
        let rng = &*self.inner.rng;
        let (url, pending) = match login.begin(rng) {
            Ok(begun) => begun,
            Err(e) => return unavailable(format!("login: {e}")),
        };
        let Ok(binding) = rng.token_id(pending::ID_BYTES) else {
            return unavailable("random source failed".to_owned());
        };
        let state = pending.state().expose().to_owned();
        let now = self.inner.clock.now_unix();
        let kept = LoginState {
            login,
            pending,
            binding: Secret::new(binding.clone()),
            params,
        };
        if self.inner.logins.insert_at(state, now, kept).is_err() {
            return unavailable("too many sign-ins in progress".to_owned());
        }
        let Ok(location) = HeaderValue::from_str(url.as_str()) else {
            return unavailable("the IdP authorization URL is not a header value".to_owned());
        };
        let mut response = redirect(location);
        if let Some(cookie) = self.cookie(LOGIN_COOKIE, &binding, self.inner.logins.ttl()) {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
        tracing::info!(client_id = %request.client_id, "AS sign-in: to the IdP");
        response
    }

    /// The consent page for `user`, with a consent form bound to `session` and `request`.
    fn consent_page(
        &self,
        request: &AuthorizationRequest,
        session: &str,
        user: &AuthenticatedUser,
        params: &[(String, String)],
    ) -> AuthenticationOutcome {
        let resource = match request.resources.as_slice() {
            [one] => self.inner.resources.iter().find(|r| &r.resource == one),
            [] if self.inner.resources.len() == 1 => self.inner.resources.first(),
            _ => None,
        };
        let Some(resource) = resource else {
            return AuthenticationOutcome::Denied;
        };
        let asked = if request.scope.is_empty() {
            resource.default_scopes.clone()
        } else {
            request.scope.clone()
        };
        let scopes: ScopeSet = asked.intersection(&resource.scopes);
        let now = self.inner.clock.now_unix();
        let state = ConsentState {
            session: Secret::new(session.to_owned()),
            request: request.clone(),
        };
        let Ok(consent_id) = self.inner.consents.insert(&*self.inner.rng, now, state) else {
            return AuthenticationOutcome::Respond(page::error(
                StatusCode::SERVICE_UNAVAILABLE,
                "Too many authorizations in progress. Try again later.",
            ));
        };
        AuthenticationOutcome::Respond(page::consent(&page::Consent {
            action: &self.inner.authorize_path,
            client_id: request.client_id.as_str(),
            redirect_uri: &request.redirect_uri,
            resource: resource.resource.as_str(),
            scopes: scopes.iter().map(|s| s.as_str()).collect(),
            user: &user.subject,
            params,
            consent_id: &consent_id,
        }))
    }

    /// A posted consent form: approve or deny, when it is this session's form for this
    /// very request.
    fn decide(
        &self,
        request: &AuthorizationRequest,
        cookies: &[(String, String)],
        consent_id: &str,
        decision: Option<&str>,
    ) -> AuthenticationOutcome {
        let refused = || {
            AuthenticationOutcome::Respond(page::error(
                StatusCode::BAD_REQUEST,
                "This authorization form has expired or was not issued to you. Start again from the application.",
            ))
        };
        let now = self.inner.clock.now_unix();
        let Some(consent) = self.inner.consents.take(consent_id, now) else {
            return refused();
        };
        let Some(session_id) = cookie(cookies, SESSION_COOKIE) else {
            return refused();
        };
        if !consent.session.ct_eq_str(session_id) || consent.request != *request {
            return refused();
        }
        let Some(Session::User { user, .. }) = self.inner.sessions.get(session_id, now) else {
            return refused();
        };
        match decision {
            Some("approve") => {
                tracing::info!(client_id = %request.client_id, "consent given");
                AuthenticationOutcome::Authenticated(user)
            }
            Some("deny") => {
                tracing::info!(client_id = %request.client_id, "consent refused");
                AuthenticationOutcome::Denied
            }
            _ => refused(),
        }
    }

    fn allowed(&self, subject: &str) -> bool {
        self.inner
            .subjects
            .as_ref()
            .is_none_or(|list| list.iter().any(|s| s == subject))
    }
}

#[async_trait]
impl UserAuthenticator for FederatedLogin {
    async fn authenticate(
        &self,
        request: &AuthorizationRequest,
        http: &HttpRequest,
    ) -> AuthenticationOutcome {
        let cookies = cookies(http);
        let raw = if http.method() == http::Method::POST {
            http.body().as_slice()
        } else {
            http.uri().query().unwrap_or_default().as_bytes()
        };
        let Ok(form) = Form::decode(raw) else {
            return AuthenticationOutcome::Denied;
        };
        if http.method() == http::Method::POST
            && let Some(consent_id) = field(&form, CONSENT_FIELD)
        {
            return self.decide(request, &cookies, consent_id, field(&form, DECISION_FIELD));
        }
        // The authorization request as it came (without consent fields): shown again after
        // the IdP, posted back by the consent form.
        let params: Vec<(String, String)> = form_urlencoded::parse(raw)
            .filter(|(k, _)| k != CONSENT_FIELD && k != DECISION_FIELD)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let encoded = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params.iter())
            .finish();
        if encoded.len() > MAX_PARAMS_BYTES {
            return AuthenticationOutcome::Respond(page::error(
                StatusCode::BAD_REQUEST,
                "The authorization request is too large.",
            ));
        }
        let now = self.inner.clock.now_unix();
        let prompt = |value: &str| {
            request
                .prompt
                .as_deref()
                .is_some_and(|p| p.split(' ').any(|x| x == value))
        };
        if let Some(session_id) = cookie(&cookies, SESSION_COOKIE) {
            match self.inner.sessions.get(session_id, now) {
                Some(Session::Failed {
                    login_required,
                    params: failed,
                }) if failed == encoded => {
                    self.inner.sessions.remove(session_id);
                    return if login_required {
                        AuthenticationOutcome::LoginRequired
                    } else {
                        AuthenticationOutcome::Denied
                    };
                }
                Some(Session::User { user, fresh_for }) => {
                    let fresh = fresh_for.as_deref() == Some(encoded.as_str());
                    let other_user = request
                        .login_hint
                        .as_deref()
                        .is_some_and(|h| h != user.subject);
                    let too_old = request.max_age.is_some_and(|max| {
                        user.auth_time.is_none_or(|t| now.saturating_sub(t) > max)
                    });
                    if fresh || !(prompt("login") || other_user || too_old) {
                        if !self.allowed(&user.subject) {
                            tracing::info!("AS sign-in: subject not in as.subjects");
                            return AuthenticationOutcome::Denied;
                        }
                        if prompt("none") {
                            // Consent is asked every time: it cannot be given without a page.
                            return AuthenticationOutcome::Denied;
                        }
                        return self.consent_page(request, session_id, &user, &params);
                    }
                }
                _ => {}
            }
        }
        if prompt("none") {
            return AuthenticationOutcome::LoginRequired;
        }
        AuthenticationOutcome::Respond(self.start_login(request, encoded).await)
    }
}

/// `GET {as}/login/callback`: redeem the IdP's code, validate the ID token, open a session
/// and send the browser back to the authorization endpoint with the original request.
async fn callback(State(login): State<FederatedLogin>, request: Request) -> Response {
    let query = request.uri().query().unwrap_or_default().to_owned();
    let cookies = header_cookies(request.headers());
    into_axum(login.finish(&query, &cookies).await)
}

impl FederatedLogin {
    async fn finish(&self, query: &str, cookies: &[(String, String)]) -> HttpResponse {
        let inner = &self.inner;
        let bad = || {
            page::error(
                StatusCode::BAD_REQUEST,
                "This sign-in has expired or was not started here. Start again from the application.",
            )
        };
        let Ok(form) = Form::decode(query.as_bytes()) else {
            return bad();
        };
        let Some(state) = field(&form, "state") else {
            return bad();
        };
        let now = inner.clock.now_unix();
        let Some(kept) = inner.logins.take(state, now) else {
            return bad();
        };
        let bound =
            cookie(cookies, LOGIN_COOKIE).is_some_and(|value| kept.binding.ct_eq_str(value));
        if !bound {
            tracing::info!("AS sign-in callback: not from the browser that started it");
            return bad();
        }
        let session = match self.complete(&kept, query).await {
            Ok(user) => Session::User {
                user,
                fresh_for: Some(kept.params.clone()),
            },
            Err(login_required) => Session::Failed {
                login_required,
                params: kept.params.clone(),
            },
        };
        let Ok(session_id) = inner.sessions.insert(&*inner.rng, now, session) else {
            return page::error(
                StatusCode::SERVICE_UNAVAILABLE,
                "Too many sessions. Try again later.",
            );
        };
        let Ok(location) =
            HeaderValue::from_str(&format!("{}?{}", inner.authorize_url, kept.params))
        else {
            return bad();
        };
        let mut response = redirect(location);
        for cookie in [
            self.cookie(SESSION_COOKIE, &session_id, inner.sessions.ttl()),
            self.cookie(LOGIN_COOKIE, "", 0),
        ]
        .into_iter()
        .flatten()
        {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
        response
    }

    /// Redeem the code and validate the ID token; `Err(true)` when the IdP answered
    /// `login_required`, `Err(false)` for every other failure (logged).
    async fn complete(&self, kept: &LoginState, query: &str) -> Result<AuthenticatedUser, bool> {
        let inner = &self.inner;
        let endpoints = self.endpoints().await.map_err(|why| {
            tracing::warn!(reason = %why, "AS sign-in failed");
            false
        })?;
        let Some(jwks_uri) = &endpoints.jwks_uri else {
            tracing::warn!("AS sign-in failed: the IdP metadata has no jwks_uri");
            return Err(false);
        };
        let keys = crate::flow::fetch_key_set(&inner.http, jwks_uri.as_str())
            .await
            .map_err(|why| {
                tracing::warn!(reason = %why, "AS sign-in failed: IdP keys");
                false
            })?;
        let ctx = Context::new(&inner.http, &*inner.clock, &*inner.rng);
        match kept.login.complete(&ctx, &kept.pending, query, &keys).await {
            Ok(result) => {
                let claims = result.claims;
                let mut user = AuthenticatedUser::new(claims.sub)
                    .with_auth_time(claims.auth_time.unwrap_or_else(|| inner.clock.now_unix()));
                if let Some(email) = claims.email {
                    user = user.with_email(email);
                }
                tracing::info!("AS sign-in: ID token validated");
                Ok(user)
            }
            Err(e) => {
                let login_required = matches!(
                    e.kind(),
                    ErrorKind::AuthorizationDenied(r) if r.error.as_str() == "login_required"
                );
                tracing::info!(error = %e, "AS sign-in failed");
                Err(login_required)
            }
        }
    }
}

fn redirect(location: HeaderValue) -> HttpResponse {
    let mut response = HttpResponse::new(Vec::new());
    *response.status_mut() = StatusCode::FOUND;
    response.headers_mut().insert(header::LOCATION, location);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn cookies(http: &HttpRequest) -> Vec<(String, String)> {
    header_cookies(http.headers())
}

/// Every `name=value` of the `Cookie` headers (bounded by the server's header limits).
fn header_cookies(headers: &http::HeaderMap) -> Vec<(String, String)> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// A parameter given once (a repeated one counts as absent).
fn field<'a>(form: &'a Form, name: &str) -> Option<&'a str> {
    form.single(name).ok().flatten()
}

fn cookie<'a>(cookies: &'a [(String, String)], name: &str) -> Option<&'a str> {
    cookies
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

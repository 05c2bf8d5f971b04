//! Subject tokens: what the client presents to the IdP in the token exchange (CL-01, CL-16).

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use ema_types::{Form, ScopeSet, Secret, TokenResponse, TokenType, urn};

use crate::error::{Error, ErrorKind, Leg};
use crate::legs::{Context, Party};
use crate::wire::post_token_request;

/// A subject token and its type (`subject_token`, `subject_token_type`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SubjectToken {
    /// The token (redacted in `Debug`).
    pub token: Secret,
    /// Its RFC 8693 type: an ID token, an IdP refresh token, or a SAML assertion.
    pub token_type: TokenType,
}

impl SubjectToken {
    /// A subject token of `token_type`.
    #[must_use]
    pub fn new(token: Secret, token_type: TokenType) -> Self {
        Self { token, token_type }
    }

    /// An OpenID Connect ID token.
    #[must_use]
    pub fn id_token(token: Secret) -> Self {
        Self::new(token, TokenType::IdToken)
    }

    /// An IdP refresh token (CL-16, CL-19).
    #[must_use]
    pub fn refresh_token(token: Secret) -> Self {
        Self::new(token, TokenType::RefreshToken)
    }
}

/// Supplies the subject token for each exchange and renews it when the IdP rejects it.
#[async_trait]
pub trait SubjectTokenSource: Send + Sync + fmt::Debug {
    /// The current subject token (renewed first if it is known to be expired).
    async fn subject_token(&self, ctx: &Context<'_>) -> Result<SubjectToken, Error>;

    /// The IdP rejected the subject token (`invalid_request`/`invalid_grant`, OQ-09): renew
    /// it if possible. `Ok(true)` means a new token is available and the exchange should be
    /// tried once more; `Ok(false)` means the user must sign in again.
    async fn refresh(&self, ctx: &Context<'_>) -> Result<bool, Error> {
        let _ = ctx;
        Ok(false)
    }
}

/// A fixed subject token, typically the ID token of the user's SSO login.
#[derive(Debug, Clone)]
pub struct StaticIdToken(SubjectToken);

impl StaticIdToken {
    /// A fixed ID token.
    #[must_use]
    pub fn new(id_token: Secret) -> Self {
        Self(SubjectToken::id_token(id_token))
    }

    /// A fixed subject token of any type (for example a SAML assertion).
    #[must_use]
    pub fn with_type(token: Secret, token_type: TokenType) -> Self {
        Self(SubjectToken::new(token, token_type))
    }
}

#[async_trait]
impl SubjectTokenSource for StaticIdToken {
    async fn subject_token(&self, _ctx: &Context<'_>) -> Result<SubjectToken, Error> {
        Ok(self.0.clone())
    }
}

/// What an [`OidcRefreshSource`] presents as the subject token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefreshMode {
    /// Renew the ID token with the refresh token (`grant_type=refresh_token`) and present
    /// the ID token.
    RenewIdToken,
    /// Present the refresh token itself (`subject_token_type` refresh token), for IdPs that
    /// accept it; when the IdP rejects it, fall back to renewing the ID token (CL-16).
    PresentRefreshToken,
}

#[derive(Default)]
struct RefreshState {
    refresh_token: Secret,
    id_token: Option<Secret>,
    id_token_exp: Option<u64>,
}

/// A subject-token source on an IdP refresh token (CL-16): renews the ID token at the IdP
/// token endpoint before it expires, or presents the refresh token itself.
///
/// A rotated refresh token in the IdP's answer replaces the old one.
///
/// The renewed ID token is presented to the IdP that issued it, which validates it; this
/// source reads its `exp` only to schedule the next renewal.
pub struct OidcRefreshSource {
    idp: Party,
    mode: RefreshMode,
    scope: Option<ScopeSet>,
    margin: u64,
    refresh_token_rejected: AtomicBool,
    state: tokio::sync::Mutex<RefreshState>,
}

impl fmt::Debug for OidcRefreshSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcRefreshSource")
            .field("idp", &self.idp)
            .field("mode", &self.mode)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl OidcRefreshSource {
    /// A source that renews ID tokens with `refresh_token` at `idp` (its token endpoint and
    /// the client's credentials there).
    #[must_use]
    pub fn new(idp: Party, refresh_token: Secret, mode: RefreshMode) -> Self {
        Self {
            idp,
            mode,
            scope: None,
            margin: 30,
            refresh_token_rejected: AtomicBool::new(false),
            state: tokio::sync::Mutex::new(RefreshState {
                refresh_token,
                ..RefreshState::default()
            }),
        }
    }

    /// Start with an ID token already held (from the login).
    #[must_use]
    pub fn with_id_token(self, id_token: Secret) -> Self {
        let exp = id_token_exp(&id_token);
        {
            // No contention before the source is shared.
            if let Ok(mut state) = self.state.try_lock() {
                state.id_token = Some(id_token);
                state.id_token_exp = exp;
            }
        }
        self
    }

    /// Send `scope` with the refresh request (for example `openid`).
    #[must_use]
    pub fn with_scope(mut self, scope: ScopeSet) -> Self {
        self.scope = Some(scope);
        self
    }

    /// Renew the ID token this many seconds before its `exp` (default 30).
    #[must_use]
    pub fn with_margin(mut self, secs: u64) -> Self {
        self.margin = secs;
        self
    }

    async fn renew(&self, ctx: &Context<'_>, state: &mut RefreshState) -> Result<(), Error> {
        let leg = Leg::SubjectToken;
        let mut form = Form::new();
        form.push("grant_type", urn::GRANT_TYPE_REFRESH_TOKEN);
        form.push("refresh_token", state.refresh_token.expose());
        form.push_opt("scope", self.scope.as_ref().map(ScopeSet::to_string));
        let auth = self
            .idp
            .credentials
            .authenticate(leg, &self.idp.issuer, ctx.clock, ctx.rng)?;
        let response: TokenResponse =
            post_token_request(ctx.http, leg, &self.idp.token_endpoint, form, Some(auth)).await?;
        let id_token = response.id_token.ok_or_else(|| {
            Error::new(
                leg,
                ErrorKind::SubjectTokenUnavailable("the IdP's refresh response has no id_token"),
            )
        })?;
        state.id_token_exp = id_token_exp(&id_token);
        state.id_token = Some(id_token);
        if let Some(rotated) = response.refresh_token {
            state.refresh_token = rotated;
        }
        tracing::debug!("renewed the ID token with the IdP refresh token");
        Ok(())
    }

    fn presents_refresh_token(&self) -> bool {
        self.mode == RefreshMode::PresentRefreshToken
            && !self.refresh_token_rejected.load(Ordering::Acquire)
    }
}

/// The `exp` of a JWT, read without verification (only to schedule renewal).
fn id_token_exp(token: &Secret) -> Option<u64> {
    let jws = ema_jwt::compact::UnverifiedJws::decode(
        token.expose(),
        ema_jwt::compact::DEFAULT_MAX_TOKEN_BYTES,
    )
    .ok()?;
    jws.claims().get("exp").and_then(serde_json::Value::as_u64)
}

#[async_trait]
impl SubjectTokenSource for OidcRefreshSource {
    async fn subject_token(&self, ctx: &Context<'_>) -> Result<SubjectToken, Error> {
        let mut state = self.state.lock().await;
        if self.presents_refresh_token() {
            return Ok(SubjectToken::refresh_token(state.refresh_token.clone()));
        }
        let now = ctx.clock.now_unix();
        let fresh = state.id_token.is_some()
            && state
                .id_token_exp
                .is_none_or(|exp| now.saturating_add(self.margin) < exp);
        if !fresh {
            self.renew(ctx, &mut state).await?;
        }
        state
            .id_token
            .clone()
            .map(SubjectToken::id_token)
            .ok_or_else(|| {
                Error::new(
                    Leg::SubjectToken,
                    ErrorKind::SubjectTokenUnavailable("no ID token"),
                )
            })
    }

    async fn refresh(&self, ctx: &Context<'_>) -> Result<bool, Error> {
        if self.presents_refresh_token() {
            // CL-16: the IdP does not take the refresh token as a subject token; use ID tokens.
            self.refresh_token_rejected.store(true, Ordering::Release);
        }
        let mut state = self.state.lock().await;
        self.renew(ctx, &mut state).await?;
        Ok(true)
    }
}

/// CL-19 (IDJAG §4.5): exchange a SAML assertion from the SSO for an IdP refresh token
/// (`subject_token_type` saml2, `requested_token_type` refresh token, `scope=openid
/// offline_access`), to be presented as the subject token of later exchanges (for example
/// through [`OidcRefreshSource`] with [`RefreshMode::PresentRefreshToken`]).
pub async fn exchange_saml_for_refresh_token(
    ctx: &Context<'_>,
    idp: &Party,
    assertion: &Secret,
) -> Result<Secret, Error> {
    let leg = Leg::SubjectToken;
    let bad = |why| Error::new(leg, ErrorKind::InvalidResponse(why));
    let mut form = Form::new();
    form.push("grant_type", urn::GRANT_TYPE_TOKEN_EXCHANGE);
    form.push("requested_token_type", urn::TOKEN_TYPE_REFRESH_TOKEN);
    form.push("scope", "openid offline_access");
    form.push("subject_token", assertion.expose());
    form.push("subject_token_type", urn::TOKEN_TYPE_SAML2);
    let auth = idp
        .credentials
        .authenticate(leg, &idp.issuer, ctx.clock, ctx.rng)?;
    let response: ema_types::TokenExchangeResponse =
        post_token_request(ctx.http, leg, &idp.token_endpoint, form, Some(auth)).await?;
    if response.issued_token_type != TokenType::RefreshToken {
        return Err(bad("issued_token_type is not the refresh token type"));
    }
    if response.access_token.is_empty() {
        return Err(bad("empty access_token"));
    }
    Ok(response.access_token)
}

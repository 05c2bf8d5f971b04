//! OpenID Connect authorization-code login with PKCE (CL-01, CL-02), to obtain the ID token
//! (and IdP refresh token) the exchange starts from.
//!
//! [`OidcLogin::begin`] builds the authorization URL with `state`, `nonce` and an `S256`
//! `code_challenge` from the injected random source; the host sends the user there and
//! receives the redirect (for command-line hosts, see `LoopbackListener` behind the
//! `loopback-login` feature); [`OidcLogin::complete`] validates the callback (`state` in
//! constant time, `iss` when present or required), exchanges the code with the
//! `code_verifier`, and validates the ID token including its `nonce`.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ema_types::{ClientId, Form, Issuer, ScopeSet, Secret, SecureRandom};
use sha2::{Digest as _, Sha256};
use url::Url;

use crate::auth::ClientCredentials;
use crate::error::{Error, ErrorKind, Leg};

/// Bytes of randomness in `state` and `nonce` (128 bits).
const STATE_BYTES: usize = 16;
/// Bytes of randomness in the PKCE `code_verifier` (256 bits; 43 characters).
const VERIFIER_BYTES: usize = 32;

/// The login's configuration: the IdP endpoints and the client's registration there.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct OidcLoginConfig {
    /// The IdP issuer (the expected `iss` of the callback and the ID token).
    pub issuer: Issuer,
    /// The authorization endpoint.
    pub authorization_endpoint: Url,
    /// The token endpoint.
    pub token_endpoint: Url,
    /// The client id at the IdP (the ID token `aud`).
    pub client_id: ClientId,
    /// Client authentication for the code exchange; `None` for a public client (PKCE only).
    pub credentials: Option<ClientCredentials>,
    /// The registered redirect URI.
    pub redirect_uri: String,
    /// Requested scopes; `openid` is always added. Add `offline_access` for a refresh token
    /// (CL-01).
    pub scope: ScopeSet,
    /// Extra authorization parameters, for example `max_age` or `acr_values` when the IdP
    /// asked for stronger authentication (CL-18).
    pub extra_params: Vec<(String, String)>,
    /// Reject a callback without `iss` (RFC 9207; set when the IdP metadata has
    /// `authorization_response_iss_parameter_supported: true`).
    pub require_iss: bool,
}

impl OidcLoginConfig {
    /// A configuration with scope `openid` and no extra parameters.
    #[must_use]
    pub fn new(
        issuer: Issuer,
        authorization_endpoint: Url,
        token_endpoint: Url,
        client_id: ClientId,
        redirect_uri: impl Into<String>,
    ) -> Self {
        Self {
            issuer,
            authorization_endpoint,
            token_endpoint,
            client_id,
            credentials: None,
            redirect_uri: redirect_uri.into(),
            scope: ScopeSet::new(),
            extra_params: Vec::new(),
            require_iss: false,
        }
    }

    /// Authenticate the code exchange with `credentials`.
    #[must_use]
    pub fn with_credentials(mut self, credentials: ClientCredentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Request `scope` (in addition to `openid`).
    #[must_use]
    pub fn with_scope(mut self, scope: ScopeSet) -> Self {
        self.scope = scope;
        self
    }

    /// Add an authorization parameter (for example `max_age=0`, CL-18).
    #[must_use]
    pub fn with_param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra_params.push((name.into(), value.into()));
        self
    }

    /// Require `iss` in the callback (RFC 9207).
    #[must_use]
    pub fn require_iss(mut self, require: bool) -> Self {
        self.require_iss = require;
        self
    }
}

/// The secrets of one login in progress: keep them until the callback, then pass them to
/// [`OidcLogin::complete`]. Redacted in `Debug`.
#[derive(Clone)]
pub struct PendingLogin {
    state: Secret,
    nonce: Secret,
    code_verifier: Secret,
}

impl fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PendingLogin([redacted])")
    }
}

impl PendingLogin {
    /// The `state` value sent (to correlate several logins in progress).
    #[must_use]
    pub fn state(&self) -> &Secret {
        &self.state
    }
}

/// A finished login.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LoginResult {
    /// The validated ID token (the subject token of the exchange).
    pub id_token: Secret,
    /// The IdP refresh token, if issued (CL-16).
    pub refresh_token: Option<Secret>,
    /// The ID token's claims.
    pub claims: ema_types::claims::IdTokenClaims,
}

/// The authorization-code + PKCE login.
#[derive(Debug, Clone)]
pub struct OidcLogin {
    config: OidcLoginConfig,
}

impl OidcLogin {
    /// A login with `config`.
    #[must_use]
    pub fn new(config: OidcLoginConfig) -> Self {
        Self { config }
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &OidcLoginConfig {
        &self.config
    }

    /// Build the authorization URL (`response_type=code`, `client_id`, `redirect_uri`,
    /// `scope` with `openid`, `state`, `nonce`, `code_challenge`, `code_challenge_method=S256`)
    /// and the secrets to keep until the callback.
    pub fn begin(&self, rng: &dyn SecureRandom) -> Result<(Url, PendingLogin), Error> {
        let random = |n| {
            rng.token_id(n)
                .map(Secret::new)
                .map_err(|_| Error::new(Leg::Login, ErrorKind::Randomness))
        };
        let pending = PendingLogin {
            state: random(STATE_BYTES)?,
            nonce: random(STATE_BYTES)?,
            code_verifier: random(VERIFIER_BYTES)?,
        };
        let challenge = pkce_challenge(&pending.code_verifier);
        let mut scope = self.config.scope.clone();
        if let Ok(openid) = ema_types::Scope::new("openid") {
            scope.insert(openid);
        }
        let mut url = self.config.authorization_endpoint.clone();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code")
                .append_pair("client_id", self.config.client_id.as_str())
                .append_pair("redirect_uri", &self.config.redirect_uri)
                .append_pair("scope", &scope.to_string())
                .append_pair("state", pending.state.expose())
                .append_pair("nonce", pending.nonce.expose())
                .append_pair("code_challenge", &challenge)
                .append_pair("code_challenge_method", "S256");
            for (name, value) in &self.config.extra_params {
                q.append_pair(name, value);
            }
        }
        Ok((url, pending))
    }

    /// Validate the redirect's query string (or the whole redirect URL) and return the
    /// authorization code: `state` must match (compared in constant time), `iss` must equal
    /// the IdP issuer when present (and be present when required), an `error` answer becomes
    /// [`ErrorKind::AuthorizationDenied`], and every parameter may appear once.
    /// [`OidcLogin::complete`] calls it; hosts that exchange the code themselves call it
    /// directly.
    pub fn validate_callback(
        &self,
        pending: &PendingLogin,
        callback: &str,
    ) -> Result<Secret, Error> {
        let bad = |why| Error::new(Leg::Login, ErrorKind::Callback(why));
        let query = match callback.split_once('?') {
            Some((_, q)) => q,
            None => callback,
        };
        let query = query.split('#').next().unwrap_or_default();
        let form = Form::decode(query.as_bytes()).map_err(|_| bad("malformed query"))?;
        let one = |name| form.optional(name).map_err(|_| bad("repeated parameter"));
        let state = one("state")?.ok_or_else(|| bad("no state"))?;
        if !pending.state.ct_eq_str(state) {
            return Err(bad("state does not match"));
        }
        match one("iss")? {
            Some(iss) if iss != self.config.issuer.as_str() => {
                return Err(bad("iss does not match the IdP issuer"));
            }
            None if self.config.require_iss => return Err(bad("no iss")),
            _ => {}
        }
        if let Some(code) = one("error")? {
            let mut response = ema_types::ErrorResponse::new(ema_types::ErrorCode::parse(code));
            if let Some(d) = one("error_description")? {
                response = response.with_description(d);
            }
            return Err(Error::new(
                Leg::Login,
                ErrorKind::AuthorizationDenied(response),
            ));
        }
        let code = one("code")?.ok_or_else(|| bad("no code"))?;
        Ok(Secret::new(code))
    }

    /// Complete the login: check the callback, exchange the code (with `code_verifier`, and
    /// the client's credentials when configured), and validate the ID token (issuer, `aud` =
    /// client id, times, signature by the IdP's `keys`, `nonce`).
    #[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
    #[cfg_attr(docsrs, doc(cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))))]
    pub async fn complete(
        &self,
        ctx: &crate::Context<'_>,
        pending: &PendingLogin,
        callback: &str,
        keys: &ema_jwt::KeySet,
    ) -> Result<LoginResult, Error> {
        let leg = Leg::Login;
        let code = self.validate_callback(pending, callback)?;
        let mut form = Form::new();
        form.push("grant_type", ema_types::urn::GRANT_TYPE_AUTHORIZATION_CODE);
        form.push("code", code.expose());
        form.push("redirect_uri", self.config.redirect_uri.as_str());
        form.push("code_verifier", pending.code_verifier.expose());
        let auth = match &self.config.credentials {
            Some(c) => Some(c.authenticate(leg, &self.config.issuer, ctx.clock, ctx.rng)?),
            None => {
                form.push("client_id", self.config.client_id.as_str());
                None
            }
        };
        let response: ema_types::TokenResponse =
            crate::wire::post_token_request(ctx.http, leg, &self.config.token_endpoint, form, auth)
                .await?;
        let id_token = response.id_token.ok_or_else(|| {
            Error::new(
                leg,
                ErrorKind::InvalidResponse("the token response has no id_token"),
            )
        })?;
        let verifier = ema_jwt::verify::IdTokenVerifier::new(
            self.config.issuer.clone(),
            self.config.client_id.as_str(),
        );
        let claims = verifier
            .verify(
                id_token.expose(),
                keys,
                &ema_jwt::Algorithm::ALL,
                Some(pending.nonce.expose()),
                ctx.clock,
            )
            .map_err(|e| Error::new(leg, ErrorKind::Jwt(e)))?;
        Ok(LoginResult {
            id_token,
            refresh_token: response.refresh_token,
            claims,
        })
    }
}

/// `BASE64URL(SHA256(code_verifier))` (RFC 7636 §4.2).
fn pkce_challenge(verifier: &Secret) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.expose().as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Counter(std::sync::atomic::AtomicU8);
    impl SecureRandom for Counter {
        fn fill(&self, dest: &mut [u8]) -> Result<(), ema_types::RandomError> {
            let v = self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            dest.fill(v);
            Ok(())
        }
    }

    fn login() -> OidcLogin {
        OidcLogin::new(
            OidcLoginConfig::new(
                Issuer::new("https://login.acme-idp.test").unwrap(),
                "https://login.acme-idp.test/authorize".parse().unwrap(),
                "https://login.acme-idp.test/token".parse().unwrap(),
                ClientId::new("desk-7f3a").unwrap(),
                "http://127.0.0.1:8765/callback",
            )
            .with_scope("offline_access".parse().unwrap())
            .with_param("max_age", "0"),
        )
    }

    #[test]
    fn cl_02_rfc7636_appendix_b_vector() {
        let v = Secret::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(
            pkce_challenge(&v),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn cl_02_authorize_url_has_state_nonce_s256() {
        let rng = Counter(std::sync::atomic::AtomicU8::new(1));
        let (url, pending) = login().begin(&rng).unwrap();
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["client_id"], "desk-7f3a");
        assert_eq!(q["redirect_uri"], "http://127.0.0.1:8765/callback");
        assert_eq!(q["scope"], "offline_access openid");
        assert_eq!(q["state"], URL_SAFE_NO_PAD.encode([1u8; 16]));
        assert_eq!(q["nonce"], URL_SAFE_NO_PAD.encode([2u8; 16]));
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["code_challenge"], pkce_challenge(&pending.code_verifier));
        assert_eq!(q["max_age"], "0");
        assert!(!format!("{pending:?}").contains(&q["state"]));
    }

    #[test]
    fn cl_02_callback_checks() {
        let rng = Counter(std::sync::atomic::AtomicU8::new(1));
        let l = login();
        let (_, pending) = l.begin(&rng).unwrap();
        let state = pending.state.expose().to_owned();
        let ok = l
            .validate_callback(&pending, &format!("/callback?code=abc&state={state}"))
            .unwrap();
        assert_eq!(ok.expose(), "abc");
        let with_iss = format!("code=abc&state={state}&iss=https%3A%2F%2Flogin.acme-idp.test");
        assert!(l.validate_callback(&pending, &with_iss).is_ok());
        for (bad, why) in [
            ("code=abc&state=wrong".to_owned(), "state does not match"),
            ("code=abc".to_owned(), "no state"),
            (format!("state={state}"), "no code"),
            (
                format!("code=abc&state={state}&state={state}"),
                "repeated parameter",
            ),
            (
                format!("code=abc&state={state}&iss=https%3A%2F%2Fevil.test"),
                "iss does not match the IdP issuer",
            ),
        ] {
            let e = l.validate_callback(&pending, &bad).unwrap_err();
            assert_eq!(e.kind(), &ErrorKind::Callback(why), "{bad}");
        }
        let denied = l
            .validate_callback(&pending, &format!("error=access_denied&state={state}"))
            .unwrap_err();
        assert_eq!(
            denied.oauth_error().map(|r| r.error.clone()),
            Some(ema_types::ErrorCode::AccessDenied)
        );
        let strict = OidcLogin::new(l.config().clone().require_iss(true));
        assert_eq!(
            strict
                .validate_callback(&pending, &format!("code=abc&state={state}"))
                .unwrap_err()
                .kind(),
            &ErrorKind::Callback("no iss")
        );
    }
}

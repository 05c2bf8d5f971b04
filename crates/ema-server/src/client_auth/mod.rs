//! Client authentication at a token endpoint (IDP-02, AS-02, AS-03, JWT-10), shared by the
//! IdP's token exchange and the resource AS's jwt-bearer grant.
//!
//! [`authenticate`] accepts exactly one method per request (RFC 6749 §2.3: "MUST NOT use more
//! than one authentication method in each request"):
//!
//! - `client_secret_basic`: `Authorization: Basic`, id and secret form-urlencoded before base64
//!   (RFC 6749 §2.3.1). A `client_id` form parameter next to it is accepted only when it names
//!   the same client.
//! - `client_secret_post`: `client_id` + `client_secret` in the body.
//! - `private_key_jwt`: `client_assertion_type` + `client_assertion` (RFC 7523 §2.2), verified
//!   against the client's **registered** keys with `aud` = this server's issuer (the token
//!   endpoint URL only behind [`ClientAuthContext::accept_token_endpoint_audience`]); its `jti`
//!   is reserved in the [`ReplayStore`] under kind `"client-assertion"`.
//! - none (public clients): only when the registry entry is public **and** the context allows
//!   public clients (AS-03, OQ-08; off by default).
//!
//! Outcomes on the wire:
//!
//! | case | answer |
//! |---|---|
//! | two methods in one request (Basic + body secret, Basic + assertion, secret + assertion) | 400 `invalid_request` |
//! | authentication failed after `Authorization: Basic` (unknown client, wrong secret, malformed header, `client_id` naming another client) | 401 `invalid_client`, `WWW-Authenticate: Basic realm="<issuer>"` |
//! | authentication failed with a body method, or no credentials at all | 400 `invalid_client` |
//! | the registry or the replay store failed | 500 `server_error` (fail closed) |
//!
//! Unknown client and wrong secret give the same answer, and a wrong secret for an unknown
//! client is compared against a dummy so both take the same time. Nothing here fetches over
//! the network: keys come from the registry only (AS-02: authentication happens before any
//! fetch for the ID-JAG issuer).

mod registry;

use std::fmt;
use std::sync::Arc;

use ema_jwt::verify::{ClientAssertionVerifier, TrustAnchor};
use ema_types::{
    ClientAuthParams, ClientId, Clock, ErrorCode, Form, FormErrorKind, Issuer, Secret,
};
use http::StatusCode;
use subtle::ConstantTimeEq;

pub use registry::{ClientRegistry, ClientRegistryError, RegisteredClient, StaticClientRegistry};

use crate::endpoint::{HttpRequest, Rejection};
use crate::replay::{ReplayKey, ReplayStore};

/// Replay-store kind of client-assertion `jti`s (JWT-10).
pub const REPLAY_KIND_CLIENT_ASSERTION: &str = "client-assertion";

/// How a client authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClientAuthMethod {
    /// `client_secret_basic`.
    ClientSecretBasic,
    /// `client_secret_post`.
    ClientSecretPost,
    /// `private_key_jwt`.
    PrivateKeyJwt,
    /// `none`: a public client (AS-03 opt-in).
    None,
}

impl ClientAuthMethod {
    /// The RFC 8414 `token_endpoint_auth_methods_supported` name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::PrivateKeyJwt => "private_key_jwt",
            Self::None => "none",
        }
    }
}

impl fmt::Display for ClientAuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A client that authenticated.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AuthenticatedClient {
    /// The client id.
    pub client_id: ClientId,
    /// The method used.
    pub method: ClientAuthMethod,
    /// The registry entry.
    pub client: Arc<RegisteredClient>,
}

/// What [`authenticate`] needs besides the request and the registry: this server's issuer
/// (assertion `aud`, Basic realm), the replay store for assertion `jti`s, the clock, and the
/// opt-ins.
#[derive(Clone)]
#[non_exhaustive]
pub struct ClientAuthContext {
    issuer: Issuer,
    verifier: ClientAssertionVerifier,
    skew: u64,
    replay: Arc<dyn ReplayStore>,
    clock: Arc<dyn Clock>,
    allow_public_clients: bool,
}

impl fmt::Debug for ClientAuthContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientAuthContext")
            .field("issuer", &self.issuer)
            .field("verifier", &self.verifier)
            .field("allow_public_clients", &self.allow_public_clients)
            .finish_non_exhaustive()
    }
}

impl ClientAuthContext {
    /// The replay store (shared with DPoP proof `jti`s, IDP-20).
    pub(crate) fn replay(&self) -> &Arc<dyn ReplayStore> {
        &self.replay
    }

    /// A context for the server `issuer`; public clients refused, assertion `aud` = `issuer`
    /// only, skew 60 s.
    #[must_use]
    pub fn new(issuer: Issuer, replay: Arc<dyn ReplayStore>, clock: Arc<dyn Clock>) -> Self {
        Self {
            verifier: ClientAssertionVerifier::new(issuer.clone()),
            issuer,
            skew: ema_jwt::verify::DEFAULT_SKEW_SECS,
            replay,
            clock,
            allow_public_clients: false,
        }
    }

    /// Also accept the token endpoint URL as a client assertion's `aud` (RFC 7523 legacy,
    /// JWT-10; off by default).
    #[must_use]
    pub fn accept_token_endpoint_audience(mut self, token_endpoint: impl Into<String>) -> Self {
        self.verifier = self.verifier.accept_token_endpoint_audience(token_endpoint);
        self
    }

    /// Set the clock skew for client assertions (at most 300 s).
    pub fn with_skew(mut self, secs: u64) -> Result<Self, ema_jwt::Error> {
        self.verifier = self.verifier.with_skew(secs)?;
        self.skew = secs;
        Ok(self)
    }

    /// Serve public clients whose registry entry says so (AS-03 opt-in; off by default).
    #[must_use]
    pub fn allow_public_clients(mut self, allow: bool) -> Self {
        self.allow_public_clients = allow;
        self
    }

    /// The server issuer.
    #[must_use]
    pub fn issuer(&self) -> &Issuer {
        &self.issuer
    }

    /// The clock.
    #[must_use]
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The `WWW-Authenticate` challenge sent after a failed Basic authentication.
    #[must_use]
    pub fn basic_challenge(&self) -> String {
        let realm: String = self
            .issuer
            .as_str()
            .chars()
            .filter(|c| *c != '"' && *c != '\\' && !c.is_control())
            .collect();
        format!("Basic realm=\"{realm}\"")
    }
}

/// Used when the client is unknown, so an unknown client costs the same comparison as a wrong
/// secret.
const DUMMY_SECRET: &str = "ema-dummy-secret-for-unknown-clients-0000000000000000";

/// Compare in time that depends only on the longer length, never on where the inputs differ
/// (and without `subtle`'s early return on differing lengths).
fn secrets_match(registered: &Secret, presented: &str) -> bool {
    let a = registered.expose().as_bytes();
    let b = presented.as_bytes();
    let len = a.len().max(b.len());
    let mut equal = a.len().ct_eq(&b.len());
    for i in 0..len {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        equal &= x.ct_eq(&y);
    }
    bool::from(equal)
}

/// How the request tried to authenticate, before any lookup.
enum Presented {
    Basic(ClientId, Secret),
    Post(ClientId, Secret),
    Assertion(Option<ClientId>, Secret),
    IdOnly(ClientId),
    Nothing,
}

/// Authenticate the client of a token request: see the [module documentation](self).
///
/// `form` is the decoded request body. Call this before anything that fetches over the
/// network (AS-02).
pub async fn authenticate(
    request: &HttpRequest,
    form: &Form,
    registry: &dyn ClientRegistry,
    ctx: &ClientAuthContext,
) -> Result<AuthenticatedClient, Rejection> {
    let basic_failure = |reason: &str| {
        Rejection::new(ErrorCode::InvalidClient, reason).with_challenge(ctx.basic_challenge())
    };
    let body_failure = |reason: &str| Rejection::new(ErrorCode::InvalidClient, reason);

    let presented = read_presented(request, form, ctx)?;
    match presented {
        Presented::Basic(id, secret) => {
            let client = lookup(registry, &id).await?;
            match check_secret(client.as_ref(), &secret) {
                Some(client) => Ok(AuthenticatedClient {
                    client_id: id,
                    method: ClientAuthMethod::ClientSecretBasic,
                    client,
                }),
                None => Err(basic_failure(
                    "client_secret_basic: unknown client or wrong secret",
                )),
            }
        }
        Presented::Post(id, secret) => {
            let client = lookup(registry, &id).await?;
            match check_secret(client.as_ref(), &secret) {
                Some(client) => Ok(AuthenticatedClient {
                    client_id: id,
                    method: ClientAuthMethod::ClientSecretPost,
                    client,
                }),
                None => Err(body_failure(
                    "client_secret_post: unknown client or wrong secret",
                )),
            }
        }
        Presented::Assertion(form_id, assertion) => {
            private_key_jwt(form_id, &assertion, registry, ctx).await
        }
        Presented::IdOnly(id) => {
            let client = lookup(registry, &id).await?;
            match client {
                Some(c) if c.public && ctx.allow_public_clients => Ok(AuthenticatedClient {
                    client_id: id,
                    method: ClientAuthMethod::None,
                    client: c,
                }),
                Some(c) if c.public => Err(body_failure("public clients are not served (AS-03)")),
                _ => Err(body_failure("no client credentials")),
            }
        }
        Presented::Nothing => Err(body_failure("no client authentication")),
    }
}

fn read_presented(
    request: &HttpRequest,
    form: &Form,
    ctx: &ClientAuthContext,
) -> Result<Presented, Rejection> {
    let params = ClientAuthParams::from_form(form).map_err(|e| {
        if e.kind == FormErrorKind::Inconsistent {
            two_methods()
        } else {
            Rejection::from(e)
        }
    })?;
    let mut headers = request
        .headers()
        .get_all(http::header::AUTHORIZATION)
        .iter();
    let header = headers.next();
    if headers.next().is_some() {
        return Err(Rejection::new(
            ErrorCode::InvalidRequest,
            "repeated Authorization header",
        ));
    }
    let basic_failure = |reason: &str| {
        Rejection::new(ErrorCode::InvalidClient, reason).with_challenge(ctx.basic_challenge())
    };
    if let Some(value) = header {
        if params.client_secret.is_some() || params.client_assertion.is_some() {
            return Err(two_methods());
        }
        let value = value
            .to_str()
            .map_err(|_| basic_failure("Authorization header is not ASCII"))?;
        let (id, secret) = ema_types::basic_auth::decode(value)
            .map_err(|_| basic_failure("Authorization header is not valid Basic credentials"))?;
        if let Some(form_id) = &params.client_id
            && *form_id != id
        {
            return Err(basic_failure(
                "client_id parameter names another client than the Basic credentials",
            ));
        }
        return Ok(Presented::Basic(id, secret));
    }
    Ok(match params {
        ClientAuthParams {
            client_id: Some(id),
            client_secret: Some(secret),
            ..
        } => Presented::Post(id, secret),
        ClientAuthParams {
            client_id: None,
            client_secret: Some(_),
            ..
        } => {
            return Err(Rejection::new(
                ErrorCode::InvalidRequest,
                "client_secret without client_id",
            ));
        }
        ClientAuthParams {
            client_id,
            client_assertion: Some(assertion),
            ..
        } => Presented::Assertion(client_id, assertion),
        ClientAuthParams {
            client_id: Some(id),
            ..
        } => Presented::IdOnly(id),
        _ => Presented::Nothing,
    })
}

fn two_methods() -> Rejection {
    Rejection::new(
        ErrorCode::InvalidRequest,
        "more than one client authentication method (RFC 6749 §2.3)",
    )
    .describe("more than one client authentication method")
}

async fn lookup(
    registry: &dyn ClientRegistry,
    id: &ClientId,
) -> Result<Option<Arc<RegisteredClient>>, Rejection> {
    registry.client(id).await.map_err(|e| {
        tracing::error!(error = %e, "client registry failed");
        Rejection::new(ErrorCode::ServerError, e.to_string())
    })
}

fn check_secret(
    client: Option<&Arc<RegisteredClient>>,
    presented: &Secret,
) -> Option<Arc<RegisteredClient>> {
    let registered = client.and_then(|c| c.secret.as_ref());
    let dummy = Secret::new(DUMMY_SECRET);
    let matches = secrets_match(registered.unwrap_or(&dummy), presented.expose());
    match (client, registered) {
        (Some(c), Some(_)) if matches => Some(Arc::clone(c)),
        _ => None,
    }
}

async fn private_key_jwt(
    form_id: Option<ClientId>,
    assertion: &Secret,
    registry: &dyn ClientRegistry,
    ctx: &ClientAuthContext,
) -> Result<AuthenticatedClient, Rejection> {
    let fail = |reason: String| Rejection::new(ErrorCode::InvalidClient, reason);
    let jws = ctx
        .verifier
        .decode(assertion.expose())
        .map_err(|e| fail(format!("private_key_jwt: {}", e.kind())))?;
    let iss = jws
        .unverified_issuer()
        .ok_or_else(|| fail("private_key_jwt: assertion has no iss".to_owned()))?;
    let id = ClientId::new(iss)
        .map_err(|_| fail("private_key_jwt: iss is not a client id".to_owned()))?;
    if form_id.as_ref().is_some_and(|f| *f != id) {
        return Err(fail(
            "private_key_jwt: client_id parameter differs from the assertion issuer".to_owned(),
        ));
    }
    let client = lookup(registry, &id)
        .await?
        .ok_or_else(|| fail("private_key_jwt: unknown client".to_owned()))?;
    let keys = client
        .keys
        .as_ref()
        .ok_or_else(|| fail("private_key_jwt: client has no registered keys".to_owned()))?;
    let anchor = TrustAnchor::new(id.as_str(), keys, &client.algorithms);
    let claims = ctx
        .verifier
        .verify(jws, &anchor, ctx.clock.as_ref())
        .map_err(|e| fail(format!("private_key_jwt: {}", e.kind())))?;
    let key = ReplayKey {
        kind: REPLAY_KIND_CLIENT_ASSERTION,
        issuer: id.as_str(),
        jti: &claims.jti,
    };
    match ctx
        .replay
        .reserve(
            key,
            ctx.clock.now_unix(),
            claims.exp.saturating_add(ctx.skew),
        )
        .await
    {
        Ok(true) => Ok(AuthenticatedClient {
            client_id: id,
            method: ClientAuthMethod::PrivateKeyJwt,
            client,
        }),
        Ok(false) => Err(fail("private_key_jwt: assertion jti replayed".to_owned())),
        Err(e) => {
            tracing::error!(error = %e, "replay store failed (client assertion)");
            Err(Rejection::new(ErrorCode::ServerError, e.to_string())
                .with_status(StatusCode::INTERNAL_SERVER_ERROR))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_exactly() {
        let s = Secret::new("s3cret");
        assert!(secrets_match(&s, "s3cret"));
        assert!(!secrets_match(&s, "s3cre"));
        assert!(!secrets_match(&s, "s3cret!"));
        assert!(!secrets_match(&s, "S3cret"));
        assert!(!secrets_match(&s, ""));
        assert!(secrets_match(&Secret::new(""), ""));
    }

    #[test]
    fn challenge_names_the_issuer() {
        let ctx = ClientAuthContext::new(
            Issuer::new("https://as.toolhub.test").unwrap(),
            Arc::new(crate::replay::MemoryReplayStore::new(16)),
            Arc::new(ema_types::FixedClock::new(0)),
        );
        assert_eq!(
            ctx.basic_challenge(),
            "Basic realm=\"https://as.toolhub.test\""
        );
    }
}

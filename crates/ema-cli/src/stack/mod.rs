//! The local EMA stack: the configured roles mounted on one axum router, served on one
//! listener, with `GET /healthz` and request logging.

mod as_login;
mod audit;
mod authorization_server;
mod idp;
mod keys;
mod resource_server;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use axum::Router;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use ema_jwt::SigningKey;
use ema_server::keys::KeySource;
use ema_server::signing::SigningKeys;
use ema_types::{Clock, Issuer, SystemClock};
use http::StatusCode;

use crate::config::StackSpec;

pub(crate) use idp::policy;

/// A role could not be built; `key` names the configuration key at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RoleError {
    key: String,
    problem: String,
}

impl RoleError {
    pub(crate) fn new(key: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            problem: problem.into(),
        }
    }
}

impl fmt::Display for RoleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid configuration: {}: {}", self.key, self.problem)
    }
}

impl std::error::Error for RoleError {}

/// The first key signs; the others are published (rotation).
pub(crate) fn signing_keys(key: &str, keys: &[SigningKey]) -> Result<SigningKeys, RoleError> {
    let (active, previous) = keys
        .split_first()
        .ok_or_else(|| RoleError::new(key, "no signing key"))?;
    Ok(SigningKeys::new(active.clone())
        .with_previous(previous.iter().map(|k| k.verifying_key().clone())))
}

/// What `/healthz` checks: each role can get the keys it verifies tokens with.
#[derive(Clone)]
struct Readiness {
    checks: Vec<(&'static str, Arc<dyn KeySource>, Issuer)>,
    ready: Arc<AtomicBool>,
}

impl Readiness {
    async fn check(&self) -> Result<(), String> {
        if self.ready.load(Ordering::Acquire) {
            return Ok(());
        }
        for (role, keys, issuer) in &self.checks {
            if let Err(e) = keys.keys(issuer, None).await {
                return Err(format!("{role}: keys of {issuer}: {e}"));
            }
        }
        self.ready.store(true, Ordering::Release);
        Ok(())
    }
}

/// The built stack.
pub(crate) struct Stack {
    /// Every route of every role, `/healthz` and request logging.
    pub(crate) router: Router,
    /// One line per role for the start-up banner.
    pub(crate) roles: Vec<String>,
}

/// Build every configured role (connecting to Redis, fetching start-up JWKS); nothing listens
/// yet. Any error leaves nothing running.
pub(crate) async fn build(spec: &StackSpec) -> Result<Stack, RoleError> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut router = Router::new();
    let mut roles = Vec::new();
    let mut checks: Vec<(&'static str, Arc<dyn KeySource>, Issuer)> = Vec::new();
    let audit = audit::sink(&spec.audit)?;
    if let Some(idp) = &spec.idp {
        if !spec.listen.ip().is_loopback() {
            tracing::warn!(
                listen = %spec.listen,
                "[idp] signs users in by login_hint without a password and listens on a \
                 non-loopback address: anyone who reaches it can act as any configured user"
            );
        }
        router = router.merge(idp::router(
            idp,
            spec.dev_allow_http,
            Arc::clone(&clock),
            Arc::clone(&audit),
        )?);
        roles.push(format!(
            "IdP     {}  (authorize, token, jwks, .well-known/openid-configuration){}",
            idp.issuer,
            generated_note(idp.signing.generated)
        ));
    }
    let mut local_as = None;
    if let Some(as_spec) = &spec.authorization_server {
        let parts = authorization_server::build(
            as_spec,
            spec.dev_allow_http,
            Arc::clone(&clock),
            Arc::clone(&audit),
        )
        .await?;
        router = router.merge(parts.router);
        for issuer in parts.trusted {
            checks.push(("as", Arc::clone(&parts.keys), issuer));
        }
        roles.push(format!(
            "AS      {}  (token: jwt-bearer{}, jwks, RFC 8414 metadata){}",
            as_spec.issuer,
            if as_spec.login.is_some() {
                "; authorize: code + PKCE, sign-in at the IdP"
            } else {
                ""
            },
            generated_note(as_spec.signing.generated)
        ));
        local_as = Some((as_spec.issuer.clone(), parts.signing));
    }
    for rs in &spec.rs {
        let parts = resource_server::build(
            rs,
            &spec.public_url,
            spec.dev_allow_http,
            local_as.as_ref().map(|(i, s)| (i, s)),
            Arc::clone(&clock),
        )?;
        router = router.merge(parts.router);
        checks.push(("rs", parts.keys, parts.issuer));
        roles.push(format!(
            "MCP     {}  (tools whoami [{}], add_todo [{}]; protected-resource metadata)",
            rs.resource, rs.read_scopes, rs.write_scopes
        ));
    }
    if let Some(line) = audit::banner(&spec.audit) {
        roles.push(line);
    }
    let readiness = Readiness {
        checks,
        ready: Arc::new(AtomicBool::new(false)),
    };
    let router = router
        .route(
            "/healthz",
            get(move || {
                let readiness = readiness.clone();
                async move {
                    match readiness.check().await {
                        Ok(()) => (StatusCode::OK, "ready\n".to_owned()).into_response(),
                        Err(why) => (
                            StatusCode::SERVICE_UNAVAILABLE,
                            format!("not ready: {why}\n"),
                        )
                            .into_response(),
                    }
                }
            }),
        )
        .layer(axum::middleware::from_fn(log_request));
    Ok(Stack { router, roles })
}

fn generated_note(generated: bool) -> &'static str {
    if generated {
        " [key generated in memory]"
    } else {
        ""
    }
}

/// One log line per request: method, path (never the query: it carries codes and state),
/// status and time. Never headers or bodies.
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        %method,
        path,
        status = response.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}

/// Serve `router` on `listener` until `shutdown` resolves.
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

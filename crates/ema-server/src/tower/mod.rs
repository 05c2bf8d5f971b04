//! A tower layer that guards any service with the resource-server checks (RS-02..RS-08).
//!
//! [`AccessTokenLayer`] wraps a service over `http::Request<B>`. For each request it computes
//! the scopes the operation needs (a fixed [`ScopeSet`] or a closure, [`ScopesFn`]), runs
//! [`AccessTokenGuard::check_request`] (DPoP included, RS-10), and then either inserts the verified
//! [`Principal`] into the request extensions and calls the inner service, or answers the
//! challenge (status, `WWW-Authenticate`, `Cache-Control: no-store`, a small JSON body)
//! without calling it. The response body type only needs `From<Vec<u8>>` (axum's `Body` has
//! it).
//!
//! The request body is not read: a token is only ever taken from the `Authorization` header,
//! so one sent in a form body is never accepted. To answer such a request with RS-06's
//! `invalid_request`, call [`AccessTokenGuard::check_form_body`] where the application reads
//! form bodies. The layer does not serve the protected-resource metadata; route its paths
//! ([`crate::resource_server::ResourceServerConfig::metadata_paths`]) to
//! [`AccessTokenGuard::metadata_response`], outside the guarded routes.
//!
//! ```no_run
//! # use std::sync::Arc;
//! # use ema_server::resource_server::AccessTokenGuard;
//! # use ema_server::tower::{AccessTokenLayer, ScopesFn};
//! # use ema_types::ScopeSet;
//! # fn demo(guard: Arc<AccessTokenGuard>) -> Result<(), Box<dyn std::error::Error>> {
//! // Every route needs `tickets:read`:
//! let layer = AccessTokenLayer::new(guard.clone(), ScopeSet::parse("tickets:read")?);
//! // Or per request:
//! let layer = AccessTokenLayer::per_request(
//!     guard,
//!     ScopesFn(|req: &http::Request<Vec<u8>>| {
//!         let needed = if req.method() == http::Method::GET { "tickets:read" } else { "tickets:write" };
//!         ScopeSet::parse(needed).unwrap_or_default()
//!     }),
//! );
//! # let _ = layer; Ok(()) }
//! ```
#![cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use ema_types::ScopeSet;
use http::{Request, Response};
use tower_layer::Layer;
use tower_service::Service;

use crate::resource_server::{AccessTokenGuard, Principal};

/// The scopes a request needs.
pub trait RequiredScopes<B>: Send + Sync + 'static {
    /// The scopes the operation `request` asks for needs (RS-05).
    fn required_scopes(&self, request: &Request<B>) -> ScopeSet;
}

impl<B> RequiredScopes<B> for ScopeSet {
    fn required_scopes(&self, _: &Request<B>) -> ScopeSet {
        self.clone()
    }
}

/// Required scopes decided per request by a closure.
#[derive(Clone, Copy)]
pub struct ScopesFn<F>(pub F);

impl<F> std::fmt::Debug for ScopesFn<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ScopesFn(..)")
    }
}

impl<B, F> RequiredScopes<B> for ScopesFn<F>
where
    F: Fn(&Request<B>) -> ScopeSet + Send + Sync + 'static,
{
    fn required_scopes(&self, request: &Request<B>) -> ScopeSet {
        (self.0)(request)
    }
}

/// Guards the services it wraps with an [`AccessTokenGuard`].
#[derive(Debug)]
pub struct AccessTokenLayer<R> {
    guard: Arc<AccessTokenGuard>,
    scopes: Arc<R>,
}

impl<R> Clone for AccessTokenLayer<R> {
    fn clone(&self) -> Self {
        Self {
            guard: Arc::clone(&self.guard),
            scopes: Arc::clone(&self.scopes),
        }
    }
}

impl AccessTokenLayer<ScopeSet> {
    /// Every request needs `required` (may be empty: any valid token).
    #[must_use]
    pub fn new(guard: Arc<AccessTokenGuard>, required: ScopeSet) -> Self {
        Self {
            guard,
            scopes: Arc::new(required),
        }
    }
}

impl<F> AccessTokenLayer<ScopesFn<F>> {
    /// The closure in `scopes` decides what each request needs.
    #[must_use]
    pub fn per_request(guard: Arc<AccessTokenGuard>, scopes: ScopesFn<F>) -> Self {
        Self {
            guard,
            scopes: Arc::new(scopes),
        }
    }
}

impl<S, R> Layer<S> for AccessTokenLayer<R> {
    type Service = AccessTokenService<S, R>;

    fn layer(&self, inner: S) -> Self::Service {
        AccessTokenService {
            inner,
            guard: Arc::clone(&self.guard),
            scopes: Arc::clone(&self.scopes),
        }
    }
}

/// The service [`AccessTokenLayer`] produces.
#[derive(Debug)]
pub struct AccessTokenService<S, R> {
    inner: S,
    guard: Arc<AccessTokenGuard>,
    scopes: Arc<R>,
}

impl<S: Clone, R> Clone for AccessTokenService<S, R> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            guard: Arc::clone(&self.guard),
            scopes: Arc::clone(&self.scopes),
        }
    }
}

impl<S, R, ReqB, ResB> Service<Request<ReqB>> for AccessTokenService<S, R>
where
    S: Service<Request<ReqB>, Response = Response<ResB>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    R: RequiredScopes<ReqB>,
    ReqB: Send + 'static,
    ResB: From<Vec<u8>> + Send + 'static,
{
    type Response = Response<ResB>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<ResB>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqB>) -> Self::Future {
        // The clone is the one that is not ready; keep the ready one for this call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let guard = Arc::clone(&self.guard);
        let required = self.scopes.required_scopes(&request);
        let (mut parts, body) = request.into_parts();
        Box::pin(async move {
            let checked = guard
                .check_request(&parts.method, &parts.uri, &parts.headers, &required)
                .await;
            match checked {
                Ok(principal) => {
                    parts.extensions.insert::<Principal>(principal);
                    inner.call(Request::from_parts(parts, body)).await
                }
                Err(denied) => Ok(denied.into_response()),
            }
        })
    }
}

//! The resource-server role (the MCP server, RS-01..RS-08): access-token checks with
//! `WWW-Authenticate` challenges, and the protected-resource metadata (PRM) endpoint.
//!
//! [`AccessTokenGuard`] is sans-IO apart from the injected [`KeySource`] (the authorization
//! server's JWKS): give it the request headers and the scopes the operation needs, get a
//! [`Principal`] or an [`AccessDenied`] that renders the exact answer:
//!
//! | situation | answer |
//! |---|---|
//! | no `Authorization`, or a scheme other than `Bearer`/`DPoP` (RS-02) | 401 `Bearer resource_metadata="…", scope="…"` (no `error`) |
//! | token invalid, expired, wrong `typ`/`iss`/`aud` (RS-03, RS-04) | 401 `Bearer error="invalid_token", resource_metadata="…"` |
//! | token lacks scopes (RS-05) | 403 `Bearer error="insufficient_scope", scope="<needed>", resource_metadata="…"` |
//! | two `Authorization` fields, token in the query or a form body (RS-06, RS-07) | 400 `Bearer error="invalid_request", resource_metadata="…"` |
//!
//! `offline_access` never appears in a challenge (RS-08). Tokens are read from the
//! `Authorization` header only (RS-07); the query string is only inspected to refuse a token
//! sent there.
//!
//! DPoP (RS-10, RFC 9449 §7) is checked by [`AccessTokenGuard::check_request`] (the tower
//! layer's entry point), which knows the request method and URL:
//!
//! | situation | answer |
//! |---|---|
//! | token with `cnf.jkt` sent as `Bearer`; token without `cnf` sent as `DPoP`; proof key ≠ `cnf.jkt` | 401 `Bearer error="invalid_token", …` + `DPoP error="invalid_token", resource_metadata="…", algs="ES256 EdDSA"` |
//! | `DPoP` scheme with no proof, several `DPoP` fields, a proof failing RFC 9449 §4.3 (`htm` = method, `htu` = [`ResourceServerConfig::external_origin`] + path, `ath`, age) or replayed | 401 `Bearer error="invalid_token", …` + `DPoP error="invalid_dpop_proof", …` |
//! | the DPoP replay store ([`AccessTokenGuard::with_dpop_replay_store`]) failed | 503, no challenge (fail closed, as for unavailable keys) |
//!
//! The `htu` base defaults to the resource identifier's origin: behind a proxy that serves
//! the resource at another origin, set [`ResourceServerConfigBuilder::external_origin`].
//! Server nonces (RFC 9449 §9) are not issued, and the MCP DPoP extension's
//! `content_digest` claim is not checked (the guard does not see request bodies).
//! [`AccessTokenGuard::check`] and [`AccessTokenGuard::check_with_query`] do not know the
//! request URL and refuse DPoP-bound tokens with `invalid_token`.
//!
//! The tower layer in `tower` module (feature `tower`) runs the guard in front of any
//! service.
#![cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]

mod config;
mod denial;

pub use config::{ConfigError, ResourceServerConfig, ResourceServerConfigBuilder};
pub use denial::{AccessDenied, DenialKind};

use std::sync::Arc;

use ema_jwt::verify::{
    AccessTokenVerifier, DPOP_DEFAULT_ALGORITHMS, DpopProofVerifier, DpopRequest,
};
use ema_types::claims::AccessTokenClaims;
use ema_types::{Clock, ErrorCode, Form, ScopeSet, urn};
use http::{HeaderMap, Method, StatusCode};

use crate::keys::KeySource;
use crate::replay::ReplayStore;

/// Who is calling, as the verified access token says (RS-03).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Principal {
    /// `sub`: the user (or, for client credentials, the client).
    pub subject: String,
    /// `client_id`: the client at the authorization server.
    pub client_id: String,
    /// `scope`: the scopes granted (as in the token, without implied scopes).
    pub scopes: ScopeSet,
    /// `iss`: the authorization server.
    pub issuer: String,
    /// All claims.
    pub claims: AccessTokenClaims,
}

/// Checks access tokens for one resource (RS-02..RS-08). Cheap to share behind an [`Arc`].
pub struct AccessTokenGuard {
    config: ResourceServerConfig,
    verifier: AccessTokenVerifier,
    keys: Arc<dyn KeySource>,
    clock: Arc<dyn Clock>,
    dpop_replay: Option<Arc<dyn ReplayStore>>,
}

impl std::fmt::Debug for AccessTokenGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessTokenGuard")
            .field("resource", &self.config.resource)
            .field("issuer", &self.config.issuer)
            .finish_non_exhaustive()
    }
}

impl AccessTokenGuard {
    /// A guard for `config`, taking the authorization server's keys from `keys` and time from
    /// `clock`.
    pub fn new(
        config: ResourceServerConfig,
        keys: Arc<dyn KeySource>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ConfigError> {
        let verifier = AccessTokenVerifier::new(config.issuer.clone(), config.resource.clone())
            .with_skew(config.skew)
            .map_err(|_| ConfigError::Skew(config.skew))?;
        Ok(Self {
            config,
            verifier,
            keys,
            clock,
            dpop_replay: None,
        })
    }

    /// Reserve the `jti` of every accepted DPoP proof in `store` (kind `dpop`, until `iat` +
    /// 300 s + skew), refusing a replayed proof (RFC 9449 §11.1; RS-10). Without a store,
    /// proofs are only bounded by their age.
    #[must_use]
    pub fn with_dpop_replay_store(mut self, store: Arc<dyn ReplayStore>) -> Self {
        self.dpop_replay = Some(store);
        self
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &ResourceServerConfig {
        &self.config
    }

    /// Check the `Authorization` header of a request for an operation that needs `required`.
    ///
    /// This does not see the query string or the body: use [`Self::check_with_query`] (the
    /// tower layer does) and [`Self::check_form_body`] when the body is a form.
    pub async fn check(
        &self,
        headers: &HeaderMap,
        required: &ScopeSet,
    ) -> Result<Principal, AccessDenied> {
        self.check_with_query(headers, None, required).await
    }

    /// [`Self::check`], also refusing a request that carries `access_token` in its query
    /// string (RS-06 when a header token is present too, RS-07 otherwise).
    ///
    /// Without the request method and path, a DPoP-bound token cannot be checked and is
    /// refused (`invalid_token`): use [`Self::check_request`] to accept them (RS-10).
    pub async fn check_with_query(
        &self,
        headers: &HeaderMap,
        query: Option<&str>,
        required: &ScopeSet,
    ) -> Result<Principal, AccessDenied> {
        self.check_inner(None, headers, query, required).await
    }

    /// The full check of a request (what the tower layer runs): [`Self::check_with_query`]
    /// with the query of `uri`, plus DPoP (RS-10). A token with `cnf.jkt` must come as
    /// `Authorization: DPoP <token>` with exactly one `DPoP` proof whose `htm` is `method`,
    /// whose `htu` is [`ResourceServerConfig::external_origin`] followed by the path of `uri`,
    /// whose `ath` is the token hash, and whose key thumbprint is `cnf.jkt`; the proof is
    /// single use when a replay store is set ([`Self::with_dpop_replay_store`]). A bound token
    /// sent as `Bearer`, or an unbound one sent as `DPoP`, is `invalid_token`; a bad proof is
    /// `invalid_dpop_proof`. Both answers are 401 with the `Bearer` challenge and a `DPoP`
    /// challenge. Unbound tokens keep working with `Bearer`.
    pub async fn check_request(
        &self,
        method: &Method,
        uri: &http::Uri,
        headers: &HeaderMap,
        required: &ScopeSet,
    ) -> Result<Principal, AccessDenied> {
        self.check_inner(Some((method, uri)), headers, uri.query(), required)
            .await
    }

    async fn check_inner(
        &self,
        request: Option<(&Method, &http::Uri)>,
        headers: &HeaderMap,
        query: Option<&str>,
        required: &ScopeSet,
    ) -> Result<Principal, AccessDenied> {
        if query.is_some_and(query_has_access_token) {
            return Err(self.deny(
                DenialKind::InvalidRequest,
                required,
                "access_token in the query string (RS-07)",
            ));
        }
        let (scheme, token) = self.bearer_token(headers, required)?;
        let claims = self.verify(token, required).await?;
        let jkt = claims.cnf.as_ref().map(|c| c.jkt.as_deref());
        match (scheme, jkt) {
            (Scheme::Bearer, None) => {}
            (Scheme::Bearer, Some(_)) => {
                return Err(self.deny_dpop(
                    DenialKind::InvalidToken,
                    required,
                    "DPoP-bound access token presented with the Bearer scheme (RS-10)",
                ));
            }
            (Scheme::Dpop, None) => {
                return Err(self.deny_dpop(
                    DenialKind::InvalidToken,
                    required,
                    "unbound access token presented with the DPoP scheme (RS-10)",
                ));
            }
            (Scheme::Dpop, Some(None)) => {
                return Err(self.deny_dpop(
                    DenialKind::InvalidToken,
                    required,
                    "access token cnf without jkt (RS-10)",
                ));
            }
            (Scheme::Dpop, Some(Some(jkt))) => {
                let Some((method, uri)) = request else {
                    return Err(self.deny_dpop(
                        DenialKind::InvalidToken,
                        required,
                        "DPoP-bound token checked without the request method and URL (RS-10)",
                    ));
                };
                self.check_dpop_proof(method, uri, headers, token, jkt, required)
                    .await?;
            }
        }
        self.authorize(claims, required)
    }

    async fn check_dpop_proof(
        &self,
        method: &Method,
        uri: &http::Uri,
        headers: &HeaderMap,
        token: &str,
        jkt: &str,
        required: &ScopeSet,
    ) -> Result<(), AccessDenied> {
        let bad_proof = |reason: &str| {
            self.deny_dpop(
                DenialKind::InvalidDpopProof,
                required,
                &format!("{reason} (RS-10)"),
            )
        };
        let proof = match crate::dpop::single_proof(headers) {
            Ok(Some(proof)) => proof,
            Ok(None) => return Err(bad_proof("DPoP scheme without a DPoP proof")),
            Err(crate::dpop::DpopFailure::Invalid(r) | crate::dpop::DpopFailure::Server(r)) => {
                return Err(bad_proof(&r));
            }
        };
        let url = format!("{}{}", self.config.external_origin, uri.path());
        let dpop_request = DpopRequest::new(method.as_str(), &url).with_access_token(token);
        let verified = match &self.dpop_replay {
            Some(store) => crate::dpop::verify_and_reserve(
                proof,
                &dpop_request,
                self.config.skew,
                store.as_ref(),
                &*self.clock,
            )
            .await
            .map_err(|f| match f {
                crate::dpop::DpopFailure::Invalid(r) => bad_proof(&r),
                crate::dpop::DpopFailure::Server(r) => {
                    self.deny(DenialKind::KeysUnavailable, required, &r)
                }
            })?,
            None => DpopProofVerifier::new()
                .with_skew(self.config.skew)
                .and_then(|v| v.verify(proof, &dpop_request, &*self.clock))
                .map_err(|e| bad_proof(&format!("DPoP proof: {}", e.kind())))?,
        };
        if !bool::from(subtle::ConstantTimeEq::ct_eq(
            verified.jkt.as_bytes(),
            jkt.as_bytes(),
        )) {
            return Err(self.deny_dpop(
                DenialKind::InvalidToken,
                required,
                "DPoP proof key does not match the token's cnf.jkt (RS-10)",
            ));
        }
        Ok(())
    }

    /// Refuse a form body that carries `access_token` (RFC 6750 §2.2 is not supported, RS-06).
    /// Call this when the application reads a `application/x-www-form-urlencoded` body.
    pub fn check_form_body(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        required: &ScopeSet,
    ) -> Result<(), AccessDenied> {
        let is_form = headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| m.trim().eq_ignore_ascii_case(urn::MEDIA_TYPE_FORM));
        if is_form && form_has_access_token(body) {
            return Err(self.deny(
                DenialKind::InvalidRequest,
                required,
                "access_token in the form body (RS-06)",
            ));
        }
        Ok(())
    }

    /// Serve the protected-resource metadata (RS-01) if `method` and `path` ask for it:
    /// `GET`/`HEAD` on one of [`ResourceServerConfig::metadata_paths`] → 200
    /// `application/json`; another method there → 405; any other path → `None`.
    #[must_use]
    pub fn metadata_response(
        &self,
        method: &Method,
        path: &str,
    ) -> Option<http::Response<Vec<u8>>> {
        if !self.config.metadata_paths.iter().any(|p| p == path) {
            return None;
        }
        let mut response = http::Response::new(Vec::new());
        if method == Method::GET || method == Method::HEAD {
            if method == Method::GET {
                *response.body_mut() = self.config.metadata_json.clone();
            }
            response.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/json"),
            );
        } else {
            *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
            response.headers_mut().insert(
                http::header::ALLOW,
                http::HeaderValue::from_static("GET, HEAD"),
            );
        }
        Some(response)
    }

    fn deny(&self, kind: DenialKind, required: &ScopeSet, reason: &str) -> AccessDenied {
        let scope = match kind {
            DenialKind::MissingToken => {
                let needed = without_offline_access(required);
                if needed.is_empty() {
                    self.config.scopes_supported.clone()
                } else {
                    needed
                }
            }
            DenialKind::InsufficientScope => without_offline_access(required),
            _ => ScopeSet::new(),
        };
        AccessDenied::new(kind, &self.config.metadata_url, &scope, reason)
    }

    fn deny_dpop(&self, kind: DenialKind, required: &ScopeSet, reason: &str) -> AccessDenied {
        let error = match kind {
            DenialKind::InvalidDpopProof => ErrorCode::InvalidDpopProof,
            _ => ErrorCode::InvalidToken,
        };
        self.deny(kind, required, reason).with_dpop_challenge(
            &error,
            &self.config.metadata_url,
            &DPOP_DEFAULT_ALGORITHMS,
        )
    }

    /// The scheme and token of the one `Authorization: Bearer|DPoP` field (RS-02, RS-06,
    /// RS-10).
    fn bearer_token<'h>(
        &self,
        headers: &'h HeaderMap,
        required: &ScopeSet,
    ) -> Result<(Scheme, &'h str), AccessDenied> {
        let mut fields = headers.get_all(http::header::AUTHORIZATION).iter();
        let Some(field) = fields.next() else {
            return Err(self.deny(
                DenialKind::MissingToken,
                required,
                "no Authorization header",
            ));
        };
        if fields.next().is_some() {
            return Err(self.deny(
                DenialKind::InvalidRequest,
                required,
                "several Authorization header fields (RS-06)",
            ));
        }
        let Ok(value) = field.to_str() else {
            return Err(self.deny(
                DenialKind::InvalidRequest,
                required,
                "Authorization header is not visible ASCII",
            ));
        };
        let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
        let scheme = if scheme.eq_ignore_ascii_case(urn::TOKEN_TYPE_BEARER) {
            Scheme::Bearer
        } else if scheme.eq_ignore_ascii_case(urn::TOKEN_TYPE_DPOP) {
            Scheme::Dpop
        } else {
            return Err(self.deny(
                DenialKind::MissingToken,
                required,
                "Authorization scheme is neither Bearer nor DPoP",
            ));
        };
        let token = rest.trim_start_matches(' ');
        if token.is_empty() {
            // `Bearer` without credentials: the client has no token yet (RFC 6750 §3.1).
            return Err(self.deny(
                DenialKind::MissingToken,
                required,
                "Bearer scheme without credentials",
            ));
        }
        if !is_b64token(token) {
            return Err(self.deny(
                DenialKind::InvalidRequest,
                required,
                "credentials are not one b64token (RFC 6750 §2.1)",
            ));
        }
        Ok((scheme, token))
    }

    async fn verify(
        &self,
        token: &str,
        required: &ScopeSet,
    ) -> Result<AccessTokenClaims, AccessDenied> {
        let kid = ema_jwt::compact::UnverifiedJws::decode(
            token,
            ema_jwt::compact::DEFAULT_MAX_TOKEN_BYTES,
        )
        .map_err(|e| {
            self.deny(
                DenialKind::InvalidToken,
                required,
                &format!("access token: {e}"),
            )
        })?
        .header()
        .kid
        .clone();
        let keys = match self.keys.keys(&self.config.issuer, kid.as_deref()).await {
            Ok(keys) => keys,
            Err(e) => {
                tracing::error!(error = %e, issuer = %self.config.issuer, "authorization server keys unavailable");
                return Err(self.deny(
                    DenialKind::KeysUnavailable,
                    required,
                    &format!("keys unavailable: {e}"),
                ));
            }
        };
        let claims = self
            .verifier
            .verify(token, &keys, &self.config.algorithms, &*self.clock)
            .map_err(|e| self.deny(DenialKind::InvalidToken, required, &e.to_string()))?;
        Ok(claims)
    }

    fn authorize(
        &self,
        claims: AccessTokenClaims,
        required: &ScopeSet,
    ) -> Result<Principal, AccessDenied> {
        let granted = claims.scope.clone().unwrap_or_default();
        let mut effective = granted.clone();
        for scope in granted.iter() {
            if let Some(implied) = self.config.implied.get(scope) {
                effective = effective.union(implied);
            }
        }
        let missing = required.difference(&effective);
        if !missing.is_empty() {
            return Err(self.deny(
                DenialKind::InsufficientScope,
                required,
                &format!("missing scopes: {missing}"),
            ));
        }
        Ok(Principal {
            subject: claims.sub.clone(),
            client_id: claims.client_id.clone(),
            scopes: granted,
            issuer: claims.iss.clone(),
            claims,
        })
    }
}

/// The authentication scheme of the `Authorization` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Bearer,
    Dpop,
}

fn without_offline_access(scopes: &ScopeSet) -> ScopeSet {
    scopes
        .iter()
        .filter(|s| s.as_str() != "offline_access")
        .cloned()
        .collect()
}

/// RFC 6750 §2.1 `b64token`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
fn is_b64token(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

fn query_has_access_token(query: &str) -> bool {
    let raw = query
        .split('&')
        .any(|pair| pair.split('=').next() == Some("access_token"));
    raw || form_has_access_token(query.as_bytes())
}

fn form_has_access_token(body: &[u8]) -> bool {
    Form::decode(body).is_ok_and(|f| f.all("access_token").next().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn b64token_grammar() {
        assert!(is_b64token("a.b.c"));
        assert!(is_b64token("abc=="));
        assert!(!is_b64token(""));
        assert!(!is_b64token("a b"));
        assert!(!is_b64token("a,b"));
        assert!(!is_b64token("=="));
    }

    #[test]
    fn rs_07_query_detection() {
        assert!(query_has_access_token("access_token=x"));
        assert!(query_has_access_token("a=1&access_token=x"));
        assert!(query_has_access_token("access%5Ftoken=x"));
        assert!(!query_has_access_token("token=x"));
        assert!(!query_has_access_token("my_access_token=x"));
    }
}

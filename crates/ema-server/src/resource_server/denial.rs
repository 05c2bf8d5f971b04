//! A refused request at the resource server and its `WWW-Authenticate` answer.

use ema_metadata::challenge::{AuthScheme, Challenge};
use ema_types::{ErrorCode, ScopeSet};
use http::{HeaderValue, StatusCode};

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DenialKind {
    /// No credentials, or an authentication scheme this server does not support (RS-02):
    /// 401 without `error`.
    MissingToken,
    /// A token that is present but invalid, expired, for another audience or issuer (RS-04):
    /// 401 `invalid_token`.
    InvalidToken,
    /// A valid token without the scopes the operation needs (RS-05): 403
    /// `insufficient_scope`.
    InsufficientScope,
    /// A malformed request: several `Authorization` fields, or a token also (or only) sent in
    /// the query string or a form body (RS-06, RS-07): 400 `invalid_request`.
    InvalidRequest,
    /// A DPoP-bound token whose DPoP proof is missing, invalid or replayed (RS-10, RFC 9449
    /// §7.1): 401 `invalid_dpop_proof` (the `DPoP` challenge says so; the `Bearer` one says
    /// `invalid_token`).
    InvalidDpopProof,
    /// The authorization server's keys could not be had: 503, no challenge (the token may be
    /// fine; the client should retry rather than re-authorize).
    KeysUnavailable,
}

impl DenialKind {
    /// The HTTP status.
    #[must_use]
    pub fn status(self) -> StatusCode {
        match self {
            Self::MissingToken | Self::InvalidToken | Self::InvalidDpopProof => {
                StatusCode::UNAUTHORIZED
            }
            Self::InsufficientScope => StatusCode::FORBIDDEN,
            Self::InvalidRequest => StatusCode::BAD_REQUEST,
            Self::KeysUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The RFC 6750 §3.1 error code, if the answer carries one.
    #[must_use]
    pub fn error_code(self) -> Option<ErrorCode> {
        match self {
            Self::MissingToken => None,
            Self::InvalidToken => Some(ErrorCode::InvalidToken),
            Self::InvalidDpopProof => Some(ErrorCode::InvalidDpopProof),
            Self::InsufficientScope => Some(ErrorCode::InsufficientScope),
            Self::InvalidRequest => Some(ErrorCode::InvalidRequest),
            Self::KeysUnavailable => Some(ErrorCode::TemporarilyUnavailable),
        }
    }
}

/// A request the resource server refuses: the status, the `WWW-Authenticate` challenge to
/// send, and the precise reason for logs (never sent; no token material).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccessDenied {
    /// Why.
    pub kind: DenialKind,
    /// The challenge (absent for [`DenialKind::KeysUnavailable`]).
    pub challenge: Option<Challenge>,
    /// A second, `DPoP` challenge (RS-10, RFC 9449 §7.1) when the refusal concerns a
    /// DPoP-bound token or a `DPoP` request; sent as a second `WWW-Authenticate` field.
    pub dpop_challenge: Option<Box<Challenge>>,
    /// The precise reason, for logs only.
    pub log_reason: String,
}

impl AccessDenied {
    pub(crate) fn new(
        kind: DenialKind,
        metadata_url: &str,
        scope: &ScopeSet,
        log_reason: impl Into<String>,
    ) -> Self {
        let log_reason = log_reason.into();
        tracing::info!(kind = ?kind, reason = %log_reason, "access token refused");
        Self {
            kind,
            challenge: build_challenge(kind, metadata_url, scope),
            dpop_challenge: None,
            log_reason,
        }
    }

    /// Add the `DPoP` challenge: `DPoP error="<error>", resource_metadata="…", algs="…"`.
    pub(crate) fn with_dpop_challenge(
        mut self,
        error: &ErrorCode,
        metadata_url: &str,
        algs: &[ema_jwt::Algorithm],
    ) -> Self {
        let built = metadata_url.parse().ok().and_then(|url| {
            Challenge::builder(AuthScheme::DPoP)
                .error(error)
                .resource_metadata(&url)
                .algs(algs.iter().map(|a| a.as_str()))
                .build()
                .ok()
        });
        self.dpop_challenge = built.map(Box::new);
        self
    }

    /// The `WWW-Authenticate` value of the `DPoP` challenge, if any (RS-10).
    #[must_use]
    pub fn dpop_www_authenticate(&self) -> Option<HeaderValue> {
        self.dpop_challenge
            .as_ref()
            .and_then(|c| HeaderValue::from_str(&c.to_string()).ok())
    }

    /// The HTTP status.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.kind.status()
    }

    /// The `WWW-Authenticate` value.
    #[must_use]
    pub fn www_authenticate(&self) -> Option<HeaderValue> {
        self.challenge
            .as_ref()
            .and_then(|c| HeaderValue::from_str(&c.to_string()).ok())
    }

    /// The answer: status, `WWW-Authenticate` (then the `DPoP` challenge as a second field,
    /// when there is one), `Cache-Control: no-store`, and a small JSON
    /// body `{"error":"…"}` (empty for a missing token, RFC 6750 §3.1).
    #[must_use]
    pub fn into_response<B: From<Vec<u8>>>(self) -> http::Response<B> {
        let body = match self.kind.error_code() {
            Some(code) => serde_json::to_vec(&serde_json::json!({ "error": code.as_str() }))
                .unwrap_or_default(),
            None => Vec::new(),
        };
        let has_body = !body.is_empty();
        let mut response = http::Response::new(B::from(body));
        *response.status_mut() = self.status();
        let headers = response.headers_mut();
        if let Some(value) = self.www_authenticate() {
            headers.insert(http::header::WWW_AUTHENTICATE, value);
        }
        if let Some(value) = self.dpop_www_authenticate() {
            headers.append(http::header::WWW_AUTHENTICATE, value);
        }
        headers.insert(
            http::header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        );
        if has_body {
            headers.insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
        }
        response
    }
}

impl std::fmt::Display for AccessDenied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.log_reason)
    }
}

impl std::error::Error for AccessDenied {}

/// The challenge for `kind`. `scope` has `offline_access` removed already (RS-08).
fn build_challenge(kind: DenialKind, metadata_url: &str, scope: &ScopeSet) -> Option<Challenge> {
    // `metadata_url` was produced by `Url::to_string` at configuration time.
    let url = metadata_url.parse().ok()?;
    let built = match kind {
        DenialKind::MissingToken => {
            let b = Challenge::missing_token(AuthScheme::Bearer, &url);
            if scope.is_empty() { b } else { b.scope(scope) }.build()
        }
        DenialKind::InvalidToken | DenialKind::InvalidDpopProof => {
            Challenge::invalid_token(AuthScheme::Bearer, &url).build()
        }
        DenialKind::InsufficientScope => {
            Challenge::insufficient_scope(AuthScheme::Bearer, &url, scope).build()
        }
        DenialKind::InvalidRequest => Challenge::builder(AuthScheme::Bearer)
            .error(&ErrorCode::InvalidRequest)
            .resource_metadata(&url)
            .build(),
        DenialKind::KeysUnavailable => return None,
    };
    match built {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::warn!(error = %e, "resource-server challenge could not be built");
            Challenge::builder(AuthScheme::Bearer)
                .resource_metadata(&url)
                .build()
                .ok()
        }
    }
}

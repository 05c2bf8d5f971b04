//! Shared RFC 9449 DPoP plumbing of the IdP (IDP-20), the AS (AS-17) and the RS (RS-10).

use ema_jwt::verify::{
    DPOP_DEFAULT_MAX_AGE_SECS, DpopProofVerifier, DpopRequest, VerifiedDpopProof,
};
use ema_types::Clock;
use http::HeaderMap;

use crate::replay::{ReplayKey, ReplayStore};

/// Replay-store kind of DPoP proof `jti`s (RFC 9449 §11.1).
pub(crate) const REPLAY_KIND_DPOP: &str = "dpop";

/// Why a DPoP proof was refused.
#[derive(Debug)]
pub(crate) enum DpopFailure {
    /// The proof is missing where required, malformed, invalid or replayed (`invalid_dpop_proof`).
    Invalid(String),
    /// The server could not check it (configuration or replay store): fail closed.
    Server(String),
}

/// The value of the one `DPoP` header field: `Ok(None)` when absent; an error for several
/// fields or a non-ASCII value (RFC 9449 §4.3 check 1).
pub(crate) fn single_proof(headers: &HeaderMap) -> Result<Option<&str>, DpopFailure> {
    let mut fields = headers.get_all("dpop").iter();
    let Some(field) = fields.next() else {
        return Ok(None);
    };
    if fields.next().is_some() {
        return Err(DpopFailure::Invalid(
            "several DPoP header fields".to_owned(),
        ));
    }
    field
        .to_str()
        .map(|v| Some(v.trim()))
        .map_err(|_| DpopFailure::Invalid("DPoP header is not visible ASCII".to_owned()))
}

/// Verify `proof` against `request`, then reserve its `jti` (scoped by the key thumbprint) in
/// `replay` until `iat` + max age + skew.
pub(crate) async fn verify_and_reserve(
    proof: &str,
    request: &DpopRequest<'_>,
    skew: u64,
    replay: &dyn ReplayStore,
    clock: &dyn Clock,
) -> Result<VerifiedDpopProof, DpopFailure> {
    let verifier = DpopProofVerifier::new()
        .with_skew(skew)
        .map_err(|e| DpopFailure::Server(format!("DPoP verifier: {e}")))?;
    let verified = verifier.verify(proof, request, clock).map_err(|e| {
        if e.token_kind().is_some() {
            DpopFailure::Invalid(format!("DPoP proof: {}", e.kind()))
        } else {
            DpopFailure::Server(format!("DPoP request URL: {}", e.kind()))
        }
    })?;
    let key = ReplayKey {
        kind: REPLAY_KIND_DPOP,
        issuer: &verified.jkt,
        jti: &verified.jti,
    };
    let until = verified
        .iat
        .saturating_add(DPOP_DEFAULT_MAX_AGE_SECS)
        .saturating_add(skew);
    match replay.reserve(key, clock.now_unix(), until).await {
        Ok(true) => Ok(verified),
        Ok(false) => Err(DpopFailure::Invalid("DPoP proof jti replayed".to_owned())),
        Err(e) => {
            tracing::error!(error = %e, "replay store failed (DPoP); refusing (fail closed)");
            Err(DpopFailure::Server(format!("replay store: {e}")))
        }
    }
}

/// The token endpoint URL assumed when none is configured: the issuer followed by `/token`.
pub(crate) fn default_token_endpoint(issuer: &str) -> String {
    format!("{}/token", issuer.trim_end_matches('/'))
}

/// Whether `url` is an absolute `http`/`https` URL with a host.
pub(crate) fn is_absolute_http_url(url: &str) -> bool {
    http::Uri::try_from(url)
        .is_ok_and(|u| matches!(u.scheme_str(), Some("http" | "https")) && u.authority().is_some())
}

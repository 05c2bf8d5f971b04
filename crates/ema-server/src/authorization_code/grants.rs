//! Codes and refresh tokens: issue, redeem once, rotate, detect reuse, revoke families.

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ema_types::{
    ClientId, ErrorCode, Form, Resource, ScopeSet, Secret, SecureRandom, SystemRandom,
};
use http::StatusCode;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::pkce::verify_s256;
use super::store::{GrantKey, GrantKind, GrantStore, GrantStoreError};
use super::{AuthenticatedUser, AuthorizationRequest};
use crate::ConfigError;
use crate::endpoint::Rejection;

/// Bytes of randomness in a code or refresh token: 256 bits.
pub const CREDENTIAL_BYTES: usize = 32;
/// Bytes of randomness in a token-family id: 128 bits.
const FAMILY_BYTES: usize = 16;
/// Default lifetime of a refresh-token family: 30 days from the code's redemption
/// (absolute; rotation does not extend it).
pub const DEFAULT_REFRESH_TOKEN_TTL_SECS: u64 = 30 * 86_400;
/// Largest refresh-token family lifetime: 365 days.
pub const MAX_REFRESH_TOKEN_TTL_SECS: u64 = 365 * 86_400;
/// Largest code or refresh token read from a request.
const MAX_CREDENTIAL_BYTES: usize = 512;

/// What a redeemed code or a refresh token grants: the client, the user, the scope, the
/// resources, the OpenID Connect `nonce` (codes only) and the token family all tokens issued
/// from one code share.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Grant {
    /// The client the code was issued to.
    pub client_id: ClientId,
    /// The user who authorized it.
    pub user: AuthenticatedUser,
    /// The granted scope.
    pub scope: ScopeSet,
    /// The granted resources (RFC 8707).
    pub resources: Vec<Resource>,
    /// The authorization request's `nonce` (absent after a refresh).
    pub nonce: Option<String>,
    /// The family id (shared by the refresh tokens issued from one code).
    pub family: String,
    /// When the family (every refresh token in it) expires.
    pub family_expires_at: u64,
}

/// What is stored under a code or refresh token's hash.
#[derive(Serialize, Deserialize)]
struct Stored {
    client_id: String,
    user: AuthenticatedUser,
    scope: String,
    resources: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nonce: Option<String>,
    family: String,
    family_expires_at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    redirect_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    code_challenge: Option<String>,
    /// When a code expires (the store's own expiry is not relied on alone).
    #[serde(default)]
    code_expires_at: u64,
}

/// What a used-code or used-refresh-token marker remembers.
#[derive(Serialize, Deserialize)]
struct Used {
    family: String,
    family_expires_at: u64,
}

impl Stored {
    fn into_grant(self) -> Option<Grant> {
        Some(Grant {
            client_id: ClientId::new(self.client_id).ok()?,
            user: self.user,
            scope: ScopeSet::parse(&self.scope).ok()?,
            resources: self
                .resources
                .into_iter()
                .map(Resource::new)
                .collect::<Result<_, _>>()
                .ok()?,
            nonce: self.nonce,
            family: self.family,
            family_expires_at: self.family_expires_at,
        })
    }
}

/// The store key of a credential: base64url(SHA-256(credential)); the credential itself is
/// never stored.
fn credential_id(credential: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(credential.as_bytes()))
}

/// A kind of single-use credential: where it lives, where its used marker lives, and the
/// words of its refusals.
struct Credential {
    live: GrantKind,
    used: GrantKind,
    what: &'static str,
    unreadable: &'static str,
    collision: &'static str,
}

const CODE: Credential = Credential {
    live: GrantKind::Code,
    used: GrantKind::UsedCode,
    what: "code",
    unreadable: "stored code unreadable",
    collision: "code collision",
};

const REFRESH_TOKEN: Credential = Credential {
    live: GrantKind::RefreshToken,
    used: GrantKind::UsedRefreshToken,
    what: "refresh token",
    unreadable: "stored token unreadable",
    collision: "token collision",
};

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, Rejection> {
    serde_json::to_vec(value).map_err(|e| Rejection::new(ErrorCode::ServerError, e.to_string()))
}

fn decode(bytes: &[u8], credential: &Credential) -> Result<Stored, Rejection> {
    serde_json::from_slice(bytes)
        .map_err(|_| Rejection::new(ErrorCode::ServerError, credential.unreadable))
}

fn invalid_grant(reason: impl Into<String>) -> Rejection {
    Rejection::new(ErrorCode::InvalidGrant, reason)
}

fn store_failed(e: &GrantStoreError) -> Rejection {
    tracing::error!(error = %e, "grant store failed");
    Rejection::new(ErrorCode::ServerError, e.to_string())
        .with_status(StatusCode::INTERNAL_SERVER_ERROR)
}

/// Codes and refresh tokens over a [`GrantStore`]:
///
/// - a code is 256 random bits, stored under its SHA-256 until it expires, bound to the
///   client, the redirect URI, the PKCE challenge, the `nonce`, the scope, the resources and
///   the user; [`AuthorizationGrants::redeem_code`] takes it atomically (single use), then
///   checks client, `redirect_uri` and `code_verifier`. A second redemption within the code's
///   lifetime revokes every refresh token issued from the first (RFC 6749 §4.1.2, §10.5);
/// - refresh tokens are rotated on every use (RFC 9700 §4.14.2): the used one is taken and a
///   marker remembers its family; presenting it again revokes the whole family, and tokens
///   of a revoked family are refused. A family lives [`DEFAULT_REFRESH_TOKEN_TTL_SECS`] from
///   the code's redemption, whatever the rotations.
///
/// Every refusal is `invalid_grant` with the precise reason in `tracing` only; a failing
/// store is `server_error` (fail closed). Access tokens already issued are self-contained
/// JWTs and stay valid until they expire.
#[derive(Clone)]
pub struct AuthorizationGrants {
    store: Arc<dyn GrantStore>,
    rng: Arc<dyn SecureRandom>,
    refresh_ttl: u64,
}

impl fmt::Debug for AuthorizationGrants {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationGrants")
            .field("refresh_ttl", &self.refresh_ttl)
            .finish_non_exhaustive()
    }
}

impl AuthorizationGrants {
    /// Grants kept in `store`, credentials drawn from [`SystemRandom`].
    #[must_use]
    pub fn new(store: Arc<dyn GrantStore>) -> Self {
        Self {
            store,
            rng: Arc::new(SystemRandom),
            refresh_ttl: DEFAULT_REFRESH_TOKEN_TTL_SECS,
        }
    }

    /// Draw codes, refresh tokens and family ids from `rng`.
    #[must_use]
    pub fn with_random(mut self, rng: Arc<dyn SecureRandom>) -> Self {
        self.rng = rng;
        self
    }

    /// Set the refresh-token family lifetime (1 s to 365 days).
    pub fn with_refresh_token_ttl(mut self, secs: u64) -> Result<Self, ConfigError> {
        if secs == 0 || secs > MAX_REFRESH_TOKEN_TTL_SECS {
            return Err(ConfigError::new(format!(
                "refresh-token lifetime {secs} s is outside 1..={MAX_REFRESH_TOKEN_TTL_SECS} s"
            )));
        }
        self.refresh_ttl = secs;
        Ok(self)
    }

    /// The refresh-token family lifetime in seconds.
    #[must_use]
    pub fn refresh_token_ttl(&self) -> u64 {
        self.refresh_ttl
    }

    fn random(&self, bytes: usize) -> Result<String, Rejection> {
        self.rng
            .token_id(bytes)
            .map_err(|_| Rejection::new(ErrorCode::ServerError, "randomness failed"))
    }

    /// Issue a code for `request` and `user`, valid until `now + ttl`.
    pub(crate) async fn issue_code(
        &self,
        request: &AuthorizationRequest,
        user: AuthenticatedUser,
        now: u64,
        ttl: u64,
    ) -> Result<Secret, Rejection> {
        let code = self.random(CREDENTIAL_BYTES)?;
        let stored = Stored {
            client_id: request.client_id.as_str().to_owned(),
            user,
            scope: request.scope.to_string(),
            resources: request
                .resources
                .iter()
                .map(|r| r.as_str().to_owned())
                .collect(),
            nonce: request.nonce.clone(),
            family: self.random(FAMILY_BYTES)?,
            family_expires_at: 0,
            redirect_uri: Some(request.redirect_uri.clone()),
            code_challenge: Some(request.code_challenge.clone()),
            code_expires_at: now.saturating_add(ttl),
        };
        self.store_new(&CODE, code, &stored, now, now.saturating_add(ttl))
            .await
    }

    /// Store `stored` under the new `credential` until `expires_at`.
    async fn store_new(
        &self,
        kind: &Credential,
        credential: String,
        stored: &Stored,
        now: u64,
        expires_at: u64,
    ) -> Result<Secret, Rejection> {
        let value = encode(stored)?;
        let id = credential_id(&credential);
        let key = GrantKey {
            kind: kind.live,
            id: &id,
        };
        match self.store.insert(key, &value, now, expires_at).await {
            Ok(true) => Ok(Secret::new(credential)),
            Ok(false) => Err(Rejection::new(ErrorCode::ServerError, kind.collision)),
            Err(e) => Err(store_failed(&e)),
        }
    }

    /// Take the credential stored under `id` (single use); when it is gone, a marker saying
    /// it was used revokes its family.
    async fn take_once(&self, kind: &Credential, id: &str, now: u64) -> Result<Stored, Rejection> {
        let taken = self
            .store
            .take(
                GrantKey {
                    kind: kind.live,
                    id,
                },
                now,
            )
            .await
            .map_err(|e| store_failed(&e))?;
        let Some(bytes) = taken else {
            return Err(self.reuse(kind.used, id, now, kind.what).await);
        };
        decode(&bytes, kind)
    }

    /// Remember until `until` that the credential stored under `id` was used, and its family.
    async fn mark_used(
        &self,
        kind: &Credential,
        id: &str,
        used: &Used,
        now: u64,
        until: u64,
    ) -> Result<(), Rejection> {
        let value = encode(used)?;
        self.store
            .insert(
                GrantKey {
                    kind: kind.used,
                    id,
                },
                &value,
                now,
                until,
            )
            .await
            .map(|_| ())
            .map_err(|e| store_failed(&e))
    }

    /// Redeem the code of a token request (RFC 6749 §4.1.3, RFC 7636 §4.6) for the
    /// authenticated `client_id`: `code`, `redirect_uri` and `code_verifier` are read from
    /// `form`. The code is spent whatever the outcome.
    pub async fn redeem_code(
        &self,
        form: &Form,
        client_id: &ClientId,
        now: u64,
    ) -> Result<Grant, Rejection> {
        let code = form.required("code")?;
        let redirect_uri = form.required("redirect_uri")?;
        let code_verifier = form.required("code_verifier")?;
        if code.len() > MAX_CREDENTIAL_BYTES {
            return Err(invalid_grant("code too long"));
        }
        let id = credential_id(code);
        let stored = self.take_once(&CODE, &id, now).await?;
        let family_expires_at = now.saturating_add(self.refresh_ttl);
        // Remember the spent code until it would have expired: a second redemption in that
        // window revokes what the first one got.
        let used = Used {
            family: stored.family.clone(),
            family_expires_at,
        };
        self.mark_used(&CODE, &id, &used, now, stored.code_expires_at)
            .await?;
        if stored.code_expires_at <= now {
            return Err(invalid_grant("code expired"));
        }
        if stored.client_id != client_id.as_str() {
            return Err(invalid_grant("code was issued to another client"));
        }
        // RFC 6749 §4.1.3: "identical" to the authorization request's value.
        if stored.redirect_uri.as_deref() != Some(redirect_uri) {
            return Err(invalid_grant(
                "redirect_uri differs from the authorization request",
            ));
        }
        let challenge = stored.code_challenge.as_deref().unwrap_or_default();
        if !verify_s256(challenge, code_verifier) {
            return Err(invalid_grant(
                "code_verifier does not match the code_challenge",
            ));
        }
        let mut grant = stored
            .into_grant()
            .ok_or_else(|| Rejection::new(ErrorCode::ServerError, CODE.unreadable))?;
        grant.family_expires_at = family_expires_at;
        Ok(grant)
    }

    /// Issue a refresh token in `grant`'s family (until the family expires).
    pub async fn issue_refresh_token(&self, grant: &Grant, now: u64) -> Result<Secret, Rejection> {
        let token = self.random(CREDENTIAL_BYTES)?;
        let stored = Stored {
            client_id: grant.client_id.as_str().to_owned(),
            user: grant.user.clone(),
            scope: grant.scope.to_string(),
            resources: grant
                .resources
                .iter()
                .map(|r| r.as_str().to_owned())
                .collect(),
            nonce: None,
            family: grant.family.clone(),
            family_expires_at: grant.family_expires_at,
            redirect_uri: None,
            code_challenge: None,
            code_expires_at: 0,
        };
        self.store_new(&REFRESH_TOKEN, token, &stored, now, grant.family_expires_at)
            .await
    }

    /// Spend the refresh token `presented` by the authenticated `client_id` (RFC 6749 §6):
    /// the caller issues its successor with [`AuthorizationGrants::issue_refresh_token`]. A
    /// used token revokes its family; a token of a revoked family, of another client, or
    /// unknown is refused.
    pub async fn rotate_refresh_token(
        &self,
        presented: &str,
        client_id: &ClientId,
        now: u64,
    ) -> Result<Grant, Rejection> {
        if presented.len() > MAX_CREDENTIAL_BYTES {
            return Err(invalid_grant("refresh token too long"));
        }
        let id = credential_id(presented);
        let stored = self.take_once(&REFRESH_TOKEN, &id, now).await?;
        let used = Used {
            family: stored.family.clone(),
            family_expires_at: stored.family_expires_at,
        };
        self.mark_used(&REFRESH_TOKEN, &id, &used, now, stored.family_expires_at)
            .await?;
        if stored.family_expires_at <= now {
            return Err(invalid_grant("refresh token expired"));
        }
        if stored.client_id != client_id.as_str() {
            self.revoke_family(&stored.family, stored.family_expires_at, now)
                .await?;
            return Err(invalid_grant(
                "refresh token presented by another client; family revoked",
            ));
        }
        self.unrevoked_grant(stored, now).await
    }

    /// Check the refresh token `presented` by `client_id` without spending it (IDP-08: an
    /// IdP refresh token as a token-exchange subject token).
    pub async fn inspect_refresh_token(
        &self,
        presented: &str,
        client_id: &ClientId,
        now: u64,
    ) -> Result<Grant, Rejection> {
        if presented.len() > MAX_CREDENTIAL_BYTES {
            return Err(invalid_grant("refresh token too long"));
        }
        let id = credential_id(presented);
        let found = self
            .get(REFRESH_TOKEN.live, &id, now)
            .await?
            .ok_or_else(|| invalid_grant("unknown, used or expired refresh token"))?;
        let stored = decode(&found, &REFRESH_TOKEN)?;
        if stored.family_expires_at <= now {
            return Err(invalid_grant("refresh token expired"));
        }
        if stored.client_id != client_id.as_str() {
            return Err(invalid_grant("refresh token of another client"));
        }
        self.unrevoked_grant(stored, now).await
    }

    /// Revoke every refresh token of `family` (until `family_expires_at`).
    pub async fn revoke_family(
        &self,
        family: &str,
        family_expires_at: u64,
        now: u64,
    ) -> Result<(), Rejection> {
        self.store
            .insert(
                GrantKey {
                    kind: GrantKind::RevokedFamily,
                    id: family,
                },
                b"1",
                now,
                family_expires_at,
            )
            .await
            .map(|_| ())
            .map_err(|e| store_failed(&e))
    }

    async fn get(&self, kind: GrantKind, id: &str, now: u64) -> Result<Option<Vec<u8>>, Rejection> {
        self.store
            .get(GrantKey { kind, id }, now)
            .await
            .map_err(|e| store_failed(&e))
    }

    /// The grant of a refresh token's `stored` entry, unless its family is revoked.
    async fn unrevoked_grant(&self, stored: Stored, now: u64) -> Result<Grant, Rejection> {
        if self
            .get(GrantKind::RevokedFamily, &stored.family, now)
            .await?
            .is_some()
        {
            return Err(invalid_grant("token family revoked"));
        }
        stored
            .into_grant()
            .ok_or_else(|| Rejection::new(ErrorCode::ServerError, REFRESH_TOKEN.unreadable))
    }

    /// A code or refresh token that is not (or no longer) stored: when a marker says it was
    /// used, revoke its family.
    async fn reuse(&self, marker: GrantKind, id: &str, now: u64, what: &str) -> Rejection {
        let used = match self.get(marker, id, now).await {
            Ok(used) => used,
            Err(rejection) => return rejection,
        };
        let Some(used) = used.and_then(|b| serde_json::from_slice::<Used>(&b).ok()) else {
            return invalid_grant(format!("unknown or expired {what}"));
        };
        match self
            .revoke_family(&used.family, used.family_expires_at, now)
            .await
        {
            Ok(()) => {
                tracing::warn!(what, "credential reused: its token family is revoked");
                invalid_grant(format!("{what} reused; token family revoked"))
            }
            Err(rejection) => rejection,
        }
    }
}

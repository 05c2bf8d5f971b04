//! OpenID Connect ID-token minting at the IdP (OIDC Core §2, §3.1.3.6; CL-02 on the client
//! side, IDP-06 when the IdP later accepts its own ID tokens as subject tokens).

use ema_types::claims::IdTokenClaims;
use ema_types::{ClientId, Clock, Issuer, SecureRandom};

use super::{Minted, checked_lifetime, new_jti, seal};
use crate::error::Error;
use crate::key::SigningKey;

/// Default ID-token lifetime: 3600 s.
pub const ID_TOKEN_DEFAULT_TTL_SECS: u64 = 3600;
/// Largest ID-token lifetime: 86400 s.
pub const ID_TOKEN_MAX_TTL_SECS: u64 = 86_400;

/// The header `typ` of minted ID tokens: `JWT` (OIDC Core does not name one; ID-token
/// verifiers accept it, and it is not the ID-JAG or access-token type, JWT-03).
pub const ID_TOKEN_TYP: &str = "JWT";

/// What an ID token says: who signed in, for which client, and how.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct IdTokenGrant {
    /// `sub`: the user at this IdP.
    pub subject: String,
    /// `aud` (and `azp`): the client the token is issued to.
    pub client_id: ClientId,
    /// `nonce` of the authentication request (OIDC Core §3.1.2.1), repeated verbatim.
    pub nonce: Option<String>,
    /// `auth_time`: when the user authenticated.
    pub auth_time: Option<u64>,
    /// `acr`.
    pub acr: Option<String>,
    /// `amr`.
    pub amr: Option<Vec<String>>,
    /// `email`, when known.
    pub email: Option<String>,
}

impl IdTokenGrant {
    /// An ID token for `subject` issued to `client_id`, with nothing else known.
    #[must_use]
    pub fn new(subject: impl Into<String>, client_id: ClientId) -> Self {
        Self {
            subject: subject.into(),
            client_id,
            nonce: None,
            auth_time: None,
            acr: None,
            amr: None,
            email: None,
        }
    }
}

/// Mints OpenID Connect ID tokens for one IdP issuer with one signing key: header `typ`
/// `JWT`, `alg`/`kid` from the key; claims `iss`, `sub`, `aud` = `azp` = the client id, `iat`,
/// `exp`, a 128-bit `jti`, and `nonce`, `auth_time`, `acr`, `amr`, `email` when given.
#[derive(Debug, Clone)]
pub struct IdTokenMinter {
    issuer: Issuer,
    key: SigningKey,
    ttl: u64,
}

impl IdTokenMinter {
    /// A minter for `issuer` signing with `key`, lifetime 3600 s.
    #[must_use]
    pub fn new(issuer: Issuer, key: SigningKey) -> Self {
        Self {
            issuer,
            key,
            ttl: ID_TOKEN_DEFAULT_TTL_SECS,
        }
    }

    /// Set the lifetime (1 to 86400 s).
    pub fn with_ttl(mut self, secs: u64) -> Result<Self, Error> {
        self.ttl = checked_lifetime(
            secs,
            ID_TOKEN_MAX_TTL_SECS,
            "ID-token lifetime must be 1..=86400 seconds",
        )?;
        Ok(self)
    }

    /// The lifetime in seconds.
    #[must_use]
    pub fn ttl(&self) -> u64 {
        self.ttl
    }

    /// Mint an ID token.
    pub fn mint(
        &self,
        grant: IdTokenGrant,
        clock: &dyn Clock,
        rng: &dyn SecureRandom,
    ) -> Result<Minted<IdTokenClaims>, Error> {
        let iat = clock.now_unix();
        let client_id = grant.client_id.into_string();
        let mut claims = IdTokenClaims::new(
            self.issuer.as_str(),
            grant.subject,
            client_id.clone(),
            iat,
            iat.saturating_add(self.ttl),
        );
        claims.azp = Some(client_id);
        claims.jti = Some(new_jti(rng)?);
        claims.nonce = grant.nonce;
        claims.auth_time = grant.auth_time;
        claims.acr = grant.acr;
        claims.amr = grant.amr;
        claims.email = grant.email;
        seal(&self.key, ID_TOKEN_TYP, claims)
    }
}

#[cfg(all(test, any(feature = "aws-lc-rs", feature = "rust-crypto")))]
mod tests {
    use ema_types::{FixedClock, SystemRandom};

    use super::*;
    use crate::verify::IdTokenVerifier;
    use crate::{Algorithm, KeySet};

    #[test]
    fn cl_02_minted_id_token_verifies_with_nonce_and_typ_jwt() {
        let key = SigningKey::generate(Algorithm::ES256)
            .unwrap()
            .with_kid("idp-1");
        let issuer = Issuer::new("https://login.acme-idp.test").unwrap();
        let clock = FixedClock::new(1_700_000_000);
        let minter = IdTokenMinter::new(issuer.clone(), key.clone())
            .with_ttl(600)
            .unwrap();
        let mut grant = IdTokenGrant::new("alice", ClientId::new("ema-cli").unwrap());
        grant.nonce = Some("n-123".into());
        grant.auth_time = Some(1_699_999_990);
        grant.email = Some("alice@acme.test".into());
        let minted = minter.mint(grant, &clock, &SystemRandom).unwrap();
        let header = crate::compact::UnverifiedJws::decode(
            minted.token.expose(),
            crate::compact::DEFAULT_MAX_TOKEN_BYTES,
        )
        .unwrap()
        .header()
        .clone();
        assert_eq!(header.typ.as_deref(), Some("JWT"));
        assert_eq!(header.kid.as_deref(), Some("idp-1"));
        let keys = KeySet::from_keys(vec![key.verifying_key().clone()]);
        let claims = IdTokenVerifier::new(issuer, "ema-cli")
            .verify(
                minted.token.expose(),
                &keys,
                &[Algorithm::ES256],
                Some("n-123"),
                &clock,
            )
            .unwrap();
        assert_eq!(claims.sub, "alice");
        assert_eq!(claims.exp, 1_700_000_600);
        assert_eq!(claims.azp.as_deref(), Some("ema-cli"));
        assert_eq!(claims.email.as_deref(), Some("alice@acme.test"));
        assert_eq!(claims.auth_time, Some(1_699_999_990));
        assert_eq!(claims.jti.as_ref().map(String::len), Some(22));
    }

    #[test]
    fn lifetime_is_bounded() {
        let key = SigningKey::generate(Algorithm::ES256).unwrap();
        let issuer = Issuer::new("https://login.acme-idp.test").unwrap();
        assert!(
            IdTokenMinter::new(issuer.clone(), key.clone())
                .with_ttl(0)
                .is_err()
        );
        assert!(
            IdTokenMinter::new(issuer, key)
                .with_ttl(ID_TOKEN_MAX_TTL_SECS + 1)
                .is_err()
        );
    }
}

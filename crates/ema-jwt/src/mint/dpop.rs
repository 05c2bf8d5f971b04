//! RFC 9449 DPoP proof minting, for clients (CL-23) and tests.

use ema_types::{Clock, Secret, SecureRandom, urn};
use serde_json::{Map, Value};

use super::jws::sign_with_header_json;
use super::new_jti;
use crate::error::{Error, ErrorKind};
use crate::key::{Jwk, SigningKey};
use crate::verify::dpop::{access_token_hash, htu_key};

/// Mints DPoP proofs with one client key (RFC 9449 §4.2).
///
/// The header is `{"typ":"dpop+jwt","alg":…,"jwk":…}` where `jwk` holds the public members
/// only (`kty`, `crv`, `x`, `y` for P-256; `kty`, `crv`, `x` for Ed25519; no `kid`). The
/// claims are a fresh 128-bit `jti`, `htm`, `htu` (the URL without query and fragment),
/// `iat` from the clock, and `ath` and `nonce` when given.
///
/// [`DpopProofMinter::jkt`] is the thumbprint the client expects in the `cnf.jkt` of the
/// ID-JAG it receives (CL-23) and of the access token.
#[derive(Debug, Clone)]
pub struct DpopProofMinter {
    key: SigningKey,
}

impl DpopProofMinter {
    /// A minter signing with `key` (ES256 or EdDSA).
    #[must_use]
    pub fn new(key: SigningKey) -> Self {
        Self { key }
    }

    /// The signing key.
    #[must_use]
    pub fn key(&self) -> &SigningKey {
        &self.key
    }

    /// The public JWK every proof carries in its header.
    #[must_use]
    pub fn public_jwk(&self) -> Jwk {
        public_jwk(&self.key)
    }

    /// The RFC 7638 SHA-256 thumbprint of the key, unpadded base64url: compare it with
    /// `cnf.jkt` of the tokens bound to this key (CL-23).
    #[must_use]
    pub fn jkt(&self) -> &str {
        self.key.verifying_key().thumbprint()
    }

    /// Mint a proof for a request with method `htm` (for example `POST`) to the absolute
    /// `http`/`https` URL `htu` (query and fragment are dropped), with `ath` when an
    /// `access_token` is given (RFC 9449 §7) and the server `nonce` when given (§8).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfig`] for an empty method or a URL that is not an absolute
    /// `http`/`https` URL; [`ErrorKind::Randomness`]; [`ErrorKind::Signing`].
    pub fn mint(
        &self,
        htm: &str,
        htu: &str,
        access_token: Option<&str>,
        nonce: Option<&str>,
        clock: &dyn Clock,
        rng: &dyn SecureRandom,
    ) -> Result<Secret, Error> {
        if htm.is_empty() || htm.bytes().any(|b| !b.is_ascii_graphic()) {
            return Err(Error::new(ErrorKind::InvalidConfig(
                "DPoP method is not an HTTP method token",
            )));
        }
        if htu_key(htu).is_none() {
            return Err(Error::new(ErrorKind::InvalidConfig(
                "DPoP URL is not an absolute http(s) URL",
            )));
        }
        let htu = htu.split(['?', '#']).next().unwrap_or_default();
        let mut claims = Map::new();
        claims.insert("jti".into(), Value::String(new_jti(rng)?));
        claims.insert("htm".into(), Value::String(htm.to_owned()));
        claims.insert("htu".into(), Value::String(htu.to_owned()));
        claims.insert("iat".into(), Value::from(clock.now_unix()));
        if let Some(token) = access_token {
            claims.insert("ath".into(), Value::String(access_token_hash(token)));
        }
        if let Some(nonce) = nonce {
            claims.insert("nonce".into(), Value::String(nonce.to_owned()));
        }
        sign_with_header_json(&self.key, &proof_header(&self.key)?, &claims).map(Secret::new)
    }
}

fn public_jwk(key: &SigningKey) -> Jwk {
    let mut jwk = key.verifying_key().to_jwk();
    jwk.kid = None;
    jwk.use_ = None;
    jwk.alg = None;
    jwk
}

/// `{"typ":"dpop+jwt","alg":…,"jwk":…}`.
fn proof_header(key: &SigningKey) -> Result<Vec<u8>, ErrorKind> {
    let jwk = serde_json::to_value(public_jwk(key)).map_err(|_| ErrorKind::Serialization)?;
    let mut map = Map::new();
    map.insert("typ".into(), Value::String(urn::JOSE_TYPE_DPOP.into()));
    map.insert("alg".into(), Value::String(key.algorithm().as_str().into()));
    map.insert("jwk".into(), jwk);
    serde_json::to_vec(&map).map_err(|_| ErrorKind::Serialization)
}

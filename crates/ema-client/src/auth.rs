//! Client authentication at one party's token endpoint (CL-09, CL-13, JWT-10).

use std::fmt;

use ema_types::{ClientAuthParams, ClientId, Clock, Form, Issuer, Secret, SecureRandom};

use crate::Error;
use crate::error::Leg;

/// How a client authenticates at a token endpoint.
#[derive(Clone)]
#[non_exhaustive]
pub enum ClientAuthMethod {
    /// `client_secret_basic`: HTTP Basic with the id and secret form-urlencoded first
    /// (RFC 6749 §2.3.1).
    SecretBasic(Secret),
    /// `client_secret_post`: `client_id` and `client_secret` in the form body.
    SecretPost(Secret),
    /// `private_key_jwt` (JWT-10): a signed assertion with `iss` = `sub` = the client id and
    /// `aud` = the party's issuer.
    #[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
    #[cfg_attr(docsrs, doc(cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))))]
    PrivateKeyJwt(ema_jwt::SigningKey),
    /// `none`: a public client, identified by `client_id` in the form body alone. Only for a
    /// party that registered the client without credentials, such as the MCP conformance
    /// suite's IdP: CL-09 (and OQ-08) require authentication at a production IdP.
    Public,
}

impl fmt::Debug for ClientAuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SecretBasic(_) => f.write_str("SecretBasic([redacted])"),
            Self::SecretPost(_) => f.write_str("SecretPost([redacted])"),
            #[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
            Self::PrivateKeyJwt(key) => f
                .debug_tuple("PrivateKeyJwt")
                .field(&key.algorithm())
                .field(&key.kid())
                .finish(),
            Self::Public => f.write_str("Public"),
        }
    }
}

impl ClientAuthMethod {
    /// The RFC 8414 / RFC 7591 name of the method.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Self::SecretBasic(_) => "client_secret_basic",
            Self::SecretPost(_) => "client_secret_post",
            #[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
            Self::PrivateKeyJwt(_) => "private_key_jwt",
            Self::Public => "none",
        }
    }
}

/// The credentials a client holds at **one** party (the IdP, or one resource AS). The IdP
/// registration and each AS registration are independent (CL-13): configure one value per
/// party and never reuse it across parties.
///
/// ```
/// use ema_client::{ClientAuthMethod, ClientCredentials};
/// use ema_types::{ClientId, Secret};
/// let at_idp = ClientCredentials::new(
///     ClientId::new("desk-7f3a")?,
///     ClientAuthMethod::SecretBasic(Secret::new("s4pr-example-secret")),
/// );
/// assert!(!format!("{at_idp:?}").contains("s4pr"));
/// # Ok::<(), ema_types::IdentifierError>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientCredentials {
    /// The client id registered at this party.
    pub client_id: ClientId,
    /// The authentication method and its secret or key.
    pub method: ClientAuthMethod,
}

/// What authenticating adds to a request: form parameters and, for Basic, a header value.
pub(crate) struct Authentication {
    pub(crate) params: ClientAuthParams,
    pub(crate) authorization: Option<Secret>,
}

impl ClientCredentials {
    /// Credentials for `client_id` with `method`.
    #[must_use]
    pub fn new(client_id: ClientId, method: ClientAuthMethod) -> Self {
        Self { client_id, method }
    }

    /// Authenticate a request to the party whose issuer is `audience` (the `aud` of a
    /// `private_key_jwt` assertion, JWT-10).
    #[cfg_attr(
        not(any(feature = "aws-lc-rs", feature = "rust-crypto")),
        allow(unused_variables)
    )]
    pub(crate) fn authenticate(
        &self,
        leg: Leg,
        audience: &Issuer,
        clock: &dyn Clock,
        rng: &dyn SecureRandom,
    ) -> Result<Authentication, Error> {
        Ok(match &self.method {
            ClientAuthMethod::SecretBasic(secret) => Authentication {
                params: ClientAuthParams::default(),
                authorization: Some(Secret::new(ema_types::basic_auth::encode(
                    &self.client_id,
                    secret,
                ))),
            },
            ClientAuthMethod::SecretPost(secret) => Authentication {
                params: ClientAuthParams::secret_post(self.client_id.clone(), secret.clone()),
                authorization: None,
            },
            #[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
            ClientAuthMethod::PrivateKeyJwt(key) => {
                let minter =
                    ema_jwt::mint::ClientAssertionMinter::new(self.client_id.clone(), key.clone());
                let minted = minter
                    .mint(audience, clock, rng)
                    .map_err(|e| Error::new(leg, crate::ErrorKind::Jwt(e)))?;
                Authentication {
                    params: ClientAuthParams::assertion(Some(self.client_id.clone()), minted.token),
                    authorization: None,
                }
            }
            ClientAuthMethod::Public => Authentication {
                params: ClientAuthParams::id_only(self.client_id.clone()),
                authorization: None,
            },
        })
    }
}

/// Append the authentication parameters to `form`.
pub(crate) fn write_params(auth: &Authentication, form: &mut Form) {
    auth.params.write(form);
}

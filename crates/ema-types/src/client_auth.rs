//! Client authentication parameters carried in a token request body (RFC 6749 §2.3.1,
//! RFC 7523 §2.2).

use crate::error::{FormError, FormErrorKind};
use crate::{ClientId, Form, Secret, urn};

/// Client authentication carried in the body: `client_id`, `client_secret`
/// (`client_secret_post`), or `client_assertion_type` + `client_assertion` (`private_key_jwt`).
///
/// Header-based `client_secret_basic` is read by the server from the `Authorization` header
/// ([`crate::basic_auth`]); the server then checks that a `client_id` here names the same client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientAuthParams {
    /// `client_id`.
    pub client_id: Option<ClientId>,
    /// `client_secret` (`client_secret_post`).
    pub client_secret: Option<Secret>,
    /// `client_assertion` (`private_key_jwt`); its type was checked to be the RFC 7523 one.
    pub client_assertion: Option<Secret>,
}

impl ClientAuthParams {
    /// Parameters for `client_secret_post`.
    #[must_use]
    pub fn secret_post(client_id: ClientId, secret: Secret) -> Self {
        Self {
            client_id: Some(client_id),
            client_secret: Some(secret),
            client_assertion: None,
        }
    }

    /// Parameters for `private_key_jwt` (RFC 7523 §2.2; `client_id` is optional there).
    #[must_use]
    pub fn assertion(client_id: Option<ClientId>, assertion: Secret) -> Self {
        Self {
            client_id,
            client_secret: None,
            client_assertion: Some(assertion),
        }
    }

    /// Only a `client_id` (a public client, or alongside `client_secret_basic`).
    #[must_use]
    pub fn id_only(client_id: ClientId) -> Self {
        Self {
            client_id: Some(client_id),
            client_secret: None,
            client_assertion: None,
        }
    }

    /// Read from a decoded form. A `client_assertion_type` other than the RFC 7523 one, an
    /// assertion without its type (or the reverse), and a secret together with an assertion
    /// (two methods in one request) are rejected.
    pub fn from_form(form: &Form) -> Result<Self, FormError> {
        let client_id = form
            .optional("client_id")?
            .map(ClientId::new)
            .transpose()
            .map_err(|_| FormError::param(FormErrorKind::InvalidValue, "client_id"))?;
        let client_secret = form.optional("client_secret")?.map(Secret::new);
        let assertion_type = form.optional("client_assertion_type")?;
        let assertion = form.optional("client_assertion")?;
        let client_assertion = match (assertion_type, assertion) {
            (None, None) => None,
            (Some(urn::CLIENT_ASSERTION_TYPE_JWT_BEARER), Some(a)) => Some(Secret::new(a)),
            (Some(urn::CLIENT_ASSERTION_TYPE_JWT_BEARER), None) => {
                return Err(FormError::param(FormErrorKind::Missing, "client_assertion"));
            }
            (Some(_), _) => {
                return Err(FormError::param(
                    FormErrorKind::InvalidValue,
                    "client_assertion_type",
                ));
            }
            (None, Some(_)) => {
                return Err(FormError::param(
                    FormErrorKind::Missing,
                    "client_assertion_type",
                ));
            }
        };
        if client_secret.is_some() && client_assertion.is_some() {
            return Err(FormError::param(
                FormErrorKind::Inconsistent,
                "client_assertion",
            ));
        }
        Ok(Self {
            client_id,
            client_secret,
            client_assertion,
        })
    }

    /// Write into a form being encoded.
    pub fn write(&self, form: &mut Form) {
        form.push_opt("client_id", self.client_id.as_ref().map(ClientId::as_str));
        form.push_opt(
            "client_secret",
            self.client_secret.as_ref().map(Secret::expose),
        );
        if let Some(a) = &self.client_assertion {
            form.push(
                "client_assertion_type",
                urn::CLIENT_ASSERTION_TYPE_JWT_BEARER,
            );
            form.push("client_assertion", a.expose());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<ClientAuthParams, FormError> {
        ClientAuthParams::from_form(&Form::decode(body.as_bytes()).unwrap())
    }

    #[test]
    fn jwt_10_assertion_type_must_be_rfc7523() {
        let ok = parse(
            "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=x.y.z",
        )
        .unwrap();
        assert_eq!(ok.client_assertion.unwrap().expose(), "x.y.z");
        assert_eq!(
            parse("client_assertion_type=saml&client_assertion=x").unwrap_err(),
            FormError::param(FormErrorKind::InvalidValue, "client_assertion_type")
        );
        assert_eq!(
            parse("client_assertion=x").unwrap_err(),
            FormError::param(FormErrorKind::Missing, "client_assertion_type")
        );
    }

    #[test]
    fn as_02_unsupported_assertion_type_is_invalid_client() {
        // RFC 6749 §5.2: an unsupported authentication method is `invalid_client`, at every
        // endpoint that parses client authentication from the form (found by the ema-vectors
        // corpus, `jb-client-assertion-type-unknown`).
        let unsupported = parse("client_assertion_type=saml&client_assertion=x").unwrap_err();
        assert_eq!(unsupported.error_code(), crate::ErrorCode::InvalidClient);
        let missing = parse("client_assertion=x").unwrap_err();
        assert_eq!(missing.error_code(), crate::ErrorCode::InvalidRequest);
    }

    #[test]
    fn two_methods_rejected() {
        assert_eq!(
            parse("client_id=a&client_secret=s&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=x").unwrap_err(),
            FormError::param(FormErrorKind::Inconsistent, "client_assertion")
        );
    }

    #[test]
    fn round_trip() {
        let p = ClientAuthParams::secret_post(ClientId::new("a").unwrap(), Secret::new("s"));
        let mut f = Form::new();
        p.write(&mut f);
        assert_eq!(parse(&f.encode()).unwrap(), p);
    }
}

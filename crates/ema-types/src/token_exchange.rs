//! The RFC 8693 token-exchange request and response (client → IdP, ID-JAG issuance).

use serde::{Deserialize, Serialize};

use crate::error::{FormError, FormErrorKind};
use crate::grant::expect_grant_type;
use crate::{ClientAuthParams, Form, Issuer, Resource, ScopeSet, Secret, TokenType, urn};

/// An RFC 8693 §2.1 token-exchange request.
///
/// Decoding follows RFC 8693 and RFC 6749 §3.2: `subject_token` and `subject_token_type` are
/// required; `resource` and `audience` may repeat; every other parameter may appear once;
/// `actor_token` and `actor_token_type` come together. EMA-specific rules (a single
/// `audience`, `requested_token_type` required, IDP-03/04) belong to the IdP handler.
///
/// ```
/// use ema_types::{Issuer, Resource, Secret, TokenExchangeRequest, TokenType};
/// let req = TokenExchangeRequest::for_id_jag(
///     Secret::new("eyJ..."),
///     TokenType::IdToken,
///     &Issuer::new("https://as.toolhub.test")?,
///     Resource::new("https://tools.toolhub.test/mcp")?,
///     Some("tickets:read".parse()?),
/// );
/// let body = req.to_form().encode();
/// assert!(body.starts_with("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange"));
/// assert_eq!(TokenExchangeRequest::decode(body.as_bytes())?, req);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenExchangeRequest {
    /// `subject_token`.
    pub subject_token: Secret,
    /// `subject_token_type`.
    pub subject_token_type: TokenType,
    /// `requested_token_type`.
    pub requested_token_type: Option<TokenType>,
    /// `audience` values (for EMA: exactly one, the AS issuer).
    pub audience: Vec<String>,
    /// `resource` values (RFC 8707).
    pub resource: Vec<Resource>,
    /// `scope`.
    pub scope: Option<ScopeSet>,
    /// `actor_token`.
    pub actor_token: Option<Secret>,
    /// `actor_token_type`.
    pub actor_token_type: Option<TokenType>,
    /// Client authentication in the body.
    pub client_auth: ClientAuthParams,
}

impl TokenExchangeRequest {
    /// The request an EMA client sends for an ID-JAG (CL-07, CL-08): `requested_token_type`
    /// = ID-JAG, `audience` = the AS issuer byte-for-byte, `resource` = the MCP server.
    #[must_use]
    pub fn for_id_jag(
        subject_token: Secret,
        subject_token_type: TokenType,
        audience: &Issuer,
        resource: Resource,
        scope: Option<ScopeSet>,
    ) -> Self {
        Self {
            subject_token,
            subject_token_type,
            requested_token_type: Some(TokenType::IdJag),
            audience: vec![audience.as_str().to_owned()],
            resource: vec![resource],
            scope,
            actor_token: None,
            actor_token_type: None,
            client_auth: ClientAuthParams::default(),
        }
    }

    /// Decode a request body.
    pub fn decode(body: &[u8]) -> Result<Self, FormError> {
        Self::from_form(&Form::decode(body)?)
    }

    /// Read from a decoded form.
    pub fn from_form(form: &Form) -> Result<Self, FormError> {
        form.reject_repeats(&["resource", "audience"])?;
        expect_grant_type(form, urn::GRANT_TYPE_TOKEN_EXCHANGE)?;
        let subject_token = Secret::new(form.required("subject_token")?);
        let subject_token_type = TokenType::parse(form.required("subject_token_type")?);
        let requested_token_type = form.optional("requested_token_type")?.map(TokenType::parse);
        let audience: Vec<String> = form
            .all("audience")
            .map(|a| {
                if a.is_empty() {
                    Err(FormError::param(FormErrorKind::Empty, "audience"))
                } else {
                    Ok(a.to_owned())
                }
            })
            .collect::<Result<_, _>>()?;
        let resource = parse_resources(form)?;
        let scope = parse_scope(form)?;
        let actor_token = form.optional("actor_token")?.map(Secret::new);
        let actor_token_type = form.optional("actor_token_type")?.map(TokenType::parse);
        match (&actor_token, &actor_token_type) {
            (Some(_), None) => {
                return Err(FormError::param(FormErrorKind::Missing, "actor_token_type"));
            }
            (None, Some(_)) => {
                return Err(FormError::param(FormErrorKind::Missing, "actor_token"));
            }
            _ => {}
        }
        Ok(Self {
            subject_token,
            subject_token_type,
            requested_token_type,
            audience,
            resource,
            scope,
            actor_token,
            actor_token_type,
            client_auth: ClientAuthParams::from_form(form)?,
        })
    }

    /// Encode as a form.
    #[must_use]
    pub fn to_form(&self) -> Form {
        let mut f = Form::new();
        f.push("grant_type", urn::GRANT_TYPE_TOKEN_EXCHANGE);
        f.push_opt(
            "requested_token_type",
            self.requested_token_type.as_ref().map(TokenType::as_str),
        );
        for a in &self.audience {
            f.push("audience", a.as_str());
        }
        for r in &self.resource {
            f.push("resource", r.as_str());
        }
        f.push_opt("scope", self.scope.as_ref().map(ScopeSet::to_string));
        f.push("subject_token", self.subject_token.expose());
        f.push("subject_token_type", self.subject_token_type.as_str());
        f.push_opt("actor_token", self.actor_token.as_ref().map(Secret::expose));
        f.push_opt(
            "actor_token_type",
            self.actor_token_type.as_ref().map(TokenType::as_str),
        );
        self.client_auth.write(&mut f);
        f
    }
}

pub(crate) fn parse_resources(form: &Form) -> Result<Vec<Resource>, FormError> {
    form.all("resource")
        .map(|r| {
            Resource::new(r).map_err(|_| FormError::param(FormErrorKind::InvalidValue, "resource"))
        })
        .collect()
}

pub(crate) fn parse_scope(form: &Form) -> Result<Option<ScopeSet>, FormError> {
    form.optional("scope")?
        .map(ScopeSet::parse)
        .transpose()
        .map_err(|_| FormError::param(FormErrorKind::InvalidValue, "scope"))
}

/// An RFC 8693 §2.2.1 token-exchange response (IDP-17).
///
/// For an ID-JAG, `access_token` holds the ID-JAG, `issued_token_type` is
/// [`TokenType::IdJag`] and `token_type` is `N_A`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TokenExchangeResponse {
    /// The issued token (for EMA, the ID-JAG).
    pub access_token: Secret,
    /// `issued_token_type`.
    pub issued_token_type: TokenType,
    /// `token_type` (`N_A` for an ID-JAG; compare case-insensitively, CL-11).
    pub token_type: String,
    /// Lifetime in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
    /// Granted scope (REQUIRED when it differs from the request).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<ScopeSet>,
    /// A refresh token (SHOULD NOT be sent with an ID-JAG; IDP-07 issues one for SAML).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
    /// Other members.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl TokenExchangeResponse {
    /// A response carrying an ID-JAG (IDP-17).
    #[must_use]
    pub fn id_jag(id_jag: Secret, expires_in: u64, scope: Option<ScopeSet>) -> Self {
        Self {
            access_token: id_jag,
            issued_token_type: TokenType::IdJag,
            token_type: urn::TOKEN_TYPE_NOT_APPLICABLE.to_owned(),
            expires_in: Some(expires_in),
            scope,
            refresh_token: None,
            extra: serde_json::Map::new(),
        }
    }

    /// Whether this is a well-formed ID-JAG response (CL-11): `issued_token_type` is the
    /// ID-JAG URN and `token_type` is `N_A` (case-insensitively).
    #[must_use]
    pub fn is_id_jag(&self) -> bool {
        self.issued_token_type == TokenType::IdJag
            && self
                .token_type
                .eq_ignore_ascii_case(urn::TOKEN_TYPE_NOT_APPLICABLE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST_7_3: &str = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange\
&requested_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aid-jag\
&audience=https%3A%2F%2Fas.toolhub.test\
&resource=https%3A%2F%2Ftools.toolhub.test%2Fmcp\
&scope=tickets%3Aread\
&subject_token=eyJhbGciOiJFUzI1NiIsImtpZCI6ImlkcC0yMDI2In0.eyJpc3Mi\
&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aid_token";

    #[test]
    fn cl_07_decodes_the_digest_example() {
        let r = TokenExchangeRequest::decode(DIGEST_7_3.as_bytes()).unwrap();
        assert_eq!(r.requested_token_type, Some(TokenType::IdJag));
        assert_eq!(r.audience, ["https://as.toolhub.test"]);
        assert_eq!(r.resource[0].as_str(), "https://tools.toolhub.test/mcp");
        assert_eq!(r.scope.unwrap().to_string(), "tickets:read");
        assert_eq!(r.subject_token_type, TokenType::IdToken);
    }

    #[test]
    fn idp_03_repeated_parameter_named() {
        let body = format!("{DIGEST_7_3}&scope=x");
        assert_eq!(
            TokenExchangeRequest::decode(body.as_bytes()).unwrap_err(),
            FormError::param(FormErrorKind::Repeated, "scope")
        );
        let body = format!("{DIGEST_7_3}&resource=https%3A%2F%2Fother.test%2Fmcp");
        assert_eq!(
            TokenExchangeRequest::decode(body.as_bytes())
                .unwrap()
                .resource
                .len(),
            2
        );
        let body = format!("{DIGEST_7_3}&audience=https%3A%2F%2Fb.test");
        assert_eq!(
            TokenExchangeRequest::decode(body.as_bytes())
                .unwrap()
                .audience
                .len(),
            2
        );
    }

    #[test]
    fn idp_03_missing_and_actor_pairs() {
        let body = DIGEST_7_3.replace(
            "&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aid_token",
            "",
        );
        assert_eq!(
            TokenExchangeRequest::decode(body.as_bytes()).unwrap_err(),
            FormError::param(FormErrorKind::Missing, "subject_token_type")
        );
        let body = format!("{DIGEST_7_3}&actor_token=abc");
        assert_eq!(
            TokenExchangeRequest::decode(body.as_bytes()).unwrap_err(),
            FormError::param(FormErrorKind::Missing, "actor_token_type")
        );
        let body = format!("{DIGEST_7_3}&actor_token_type=x");
        assert_eq!(
            TokenExchangeRequest::decode(body.as_bytes()).unwrap_err(),
            FormError::param(FormErrorKind::Missing, "actor_token")
        );
    }

    #[test]
    fn idp_01_grant_type() {
        let body = DIGEST_7_3.replace("token-exchange", "jwt-bearer");
        let e = TokenExchangeRequest::decode(body.as_bytes()).unwrap_err();
        assert_eq!(e.kind, FormErrorKind::UnsupportedGrantType);
        assert_eq!(e.error_code(), crate::ErrorCode::UnsupportedGrantType);
    }

    #[test]
    fn bad_resource_is_invalid_target() {
        let body = format!("{DIGEST_7_3}&resource=not-a-uri");
        let e = TokenExchangeRequest::decode(body.as_bytes()).unwrap_err();
        assert_eq!(e.error_code(), crate::ErrorCode::InvalidTarget);
    }

    #[test]
    fn cl_11_response_shape() {
        let body = r#"{"issued_token_type":"urn:ietf:params:oauth:token-type:id-jag","access_token":"a.b.c","token_type":"n_a","scope":"tickets:read","expires_in":300}"#;
        let r: TokenExchangeResponse = serde_json::from_str(body).unwrap();
        assert!(r.is_id_jag());
        let mut wrong = r.clone();
        wrong.issued_token_type = TokenType::AccessToken;
        assert!(!wrong.is_id_jag());
        let out = TokenExchangeResponse::id_jag(Secret::new("a.b.c"), 300, None);
        let json = serde_json::to_value(&out).unwrap();
        assert_eq!(json["token_type"], "N_A");
        assert!(json.get("refresh_token").is_none());
    }
}

//! The RFC 7523 JWT-bearer grant request (client → resource AS, ID-JAG redemption).

use crate::error::FormError;
use crate::grant::expect_grant_type;
use crate::token_exchange::{parse_resources, parse_scope};
use crate::{ClientAuthParams, Form, Resource, ScopeSet, Secret, urn};

/// An RFC 7523 §2.1 JWT-bearer grant request carrying an ID-JAG (CL-12, AS-01).
///
/// `assertion` is required and single; `resource` may repeat (RFC 8707); every other
/// parameter may appear once.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct JwtBearerRequest {
    /// `assertion`: the ID-JAG.
    pub assertion: Secret,
    /// `scope`.
    pub scope: Option<ScopeSet>,
    /// `resource` values (CL-12: the MCP server).
    pub resource: Vec<Resource>,
    /// Client authentication in the body.
    pub client_auth: ClientAuthParams,
}

impl JwtBearerRequest {
    /// A request redeeming `assertion` for `resource`.
    #[must_use]
    pub fn new(assertion: Secret, resource: Resource, scope: Option<ScopeSet>) -> Self {
        Self {
            assertion,
            scope,
            resource: vec![resource],
            client_auth: ClientAuthParams::default(),
        }
    }

    /// Decode a request body.
    pub fn decode(body: &[u8]) -> Result<Self, FormError> {
        Self::from_form(&Form::decode(body)?)
    }

    /// Read from a decoded form.
    pub fn from_form(form: &Form) -> Result<Self, FormError> {
        form.reject_repeats(&["resource"])?;
        expect_grant_type(form, urn::GRANT_TYPE_JWT_BEARER)?;
        Ok(Self {
            assertion: Secret::new(form.required("assertion")?),
            scope: parse_scope(form)?,
            resource: parse_resources(form)?,
            client_auth: ClientAuthParams::from_form(form)?,
        })
    }

    /// Encode as a form.
    #[must_use]
    pub fn to_form(&self) -> Form {
        let mut f = Form::new();
        f.push("grant_type", urn::GRANT_TYPE_JWT_BEARER);
        f.push("assertion", self.assertion.expose());
        for r in &self.resource {
            f.push("resource", r.as_str());
        }
        f.push_opt("scope", self.scope.as_ref().map(ScopeSet::to_string));
        self.client_auth.write(&mut f);
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FormErrorKind;

    #[test]
    fn as_01_exactly_one_assertion() {
        let one =
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=a.b.c";
        assert_eq!(
            JwtBearerRequest::decode(one.as_bytes())
                .unwrap()
                .assertion
                .expose(),
            "a.b.c"
        );
        let two = format!("{one}&assertion=d.e.f");
        assert_eq!(
            JwtBearerRequest::decode(two.as_bytes()).unwrap_err(),
            FormError::param(FormErrorKind::Repeated, "assertion")
        );
        let none = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=";
        assert_eq!(
            JwtBearerRequest::decode(none.as_bytes()).unwrap_err(),
            FormError::param(FormErrorKind::Empty, "assertion")
        );
    }

    #[test]
    fn round_trip() {
        let mut r = JwtBearerRequest::new(
            Secret::new("a.b.c"),
            Resource::new("https://tools.toolhub.test/mcp").unwrap(),
            Some("tickets:read".parse().unwrap()),
        );
        r.client_auth = ClientAuthParams::id_only(crate::ClientId::new("cli_42b19c").unwrap());
        assert_eq!(
            JwtBearerRequest::decode(r.to_form().encode().as_bytes()).unwrap(),
            r
        );
    }
}

//! Errors of this crate: one per kind of value, each saying exactly what was wrong.

/// An identifier ([`crate::Issuer`], [`crate::Resource`], [`crate::ClientId`]) was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentifierError {
    /// The value is empty.
    #[error("identifier is empty")]
    Empty,
    /// The value is longer than [`crate::identifier::MAX_IDENTIFIER_LEN`].
    #[error("identifier is {0} bytes, too long")]
    TooLong(usize),
    /// The value contains a space, a control character or (client ids) a non-ASCII byte.
    #[error("identifier contains a forbidden character")]
    InvalidCharacter,
    /// The value is not an absolute URI (`scheme://authority...`).
    #[error("identifier is not an absolute URI")]
    NotAbsoluteUri,
    /// The value has a fragment.
    #[error("identifier has a fragment")]
    Fragment,
    /// An issuer has a query component (RFC 8414 §2).
    #[error("issuer has a query component")]
    Query,
}

/// A scope or scope set was rejected (RFC 6749 §3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScopeError {
    /// An empty scope token (also: doubled, leading or trailing spaces).
    #[error("empty scope token")]
    Empty,
    /// A scope token longer than [`crate::scope::MAX_SCOPE_LEN`].
    #[error("scope token is {0} bytes, too long")]
    TooLong(usize),
    /// A character outside `%x21 / %x23-5B / %x5D-7E`.
    #[error("scope token contains a forbidden character")]
    InvalidCharacter,
    /// More than [`crate::scope::MAX_SCOPES`] scopes.
    #[error("too many scopes")]
    TooMany,
}

/// What was wrong with a form body or one of its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FormErrorKind {
    /// The body is larger than the decoder accepts.
    TooLarge,
    /// More parameters than the decoder accepts.
    TooManyParameters,
    /// Bad percent-encoding or invalid UTF-8.
    InvalidEncoding,
    /// A parameter appears more than once (RFC 6749 §3.2).
    Repeated,
    /// A required parameter is absent.
    Missing,
    /// A required parameter is present but empty.
    Empty,
    /// The value is not acceptable for this parameter.
    InvalidValue,
    /// `grant_type` names a grant this request type does not implement.
    UnsupportedGrantType,
    /// Two parameters that must come together (or must not) break that rule.
    Inconsistent,
}

/// A form body (`application/x-www-form-urlencoded`) was rejected; says which parameter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct FormError {
    /// What was wrong.
    pub kind: FormErrorKind,
    /// The parameter concerned, when there is one.
    pub parameter: Option<String>,
}

impl FormError {
    /// An error about `parameter`.
    #[must_use]
    pub fn param(kind: FormErrorKind, parameter: &str) -> Self {
        Self {
            kind,
            parameter: Some(parameter.chars().take(64).collect()),
        }
    }

    /// An error about the whole body.
    #[must_use]
    pub fn body(kind: FormErrorKind) -> Self {
        Self {
            kind,
            parameter: None,
        }
    }

    /// The RFC 6749 §5.2 code for this error: `unsupported_grant_type` for an unknown grant,
    /// `invalid_scope` for a malformed `scope` (RFC 6749 §5.2), `invalid_target` for a malformed
    /// `resource` (RFC 8707 §2), `invalid_client` for a `client_assertion_type` other than
    /// RFC 7523's (an unsupported authentication method, RFC 6749 §5.2), `invalid_request`
    /// otherwise.
    #[must_use]
    pub fn error_code(&self) -> crate::ErrorCode {
        match (self.kind, self.parameter.as_deref()) {
            (FormErrorKind::UnsupportedGrantType, _) => crate::ErrorCode::UnsupportedGrantType,
            (FormErrorKind::InvalidValue, Some("scope")) => crate::ErrorCode::InvalidScope,
            (FormErrorKind::InvalidValue, Some("resource")) => crate::ErrorCode::InvalidTarget,
            // An unsupported authentication method is `invalid_client` (RFC 6749 §5.2).
            (FormErrorKind::InvalidValue, Some("client_assertion_type")) => {
                crate::ErrorCode::InvalidClient
            }
            _ => crate::ErrorCode::InvalidRequest,
        }
    }

    fn describe(&self) -> String {
        let what = match self.kind {
            FormErrorKind::TooLarge => "form body too large",
            FormErrorKind::TooManyParameters => "too many parameters",
            FormErrorKind::InvalidEncoding => "invalid form encoding",
            FormErrorKind::Repeated => "parameter repeated",
            FormErrorKind::Missing => "parameter missing",
            FormErrorKind::Empty => "parameter empty",
            FormErrorKind::InvalidValue => "invalid parameter value",
            FormErrorKind::UnsupportedGrantType => "unsupported grant_type",
            FormErrorKind::Inconsistent => "inconsistent parameters",
        };
        match &self.parameter {
            Some(p) => format!("{what}: {p}"),
            None => what.to_owned(),
        }
    }
}

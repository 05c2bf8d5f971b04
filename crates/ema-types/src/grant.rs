//! `grant_type` checking shared by the request types.

use crate::Form;
use crate::error::{FormError, FormErrorKind};

/// Check that the body's `grant_type` is `expected`: absent → `invalid_request`, another grant →
/// `unsupported_grant_type` (RFC 6749 §5.2). Applications that serve several grants at one
/// endpoint read [`grant_type`] first and dispatch.
pub(crate) fn expect_grant_type(form: &Form, expected: &str) -> Result<(), FormError> {
    if grant_type(form)? == expected {
        Ok(())
    } else {
        Err(FormError::param(
            FormErrorKind::UnsupportedGrantType,
            "grant_type",
        ))
    }
}

/// The `grant_type` of a token request body: required, single-valued, non-empty.
pub fn grant_type(form: &Form) -> Result<&str, FormError> {
    form.required("grant_type")
}

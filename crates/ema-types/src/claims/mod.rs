//! JWT claims sets of the four token kinds EMA handles.
//!
//! Required claims are plain fields, optional ones are `Option`, and unknown claims are kept
//! in `extra`. Times are JWT NumericDates in whole seconds. Validation (signatures, binding,
//! time) lives in `ema-jwt`; these types only describe the data.

mod access_token;
mod client_assertion;
mod confirmation;
mod from_object;
mod id_jag;
mod id_token;

pub use access_token::AccessTokenClaims;
pub use client_assertion::ClientAssertionClaims;
pub use confirmation::{Confirmation, SubjectIdentifier};
pub use from_object::FromClaimsObject;
pub use id_jag::IdJagClaims;
pub use id_token::IdTokenClaims;

/// Unknown claims, kept verbatim.
pub type ExtraClaims = serde_json::Map<String, serde_json::Value>;

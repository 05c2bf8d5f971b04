//! Strict verifiers, one per token kind (JWT-01..JWT-11, §6 steps 4-16).
//!
//! Each verifier is a pure function of the token, the keys, the injected clock and its own
//! configuration. Fetching keys, replay reservation and policy live with the caller
//! (`ema-server`). Verification runs in two steps so that the caller can choose the keys
//! from the (unverified) issuer, as the §6 checklist orders it:
//!
//! 1. `decode`: structure, header rules and `typ` (§6 steps 4-5);
//! 2. `verify`: algorithm allow-list, issuer, key selection, signature, claims (§6 steps 6-16).
//!
//! Every failure is an [`Error`](crate::Error) whose [`ErrorKind`](crate::ErrorKind) names
//! the rule and whose [`TokenKind`](crate::TokenKind) gives the OAuth error code.

mod access_token;
mod anchor;
pub(crate) mod client_assertion;
pub(crate) mod dpop;
pub(crate) mod id_jag;
mod id_token;
pub(crate) mod rules;

pub use access_token::AccessTokenVerifier;
pub use anchor::TrustAnchor;
pub use client_assertion::ClientAssertionVerifier;
pub use client_assertion::{CLIENT_ASSERTION_MAX_LIFETIME_SECS, JOSE_TYPE_CLIENT_AUTHENTICATION};
pub use dpop::{
    DPOP_DEFAULT_ALGORITHMS, DPOP_DEFAULT_MAX_AGE_SECS, DPOP_MAX_AGE_LIMIT_SECS,
    DPOP_MAX_JTI_BYTES, DpopProofVerifier, DpopRequest, VerifiedDpopProof,
};
pub use id_jag::ID_JAG_MAX_LIFETIME_SECS;
pub use id_jag::IdJagVerifier;
pub use id_token::IdTokenVerifier;
pub use rules::{DEFAULT_SKEW_SECS, MAX_SKEW_SECS};

#[cfg(test)]
mod tests {
    use super::*;

    /// Every claim a verifier checks is a name decoding keeps without a copy (so a new rule
    /// cannot quietly bring back an allocation per member).
    #[test]
    fn every_checked_claim_name_is_interned() {
        for rules in [
            access_token::CLAIMS,
            client_assertion::CLAIMS,
            dpop::CLAIMS,
            id_jag::CLAIMS,
            id_token::CLAIMS,
        ] {
            for (name, ..) in rules {
                assert_eq!(crate::claims_object::interned(name), Some(*name));
            }
        }
    }
}

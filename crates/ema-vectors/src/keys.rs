//! Names of the keys and JWKS documents of `keys.json`, and of the roles a vector's `keys`
//! member assigns them. Every key's `kid` equals its name.

/// The IdP's ES256 key (committed test key of `ema-jwt`).
pub const IDP_ES256: &str = "idp-es256";
/// The IdP's EdDSA key (committed test key of `ema-jwt`).
pub const IDP_EDDSA: &str = "idp-eddsa";
/// The IdP's RS256 key (committed RSA-2048 test key of `ema-jwt`).
pub const IDP_RS256: &str = "idp-rs256";
/// The IdP's next ES256 key (rotation; seeded).
pub const IDP_ES256_NEXT: &str = "idp-es256-next";
/// The second IdP's ES256 key (seeded).
pub const OTHER_IDP_ES256: &str = "other-idp-es256";
/// The AS's access-token signing key (seeded).
pub const AS_ES256: &str = "as-es256";
/// The client's `private_key_jwt` key, registered at the AS and at the IdP (seeded).
pub const CLIENT_ES256: &str = "client-es256";
/// The client's DPoP key (seeded): proves possession, never registered.
pub const CLIENT_DPOP_ES256: &str = "client-dpop-es256";
/// A key nobody trusts (seeded).
pub const ATTACKER_ES256: &str = "attacker-es256";

/// JWKS of the IdP: [`IDP_ES256`], [`IDP_EDDSA`], [`IDP_RS256`].
pub const JWKS_IDP: &str = "idp";
/// JWKS of the IdP during a rotation: [`IDP_ES256`] and [`IDP_ES256_NEXT`].
pub const JWKS_IDP_ROTATING: &str = "idp-rotating";
/// JWKS of the IdP with [`IDP_ES256`] plus unusable entries (an off-curve point, a P-384
/// key, a 1024-bit RSA key, an `oct` key) that a verifier must skip.
pub const JWKS_IDP_UNUSABLE: &str = "idp-with-unusable-keys";
/// JWKS of the second IdP: [`OTHER_IDP_ES256`].
pub const JWKS_OTHER_IDP: &str = "other-idp";
/// JWKS of the AS: [`AS_ES256`].
pub const JWKS_AS: &str = "as";
/// JWKS registered for the client: [`CLIENT_ES256`].
pub const JWKS_CLIENT: &str = "client";

/// Role (token targets): the JWKS the verifier trusts for the token's issuer.
pub const ROLE_TRUSTED_JWKS: &str = "trusted_jwks";
/// Role (request targets): the JWKS of the IdP ([`crate::cast::IDP`]).
pub const ROLE_IDP_JWKS: &str = "idp_jwks";
/// Role (jwt-bearer): the JWKS of the second IdP ([`crate::cast::OTHER_IDP`]).
pub const ROLE_OTHER_IDP_JWKS: &str = "other_idp_jwks";
/// Role (request targets): the JWKS registered for the `private_key_jwt` client.
pub const ROLE_CLIENT_JWKS: &str = "client_jwks";
/// Role (request targets): the key the server signs what it issues with (ID-JAGs at the IdP,
/// access tokens at the AS).
pub const ROLE_SIGNING_KEY: &str = "signing_key";

//! The parties, identifiers and fixed values every vector is built from. The runner configures
//! the verifiers and handlers from the same constants; each file's `setup` member repeats them
//! for other implementations.

/// The fixed "now" of most vectors: 2026-10-26T07:33:20Z.
pub const NOW: u64 = 1_793_000_000;
/// Clock skew every verifier and handler allows (JWT-06: 60 s).
pub const SKEW: u64 = 60;

/// The enterprise IdP: issuer of ID-JAGs and ID tokens.
pub const IDP: &str = "https://login.acme-idp.test";
/// The IdP token endpoint (the token exchange).
pub const IDP_TOKEN_PATH: &str = "/oauth2/v1/token";
/// The full IdP token endpoint URL.
pub const IDP_TOKEN_ENDPOINT: &str = "https://login.acme-idp.test/oauth2/v1/token";
/// A second IdP the AS trusts, with tenant `acme` (§6 step 15).
pub const OTHER_IDP: &str = "https://login.other-idp.test";
/// The tenant the AS expects from [`OTHER_IDP`].
pub const OTHER_IDP_TENANT: &str = "acme";
/// An issuer nobody trusts.
pub const ROGUE_IDP: &str = "https://login.rogue-idp.test";

/// The resource authorization server: audience of ID-JAGs, issuer of access tokens.
pub const AS: &str = "https://as.toolhub.test";
/// The AS token endpoint path.
pub const AS_TOKEN_PATH: &str = "/oauth/token";
/// The AS token endpoint URL: never a valid ID-JAG or client-assertion audience (OQ-03).
pub const AS_TOKEN_ENDPOINT: &str = "https://as.toolhub.test/oauth/token";
/// Another AS, known to the IdP but not the audience the vectors' AS accepts.
pub const OTHER_AS: &str = "https://as.other.test";

/// The MCP server (resource) the AS serves.
pub const MCP: &str = "https://tools.toolhub.test/mcp";
/// A second resource served by the same AS.
pub const WIKI: &str = "https://tools.toolhub.test/wiki";
/// The resource of [`OTHER_AS`].
pub const OTHER_MCP: &str = "https://tools.other.test/mcp";
/// A resource nobody serves.
pub const EVIL_RESOURCE: &str = "https://evil.example/mcp";

/// The client as registered at the AS (the ID-JAG `client_id`, IDP-12).
pub const CLIENT: &str = "cli_42b19c";
/// The same client as registered at the IdP.
pub const IDP_CLIENT: &str = "desk-7f3a";
/// Another client registered at the AS (for `client_id` swaps).
pub const OTHER_CLIENT: &str = "cli_other_only";
/// A client registered at the AS for `authorization_code` only.
pub const NO_GRANT_CLIENT: &str = "cli_nogrant";
/// A client registered for jwt-bearer but for no ID-JAG issuer (not EMA).
pub const NOT_EMA_CLIENT: &str = "cli_not_ema";
/// A client registered at the IdP for `authorization_code` only.
pub const IDP_SSO_ONLY_CLIENT: &str = "sso-only";
/// The client secret of every secret-holding client.
pub const SECRET: &str = "s4pr-example-secret";

/// The user, as the IdP names it for the AS.
pub const SUBJECT: &str = "00u8k2p9xq";
/// Scopes the AS serves for [`MCP`].
pub const MCP_SCOPES: &str = "tickets:read tickets:write";
/// Scope of the default ID-JAG.
pub const SCOPE: &str = "tickets:read";

/// Default ID-JAG lifetime (IDP-16).
pub const ID_JAG_TTL: u64 = 300;
/// Hard ID-JAG lifetime cap (§6 step 14).
pub const ID_JAG_MAX_LIFETIME: u64 = 600;
/// Client-assertion lifetime cap (JWT-10).
pub const CLIENT_ASSERTION_MAX_LIFETIME: u64 = 300;
/// Size cap of a token (JWT-11).
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

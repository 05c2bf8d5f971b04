//! Every URN, media type and well-known constant of the digest's table 0.1.

/// RFC 8693 token-exchange grant type.
pub const GRANT_TYPE_TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// RFC 7523 JWT-bearer grant type.
pub const GRANT_TYPE_JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// RFC 6749 §4.4 client-credentials grant type (CC extension).
pub const GRANT_TYPE_CLIENT_CREDENTIALS: &str = "client_credentials";
/// RFC 6749 §4.1 authorization-code grant type.
pub const GRANT_TYPE_AUTHORIZATION_CODE: &str = "authorization_code";
/// RFC 6749 §6 refresh-token grant type.
pub const GRANT_TYPE_REFRESH_TOKEN: &str = "refresh_token";

/// Token type of an Identity Assertion JWT Authorization Grant.
pub const TOKEN_TYPE_ID_JAG: &str = "urn:ietf:params:oauth:token-type:id-jag";
/// RFC 8693 token type of an OpenID Connect ID token.
pub const TOKEN_TYPE_ID_TOKEN: &str = "urn:ietf:params:oauth:token-type:id_token";
/// RFC 8693 token type of a SAML 2.0 assertion.
pub const TOKEN_TYPE_SAML2: &str = "urn:ietf:params:oauth:token-type:saml2";
/// RFC 8693 token type of a refresh token.
pub const TOKEN_TYPE_REFRESH_TOKEN: &str = "urn:ietf:params:oauth:token-type:refresh_token";
/// RFC 8693 token type of an access token.
pub const TOKEN_TYPE_ACCESS_TOKEN: &str = "urn:ietf:params:oauth:token-type:access_token";

/// RFC 7523 §2.2 client assertion type.
pub const CLIENT_ASSERTION_TYPE_JWT_BEARER: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Authorization grant profile identifier of ID-JAG (IDJAG §7.2).
pub const GRANT_PROFILE_ID_JAG: &str = "urn:ietf:params:oauth:grant-profile:id-jag";

/// JOSE `typ` of an ID-JAG (short form, as emitted).
pub const JOSE_TYPE_ID_JAG: &str = "oauth-id-jag+jwt";
/// Media type of an ID-JAG.
pub const MEDIA_TYPE_ID_JAG: &str = "application/oauth-id-jag+jwt";
/// JOSE `typ` of an RFC 9068 access token.
pub const JOSE_TYPE_ACCESS_TOKEN: &str = "at+jwt";
/// JOSE `typ` of a DPoP proof (RFC 9449).
pub const JOSE_TYPE_DPOP: &str = "dpop+jwt";

/// Metadata member for authorization grant profiles (AS and client metadata).
pub const METADATA_AUTHORIZATION_GRANT_PROFILES_SUPPORTED: &str =
    "authorization_grant_profiles_supported";
/// IdP metadata member listing token types obtainable by identity chaining.
pub const METADATA_IDENTITY_CHAINING_REQUESTED_TOKEN_TYPES_SUPPORTED: &str =
    "identity_chaining_requested_token_types_supported";

/// MCP extension id of Enterprise-Managed Authorization.
pub const MCP_EXTENSION_ENTERPRISE_MANAGED_AUTHORIZATION: &str =
    "io.modelcontextprotocol/enterprise-managed-authorization";
/// MCP extension id of OAuth client credentials.
pub const MCP_EXTENSION_OAUTH_CLIENT_CREDENTIALS: &str =
    "io.modelcontextprotocol/oauth-client-credentials";

/// RFC 9728 well-known suffix.
pub const WELL_KNOWN_PROTECTED_RESOURCE: &str = "/.well-known/oauth-protected-resource";
/// RFC 8414 well-known suffix.
pub const WELL_KNOWN_AUTHORIZATION_SERVER: &str = "/.well-known/oauth-authorization-server";
/// OpenID Connect Discovery well-known suffix.
pub const WELL_KNOWN_OPENID_CONFIGURATION: &str = "/.well-known/openid-configuration";

/// `token_type` of a token-exchange response whose token is not an access token (RFC 8693 §2.2.1).
pub const TOKEN_TYPE_NOT_APPLICABLE: &str = "N_A";
/// `token_type` of a bearer access token (RFC 6750).
pub const TOKEN_TYPE_BEARER: &str = "Bearer";
/// `token_type` of a DPoP-bound access token (RFC 9449).
pub const TOKEN_TYPE_DPOP: &str = "DPoP";

/// The `application/x-www-form-urlencoded` media type of token requests.
pub const MEDIA_TYPE_FORM: &str = "application/x-www-form-urlencoded";
/// The `application/json` media type of token responses and metadata.
pub const MEDIA_TYPE_JSON: &str = "application/json";

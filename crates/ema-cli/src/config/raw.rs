//! The TOML file as written: one struct per table, strict (`deny_unknown_fields`). Every key is
//! documented in `docs/config.md`; values are checked in [`super::validate()`].

use std::collections::BTreeMap;
use std::path::PathBuf;

use ema_types::Secret;
use serde::Deserialize;

/// A secret read from the file: redacted in `Debug`, never logged.
#[derive(Debug, Clone)]
pub(crate) struct RawSecret(pub(crate) Secret);

impl<'de> Deserialize<'de> for RawSecret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(|s| Self(Secret::new(s)))
    }
}

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    pub(crate) server: RawServer,
    pub(crate) idp: Option<RawIdp>,
    #[serde(rename = "as")]
    pub(crate) authorization_server: Option<RawAs>,
    pub(crate) rs: Option<RawRsList>,
    pub(crate) audit: Option<RawAudit>,
}

/// `[server]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawServer {
    pub(crate) listen: String,
    pub(crate) public_url: Option<String>,
    #[serde(default)]
    pub(crate) dev_allow_http: bool,
}

/// `[idp]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawIdp {
    pub(crate) issuer_path: String,
    #[serde(default)]
    pub(crate) signing_key_files: Vec<PathBuf>,
    #[serde(default = "default_id_jag_ttl")]
    pub(crate) id_jag_ttl_secs: u64,
    #[serde(default = "default_id_token_ttl")]
    pub(crate) id_token_ttl_secs: u64,
    #[serde(default)]
    pub(crate) users: Vec<RawUser>,
    #[serde(default)]
    pub(crate) clients: Vec<RawIdpClient>,
    #[serde(default)]
    pub(crate) grants: Vec<RawGrant>,
}

/// `[[idp.users]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawUser {
    pub(crate) sub: String,
    pub(crate) email: Option<String>,
    #[serde(default)]
    pub(crate) groups: Vec<String>,
    #[serde(default)]
    pub(crate) roles: Vec<String>,
}

/// `[[idp.clients]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawIdpClient {
    pub(crate) client_id: String,
    pub(crate) client_secret: RawSecret,
    #[serde(default)]
    pub(crate) redirect_uris: Vec<String>,
}

/// `[[idp.grants]]`: one policy row.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGrant {
    pub(crate) client_id: String,
    pub(crate) audience: String,
    pub(crate) resource: String,
    #[serde(default)]
    pub(crate) scopes: Vec<String>,
    pub(crate) as_client_id: Option<String>,
    pub(crate) users: Option<Vec<String>>,
    pub(crate) groups: Option<Vec<String>>,
    pub(crate) roles: Option<Vec<String>>,
    #[serde(default)]
    pub(crate) deny: bool,
    pub(crate) name: Option<String>,
}

/// `[as]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAs {
    pub(crate) issuer_path: String,
    #[serde(default)]
    pub(crate) signing_key_files: Vec<PathBuf>,
    #[serde(default = "default_access_token_ttl")]
    pub(crate) access_token_ttl_secs: u64,
    #[serde(default = "default_skew")]
    pub(crate) clock_skew_secs: u64,
    #[serde(default = "default_replay")]
    pub(crate) replay: String,
    pub(crate) subjects: Option<Vec<String>>,
    #[serde(default)]
    pub(crate) trusted_issuers: Vec<RawTrustedIssuer>,
    #[serde(default)]
    pub(crate) clients: Vec<RawAsClient>,
    #[serde(default)]
    pub(crate) resources: Vec<RawResource>,
    pub(crate) login: Option<RawAsLogin>,
}

/// `[as.login]`: the AS signs users in at an IdP with OpenID Connect (the code flow).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAsLogin {
    pub(crate) idp_issuer: String,
    pub(crate) client_id: String,
    pub(crate) client_secret: RawSecret,
    #[serde(default = "default_login_scopes")]
    pub(crate) scopes: Vec<String>,
}

/// A JWKS written inline: a JSON string, or a TOML table of the same shape.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawJwks {
    /// `jwks = '{"keys":[...]}'`
    Json(String),
    /// `[as.trusted_issuers.jwks]` / `jwks = { keys = [...] }`
    Table(BTreeMap<String, toml::Value>),
}

/// `[[as.trusted_issuers]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTrustedIssuer {
    pub(crate) issuer: String,
    pub(crate) jwks_uri: Option<String>,
    pub(crate) jwks: Option<RawJwks>,
    pub(crate) jwks_file: Option<PathBuf>,
    #[serde(default = "default_algorithms")]
    pub(crate) algorithms: Vec<String>,
}

/// `[[as.clients]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAsClient {
    pub(crate) client_id: String,
    pub(crate) client_secret: Option<RawSecret>,
    pub(crate) jwks: Option<RawJwks>,
    pub(crate) jwks_file: Option<PathBuf>,
    pub(crate) jwks_uri: Option<String>,
    pub(crate) trusted_issuers: Option<Vec<String>>,
    #[serde(default)]
    pub(crate) redirect_uris: Vec<String>,
    #[serde(default)]
    pub(crate) public: bool,
}

/// `[[as.resources]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawResource {
    pub(crate) resource: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) default_scopes: Option<Vec<String>>,
}

/// `[rs]` (one MCP server) or `[[rs]]` (several, each with its own `path`).
#[derive(Debug, Clone)]
pub(crate) enum RawRsList {
    /// `[rs]`: key paths `rs.path`, ...
    One(RawRs),
    /// `[[rs]]`: key paths `rs[0].path`, ...
    Many(Vec<RawRs>),
}

impl RawRsList {
    /// Each server with the key path its problems are reported at.
    pub(crate) fn entries(&self) -> Vec<(String, &RawRs)> {
        match self {
            Self::One(rs) => vec![("rs".to_owned(), rs)],
            Self::Many(list) => list
                .iter()
                .enumerate()
                .map(|(i, rs)| (format!("rs[{i}]"), rs))
                .collect(),
        }
    }
}

impl<'de> Deserialize<'de> for RawRsList {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = RawRsList;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a table [rs] or an array of tables [[rs]]")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<RawRsList, A::Error> {
                RawRs::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(RawRsList::One)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> Result<RawRsList, A::Error> {
                Vec::<RawRs>::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))
                    .map(RawRsList::Many)
            }
        }
        deserializer.deserialize_any(Visit)
    }
}

/// `[audit]`: where the IdP's and the AS's decisions are written, besides `tracing`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAudit {
    pub(crate) file: Option<PathBuf>,
    #[serde(default)]
    pub(crate) stdout: bool,
}

/// `[rs]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRs {
    pub(crate) path: String,
    pub(crate) authorization_server: String,
    pub(crate) jwks_uri: Option<String>,
    #[serde(default)]
    pub(crate) scopes_supported: Vec<String>,
    pub(crate) resource_name: Option<String>,
    #[serde(default = "default_read_scopes")]
    pub(crate) read_scopes: Vec<String>,
    #[serde(default = "default_write_scopes")]
    pub(crate) write_scopes: Vec<String>,
}

fn default_id_jag_ttl() -> u64 {
    300
}
fn default_id_token_ttl() -> u64 {
    3600
}
fn default_access_token_ttl() -> u64 {
    3600
}
fn default_skew() -> u64 {
    60
}
fn default_replay() -> String {
    "memory".to_owned()
}
fn default_algorithms() -> Vec<String> {
    vec!["ES256".to_owned()]
}
fn default_login_scopes() -> Vec<String> {
    vec!["openid".to_owned()]
}
fn default_read_scopes() -> Vec<String> {
    vec!["todo.read".to_owned()]
}
fn default_write_scopes() -> Vec<String> {
    vec!["todo.write".to_owned()]
}

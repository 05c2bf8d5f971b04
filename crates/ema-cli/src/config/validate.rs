//! Every value of the file checked before anything listens: the result is a [`StackSpec`] of
//! typed values, or every problem found, each naming its key path (`idp.grants[0].audience`).

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use ema_jwt::verify::{ID_JAG_MAX_LIFETIME_SECS, MAX_SKEW_SECS};
use ema_jwt::{Algorithm, KeySet, SigningKey};
use ema_server::authorization_server::ResourceConfig;
use ema_server::idp::PolicyRule;
use ema_types::{ClientId, Issuer, Resource, ScopeSet, Secret};

use super::raw::{
    RawAs, RawAsClient, RawAsLogin, RawAudit, RawConfig, RawGrant, RawIdp, RawJwks, RawRs,
    RawTrustedIssuer,
};
use super::{ConfigError, Issue};

/// The longest access-token lifetime accepted (one day).
const MAX_ACCESS_TOKEN_TTL_SECS: u64 = 86_400;
/// The longest ID-token lifetime accepted (one day).
const MAX_ID_TOKEN_TTL_SECS: u64 = 86_400;
/// The longest group, role or row name accepted.
const MAX_NAME_BYTES: usize = 255;
/// The largest key or JWKS file read.
const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;

/// A validated configuration.
#[derive(Debug, Clone)]
pub(crate) struct StackSpec {
    pub(crate) listen: SocketAddr,
    /// `public_url` without a trailing `/`.
    pub(crate) public_url: String,
    pub(crate) dev_allow_http: bool,
    pub(crate) idp: Option<IdpSpec>,
    pub(crate) authorization_server: Option<AsSpec>,
    /// `[rs]` or `[[rs]]`: the MCP servers, in file order (empty: none).
    pub(crate) rs: Vec<RsSpec>,
    pub(crate) audit: AuditSpec,
}

/// `[audit]`, validated: where decisions are written besides `tracing` (always on).
#[derive(Debug, Clone, Default)]
pub(crate) struct AuditSpec {
    /// JSON lines appended to this file.
    pub(crate) file: Option<PathBuf>,
    /// JSON lines on the standard output.
    pub(crate) stdout: bool,
}

/// Where signing keys came from.
#[derive(Debug, Clone)]
pub(crate) struct SigningSpec {
    /// The first signs; all are published.
    pub(crate) keys: Vec<SigningKey>,
    /// Generated in memory (no file listed).
    pub(crate) generated: bool,
}

/// `[idp]`, validated.
#[derive(Debug, Clone)]
pub(crate) struct IdpSpec {
    pub(crate) issuer: Issuer,
    pub(crate) signing: SigningSpec,
    pub(crate) id_jag_ttl_secs: u64,
    pub(crate) id_token_ttl_secs: u64,
    pub(crate) users: Vec<UserSpec>,
    pub(crate) clients: Vec<IdpClientSpec>,
    pub(crate) rules: Vec<PolicyRule>,
}

/// `[[idp.users]]`, validated.
#[derive(Debug, Clone)]
pub(crate) struct UserSpec {
    pub(crate) sub: String,
    pub(crate) email: Option<String>,
    pub(crate) groups: Vec<String>,
    pub(crate) roles: Vec<String>,
}

/// `[[idp.clients]]`, validated.
#[derive(Debug, Clone)]
pub(crate) struct IdpClientSpec {
    pub(crate) client_id: ClientId,
    pub(crate) secret: Secret,
    pub(crate) redirect_uris: Vec<String>,
}

/// Where an issuer's or a client's public keys come from.
#[derive(Debug, Clone)]
pub(crate) enum KeysSpec {
    /// Inline `jwks` or `jwks_file`.
    Static(KeySet),
    /// `jwks_uri`, fetched (and cached) when needed.
    Uri(String),
}

/// `[[as.trusted_issuers]]`, validated.
#[derive(Debug, Clone)]
pub(crate) struct TrustedIssuerSpec {
    pub(crate) issuer: Issuer,
    pub(crate) keys: KeysSpec,
    pub(crate) algorithms: Vec<Algorithm>,
}

/// How an AS client authenticates.
#[derive(Debug, Clone)]
pub(crate) enum AsClientAuth {
    Secret(Secret),
    Keys(KeysSpec),
    /// `public = true`: no credentials; the code flow with PKCE only.
    Public,
}

/// `[[as.clients]]`, validated.
#[derive(Debug, Clone)]
pub(crate) struct AsClientSpec {
    pub(crate) client_id: ClientId,
    pub(crate) auth: AsClientAuth,
    pub(crate) trusted_issuers: Option<Vec<String>>,
    /// Redirect URIs of the code flow; none: jwt-bearer only.
    pub(crate) redirect_uris: Vec<String>,
}

/// `[as.login]`, validated: the AS's registration at the IdP users sign in at.
#[derive(Debug, Clone)]
pub(crate) struct AsLoginSpec {
    pub(crate) idp_issuer: Issuer,
    pub(crate) client_id: ClientId,
    pub(crate) client_secret: Secret,
    pub(crate) scopes: ScopeSet,
}

/// `as.replay`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ReplaySpec {
    Memory,
    Redis(String),
}

/// `[as]`, validated.
#[derive(Debug, Clone)]
pub(crate) struct AsSpec {
    pub(crate) issuer: Issuer,
    pub(crate) signing: SigningSpec,
    pub(crate) access_token_ttl_secs: u64,
    pub(crate) clock_skew_secs: u64,
    pub(crate) replay: ReplaySpec,
    pub(crate) subjects: Option<Vec<String>>,
    pub(crate) trusted_issuers: Vec<TrustedIssuerSpec>,
    pub(crate) clients: Vec<AsClientSpec>,
    pub(crate) resources: Vec<ResourceConfig>,
    pub(crate) login: Option<AsLoginSpec>,
}

/// `[rs]`, validated.
#[derive(Debug, Clone)]
pub(crate) struct RsSpec {
    /// The key path of its table: `rs` or `rs[i]`.
    pub(crate) key: String,
    pub(crate) path: String,
    pub(crate) resource: Resource,
    pub(crate) authorization_server: Issuer,
    pub(crate) jwks_uri: String,
    pub(crate) scopes_supported: ScopeSet,
    pub(crate) resource_name: Option<String>,
    pub(crate) read_scopes: ScopeSet,
    pub(crate) write_scopes: ScopeSet,
}

/// Collects problems while checking.
struct Checker<'a> {
    issues: Vec<Issue>,
    base: &'a Path,
    dev_allow_http: bool,
}

impl Checker<'_> {
    fn issue(&mut self, path: impl Into<String>, problem: impl Into<String>) {
        self.issues.push(Issue::new(path, problem));
    }

    /// `Some(value)` when `parse` accepts `raw`, else an issue at `path`.
    fn parse<T, E: std::fmt::Display>(
        &mut self,
        path: &str,
        raw: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        match parse(raw) {
            Ok(v) => Some(v),
            Err(e) => {
                self.issue(path, format!("`{}`: {e}", shorten(raw)));
                None
            }
        }
    }

    /// An `http(s)` URL, `https` unless `dev_allow_http` and the host is loopback.
    fn url(&mut self, path: &str, raw: &str) -> Option<url::Url> {
        let url = self.parse(path, raw, url::Url::parse)?;
        match url.scheme() {
            "https" => Some(url),
            "http" if !self.dev_allow_http => {
                self.issue(
                    path,
                    format!(
                        "`{}`: http:// needs server.dev_allow_http = true (loopback hosts only)",
                        shorten(raw)
                    ),
                );
                None
            }
            "http" if !is_loopback(&url) => {
                self.issue(
                    path,
                    format!(
                        "`{}`: http:// is allowed for loopback hosts only (127.0.0.1, [::1], localhost)",
                        shorten(raw)
                    ),
                );
                None
            }
            "http" => Some(url),
            other => {
                self.issue(path, format!("scheme `{other}` is not http(s)"));
                None
            }
        }
    }

    fn issuer(&mut self, path: &str, raw: &str) -> Option<Issuer> {
        self.url(path, raw)?;
        self.parse(path, raw, |s| Issuer::new(s))
    }

    fn resource(&mut self, path: &str, raw: &str) -> Option<Resource> {
        self.url(path, raw)?;
        self.parse(path, raw, |s| Resource::new(s))
    }

    fn client_id(&mut self, path: &str, raw: &str) -> Option<ClientId> {
        self.parse(path, raw, |s| ClientId::new(s))
    }

    fn scopes(&mut self, path: &str, raw: &[String]) -> Option<ScopeSet> {
        let mut ok = true;
        for (i, s) in raw.iter().enumerate() {
            if s.contains(' ') || s.is_empty() {
                self.issue(
                    format!("{path}[{i}]"),
                    "a scope is one non-empty token without spaces",
                );
                ok = false;
            }
        }
        if !ok {
            return None;
        }
        self.parse(path, &raw.join(" "), ScopeSet::parse)
    }

    /// A `/segment` path: starts with `/`, no trailing `/`, no query or fragment.
    fn url_path(&mut self, path: &str, raw: &str) -> Option<String> {
        let ok = raw.starts_with('/')
            && raw.len() > 1
            && !raw.ends_with('/')
            && !raw.contains(['?', '#', ' '])
            && !raw.contains("//");
        if ok {
            Some(raw.to_owned())
        } else {
            self.issue(
                path,
                format!(
                    "`{}`: must look like \"/name\" (leading /, no trailing /, no query)",
                    shorten(raw)
                ),
            );
            None
        }
    }

    fn file(&self, raw: &Path) -> PathBuf {
        if raw.is_absolute() {
            raw.to_owned()
        } else {
            self.base.join(raw)
        }
    }

    fn read_file(&mut self, path: &str, raw: &Path) -> Option<String> {
        let file = self.file(raw);
        let result = std::fs::metadata(&file).and_then(|m| {
            if m.len() > MAX_KEY_FILE_BYTES {
                Err(std::io::Error::other(format!(
                    "larger than {MAX_KEY_FILE_BYTES} bytes"
                )))
            } else {
                std::fs::read_to_string(&file)
            }
        });
        match result {
            Ok(text) => Some(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.issue(
                    path,
                    format!(
                        "file {} not found (create it with `ema keygen --out {}`, or list no file to generate a key in memory)",
                        file.display(),
                        file.display()
                    ),
                );
                None
            }
            Err(e) => {
                self.issue(path, format!("cannot read {}: {e}", file.display()));
                None
            }
        }
    }

    fn signing(&mut self, path: &str, files: &[PathBuf]) -> Option<SigningSpec> {
        if files.is_empty() {
            return match SigningKey::generate(Algorithm::ES256) {
                Ok(key) => Some(SigningSpec {
                    keys: vec![key],
                    generated: true,
                }),
                Err(e) => {
                    self.issue(path, format!("cannot generate a key: {e}"));
                    None
                }
            };
        }
        let mut keys = Vec::new();
        let mut kids = HashSet::new();
        for (i, file) in files.iter().enumerate() {
            let at = format!("{path}[{i}]");
            let Some(pem) = self.read_file(&at, file) else {
                continue;
            };
            match SigningKey::from_pkcs8_pem(&pem) {
                Ok(key) if kids.insert(key.kid().to_owned()) => keys.push(key),
                Ok(_) => self.issue(at, "the same key is listed twice"),
                Err(e) => self.issue(at, format!("not a PKCS#8 PEM ES256/EdDSA private key: {e}")),
            }
        }
        (keys.len() == files.len()).then_some(SigningSpec {
            keys,
            generated: false,
        })
    }

    fn jwks(&mut self, path: &str, jwks: &RawJwks) -> Option<KeySet> {
        let json = match jwks {
            RawJwks::Json(s) => s.clone(),
            RawJwks::Table(t) => match serde_json::to_string(t) {
                Ok(s) => s,
                Err(e) => {
                    self.issue(path, format!("not a JWKS: {e}"));
                    return None;
                }
            },
        };
        self.key_set(path, &json)
    }

    fn key_set(&mut self, path: &str, json: &str) -> Option<KeySet> {
        match KeySet::from_json(json.as_bytes()) {
            Ok(set) if set.is_empty() => {
                self.issue(path, "the JWKS has no usable public key");
                None
            }
            Ok(set) => Some(set),
            Err(e) => {
                self.issue(path, format!("not a JWKS: {e}"));
                None
            }
        }
    }

    /// Exactly one of `jwks`, `jwks_file`, `jwks_uri`.
    fn keys(
        &mut self,
        path: &str,
        jwks: Option<&RawJwks>,
        jwks_file: Option<&Path>,
        jwks_uri: Option<&str>,
    ) -> Option<KeysSpec> {
        match (jwks, jwks_file, jwks_uri) {
            (Some(j), None, None) => self.jwks(&format!("{path}.jwks"), j).map(KeysSpec::Static),
            (None, Some(f), None) => {
                let at = format!("{path}.jwks_file");
                let text = self.read_file(&at, f)?;
                self.key_set(&at, &text).map(KeysSpec::Static)
            }
            (None, None, Some(u)) => {
                let at = format!("{path}.jwks_uri");
                self.url(&at, u).map(|_| KeysSpec::Uri(u.to_owned()))
            }
            _ => {
                self.issue(path, "give exactly one of jwks, jwks_file, jwks_uri");
                None
            }
        }
    }
}

fn is_loopback(url: &url::Url) -> bool {
    url.host()
        .is_some_and(|h| ema_types::identifier::is_loopback_host(&h))
}

/// At most 80 characters of an echoed value.
fn shorten(s: &str) -> String {
    if s.chars().count() <= 80 {
        s.to_owned()
    } else {
        let cut: String = s.chars().take(77).collect();
        format!("{cut}...")
    }
}

fn unique<'a>(c: &mut Checker<'_>, path: &str, key: &str, values: impl Iterator<Item = &'a str>) {
    let mut seen = HashSet::new();
    for (i, v) in values.enumerate() {
        if !seen.insert(v) {
            c.issue(
                format!("{path}[{i}].{key}"),
                format!("`{v}` is configured twice"),
            );
        }
    }
}

/// Check `raw`, reading key and JWKS files relative to `base`.
pub(crate) fn validate(raw: &RawConfig, base: &Path) -> Result<StackSpec, ConfigError> {
    let mut c = Checker {
        issues: Vec::new(),
        base,
        dev_allow_http: raw.server.dev_allow_http,
    };
    let listen = c.parse("server.listen", &raw.server.listen, |s| {
        s.parse::<SocketAddr>()
            .map_err(|_| "not an IP:port socket address (e.g. \"127.0.0.1:8080\")")
    });
    let public_url = match (&raw.server.public_url, listen) {
        (Some(u), _) => c.url("server.public_url", u).and_then(|url| {
            if url.query().is_some() || url.fragment().is_some() {
                c.issue("server.public_url", "must have no query or fragment");
                None
            } else {
                Some(u.trim_end_matches('/').to_owned())
            }
        }),
        (None, Some(addr)) => {
            let u = format!("http://{addr}");
            c.url("server.public_url", &u).map(|_| u)
        }
        (None, None) => None,
    };
    if raw.idp.is_none() && raw.authorization_server.is_none() && raw.rs.is_none() {
        c.issue("", "configure at least one of [idp], [as], [rs]");
    }
    let base_url = public_url.clone();
    let idp = raw
        .idp
        .as_ref()
        .and_then(|i| idp(&mut c, i, base_url.as_deref()));
    let authorization_server = raw
        .authorization_server
        .as_ref()
        .and_then(|a| authorization_server(&mut c, a, base_url.as_deref()));
    let entries = raw.rs.as_ref().map(|r| r.entries()).unwrap_or_default();
    if raw.rs.is_some() && entries.is_empty() {
        c.issue("rs", "list at least one MCP server ([[rs]])");
    }
    let rs: Vec<RsSpec> = entries
        .iter()
        .filter_map(|(key, r)| rs(&mut c, key, r, base_url.as_deref()))
        .collect();
    rs_paths(&mut c, raw, &entries);
    login_registered_at_local_idp(&mut c, raw, base_url.as_deref());
    if let Some(a) = &authorization_server {
        rs_known_to_as(&mut c, &rs, a);
    }
    let audit = raw
        .audit
        .as_ref()
        .map(|a| audit(&mut c, a))
        .unwrap_or_default();
    match (listen, public_url) {
        (Some(listen), Some(public_url)) if c.issues.is_empty() => Ok(StackSpec {
            listen,
            public_url,
            dev_allow_http: raw.server.dev_allow_http,
            idp,
            authorization_server,
            rs,
            audit,
        }),
        _ => Err(ConfigError::Invalid(c.issues)),
    }
}

fn idp(c: &mut Checker<'_>, raw: &RawIdp, base_url: Option<&str>) -> Option<IdpSpec> {
    let path = c.url_path("idp.issuer_path", &raw.issuer_path);
    let issuer = path
        .zip(base_url)
        .and_then(|(p, b)| c.issuer("idp.issuer_path", &format!("{b}{p}")));
    let signing = c.signing("idp.signing_key_files", &raw.signing_key_files);
    if raw.id_jag_ttl_secs == 0 || raw.id_jag_ttl_secs > ID_JAG_MAX_LIFETIME_SECS {
        c.issue(
            "idp.id_jag_ttl_secs",
            format!(
                "{} is outside 1..={ID_JAG_MAX_LIFETIME_SECS}",
                raw.id_jag_ttl_secs
            ),
        );
    }
    if raw.id_token_ttl_secs == 0 || raw.id_token_ttl_secs > MAX_ID_TOKEN_TTL_SECS {
        c.issue(
            "idp.id_token_ttl_secs",
            format!(
                "{} is outside 1..={MAX_ID_TOKEN_TTL_SECS}",
                raw.id_token_ttl_secs
            ),
        );
    }
    let mut users = Vec::new();
    for (i, u) in raw.users.iter().enumerate() {
        if u.sub.is_empty() || u.sub.len() > 255 {
            c.issue(format!("idp.users[{i}].sub"), "must be 1 to 255 bytes");
        }
        if let Some(email) = &u.email
            && !email.contains('@')
        {
            c.issue(
                format!("idp.users[{i}].email"),
                format!("`{}` is not an e-mail address", shorten(email)),
            );
        }
        names(c, &format!("idp.users[{i}].groups"), &u.groups);
        names(c, &format!("idp.users[{i}].roles"), &u.roles);
        users.push(super::validate::UserSpec {
            sub: u.sub.clone(),
            email: u.email.clone(),
            groups: u.groups.clone(),
            roles: u.roles.clone(),
        });
    }
    unique(
        c,
        "idp.users",
        "sub",
        raw.users.iter().map(|u| u.sub.as_str()),
    );
    let mut clients = Vec::new();
    for (i, cl) in raw.clients.iter().enumerate() {
        let at = format!("idp.clients[{i}]");
        let id = c.client_id(&format!("{at}.client_id"), &cl.client_id);
        if cl.client_secret.0.is_empty() {
            c.issue(format!("{at}.client_secret"), "must not be empty");
        }
        for (j, r) in cl.redirect_uris.iter().enumerate() {
            let rat = format!("{at}.redirect_uris[{j}]");
            if let Some(u) = c.parse(&rat, r, url::Url::parse)
                && u.fragment().is_some()
            {
                c.issue(rat, "a redirect URI has no fragment");
            }
        }
        if let Some(client_id) = id {
            clients.push(IdpClientSpec {
                client_id,
                secret: cl.client_secret.0.clone(),
                redirect_uris: cl.redirect_uris.clone(),
            });
        }
    }
    unique(
        c,
        "idp.clients",
        "client_id",
        raw.clients.iter().map(|x| x.client_id.as_str()),
    );
    let rules: Vec<PolicyRule> = raw
        .grants
        .iter()
        .enumerate()
        .filter_map(|(i, g)| grant(c, i, g, raw))
        .collect();
    Some(IdpSpec {
        issuer: issuer?,
        signing: signing?,
        id_jag_ttl_secs: raw.id_jag_ttl_secs,
        id_token_ttl_secs: raw.id_token_ttl_secs,
        users,
        clients,
        rules,
    })
}

fn grant(c: &mut Checker<'_>, i: usize, g: &RawGrant, idp: &RawIdp) -> Option<PolicyRule> {
    let at = format!("idp.grants[{i}]");
    let client_id = c.client_id(&format!("{at}.client_id"), &g.client_id);
    if !idp.clients.iter().any(|cl| cl.client_id == g.client_id) {
        c.issue(
            format!("{at}.client_id"),
            format!("`{}` is not one of idp.clients", shorten(&g.client_id)),
        );
    }
    let audience = c.issuer(&format!("{at}.audience"), &g.audience);
    let resource = c.resource(&format!("{at}.resource"), &g.resource);
    let scopes = c.scopes(&format!("{at}.scopes"), &g.scopes);
    if g.scopes.is_empty() && !g.deny {
        c.issue(format!("{at}.scopes"), "list at least one scope");
    }
    let as_client_id = match (&g.as_client_id, g.deny) {
        (Some(id), false) => c.client_id(&format!("{at}.as_client_id"), id),
        (None, false) => {
            c.issue(
                format!("{at}.as_client_id"),
                "an allow row names the client_id written into the ID-JAG",
            );
            None
        }
        (Some(_), true) => {
            c.issue(
                format!("{at}.as_client_id"),
                "a deny row (deny = true) issues nothing: remove as_client_id",
            );
            None
        }
        (None, true) => client_id.clone(),
    };
    if let Some(users) = &g.users {
        for (j, u) in users.iter().enumerate() {
            if !idp.users.iter().any(|x| &x.sub == u) {
                c.issue(
                    format!("{at}.users[{j}]"),
                    format!("`{}` is not one of idp.users", shorten(u)),
                );
            }
        }
    }
    for (key, list) in [
        ("users", &g.users),
        ("groups", &g.groups),
        ("roles", &g.roles),
    ] {
        if let Some(list) = list {
            let path = format!("{at}.{key}");
            if list.is_empty() {
                c.issue(
                    &path,
                    "an empty list matches nobody; remove the key to apply the row to every user",
                );
            }
            names(c, &path, list);
        }
    }
    if let Some(name) = &g.name
        && (name.is_empty() || name.len() > MAX_NAME_BYTES)
    {
        c.issue(
            format!("{at}.name"),
            format!("must be 1 to {MAX_NAME_BYTES} bytes"),
        );
    }
    let mut rule = if g.deny {
        PolicyRule::deny(client_id?, audience?, resource?, scopes?)
    } else {
        PolicyRule::new(client_id?, audience?, resource?, scopes?, as_client_id?)
    };
    if let Some(users) = &g.users {
        rule = rule.for_users(users.iter().cloned());
    }
    if let Some(groups) = &g.groups {
        rule = rule.for_groups(groups.iter().cloned());
    }
    if let Some(roles) = &g.roles {
        rule = rule.for_roles(roles.iter().cloned());
    }
    if let Some(name) = &g.name {
        rule = rule.labeled(name.clone());
    }
    Some(rule)
}

/// Group and role names: 1 to [`MAX_NAME_BYTES`] bytes, no control characters.
fn names(c: &mut Checker<'_>, path: &str, list: &[String]) {
    for (j, n) in list.iter().enumerate() {
        if n.is_empty() || n.len() > MAX_NAME_BYTES || n.chars().any(char::is_control) {
            c.issue(
                format!("{path}[{j}]"),
                format!("must be 1 to {MAX_NAME_BYTES} bytes without control characters"),
            );
        }
    }
}

fn authorization_server(
    c: &mut Checker<'_>,
    raw: &RawAs,
    base_url: Option<&str>,
) -> Option<AsSpec> {
    let path = c.url_path("as.issuer_path", &raw.issuer_path);
    let issuer = path
        .zip(base_url)
        .and_then(|(p, b)| c.issuer("as.issuer_path", &format!("{b}{p}")));
    let signing = c.signing("as.signing_key_files", &raw.signing_key_files);
    if raw.access_token_ttl_secs == 0 || raw.access_token_ttl_secs > MAX_ACCESS_TOKEN_TTL_SECS {
        c.issue(
            "as.access_token_ttl_secs",
            format!(
                "{} is outside 1..={MAX_ACCESS_TOKEN_TTL_SECS}",
                raw.access_token_ttl_secs
            ),
        );
    }
    if raw.clock_skew_secs > MAX_SKEW_SECS {
        c.issue(
            "as.clock_skew_secs",
            format!(
                "{} is above the {MAX_SKEW_SECS} s maximum",
                raw.clock_skew_secs
            ),
        );
    }
    let replay = if raw.replay == "memory" {
        Some(ReplaySpec::Memory)
    } else if raw.replay.starts_with("redis://") || raw.replay.starts_with("rediss://") {
        c.parse("as.replay", &raw.replay, url::Url::parse)
            .map(|_| ReplaySpec::Redis(raw.replay.clone()))
    } else {
        c.issue(
            "as.replay",
            "must be \"memory\" or a redis:// (rediss://) URL",
        );
        None
    };
    if let Some(subjects) = &raw.subjects
        && subjects.is_empty()
    {
        c.issue(
            "as.subjects",
            "an empty allow-list refuses everyone; remove the key to accept every subject",
        );
    }
    if raw.trusted_issuers.is_empty() {
        c.issue(
            "as.trusted_issuers",
            "trust at least one IdP ([[as.trusted_issuers]])",
        );
    }
    let trusted: Vec<TrustedIssuerSpec> = raw
        .trusted_issuers
        .iter()
        .enumerate()
        .filter_map(|(i, t)| trusted_issuer(c, i, t))
        .collect();
    unique(
        c,
        "as.trusted_issuers",
        "issuer",
        raw.trusted_issuers.iter().map(|t| t.issuer.as_str()),
    );
    let clients: Vec<AsClientSpec> = raw
        .clients
        .iter()
        .enumerate()
        .filter_map(|(i, cl)| as_client(c, i, cl, raw))
        .collect();
    unique(
        c,
        "as.clients",
        "client_id",
        raw.clients.iter().map(|x| x.client_id.as_str()),
    );
    if raw.resources.is_empty() {
        c.issue(
            "as.resources",
            "serve at least one resource ([[as.resources]])",
        );
    }
    let mut resources = Vec::new();
    for (i, r) in raw.resources.iter().enumerate() {
        let at = format!("as.resources[{i}]");
        let resource = c.resource(&format!("{at}.resource"), &r.resource);
        if r.scopes.is_empty() {
            c.issue(format!("{at}.scopes"), "list at least one scope");
        }
        let scopes = c.scopes(&format!("{at}.scopes"), &r.scopes);
        let defaults = r
            .default_scopes
            .as_ref()
            .map(|d| c.scopes(&format!("{at}.default_scopes"), d));
        if let (Some(Some(d)), Some(s)) = (&defaults, &scopes)
            && !d.is_subset(s)
        {
            c.issue(format!("{at}.default_scopes"), "must be a subset of scopes");
        }
        if let (Some(resource), Some(scopes)) = (resource, scopes) {
            let mut config = ResourceConfig::new(resource, scopes);
            if let Some(Some(d)) = defaults {
                config = config.with_default_scopes(d);
            }
            resources.push(config);
        }
    }
    unique(
        c,
        "as.resources",
        "resource",
        raw.resources.iter().map(|r| r.resource.as_str()),
    );
    let login = raw.login.as_ref().and_then(|l| as_login(c, l, raw));
    if raw.login.is_none()
        && let Some(i) = raw
            .clients
            .iter()
            .position(|cl| !cl.redirect_uris.is_empty())
    {
        c.issue(
            format!("as.clients[{i}].redirect_uris"),
            "the code flow signs users in at an IdP: configure [as.login]",
        );
    }
    Some(AsSpec {
        issuer: issuer?,
        signing: signing?,
        access_token_ttl_secs: raw.access_token_ttl_secs,
        clock_skew_secs: raw.clock_skew_secs,
        replay: replay?,
        subjects: raw.subjects.clone(),
        trusted_issuers: trusted,
        clients,
        resources,
        login,
    })
}

/// The callback of the AS's sign-in at the IdP: `{as issuer}/login/callback`.
pub(crate) fn login_callback(as_issuer: &str) -> String {
    format!("{}/login/callback", as_issuer.trim_end_matches('/'))
}

fn as_login(c: &mut Checker<'_>, l: &RawAsLogin, raw: &RawAs) -> Option<AsLoginSpec> {
    let idp_issuer = c.issuer("as.login.idp_issuer", &l.idp_issuer);
    if idp_issuer.is_some() && !raw.trusted_issuers.iter().any(|t| t.issuer == l.idp_issuer) {
        c.issue(
            "as.login.idp_issuer",
            format!(
                "`{}` is not one of as.trusted_issuers: users must get the same principal \
                 through either flow",
                shorten(&l.idp_issuer)
            ),
        );
    }
    let client_id = c.client_id("as.login.client_id", &l.client_id);
    if l.client_secret.0.is_empty() {
        c.issue("as.login.client_secret", "must not be empty");
    }
    let scopes = c.scopes("as.login.scopes", &l.scopes);
    Some(AsLoginSpec {
        idp_issuer: idp_issuer?,
        client_id: client_id?,
        client_secret: l.client_secret.0.clone(),
        scopes: scopes?,
    })
}

/// When `[as.login]` signs in at the `[idp]` of this file, that IdP must know the AS as a
/// client with the AS's callback.
fn login_registered_at_local_idp(c: &mut Checker<'_>, raw: &RawConfig, base_url: Option<&str>) {
    let (Some(idp), Some(as_raw), Some(base)) = (&raw.idp, &raw.authorization_server, base_url)
    else {
        return;
    };
    let Some(login) = &as_raw.login else {
        return;
    };
    if login.idp_issuer != format!("{base}{}", idp.issuer_path) {
        return;
    }
    let callback = login_callback(&format!("{base}{}", as_raw.issuer_path));
    match idp.clients.iter().find(|cl| cl.client_id == login.client_id) {
        None => c.issue(
            "as.login.client_id",
            format!(
                "`{}` is not one of idp.clients: register the AS there with redirect_uris = [\"{callback}\"]",
                shorten(&login.client_id)
            ),
        ),
        Some(cl) if !cl.redirect_uris.contains(&callback) => c.issue(
            "as.login.client_id",
            format!(
                "idp.clients `{}` must list the AS's callback \"{callback}\" in redirect_uris",
                shorten(&login.client_id)
            ),
        ),
        Some(_) => {}
    }
}

/// A code-flow redirect URI: `https`, or `http` on a loopback host (RFC 8252 §7.3); no
/// fragment.
fn redirect_uri(c: &mut Checker<'_>, path: &str, raw: &str) -> Option<String> {
    let url = c.parse(path, raw, url::Url::parse)?;
    let ok = match url.scheme() {
        "https" => true,
        "http" => is_loopback(&url),
        _ => false,
    };
    if !ok {
        c.issue(
            path,
            format!(
                "`{}`: an https:// URL, or http:// on a loopback host (RFC 8252)",
                shorten(raw)
            ),
        );
        return None;
    }
    if url.fragment().is_some() {
        c.issue(path, "must have no fragment");
        return None;
    }
    Some(raw.to_owned())
}

fn trusted_issuer(
    c: &mut Checker<'_>,
    i: usize,
    t: &RawTrustedIssuer,
) -> Option<TrustedIssuerSpec> {
    let at = format!("as.trusted_issuers[{i}]");
    let issuer = c.issuer(&format!("{at}.issuer"), &t.issuer);
    let keys = c.keys(
        &at,
        t.jwks.as_ref(),
        t.jwks_file.as_deref(),
        t.jwks_uri.as_deref(),
    );
    let mut algorithms = Vec::new();
    if t.algorithms.is_empty() {
        c.issue(format!("{at}.algorithms"), "list at least one algorithm");
    }
    for (j, a) in t.algorithms.iter().enumerate() {
        if let Some(alg) = c.parse(&format!("{at}.algorithms[{j}]"), a, |s| {
            s.parse::<Algorithm>()
                .map_err(|_| "not one of ES256, RS256, PS256, EdDSA")
        }) {
            algorithms.push(alg);
        }
    }
    Some(TrustedIssuerSpec {
        issuer: issuer?,
        keys: keys?,
        algorithms,
    })
}

fn as_client(c: &mut Checker<'_>, i: usize, cl: &RawAsClient, raw: &RawAs) -> Option<AsClientSpec> {
    let at = format!("as.clients[{i}]");
    let client_id = c.client_id(&format!("{at}.client_id"), &cl.client_id);
    let has_keys = cl.jwks.is_some() || cl.jwks_file.is_some() || cl.jwks_uri.is_some();
    let redirect_uris: Vec<String> = cl
        .redirect_uris
        .iter()
        .enumerate()
        .filter_map(|(j, u)| redirect_uri(c, &format!("{at}.redirect_uris[{j}]"), u))
        .collect();
    if cl.public {
        if cl.client_secret.is_some() || has_keys {
            c.issue(
                format!("{at}.public"),
                "a public client has no client_secret, jwks, jwks_file or jwks_uri",
            );
        }
        if cl.redirect_uris.is_empty() {
            c.issue(
                format!("{at}.redirect_uris"),
                "a public client uses the code flow only: list its redirect URIs",
            );
        }
        if cl.trusted_issuers.is_some() {
            c.issue(
                format!("{at}.trusted_issuers"),
                "a public client cannot use the jwt-bearer grant",
            );
        }
    }
    let auth = match (&cl.client_secret, has_keys) {
        _ if cl.public => Some(AsClientAuth::Public),
        (Some(s), false) if s.0.is_empty() => {
            c.issue(format!("{at}.client_secret"), "must not be empty");
            None
        }
        (Some(s), false) => Some(AsClientAuth::Secret(s.0.clone())),
        (None, true) => c
            .keys(
                &at,
                cl.jwks.as_ref(),
                cl.jwks_file.as_deref(),
                cl.jwks_uri.as_deref(),
            )
            .map(AsClientAuth::Keys),
        _ => {
            c.issue(
                &at,
                "give exactly one of client_secret (client_secret_basic/post) or jwks, jwks_file, jwks_uri (private_key_jwt)",
            );
            None
        }
    };
    if let Some(list) = &cl.trusted_issuers {
        for (j, t) in list.iter().enumerate() {
            if !raw.trusted_issuers.iter().any(|x| &x.issuer == t) {
                c.issue(
                    format!("{at}.trusted_issuers[{j}]"),
                    format!("`{}` is not one of as.trusted_issuers", shorten(t)),
                );
            }
        }
    }
    Some(AsClientSpec {
        client_id: client_id?,
        auth: auth?,
        trusted_issuers: cl.trusted_issuers.clone(),
        redirect_uris,
    })
}

fn rs(c: &mut Checker<'_>, key: &str, raw: &RawRs, base_url: Option<&str>) -> Option<RsSpec> {
    let path = c.url_path(&format!("{key}.path"), &raw.path);
    let resource = path
        .as_ref()
        .zip(base_url)
        .and_then(|(p, b)| c.resource(&format!("{key}.path"), &format!("{b}{p}")));
    let authorization_server = c.issuer(
        &format!("{key}.authorization_server"),
        &raw.authorization_server,
    );
    let jwks_uri = match &raw.jwks_uri {
        Some(u) => c.url(&format!("{key}.jwks_uri"), u).map(|_| u.clone()),
        None => Some(format!("{}/jwks", raw.authorization_server)),
    };
    let scopes_supported = c.scopes(&format!("{key}.scopes_supported"), &raw.scopes_supported);
    let read_scopes = c.scopes(&format!("{key}.read_scopes"), &raw.read_scopes);
    let write_scopes = c.scopes(&format!("{key}.write_scopes"), &raw.write_scopes);
    if let Some(supported) = &scopes_supported
        && !supported.is_empty()
    {
        for (name, set) in [
            ("read_scopes", &read_scopes),
            ("write_scopes", &write_scopes),
        ] {
            if let Some(set) = set
                && !set.is_subset(supported)
            {
                c.issue(
                    format!("{key}.{name}"),
                    format!("`{set}` is not within {key}.scopes_supported"),
                );
            }
        }
    }
    Some(RsSpec {
        key: key.to_owned(),
        path: path?,
        resource: resource?,
        authorization_server: authorization_server?,
        jwks_uri: jwks_uri?,
        scopes_supported: scopes_supported?,
        resource_name: raw.resource_name.clone(),
        read_scopes: read_scopes?,
        write_scopes: write_scopes?,
    })
}

/// The MCP servers' paths are distinct and clash with no issuer path.
fn rs_paths(c: &mut Checker<'_>, raw: &RawConfig, entries: &[(String, &RawRs)]) {
    let mut taken: Vec<(String, &str)> = Vec::new();
    if let Some(idp) = &raw.idp {
        taken.push(("idp.issuer_path".to_owned(), idp.issuer_path.as_str()));
    }
    if let Some(a) = &raw.authorization_server {
        taken.push(("as.issuer_path".to_owned(), a.issuer_path.as_str()));
    }
    for (key, r) in entries {
        if let Some((other, _)) = taken.iter().find(|(_, p)| *p == r.path) {
            c.issue(
                format!("{key}.path"),
                format!("`{}` is already used by {other}", shorten(&r.path)),
            );
        } else {
            taken.push((format!("{key}.path"), r.path.as_str()));
        }
    }
}

/// When the stack's own AS protects an MCP server, it must list the server's resource.
fn rs_known_to_as(c: &mut Checker<'_>, servers: &[RsSpec], a: &AsSpec) {
    for server in servers {
        if server.authorization_server == a.issuer
            && !a.resources.iter().any(|r| r.resource == server.resource)
        {
            c.issue(
                format!("{}.path", server.key),
                format!(
                    "the resource {} is not one of as.resources: add it under [[as.resources]]",
                    server.resource
                ),
            );
        }
    }
}

/// `[audit]`: a file (relative to the configuration's folder) and/or stdout.
fn audit(c: &mut Checker<'_>, raw: &RawAudit) -> AuditSpec {
    let file = raw.file.as_ref().map(|f| c.file(f));
    if let Some(f) = &file {
        let folder = f.parent().filter(|p| !p.as_os_str().is_empty());
        if f.as_os_str().is_empty() || f.is_dir() {
            c.issue("audit.file", format!("{} is not a file name", f.display()));
        } else if folder.is_some_and(|p| !p.is_dir()) {
            c.issue(
                "audit.file",
                format!("the folder of {} does not exist", f.display()),
            );
        }
    }
    AuditSpec {
        file,
        stdout: raw.stdout,
    }
}

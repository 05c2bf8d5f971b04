//! `ema inspect`: decode a JWT (header and claims, with readable times) and, given keys,
//! validate it as an ID-JAG, an access token or an ID token. Exit status 0 only when valid.

use std::fmt::Write as _;

use ema_jwt::compact::UnverifiedJws;
use ema_jwt::verify::{AccessTokenVerifier, IdJagVerifier, IdTokenVerifier, TrustAnchor};
use ema_jwt::{Algorithm, ClaimsObject, KeySet};
use ema_types::{Clock, Issuer, Resource, SystemClock, urn};
use serde_json::Value;

/// The largest token read.
pub(crate) const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// What the token is expected to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Kind {
    /// `typ: oauth-id-jag+jwt`, issued by an IdP for an authorization server.
    IdJag,
    /// `typ: at+jwt` (RFC 9068), issued by an authorization server for a resource.
    AccessToken,
    /// An OpenID Connect ID token.
    IdToken,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::IdJag => "ID-JAG",
            Self::AccessToken => "access token",
            Self::IdToken => "ID token",
        }
    }

    /// The kind a `typ` header names, if any.
    fn from_typ(typ: Option<&str>) -> Option<Self> {
        let typ = typ?.to_ascii_lowercase();
        let typ = typ.strip_prefix("application/").unwrap_or(&typ);
        if typ == urn::JOSE_TYPE_ID_JAG {
            Some(Self::IdJag)
        } else if typ == urn::JOSE_TYPE_ACCESS_TOKEN {
            Some(Self::AccessToken)
        } else if typ == "jwt" {
            Some(Self::IdToken)
        } else {
            None
        }
    }
}

/// The outcome: the report to print, and whether the token is valid.
#[derive(Debug)]
pub(crate) struct Report {
    pub(crate) text: String,
    pub(crate) valid: bool,
}

/// A readable rendering of `token`'s header and claims (for `inspect` and the demo).
pub(crate) fn describe(token: &str, now: u64) -> Result<String, String> {
    let jws = UnverifiedJws::decode(token, MAX_TOKEN_BYTES)
        .map_err(|e| format!("not a signed JWT: {e}"))?;
    let header = jws.header();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "header: {}",
        serde_json::json!({ "alg": header.alg.as_str(), "typ": header.typ, "kid": header.kid })
    );
    let _ = writeln!(out, "claims:");
    out.push_str(&claims_text(jws.claims(), now, "  "));
    Ok(out)
}

/// One claim per line, times with a readable offset from `now`.
pub(crate) fn claims_text(claims: &ClaimsObject, now: u64, indent: &str) -> String {
    let mut out = String::new();
    for (name, value) in claims.iter() {
        let mut line = format!("{indent}{name}: {value}");
        if matches!(name, "iat" | "exp" | "nbf" | "auth_time")
            && let Some(t) = value.as_u64()
        {
            line.push_str(&format!("  ({})", relative(t, now)));
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn relative(t: u64, now: u64) -> String {
    if t >= now {
        format!("in {} s", t - now)
    } else {
        format!("{} s ago", now - t)
    }
}

fn first_audience(claims: &ClaimsObject) -> Option<String> {
    match claims.get("aud")? {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => items.first()?.as_str().map(str::to_owned),
        _ => None,
    }
}

fn claim(claims: &ClaimsObject, name: &str) -> Option<String> {
    claims.get(name)?.as_str().map(str::to_owned)
}

/// Decode `token` and, with `keys`, validate it as `kind` (or the kind its `typ` names):
/// signature by one of `keys`, `typ`, issuer (`issuer` when given, else the token's),
/// audience (`audience` when given, else the token's), times (60 s skew), claim shapes.
pub(crate) fn inspect(
    token: &str,
    keys: Option<&KeySet>,
    kind: Option<Kind>,
    issuer: Option<&str>,
    audience: Option<&str>,
) -> Report {
    let clock = SystemClock;
    let now = clock.now_unix();
    let mut text = match describe(token, now) {
        Ok(t) => t,
        Err(e) => {
            return Report {
                text: format!("invalid: {e}\n"),
                valid: false,
            };
        }
    };
    let Ok(jws) = UnverifiedJws::decode(token, MAX_TOKEN_BYTES) else {
        return Report { text, valid: false };
    };
    let claims = jws.claims().clone();
    let Some(kind) = kind.or_else(|| Kind::from_typ(jws.header().typ.as_deref())) else {
        text.push_str("invalid: the typ header names no known kind; pass --kind\n");
        return Report { text, valid: false };
    };
    let Some(keys) = keys else {
        let _ = writeln!(
            text,
            "not validated: no keys given (--jwks FILE|URL); the signature is unchecked"
        );
        return Report { text, valid: false };
    };
    let iss = issuer.map(str::to_owned).or_else(|| claim(&claims, "iss"));
    let aud = audience
        .map(str::to_owned)
        .or_else(|| first_audience(&claims));
    let result = validate(token, keys, kind, iss, aud, &claims, &clock);
    match result {
        Ok(()) => {
            let _ = writeln!(text, "valid {}", kind.name());
            Report { text, valid: true }
        }
        Err(why) => {
            let _ = writeln!(text, "invalid {}: {why}", kind.name());
            Report { text, valid: false }
        }
    }
}

fn validate(
    token: &str,
    keys: &KeySet,
    kind: Kind,
    iss: Option<String>,
    aud: Option<String>,
    claims: &ClaimsObject,
    clock: &dyn Clock,
) -> Result<(), String> {
    let iss = iss.ok_or("no iss claim")?;
    let aud = aud.ok_or("no aud claim")?;
    let issuer = Issuer::new(iss.clone()).map_err(|e| format!("iss: {e}"))?;
    let algorithms = Algorithm::ALL;
    match kind {
        Kind::AccessToken => {
            let resource = Resource::new(aud).map_err(|e| format!("aud: {e}"))?;
            AccessTokenVerifier::new(issuer, resource)
                .verify(token, keys, &algorithms, clock)
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
        Kind::IdToken => IdTokenVerifier::new(issuer, aud)
            .verify(token, keys, &algorithms, None, clock)
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Kind::IdJag => {
            let audience = Issuer::new(aud).map_err(|e| format!("aud: {e}"))?;
            let resources: Vec<Resource> = match claims.get("resource") {
                Some(Value::String(r)) => {
                    vec![Resource::new(r.clone()).map_err(|e| format!("resource: {e}"))?]
                }
                Some(Value::Array(items)) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|r| Resource::new(r).map_err(|e| format!("resource: {e}")))
                    .collect::<Result<_, _>>()?,
                _ => Vec::new(),
            };
            let client_id = claim(claims, "client_id").ok_or("no client_id claim")?;
            let verifier = IdJagVerifier::new(audience, resources);
            let jws = verifier.decode(token).map_err(|e| e.to_string())?;
            let anchor = TrustAnchor::new(&iss, keys, &algorithms);
            verifier
                .verify(jws, &anchor, &client_id, clock)
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
    }
}

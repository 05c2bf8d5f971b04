//! The audit event: one per decision of the IdP's token exchange or the AS's jwt-bearer grant.

use serde::{Deserialize, Serialize};

/// Which server decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AuditRole {
    /// The IdP's token exchange (ID-JAG issuance, IDP-*).
    #[serde(rename = "idp")]
    Idp,
    /// The resource authorization server's jwt-bearer grant (AS-*).
    #[serde(rename = "as")]
    AuthorizationServer,
}

impl AuditRole {
    /// `idp` or `as`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Idp => "idp",
            Self::AuthorizationServer => "as",
        }
    }
}

/// Granted or denied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuditDecision {
    /// A token was issued.
    Granted,
    /// The request was refused.
    Denied,
}

impl AuditDecision {
    /// `granted` or `denied`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Granted => "granted",
            Self::Denied => "denied",
        }
    }
}

/// One audit event. It never holds a token, an assertion or a secret: only identifiers,
/// scopes, the decision and its reason.
///
/// As a JSON line (the [`JsonLinesSink`](super::JsonLinesSink) format; absent values are
/// `null`, `resource` may be empty):
///
/// ```json
/// {"time":"2026-10-26T07:33:20Z","unix_time":1793000000,"role":"idp",
///  "issuer":"https://login.acme-idp.test","subject":"alice","client_id":"desk-7f3a",
///  "audience":"https://as.toolhub.test","resource":["https://tools.toolhub.test/mcp"],
///  "requested_scope":"tickets:read","granted_scope":"tickets:read","decision":"granted",
///  "reason":"granted","error":null,"jti":"8Zk0…"}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuditEvent {
    /// When, RFC 3339 UTC (`2026-10-26T07:33:20Z`).
    pub time: String,
    /// When, seconds since the Unix epoch.
    pub unix_time: u64,
    /// Which server decided.
    pub role: AuditRole,
    /// The deciding server's issuer identifier.
    pub issuer: String,
    /// The user: the validated subject token's `sub` at the IdP, the verified ID-JAG `sub`
    /// at the AS; `null` when the request failed before it was known.
    #[serde(default)]
    pub subject: Option<String>,
    /// The authenticated client (its id at the deciding server); `null` before client
    /// authentication succeeded.
    #[serde(default)]
    pub client_id: Option<String>,
    /// The target authorization server: the requested (resolved) `audience` at the IdP,
    /// the ID-JAG `aud` at the AS.
    #[serde(default)]
    pub audience: Option<String>,
    /// The resources: requested at the IdP, granted (or requested) at the AS.
    #[serde(default)]
    pub resource: Vec<String>,
    /// The `scope` parameter, if any.
    #[serde(default)]
    pub requested_scope: Option<String>,
    /// The scopes granted (only on a grant).
    #[serde(default)]
    pub granted_scope: Option<String>,
    /// Granted or denied.
    pub decision: AuditDecision,
    /// `granted`, or why not: a finer reason where the server knows one (`policy_denied`,
    /// `unknown_audience`, `replayed`, …), else the OAuth error code.
    pub reason: String,
    /// The OAuth error code answered (RFC 6749 §5.2), on a denial.
    #[serde(default)]
    pub error: Option<String>,
    /// The correlation id: the ID-JAG `jti` the IdP minted, or the one the AS redeemed (once
    /// verified). The IdP and AS events of one flow carry the same value.
    #[serde(default)]
    pub jti: Option<String>,
}

impl AuditEvent {
    /// An event of `role` at `issuer`, at `unix_time`, with nothing else known yet: a denial
    /// with reason `reason`. Fill in the rest through the public fields.
    #[must_use]
    pub fn new(role: AuditRole, issuer: impl Into<String>, unix_time: u64) -> Self {
        Self {
            time: rfc3339(unix_time),
            unix_time,
            role,
            issuer: issuer.into(),
            subject: None,
            client_id: None,
            audience: None,
            resource: Vec::new(),
            requested_scope: None,
            granted_scope: None,
            decision: AuditDecision::Denied,
            reason: String::new(),
            error: None,
            jti: None,
        }
    }
}

/// `unix` seconds as RFC 3339 UTC, `YYYY-MM-DDTHH:MM:SSZ`.
#[must_use]
pub fn rfc3339(unix: u64) -> String {
    let days = unix / 86_400;
    let secs = unix % 86_400;
    // Howard Hinnant's civil_from_days, on non-negative days (the epoch onwards).
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_793_000_000), "2026-10-26T07:33:20Z");
        assert_eq!(rfc3339(4_102_444_799), "2099-12-31T23:59:59Z");
    }
}

//! `ema policy explain`: the `[idp]` policy of a configuration file asked one question (user ×
//! client × resource × scopes) without starting anything: the decision, the granted scopes
//! and every row's verdict, the deciding rows marked `*` and named by their key
//! (`idp.grants[2]`) and `name` (IDP-11).

use std::fmt::Write as _;
use std::path::Path;

use ema_server::idp::{DenialReason, Explanation, PolicyRequest, SubjectContext};
use ema_types::{ClientId, Issuer, Resource, ScopeSet};

use crate::config::{IdpSpec, StackSpec};
use crate::stack;

/// The question.
#[derive(Debug, Clone)]
pub(crate) struct Question {
    pub(crate) user: String,
    pub(crate) client: String,
    pub(crate) resource: String,
    /// The audience (AS issuer); default: the one the rows for `resource` name.
    pub(crate) audience: Option<String>,
    /// Scopes, each argument possibly space-separated; none: no `scope` parameter.
    pub(crate) scope: Vec<String>,
}

/// The answer: the text to print and whether it is a grant.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub(crate) text: String,
    pub(crate) granted: bool,
}

/// Load `config` and explain `question`. `Err` is a usage or configuration error.
pub(crate) fn explain_file(config: &Path, question: &Question) -> Result<Answer, String> {
    let spec = crate::config::load(config).map_err(|e| format!("{}: {e}", config.display()))?;
    explain(&spec, question)
}

/// Explain `question` against the policy of `spec`, exactly as `ema serve`'s IdP decides it.
pub(crate) fn explain(spec: &StackSpec, question: &Question) -> Result<Answer, String> {
    let idp = spec
        .idp
        .as_ref()
        .ok_or("the configuration has no [idp]: no policy to explain")?;
    let client = ClientId::new(question.client.as_str()).map_err(|e| format!("--client: {e}"))?;
    let resource =
        Resource::new(question.resource.as_str()).map_err(|e| format!("--resource: {e}"))?;
    let audience = match &question.audience {
        Some(a) => Issuer::new(a.as_str()).map_err(|e| format!("--audience: {e}"))?,
        None => default_audience(spec, &resource)?,
    };
    let scope = if question.scope.is_empty() {
        None
    } else {
        Some(ScopeSet::parse(&question.scope.join(" ")).map_err(|e| format!("--scope: {e}"))?)
    };
    let resources = [resource];
    let explanation = decide(
        idp,
        &question.user,
        &client,
        &audience,
        &resources,
        scope.as_ref(),
    );
    let mut text = String::new();
    let _ = writeln!(
        text,
        "request: user {} via client {} for {} at {}, scope {}",
        question.user,
        client,
        resources
            .iter()
            .map(Resource::as_str)
            .collect::<Vec<_>>()
            .join(" "),
        audience,
        scope
            .as_ref()
            .map_or("(none asked)".to_owned(), ToString::to_string),
    );
    if !idp.clients.iter().any(|c| c.client_id == client) {
        let _ = writeln!(text, "note: client {client} is not one of idp.clients");
    }
    render(&mut text, &explanation);
    Ok(Answer {
        text,
        granted: explanation.is_granted(),
    })
}

/// The `[idp]` policy's explanation of `user` asking through `client` for `resources` at
/// `audience`: the same code path as the IdP's decision in `ema serve`.
pub(crate) fn decide(
    idp: &IdpSpec,
    user: &str,
    client: &ClientId,
    audience: &Issuer,
    resources: &[Resource],
    scope: Option<&ScopeSet>,
) -> Explanation {
    let user = SubjectContext::new(user);
    stack::policy(idp).explain(&PolicyRequest::new(
        &user, client, audience, resources, scope,
    ))
}

/// One line: the denial code and reason with the deciding rows named by key, or the grant.
pub(crate) fn summary(e: &Explanation) -> String {
    let rows: Vec<String> = e
        .rows
        .iter()
        .filter(|r| r.deciding)
        .map(|r| row_name(r.index, r.label.as_deref()))
        .collect();
    let rows = if rows.is_empty() {
        "no row".to_owned()
    } else {
        rows.join(", ")
    };
    match (&e.granted, &e.denial) {
        (Some(scope), _) => format!("granted `{scope}` by {rows}"),
        (None, Some(reason @ DenialReason::DeniedByRow { .. })) => {
            format!("{}: {}", reason.code(), why(e, reason))
        }
        (None, Some(reason)) if e.deciding.is_empty() => {
            format!("{}: {}", reason.code(), why(e, reason))
        }
        (None, Some(reason)) => format!("{}: {} (deciding: {rows})", reason.code(), why(e, reason)),
        (None, None) => format!("denied (deciding: {rows})"),
    }
}

/// The audience the rows for `resource` name; the stack's AS when none does.
fn default_audience(spec: &StackSpec, resource: &Resource) -> Result<Issuer, String> {
    let mut audiences: Vec<&Issuer> = spec
        .idp
        .iter()
        .flat_map(|i| i.rules.iter())
        .filter(|r| &r.resource == resource)
        .map(|r| &r.audience)
        .collect();
    audiences.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    audiences.dedup();
    match (audiences.as_slice(), &spec.authorization_server) {
        ([one], _) => Ok((*one).clone()),
        ([], Some(a)) => Ok(a.issuer.clone()),
        ([], None) => Err(format!(
            "no [[idp.grants]] row names {resource}: give --audience"
        )),
        (many, _) => Err(format!(
            "the rows for {resource} name several audiences ({}): give --audience",
            many.iter()
                .map(|a| a.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

fn render(text: &mut String, e: &Explanation) {
    match (&e.granted, &e.denial) {
        (Some(scope), _) if scope.is_empty() => {
            let _ = writeln!(text, "decision: granted (no scope)");
        }
        (Some(scope), _) => {
            let _ = writeln!(text, "decision: granted");
            let _ = writeln!(text, "granted scopes: {scope}");
        }
        (None, Some(reason)) => {
            let _ = writeln!(
                text,
                "decision: denied ({}, {}: {})",
                reason.error_code(),
                reason.code(),
                why(e, reason)
            );
        }
        (None, None) => {
            let _ = writeln!(text, "decision: denied");
        }
    }
    let list = |v: &[String]| {
        if v.is_empty() {
            "-".to_owned()
        } else {
            v.join(", ")
        }
    };
    let _ = writeln!(
        text,
        "user: {} ({}; groups: {}; roles: {})",
        e.user.subject,
        if e.user.known {
            "in idp.users"
        } else {
            "not in idp.users"
        },
        list(&e.user.groups),
        list(&e.user.roles)
    );
    if e.deciding.is_empty() {
        let _ = writeln!(text, "deciding rows: none");
    } else {
        let names: Vec<String> = e
            .rows
            .iter()
            .filter(|r| r.deciding)
            .map(|r| row_name(r.index, r.label.as_deref()))
            .collect();
        let _ = writeln!(text, "deciding rows: {}", names.join(", "));
    }
    let _ = writeln!(text, "rows (* = deciding):");
    for row in &e.rows {
        let _ = writeln!(
            text,
            "{} {} {:<5} {}",
            if row.deciding { '*' } else { ' ' },
            row_name(row.index, row.label.as_deref()),
            row.effect.as_str(),
            row.verdict
        );
    }
}

/// The reason, rows named by their key.
fn why(e: &Explanation, reason: &DenialReason) -> String {
    match reason {
        DenialReason::DeniedByRow { resource, row } => {
            let label = e
                .rows
                .iter()
                .find(|r| r.index == *row)
                .and_then(|r| r.label.as_deref());
            format!("{} denies {resource}", row_name(*row, label))
        }
        other => other.to_string(),
    }
}

/// `idp.grants[2] "name"`.
fn row_name(index: usize, label: Option<&str>) -> String {
    match label {
        Some(label) => format!("idp.grants[{index}] {label:?}"),
        None => format!("idp.grants[{index}]"),
    }
}

//! Policy explanations (IDP-11): the decision of a [`StaticPolicy`](super::StaticPolicy), the
//! rows that decided it and why each row matched or not. The table's decision **is** this
//! evaluation: [`StaticPolicy::decide_now`](super::StaticPolicy::decide_now) returns
//! [`Explanation::decision`].

use std::fmt;

use ema_types::{ClientId, ErrorCode, Resource, ScopeSet};

use super::directory::UserDirectory;
use super::policy::{Decision, Effect, PolicyGrant, PolicyRequest, PolicyRule};

/// The user as the policy saw them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResolvedUser {
    /// The ID-token `sub`.
    pub subject: String,
    /// `false` when a directory is configured and does not know the subject.
    pub known: bool,
    /// Groups (context and directory).
    pub groups: Vec<String>,
    /// Roles (context and directory).
    pub roles: Vec<String>,
}

/// Why one row matched the request or not. Checks run in this order and the first failing
/// one is reported: client, audience, user (users/groups/roles), resource.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RowVerdict {
    /// The row applies, to these request resources.
    Matched {
        /// The request resources the row names (one, since a row names one resource).
        resources: Vec<Resource>,
    },
    /// The row is for another client.
    OtherClient,
    /// The row is for another audience.
    OtherAudience,
    /// The row names users, groups or roles, and the user is none of them.
    OtherUser,
    /// The row is for a resource the request does not name.
    OtherResource,
    /// Not evaluated: the user is unknown.
    NotEvaluated,
}

impl RowVerdict {
    /// Whether the row matched.
    #[must_use]
    pub fn matched(&self) -> bool {
        matches!(self, Self::Matched { .. })
    }
}

impl fmt::Display for RowVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Matched { resources } => {
                f.write_str("matched")?;
                for r in resources {
                    write!(f, " {r}")?;
                }
                Ok(())
            }
            Self::OtherClient => f.write_str("not matched: other client"),
            Self::OtherAudience => f.write_str("not matched: other audience"),
            Self::OtherUser => f.write_str("not matched: user not in its users/groups/roles"),
            Self::OtherResource => f.write_str("not matched: other resource"),
            Self::NotEvaluated => f.write_str("not evaluated: unknown user"),
        }
    }
}

/// One row's part in an [`Explanation`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RowExplanation {
    /// The row's index in [`StaticPolicy::rules`](super::StaticPolicy::rules).
    pub index: usize,
    /// The row's label.
    pub label: Option<String>,
    /// Allow or deny.
    pub effect: Effect,
    /// Whether and why it matched.
    pub verdict: RowVerdict,
    /// Whether it is one of the [deciding rows](Explanation::deciding).
    pub deciding: bool,
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DenialReason {
    /// The directory does not know the user (`invalid_target`, OQ-15).
    UnknownUser,
    /// The request names no resource (`invalid_target`).
    NoResource,
    /// No allow row matches this resource: deny by default (`invalid_target`).
    NoAllowRow {
        /// The resource.
        resource: Resource,
    },
    /// A matching deny row without scopes refuses this resource (`invalid_target`).
    DeniedByRow {
        /// The resource.
        resource: Resource,
        /// The first such row.
        row: usize,
    },
    /// The matching allow rows name different `as_client_id`s (`invalid_target`, IDP-12).
    ConflictingAsClientId,
    /// Nothing of what was requested (or, without a request, nothing at all) is grantable
    /// (`invalid_scope`).
    NoGrantableScope,
}

impl DenialReason {
    /// A stable code for audit trails: `unknown_user`, `no_resource`, `no_allow_row`,
    /// `denied_by_row`, `conflicting_as_client_id`, `no_grantable_scope`.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownUser => "unknown_user",
            Self::NoResource => "no_resource",
            Self::NoAllowRow { .. } => "no_allow_row",
            Self::DeniedByRow { .. } => "denied_by_row",
            Self::ConflictingAsClientId => "conflicting_as_client_id",
            Self::NoGrantableScope => "no_grantable_scope",
        }
    }

    /// The OAuth error the IdP answers (IDP-11, OQ-15): `invalid_scope` when nothing
    /// grantable was asked for, `invalid_target` otherwise.
    #[must_use]
    pub fn error_code(&self) -> ErrorCode {
        match self {
            Self::NoGrantableScope => ErrorCode::InvalidScope,
            _ => ErrorCode::InvalidTarget,
        }
    }
}

impl fmt::Display for DenialReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownUser => f.write_str("the user is not in the directory"),
            Self::NoResource => f.write_str("the request names no resource"),
            Self::NoAllowRow { resource } => write!(f, "no allow row for {resource}"),
            Self::DeniedByRow { resource, row } => write!(f, "row #{row} denies {resource}"),
            Self::ConflictingAsClientId => {
                f.write_str("the matching rows name different client ids at the AS")
            }
            Self::NoGrantableScope => f.write_str("no requested scope is grantable"),
        }
    }
}

/// The decision of a [`StaticPolicy`](super::StaticPolicy) with its reasons (IDP-11).
///
/// `Display` renders it for people: the decision, the user, then one line per row, the
/// deciding rows marked `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Explanation {
    /// The decision (what the policy answers).
    pub decision: Decision,
    /// The granted scopes, when granted.
    pub granted: Option<ScopeSet>,
    /// Why it was refused, when refused.
    pub denial: Option<DenialReason>,
    /// The user as the policy saw them.
    pub user: ResolvedUser,
    /// The indices of the rows that decided: on a grant, every matching allow and deny row;
    /// on a refusal by a deny row, that row; when no allow row matched, none (deny by
    /// default); on a scope refusal or conflicting ids, the matching rows.
    pub deciding: Vec<usize>,
    /// Every row in table order, with its verdict.
    pub rows: Vec<RowExplanation>,
}

impl Explanation {
    /// Whether the request is granted.
    #[must_use]
    pub fn is_granted(&self) -> bool {
        matches!(self.decision, Decision::Grant(_))
    }

    /// The labels of the deciding rows (`#index` for rows without a label).
    #[must_use]
    pub fn deciding_labels(&self) -> Vec<String> {
        self.rows
            .iter()
            .filter(|r| r.deciding)
            .map(|r| r.label.clone().unwrap_or_else(|| format!("#{}", r.index)))
            .collect()
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.granted, &self.denial) {
            (Some(scope), _) if scope.is_empty() => writeln!(f, "decision: granted (no scope)")?,
            (Some(scope), _) => writeln!(f, "decision: granted, scopes: {scope}")?,
            (None, Some(reason)) => writeln!(
                f,
                "decision: denied, {} ({}: {reason})",
                reason.error_code(),
                reason.code()
            )?,
            (None, None) => writeln!(f, "decision: denied")?,
        }
        let list = |v: &[String]| {
            if v.is_empty() {
                "-".to_owned()
            } else {
                v.join(",")
            }
        };
        writeln!(
            f,
            "user: {} ({}; groups: {}; roles: {})",
            self.user.subject,
            if self.user.known { "known" } else { "unknown" },
            list(&self.user.groups),
            list(&self.user.roles)
        )?;
        writeln!(f, "rows:")?;
        for row in &self.rows {
            let mark = if row.deciding { '*' } else { ' ' };
            let label = row.label.as_deref().unwrap_or("");
            writeln!(
                f,
                "{mark} #{} {} {label:?}: {}",
                row.index, row.effect, row.verdict
            )?;
        }
        Ok(())
    }
}

fn merged(a: &[String], b: &[String]) -> Vec<String> {
    let mut out: Vec<String> = a.to_vec();
    for x in b {
        if !out.contains(x) {
            out.push(x.clone());
        }
    }
    out
}

fn applies_to(rule: &PolicyRule, user: &ResolvedUser) -> bool {
    if rule.is_for_everyone() {
        return true;
    }
    let named = |list: &Option<Vec<String>>, have: &[String]| {
        list.as_ref()
            .is_some_and(|l| l.iter().any(|x| have.contains(x)))
    };
    rule.users
        .as_ref()
        .is_some_and(|u| u.iter().any(|s| s == &user.subject))
        || named(&rule.groups, &user.groups)
        || named(&rule.roles, &user.roles)
}

fn verdict(rule: &PolicyRule, request: &PolicyRequest<'_>, user: &ResolvedUser) -> RowVerdict {
    if &rule.client_id != request.client_id {
        return RowVerdict::OtherClient;
    }
    if &rule.audience != request.audience {
        return RowVerdict::OtherAudience;
    }
    if !applies_to(rule, user) {
        return RowVerdict::OtherUser;
    }
    let resources: Vec<Resource> = request
        .resources
        .iter()
        .filter(|r| **r == rule.resource)
        .cloned()
        .collect();
    if resources.is_empty() {
        RowVerdict::OtherResource
    } else {
        RowVerdict::Matched { resources }
    }
}

struct Outcome {
    decision: Decision,
    granted: Option<ScopeSet>,
    denial: Option<DenialReason>,
    deciding: Vec<usize>,
}

impl Outcome {
    fn deny(reason: DenialReason, deciding: Vec<usize>) -> Self {
        let decision = match reason.error_code() {
            ErrorCode::InvalidScope => Decision::DenyScope,
            _ => Decision::DenyTarget,
        };
        Self {
            decision,
            granted: None,
            denial: Some(reason),
            deciding,
        }
    }
}

fn push_unique(into: &mut Vec<usize>, index: usize) {
    if !into.contains(&index) {
        into.push(index);
    }
}

fn decide(rules: &[PolicyRule], verdicts: &[RowVerdict], request: &PolicyRequest<'_>) -> Outcome {
    if request.resources.is_empty() {
        return Outcome::deny(DenialReason::NoResource, Vec::new());
    }
    let matching = |resource: &Resource, effect: Effect| -> Vec<(usize, &PolicyRule)> {
        rules
            .iter()
            .zip(verdicts)
            .enumerate()
            .filter(|(_, (rule, verdict))| {
                rule.effect == effect
                    && matches!(verdict, RowVerdict::Matched { resources } if resources.contains(resource))
            })
            .map(|(i, (rule, _))| (i, rule))
            .collect()
    };
    let mut deciding: Vec<usize> = Vec::new();
    let mut grantable: Option<ScopeSet> = None;
    let mut named_any = false;
    let mut as_client_id: Option<&ClientId> = None;
    for resource in request.resources {
        let allow = matching(resource, Effect::Allow);
        let deny = matching(resource, Effect::Deny);
        if let Some((row, _)) = deny.iter().find(|(_, r)| r.scopes.is_empty()) {
            return Outcome::deny(
                DenialReason::DeniedByRow {
                    resource: resource.clone(),
                    row: *row,
                },
                vec![*row],
            );
        }
        if allow.is_empty() {
            return Outcome::deny(
                DenialReason::NoAllowRow {
                    resource: resource.clone(),
                },
                Vec::new(),
            );
        }
        let mut allowed = ScopeSet::new();
        for (i, rule) in &allow {
            push_unique(&mut deciding, *i);
            match as_client_id {
                Some(id) if id != &rule.as_client_id => {
                    return Outcome::deny(DenialReason::ConflictingAsClientId, deciding);
                }
                _ => as_client_id = Some(&rule.as_client_id),
            }
            allowed = allowed.union(&rule.scopes);
        }
        named_any |= !allowed.is_empty();
        for (i, rule) in &deny {
            push_unique(&mut deciding, *i);
            allowed = allowed.difference(&rule.scopes);
        }
        grantable = Some(match grantable {
            Some(g) => g.intersection(&allowed),
            None => allowed,
        });
    }
    let (Some(grantable), Some(as_client_id)) = (grantable, as_client_id) else {
        return Outcome::deny(DenialReason::NoResource, Vec::new());
    };
    let scope = match request.scope {
        Some(asked) => asked.intersection(&grantable),
        None => grantable,
    };
    if scope.is_empty() && (request.scope.is_some() || named_any) {
        return Outcome::deny(DenialReason::NoGrantableScope, deciding);
    }
    Outcome {
        decision: Decision::Grant(PolicyGrant::new(scope.clone(), as_client_id.clone())),
        granted: Some(scope),
        denial: None,
        deciding,
    }
}

/// The evaluation behind `StaticPolicy::explain` and `decide_now` (one code path).
pub(super) fn evaluate(
    rules: &[PolicyRule],
    directory: Option<&dyn UserDirectory>,
    request: &PolicyRequest<'_>,
) -> Explanation {
    let context = request.user;
    let user = match directory {
        None => Some(ResolvedUser {
            subject: context.subject.clone(),
            known: true,
            groups: context.groups.clone(),
            roles: context.roles.clone(),
        }),
        Some(directory) => directory
            .lookup(&context.subject)
            .map(|entry| ResolvedUser {
                subject: context.subject.clone(),
                known: true,
                groups: merged(&context.groups, &entry.groups),
                roles: merged(&context.roles, &entry.roles),
            }),
    };
    let Some(user) = user else {
        let outcome = Outcome::deny(DenialReason::UnknownUser, Vec::new());
        return Explanation {
            decision: outcome.decision,
            granted: None,
            denial: outcome.denial,
            user: ResolvedUser {
                subject: context.subject.clone(),
                known: false,
                groups: context.groups.clone(),
                roles: context.roles.clone(),
            },
            deciding: Vec::new(),
            rows: rules
                .iter()
                .enumerate()
                .map(|(index, rule)| RowExplanation {
                    index,
                    label: rule.label.clone(),
                    effect: rule.effect,
                    verdict: RowVerdict::NotEvaluated,
                    deciding: false,
                })
                .collect(),
        };
    };
    let verdicts: Vec<RowVerdict> = rules.iter().map(|r| verdict(r, request, &user)).collect();
    let outcome = decide(rules, &verdicts, request);
    let rows = rules
        .iter()
        .zip(verdicts)
        .enumerate()
        .map(|(index, (rule, verdict))| RowExplanation {
            index,
            label: rule.label.clone(),
            effect: rule.effect,
            verdict,
            deciding: outcome.deciding.contains(&index),
        })
        .collect();
    Explanation {
        decision: outcome.decision,
        granted: outcome.granted,
        denial: outcome.denial,
        user,
        deciding: outcome.deciding,
        rows,
    }
}

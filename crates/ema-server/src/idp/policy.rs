//! Who may get an ID-JAG for what (IDP-10, IDP-11, IDP-12, IDP-19): the [`Policy`] hook and
//! a table implementation, [`StaticPolicy`]. Deny by default.

use async_trait::async_trait;
use ema_types::{ClientId, Issuer, Resource, ScopeSet};

use super::SubjectContext;

/// What the policy is asked: user × client × audience × resources × scopes (IDP-11).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct PolicyRequest<'a> {
    /// The user, from the validated subject token.
    pub user: &'a SubjectContext,
    /// The authenticated client, by its id **at the IdP**.
    pub client_id: &'a ClientId,
    /// The target authorization server (the alias already resolved, IDP-09).
    pub audience: &'a Issuer,
    /// The requested resources (at least one, each allowed for the audience, IDP-10).
    pub resources: &'a [Resource],
    /// The requested scopes, if any.
    pub scope: Option<&'a ScopeSet>,
}

/// A grant decided by the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PolicyGrant {
    /// The scopes granted: at most the requested ones (IDP-11). May be empty only when the
    /// request named no scope.
    pub scope: ScopeSet,
    /// The client's id **at the target authorization server**, the ID-JAG `client_id`
    /// (IDP-12).
    pub as_client_id: ClientId,
}

impl PolicyGrant {
    /// A grant of `scope` for the client known at the AS as `as_client_id`.
    #[must_use]
    pub fn new(scope: ScopeSet, as_client_id: ClientId) -> Self {
        Self {
            scope,
            as_client_id,
        }
    }
}

/// A step-up demand (IDP-19, RFC 9470 §3): 400 `insufficient_user_authentication` with these
/// members.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct StepUp {
    /// `max_age`: the largest acceptable age of the authentication, in seconds.
    pub max_age: Option<u64>,
    /// `acr_values`: space-separated authentication context classes, any of which suffices.
    pub acr_values: Option<String>,
    /// `error_description`.
    pub description: Option<&'static str>,
}

impl StepUp {
    /// Ask for an authentication no older than `max_age` seconds.
    #[must_use]
    pub fn max_age(max_age: u64) -> Self {
        Self {
            max_age: Some(max_age),
            ..Self::default()
        }
    }

    /// Ask for one of the authentication context classes `acr_values` (space-separated).
    #[must_use]
    pub fn acr_values(acr_values: impl Into<String>) -> Self {
        Self {
            acr_values: Some(acr_values.into()),
            ..Self::default()
        }
    }

    /// Set `error_description`.
    #[must_use]
    pub fn describe(mut self, description: &'static str) -> Self {
        self.description = Some(description);
        self
    }
}

/// The policy's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decision {
    /// Issue an ID-JAG.
    Grant(PolicyGrant),
    /// The user or client may not reach this audience/resource: `invalid_target` (OQ-15).
    DenyTarget,
    /// None of the requested scopes may be granted: `invalid_scope` (IDP-11).
    DenyScope,
    /// The user must authenticate again, more strongly (IDP-19).
    StepUp(StepUp),
}

/// The administrator's policy (IDP-11). Implement it over the application's own rules; an
/// implementation must deny what it does not explicitly allow.
#[async_trait]
pub trait Policy: Send + Sync {
    /// Decide `request`.
    async fn decide(&self, request: &PolicyRequest<'_>) -> Decision;
}

/// One row of a [`StaticPolicy`]: `client_id` may obtain ID-JAGs for `audience` and
/// `resource` with at most `scopes`, named `as_client_id` at the AS, for `users` (all users
/// when `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PolicyRule {
    /// The client, by its id at the IdP.
    pub client_id: ClientId,
    /// The target AS issuer.
    pub audience: Issuer,
    /// The resource.
    pub resource: Resource,
    /// The largest scope set grantable.
    pub scopes: ScopeSet,
    /// The client's id at the AS (IDP-12).
    pub as_client_id: ClientId,
    /// The users (ID-token `sub` at the IdP) allowed; `None`: all.
    pub users: Option<Vec<String>>,
}

impl PolicyRule {
    /// A row for all users.
    #[must_use]
    pub fn new(
        client_id: ClientId,
        audience: Issuer,
        resource: Resource,
        scopes: ScopeSet,
        as_client_id: ClientId,
    ) -> Self {
        Self {
            client_id,
            audience,
            resource,
            scopes,
            as_client_id,
            users: None,
        }
    }

    /// Restrict the row to `users`.
    #[must_use]
    pub fn for_users<I, S>(mut self, users: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.users = Some(users.into_iter().map(Into::into).collect());
        self
    }

    fn matches(&self, request: &PolicyRequest<'_>, resource: &Resource) -> bool {
        &self.client_id == request.client_id
            && &self.audience == request.audience
            && &self.resource == resource
            && self
                .users
                .as_ref()
                .is_none_or(|u| u.iter().any(|s| s == &request.user.subject))
    }
}

/// A policy table (deny by default). For a request naming several resources, every resource
/// needs a matching row, all rows must agree on `as_client_id`, and the grantable scopes are
/// the intersection of their `scopes` (an ID-JAG's scopes apply to each of its resources).
/// The granted set is the requested set narrowed to what is grantable, or everything
/// grantable when the request names no scope.
#[derive(Debug, Clone, Default)]
pub struct StaticPolicy {
    rules: Vec<PolicyRule>,
}

impl StaticPolicy {
    /// An empty table: everything is denied.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a row.
    #[must_use]
    pub fn with_rule(mut self, rule: PolicyRule) -> Self {
        self.rules.push(rule);
        self
    }

    /// Decide synchronously (what [`Policy::decide`] does).
    #[must_use]
    pub fn decide_now(&self, request: &PolicyRequest<'_>) -> Decision {
        let mut grantable: Option<ScopeSet> = None;
        let mut as_client_id: Option<&ClientId> = None;
        for resource in request.resources {
            let Some(rule) = self.rules.iter().find(|r| r.matches(request, resource)) else {
                return Decision::DenyTarget;
            };
            match as_client_id {
                Some(id) if id != &rule.as_client_id => return Decision::DenyTarget,
                _ => as_client_id = Some(&rule.as_client_id),
            }
            grantable = Some(match grantable {
                Some(g) => g.intersection(&rule.scopes),
                None => rule.scopes.clone(),
            });
        }
        let (Some(grantable), Some(as_client_id)) = (grantable, as_client_id) else {
            return Decision::DenyTarget;
        };
        let scope = match request.scope {
            Some(asked) => asked.intersection(&grantable),
            None => grantable,
        };
        if scope.is_empty() && request.scope.is_some() {
            return Decision::DenyScope;
        }
        Decision::Grant(PolicyGrant::new(scope, as_client_id.clone()))
    }
}

#[async_trait]
impl Policy for StaticPolicy {
    async fn decide(&self, request: &PolicyRequest<'_>) -> Decision {
        self.decide_now(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> ClientId {
        ClientId::new(s).unwrap()
    }
    fn res(s: &str) -> Resource {
        Resource::new(s).unwrap()
    }
    fn scopes(s: &str) -> ScopeSet {
        ScopeSet::parse(s).unwrap()
    }

    fn table() -> StaticPolicy {
        let aud = Issuer::new("https://as.test").unwrap();
        StaticPolicy::new()
            .with_rule(PolicyRule::new(
                id("c"),
                aud.clone(),
                res("https://r.test/a"),
                scopes("x y"),
                id("c-at-as"),
            ))
            .with_rule(PolicyRule::new(
                id("c"),
                aud.clone(),
                res("https://r.test/b"),
                scopes("y z"),
                id("c-at-as"),
            ))
            .with_rule(PolicyRule::new(
                id("c"),
                aud,
                res("https://r.test/c"),
                scopes("y"),
                id("another-id"),
            ))
    }

    fn decide(resources: &[&str], scope: Option<&str>, client: &str) -> Decision {
        let user = SubjectContext::new("u");
        let aud = Issuer::new("https://as.test").unwrap();
        let resources: Vec<Resource> = resources.iter().map(|r| res(r)).collect();
        let scope = scope.map(scopes);
        let client = id(client);
        table().decide_now(&PolicyRequest {
            user: &user,
            client_id: &client,
            audience: &aud,
            resources: &resources,
            scope: scope.as_ref(),
        })
    }

    #[test]
    fn idp_11_deny_by_default() {
        assert_eq!(
            StaticPolicy::new().decide_now(&PolicyRequest {
                user: &SubjectContext::new("u"),
                client_id: &id("c"),
                audience: &Issuer::new("https://as.test").unwrap(),
                resources: &[res("https://r.test/a")],
                scope: None,
            }),
            Decision::DenyTarget
        );
        assert_eq!(
            decide(&["https://r.test/a"], Some("x"), "other"),
            Decision::DenyTarget
        );
        assert_eq!(decide(&[], None, "c"), Decision::DenyTarget);
    }

    #[test]
    fn idp_11_several_resources_intersect_scopes() {
        assert_eq!(
            decide(&["https://r.test/a", "https://r.test/b"], None, "c"),
            Decision::Grant(PolicyGrant::new(scopes("y"), id("c-at-as")))
        );
        assert_eq!(
            decide(&["https://r.test/a", "https://r.test/b"], Some("x"), "c"),
            Decision::DenyScope
        );
    }

    #[test]
    fn idp_12_rows_must_agree_on_the_as_client_id() {
        assert_eq!(
            decide(&["https://r.test/a", "https://r.test/c"], Some("y"), "c"),
            Decision::DenyTarget
        );
    }
}

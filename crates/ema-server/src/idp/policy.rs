//! Who may get an ID-JAG for what (IDP-10, IDP-11, IDP-12, IDP-19): the [`Policy`] hook and
//! a table implementation, [`StaticPolicy`], granting by user, group or role, with deny rows
//! and explanations. Deny by default.

use std::sync::Arc;

use async_trait::async_trait;
use ema_types::{ClientId, Issuer, Resource, ScopeSet};

use super::SubjectContext;
use super::directory::UserDirectory;
use super::explain::{Explanation, evaluate};

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

impl<'a> PolicyRequest<'a> {
    /// A request of `user` through `client_id` (its id at the IdP) for `resources` at
    /// `audience`, asking for `scope` (`None`: no `scope` parameter).
    #[must_use]
    pub fn new(
        user: &'a SubjectContext,
        client_id: &'a ClientId,
        audience: &'a Issuer,
        resources: &'a [Resource],
        scope: Option<&'a ScopeSet>,
    ) -> Self {
        Self {
            user,
            client_id,
            audience,
            resources,
            scope,
        }
    }
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

/// Whether a [`PolicyRule`] grants or refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Effect {
    /// The row grants up to its scopes.
    #[default]
    Allow,
    /// The row refuses: with no scopes, the whole target; with scopes, those scopes. A deny
    /// row always wins over allow rows (IDP-11).
    Deny,
}

impl Effect {
    /// `allow` or `deny`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Deny => "deny",
        }
    }
}

impl std::fmt::Display for Effect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of a [`StaticPolicy`] (IDP-11, IDP-12): for `client_id` (its id at the IdP), the
/// target `audience` and `resource`, the row [allows](Effect::Allow) up to `scopes` (the
/// client named `as_client_id` at the AS), or [denies](Effect::Deny) `scopes` (all of the
/// target when `scopes` is empty).
///
/// **Who.** A row with none of `users`, `groups`, `roles` applies to every user. Otherwise it
/// applies to a user listed in `users`, **or** in one of `groups`, **or** holding one of
/// `roles` (ID-token `sub`; groups and roles from the [`SubjectContext`] and the policy's
/// [`UserDirectory`]).
///
/// ```
/// use ema_server::idp::{PolicyRule, StaticPolicy};
/// use ema_types::{ClientId, Issuer, Resource, ScopeSet};
///
/// let desk = ClientId::new("desk")?;
/// let aud = Issuer::new("https://as.example")?;
/// let mcp = Resource::new("https://tools.example/mcp")?;
/// let policy = StaticPolicy::new()
///     .with_rule(
///         PolicyRule::new(desk.clone(), aud.clone(), mcp.clone(), ScopeSet::parse("read write")?, desk.clone())
///             .for_groups(["engineering"])
///             .labeled("engineering uses tools"),
///     )
///     .with_rule(
///         PolicyRule::deny(desk, aud, mcp, ScopeSet::parse("write")?)
///             .for_roles(["contractor"])
///             .labeled("contractors read only"),
///     );
/// assert_eq!(policy.rules().len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PolicyRule {
    /// The client, by its id at the IdP.
    pub client_id: ClientId,
    /// The target AS issuer.
    pub audience: Issuer,
    /// The resource.
    pub resource: Resource,
    /// Allow rows: the largest scope set grantable. Deny rows: the scopes refused (empty:
    /// the whole target).
    pub scopes: ScopeSet,
    /// The client's id at the AS (IDP-12). Not used by deny rows.
    pub as_client_id: ClientId,
    /// The users (ID-token `sub` at the IdP) the row names.
    pub users: Option<Vec<String>>,
    /// The groups the row names.
    pub groups: Option<Vec<String>>,
    /// The roles the row names.
    pub roles: Option<Vec<String>>,
    /// Allow or deny.
    pub effect: Effect,
    /// A name shown in explanations.
    pub label: Option<String>,
}

impl PolicyRule {
    /// An allow row for all users.
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
            groups: None,
            roles: None,
            effect: Effect::Allow,
            label: None,
        }
    }

    /// A deny row for all users: refuses `scopes` for the target, or the whole target when
    /// `scopes` is empty. Deny rows win over allow rows.
    #[must_use]
    pub fn deny(
        client_id: ClientId,
        audience: Issuer,
        resource: Resource,
        scopes: ScopeSet,
    ) -> Self {
        let as_client_id = client_id.clone();
        Self {
            effect: Effect::Deny,
            ..Self::new(client_id, audience, resource, scopes, as_client_id)
        }
    }

    /// Restrict the row to `users` (ID-token `sub`s).
    #[must_use]
    pub fn for_users<I, S>(mut self, users: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.users = Some(users.into_iter().map(Into::into).collect());
        self
    }

    /// Restrict the row to members of `groups` (with the other lists: any of them).
    #[must_use]
    pub fn for_groups<I, S>(mut self, groups: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.groups = Some(groups.into_iter().map(Into::into).collect());
        self
    }

    /// Restrict the row to holders of `roles` (with the other lists: any of them).
    #[must_use]
    pub fn for_roles<I, S>(mut self, roles: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.roles = Some(roles.into_iter().map(Into::into).collect());
        self
    }

    /// Set the effect.
    #[must_use]
    pub fn with_effect(mut self, effect: Effect) -> Self {
        self.effect = effect;
        self
    }

    /// Name the row in explanations.
    #[must_use]
    pub fn labeled(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Whether this is a deny row.
    #[must_use]
    pub fn is_deny(&self) -> bool {
        self.effect == Effect::Deny
    }

    /// Whether the row names no user, group or role (it applies to everyone).
    #[must_use]
    pub fn is_for_everyone(&self) -> bool {
        self.users.is_none() && self.groups.is_none() && self.roles.is_none()
    }
}

/// A policy table: deny by default, granting by user, group or role (IDP-11).
///
/// The decision, computed by [`StaticPolicy::explain`] (which [`Policy::decide`] and
/// [`StaticPolicy::decide_now`] call, so that an explanation is always the decision's own):
///
/// 1. **User.** With a [`UserDirectory`] ([`StaticPolicy::with_directory`]), a subject the
///    directory does not know is refused, `invalid_target` (OQ-15); a known user's groups and
///    roles are the directory's plus those of the [`SubjectContext`]. Without a directory,
///    every user is known with the context's groups and roles.
/// 2. **Rows.** A row *matches* a request resource when its client, audience and resource
///    are the request's and it applies to the user (see [`PolicyRule`]).
/// 3. **Per resource** (every request resource is decided; none named: `invalid_target`):
///    a matching deny row without scopes refuses the target (`invalid_target`); no matching
///    allow row refuses it too (deny by default, `invalid_target`). Otherwise the resource's
///    grantable set is the **union** of the matching allow rows' scopes **minus** the union
///    of the matching deny rows' scopes.
/// 4. **Several resources.** One ID-JAG's scopes apply to each of its resources, so the
///    grantable set is the **intersection** of the per-resource sets; all matching allow
///    rows must name the same `as_client_id` (IDP-12), else `invalid_target`.
/// 5. **Scopes.** With a `scope` parameter, granted = requested ∩ grantable; empty:
///    `invalid_scope`. Without one, granted = everything grantable; when that is empty
///    although the allow rows named scopes (deny rows or the intersection removed them all),
///    `invalid_scope`; when the allow rows name no scope at all, the grant carries no scope
///    (the AS then applies its defaults, AS-07).
#[derive(Debug, Clone, Default)]
pub struct StaticPolicy {
    rules: Vec<PolicyRule>,
    directory: Option<Arc<dyn UserDirectory>>,
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

    /// Resolve users in `directory`: unknown users are denied, known users carry its groups
    /// and roles (IDP-11).
    #[must_use]
    pub fn with_directory(mut self, directory: Arc<dyn UserDirectory>) -> Self {
        self.directory = Some(directory);
        self
    }

    /// The rows, in order (explanations refer to them by index).
    #[must_use]
    pub fn rules(&self) -> &[PolicyRule] {
        &self.rules
    }

    /// The user directory, if any.
    #[must_use]
    pub fn directory(&self) -> Option<&Arc<dyn UserDirectory>> {
        self.directory.as_ref()
    }

    /// Decide `request` and say why: the decision, the granted scopes, the deciding rows and
    /// each row's verdict. A pure function of the table, the directory and the request.
    #[must_use]
    pub fn explain(&self, request: &PolicyRequest<'_>) -> Explanation {
        evaluate(&self.rules, self.directory.as_deref(), request)
    }

    /// Decide synchronously (what [`Policy::decide`] does): [`StaticPolicy::explain`]'s
    /// decision.
    #[must_use]
    pub fn decide_now(&self, request: &PolicyRequest<'_>) -> Decision {
        self.explain(request).decision
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

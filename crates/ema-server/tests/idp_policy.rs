//! The central policy of the IdP (IDP-11, IDP-12, OQ-15): grants by user, group or role, deny
//! rows, scope narrowing, the user directory, and explanations naming the deciding rows.

#![cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::sync::Arc;

use ema_server::idp::{
    Decision, DenialReason, DirectoryUser, Effect, MemoryDirectory, PolicyGrant, PolicyRequest,
    PolicyRule, RowVerdict, StaticPolicy, SubjectContext,
};
use ema_types::{ClientId, ErrorCode, Issuer, Resource, ScopeSet};

const TOOLS: &str = "https://tools.test/mcp";
const DOCS: &str = "https://docs.test/mcp";

fn id(s: &str) -> ClientId {
    ClientId::new(s).unwrap()
}
fn res(s: &str) -> Resource {
    Resource::new(s).unwrap()
}
fn scopes(s: &str) -> ScopeSet {
    ScopeSet::parse(s).unwrap()
}
fn aud() -> Issuer {
    Issuer::new("https://as.test").unwrap()
}

fn allow(resource: &str, s: &str) -> PolicyRule {
    PolicyRule::new(
        id("desk"),
        aud(),
        res(resource),
        scopes(s),
        id("desk-at-as"),
    )
}

fn directory() -> Arc<MemoryDirectory> {
    Arc::new(
        MemoryDirectory::new()
            .with_user(DirectoryUser::new("alice").in_groups(["engineering"]))
            .with_user(
                DirectoryUser::new("bob")
                    .in_groups(["sales"])
                    .with_roles(["contractor"]),
            )
            .with_user(DirectoryUser::new("carol").with_roles(["admin"])),
    )
}

/// Rows: engineering reads/writes tools; sales read tools; admins get docs; contractors may
/// never write; nobody reaches docs through another client.
fn table() -> StaticPolicy {
    StaticPolicy::new()
        .with_directory(directory())
        .with_rule(
            allow(TOOLS, "tickets:read tickets:write")
                .for_groups(["engineering"])
                .labeled("engineering-tools"),
        )
        .with_rule(
            allow(TOOLS, "tickets:read tickets:write")
                .for_groups(["sales"])
                .labeled("sales-tools"),
        )
        .with_rule(
            PolicyRule::deny(id("desk"), aud(), res(TOOLS), scopes("tickets:write"))
                .for_roles(["contractor"])
                .labeled("contractors-read-only"),
        )
        .with_rule(
            allow(DOCS, "docs:read")
                .for_roles(["admin"])
                .labeled("admin-docs"),
        )
        .with_rule(
            PolicyRule::deny(id("desk"), aud(), res(DOCS), ScopeSet::new())
                .for_users(["carol-suspended"])
                .labeled("suspended"),
        )
}

fn ask(
    policy: &StaticPolicy,
    user: &str,
    resources: &[&str],
    scope: Option<&str>,
) -> ema_server::idp::Explanation {
    let user = SubjectContext::new(user);
    let client = id("desk");
    let audience = aud();
    let resources: Vec<Resource> = resources.iter().map(|r| res(r)).collect();
    let scope = scope.map(scopes);
    policy.explain(&PolicyRequest::new(
        &user,
        &client,
        &audience,
        &resources,
        scope.as_ref(),
    ))
}

#[test]
fn idp_11_group_grants() {
    let e = ask(&table(), "alice", &[TOOLS], Some("tickets:write"));
    assert_eq!(
        e.decision,
        Decision::Grant(PolicyGrant::new(scopes("tickets:write"), id("desk-at-as")))
    );
    assert_eq!(e.deciding, vec![0]);
    assert_eq!(e.deciding_labels(), vec!["engineering-tools".to_owned()]);
    assert_eq!(e.rows[1].verdict, RowVerdict::OtherUser);
    // alice is in no admin role: no docs.
    let e = ask(&table(), "alice", &[DOCS], None);
    assert_eq!(e.decision, Decision::DenyTarget);
    assert_eq!(
        e.denial,
        Some(DenialReason::NoAllowRow {
            resource: res(DOCS)
        })
    );
    assert!(e.deciding.is_empty(), "deny by default has no deciding row");
}

#[test]
fn idp_11_role_grants() {
    let e = ask(&table(), "carol", &[DOCS], None);
    assert_eq!(e.granted, Some(scopes("docs:read")));
    assert_eq!(e.deciding_labels(), vec!["admin-docs".to_owned()]);
    assert!(e.rows[3].verdict.matched());
}

#[test]
fn idp_11_deny_wins_over_allow() {
    // bob is in sales (allowed read+write) but a contractor (write denied).
    let e = ask(&table(), "bob", &[TOOLS], None);
    assert_eq!(e.granted, Some(scopes("tickets:read")));
    assert_eq!(e.deciding, vec![1, 2]);
    let e = ask(&table(), "bob", &[TOOLS], Some("tickets:write"));
    assert_eq!(e.decision, Decision::DenyScope);
    assert_eq!(e.denial, Some(DenialReason::NoGrantableScope));
    assert_eq!(
        e.denial.as_ref().unwrap().error_code(),
        ErrorCode::InvalidScope
    );
    assert_eq!(
        e.deciding_labels(),
        vec!["sales-tools".to_owned(), "contractors-read-only".to_owned()]
    );
    // A deny row without scopes refuses the whole target, whatever allows it.
    let policy = StaticPolicy::new()
        .with_rule(allow(TOOLS, "tickets:read"))
        .with_rule(
            PolicyRule::new(id("desk"), aud(), res(TOOLS), ScopeSet::new(), id("x"))
                .with_effect(Effect::Deny)
                .for_users(["mallory"])
                .labeled("blocked"),
        );
    let e = ask(&policy, "mallory", &[TOOLS], Some("tickets:read"));
    assert_eq!(e.decision, Decision::DenyTarget);
    assert_eq!(
        e.denial,
        Some(DenialReason::DeniedByRow {
            resource: res(TOOLS),
            row: 1
        })
    );
    assert_eq!(e.deciding_labels(), vec!["blocked".to_owned()]);
    assert_eq!(
        ask(&policy, "someone-else", &[TOOLS], None).granted,
        Some(scopes("tickets:read"))
    );
}

#[test]
fn idp_11_scope_narrowing_is_requested_intersect_union_of_allows() {
    let policy = StaticPolicy::new()
        .with_rule(allow(TOOLS, "a b").for_groups(["g1"]))
        .with_rule(allow(TOOLS, "c").for_groups(["g2"]))
        .with_rule(allow(DOCS, "b c d"));
    let two_groups = |resources: &[&str], scope: Option<&str>| {
        let user = SubjectContext::new("u").with_groups(["g1", "g2"]);
        let resources: Vec<Resource> = resources.iter().map(|r| res(r)).collect();
        let scope = scope.map(scopes);
        policy.explain(&PolicyRequest::new(
            &user,
            &id("desk"),
            &aud(),
            &resources,
            scope.as_ref(),
        ))
    };
    // Union across matching allow rows, narrowed to the request.
    assert_eq!(
        two_groups(&[TOOLS], Some("a c z")).granted,
        Some(scopes("a c"))
    );
    // No scope requested: everything grantable.
    assert_eq!(two_groups(&[TOOLS], None).granted, Some(scopes("a b c")));
    // Several resources: the intersection of their grantable sets.
    assert_eq!(
        two_groups(&[TOOLS, DOCS], None).granted,
        Some(scopes("b c"))
    );
    // Nothing requested is grantable.
    assert_eq!(
        two_groups(&[TOOLS], Some("z")).decision,
        Decision::DenyScope
    );
}

#[test]
fn idp_11_unknown_user_is_denied_invalid_target() {
    // Even a row for everyone does not reach a user the directory does not know (OQ-15).
    let policy = table().with_rule(allow(TOOLS, "tickets:read").labeled("everyone"));
    let e = ask(&policy, "mallory", &[TOOLS], None);
    assert_eq!(e.decision, Decision::DenyTarget);
    assert_eq!(e.denial, Some(DenialReason::UnknownUser));
    assert_eq!(
        e.denial.as_ref().unwrap().error_code(),
        ErrorCode::InvalidTarget
    );
    assert!(!e.user.known);
    assert!(e.rows.iter().all(|r| r.verdict == RowVerdict::NotEvaluated));
    // Without a directory, the same row grants.
    let open = StaticPolicy::new().with_rule(allow(TOOLS, "tickets:read"));
    assert!(ask(&open, "mallory", &[TOOLS], None).is_granted());
}

#[test]
fn idp_11_explanation_names_rows_and_reasons() {
    let e = ask(&table(), "bob", &[TOOLS], None);
    let verdicts: Vec<&RowVerdict> = e.rows.iter().map(|r| &r.verdict).collect();
    assert_eq!(
        verdicts,
        vec![
            &RowVerdict::OtherUser,
            &RowVerdict::Matched {
                resources: vec![res(TOOLS)]
            },
            &RowVerdict::Matched {
                resources: vec![res(TOOLS)]
            },
            &RowVerdict::OtherUser,
            &RowVerdict::OtherUser,
        ]
    );
    let other_client = {
        let user = SubjectContext::new("alice");
        let resources = [res(TOOLS)];
        table().explain(&PolicyRequest::new(
            &user,
            &id("other"),
            &aud(),
            &resources,
            None,
        ))
    };
    assert!(
        other_client
            .rows
            .iter()
            .all(|r| r.verdict == RowVerdict::OtherClient)
    );
    let shown = e.to_string();
    assert!(
        shown.starts_with("decision: granted, scopes: tickets:read"),
        "{shown}"
    );
    assert!(
        shown.contains("* #1 allow \"sales-tools\": matched https://tools.test/mcp"),
        "{shown}"
    );
    assert!(
        shown.contains("* #2 deny \"contractors-read-only\""),
        "{shown}"
    );
    assert!(
        shown.contains("user: bob (known; groups: sales; roles: contractor)"),
        "{shown}"
    );
}

#[test]
fn idp_11_decide_now_is_the_explanations_decision() {
    let policy = table();
    for user in ["alice", "bob", "carol", "mallory"] {
        for resources in [&[TOOLS][..], &[DOCS], &[TOOLS, DOCS]] {
            for scope in [None, Some("tickets:read"), Some("docs:read tickets:write")] {
                let ctx = SubjectContext::new(user);
                let (client, audience) = (id("desk"), aud());
                let resources: Vec<Resource> = resources.iter().map(|r| res(r)).collect();
                let scope = scope.map(scopes);
                let request =
                    PolicyRequest::new(&ctx, &client, &audience, &resources, scope.as_ref());
                let e = policy.explain(&request);
                assert_eq!(policy.decide_now(&request), e.decision);
                assert_eq!(e.is_granted(), e.granted.is_some());
                assert_eq!(e.is_granted(), e.denial.is_none());
            }
        }
    }
}

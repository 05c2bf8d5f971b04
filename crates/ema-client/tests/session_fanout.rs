//! Zero touch and the audit trail, end to end on loopback: one sign-in, 50 MCP servers
//! connected concurrently through ema-server's real IdP (central policy by group, deny row)
//! and AS, one server denied by policy, one down, one hanging; every IdP and AS decision
//! audited once, IdP and AS events correlated by the ID-JAG `jti`, no token or secret in the
//! trail (IDP-11, OQ-15, AS-19, CL-15, CL-20, CL-22).

#![cfg(all(
    feature = "reqwest",
    any(feature = "aws-lc-rs", feature = "rust-crypto")
))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod fanout_support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use ema_client::{Leg, ServerOutcome, Session, SessionConfig, SessionFailure};
use ema_server::audit::{AuditDecision, AuditEvent, AuditRole, summarize};
use ema_types::transport::HttpClient;
use ema_types::{ErrorCode, Form};
use fanout_support::{
    AS_CLIENT, AS_SECRET, Extras, IDP_CLIENT, IDP_SECRET, SCOPES, USER, World, loopback_http,
    scopes,
};

const PER_SERVER_TIMEOUT: Duration = Duration::from_secs(2);

fn session(world: &World) -> Session {
    Session::new(world.client(Duration::from_secs(10))).with_config(
        SessionConfig::default()
            .with_max_in_flight(8)
            .with_per_server_timeout(PER_SERVER_TIMEOUT),
    )
}

/// IdP token-exchange requests per `resource`.
fn exchanges_per_server(world: &World) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for seen in world.idp_log.lock().unwrap().iter() {
        for r in seen.params("resource") {
            *counts.entry(r).or_insert(0) += 1;
        }
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_touch_50_servers_one_denied_one_down_one_hanging() {
    let world = World::start(
        47,
        Extras {
            denied: true,
            down: true,
            hang: true,
            ..Extras::default()
        },
    )
    .await;
    let servers = world.all_servers();
    assert_eq!(servers.len(), 50);
    let session = session(&world);

    let started = Instant::now();
    let report = session.connect(servers.clone()).await;
    let elapsed = started.elapsed();

    // Bounded although one server hangs: its timeout, not the transport's 10 s, ends it.
    assert!(
        elapsed < PER_SERVER_TIMEOUT * 3,
        "the fan-out took {elapsed:?}"
    );
    assert_eq!(report.servers.len(), 50);
    let order: Vec<_> = report.servers.iter().map(|r| r.server.clone()).collect();
    assert_eq!(order, servers, "the report keeps the given order");

    // The three outcomes.
    assert_eq!(report.connected().count(), 47, "{report}");
    for r in report.connected() {
        let ServerOutcome::Connected {
            scopes: granted,
            token,
            tokens,
        } = &r.outcome
        else {
            unreachable!()
        };
        assert!(!granted.is_empty() && granted.is_subset(&scopes(SCOPES)));
        assert_eq!(&token.resource, &r.server);
        assert_eq!(tokens.server(), &r.server);
    }
    let denied = report.get(world.denied.as_ref().unwrap()).unwrap();
    match &denied.outcome {
        ServerOutcome::DeniedByPolicy { leg, error } => {
            assert_eq!(*leg, Leg::TokenExchange);
            assert_eq!(error.error, ErrorCode::InvalidTarget);
        }
        other => panic!("denied server: {other:?}"),
    }
    let down = report.get(world.down.as_ref().unwrap()).unwrap();
    match &down.outcome {
        ServerOutcome::Failed(failure @ SessionFailure::Error(e)) => {
            assert_eq!(e.leg(), Leg::Discovery);
            assert!(failure.is_retryable(), "{e}");
        }
        other => panic!("down server: {other:?}"),
    }
    let hang = report.get(world.hang.as_ref().unwrap()).unwrap();
    match &hang.outcome {
        ServerOutcome::Failed(failure @ SessionFailure::TimedOut(t)) => {
            assert_eq!(*t, PER_SERVER_TIMEOUT);
            assert!(failure.is_retryable());
        }
        other => panic!("hanging server: {other:?}"),
    }
    assert_eq!(report.denied().count(), 1);
    assert_eq!(report.failed().count(), 2);

    // Exactly one exchange per reachable server; none for the down and hanging ones.
    let counts = exchanges_per_server(&world);
    for server in world.allowed.iter().chain(world.denied.iter()) {
        assert_eq!(counts.get(server.as_str()), Some(&1), "{server}");
    }
    assert_eq!(counts.values().sum::<usize>(), 48);
    assert_eq!(
        world.as_log.lock().unwrap().len(),
        47,
        "one redemption per grant"
    );

    // Renewal stays per server: a connected server's tokens are cached, usable at the MCP
    // server, and fetching again runs no new exchange.
    let first = report.connected().next().unwrap();
    let ServerOutcome::Connected { token, tokens, .. } = &first.outcome else {
        unreachable!()
    };
    let again = tokens.access_token().await.unwrap();
    assert_eq!(again.token, token.token);
    let answer = tokens
        .token_source()
        .execute(
            tokens.server(),
            http::Request::get(tokens.server().as_str())
                .body(Vec::new())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(exchanges_per_server(&world).values().sum::<usize>(), 48);

    let shown = report.to_string();
    assert!(
        shown.contains("denied by policy at token exchange (invalid_target)"),
        "{shown}"
    );
    assert!(
        shown.contains("failed (retryable): timed out after 2000 ms"),
        "{shown}"
    );
    assert!(!shown.contains(token.token.expose()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequential_session_gives_the_same_outcomes() {
    let world = World::start(
        5,
        Extras {
            denied: true,
            ..Extras::default()
        },
    )
    .await;
    let session = Session::new(world.client(Duration::from_secs(10)))
        .with_config(SessionConfig::default().with_max_in_flight(1));
    let report = session.connect(world.all_servers()).await;
    assert_eq!(report.connected().count(), 5, "{report}");
    assert_eq!(report.denied().count(), 1);
    assert_eq!(exchanges_per_server(&world).values().sum::<usize>(), 6);
}

fn form(pairs: &[(&str, &str)]) -> String {
    let mut form = Form::new();
    for (k, v) in pairs {
        form.push(*k, *v);
    }
    form.encode()
}

fn events(world: &World) -> Vec<AuditEvent> {
    world
        .audit
        .text()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

async fn post(url: &str, body: &str, basic: Option<(&str, &str)>) -> u16 {
    let mut request = http::Request::post(url).header(
        http::header::CONTENT_TYPE,
        "application/x-www-form-urlencoded",
    );
    if let Some((user, password)) = basic {
        let value = ema_types::basic_auth::encode(
            &ema_types::ClientId::new(user).unwrap(),
            &ema_types::Secret::new(password),
        );
        request = request.header(http::header::AUTHORIZATION, value);
    }
    let response = loopback_http(Duration::from_secs(5))
        .send(request.body(body.as_bytes().to_vec()).unwrap())
        .await
        .unwrap();
    response.status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_every_idp_and_as_decision_once_correlated_by_jti_without_secrets() {
    let world = World::start(
        6,
        Extras {
            denied: true,
            ..Extras::default()
        },
    )
    .await;
    let report = session(&world).connect(world.all_servers()).await;
    assert_eq!(report.connected().count(), 6, "{report}");

    // Early rejections and a replay, straight at the token endpoints.
    let captured = world.as_log.lock().unwrap()[0]
        .params("assertion")
        .remove(0);
    let idp_token = format!("{}/token", world.idp_url);
    let exchange = form(&[
        ("grant_type", ema_types::urn::GRANT_TYPE_TOKEN_EXCHANGE),
        ("subject_token", "x"),
    ]);
    assert_eq!(
        post(&idp_token, &exchange, Some((IDP_CLIENT, "wrong"))).await,
        401
    );
    let jwt_bearer = |assertion: &str, secret: &str| {
        form(&[
            ("grant_type", ema_types::urn::GRANT_TYPE_JWT_BEARER),
            ("assertion", assertion),
            ("client_id", AS_CLIENT),
            ("client_secret", secret),
        ])
    };
    let as_token = world.as_token_endpoint.clone();
    assert_eq!(
        post(&as_token, &jwt_bearer(&captured, AS_SECRET), None).await,
        400
    );
    assert_eq!(
        post(&as_token, &jwt_bearer("not.a.jwt", AS_SECRET), None).await,
        400
    );
    assert_eq!(
        post(&as_token, &jwt_bearer(&captured, "wrong"), None).await,
        400,
        "client_secret_post failure: 400 (AS-02)"
    );

    // Exactly one event per decision at each role.
    let events = events(&world);
    let idp: Vec<&AuditEvent> = events.iter().filter(|e| e.role == AuditRole::Idp).collect();
    let at_as: Vec<&AuditEvent> = events
        .iter()
        .filter(|e| e.role == AuditRole::AuthorizationServer)
        .collect();
    assert_eq!(idp.len(), world.idp_log.lock().unwrap().len());
    assert_eq!(at_as.len(), world.as_log.lock().unwrap().len());
    assert_eq!(idp.len(), 7 + 1);
    assert_eq!(at_as.len(), 6 + 3);
    // Each event matches the answer to its request. Requests run
    // concurrently and an event is written before its answer is logged, so
    // the two are paired by the resources they name, not by position.
    for seen in world.idp_log.lock().unwrap().iter() {
        let resource = seen.params("resource");
        let matching: Vec<&&AuditEvent> = idp.iter().filter(|e| e.resource == resource).collect();
        assert_eq!(matching.len(), 1, "one IdP event for {resource:?}");
        assert_eq!(
            matching[0].decision == AuditDecision::Granted,
            seen.status == 200
        );
    }

    // Grants: the IdP event and the AS event of a flow share the jti.
    let idp_grants: Vec<&&AuditEvent> = idp
        .iter()
        .filter(|e| e.decision == AuditDecision::Granted)
        .collect();
    assert_eq!(idp_grants.len(), 6);
    for grant in &idp_grants {
        let jti = grant.jti.as_deref().unwrap();
        let redeemed: Vec<&&AuditEvent> = at_as
            .iter()
            .filter(|e| e.jti.as_deref() == Some(jti) && e.decision == AuditDecision::Granted)
            .collect();
        assert_eq!(redeemed.len(), 1, "jti {jti}");
        assert_eq!(grant.subject.as_deref(), Some(USER));
        assert_eq!(grant.client_id.as_deref(), Some(IDP_CLIENT));
        assert_eq!(redeemed[0].client_id.as_deref(), Some(AS_CLIENT));
        assert_eq!(redeemed[0].resource, grant.resource);
        assert_eq!(grant.issuer, world.idp.as_str());
        assert_eq!(redeemed[0].issuer, world.as_issuer.as_str());
        assert_eq!(grant.audience.as_deref(), Some(world.as_issuer.as_str()));
        assert!(grant.granted_scope.is_some() && grant.reason == "granted");
        assert!(grant.time.ends_with('Z') && grant.unix_time >= fanout_support::NOW);
    }
    // The policy denial.
    let denial = idp
        .iter()
        .find(|e| e.decision == AuditDecision::Denied && e.subject.is_some())
        .unwrap();
    assert_eq!(denial.reason, "policy_denied");
    assert_eq!(denial.error.as_deref(), Some("invalid_target"));
    assert_eq!(
        denial.resource,
        vec![world.denied.as_ref().unwrap().to_string()]
    );
    assert!(denial.jti.is_none());
    // The early IdP rejection.
    assert!(
        idp.iter()
            .any(|e| e.error.as_deref() == Some("invalid_client") && e.client_id.is_none())
    );
    // The replay names the jti it refused; the garbage and the bad client do not.
    // (The captured assertion is read for its jti: the AS events of the
    // concurrent redemptions are not in the log's order.)
    let captured_jws = ema_jwt::compact::UnverifiedJws::decode(&captured, 1 << 16).unwrap();
    let captured_jti = captured_jws.claims().get("jti").unwrap().as_str().unwrap();
    let replay = at_as.iter().find(|e| e.reason == "replayed").unwrap();
    assert_eq!(replay.jti.as_deref(), Some(captured_jti));
    assert_eq!(replay.error.as_deref(), Some("invalid_grant"));
    assert_eq!(
        at_as
            .iter()
            .filter(|e| e.decision == AuditDecision::Denied && e.jti.is_none())
            .count(),
        2
    );

    // No token or secret anywhere in the trail.
    let trail = world.audit.text();
    let mut secrets = vec![
        world.id_token().expose().to_owned(),
        IDP_SECRET.to_owned(),
        AS_SECRET.to_owned(),
    ];
    for seen in world.as_log.lock().unwrap().iter() {
        secrets.extend(seen.params("assertion"));
    }
    for r in report.connected() {
        let ServerOutcome::Connected { token, .. } = &r.outcome else {
            unreachable!()
        };
        secrets.push(token.token.expose().to_owned());
    }
    assert!(secrets.len() >= 2 + 1 + 9 + 6);
    for secret in secrets.iter().filter(|s| s.len() > 8) {
        assert!(
            !trail.contains(secret.as_str()),
            "a secret or token leaked into the trail"
        );
        // Token parts too (a signature alone would be a leak).
        for part in secret.split('.').filter(|p| p.len() > 16) {
            assert!(!trail.contains(part), "a token part leaked into the trail");
        }
    }

    // The summary of the trail.
    let summary = summarize(trail.as_bytes()).unwrap();
    assert_eq!(summary.events as usize, events.len());
    assert_eq!(summary.users[USER].idp_granted, 6);
    assert_eq!(summary.users[USER].idp_denied, 1);
    assert_eq!(summary.users[USER].as_granted, 6);
    assert_eq!(summary.clients[IDP_CLIENT].idp_granted, 6);
    assert_eq!(
        summary.servers[world.denied.as_ref().unwrap().as_str()].idp_denied,
        1
    );
    assert_eq!(summary.skipped_lines, 0);
}

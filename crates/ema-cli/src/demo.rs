//! `ema demo`: the quickstart. Starts the stack of `examples/stack.toml` (embedded) on a free
//! loopback port with keys generated in memory, runs the whole flow as alice and prints each
//! step with decoded claims; `--diagram FILE` writes the requests the servers actually
//! answered in that flow as a Mermaid sequence diagram. Then zero touch: with her one
//! sign-in, alice's ema-client [`Session`] connects to every MCP server of the stack at once,
//! and bob, in another group, gets a different set; each outcome is checked against the
//! central policy's explanation, which also says why a server was refused.

mod mcp;
mod recorder;

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use ema_client::{
    ClientAuthMethod, ClientCredentials, Context, IdentityProvider, ServerOutcome, Session,
    SessionConfig, SessionServer, StaticIdToken, TokenSource, TokenSourceConfig,
};
use ema_metadata::discovery::DiscoveryConfig;
use ema_types::transport::HttpClient;
use ema_types::{ClientId, Clock, Issuer, Resource, ScopeSet, Secret, SystemClock, SystemRandom};

use crate::config::StackSpec;
use crate::flow::{self, Credentials, Steps};
use crate::{config, inspect, policy, stack};
use recorder::Recorder;

/// The stack the demo runs: the shipped example.
const STACK_TOML: &str = include_str!("../../../examples/stack.toml");
/// The address the example is written for, replaced by the demo's.
const EXAMPLE_ADDR: &str = "127.0.0.1:8080";
/// The demo user, and the client's credentials at the IdP and at the AS (from the example).
const USER: &str = "alice";
/// The second user of the zero-touch step, in another group.
const OTHER_USER: &str = "bob";
/// Token flows in flight at once in the zero-touch step.
const MAX_IN_FLIGHT: usize = 4;
/// The longest one server's flow may take in the zero-touch step.
const PER_SERVER_TIMEOUT: Duration = Duration::from_secs(10);
const IDP_CLIENT: (&str, &str) = ("desk", "desk-secret");
const AS_CLIENT: (&str, &str) = ("desk-at-as", "as-secret");
const REDIRECT_URI: &str = "http://127.0.0.1:9999/callback";

/// Prints steps and decoded tokens to stdout.
struct Printer {
    clock: SystemClock,
}

impl Steps for Printer {
    fn step(&self, title: &str, detail: &str) {
        println!("  [{title}] {detail}");
    }

    fn token(&self, label: &str, token: &Secret) {
        println!("    {label} {}", flow::shorten(token.expose()));
        match inspect::describe(token.expose(), self.clock.now_unix()) {
            Ok(text) => {
                for line in text.lines() {
                    println!("      {line}");
                }
            }
            Err(e) => println!("      ({e})"),
        }
    }
}

fn section(n: u8, title: &str) {
    println!();
    println!("{n}. {title}");
}

/// Run the demo; exit 0 only when every step did what EMA says it should.
pub(crate) async fn run(diagram: Option<&Path>) -> ExitCode {
    let recorder = Recorder::default();
    let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
    let started = start(&recorder, shutdown_rx).await;
    let outcome = match started {
        Ok((base, server, spec)) => {
            let outcome = match flow_as_alice(&base).await {
                Ok(id_token) => {
                    recorder.stop();
                    zero_touch(&spec, id_token).await
                }
                Err(e) => Err(e),
            };
            let _ = shutdown_tx.send(());
            let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
            outcome
        }
        Err(e) => Err(e),
    };
    if let Some(path) = diagram {
        match std::fs::write(path, recorder.mermaid()) {
            Ok(()) => println!(
                "\nwrote the sequence diagram of {} requests to {}",
                recorder.len(),
                path.display()
            ),
            Err(e) => {
                eprintln!("error: cannot write {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
        }
    }
    match outcome {
        Ok(()) => {
            println!("\ndemo finished: every step succeeded");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("\ndemo failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Bind a free loopback port, build the example stack for it and serve it with the recorder.
async fn start(
    recorder: &Recorder,
    shutdown: tokio::sync::oneshot::Receiver<()>,
) -> Result<
    (
        String,
        tokio::task::JoinHandle<std::io::Result<()>>,
        StackSpec,
    ),
    String,
> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("cannot bind a loopback port: {e}"))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot read the bound address: {e}"))?;
    let mut raw = config::parse(&STACK_TOML.replace(EXAMPLE_ADDR, &addr.to_string()))
        .map_err(|e| e.to_string())?;
    // Keys generated in memory, whatever the example lists.
    if let Some(idp) = raw.idp.as_mut() {
        idp.signing_key_files.clear();
    }
    if let Some(a) = raw.authorization_server.as_mut() {
        a.signing_key_files.clear();
    }
    let spec = config::validate(&raw, Path::new(".")).map_err(|e| e.to_string())?;
    let built = stack::build(&spec).await.map_err(|e| e.to_string())?;
    println!(
        "EMA demo: one local stack on {} (keys generated in memory)",
        spec.public_url
    );
    for role in &built.roles {
        println!("  {role}");
    }
    let router = recorder.layer(built.router, &spec.public_url);
    let server = tokio::spawn(stack::serve(listener, router, async {
        let _ = shutdown.await;
    }));
    let base = spec.public_url.clone();
    wait_ready(&base).await?;
    recorder.mark_ready();
    Ok((base, server, spec))
}

async fn wait_ready(base: &str) -> Result<(), String> {
    let http = flow::http_client()?;
    for _ in 0..50 {
        let request = http::Request::get(format!("{base}/healthz"))
            .body(Vec::new())
            .map_err(|e| e.to_string())?;
        if let Ok(r) = http.send(request).await
            && r.status() == http::StatusCode::OK
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err("the stack did not become ready (GET /healthz)".to_owned())
}

fn credentials((id, secret): (&str, &str), basic: bool) -> Result<Credentials, String> {
    let client_id = ClientId::new(id).map_err(|e| e.to_string())?;
    let secret = Secret::new(secret);
    let method = if basic {
        ClientAuthMethod::SecretBasic(secret)
    } else {
        ClientAuthMethod::SecretPost(secret)
    };
    Ok(Credentials {
        credentials: ClientCredentials::new(client_id.clone(), method),
        client_id,
    })
}

/// The one-server flow as alice; her ID token (her one sign-in) on success.
async fn flow_as_alice(base: &str) -> Result<Secret, String> {
    let steps = Printer { clock: SystemClock };
    let http = flow::http_client()?;
    let clock = SystemClock;
    let rng = SystemRandom;
    let ctx = Context::new(&http as &dyn HttpClient, &clock, &rng);
    let discovery = flow::discovery(http.clone());
    let server = Resource::new(format!("{base}/mcp")).map_err(|e| e.to_string())?;
    let idp_issuer = Issuer::new(format!("{base}/idp")).map_err(|e| e.to_string())?;
    // The client authenticates with client_secret_basic at the IdP and client_secret_post at
    // the AS: both are accepted everywhere.
    let idp_client = credentials(IDP_CLIENT, true)?;
    let as_client = credentials(AS_CLIENT, false)?;

    section(
        1,
        "Discovery: the MCP server's 401, its protected-resource metadata, the AS metadata",
    );
    let target = flow::discover(&discovery, &server, &steps).await?;
    let idp = flow::idp_endpoints(&discovery, &idp_issuer, &steps).await?;

    section(
        2,
        &format!("Sign-in at the IdP as {USER} (authorization code + PKCE, login_hint)"),
    );
    let login = flow::login(&ctx, &idp, &idp_client, USER, REDIRECT_URI, &steps).await?;

    section(
        3,
        "Token exchange at the IdP: ID token -> ID-JAG (scope of the challenge)",
    );
    let scope = target.challenged_scope();
    let id_jag = flow::exchange(
        &ctx,
        &idp,
        &idp_client,
        &target,
        &login.id_token,
        scope,
        &steps,
    )
    .await?;

    section(
        4,
        "Redemption at the AS: ID-JAG -> access token (jwt-bearer)",
    );
    let token = flow::redeem(&ctx, &target, &as_client, &id_jag, &steps).await?;

    section(
        5,
        "MCP over Streamable HTTP with the access token (rmcp client)",
    );
    let session = mcp::Session::connect(server.as_str(), &token.token).await?;
    println!("  [initialize] {}", session.server_name());
    let who = session.call("whoami", None).await?;
    let who = match who {
        mcp::CallOutcome::Ok(text) => text,
        mcp::CallOutcome::InsufficientScope { challenge, .. } => {
            return Err(format!("whoami was refused: {challenge}"));
        }
    };
    println!("  [tools/call whoami] {who}");
    let who: serde_json::Value = serde_json::from_str(&who).map_err(|e| format!("whoami: {e}"))?;
    if who.get("sub").and_then(|v| v.as_str()) != Some(USER) {
        return Err(format!("whoami named {who}, not {USER}"));
    }

    section(
        6,
        "add_todo needs todo.write: 403 insufficient_scope, then step-up",
    );
    let args = serde_json::json!({ "text": "try EMA" });
    let required = match session.call("add_todo", Some(args.clone())).await? {
        mcp::CallOutcome::Ok(text) => {
            return Err(format!("add_todo succeeded without todo.write: {text}"));
        }
        mcp::CallOutcome::InsufficientScope {
            challenge,
            required,
        } => {
            println!("  [tools/call add_todo] 403 WWW-Authenticate: {challenge}");
            required.ok_or("the 403 named no scope")?
        }
    };
    session.close().await;
    let current = token.scope.clone().unwrap_or_default();
    let wanted = current.union(&ScopeSet::parse(&required).map_err(|e| e.to_string())?);
    println!("  [step-up] asking for scope `{wanted}`");
    let id_jag = flow::exchange(
        &ctx,
        &idp,
        &idp_client,
        &target,
        &login.id_token,
        Some(wanted),
        &steps,
    )
    .await?;
    let token = flow::redeem(&ctx, &target, &as_client, &id_jag, &steps).await?;
    let session = mcp::Session::connect(server.as_str(), &token.token).await?;
    match session.call("add_todo", Some(args)).await? {
        mcp::CallOutcome::Ok(text) => println!("  [tools/call add_todo] {text}"),
        mcp::CallOutcome::InsufficientScope { challenge, .. } => {
            return Err(format!("add_todo still refused after step-up: {challenge}"));
        }
    }
    session.close().await;
    Ok(login.id_token)
}

/// Zero touch: alice (already signed in) and bob (signing in now) each get tokens for every
/// MCP server of the stack in one concurrent session; each outcome must be what the central
/// policy decides, and every connected server must answer MCP as that user.
async fn zero_touch(spec: &StackSpec, alice_id_token: Secret) -> Result<(), String> {
    let steps = Printer { clock: SystemClock };
    let http = flow::http_client()?;
    let idp_spec = spec.idp.as_ref().ok_or("the example has no [idp]")?;
    let as_issuer = spec
        .authorization_server
        .as_ref()
        .map(|a| a.issuer.clone())
        .ok_or("the example has no [as]")?;
    let servers: Vec<(Resource, ScopeSet)> = spec
        .rs
        .iter()
        .map(|rs| (rs.resource.clone(), rs.read_scopes.clone()))
        .collect();
    let names = servers
        .iter()
        .map(|(r, _)| r.as_str())
        .collect::<Vec<_>>()
        .join(", ");

    section(
        7,
        &format!(
            "Zero touch: {USER} signed in once; tokens for every MCP server at once ({names})"
        ),
    );
    let alice = connect_all(spec, &http, &as_issuer, USER, alice_id_token, &servers).await?;

    section(
        8,
        &format!("{OTHER_USER}, in another group, signs in once: a different set"),
    );
    let ctx_clock = SystemClock;
    let rng = SystemRandom;
    let ctx = Context::new(&http as &dyn HttpClient, &ctx_clock, &rng);
    let discovery = flow::discovery(http.clone());
    let idp = flow::idp_endpoints(&discovery, &idp_spec.issuer, &flow::Quiet).await?;
    let login = flow::login(
        &ctx,
        &idp,
        &credentials(IDP_CLIENT, true)?,
        OTHER_USER,
        REDIRECT_URI,
        &steps,
    )
    .await?;
    let bob = connect_all(
        spec,
        &http,
        &as_issuer,
        OTHER_USER,
        login.id_token,
        &servers,
    )
    .await?;

    if alice.is_empty() || alice.len() == servers.len() {
        return Err(format!(
            "{USER} should reach some but not all servers; she reached {}",
            alice.len()
        ));
    }
    if alice == bob {
        return Err(format!("{USER} and {OTHER_USER} reached the same servers"));
    }
    Ok(())
}

/// One sign-in of `user` (`id_token`), one session over every server; the connected servers.
async fn connect_all(
    spec: &StackSpec,
    http: &ema_client::ReqwestClient,
    as_issuer: &Issuer,
    user: &str,
    id_token: Secret,
    servers: &[(Resource, ScopeSet)],
) -> Result<Vec<Resource>, String> {
    let idp_spec = spec.idp.as_ref().ok_or("the example has no [idp]")?;
    let idp_client = credentials(IDP_CLIENT, true)?;
    let as_client = credentials(AS_CLIENT, false)?;
    let tokens = TokenSource::builder(
        http.clone(),
        StaticIdToken::new(id_token),
        IdentityProvider::new(idp_spec.issuer.clone(), idp_client.credentials),
    )
    .authorization_server(as_issuer.clone(), as_client.credentials)
    .config(TokenSourceConfig::default().with_discovery(DiscoveryConfig::development()))
    .build();
    let session = Session::new(tokens).with_config(
        SessionConfig::default()
            .with_max_in_flight(MAX_IN_FLIGHT)
            .with_per_server_timeout(PER_SERVER_TIMEOUT),
    );
    let report = session
        .connect(
            servers
                .iter()
                .map(|(r, scope)| SessionServer::new(r.clone()).with_scope(scope.clone())),
        )
        .await;
    println!(
        "  [session] {user}: {} servers in {} ms: {} connected, {} denied by policy, {} failed",
        report.servers.len(),
        report.elapsed.as_millis(),
        report.connected().count(),
        report.denied().count(),
        report.failed().count()
    );
    let desk = ClientId::new(IDP_CLIENT.0).map_err(|e| e.to_string())?;
    let mut connected = Vec::new();
    for (server, scope) in servers {
        let line = report
            .get(server)
            .ok_or_else(|| format!("the session did not report {server}"))?;
        let expected = policy::decide(
            idp_spec,
            user,
            &desk,
            as_issuer,
            std::slice::from_ref(server),
            Some(scope),
        );
        let why = policy::summary(&expected);
        match &line.outcome {
            ServerOutcome::Connected { scopes, token, .. } => {
                println!("  {server}: connected, scope `{scopes}`");
                println!("      policy: {why}");
                if expected.granted.as_ref() != Some(scopes) {
                    return Err(format!(
                        "{server}: granted `{scopes}`, the policy says: {why}"
                    ));
                }
                let mcp = mcp::Session::connect(server.as_str(), &token.token).await?;
                let who = match mcp.call("whoami", None).await? {
                    mcp::CallOutcome::Ok(text) => text,
                    mcp::CallOutcome::InsufficientScope { challenge, .. } => {
                        return Err(format!("{server}: whoami was refused: {challenge}"));
                    }
                };
                mcp.close().await;
                let who: serde_json::Value =
                    serde_json::from_str(&who).map_err(|e| format!("whoami: {e}"))?;
                if who.get("sub").and_then(|v| v.as_str()) != Some(user) {
                    return Err(format!("{server}: whoami named {who}, not {user}"));
                }
                println!("      MCP initialize + whoami: sub={user}");
                connected.push(server.clone());
            }
            ServerOutcome::DeniedByPolicy { leg, error } => {
                println!("  {server}: denied by policy at {leg} ({})", error.error);
                println!("      policy: {why}");
                if expected.is_granted() {
                    return Err(format!("{server}: refused, the policy says: {why}"));
                }
            }
            ServerOutcome::Failed(failure) => {
                return Err(format!("{server}: {failure}"));
            }
            _ => return Err(format!("{server}: an outcome this demo does not know")),
        }
    }
    Ok(connected)
}

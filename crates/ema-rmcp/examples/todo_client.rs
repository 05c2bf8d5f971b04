//! An rmcp client using EMA: every request to the MCP server carries an access token from
//! an ema-client `TokenSource` (token exchange at the IdP, jwt-bearer at the server's AS),
//! renewed after a `401` and stepped up after a `403 insufficient_scope`.
//!
//! Against `todo_server` (and the IdP and AS of `ema serve`):
//!
//! ```sh
//! EMA_ID_TOKEN=eyJ... cargo run -p ema-rmcp --example todo_client -- \
//!     --server http://127.0.0.1:8090/mcp --idp http://127.0.0.1:8080/idp \
//!     --idp-client desk-7f3a:IDP_SECRET --as-client cli_42b19c:AS_SECRET \
//!     --allow-loopback-http --text "buy milk"
//! ```
//!
//! `EMA_ID_TOKEN` is the user's ID token from the IdP (the subject token of the exchange).
//! With a development IdP that signs users in by `login_hint` alone (as `ema serve` with
//! `examples/stack.toml` does), `--login alice` gets one instead: authorization code + PKCE
//! at the IdP with `--redirect-uri` (default `http://127.0.0.1:9999/callback`), the code
//! redeemed and the ID token validated against the IdP's JWKS. Against that stack:
//!
//! ```sh
//! ema serve --config examples/stack.toml &
//! cargo run -p ema-rmcp --example todo_client -- --server http://127.0.0.1:8080/mcp \
//!     --idp http://127.0.0.1:8080/idp --idp-client desk:desk-secret \
//!     --as-client desk-at-as:as-secret --login alice --allow-loopback-http
//! ```
//! The client lists the tools, calls `whoami`, `add_todo` (which steps up to `todo.write`)
//! and `whoami` again. The authorization server is the one the server's protected-resource
//! metadata names; `--as-client` are the client's credentials there (`client_secret_basic`).

use std::time::Duration;

use ema_client::{
    ClientAuthMethod, ClientCredentials, Context, IdentityProvider, OidcLogin, OidcLoginConfig,
    ReqwestClient, SchemePolicy, StaticIdToken, TokenSource, TokenSourceConfig, discover_idp,
    fetch_jwks,
};
use ema_metadata::discovery::{Discovery, DiscoveryConfig};
use ema_rmcp::client::EmaHttpClient;
use ema_types::transport::HttpClient;
use ema_types::{ClientId, Issuer, Resource, Secret, SystemClock, SystemRandom};
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, CallToolResult, ClientConfig};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Default)]
struct Args {
    server: String,
    idp: String,
    idp_client: String,
    as_client: String,
    text: String,
    login: Option<String>,
    redirect_uri: String,
    loopback_http: bool,
}

const USAGE: &str = "usage: todo_client --server URL --idp ISSUER --idp-client ID:SECRET \
     --as-client ID:SECRET [--login USER [--redirect-uri URI]] [--text TEXT] \
     [--allow-loopback-http]  (without --login: the ID token in EMA_ID_TOKEN)";

fn args() -> Result<Args, BoxError> {
    let mut args = Args {
        text: "try EMA with rmcp".into(),
        redirect_uri: "http://127.0.0.1:9999/callback".into(),
        ..Args::default()
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--server" => args.server = value()?,
            "--idp" => args.idp = value()?,
            "--idp-client" => args.idp_client = value()?,
            "--as-client" => args.as_client = value()?,
            "--text" => args.text = value()?,
            "--login" => args.login = Some(value()?),
            "--redirect-uri" => args.redirect_uri = value()?,
            "--allow-loopback-http" => args.loopback_http = true,
            other => return Err(format!("unknown argument {other}\n{USAGE}").into()),
        }
    }
    if [&args.server, &args.idp, &args.idp_client, &args.as_client]
        .iter()
        .any(|a| a.is_empty())
    {
        return Err(USAGE.into());
    }
    Ok(args)
}

/// `ID:SECRET` as `client_secret_basic` credentials.
fn credentials(pair: &str) -> Result<ClientCredentials, BoxError> {
    let (id, secret) = pair.split_once(':').ok_or("expected ID:SECRET")?;
    Ok(ClientCredentials::new(
        ClientId::new(id)?,
        ClientAuthMethod::SecretBasic(Secret::new(secret)),
    ))
}

/// Sign `user` in at a development IdP that accepts `login_hint` alone: GET the authorize URL
/// (code + PKCE) without following the redirect, then redeem the code from its `Location`
/// and validate the ID token.
async fn login(
    http: &ReqwestClient,
    discovery: &Discovery,
    issuer: &Issuer,
    client: ClientCredentials,
    user: &str,
    redirect_uri: &str,
) -> Result<Secret, BoxError> {
    let idp = discover_idp(discovery, issuer).await?;
    let authorize = idp
        .authorization_endpoint
        .ok_or("the IdP has no authorization_endpoint")?;
    let jwks_uri = idp.jwks_uri.ok_or("the IdP has no jwks_uri")?;
    let flow = OidcLogin::new(
        OidcLoginConfig::new(
            idp.issuer,
            authorize,
            idp.token_endpoint,
            client.client_id.clone(),
            redirect_uri,
        )
        .with_credentials(client)
        .with_param("login_hint", user)
        .require_iss(true),
    );
    let (url, pending) = flow.begin(&SystemRandom)?;
    let response = http
        .send(http::Request::get(url.as_str()).body(Vec::new())?)
        .await?;
    let location = response
        .headers()
        .get(http::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| format!("the IdP answered {} without a redirect", response.status()))?;
    let keys = fetch_jwks(http, &jwks_uri).await?;
    let ctx = Context::new(http, &SystemClock, &SystemRandom);
    Ok(flow
        .complete(&ctx, &pending, location, &keys)
        .await?
        .id_token)
}

fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args = args()?;
    let http = ReqwestClient::builder()
        .scheme_policy(if args.loopback_http {
            SchemePolicy::AllowLoopbackHttp
        } else {
            SchemePolicy::HttpsOnly
        })
        .timeout(Duration::from_secs(10))
        .build()?;
    let discovery_config = if args.loopback_http {
        DiscoveryConfig::development()
    } else {
        DiscoveryConfig::default()
    };

    // The AS the server's protected-resource metadata names, to pair it with --as-client.
    let resource = Resource::new(args.server.clone())?;
    let prm = Discovery::new(http.clone())
        .with_config(discovery_config.clone())
        .protected_resource_metadata(&resource, None)
        .await?
        .metadata;
    let as_issuer = prm
        .authorization_servers
        .first()
        .ok_or("the server names no authorization server")?
        .clone();

    let idp_issuer = Issuer::new(args.idp)?;
    let id_token = match &args.login {
        Some(user) => {
            let discovery = Discovery::new(http.clone()).with_config(discovery_config.clone());
            login(
                &http,
                &discovery,
                &idp_issuer,
                credentials(&args.idp_client)?,
                user,
                &args.redirect_uri,
            )
            .await?
        }
        None => Secret::new(
            std::env::var("EMA_ID_TOKEN").map_err(|_| "set EMA_ID_TOKEN or use --login")?,
        ),
    };
    let idp = IdentityProvider::new(idp_issuer, credentials(&args.idp_client)?);
    let tokens = TokenSource::builder(http, StaticIdToken::new(id_token), idp)
        .authorization_server(as_issuer, credentials(&args.as_client)?)
        .config(TokenSourceConfig::default().with_discovery(discovery_config))
        .build();

    let transport = EmaHttpClient::new(tokens).into_transport(args.server.as_str());
    let client = ClientConfig::default().serve(transport).await?;
    let tools = client.list_all_tools().await?;
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    println!("tools: {}", names.join(", "));
    let me = client
        .call_tool(CallToolRequestParams::new("whoami"))
        .await?;
    println!("whoami: {}", text(&me));
    let arguments = serde_json::json!({ "text": args.text });
    let added = client
        .call_tool(
            CallToolRequestParams::new("add_todo")
                .with_arguments(arguments.as_object().cloned().unwrap_or_default()),
        )
        .await?;
    println!("add_todo: {}", text(&added));
    let me = client
        .call_tool(CallToolRequestParams::new("whoami"))
        .await?;
    println!("whoami: {}", text(&me));
    client.cancel().await?;
    Ok(())
}

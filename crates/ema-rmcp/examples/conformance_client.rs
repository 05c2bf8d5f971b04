//! The client the official MCP conformance suite drives for the
//! `auth/enterprise-managed-authorization` scenario (`conformance/run.sh`).
//!
//! The suite starts an IdP, an authorization server and an MCP server, then runs
//! `conformance_client <server-url>` with `MCP_CONFORMANCE_SCENARIO` and
//! `MCP_CONFORMANCE_CONTEXT` (JSON: `client_id`, `client_secret` at the AS, `idp_client_id`,
//! `idp_id_token`, `idp_issuer`, `idp_token_endpoint`). This binary runs the EMA flow with
//! ema-client (token exchange of the ID token at the IdP as a public client, jwt-bearer
//! redemption at the AS discovered through the server's protected-resource metadata, with
//! `client_secret_basic`), then makes real MCP calls with rmcp: `initialize`, `tools/list`
//! and a `tools/call` of every listed tool. It exits non-zero on any failure.
//!
//! The suite's servers run on `http://localhost`, so loopback `http` is allowed; its IdP
//! publishes no JWKS for the ID-JAGs it mints, so the ID-JAG is not verified by the client
//! (the AS verifies it).

use std::process::ExitCode;
use std::time::Duration;

use ema_client::{
    ClientAuthMethod, ClientCredentials, IdJagVerification, IdentityProvider, ReqwestClient,
    SchemePolicy, StaticIdToken, TokenSource, TokenSourceConfig,
};
use ema_metadata::discovery::{Discovery, DiscoveryConfig};
use ema_rmcp::client::EmaHttpClient;
use ema_types::{ClientId, Issuer, Secret};
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, ClientConfig, ProtocolVersion};
use serde::Deserialize;

const SCENARIO: &str = "auth/enterprise-managed-authorization";

/// `MCP_CONFORMANCE_CONTEXT` of the scenario.
#[derive(Deserialize)]
struct Context {
    client_id: String,
    client_secret: String,
    idp_client_id: String,
    idp_id_token: String,
    idp_issuer: String,
    idp_token_endpoint: String,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("conformance_client: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), BoxError> {
    let scenario = std::env::var("MCP_CONFORMANCE_SCENARIO")
        .map_err(|_| "MCP_CONFORMANCE_SCENARIO is not set")?;
    if scenario != SCENARIO {
        return Err(
            format!("unsupported scenario {scenario:?}; this client runs {SCENARIO}").into(),
        );
    }
    let context: Context = serde_json::from_str(
        &std::env::var("MCP_CONFORMANCE_CONTEXT")
            .map_err(|_| "MCP_CONFORMANCE_CONTEXT is not set")?,
    )?;
    let server = std::env::args()
        .next_back()
        .filter(|a| a.starts_with("http"))
        .ok_or("usage: conformance_client <mcp-server-url>")?;

    let http = ReqwestClient::builder()
        .scheme_policy(SchemePolicy::AllowLoopbackHttp)
        .timeout(Duration::from_secs(10))
        .build()?;
    let idp = IdentityProvider::new(
        Issuer::new(context.idp_issuer)?,
        ClientCredentials::new(
            ClientId::new(context.idp_client_id)?,
            ClientAuthMethod::Public,
        ),
    )
    .with_token_endpoint(context.idp_token_endpoint.parse()?)
    .with_verification(IdJagVerification::Disabled);
    let at_as = ClientCredentials::new(
        ClientId::new(context.client_id)?,
        ClientAuthMethod::SecretBasic(Secret::new(context.client_secret)),
    );
    // The AS is whatever the server's protected-resource metadata names; the credentials
    // are the ones the suite registered there.
    let as_issuer = discover_as(&http, &server).await?;
    let tokens = TokenSource::builder(
        http,
        StaticIdToken::new(Secret::new(context.idp_id_token)),
        idp,
    )
    .authorization_server(as_issuer, at_as)
    .config(
        TokenSourceConfig::default()
            .with_discovery(DiscoveryConfig::development())
            // The suite's AS lists the jwt-bearer grant but not the ID-JAG profile (CL-06).
            .with_require_id_jag_profile(false),
    )
    .build();

    let mut config = ClientConfig::default();
    if let Ok(wanted) = std::env::var("MCP_CONFORMANCE_PROTOCOL_VERSION")
        && let Some(known) = ProtocolVersion::KNOWN_VERSIONS
            .iter()
            .find(|v| v.as_str() == wanted)
    {
        config = config.with_protocol_version(known.clone());
    }
    let transport = EmaHttpClient::new(tokens).into_transport(server.as_str());
    let client = config.serve(transport).await?;
    let tools = client.list_all_tools().await?;
    println!("tools/list: {} tool(s)", tools.len());
    for tool in &tools {
        let result = client
            .call_tool(CallToolRequestParams::new(tool.name.clone()))
            .await?;
        if result.is_error == Some(true) {
            return Err(format!("tools/call {} answered an error", tool.name).into());
        }
        println!("tools/call {}: ok", tool.name);
    }
    client.cancel().await?;
    Ok(())
}

/// The authorization server the MCP server's protected-resource metadata names (RFC 9728).
async fn discover_as(http: &ReqwestClient, server: &str) -> Result<Issuer, BoxError> {
    let resource = ema_types::Resource::new(server)?;
    let discovery = Discovery::new(http.clone()).with_config(DiscoveryConfig::development());
    let found = discovery
        .protected_resource_metadata(&resource, None)
        .await?;
    let first = found
        .metadata
        .authorization_servers
        .first()
        .ok_or("the protected-resource metadata names no authorization server")?;
    Ok(first.clone())
}

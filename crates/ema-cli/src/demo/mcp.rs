//! The demo's MCP client: rmcp over Streamable HTTP with a bearer access token; a `403
//! insufficient_scope` is an outcome (step-up), not a failure.

use ema_types::Secret;
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, ClientConfig};
use rmcp::service::{RoleClient, RunningService, ServiceError};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::{
    InsufficientScopeError, StreamableHttpClientTransportConfig,
};

/// What a tool call came to.
#[derive(Debug)]
pub(crate) enum CallOutcome {
    /// The tool's text answer.
    Ok(String),
    /// `403` with `error="insufficient_scope"`.
    InsufficientScope {
        challenge: String,
        required: Option<String>,
    },
}

/// One initialized MCP session.
pub(crate) struct Session {
    client: RunningService<RoleClient, ClientConfig>,
}

impl Session {
    /// Connect and `initialize` with `token` as the bearer.
    pub(crate) async fn connect(url: &str, token: &Secret) -> Result<Self, String> {
        let transport = StreamableHttpClientTransport::with_client(
            reqwest::Client::new(),
            StreamableHttpClientTransportConfig::with_uri(url).auth_header(token.expose()),
        );
        let client = ClientConfig::default()
            .serve(transport)
            .await
            .map_err(|e| format!("MCP initialize: {e}"))?;
        Ok(Self { client })
    }

    /// The server's name and version from `initialize`.
    pub(crate) fn server_name(&self) -> String {
        self.client.peer_info().map_or_else(
            || "initialized".to_owned(),
            |info| match &info.server_info {
                Some(server) => format!(
                    "server {} {} (protocol {})",
                    server.name, server.version, info.protocol_version
                ),
                None => format!("protocol {}", info.protocol_version),
            },
        )
    }

    /// `tools/call name` with `arguments`.
    pub(crate) async fn call(
        &self,
        name: &'static str,
        arguments: Option<serde_json::Value>,
    ) -> Result<CallOutcome, String> {
        let mut params = CallToolRequestParams::new(name);
        if let Some(serde_json::Value::Object(map)) = arguments {
            params = params.with_arguments(map);
        }
        match self.client.call_tool(params).await {
            Ok(result) => {
                let text: Vec<String> = result
                    .content
                    .iter()
                    .filter_map(|c| c.as_text().map(|t| t.text.clone()))
                    .collect();
                if result.is_error == Some(true) {
                    return Err(format!("{name} failed: {}", text.join(" ")));
                }
                Ok(CallOutcome::Ok(text.join(" ")))
            }
            Err(e) => match insufficient_scope(&e) {
                Some(found) => Ok(CallOutcome::InsufficientScope {
                    challenge: found.www_authenticate_header.clone(),
                    required: found.required_scope.clone(),
                }),
                None => Err(format!("tools/call {name}: {e}")),
            },
        }
    }

    /// Close the session.
    pub(crate) async fn close(self) {
        let _ = self.client.cancel().await;
    }
}

/// The `InsufficientScopeError` somewhere in `error`'s source chain.
fn insufficient_scope(error: &ServiceError) -> Option<&InsufficientScopeError> {
    // `TransportSend` does not expose its transport error as a source: start there.
    let mut current: Option<&(dyn std::error::Error + 'static)> = match error {
        ServiceError::TransportSend(transport) => Some(transport),
        other => Some(other),
    };
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<InsufficientScopeError>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}

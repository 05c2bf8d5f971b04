//! The small MCP server of `ema serve` (MCP Streamable HTTP, rmcp): `whoami` answers who the
//! verified caller is; `add_todo` (needs the write scopes, RS-05) keeps a short list per user.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ema_rmcp::server::caller;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{ServerCapabilities, ServerConfig};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::{ErrorData, ServerHandler, schemars, tool, tool_handler, tool_router};

/// The longest todo text accepted.
const MAX_TEXT_CHARS: usize = 500;
/// Todos kept per user.
const MAX_TODOS_PER_USER: usize = 100;
/// Users with todos.
const MAX_USERS: usize = 1_000;

/// `add_todo`'s argument.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
pub(crate) struct AddTodo {
    /// What to do.
    pub(crate) text: String,
}

/// Todos per subject, bounded.
pub(crate) type TodoStore = Arc<Mutex<HashMap<String, Vec<String>>>>;

/// The MCP server; one per session, sharing the store.
#[derive(Clone)]
pub(crate) struct TodoServer {
    store: TodoStore,
    tool_router: ToolRouter<Self>,
}

impl std::fmt::Debug for TodoServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TodoServer").finish_non_exhaustive()
    }
}

#[tool_router]
impl TodoServer {
    pub(crate) fn new(store: TodoStore) -> Self {
        Self {
            store,
            tool_router: Self::tool_router(),
        }
    }

    /// Who is calling: subject, client and scopes of the verified access token.
    #[tool(description = "Who is calling: the subject, client and scopes of the access token")]
    async fn whoami(&self, ctx: RequestContext<RoleServer>) -> Result<String, ErrorData> {
        let p = caller(&ctx).ok_or_else(|| ErrorData::internal_error("no principal", None))?;
        let answer = serde_json::json!({
            "sub": p.subject,
            "client_id": p.client_id,
            "scope": p.scopes.to_string(),
            "iss": p.issuer,
        });
        Ok(answer.to_string())
    }

    /// Add a todo for the caller (needs the write scope).
    #[tool(description = "Add a todo for the caller (needs todo.write)")]
    async fn add_todo(
        &self,
        Parameters(AddTodo { text }): Parameters<AddTodo>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<String, ErrorData> {
        let p = caller(&ctx).ok_or_else(|| ErrorData::internal_error("no principal", None))?;
        if text.trim().is_empty() || text.chars().count() > MAX_TEXT_CHARS {
            return Err(ErrorData::invalid_params(
                format!("text must be 1 to {MAX_TEXT_CHARS} characters"),
                None,
            ));
        }
        let mut store = self
            .store
            .lock()
            .map_err(|_| ErrorData::internal_error("todo store unavailable", None))?;
        if !store.contains_key(&p.subject) && store.len() >= MAX_USERS {
            return Err(ErrorData::internal_error("todo store full", None));
        }
        let todos = store.entry(p.subject.clone()).or_default();
        if todos.len() >= MAX_TODOS_PER_USER {
            return Err(ErrorData::invalid_params("too many todos", None));
        }
        todos.push(text.clone());
        Ok(
            serde_json::json!({ "added": text, "for": p.subject, "count": todos.len() })
                .to_string(),
        )
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for TodoServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
    }
}

//! The todo MCP server of the examples and tests: `whoami` answers who the verified caller
//! is, `list_todos` lists the todos, and `add_todo` (which [`scopes`] guards with
//! `todo.write`) adds one.

use std::sync::{Arc, Mutex, PoisonError};

use ema_rmcp::server::{ToolScopes, caller};
use ema_types::{ScopeError, ScopeSet};
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{ServerCapabilities, ServerConfig};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::{ErrorData, ServerHandler, schemars, tool, tool_handler, tool_router};

/// Longest todo text accepted, in bytes.
pub(crate) const MAX_TEXT: usize = 1024;
/// Most todos kept.
pub(crate) const MAX_TODOS: usize = 1000;

/// `add_todo` arguments.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
pub(crate) struct AddTodo {
    /// What to do.
    pub(crate) text: String,
}

/// One todo and who added it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub(crate) struct Todo {
    /// The text.
    pub(crate) text: String,
    /// The `sub` of the user who added it.
    pub(crate) owner: String,
}

/// The todo list, shared by every session.
#[derive(Debug, Clone, Default)]
pub(crate) struct Todos(Arc<Mutex<Vec<Todo>>>);

impl Todos {
    /// A snapshot of the list.
    pub(crate) fn all(&self) -> Vec<Todo> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// The MCP server.
#[derive(Debug, Clone)]
pub(crate) struct TodoServer {
    todos: Todos,
    tool_router: ToolRouter<Self>,
}

/// The scopes of the todo server: any MCP request needs `todo.read`; `add_todo` also
/// needs `todo.write`.
pub(crate) fn scopes() -> Result<ToolScopes, ScopeError> {
    Ok(ToolScopes::new(ScopeSet::parse("todo.read")?)
        .tool("add_todo", ScopeSet::parse("todo.write")?))
}

fn no_principal() -> ErrorData {
    ErrorData::internal_error("the request did not pass the EMA layer", None)
}

#[tool_router]
impl TodoServer {
    /// A server over `todos`.
    pub(crate) fn new(todos: Todos) -> Self {
        Self {
            todos,
            tool_router: Self::tool_router(),
        }
    }

    #[tool(description = "Who is calling: the user, the client and the granted scopes")]
    async fn whoami(&self, ctx: RequestContext<RoleServer>) -> Result<String, ErrorData> {
        let principal = caller(&ctx).ok_or_else(no_principal)?;
        let scopes: Vec<&str> = principal.scopes.iter().map(|s| s.as_str()).collect();
        Ok(serde_json::json!({
            "subject": principal.subject,
            "client_id": principal.client_id,
            "scopes": scopes,
        })
        .to_string())
    }

    #[tool(description = "The todos (needs the todo.read scope)")]
    async fn list_todos(&self) -> Result<String, ErrorData> {
        serde_json::to_string(&self.todos.all())
            .map_err(|e| ErrorData::internal_error(e.to_string(), None))
    }

    #[tool(description = "Add a todo (needs the todo.write scope)")]
    async fn add_todo(
        &self,
        Parameters(AddTodo { text }): Parameters<AddTodo>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<String, ErrorData> {
        let principal = caller(&ctx).ok_or_else(no_principal)?;
        if text.is_empty() || text.len() > MAX_TEXT {
            return Err(ErrorData::invalid_params(
                format!("text must be 1 to {MAX_TEXT} bytes"),
                None,
            ));
        }
        let mut todos = self.todos.0.lock().unwrap_or_else(PoisonError::into_inner);
        if todos.len() >= MAX_TODOS {
            return Err(ErrorData::invalid_request("the todo list is full", None));
        }
        todos.push(Todo {
            text,
            owner: principal.subject.clone(),
        });
        Ok(format!(
            "todo #{} added for {}",
            todos.len(),
            principal.subject
        ))
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for TodoServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_instructions("A todo list guarded by Enterprise-Managed Authorization")
    }
}

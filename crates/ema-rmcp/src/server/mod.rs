//! Guarding an rmcp streamable-HTTP server with ema-server's resource-server checks.
//!
//! | item | role |
//! |---|---|
//! | [`ToolScopes`] | the scopes each MCP request needs: a base set, plus per-tool sets for `tools/call` (RS-05) |
//! | [`McpAuthLayer`] | a tower layer: buffers the JSON-RPC body (bounded), runs [`AccessTokenGuard`](ema_server::resource_server::AccessTokenGuard), answers `401`/`403` challenges itself, hands the [`Principal`] on |
//! | [`protect_mcp`] | an axum router: the guarded service at a path plus the protected-resource metadata (RS-01) |
//! | [`caller`] | the verified principal inside a tool handler |
//!
//! ```no_run
//! use std::sync::Arc;
//! use ema_rmcp::server::{ToolScopes, protect_mcp};
//! use ema_server::resource_server::AccessTokenGuard;
//! use ema_types::ScopeSet;
//! use rmcp::transport::streamable_http_server::{
//!     StreamableHttpServerConfig, StreamableHttpService, session::local::LocalSessionManager,
//! };
//! # #[derive(Clone)] struct Todo;
//! # impl rmcp::ServerHandler for Todo {}
//! # fn demo(guard: Arc<AccessTokenGuard>) -> Result<(), Box<dyn std::error::Error>> {
//! let mcp = StreamableHttpService::new(
//!     || Ok(Todo),
//!     Arc::new(LocalSessionManager::default()),
//!     StreamableHttpServerConfig::default(),
//! );
//! let scopes = ToolScopes::new(ScopeSet::parse("todo.read")?)
//!     .tool("add_todo", ScopeSet::parse("todo.write")?);
//! let app: axum::Router = protect_mcp(guard, "/mcp", scopes, mcp);
//! # let _ = app; Ok(()) }
//! ```

mod layer;
mod principal;
mod router;
mod scopes;

pub use layer::{DEFAULT_MAX_BODY, McpAuthBody, McpAuthLayer, McpAuthService};
pub use principal::{caller, principal_in, principal_of};
pub use router::protect_mcp;
pub use scopes::ToolScopes;

pub use ema_server::resource_server::Principal;

//! The verified caller, from inside rmcp handlers.

use ema_server::resource_server::Principal;
use rmcp::model::Extensions;
use rmcp::service::{RequestContext, RoleServer};

/// The verified caller of the request `ctx` belongs to: the [`Principal`] that
/// [`McpAuthLayer`](super::McpAuthLayer) put into the HTTP request, which rmcp's
/// streamable-HTTP server forwards as [`http::request::Parts`] in the request context.
/// `None` when the request did not come through the layer.
#[must_use]
pub fn caller(ctx: &RequestContext<RoleServer>) -> Option<&Principal> {
    principal_in(&ctx.extensions)
}

/// The [`Principal`] in rmcp request `extensions` (see [`caller`]).
#[must_use]
pub fn principal_in(extensions: &Extensions) -> Option<&Principal> {
    extensions
        .get::<http::request::Parts>()
        .and_then(principal_of)
}

/// The [`Principal`] in the HTTP request `parts`, as rmcp's `Extension<Parts>` tool argument
/// gives them.
#[must_use]
pub fn principal_of(parts: &http::request::Parts) -> Option<&Principal> {
    parts.extensions.get::<Principal>()
}

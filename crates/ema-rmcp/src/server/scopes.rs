//! [`ToolScopes`]: which scopes an MCP request needs, from its JSON-RPC body (RS-05).

use std::collections::BTreeMap;

use ema_types::ScopeSet;
use serde_json::Value;

/// The scopes MCP requests need: `base` for every request (may be empty: any valid token),
/// plus, for a `tools/call`, the scopes registered for the called tool's name (RS-05:
/// per operation).
///
/// A body that is not JSON, not a JSON-RPC request, or a `tools/call` of a tool with no
/// entry needs `base` alone; rmcp answers such requests itself. A JSON-RPC batch needs the
/// union over its members.
///
/// ```
/// use ema_rmcp::server::ToolScopes;
/// use ema_types::ScopeSet;
/// # fn main() -> Result<(), ema_types::ScopeError> {
/// let scopes = ToolScopes::new(ScopeSet::parse("todo.read")?)
///     .tool("add_todo", ScopeSet::parse("todo.write")?);
/// let call = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add_todo"}}"#;
/// assert_eq!(scopes.required_for_body(call), ScopeSet::parse("todo.read todo.write")?);
/// let list = br#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#;
/// assert_eq!(scopes.required_for_body(list), ScopeSet::parse("todo.read")?);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ToolScopes {
    base: ScopeSet,
    tools: BTreeMap<String, ScopeSet>,
}

impl ToolScopes {
    /// Every MCP request needs `base` (may be empty: any valid token).
    #[must_use]
    pub fn new(base: ScopeSet) -> Self {
        Self {
            base,
            tools: BTreeMap::new(),
        }
    }

    /// A `tools/call` of the tool `name` also needs `scopes` (replacing an earlier entry).
    #[must_use]
    pub fn tool(mut self, name: impl Into<String>, scopes: ScopeSet) -> Self {
        self.tools.insert(name.into(), scopes);
        self
    }

    /// The scopes every request needs.
    #[must_use]
    pub fn base(&self) -> &ScopeSet {
        &self.base
    }

    /// The scopes a `tools/call` of `name` needs, `base` included.
    #[must_use]
    pub fn required_for_tool(&self, name: &str) -> ScopeSet {
        match self.tools.get(name) {
            Some(extra) => self.base.union(extra),
            None => self.base.clone(),
        }
    }

    /// The scopes the request whose (complete) HTTP body is `body` needs.
    #[must_use]
    pub fn required_for_body(&self, body: &[u8]) -> ScopeSet {
        if body.is_empty() {
            return self.base.clone();
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Array(batch)) => batch.iter().fold(self.base.clone(), |acc, m| {
                acc.union(&self.required_for_message(m))
            }),
            Ok(message) => self.required_for_message(&message),
            Err(_) => self.base.clone(),
        }
    }

    fn required_for_message(&self, message: &Value) -> ScopeSet {
        if message.get("method").and_then(Value::as_str) != Some("tools/call") {
            return self.base.clone();
        }
        match message
            .get("params")
            .and_then(|p| p.get("name"))
            .and_then(Value::as_str)
        {
            Some(name) => self.required_for_tool(name),
            None => self.base.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn s(v: &str) -> ScopeSet {
        ScopeSet::parse(v).unwrap()
    }

    fn scopes() -> ToolScopes {
        ToolScopes::new(s("todo.read")).tool("add_todo", s("todo.write"))
    }

    #[test]
    fn rs_05_tools_call_needs_the_tool_scopes() {
        let body = br#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"add_todo","arguments":{"text":"x"}}}"#;
        assert_eq!(scopes().required_for_body(body), s("todo.read todo.write"));
    }

    #[test]
    fn rs_05_other_methods_and_unlisted_tools_need_the_base() {
        let s0 = scopes();
        for body in [
            &br#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#[..],
            br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            br#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"whoami"}}"#,
            br#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{}}"#,
            br#"{"jsonrpc":"2.0","id":3,"result":{}}"#,
            b"not json",
            b"",
        ] {
            assert_eq!(s0.required_for_body(body), s("todo.read"));
        }
    }

    #[test]
    fn rs_05_a_batch_needs_the_union() {
        let body = br#"[{"jsonrpc":"2.0","id":1,"method":"tools/list"},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"add_todo"}}]"#;
        assert_eq!(scopes().required_for_body(body), s("todo.read todo.write"));
    }

    #[test]
    fn a_tool_name_matches_exactly() {
        let body =
            br#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"ADD_TODO"}}"#;
        assert_eq!(scopes().required_for_body(body), s("todo.read"));
    }
}

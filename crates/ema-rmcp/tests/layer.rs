//! `McpAuthLayer` over raw HTTP on loopback: what reaches rmcp and what is answered before.

#![cfg(all(feature = "client", feature = "server"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;

use ema_rmcp::server::DEFAULT_MAX_BODY;
use support::{Stack, scopes};

const ADD_TODO: &str = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add_todo","arguments":{"text":"x"}}}"#;

fn post(stack: &Stack, body: impl Into<reqwest::Body>) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .post(stack.server.as_str())
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(body)
}

fn challenge(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("www-authenticate")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned()
}

fn prm_url(stack: &Stack) -> String {
    stack
        .server
        .as_str()
        .replace("/mcp", "/.well-known/oauth-protected-resource/mcp")
}

#[tokio::test]
async fn rs_02_no_token_is_401_with_the_metadata_url() {
    let stack = Stack::start("todo.read todo.write").await;
    let response = post(&stack, ADD_TODO).send().await.unwrap();
    assert_eq!(response.status(), 401);
    let value = challenge(&response);
    assert!(value.starts_with("Bearer "), "{value}");
    assert!(
        value.contains(&format!(r#"resource_metadata="{}""#, prm_url(&stack))),
        "{value}"
    );
    assert_eq!(response.headers().get("cache-control").unwrap(), "no-store");
    assert!(stack.todos.all().is_empty());
}

#[tokio::test]
async fn rs_05_a_tool_needing_a_missing_scope_is_403_before_rmcp() {
    let stack = Stack::start("todo.read todo.write").await;
    let token = stack
        .token_source()
        .access_token_for(&stack.server, Some(&scopes("todo.read")))
        .await
        .unwrap();
    assert_eq!(token.scope, Some(scopes("todo.read")));
    let bearer = format!("Bearer {}", token.token.expose());

    let response = post(&stack, ADD_TODO)
        .header("authorization", &bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let value = challenge(&response);
    assert!(value.contains(r#"error="insufficient_scope""#), "{value}");
    assert!(value.contains(r#"scope="todo.read todo.write""#), "{value}");
    assert!(
        value.contains(&format!(r#"resource_metadata="{}""#, prm_url(&stack))),
        "{value}"
    );
    assert!(stack.todos.all().is_empty(), "rmcp never saw the call");

    // The same token passes for a request that needs only the base scope.
    let list = post(
        &stack,
        r#"{"jsonrpc":"2.0","id":2,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#,
    )
    .header("authorization", &bearer)
    .send()
    .await
    .unwrap();
    assert_eq!(list.status(), 200);
}

#[tokio::test]
async fn an_oversized_body_is_413_without_a_token_check() {
    let stack = Stack::start("todo.read todo.write").await;
    let response = post(&stack, vec![b' '; DEFAULT_MAX_BODY + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
}

#[tokio::test]
async fn rs_01_the_protected_resource_metadata_needs_no_token() {
    let stack = Stack::start("todo.read todo.write").await;
    let response = reqwest::get(prm_url(&stack)).await.unwrap();
    assert_eq!(response.status(), 200);
    let document: serde_json::Value = response.json().await.unwrap();
    assert_eq!(document["resource"], stack.server.as_str());
    assert_eq!(
        document["authorization_servers"],
        serde_json::json!([stack.as_issuer.as_str()])
    );
}

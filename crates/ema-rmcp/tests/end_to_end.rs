//! rmcp client → `EmaHttpClient` → real HTTP on loopback → `protect_mcp` → rmcp todo server,
//! with ema-server's IdP and AS issuing the tokens.

#![cfg(all(feature = "client", feature = "server"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;

use ema_rmcp::client::EmaHttpClient;
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, CallToolResult, ClientConfig};
use rmcp::service::{RoleClient, RunningService};
use serde_json::{Value, json};
use support::{AS_CLIENT, Stack, USER, todo};

type Client = RunningService<RoleClient, ClientConfig>;

async fn connect(stack: &Stack) -> Client {
    let transport = EmaHttpClient::new(stack.token_source()).into_transport(stack.server.as_str());
    ClientConfig::default().serve(transport).await.unwrap()
}

fn text(result: &CallToolResult) -> String {
    let content = result.content.first().expect("one content item");
    content.as_text().expect("text content").text.clone()
}

async fn whoami(client: &Client) -> Value {
    let result = client
        .call_tool(CallToolRequestParams::new("whoami"))
        .await
        .unwrap();
    serde_json::from_str(&text(&result)).unwrap()
}

fn add_todo(text: &str) -> CallToolRequestParams {
    let args = json!({ "text": text }).as_object().unwrap().clone();
    CallToolRequestParams::new("add_todo").with_arguments(args)
}

#[tokio::test]
async fn rs_05_cl_17_initialize_list_whoami_and_step_up_for_add_todo() {
    let stack = Stack::start("todo.read todo.write").await;
    let client = connect(&stack).await;

    let tools = client.list_all_tools().await.unwrap();
    let mut names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    names.sort_unstable();
    assert_eq!(names, ["add_todo", "list_todos", "whoami"]);

    // The first token carries what the server's 401 challenge named: todo.read.
    let me = whoami(&client).await;
    assert_eq!(
        me,
        json!({ "subject": USER, "client_id": AS_CLIENT, "scopes": ["todo.read"] })
    );

    // add_todo needs todo.write: the layer answers 403 before rmcp sees the call, the
    // client steps up to the union and the call goes through.
    let added = client.call_tool(add_todo("buy milk")).await.unwrap();
    assert_eq!(text(&added), format!("todo #1 added for {USER}"));
    assert_eq!(
        stack.todos.all(),
        [todo::Todo {
            text: "buy milk".into(),
            owner: USER.into()
        }]
    );
    let me = whoami(&client).await;
    assert_eq!(me["scopes"], json!(["todo.read", "todo.write"]));
    let listed = client
        .call_tool(CallToolRequestParams::new("list_todos"))
        .await
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&text(&listed)).unwrap(),
        json!([{ "text": "buy milk", "owner": USER }])
    );

    let calls = stack.mcp_calls();
    let denied: Vec<_> = calls.iter().filter(|s| s.status == 403).collect();
    assert_eq!(denied.len(), 1, "{calls:#?}");
    let challenge = denied[0].www_authenticate.as_deref().unwrap();
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    assert!(
        challenge.contains(r#"error="insufficient_scope""#),
        "{challenge}"
    );
    assert!(
        challenge.contains(r#"scope="todo.read todo.write""#),
        "{challenge}"
    );
    assert!(
        challenge.contains(&format!(
            r#"resource_metadata="{}""#,
            stack
                .server
                .as_str()
                .replace("/mcp", "/.well-known/oauth-protected-resource/mcp")
        )),
        "{challenge}"
    );
    // Every request after discovery carried a bearer token.
    assert!(calls.iter().filter(|s| s.method == "POST").all(|s| {
        s.authorization
            .as_deref()
            .is_some_and(|a| a.starts_with("Bearer "))
    }));
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn cl_14_a_revoked_token_is_renewed_once_and_the_request_rerun() {
    let stack = Stack::start("todo.read todo.write").await;
    let client = connect(&stack).await;
    let before = whoami(&client).await;
    assert_eq!(before["subject"], USER);

    // Revoke the token in use: the next request gets 401, the client renews and re-runs it.
    let used = stack
        .mcp_calls()
        .iter()
        .rev()
        .find_map(|s| s.authorization.clone())
        .unwrap();
    let token = used.strip_prefix("Bearer ").unwrap().to_owned();
    stack.revoked.lock().unwrap().insert(token.clone());

    let after = whoami(&client).await;
    assert_eq!(after["subject"], USER);
    // (Between them, the client rediscovers the server: an unauthenticated GET.)
    let posts: Vec<_> = stack
        .mcp_calls()
        .into_iter()
        .filter(|s| s.method == "POST")
        .collect();
    let last_two: Vec<_> = posts.iter().rev().take(2).collect();
    assert_eq!(last_two[1].status, 401);
    assert_eq!(last_two[1].authorization.as_deref(), Some(&*used));
    assert_eq!(last_two[0].status, 200);
    assert_ne!(last_two[0].authorization.as_deref(), Some(&*used));
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn cl_17_a_step_up_the_policy_refuses_leaves_the_call_denied() {
    // The administrator allows only todo.read: the step-up cannot get todo.write.
    let stack = Stack::start("todo.read").await;
    let client = connect(&stack).await;
    assert_eq!(whoami(&client).await["scopes"], json!(["todo.read"]));

    let refused = client.call_tool(add_todo("buy milk")).await;
    assert!(refused.is_err(), "{refused:?}");
    assert!(stack.todos.all().is_empty());
    let statuses: Vec<u16> = stack.mcp_calls().iter().map(|s| s.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 403).count(),
        2,
        "{statuses:?}"
    );
}

//! Issue 10 from the command line, with real processes and real HTTP on loopback:
//!
//! - `ema serve` hosts the example's three MCP servers (`[[rs]]`), each with its own
//!   protected-resource metadata and challenge, each reachable with its own token;
//! - `ema policy explain` names the deciding rows: a group grant, a role grant, a deny row that
//!   wins, no allow row, an unknown user (IDP-11);
//! - the audit trail of a real `ema serve` run (`[audit] file`): one event per IdP and AS
//!   decision, the IdP and AS events of a flow share the ID-JAG `jti`, no token or secret in
//!   it, and `ema audit summarize` counts the grants and the denial.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, ClientConfig};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;

const EXAMPLE: &str = include_str!("../../../examples/stack.toml");
const EXAMPLE_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/stack.toml");
const BIN: &str = env!("CARGO_BIN_EXE_ema");
const BASE: &str = "http://127.0.0.1:8080";

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `ema serve` in the background; killed on drop.
struct Served {
    child: Child,
    base: String,
    dir: PathBuf,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    async fn start(dir: &Path, config: &str, port: u16) -> Self {
        let path = dir.join("stack.toml");
        std::fs::write(&path, config).unwrap();
        let log = std::fs::File::create(dir.join("serve.log")).unwrap();
        let child = Command::new(BIN)
            .args(["serve", "--config"])
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let served = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            dir: dir.to_owned(),
        };
        let http = reqwest::Client::new();
        for _ in 0..100 {
            if let Ok(r) = http.get(format!("{}/healthz", served.base)).send().await
                && r.status() == 200
            {
                return served;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("ema serve did not become healthy: {}", served.log());
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("serve.log")).unwrap_or_default()
    }

    /// `ema token --login USER` for the MCP server at `path`.
    fn token(&self, user: &str, path: &str) -> Output {
        Command::new(BIN)
            .args([
                "token",
                "--server",
                &format!("{}{path}", self.base),
                "--idp",
                &format!("{}/idp", self.base),
                "--login",
                user,
            ])
            .env("EMA_IDP_CLIENT", "desk:desk-secret")
            .env("EMA_AS_CLIENT", "desk-at-as:as-secret")
            .output()
            .unwrap()
    }

    /// The access token for `user` at `path` (the flow must succeed).
    fn access_token(&self, user: &str, path: &str) -> (String, String) {
        let out = self.token(user, path);
        assert!(
            out.status.success(),
            "{user} {path}: {}\n{}",
            text(&out.stderr),
            self.log()
        );
        let response: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (
            response["access_token"].as_str().unwrap().to_owned(),
            response["scope"].as_str().unwrap().to_owned(),
        )
    }
}

/// `tools/call whoami` over MCP Streamable HTTP with `token`.
async fn whoami(url: &str, token: &str) -> serde_json::Value {
    let transport = StreamableHttpClientTransport::with_client(
        reqwest::Client::new(),
        StreamableHttpClientTransportConfig::with_uri(url).auth_header(token),
    );
    let client = ClientConfig::default().serve(transport).await.unwrap();
    let result = client
        .call_tool(CallToolRequestParams::new("whoami"))
        .await
        .unwrap();
    let _ = client.cancel().await;
    let body: String = result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect();
    serde_json::from_str(&body).unwrap()
}

fn explain(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(BIN)
        .args([
            "policy",
            "explain",
            "--config",
            EXAMPLE_PATH,
            "--client",
            "desk",
        ])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        format!("{}{}", text(&out.stdout), text(&out.stderr)),
    )
}

fn assert_has(haystack: &str, needles: &[&str]) {
    for needle in needles {
        assert!(
            haystack.contains(needle),
            "missing {needle:?} in\n{haystack}"
        );
    }
}

#[test]
fn idp_11_policy_explain_names_the_deciding_rows() {
    let mcp = format!("{BASE}/mcp");
    let admin = format!("{BASE}/mcp-admin");

    // A group grant: alice is in engineering.
    let (code, out) = explain(&["--user", "alice", "--resource", &mcp]);
    assert_eq!(code, Some(0), "{out}");
    assert_has(
        &out,
        &[
            "decision: granted",
            "granted scopes: todo.read todo.write",
            "user: alice (in idp.users; groups: engineering, contractors; roles: developer)",
            "deciding rows: idp.grants[0] \"engineering uses the todo tools\"",
            "* idp.grants[0] \"engineering uses the todo tools\" allow",
        ],
    );
    // Scope narrowing: the grant is what was asked within the row.
    let (code, out) = explain(&[
        "--user",
        "alice",
        "--resource",
        &mcp,
        "--scope",
        "todo.read",
        "--scope",
        "todo.delete",
    ]);
    assert_eq!(code, Some(0), "{out}");
    assert_has(&out, &["granted scopes: todo.read\n"]);

    // Deny wins: the allow row for engineering matches, the deny row for contractors decides.
    let (code, out) = explain(&["--user", "alice", "--resource", &admin]);
    assert_eq!(code, Some(1), "{out}");
    assert_has(
        &out,
        &[
            "decision: denied (invalid_target, denied_by_row: idp.grants[3] \"contractors never reach the admin tools\" denies",
            "deciding rows: idp.grants[3] \"contractors never reach the admin tools\"\n",
            "  idp.grants[2] \"engineering and ops run the admin tools\" allow matched",
            "* idp.grants[3] \"contractors never reach the admin tools\" deny  matched",
        ],
    );
    assert!(!out.contains("granted scopes"), "{out}");

    // A role grant: bob holds ops; he is no contractor.
    let (code, out) = explain(&["--user", "bob", "--resource", &admin]);
    assert_eq!(code, Some(0), "{out}");
    assert_has(
        &out,
        &[
            "granted scopes: admin.read admin.write",
            "deciding rows: idp.grants[2] \"engineering and ops run the admin tools\"\n",
            "  idp.grants[3] \"contractors never reach the admin tools\" deny  not matched: user",
        ],
    );

    // Deny by default: no row grants bob (sales) the todo tools.
    let (code, out) = explain(&["--user", "bob", "--resource", &mcp]);
    assert_eq!(code, Some(1), "{out}");
    assert_has(
        &out,
        &[
            "decision: denied (invalid_target, no_allow_row",
            "deciding rows: none",
            "  idp.grants[0] \"engineering uses the todo tools\" allow not matched: user",
        ],
    );

    // An unknown user is refused before any row.
    let (code, out) = explain(&["--user", "mallory", "--resource", &mcp]);
    assert_eq!(code, Some(1), "{out}");
    assert_has(
        &out,
        &[
            "decision: denied (invalid_target, unknown_user",
            "user: mallory (not in idp.users",
            "not evaluated: unknown user",
        ],
    );

    // Usage and configuration errors: exit 2.
    let (code, out) = explain(&["--user", "alice", "--resource", "not a url"]);
    assert_eq!(code, Some(2), "{out}");
    assert_has(&out, &["--resource"]);
    let out = Command::new(BIN)
        .args(["policy", "explain", "--config", "/nonexistent/stack.toml"])
        .args(["--user", "alice", "--client", "desk", "--resource", &mcp])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn several_mcp_servers_and_the_audit_trail_of_a_real_run() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = format!(
        "{}\n[audit]\nfile = \"audit.jsonl\"\n",
        EXAMPLE.replace("127.0.0.1:8080", &format!("127.0.0.1:{port}"))
    );
    let served = Served::start(dir.path(), &config, port).await;
    let base = served.base.clone();
    let log = served.log();
    for path in ["/mcp", "/mcp-docs", "/mcp-admin"] {
        assert!(log.contains(&format!("MCP     {base}{path} ")), "{log}");
    }

    // Each server has its own metadata and its own challenge.
    let http = reqwest::Client::new();
    for path in ["/mcp", "/mcp-docs", "/mcp-admin"] {
        let prm: serde_json::Value = http
            .get(format!("{base}/.well-known/oauth-protected-resource{path}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(prm["resource"], format!("{base}{path}"));
        assert_eq!(prm["authorization_servers"][0], format!("{base}/as"));
        let challenge = http
            .post(format!("{base}{path}"))
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(challenge.status(), 401, "{path}");
        let header = challenge.headers()["www-authenticate"].to_str().unwrap();
        assert!(
            header.contains(&format!(
                "resource_metadata=\"{base}/.well-known/oauth-protected-resource{path}\""
            )),
            "{header}"
        );
    }

    // Two servers reached, each with its own token and scopes.
    let (docs_token, docs_scope) = served.access_token("alice", "/mcp-docs");
    assert_eq!(docs_scope, "docs.read");
    let who = whoami(&format!("{base}/mcp-docs"), &docs_token).await;
    assert_eq!(
        (who["sub"].as_str(), who["scope"].as_str()),
        (Some("alice"), Some("docs.read"))
    );
    let (admin_token, admin_scope) = served.access_token("bob", "/mcp-admin");
    assert_eq!(admin_scope, "admin.read");
    let who = whoami(&format!("{base}/mcp-admin"), &admin_token).await;
    assert_eq!(who["sub"], "bob");
    // A token is for its server only.
    let wrong = http
        .post(format!("{base}/mcp-admin"))
        .bearer_auth(&docs_token)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    // The deny row wins for alice at the admin server.
    let refused = served.token("alice", "/mcp-admin");
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused.stderr));
    assert!(refused.stdout.is_empty());

    // The trail: one event per decision, IdP and AS events joined by the ID-JAG jti.
    let trail = std::fs::read_to_string(dir.path().join("audit.jsonl")).unwrap();
    let events: Vec<serde_json::Value> = trail
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let pick = |role: &str, decision: &str| -> Vec<&serde_json::Value> {
        events
            .iter()
            .filter(|e| e["role"] == role && e["decision"] == decision)
            .collect()
    };
    assert_eq!(events.len(), 5, "{trail}");
    let idp_granted = pick("idp", "granted");
    let as_granted = pick("as", "granted");
    let idp_denied = pick("idp", "denied");
    assert_eq!(
        (idp_granted.len(), as_granted.len(), idp_denied.len()),
        (2, 2, 1),
        "{trail}"
    );
    for e in &idp_granted {
        let jti = e["jti"].as_str().unwrap();
        let redeemed: Vec<_> = as_granted.iter().filter(|a| a["jti"] == jti).collect();
        assert_eq!(redeemed.len(), 1, "{trail}");
        assert_eq!(redeemed[0]["subject"], e["subject"]);
        assert_eq!(redeemed[0]["resource"], e["resource"]);
    }
    let denied = idp_denied[0];
    assert_eq!(denied["subject"], "alice");
    assert_eq!(denied["resource"][0], format!("{base}/mcp-admin"));
    assert_eq!(denied["error"], "invalid_target");

    // Never a token or a secret.
    for secret in [
        docs_token.as_str(),
        admin_token.as_str(),
        "desk-secret",
        "as-secret",
        "eyJ",
    ] {
        assert!(!trail.contains(secret), "{secret} in the audit trail");
    }

    // `ema audit summarize`: per user, client and server.
    let out = Command::new(BIN)
        .args(["audit", "summarize"])
        .arg(dir.path().join("audit.jsonl"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary = text(&out.stdout);
    let row = |name: &str| -> Vec<String> {
        summary
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no row {name} in\n{summary}"))
            .split_whitespace()
            .skip(1)
            .map(str::to_owned)
            .collect()
    };
    // IDP GRANTED, IDP DENIED, AS GRANTED, AS DENIED
    assert_eq!(row("alice"), ["1", "1", "1", "0"], "{summary}");
    assert_eq!(row("bob"), ["1", "0", "1", "0"], "{summary}");
    assert_eq!(row("desk"), ["2", "1", "0", "0"], "{summary}");
    assert_eq!(row("desk-at-as"), ["0", "0", "2", "0"], "{summary}");
    assert_eq!(
        row(&format!("{base}/mcp-admin")),
        ["1", "1", "1", "0"],
        "{summary}"
    );
    assert_eq!(
        row(&format!("{base}/mcp-docs")),
        ["1", "0", "1", "0"],
        "{summary}"
    );
    assert_has(&summary, &["5 events: 4 granted, 1 denied"]);
    assert!(!summary.contains("eyJ"));

    // A missing file is an error, not an empty summary.
    let out = Command::new(BIN)
        .args(["audit", "summarize"])
        .arg(dir.path().join("nope.jsonl"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

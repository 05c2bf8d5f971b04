//! The `ema` binary as a user runs it: real processes, real HTTP on loopback.
//!
//! - `ema serve` with `examples/stack.toml` (ports rewritten), `ema token --login alice`, then
//!   MCP `whoami` with the token (rmcp client) and `add_todo` refused with 403
//!   `insufficient_scope` (RS-05);
//! - a broken configuration refused at start, naming the key, with nothing listening;
//! - `ema demo` to success, with its Mermaid diagram;
//! - `ema keygen` keys served by `ema serve` and validated by `ema inspect`; `inspect` exits
//!   non-zero for tampered, expired, foreign and unvalidated tokens.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use ema_jwt::SigningKey;
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, ClientConfig};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;

const EXAMPLE: &str = include_str!("../../../examples/stack.toml");
const BIN: &str = env!("CARGO_BIN_EXE_ema");

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// The example, rewritten for `port`.
fn example_for(port: u16) -> String {
    EXAMPLE.replace("127.0.0.1:8080", &format!("127.0.0.1:{port}"))
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
        served.wait_healthy().await;
        served
    }

    async fn wait_healthy(&self) {
        let http = reqwest::Client::new();
        for _ in 0..100 {
            if let Ok(r) = http.get(format!("{}/healthz", self.base)).send().await
                && r.status() == 200
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "ema serve did not become healthy: {}",
            std::fs::read_to_string(self.dir.join("serve.log")).unwrap_or_default()
        );
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("serve.log")).unwrap_or_default()
    }
}

/// `ema token --login USER` against the served example, secrets from the environment.
fn token(base: &str, user: &str, extra: &[&str]) -> Output {
    Command::new(BIN)
        .args([
            "token",
            "--server",
            &format!("{base}/mcp"),
            "--idp",
            &format!("{base}/idp"),
            "--login",
            user,
        ])
        .args(extra)
        .env("EMA_IDP_CLIENT", "desk:desk-secret")
        .env("EMA_AS_CLIENT", "desk-at-as:as-secret")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `tools/call name` over MCP Streamable HTTP with `token` (rmcp client).
async fn call_tool(url: &str, token: &str, name: &'static str) -> String {
    let transport = StreamableHttpClientTransport::with_client(
        reqwest::Client::new(),
        StreamableHttpClientTransportConfig::with_uri(url).auth_header(token),
    );
    let client = ClientConfig::default().serve(transport).await.unwrap();
    let result = client
        .call_tool(CallToolRequestParams::new(name))
        .await
        .unwrap();
    let _ = client.cancel().await;
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect()
}

#[tokio::test]
async fn serve_then_token_login_alice_then_mcp_whoami() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let served = Served::start(dir.path(), &example_for(port), port).await;

    // Standard discovery: RFC 8414 (path-inserted), OpenID discovery, RFC 9728; JWKS at
    // {issuer}/jwks.
    let http = reqwest::Client::new();
    for (path, issuer_key, issuer) in [
        ("/idp/.well-known/openid-configuration", "issuer", "/idp"),
        (
            "/.well-known/oauth-authorization-server/idp",
            "issuer",
            "/idp",
        ),
        (
            "/.well-known/oauth-authorization-server/as",
            "issuer",
            "/as",
        ),
        (
            "/.well-known/oauth-protected-resource/mcp",
            "resource",
            "/mcp",
        ),
    ] {
        let doc: serde_json::Value = http
            .get(format!("{}{path}", served.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            doc[issuer_key],
            format!("{}{issuer}", served.base),
            "{path}"
        );
        if issuer_key == "issuer" {
            assert_eq!(doc["jwks_uri"], format!("{}{issuer}/jwks", served.base));
        } else {
            assert_eq!(
                doc["authorization_servers"][0],
                format!("{}/as", served.base)
            );
        }
    }

    let out = token(&served.base, "alice", &[]);
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stderr),
        served.log()
    );
    // stdout is the access-token response and nothing else.
    let response: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(response["token_type"], "Bearer");
    assert_eq!(
        response["scope"], "todo.read",
        "the scope of the server's challenge"
    );
    assert_eq!(response["resource"], format!("{}/mcp", served.base));
    assert!(response["expires_in"].as_u64().unwrap() > 3000);
    let access_token = response["access_token"].as_str().unwrap().to_owned();
    assert!(text(&out.stderr).is_empty(), "{}", text(&out.stderr));

    let who = call_tool(&format!("{}/mcp", served.base), &access_token, "whoami").await;
    let who: serde_json::Value = serde_json::from_str(&who).unwrap();
    assert_eq!(who["sub"], "alice");
    assert_eq!(who["client_id"], "desk-at-as");
    assert_eq!(who["scope"], "todo.read");

    // RS-05: add_todo needs todo.write; the 403 challenge allows step-up.
    let refused = reqwest::Client::new()
        .post(format!("{}/mcp", served.base))
        .bearer_auth(&access_token)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"add_todo","arguments":{"text":"x"}}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let challenge = refused.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        challenge.contains(r#"error="insufficient_scope""#),
        "{challenge}"
    );
    assert!(challenge.contains("todo.write"), "{challenge}");
    assert!(
        challenge.contains(&format!(
            r#"resource_metadata="{}/.well-known/oauth-protected-resource/mcp""#,
            served.base
        )),
        "{challenge}"
    );

    // Step-up from the command line: ask for todo.write too.
    // Both client_secret_post (IdP) and client_secret_basic (AS) are accepted.
    let out = token(
        &served.base,
        "alice",
        &[
            "--scope",
            "todo.read todo.write",
            "--verbose",
            "--idp-auth",
            "post",
            "--as-auth",
            "basic",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let response: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(response["scope"], "todo.read todo.write");
    let stderr = text(&out.stderr);
    for step in ["[discovery]", "[login]", "[token exchange]", "[redemption]"] {
        assert!(stderr.contains(step), "{stderr}");
    }
    // --verbose shortens tokens: the access token itself is never printed there.
    assert!(!stderr.contains(response["access_token"].as_str().unwrap()));

    // No row grants bob (sales) the todo tools: no token, and nothing on stdout.
    let out = token(&served.base, "bob", &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).contains("token exchange"),
        "{}",
        text(&out.stderr)
    );

    // The log has requests but no token or secret.
    let log = served.log();
    assert!(log.contains("path=\"/as/token\""), "{log}");
    assert!(
        !log.contains(&access_token) && !log.contains("desk-secret") && !log.contains("as-secret")
    );
}

#[tokio::test]
async fn a_broken_config_is_refused_naming_the_key_and_nothing_listens() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let broken = example_for(port)
        .replace(
            &format!("audience = \"http://127.0.0.1:{port}/as\""),
            "audience = \"not a url\"",
        )
        .replace("replay = \"memory\"", "replay = \"disk\"");
    let path = dir.path().join("stack.toml");
    std::fs::write(&path, broken).unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("idp.grants[0].audience: `not a url`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("as.replay: must be \"memory\" or a redis://"),
        "{stderr}"
    );
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());

    // An unknown key is named with its path.
    std::fs::write(
        &path,
        example_for(port).replace("clock_skew_secs", "clock_skew"),
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--check", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("as.clock_skew: unknown field"),
        "{}",
        text(&out.stderr)
    );

    // A listed key file that is missing.
    std::fs::write(
        &path,
        example_for(port).replacen(
            "signing_key_files = []",
            "signing_key_files = [\"idp.pem\"]",
            1,
        ),
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--check", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("idp.signing_key_files[0]: file "),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn demo_runs_the_whole_flow_and_draws_it() {
    let dir = tempfile::tempdir().unwrap();
    let diagram = dir.path().join("flow.md");
    let out = Command::new(BIN)
        .args(["demo", "--diagram"])
        .arg(&diagram)
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    for expected in [
        "1. Discovery",
        "[login] code redeemed; ID token for sub=alice validated",
        "typ\":\"oauth-id-jag+jwt\"",
        "[tools/call whoami] {\"client_id\":\"desk-at-as\"",
        "403 WWW-Authenticate: Bearer error=\"insufficient_scope\"",
        "[tools/call add_todo] {\"added\":\"try EMA\"",
        // Zero touch: one sign-in each, every server at once, outcomes explained.
        "7. Zero touch: alice signed in once",
        "[session] alice: 3 servers in ",
        "2 connected, 1 denied by policy, 0 failed",
        "/mcp-docs: connected, scope `docs.read`",
        "/mcp-admin: denied by policy at token exchange (invalid_target)",
        "policy: denied_by_row: idp.grants[3] \"contractors never reach the admin tools\"",
        "MCP initialize + whoami: sub=bob",
        "/mcp: denied by policy at token exchange (invalid_target)\n      policy: no_allow_row",
        "demo finished: every step succeeded",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in\n{stdout}"
        );
    }
    assert!(
        stdout.contains("[session] bob: 3 servers in "),
        "missing bob's session in\n{stdout}"
    );
    let diagram = std::fs::read_to_string(&diagram).unwrap();
    assert!(diagram.starts_with("sequenceDiagram\n"), "{diagram}");
    // The diagram is the one-server flow: bob's sign-in (the fan-out) is not in it.
    assert!(!diagram.contains("login_hint=bob"), "{diagram}");
    for expected in [
        "C->>MCP: GET /mcp (no token)",
        "MCP-->>C: 401",
        "C->>IdP: GET /idp/authorize (login_hint=alice, PKCE S256)",
        "IdP-->>C: 302 redirect with code, state, iss",
        "grant token-exchange",
        "AS-->>C: 200 access token sub=alice",
        "C->>MCP: POST /mcp (tools/call whoami, Bearer token)",
        "MCP-->>C: 403 error=insufficient_scope",
        "scope=todo.read todo.write",
    ] {
        assert!(
            diagram.contains(expected),
            "missing {expected:?} in\n{diagram}"
        );
    }
}

fn inspect(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(BIN)
        .arg("inspect")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn keygen_keys_are_served_and_inspect_validates_what_they_sign() {
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("as.pem");
    let out = Command::new(BIN)
        .args(["keygen", "--alg", "ES256", "--out"])
        .arg(&pem)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let jwk: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(jwk["kty"], "EC");
    assert!(jwk.get("d").is_none(), "the public JWK only");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&pem).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Never over an existing key.
    let again = Command::new(BIN)
        .args(["keygen", "--out"])
        .arg(&pem)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
    let jwks = dir.path().join("as.jwks.json");
    std::fs::write(&jwks, serde_json::json!({ "keys": [jwk] }).to_string()).unwrap();
    let jwks = jwks.to_str().unwrap().to_owned();

    // The AS signs with the generated key (a path relative to the config file).
    let port = free_port();
    let config = example_for(port).replacen(
        "signing_key_files = []                   # as for [idp]",
        "signing_key_files = [\"as.pem\"]",
        1,
    );
    let served = Served::start(dir.path(), &config, port).await;
    let out = token(&served.base, "alice", &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let response: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let access_token = response["access_token"].as_str().unwrap().to_owned();

    let out = inspect(&[&access_token, "--jwks", &jwks], None);
    assert!(out.status.success(), "{}", text(&out.stdout));
    let report = text(&out.stdout);
    assert!(report.contains("valid access token"), "{report}");
    assert!(report.contains("sub: \"alice\""), "{report}");
    // From stdin, with the kind named, and against the served JWKS URL.
    let out = inspect(
        &[
            "-",
            "--kind",
            "access-token",
            "--jwks",
            &format!("{}/as/jwks", served.base),
        ],
        Some(&access_token),
    );
    assert!(out.status.success(), "{}", text(&out.stdout));
    // Not an ID-JAG.
    let out = inspect(&[&access_token, "--kind", "id-jag", "--jwks", &jwks], None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("invalid ID-JAG"));
    // A tampered payload.
    let mut parts: Vec<String> = access_token.split('.').map(str::to_owned).collect();
    parts[1] = parts[1].replacen('e', "f", 1);
    let tampered = parts.join(".");
    let out = inspect(&[&tampered, "--jwks", &jwks], None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    // No keys: decoded, but not valid.
    let out = inspect(&[&access_token], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("not validated"));
}

#[test]
fn inspect_refuses_expired_and_foreign_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("k.pem");
    let out = Command::new(BIN)
        .args(["keygen", "--out"])
        .arg(&pem)
        .output()
        .unwrap();
    assert!(out.status.success());
    let jwks = dir.path().join("k.jwks.json");
    let jwk: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    std::fs::write(&jwks, serde_json::json!({ "keys": [jwk] }).to_string()).unwrap();
    let jwks = jwks.to_str().unwrap();
    let key = SigningKey::from_pkcs8_pem(&std::fs::read_to_string(&pem).unwrap()).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = |iat: u64, exp: u64| {
        serde_json::json!({
            "iss": "https://as.example.com", "sub": "alice", "aud": "https://mcp.example.com/mcp",
            "client_id": "c1", "iat": iat, "exp": exp, "jti": "j-1", "scope": "todo.read",
        })
    };
    let sign = |key: &SigningKey, claims: &serde_json::Value| {
        ema_jwt::mint::sign_jws(key, Some("at+jwt"), claims).unwrap()
    };
    let fresh = sign(&key, &claims(now - 10, now + 600));
    let out = inspect(&[&fresh, "--jwks", jwks], None);
    assert!(out.status.success(), "{}", text(&out.stdout));

    let expired = sign(&key, &claims(now - 7200, now - 3600));
    let out = inspect(&[&expired, "--jwks", jwks], None);
    assert_eq!(out.status.code(), Some(1));
    let report = text(&out.stdout);
    assert!(report.contains("invalid access token"), "{report}");
    assert!(report.contains("exp: "), "claims are still shown: {report}");

    let foreign = sign(
        &SigningKey::generate(ema_jwt::Algorithm::ES256).unwrap(),
        &claims(now - 10, now + 600),
    );
    let out = inspect(&[&foreign, "--jwks", jwks], None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));

    let out = inspect(&["not-a-jwt", "--jwks", jwks], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("invalid: not a signed JWT"));
}

//! CL-06, the interactive fallback of `ema serve`'s AS, as a browser and an MCP client drive
//! it over real HTTP on loopback (redirects followed by hand, cookies kept by hand):
//!
//! - AS metadata advertises the code flow beside the jwt-bearer grant;
//! - `/as/authorize` (public client `inspector`, PKCE, `login_hint=alice`) → the IdP →
//!   `/as/login/callback` → the consent page (client, resource, scopes) → Approve → the
//!   redirect with `code`, `state`, `iss` → the token endpoint → MCP `whoami` says `alice`,
//!   the same `sub` as the EMA flow (`ema token --login alice`) gives; the refresh token
//!   rotates;
//! - Deny → `error=access_denied`; a consent form is single use and bound to the session;
//!   the callback is bound to the browser that started the sign-in; a user the IdP refuses
//!   ends in `error=access_denied`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, ClientConfig};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use sha2::{Digest, Sha256};

const EXAMPLE: &str = include_str!("../../../examples/stack.toml");
const BIN: &str = env!("CARGO_BIN_EXE_ema");

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// `ema serve` with the example on `port`, killed on drop.
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
    async fn start(dir: &Path, port: u16) -> Self {
        let path = dir.join("stack.toml");
        std::fs::write(
            &path,
            EXAMPLE.replace("127.0.0.1:8080", &format!("127.0.0.1:{port}")),
        )
        .unwrap();
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
}

/// A browser that follows nothing by itself and keeps cookies in a map.
struct Browser {
    http: reqwest::Client,
    cookies: BTreeMap<String, String>,
}

impl Browser {
    fn new() -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: BTreeMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&mut self, response: &reqwest::Response) {
        for set in response.headers().get_all(reqwest::header::SET_COOKIE) {
            let set = set.to_str().unwrap();
            assert!(set.contains("; HttpOnly"), "{set}");
            assert!(set.contains("; SameSite=Lax"), "{set}");
            assert!(set.contains("; Path=/as;"), "{set}");
            let (name, value) = set.split(';').next().unwrap().split_once('=').unwrap();
            self.cookies.insert(name.to_owned(), value.to_owned());
        }
    }

    async fn get(&mut self, url: &str) -> reqwest::Response {
        let response = self
            .http
            .get(url)
            .header(reqwest::header::COOKIE, self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep(&response);
        response
    }

    async fn post(&mut self, url: &str, form: &[(String, String)]) -> reqwest::Response {
        let response = self
            .http
            .post(url)
            .header(reqwest::header::COOKIE, self.cookie_header())
            .header(reqwest::header::CONTENT_TYPE, FORM)
            .body(encode(form.iter().map(|(k, v)| (k.as_str(), v.as_str()))))
            .send()
            .await
            .unwrap();
        self.keep(&response);
        response
    }
}

const FORM: &str = "application/x-www-form-urlencoded";

fn encode<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn location(response: &reqwest::Response) -> String {
    assert_eq!(response.status(), 302, "{response:?}");
    response.headers()[reqwest::header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned()
}

fn query(url: &str) -> BTreeMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The `name`/`value` of every `<input type="hidden">` of the page.
fn hidden_fields(html: &str) -> Vec<(String, String)> {
    html.split("<input type=\"hidden\" ")
        .skip(1)
        .map(|rest| {
            let name = rest
                .split("name=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            let value = rest
                .split("value=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            (unescape(name), unescape(value))
        })
        .collect()
}

struct Pkce {
    verifier: String,
    challenge: String,
}

fn pkce(seed: &str) -> Pkce {
    let verifier = URL_SAFE_NO_PAD.encode(Sha256::digest(format!("verifier-{seed}").as_bytes()));
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    Pkce {
        verifier,
        challenge,
    }
}

/// The authorization request of the public client `inspector`.
fn authorize_url(base: &str, redirect_uri: &str, state: &str, pkce: &Pkce, user: &str) -> String {
    let mut url = url::Url::parse(&format!("{base}/as/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", "inspector")
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", "todo.read")
        .append_pair("state", state)
        .append_pair("code_challenge", &pkce.challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("resource", &format!("{base}/mcp"))
        .append_pair("login_hint", user);
    url.into()
}

/// From the authorization request to the consent page, through the IdP.
async fn to_consent(browser: &mut Browser, base: &str, authorize: &str) -> String {
    let to_idp = location(&browser.get(authorize).await);
    assert!(
        to_idp.starts_with(&format!("{base}/idp/authorize?")),
        "{to_idp}"
    );
    let asked = query(&to_idp);
    assert_eq!(asked["client_id"], "mcp-as");
    assert_eq!(asked["redirect_uri"], format!("{base}/as/login/callback"));
    assert_eq!(asked["login_hint"], "alice");
    assert_eq!(asked["code_challenge_method"], "S256");
    assert!(asked.contains_key("nonce") && asked.contains_key("state"));
    let callback = location(&browser.get(&to_idp).await);
    assert!(
        callback.starts_with(&format!("{base}/as/login/callback?")),
        "{callback}"
    );
    let back = location(&browser.get(&callback).await);
    assert_eq!(back, authorize, "back to the same authorization request");
    let page = browser.get(&back).await;
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    page.text().await.unwrap()
}

async fn call_whoami(url: &str, token: &str) -> serde_json::Value {
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
    let text: String = result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect();
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn cl_06_code_flow_through_the_idp_and_consent_gives_the_ema_principal() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let served = Served::start(dir.path(), port).await;
    let base = served.base.clone();

    // AS-15: the code flow beside the jwt-bearer grant.
    let metadata: serde_json::Value =
        reqwest::get(format!("{base}/.well-known/oauth-authorization-server/as"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(
        metadata["authorization_endpoint"],
        format!("{base}/as/authorize")
    );
    assert_eq!(
        metadata["response_types_supported"],
        serde_json::json!(["code"])
    );
    assert_eq!(
        metadata["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    let grants = metadata["grant_types_supported"].as_array().unwrap();
    for grant in [
        "authorization_code",
        "refresh_token",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
    ] {
        assert!(grants.iter().any(|g| g == grant), "{grant}: {metadata}");
    }
    assert!(
        metadata["authorization_grant_profiles_supported"].is_array(),
        "{metadata}"
    );
    let methods = metadata["token_endpoint_auth_methods_supported"]
        .as_array()
        .unwrap();
    assert!(
        methods.iter().any(|m| m == "none"),
        "public clients are configured"
    );

    // Approve.
    let redirect_uri = "http://127.0.0.1:61234/callback";
    let verifier = pkce("approve");
    let authorize = authorize_url(&base, redirect_uri, "st-approve", &verifier, "alice");
    let mut browser = Browser::new();
    let html = to_consent(&mut browser, &base, &authorize).await;
    assert!(
        html.contains("<strong id=\"client\">inspector</strong>"),
        "{html}"
    );
    assert!(
        html.contains(&format!("<code id=\"resource\">{base}/mcp</code>")),
        "{html}"
    );
    assert!(
        html.contains("<li class=\"scope\">todo.read</li>"),
        "{html}"
    );
    assert!(
        !html.contains("todo.write"),
        "only the requested scope: {html}"
    );
    assert!(
        html.contains("<strong id=\"user\">alice</strong>"),
        "{html}"
    );
    let mut form = hidden_fields(&html);
    assert!(form.iter().any(|(k, _)| k == "ema_consent"));
    form.push(("ema_decision".to_owned(), "approve".to_owned()));
    let back = location(&browser.post(&format!("{base}/as/authorize"), &form).await);
    assert!(back.starts_with(redirect_uri), "{back}");
    let answer = query(&back);
    assert_eq!(answer["state"], "st-approve");
    assert_eq!(answer["iss"], format!("{base}/as"));
    let code = answer["code"].clone();

    // The consent form is single use.
    let again = browser.post(&format!("{base}/as/authorize"), &form).await;
    assert_eq!(again.status(), 400);

    let http = reqwest::Client::new();
    let token_url = format!("{base}/as/token");
    let tokens: serde_json::Value = http
        .post(&token_url)
        .header(reqwest::header::CONTENT_TYPE, FORM)
        .body(encode([
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier.verifier.as_str()),
            ("client_id", "inspector"),
        ]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tokens["token_type"], "Bearer", "{tokens}\n{}", served.log());
    assert_eq!(tokens["scope"], "todo.read");
    assert_eq!(tokens["resource"], format!("{base}/mcp"));
    let access_token = tokens["access_token"].as_str().unwrap();
    let who = call_whoami(&format!("{base}/mcp"), access_token).await;
    assert_eq!(who["client_id"], "inspector");
    assert_eq!(who["scope"], "todo.read");

    // The same principal as the EMA flow (ID-JAG → jwt-bearer) gives.
    let out = Command::new(BIN)
        .args([
            "token",
            "--server",
            &format!("{base}/mcp"),
            "--idp",
            &format!("{base}/idp"),
            "--login",
            "alice",
        ])
        .env("EMA_IDP_CLIENT", "desk:desk-secret")
        .env("EMA_AS_CLIENT", "desk-at-as:as-secret")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ema: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ema_who = call_whoami(
        &format!("{base}/mcp"),
        ema["access_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(ema_who["client_id"], "desk-at-as");
    assert_eq!(who["sub"], "alice");
    assert_eq!(who["sub"], ema_who["sub"]);

    // The refresh token rotates; the used one is refused.
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let refresh_with = |token: String| {
        let http = http.clone();
        let token_url = token_url.clone();
        async move {
            http.post(&token_url)
                .header(reqwest::header::CONTENT_TYPE, FORM)
                .body(encode([
                    ("grant_type", "refresh_token"),
                    ("refresh_token", token.as_str()),
                    ("client_id", "inspector"),
                ]))
                .send()
                .await
                .unwrap()
        }
    };
    let rotated = refresh_with(refresh.to_owned()).await;
    assert_eq!(rotated.status(), 200);
    let rotated: serde_json::Value = rotated.json().await.unwrap();
    assert_ne!(rotated["refresh_token"], tokens["refresh_token"]);
    let reused = refresh_with(refresh.to_owned()).await;
    assert_eq!(reused.status(), 400);

    // Deny: the session is kept, so straight to the consent page.
    let denied_pkce = pkce("deny");
    let authorize = authorize_url(&base, redirect_uri, "st-deny", &denied_pkce, "alice");
    let page = browser.get(&authorize).await;
    assert_eq!(page.status(), 200);
    let mut form = hidden_fields(&page.text().await.unwrap());
    // A consent form posted by another browser (no session cookie) is refused.
    let mut stranger = Browser::new();
    let mut stolen = form.clone();
    stolen.push(("ema_decision".to_owned(), "approve".to_owned()));
    let refused = stranger
        .post(&format!("{base}/as/authorize"), &stolen)
        .await;
    assert_eq!(refused.status(), 400);
    // (That consumed the form: ask again.)
    let page = browser.get(&authorize).await;
    form = hidden_fields(&page.text().await.unwrap());
    form.push(("ema_decision".to_owned(), "deny".to_owned()));
    let back = location(&browser.post(&format!("{base}/as/authorize"), &form).await);
    assert!(back.starts_with(redirect_uri), "{back}");
    let answer = query(&back);
    assert_eq!(answer["error"], "access_denied");
    assert_eq!(answer["state"], "st-deny");
    assert_eq!(answer["iss"], format!("{base}/as"));
    assert!(!answer.contains_key("code"));
}

#[tokio::test]
async fn cl_06_sign_in_is_bound_to_the_browser_and_idp_refusals_end_in_access_denied() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let served = Served::start(dir.path(), port).await;
    let base = served.base.clone();
    let redirect_uri = "http://127.0.0.1:61235/callback";

    // The callback of a sign-in started by another browser is refused (login CSRF).
    let verifier = pkce("csrf");
    let authorize = authorize_url(&base, redirect_uri, "st-1", &verifier, "alice");
    let mut victim = Browser::new();
    let mut attacker = Browser::new();
    let to_idp = location(&attacker.get(&authorize).await);
    let callback = location(&attacker.get(&to_idp).await);
    let refused = victim.get(&callback).await;
    assert_eq!(refused.status(), 400);
    assert!(!victim.cookies.contains_key("ema_as_session"));

    // A user the IdP does not know: the IdP refuses, the client gets access_denied.
    let authorize = authorize_url(&base, redirect_uri, "st-2", &verifier, "mallory");
    let mut browser = Browser::new();
    let to_idp = location(&browser.get(&authorize).await);
    let callback = location(&browser.get(&to_idp).await);
    assert!(query(&callback).contains_key("error"), "{callback}");
    let back = location(&browser.get(&callback).await);
    assert_eq!(back, authorize);
    let answer = query(&location(&browser.get(&back).await));
    assert_eq!(answer["error"], "access_denied", "{}", served.log());
    assert_eq!(answer["state"], "st-2");

    // An unknown redirect URI is never redirected to.
    let evil = authorize_url(&base, "https://evil.test/cb", "st-3", &verifier, "alice");
    let page = browser.get(&evil).await;
    assert_eq!(page.status(), 400);
}

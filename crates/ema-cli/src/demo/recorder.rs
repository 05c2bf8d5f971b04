//! Records every request the demo stack answers (party, method, path, status and the key
//! facts of request and response, never a secret or a whole token) and renders them as a
//! Mermaid `sequenceDiagram`. Recorded at the server, so the diagram shows what happened.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use ema_jwt::ClaimsObject;
use ema_jwt::compact::UnverifiedJws;
use ema_types::Form;
use serde_json::Value;

use crate::inspect::MAX_TOKEN_BYTES;

/// Largest body looked at.
const MAX_BODY: usize = 1024 * 1024;
/// At most this many requests are kept.
const MAX_EVENTS: usize = 500;

/// Who answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Party {
    Idp,
    As,
    Mcp,
}

impl Party {
    fn id(self) -> &'static str {
        match self {
            Self::Idp => "IdP",
            Self::As => "AS",
            Self::Mcp => "MCP",
        }
    }

    /// From the path: the issuer paths `/idp` and `/as` and the resource path `/mcp` of the
    /// example, also when path-inserted after a well-known prefix.
    fn of(path: &str) -> Option<Self> {
        let trimmed = path
            .strip_prefix("/.well-known/oauth-authorization-server")
            .or_else(|| path.strip_prefix("/.well-known/oauth-protected-resource"))
            .unwrap_or(path);
        let first = trimmed.trim_start_matches('/').split('/').next()?;
        match first {
            "idp" => Some(Self::Idp),
            "as" => Some(Self::As),
            "mcp" => Some(Self::Mcp),
            _ => None,
        }
    }
}

/// One request/response.
#[derive(Debug, Clone)]
struct Event {
    party: Party,
    method: String,
    path: String,
    request: Vec<String>,
    status: u16,
    response: Vec<String>,
}

#[derive(Debug, Default)]
struct Inner {
    events: Vec<Event>,
    ready: bool,
}

/// The request log of the demo stack.
#[derive(Debug, Clone, Default)]
pub(crate) struct Recorder {
    inner: Arc<Mutex<Inner>>,
}

impl Recorder {
    /// `router` with every request recorded (once the stack is ready: health probes are not
    /// part of the flow).
    pub(crate) fn layer(&self, router: Router, _public_url: &str) -> Router {
        router.layer(axum::middleware::from_fn_with_state(self.clone(), record))
    }

    /// Start recording.
    pub(crate) fn mark_ready(&self) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.ready = true;
        }
    }

    /// Stop recording (the diagram shows the one-server flow, not the fan-out after it).
    pub(crate) fn stop(&self) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.ready = false;
        }
    }

    /// Requests recorded.
    pub(crate) fn len(&self) -> usize {
        self.inner.lock().map_or(0, |i| i.events.len())
    }

    fn push(&self, event: Event) {
        if let Ok(mut inner) = self.inner.lock()
            && inner.ready
            && inner.events.len() < MAX_EVENTS
        {
            inner.events.push(event);
        }
    }

    /// The Mermaid sequence diagram of the recorded requests.
    pub(crate) fn mermaid(&self) -> String {
        let events = self
            .inner
            .lock()
            .map(|i| i.events.clone())
            .unwrap_or_default();
        let mut out = String::from(
            "sequenceDiagram\n    autonumber\n    participant C as Client (ema demo)\n    participant IdP as IdP /idp\n    participant AS as Authorization server /as\n    participant MCP as MCP server /mcp\n",
        );
        for e in &events {
            let request = join(&e.request);
            let response = join(&e.response);
            out.push_str(&format!(
                "    C->>{}: {} {}{}\n",
                e.party.id(),
                e.method,
                sanitize(&e.path),
                if request.is_empty() {
                    String::new()
                } else {
                    format!(" ({request})")
                }
            ));
            out.push_str(&format!(
                "    {}-->>C: {}{}\n",
                e.party.id(),
                e.status,
                if response.is_empty() {
                    String::new()
                } else {
                    format!(" {response}")
                }
            ));
        }
        out
    }
}

fn join(notes: &[String]) -> String {
    sanitize(&notes.join(", "))
}

/// Characters Mermaid would read as syntax.
fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            ';' | '#' | '\n' | '\r' => ' ',
            '<' => '(',
            '>' => ')',
            '"' => '\'',
            c => c,
        })
        .collect()
}

async fn record(State(recorder): State<Recorder>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let Some(party) = Party::of(&path) else {
        return next.run(request).await;
    };
    let method = request.method().to_string();
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return Response::builder()
            .status(http::StatusCode::PAYLOAD_TOO_LARGE)
            .body(Body::empty())
            .unwrap_or_default();
    };
    let request_notes = request_notes(&parts, &bytes);
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let status = response.status().as_u16();
    let mut response_notes = header_notes(&response);
    let is_json = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let response = if is_json && path.ends_with("/token") {
        let (parts, body) = response.into_parts();
        match axum::body::to_bytes(body, MAX_BODY).await {
            Ok(bytes) => {
                response_notes.extend(token_response_notes(&bytes));
                Response::from_parts(parts, Body::from(bytes))
            }
            Err(_) => Response::from_parts(parts, Body::empty()),
        }
    } else {
        response
    };
    recorder.push(Event {
        party,
        method,
        path,
        request: request_notes,
        status,
        response: response_notes,
    });
    response
}

fn request_notes(parts: &http::request::Parts, body: &[u8]) -> Vec<String> {
    let mut notes = Vec::new();
    let auth = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if let Some(query) = parts.uri.query()
        && let Ok(form) = Form::decode(query.as_bytes())
    {
        if let Ok(Some(hint)) = form.optional("login_hint") {
            notes.push(format!("login_hint={hint}"));
        }
        if let Ok(Some(m)) = form.optional("code_challenge_method") {
            notes.push(format!("PKCE {m}"));
        }
    }
    let content_type = parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if content_type.starts_with("application/x-www-form-urlencoded")
        && let Ok(form) = Form::decode(body)
    {
        if let Ok(Some(grant)) = form.optional("grant_type") {
            let short = grant.rsplit(':').next().unwrap_or(grant);
            notes.push(format!("grant {short}"));
        }
        if let Ok(Some(scope)) = form.optional("scope") {
            notes.push(format!("scope={scope}"));
        }
        if auth.starts_with("Basic ") {
            notes.push("client_secret_basic".to_owned());
        } else if form.optional("client_secret").ok().flatten().is_some() {
            notes.push("client_secret_post".to_owned());
        }
    }
    if content_type.starts_with("application/json")
        && let Ok(msg) = serde_json::from_slice::<Value>(body)
        && let Some(m) = msg.get("method").and_then(Value::as_str)
    {
        match msg.pointer("/params/name").and_then(Value::as_str) {
            Some(tool) if m == "tools/call" => notes.push(format!("tools/call {tool}")),
            _ => notes.push(m.to_owned()),
        }
    }
    if parts.uri.path().ends_with("/mcp") {
        notes.push(if auth.starts_with("Bearer ") {
            "Bearer token".to_owned()
        } else {
            "no token".to_owned()
        });
    }
    notes
}

fn header_notes(response: &Response) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(challenge) = response
        .headers()
        .get(http::header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
    {
        for param in ["error", "scope"] {
            if let Some(value) = challenge_param(challenge, param) {
                notes.push(format!("{param}={value}"));
            }
        }
        if challenge.contains("resource_metadata=") {
            notes.push("resource_metadata".to_owned());
        }
    }
    if let Some(location) = response
        .headers()
        .get(http::header::LOCATION)
        .and_then(|v| v.to_str().ok())
    {
        let query = location.split_once('?').map_or("", |(_, q)| q);
        let names: Vec<&str> = query
            .split('&')
            .filter_map(|p| p.split('=').next())
            .filter(|n| matches!(*n, "code" | "state" | "iss" | "error"))
            .collect();
        notes.push(format!("redirect with {}", names.join(", ")));
    }
    notes
}

/// `name="value"` (or bare) from a `WWW-Authenticate` value; display only.
fn challenge_param(challenge: &str, name: &str) -> Option<String> {
    let at = challenge.find(&format!("{name}="))?;
    let rest = challenge.get(at + name.len() + 1..)?;
    let value = match rest.strip_prefix('"') {
        Some(quoted) => quoted.split('"').next()?,
        None => rest.split([',', ' ']).next()?,
    };
    Some(value.to_owned())
}

fn token_response_notes(body: &[u8]) -> Vec<String> {
    let Ok(Value::Object(json)) = serde_json::from_slice::<Value>(body) else {
        return Vec::new();
    };
    let mut notes = Vec::new();
    if let Some(error) = json.get("error").and_then(Value::as_str) {
        notes.push(format!("error={error}"));
    }
    for field in ["id_token", "access_token"] {
        if let Some(token) = json.get(field).and_then(Value::as_str)
            && let Ok(jws) = UnverifiedJws::decode(token, MAX_TOKEN_BYTES)
        {
            let kind = match jws.header().typ.as_deref() {
                Some(t) if t.eq_ignore_ascii_case("oauth-id-jag+jwt") => "ID-JAG",
                Some(t) if t.eq_ignore_ascii_case("at+jwt") => "access token",
                _ if field == "id_token" => "ID token",
                _ => "token",
            };
            notes.push(format!("{kind} {}", key_claims(jws.claims())));
        }
    }
    if json.contains_key("refresh_token") {
        notes.push("refresh token".to_owned());
    }
    notes
}

fn key_claims(claims: &ClaimsObject) -> String {
    ["sub", "aud", "client_id", "scope"]
        .iter()
        .filter_map(|name| {
            let value = claims.get(name)?;
            let text = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            Some(format!("{name}={text}"))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    #[test]
    fn parties_come_from_issuer_and_resource_paths() {
        assert_eq!(Party::of("/idp/token"), Some(Party::Idp));
        assert_eq!(
            Party::of("/.well-known/oauth-authorization-server/idp"),
            Some(Party::Idp)
        );
        assert_eq!(
            Party::of("/idp/.well-known/openid-configuration"),
            Some(Party::Idp)
        );
        assert_eq!(
            Party::of("/.well-known/oauth-authorization-server/as"),
            Some(Party::As)
        );
        assert_eq!(
            Party::of("/.well-known/oauth-protected-resource/mcp"),
            Some(Party::Mcp)
        );
        assert_eq!(Party::of("/mcp"), Some(Party::Mcp));
        assert_eq!(Party::of("/healthz"), None);
        assert_eq!(Party::of("/asx/token"), None);
    }

    #[test]
    fn challenge_parameters_quoted_or_bare() {
        let c =
            r#"Bearer error="insufficient_scope", scope="a b", resource_metadata="https://x/y""#;
        assert_eq!(challenge_param(c, "error").unwrap(), "insufficient_scope");
        assert_eq!(challenge_param(c, "scope").unwrap(), "a b");
        assert_eq!(
            challenge_param("Bearer error=invalid_token", "error").unwrap(),
            "invalid_token"
        );
        assert!(challenge_param(c, "realm").is_none());
    }

    #[test]
    fn diagram_text_cannot_break_mermaid() {
        assert_eq!(sanitize("a;b#c<d>\"e\"\nf"), "a b c(d)'e' f");
    }

    #[test]
    fn token_responses_show_key_claims_not_tokens() {
        let key = ema_jwt::SigningKey::generate(ema_jwt::Algorithm::ES256).unwrap();
        let claims =
            serde_json::json!({"iss": "i", "sub": "alice", "aud": "r", "scope": "s", "jti": "j"});
        let token = ema_jwt::mint::sign_jws(&key, Some("at+jwt"), &claims).unwrap();
        let body = serde_json::json!({"access_token": token, "token_type": "Bearer"}).to_string();
        let notes = token_response_notes(body.as_bytes());
        assert_eq!(notes, ["access token sub=alice aud=r scope=s"]);
        assert!(!notes.concat().contains(&token));
        let error = token_response_notes(br#"{"error":"invalid_grant"}"#);
        assert_eq!(error, ["error=invalid_grant"]);
    }
}

//! The authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3, RFC 8707, OpenID Connect Core
//! §3.1.2.1), validated in the order RFC 6749 §4.1.2.1 requires: client and redirect URI first
//! (failures are shown to the user, never redirected), everything else after (failures are
//! redirected to the validated URI).

use ema_types::{ClientId, ErrorCode, Form, Resource, ScopeSet};
use http::StatusCode;

use super::config::{AuthorizationCodeConfig, ResourceRule};
use super::pkce::{CODE_CHALLENGE_METHOD_S256, is_valid_s256_challenge};
use super::redirect::redirect_uri_matches;
use crate::client_auth::RegisteredClient;
use crate::endpoint::HttpRequest;

/// Largest `state` accepted.
pub const MAX_STATE_BYTES: usize = 1024;
/// Largest `nonce` accepted.
pub const MAX_NONCE_BYTES: usize = 512;
/// Largest `login_hint` accepted.
pub const MAX_LOGIN_HINT_BYTES: usize = 256;

/// A validated authorization request, as the [`UserAuthenticator`](super::UserAuthenticator)
/// sees it and as the code records it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthorizationRequest {
    /// The registered client.
    pub client_id: ClientId,
    /// The redirect URI, as presented (it matched a registered one).
    pub redirect_uri: String,
    /// The scopes that will be granted: those requested that the server supports and the
    /// client may have.
    pub scope: ScopeSet,
    /// `state`, returned verbatim.
    pub state: Option<String>,
    /// `nonce` (OpenID Connect), written into the ID token.
    pub nonce: Option<String>,
    /// The PKCE `S256` `code_challenge`.
    pub code_challenge: String,
    /// The resources (RFC 8707) the tokens will be for.
    pub resources: Vec<Resource>,
    /// `login_hint`.
    pub login_hint: Option<String>,
    /// `prompt` (OpenID Connect), for the authenticator.
    pub prompt: Option<String>,
    /// `max_age` (OpenID Connect), for the authenticator.
    pub max_age: Option<u64>,
}

/// Why a request was refused before its redirect URI could be trusted: shown as a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PageError {
    pub(crate) status: StatusCode,
    pub(crate) message: &'static str,
    pub(crate) log_reason: String,
}

fn page(status: StatusCode, message: &'static str, log_reason: impl Into<String>) -> PageError {
    PageError {
        status,
        message,
        log_reason: log_reason.into(),
    }
}

/// Why a request was refused after its redirect URI was validated: redirected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RedirectError {
    pub(crate) code: ErrorCode,
    pub(crate) description: &'static str,
    pub(crate) log_reason: String,
}

fn redirect_error(
    code: ErrorCode,
    description: &'static str,
    log_reason: impl Into<String>,
) -> RedirectError {
    RedirectError {
        code,
        description,
        log_reason: log_reason.into(),
    }
}

/// The parameters of a GET (query) or POST (form body) authorization request.
pub(crate) fn read_parameters(request: &HttpRequest) -> Result<Form, PageError> {
    let bytes: &[u8] = if request.method() == http::Method::GET {
        request.uri().query().unwrap_or_default().as_bytes()
    } else if request.method() == http::Method::POST {
        let media_type = request
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(str::trim);
        if !media_type.is_some_and(|m| m.eq_ignore_ascii_case(ema_types::urn::MEDIA_TYPE_FORM)) {
            return Err(page(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "invalid authorization request: unsupported media type",
                "POST authorization request is not a form",
            ));
        }
        request.body()
    } else {
        return Err(page(
            StatusCode::METHOD_NOT_ALLOWED,
            "method not allowed",
            "authorization request neither GET nor POST",
        ));
    };
    Form::decode(bytes).map_err(|e| {
        page(
            StatusCode::BAD_REQUEST,
            "invalid authorization request: malformed parameters",
            format!("authorization request parameters: {e}"),
        )
    })
}

/// Step 1 (RFC 6749 §4.1.2.1): the `client_id`, before any lookup.
pub(crate) fn client_id(form: &Form) -> Result<ClientId, PageError> {
    let raw = form
        .single("client_id")
        .map_err(|_| {
            page(
                StatusCode::BAD_REQUEST,
                "invalid authorization request: client_id",
                "client_id repeated",
            )
        })?
        .ok_or_else(|| {
            page(
                StatusCode::BAD_REQUEST,
                "invalid authorization request: client_id is missing",
                "no client_id",
            )
        })?;
    ClientId::new(raw).map_err(|_| {
        page(
            StatusCode::BAD_REQUEST,
            "invalid authorization request: unknown client",
            "client_id malformed",
        )
    })
}

/// Step 2: the redirect URI must be present and match one the client registered.
pub(crate) fn redirect_uri(form: &Form, client: &RegisteredClient) -> Result<String, PageError> {
    let bad = |reason: &str| {
        page(
            StatusCode::BAD_REQUEST,
            "invalid authorization request: redirect_uri is not registered for this client",
            reason,
        )
    };
    let presented = form
        .single("redirect_uri")
        .map_err(|_| bad("redirect_uri repeated"))?
        .ok_or_else(|| bad("no redirect_uri"))?;
    if client
        .redirect_uris
        .iter()
        .any(|registered| redirect_uri_matches(registered, presented))
    {
        Ok(presented.to_owned())
    } else {
        Err(bad("redirect_uri does not match a registered one"))
    }
}

/// `state`, when it can be returned: a repeated or oversized `state` is refused
/// (`invalid_request`) and not echoed.
pub(crate) fn state(form: &Form) -> Result<Option<String>, RedirectError> {
    let bad =
        |reason: &str| redirect_error(ErrorCode::InvalidRequest, "invalid state parameter", reason);
    match form.single("state").map_err(|_| bad("state repeated"))? {
        Some(s) if s.len() > MAX_STATE_BYTES => Err(bad("state too long")),
        Some(s) => Ok(Some(s.to_owned())),
        None => Ok(None),
    }
}

/// The rest, once the redirect URI is trusted.
pub(crate) fn validate(
    form: &Form,
    config: &AuthorizationCodeConfig,
    client: &RegisteredClient,
    redirect_uri: String,
    state: Option<String>,
) -> Result<AuthorizationRequest, RedirectError> {
    let invalid = |description: &'static str, reason: &str| {
        redirect_error(ErrorCode::InvalidRequest, description, reason)
    };
    let one = |name: &'static str| {
        form.single(name).map_err(|_| {
            redirect_error(
                ErrorCode::InvalidRequest,
                "a parameter is repeated",
                format!("{name} repeated"),
            )
        })
    };

    // response_type (RFC 6749 §4.1.1, §4.1.2.1).
    match one("response_type")? {
        None => return Err(invalid("response_type is required", "no response_type")),
        Some("code") => {}
        Some(_) => {
            return Err(redirect_error(
                ErrorCode::UnsupportedResponseType,
                "only response_type=code is supported",
                "response_type other than code",
            ));
        }
    }
    if !client.allows_grant(ema_types::urn::GRANT_TYPE_AUTHORIZATION_CODE) {
        return Err(redirect_error(
            ErrorCode::UnauthorizedClient,
            "client is not allowed the authorization code grant",
            "client not registered for authorization_code",
        ));
    }

    // PKCE S256 (RFC 7636 §4.3; CL-02): required, `plain` refused.
    match one("code_challenge_method")? {
        Some(CODE_CHALLENGE_METHOD_S256) => {}
        None => {
            return Err(invalid(
                "PKCE with code_challenge_method=S256 is required",
                "no code_challenge_method",
            ));
        }
        Some(_) => {
            return Err(invalid(
                "only code_challenge_method=S256 is supported",
                "code_challenge_method other than S256",
            ));
        }
    }
    let code_challenge = match one("code_challenge")? {
        Some(c) if is_valid_s256_challenge(c) => c.to_owned(),
        Some(_) => return Err(invalid("code_challenge is malformed", "bad code_challenge")),
        None => return Err(invalid("code_challenge is required", "no code_challenge")),
    };

    // Scope (RFC 6749 §3.3): grant what is requested, supported and allowed to the client.
    let requested = match one("scope")? {
        Some(s) => ScopeSet::parse(s).map_err(|_| {
            redirect_error(ErrorCode::InvalidScope, "scope is malformed", "bad scope")
        })?,
        None => ScopeSet::new(),
    };
    if config.require_openid && !requested.contains("openid") {
        return Err(redirect_error(
            ErrorCode::InvalidScope,
            "the openid scope is required",
            "no openid scope",
        ));
    }
    let mut scope = requested;
    if let Some(supported) = &config.scopes_supported {
        scope = scope.intersection(supported);
    }
    if let Some(allowed) = &client.scopes {
        scope = scope.intersection(allowed);
    }
    if config.require_openid && !scope.contains("openid") {
        return Err(redirect_error(
            ErrorCode::InvalidScope,
            "the openid scope may not be granted",
            "openid not grantable to this client",
        ));
    }

    // Resource (RFC 8707 §2).
    let resources = resources(form, &config.resources)?;

    let bounded = |name: &'static str, max: usize| -> Result<Option<String>, RedirectError> {
        match one(name)? {
            Some(v) if v.len() > max => Err(redirect_error(
                ErrorCode::InvalidRequest,
                "a parameter is too long",
                format!("{name} too long"),
            )),
            v => Ok(v.map(str::to_owned)),
        }
    };
    let nonce = bounded("nonce", MAX_NONCE_BYTES)?;
    let login_hint = bounded("login_hint", MAX_LOGIN_HINT_BYTES)?;
    let prompt = bounded("prompt", 64)?;
    let max_age = match one("max_age")? {
        Some(v) => Some(
            v.parse::<u64>()
                .map_err(|_| invalid("max_age is malformed", "bad max_age"))?,
        ),
        None => None,
    };
    // Responses go in the query (RFC 6749 §4.1.2); other response modes are refused rather
    // than silently ignored.
    if one("response_mode")?.is_some_and(|m| m != "query") {
        return Err(invalid(
            "only response_mode=query is supported",
            "response_mode other than query",
        ));
    }
    if one("request")?.is_some() || one("request_uri")?.is_some() {
        return Err(redirect_error(
            ErrorCode::Other("request_not_supported".to_owned()),
            "request objects are not supported",
            "request or request_uri present",
        ));
    }

    Ok(AuthorizationRequest {
        client_id: client.client_id.clone(),
        redirect_uri,
        scope,
        state,
        nonce,
        code_challenge,
        resources,
        login_hint,
        prompt,
        max_age,
    })
}

fn resources(form: &Form, rule: &ResourceRule) -> Result<Vec<Resource>, RedirectError> {
    let target = |reason: &str| {
        redirect_error(
            ErrorCode::InvalidTarget,
            "resource is not served here",
            reason,
        )
    };
    let presented: Vec<&str> = form.all("resource").collect();
    match rule {
        ResourceRule::Refused if presented.is_empty() => Ok(Vec::new()),
        ResourceRule::Refused => Err(target("resource is not accepted by this server")),
        ResourceRule::OneOf(allowed) => match presented.as_slice() {
            [] => match allowed.as_slice() {
                [only] => Ok(vec![only.clone()]),
                _ => Err(redirect_error(
                    ErrorCode::InvalidRequest,
                    "resource is required",
                    "no resource and several configured",
                )),
            },
            [one] => {
                let parsed = Resource::new(*one).map_err(|_| {
                    redirect_error(
                        ErrorCode::InvalidTarget,
                        "resource is malformed",
                        "bad resource",
                    )
                })?;
                allowed
                    .iter()
                    .find(|r| r.matches_presented(parsed.as_str()))
                    .map(|r| vec![r.clone()])
                    .ok_or_else(|| target("resource not served by this AS"))
            }
            _ => Err(target("more than one resource")),
        },
    }
}

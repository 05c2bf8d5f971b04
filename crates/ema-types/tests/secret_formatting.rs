//! Secrets never appear in `Debug` or `Display` output (hardening issue): every public type of
//! this crate that holds a token or a secret is formatted here, plain and pretty, and the output
//! is searched for the secret.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ema_types::{
    ClientAuthParams, ClientId, Form, Issuer, JwtBearerRequest, Resource, ScopeSet, Secret,
    TokenExchangeRequest, TokenExchangeResponse, TokenResponse, TokenType,
};

const SECRET: &str = "s3cr3t-VALUE-that-must-not-leak";

fn assert_hidden(what: &str, formatted: &str) {
    assert!(
        !formatted.contains(SECRET),
        "{what} leaks its secret: {formatted}"
    );
}

fn check<T: std::fmt::Debug>(what: &str, value: &T) {
    assert_hidden(what, &format!("{value:?}"));
    assert_hidden(what, &format!("{value:#?}"));
}

/// `Secret` has no `Display` at all, so it cannot end up in a message through `{}`.
#[test]
fn secret_is_redacted_in_debug() {
    let secret = Secret::new(SECRET);
    check("Secret", &secret);
    // The control: the value is still there to be exposed on purpose.
    assert_eq!(secret.expose(), SECRET);
}

#[test]
fn client_auth_params_hide_secret_and_assertion() {
    let id = ClientId::new("client").unwrap();
    check(
        "ClientAuthParams::secret_post",
        &ClientAuthParams::secret_post(id.clone(), Secret::new(SECRET)),
    );
    check(
        "ClientAuthParams::assertion",
        &ClientAuthParams::assertion(Some(id), Secret::new(SECRET)),
    );
}

#[test]
fn requests_hide_their_tokens() {
    let resource = Resource::new("https://mcp.example.com/mcp").unwrap();
    let audience = Issuer::new("https://as.example.com").unwrap();
    let exchange = TokenExchangeRequest::for_id_jag(
        Secret::new(SECRET),
        TokenType::IdToken,
        &audience,
        resource.clone(),
        Some(ScopeSet::parse("a b").unwrap()),
    );
    check("TokenExchangeRequest", &exchange);
    check(
        "JwtBearerRequest",
        &JwtBearerRequest::new(Secret::new(SECRET), resource, None),
    );
}

#[test]
fn responses_hide_their_tokens() {
    let mut response = TokenResponse::bearer(Secret::new(SECRET), 3600, ScopeSet::default());
    response.refresh_token = Some(Secret::new(SECRET));
    response.id_token = Some(Secret::new(SECRET));
    check("TokenResponse", &response);
    let mut exchanged = TokenExchangeResponse::id_jag(Secret::new(SECRET), 300, None);
    exchanged.refresh_token = Some(Secret::new(SECRET));
    check("TokenExchangeResponse", &exchanged);
}

#[test]
fn decoded_forms_print_names_only() {
    let body =
        format!("grant_type=x&client_secret={SECRET}&assertion={SECRET}&subject_token={SECRET}");
    let form = Form::decode(body.as_bytes()).unwrap();
    check("Form", &form);
}

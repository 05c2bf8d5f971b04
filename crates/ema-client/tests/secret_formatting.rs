//! Tokens, client secrets and login secrets never appear in `Debug` output of the client
//! types that hold them (hardening issue): each is formatted, plain and pretty, and searched
//! for every secret it was given.
#![cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ema_client::{
    ClientAuthMethod, ClientCredentials, IdentityProvider, OidcLogin, OidcLoginConfig,
    OidcRefreshSource, Party, RefreshMode, StaticIdToken, SubjectToken, TokenSource,
};
use ema_types::transport::{HttpRequest, HttpResponse, TransportError};
use ema_types::{ClientId, Issuer, Secret, SystemRandom};
use url::Url;

const CLIENT_SECRET: &str = "client-secret-that-must-not-leak-0123";
const ID_TOKEN: &str = "eyJhbGciOiJFUzI1NiJ9.id-token-that-must-not-leak.c2ln";
const REFRESH_TOKEN: &str = "refresh-token-that-must-not-leak-4567";

fn check<T: std::fmt::Debug>(what: &str, value: &T, secrets: &[&str]) {
    for formatted in [format!("{value:?}"), format!("{value:#?}")] {
        for secret in secrets {
            assert!(
                !formatted.contains(secret),
                "{what} leaks `{secret}`: {formatted}"
            );
        }
    }
}

async fn unreachable_http(_: HttpRequest) -> Result<HttpResponse, TransportError> {
    unreachable!("formatting sends nothing")
}

#[test]
fn credentials_tokens_and_sources_hide_their_secrets() {
    let all = [CLIENT_SECRET, ID_TOKEN, REFRESH_TOKEN];
    let id = ClientId::new("desk").unwrap();
    for method in [
        ClientAuthMethod::SecretBasic(Secret::new(CLIENT_SECRET)),
        ClientAuthMethod::SecretPost(Secret::new(CLIENT_SECRET)),
    ] {
        check("ClientAuthMethod", &method, &all);
        check(
            "ClientCredentials",
            &ClientCredentials::new(id.clone(), method),
            &all,
        );
    }
    let credentials = ClientCredentials::new(
        id.clone(),
        ClientAuthMethod::SecretBasic(Secret::new(CLIENT_SECRET)),
    );
    let issuer = Issuer::new("https://idp.example").unwrap();
    let token_endpoint = Url::parse("https://idp.example/token").unwrap();

    check(
        "SubjectToken",
        &SubjectToken::id_token(Secret::new(ID_TOKEN)),
        &all,
    );
    let static_token = StaticIdToken::new(Secret::new(ID_TOKEN));
    check("StaticIdToken", &static_token, &all);
    let party = Party::new(issuer.clone(), token_endpoint.clone(), credentials.clone());
    check("Party", &party, &all);
    let refresh =
        OidcRefreshSource::new(party, Secret::new(REFRESH_TOKEN), RefreshMode::RenewIdToken)
            .with_id_token(Secret::new(ID_TOKEN));
    check("OidcRefreshSource", &refresh, &all);

    let idp = IdentityProvider::new(issuer.clone(), credentials.clone());
    check("IdentityProvider", &idp, &all);
    let source = TokenSource::builder(unreachable_http, static_token, idp).build();
    check("TokenSource", &source, &all);

    let login = OidcLogin::new(
        OidcLoginConfig::new(
            issuer,
            Url::parse("https://idp.example/authorize").unwrap(),
            token_endpoint,
            id,
            "http://127.0.0.1:53100/callback",
        )
        .with_credentials(credentials),
    );
    check("OidcLogin", &login, &all);
    let (url, pending) = login.begin(&SystemRandom).unwrap();
    // The state is in the authorization URL (it is sent), but the PKCE verifier and the
    // pending login's secrets are never printed.
    let state = pending.state().expose().to_owned();
    assert!(url.as_str().contains(&state));
    check("PendingLogin", &pending, &[state.as_str()]);
}

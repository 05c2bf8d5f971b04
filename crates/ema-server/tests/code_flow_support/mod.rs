//! What the authorization-code tests share (the IdP's OpenID Connect login and the resource
//! AS's code flow, both on the generic `authorization_code` machinery): form bodies,
//! authorization requests with overrides, the redirect's query, token requests with
//! `client_secret_basic`, and the `invalid_grant` check. Needs `mod http_support` beside it.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::net::SocketAddr;

use ema_types::{ClientId, Secret, basic_auth};

use super::http_support::{Reply, send};

/// A loopback listener on a free port, its address and the `http://` issuer URL naming it.
pub async fn bind_loopback() -> (tokio::net::TcpListener, SocketAddr, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr, format!("http://{addr}"))
}

/// `application/x-www-form-urlencoded` `pairs`.
pub fn enc(pairs: &[(&str, &str)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// `params` (a good authorization request) with `overrides` replacing (or, with an empty
/// value, removing) some, encoded as a query.
pub fn with_overrides<'a>(
    mut params: Vec<(&'a str, String)>,
    overrides: &[(&'a str, &str)],
) -> String {
    for (name, value) in overrides {
        params.retain(|(n, _)| n != name);
        if !value.is_empty() {
            params.push((name, (*value).to_owned()));
        }
    }
    let pairs: Vec<(&str, &str)> = params.iter().map(|(n, v)| (*n, v.as_str())).collect();
    enc(&pairs)
}

/// The redirect's query parameters (the response must be a 302 to `prefix`, not cached).
pub fn redirect_query(reply: &Reply, prefix: &str) -> HashMap<String, String> {
    assert_eq!(reply.status, 302, "{}", reply.body);
    let location = reply.header("location").unwrap();
    assert!(location.starts_with(prefix), "{location}");
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let query = location.split_once('?').unwrap().1;
    url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

/// `POST /token` with `body`, `client` authenticated with `client_secret_basic`.
pub async fn token_request(
    addr: SocketAddr,
    client: &str,
    secret: &str,
    body: &[(&str, &str)],
) -> Reply {
    let basic = basic_auth::encode(&ClientId::new(client).unwrap(), &Secret::new(secret));
    send(
        addr,
        "POST",
        "/token",
        [
            "Content-Type: application/x-www-form-urlencoded".to_owned(),
            format!("Authorization: {basic}"),
        ],
        enc(body),
    )
    .await
}

/// The `authorization_code` grant's form for `code`.
pub fn redeem_form<'a>(
    code: &'a str,
    redirect_uri: &'a str,
    verifier: &'a str,
) -> [(&'a str, &'a str); 4] {
    [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("code_verifier", verifier),
    ]
}

/// A token-endpoint `invalid_grant` refusal, not cached.
pub fn assert_invalid_grant(reply: &Reply) {
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert_eq!(reply.json()["error"], "invalid_grant");
    assert_eq!(reply.header("cache-control"), Some("no-store"));
}

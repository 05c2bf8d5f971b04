//! Client secrets and private keys never appear in `Debug` output of the server types that
//! hold them (hardening issue): each is formatted, plain and pretty, and searched for the
//! secret and for the private scalar of the signing key.
#![cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Arc;

use ema_jwt::{Algorithm, SigningKey};
use ema_server::client_auth::{ClientAuthContext, RegisteredClient, StaticClientRegistry};
use ema_server::idp::oidc::OidcProvider;
use ema_server::replay::MemoryReplayStore;
use ema_server::signing::SigningKeys;
use ema_types::{ClientId, FixedClock, Issuer, Secret};

const SECRET: &str = "client-secret-that-must-not-leak-0123";

/// The private scalar of a P-256 PKCS#8 document (after `02 01 01 04 20`), as hex.
fn scalar_hex(key: &SigningKey) -> String {
    let der = key.to_pkcs8_der().unwrap();
    let marker = [0x02, 0x01, 0x01, 0x04, 0x20];
    let at = der.windows(5).position(|w| w == marker).unwrap() + 5;
    der[at..at + 32]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The forms a leaked scalar could take: hex, and the decimal byte list of a `Vec<u8>`.
fn scalar_forms(key: &SigningKey) -> Vec<String> {
    let hex = scalar_hex(key);
    let bytes: Vec<String> = (0..8)
        .map(|i| {
            u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)
                .unwrap()
                .to_string()
        })
        .collect();
    vec![hex[..16].to_owned(), bytes.join(", ")]
}

fn check<T: std::fmt::Debug>(what: &str, value: &T, secrets: &[String]) {
    for formatted in [format!("{value:?}"), format!("{value:#?}")] {
        for secret in secrets {
            assert!(
                !formatted.contains(secret.as_str()),
                "{what} leaks `{secret}`: {formatted}"
            );
        }
    }
}

#[test]
fn registries_signing_keys_and_providers_hide_their_secrets() {
    let key = SigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid("k1");
    let mut secrets = scalar_forms(&key);
    secrets.push(SECRET.to_owned());

    let client = RegisteredClient::confidential(ClientId::new("desk").unwrap())
        .with_secret(Secret::new(SECRET))
        .with_redirect_uri("http://127.0.0.1/callback");
    // The control: the secret is in the record, only hidden from `Debug`.
    assert_eq!(client.secret.as_ref().unwrap().expose(), SECRET);
    check("RegisteredClient", &client, &secrets);

    let registry = Arc::new(StaticClientRegistry::new().with_client(client));
    check("StaticClientRegistry", &registry, &secrets);

    let signing = SigningKeys::new(key);
    check("SigningKeys", &signing, &secrets);

    let issuer = Issuer::new("https://idp.example").unwrap();
    let clock = Arc::new(FixedClock::new(1_793_000_000));
    let context =
        ClientAuthContext::new(issuer.clone(), Arc::new(MemoryReplayStore::new(16)), clock);
    check("ClientAuthContext", &context, &secrets);
    let provider = OidcProvider::builder(issuer, signing, registry, context)
        .build()
        .unwrap();
    check("OidcProvider", &provider, &secrets);
}

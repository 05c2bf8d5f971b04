//! Private keys and minted tokens never appear in `Debug` output (hardening issue): every
//! public type of this crate that holds a private key or a credential is formatted, plain and
//! pretty, and searched for the key's secret scalar (hex, base64url, base64 and the decimal
//! byte list `Debug` of a `Vec<u8>` would print) and for the token.
#![cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ema_jwt::mint::{ClientAssertionMinter, DpopProofMinter, IdJagGrant, IdJagMinter};
use ema_jwt::{Algorithm, SigningKey};
use ema_types::{ClientId, FixedClock, Issuer, SystemRandom};

/// The forms a leaked 32-byte private scalar could take in formatted output.
fn leak_patterns(d: &[u8]) -> Vec<String> {
    let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
    let decimal = d[..8]
        .iter()
        .map(u8::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    vec![
        hex[..16].to_owned(),
        URL_SAFE_NO_PAD.encode(d)[..12].to_owned(),
        STANDARD.encode(d)[..12].to_owned(),
        decimal,
    ]
}

/// The private scalar `d` of a P-256 PKCS#8 document: the OCTET STRING after the
/// `ECPrivateKey` version (`02 01 01 04 20`).
fn p256_scalar(der: &[u8]) -> Vec<u8> {
    let marker = [0x02, 0x01, 0x01, 0x04, 0x20];
    let at = der
        .windows(marker.len())
        .position(|w| w == marker)
        .expect("ECPrivateKey in the PKCS#8 document")
        + marker.len();
    der[at..at + 32].to_vec()
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
fn signing_keys_and_minters_hide_the_private_key() {
    let key = SigningKey::generate(Algorithm::ES256).unwrap();
    let der = key.to_pkcs8_der().unwrap();
    let pem = key.to_pkcs8_pem().unwrap();
    let mut secrets = leak_patterns(&p256_scalar(&der));
    // Any line of the PEM body.
    secrets.extend(
        pem.lines()
            .filter(|l| !l.starts_with("-----"))
            .map(|l| l[..l.len().min(24)].to_owned()),
    );
    // The control: the scalar is found where it is exposed on purpose.
    assert!(pem.contains(secrets.last().unwrap().as_str()));

    check("SigningKey", &key, &secrets);
    let issuer = Issuer::new("https://idp.example").unwrap();
    check(
        "IdJagMinter",
        &IdJagMinter::new(issuer.clone(), key.clone()),
        &secrets,
    );
    check(
        "ClientAssertionMinter",
        &ClientAssertionMinter::new(ClientId::new("c").unwrap(), key.clone()),
        &secrets,
    );
    check("DpopProofMinter", &DpopProofMinter::new(key), &secrets);
}

#[test]
fn minted_tokens_are_redacted() {
    let key = SigningKey::generate(Algorithm::ES256).unwrap();
    let minter = IdJagMinter::new(Issuer::new("https://idp.example").unwrap(), key);
    let grant = IdJagGrant::new(
        "alice",
        Issuer::new("https://as.example").unwrap(),
        ClientId::new("c").unwrap(),
    );
    let minted = minter
        .mint(grant, &FixedClock::new(1_793_000_000), &SystemRandom)
        .unwrap();
    let token = minted.token.expose().to_owned();
    // Each of the three segments, so a partial print is caught too.
    let segments: Vec<String> = token.split('.').map(str::to_owned).collect();
    assert_eq!(segments.len(), 3);
    check("Minted<IdJagClaims>", &minted, &segments);
}

//! Mint an ID-JAG as an enterprise IdP would, print it, and verify it as the MCP server's
//! authorization server would — then show the verifier refusing three classic attacks.
//!
//! Run: `cargo run -p ema-jwt --example id_jag`

use std::error::Error;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use ema_jwt::mint::{IdJagGrant, IdJagMinter};
use ema_jwt::verify::{IdJagVerifier, TrustAnchor};
use ema_jwt::{Algorithm, KeySet, SigningKey};
use ema_types::{ClientId, Clock, Issuer, Resource, SystemClock, SystemRandom};

fn main() -> Result<(), Box<dyn Error>> {
    let idp = Issuer::new("https://login.acme-idp.test")?;
    let as_issuer = Issuer::new("https://as.toolhub.test")?;
    let mcp = Resource::new("https://tools.toolhub.test/mcp")?;
    let clock = SystemClock;

    // The IdP's signing key; its public half is what the IdP publishes at its jwks_uri.
    let idp_key = SigningKey::generate(Algorithm::ES256)?.with_kid("idp-2026");
    let published = KeySet::from_keys(vec![idp_key.verifying_key().clone()]);
    println!(
        "IdP JWKS:\n{}\n",
        serde_json::to_string_pretty(&published.to_jwks())?
    );

    // 1. The IdP mints an ID-JAG for alice, for client cli_42b19c at the AS (IDP-15).
    let grant = IdJagGrant::new(
        "00u8k2p9xq",
        as_issuer.clone(),
        ClientId::new("cli_42b19c")?,
    )
    .with_resource(mcp.clone())
    .with_scope("tickets:read".parse()?);
    let minted = IdJagMinter::new(idp.clone(), idp_key).mint(grant, &clock, &SystemRandom)?;
    let token = minted.token.expose();
    println!("ID-JAG ({} bytes):\n{token}\n", token.len());
    println!(
        "claims:\n{}\n",
        serde_json::to_string_pretty(&minted.claims)?
    );

    // 2. The resource AS verifies it (§6 steps 4-16).
    let verifier = IdJagVerifier::new(as_issuer, [mcp]);
    let anchor = TrustAnchor::new(idp.as_str(), &published, &[Algorithm::ES256]);
    let claims = verifier.verify(verifier.decode(token)?, &anchor, "cli_42b19c", &clock)?;
    println!(
        "verified: sub={} client_id={} scope={} expires in {}s\n",
        claims.sub,
        claims.client_id,
        claims.scope.map(|s| s.to_string()).unwrap_or_default(),
        claims.exp.saturating_sub(clock.now_unix())
    );

    // 3. What the verifier refuses, each with its precise reason (the wire says invalid_grant).
    let wrong_client = verifier
        .decode(token)
        .and_then(|t| verifier.verify(t, &anchor, "another-client", &clock));
    report("presented by another client", wrong_client.map(|_| ()));

    // Rewrite the subject and keep the IdP's signature.
    let mut forged = minted.claims.clone();
    forged.sub = "admin".into();
    let mut parts = token.split('.');
    let (header, signature) = (
        parts.next().unwrap_or_default(),
        parts.nth(1).unwrap_or_default(),
    );
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged)?);
    let tampered = format!("{header}.{payload}.{signature}");
    let tampered_result = verifier
        .decode(&tampered)
        .and_then(|t| verifier.verify(t, &anchor, "cli_42b19c", &clock));
    report("subject rewritten to admin", tampered_result.map(|_| ()));

    let none = format!(
        "eyJhbGciOiJub25lIiwidHlwIjoib2F1dGgtaWQtamFnK2p3dCJ9.{}.",
        token.split('.').nth(1).unwrap_or_default()
    );
    report("alg: none", verifier.decode(&none).map(|_| ()));
    Ok(())
}

fn report(attack: &str, result: Result<(), ema_jwt::Error>) {
    match result {
        Ok(()) => println!("UNEXPECTED: {attack} was accepted"),
        Err(e) => println!(
            "refused ({attack}): {} -> {}",
            e.kind(),
            e.oauth_error_code()
        ),
    }
}

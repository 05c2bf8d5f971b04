//! The full ID-JAG verifier (§6 steps 4-16) on structure-aware mutations of a valid ID-JAG.
//!
//! A valid ID-JAG is minted once from the fixed Ed25519 key; each input edits its header and
//! claims, re-signs (or not) and re-encodes it. Whatever is accepted must be what the key
//! signed, canonically encoded, with `typ` `oauth-id-jag+jwt`, `iss` the IdP, a single `aud`
//! the AS, `client_id` the authenticated client, unexpired at the fixed clock, a lifetime of
//! at most 600 s, and only the served resource; the unmutated token must be accepted.
#![no_main]

use std::sync::OnceLock;

use ema_fuzz::*;
use ema_jwt::mint::{IdJagGrant, IdJagMinter};
use ema_jwt::verify::{IdJagVerifier, TrustAnchor};
use ema_jwt::{Algorithm, typ};
use ema_types::{ClientId, Clock, Issuer, Resource, urn};
use libfuzzer_sys::fuzz_target;

const SKEW: u64 = 60;
const TTL: u64 = 300;

fn valid() -> &'static str {
    static TOKEN: OnceLock<String> = OnceLock::new();
    TOKEN.get_or_init(|| {
        let grant = IdJagGrant::new(
            SUBJECT,
            Issuer::new(AS).expect("AS"),
            ClientId::new(CLIENT).expect("client"),
        )
        .with_resource(Resource::new(MCP).expect("resource"))
        .with_scope(SCOPE.parse().expect("scope"));
        let minter = IdJagMinter::new(Issuer::new(IDP).expect("IdP"), fixture().signing.clone());
        let minted = minter
            .mint(grant, &mint_clock(), &FixedRandom)
            .expect("mint");
        minted.token.expose().to_owned()
    })
}

fuzz_target!(|m: TokenMutation| {
    let f = fixture();
    let mutated = mutate(valid(), &m);
    let verifier = IdJagVerifier::new(
        Issuer::new(AS).expect("AS"),
        [Resource::new(MCP).expect("resource")],
    );
    let anchor = TrustAnchor::new(IDP, &f.keys, &[Algorithm::EdDSA, Algorithm::ES256]);
    let clock = m.clock();
    let now = clock.now_unix();
    let result = verifier
        .decode(&mutated.token)
        .and_then(|jws| verifier.verify(jws, &anchor, CLIENT, &clock));
    if m.is_identity() && now < NOW + TTL + SKEW && now + SKEW >= NOW {
        assert!(result.is_ok(), "the valid ID-JAG was refused: {result:?}");
    }
    let Ok(typed) = result else {
        return;
    };
    assert_accepted_common(&mutated);
    let h = &mutated.header;
    let c = &mutated.claims;
    let t = claim_str(h, "typ").expect("accepted without typ");
    assert!(typ::matches(t, urn::JOSE_TYPE_ID_JAG), "accepted typ {t:?}");
    assert_eq!(claim_str(c, "iss"), Some(IDP));
    assert_eq!(claim_strings(c, "aud"), [AS], "accepted another audience");
    assert_eq!(claim_str(c, "client_id"), Some(CLIENT));
    assert_string_claims(c, &[("sub", true), ("jti", true), ("acr", false)]);
    assert_times(c, now, SKEW, true);
    let (iat, exp) = (claim_time(c, "iat"), claim_time(c, "exp"));
    assert!(
        exp.zip(iat).is_some_and(|(e, i)| e >= i && e - i <= 600),
        "accepted a lifetime over 600 s"
    );
    let resources = claim_strings(c, "resource");
    assert!(!resources.is_empty(), "accepted without resource");
    let served = Resource::new(MCP).expect("resource");
    assert!(resources.iter().all(|r| served.matches_presented(r)));
    assert_eq!(typed.iss, IDP);
    assert_eq!(typed.client_id, CLIENT);
    assert_eq!(Some(typed.exp), exp);
    assert_eq!(typed.sub.as_str(), claim_str(c, "sub").unwrap_or_default());
});

//! The RFC 9068 access-token verifier (RS-03, RS-07) on structure-aware mutations of a valid
//! access token.
//!
//! Whatever is accepted must be what the fixed key signed, canonically encoded, with `typ`
//! `at+jwt`, `iss` the AS, an `aud` naming the resource, the required claims, and unexpired at
//! the fixed clock; the unmutated token must be accepted.
#![no_main]

use std::sync::OnceLock;

use ema_fuzz::*;
use ema_jwt::mint::{AccessTokenGrant, AccessTokenMinter};
use ema_jwt::verify::AccessTokenVerifier;
use ema_jwt::{Algorithm, typ};
use ema_types::{ClientId, Clock, Issuer, Resource, urn};
use libfuzzer_sys::fuzz_target;

const SKEW: u64 = 60;
const TTL: u64 = 3600;

fn valid() -> &'static str {
    static TOKEN: OnceLock<String> = OnceLock::new();
    TOKEN.get_or_init(|| {
        let grant = AccessTokenGrant::new(
            SUBJECT,
            Resource::new(MCP).expect("resource"),
            ClientId::new(CLIENT).expect("client"),
            SCOPE.parse().expect("scope"),
        );
        let minter =
            AccessTokenMinter::new(Issuer::new(AS).expect("AS"), fixture().signing.clone());
        let minted = minter
            .mint(grant, &mint_clock(), &FixedRandom)
            .expect("mint");
        minted.token.expose().to_owned()
    })
}

fuzz_target!(|m: TokenMutation| {
    let f = fixture();
    let mutated = mutate(valid(), &m);
    let served = Resource::new(MCP).expect("resource");
    let verifier = AccessTokenVerifier::new(Issuer::new(AS).expect("AS"), served.clone());
    let clock = m.clock();
    let now = clock.now_unix();
    let result = verifier.verify(
        &mutated.token,
        &f.keys,
        &[Algorithm::EdDSA, Algorithm::ES256],
        &clock,
    );
    if m.is_identity() && now < NOW + TTL + SKEW && now + SKEW >= NOW {
        assert!(
            result.is_ok(),
            "the valid access token was refused: {result:?}"
        );
    }
    let Ok(typed) = result else {
        return;
    };
    assert_accepted_common(&mutated);
    let h = &mutated.header;
    let c = &mutated.claims;
    let t = claim_str(h, "typ").expect("accepted without typ");
    assert!(
        typ::matches(t, urn::JOSE_TYPE_ACCESS_TOKEN),
        "accepted typ {t:?}"
    );
    assert_eq!(claim_str(c, "iss"), Some(AS));
    assert!(
        claim_strings(c, "aud")
            .iter()
            .any(|a| served.matches_presented(a)),
        "accepted an audience not naming the resource"
    );
    assert_string_claims(c, &[("sub", true), ("client_id", true), ("jti", true)]);
    assert_times(c, now, SKEW, true);
    assert_eq!(typed.iss, AS);
    assert_eq!(Some(typed.exp), claim_time(c, "exp"));
    assert_eq!(Some(typed.client_id.as_str()), claim_str(c, "client_id"));
});

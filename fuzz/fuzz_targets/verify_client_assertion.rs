//! The `private_key_jwt` client-assertion verifier (JWT-10) on structure-aware mutations of a
//! valid assertion.
//!
//! Whatever is accepted must be what the fixed key signed, canonically encoded, with `typ`
//! absent, `client-authentication+jwt` or `jwt`, `iss` = `sub` = the client, a single `aud`
//! that is the AS issuer (or its token endpoint, accepted here), unexpired at the fixed clock,
//! `exp` at most 300 s (+ skew) ahead; the unmutated assertion must be accepted.
#![no_main]

use std::sync::OnceLock;

use ema_fuzz::*;
use ema_jwt::mint::ClientAssertionMinter;
use ema_jwt::verify::{ClientAssertionVerifier, JOSE_TYPE_CLIENT_AUTHENTICATION, TrustAnchor};
use ema_jwt::{Algorithm, typ};
use ema_types::{ClientId, Clock, Issuer};
use libfuzzer_sys::fuzz_target;

const SKEW: u64 = 60;
const TTL: u64 = 60;
const MAX_LIFETIME: u64 = 300;

fn valid() -> &'static str {
    static TOKEN: OnceLock<String> = OnceLock::new();
    TOKEN.get_or_init(|| {
        let minter = ClientAssertionMinter::new(
            ClientId::new(CLIENT).expect("client"),
            fixture().signing.clone(),
        );
        let minted = minter
            .mint(&Issuer::new(AS).expect("AS"), &mint_clock(), &FixedRandom)
            .expect("mint");
        minted.token.expose().to_owned()
    })
}

fuzz_target!(|m: TokenMutation| {
    let f = fixture();
    let mutated = mutate(valid(), &m);
    let verifier = ClientAssertionVerifier::new(Issuer::new(AS).expect("AS"))
        .accept_token_endpoint_audience(TOKEN_ENDPOINT);
    let anchor = TrustAnchor::new(CLIENT, &f.keys, &[Algorithm::EdDSA, Algorithm::ES256]);
    let clock = m.clock();
    let now = clock.now_unix();
    let result = verifier
        .decode(&mutated.token)
        .and_then(|jws| verifier.verify(jws, &anchor, &clock));
    if m.is_identity() && now < NOW + TTL + SKEW && now + SKEW >= NOW {
        assert!(
            result.is_ok(),
            "the valid client assertion was refused: {result:?}"
        );
    }
    let Ok(typed) = result else {
        return;
    };
    assert_accepted_common(&mutated);
    let h = &mutated.header;
    let c = &mutated.claims;
    if h.contains_key("typ") {
        let t = claim_str(h, "typ").expect("accepted a non-string typ");
        assert!(
            typ::matches(t, JOSE_TYPE_CLIENT_AUTHENTICATION) || typ::matches(t, "jwt"),
            "accepted typ {t:?}"
        );
    }
    assert_eq!(claim_str(c, "iss"), Some(CLIENT));
    assert_eq!(claim_str(c, "sub"), Some(CLIENT));
    let aud = claim_strings(c, "aud");
    assert!(
        aud == [AS] || aud == [TOKEN_ENDPOINT],
        "accepted audience {aud:?}"
    );
    assert_string_claims(c, &[("jti", true)]);
    assert_times(c, now, SKEW, false);
    let exp = claim_time(c, "exp").unwrap_or_default();
    assert!(
        exp.saturating_sub(now) <= MAX_LIFETIME + SKEW,
        "accepted an assertion expiring too far ahead"
    );
    if let Some(iat) = claim_time(c, "iat") {
        assert!(
            exp >= iat && exp - iat <= MAX_LIFETIME,
            "accepted a lifetime over 300 s"
        );
    }
    assert_eq!(typed.iss, CLIENT);
    assert_eq!(typed.exp, exp);
});

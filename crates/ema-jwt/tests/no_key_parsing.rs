//! Nothing on a verification path parses a key (issue: "Nothing on a request path parses a
//! key, a PEM or a JWK"), checked by counting: an instrumented global allocator counts the heap
//! allocations of each ID-JAG and access-token verification with a pre-built [`KeySet`].
//!
//! Building a key from its JWK allocates (base64 decoding of the members, the point or the
//! DER, the thumbprint); a verification that parsed its key would therefore allocate at least
//! that much more every time. The test asserts that every verification allocates the same,
//! small amount — the first and the thousandth token alike — and less than one key parse.
//! (Key parsing inside AWS-LC's C code is not seen by Rust's allocator; the profile in
//! `docs/benchmarks.md` shows no key decoding below the verify call either.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
#![cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]

use std::alloc::System;

use ema_jwt::mint::{AccessTokenGrant, AccessTokenMinter, IdJagGrant, IdJagMinter};
use ema_jwt::verify::{AccessTokenVerifier, IdJagVerifier, TrustAnchor};
use ema_jwt::{Algorithm, KeySet, SigningKey, VerifyingKey};
use ema_types::{ClientId, FixedClock, Issuer, Resource, ScopeSet, SystemRandom};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const NOW: u64 = 1_793_000_000;

/// Heap allocations and bytes of one call of `f`.
fn counted<T>(f: impl FnOnce() -> T) -> (usize, usize, T) {
    let region = Region::new(GLOBAL);
    let out = f();
    let stats = region.change();
    (
        stats.allocations + stats.reallocations,
        stats.bytes_allocated,
        out,
    )
}

// One test in this binary, so no other test allocates while it counts.
#[test]
fn jwt_verification_with_a_prebuilt_key_set_never_parses_a_key() {
    let clock = FixedClock::new(NOW);
    let idp = Issuer::new("https://login.acme-idp.test").unwrap();
    let as_issuer = Issuer::new("https://as.toolhub.test").unwrap();
    let mcp = Resource::new("https://tools.toolhub.test/mcp").unwrap();
    let idp_key = SigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid("idp-1");
    let jwk = idp_key.verifying_key().to_jwk();
    let (parse_allocs, parse_bytes, parsed) = counted(|| VerifyingKey::from_jwk(&jwk).unwrap());
    let keys = KeySet::from_keys(vec![parsed]);

    let minter = IdJagMinter::new(idp.clone(), idp_key);
    let grant = IdJagGrant::new(
        "00u8k2p9xq",
        as_issuer.clone(),
        ClientId::new("cli").unwrap(),
    )
    .with_resource(mcp.clone())
    .with_scope(ScopeSet::parse("tickets:read").unwrap());
    let tokens: Vec<String> = (0..1000)
        .map(|_| {
            let minted = minter.mint(grant.clone(), &clock, &SystemRandom).unwrap();
            minted.token.expose().to_owned()
        })
        .collect();
    let verifier = IdJagVerifier::new(as_issuer.clone(), [mcp.clone()]);
    let algs = [Algorithm::ES256];
    let anchor = TrustAnchor::new(idp.as_str(), &keys, &algs);
    let per_verify: Vec<(usize, usize)> = tokens
        .iter()
        .map(|t| {
            let (allocs, bytes, claims) = counted(|| {
                verifier
                    .verify(verifier.decode(t).unwrap(), &anchor, "cli", &clock)
                    .unwrap()
            });
            drop(claims);
            (allocs, bytes)
        })
        .collect();
    let first = per_verify[0];
    // The same count for every token (the jti differs, so bytes may differ by a few).
    assert!(
        per_verify.iter().all(|&(a, _)| a == first.0),
        "{per_verify:?}"
    );
    let max_bytes = per_verify.iter().map(|&(_, b)| b).max().unwrap();
    let min_bytes = per_verify.iter().map(|&(_, b)| b).min().unwrap();
    assert!(max_bytes - min_bytes <= 64, "{min_bytes}..{max_bytes}");
    // A verification allocates for the token's own JSON (header, claims, owned strings),
    // and never the cost of a key parse on top of it.
    assert!(parse_allocs > 0);
    assert!(
        first.0 < 64 && max_bytes < 8 * 1024,
        "{first:?} per verification (a key parse is {parse_allocs} allocations, {parse_bytes} B)"
    );

    // The resource server's access-token path likewise.
    let as_key = SigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid("as-1");
    let as_keys = KeySet::from_keys(vec![as_key.verifying_key().clone()]);
    let at_minter = AccessTokenMinter::new(as_issuer.clone(), as_key);
    let at_grant = AccessTokenGrant::new(
        "00u8k2p9xq",
        mcp.clone(),
        ClientId::new("cli").unwrap(),
        ScopeSet::parse("tickets:read").unwrap(),
    );
    let at_verifier = AccessTokenVerifier::new(as_issuer, mcp);
    let counts: Vec<usize> = (0..100)
        .map(|_| {
            let token = at_minter
                .mint(at_grant.clone(), &clock, &SystemRandom)
                .unwrap()
                .token;
            let (allocs, _, claims) = counted(|| {
                at_verifier
                    .verify(token.expose(), &as_keys, &algs, &clock)
                    .unwrap()
            });
            drop(claims);
            allocs
        })
        .collect();
    assert!(
        counts.iter().all(|&c| c == counts[0] && c < 64),
        "{counts:?}"
    );
}

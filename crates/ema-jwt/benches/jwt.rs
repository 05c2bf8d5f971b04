//! Token benchmarks of ema-jwt against the raw signature operations of the compiled-in backend
//! (`bash bench/run.sh` runs them on both backends and prints the ratios).
//!
//! Every benchmark id starts with the backend name (`aws-lc-rs/…`, `rust-crypto/…`), so one
//! run of each backend keeps its own results.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use ema_jwt::mint::{AccessTokenGrant, AccessTokenMinter, IdJagGrant, IdJagMinter};
use ema_jwt::verify::{AccessTokenVerifier, IdJagVerifier, TrustAnchor};
use ema_jwt::{Algorithm, BACKEND, Jwk, KeySet, SigningKey, VerifyingKey};
use ema_types::{ClientId, FixedClock, Issuer, Resource, ScopeSet, SystemRandom};
use serde_json::{Value, json};

const NOW: u64 = 1_793_000_000;
const IDP: &str = "https://login.acme-idp.test";
const AS: &str = "https://as.toolhub.test";
const MCP: &str = "https://tools.toolhub.test/mcp";
const CLIENT: &str = "cli_42b19c";
const VECTORS: &str = include_str!("../tests/data/vectors.json");
const RSA_PEM: &str = include_str!("../tests/data/rsa2048-test-key.pem");
/// Distinct ES256 tokens the verification benchmarks cycle through.
const SIGNATURES: usize = 64;

fn vectors() -> Value {
    serde_json::from_str(VECTORS).unwrap()
}

fn b64d(s: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(s).unwrap()
}

/// The committed RSA test key (PKCS#1 DER) and its public JWK pinned to RS256.
fn rsa_test_key() -> (Vec<u8>, Jwk) {
    let (_, doc) = pkcs8::SecretDocument::from_pem(RSA_PEM).unwrap();
    let der = pkcs8::PrivateKeyInfo::try_from(doc.as_bytes())
        .unwrap()
        .private_key
        .to_vec();
    let v = vectors();
    let mut jwk: Jwk = serde_json::from_value(v["rsa_jwk"].clone()).unwrap();
    jwk.alg = Some("RS256".to_owned());
    (der, jwk)
}

/// An ID-JAG payload valid at `NOW`.
fn id_jag_claims() -> Value {
    json!({
        "iss": IDP, "sub": "00u8k2p9xq", "aud": AS, "client_id": CLIENT,
        "resource": MCP, "scope": "tickets:read", "jti": "8f3c1b0e-bench",
        "iat": NOW, "exp": NOW + 300,
    })
}

fn rs256_id_jag(pkcs1_der: &[u8]) -> String {
    let header = json!({"alg": "RS256", "typ": "oauth-id-jag+jwt", "kid": "rsa-test"});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).unwrap()),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&id_jag_claims()).unwrap())
    );
    let key = jsonwebtoken::EncodingKey::from_rsa_der(pkcs1_der);
    let sig =
        jsonwebtoken::crypto::sign(input.as_bytes(), &key, jsonwebtoken::Algorithm::RS256).unwrap();
    format!("{input}.{sig}")
}

/// The raw operations of the backend, keys parsed once, as the baseline of every ratio.
#[cfg(feature = "aws-lc-rs")]
mod raw {
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair as _, ParsedPublicKey, RsaKeyPair};

    pub(crate) struct Es256 {
        key: EcdsaKeyPair,
        public: ParsedPublicKey,
        rng: SystemRandom,
    }

    impl Es256 {
        pub(crate) fn new(pkcs8: &[u8]) -> Self {
            let key = EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8)
                .unwrap();
            let public = ParsedPublicKey::new(
                &signature::ECDSA_P256_SHA256_FIXED,
                key.public_key().as_ref(),
            )
            .unwrap();
            Self {
                key,
                public,
                rng: SystemRandom::new(),
            }
        }
        pub(crate) fn sign(&self, msg: &[u8]) -> Vec<u8> {
            self.key.sign(&self.rng, msg).unwrap().as_ref().to_vec()
        }
        pub(crate) fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
            self.public.verify_sig(msg, sig).is_ok()
        }
    }

    pub(crate) struct Rs256(ParsedPublicKey);

    impl Rs256 {
        pub(crate) fn new(pkcs1_der: &[u8]) -> Self {
            let pair = RsaKeyPair::from_der(pkcs1_der).unwrap();
            let der = pair.public_key().as_ref().to_vec();
            Self(ParsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, der).unwrap())
        }
        pub(crate) fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
            self.0.verify_sig(msg, sig).is_ok()
        }
    }
}

/// The raw operations of the backend, keys parsed once, as the baseline of every ratio.
#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
mod raw {
    use p256::ecdsa::signature::{Signer as _, Verifier as _};
    use p256::pkcs8::DecodePrivateKey as _;
    use rsa::{BigUint, Pkcs1v15Sign, RsaPublicKey};
    use sha2::{Digest as _, Sha256};

    pub(crate) struct Es256 {
        key: p256::ecdsa::SigningKey,
        public: p256::ecdsa::VerifyingKey,
    }

    impl Es256 {
        pub(crate) fn new(pkcs8: &[u8]) -> Self {
            let key = p256::ecdsa::SigningKey::from_pkcs8_der(pkcs8).unwrap();
            let public = *key.verifying_key();
            Self { key, public }
        }
        pub(crate) fn sign(&self, msg: &[u8]) -> Vec<u8> {
            let sig: p256::ecdsa::Signature = self.key.sign(msg);
            sig.to_bytes().to_vec()
        }
        pub(crate) fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
            p256::ecdsa::Signature::from_slice(sig)
                .is_ok_and(|sig| self.public.verify(msg, &sig).is_ok())
        }
    }

    pub(crate) struct Rs256(RsaPublicKey);

    impl Rs256 {
        pub(crate) fn new(_pkcs1_der: &[u8]) -> Self {
            let (_, jwk) = super::rsa_test_key();
            let n = super::b64d(jwk.n.as_deref().unwrap());
            let e = super::b64d(jwk.e.as_deref().unwrap());
            Self(RsaPublicKey::new(BigUint::from_bytes_be(&n), BigUint::from_bytes_be(&e)).unwrap())
        }
        pub(crate) fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
            let digest = Sha256::digest(msg);
            self.0
                .verify(Pkcs1v15Sign::new::<Sha256>(), &digest, sig)
                .is_ok()
        }
    }
}

/// `EMA_BENCH_COUNT=ID:K` (for `valgrind --tool=callgrind --toggle-collect=*ema_counted*`):
/// instead of benchmarking, run only the operation `ID` `K` times, each inside
/// [`ema_counted`], so callgrind counts the instructions of exactly those calls.
fn count_mode() -> Option<(String, u64)> {
    let spec = std::env::var("EMA_BENCH_COUNT").ok()?;
    let (id, k) = spec.rsplit_once(':')?;
    Some((id.to_owned(), k.parse().ok()?))
}

/// The measured call in count mode (never inlined, so callgrind can find it by name).
#[inline(never)]
fn ema_counted(op: &mut dyn FnMut()) {
    op();
}

/// Benchmarks `op` under `id`, or runs it in count mode.
fn run(c: &mut Criterion, id: &str, mut op: impl FnMut()) {
    match count_mode() {
        Some((target, k)) if target == id => {
            for _ in 0..k {
                ema_counted(&mut op);
            }
        }
        Some(_) => {}
        None => {
            c.bench_function(id, |b| b.iter(&mut op));
        }
    }
}

/// Benchmarks how much longer `ours(i)` takes than `raw(i)`: the two run one after the other
/// on the same input (which goes first alternates), each timed, and the difference of the sums
/// is reported (not in count mode, where the instruction counts of the two operations are
/// subtracted instead).
fn run_difference(
    c: &mut Criterion,
    id: &str,
    mut raw: impl FnMut(usize),
    mut ours: impl FnMut(usize),
) {
    if count_mode().is_some() {
        return;
    }
    let mut n = 0;
    // Flat sampling: every sample runs many iterations, so a sample's difference is not lost
    // in the noise of a single pair (a linear sampling's first samples run one or two).
    let (group_id, function_id) = id.rsplit_once('/').unwrap_or(("difference", id));
    let mut group = c.benchmark_group(group_id);
    group.sampling_mode(SamplingMode::Flat);
    group.bench_function(function_id, |b| {
        b.iter_custom(|iters| {
            let (mut raw_time, mut our_time) = (Duration::ZERO, Duration::ZERO);
            let time = |op: &mut dyn FnMut(usize), n: usize| {
                let started = Instant::now();
                op(n);
                started.elapsed()
            };
            for _ in 0..iters {
                // The order alternates: the second run of a pair finds the branch predictors
                // and caches trained on the same input by the first (for ECDSA, the same
                // scalars), and that advantage must go to each side equally often.
                if n % 2 == 0 {
                    raw_time += time(&mut raw, n);
                    our_time += time(&mut ours, n);
                } else {
                    our_time += time(&mut ours, n);
                    raw_time += time(&mut raw, n);
                }
                n += 1;
            }
            // Criterion refuses a zero sample; a sample where ours ran faster is within noise.
            our_time
                .saturating_sub(raw_time)
                .max(Duration::from_nanos(1))
        });
    });
    group.finish();
}

fn split(token: &str) -> (&str, Vec<u8>) {
    let (input, sig) = token.rsplit_once('.').unwrap();
    (input, b64d(sig))
}

fn benches(c: &mut Criterion) {
    let backend = BACKEND.unwrap_or("none");
    let clock = FixedClock::new(NOW);
    let rng = SystemRandom;
    let idp = Issuer::new(IDP).unwrap();
    let as_issuer = Issuer::new(AS).unwrap();
    let mcp = Resource::new(MCP).unwrap();

    // The IdP key among two others, so the kid lookup has something to skip.
    let idp_key = SigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid("idp-2");
    let others = ["idp-1", "idp-3"].map(|kid| {
        SigningKey::generate(Algorithm::ES256)
            .unwrap()
            .with_kid(kid)
            .verifying_key()
            .clone()
    });
    let (rsa_der, rsa_jwk) = rsa_test_key();
    let rsa_key = VerifyingKey::from_jwk(&rsa_jwk).unwrap();
    let idp_keys = KeySet::from_keys(vec![
        others[0].clone(),
        idp_key.verifying_key().clone(),
        others[1].clone(),
        rsa_key,
    ]);

    let grant = IdJagGrant::new(
        "00u8k2p9xq",
        as_issuer.clone(),
        ClientId::new(CLIENT).unwrap(),
    )
    .with_resource(mcp.clone())
    .with_scope(ScopeSet::parse("tickets:read").unwrap());
    // ECDSA verification time varies with the signature's scalars, so the ES256 figures are
    // taken over the same set of distinct tokens (fresh jti, fresh signature), raw and ours.
    let id_jag_minter = IdJagMinter::new(idp.clone(), idp_key.clone());
    let es_tokens: Vec<String> = (0..SIGNATURES)
        .map(|_| {
            id_jag_minter
                .mint(grant.clone(), &clock, &rng)
                .unwrap()
                .token
                .expose()
                .to_owned()
        })
        .collect();
    let rs_token = rs256_id_jag(&rsa_der);

    let es_raw = raw::Es256::new(&idp_key.to_pkcs8_der().unwrap());
    let rs_raw = raw::Rs256::new(&rsa_der);
    let es_split: Vec<(&str, Vec<u8>)> = es_tokens.iter().map(|t| split(t)).collect();
    let (rs_input, rs_sig) = split(&rs_token);
    assert!(
        es_split
            .iter()
            .all(|(input, sig)| es_raw.verify(input.as_bytes(), sig))
    );
    assert!(rs_raw.verify(rs_input.as_bytes(), &rs_sig));
    let (es_input, _) = es_split[0];

    let mut n = 0;
    run(c, &format!("{backend}/raw/es256_verify"), || {
        let (input, sig) = &es_split[n % es_split.len()];
        n += 1;
        assert!(black_box(
            es_raw.verify(black_box(input.as_bytes()), black_box(sig))
        ));
    });
    run(c, &format!("{backend}/raw/es256_sign"), || {
        black_box(es_raw.sign(black_box(es_input.as_bytes())));
    });
    run(c, &format!("{backend}/raw/rs256_verify"), || {
        assert!(black_box(
            rs_raw.verify(black_box(rs_input.as_bytes()), black_box(&rs_sig))
        ));
    });

    let verifier = IdJagVerifier::new(as_issuer.clone(), [mcp.clone()]);
    let es_algs = [Algorithm::ES256];
    let rs_algs = [Algorithm::RS256];
    for (name, tokens, algs) in [
        ("id_jag_verify_es256", es_tokens.as_slice(), &es_algs),
        (
            "id_jag_verify_rs256",
            std::slice::from_ref(&rs_token),
            &rs_algs,
        ),
    ] {
        let anchor = TrustAnchor::new(IDP, &idp_keys, algs);
        for token in tokens {
            verifier
                .verify(verifier.decode(token).unwrap(), &anchor, CLIENT, &clock)
                .unwrap();
        }
        let mut n = 0;
        run(c, &format!("{backend}/ema/{name}"), || {
            let token = &tokens[n % tokens.len()];
            n += 1;
            let jws = verifier.decode(black_box(token)).unwrap();
            black_box(verifier.verify(jws, &anchor, CLIENT, &clock).unwrap());
        });
    }

    // The non-crypto part measured directly: the raw verify of token `i`'s signature and our
    // validation of token `i`, alternately, timed apart; the per-signature variance of ECDSA
    // and the machine's drift cancel in the difference.
    let es_raw_verify = |i: usize| {
        let (input, sig) = &es_split[i % es_split.len()];
        es_raw.verify(black_box(input.as_bytes()), black_box(sig))
    };
    let rs_raw_verify =
        |_: usize| rs_raw.verify(black_box(rs_input.as_bytes()), black_box(&rs_sig));
    for (name, tokens, algs, raw_verify) in [
        (
            "id_jag_non_crypto_es256",
            es_tokens.as_slice(),
            &es_algs,
            &es_raw_verify as &dyn Fn(usize) -> bool,
        ),
        (
            "id_jag_non_crypto_rs256",
            std::slice::from_ref(&rs_token),
            &rs_algs,
            &rs_raw_verify,
        ),
    ] {
        let anchor = TrustAnchor::new(IDP, &idp_keys, algs);
        run_difference(
            c,
            &format!("{backend}/ema/{name}"),
            |i| assert!(black_box(raw_verify(i))),
            |i| {
                let jws = verifier
                    .decode(black_box(&tokens[i % tokens.len()]))
                    .unwrap();
                black_box(verifier.verify(jws, &anchor, CLIENT, &clock).unwrap());
            },
        );
    }

    let as_key = SigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid("as-1");
    let as_keys = KeySet::from_keys(vec![as_key.verifying_key().clone()]);
    let minter = AccessTokenMinter::new(as_issuer.clone(), as_key);
    let at_grant = AccessTokenGrant::new(
        "00u8k2p9xq",
        mcp.clone(),
        ClientId::new(CLIENT).unwrap(),
        ScopeSet::parse("tickets:read").unwrap(),
    );
    run(c, &format!("{backend}/ema/access_token_mint_es256"), || {
        black_box(minter.mint(at_grant.clone(), &clock, &rng).unwrap());
    });
    let access_tokens: Vec<_> = (0..SIGNATURES)
        .map(|_| minter.mint(at_grant.clone(), &clock, &rng).unwrap().token)
        .collect();
    let at_verifier = AccessTokenVerifier::new(as_issuer, mcp);
    let mut n = 0;
    run(
        c,
        &format!("{backend}/ema/access_token_verify_es256"),
        || {
            let token = &access_tokens[n % access_tokens.len()];
            n += 1;
            black_box(
                at_verifier
                    .verify(black_box(token.expose()), &as_keys, &es_algs, &clock)
                    .unwrap(),
            );
        },
    );
}

criterion_group!(jwt, benches);
criterion_main!(jwt);

//! The committed corpus is exactly what the generator writes, and it is well-formed: enough
//! vectors, unique ids, every target covered with both verdicts, every vector naming a
//! requirement and carrying the fields its target needs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use ema_vectors::schema::{Input, KeysFile, SCHEMA, Target, VectorFile, Verdict};

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/vectors")
}

#[test]
fn generator_output_matches_committed_corpus() {
    let generated = ema_vectors::generate().unwrap();
    assert_eq!(
        generated.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        ema_vectors::FILE_NAMES
    );
    for (name, content) in &generated {
        let committed = std::fs::read_to_string(corpus_dir().join(name)).unwrap();
        assert!(
            committed == *content,
            "testdata/vectors/{name} differs from the generator's output: run \
             `cargo run -p ema-vectors --bin generate-vectors`"
        );
    }
}

#[test]
fn generator_is_deterministic() {
    assert_eq!(
        ema_vectors::generate().unwrap(),
        ema_vectors::generate().unwrap()
    );
}

#[test]
fn corpus_is_well_formed() {
    let mut ids = BTreeSet::new();
    let mut total = 0;
    for target in Target::ALL {
        let text = std::fs::read_to_string(corpus_dir().join(target.file_name())).unwrap();
        let file: VectorFile = serde_json::from_str(&text).unwrap();
        assert_eq!(file.schema, SCHEMA);
        assert_eq!(file.target, target);
        let request_target = matches!(target, Target::TokenExchange | Target::JwtBearer);
        let mut verdicts = BTreeSet::new();
        for v in &file.vectors {
            assert!(ids.insert(v.id.clone()), "duplicate id {}", v.id);
            assert!(!v.requirement.is_empty(), "{}: no requirement", v.id);
            assert!(!v.description.is_empty(), "{}", v.id);
            assert!(!v.keys.is_empty(), "{}", v.id);
            verdicts.insert(format!("{:?}", v.expect.verdict));
            let steps = v.before.iter().map(|s| (&s.input, &s.expect));
            for (input, expect) in steps.chain([(&v.input, &v.expect)]) {
                assert_eq!(
                    matches!(input, Input::Request { .. }),
                    request_target,
                    "{}",
                    v.id
                );
                assert_eq!(expect.status.is_some(), request_target, "{}", v.id);
                let rejected = expect.verdict == Verdict::Reject;
                assert_eq!(expect.error.is_some(), rejected, "{}", v.id);
                assert_eq!(
                    expect.rule.is_some(),
                    rejected && !request_target,
                    "{}",
                    v.id
                );
            }
        }
        assert_eq!(verdicts.len(), 2, "{target:?}: both verdicts must occur");
        total += file.vectors.len();
    }
    assert!(total >= 60, "only {total} vectors");
    let keys: KeysFile =
        serde_json::from_str(&std::fs::read_to_string(corpus_dir().join("keys.json")).unwrap())
            .unwrap();
    assert_eq!(keys.schema, SCHEMA);
    for (name, key) in &keys.keys {
        assert_eq!(&key.kid, name);
        assert!(key.private_jwk.get("d").is_some(), "{name}");
        assert!(key.public_jwk.get("d").is_none(), "{name}");
        assert!(
            key.pkcs8_pem.starts_with("-----BEGIN PRIVATE KEY-----"),
            "{name}"
        );
    }
}

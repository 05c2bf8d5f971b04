//! Conformance tests for whichever backend is compiled, against vectors made with OpenSSL
//! (`tests/data/vectors.json`). CI runs them once per backend, so passing on both means both
//! backends agree with OpenSSL, and so with each other.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::{PrivateKey, PublicComponents, PublicKey, sha256};
use crate::Algorithm;
use crate::error::ErrorKind;

/// The P-256 group order n, big-endian.
const P256_ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

struct Vectors(serde_json::Value);

impl Vectors {
    fn load() -> Self {
        Self(serde_json::from_str(include_str!("../../tests/data/vectors.json")).unwrap())
    }

    fn message(&self) -> &[u8] {
        self.0["message"].as_str().unwrap().as_bytes()
    }

    fn bytes(&self, path: &[&str]) -> Vec<u8> {
        let value = path.iter().fold(&self.0, |value, key| &value[*key]);
        URL_SAFE_NO_PAD.decode(value.as_str().unwrap()).unwrap()
    }

    fn rsa(&self) -> PublicKey {
        PublicKey::rsa(
            &self.bytes(&["rsa_jwk", "n"]),
            &self.bytes(&["rsa_jwk", "e"]),
        )
        .unwrap()
    }

    fn p256(&self) -> PublicKey {
        PublicKey::ec_p256(&self.bytes(&["ec_jwk", "x"]), &self.bytes(&["ec_jwk", "y"])).unwrap()
    }

    fn ed25519(&self) -> PublicKey {
        PublicKey::ed25519(&self.bytes(&["ed25519_jwk", "x"])).unwrap()
    }
}

fn pem_to_der(pem: &str) -> Vec<u8> {
    ::pkcs8::SecretDocument::from_pem(pem)
        .unwrap()
        .1
        .as_bytes()
        .to_vec()
}

fn tampered(message: &[u8]) -> Vec<u8> {
    let mut out = message.to_vec();
    out[0] ^= 0x01;
    out
}

/// a − b for 256-bit big-endian values, a ≥ b.
fn sub_256(a: &[u8; 32], b: &[u8]) -> [u8; 32] {
    let mut out = [0_u8; 32];
    let mut borrow = 0_i16;
    for i in (0..32).rev() {
        let mut d = i16::from(a[i]) - i16::from(b[i]) - borrow;
        borrow = i16::from(d < 0);
        if d < 0 {
            d += 256;
        }
        out[i] = u8::try_from(d).unwrap();
    }
    out
}

#[test]
fn sha256_known_answer() {
    assert_eq!(
        sha256(b"abc"),
        [
            0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae,
            0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61,
            0xf2, 0x00, 0x15, 0xad
        ]
    );
}

#[test]
fn jwt_02_rs256_openssl_signature_verifies() {
    let v = Vectors::load();
    let key = v.rsa();
    let signature = v.bytes(&["rs256"]);
    assert_eq!(
        key.verify(Algorithm::RS256, v.message(), &signature),
        Ok(())
    );
    assert_eq!(
        key.verify(Algorithm::RS256, &tampered(v.message()), &signature),
        Err(ErrorKind::InvalidSignature)
    );
    assert_eq!(
        key.verify(Algorithm::PS256, v.message(), &signature),
        Err(ErrorKind::InvalidSignature)
    );
    let mut truncated = signature.clone();
    truncated.pop();
    assert_eq!(
        key.verify(Algorithm::RS256, v.message(), &truncated),
        Err(ErrorKind::InvalidSignature)
    );
}

#[test]
fn jwt_02_ps256_openssl_signature_verifies() {
    let v = Vectors::load();
    let key = v.rsa();
    let signature = v.bytes(&["ps256"]);
    assert_eq!(
        key.verify(Algorithm::PS256, v.message(), &signature),
        Ok(())
    );
    assert_eq!(
        key.verify(Algorithm::PS256, &tampered(v.message()), &signature),
        Err(ErrorKind::InvalidSignature)
    );
    assert_eq!(
        key.verify(Algorithm::RS256, v.message(), &signature),
        Err(ErrorKind::InvalidSignature)
    );
}

/// RFC 7518 §3.5: the PSS salt is as long as the hash; both backends enforce exactly 32.
#[test]
fn ps256_with_64_octet_salt_is_rejected() {
    let v = Vectors::load();
    assert_eq!(
        v.rsa()
            .verify(Algorithm::PS256, v.message(), &v.bytes(&["ps256_salt64"])),
        Err(ErrorKind::InvalidSignature)
    );
}

#[test]
fn jwt_09_es256_raw_signature_verifies_and_der_is_rejected() {
    let v = Vectors::load();
    let key = v.p256();
    assert_eq!(
        key.verify(Algorithm::ES256, v.message(), &v.bytes(&["es256"])),
        Ok(())
    );
    assert_eq!(
        key.verify(Algorithm::ES256, v.message(), &v.bytes(&["es256_der"])),
        Err(ErrorKind::InvalidSignature)
    );
    assert_eq!(
        key.verify(
            Algorithm::ES256,
            &tampered(v.message()),
            &v.bytes(&["es256"])
        ),
        Err(ErrorKind::InvalidSignature)
    );
}

/// CVE-2022-21449 ("psychic signatures"): r = s = 0 verifies nothing.
#[test]
fn es256_psychic_signature_is_rejected() {
    let v = Vectors::load();
    let key = v.p256();
    for message in [v.message(), b"".as_slice(), b"x".as_slice()] {
        assert_eq!(
            key.verify(Algorithm::ES256, message, &[0; 64]),
            Err(ErrorKind::InvalidSignature)
        );
    }
}

/// r or s equal to n (≡ 0) is out of range.
#[test]
fn es256_scalars_out_of_range_are_rejected() {
    let v = Vectors::load();
    let key = v.p256();
    let signature = v.bytes(&["es256"]);
    let mut r_is_n = P256_ORDER.to_vec();
    r_is_n.extend_from_slice(&signature[32..]);
    assert_eq!(
        key.verify(Algorithm::ES256, v.message(), &r_is_n),
        Err(ErrorKind::InvalidSignature)
    );
    let mut s_is_n = signature[..32].to_vec();
    s_is_n.extend_from_slice(&P256_ORDER);
    assert_eq!(
        key.verify(Algorithm::ES256, v.message(), &s_is_n),
        Err(ErrorKind::InvalidSignature)
    );
}

/// JWS does not require low-S (RFC 7518 §3.4): (r, n − s) is as valid as (r, s) on both backends.
#[test]
fn es256_high_and_low_s_both_verify() {
    let v = Vectors::load();
    let key = v.p256();
    let signature = v.bytes(&["es256"]);
    let mut flipped = signature[..32].to_vec();
    flipped.extend_from_slice(&sub_256(&P256_ORDER, &signature[32..]));
    assert_ne!(flipped, signature);
    assert_eq!(key.verify(Algorithm::ES256, v.message(), &flipped), Ok(()));
}

#[test]
fn eddsa_openssl_signature_verifies() {
    let v = Vectors::load();
    let key = v.ed25519();
    let signature = v.bytes(&["eddsa"]);
    assert_eq!(
        key.verify(Algorithm::EdDSA, v.message(), &signature),
        Ok(())
    );
    assert_eq!(
        key.verify(Algorithm::EdDSA, &tampered(v.message()), &signature),
        Err(ErrorKind::InvalidSignature)
    );
    assert_eq!(
        key.verify(Algorithm::EdDSA, v.message(), &signature[..63]),
        Err(ErrorKind::InvalidSignature)
    );
}

/// Ed25519 is deterministic: each backend must reproduce OpenSSL's signature bit for bit.
#[test]
fn backends_agree_on_ed25519_signature_bytes() {
    let v = Vectors::load();
    let key = PrivateKey::from_pkcs8_der(&pem_to_der(include_str!(
        "../../tests/data/ed25519-test-key.pem"
    )))
    .unwrap();
    assert_eq!(key.algorithm(), Algorithm::EdDSA);
    assert_eq!(key.sign(v.message()).unwrap(), v.bytes(&["eddsa"]));
    assert_eq!(
        key.public_components(),
        &PublicComponents::Ed25519 {
            x: v.bytes(&["ed25519_jwk", "x"]).try_into().unwrap()
        }
    );
}

#[test]
fn p256_pkcs8_from_openssl_has_the_published_public_key() {
    let v = Vectors::load();
    let key = PrivateKey::from_pkcs8_der(&pem_to_der(include_str!(
        "../../tests/data/p256-test-key.pem"
    )))
    .unwrap();
    assert_eq!(key.algorithm(), Algorithm::ES256);
    assert_eq!(
        key.public_components(),
        &PublicComponents::P256 {
            x: v.bytes(&["ec_jwk", "x"]).try_into().unwrap(),
            y: v.bytes(&["ec_jwk", "y"]).try_into().unwrap(),
        }
    );
    let signature = key.sign(v.message()).unwrap();
    assert_eq!(signature.len(), 64);
    assert_eq!(
        v.p256().verify(Algorithm::ES256, v.message(), &signature),
        Ok(())
    );
}

fn public_of(key: &PrivateKey) -> PublicKey {
    match key.public_components() {
        PublicComponents::P256 { x, y } => PublicKey::ec_p256(x, y).unwrap(),
        PublicComponents::Ed25519 { x } => PublicKey::ed25519(x).unwrap(),
    }
}

#[test]
fn es256_and_eddsa_sign_verify_round_trip() {
    for (key, alg) in [
        (PrivateKey::generate_p256().unwrap(), Algorithm::ES256),
        (PrivateKey::generate_ed25519().unwrap(), Algorithm::EdDSA),
    ] {
        assert_eq!(key.algorithm(), alg);
        let public = public_of(&key);
        let signature = key.sign(b"header.payload").unwrap();
        assert_eq!(signature.len(), 64);
        assert_eq!(public.verify(alg, b"header.payload", &signature), Ok(()));
        assert_eq!(
            public.verify(alg, b"header.payload!", &signature),
            Err(ErrorKind::InvalidSignature)
        );
        for other in Algorithm::ALL.into_iter().filter(|other| *other != alg) {
            assert_eq!(
                public.verify(other, b"header.payload", &signature),
                Err(ErrorKind::InvalidSignature)
            );
        }
    }
}

#[test]
fn generated_keys_differ() {
    let a = PrivateKey::generate_p256().unwrap();
    let b = PrivateKey::generate_p256().unwrap();
    assert_ne!(a.public_components(), b.public_components());
    let a = PrivateKey::generate_ed25519().unwrap();
    let b = PrivateKey::generate_ed25519().unwrap();
    assert_ne!(a.public_components(), b.public_components());
}

#[test]
fn pkcs8_round_trip_keeps_the_key() {
    for key in [
        PrivateKey::generate_p256().unwrap(),
        PrivateKey::generate_ed25519().unwrap(),
    ] {
        let der = key.to_pkcs8_der().unwrap();
        let again = PrivateKey::from_pkcs8_der(&der).unwrap();
        assert_eq!(again.public_components(), key.public_components());
        assert_eq!(again.algorithm(), key.algorithm());
        let signature = again.sign(b"m").unwrap();
        assert_eq!(
            public_of(&key).verify(key.algorithm(), b"m", &signature),
            Ok(())
        );
    }
}

#[test]
fn pkcs8_rsa_and_garbage_are_refused() {
    let rsa = pem_to_der(include_str!("../../tests/data/rsa2048-test-key.pem"));
    assert_eq!(
        PrivateKey::from_pkcs8_der(&rsa).err(),
        Some(ErrorKind::UnsupportedKey("RSA signing".to_owned()))
    );
    assert_eq!(
        PrivateKey::from_pkcs8_der(b"not der").err(),
        Some(ErrorKind::InvalidKey("not a PKCS#8 private key"))
    );
    // A well-formed P-256 PKCS#8 envelope around an ECPrivateKey whose scalar is ≥ n.
    let mut p256 = pem_to_der(include_str!("../../tests/data/p256-test-key.pem"));
    let start = p256
        .windows(5)
        .position(|w| w == [0x02, 0x01, 0x01, 0x04, 0x20])
        .unwrap()
        + 5;
    p256[start..start + 32].fill(0xff);
    assert_eq!(
        PrivateKey::from_pkcs8_der(&p256).err(),
        Some(ErrorKind::InvalidKey("malformed P-256 private key"))
    );
}

#[test]
fn p256_point_must_be_on_the_curve_and_full_length() {
    let v = Vectors::load();
    let x = v.bytes(&["ec_jwk", "x"]);
    let mut y = v.bytes(&["ec_jwk", "y"]);
    y[31] ^= 0x01;
    assert_eq!(
        PublicKey::ec_p256(&x, &y).err(),
        Some(ErrorKind::InvalidKey("point is not on P-256"))
    );
    assert_eq!(
        PublicKey::ec_p256(&x[1..], &y).err(),
        Some(ErrorKind::InvalidKey("P-256 coordinate is not 32 octets"))
    );
    assert_eq!(
        PublicKey::ec_p256(&[0; 32], &[0; 32]).err(),
        Some(ErrorKind::InvalidKey("point is not on P-256"))
    );
}

#[test]
fn ed25519_key_must_be_32_octets() {
    assert_eq!(
        PublicKey::ed25519(&[9; 31]).err(),
        Some(ErrorKind::InvalidKey("Ed25519 public key is not 32 octets"))
    );
}

#[test]
fn jwt_02_rsa_policy_applies_to_the_backend() {
    let v = Vectors::load();
    let n = v.bytes(&["rsa_jwk", "n"]);
    assert_eq!(
        PublicKey::rsa(&n[..128], &[1, 0, 1]).err(),
        Some(ErrorKind::WeakKey(1024))
    );
    assert_eq!(
        PublicKey::rsa(&n, &[1]).err(),
        Some(ErrorKind::InvalidKey(
            "RSA exponent is not an odd number ≥ 3"
        ))
    );
}

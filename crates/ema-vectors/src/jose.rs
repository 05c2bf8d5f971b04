//! Deterministic JOSE for the generator: the corpus keys, compact JWS signing (RFC 6979
//! ECDSA, Ed25519, RSA PKCS#1 v1.5, HMAC-SHA-256 for the confusion vectors), and JSON
//! objects that keep their member order.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ed25519_dalek::pkcs8::DecodePrivateKey as _;
use p256::ecdsa::signature::Signer as _;
use p256::pkcs8::EncodePrivateKey as _;
use rsa::pkcs8::EncodePublicKey as _;
use rsa::signature::SignatureEncoding as _;
use rsa::traits::{PrivateKeyParts as _, PublicKeyParts as _};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::{Error, Result};

/// Unpadded base64url.
pub(crate) fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256.
pub(crate) fn sha256(bytes: impl AsRef<[u8]>) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// HMAC-SHA-256 (RFC 2104), for the HS256 confusion vectors.
pub(crate) fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0_u8; 64];
    if key.len() > 64 {
        for (b, k) in block.iter_mut().zip(sha256(key)) {
            *b = k;
        }
    } else {
        for (b, k) in block.iter_mut().zip(key) {
            *b = *k;
        }
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(message);
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// A JSON object that serializes its members in insertion order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Obj(Vec<(String, Value)>);

impl Obj {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Set `name` (in place when present, else appended).
    pub(crate) fn set(mut self, name: &str, value: Value) -> Self {
        match self.0.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => self.0.push((name.to_owned(), value)),
        }
        self
    }

    /// Remove `name`.
    pub(crate) fn remove(mut self, name: &str) -> Self {
        self.0.retain(|(n, _)| n != name);
        self
    }

    /// Append `name` even if present (a duplicate member).
    pub(crate) fn push_duplicate(mut self, name: &str, value: Value) -> Self {
        self.0.push((name.to_owned(), value));
        self
    }

    /// Compact JSON text, members in order.
    pub(crate) fn to_json(&self) -> Result<String> {
        let mut out = String::from("{");
        for (i, (name, value)) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&serde_json::to_string(name).map_err(Error::new)?);
            out.push(':');
            out.push_str(&serde_json::to_string(value).map_err(Error::new)?);
        }
        out.push('}');
        Ok(out)
    }
}

enum Secret {
    Es256(p256::ecdsa::SigningKey),
    EdDsa(ed25519_dalek::SigningKey),
    Rs256(Box<rsa::RsaPrivateKey>),
}

/// One key pair of the corpus.
pub(crate) struct Key {
    pub(crate) name: &'static str,
    pub(crate) kid: &'static str,
    pub(crate) origin: String,
    pub(crate) pem: String,
    secret: Secret,
}

impl Key {
    /// A P-256 key from a committed PKCS#8 PEM.
    pub(crate) fn p256_pem(name: &'static str, kid: &'static str, pem: &str) -> Result<Self> {
        use p256::pkcs8::DecodePrivateKey as _;
        let secret = p256::SecretKey::from_pkcs8_pem(pem).map_err(Error::new)?;
        Ok(Self {
            name,
            kid,
            origin: "committed test key crates/ema-jwt/tests/data/p256-test-key.pem".into(),
            pem: pem.trim_end().to_owned() + "\n",
            secret: Secret::Es256(p256::ecdsa::SigningKey::from(&secret)),
        })
    }

    /// A P-256 key whose scalar is SHA-256(`ema-vectors/1 key <name>`).
    pub(crate) fn p256_seeded(name: &'static str, kid: &'static str) -> Result<Self> {
        let seed = format!("ema-vectors/1 key {name}");
        let secret = p256::SecretKey::from_slice(&sha256(&seed)).map_err(Error::new)?;
        let pem = secret
            .to_pkcs8_pem(p256::pkcs8::LineEnding::LF)
            .map_err(Error::new)?
            .to_string();
        Ok(Self {
            name,
            kid,
            origin: format!("P-256 scalar = SHA-256(\"{seed}\")"),
            pem,
            secret: Secret::Es256(p256::ecdsa::SigningKey::from(&secret)),
        })
    }

    /// An Ed25519 key from a committed PKCS#8 PEM.
    pub(crate) fn ed25519_pem(name: &'static str, kid: &'static str, pem: &str) -> Result<Self> {
        let key = ed25519_dalek::SigningKey::from_pkcs8_pem(pem).map_err(Error::new)?;
        Ok(Self {
            name,
            kid,
            origin: "committed test key crates/ema-jwt/tests/data/ed25519-test-key.pem".into(),
            pem: pem.trim_end().to_owned() + "\n",
            secret: Secret::EdDsa(key),
        })
    }

    /// An RSA key from a committed PKCS#8 PEM.
    pub(crate) fn rsa_pem(name: &'static str, kid: &'static str, pem: &str) -> Result<Self> {
        let (_, doc) = pkcs8::SecretDocument::from_pem(pem).map_err(Error::new)?;
        let key = rsa::RsaPrivateKey::from_pkcs8_der(doc.as_bytes()).map_err(Error::new)?;
        Ok(Self {
            name,
            kid,
            origin: "committed test key crates/ema-jwt/tests/data/rsa2048-test-key.pem".into(),
            pem: pem.trim_end().to_owned() + "\n",
            secret: Secret::Rs256(Box::new(key)),
        })
    }

    /// The JWS `alg` of the key.
    pub(crate) fn alg(&self) -> &'static str {
        match self.secret {
            Secret::Es256(_) => "ES256",
            Secret::EdDsa(_) => "EdDSA",
            Secret::Rs256(_) => "RS256",
        }
    }

    /// Sign `message` (raw `R‖S` for ES256, RFC 6979 nonces: deterministic).
    pub(crate) fn sign(&self, message: &[u8]) -> Vec<u8> {
        match &self.secret {
            Secret::Es256(key) => {
                let sig: p256::ecdsa::Signature = key.sign(message);
                sig.to_bytes().to_vec()
            }
            Secret::EdDsa(key) => ed25519_dalek::Signer::sign(key, message)
                .to_bytes()
                .to_vec(),
            Secret::Rs256(key) => {
                let signer = rsa::pkcs1v15::SigningKey::<Sha256>::new((**key).clone());
                signer.sign(message).to_vec()
            }
        }
    }

    /// The uncompressed P-256 point `(x, y)`, for ES256 keys.
    pub(crate) fn ec_point(&self) -> Option<(Vec<u8>, Vec<u8>)> {
        match &self.secret {
            Secret::Es256(key) => {
                let point = key.verifying_key().to_encoded_point(false);
                Some((point.x()?.to_vec(), point.y()?.to_vec()))
            }
            _ => None,
        }
    }

    /// The public key as SubjectPublicKeyInfo PEM (what an HS/RS confusion attack keys the
    /// HMAC with), for RSA keys.
    pub(crate) fn rsa_public_pem(&self) -> Result<Option<String>> {
        let Secret::Rs256(key) = &self.secret else {
            return Ok(None);
        };
        let der = key
            .to_public_key()
            .to_public_key_der()
            .map_err(Error::new)?;
        let body = STANDARD.encode(der.as_bytes());
        let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
        let mut rest = body.as_str();
        while !rest.is_empty() {
            let (line, tail) = rest.split_at(rest.len().min(64));
            pem.push_str(line);
            pem.push('\n');
            rest = tail;
        }
        pem.push_str("-----END PUBLIC KEY-----\n");
        Ok(Some(pem))
    }

    /// The public JWK (`kty`, `kid`, `use`, `alg` and the key members).
    pub(crate) fn public_jwk(&self) -> Value {
        let mut jwk = match &self.secret {
            Secret::Es256(key) => {
                let point = key.verifying_key().to_encoded_point(false);
                json!({
                    "kty": "EC", "crv": "P-256",
                    "x": point.x().map(b64), "y": point.y().map(b64),
                })
            }
            Secret::EdDsa(key) => json!({
                "kty": "OKP", "crv": "Ed25519", "x": b64(key.verifying_key().to_bytes()),
            }),
            Secret::Rs256(key) => json!({
                "kty": "RSA", "n": b64(key.n().to_bytes_be()), "e": b64(key.e().to_bytes_be()),
            }),
        };
        if let Some(obj) = jwk.as_object_mut() {
            obj.insert("kid".into(), json!(self.kid));
            obj.insert("use".into(), json!("sig"));
            obj.insert("alg".into(), json!(self.alg()));
        }
        jwk
    }

    /// The private JWK: the public members plus `d` (and `p`, `q`, `dp`, `dq`, `qi` for RSA).
    pub(crate) fn private_jwk(&self) -> Value {
        let mut jwk = self.public_jwk();
        let private = match &self.secret {
            Secret::Es256(key) => json!({ "d": b64(key.to_bytes()) }),
            Secret::EdDsa(key) => json!({ "d": b64(key.to_bytes()) }),
            Secret::Rs256(key) => {
                let primes = key.primes();
                json!({
                    "d": b64(key.d().to_bytes_be()),
                    "p": primes.first().map(|p| b64(p.to_bytes_be())),
                    "q": primes.get(1).map(|q| b64(q.to_bytes_be())),
                    "dp": key.dp().map(|v| b64(v.to_bytes_be())),
                    "dq": key.dq().map(|v| b64(v.to_bytes_be())),
                    "qi": key.crt_coefficient().map(|v| b64(v.to_bytes_be())),
                })
            }
        };
        if let (Some(obj), Some(extra)) = (jwk.as_object_mut(), private.as_object()) {
            for (k, v) in extra {
                obj.insert(k.clone(), v.clone());
            }
        }
        jwk
    }

    /// The RFC 7638 required members of the public JWK (for an EC key: `crv`, `kty`, `x`,
    /// `y`), as a JSON object.
    pub(crate) fn thumbprint_members(&self) -> Result<Value> {
        let (x, y) = self
            .ec_point()
            .ok_or_else(|| Error::new("EC key expected"))?;
        Ok(json!({"crv": "P-256", "kty": "EC", "x": b64(x), "y": b64(y)}))
    }

    /// The RFC 7638 SHA-256 thumbprint (`jkt`) of an EC key.
    pub(crate) fn jkt(&self) -> Result<String> {
        let (x, y) = self
            .ec_point()
            .ok_or_else(|| Error::new("EC key expected"))?;
        let canonical = format!(
            r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
            b64(x),
            b64(y)
        );
        Ok(b64(sha256(canonical)))
    }

    /// A compact JWS over `header` and `claims`, signed with this key.
    pub(crate) fn jws(&self, header: &Obj, claims: &Obj) -> Result<String> {
        Ok(self.jws_raw(header.to_json()?.as_bytes(), claims.to_json()?.as_bytes()))
    }

    /// A compact JWS over raw header and payload bytes.
    pub(crate) fn jws_raw(&self, header: &[u8], payload: &[u8]) -> String {
        let input = format!("{}.{}", b64(header), b64(payload));
        let sig = self.sign(input.as_bytes());
        format!("{input}.{}", b64(sig))
    }

    /// The header this key signs with by default: `alg`, `typ` (when given), `kid`.
    pub(crate) fn header(&self, typ: Option<&str>) -> Obj {
        let h = Obj::new().set("alg", json!(self.alg()));
        let h = match typ {
            Some(t) => h.set("typ", json!(t)),
            None => h,
        };
        h.set("kid", json!(self.kid))
    }
}

/// An HS256 JWS over `header` and `claims` with `secret` as the HMAC key.
pub(crate) fn hs256(secret: &[u8], header: &Obj, claims: &Obj) -> Result<String> {
    let input = format!(
        "{}.{}",
        b64(header.to_json()?.as_bytes()),
        b64(claims.to_json()?.as_bytes())
    );
    let sig = hmac_sha256(secret, input.as_bytes());
    Ok(format!("{input}.{}", b64(sig)))
}

/// An unsigned JWS: `b64(header).b64(claims).b64(signature)`.
pub(crate) fn unsigned(header: &Obj, claims: &Obj, signature: &[u8]) -> Result<String> {
    Ok(format!(
        "{}.{}.{}",
        b64(header.to_json()?.as_bytes()),
        b64(claims.to_json()?.as_bytes()),
        b64(signature)
    ))
}

/// The order `n` of the P-256 group, big-endian.
const P256_ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

/// The P-256 group order, big-endian.
pub(crate) fn p256_order() -> [u8; 32] {
    P256_ORDER
}

/// `n - s` for a big-endian 32-octet `s` (the high-S twin of an ECDSA signature).
pub(crate) fn p256_negate(s: &[u8]) -> Vec<u8> {
    let mut out = vec![0_u8; 32];
    let mut borrow = 0_i16;
    for ((o, n), v) in out
        .iter_mut()
        .rev()
        .zip(P256_ORDER.iter().rev())
        .zip(s.iter().rev())
    {
        let mut d = i16::from(*n) - i16::from(*v) - borrow;
        borrow = 0;
        if d < 0 {
            d += 256;
            borrow = 1;
        }
        *o = u8::try_from(d).unwrap_or_default();
    }
    out
}

/// The ASN.1 DER `ECDSA-Sig-Value` of a raw `R‖S` signature (forbidden in JWS).
pub(crate) fn es256_to_der(raw: &[u8]) -> Vec<u8> {
    fn integer(magnitude: &[u8]) -> Vec<u8> {
        let start = magnitude
            .iter()
            .position(|&b| b != 0)
            .unwrap_or(magnitude.len().saturating_sub(1));
        let trimmed = magnitude.get(start..).unwrap_or_default();
        let pad = trimmed.first().is_some_and(|b| b & 0x80 != 0);
        let mut out = vec![
            0x02,
            u8::try_from(trimmed.len() + usize::from(pad)).unwrap_or(0),
        ];
        if pad {
            out.push(0);
        }
        out.extend_from_slice(trimmed);
        out
    }
    let (r, s) = raw.split_at(raw.len() / 2);
    let mut body = integer(r);
    body.extend(integer(s));
    let mut der = vec![0x30, u8::try_from(body.len()).unwrap_or(0)];
    der.extend(body);
    der
}

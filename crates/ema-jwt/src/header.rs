//! The JOSE protected header, read strictly (JWT-01..JWT-05).

use serde_json::Value;

use crate::Algorithm;
use crate::error::{ErrorKind, Segment};
use crate::json;

/// Header parameters that embed or point to keys. Keys are never taken from a token
/// (RFC 8725 §3.10, AS-18); a token carrying any of these is rejected outright.
const KEY_BEARING: [&str; 4] = ["jwk", "jku", "x5u", "x5c"];

#[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
/// The key-bearing parameters still refused in a DPoP proof header: a proof carries its key in
/// `jwk` and nowhere else (RFC 9449 §4.2); a URL or certificate chain is never followed.
const PROOF_KEY_BEARING: [&str; 3] = ["jku", "x5u", "x5c"];

/// A validated JOSE header.
///
/// Reading it enforces: `alg` present, a string, and an asymmetric algorithm this crate
/// implements (`none` → [`ErrorKind::UnsecuredJwt`], `HS256` → [`ErrorKind::UnsupportedAlgorithm`]);
/// no `crit` (this crate understands no extension, JWT-05); no key-bearing parameter; `typ`,
/// `kid` and `cty` strings when present.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Header {
    /// `alg`.
    pub alg: Algorithm,
    /// `typ`, as sent.
    pub typ: Option<String>,
    /// `kid`.
    pub kid: Option<String>,
    /// `cty`.
    pub cty: Option<String>,
}

impl Header {
    /// A header for minting.
    #[must_use]
    pub fn new(alg: Algorithm, typ: Option<&str>, kid: Option<&str>) -> Self {
        Self {
            alg,
            typ: typ.map(str::to_owned),
            kid: kid.map(str::to_owned),
            cty: None,
        }
    }

    /// Read a header from its members. Every key-bearing parameter (`jwk`, `jku`, `x5u`,
    /// `x5c`) is refused: this is the path of every token kind but DPoP proofs.
    pub(crate) fn from_members(members: HeaderMembers) -> Result<Self, ErrorKind> {
        Self::read(members, &KEY_BEARING)
    }

    /// Read the header of an RFC 9449 DPoP proof: as [`Header::from_object`], except that an
    /// embedded `jwk` is let through and returned beside the header (`jku`, `x5u` and `x5c`
    /// are still refused). Only `verify::dpop` calls this; the caller must then require
    /// `typ` `dpop+jwt` and verify the proof's signature with that key alone.
    ///
    /// The returned value is the raw `jwk` member, not yet checked to be an object or a public
    /// key.
    #[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
    pub(crate) fn from_members_allowing_proof_key(
        mut members: HeaderMembers,
    ) -> Result<(Self, Option<Value>), ErrorKind> {
        // `jwk` is not among the parameters refused on this path.
        let jwk = members.take("jwk");
        let header = Self::read(members, &PROOF_KEY_BEARING)?;
        Ok((header, jwk))
    }

    fn read(mut map: HeaderMembers, refused: &[&'static str]) -> Result<Self, ErrorKind> {
        let alg = match map.get("alg") {
            None => return Err(ErrorKind::MissingAlgorithm),
            Some(Value::String(s)) => Algorithm::from_header(s)?,
            Some(_) => return Err(ErrorKind::InvalidHeader("alg")),
        };
        for &name in refused {
            if map.contains(name) {
                return Err(ErrorKind::EmbeddedKey(name));
            }
        }
        if let Some(crit) = map.get("crit") {
            // RFC 7515 §4.1.11: a non-empty array of names; we support none of them.
            return Err(match crit {
                Value::Array(names) => match names.first() {
                    Some(Value::String(first)) => {
                        ErrorKind::UnsupportedCritical(ErrorKind::echo(first))
                    }
                    _ => ErrorKind::InvalidHeader("crit"),
                },
                _ => ErrorKind::InvalidHeader("crit"),
            });
        }
        Ok(Self {
            alg,
            typ: optional_string(&mut map, "typ")?,
            kid: optional_string(&mut map, "kid")?,
            cty: optional_string(&mut map, "cty")?,
        })
    }

    /// The JSON form written into minted tokens (members in a fixed order: `alg`, `typ`,
    /// `kid`, `cty`).
    #[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
    pub(crate) fn to_json(&self) -> Result<Vec<u8>, ErrorKind> {
        #[derive(serde::Serialize)]
        struct Out<'a> {
            alg: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            typ: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            kid: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            cty: Option<&'a str>,
        }
        serde_json::to_vec(&Out {
            alg: self.alg.as_str(),
            typ: self.typ.as_deref(),
            kid: self.kid.as_deref(),
            cty: self.cty.as_deref(),
        })
        .map_err(|_| ErrorKind::Serialization)
    }
}

fn optional_string(
    map: &mut HeaderMembers,
    name: &'static str,
) -> Result<Option<String>, ErrorKind> {
    match map.take(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ErrorKind::InvalidHeader(name)),
    }
}

/// The header members [`Header`]'s rules read; every other member is only checked (duplicate
/// names refused at any depth) and dropped, never built.
const READ: [&str; 9] = [
    "alg", "typ", "kid", "cty", "crit", "jwk", "jku", "x5u", "x5c",
];

/// The members of a protected header that [`Header`] reads, by name.
#[derive(Debug)]
pub(crate) struct HeaderMembers([Option<Value>; READ.len()]);

impl HeaderMembers {
    /// Parse the decoded header segment: a JSON object, strictly (JWT-11).
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, ErrorKind> {
        json::parse_object_picking(bytes, Segment::Header, &READ).map(Self)
    }

    /// Where `name` is kept (`None` for a name [`READ`] does not list).
    fn index(name: &str) -> Option<usize> {
        READ.iter().position(|n| *n == name)
    }

    fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(Self::index(name)?)?.as_ref()
    }

    fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    fn take(&mut self, name: &str) -> Option<Value> {
        self.0.get_mut(Self::index(name)?)?.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, json};

    fn members(map: &Map<String, Value>) -> HeaderMembers {
        HeaderMembers(READ.map(|name| map.get(name).cloned()))
    }

    fn from_object(map: &Map<String, Value>) -> Result<Header, ErrorKind> {
        Header::from_members(members(map))
    }

    #[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
    fn from_object_allowing_proof_key(
        map: &Map<String, Value>,
    ) -> Result<(Header, Option<Value>), ErrorKind> {
        Header::from_members_allowing_proof_key(members(map))
    }

    fn read(v: Value) -> Result<Header, ErrorKind> {
        match v {
            Value::Object(m) => from_object(&m),
            _ => unreachable!(),
        }
    }

    #[test]
    fn jwt_01_alg_none_rejected() {
        assert_eq!(read(json!({"alg":"none"})), Err(ErrorKind::UnsecuredJwt));
        assert_eq!(read(json!({"alg":"None"})), Err(ErrorKind::UnsecuredJwt));
        assert_eq!(read(json!({"typ":"JWT"})), Err(ErrorKind::MissingAlgorithm));
        assert_eq!(read(json!({"alg":1})), Err(ErrorKind::InvalidHeader("alg")));
    }

    #[test]
    fn jwt_02_symmetric_algorithms_rejected() {
        for alg in ["HS256", "HS384", "HS512", "ES384", "RS512", "ES256K"] {
            assert_eq!(
                read(json!({ "alg": alg })),
                Err(ErrorKind::UnsupportedAlgorithm(alg.into()))
            );
        }
    }

    #[test]
    fn jwt_05_crit_rejected() {
        assert_eq!(
            read(json!({"alg":"ES256","crit":["exp"],"exp":1})),
            Err(ErrorKind::UnsupportedCritical("exp".into()))
        );
        assert_eq!(
            read(json!({"alg":"ES256","crit":[]})),
            Err(ErrorKind::InvalidHeader("crit"))
        );
        assert_eq!(
            read(json!({"alg":"ES256","crit":"b64"})),
            Err(ErrorKind::InvalidHeader("crit"))
        );
    }

    #[test]
    fn as_18_key_bearing_headers_rejected() {
        for name in KEY_BEARING {
            let mut m = Map::new();
            m.insert("alg".into(), json!("ES256"));
            m.insert(name.into(), json!("https://attacker.example/jwks"));
            assert_eq!(from_object(&m), Err(ErrorKind::EmbeddedKey(name)));
        }
    }

    #[test]
    #[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
    fn dpop_path_lets_jwk_through_and_nothing_else() {
        let m = match json!({"alg":"ES256","typ":"dpop+jwt","jwk":{"kty":"EC"}}) {
            Value::Object(m) => m,
            _ => unreachable!(),
        };
        // The ordinary path still refuses it.
        assert_eq!(from_object(&m), Err(ErrorKind::EmbeddedKey("jwk")));
        let (h, jwk) = from_object_allowing_proof_key(&m).unwrap();
        assert_eq!(h.typ.as_deref(), Some("dpop+jwt"));
        assert_eq!(jwk, Some(json!({"kty":"EC"})));
        for name in PROOF_KEY_BEARING {
            let mut m = m.clone();
            m.insert(name.into(), json!("https://attacker.example/jwks"));
            assert_eq!(
                from_object_allowing_proof_key(&m),
                Err(ErrorKind::EmbeddedKey(name))
            );
        }
        let mut none = m.clone();
        none.insert("alg".into(), json!("none"));
        assert_eq!(
            from_object_allowing_proof_key(&none),
            Err(ErrorKind::UnsecuredJwt)
        );
        let mut crit = m;
        crit.insert("crit".into(), json!(["b64"]));
        assert_eq!(
            from_object_allowing_proof_key(&crit),
            Err(ErrorKind::UnsupportedCritical("b64".into()))
        );
    }

    #[test]
    fn member_types_checked() {
        assert_eq!(
            read(json!({"alg":"ES256","kid":7})),
            Err(ErrorKind::InvalidHeader("kid"))
        );
        assert_eq!(
            read(json!({"alg":"ES256","typ":null})),
            Err(ErrorKind::InvalidHeader("typ"))
        );
        let h = read(json!({"alg":"ES256","typ":"at+jwt","kid":"k1","x5t":"ignored"})).unwrap();
        assert_eq!(h.kid.as_deref(), Some("k1"));
    }
}

//! The generator: every vector, built from the fixed keys of [`crate::keys`] and the cast of
//! [`crate::cast`].

mod access_token;
mod client_assertion;
mod id_jag;
mod jwt_bearer;
mod keys_file;
mod token_exchange;

use std::collections::BTreeMap;

use ema_types::{ClientId, Form, Secret, basic_auth};
use serde_json::{Value, json};

use crate::cast::{AS, CLIENT, IDP, MCP, NOW, SCOPE, SUBJECT};
use crate::jose::{Key, Obj, hex, sha256};
use crate::keys as k;
use crate::schema::{Expect, Input, SCHEMA, Step, Target, Vector, VectorFile, Verdict};
use crate::{Error, Result};

/// The files of the corpus, in the order [`generate`] returns them.
pub const FILE_NAMES: [&str; 6] = [
    "id_jag.json",
    "access_token.json",
    "client_assertion.json",
    "token_exchange.json",
    "jwt_bearer.json",
    "keys.json",
];

/// Build the whole corpus: `(file name, file content)` for each of [`FILE_NAMES`]. The content
/// is pretty-printed JSON with a final newline, byte-identical on every run.
///
/// # Errors
///
/// When a committed key does not load or serialization fails (a bug of this crate).
pub fn generate() -> Result<Vec<(&'static str, String)>> {
    let g = Gen::new()?;
    let files = [
        id_jag::file(&g)?,
        access_token::file(&g)?,
        client_assertion::file(&g)?,
        token_exchange::file(&g)?,
        jwt_bearer::file(&g)?,
    ];
    let mut out = Vec::with_capacity(FILE_NAMES.len());
    let mut seen = std::collections::BTreeSet::new();
    for file in &files {
        for v in &file.vectors {
            if !seen.insert(v.id.clone()) {
                return Err(Error::new(format!("duplicate vector id {}", v.id)));
            }
        }
        out.push((file.target.file_name(), pretty(file)?));
    }
    out.push(("keys.json", pretty(&keys_file::file(&g)?)?));
    Ok(out)
}

fn pretty<T: serde::Serialize>(value: &T) -> Result<String> {
    let mut text = serde_json::to_string_pretty(value).map_err(Error::new)?;
    text.push('\n');
    Ok(text)
}

/// The keys of the corpus.
pub(crate) struct Gen {
    pub(crate) idp_es: Key,
    pub(crate) idp_ed: Key,
    pub(crate) idp_rs: Key,
    pub(crate) idp_next: Key,
    pub(crate) other_idp: Key,
    pub(crate) as_key: Key,
    pub(crate) client: Key,
    pub(crate) dpop: Key,
    pub(crate) attacker: Key,
}

impl Gen {
    fn new() -> Result<Self> {
        Ok(Self {
            idp_es: Key::p256_pem(
                k::IDP_ES256,
                k::IDP_ES256,
                include_str!("../../../ema-jwt/tests/data/p256-test-key.pem"),
            )?,
            idp_ed: Key::ed25519_pem(
                k::IDP_EDDSA,
                k::IDP_EDDSA,
                include_str!("../../../ema-jwt/tests/data/ed25519-test-key.pem"),
            )?,
            idp_rs: Key::rsa_pem(
                k::IDP_RS256,
                k::IDP_RS256,
                include_str!("../../../ema-jwt/tests/data/rsa2048-test-key.pem"),
            )?,
            idp_next: Key::p256_seeded(k::IDP_ES256_NEXT, k::IDP_ES256_NEXT)?,
            other_idp: Key::p256_seeded(k::OTHER_IDP_ES256, k::OTHER_IDP_ES256)?,
            as_key: Key::p256_seeded(k::AS_ES256, k::AS_ES256)?,
            client: Key::p256_seeded(k::CLIENT_ES256, k::CLIENT_ES256)?,
            dpop: Key::p256_seeded(k::CLIENT_DPOP_ES256, k::CLIENT_DPOP_ES256)?,
            attacker: Key::p256_seeded(k::ATTACKER_ES256, k::ATTACKER_ES256)?,
        })
    }
}

// ---- claims ----

/// A 128-bit `jti` derived from the vector id (and a label, for several tokens per vector).
pub(crate) fn jti(id: &str) -> String {
    let digest = sha256(format!("ema-vectors/1 jti {id}"));
    format!("jti-{}", hex(digest.get(..16).unwrap_or(&digest)))
}

/// A valid ID-JAG claims set (IDP-15): issued at [`NOW`], 300 s lifetime.
pub(crate) fn id_jag_claims(id: &str) -> Obj {
    Obj::new()
        .set("iss", json!(IDP))
        .set("sub", json!(SUBJECT))
        .set("aud", json!(AS))
        .set("client_id", json!(CLIENT))
        .set("jti", json!(jti(id)))
        .set("iat", json!(NOW))
        .set("exp", json!(NOW + 300))
        .set("resource", json!(MCP))
        .set("scope", json!(SCOPE))
}

/// An RFC 9449 DPoP proof by `key` for `htm` `htu`, issued at `iat`.
pub(crate) fn dpop_proof(key: &Key, id: &str, htm: &str, htu: &str, iat: u64) -> Result<String> {
    let header = Obj::new()
        .set("typ", json!("dpop+jwt"))
        .set("alg", json!(key.alg()))
        .set("jwk", key.thumbprint_members()?);
    let claims = Obj::new()
        .set("jti", json!(jti(id)))
        .set("htm", json!(htm))
        .set("htu", json!(htu))
        .set("iat", json!(iat));
    key.jws(&header, &claims)
}

// ---- expectations ----

pub(crate) fn accept() -> Expect {
    Expect {
        verdict: Verdict::Accept,
        error: None,
        status: None,
        rule: None,
    }
}

pub(crate) fn reject_token(error: &str, rule: &str) -> Expect {
    Expect {
        verdict: Verdict::Reject,
        error: Some(error.to_owned()),
        status: None,
        rule: Some(rule.to_owned()),
    }
}

pub(crate) fn http_ok() -> Expect {
    Expect {
        verdict: Verdict::Accept,
        error: None,
        status: Some(200),
        rule: None,
    }
}

pub(crate) fn http_error(status: u16, error: &str) -> Expect {
    Expect {
        verdict: Verdict::Reject,
        error: Some(error.to_owned()),
        status: Some(status),
        rule: None,
    }
}

// ---- inputs ----

pub(crate) fn token(token: String, client_id: Option<&str>) -> Input {
    Input::Token {
        token,
        client_id: client_id.map(str::to_owned),
    }
}

/// Client authentication of a request.
#[derive(Debug, Clone)]
pub(crate) enum Auth<'a> {
    /// `client_secret_basic`.
    Basic(&'a str, &'a str),
    /// `client_secret_post`.
    Post(&'a str, &'a str),
    /// `private_key_jwt` with this assertion.
    Jwt(String),
    /// No client authentication.
    None,
}

/// A POST to `path` with `form` (in order) and `auth`.
pub(crate) fn request(path: &str, auth: &Auth<'_>, form: &[(&str, &str)]) -> Result<Input> {
    request_with(path, auth, form, &[])
}

/// [`request`] with more header fields (`DPoP`), sent after the others.
pub(crate) fn request_with(
    path: &str,
    auth: &Auth<'_>,
    form: &[(&str, &str)],
    extra_headers: &[(&str, &str)],
) -> Result<Input> {
    let mut headers = vec![(
        "content-type".to_owned(),
        "application/x-www-form-urlencoded".to_owned(),
    )];
    let mut body = Form::new();
    for (name, value) in form {
        body.push(*name, *value);
    }
    match auth {
        Auth::Basic(id, secret) => {
            let id = ClientId::new(*id).map_err(Error::new)?;
            headers.push((
                "authorization".to_owned(),
                basic_auth::encode(&id, &Secret::new(*secret)),
            ));
        }
        Auth::Post(id, secret) => {
            body.push("client_id", *id);
            body.push("client_secret", *secret);
        }
        Auth::Jwt(assertion) => {
            body.push(
                "client_assertion_type",
                ema_types::urn::CLIENT_ASSERTION_TYPE_JWT_BEARER,
            );
            body.push("client_assertion", assertion.as_str());
        }
        Auth::None => {}
    }
    for (name, value) in extra_headers {
        headers.push(((*name).to_owned(), (*value).to_owned()));
    }
    Ok(Input::Request {
        method: "POST".to_owned(),
        path: path.to_owned(),
        headers,
        body: body.encode(),
    })
}

// ---- vectors ----

/// Collects the vectors of one file.
pub(crate) struct Vectors {
    target: Target,
    keys: BTreeMap<String, String>,
    vectors: Vec<Vector>,
}

impl Vectors {
    /// Vectors for `target`, with these default key roles.
    pub(crate) fn new(target: Target, keys: &[(&str, &str)]) -> Self {
        Self {
            target,
            keys: roles(keys),
            vectors: Vec::new(),
        }
    }

    /// Add a vector with the default keys.
    pub(crate) fn add(
        &mut self,
        id: &str,
        requirement: &[&str],
        description: &str,
        clock: u64,
        input: Input,
        expect: Expect,
    ) {
        self.add_full(
            id,
            requirement,
            description,
            clock,
            &[],
            Vec::new(),
            input,
            expect,
        );
    }

    /// Add a vector, overriding some key roles and with steps presented first.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn add_full(
        &mut self,
        id: &str,
        requirement: &[&str],
        description: &str,
        clock: u64,
        keys: &[(&str, &str)],
        before: Vec<Step>,
        input: Input,
        expect: Expect,
    ) {
        let mut all = self.keys.clone();
        all.extend(roles(keys));
        self.vectors.push(Vector {
            id: id.to_owned(),
            requirement: requirement.iter().map(|r| (*r).to_owned()).collect(),
            description: description.to_owned(),
            target: self.target,
            clock,
            keys: all,
            before,
            input,
            expect,
        });
    }

    /// The file.
    pub(crate) fn file(self, description: &str, setup: Value) -> VectorFile {
        VectorFile {
            schema: SCHEMA.to_owned(),
            target: self.target,
            description: description.to_owned(),
            setup,
            vectors: self.vectors,
        }
    }
}

fn roles(keys: &[(&str, &str)]) -> BTreeMap<String, String> {
    keys.iter()
        .map(|(r, n)| ((*r).to_owned(), (*n).to_owned()))
        .collect()
}

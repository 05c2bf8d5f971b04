//! `private_key_jwt` client-assertion verification (JWT-10, JWT-03), token alone.

use serde_json::json;

use super::id_jag::resign;
use super::{Gen, Vectors, accept, jti, reject_token, token};
use crate::Result;
use crate::cast::{
    AS, AS_TOKEN_ENDPOINT, CLIENT, CLIENT_ASSERTION_MAX_LIFETIME, NOW, OTHER_CLIENT, SKEW,
};
use crate::jose::{Obj, b64, hs256};
use crate::keys as k;
use crate::schema::{Target, VectorFile};

const CLIENT_ERR: &str = "invalid_client";

/// A valid client-assertion claims set for `client` at `audience`: 60 s lifetime.
pub(crate) fn claims(id: &str, client: &str, audience: &str) -> Obj {
    Obj::new()
        .set("iss", json!(client))
        .set("sub", json!(client))
        .set("aud", json!(audience))
        .set("jti", json!(jti(id)))
        .set("iat", json!(NOW))
        .set("exp", json!(NOW + 60))
}

#[allow(clippy::too_many_lines)]
pub(super) fn file(g: &Gen) -> Result<VectorFile> {
    let mut v = Vectors::new(
        Target::ClientAssertion,
        &[(k::ROLE_TRUSTED_JWKS, k::JWKS_CLIENT)],
    );
    let cl = &g.client;
    let h = || cl.header(Some("client-authentication+jwt"));
    let c = |id: &str| claims(id, CLIENT, AS);
    let t = |s: String| token(s, None);
    let rej = |rule: &str| reject_token(CLIENT_ERR, rule);

    v.add(
        "ca-valid",
        &["JWT-10"],
        "A valid client assertion, typ client-authentication+jwt (control).",
        NOW,
        t(cl.jws(&h(), &c("ca-valid"))?),
        accept(),
    );
    v.add(
        "ca-valid-no-typ",
        &["JWT-10"],
        "A valid client assertion without typ (RFC 7523 requires none; accepted).",
        NOW,
        t(cl.jws(&cl.header(None), &c("ca-valid-no-typ"))?),
        accept(),
    );
    v.add(
        "ca-alg-none",
        &["JWT-01", "JWT-10"],
        "alg none, empty signature.",
        NOW,
        t(format!(
            "{}.{}.",
            b64(Obj::new().set("alg", json!("none")).to_json()?),
            b64(c("ca-alg-none").to_json()?)
        )),
        rej("UnsecuredJwt"),
    );
    v.add(
        "ca-hs256-client-secret",
        &["JWT-02", "JWT-10"],
        "HS256 (client_secret_jwt) keyed with the client's secret: not an accepted method.",
        NOW,
        t(hs256(
            crate::cast::SECRET.as_bytes(),
            &Obj::new().set("alg", json!("HS256")),
            &c("ca-hs256-client-secret"),
        )?),
        rej("UnsupportedAlgorithm"),
    );
    v.add(
        "ca-typ-id-jag",
        &["JWT-03", "JWT-10"],
        "typ oauth-id-jag+jwt: an ID-JAG can never authenticate a client.",
        NOW,
        t(cl.jws(&cl.header(Some("oauth-id-jag+jwt")), &c("ca-typ-id-jag"))?),
        rej("WrongType"),
    );
    v.add(
        "ca-typ-at-jwt",
        &["JWT-03", "JWT-10"],
        "typ at+jwt presented as a client assertion.",
        NOW,
        t(cl.jws(&cl.header(Some("at+jwt")), &c("ca-typ-at-jwt"))?),
        rej("WrongType"),
    );
    v.add(
        "ca-typ-dpop",
        &["JWT-03", "JWT-10"],
        "typ dpop+jwt presented as a client assertion.",
        NOW,
        t(cl.jws(&cl.header(Some("dpop+jwt")), &c("ca-typ-dpop"))?),
        rej("WrongType"),
    );
    v.add(
        "ca-embedded-jwk",
        &["JWT-05", "JWT-10"],
        "Header `jwk` carrying the attacker's key, signed by it.",
        NOW,
        t(g.attacker.jws(
            &g.attacker.header(None).set("jwk", g.attacker.public_jwk()),
            &c("ca-embedded-jwk"),
        )?),
        rej("EmbeddedKey"),
    );
    v.add(
        "ca-attacker-key-under-client-kid",
        &["JWT-09", "JWT-10"],
        "Signed by the attacker's key, header names the client's kid.",
        NOW,
        t(g.attacker
            .jws(&h(), &c("ca-attacker-key-under-client-kid"))?),
        rej("InvalidSignature"),
    );
    let valid = cl.jws(&h(), &c("ca-sig"))?;
    v.add(
        "ca-sig-psychic",
        &["JWT-09", "JWT-10"],
        "Psychic signature r = s = 0.",
        NOW,
        t(resign(&valid, |_| vec![0; 64])?),
        rej("InvalidSignature"),
    );
    v.add(
        "ca-aud-token-endpoint",
        &["JWT-10", "OQ-21"],
        "aud is the token endpoint URL (accepted only behind the legacy flag, off here).",
        NOW,
        t(cl.jws(
            &h(),
            &claims("ca-aud-token-endpoint", CLIENT, AS_TOKEN_ENDPOINT),
        )?),
        rej("AudienceMismatch"),
    );
    v.add(
        "ca-aud-array-injection",
        &["JWT-10", "JWT-07"],
        "Audience injection: aud = [issuer, another AS].",
        NOW,
        t(cl.jws(
            &h(),
            &c("ca-aud-array-injection").set("aud", json!([AS, "https://as.other.test"])),
        )?),
        rej("MultipleAudiences"),
    );
    v.add(
        "ca-iss-sub-differ",
        &["JWT-10"],
        "iss is the client, sub another client.",
        NOW,
        t(cl.jws(
            &h(),
            &c("ca-iss-sub-differ").set("sub", json!(OTHER_CLIENT)),
        )?),
        rej("SubjectMismatch"),
    );
    v.add(
        "ca-other-client",
        &["JWT-10"],
        "iss = sub = another client, signed with this client's key.",
        NOW,
        t(cl.jws(&h(), &claims("ca-other-client", OTHER_CLIENT, AS))?),
        rej("SubjectMismatch"),
    );
    v.add(
        "ca-missing-jti",
        &["JWT-10"],
        "No jti (single use impossible).",
        NOW,
        t(cl.jws(&h(), &c("ca-missing-jti").remove("jti"))?),
        rej("MissingClaim"),
    );
    v.add(
        "ca-lifetime-edge-accept",
        &["JWT-10"],
        "exp = now + 300 s (the 5-minute cap).",
        NOW,
        t(cl.jws(
            &h(),
            &c("ca-lifetime-edge-accept").set("exp", json!(NOW + CLIENT_ASSERTION_MAX_LIFETIME)),
        )?),
        accept(),
    );
    v.add(
        "ca-lifetime-edge-reject",
        &["JWT-10"],
        "exp - iat = 301 s (cap + 1 s).",
        NOW,
        t(cl.jws(
            &h(),
            &c("ca-lifetime-edge-reject")
                .set("exp", json!(NOW + CLIENT_ASSERTION_MAX_LIFETIME + 1)),
        )?),
        rej("LifetimeTooLong"),
    );
    v.add(
        "ca-exp-edge-accept",
        &["JWT-06", "JWT-10"],
        "now = exp + skew - 1 s: valid.",
        NOW + 60 + SKEW - 1,
        t(cl.jws(&h(), &c("ca-exp-edge-accept"))?),
        accept(),
    );
    v.add(
        "ca-exp-edge-reject",
        &["JWT-06", "JWT-10"],
        "now = exp + skew: expired.",
        NOW + 60 + SKEW,
        t(cl.jws(&h(), &c("ca-exp-edge-reject"))?),
        rej("Expired"),
    );
    v.add(
        "ca-iat-edge-reject",
        &["JWT-06", "JWT-10"],
        "iat = now + skew + 1 s: issued in the future.",
        NOW,
        t(cl.jws(
            &h(),
            &c("ca-iat-edge-reject")
                .set("iat", json!(NOW + SKEW + 1))
                .set("exp", json!(NOW + SKEW + 61)),
        )?),
        rej("IssuedInFuture"),
    );

    let setup = json!({
        "verifier": "client-assertion verifier of the AS token endpoint (JWT-10)",
        "audience": AS,
        "legacy_token_endpoint_audience": null,
        "client_id": CLIENT,
        "allowed_algorithms": ["ES256", "RS256", "PS256", "EdDSA"],
        "skew_seconds": SKEW,
        "max_lifetime_seconds": CLIENT_ASSERTION_MAX_LIFETIME,
        "keys": {"trusted_jwks": "JWKS registered for the client"},
        "error": "every rejection is invalid_client (JWT-10)",
    });
    Ok(v.file(
        "private_key_jwt client-assertion verification, on the token alone.",
        setup,
    ))
}

//! RFC 9068 access-token verification at the resource server (RS-03, RS-04, RS-07).

use serde_json::json;

use super::id_jag::resign;
use super::{Gen, Vectors, accept, jti, reject_token, token};
use crate::cast::{AS, CLIENT, IDP, MCP, NOW, SKEW, SUBJECT, WIKI};
use crate::jose::{Obj, b64, hs256, unsigned};
use crate::keys as k;
use crate::schema::{Target, VectorFile};
use crate::{Error, Result};

const TOKEN: &str = "invalid_token";

fn claims(id: &str) -> Obj {
    Obj::new()
        .set("iss", json!(AS))
        .set("sub", json!(SUBJECT))
        .set("aud", json!(MCP))
        .set("client_id", json!(CLIENT))
        .set("jti", json!(jti(id)))
        .set("iat", json!(NOW))
        .set("exp", json!(NOW + 3600))
        .set("scope", json!("tickets:read"))
}

#[allow(clippy::too_many_lines)]
pub(super) fn file(g: &Gen) -> Result<VectorFile> {
    let mut v = Vectors::new(Target::AccessToken, &[(k::ROLE_TRUSTED_JWKS, k::JWKS_AS)]);
    let a = &g.as_key;
    let h = || a.header(Some("at+jwt"));
    let t = |s: String| token(s, None);
    let rej = |rule: &str| reject_token(TOKEN, rule);

    v.add(
        "at-valid",
        &["AS-14", "RS-03"],
        "A valid RFC 9068 access token (control).",
        NOW,
        t(a.jws(&h(), &claims("at-valid"))?),
        accept(),
    );
    v.add(
        "at-typ-long-form",
        &["RS-03", "JWT-04"],
        "typ `application/at+jwt` (accepted).",
        NOW,
        t(a.jws(
            &a.header(Some("application/at+jwt")),
            &claims("at-typ-long-form"),
        )?),
        accept(),
    );
    v.add(
        "at-alg-none",
        &["JWT-01", "RS-03"],
        "alg none, empty signature.",
        NOW,
        t(format!(
            "{}.{}.",
            b64(Obj::new()
                .set("alg", json!("none"))
                .set("typ", json!("at+jwt"))
                .to_json()?),
            b64(claims("at-alg-none").to_json()?)
        )),
        rej("UnsecuredJwt"),
    );
    v.add(
        "at-typ-id-jag",
        &["JWT-03", "RS-03"],
        "An ID-JAG type (oauth-id-jag+jwt) presented as an access token.",
        NOW,
        t(a.jws(
            &a.header(Some("oauth-id-jag+jwt")),
            &claims("at-typ-id-jag"),
        )?),
        rej("WrongType"),
    );
    v.add(
        "at-typ-missing-id-token",
        &["JWT-03", "RS-03"],
        "An ID token (no typ) presented as an access token.",
        NOW,
        t(a.jws(&a.header(None), &claims("at-typ-missing-id-token"))?),
        rej("MissingType"),
    );
    v.add(
        "at-typ-client-assertion",
        &["JWT-03", "RS-03"],
        "A client assertion type presented as an access token.",
        NOW,
        t(a.jws(
            &a.header(Some("client-authentication+jwt")),
            &claims("at-typ-client-assertion"),
        )?),
        rej("WrongType"),
    );
    v.add(
        "at-id-jag-from-idp",
        &["RS-07", "JWT-03"],
        "A real ID-JAG from the IdP presented to the resource server.",
        NOW,
        t(g.idp_es.jws(
            &g.idp_es.header(Some("oauth-id-jag+jwt")),
            &super::id_jag_claims("at-id-jag-from-idp"),
        )?),
        rej("WrongType"),
    );
    let as_jwk = serde_json::to_vec(&a.public_jwk()).map_err(Error::new)?;
    v.add(
        "at-hs256-as-public-jwk",
        &["JWT-02", "RS-03"],
        "HS256 keyed with the AS's published JWK.",
        NOW,
        t(hs256(
            &as_jwk,
            &Obj::new()
                .set("alg", json!("HS256"))
                .set("typ", json!("at+jwt"))
                .set("kid", json!(k::AS_ES256)),
            &claims("at-hs256-as-public-jwk"),
        )?),
        rej("UnsupportedAlgorithm"),
    );
    v.add(
        "at-embedded-jwk",
        &["JWT-05", "RS-03"],
        "Header `jwk` with the attacker's key, signed by it.",
        NOW,
        t(g.attacker.jws(
            &g.attacker
                .header(Some("at+jwt"))
                .set("jwk", g.attacker.public_jwk()),
            &claims("at-embedded-jwk"),
        )?),
        rej("EmbeddedKey"),
    );
    v.add(
        "at-kid-unknown-idp-key",
        &["RS-07", "RS-03"],
        "Signed by the IdP's key (not the AS's).",
        NOW,
        t(g.idp_es.jws(
            &g.idp_es.header(Some("at+jwt")),
            &claims("at-kid-unknown-idp-key"),
        )?),
        rej("UnknownKeyId"),
    );
    let valid = a.jws(&h(), &claims("at-sig"))?;
    v.add(
        "at-sig-psychic",
        &["JWT-09", "RS-03"],
        "Psychic signature r = s = 0.",
        NOW,
        t(resign(&valid, |_| vec![0; 64])?),
        rej("InvalidSignature"),
    );
    v.add(
        "at-sig-truncated",
        &["JWT-09", "RS-03"],
        "Signature truncated to 32 octets.",
        NOW,
        t(resign(&valid, |s| {
            s.get(..32).unwrap_or_default().to_vec()
        })?),
        rej("InvalidSignature"),
    );
    v.add(
        "at-sig-empty",
        &["JWT-09", "JWT-01"],
        "Null signature (empty third segment).",
        NOW,
        t(resign(&valid, |_| Vec::new())?),
        rej("EmptySegment"),
    );
    v.add(
        "at-sig-zero-unsigned",
        &["JWT-09"],
        "A hand-made token with a 64-octet zero signature.",
        NOW,
        t(unsigned(&h(), &claims("at-sig-zero-unsigned"), &[0; 64])?),
        rej("InvalidSignature"),
    );
    v.add(
        "at-iss-idp",
        &["RS-03", "RS-07"],
        "iss is the IdP (signed with the AS key).",
        NOW,
        t(a.jws(&h(), &claims("at-iss-idp").set("iss", json!(IDP)))?),
        rej("UntrustedIssuer"),
    );
    v.add(
        "at-aud-other-resource",
        &["RS-03", "AS-09"],
        "Resource swap: aud is another resource of the same AS.",
        NOW,
        t(a.jws(
            &h(),
            &claims("at-aud-other-resource").set("aud", json!(WIKI)),
        )?),
        rej("AudienceMismatch"),
    );
    v.add(
        "at-aud-trailing-slash",
        &["RS-03", "JWT-08"],
        "aud with a trailing slash.",
        NOW,
        t(a.jws(
            &h(),
            &claims("at-aud-trailing-slash").set("aud", json!(format!("{MCP}/"))),
        )?),
        rej("AudienceMismatch"),
    );
    v.add(
        "at-aud-array-with-resource",
        &["RS-03", "JWT-07"],
        "aud array containing this resource among others (RS-03: contains, accepted).",
        NOW,
        t(a.jws(
            &h(),
            &claims("at-aud-array-with-resource").set("aud", json!([WIKI, MCP])),
        )?),
        accept(),
    );
    v.add(
        "at-aud-uppercase-host",
        &["META-08", "RS-03"],
        "aud with upper-case scheme and host: lower-cased before matching (accepted).",
        NOW,
        t(a.jws(
            &h(),
            &claims("at-aud-uppercase-host").set("aud", json!("HTTPS://TOOLS.TOOLHUB.TEST/mcp")),
        )?),
        accept(),
    );
    v.add(
        "at-aud-uppercase-path",
        &["META-08", "RS-03"],
        "aud with an upper-case path (never normalised).",
        NOW,
        t(a.jws(
            &h(),
            &claims("at-aud-uppercase-path").set("aud", json!("https://tools.toolhub.test/MCP")),
        )?),
        rej("AudienceMismatch"),
    );
    let exp = NOW + 3600;
    v.add(
        "at-exp-edge-accept",
        &["JWT-06", "RS-04"],
        "now = exp + skew - 1 s: valid.",
        exp + SKEW - 1,
        t(a.jws(&h(), &claims("at-exp-edge-accept"))?),
        accept(),
    );
    v.add(
        "at-exp-edge-reject",
        &["JWT-06", "RS-04"],
        "now = exp + skew: expired.",
        exp + SKEW,
        t(a.jws(&h(), &claims("at-exp-edge-reject"))?),
        rej("Expired"),
    );
    v.add(
        "at-nbf-edge-accept",
        &["JWT-06"],
        "nbf = now + skew: valid.",
        NOW,
        t(a.jws(
            &h(),
            &claims("at-nbf-edge-accept").set("nbf", json!(NOW + SKEW)),
        )?),
        accept(),
    );
    v.add(
        "at-nbf-edge-reject",
        &["JWT-06"],
        "nbf = now + skew + 1 s: not yet valid.",
        NOW,
        t(a.jws(
            &h(),
            &claims("at-nbf-edge-reject").set("nbf", json!(NOW + SKEW + 1)),
        )?),
        rej("NotYetValid"),
    );
    v.add(
        "at-iat-edge-reject",
        &["JWT-06"],
        "iat = now + skew + 1 s: issued in the future.",
        NOW,
        t(a.jws(
            &h(),
            &claims("at-iat-edge-reject").set("iat", json!(NOW + SKEW + 1)),
        )?),
        rej("IssuedInFuture"),
    );

    let setup = json!({
        "verifier": "access-token verifier of the resource server (RS-03)",
        "issuer": AS,
        "resource": MCP,
        "allowed_algorithms": ["ES256", "RS256", "PS256", "EdDSA"],
        "skew_seconds": SKEW,
        "keys": {"trusted_jwks": "JWKS of the AS"},
        "error": "every rejection is invalid_token (RS-04: HTTP 401 with a Bearer challenge)",
    });
    Ok(v.file(
        "RFC 9068 access-token verification at the resource server.",
        setup,
    ))
}

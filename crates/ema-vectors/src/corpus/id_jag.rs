//! ID-JAG verification at the resource AS (§6 steps 4-16, JWT-01..JWT-11), token alone.

use serde_json::json;

use super::{Gen, Vectors, accept, id_jag_claims, reject_token, token};
use crate::cast::{
    AS, AS_TOKEN_ENDPOINT, CLIENT, EVIL_RESOURCE, ID_JAG_MAX_LIFETIME, IDP, MAX_TOKEN_BYTES, MCP,
    NOW, OTHER_AS, OTHER_CLIENT, ROGUE_IDP, SKEW, WIKI,
};
use crate::jose::{Obj, b64, es256_to_der, hs256, p256_negate, p256_order, unsigned};
use crate::keys as k;
use crate::schema::{Target, VectorFile};
use crate::{Error, Result};

const TYP: &str = "oauth-id-jag+jwt";
const GRANT: &str = "invalid_grant";

#[allow(clippy::too_many_lines)]
pub(super) fn file(g: &Gen) -> Result<VectorFile> {
    let mut v = Vectors::new(Target::IdJag, &[(k::ROLE_TRUSTED_JWKS, k::JWKS_IDP)]);
    let es = &g.idp_es;
    let h = || es.header(Some(TYP));
    let c = id_jag_claims;
    let t = |s: String| token(s, Some(CLIENT));
    let rej = |rule: &str| reject_token(GRANT, rule);

    // -- controls --
    v.add(
        "idjag-valid-es256",
        &["IDP-15", "§6 steps 4-16"],
        "A valid ES256 ID-JAG (control).",
        NOW,
        t(es.jws(&h(), &c("idjag-valid-es256"))?),
        accept(),
    );
    v.add(
        "idjag-valid-eddsa",
        &["JWT-02"],
        "A valid EdDSA ID-JAG (control).",
        NOW,
        t(g.idp_ed
            .jws(&g.idp_ed.header(Some(TYP)), &c("idjag-valid-eddsa"))?),
        accept(),
    );
    v.add(
        "idjag-valid-rs256",
        &["JWT-02"],
        "A valid RS256 ID-JAG (control: RS256 is allowed with a 2048-bit key).",
        NOW,
        t(g.idp_rs
            .jws(&g.idp_rs.header(Some(TYP)), &c("idjag-valid-rs256"))?),
        accept(),
    );
    v.add("idjag-typ-long-form-mixed-case", &["JWT-04", "OQ-10"], "typ `Application/OAuth-ID-JAG+JWT` is the same media type, compared case-insensitively (accepted).", NOW, t(es.jws(&es.header(Some("Application/OAuth-ID-JAG+JWT")), &c("idjag-typ-long-form-mixed-case"))?), accept());
    v.add(
        "idjag-aud-one-element-array",
        &["JWT-07", "§6 step 11"],
        "aud as a one-element array holding the AS issuer (accepted).",
        NOW,
        t(es.jws(
            &h(),
            &c("idjag-aud-one-element-array").set("aud", json!([AS])),
        )?),
        accept(),
    );
    v.add(
        "idjag-resource-array-served",
        &["AS-08", "§6 step 16"],
        "resource as an array of two resources the AS serves (accepted).",
        NOW,
        t(es.jws(
            &h(),
            &c("idjag-resource-array-served").set("resource", json!([MCP, WIKI])),
        )?),
        accept(),
    );
    {
        // ECDSA malleability: (r, n - s) verifies as well. JWS does not require low-S; the
        // replay defence keys on (iss, jti), see jwt_bearer `jb-replay-high-s-twin`.
        let token_text = es.jws(&h(), &c("idjag-high-s-twin"))?;
        let twin = resign(&token_text, |sig| {
            let (r, s) = sig.split_at(32);
            let mut out = r.to_vec();
            out.extend(p256_negate(s));
            out
        })?;
        v.add("idjag-high-s-twin", &["JWT-09", "AS-11"], "The high-S twin (r, n - s) of a valid ES256 signature verifies (accepted); single use is enforced on (iss, jti), not on signature bytes.", NOW, t(twin), accept());
    }

    // -- JWT-01: compact JWS only, alg none, JWE --
    v.add(
        "idjag-alg-none",
        &["JWT-01", "§6 step 6"],
        "alg none with an empty signature.",
        NOW,
        t(format!(
            "{}.{}.",
            b64(Obj::new()
                .set("alg", json!("none"))
                .set("typ", json!(TYP))
                .to_json()?),
            b64(c("idjag-alg-none").to_json()?)
        )),
        rej("UnsecuredJwt"),
    );
    v.add(
        "idjag-alg-none-mixed-case",
        &["JWT-01", "§6 step 6"],
        "alg `NoNe` with the signature of a valid token left in place.",
        NOW,
        t(swap_header(
            &es.jws(&h(), &c("idjag-alg-none-mixed-case"))?,
            &Obj::new()
                .set("alg", json!("NoNe"))
                .set("typ", json!(TYP))
                .set("kid", json!(k::IDP_ES256)),
        )?),
        rej("UnsecuredJwt"),
    );
    v.add(
        "idjag-jwe",
        &["JWT-01", "§6 step 4"],
        "Five segments (a JWE): not supported.",
        NOW,
        t(format!(
            "{}.{}.AAAA.AAAA.AAAA",
            b64(r#"{"alg":"RSA-OAEP","enc":"A256GCM","typ":"oauth-id-jag+jwt"}"#),
            b64("key")
        )),
        rej("EncryptedToken"),
    );
    v.add(
        "idjag-two-segments",
        &["JWT-01", "§6 step 4"],
        "Two segments (signature dropped with its dot).",
        NOW,
        t(drop_signature(&es.jws(&h(), &c("idjag-two-segments"))?)),
        rej("Malformed"),
    );
    v.add(
        "idjag-padded-base64",
        &["JWT-01", "§6 step 4"],
        "Padded base64url in the payload segment.",
        NOW,
        t(pad_payload(&es.jws(&h(), &c("idjag-padded-base64"))?)),
        rej("InvalidBase64"),
    );

    // -- JWT-02 / §6 step 6: allow-list, no HS*, algorithm bound to the key --
    let rsa_pem = g
        .idp_rs
        .rsa_public_pem()?
        .ok_or_else(|| Error::new("RSA key expected"))?;
    v.add("idjag-hs256-rsa-public-pem", &["JWT-02", "§6 step 6"], "RS/HS confusion: HS256 with the IdP's RSA public key (SPKI PEM) as the HMAC secret, kid of the RSA key.", NOW, t(hs256(rsa_pem.as_bytes(), &Obj::new().set("alg", json!("HS256")).set("typ", json!(TYP)).set("kid", json!(k::IDP_RS256)), &c("idjag-hs256-rsa-public-pem"))?), rej("UnsupportedAlgorithm"));
    let ec_jwk = serde_json::to_vec(&es.public_jwk()).map_err(Error::new)?;
    v.add(
        "idjag-hs256-ec-public-jwk",
        &["JWT-02", "§6 step 6"],
        "ES/HS confusion: HS256 keyed with the IdP's published EC JWK.",
        NOW,
        t(hs256(
            &ec_jwk,
            &Obj::new()
                .set("alg", json!("HS256"))
                .set("typ", json!(TYP))
                .set("kid", json!(k::IDP_ES256)),
            &c("idjag-hs256-ec-public-jwk"),
        )?),
        rej("UnsupportedAlgorithm"),
    );
    v.add_full("idjag-hs256-oct-key-in-jwks", &["JWT-02", "§6 step 6"], "HS256 keyed with the secret of an `oct` key that sits in the JWKS (never usable for verification).", NOW, &[(k::ROLE_TRUSTED_JWKS, k::JWKS_IDP_UNUSABLE)], vec![], t(hs256(b"secret", &Obj::new().set("alg", json!("HS256")).set("typ", json!(TYP)).set("kid", json!("hmac")), &c("idjag-hs256-oct-key-in-jwks"))?), rej("UnsupportedAlgorithm"));
    v.add(
        "idjag-rs256-on-es256-key",
        &["JWT-02", "§6 step 6"],
        "RS256 token naming the ES256-pinned key.",
        NOW,
        t(g.idp_rs.jws(
            &Obj::new()
                .set("alg", json!("RS256"))
                .set("typ", json!(TYP))
                .set("kid", json!(k::IDP_ES256)),
            &c("idjag-rs256-on-es256-key"),
        )?),
        rej("KeyAlgorithmMismatch"),
    );
    v.add(
        "idjag-es256-on-rsa-key",
        &["JWT-02", "§6 step 6"],
        "ES256 token naming the RS256-pinned RSA key.",
        NOW,
        t(es.jws(
            &h().set("kid", json!(k::IDP_RS256)),
            &c("idjag-es256-on-rsa-key"),
        )?),
        rej("KeyAlgorithmMismatch"),
    );
    v.add(
        "idjag-eddsa-on-es256-key",
        &["JWT-02", "§6 step 6"],
        "EdDSA token naming the ES256-pinned key.",
        NOW,
        t(g.idp_ed.jws(
            &g.idp_ed.header(Some(TYP)).set("kid", json!(k::IDP_ES256)),
            &c("idjag-eddsa-on-es256-key"),
        )?),
        rej("KeyAlgorithmMismatch"),
    );
    v.add(
        "idjag-es384",
        &["JWT-02", "§6 step 6"],
        "alg ES384 (not in the allow-list).",
        NOW,
        t(es.jws(&h().set("alg", json!("ES384")), &c("idjag-es384"))?),
        rej("UnsupportedAlgorithm"),
    );

    // -- JWT-03 / §6 step 5: explicit typing --
    v.add(
        "idjag-typ-missing-id-token",
        &["JWT-03", "§6 step 5"],
        "An ID token (no typ) carrying ID-JAG claims.",
        NOW,
        t(es.jws(&es.header(None), &c("idjag-typ-missing-id-token"))?),
        rej("MissingType"),
    );
    v.add(
        "idjag-typ-jwt-id-token",
        &["JWT-03", "§6 step 5"],
        "An ID token (typ JWT) carrying ID-JAG claims.",
        NOW,
        t(es.jws(&es.header(Some("JWT")), &c("idjag-typ-jwt-id-token"))?),
        rej("WrongType"),
    );
    v.add(
        "idjag-typ-at-jwt",
        &["JWT-03", "§6 step 5"],
        "An access token (typ at+jwt) carrying ID-JAG claims.",
        NOW,
        t(es.jws(&es.header(Some("at+jwt")), &c("idjag-typ-at-jwt"))?),
        rej("WrongType"),
    );
    v.add(
        "idjag-typ-client-assertion",
        &["JWT-03", "§6 step 5"],
        "A client assertion (typ client-authentication+jwt) carrying ID-JAG claims.",
        NOW,
        t(es.jws(
            &es.header(Some("client-authentication+jwt")),
            &c("idjag-typ-client-assertion"),
        )?),
        rej("WrongType"),
    );
    v.add(
        "idjag-typ-dpop",
        &["JWT-03", "§6 step 5"],
        "A DPoP proof type (dpop+jwt) carrying ID-JAG claims.",
        NOW,
        t(es.jws(&es.header(Some("dpop+jwt")), &c("idjag-typ-dpop"))?),
        rej("WrongType"),
    );
    v.add(
        "idjag-typ-other-prefix",
        &["JWT-04", "§6 step 5"],
        "typ `text/oauth-id-jag+jwt` (another media-type prefix).",
        NOW,
        t(es.jws(
            &es.header(Some("text/oauth-id-jag+jwt")),
            &c("idjag-typ-other-prefix"),
        )?),
        rej("WrongType"),
    );

    // -- JWT-05 / AS-18: keys only from the trusted JWKS; crit --
    let attacker = &g.attacker;
    v.add(
        "idjag-embedded-jwk",
        &["JWT-05", "AS-18"],
        "Header `jwk` embedding the attacker's key, signed by it.",
        NOW,
        t(attacker.jws(
            &attacker.header(Some(TYP)).set("jwk", attacker.public_jwk()),
            &c("idjag-embedded-jwk"),
        )?),
        rej("EmbeddedKey"),
    );
    v.add(
        "idjag-embedded-jku",
        &["JWT-05", "AS-18"],
        "Header `jku` pointing at the attacker's JWKS.",
        NOW,
        t(attacker.jws(
            &attacker
                .header(Some(TYP))
                .set("jku", json!("https://attacker.example/jwks.json")),
            &c("idjag-embedded-jku"),
        )?),
        rej("EmbeddedKey"),
    );
    v.add(
        "idjag-embedded-x5u",
        &["JWT-05", "AS-18"],
        "Header `x5u` pointing at the attacker's certificate.",
        NOW,
        t(attacker.jws(
            &attacker
                .header(Some(TYP))
                .set("x5u", json!("https://attacker.example/cert.pem")),
            &c("idjag-embedded-x5u"),
        )?),
        rej("EmbeddedKey"),
    );
    v.add(
        "idjag-embedded-x5c",
        &["JWT-05", "AS-18"],
        "Header `x5c` with a certificate chain.",
        NOW,
        t(attacker.jws(
            &attacker
                .header(Some(TYP))
                .set("x5c", json!(["MIIBszCCAVmgAwIBAgIU"])),
            &c("idjag-embedded-x5c"),
        )?),
        rej("EmbeddedKey"),
    );
    v.add(
        "idjag-embedded-jwk-trusted-key",
        &["JWT-05", "AS-18"],
        "Header `jwk` holding the IdP's own key on an otherwise valid token: refused all the same.",
        NOW,
        t(es.jws(
            &h().set("jwk", es.public_jwk()),
            &c("idjag-embedded-jwk-trusted-key"),
        )?),
        rej("EmbeddedKey"),
    );
    v.add(
        "idjag-kid-path-traversal",
        &["JWT-05", "§6 step 8"],
        "kid injection: `../../../../dev/null`.",
        NOW,
        t(es.jws(
            &h().set("kid", json!("../../../../dev/null")),
            &c("idjag-kid-path-traversal"),
        )?),
        rej("UnknownKeyId"),
    );
    v.add(
        "idjag-kid-sql-injection",
        &["JWT-05", "§6 step 8"],
        "kid injection: `' UNION SELECT 'secret' --`.",
        NOW,
        t(es.jws(
            &h().set("kid", json!("' UNION SELECT 'secret' --")),
            &c("idjag-kid-sql-injection"),
        )?),
        rej("UnknownKeyId"),
    );
    v.add(
        "idjag-kid-url",
        &["JWT-05", "§6 step 8"],
        "kid injection: a URL.",
        NOW,
        t(es.jws(
            &h().set("kid", json!("https://attacker.example/key.pem")),
            &c("idjag-kid-url"),
        )?),
        rej("UnknownKeyId"),
    );
    v.add(
        "idjag-kid-unknown-attacker",
        &["JWT-05", "§6 step 8"],
        "Signed by the attacker's key under its own kid.",
        NOW,
        t(attacker.jws(
            &attacker.header(Some(TYP)),
            &c("idjag-kid-unknown-attacker"),
        )?),
        rej("UnknownKeyId"),
    );
    v.add(
        "idjag-kid-numeric",
        &["JWT-05", "§6 step 4"],
        "kid is a number.",
        NOW,
        t(es.jws(&h().set("kid", json!(1)), &c("idjag-kid-numeric"))?),
        rej("InvalidHeader"),
    );
    v.add_full(
        "idjag-kid-absent-ambiguous",
        &["JWT-05", "§6 step 8"],
        "No kid while the JWKS holds two ES256 keys (rotation).",
        NOW,
        &[(k::ROLE_TRUSTED_JWKS, k::JWKS_IDP_ROTATING)],
        vec![],
        t(es.jws(
            &Obj::new().set("alg", json!("ES256")).set("typ", json!(TYP)),
            &c("idjag-kid-absent-ambiguous"),
        )?),
        rej("AmbiguousKey"),
    );
    v.add_full("idjag-off-curve-key", &["JWT-09", "JWT-05"], "Wrong curve point: the kid names a JWKS entry whose (x, y) is not on P-256; the entry is unusable.", NOW, &[(k::ROLE_TRUSTED_JWKS, k::JWKS_IDP_UNUSABLE)], vec![], t(es.jws(&h().set("kid", json!("off-curve")), &c("idjag-off-curve-key"))?), rej("UnknownKeyId"));
    v.add_full(
        "idjag-p384-key-for-es256",
        &["JWT-02", "JWT-09"],
        "Wrong curve: the kid names a P-384 key in the JWKS, the token says ES256.",
        NOW,
        &[(k::ROLE_TRUSTED_JWKS, k::JWKS_IDP_UNUSABLE)],
        vec![],
        t(es.jws(
            &h().set("kid", json!("p384")),
            &c("idjag-p384-key-for-es256"),
        )?),
        rej("UnknownKeyId"),
    );
    v.add_full(
        "idjag-weak-rsa-key",
        &["JWT-02"],
        "The kid names a 1024-bit RSA key in the JWKS (never usable).",
        NOW,
        &[(k::ROLE_TRUSTED_JWKS, k::JWKS_IDP_UNUSABLE)],
        vec![],
        t(g.idp_rs.jws(
            &Obj::new()
                .set("alg", json!("RS256"))
                .set("typ", json!(TYP))
                .set("kid", json!("weak-rsa")),
            &c("idjag-weak-rsa-key"),
        )?),
        rej("UnknownKeyId"),
    );
    v.add_full("idjag-valid-beside-unusable-keys", &["JWT-09"], "A valid token whose key sits beside unusable JWKS entries (control: the bad entries are skipped, not fatal).", NOW, &[(k::ROLE_TRUSTED_JWKS, k::JWKS_IDP_UNUSABLE)], vec![], t(es.jws(&h(), &c("idjag-valid-beside-unusable-keys"))?), accept());
    let unusable = |id: &str, kid: &str| es.jws(&h().set("kid", json!(kid)), &c(id));
    v.add_full(
        "idjag-key-use-enc",
        &["JWT-05", "JWT-09"],
        "The kid names the IdP key published with `use` `enc` (not a signature key).",
        NOW,
        &[(k::ROLE_TRUSTED_JWKS, k::JWKS_IDP_UNUSABLE)],
        vec![],
        t(unusable("idjag-key-use-enc", "enc-use")?),
        rej("UnknownKeyId"),
    );
    v.add_full(
        "idjag-key-ops-encrypt",
        &["JWT-05", "JWT-09"],
        "The kid names the IdP key published with `key_ops` [\"encrypt\"] (no `verify`).",
        NOW,
        &[(k::ROLE_TRUSTED_JWKS, k::JWKS_IDP_UNUSABLE)],
        vec![],
        t(unusable("idjag-key-ops-encrypt", "ops-encrypt")?),
        rej("UnknownKeyId"),
    );
    v.add_full("idjag-key-alg-kty-mismatch", &["JWT-02", "JWT-09"], "The kid names an EC P-256 key whose JWK declares alg RS256 (alg does not fit the key type).", NOW, &[(k::ROLE_TRUSTED_JWKS, k::JWKS_IDP_UNUSABLE)], vec![], t(unusable("idjag-key-alg-kty-mismatch", "ec-declares-rs256")?), rej("UnknownKeyId"));
    v.add(
        "idjag-crit-unknown",
        &["JWT-05", "§6 step 4"],
        "crit names an extension this verifier does not understand.",
        NOW,
        t(es.jws(
            &h().set("crit", json!(["urn:example:must-understand"]))
                .set("urn:example:must-understand", json!(true)),
            &c("idjag-crit-unknown"),
        )?),
        rej("UnsupportedCritical"),
    );

    // -- JWT-09 / §6 step 9: signatures --
    let valid = es.jws(&h(), &c("idjag-sig"))?;
    v.add(
        "idjag-sig-empty",
        &["JWT-09", "§6 step 4"],
        "Null signature: the third segment is empty.",
        NOW,
        t(resign(&valid, |_| Vec::new())?),
        rej("EmptySegment"),
    );
    v.add(
        "idjag-sig-psychic",
        &["JWT-09", "§6 step 9"],
        "Psychic signature (CVE-2022-21449): r = s = 0.",
        NOW,
        t(resign(&valid, |_| vec![0; 64])?),
        rej("InvalidSignature"),
    );
    v.add(
        "idjag-sig-psychic-der",
        &["JWT-09", "§6 step 9"],
        "Psychic signature, DER-encoded (r = s = 0).",
        NOW,
        t(resign(&valid, |_| {
            vec![0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00]
        })?),
        rej("InvalidSignature"),
    );
    v.add(
        "idjag-sig-r-s-equal-n",
        &["JWT-09", "§6 step 9"],
        "r = s = n (the group order).",
        NOW,
        t(resign(&valid, |_| [p256_order(), p256_order()].concat())?),
        rej("InvalidSignature"),
    );
    v.add(
        "idjag-sig-truncated",
        &["JWT-09", "§6 step 9"],
        "Truncated signature: the first 63 octets.",
        NOW,
        t(resign(&valid, |sig| {
            sig.get(..63).unwrap_or_default().to_vec()
        })?),
        rej("InvalidSignature"),
    );
    v.add(
        "idjag-sig-der",
        &["JWT-09", "§6 step 9"],
        "The valid signature DER-encoded instead of raw R||S.",
        NOW,
        t(resign(&valid, |sig| es256_to_der(&sig))?),
        rej("InvalidSignature"),
    );
    v.add(
        "idjag-sig-attacker-under-idp-kid",
        &["JWT-09", "§6 step 9"],
        "Signed by the attacker's key, header names the IdP's kid.",
        NOW,
        t(attacker.jws(&h(), &c("idjag-sig-attacker-under-idp-kid"))?),
        rej("InvalidSignature"),
    );
    v.add(
        "idjag-tampered-payload",
        &["JWT-09", "§6 step 9"],
        "Payload edited (sub changed) after signing.",
        NOW,
        t(swap_payload(
            &valid,
            &c("idjag-sig").set("sub", json!("admin")),
        )?),
        rej("InvalidSignature"),
    );
    v.add(
        "idjag-eddsa-zero-signature",
        &["JWT-09", "§6 step 9"],
        "EdDSA token with an all-zero signature.",
        NOW,
        t(unsigned(
            &g.idp_ed.header(Some(TYP)),
            &c("idjag-eddsa-zero-signature"),
            &[0; 64],
        )?),
        rej("InvalidSignature"),
    );

    // -- JWT-11: size and duplicates --
    v.add(
        "idjag-duplicate-iss",
        &["JWT-11", "§6 step 4"],
        "The signed payload repeats `iss` (trusted value last).",
        NOW,
        t(es.jws(
            &h(),
            &Obj::new()
                .set("iss", json!(ROGUE_IDP))
                .push_duplicate("iss", json!(IDP))
                .set("sub", json!("u"))
                .set("aud", json!(AS)),
        )?),
        rej("DuplicateMember"),
    );
    v.add(
        "idjag-oversize",
        &["JWT-11", "§6 step 4"],
        "A valid token larger than 16 KiB (a big claim).",
        NOW,
        t(es.jws(
            &h(),
            &c("idjag-oversize").set("pad", json!("A".repeat(MAX_TOKEN_BYTES))),
        )?),
        rej("TooLarge"),
    );

    // -- §6 steps 7, 10-16 --
    v.add(
        "idjag-iss-untrusted",
        &["§6 step 7", "AS-06"],
        "iss is an issuer the AS does not trust (signed by the IdP key).",
        NOW,
        t(es.jws(&h(), &c("idjag-iss-untrusted").set("iss", json!(ROGUE_IDP)))?),
        rej("UntrustedIssuer"),
    );
    v.add(
        "idjag-iss-trailing-slash",
        &["JWT-08", "§6 step 7"],
        "iss with a trailing slash (no normalisation).",
        NOW,
        t(es.jws(
            &h(),
            &c("idjag-iss-trailing-slash").set("iss", json!(format!("{IDP}/"))),
        )?),
        rej("UntrustedIssuer"),
    );
    v.add(
        "idjag-missing-jti",
        &["§6 step 10", "AS-11"],
        "No jti (single use impossible).",
        NOW,
        t(es.jws(&h(), &c("idjag-missing-jti").remove("jti"))?),
        rej("MissingClaim"),
    );
    v.add(
        "idjag-missing-sub",
        &["§6 step 10"],
        "No sub.",
        NOW,
        t(es.jws(&h(), &c("idjag-missing-sub").remove("sub"))?),
        rej("MissingClaim"),
    );
    v.add(
        "idjag-missing-client-id",
        &["§6 step 10"],
        "No client_id.",
        NOW,
        t(es.jws(&h(), &c("idjag-missing-client-id").remove("client_id"))?),
        rej("MissingClaim"),
    );
    v.add(
        "idjag-missing-exp",
        &["§6 step 10"],
        "No exp.",
        NOW,
        t(es.jws(&h(), &c("idjag-missing-exp").remove("exp"))?),
        rej("MissingClaim"),
    );
    v.add(
        "idjag-missing-iat",
        &["§6 step 10"],
        "No iat.",
        NOW,
        t(es.jws(&h(), &c("idjag-missing-iat").remove("iat"))?),
        rej("MissingClaim"),
    );
    v.add(
        "idjag-nbf-string",
        &["§6 step 10", "JWT-06"],
        "nbf is a string.",
        NOW,
        t(es.jws(
            &h(),
            &c("idjag-nbf-string").set("nbf", json!(NOW.to_string())),
        )?),
        rej("InvalidClaim"),
    );
    v.add(
        "idjag-iss-number",
        &["§6 step 10", "§6 step 7"],
        "iss is a number.",
        NOW,
        t(es.jws(&h(), &c("idjag-iss-number").set("iss", json!(1)))?),
        rej("InvalidClaim"),
    );
    v.add(
        "idjag-aud-empty-array",
        &["JWT-07", "§6 step 10"],
        "aud is an empty array.",
        NOW,
        t(es.jws(&h(), &c("idjag-aud-empty-array").set("aud", json!([])))?),
        rej("InvalidClaim"),
    );
    v.add(
        "idjag-exp-string",
        &["§6 step 10", "JWT-06"],
        "exp is a string.",
        NOW,
        t(es.jws(
            &h(),
            &c("idjag-exp-string").set("exp", json!((NOW + 300).to_string())),
        )?),
        rej("InvalidClaim"),
    );
    v.add(
        "idjag-aud-token-endpoint",
        &["§6 step 11", "OQ-03"],
        "aud is the AS token endpoint, not its issuer.",
        NOW,
        t(es.jws(
            &h(),
            &c("idjag-aud-token-endpoint").set("aud", json!(AS_TOKEN_ENDPOINT)),
        )?),
        rej("AudienceMismatch"),
    );
    v.add(
        "idjag-aud-trailing-slash",
        &["§6 step 11", "JWT-08"],
        "aud with a trailing slash.",
        NOW,
        t(es.jws(
            &h(),
            &c("idjag-aud-trailing-slash").set("aud", json!(format!("{AS}/"))),
        )?),
        rej("AudienceMismatch"),
    );
    v.add(
        "idjag-aud-other-as",
        &["§6 step 11", "AS-23"],
        "An ID-JAG minted for another AS.",
        NOW,
        t(es.jws(&h(), &c("idjag-aud-other-as").set("aud", json!(OTHER_AS)))?),
        rej("AudienceMismatch"),
    );
    v.add(
        "idjag-aud-injection-array",
        &["JWT-07", "§6 step 11"],
        "Audience injection: aud = [other AS, this AS].",
        NOW,
        t(es.jws(
            &h(),
            &c("idjag-aud-injection-array").set("aud", json!([OTHER_AS, AS])),
        )?),
        rej("MultipleAudiences"),
    );
    v.add(
        "idjag-client-id-swap",
        &["§6 step 12", "IDP-12"],
        "client_id names another client than the authenticated one.",
        NOW,
        t(es.jws(
            &h(),
            &c("idjag-client-id-swap").set("client_id", json!(OTHER_CLIENT)),
        )?),
        rej("ClientIdMismatch"),
    );
    v.add(
        "idjag-client-id-case",
        &["§6 step 12", "JWT-08"],
        "client_id differing only in case (exact comparison).",
        NOW,
        t(es.jws(
            &h(),
            &c("idjag-client-id-case").set("client_id", json!(CLIENT.to_uppercase())),
        )?),
        rej("ClientIdMismatch"),
    );
    // JWT-06 edges (skew 60 s): reject iff now >= exp + S, nbf > now + S, iat > now + S.
    let exp = NOW + 300;
    v.add(
        "idjag-exp-edge-accept",
        &["JWT-06", "§6 step 13"],
        "now = exp + skew - 1 s: still valid.",
        exp + SKEW - 1,
        t(es.jws(&h(), &c("idjag-exp-edge-accept"))?),
        accept(),
    );
    v.add(
        "idjag-exp-edge-reject",
        &["JWT-06", "§6 step 13"],
        "now = exp + skew: expired.",
        exp + SKEW,
        t(es.jws(&h(), &c("idjag-exp-edge-reject"))?),
        rej("Expired"),
    );
    v.add(
        "idjag-nbf-edge-accept",
        &["JWT-06", "§6 step 13"],
        "nbf = now + skew: valid.",
        NOW,
        t(es.jws(
            &h(),
            &c("idjag-nbf-edge-accept").set("nbf", json!(NOW + SKEW)),
        )?),
        accept(),
    );
    v.add(
        "idjag-nbf-edge-reject",
        &["JWT-06", "§6 step 13"],
        "nbf = now + skew + 1 s: not yet valid.",
        NOW,
        t(es.jws(
            &h(),
            &c("idjag-nbf-edge-reject").set("nbf", json!(NOW + SKEW + 1)),
        )?),
        rej("NotYetValid"),
    );
    v.add(
        "idjag-iat-edge-accept",
        &["JWT-06", "§6 step 13"],
        "iat = now + skew: valid.",
        NOW,
        t(es.jws(
            &h(),
            &c("idjag-iat-edge-accept")
                .set("iat", json!(NOW + SKEW))
                .set("exp", json!(NOW + SKEW + 300)),
        )?),
        accept(),
    );
    v.add(
        "idjag-iat-edge-reject",
        &["JWT-06", "§6 step 13"],
        "iat = now + skew + 1 s: issued in the future.",
        NOW,
        t(es.jws(
            &h(),
            &c("idjag-iat-edge-reject")
                .set("iat", json!(NOW + SKEW + 1))
                .set("exp", json!(NOW + SKEW + 301)),
        )?),
        rej("IssuedInFuture"),
    );
    v.add(
        "idjag-lifetime-edge-accept",
        &["§6 step 14", "IDP-16"],
        "exp - iat = 600 s (the cap).",
        NOW,
        t(es.jws(
            &h(),
            &c("idjag-lifetime-edge-accept").set("exp", json!(NOW + ID_JAG_MAX_LIFETIME)),
        )?),
        accept(),
    );
    v.add(
        "idjag-lifetime-edge-reject",
        &["§6 step 14", "IDP-16"],
        "exp - iat = 601 s (cap + 1 s).",
        NOW,
        t(es.jws(
            &h(),
            &c("idjag-lifetime-edge-reject").set("exp", json!(NOW + ID_JAG_MAX_LIFETIME + 1)),
        )?),
        rej("LifetimeTooLong"),
    );
    v.add(
        "idjag-resource-missing",
        &["§6 step 16", "OQ-02"],
        "No resource claim (allow_missing_resource off).",
        NOW,
        t(es.jws(&h(), &c("idjag-resource-missing").remove("resource"))?),
        rej("MissingResource"),
    );
    v.add(
        "idjag-resource-foreign",
        &["§6 step 16", "AS-08"],
        "resource is a server this AS does not serve.",
        NOW,
        t(es.jws(
            &h(),
            &c("idjag-resource-foreign").set("resource", json!(EVIL_RESOURCE)),
        )?),
        rej("ResourceMismatch"),
    );
    v.add(
        "idjag-resource-array-with-foreign",
        &["§6 step 16", "AS-08"],
        "resource array mixing a served and a foreign resource.",
        NOW,
        t(es.jws(
            &h(),
            &c("idjag-resource-array-with-foreign").set("resource", json!([MCP, EVIL_RESOURCE])),
        )?),
        rej("ResourceMismatch"),
    );
    v.add(
        "idjag-aud-uppercase-host",
        &["§6 step 11", "JWT-08", "OQ-03"],
        "aud is the AS issuer with an upper-case host (issuer comparison is exact).",
        NOW,
        t(es.jws(
            &h(),
            &c("idjag-aud-uppercase-host").set("aud", json!("https://AS.TOOLHUB.TEST")),
        )?),
        rej("AudienceMismatch"),
    );
    v.add("idjag-resource-uppercase-host", &["META-08", "§6 step 16"], "resource with upper-case scheme and host: the AS lower-cases only those before matching (accepted).", NOW, t(es.jws(&h(), &c("idjag-resource-uppercase-host").set("resource", json!("HTTPS://TOOLS.TOOLHUB.TEST/mcp")))?), accept());
    v.add(
        "idjag-resource-uppercase-path",
        &["META-08", "§6 step 16"],
        "resource with an upper-case path (never normalised).",
        NOW,
        t(es.jws(
            &h(),
            &c("idjag-resource-uppercase-path")
                .set("resource", json!("https://tools.toolhub.test/MCP")),
        )?),
        rej("ResourceMismatch"),
    );
    v.add(
        "idjag-resource-trailing-slash",
        &["§6 step 16", "META-08"],
        "resource with a trailing slash (exact match).",
        NOW,
        t(es.jws(
            &h(),
            &c("idjag-resource-trailing-slash").set("resource", json!(format!("{MCP}/"))),
        )?),
        rej("ResourceMismatch"),
    );

    let setup = json!({
        "verifier": "ID-JAG verifier of the resource AS (§6 steps 4-16)",
        "audience": AS,
        "resources": [MCP, WIKI],
        "allow_missing_resource": false,
        "trusted_issuer": IDP,
        "allowed_algorithms": ["ES256", "RS256", "PS256", "EdDSA"],
        "skew_seconds": SKEW,
        "max_lifetime_seconds": ID_JAG_MAX_LIFETIME,
        "max_token_bytes": MAX_TOKEN_BYTES,
        "client_id": "input.client_id: the client the AS authenticated",
        "keys": {"trusted_jwks": "JWKS of the trusted issuer"},
        "error": "every rejection is invalid_grant (AS-19)",
    });
    Ok(v.file(
        "ID-JAG verification at the resource AS, on the token alone.",
        setup,
    ))
}

fn parts(token: &str) -> Result<(&str, &str, &str)> {
    let mut it = token.split('.');
    match (it.next(), it.next(), it.next(), it.next()) {
        (Some(h), Some(p), Some(s), None) => Ok((h, p, s)),
        _ => Err(Error::new("not a compact JWS")),
    }
}

/// `token` with its signature replaced by `edit(signature)`.
pub(crate) fn resign(token: &str, edit: impl FnOnce(Vec<u8>) -> Vec<u8>) -> Result<String> {
    use base64::Engine as _;
    let (h, p, s) = parts(token)?;
    let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .map_err(Error::new)?;
    Ok(format!("{h}.{p}.{}", b64(edit(sig))))
}

/// `token` with its header replaced (signature kept).
pub(crate) fn swap_header(token: &str, header: &Obj) -> Result<String> {
    let (_, p, s) = parts(token)?;
    Ok(format!("{}.{p}.{s}", b64(header.to_json()?)))
}

/// `token` with its payload replaced (signature kept).
pub(crate) fn swap_payload(token: &str, claims: &Obj) -> Result<String> {
    let (h, _, s) = parts(token)?;
    Ok(format!("{h}.{}.{s}", b64(claims.to_json()?)))
}

fn drop_signature(token: &str) -> String {
    token
        .rsplit_once('.')
        .map(|(hp, _)| hp.to_owned())
        .unwrap_or_default()
}

fn pad_payload(token: &str) -> String {
    let mut segs: Vec<String> = token.split('.').map(str::to_owned).collect();
    if let Some(p) = segs.get_mut(1) {
        p.push('=');
    }
    segs.join(".")
}

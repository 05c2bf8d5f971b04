//! The resource AS token endpoint: the RFC 7523 jwt-bearer grant (AS-01..AS-23, §6 steps 1-21).

use serde_json::json;

use super::client_assertion::claims as ca_claims;
use super::id_jag::resign;
use super::{
    Auth, Gen, Vectors, dpop_proof, http_error, http_ok, id_jag_claims, request, request_with,
};
use crate::Result;
use crate::cast::{
    AS, AS_TOKEN_ENDPOINT, AS_TOKEN_PATH, CLIENT, EVIL_RESOURCE, IDP, MCP, MCP_SCOPES,
    NO_GRANT_CLIENT, NOT_EMA_CLIENT, NOW, OTHER_AS, OTHER_CLIENT, OTHER_IDP, OTHER_IDP_TENANT,
    ROGUE_IDP, SECRET, SKEW, WIKI,
};
use crate::jose::{Obj, b64, hs256, p256_negate};
use crate::keys as k;
use crate::schema::{Input, Step, Target, VectorFile};
use ema_types::urn;

const TYP: &str = "oauth-id-jag+jwt";
/// A public (CIMD) client registered at the AS.
pub(crate) const PUBLIC_CLIENT: &str = "https://app.example/cimd.json";

#[allow(clippy::too_many_lines)]
pub(super) fn file(g: &Gen) -> Result<VectorFile> {
    let mut v = Vectors::new(
        Target::JwtBearer,
        &[
            (k::ROLE_IDP_JWKS, k::JWKS_IDP),
            (k::ROLE_OTHER_IDP_JWKS, k::JWKS_OTHER_IDP),
            (k::ROLE_CLIENT_JWKS, k::JWKS_CLIENT),
            (k::ROLE_SIGNING_KEY, k::AS_ES256),
        ],
    );
    let es = &g.idp_es;
    let h = || es.header(Some(TYP));
    let c = id_jag_claims;
    let basic = Auth::Basic(CLIENT, SECRET);
    let redeem = |auth: &Auth<'_>, assertion: &str, extra: &[(&str, &str)]| -> Result<Input> {
        let mut form = vec![
            ("grant_type", urn::GRANT_TYPE_JWT_BEARER),
            ("assertion", assertion),
        ];
        form.extend_from_slice(extra);
        request(AS_TOKEN_PATH, auth, &form)
    };
    let r = |assertion: &str| redeem(&basic, assertion, &[]);
    let jag = |id: &str| es.jws(&h(), &c(id));
    let grant = || http_error(400, "invalid_grant");
    let bad = |code: &str| http_error(400, code);

    // -- controls --
    v.add(
        "jb-valid-basic",
        &["AS-05", "AS-12", "CL-12"],
        "A valid redemption with client_secret_basic and resource (control).",
        NOW,
        redeem(&basic, &jag("jb-valid-basic")?, &[("resource", MCP)])?,
        http_ok(),
    );
    v.add(
        "jb-valid-post",
        &["AS-02"],
        "A valid redemption with client_secret_post (control).",
        NOW,
        redeem(&Auth::Post(CLIENT, SECRET), &jag("jb-valid-post")?, &[])?,
        http_ok(),
    );
    let ca = g.client.jws(
        &g.client.header(None),
        &ca_claims("jb-valid-private-key-jwt/ca", CLIENT, AS),
    )?;
    v.add(
        "jb-valid-private-key-jwt",
        &["AS-02", "JWT-10"],
        "A valid redemption with private_key_jwt (control).",
        NOW,
        redeem(&Auth::Jwt(ca), &jag("jb-valid-private-key-jwt")?, &[])?,
        http_ok(),
    );
    let other = g.other_idp.jws(
        &g.other_idp.header(Some(TYP)),
        &c("jb-valid-other-idp-tenant")
            .set("iss", json!(OTHER_IDP))
            .set("tenant", json!(OTHER_IDP_TENANT)),
    )?;
    v.add(
        "jb-valid-other-idp-tenant",
        &["AS-06", "§6 step 15"],
        "An ID-JAG from the second trusted IdP with the expected tenant (control).",
        NOW,
        r(&other)?,
        http_ok(),
    );
    v.add(
        "jb-scope-narrower",
        &["AS-07", "§6 step 17"],
        "Request scope narrower than the ID-JAG scope (accepted: granted = intersection).",
        NOW,
        redeem(
            &basic,
            &es.jws(
                &h(),
                &c("jb-scope-narrower").set("scope", json!(MCP_SCOPES)),
            )?,
            &[("scope", "tickets:read")],
        )?,
        http_ok(),
    );

    // -- §6 step 1 (AS-01) --
    v.add(
        "jb-unsupported-grant",
        &["AS-01", "§6 step 1"],
        "grant_type client_credentials at the EMA token endpoint.",
        NOW,
        request(
            AS_TOKEN_PATH,
            &basic,
            &[("grant_type", "client_credentials")],
        )?,
        bad("unsupported_grant_type"),
    );
    v.add(
        "jb-missing-assertion",
        &["AS-01", "§6 step 1"],
        "No assertion.",
        NOW,
        request(
            AS_TOKEN_PATH,
            &basic,
            &[("grant_type", urn::GRANT_TYPE_JWT_BEARER)],
        )?,
        bad("invalid_request"),
    );
    v.add(
        "jb-two-assertions",
        &["AS-01", "§6 step 1"],
        "assertion sent twice.",
        NOW,
        redeem(&basic, &jag("jb-two-assertions")?, &[("assertion", "x")])?,
        bad("invalid_request"),
    );
    v.add(
        "jb-empty-assertion",
        &["AS-01", "§6 step 1"],
        "assertion is empty.",
        NOW,
        r("")?,
        bad("invalid_request"),
    );

    v.add(
        "jb-method-get",
        &["AS-01", "IDP-01"],
        "GET at the token endpoint: 405.",
        NOW,
        Input::Request {
            method: "GET".into(),
            path: AS_TOKEN_PATH.into(),
            headers: vec![],
            body: String::new(),
        },
        http_error(405, "invalid_request"),
    );
    v.add(
        "jb-content-type-json",
        &["AS-01"],
        "A JSON body instead of a form: 415.",
        NOW,
        Input::Request {
            method: "POST".into(),
            path: AS_TOKEN_PATH.into(),
            headers: vec![("content-type".into(), "application/json".into())],
            body: format!(
                "{{\"grant_type\":\"{}\",\"assertion\":\"{}\"}}",
                urn::GRANT_TYPE_JWT_BEARER,
                jag("jb-content-type-json")?
            ),
        },
        http_error(415, "invalid_request"),
    );

    // -- §6 step 2 (AS-02, AS-03, JWT-10) --
    {
        let Input::Request {
            method,
            path,
            mut headers,
            body,
        } = redeem(&basic, &jag("jb-basic-scheme-lowercase")?, &[])?
        else {
            return Err(crate::Error::new("request expected"));
        };
        for (name, value) in &mut headers {
            if name == "authorization" {
                *value = value.replacen("Basic ", "basic ", 1);
            }
        }
        v.add(
            "jb-basic-scheme-lowercase",
            &["AS-02", "RFC 7235 §2.1"],
            "Authorization scheme written `basic` (auth-scheme is case-insensitive; accepted).",
            NOW,
            Input::Request {
                method,
                path,
                headers,
                body,
            },
            http_ok(),
        );
    }
    v.add(
        "jb-two-auth-methods",
        &["AS-02", "RFC 6749 §2.3"],
        "client_secret_basic and client_secret_post in one request (more than one method).",
        NOW,
        redeem(
            &basic,
            &jag("jb-two-auth-methods")?,
            &[("client_id", CLIENT), ("client_secret", SECRET)],
        )?,
        bad("invalid_request"),
    );
    v.add("jb-client-id-param-mismatch", &["AS-02"], "Basic authenticates one client, the body's client_id names another: invalid_client, 401 after Basic.", NOW, redeem(&basic, &jag("jb-client-id-param-mismatch")?, &[("client_id", OTHER_CLIENT)])?, http_error(401, "invalid_client"));
    {
        let ca = g.client.jws(
            &g.client.header(None),
            &ca_claims("jb-client-assertion-type-unknown/ca", CLIENT, AS),
        )?;
        v.add(
            "jb-client-assertion-type-unknown",
            &["AS-02", "JWT-10"],
            "client_assertion with an unknown client_assertion_type (SAML bearer).",
            NOW,
            request(
                AS_TOKEN_PATH,
                &Auth::None,
                &[
                    ("grant_type", urn::GRANT_TYPE_JWT_BEARER),
                    ("assertion", &jag("jb-client-assertion-type-unknown")?),
                    (
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:saml2-bearer",
                    ),
                    ("client_assertion", &ca),
                ],
            )?,
            bad("invalid_client"),
        );
    }
    v.add(
        "jb-client-bad-secret-basic",
        &["AS-02", "§6 step 2"],
        "Wrong secret with client_secret_basic: 401.",
        NOW,
        redeem(
            &Auth::Basic(CLIENT, "wrong-secret"),
            &jag("jb-client-bad-secret-basic")?,
            &[],
        )?,
        http_error(401, "invalid_client"),
    );
    v.add(
        "jb-client-bad-secret-post",
        &["AS-02", "§6 step 2"],
        "Wrong secret with client_secret_post: 400.",
        NOW,
        redeem(
            &Auth::Post(CLIENT, "wrong-secret"),
            &jag("jb-client-bad-secret-post")?,
            &[],
        )?,
        http_error(400, "invalid_client"),
    );
    v.add(
        "jb-client-none",
        &["AS-02", "AS-03", "§6 step 2"],
        "No client authentication: invalid_client, 400 (no Authorization header was used).",
        NOW,
        redeem(&Auth::None, &jag("jb-client-none")?, &[])?,
        http_error(400, "invalid_client"),
    );
    v.add(
        "jb-client-public",
        &["AS-03", "OQ-08"],
        "A public CIMD client (client_id only): not allowed without opt-in.",
        NOW,
        redeem(
            &Auth::None,
            &jag("jb-client-public")?,
            &[("client_id", PUBLIC_CLIENT)],
        )?,
        http_error(400, "invalid_client"),
    );
    let ca_aud = g.client.jws(
        &g.client.header(None),
        &ca_claims(
            "jb-client-assertion-aud-token-endpoint/ca",
            CLIENT,
            AS_TOKEN_ENDPOINT,
        ),
    )?;
    v.add(
        "jb-client-assertion-aud-token-endpoint",
        &["JWT-10", "OQ-03"],
        "private_key_jwt with aud = token endpoint URL.",
        NOW,
        redeem(
            &Auth::Jwt(ca_aud),
            &jag("jb-client-assertion-aud-token-endpoint")?,
            &[],
        )?,
        bad("invalid_client"),
    );
    v.add(
        "jb-id-jag-as-client-assertion",
        &["JWT-03", "JWT-10"],
        "Typ confusion: the ID-JAG itself sent as client_assertion.",
        NOW,
        {
            let j = jag("jb-id-jag-as-client-assertion")?;
            redeem(&Auth::Jwt(j.clone()), &j, &[])?
        },
        bad("invalid_client"),
    );
    let ca_once = g.client.jws(
        &g.client.header(None),
        &ca_claims("jb-client-assertion-replay/ca", CLIENT, AS),
    )?;
    v.add_full(
        "jb-client-assertion-replay",
        &["JWT-10", "§6 step 2"],
        "The same client assertion twice (fresh ID-JAGs): the second is refused.",
        NOW,
        &[],
        vec![Step {
            input: redeem(
                &Auth::Jwt(ca_once.clone()),
                &jag("jb-client-assertion-replay/1")?,
                &[],
            )?,
            expect: http_ok(),
        }],
        redeem(
            &Auth::Jwt(ca_once),
            &jag("jb-client-assertion-replay/2")?,
            &[],
        )?,
        bad("invalid_client"),
    );

    // -- §6 step 3 (AS-04) --
    v.add(
        "jb-client-not-registered-for-grant",
        &["AS-04", "§6 step 3"],
        "A client registered for authorization_code only.",
        NOW,
        redeem(
            &Auth::Basic(NO_GRANT_CLIENT, SECRET),
            &es.jws(
                &h(),
                &c("jb-client-not-registered-for-grant").set("client_id", json!(NO_GRANT_CLIENT)),
            )?,
            &[],
        )?,
        bad("unauthorized_client"),
    );
    v.add(
        "jb-client-not-ema",
        &["AS-04", "§6 step 3"],
        "A client registered for jwt-bearer but for no ID-JAG issuer.",
        NOW,
        redeem(
            &Auth::Basic(NOT_EMA_CLIENT, SECRET),
            &es.jws(
                &h(),
                &c("jb-client-not-ema").set("client_id", json!(NOT_EMA_CLIENT)),
            )?,
            &[],
        )?,
        bad("unauthorized_client"),
    );

    // -- §6 steps 4-6 --
    v.add(
        "jb-assertion-not-jws",
        &["§6 step 4", "JWT-01"],
        "The assertion is not a JWS.",
        NOW,
        r("not-a-jwt")?,
        grant(),
    );
    v.add(
        "jb-assertion-oversize",
        &["§6 step 4", "JWT-11"],
        "A valid ID-JAG above 16 KiB.",
        NOW,
        r(&es.jws(
            &h(),
            &c("jb-assertion-oversize").set("pad", json!("A".repeat(16 * 1024))),
        )?)?,
        grant(),
    );
    v.add(
        "jb-typ-id-token",
        &["§6 step 5", "JWT-03"],
        "An ID token (no typ) from the IdP presented as the grant.",
        NOW,
        r(&es.jws(&es.header(None), &c("jb-typ-id-token"))?)?,
        grant(),
    );
    v.add(
        "jb-typ-at-jwt",
        &["§6 step 5", "JWT-03"],
        "An at+jwt presented as the grant.",
        NOW,
        r(&es.jws(&es.header(Some("at+jwt")), &c("jb-typ-at-jwt"))?)?,
        grant(),
    );
    v.add(
        "jb-client-assertion-as-grant",
        &["§6 step 5", "JWT-03"],
        "The client's own assertion presented as the grant.",
        NOW,
        r(&g.client.jws(
            &g.client.header(Some("client-authentication+jwt")),
            &ca_claims("jb-client-assertion-as-grant", CLIENT, AS),
        )?)?,
        grant(),
    );
    v.add(
        "jb-alg-none",
        &["§6 step 6", "JWT-01"],
        "alg none.",
        NOW,
        r(&format!(
            "{}.{}.",
            b64(Obj::new()
                .set("alg", json!("none"))
                .set("typ", json!(TYP))
                .to_json()?),
            b64(c("jb-alg-none").to_json()?)
        ))?,
        grant(),
    );
    let rsa_pem = g.idp_rs.rsa_public_pem()?.unwrap_or_default();
    v.add(
        "jb-hs256-rsa-public-pem",
        &["§6 step 6", "JWT-02"],
        "RS/HS confusion with the IdP RSA public key as HMAC secret.",
        NOW,
        r(&hs256(
            rsa_pem.as_bytes(),
            &Obj::new()
                .set("alg", json!("HS256"))
                .set("typ", json!(TYP))
                .set("kid", json!(k::IDP_RS256)),
            &c("jb-hs256-rsa-public-pem"),
        )?)?,
        grant(),
    );

    // -- §6 steps 7-9 --
    v.add(
        "jb-iss-untrusted",
        &["§6 step 7", "AS-06"],
        "iss is an issuer the AS does not trust.",
        NOW,
        r(&es.jws(&h(), &c("jb-iss-untrusted").set("iss", json!(ROGUE_IDP)))?)?,
        grant(),
    );
    v.add(
        "jb-iss-not-allowed-for-client",
        &["§6 step 7", "AS-04"],
        "A trusted issuer the presenting client is not allowed to use.",
        NOW,
        redeem(
            &Auth::Basic(OTHER_CLIENT, SECRET),
            &es.jws(
                &h(),
                &c("jb-iss-not-allowed-for-client").set("client_id", json!(OTHER_CLIENT)),
            )?,
            &[],
        )?,
        grant(),
    );
    v.add(
        "jb-kid-unknown",
        &["§6 step 8", "JWT-05"],
        "kid not in the IdP's JWKS (attacker key).",
        NOW,
        r(&g.attacker
            .jws(&g.attacker.header(Some(TYP)), &c("jb-kid-unknown"))?)?,
        grant(),
    );
    v.add(
        "jb-embedded-jwk",
        &["§6 step 8", "AS-18"],
        "Header jwk with the attacker's key.",
        NOW,
        r(&g.attacker.jws(
            &g.attacker
                .header(Some(TYP))
                .set("jwk", g.attacker.public_jwk()),
            &c("jb-embedded-jwk"),
        )?)?,
        grant(),
    );
    v.add(
        "jb-sig-psychic",
        &["§6 step 9", "JWT-09"],
        "Psychic signature r = s = 0.",
        NOW,
        r(&resign(&jag("jb-sig-psychic")?, |_| vec![0; 64])?)?,
        grant(),
    );
    v.add(
        "jb-other-idp-key-for-idp",
        &["§6 step 9", "AS-06"],
        "iss is the first IdP, signed by the second IdP's key under the first IdP's kid.",
        NOW,
        r(&g.other_idp.jws(&h(), &c("jb-other-idp-key-for-idp"))?)?,
        grant(),
    );

    // -- §6 steps 10-16 --
    v.add(
        "jb-missing-jti",
        &["§6 step 10", "AS-11"],
        "No jti.",
        NOW,
        r(&es.jws(&h(), &c("jb-missing-jti").remove("jti"))?)?,
        grant(),
    );
    v.add(
        "jb-aud-token-endpoint",
        &["§6 step 11", "OQ-03"],
        "aud is the token endpoint.",
        NOW,
        r(&es.jws(
            &h(),
            &c("jb-aud-token-endpoint").set("aud", json!(AS_TOKEN_ENDPOINT)),
        )?)?,
        grant(),
    );
    v.add(
        "jb-aud-injection",
        &["§6 step 11", "JWT-07"],
        "aud = [this AS, another AS].",
        NOW,
        r(&es.jws(
            &h(),
            &c("jb-aud-injection").set("aud", json!([AS, OTHER_AS])),
        )?)?,
        grant(),
    );
    v.add(
        "jb-aud-other-as",
        &["§6 step 11", "AS-23"],
        "An ID-JAG minted for another AS, replayed here.",
        NOW,
        r(&es.jws(&h(), &c("jb-aud-other-as").set("aud", json!(OTHER_AS)))?)?,
        grant(),
    );
    v.add(
        "jb-client-id-swap",
        &["§6 step 12"],
        "client_id swap: the ID-JAG names another client than the one authenticating.",
        NOW,
        r(&es.jws(
            &h(),
            &c("jb-client-id-swap").set("client_id", json!(OTHER_CLIENT)),
        )?)?,
        grant(),
    );
    v.add(
        "jb-exp-edge-accept",
        &["§6 step 13", "JWT-06"],
        "now = exp + skew - 1 s: accepted.",
        NOW + 300 + SKEW - 1,
        r(&jag("jb-exp-edge-accept")?)?,
        http_ok(),
    );
    v.add(
        "jb-exp-edge-reject",
        &["§6 step 13", "JWT-06"],
        "now = exp + skew: expired.",
        NOW + 300 + SKEW,
        r(&jag("jb-exp-edge-reject")?)?,
        grant(),
    );
    v.add(
        "jb-nbf-edge-reject",
        &["§6 step 13", "JWT-06"],
        "nbf = now + skew + 1 s.",
        NOW,
        r(&es.jws(
            &h(),
            &c("jb-nbf-edge-reject").set("nbf", json!(NOW + SKEW + 1)),
        )?)?,
        grant(),
    );
    v.add(
        "jb-lifetime-edge-reject",
        &["§6 step 14"],
        "exp - iat = 601 s.",
        NOW,
        r(&es.jws(
            &h(),
            &c("jb-lifetime-edge-reject").set("exp", json!(NOW + 601)),
        )?)?,
        grant(),
    );
    let tenant = |id: &str, t: Option<&str>| -> Result<String> {
        let claims = c(id).set("iss", json!(OTHER_IDP));
        let claims = match t {
            Some(t) => claims.set("tenant", json!(t)),
            None => claims,
        };
        g.other_idp.jws(&g.other_idp.header(Some(TYP)), &claims)
    };
    v.add(
        "jb-tenant-mismatch",
        &["§6 step 15", "IDP-14"],
        "tenant differs from the one configured for the issuer.",
        NOW,
        r(&tenant("jb-tenant-mismatch", Some("globex"))?)?,
        grant(),
    );
    v.add(
        "jb-tenant-missing",
        &["§6 step 15", "IDP-14"],
        "No tenant from an issuer configured with one.",
        NOW,
        r(&tenant("jb-tenant-missing", None)?)?,
        grant(),
    );
    v.add(
        "jb-resource-claim-foreign",
        &["§6 step 16", "AS-08"],
        "The ID-JAG resource is a server this AS does not serve.",
        NOW,
        r(&es.jws(
            &h(),
            &c("jb-resource-claim-foreign").set("resource", json!(EVIL_RESOURCE)),
        )?)?,
        grant(),
    );
    v.add(
        "jb-resource-claim-missing",
        &["§6 step 16", "OQ-02"],
        "No resource claim.",
        NOW,
        r(&es.jws(&h(), &c("jb-resource-claim-missing").remove("resource"))?)?,
        grant(),
    );
    v.add(
        "jb-resource-request-swap",
        &["§6 step 16", "AS-08"],
        "Resource swap: request resource is another served resource not in the ID-JAG.",
        NOW,
        redeem(
            &basic,
            &jag("jb-resource-request-swap")?,
            &[("resource", WIKI)],
        )?,
        bad("invalid_target"),
    );
    v.add(
        "jb-resource-request-uppercase-host",
        &["META-08", "§6 step 16"],
        "Request resource with upper-case scheme and host (accepted).",
        NOW,
        redeem(
            &basic,
            &jag("jb-resource-request-uppercase-host")?,
            &[("resource", "HTTPS://TOOLS.TOOLHUB.TEST/mcp")],
        )?,
        http_ok(),
    );
    v.add(
        "jb-resource-request-two",
        &["§6 step 16", "AS-09"],
        "Two request resources (one access token has one audience).",
        NOW,
        redeem(
            &basic,
            &es.jws(
                &h(),
                &c("jb-resource-request-two").set("resource", json!([MCP, WIKI])),
            )?,
            &[("resource", MCP), ("resource", WIKI)],
        )?,
        bad("invalid_target"),
    );
    v.add(
        "jb-resource-request-foreign",
        &["§6 step 16", "AS-08"],
        "Request resource is a foreign server.",
        NOW,
        redeem(
            &basic,
            &jag("jb-resource-request-foreign")?,
            &[("resource", EVIL_RESOURCE)],
        )?,
        bad("invalid_target"),
    );

    // -- §6 steps 17-20 --
    v.add(
        "jb-scope-beyond-claim",
        &["§6 step 17", "AS-07", "OQ-04"],
        "Request scope beyond the ID-JAG scope.",
        NOW,
        redeem(
            &basic,
            &jag("jb-scope-beyond-claim")?,
            &[("scope", "tickets:read tickets:write")],
        )?,
        bad("invalid_scope"),
    );
    v.add(
        "jb-authorization-details",
        &["§6 step 18", "AS-21", "OQ-17"],
        "The ID-JAG carries authorization_details (unsupported).",
        NOW,
        r(&es.jws(
            &h(),
            &c("jb-authorization-details")
                .set("authorization_details", json!([{"type": "ticket_access"}])),
        )?)?,
        bad("invalid_authorization_details"),
    );
    v.add(
        "jb-act-claim",
        &["§6 step 18", "OQ-19"],
        "The ID-JAG carries act (delegation) while not configured.",
        NOW,
        r(&es.jws(
            &h(),
            &c("jb-act-claim").set("act", json!({"sub": "agent-7"})),
        )?)?,
        grant(),
    );
    v.add(
        "jb-cnf-without-proof",
        &["§6 step 20", "AS-17"],
        "cnf.jkt present, no DPoP proof sent.",
        NOW,
        r(&es.jws(
            &h(),
            &c("jb-cnf-without-proof").set(
                "cnf",
                json!({"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}),
            ),
        )?)?,
        grant(),
    );

    v.add(
        "jb-subject-unknown",
        &["§6 step 19", "AS-10"],
        "A well-formed ID-JAG for a subject the AS does not know (no JIT provisioning).",
        NOW,
        r(&es.jws(
            &h(),
            &c("jb-subject-unknown").set("sub", json!("ghost-user")),
        )?)?,
        grant(),
    );
    v.add("jb-subject-other-issuer-namespace", &["§6 step 19", "AS-10", "IDP-13"], "The second IdP presents sub `ops-admin`, a user known only at the first IdP: subjects are keyed by (iss, tenant, sub), so it resolves to nobody.", NOW, r(&g.other_idp.jws(&g.other_idp.header(Some(TYP)), &c("jb-subject-other-issuer-namespace").set("iss", json!(OTHER_IDP)).set("tenant", json!(OTHER_IDP_TENANT)).set("sub", json!("ops-admin")))?)?, grant());

    // DPoP (AS-17): proofs by the client's DPoP key for POST to the token endpoint.
    let jkt = g.dpop.jkt()?;
    let bound = |id: &str, jkt: &str| es.jws(&h(), &c(id).set("cnf", json!({"jkt": jkt})));
    let with_dpop = |assertion: &str, proofs: &[&str]| -> Result<Input> {
        let headers: Vec<(&str, &str)> = proofs.iter().map(|p| ("dpop", *p)).collect();
        request_with(
            AS_TOKEN_PATH,
            &basic,
            &[
                ("grant_type", urn::GRANT_TYPE_JWT_BEARER),
                ("assertion", assertion),
            ],
            &headers,
        )
    };
    let proof = |id: &str, htm: &str, htu: &str| dpop_proof(&g.dpop, id, htm, htu, NOW);
    v.add(
        "jb-dpop-bound",
        &["AS-17", "§6 step 20", "IDP-20"],
        "cnf.jkt matches the DPoP proof key: a DPoP-bound access token (control).",
        NOW,
        with_dpop(
            &bound("jb-dpop-bound", &jkt)?,
            &[&proof("jb-dpop-bound/proof", "POST", AS_TOKEN_ENDPOINT)?],
        )?,
        http_ok(),
    );
    v.add(
        "jb-dpop-cnf-mismatch",
        &["AS-17", "§6 step 20"],
        "cnf.jkt names another key than the DPoP proof's.",
        NOW,
        with_dpop(
            &bound("jb-dpop-cnf-mismatch", &g.attacker.jkt()?)?,
            &[&proof(
                "jb-dpop-cnf-mismatch/proof",
                "POST",
                AS_TOKEN_ENDPOINT,
            )?],
        )?,
        grant(),
    );
    v.add(
        "jb-dpop-proof-wrong-htu",
        &["AS-17", "§6 step 20"],
        "DPoP proof for another URL (the IdP token endpoint).",
        NOW,
        with_dpop(
            &bound("jb-dpop-proof-wrong-htu", &jkt)?,
            &[&proof(
                "jb-dpop-proof-wrong-htu/proof",
                "POST",
                crate::cast::IDP_TOKEN_ENDPOINT,
            )?],
        )?,
        bad("invalid_dpop_proof"),
    );
    v.add(
        "jb-dpop-proof-wrong-htm",
        &["AS-17", "§6 step 20"],
        "DPoP proof for GET.",
        NOW,
        with_dpop(
            &bound("jb-dpop-proof-wrong-htm", &jkt)?,
            &[&proof(
                "jb-dpop-proof-wrong-htm/proof",
                "GET",
                AS_TOKEN_ENDPOINT,
            )?],
        )?,
        bad("invalid_dpop_proof"),
    );
    v.add(
        "jb-dpop-two-proofs",
        &["AS-17", "§6 step 20"],
        "Two DPoP header fields.",
        NOW,
        with_dpop(
            &bound("jb-dpop-two-proofs", &jkt)?,
            &[
                &proof("jb-dpop-two-proofs/p1", "POST", AS_TOKEN_ENDPOINT)?,
                &proof("jb-dpop-two-proofs/p2", "POST", AS_TOKEN_ENDPOINT)?,
            ],
        )?,
        bad("invalid_dpop_proof"),
    );
    let reused = proof("jb-dpop-proof-replay/proof", "POST", AS_TOKEN_ENDPOINT)?;
    v.add_full(
        "jb-dpop-proof-replay",
        &["AS-17", "§6 step 20", "RFC 9449 §11.1"],
        "The same DPoP proof (same jti) on a second redemption with a fresh ID-JAG.",
        NOW,
        &[],
        vec![Step {
            input: with_dpop(&bound("jb-dpop-proof-replay/1", &jkt)?, &[&reused])?,
            expect: http_ok(),
        }],
        with_dpop(&bound("jb-dpop-proof-replay/2", &jkt)?, &[&reused])?,
        bad("invalid_dpop_proof"),
    );

    // -- §6 step 21 (AS-11): replay --
    let once = jag("jb-replay")?;
    v.add_full(
        "jb-replay",
        &["§6 step 21", "AS-11", "OQ-05"],
        "The same ID-JAG redeemed twice: the second is refused.",
        NOW,
        &[],
        vec![Step {
            input: r(&once)?,
            expect: http_ok(),
        }],
        r(&once)?,
        grant(),
    );
    let original = jag("jb-replay-high-s-twin")?;
    let twin = resign(&original, |sig| {
        let (r_part, s) = sig.split_at(32);
        let mut out = r_part.to_vec();
        out.extend(p256_negate(s));
        out
    })?;
    v.add_full("jb-replay-high-s-twin", &["§6 step 21", "AS-11", "JWT-09"], "High-S: after redeeming an ID-JAG, its malleated twin (r, n - s) is refused as a replay (same iss, jti).", NOW, &[], vec![Step { input: r(&original)?, expect: http_ok() }], r(&twin)?, grant());
    let kept = jag("jb-replay-after-rejection")?;
    v.add_full(
        "jb-replay-after-rejection",
        &["§6 step 21", "AS-11"],
        "A request refused at step 17 does not spend the jti: the same ID-JAG then succeeds.",
        NOW,
        &[],
        vec![Step {
            input: redeem(&basic, &kept, &[("scope", "tickets:write")])?,
            expect: bad("invalid_scope"),
        }],
        r(&kept)?,
        http_ok(),
    );
    let late = jag("jb-replay-across-clock")?;
    v.add_full("jb-replay-within-skew", &["§6 step 21", "AS-11"], "Replay detection holds until exp + skew: the second presentation, at exp + skew - 1 s, is refused.", NOW + 300 + SKEW - 1, &[], vec![Step { input: r(&late)?, expect: http_ok() }], r(&late)?, grant());

    let setup = json!({
        "handler": "resource AS token endpoint serving the jwt-bearer grant (§6 checklist)",
        "issuer": AS,
        "token_endpoint": AS_TOKEN_ENDPOINT,
        "trusted_issuers": [
            {"issuer": IDP, "jwks": "idp_jwks", "algorithms": ["ES256"]},
            {"issuer": OTHER_IDP, "jwks": "other_idp_jwks", "algorithms": ["ES256"], "tenant": OTHER_IDP_TENANT},
        ],
        "resources": [
            {"resource": MCP, "scopes": MCP_SCOPES, "default_scopes": "tickets:read"},
            {"resource": WIKI, "scopes": "wiki:read"},
        ],
        "clients": [
            {"client_id": CLIENT, "type": "confidential", "client_secret": SECRET, "jwks": "client_jwks (ES256)", "grant_types": [urn::GRANT_TYPE_JWT_BEARER], "trusted_issuers": "any"},
            {"client_id": NO_GRANT_CLIENT, "type": "confidential", "client_secret": SECRET, "grant_types": ["authorization_code"]},
            {"client_id": NOT_EMA_CLIENT, "type": "confidential", "client_secret": SECRET, "grant_types": [urn::GRANT_TYPE_JWT_BEARER], "trusted_issuers": []},
            {"client_id": OTHER_CLIENT, "type": "confidential", "client_secret": SECRET, "grant_types": [urn::GRANT_TYPE_JWT_BEARER], "trusted_issuers": [OTHER_IDP]},
            {"client_id": PUBLIC_CLIENT, "type": "public", "grant_types": [urn::GRANT_TYPE_JWT_BEARER]},
        ],
        "subjects": [
            {"iss": IDP, "tenant": null, "sub": crate::cast::SUBJECT},
            {"iss": IDP, "tenant": null, "sub": "ops-admin"},
            {"iss": OTHER_IDP, "tenant": OTHER_IDP_TENANT, "sub": crate::cast::SUBJECT},
        ],
        "subject_resolution": "principals keyed by (iss, tenant, sub); unknown subject and no JIT provisioning → invalid_grant",
        "allow_public_clients": false,
        "allow_missing_resource": false,
        "require_scope_claim": false,
        "allow_actor_claim": false,
        "require_dpop": false,
        "legacy_token_endpoint_audience": null,
        "skew_seconds": SKEW,
        "access_token_ttl_seconds": 3600,
        "replay": "one in-memory store per vector, shared by its `before` steps: ID-JAG (iss, jti) and client-assertion jti",
        "keys": {"idp_jwks": "JWKS of the IdP", "other_idp_jwks": "JWKS of the second IdP", "client_jwks": "JWKS registered for cli_42b19c", "signing_key": "the AS access-token signing key"},
        "status": "400 unless stated; invalid_client is 401 (with WWW-Authenticate) when the client used the Authorization header, 400 otherwise",
    });
    Ok(v.file(
        "The jwt-bearer grant at the resource AS (ID-JAG redemption).",
        setup,
    ))
}

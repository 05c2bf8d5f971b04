//! The IdP token endpoint: RFC 8693 token exchange issuing ID-JAGs (IDP-01..IDP-22).

use serde_json::json;

use super::client_assertion::claims as ca_claims;
use super::{Auth, Gen, Vectors, dpop_proof, http_error, http_ok, jti, request, request_with};
use crate::Result;
use crate::cast::{
    AS, CLIENT, IDP, IDP_CLIENT, IDP_SSO_ONLY_CLIENT, IDP_TOKEN_ENDPOINT, IDP_TOKEN_PATH, MCP, NOW,
    OTHER_AS, OTHER_MCP, ROGUE_IDP, SECRET, SKEW, SUBJECT, WIKI,
};
use crate::jose::{Obj, b64};
use crate::keys as k;
use crate::schema::{Input, Step, Target, VectorFile};
use ema_types::urn;

/// The alias the IdP accepts for the AS issuer (IDP-09, OQ-13).
pub(crate) const AS_ALIAS: &str = "urn:toolhub:as";
/// A public client registered at the IdP.
pub(crate) const PUBLIC_CLIENT: &str = "pub-cli";

fn id_token_claims(id: &str) -> Obj {
    Obj::new()
        .set("iss", json!(IDP))
        .set("sub", json!(SUBJECT))
        .set("aud", json!(IDP_CLIENT))
        .set("iat", json!(NOW - 10))
        .set("exp", json!(NOW + 3600))
        .set("jti", json!(jti(id)))
}

#[allow(clippy::too_many_lines)]
pub(super) fn file(g: &Gen) -> Result<VectorFile> {
    let mut v = Vectors::new(
        Target::TokenExchange,
        &[
            (k::ROLE_IDP_JWKS, k::JWKS_IDP),
            (k::ROLE_CLIENT_JWKS, k::JWKS_CLIENT),
            (k::ROLE_SIGNING_KEY, k::IDP_ES256),
        ],
    );
    let es = &g.idp_es;
    let id_token = |id: &str| es.jws(&es.header(None), &id_token_claims(id));
    let basic = Auth::Basic(IDP_CLIENT, SECRET);
    // The §7.3 request, with `subject_token`, then `extra` pairs; `skip` names left out.
    let form = |subject: &str, skip: &[&str], extra: &[(&str, &str)]| -> Vec<(String, String)> {
        let base = [
            ("grant_type", urn::GRANT_TYPE_TOKEN_EXCHANGE),
            ("requested_token_type", urn::TOKEN_TYPE_ID_JAG),
            ("audience", AS),
            ("resource", MCP),
            ("scope", "tickets:read"),
            ("subject_token", subject),
            ("subject_token_type", urn::TOKEN_TYPE_ID_TOKEN),
        ];
        base.iter()
            .filter(|(n, _)| !skip.contains(n))
            .chain(extra.iter())
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    };
    let req = |auth: &Auth<'_>, pairs: Vec<(String, String)>| -> Result<Input> {
        let borrowed: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        request(IDP_TOKEN_PATH, auth, &borrowed)
    };
    let with =
        |auth: &Auth<'_>, id: &str, skip: &[&str], extra: &[(&str, &str)]| -> Result<Input> {
            req(auth, form(&id_token(id)?, skip, extra))
        };
    let with_subject =
        |subject: &str, extra: &[(&str, &str)]| req(&basic, form(subject, &[], extra));
    let bad = |code: &str| http_error(400, code);

    // -- success (controls) --
    v.add(
        "te-valid-basic",
        &["IDP-15", "IDP-17", "CL-07"],
        "A valid exchange with client_secret_basic (control).",
        NOW,
        with(&basic, "te-valid-basic", &[], &[])?,
        http_ok(),
    );
    v.add(
        "te-valid-post",
        &["IDP-02", "CL-09"],
        "A valid exchange with client_secret_post (control).",
        NOW,
        with(&Auth::Post(IDP_CLIENT, SECRET), "te-valid-post", &[], &[])?,
        http_ok(),
    );
    let ca = g.client.jws(
        &g.client.header(None),
        &ca_claims("te-valid-private-key-jwt/ca", IDP_CLIENT, IDP),
    )?;
    v.add(
        "te-valid-private-key-jwt",
        &["IDP-02", "JWT-10"],
        "A valid exchange with private_key_jwt (control).",
        NOW,
        with(&Auth::Jwt(ca), "te-valid-private-key-jwt", &[], &[])?,
        http_ok(),
    );
    v.add(
        "te-audience-alias",
        &["IDP-09", "OQ-13"],
        "audience given as the configured alias of the AS (accepted).",
        NOW,
        req(
            &basic,
            form(
                &id_token("te-audience-alias")?,
                &["audience"],
                &[("audience", AS_ALIAS)],
            ),
        )?,
        http_ok(),
    );
    v.add(
        "te-resource-repeated",
        &["IDP-03", "IDP-10"],
        "Two resources, both paired with the AS (repeated resource is valid).",
        NOW,
        with(&basic, "te-resource-repeated", &[], &[("resource", WIKI)])?,
        http_ok(),
    );

    // -- IDP-01: endpoint --
    v.add(
        "te-unsupported-grant",
        &["IDP-01"],
        "grant_type password at the token endpoint.",
        NOW,
        req(
            &basic,
            vec![
                ("grant_type".into(), "password".into()),
                ("username".into(), "ada".into()),
            ],
        )?,
        bad("unsupported_grant_type"),
    );

    // -- IDP-02: client authentication --
    v.add(
        "te-client-bad-secret-basic",
        &["IDP-02", "IDP-18"],
        "Wrong secret with client_secret_basic: 401.",
        NOW,
        with(
            &Auth::Basic(IDP_CLIENT, "wrong-secret"),
            "te-client-bad-secret-basic",
            &[],
            &[],
        )?,
        http_error(401, "invalid_client"),
    );
    v.add(
        "te-client-bad-secret-post",
        &["IDP-02", "IDP-18"],
        "Wrong secret with client_secret_post: 400 (body-based method).",
        NOW,
        with(
            &Auth::Post(IDP_CLIENT, "wrong-secret"),
            "te-client-bad-secret-post",
            &[],
            &[],
        )?,
        http_error(400, "invalid_client"),
    );
    v.add(
        "te-client-none",
        &["IDP-02", "CL-09"],
        "No client authentication at all: invalid_client, 400 (no Authorization header was used).",
        NOW,
        with(&Auth::None, "te-client-none", &[], &[])?,
        http_error(400, "invalid_client"),
    );
    v.add(
        "te-client-public",
        &["IDP-02", "OQ-08"],
        "A public client (client_id only): the exchange serves confidential clients only.",
        NOW,
        with(
            &Auth::None,
            "te-client-public",
            &[],
            &[("client_id", PUBLIC_CLIENT)],
        )?,
        http_error(400, "invalid_client"),
    );
    v.add(
        "te-client-not-registered-for-grant",
        &["IDP-02", "RFC 6749 §5.2"],
        "An authenticated client not registered for token exchange.",
        NOW,
        with(
            &Auth::Basic(IDP_SSO_ONLY_CLIENT, SECRET),
            "te-client-not-registered-for-grant",
            &[],
            &[],
        )?,
        bad("unauthorized_client"),
    );
    let ca_aud = g.client.jws(
        &g.client.header(None),
        &ca_claims(
            "te-client-assertion-aud-token-endpoint/ca",
            IDP_CLIENT,
            IDP_TOKEN_ENDPOINT,
        ),
    )?;
    v.add(
        "te-client-assertion-aud-token-endpoint",
        &["JWT-10", "OQ-03"],
        "private_key_jwt whose aud is the token endpoint URL, not the issuer.",
        NOW,
        with(
            &Auth::Jwt(ca_aud),
            "te-client-assertion-aud-token-endpoint",
            &[],
            &[],
        )?,
        bad("invalid_client"),
    );
    let ca_typ = g.client.jws(
        &g.client.header(Some("oauth-id-jag+jwt")),
        &ca_claims("te-client-assertion-typ-id-jag/ca", IDP_CLIENT, IDP),
    )?;
    v.add(
        "te-client-assertion-typ-id-jag",
        &["JWT-03", "JWT-10"],
        "private_key_jwt typed oauth-id-jag+jwt (typ confusion).",
        NOW,
        with(
            &Auth::Jwt(ca_typ),
            "te-client-assertion-typ-id-jag",
            &[],
            &[],
        )?,
        bad("invalid_client"),
    );
    let ca_saml = g.client.jws(
        &g.client.header(None),
        &ca_claims("te-client-assertion-type-unknown/ca", IDP_CLIENT, IDP),
    )?;
    let mut unknown_type = form(&id_token("te-client-assertion-type-unknown")?, &[], &[]);
    unknown_type.push((
        "client_assertion_type".into(),
        "urn:ietf:params:oauth:client-assertion-type:saml2-bearer".into(),
    ));
    unknown_type.push(("client_assertion".into(), ca_saml));
    v.add("te-client-assertion-type-unknown", &["IDP-02", "RFC 6749 §5.2"], "client_assertion with an unknown client_assertion_type (an unsupported authentication method).", NOW, req(&Auth::None, unknown_type)?, bad("invalid_client"));
    let ca_once = g.client.jws(
        &g.client.header(None),
        &ca_claims("te-client-assertion-replay/ca", IDP_CLIENT, IDP),
    )?;
    let first = with(
        &Auth::Jwt(ca_once.clone()),
        "te-client-assertion-replay/1",
        &[],
        &[],
    )?;
    v.add_full(
        "te-client-assertion-replay",
        &["JWT-10"],
        "The same client assertion (same jti) used twice: the second is refused.",
        NOW,
        &[],
        vec![Step {
            input: first,
            expect: http_ok(),
        }],
        with(
            &Auth::Jwt(ca_once),
            "te-client-assertion-replay/2",
            &[],
            &[],
        )?,
        bad("invalid_client"),
    );

    // -- IDP-03 / IDP-04: request shape --
    v.add(
        "te-missing-subject-token",
        &["IDP-03"],
        "No subject_token.",
        NOW,
        with(&basic, "te-missing-subject-token", &["subject_token"], &[])?,
        bad("invalid_request"),
    );
    v.add(
        "te-missing-subject-token-type",
        &["IDP-03"],
        "No subject_token_type.",
        NOW,
        with(
            &basic,
            "te-missing-subject-token-type",
            &["subject_token_type"],
            &[],
        )?,
        bad("invalid_request"),
    );
    v.add(
        "te-missing-requested-token-type",
        &["IDP-03"],
        "No requested_token_type.",
        NOW,
        with(
            &basic,
            "te-missing-requested-token-type",
            &["requested_token_type"],
            &[],
        )?,
        bad("invalid_request"),
    );
    v.add(
        "te-missing-audience",
        &["IDP-03"],
        "No audience.",
        NOW,
        with(&basic, "te-missing-audience", &["audience"], &[])?,
        bad("invalid_request"),
    );
    v.add(
        "te-repeated-subject-token",
        &["IDP-03"],
        "subject_token sent twice.",
        NOW,
        req(
            &basic,
            form(
                &id_token("te-repeated-subject-token")?,
                &[],
                &[("subject_token", "x")],
            ),
        )?,
        bad("invalid_request"),
    );
    v.add(
        "te-repeated-scope",
        &["IDP-03"],
        "scope sent twice.",
        NOW,
        with(
            &basic,
            "te-repeated-scope",
            &[],
            &[("scope", "tickets:write")],
        )?,
        bad("invalid_request"),
    );
    v.add(
        "te-method-get",
        &["IDP-01"],
        "GET at the token endpoint: 405.",
        NOW,
        Input::Request {
            method: "GET".into(),
            path: IDP_TOKEN_PATH.into(),
            headers: vec![],
            body: String::new(),
        },
        http_error(405, "invalid_request"),
    );
    v.add(
        "te-actor-token",
        &["IDP-03", "OQ-19", "CL-10"],
        "actor_token and actor_token_type sent.",
        NOW,
        with(
            &basic,
            "te-actor-token",
            &[],
            &[
                ("actor_token", "x"),
                ("actor_token_type", urn::TOKEN_TYPE_ID_TOKEN),
            ],
        )?,
        bad("invalid_request"),
    );
    v.add(
        "te-requested-access-token",
        &["IDP-04"],
        "requested_token_type is the access-token type.",
        NOW,
        with(
            &basic,
            "te-requested-access-token",
            &["requested_token_type"],
            &[("requested_token_type", urn::TOKEN_TYPE_ACCESS_TOKEN)],
        )?,
        bad("invalid_request"),
    );
    v.add(
        "te-missing-resource",
        &["OQ-02", "CL-08"],
        "No resource (required for EMA audiences).",
        NOW,
        with(&basic, "te-missing-resource", &["resource"], &[])?,
        bad("invalid_request"),
    );

    // -- IDP-09 / IDP-10 / IDP-11: targets and policy --
    v.add(
        "te-audience-injection",
        &["IDP-03", "IDP-09"],
        "Audience injection: two audiences.",
        NOW,
        with(
            &basic,
            "te-audience-injection",
            &[],
            &[("audience", OTHER_AS)],
        )?,
        bad("invalid_target"),
    );
    v.add(
        "te-audience-unknown",
        &["IDP-09"],
        "audience is an AS the IdP does not know.",
        NOW,
        req(
            &basic,
            form(
                &id_token("te-audience-unknown")?,
                &["audience"],
                &[("audience", "https://as.evil.example")],
            ),
        )?,
        bad("invalid_target"),
    );
    v.add(
        "te-audience-trailing-slash",
        &["IDP-09", "META-08"],
        "audience is the AS issuer with a trailing slash.",
        NOW,
        req(
            &basic,
            form(
                &id_token("te-audience-trailing-slash")?,
                &["audience"],
                &[("audience", "https://as.toolhub.test/")],
            ),
        )?,
        bad("invalid_target"),
    );
    v.add(
        "te-resource-swap",
        &["IDP-10", "EMA-S §7.6.1"],
        "Resource swap: the resource of another AS, with this AS as audience.",
        NOW,
        req(
            &basic,
            form(
                &id_token("te-resource-swap")?,
                &["resource"],
                &[("resource", OTHER_MCP)],
            ),
        )?,
        bad("invalid_target"),
    );
    v.add(
        "te-scope-not-allowed",
        &["IDP-11"],
        "Only scopes the policy never grants.",
        NOW,
        req(
            &basic,
            form(
                &id_token("te-scope-not-allowed")?,
                &["scope"],
                &[("scope", "admin")],
            ),
        )?,
        bad("invalid_scope"),
    );

    // -- IDP-05 / IDP-06 / IDP-22: the subject token --
    let jag = es.jws(
        &es.header(Some("oauth-id-jag+jwt")),
        &super::id_jag_claims("te-subject-id-jag"),
    )?;
    v.add(
        "te-subject-id-jag-type",
        &["IDP-22", "IDP-05"],
        "An ID-JAG this IdP issued, presented as subject token of type id-jag.",
        NOW,
        req(
            &basic,
            form(
                &jag,
                &["subject_token_type"],
                &[("subject_token_type", urn::TOKEN_TYPE_ID_JAG)],
            ),
        )?,
        bad("invalid_request"),
    );
    let jag2 = es.jws(
        &es.header(Some("oauth-id-jag+jwt")),
        &id_token_claims("te-subject-id-jag-as-id-token"),
    )?;
    v.add(
        "te-subject-id-jag-as-id-token",
        &["IDP-22", "JWT-03"],
        "An ID-JAG (typ oauth-id-jag+jwt, ID-token claims) declared as an ID token.",
        NOW,
        with_subject(&jag2, &[])?,
        bad("invalid_request"),
    );
    v.add(
        "te-subject-saml2",
        &["IDP-05", "IDP-07"],
        "subject_token_type saml2 (not implemented here).",
        NOW,
        req(
            &basic,
            form(
                "PHNhbWw+",
                &["subject_token_type"],
                &[("subject_token_type", urn::TOKEN_TYPE_SAML2)],
            ),
        )?,
        bad("invalid_request"),
    );
    v.add(
        "te-subject-refresh-token-unsupported",
        &["IDP-05", "IDP-08"],
        "subject_token_type refresh_token while this IdP accepts none.",
        NOW,
        req(
            &basic,
            form(
                "rt-unknown",
                &["subject_token_type"],
                &[("subject_token_type", urn::TOKEN_TYPE_REFRESH_TOKEN)],
            ),
        )?,
        bad("invalid_request"),
    );
    let none_token = format!(
        "{}.{}.",
        b64(r#"{"alg":"none"}"#),
        b64(id_token_claims("te-subject-alg-none").to_json()?)
    );
    v.add(
        "te-subject-alg-none",
        &["IDP-06", "JWT-01"],
        "Subject ID token with alg none.",
        NOW,
        with_subject(&none_token, &[])?,
        bad("invalid_request"),
    );
    let other_aud = es.jws(
        &es.header(None),
        &id_token_claims("te-subject-aud-other-client").set("aud", json!(CLIENT)),
    )?;
    v.add(
        "te-subject-aud-other-client",
        &["IDP-06"],
        "Subject ID token issued to another client.",
        NOW,
        with_subject(&other_aud, &[])?,
        bad("invalid_request"),
    );
    let other_iss = es.jws(
        &es.header(None),
        &id_token_claims("te-subject-iss-other").set("iss", json!(ROGUE_IDP)),
    )?;
    v.add(
        "te-subject-iss-other",
        &["IDP-06"],
        "Subject ID token from another issuer (signed with this IdP's key).",
        NOW,
        with_subject(&other_iss, &[])?,
        bad("invalid_request"),
    );
    let forged = g.attacker.jws(
        &es.header(None),
        &id_token_claims("te-subject-attacker-key"),
    )?;
    v.add(
        "te-subject-attacker-key",
        &["IDP-06", "JWT-09"],
        "Subject ID token signed by the attacker's key under the IdP's kid.",
        NOW,
        with_subject(&forged, &[])?,
        bad("invalid_request"),
    );
    let exp = NOW + 3600;
    v.add(
        "te-subject-exp-edge-accept",
        &["IDP-06", "JWT-06"],
        "now = ID token exp + skew - 1 s: accepted.",
        exp + SKEW - 1,
        with(&basic, "te-subject-exp-edge-accept", &[], &[])?,
        http_ok(),
    );
    v.add(
        "te-subject-exp-edge-reject",
        &["IDP-06", "JWT-06"],
        "now = ID token exp + skew: expired.",
        exp + SKEW,
        with(&basic, "te-subject-exp-edge-reject", &[], &[])?,
        bad("invalid_request"),
    );

    // -- IDP-20: DPoP --
    let dpop = |id: &str, htm: &str, htu: &str| -> Result<Input> {
        let proof = dpop_proof(&g.dpop, &format!("{id}/proof"), htm, htu, NOW)?;
        let pairs = form(&id_token(id)?, &[], &[]);
        let borrowed: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        request_with(
            IDP_TOKEN_PATH,
            &basic,
            &borrowed,
            &[("dpop", proof.as_str())],
        )
    };
    v.add(
        "te-dpop-bound",
        &["IDP-20"],
        "A valid DPoP proof: the ID-JAG is bound (cnf.jkt) (control).",
        NOW,
        dpop("te-dpop-bound", "POST", IDP_TOKEN_ENDPOINT)?,
        http_ok(),
    );
    v.add(
        "te-dpop-proof-wrong-htu",
        &["IDP-20"],
        "DPoP proof for the AS token endpoint, presented at the IdP.",
        NOW,
        dpop(
            "te-dpop-proof-wrong-htu",
            "POST",
            crate::cast::AS_TOKEN_ENDPOINT,
        )?,
        bad("invalid_dpop_proof"),
    );
    v.add(
        "te-dpop-proof-wrong-htm",
        &["IDP-20"],
        "DPoP proof for GET.",
        NOW,
        dpop("te-dpop-proof-wrong-htm", "GET", IDP_TOKEN_ENDPOINT)?,
        bad("invalid_dpop_proof"),
    );

    let setup = json!({
        "handler": "IdP token endpoint serving the token-exchange grant",
        "issuer": IDP,
        "token_endpoint": IDP_TOKEN_ENDPOINT,
        "audiences": [
            {"issuer": AS, "aliases": [AS_ALIAS], "resources": [MCP, WIKI]},
            {"issuer": OTHER_AS, "resources": [OTHER_MCP]},
        ],
        "clients": [
            {"client_id": IDP_CLIENT, "type": "confidential", "client_secret": SECRET, "jwks": "client_jwks (ES256)", "grant_types": [urn::GRANT_TYPE_TOKEN_EXCHANGE]},
            {"client_id": IDP_SSO_ONLY_CLIENT, "type": "confidential", "client_secret": SECRET, "grant_types": ["authorization_code"]},
            {"client_id": PUBLIC_CLIENT, "type": "public", "grant_types": [urn::GRANT_TYPE_TOKEN_EXCHANGE]},
        ],
        "policy": [
            {"client": IDP_CLIENT, "audience": AS, "resource": MCP, "scopes": "tickets:read tickets:write", "client_id_at_audience": CLIENT},
            {"client": IDP_CLIENT, "audience": AS, "resource": WIKI, "scopes": "tickets:read wiki:read", "client_id_at_audience": CLIENT},
            {"client": IDP_CLIENT, "audience": OTHER_AS, "resource": OTHER_MCP, "scopes": "files:read", "client_id_at_audience": "other-cli"},
        ],
        "subject_token_types": [urn::TOKEN_TYPE_ID_TOKEN],
        "id_token_verification": "signed by a key of idp_jwks (ES256), iss = issuer, aud contains the authenticated client",
        "skew_seconds": SKEW,
        "client_assertion_audience": IDP,
        "keys": {"idp_jwks": "the IdP's own JWKS (subject ID tokens)", "client_jwks": "JWKS registered for desk-7f3a", "signing_key": "the IdP's ID-JAG signing key"},
        "status": "400 unless stated; invalid_client is 401 (with WWW-Authenticate) when the client used the Authorization header, 400 otherwise",
    });
    Ok(v.file(
        "RFC 8693 token exchange at the IdP (ID-JAG issuance).",
        setup,
    ))
}

//! Writes the committed seed corpus: `cargo run --example gen_seeds` in `fuzz/` (see
//! docs/fuzzing.md). Deterministic: the tokens are minted from the fixed keys of `ema_fuzz`
//! at its fixed clock, with its fixed random source, so a rerun rewrites the same files.
//!
//! The documents, forms and headers are the wire examples of REQUIREMENTS.md §7 and what the
//! crates' builders serve. Seeds are named `seed-*` (the repository ignores libFuzzer's
//! hash-named corpus files).

use std::fs;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ema_fuzz::{AS, CLIENT, FixedRandom, IDP, MCP, SCOPE, SUBJECT, fixture, mint_clock};
use ema_jwt::mint::{
    AccessTokenGrant, AccessTokenMinter, ClientAssertionMinter, IdJagGrant, IdJagMinter,
};
use ema_metadata::challenge::{AuthScheme, Challenge, format_www_authenticate};
use ema_metadata::{
    AuthorizationServerMetadataBuilder, IdentityProviderMetadataBuilder,
    ProtectedResourceMetadataBuilder,
};
use ema_types::{
    ClientId, ErrorCode, ErrorResponse, Issuer, JwtBearerRequest, Resource, Secret,
    TokenExchangeRequest, TokenExchangeResponse, TokenResponse, TokenType,
};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn write(target: &str, name: &str, bytes: impl AsRef<[u8]>) -> Result<()> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    fs::create_dir_all(&dir)?;
    fs::write(dir.join(format!("seed-{name}")), bytes)?;
    Ok(())
}

fn segment(token: &str, i: usize) -> Result<Vec<u8>> {
    let seg = token.split('.').nth(i).ok_or("segment")?;
    Ok(URL_SAFE_NO_PAD.decode(seg)?)
}

fn main() -> Result<()> {
    let f = fixture();
    let clock = mint_clock();
    let (idp, as_issuer, mcp) = (Issuer::new(IDP)?, Issuer::new(AS)?, Resource::new(MCP)?);
    let client = ClientId::new(CLIENT)?;

    let id_jag = IdJagMinter::new(idp.clone(), f.signing.clone())
        .mint(
            IdJagGrant::new(SUBJECT, as_issuer.clone(), client.clone())
                .with_resource(mcp.clone())
                .with_scope(SCOPE.parse()?),
            &clock,
            &FixedRandom,
        )?
        .token;
    let access_token = AccessTokenMinter::new(as_issuer.clone(), f.signing.clone())
        .mint(
            AccessTokenGrant::new(SUBJECT, mcp.clone(), client.clone(), SCOPE.parse()?),
            &clock,
            &FixedRandom,
        )?
        .token;
    let assertion = ClientAssertionMinter::new(client.clone(), f.signing.clone())
        .mint(&as_issuer, &clock, &FixedRandom)?
        .token;
    let tokens = [
        ("id-jag", id_jag.expose()),
        ("access-token", access_token.expose()),
        ("client-assertion", assertion.expose()),
    ];

    // Compact JWS, header and claims layers.
    for (name, token) in tokens {
        write("jws_decode", name, token)?;
        write("jose_header", name, segment(token, 0)?)?;
        write("claims", name, segment(token, 1)?)?;
    }
    write(
        "jws_decode",
        "jwe-shape",
        "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d",
    )?;
    write("jose_header", "alg-none", r#"{"alg":"none","typ":"JWT"}"#)?;
    write(
        "jose_header",
        "crit",
        r#"{"alg":"ES256","crit":["b64"],"b64":false}"#,
    )?;
    write(
        "jose_header",
        "embedded-jwk",
        r#"{"alg":"ES256","typ":"dpop+jwt","jwk":{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}}"#,
    )?;
    write(
        "claims",
        "id-jag-section-7",
        r#"{"iss":"https://login.acme-idp.test","sub":"00u8k2p9xq","aud":"https://as.toolhub.test","client_id":"cli_42b19c","jti":"5Qm1v0R8cT2yWkN7hZbL3A","iat":1793000000,"exp":1793000300,"resource":"https://tools.toolhub.test/mcp","scope":"tickets:read","auth_time":1792999500,"amr":["pwd","otp"],"cnf":{"jkt":"0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"},"sub_id":{"format":"email","email":"u@acme.test"}}"#,
    )?;
    write(
        "claims",
        "id-token",
        r#"{"iss":"https://login.acme-idp.test","sub":"00u8k2p9xq","aud":["desk-7f3a"],"iat":1793000000,"exp":1793003600,"nonce":"n-0S6_WzA2Mj","auth_time":1792999500,"azp":"desk-7f3a"}"#,
    )?;

    // JWKS: the fixture's published set and an RFC 7517 example.
    write("jwks", "published", serde_json::to_vec(&f.keys.to_jwks())?)?;
    write(
        "jwks",
        "rsa-and-private",
        r#"{"keys":[{"kty":"RSA","alg":"RS256","kid":"r1","use":"sig","e":"AQAB","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"},{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}]}"#,
    )?;

    // Form bodies of both token endpoints (§7.3, §7.4) and what the request types encode.
    write(
        "token_request_forms",
        "token-exchange-section-7",
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&requested_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aid-jag&audience=https%3A%2F%2Fas.toolhub.test&resource=https%3A%2F%2Ftools.toolhub.test%2Fmcp&scope=tickets%3Aread&subject_token=eyJhbGciOiJFUzI1NiIsImtpZCI6ImlkcC0yMDI2In0.eyJpc3Mi.c2ln&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aid_token",
    )?;
    write(
        "token_request_forms",
        "jwt-bearer-section-7",
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=eyJ0eXAiOiJvYXV0aC1pZC1qYWcrand0IiwiYWxnIjoiRVMyNTYiLCJraWQiOiJpZHAtMjAyNiJ9.eyJpc3Mi.c2ln&resource=https%3A%2F%2Ftools.toolhub.test%2Fmcp&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=eyJhbGciOiJFUzI1NiIsImtpZCI6ImNsaS1rMSJ9.eyJpc3MiOiJjbGlfNDJiMTljIn0.c2ln",
    )?;
    let exchange = TokenExchangeRequest::for_id_jag(
        Secret::new("eyJ.eyJ.sig"),
        TokenType::IdToken,
        &as_issuer,
        mcp.clone(),
        Some(SCOPE.parse()?),
    );
    write(
        "token_request_forms",
        "token-exchange",
        exchange.to_form().encode(),
    )?;
    let bearer = JwtBearerRequest::new(id_jag.clone(), mcp.clone(), Some(SCOPE.parse()?));
    write(
        "token_request_forms",
        "jwt-bearer",
        bearer.to_form().encode(),
    )?;

    // Token and error responses (§7.3, §7.4).
    let response = TokenResponse::bearer(access_token.clone(), 3600, SCOPE.parse()?);
    write("token_responses", "bearer", serde_json::to_vec(&response)?)?;
    let exchanged = TokenExchangeResponse::id_jag(id_jag.clone(), 300, Some(SCOPE.parse()?));
    write("token_responses", "id-jag", serde_json::to_vec(&exchanged)?)?;
    write(
        "token_responses",
        "id-jag-section-7",
        r#"{"issued_token_type":"urn:ietf:params:oauth:token-type:id-jag","access_token":"eyJ0eXAiOiJvYXV0aC1pZC1qYWcrand0In0.eyJpc3Mi.c2ln","token_type":"N_A","scope":"tickets:read","expires_in":300}"#,
    )?;
    write(
        "token_responses",
        "bearer-section-7",
        r#"{"access_token":"eyJ0eXAiOiJhdCtqd3QifQ.eyJpc3Mi.c2ln","token_type":"Bearer","expires_in":3600,"scope":"tickets:read","resource":"https://tools.toolhub.test/mcp"}"#,
    )?;
    let error = ErrorResponse::new(ErrorCode::InvalidTarget)
        .with_description("resource not permitted for this client");
    write(
        "token_responses",
        "invalid-target",
        serde_json::to_vec(&error)?,
    )?;
    write(
        "token_responses",
        "step-up",
        r#"{"error":"insufficient_user_authentication","error_description":"MFA required","max_age":0}"#,
    )?;

    // Metadata documents (§7.1, §7.2) and what the builders serve.
    write(
        "metadata_documents",
        "prm-section-7",
        r#"{"resource":"https://tools.toolhub.test/mcp","authorization_servers":["https://as.toolhub.test"],"scopes_supported":["tickets:read","tickets:write"],"bearer_methods_supported":["header"],"resource_name":"ToolHub Tickets MCP"}"#,
    )?;
    write(
        "metadata_documents",
        "as-section-7",
        r#"{"issuer":"https://as.toolhub.test","authorization_endpoint":"https://as.toolhub.test/oauth/authorize","token_endpoint":"https://as.toolhub.test/oauth/token","jwks_uri":"https://as.toolhub.test/oauth/jwks","response_types_supported":["code"],"grant_types_supported":["authorization_code","urn:ietf:params:oauth:grant-type:jwt-bearer"],"token_endpoint_auth_methods_supported":["private_key_jwt","client_secret_basic"],"token_endpoint_auth_signing_alg_values_supported":["ES256","RS256"],"code_challenge_methods_supported":["S256"],"scopes_supported":["tickets:read","tickets:write"],"authorization_grant_profiles_supported":["urn:ietf:params:oauth:grant-profile:id-jag"],"client_id_metadata_document_supported":true}"#,
    )?;
    let as_md = AuthorizationServerMetadataBuilder::new(
        as_issuer.clone(),
        "https://as.toolhub.test/oauth/token".parse()?,
        "https://as.toolhub.test/oauth/jwks".parse()?,
    )
    .token_endpoint_auth_methods_supported(["private_key_jwt"])
    .token_endpoint_auth_signing_alg_values_supported(["ES256"])
    .build()?;
    write("metadata_documents", "as-built", as_md.to_json()?)?;
    let idp_md = IdentityProviderMetadataBuilder::new(
        idp.clone(),
        "https://login.acme-idp.test/oauth2/v1/authorize".parse()?,
        "https://login.acme-idp.test/oauth2/v1/token".parse()?,
        "https://login.acme-idp.test/oauth2/v1/keys".parse()?,
    )
    .token_endpoint_auth_methods_supported(["private_key_jwt", "client_secret_basic"])
    .token_endpoint_auth_signing_alg_values_supported(["ES256"])
    .scopes_supported(["openid", "email"])
    .subject_types_supported(["public"])
    .id_token_signing_alg_values_supported(["ES256", "RS256"])
    .build()?;
    write("metadata_documents", "oidc-built", idp_md.to_json()?)?;
    let prm = ProtectedResourceMetadataBuilder::new(mcp.clone())
        .authorization_server(as_issuer.clone())
        .scopes_supported([SCOPE])
        .dpop_signing_alg_values_supported(["ES256"])
        .build()?;
    write("metadata_documents", "prm-built", prm.to_json()?)?;

    // WWW-Authenticate (§7.1, §7.4, §7.5, RFC 9110 §11.6.1) and the resource server's own.
    write(
        "www_authenticate",
        "section-7-1",
        r#"Bearer resource_metadata="https://tools.toolhub.test/.well-known/oauth-protected-resource/mcp", scope="tickets:read""#,
    )?;
    write(
        "www_authenticate",
        "section-7-5",
        r#"Bearer error="insufficient_scope", scope="tickets:read tickets:write", resource_metadata="https://tools.toolhub.test/.well-known/oauth-protected-resource/mcp", error_description="write access required""#,
    )?;
    write(
        "www_authenticate",
        "rfc9110",
        r#"Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple", Negotiate abc+/def==="#,
    )?;
    let prm_url = prm.well_known_url()?;
    let challenges = [
        Challenge::invalid_token(AuthScheme::Bearer, &prm_url).build()?,
        Challenge::missing_token(AuthScheme::DPoP, &prm_url)
            .algs(["ES256", "EdDSA"])
            .build()?,
    ];
    write(
        "www_authenticate",
        "built",
        format_www_authenticate(&challenges),
    )?;

    // Structure-aware targets: the empty input decodes to "no mutation", the valid token.
    for target in [
        "verify_id_jag",
        "verify_access_token",
        "verify_client_assertion",
    ] {
        write(target, "valid", [])?;
    }

    // authorization_request: the first byte selects GET (0) or POST (1), the rest is the
    // query string or form body.
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let valid = format!(
        "response_type=code&client_id={CLIENT}&redirect_uri=http%3A%2F%2F127.0.0.1%3A53100%2Fcallback\
         &scope=openid%20email&state=xyz&nonce=n-0S6&code_challenge={challenge}\
         &code_challenge_method=S256&login_hint=alice"
    );
    let requests = [
        ("seed-valid", 0u8, valid.clone()),
        ("seed-post", 1, valid),
        (
            "seed-registered-query",
            0,
            format!(
                "response_type=code&client_id={CLIENT}&redirect_uri=https%3A%2F%2Fapp.example%2Fcb%3Ftenant%3Da\
                 &scope=openid&state=s&code_challenge={challenge}&code_challenge_method=S256&login_hint=alice"
            ),
        ),
        (
            "seed-plain-pkce",
            0,
            format!(
                "response_type=code&client_id={CLIENT}&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcallback\
                 &scope=openid&state=s&code_challenge=abc&code_challenge_method=plain&login_hint=alice"
            ),
        ),
        (
            "seed-foreign-redirect",
            0,
            format!(
                "response_type=code&client_id={CLIENT}&redirect_uri=https%3A%2F%2Fevil.example%2Fcb\
                 &scope=openid&code_challenge={challenge}&code_challenge_method=S256"
            ),
        ),
        (
            "seed-no-hint",
            0,
            format!(
                "response_type=token&client_id={CLIENT}&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcallback\
                 &scope=openid&code_challenge={challenge}&code_challenge_method=S256"
            ),
        ),
    ];
    for (name, method, parameters) in requests {
        let mut bytes = vec![method];
        bytes.extend_from_slice(parameters.as_bytes());
        write("authorization_request", name, bytes)?;
    }

    Ok(())
}

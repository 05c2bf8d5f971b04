#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::Path;

use ema_jwt::{Algorithm, SigningKey};

use super::*;

const EXAMPLE: &str = include_str!("../../../../examples/stack.toml");

fn check(text: &str, base: &Path) -> Result<StackSpec, ConfigError> {
    validate(&parse(text)?, base)
}

/// The problems of `text` as `path: problem` lines.
fn problems(text: &str) -> Vec<String> {
    match check(text, Path::new(".")) {
        Ok(_) => Vec::new(),
        Err(ConfigError::Syntax(issue)) => vec![issue.to_string()],
        Err(ConfigError::Invalid(issues)) => issues.iter().map(ToString::to_string).collect(),
        Err(e) => vec![e.to_string()],
    }
}

fn assert_problem(text: &str, path: &str, fragment: &str) {
    let found = problems(text);
    assert!(
        found
            .iter()
            .any(|p| p.starts_with(&format!("{path}: ")) && p.contains(fragment)),
        "expected `{path}: …{fragment}…` in {found:#?}"
    );
}

#[test]
fn the_example_is_valid_and_generates_keys() {
    let spec = check(EXAMPLE, Path::new("../../examples")).unwrap();
    assert_eq!(spec.public_url, "http://127.0.0.1:8080");
    let idp = spec.idp.unwrap();
    assert_eq!(idp.issuer.as_str(), "http://127.0.0.1:8080/idp");
    assert!(idp.signing.generated);
    assert_eq!(idp.rules.len(), 4);
    assert_eq!(
        idp.rules[0].groups.as_deref(),
        Some(&["engineering".to_owned()][..])
    );
    assert_eq!(
        idp.rules[0].label.as_deref(),
        Some("engineering uses the todo tools")
    );
    assert!(idp.rules[1].is_for_everyone());
    assert_eq!(idp.rules[2].roles.as_deref(), Some(&["ops".to_owned()][..]));
    assert!(idp.rules[3].is_deny() && idp.rules[3].scopes.is_empty());
    assert_eq!(idp.users[0].groups, ["engineering", "contractors"]);
    assert_eq!(idp.users[1].roles, ["ops"]);
    let a = spec.authorization_server.unwrap();
    assert_eq!(a.issuer.as_str(), "http://127.0.0.1:8080/as");
    assert_eq!(a.replay, ReplaySpec::Memory);
    assert!(matches!(a.trusted_issuers[0].keys, KeysSpec::Uri(_)));
    assert_eq!(a.resources.len(), 3);
    let paths: Vec<&str> = spec.rs.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["/mcp", "/mcp-docs", "/mcp-admin"]);
    let rs = &spec.rs[0];
    assert_eq!(rs.key, "rs[0]");
    assert_eq!(rs.resource.as_str(), "http://127.0.0.1:8080/mcp");
    assert_eq!(rs.jwks_uri, "http://127.0.0.1:8080/as/jwks");
    assert_eq!(spec.rs[2].read_scopes.to_string(), "admin.read");
    assert!(spec.audit.file.is_none() && !spec.audit.stdout);
}

#[test]
fn public_url_defaults_to_http_listen() {
    let text = EXAMPLE.replace("public_url = \"http://127.0.0.1:8080\"", "");
    let spec = check(&text, Path::new(".")).unwrap();
    assert_eq!(spec.public_url, "http://127.0.0.1:8080");
}

#[test]
fn unknown_keys_and_wrong_types_are_named() {
    assert_problem(
        &EXAMPLE.replace("listen = ", "lisen = "),
        "server.lisen",
        "unknown field",
    );
    assert_problem(
        &EXAMPLE.replace("id_jag_ttl_secs = 300", "id_jag_ttl_secs = \"300\""),
        "idp.id_jag_ttl_secs",
        "invalid type",
    );
    assert_problem(
        &EXAMPLE.replace("sub = \"bob\"", "sub = \"bob\"\nrole = \"admin\""),
        "idp.users[1].role",
        "unknown field",
    );
    assert_eq!(
        problems("[server]\nlisten = \"127.0.0.1:1\"\n[rs\n"),
        ["not valid TOML (line 3): unclosed table, expected `]`"]
    );
}

#[test]
fn every_problem_is_reported_with_its_key() {
    let text = EXAMPLE
        .replacen(
            "audience = \"http://127.0.0.1:8080/as\"",
            "audience = \"not a url\"",
            1,
        )
        .replace("id_jag_ttl_secs = 300", "id_jag_ttl_secs = 0")
        .replace("replay = \"memory\"", "replay = \"disk\"")
        .replace("clock_skew_secs = 60", "clock_skew_secs = 9999");
    let found = problems(&text);
    assert_eq!(found.len(), 4, "{found:#?}");
    assert_problem(&text, "idp.grants[0].audience", "not a url");
    assert_problem(&text, "idp.id_jag_ttl_secs", "outside");
    assert_problem(&text, "as.replay", "redis://");
    assert_problem(&text, "as.clock_skew_secs", "maximum");
}

#[test]
fn http_needs_dev_allow_http_and_a_loopback_host() {
    let strict = EXAMPLE.replace("dev_allow_http = true", "dev_allow_http = false");
    assert_problem(&strict, "server.public_url", "dev_allow_http");
    assert_problem(&strict, "as.trusted_issuers[0].jwks_uri", "dev_allow_http");
    let remote = EXAMPLE.replace(
        "jwks_uri = \"http://127.0.0.1:8080/idp/jwks\"",
        "jwks_uri = \"http://idp.example.com/jwks\"",
    );
    assert_problem(
        &remote,
        "as.trusted_issuers[0].jwks_uri",
        "loopback hosts only",
    );
}

#[test]
fn references_must_name_configured_entries() {
    assert_problem(
        &EXAMPLE.replace(
            "name = \"everyone reads the docs\"",
            "name = \"everyone reads the docs\"\nusers = [\"carol\"]",
        ),
        "idp.grants[1].users[0]",
        "not one of idp.users",
    );
    assert_problem(
        &EXAMPLE.replacen(
            "client_id = \"desk\"\naudience",
            "client_id = \"kiosk\"\naudience",
            1,
        ),
        "idp.grants[0].client_id",
        "not one of idp.clients",
    );
    assert_problem(
        &EXAMPLE.replace(
            "trusted_issuers = [\"http://127.0.0.1:8080/idp\"]",
            "trusted_issuers = [\"http://127.0.0.1:8080/other\"]",
        ),
        "as.clients[0].trusted_issuers[0]",
        "not one of as.trusted_issuers",
    );
    assert_problem(
        &EXAMPLE.replace(
            "write_scopes = [\"todo.write\"]",
            "write_scopes = [\"todo.admin\"]",
        ),
        "rs[0].write_scopes",
        "scopes_supported",
    );
}

#[test]
fn key_files_are_read_relative_to_the_config_and_a_missing_one_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let text = EXAMPLE.replacen(
        "signing_key_files = []",
        "signing_key_files = [\"keys/idp.pem\"]",
        1,
    );
    let err = check(&text, dir.path()).unwrap_err().to_string();
    assert!(
        err.contains("idp.signing_key_files[0]: file ") && err.contains("not found"),
        "{err}"
    );
    std::fs::create_dir(dir.path().join("keys")).unwrap();
    let key = SigningKey::generate(Algorithm::ES256).unwrap();
    std::fs::write(
        dir.path().join("keys/idp.pem"),
        key.to_pkcs8_pem().unwrap().as_bytes(),
    )
    .unwrap();
    let spec = check(&text, dir.path()).unwrap();
    let idp = spec.idp.unwrap();
    assert!(!idp.signing.generated);
    assert_eq!(idp.signing.keys[0].kid(), key.kid());
    std::fs::write(dir.path().join("keys/idp.pem"), "not a key").unwrap();
    assert_problem_in(&text, dir.path(), "idp.signing_key_files[0]", "PKCS#8");
}

fn assert_problem_in(text: &str, base: &Path, path: &str, fragment: &str) {
    let err = check(text, base).unwrap_err().to_string();
    assert!(
        err.contains(&format!("{path}: ")) && err.contains(fragment),
        "{err}"
    );
}

#[test]
fn trusted_issuer_keys_inline_as_json_string_or_table_or_file() {
    let key = SigningKey::generate(Algorithm::ES256).unwrap();
    let jwk = serde_json::to_value(key.verifying_key().to_jwk()).unwrap();
    let jwks = serde_json::json!({ "keys": [jwk.clone()] }).to_string();
    let uri_line = "jwks_uri = \"http://127.0.0.1:8080/idp/jwks\"";
    let as_string = EXAMPLE.replace(uri_line, &format!("jwks = '{jwks}'"));
    let spec = check(&as_string, Path::new(".")).unwrap();
    assert!(matches!(
        spec.authorization_server.unwrap().trusted_issuers[0].keys,
        KeysSpec::Static(_)
    ));
    let table = format!(
        "jwks = {{ keys = [{{ kty = \"EC\", crv = \"P-256\", x = \"{}\", y = \"{}\" }}] }}",
        jwk["x"].as_str().unwrap(),
        jwk["y"].as_str().unwrap()
    );
    check(&EXAMPLE.replace(uri_line, &table), Path::new(".")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("idp.jwks.json"), &jwks).unwrap();
    check(
        &EXAMPLE.replace(uri_line, "jwks_file = \"idp.jwks.json\""),
        dir.path(),
    )
    .unwrap();
    assert_problem(
        &EXAMPLE.replace(uri_line, &format!("{uri_line}\njwks = '{jwks}'")),
        "as.trusted_issuers[0]",
        "exactly one of jwks, jwks_file, jwks_uri",
    );
    assert_problem(
        &EXAMPLE.replace(uri_line, "jwks = '{\"keys\": 5}'"),
        "as.trusted_issuers[0].jwks",
        "not a JWKS",
    );
}

#[test]
fn as_clients_need_exactly_one_authentication() {
    assert_problem(
        &EXAMPLE.replace("client_secret = \"as-secret\"", ""),
        "as.clients[0]",
        "exactly one of client_secret",
    );
}

#[test]
fn replay_accepts_memory_and_redis_urls() {
    let spec = check(
        &EXAMPLE.replace("replay = \"memory\"", "replay = \"redis://127.0.0.1:6379\""),
        Path::new("."),
    )
    .unwrap();
    assert_eq!(
        spec.authorization_server.unwrap().replay,
        ReplaySpec::Redis("redis://127.0.0.1:6379".to_owned())
    );
}

#[test]
fn a_role_alone_is_enough_and_none_is_refused() {
    let rs_only = "[server]\nlisten = \"127.0.0.1:9000\"\ndev_allow_http = true\n[rs]\npath = \"/mcp\"\nauthorization_server = \"https://as.example.com\"\n";
    let spec = check(rs_only, Path::new(".")).unwrap();
    assert!(spec.idp.is_none() && spec.authorization_server.is_none());
    assert_eq!(spec.rs.len(), 1);
    assert_eq!(spec.rs[0].key, "rs");
    assert_eq!(spec.rs[0].jwks_uri, "https://as.example.com/jwks");
    assert_problem(
        &format!("{rs_only}scopes_supported = [\"a\"]\nread_scopes = [\"b\"]\n"),
        "rs.read_scopes",
        "not within rs.scopes_supported",
    );
    assert_eq!(
        problems("[server]\nlisten = \"127.0.0.1:9000\"\ndev_allow_http = true\n"),
        ["configure at least one of [idp], [as], [rs]"]
    );
}

#[test]
fn secrets_do_not_appear_in_debug_output() {
    let raw = parse(EXAMPLE).unwrap();
    let spec = validate(&raw, Path::new(".")).unwrap();
    for text in [format!("{raw:?}"), format!("{spec:?}")] {
        assert!(
            !text.contains("desk-secret") && !text.contains("as-secret"),
            "{text}"
        );
    }
}

#[test]
fn several_mcp_servers_need_distinct_paths_known_to_the_stacks_as() {
    assert_problem(
        &EXAMPLE.replace("path = \"/mcp-docs\"", "path = \"/mcp\""),
        "rs[1].path",
        "already used by rs[0].path",
    );
    assert_problem(
        &EXAMPLE.replace("path = \"/mcp-admin\"", "path = \"/as\""),
        "rs[2].path",
        "already used by as.issuer_path",
    );
    let unknown = EXAMPLE.replace(
        "[[as.resources]]\nresource = \"http://127.0.0.1:8080/mcp-admin\"",
        "[[as.resources]]\nresource = \"http://127.0.0.1:8080/other\"",
    );
    assert_problem(
        &unknown,
        "rs[2].path",
        "http://127.0.0.1:8080/mcp-admin is not one of as.resources",
    );
    // A server of another AS is not checked against this one.
    let elsewhere = EXAMPLE.replace(
        "path = \"/mcp-admin\"\nauthorization_server = \"http://127.0.0.1:8080/as\"",
        "path = \"/mcp-admin\"\nauthorization_server = \"http://127.0.0.1:9090/as\"",
    );
    let found = problems(&elsewhere.replace(
        "[[as.resources]]\nresource = \"http://127.0.0.1:8080/mcp-admin\"",
        "[[as.resources]]\nresource = \"http://127.0.0.1:8080/other\"",
    ));
    assert!(found.is_empty(), "{found:#?}");
    assert_problem(
        &EXAMPLE.replace(
            "[[rs]]\npath = \"/mcp-docs\"",
            "[[rs]]\npath = \"/mcp-docs\"\nscope = 1",
        ),
        "rs[1].scope",
        "unknown field",
    );
}

#[test]
fn grant_rows_by_group_role_and_deny_are_checked() {
    assert_problem(
        &EXAMPLE.replace(
            "deny = true ",
            "as_client_id = \"desk-at-as\"\ndeny = true ",
        ),
        "idp.grants[3].as_client_id",
        "a deny row",
    );
    assert_problem(
        &EXAMPLE.replacen("as_client_id = \"desk-at-as\"\n", "", 1),
        "idp.grants[1].as_client_id",
        "an allow row names",
    );
    assert_problem(
        &EXAMPLE.replace(
            "roles = [\"ops\"]\n\n[[idp.grants]]",
            "roles = []\n\n[[idp.grants]]",
        ),
        "idp.grants[2].roles",
        "matches nobody",
    );
    assert_problem(
        &EXAMPLE.replace("groups = [\"sales\"]", "groups = [\"\"]"),
        "idp.users[1].groups[0]",
        "must be 1 to 255 bytes",
    );
    assert_problem(
        &EXAMPLE.replace("scopes = [\"docs.read\"]\nas_client_id", "as_client_id"),
        "idp.grants[1].scopes",
        "list at least one scope",
    );
    assert_problem(
        &EXAMPLE.replace("deny = true ", "deny = \"yes\" "),
        "idp.grants[3].deny",
        "invalid type",
    );
}

#[test]
fn audit_writes_to_a_file_next_to_the_config_or_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{EXAMPLE}\n[audit]\nfile = \"audit.jsonl\"\nstdout = true\n");
    let spec = check(&text, dir.path()).unwrap();
    assert_eq!(spec.audit.file, Some(dir.path().join("audit.jsonl")));
    assert!(spec.audit.stdout);
    assert_problem(
        &format!("{EXAMPLE}\n[audit]\nfile = \"no/such/folder/audit.jsonl\"\n"),
        "audit.file",
        "does not exist",
    );
    assert_problem(
        &format!("{EXAMPLE}\n[audit]\nfiles = \"a\"\n"),
        "audit.files",
        "unknown field",
    );
}

#[test]
fn cl_06_code_flow_keys_are_checked() {
    let spec = check(EXAMPLE, Path::new(".")).unwrap();
    let as_spec = spec.authorization_server.unwrap();
    let login = as_spec.login.unwrap();
    assert_eq!(login.client_id.as_str(), "mcp-as");
    assert_eq!(login.scopes.to_string(), "email openid");
    let inspector = as_spec
        .clients
        .iter()
        .find(|c| c.client_id.as_str() == "inspector")
        .unwrap();
    assert!(matches!(inspector.auth, super::AsClientAuth::Public));
    assert_eq!(inspector.redirect_uris, ["http://127.0.0.1/callback"]);

    assert_problem(
        &EXAMPLE.replace(
            "idp_issuer = \"http://127.0.0.1:8080/idp\"",
            "idp_issuer = \"https://other-idp.example\"",
        ),
        "as.login.idp_issuer",
        "is not one of as.trusted_issuers",
    );
    assert_problem(
        &EXAMPLE.replace(
            "redirect_uris = [\"http://127.0.0.1:8080/as/login/callback\"]",
            "redirect_uris = []",
        ),
        "as.login.client_id",
        "must list the AS's callback \"http://127.0.0.1:8080/as/login/callback\"",
    );
    assert_problem(
        &EXAMPLE.replace(
            "client_id = \"mcp-as\"\nclient_secret",
            "client_id = \"x\"\nclient_secret",
        ),
        "as.login.client_id",
        "is not one of idp.clients",
    );
    assert_problem(
        &EXAMPLE.replace(
            "redirect_uris = [\"http://127.0.0.1/callback\"]",
            "redirect_uris = [\"http://evil.example/callback\"]",
        ),
        "as.clients[1].redirect_uris[0]",
        "http:// on a loopback host",
    );
    assert_problem(
        &EXAMPLE.replace("public = true", "public = true\nclient_secret = \"s\""),
        "as.clients[1].public",
        "a public client has no client_secret",
    );
    assert_problem(
        &EXAMPLE.replace(
            "public = true",
            "public = true\ntrusted_issuers = [\"http://127.0.0.1:8080/idp\"]",
        ),
        "as.clients[1].trusted_issuers",
        "cannot use the jwt-bearer grant",
    );
    let start = EXAMPLE.find("\n[as.login]").unwrap() + 1;
    let end = start + EXAMPLE[start..].find("\n\n").unwrap();
    assert_problem(
        &format!("{}{}", &EXAMPLE[..start], &EXAMPLE[end + 2..]),
        "as.clients[1].redirect_uris",
        "configure [as.login]",
    );
}

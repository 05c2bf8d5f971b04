//! Property tests: the `WWW-Authenticate` parser never panics and `format ∘ parse`
//! round-trips; well-known URL construction never puts `//` in a path and never loses the
//! query.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use ema_metadata::challenge::{
    AuthScheme, Challenge, MAX_CHALLENGES, format_www_authenticate, parse_www_authenticate,
};
use ema_metadata::well_known::{
    authorization_server_metadata_candidates, protected_resource_metadata_candidates,
    protected_resource_metadata_root_url, protected_resource_metadata_url,
};
use ema_types::urn::{
    WELL_KNOWN_AUTHORIZATION_SERVER, WELL_KNOWN_OPENID_CONFIGURATION, WELL_KNOWN_PROTECTED_RESOURCE,
};
use ema_types::{Issuer, Resource};
use proptest::prelude::*;
use url::Url;

/// Fragments that exercise every branch of the grammar.
fn header_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("Bearer".to_owned()),
            Just("DPoP".to_owned()),
            Just("realm".to_owned()),
            Just("resource_metadata".to_owned()),
            Just(" ".to_owned()),
            Just("\t".to_owned()),
            Just(",".to_owned()),
            Just("=".to_owned()),
            Just("==".to_owned()),
            Just("\"".to_owned()),
            Just("\\".to_owned()),
            Just("/".to_owned()),
            Just("\u{e9}".to_owned()),
            Just("\r\n".to_owned()),
            "[a-zA-Z0-9+/._~-]{1,6}",
            "\"[ -~]{0,8}\"",
        ],
        0..48,
    )
    .prop_map(|parts| parts.concat())
}

fn scheme() -> impl Strategy<Value = AuthScheme> {
    prop_oneof![
        Just(AuthScheme::Bearer),
        Just(AuthScheme::DPoP),
        "[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]{0,10}".prop_map(|s| AuthScheme::new(&s).unwrap()),
    ]
}

fn challenge() -> impl Strategy<Value = Challenge> {
    let params = prop::collection::vec(
        ("[A-Za-z][A-Za-z0-9_!#$%&'*+.^`|~-]{0,12}", "[\t -~]{0,30}"),
        0..6,
    );
    prop_oneof![
        (scheme(), params).prop_map(|(scheme, params)| {
            let mut b = Challenge::builder(scheme);
            for (name, value) in params {
                b = b.param(&name, value);
            }
            b.build().unwrap()
        }),
        (scheme(), "[A-Za-z0-9._~+/-]{1,20}={0,2}")
            .prop_map(|(scheme, t)| Challenge::with_token68(scheme, &t).unwrap()),
    ]
}

proptest! {
    #[test]
    fn www_authenticate_parse_never_panics(s in any::<String>()) {
        let _ = parse_www_authenticate(&s);
    }

    #[test]
    fn www_authenticate_parse_never_panics_on_near_valid_input(s in header_soup()) {
        // Whatever parses, formats back to something that parses to the same challenges.
        if let Ok(parsed) = parse_www_authenticate(&s) {
            let again = parse_www_authenticate(&format_www_authenticate(&parsed)).unwrap();
            prop_assert_eq!(again, parsed);
        }
    }

    #[test]
    fn www_authenticate_format_then_parse_round_trips(
        cs in prop::collection::vec(challenge(), 1..=MAX_CHALLENGES.min(6))
    ) {
        let text = format_www_authenticate(&cs);
        let parsed = parse_www_authenticate(&text);
        prop_assert_eq!(parsed.as_ref(), Ok(&cs), "{}", text);
    }
}

/// An http(s) identifier: host, optional port, path segments (some empty or dot segments),
/// optional trailing slash, optional query.
fn identifier(with_query: bool) -> impl Strategy<Value = (String, bool)> {
    (
        prop_oneof![Just("https"), Just("http")],
        "[a-z]{1,8}(\\.[a-z]{1,5}){0,2}",
        prop::option::of(1u16..=65535),
        prop::collection::vec("[A-Za-z0-9._~-]{0,6}", 0..5),
        any::<bool>(),
        prop::option::of("[A-Za-z0-9=&._/-]{0,10}"),
    )
        .prop_map(move |(scheme, host, port, segments, trailing, query)| {
            let mut s = format!("{scheme}://{host}");
            if let Some(p) = port {
                s.push_str(&format!(":{p}"));
            }
            for seg in &segments {
                s.push('/');
                s.push_str(seg);
            }
            if trailing {
                s.push('/');
            }
            let query = if with_query { query } else { None };
            if let Some(q) = &query {
                s.push('?');
                s.push_str(q);
            }
            // The path's segments as written; only the last may be empty ("/" alone, or a
            // trailing slash), and none may be a dot segment.
            let mut written = segments.clone();
            if trailing {
                written.push(String::new());
            }
            let last = written.len().saturating_sub(1);
            let safe = written
                .iter()
                .enumerate()
                .all(|(i, seg)| (i == last || !seg.is_empty()) && seg != "." && seg != "..");
            (s, safe)
        })
}

proptest! {
    #[test]
    fn prm_urls_never_have_double_slash_and_keep_the_query((raw, safe) in identifier(true)) {
        let resource = Resource::new(raw.as_str()).unwrap();
        let input = Url::parse(&raw).unwrap();
        let result = protected_resource_metadata_url(&resource);
        prop_assert_eq!(result.is_ok(), safe, "{}", raw);
        let Ok(url) = result else { return Ok(()) };
        prop_assert!(!url.path().contains("//"), "{} -> {}", raw, url);
        prop_assert!(url.path().starts_with(WELL_KNOWN_PROTECTED_RESOURCE));
        prop_assert_eq!(url.query(), input.query(), "query lost: {} -> {}", raw, url);
        prop_assert_eq!(url.host_str(), input.host_str());
        prop_assert_eq!(url.port_or_known_default(), input.port_or_known_default());
        prop_assert_eq!(url.scheme(), input.scheme());
        // The path after the suffix is the identifier's path (a lone "/" removed).
        let rest = &url.path()[WELL_KNOWN_PROTECTED_RESOURCE.len()..];
        let expected = if input.path() == "/" { "" } else { input.path() };
        prop_assert_eq!(rest, expected);

        let root = protected_resource_metadata_root_url(&resource).unwrap();
        prop_assert_eq!(root.path(), WELL_KNOWN_PROTECTED_RESOURCE);
        prop_assert_eq!(root.query(), None);

        let candidates = protected_resource_metadata_candidates(&resource, None).unwrap();
        prop_assert_eq!(candidates[0].url(), &url);
        for c in &candidates {
            prop_assert!(!c.url().path().contains("//"));
        }
    }

    #[test]
    fn as_urls_never_have_double_slash((raw, safe) in identifier(false)) {
        let issuer = Issuer::new(raw.as_str()).unwrap();
        let input = Url::parse(&raw).unwrap();
        let result = authorization_server_metadata_candidates(&issuer);
        prop_assert_eq!(result.is_ok(), safe, "{}", raw);
        let Ok(candidates) = result else { return Ok(()) };
        let has_path = input.path() != "/";
        prop_assert_eq!(candidates.len(), if has_path { 3 } else { 2 });
        for c in &candidates {
            prop_assert!(!c.url().path().contains("//"), "{} -> {}", raw, c.url());
            prop_assert_eq!(c.url().query(), None);
            prop_assert_eq!(c.url().host_str(), input.host_str());
        }
        prop_assert!(candidates[0].url().path().starts_with(WELL_KNOWN_AUTHORIZATION_SERVER));
        prop_assert!(candidates[1].url().path().starts_with(WELL_KNOWN_OPENID_CONFIGURATION));
        if has_path {
            prop_assert!(candidates[2].url().path().ends_with(WELL_KNOWN_OPENID_CONFIGURATION));
        }
    }
}

//! How long a response may be reused, from `Cache-Control` and `Age` (RFC 9111 §5.2.2,
//! §4.2.3), as a private cache that never revalidates.

use http::HeaderMap;
use http::header::{AGE, CACHE_CONTROL};

/// What the response allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Freshness {
    /// `no-store` or `no-cache` (this cache cannot revalidate), or a `max-age` already used
    /// up: do not reuse.
    DoNotStore,
    /// Reusable for this many more seconds.
    Fresh(u64),
    /// No `max-age`: the caller's default applies.
    Unspecified,
}

/// Read `Cache-Control` (every field) and `Age`. A malformed or repeated `max-age` counts as
/// stale (RFC 9111 §4.2.1, §1.2.2), as does an unparseable `Age`.
pub(crate) fn freshness(headers: &HeaderMap) -> Freshness {
    let mut max_age: Option<Option<u64>> = None;
    let mut no_store = false;
    for value in headers.get_all(CACHE_CONTROL) {
        let Ok(value) = value.to_str() else {
            return Freshness::DoNotStore;
        };
        for directive in value.split(',') {
            let directive = directive.trim();
            let (name, arg) = match directive.split_once('=') {
                Some((n, a)) => (n.trim(), Some(a.trim())),
                None => (directive, None),
            };
            if name.eq_ignore_ascii_case("no-store") || name.eq_ignore_ascii_case("no-cache") {
                no_store = true;
            } else if name.eq_ignore_ascii_case("max-age") {
                let parsed = arg.and_then(parse_seconds);
                max_age = Some(match max_age {
                    // A repeated max-age is invalid: treat as stale.
                    Some(_) => None,
                    None => parsed,
                });
            }
        }
    }
    if no_store {
        return Freshness::DoNotStore;
    }
    let Some(max_age) = max_age else {
        return Freshness::Unspecified;
    };
    let Some(max_age) = max_age else {
        return Freshness::DoNotStore;
    };
    let age = match headers.get(AGE) {
        None => 0,
        Some(v) => match v.to_str().ok().and_then(parse_seconds) {
            Some(a) => a,
            None => return Freshness::DoNotStore,
        },
    };
    match max_age.saturating_sub(age) {
        0 => Freshness::DoNotStore,
        left => Freshness::Fresh(left),
    }
}

/// `delta-seconds`, optionally quoted; saturating on overflow (RFC 9111 §1.2.2).
fn parse_seconds(s: &str) -> Option<u64> {
    let s = s
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s);
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.parse::<u64>().unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn with(cc: &[&str], age: Option<&str>) -> Freshness {
        let mut h = HeaderMap::new();
        for v in cc {
            h.append(CACHE_CONTROL, HeaderValue::from_str(v).unwrap());
        }
        if let Some(a) = age {
            h.insert(AGE, HeaderValue::from_str(a).unwrap());
        }
        freshness(&h)
    }

    #[test]
    fn meta_09_cache_control() {
        assert_eq!(with(&[], None), Freshness::Unspecified);
        assert_eq!(with(&["public"], None), Freshness::Unspecified);
        assert_eq!(with(&["max-age=300"], None), Freshness::Fresh(300));
        assert_eq!(
            with(&["public, MAX-AGE = \"60\""], None),
            Freshness::Fresh(60)
        );
        assert_eq!(with(&["max-age=300"], Some("100")), Freshness::Fresh(200));
        assert_eq!(with(&["max-age=300"], Some("400")), Freshness::DoNotStore);
        assert_eq!(with(&["max-age=0"], None), Freshness::DoNotStore);
        assert_eq!(with(&["no-store"], None), Freshness::DoNotStore);
        assert_eq!(
            with(&["max-age=300, no-store"], None),
            Freshness::DoNotStore
        );
        assert_eq!(
            with(&["max-age=300", "No-Cache"], None),
            Freshness::DoNotStore
        );
        assert_eq!(with(&["max-age=abc"], None), Freshness::DoNotStore);
        assert_eq!(with(&["max-age"], None), Freshness::DoNotStore);
        assert_eq!(
            with(&["max-age=10", "max-age=20"], None),
            Freshness::DoNotStore
        );
        assert_eq!(with(&["max-age=300"], Some("x")), Freshness::DoNotStore);
        assert_eq!(
            with(&["max-age=99999999999999999999999"], None),
            Freshness::Fresh(u64::MAX)
        );
        // s-maxage is for shared caches only.
        assert_eq!(with(&["s-maxage=300"], None), Freshness::Unspecified);
    }
}

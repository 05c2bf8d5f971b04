//! JOSE `typ` normalisation (RFC 7515 §4.1.9, JWT-04).

/// Normalise a `typ` value: ASCII-lower-cased, with a leading `application/` removed, so
/// `application/OAuth-ID-JAG+JWT` and `oauth-id-jag+jwt` compare equal. A value with some
/// other media-type prefix keeps it (and so matches nothing we accept).
#[must_use]
pub fn normalize(typ: &str) -> String {
    let lower = typ.to_ascii_lowercase();
    match lower.strip_prefix("application/") {
        Some(rest) if !rest.contains('/') => rest.to_owned(),
        _ => lower,
    }
}

/// Whether `found` names the `expected` short type (given in lower case, without prefix).
#[must_use]
pub fn matches(found: &str, expected: &str) -> bool {
    let found = found.as_bytes();
    let expected = expected.as_bytes();
    let prefix = b"application/";
    let rest = if found.len() > prefix.len()
        && found
            .get(..prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
    {
        found.get(prefix.len()..).unwrap_or_default()
    } else {
        found
    };
    rest.eq_ignore_ascii_case(expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_04_case_insensitive_with_implied_application_prefix() {
        assert!(matches("oauth-id-jag+jwt", "oauth-id-jag+jwt"));
        assert!(matches("OAUTH-ID-JAG+JWT", "oauth-id-jag+jwt"));
        assert!(matches("application/oauth-id-jag+jwt", "oauth-id-jag+jwt"));
        assert!(matches("Application/At+JWT", "at+jwt"));
        assert!(!matches("text/at+jwt", "at+jwt"));
        assert!(!matches("application/", ""));
        assert!(!matches("at+jwt ", "at+jwt"));
        assert!(!matches("jwt", "at+jwt"));
        assert_eq!(normalize("Application/AT+JWT"), "at+jwt");
        assert_eq!(normalize("JWT"), "jwt");
    }
}

//! `application/x-www-form-urlencoded` bodies (token requests), strictly decoded.
//!
//! Decoding rejects invalid percent-encoding and invalid UTF-8 (never replaced silently),
//! bounds the body and the number of parameters, and rejects repeated parameters (RFC 6749
//! §3.2) unless the request type names them as multi-valued (RFC 8693 `resource`, `audience`).

use std::borrow::Cow;

use percent_encoding::percent_decode;

use crate::error::{FormError, FormErrorKind};

/// Largest form body decoded, in bytes. An ID-JAG is at most 16 KiB (JWT-11); a request carries
/// one assertion and one client assertion.
pub const MAX_FORM_BYTES: usize = 64 * 1024;
/// Most parameters in one body.
pub const MAX_FORM_PARAMS: usize = 64;

/// A decoded form body: name/value pairs in order.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Form {
    pairs: Vec<(String, String)>,
}

impl std::fmt::Debug for Form {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Values are tokens and secrets: print names only.
        f.debug_list()
            .entries(self.pairs.iter().map(|(k, _)| k))
            .finish()
    }
}

pub(crate) fn decode_component(
    raw: &[u8],
    name_for_error: Option<&str>,
) -> Result<String, FormError> {
    let err = || match name_for_error {
        Some(n) => FormError::param(FormErrorKind::InvalidEncoding, n),
        None => FormError::body(FormErrorKind::InvalidEncoding),
    };
    let has_plus = raw.contains(&b'+');
    if !has_plus && !raw.contains(&b'%') {
        // Nothing to decode (an assertion, a client id): only the UTF-8 check remains.
        return std::str::from_utf8(raw)
            .map(str::to_owned)
            .map_err(|_| err());
    }
    // '+' is a space in this media type.
    let replaced: Cow<'_, [u8]> = if has_plus {
        Cow::Owned(
            raw.iter()
                .map(|&b| if b == b'+' { b' ' } else { b })
                .collect(),
        )
    } else {
        Cow::Borrowed(raw)
    };
    // Reject malformed escapes ('%' not followed by two hex digits), which percent_decode
    // would pass through unchanged.
    let mut i = 0;
    while let Some(&b) = replaced.get(i) {
        if b == b'%' {
            let ok = matches!(
                (replaced.get(i + 1), replaced.get(i + 2)),
                (Some(h), Some(l)) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit()
            );
            if !ok {
                return Err(err());
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    percent_decode(&replaced)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| err())
}

impl Form {
    /// Decode a body with the default bounds.
    pub fn decode(body: &[u8]) -> Result<Self, FormError> {
        Self::decode_bounded(body, MAX_FORM_BYTES, MAX_FORM_PARAMS)
    }

    /// Decode a body with explicit bounds.
    pub fn decode_bounded(
        body: &[u8],
        max_bytes: usize,
        max_params: usize,
    ) -> Result<Self, FormError> {
        if body.len() > max_bytes {
            return Err(FormError::body(FormErrorKind::TooLarge));
        }
        let mut pairs = Vec::new();
        for part in body.split(|&b| b == b'&') {
            if part.is_empty() {
                continue;
            }
            if pairs.len() == max_params {
                return Err(FormError::body(FormErrorKind::TooManyParameters));
            }
            let (raw_name, raw_value) = match part.iter().position(|&b| b == b'=') {
                Some(eq) => (
                    part.get(..eq).unwrap_or_default(),
                    part.get(eq + 1..).unwrap_or_default(),
                ),
                None => (part, &[][..]),
            };
            let name = decode_component(raw_name, None)?;
            let value = decode_component(raw_value, Some(&name))?;
            pairs.push((name, value));
        }
        Ok(Self { pairs })
    }

    /// An empty form, to be filled with [`Form::push`].
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Append a parameter.
    pub fn push(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.pairs.push((name.into(), value.into()));
    }

    /// Append a parameter when `value` is `Some`.
    pub fn push_opt(&mut self, name: &str, value: Option<impl Into<String>>) {
        if let Some(v) = value {
            self.push(name, v);
        }
    }

    /// Encode as `application/x-www-form-urlencoded`.
    #[must_use]
    pub fn encode(&self) -> String {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.pairs {
            ser.append_pair(k, v);
        }
        ser.finish()
    }

    /// All pairs in order.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Every value of `name`.
    pub fn all<'a, 'n>(&'a self, name: &'n str) -> impl Iterator<Item = &'a str> + use<'a, 'n> {
        self.pairs
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of a single-valued parameter: `None` when absent, an error when repeated.
    pub fn single(&self, name: &str) -> Result<Option<&str>, FormError> {
        let mut values = self.all(name);
        let first = values.next();
        if values.next().is_some() {
            return Err(FormError::param(FormErrorKind::Repeated, name));
        }
        Ok(first)
    }

    /// The non-empty value of a required single-valued parameter.
    pub fn required(&self, name: &str) -> Result<&str, FormError> {
        match self.single(name)? {
            None => Err(FormError::param(FormErrorKind::Missing, name)),
            Some("") => Err(FormError::param(FormErrorKind::Empty, name)),
            Some(v) => Ok(v),
        }
    }

    /// An optional single-valued parameter; empty counts as absent (RFC 6749 §3.1).
    pub fn optional(&self, name: &str) -> Result<Option<&str>, FormError> {
        Ok(self.single(name)?.filter(|v| !v.is_empty()))
    }

    /// Reject any parameter that appears more than once, except those in `multi`.
    pub fn reject_repeats(&self, multi: &[&str]) -> Result<(), FormError> {
        for (i, (name, _)) in self.pairs.iter().enumerate() {
            if multi.contains(&name.as_str()) {
                continue;
            }
            let seen_before = self
                .pairs
                .get(..i)
                .is_some_and(|before| before.iter().any(|(k, _)| k == name));
            if seen_before {
                return Err(FormError::param(FormErrorKind::Repeated, name));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decodes_plus_and_percent() {
        let f = Form::decode(b"a=b+c&d=%2F%3A&e=&f").unwrap();
        assert_eq!(f.single("a").unwrap(), Some("b c"));
        assert_eq!(f.single("d").unwrap(), Some("/:"));
        assert_eq!(f.single("e").unwrap(), Some(""));
        assert_eq!(f.single("f").unwrap(), Some(""));
        assert_eq!(f.optional("e").unwrap(), None);
        assert_eq!(f.single("g").unwrap(), None);
    }

    #[test]
    fn rejects_bad_encoding() {
        assert_eq!(
            Form::decode(b"a=%zz").unwrap_err(),
            FormError::param(FormErrorKind::InvalidEncoding, "a")
        );
        assert_eq!(
            Form::decode(b"a=%f").unwrap_err().kind,
            FormErrorKind::InvalidEncoding
        );
        assert_eq!(
            Form::decode(b"a=%ff%fe").unwrap_err().kind,
            FormErrorKind::InvalidEncoding
        );
        assert_eq!(
            Form::decode(b"%ff=1").unwrap_err(),
            FormError::body(FormErrorKind::InvalidEncoding)
        );
    }

    #[test]
    fn repeated_parameters_are_named() {
        let f = Form::decode(b"scope=a&scope=b&resource=x&resource=y").unwrap();
        assert_eq!(
            f.single("scope").unwrap_err(),
            FormError::param(FormErrorKind::Repeated, "scope")
        );
        assert_eq!(
            f.reject_repeats(&["resource"]).unwrap_err(),
            FormError::param(FormErrorKind::Repeated, "scope")
        );
        assert_eq!(f.all("resource").collect::<Vec<_>>(), ["x", "y"]);
    }

    #[test]
    fn bounds() {
        let big = vec![b'a'; MAX_FORM_BYTES + 1];
        assert_eq!(
            Form::decode(&big).unwrap_err().kind,
            FormErrorKind::TooLarge
        );
        let many = (0..=MAX_FORM_PARAMS)
            .map(|i| format!("p{i}=1"))
            .collect::<Vec<_>>()
            .join("&");
        assert_eq!(
            Form::decode(many.as_bytes()).unwrap_err().kind,
            FormErrorKind::TooManyParameters
        );
    }

    #[test]
    fn required_and_empty() {
        let f = Form::decode(b"a=").unwrap();
        assert_eq!(
            f.required("a").unwrap_err(),
            FormError::param(FormErrorKind::Empty, "a")
        );
        assert_eq!(
            f.required("b").unwrap_err(),
            FormError::param(FormErrorKind::Missing, "b")
        );
    }

    #[test]
    fn debug_hides_values() {
        let f = Form::decode(b"client_secret=hunter2").unwrap();
        assert!(!format!("{f:?}").contains("hunter2"));
    }

    proptest! {
        /// The fast path for components with nothing to decode gives what the general
        /// decoding (`+` to space, then percent-decoding, strict UTF-8) gives.
        #[test]
        fn component_fast_path_agrees_with_the_general_decoding(
            raw in proptest::collection::vec(
                prop_oneof![Just(b'+'), Just(b'%'), Just(b'a'), Just(b'F'), Just(0xc3), Just(0xa9), any::<u8>()],
                0..24,
            )
        ) {
            let replaced: Vec<u8> = raw.iter().map(|&b| if b == b'+' { b' ' } else { b }).collect();
            let well_escaped = replaced.iter().enumerate().all(|(i, &b)| {
                b != b'%'
                    || matches!((replaced.get(i + 1), replaced.get(i + 2)),
                        (Some(h), Some(l)) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit())
            });
            let general = if well_escaped {
                percent_decode(&replaced).decode_utf8().ok().map(|c| c.into_owned())
            } else {
                None
            };
            prop_assert_eq!(decode_component(&raw, None).ok(), general);
        }

        #[test]
        fn decode_never_panics(body in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = Form::decode(&body);
        }

        #[test]
        fn encode_decode_round_trips(pairs in proptest::collection::vec(("\\PC{1,16}", "\\PC{0,32}"), 0..16)) {
            let mut f = Form::new();
            for (k, v) in &pairs {
                f.push(k.clone(), v.clone());
            }
            let again = Form::decode(f.encode().as_bytes()).unwrap();
            prop_assert_eq!(f, again);
        }
    }
}

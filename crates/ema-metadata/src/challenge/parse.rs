//! The `WWW-Authenticate` parser (RFC 9110 §11.6.1, §5.6).
//!
//! ```text
//! WWW-Authenticate = #challenge
//! challenge        = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
//! auth-param       = token BWS "=" BWS ( token / quoted-string )
//! ```
//!
//! After a comma, what follows is a parameter of the current challenge when it reads
//! `token BWS "=" BWS` followed by a value; otherwise it starts the next challenge.

use http::HeaderMap;
use http::header::WWW_AUTHENTICATE;

use super::{
    AuthScheme, Challenge, MAX_CHALLENGES, MAX_HEADER_BYTES, MAX_PARAMS, is_tchar, is_token68_char,
};

/// A `WWW-Authenticate` value could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChallengeParseError {
    /// The value is longer than [`MAX_HEADER_BYTES`].
    #[error("header value is {len} bytes, over the {limit}-byte limit")]
    TooLong {
        /// Size of the value(s).
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// A header field is not valid UTF-8.
    #[error("header value is not UTF-8")]
    NotUtf8,
    /// There is no challenge (the value is empty, or only commas and whitespace).
    #[error("no challenge")]
    Empty,
    /// More than [`MAX_CHALLENGES`] challenges.
    #[error("more than {limit} challenges")]
    TooManyChallenges {
        /// The limit.
        limit: usize,
    },
    /// More than [`MAX_PARAMS`] parameters in one challenge.
    #[error("more than {limit} parameters in one challenge")]
    TooManyParameters {
        /// The limit.
        limit: usize,
    },
    /// A character that the grammar does not allow where it stands.
    #[error("unexpected {} at byte {at}", found.map_or_else(|| "end of input".to_owned(), |c| format!("{c:?}")))]
    Unexpected {
        /// Byte offset.
        at: usize,
        /// The character found, or `None` at the end.
        found: Option<char>,
    },
    /// A quoted string has no closing quote.
    #[error("unterminated quoted string starting at byte {at}")]
    UnterminatedQuotedString {
        /// Byte offset of the opening quote.
        at: usize,
    },
    /// A control character inside a quoted string.
    #[error("control character in quoted string at byte {at}")]
    ControlCharacter {
        /// Byte offset.
        at: usize,
    },
    /// A parameter appears twice in one challenge (RFC 9110 §11.2, RFC 6750 §3).
    #[error("parameter `{name}` repeated in one challenge")]
    DuplicateParameter {
        /// The parameter name (lower-cased).
        name: String,
    },
}

/// Parse one `WWW-Authenticate` field value into its challenges.
///
/// ```
/// use ema_metadata::challenge::{parse_www_authenticate, AuthScheme};
/// let cs = parse_www_authenticate(
///     r#"Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple""#,
/// )?;
/// assert_eq!(cs.len(), 2);
/// assert_eq!(cs[0].param("title"), Some(r#"Login to "apps""#));
/// assert_eq!(cs[1].scheme(), &AuthScheme::new("basic").unwrap());
/// # Ok::<(), ema_metadata::challenge::ChallengeParseError>(())
/// ```
pub fn parse_www_authenticate(value: &str) -> Result<Vec<Challenge>, ChallengeParseError> {
    let mut out = Vec::new();
    parse_into(value, &mut out)?;
    if out.is_empty() {
        return Err(ChallengeParseError::Empty);
    }
    Ok(out)
}

/// Parse every `WWW-Authenticate` field of `headers` (RFC 9110 §11.6.1 allows several),
/// in order. The limits apply to all fields together.
pub fn parse_www_authenticate_headers(
    headers: &HeaderMap,
) -> Result<Vec<Challenge>, ChallengeParseError> {
    let mut out = Vec::new();
    let mut total = 0usize;
    for value in headers.get_all(WWW_AUTHENTICATE) {
        total = total.saturating_add(value.len());
        if total > MAX_HEADER_BYTES {
            return Err(ChallengeParseError::TooLong {
                len: total,
                limit: MAX_HEADER_BYTES,
            });
        }
        let value =
            std::str::from_utf8(value.as_bytes()).map_err(|_| ChallengeParseError::NotUtf8)?;
        parse_into(value, &mut out)?;
    }
    if out.is_empty() {
        return Err(ChallengeParseError::Empty);
    }
    Ok(out)
}

fn parse_into(value: &str, out: &mut Vec<Challenge>) -> Result<(), ChallengeParseError> {
    if value.len() > MAX_HEADER_BYTES {
        return Err(ChallengeParseError::TooLong {
            len: value.len(),
            limit: MAX_HEADER_BYTES,
        });
    }
    let mut p = Parser {
        src: value,
        bytes: value.as_bytes(),
        pos: 0,
    };
    loop {
        p.skip_separators();
        if p.at_end() {
            return Ok(());
        }
        if out.len() >= MAX_CHALLENGES {
            return Err(ChallengeParseError::TooManyChallenges {
                limit: MAX_CHALLENGES,
            });
        }
        out.push(p.challenge()?);
    }
}

struct Parser<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

fn is_ws(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn is_ctl(b: u8) -> bool {
    (b < 0x20 && b != b'\t') || b == 0x7f
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn slice(&self, start: usize, end: usize) -> &str {
        self.src.get(start..end).unwrap_or("")
    }

    fn unexpected_at(&self, at: usize) -> ChallengeParseError {
        ChallengeParseError::Unexpected {
            at,
            found: self.src.get(at..).and_then(|s| s.chars().next()),
        }
    }

    fn unexpected(&self) -> ChallengeParseError {
        self.unexpected_at(self.pos)
    }

    fn skip_ws_from(&self, mut i: usize) -> usize {
        while self.bytes.get(i).is_some_and(|&b| is_ws(b)) {
            i += 1;
        }
        i
    }

    fn skip_ws(&mut self) -> usize {
        let start = self.pos;
        self.pos = self.skip_ws_from(self.pos);
        self.pos - start
    }

    /// Skip whitespace and commas (empty list elements, RFC 9110 §5.6.1).
    fn skip_separators(&mut self) {
        while self.peek().is_some_and(|b| is_ws(b) || b == b',') {
            self.pos += 1;
        }
    }

    fn token_end(&self, mut i: usize) -> usize {
        while self.bytes.get(i).is_some_and(|&b| is_tchar(b)) {
            i += 1;
        }
        i
    }

    /// Whether `token BWS "=" BWS value` starts at `i` (a value: anything but `,`, `=` or
    /// the end, which would make it a token68 with padding).
    fn param_starts_at(&self, i: usize) -> bool {
        let end = self.token_end(i);
        if end == i {
            return false;
        }
        let eq = self.skip_ws_from(end);
        if self.bytes.get(eq) != Some(&b'=') {
            return false;
        }
        let value = self.skip_ws_from(eq + 1);
        !matches!(self.bytes.get(value), None | Some(b',' | b'='))
    }

    /// The end of a token68 starting at `i`, if one does, followed by OWS and `,` or the end.
    fn token68_end(&self, i: usize) -> Option<usize> {
        let mut j = i;
        while self.bytes.get(j).is_some_and(|&b| is_token68_char(b)) {
            j += 1;
        }
        if j == i {
            return None;
        }
        while self.bytes.get(j) == Some(&b'=') {
            j += 1;
        }
        let next = self.skip_ws_from(j);
        matches!(self.bytes.get(next), None | Some(b',')).then_some(j)
    }

    fn challenge(&mut self) -> Result<Challenge, ChallengeParseError> {
        let start = self.pos;
        let end = self.token_end(start);
        if end == start {
            return Err(self.unexpected());
        }
        let scheme = AuthScheme::from_token(self.slice(start, end));
        self.pos = end;
        let ws = self.skip_ws();
        let bare = |scheme| Challenge {
            scheme,
            token68: None,
            params: Vec::new(),
        };
        match self.peek() {
            None => return Ok(bare(scheme)),
            Some(b',') => {
                // `Bearer , realm="x"`: the parameter list may begin with empty elements.
                let save = self.pos;
                self.skip_separators();
                if !self.at_end() && self.param_starts_at(self.pos) {
                    let params = self.params()?;
                    return Ok(Challenge {
                        scheme,
                        token68: None,
                        params,
                    });
                }
                self.pos = save;
                return Ok(bare(scheme));
            }
            Some(_) if ws == 0 => return Err(self.unexpected()),
            Some(_) => {}
        }
        if self.param_starts_at(self.pos) {
            let params = self.params()?;
            return Ok(Challenge {
                scheme,
                token68: None,
                params,
            });
        }
        if let Some(end) = self.token68_end(self.pos) {
            let token68 = self.slice(self.pos, end).to_owned();
            self.pos = end;
            self.skip_ws();
            return Ok(Challenge {
                scheme,
                token68: Some(token68),
                params: Vec::new(),
            });
        }
        Err(self.unexpected())
    }

    /// Parameters, from a position where [`Self::param_starts_at`] holds. Stops at the end,
    /// or at the comma before the next challenge.
    fn params(&mut self) -> Result<Vec<(String, String)>, ChallengeParseError> {
        let mut params: Vec<(String, String)> = Vec::new();
        loop {
            let start = self.pos;
            let end = self.token_end(start);
            if end == start {
                return Err(self.unexpected());
            }
            let name = self.slice(start, end).to_ascii_lowercase();
            self.pos = end;
            self.skip_ws();
            if self.peek() != Some(b'=') {
                return Err(self.unexpected());
            }
            self.pos += 1;
            self.skip_ws();
            let value = match self.peek() {
                Some(b'"') => self.quoted_string()?,
                _ => {
                    let vs = self.pos;
                    let ve = self.token_end(vs);
                    if ve == vs {
                        return Err(self.unexpected());
                    }
                    self.pos = ve;
                    self.slice(vs, ve).to_owned()
                }
            };
            if params.iter().any(|(n, _)| *n == name) {
                return Err(ChallengeParseError::DuplicateParameter { name });
            }
            if params.len() >= MAX_PARAMS {
                return Err(ChallengeParseError::TooManyParameters { limit: MAX_PARAMS });
            }
            params.push((name, value));
            self.skip_ws();
            match self.peek() {
                None => return Ok(params),
                Some(b',') => {}
                Some(_) => return Err(self.unexpected()),
            }
            let comma = self.pos;
            self.skip_separators();
            if self.at_end() {
                return Ok(params);
            }
            if !self.param_starts_at(self.pos) {
                self.pos = comma;
                return Ok(params);
            }
        }
    }

    /// `DQUOTE *( qdtext / quoted-pair ) DQUOTE`, unescaped.
    fn quoted_string(&mut self) -> Result<String, ChallengeParseError> {
        let open = self.pos;
        self.pos += 1;
        let mut buf: Vec<u8> = Vec::new();
        loop {
            match self.peek() {
                None => return Err(ChallengeParseError::UnterminatedQuotedString { at: open }),
                Some(b'"') => {
                    self.pos += 1;
                    break;
                }
                Some(b'\\') => match self.bytes.get(self.pos + 1).copied() {
                    None => return Err(ChallengeParseError::UnterminatedQuotedString { at: open }),
                    Some(b) if is_ctl(b) => {
                        return Err(ChallengeParseError::ControlCharacter { at: self.pos + 1 });
                    }
                    Some(b) => {
                        buf.push(b);
                        self.pos += 2;
                    }
                },
                Some(b) if is_ctl(b) => {
                    return Err(ChallengeParseError::ControlCharacter { at: self.pos });
                }
                Some(b) => {
                    buf.push(b);
                    self.pos += 1;
                }
            }
        }
        // Only ASCII bytes were removed (the escaping backslashes), so this stays UTF-8.
        String::from_utf8(buf).map_err(|_| ChallengeParseError::NotUtf8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ema_types::ErrorCode;
    use http::HeaderValue;

    fn one(s: &str) -> Challenge {
        let mut cs = parse_www_authenticate(s).unwrap();
        assert_eq!(cs.len(), 1, "{s}");
        cs.remove(0)
    }

    #[test]
    fn rs_02_wire_example() {
        let c = one(
            r#"Bearer resource_metadata="https://tools.toolhub.test/.well-known/oauth-protected-resource/mcp", scope="tickets:read""#,
        );
        assert_eq!(c.scheme(), &AuthScheme::Bearer);
        assert_eq!(
            c.resource_metadata(),
            Some("https://tools.toolhub.test/.well-known/oauth-protected-resource/mcp")
        );
        assert_eq!(c.scope(), Some("tickets:read"));
        assert_eq!(c.error(), None);
    }

    #[test]
    fn rs_05_wire_example() {
        let c = one(
            r#"Bearer error="insufficient_scope", scope="tickets:read tickets:write", resource_metadata="https://tools.toolhub.test/.well-known/oauth-protected-resource/mcp", error_description="write access required""#,
        );
        assert_eq!(c.error(), Some(ErrorCode::InsufficientScope));
        assert_eq!(c.scopes().unwrap().unwrap().len(), 2);
        assert_eq!(c.error_description(), Some("write access required"));
    }

    #[test]
    fn rfc_6750_examples() {
        let c = one(r#"Bearer realm="example""#);
        assert_eq!(c.realm(), Some("example"));
        let c = one(r#"Bearer realm="example",
 error="invalid_token",
 error_description="The access token expired""#
            .replace('\n', "")
            .as_str());
        assert_eq!(c.error(), Some(ErrorCode::InvalidToken));
        assert_eq!(c.error_description(), Some("The access token expired"));
    }

    #[test]
    fn rfc_9449_dpop_challenge() {
        let c = one(
            r#"DPoP error="invalid_token", error_description="Invalid DPoP key binding", algs="ES256""#,
        );
        assert_eq!(c.scheme(), &AuthScheme::DPoP);
        assert_eq!(c.algs(), ["ES256"]);
    }

    #[test]
    fn several_challenges_and_token68() {
        let cs = parse_www_authenticate(
            r#"Negotiate abc+/==, Basic, Bearer realm="a", error=invalid_token, DPoP algs="ES256 PS256""#,
        )
        .unwrap();
        assert_eq!(cs.len(), 4);
        assert_eq!(cs[0].token68(), Some("abc+/=="));
        assert_eq!(cs[1].scheme().as_str(), "Basic");
        assert_eq!(cs[1].params().count(), 0);
        assert_eq!(cs[2].error(), Some(ErrorCode::InvalidToken));
        assert_eq!(cs[3].algs(), ["ES256", "PS256"]);
        let cs = parse_www_authenticate("Negotiate abc=").unwrap();
        assert_eq!(cs[0].token68(), Some("abc="));
    }

    #[test]
    fn case_whitespace_and_empty_elements() {
        let c = one("  bEaReR \t ReAlM = \"x\" ,, ,\tSCOPE=\"a b\"  ,  ");
        assert_eq!(c.scheme(), &AuthScheme::Bearer);
        assert_eq!(c.realm(), Some("x"));
        assert_eq!(c.scope(), Some("a b"));
        assert_eq!(
            c.params().map(|(n, _)| n).collect::<Vec<_>>(),
            ["realm", "scope"]
        );
        let c = one(r#"Bearer , realm="x""#);
        assert_eq!(c.realm(), Some("x"));
        let c = one(r#"Bearer,realm="x""#);
        assert_eq!(c.realm(), Some("x"));
    }

    #[test]
    fn quoted_strings_unescape() {
        let c =
            one("Bearer realm=\"a \\\"b\\\" \\\\ c\", error_description=\"tab\tok, comma, \\q\"");
        assert_eq!(c.realm(), Some(r#"a "b" \ c"#));
        assert_eq!(c.error_description(), Some("tab\tok, comma, q"));
        let c = one("Bearer realm=\"caf\u{e9} \\\u{e9}\"");
        assert_eq!(c.realm(), Some("caf\u{e9} \u{e9}"));
        let c = one(r#"Bearer realm="""#);
        assert_eq!(c.realm(), Some(""));
    }

    #[test]
    fn errors_are_typed() {
        use ChallengeParseError as E;
        assert_eq!(parse_www_authenticate(""), Err(E::Empty));
        assert_eq!(parse_www_authenticate(" , ,"), Err(E::Empty));
        assert_eq!(
            parse_www_authenticate(r#"Bearer realm="abc"#),
            Err(E::UnterminatedQuotedString { at: 13 })
        );
        assert_eq!(
            parse_www_authenticate(r#"Bearer realm="abc\"#),
            Err(E::UnterminatedQuotedString { at: 13 })
        );
        assert_eq!(
            parse_www_authenticate("Bearer realm=\"a\nb\""),
            Err(E::ControlCharacter { at: 15 })
        );
        assert_eq!(
            parse_www_authenticate("Bearer realm=\"a\\\u{0}b\""),
            Err(E::ControlCharacter { at: 16 })
        );
        assert_eq!(
            parse_www_authenticate(r#"Bearer realm="a", Realm="b""#),
            Err(E::DuplicateParameter {
                name: "realm".into()
            })
        );
        assert_eq!(
            parse_www_authenticate(r#"Bearer realm="a" scope="b""#),
            Err(E::Unexpected {
                at: 17,
                found: Some('s')
            })
        );
        assert_eq!(
            parse_www_authenticate(r#"Bearer"x""#),
            Err(E::Unexpected {
                at: 6,
                found: Some('"')
            })
        );
        assert_eq!(
            parse_www_authenticate("=x"),
            Err(E::Unexpected {
                at: 0,
                found: Some('=')
            })
        );
        assert_eq!(
            parse_www_authenticate("Bearer realm=\u{e9}"),
            Err(E::Unexpected {
                at: 13,
                found: Some('\u{e9}')
            })
        );
        assert_eq!(
            parse_www_authenticate("Bearer realm=a=b"),
            Err(E::Unexpected {
                at: 14,
                found: Some('=')
            })
        );
    }

    #[test]
    fn bounded() {
        use ChallengeParseError as E;
        let long = format!("Bearer realm=\"{}\"", "a".repeat(MAX_HEADER_BYTES));
        assert_eq!(
            parse_www_authenticate(&long),
            Err(E::TooLong {
                len: long.len(),
                limit: MAX_HEADER_BYTES
            })
        );
        let many = vec!["Basic"; MAX_CHALLENGES + 1].join(", ");
        assert_eq!(
            parse_www_authenticate(&many),
            Err(E::TooManyChallenges {
                limit: MAX_CHALLENGES
            })
        );
        let params: Vec<String> = (0..=MAX_PARAMS).map(|i| format!("p{i}=v")).collect();
        assert_eq!(
            parse_www_authenticate(&format!("Bearer {}", params.join(", "))),
            Err(E::TooManyParameters { limit: MAX_PARAMS })
        );
    }

    #[test]
    fn several_header_fields() {
        let mut h = HeaderMap::new();
        h.append(
            WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"Basic realm="x""#),
        );
        h.append(
            WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"Bearer resource_metadata="https://h/prm""#),
        );
        let cs = parse_www_authenticate_headers(&h).unwrap();
        assert_eq!(cs.len(), 2);
        assert_eq!(cs[1].resource_metadata(), Some("https://h/prm"));
        assert_eq!(
            parse_www_authenticate_headers(&HeaderMap::new()),
            Err(ChallengeParseError::Empty)
        );
        let mut h = HeaderMap::new();
        h.append(
            WWW_AUTHENTICATE,
            HeaderValue::from_bytes(b"Bearer realm=\"\xff\"").unwrap(),
        );
        assert_eq!(
            parse_www_authenticate_headers(&h),
            Err(ChallengeParseError::NotUtf8)
        );
        let mut h = HeaderMap::new();
        let half = "a".repeat(MAX_HEADER_BYTES / 2);
        for _ in 0..3 {
            h.append(
                WWW_AUTHENTICATE,
                HeaderValue::from_str(&format!("Basic realm=\"{half}\"")).unwrap(),
            );
        }
        assert!(matches!(
            parse_www_authenticate_headers(&h),
            Err(ChallengeParseError::TooLong { .. })
        ));
    }
}

//! The checks every verifier shares, one function per digest rule.

use serde_json::Value;

use crate::Algorithm;
use crate::claims_object::ClaimsObject;
use crate::error::ErrorKind;
use crate::header::Header;
use crate::key::{KeySet, VerifyingKey};
use ema_types::ScopeSet;
use ema_types::claims::FromClaimsObject;

/// Default clock skew `S` (JWT-06).
pub const DEFAULT_SKEW_SECS: u64 = 60;
/// Largest skew a verifier may be configured with (JWT-06).
pub const MAX_SKEW_SECS: u64 = 300;

/// What a verifier accepts in `typ` (JWT-03, JWT-04).
#[derive(Debug, Clone, Copy)]
pub(crate) enum TypRule {
    /// `typ` must be present and name this type.
    Required(&'static str),
    /// `typ` may be absent; when present it must name one of these types.
    AbsentOr(&'static [&'static str]),
}

/// §6 step 5: explicit typing, so a token of one kind never validates as another.
pub(crate) fn check_typ(header: &Header, rule: TypRule) -> Result<(), ErrorKind> {
    let accepted: &[&'static str] = match &rule {
        TypRule::Required(t) => std::slice::from_ref(t),
        TypRule::AbsentOr(list) => list,
    };
    match &header.typ {
        None if matches!(rule, TypRule::Required(_)) => Err(ErrorKind::MissingType),
        None => Ok(()),
        Some(found) if accepted.iter().any(|t| crate::typ::matches(found, t)) => Ok(()),
        Some(found) => Err(ErrorKind::WrongType {
            expected: accepted.first().copied().unwrap_or_default(),
            found: ErrorKind::echo(found),
        }),
    }
}

/// §6 step 6: `alg` in the allow-list for this issuer.
pub(crate) fn check_algorithm(header: &Header, allowed: &[Algorithm]) -> Result<(), ErrorKind> {
    if allowed.contains(&header.alg) {
        Ok(())
    } else {
        Err(ErrorKind::AlgorithmNotAllowed(header.alg))
    }
}

/// §6 steps 8-9: pick the key (JWT-05) and verify the signature with it, the key's pinned
/// algorithm having to equal the header's (JWT-02).
pub(crate) fn check_signature(
    header: &Header,
    keys: &KeySet,
    signing_input: &[u8],
    signature: &[u8],
) -> Result<(), ErrorKind> {
    let key: &VerifyingKey = keys.select(header.kid.as_deref(), header.alg)?;
    key.verify(header.alg, signing_input, signature)
}

/// The JSON shape a claim must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// A non-empty string.
    String,
    /// A NumericDate: a non-negative integer number of seconds (JWT-06: non-numeric rejected).
    Time,
    /// A non-empty string or a non-empty array of non-empty strings (`aud`, `resource`).
    StringOrStrings,
    /// An array of strings (`amr`).
    Strings,
    /// A space-delimited scope string (RFC 6749 §3.3).
    Scope,
    /// A JSON object (`cnf`, `sub_id`).
    Object,
}

/// One claim's rule: name, shape, required.
pub(crate) type ClaimRule = (&'static str, Shape, bool);

/// Most rules a [`check_claim_shapes`] list may hold (one bit each in a `u64`).
pub(crate) const MAX_RULES: usize = 64;

/// §6 step 10: required claims present and every known claim well-typed.
///
/// One pass over the members, each looked up among the rules by name (a short list), rather
/// than one map lookup per rule (measured: 2 600 fewer instructions of the 31 500 an RS256
/// ID-JAG's validation spends outside the signature check); the first failing rule, in rule
/// order, is reported. A rule list longer than [`MAX_RULES`] (every verifier's is checked
/// at compile time) refuses every token.
pub(crate) fn check_claim_shapes(
    claims: &ClaimsObject,
    rules: &[ClaimRule],
) -> Result<(), ErrorKind> {
    if rules.len() > MAX_RULES {
        return Err(ErrorKind::InvalidConfig(
            "more claim rules than one check holds",
        ));
    }
    let (mut present, mut bad) = (0u64, 0u64);
    for (name, value) in claims.iter() {
        let Some((i, &(_, shape, _))) = rules
            .iter()
            .enumerate()
            .find(|(_, (rule, ..))| *rule == name)
        else {
            continue;
        };
        let Some(bit) = bit(i) else {
            continue;
        };
        present |= bit;
        if !has_shape(value, shape) {
            bad |= bit;
        }
    }
    for (i, &(name, _, required)) in rules.iter().enumerate() {
        let bit = bit(i).unwrap_or_default();
        if present & bit == 0 {
            if required {
                return Err(ErrorKind::MissingClaim(name));
            }
        } else if bad & bit != 0 {
            return Err(ErrorKind::InvalidClaim(name));
        }
    }
    Ok(())
}

/// Rule `i`'s bit (`i` is below [`MAX_RULES`]).
fn bit(i: usize) -> Option<u64> {
    1u64.checked_shl(u32::try_from(i).ok()?)
}

fn has_shape(value: &Value, shape: Shape) -> bool {
    match shape {
        Shape::String => value.as_str().is_some_and(|s| !s.is_empty()),
        Shape::Time => value.as_u64().is_some(),
        Shape::StringOrStrings => match value {
            Value::String(s) => !s.is_empty(),
            Value::Array(items) => {
                !items.is_empty()
                    && items
                        .iter()
                        .all(|v| v.as_str().is_some_and(|s| !s.is_empty()))
            }
            _ => false,
        },
        Shape::Strings => value
            .as_array()
            .is_some_and(|items| items.iter().all(Value::is_string)),
        Shape::Scope => value.as_str().is_some_and(|s| ScopeSet::check(s).is_ok()),
        Shape::Object => value.is_object(),
    }
}

/// The strings of a claim checked to be [`Shape::StringOrStrings`]: none, one, or an array's.
#[derive(Clone, Copy)]
pub(crate) enum Strings<'a> {
    /// The claim is absent.
    None,
    /// A single string.
    One(&'a str),
    /// An array (its strings; anything else in it is skipped).
    Many(&'a [Value]),
}

impl<'a> Strings<'a> {
    /// The strings, in order.
    pub(crate) fn iter(self) -> impl Iterator<Item = &'a str> {
        let (one, many) = match self {
            Self::None => (None, &[][..]),
            Self::One(s) => (Some(s), &[][..]),
            Self::Many(items) => (None, items),
        };
        one.into_iter().chain(many.iter().filter_map(Value::as_str))
    }

    /// How many strings there are.
    pub(crate) fn count(self) -> usize {
        self.iter().count()
    }

    /// The only string, when there is exactly one.
    pub(crate) fn single(self) -> Option<&'a str> {
        let mut all = self.iter();
        match (all.next(), all.next()) {
            (Some(only), None) => Some(only),
            _ => None,
        }
    }
}

/// Values of a claim checked to be [`Shape::StringOrStrings`].
pub(crate) fn strings_of<'a>(claims: &'a ClaimsObject, name: &str) -> Strings<'a> {
    match claims.get(name) {
        Some(Value::String(s)) => Strings::One(s),
        Some(Value::Array(items)) => Strings::Many(items),
        _ => Strings::None,
    }
}

/// A time claim checked to be [`Shape::Time`].
pub(crate) fn time_of(claims: &ClaimsObject, name: &str) -> Option<u64> {
    claims.get(name).and_then(Value::as_u64)
}

/// §6 step 7 / JWT-08: `iss` equals the expected issuer exactly.
pub(crate) fn check_issuer(claims: &ClaimsObject, expected: &str) -> Result<(), ErrorKind> {
    match claims.get("iss") {
        Some(Value::String(iss)) if iss == expected => Ok(()),
        Some(Value::String(_)) => Err(ErrorKind::UntrustedIssuer),
        Some(_) => Err(ErrorKind::InvalidClaim("iss")),
        None => Err(ErrorKind::MissingClaim("iss")),
    }
}

/// §6 step 11 / JWT-07: `aud` is a string or a one-element array exactly equal to `expected`
/// (or to one of `also`, such as a legacy token-endpoint audience).
pub(crate) fn check_single_audience(
    claims: &ClaimsObject,
    expected: &str,
    also: Option<&str>,
) -> Result<(), ErrorKind> {
    let auds = strings_of(claims, "aud");
    match (auds.single(), auds.count()) {
        (Some(aud), _) if aud == expected || also.is_some_and(|a| a == aud) => Ok(()),
        (Some(_), _) => Err(ErrorKind::AudienceMismatch),
        (None, 0) => Err(ErrorKind::MissingClaim("aud")),
        (None, many) => Err(ErrorKind::MultipleAudiences(many)),
    }
}

/// RS-03 / IDP-06: `aud` contains `expected` (exact string comparison).
pub(crate) fn check_audience_contains(
    claims: &ClaimsObject,
    matches: impl Fn(&str) -> bool,
) -> Result<(), ErrorKind> {
    if strings_of(claims, "aud").iter().any(matches) {
        Ok(())
    } else {
        Err(ErrorKind::AudienceMismatch)
    }
}

/// §6 step 13 / JWT-06: reject if now ≥ `exp` + S, `nbf` > now + S, or `iat` > now + S.
pub(crate) fn check_times(claims: &ClaimsObject, now: u64, skew: u64) -> Result<(), ErrorKind> {
    if let Some(exp) = time_of(claims, "exp")
        && now >= exp.saturating_add(skew)
    {
        return Err(ErrorKind::Expired);
    }
    let horizon = now.saturating_add(skew);
    if time_of(claims, "nbf").is_some_and(|nbf| nbf > horizon) {
        return Err(ErrorKind::NotYetValid);
    }
    if time_of(claims, "iat").is_some_and(|iat| iat > horizon) {
        return Err(ErrorKind::IssuedInFuture);
    }
    Ok(())
}

/// §6 step 14: `exp` - `iat` ≤ `max` (and `exp` not before `iat`).
pub(crate) fn check_lifetime(claims: &ClaimsObject, max: u64) -> Result<(), ErrorKind> {
    let (Some(iat), Some(exp)) = (time_of(claims, "iat"), time_of(claims, "exp")) else {
        return Ok(());
    };
    let lifetime = exp.checked_sub(iat).ok_or(ErrorKind::InvalidClaim("exp"))?;
    if lifetime > max {
        return Err(ErrorKind::LifetimeTooLong { lifetime, max });
    }
    Ok(())
}

/// Validate a configured skew.
pub(crate) fn checked_skew(secs: u64) -> Result<u64, ErrorKind> {
    if secs > MAX_SKEW_SECS {
        Err(ErrorKind::InvalidConfig("clock skew above 300 seconds"))
    } else {
        Ok(secs)
    }
}

/// Validate a configured lifetime: 1 to `max` seconds.
pub(crate) fn checked_lifetime(secs: u64, max: u64, what: &'static str) -> Result<u64, ErrorKind> {
    if secs == 0 || secs > max {
        Err(ErrorKind::InvalidConfig(what))
    } else {
        Ok(secs)
    }
}

/// Turn a shape-checked claims object into its typed form.
pub(crate) fn into_typed<C: FromClaimsObject>(claims: ClaimsObject) -> Result<C, ErrorKind> {
    C::from_claims_members(claims.into_members()).map_err(|_| ErrorKind::InvalidClaim("claims"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> ClaimsObject {
        match v {
            Value::Object(m) => m.into(),
            _ => ClaimsObject::default(),
        }
    }

    #[test]
    fn jwt_06_time_boundaries_to_the_second() {
        let c = obj(json!({"exp": 1000, "iat": 900, "nbf": 900}));
        assert_eq!(check_times(&c, 1059, 60), Ok(()));
        assert_eq!(check_times(&c, 1060, 60), Err(ErrorKind::Expired));
        assert_eq!(check_times(&c, 840, 60), Ok(()));
        assert_eq!(check_times(&c, 839, 60), Err(ErrorKind::NotYetValid));
        let c = obj(json!({"exp": 2000, "iat": 1000}));
        assert_eq!(check_times(&c, 940, 60), Ok(()));
        assert_eq!(check_times(&c, 939, 60), Err(ErrorKind::IssuedInFuture));
        let c = obj(json!({"exp": u64::MAX}));
        assert_eq!(check_times(&c, u64::MAX - 1, 60), Ok(()));
    }

    #[test]
    fn jwt_06_non_numeric_times_rejected() {
        let rules: &[ClaimRule] = &[("exp", Shape::Time, true)];
        for bad in [
            json!("1000"),
            json!(1000.5),
            json!(-1),
            json!(null),
            json!(true),
        ] {
            let c = obj(json!({ "exp": bad }));
            assert_eq!(
                check_claim_shapes(&c, rules),
                Err(ErrorKind::InvalidClaim("exp"))
            );
        }
    }

    #[test]
    fn lifetime() {
        let c = obj(json!({"iat": 1000, "exp": 1600}));
        assert_eq!(check_lifetime(&c, 600), Ok(()));
        assert_eq!(
            check_lifetime(&c, 599),
            Err(ErrorKind::LifetimeTooLong {
                lifetime: 600,
                max: 599
            })
        );
        let c = obj(json!({"iat": 1000, "exp": 999}));
        assert_eq!(check_lifetime(&c, 600), Err(ErrorKind::InvalidClaim("exp")));
    }

    #[test]
    fn jwt_07_single_audience() {
        let check =
            |aud: Value| check_single_audience(&obj(json!({ "aud": aud })), "https://as", None);
        assert_eq!(check(json!("https://as")), Ok(()));
        assert_eq!(check(json!(["https://as"])), Ok(()));
        assert_eq!(
            check(json!(["https://as", "https://x"])),
            Err(ErrorKind::MultipleAudiences(2))
        );
        assert_eq!(
            check(json!("https://as/")),
            Err(ErrorKind::AudienceMismatch)
        );
    }

    #[test]
    fn shapes_report_the_first_failing_rule_in_rule_order() {
        let rules: &[ClaimRule] = &[
            ("iss", Shape::String, true),
            ("aud", Shape::StringOrStrings, true),
            ("exp", Shape::Time, true),
        ];
        // Members come in name order (`aud`, `exp`, `iss`); the rules decide the report.
        let c = obj(json!({"iss": "", "exp": "soon"}));
        assert_eq!(
            check_claim_shapes(&c, rules),
            Err(ErrorKind::InvalidClaim("iss"))
        );
        let c = obj(json!({"iss": "a", "exp": "soon"}));
        assert_eq!(
            check_claim_shapes(&c, rules),
            Err(ErrorKind::MissingClaim("aud"))
        );
    }

    #[test]
    fn shapes_refuse_every_token_past_the_rule_limit() {
        let names: Vec<&'static str> = (0..=MAX_RULES).map(|i| &*format!("c{i}").leak()).collect();
        let rules: Vec<ClaimRule> = names.iter().map(|n| (*n, Shape::String, true)).collect();
        let all = names
            .iter()
            .map(|n| ((*n).to_owned(), json!("v")))
            .collect::<serde_json::Map<_, _>>()
            .into();
        assert!(matches!(
            check_claim_shapes(&all, &rules),
            Err(ErrorKind::InvalidConfig(_))
        ));
        assert_eq!(check_claim_shapes(&all, &rules[..MAX_RULES]), Ok(()));
    }

    #[test]
    fn shapes() {
        let rules: &[ClaimRule] = &[
            ("iss", Shape::String, true),
            ("aud", Shape::StringOrStrings, true),
            ("amr", Shape::Strings, false),
            ("scope", Shape::Scope, false),
            ("cnf", Shape::Object, false),
        ];
        let ok = obj(json!({"iss":"a","aud":["b"],"amr":["pwd"],"scope":"x y","cnf":{}}));
        assert_eq!(check_claim_shapes(&ok, rules), Ok(()));
        let cases = [
            (json!({"aud":"b"}), ErrorKind::MissingClaim("iss")),
            (json!({"iss":"","aud":"b"}), ErrorKind::InvalidClaim("iss")),
            (json!({"iss":"a","aud":[]}), ErrorKind::InvalidClaim("aud")),
            (json!({"iss":"a","aud":[1]}), ErrorKind::InvalidClaim("aud")),
            (
                json!({"iss":"a","aud":"b","amr":"pwd"}),
                ErrorKind::InvalidClaim("amr"),
            ),
            (
                json!({"iss":"a","aud":"b","scope":"x  y"}),
                ErrorKind::InvalidClaim("scope"),
            ),
            (
                json!({"iss":"a","aud":"b","cnf":"k"}),
                ErrorKind::InvalidClaim("cnf"),
            ),
        ];
        for (v, e) in cases {
            assert_eq!(check_claim_shapes(&obj(v), rules), Err(e));
        }
    }
}

//! OAuth scopes (RFC 6749 §3.3).

use std::collections::BTreeSet;
use std::fmt;

use crate::error::ScopeError;

/// Most scope tokens accepted in one set.
pub const MAX_SCOPES: usize = 256;
/// Longest scope token accepted, in bytes.
pub const MAX_SCOPE_LEN: usize = 256;

/// One scope token: `1*( %x21 / %x23-5B / %x5D-7E )` (RFC 6749 §3.3).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope(String);

impl Scope {
    /// Validate one scope token.
    pub fn new(value: impl Into<String>) -> Result<Self, ScopeError> {
        let value = value.into();
        Self::check(&value)?;
        Ok(Self(value))
    }

    /// Check one scope token without building it.
    fn check(value: &str) -> Result<(), ScopeError> {
        if value.is_empty() {
            return Err(ScopeError::Empty);
        }
        if value.len() > MAX_SCOPE_LEN {
            return Err(ScopeError::TooLong(value.len()));
        }
        if !value
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
        {
            return Err(ScopeError::InvalidCharacter);
        }
        Ok(())
    }

    /// The token.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Scope({:?})", self.0)
    }
}

/// A set of scopes: parsed from and printed as a space-delimited string, deduplicated and
/// kept in a canonical (sorted) order, with set operations.
///
/// ```
/// use ema_types::ScopeSet;
/// let asked: ScopeSet = "tickets:write tickets:read tickets:read".parse()?;
/// assert_eq!(asked.to_string(), "tickets:read tickets:write");
/// let granted: ScopeSet = "tickets:read".parse()?;
/// assert!(granted.is_subset(&asked));
/// assert_eq!(asked.intersection(&granted), granted);
/// # Ok::<(), ema_types::ScopeError>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct ScopeSet(BTreeSet<Scope>);

impl ScopeSet {
    /// The empty set.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Parse a space-delimited scope string (`scope-token *( SP scope-token )`).
    ///
    /// Empty tokens (leading, trailing or doubled spaces) are rejected, as the grammar
    /// requires. An empty string is the empty set.
    pub fn parse(value: &str) -> Result<Self, ScopeError> {
        if value.is_empty() {
            return Ok(Self::new());
        }
        let mut set = BTreeSet::new();
        for token in value.split(' ') {
            set.insert(Scope::new(token)?);
            if set.len() > MAX_SCOPES {
                return Err(ScopeError::TooMany);
            }
        }
        Ok(Self(set))
    }

    /// Check a space-delimited scope string as [`ScopeSet::parse`] does, building nothing:
    /// `Ok` exactly when `parse` would succeed.
    pub fn check(value: &str) -> Result<(), ScopeError> {
        if value.is_empty() {
            return Ok(());
        }
        let mut tokens = 0;
        for token in value.split(' ') {
            Scope::check(token)?;
            tokens += 1;
        }
        if tokens > MAX_SCOPES {
            // Repeats count once: only the set can tell.
            return Self::parse(value).map(drop);
        }
        Ok(())
    }

    /// Build from scope strings.
    pub fn from_scopes<I, S>(scopes: I) -> Result<Self, ScopeError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut set = BTreeSet::new();
        for s in scopes {
            set.insert(Scope::new(s)?);
            if set.len() > MAX_SCOPES {
                return Err(ScopeError::TooMany);
            }
        }
        Ok(Self(set))
    }

    /// Number of scopes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the set is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `scope` is in the set.
    #[must_use]
    pub fn contains(&self, scope: &str) -> bool {
        self.0.iter().any(|s| s.as_str() == scope)
    }

    /// Insert a scope.
    pub fn insert(&mut self, scope: Scope) {
        self.0.insert(scope);
    }

    /// Scopes in canonical order.
    pub fn iter(&self) -> impl Iterator<Item = &Scope> {
        self.0.iter()
    }

    /// Whether every scope of `self` is in `other`.
    #[must_use]
    pub fn is_subset(&self, other: &ScopeSet) -> bool {
        self.0.is_subset(&other.0)
    }

    /// Scopes in both sets.
    #[must_use]
    pub fn intersection(&self, other: &ScopeSet) -> ScopeSet {
        Self(self.0.intersection(&other.0).cloned().collect())
    }

    /// Scopes in either set.
    #[must_use]
    pub fn union(&self, other: &ScopeSet) -> ScopeSet {
        Self(self.0.union(&other.0).cloned().collect())
    }

    /// Scopes of `self` not in `other`.
    #[must_use]
    pub fn difference(&self, other: &ScopeSet) -> ScopeSet {
        Self(self.0.difference(&other.0).cloned().collect())
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for s in &self.0 {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(s.as_str())?;
            first = false;
        }
        Ok(())
    }
}

impl fmt::Debug for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ScopeSet({:?})", self.to_string())
    }
}

impl std::str::FromStr for ScopeSet {
    type Err = ScopeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<T: IntoIterator<Item = Scope>>(iter: T) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl<'a> IntoIterator for &'a ScopeSet {
    type Item = &'a Scope;
    type IntoIter = std::collections::btree_set::Iter<'a, Scope>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl serde::Serialize for ScopeSet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for ScopeSet {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn grammar() {
        assert_eq!(Scope::new(""), Err(ScopeError::Empty));
        assert_eq!(Scope::new("a\"b"), Err(ScopeError::InvalidCharacter));
        assert_eq!(Scope::new("a\\b"), Err(ScopeError::InvalidCharacter));
        assert_eq!(Scope::new("é"), Err(ScopeError::InvalidCharacter));
        assert!(Scope::new("tickets:read").is_ok());
        assert_eq!(ScopeSet::parse("a  b"), Err(ScopeError::Empty));
        assert_eq!(ScopeSet::parse(" a"), Err(ScopeError::Empty));
        assert!(ScopeSet::parse("").unwrap().is_empty());
    }

    #[test]
    fn set_operations() {
        let a = ScopeSet::parse("x y z").unwrap();
        let b = ScopeSet::parse("y z w").unwrap();
        assert_eq!(a.intersection(&b).to_string(), "y z");
        assert_eq!(a.union(&b).to_string(), "w x y z");
        assert_eq!(a.difference(&b).to_string(), "x");
        assert!(!a.is_subset(&b));
        assert!(a.contains("x") && !a.contains("w"));
    }

    #[test]
    fn too_many() {
        let many: Vec<String> = (0..=MAX_SCOPES).map(|i| format!("s{i}")).collect();
        assert_eq!(ScopeSet::parse(&many.join(" ")), Err(ScopeError::TooMany));
        assert_eq!(ScopeSet::check(&many.join(" ")), Err(ScopeError::TooMany));
        // Repeats count once, so more tokens than the limit can still be a valid set.
        let repeated = ["a"; MAX_SCOPES + 5].join(" ");
        assert!(ScopeSet::parse(&repeated).is_ok());
        assert_eq!(ScopeSet::check(&repeated), Ok(()));
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = ScopeSet::parse(&s);
        }

        /// `check` accepts exactly what `parse` accepts, on scope-like strings and any text.
        #[test]
        fn check_agrees_with_parse(s in prop_oneof!["[a-c \"]{0,12}", "\\PC{0,20}"]) {
            prop_assert_eq!(ScopeSet::check(&s).is_ok(), ScopeSet::parse(&s).is_ok());
        }

        #[test]
        fn display_parse_round_trips(tokens in proptest::collection::vec("[!#-\\[\\]-~]{1,12}", 0..8)) {
            let set = ScopeSet::from_scopes(tokens).unwrap();
            let again = ScopeSet::parse(&set.to_string()).unwrap();
            prop_assert_eq!(set, again);
        }
    }
}

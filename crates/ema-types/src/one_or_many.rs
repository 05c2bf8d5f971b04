//! A JSON member that is a single value or an array (`aud`, `resource`).

use serde::{Deserialize, Serialize};

/// A single value or an array of values, as `aud` (RFC 7519 §4.1.3) and `resource` claims are.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    /// A single value (`"x"`).
    One(T),
    /// An array (`["x", "y"]`).
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    /// The values as a slice.
    #[must_use]
    pub fn as_slice(&self) -> &[T] {
        match self {
            Self::One(v) => std::slice::from_ref(v),
            Self::Many(v) => v,
        }
    }

    /// Number of values.
    #[must_use]
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// Whether there are no values (only an empty array).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.as_slice().is_empty()
    }

    /// Iterate over the values.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.as_slice().iter()
    }
}

impl OneOrMany<String> {
    /// Whether some value equals `value` exactly.
    #[must_use]
    pub fn contains_str(&self, value: &str) -> bool {
        self.iter().any(|v| v == value)
    }
}

impl<T> From<T> for OneOrMany<T> {
    fn from(value: T) -> Self {
        Self::One(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_07_string_or_array() {
        let one: OneOrMany<String> = serde_json::from_str("\"a\"").unwrap();
        let many: OneOrMany<String> = serde_json::from_str("[\"a\",\"b\"]").unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(many.len(), 2);
        assert!(many.contains_str("b"));
        assert!(serde_json::from_str::<OneOrMany<String>>("3").is_err());
    }
}

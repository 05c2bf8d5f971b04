//! Serde helpers shared by the documents.

use serde::{Deserialize, Deserializer};

/// A string array that may also be `null` (read as empty).
pub(crate) fn strings_or_null<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(d)?.unwrap_or_default())
}

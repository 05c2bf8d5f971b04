//! `ema serve`'s TOML configuration: read ([`raw`]), checked as a whole ([`validate()`]) before
//! anything listens. Every key is documented in `docs/config.md`.

mod raw;
mod validate;

use std::fmt;
use std::path::Path;

pub(crate) use raw::RawConfig;
pub(crate) use validate::{
    AsClientAuth, AsLoginSpec, AsSpec, AuditSpec, IdpSpec, KeysSpec, ReplaySpec, RsSpec, StackSpec,
    login_callback, validate,
};

/// The largest configuration file read.
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// One problem, at a key path such as `idp.grants[0].audience`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Issue {
    pub(crate) path: String,
    pub(crate) problem: String,
}

impl Issue {
    pub(crate) fn new(path: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            problem: problem.into(),
        }
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.problem)
        } else {
            write!(f, "{}: {}", self.path, self.problem)
        }
    }
}

/// Why a configuration was refused.
#[derive(Debug)]
pub(crate) enum ConfigError {
    /// The file could not be read.
    Read(String),
    /// Not TOML, an unknown key, or a value of the wrong type.
    Syntax(Issue),
    /// Values that do not hold together.
    Invalid(Vec<Issue>),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read(why) => write!(f, "cannot read the configuration: {why}"),
            Self::Syntax(issue) => write!(f, "invalid configuration: {issue}"),
            Self::Invalid(issues) => {
                write!(f, "invalid configuration ({} problem(s)):", issues.len())?;
                for issue in issues {
                    write!(f, "\n  {issue}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ConfigError {}

/// Parse `text` strictly: unknown keys and wrong types are refused with the key path.
pub(crate) fn parse(text: &str) -> Result<RawConfig, ConfigError> {
    let deserializer = toml::Deserializer::parse(text).map_err(|e| {
        let line = e
            .span()
            .and_then(|span| text.get(..span.start))
            .map_or(1, |before| before.matches('\n').count() + 1);
        ConfigError::Syntax(Issue::new(
            "",
            format!("not valid TOML (line {line}): {}", e.message()),
        ))
    })?;
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        ConfigError::Syntax(Issue::new(path, e.into_inner().message().to_owned()))
    })
}

/// Read, parse and validate the file at `path`; relative paths inside it are resolved
/// against its folder.
pub(crate) fn load(path: &Path) -> Result<StackSpec, ConfigError> {
    let read = std::fs::metadata(path).and_then(|m| {
        if m.len() > MAX_CONFIG_BYTES {
            Err(std::io::Error::other(format!(
                "larger than {MAX_CONFIG_BYTES} bytes"
            )))
        } else {
            std::fs::read_to_string(path)
        }
    });
    let text = read.map_err(|e| ConfigError::Read(format!("{}: {e}", path.display())))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let base = if base.as_os_str().is_empty() {
        Path::new(".")
    } else {
        base
    };
    validate(&parse(&text)?, base)
}

#[cfg(test)]
mod tests;

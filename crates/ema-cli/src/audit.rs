//! `ema audit summarize FILE`: the grants and denials of a JSON-lines audit trail (written by
//! `ema serve` with `[audit] file = ...`), per user, client and MCP server, at the IdP (token
//! exchange) and at the AS (jwt-bearer). Lines that are not audit events are skipped and
//! counted; no line is ever echoed.

use std::io::BufReader;
use std::path::Path;

use ema_server::audit::{Summary, summarize};

/// Summarize the file at `path` (`-`: stdin).
pub(crate) fn summarize_file(path: &Path) -> Result<Summary, String> {
    let result = if path == Path::new("-") {
        summarize(std::io::stdin().lock())
    } else {
        let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        summarize(BufReader::new(file))
    };
    result.map_err(|e| format!("{}: {e}", path.display()))
}

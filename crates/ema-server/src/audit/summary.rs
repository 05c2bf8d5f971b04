//! `summarize`: grants and denials per user, client and server, from a JSON-lines audit file.

use std::collections::BTreeMap;
use std::fmt;
use std::io::BufRead;

use super::event::{AuditDecision, AuditEvent, AuditRole};
use super::sink::AuditError;

/// The longest line read (bytes); longer lines are skipped and counted.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// Grants and denials at each role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Counts {
    /// ID-JAGs issued by the IdP.
    pub idp_granted: u64,
    /// Token exchanges the IdP refused.
    pub idp_denied: u64,
    /// Access tokens issued by the AS.
    pub as_granted: u64,
    /// jwt-bearer grants the AS refused.
    pub as_denied: u64,
}

impl Counts {
    fn add(&mut self, role: AuditRole, decision: AuditDecision) {
        let slot = match (role, decision) {
            (AuditRole::Idp, AuditDecision::Granted) => &mut self.idp_granted,
            (AuditRole::Idp, AuditDecision::Denied) => &mut self.idp_denied,
            (AuditRole::AuthorizationServer, AuditDecision::Granted) => &mut self.as_granted,
            (AuditRole::AuthorizationServer, AuditDecision::Denied) => &mut self.as_denied,
        };
        *slot = slot.saturating_add(1);
    }

    /// All grants.
    #[must_use]
    pub fn granted(&self) -> u64 {
        self.idp_granted.saturating_add(self.as_granted)
    }

    /// All denials.
    #[must_use]
    pub fn denied(&self) -> u64 {
        self.idp_denied.saturating_add(self.as_denied)
    }
}

/// What an audit trail says, per user (`subject`), client (`client_id`) and server (each
/// `resource`); `-` stands for a value the event does not have (a request refused before
/// it was known).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Summary {
    /// Per user.
    pub users: BTreeMap<String, Counts>,
    /// Per client.
    pub clients: BTreeMap<String, Counts>,
    /// Per MCP server (resource).
    pub servers: BTreeMap<String, Counts>,
    /// Over all events.
    pub total: Counts,
    /// Events read.
    pub events: u64,
    /// Lines that are not events (or longer than [`MAX_LINE_BYTES`]), skipped.
    pub skipped_lines: u64,
}

impl Summary {
    /// Count `event`.
    pub fn add(&mut self, event: &AuditEvent) {
        let key = |v: Option<&String>| v.cloned().unwrap_or_else(|| "-".to_owned());
        self.users
            .entry(key(event.subject.as_ref()))
            .or_default()
            .add(event.role, event.decision);
        self.clients
            .entry(key(event.client_id.as_ref()))
            .or_default()
            .add(event.role, event.decision);
        if event.resource.is_empty() {
            self.servers
                .entry("-".to_owned())
                .or_default()
                .add(event.role, event.decision);
        }
        for resource in &event.resource {
            self.servers
                .entry(resource.clone())
                .or_default()
                .add(event.role, event.decision);
        }
        self.total.add(event.role, event.decision);
        self.events = self.events.saturating_add(1);
    }
}

/// Read a JSON-lines audit trail (the [`JsonLinesSink`](super::JsonLinesSink) format) and
/// count grants and denials per user, client and server. Blank lines are ignored; lines that
/// are not events, or longer than [`MAX_LINE_BYTES`], are skipped and counted in
/// [`Summary::skipped_lines`].
///
/// # Errors
///
/// When reading fails.
pub fn summarize<R: BufRead>(mut reader: R) -> Result<Summary, AuditError> {
    let mut summary = Summary::default();
    let mut line: Vec<u8> = Vec::new();
    loop {
        line.clear();
        let (read, complete) = read_bounded_line(&mut reader, &mut line)?;
        if read == 0 {
            return Ok(summary);
        }
        if !complete {
            summary.skipped_lines = summary.skipped_lines.saturating_add(1);
            continue;
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<AuditEvent>(&line) {
            Ok(event) => summary.add(&event),
            Err(_) => summary.skipped_lines = summary.skipped_lines.saturating_add(1),
        }
    }
}

/// One line into `line` (at most [`MAX_LINE_BYTES`] kept): bytes consumed, and whether the
/// line fit.
fn read_bounded_line<R: BufRead>(
    reader: &mut R,
    line: &mut Vec<u8>,
) -> Result<(usize, bool), AuditError> {
    let mut consumed = 0usize;
    let mut fits = true;
    loop {
        let buf = reader
            .fill_buf()
            .map_err(|e| AuditError::Io(e.to_string()))?;
        if buf.is_empty() {
            return Ok((consumed, fits));
        }
        let (chunk, done) = match buf.iter().position(|b| *b == b'\n') {
            Some(at) => (buf.get(..at).unwrap_or_default(), Some(at + 1)),
            None => (buf, None),
        };
        if fits && line.len().saturating_add(chunk.len()) <= MAX_LINE_BYTES {
            line.extend_from_slice(chunk);
        } else {
            fits = false;
            line.clear();
        }
        let used = done.unwrap_or(buf.len());
        reader.consume(used);
        consumed = consumed.saturating_add(used);
        if done.is_some() {
            return Ok((consumed, fits));
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        table(f, "user", &self.users)?;
        writeln!(f)?;
        table(f, "client", &self.clients)?;
        writeln!(f)?;
        table(f, "server", &self.servers)?;
        writeln!(f)?;
        write!(
            f,
            "{} events: {} granted, {} denied",
            self.events,
            self.total.granted(),
            self.total.denied()
        )?;
        if self.skipped_lines > 0 {
            write!(f, "; {} lines skipped", self.skipped_lines)?;
        }
        writeln!(f)
    }
}

fn table(f: &mut fmt::Formatter<'_>, title: &str, rows: &BTreeMap<String, Counts>) -> fmt::Result {
    const HEADS: [&str; 4] = ["IDP GRANTED", "IDP DENIED", "AS GRANTED", "AS DENIED"];
    let width = rows
        .keys()
        .map(|k| k.chars().count())
        .chain([title.len()])
        .max()
        .unwrap_or(0);
    write!(f, "{:<width$}", title.to_uppercase())?;
    for head in HEADS {
        write!(f, "  {head:>11}")?;
    }
    writeln!(f)?;
    for (name, c) in rows {
        write!(f, "{name:<width$}")?;
        for n in [c.idp_granted, c.idp_denied, c.as_granted, c.as_denied] {
            write!(f, "  {n:>11}")?;
        }
        writeln!(f)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(role: AuditRole, subject: &str, decision: AuditDecision) -> String {
        let mut e = AuditEvent::new(role, "https://idp.test", 1_793_000_000);
        e.subject = Some(subject.to_owned());
        e.client_id = Some("desk".to_owned());
        e.resource = vec!["https://r.test/mcp".to_owned()];
        e.decision = decision;
        e.reason = decision.as_str().to_owned();
        serde_json::to_string(&e).unwrap()
    }

    #[test]
    fn summarize_counts_per_user_client_server_and_skips_junk() {
        let long = "x".repeat(MAX_LINE_BYTES + 10);
        let text = [
            event(AuditRole::Idp, "alice", AuditDecision::Granted),
            event(
                AuditRole::AuthorizationServer,
                "alice",
                AuditDecision::Granted,
            ),
            event(AuditRole::Idp, "bob", AuditDecision::Denied),
            String::new(),
            "not json".to_owned(),
            long,
            event(AuditRole::Idp, "bob", AuditDecision::Granted),
        ]
        .join("\n");
        let s = summarize(text.as_bytes()).unwrap();
        assert_eq!(s.events, 4);
        assert_eq!(s.skipped_lines, 2);
        let alice = s.users["alice"];
        assert_eq!(
            (alice.idp_granted, alice.as_granted, alice.denied()),
            (1, 1, 0)
        );
        let bob = s.users["bob"];
        assert_eq!((bob.idp_granted, bob.idp_denied), (1, 1));
        assert_eq!(s.clients["desk"].granted(), 3);
        assert_eq!(s.servers["https://r.test/mcp"].denied(), 1);
        let shown = s.to_string();
        assert!(shown.contains("USER"), "{shown}");
        assert!(
            shown.contains("4 events: 3 granted, 1 denied; 2 lines skipped"),
            "{shown}"
        );
    }
}

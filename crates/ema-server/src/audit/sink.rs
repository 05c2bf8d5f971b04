//! Where audit events go: the [`AuditSink`] trait, JSON lines, `tracing`, memory.

use std::fmt;
use std::io::Write;
use std::sync::{Mutex, PoisonError};

use super::event::AuditEvent;

/// Writing an audit event failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// The event could not be encoded.
    #[error("audit event encoding failed: {0}")]
    Encode(String),
    /// The writer failed.
    #[error("audit write failed: {0}")]
    Io(String),
    /// A line of an audit file is not an event.
    #[error("audit line {line}: {reason}")]
    Line {
        /// The line number, from 1.
        line: u64,
        /// What is wrong.
        reason: String,
    },
}

/// Receives one [`AuditEvent`] per decision of the IdP's token exchange and the AS's
/// jwt-bearer grant (set with `TokenExchangeGrant::with_audit` and
/// `JwtBearerGrant::with_audit`).
///
/// Called synchronously on the request path, after the decision and before the answer is
/// sent: an implementation must return quickly (append to a buffered writer or a channel),
/// never wait on the network. An error never fails the request: the server logs it through
/// `tracing` and answers as decided.
pub trait AuditSink: Send + Sync + fmt::Debug {
    /// Record `event`.
    ///
    /// # Errors
    ///
    /// When the event could not be recorded; the caller logs it.
    fn record(&self, event: &AuditEvent) -> Result<(), AuditError>;
}

/// Record `event` in `sink`, logging (never propagating) a failure.
#[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
pub(crate) fn emit(sink: &dyn AuditSink, event: &AuditEvent) {
    if let Err(error) = sink.record(event) {
        tracing::error!(%error, role = event.role.as_str(), "audit event lost");
    }
}

/// Conclude `trail` with the `outcome` of the decision it followed and record it in `sink`:
/// granted, or denied with the refusal's code as `error` (and as `reason` when the decision
/// named none) and no granted scope.
#[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
pub(crate) fn emit_decision<T>(
    sink: &dyn AuditSink,
    trail: &mut AuditEvent,
    outcome: &Result<T, crate::endpoint::Rejection>,
) {
    match outcome {
        Ok(_) => {
            trail.decision = super::AuditDecision::Granted;
            trail.reason = "granted".to_owned();
        }
        Err(rejection) => {
            trail.decision = super::AuditDecision::Denied;
            trail.granted_scope = None;
            trail.error = Some(rejection.code.as_str().to_owned());
            if trail.reason.is_empty() {
                trail.reason = rejection.code.as_str().to_owned();
            }
        }
    }
    emit(sink, trail);
}

/// One JSON object per line, to any [`Write`] (a file, stdout): each event is encoded,
/// written with its newline and flushed under a mutex, so lines never interleave and a
/// crash loses at most the line being written.
pub struct JsonLinesSink<W: Write + Send> {
    out: Mutex<W>,
}

impl<W: Write + Send> fmt::Debug for JsonLinesSink<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsonLinesSink").finish_non_exhaustive()
    }
}

impl<W: Write + Send> JsonLinesSink<W> {
    /// Write to `out`.
    #[must_use]
    pub fn new(out: W) -> Self {
        Self {
            out: Mutex::new(out),
        }
    }

    /// The writer back.
    #[must_use]
    pub fn into_inner(self) -> W {
        self.out
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl JsonLinesSink<std::io::Stdout> {
    /// Write to the standard output.
    #[must_use]
    pub fn stdout() -> Self {
        Self::new(std::io::stdout())
    }
}

impl JsonLinesSink<std::fs::File> {
    /// Append to the file at `path`, creating it if needed.
    ///
    /// # Errors
    ///
    /// When the file cannot be opened.
    pub fn append_to(path: impl AsRef<std::path::Path>) -> std::io::Result<Self> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(Self::new(file))
    }
}

impl<W: Write + Send> AuditSink for JsonLinesSink<W> {
    fn record(&self, event: &AuditEvent) -> Result<(), AuditError> {
        let mut line = serde_json::to_vec(event).map_err(|e| AuditError::Encode(e.to_string()))?;
        line.push(b'\n');
        let mut out = self.out.lock().unwrap_or_else(PoisonError::into_inner);
        out.write_all(&line)
            .and_then(|()| out.flush())
            .map_err(|e| AuditError::Io(e.to_string()))
    }
}

/// Each event as one `tracing` event at `INFO`, target `ema::audit`, with the event's fields
/// as `tracing` fields (`role`, `issuer`, `subject`, `client_id`, `audience`, `resource`,
/// `requested_scope`, `granted_scope`, `decision`, `reason`, `error`, `jti`, `unix_time`).
#[derive(Debug, Clone, Copy, Default)]
pub struct TracingSink;

impl AuditSink for TracingSink {
    fn record(&self, e: &AuditEvent) -> Result<(), AuditError> {
        let resource = e.resource.join(" ");
        tracing::info!(
            target: "ema::audit",
            unix_time = e.unix_time,
            role = e.role.as_str(),
            issuer = %e.issuer,
            subject = e.subject.as_deref(),
            client_id = e.client_id.as_deref(),
            audience = e.audience.as_deref(),
            resource = %resource,
            requested_scope = e.requested_scope.as_deref(),
            granted_scope = e.granted_scope.as_deref(),
            decision = e.decision.as_str(),
            reason = %e.reason,
            error = e.error.as_deref(),
            jti = e.jti.as_deref(),
            "audit"
        );
        Ok(())
    }
}

/// Keeps the events in memory (tests, demos). Holds at most `capacity` events; older ones
/// are dropped first.
#[derive(Debug)]
pub struct MemorySink {
    capacity: usize,
    events: Mutex<std::collections::VecDeque<AuditEvent>>,
}

impl MemorySink {
    /// A sink keeping the last `capacity` events.
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            events: Mutex::new(std::collections::VecDeque::new()),
        }
    }

    /// The events kept, oldest first.
    #[must_use]
    pub fn events(&self) -> Vec<AuditEvent> {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }
}

impl AuditSink for MemorySink {
    fn record(&self, event: &AuditEvent) -> Result<(), AuditError> {
        let mut events = self.events.lock().unwrap_or_else(PoisonError::into_inner);
        if self.capacity == 0 {
            return Ok(());
        }
        while events.len() >= self.capacity {
            events.pop_front();
        }
        events.push_back(event.clone());
        Ok(())
    }
}

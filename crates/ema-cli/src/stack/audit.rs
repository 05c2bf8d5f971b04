//! `[audit]` → one [`AuditSink`] shared by the IdP (token exchange) and the AS (jwt-bearer):
//! `tracing` (target `ema::audit`) always, plus JSON lines to a file and/or stdout. Events
//! carry no token or secret (ema-server's `AuditEvent`).

use std::sync::Arc;

use ema_server::audit::{AuditError, AuditEvent, AuditSink, JsonLinesSink, TracingSink};

use super::RoleError;
use crate::config::AuditSpec;

/// Every configured sink, in order; each one's failure is reported, none stops the others.
#[derive(Debug)]
struct Fanout(Vec<Arc<dyn AuditSink>>);

impl AuditSink for Fanout {
    fn record(&self, event: &AuditEvent) -> Result<(), AuditError> {
        let mut first_error = None;
        for sink in &self.0 {
            if let Err(e) = sink.record(event) {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// The sink of `spec`: opens (creates, appends to) `audit.file`.
pub(crate) fn sink(spec: &AuditSpec) -> Result<Arc<dyn AuditSink>, RoleError> {
    let mut sinks: Vec<Arc<dyn AuditSink>> = vec![Arc::new(TracingSink)];
    if let Some(file) = &spec.file {
        let sink = JsonLinesSink::append_to(file).map_err(|e| {
            RoleError::new("audit.file", format!("cannot open {}: {e}", file.display()))
        })?;
        sinks.push(Arc::new(sink));
    }
    if spec.stdout {
        sinks.push(Arc::new(JsonLinesSink::stdout()));
    }
    Ok(Arc::new(Fanout(sinks)))
}

/// The start-up banner line of `spec`, when it writes more than `tracing`.
pub(crate) fn banner(spec: &AuditSpec) -> Option<String> {
    let mut to = Vec::new();
    if let Some(file) = &spec.file {
        to.push(file.display().to_string());
    }
    if spec.stdout {
        to.push("stdout".to_owned());
    }
    (!to.is_empty()).then(|| {
        format!(
            "audit   IdP and AS decisions as JSON lines to {} (and tracing target ema::audit)",
            to.join(" and ")
        )
    })
}

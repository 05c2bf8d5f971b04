//! The audit trail of EMA decisions: one [`AuditEvent`] per token exchange at the IdP and
//! per jwt-bearer grant at the AS, granted or denied, early rejections included.
//!
//! - [`AuditSink`]: where events go; [`JsonLinesSink`] (a file, stdout), [`TracingSink`],
//!   [`MemorySink`].
//! - Wire a sink with `TokenExchangeGrant::with_audit` and `JwtBearerGrant::with_audit`
//!   (default: none).
//! - [`summarize`]: grants and denials per user, client and server from a JSON-lines trail
//!   (`ema audit summarize FILE`).
//!
//! Events carry identifiers, scopes, the decision and its reason, and the ID-JAG `jti` as
//! correlation id (the IdP's event and the AS's event of one flow share it); never a token,
//! an assertion, a proof or a secret.
//!
//! ```
//! use std::sync::Arc;
//! use ema_server::audit::{AuditEvent, AuditRole, AuditSink, JsonLinesSink, summarize};
//!
//! let sink = JsonLinesSink::new(Vec::new());
//! let mut event = AuditEvent::new(AuditRole::Idp, "https://idp.example", 1_793_000_000);
//! event.subject = Some("alice".into());
//! event.reason = "policy_denied".into();
//! sink.record(&event)?;
//! let trail = sink.into_inner();
//! let summary = summarize(trail.as_slice())?;
//! assert_eq!(summary.users["alice"].idp_denied, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod event;
mod sink;
mod summary;

pub use event::{AuditDecision, AuditEvent, AuditRole, rfc3339};
#[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
pub(crate) use sink::emit_decision;
pub use sink::{AuditError, AuditSink, JsonLinesSink, MemorySink, TracingSink};
pub use summary::{Counts, MAX_LINE_BYTES, Summary, summarize};

//! [`Session`]: zero touch. After one sign-in, tokens for every MCP server the enterprise
//! configured, obtained concurrently, with a per-server outcome.

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant};

use ema_types::{ErrorCode, ErrorResponse, Resource, ScopeSet};

use crate::error::{Disposition, Error, Leg};
use crate::legs::AccessToken;
use crate::token_source::TokenSource;

/// Tuning of a [`Session`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SessionConfig {
    /// Most servers whose flow (discovery, exchange, redemption) runs at once (default 8;
    /// at least 1).
    pub max_in_flight: usize,
    /// Time allowed to each server's flow (default 30 s); past it the server is
    /// [`SessionFailure::TimedOut`] and the others go on.
    pub per_server_timeout: Duration,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            max_in_flight: 8,
            per_server_timeout: Duration::from_secs(30),
        }
    }
}

impl SessionConfig {
    /// Set [`Self::max_in_flight`] (0 is taken as 1).
    #[must_use]
    pub fn with_max_in_flight(mut self, n: usize) -> Self {
        self.max_in_flight = n.max(1);
        self
    }

    /// Set [`Self::per_server_timeout`].
    #[must_use]
    pub fn with_per_server_timeout(mut self, timeout: Duration) -> Self {
        self.per_server_timeout = timeout;
        self
    }
}

/// One MCP server of the enterprise's list, and the scopes to ask for (`None`: the scopes
/// the server's challenge names, or none).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionServer {
    /// The MCP server URL (its RFC 9728 resource identifier).
    pub resource: Resource,
    /// The scopes to ask for.
    pub scope: Option<ScopeSet>,
}

impl SessionServer {
    /// The server `resource`, with the scopes its challenge names.
    #[must_use]
    pub fn new(resource: Resource) -> Self {
        Self {
            resource,
            scope: None,
        }
    }

    /// Ask for `scope`.
    #[must_use]
    pub fn with_scope(mut self, scope: ScopeSet) -> Self {
        self.scope = Some(scope);
        self
    }
}

impl From<Resource> for SessionServer {
    fn from(resource: Resource) -> Self {
        Self::new(resource)
    }
}

/// The tokens of one connected server: renewal stays per server (each has its own cache
/// slot in the shared [`TokenSource`], renewed before expiry by a new exchange, CL-15).
#[derive(Debug, Clone)]
pub struct ServerTokens {
    server: SessionServer,
    tokens: TokenSource,
}

impl ServerTokens {
    /// The server.
    #[must_use]
    pub fn server(&self) -> &Resource {
        &self.server.resource
    }

    /// A fresh access token for this server (cached, renewed when due).
    ///
    /// # Errors
    ///
    /// As [`TokenSource::access_token_for`].
    pub async fn access_token(&self) -> Result<AccessToken, Error> {
        self.tokens
            .access_token_for(&self.server.resource, self.server.scope.as_ref())
            .await
    }

    /// The server answered `401` to `rejected`: drop it and get a new one.
    ///
    /// # Errors
    ///
    /// As [`TokenSource::on_unauthorized`].
    pub async fn on_unauthorized(&self, rejected: &AccessToken) -> Result<AccessToken, Error> {
        self.tokens
            .on_unauthorized(&self.server.resource, rejected)
            .await
    }

    /// The token source behind it (shared by the session's servers).
    #[must_use]
    pub fn token_source(&self) -> &TokenSource {
        &self.tokens
    }
}

/// Why a server could not be connected, other than a policy denial.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SessionFailure {
    /// The flow failed.
    Error(Error),
    /// The flow took longer than [`SessionConfig::per_server_timeout`].
    TimedOut(Duration),
    /// The flow's task ended abnormally (it panicked).
    Aborted,
}

impl SessionFailure {
    /// What to do about it: a timeout or an aborted flow is worth a retry; an error says
    /// itself ([`Error::disposition`]).
    #[must_use]
    pub fn disposition(&self) -> Disposition {
        match self {
            Self::Error(e) => e.disposition(),
            Self::TimedOut(_) | Self::Aborted => Disposition::Retry,
        }
    }

    /// Whether a later retry may succeed.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        self.disposition() == Disposition::Retry
    }
}

impl fmt::Display for SessionFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Error(e) => e.fmt(f),
            Self::TimedOut(d) => write!(f, "timed out after {} ms", d.as_millis()),
            Self::Aborted => f.write_str("the flow aborted"),
        }
    }
}

/// The outcome for one server.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ServerOutcome {
    /// An access token was obtained.
    Connected {
        /// The scopes granted.
        scopes: ScopeSet,
        /// The first access token.
        token: AccessToken,
        /// Where to get the next ones.
        tokens: ServerTokens,
    },
    /// The IdP (token exchange) or the AS (redemption) refused by policy:
    /// `invalid_target`, `invalid_scope` or `access_denied` (IDP-11, OQ-15, AS-07). Not
    /// retryable, and no interactive fallback (CL-22).
    DeniedByPolicy {
        /// The leg that refused.
        leg: Leg,
        /// The OAuth error response.
        error: ErrorResponse,
    },
    /// Anything else: see [`SessionFailure::is_retryable`].
    Failed(SessionFailure),
}

impl ServerOutcome {
    fn from_result(
        result: Result<AccessToken, Error>,
        server: SessionServer,
        tokens: &TokenSource,
    ) -> Self {
        match result {
            Ok(token) => Self::Connected {
                scopes: token.scope.clone().unwrap_or_default(),
                token,
                tokens: ServerTokens {
                    server,
                    tokens: tokens.clone(),
                },
            },
            Err(error) => match (error.leg(), error.oauth_error()) {
                (Leg::TokenExchange | Leg::Redemption, Some(response))
                    if matches!(
                        response.error,
                        ErrorCode::InvalidTarget
                            | ErrorCode::InvalidScope
                            | ErrorCode::AccessDenied
                    ) =>
                {
                    Self::DeniedByPolicy {
                        leg: error.leg(),
                        error: response.clone(),
                    }
                }
                _ => Self::Failed(SessionFailure::Error(error)),
            },
        }
    }

    /// Whether the server is connected.
    #[must_use]
    pub fn is_connected(&self) -> bool {
        matches!(self, Self::Connected { .. })
    }

    /// Whether policy refused the server.
    #[must_use]
    pub fn is_denied(&self) -> bool {
        matches!(self, Self::DeniedByPolicy { .. })
    }

    /// Whether the flow failed otherwise.
    #[must_use]
    pub fn is_failed(&self) -> bool {
        matches!(self, Self::Failed(_))
    }
}

/// One server's line of a [`SessionReport`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerReport {
    /// The server.
    pub server: Resource,
    /// What happened.
    pub outcome: ServerOutcome,
    /// How long its flow took (or ran until its timeout).
    pub elapsed: Duration,
}

/// The outcome of [`Session::connect`], one [`ServerReport`] per server, in the order given.
///
/// `Display` prints one line per server: `connected (scopes)`, `denied by policy (error)` or
/// `failed (retryable|not retryable): reason`. No token is ever shown.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct SessionReport {
    /// Per server.
    pub servers: Vec<ServerReport>,
    /// Wall time of the whole fan-out.
    pub elapsed: Duration,
}

impl SessionReport {
    /// The connected servers.
    pub fn connected(&self) -> impl Iterator<Item = &ServerReport> {
        self.servers.iter().filter(|r| r.outcome.is_connected())
    }

    /// The servers policy refused.
    pub fn denied(&self) -> impl Iterator<Item = &ServerReport> {
        self.servers.iter().filter(|r| r.outcome.is_denied())
    }

    /// The servers that failed otherwise.
    pub fn failed(&self) -> impl Iterator<Item = &ServerReport> {
        self.servers.iter().filter(|r| r.outcome.is_failed())
    }

    /// The report of `server`.
    #[must_use]
    pub fn get(&self, server: &Resource) -> Option<&ServerReport> {
        self.servers.iter().find(|r| &r.server == server)
    }
}

impl fmt::Display for SessionReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for r in &self.servers {
            write!(f, "{}: ", r.server)?;
            match &r.outcome {
                ServerOutcome::Connected { scopes, .. } if scopes.is_empty() => {
                    writeln!(f, "connected")?;
                }
                ServerOutcome::Connected { scopes, .. } => writeln!(f, "connected ({scopes})")?,
                ServerOutcome::DeniedByPolicy { leg, error } => {
                    writeln!(f, "denied by policy at {leg} ({})", error.error)?;
                }
                ServerOutcome::Failed(failure) => writeln!(
                    f,
                    "failed ({}): {failure}",
                    if failure.is_retryable() {
                        "retryable"
                    } else {
                        "not retryable"
                    }
                )?,
            }
        }
        Ok(())
    }
}

/// Zero touch (EMA's first promise): after one sign-in (the [`TokenSource`]'s subject-token
/// source), access tokens for a whole list of MCP servers.
///
/// - The servers' flows (discovery, token exchange, redemption) run concurrently on tokio
///   tasks, at most [`SessionConfig::max_in_flight`] at once.
/// - Each flow has its own [`SessionConfig::per_server_timeout`]: a server that fails or
///   hangs never holds up the others, and [`Session::connect`] returns within about
///   `ceil(n / max_in_flight) × per_server_timeout`.
/// - Each server gets one outcome ([`ServerOutcome`]): connected, denied by policy, or
///   failed (retryable or not).
/// - Renewal stays per server ([`ServerTokens`]); the servers share the token source's
///   caches (IdP metadata and keys, discovery documents).
///
/// Needs a tokio runtime (it spawns tasks; a multi-threaded runtime runs them in parallel).
///
/// ```no_run
/// # async fn run(tokens: ema_client::TokenSource, servers: Vec<ema_types::Resource>) {
/// use ema_client::{Session, SessionConfig};
///
/// let session = Session::new(tokens).with_config(SessionConfig::default().with_max_in_flight(4));
/// let report = session.connect(servers).await;
/// println!("{report}");
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Session {
    tokens: TokenSource,
    config: SessionConfig,
}

impl Session {
    /// A session over `tokens` (whose subject-token source is the user's sign-in).
    #[must_use]
    pub fn new(tokens: TokenSource) -> Self {
        Self {
            tokens,
            config: SessionConfig::default(),
        }
    }

    /// Use `config`.
    #[must_use]
    pub fn with_config(mut self, config: SessionConfig) -> Self {
        self.config = config;
        self
    }

    /// The token source.
    #[must_use]
    pub fn token_source(&self) -> &TokenSource {
        &self.tokens
    }

    /// Obtain an access token for each of `servers`, concurrently (see the type's
    /// documentation). The report lists the servers in the order given.
    pub async fn connect<I, S>(&self, servers: I) -> SessionReport
    where
        I: IntoIterator<Item = S>,
        S: Into<SessionServer>,
    {
        let started = Instant::now();
        let servers: Vec<SessionServer> = servers.into_iter().map(Into::into).collect();
        let mut slots: Vec<Option<ServerReport>> = vec![None; servers.len()];
        let mut tasks = tokio::task::JoinSet::new();
        let mut index_of: HashMap<tokio::task::Id, usize> = HashMap::new();
        let limit = self.config.max_in_flight.max(1);
        let timeout = self.config.per_server_timeout;
        let mut pending = servers.iter().cloned().enumerate();
        loop {
            while tasks.len() < limit {
                let Some((index, server)) = pending.next() else {
                    break;
                };
                let tokens = self.tokens.clone();
                let handle = tasks.spawn(async move {
                    let begun = Instant::now();
                    let flow = tokens.access_token_for(&server.resource, server.scope.as_ref());
                    let outcome = match tokio::time::timeout(timeout, flow).await {
                        Ok(result) => ServerOutcome::from_result(result, server.clone(), &tokens),
                        Err(_) => ServerOutcome::Failed(SessionFailure::TimedOut(timeout)),
                    };
                    (index, outcome, begun.elapsed())
                });
                index_of.insert(handle.id(), index);
            }
            let Some(joined) = tasks.join_next_with_id().await else {
                break;
            };
            let (index, outcome, elapsed) = match joined {
                Ok((_, done)) => done,
                Err(e) => {
                    let Some(index) = index_of.get(&e.id()).copied() else {
                        continue;
                    };
                    (
                        index,
                        ServerOutcome::Failed(SessionFailure::Aborted),
                        started.elapsed(),
                    )
                }
            };
            if let (Some(slot), Some(server)) = (slots.get_mut(index), servers.get(index)) {
                *slot = Some(ServerReport {
                    server: server.resource.clone(),
                    outcome,
                    elapsed,
                });
            }
        }
        SessionReport {
            servers: slots.into_iter().flatten().collect(),
            elapsed: started.elapsed(),
        }
    }
}

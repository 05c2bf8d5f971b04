//! Command-line parsing (clap) and dispatch.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ema_client::{ClientAuthMethod, ClientCredentials};
use ema_jwt::{Algorithm, KeySet};
use ema_types::{ClientId, Issuer, Resource, ScopeSet, Secret};
use tracing_subscriber::EnvFilter;

use crate::flow::{self, Credentials, Steps, Subject, TokenRequest};
use crate::inspect::{self, Kind};
use crate::{audit, config, demo, keygen, policy, stack};

/// Exit status of a refused token or a failed flow.
const EXIT_FAILURE: u8 = 1;
/// Exit status of a usage or configuration error.
const EXIT_USAGE: u8 = 2;

/// MCP Enterprise-Managed Authorization (ID-JAG): a local stack, token tools, the quickstart.
#[derive(Debug, Parser)]
#[command(name = "ema", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the IdP, resource AS and/or MCP server of a TOML file on one listener.
    Serve {
        /// The configuration file (see docs/config.md).
        #[arg(long, short)]
        config: PathBuf,
        /// Check the configuration and exit without listening.
        #[arg(long)]
        check: bool,
    },
    /// Start a stack on free loopback ports and run the whole flow as alice, step by step.
    Demo {
        /// Also write the requests made as a Mermaid sequence diagram to FILE.
        #[arg(long, value_name = "FILE")]
        diagram: Option<PathBuf>,
    },
    /// Get an access token for an MCP server: discovery, login, token exchange, jwt-bearer.
    /// Prints only the access-token response (JSON) on stdout.
    Token {
        /// The MCP server URL (its resource identifier).
        #[arg(long, value_name = "MCP_URL")]
        server: String,
        /// The IdP issuer.
        #[arg(long, value_name = "ISSUER")]
        idp: String,
        /// The client at the IdP, as ID:SECRET.
        #[arg(
            long,
            env = "EMA_IDP_CLIENT",
            hide_env_values = true,
            value_name = "ID:SECRET"
        )]
        idp_client: String,
        /// The client at the authorization server, as ID:SECRET.
        #[arg(
            long,
            env = "EMA_AS_CLIENT",
            hide_env_values = true,
            value_name = "ID:SECRET"
        )]
        as_client: String,
        /// How the client authenticates at the IdP.
        #[arg(long, value_enum, default_value_t = AuthMethod::Basic)]
        idp_auth: AuthMethod,
        /// How the client authenticates at the authorization server.
        #[arg(long, value_enum, default_value_t = AuthMethod::Basic)]
        as_auth: AuthMethod,
        /// The user's ID token (the subject token), or `-` for stdin.
        #[arg(
            long,
            env = "EMA_ID_TOKEN",
            hide_env_values = true,
            conflicts_with = "login",
            required_unless_present = "login"
        )]
        id_token: Option<String>,
        /// Sign this configured user in at the IdP (development IdPs: `login_hint`, no page).
        #[arg(long, value_name = "USER")]
        login: Option<String>,
        /// The redirect URI registered for the client at the IdP (never contacted: the CLI
        /// reads the code from the redirect).
        #[arg(long, default_value = "http://127.0.0.1:9999/callback")]
        redirect_uri: String,
        /// The scope to ask for; default: the scope of the server's challenge.
        #[arg(long)]
        scope: Option<String>,
        /// Print each step to stderr (tokens shortened).
        #[arg(long, short)]
        verbose: bool,
    },
    /// Generate a signing key: PKCS#8 PEM written with mode 0600, public JWK printed.
    Keygen {
        /// ES256 or EdDSA.
        #[arg(long, default_value = "ES256")]
        alg: String,
        /// Where to write the private key.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// The key id (default: the RFC 7638 thumbprint).
        #[arg(long)]
        kid: Option<String>,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Ask the central policy of a configuration: why a user gets (or not) a resource.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// Read an audit trail written by `ema serve` (`[audit] file = ...`).
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Decode a JWT and validate it when keys are given; exit 0 only when valid.
    Inspect {
        /// The token, or `-` to read it from stdin.
        token: String,
        /// A JWKS file or URL to validate the signature with.
        #[arg(long, value_name = "FILE|URL")]
        jwks: Option<String>,
        /// What the token must be (default: from its `typ`).
        #[arg(long, value_enum)]
        kind: Option<Kind>,
        /// The issuer it must have (default: its own `iss`, trusted through --jwks).
        #[arg(long)]
        issuer: Option<String>,
        /// The audience it must have (default: its own first `aud`).
        #[arg(long)]
        audience: Option<String>,
    },
}

/// `ema policy ...`
#[derive(Debug, Subcommand)]
enum PolicyCommand {
    /// Decide one request with the `[idp]` policy of FILE and print the decision, the granted
    /// scopes and the rows that decided it. Exit 0 granted, 1 denied, 2 usage or configuration
    /// error.
    Explain {
        /// The configuration file (see docs/config.md).
        #[arg(long, short)]
        config: PathBuf,
        /// The user (`sub` of `[[idp.users]]`).
        #[arg(long)]
        user: String,
        /// The client, by its id at the IdP.
        #[arg(long)]
        client: String,
        /// The MCP server (resource) URL.
        #[arg(long, value_name = "URL")]
        resource: String,
        /// The authorization server (audience); default: the one the rows for the resource
        /// name, else the stack's `[as]`.
        #[arg(long, value_name = "ISSUER")]
        audience: Option<String>,
        /// The scopes asked for (repeat, or space-separated); default: no `scope` parameter.
        #[arg(long)]
        scope: Vec<String>,
    },
}

/// `ema audit ...`
#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Grants and denials per user, client and MCP server, at the IdP and at the AS.
    Summarize {
        /// The JSON-lines audit file, or `-` for stdin.
        file: PathBuf,
    },
}

/// Client authentication at a token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum AuthMethod {
    /// `client_secret_basic`
    Basic,
    /// `client_secret_post`
    Post,
}

pub(crate) fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(matches!(cli.command, Command::Serve { .. }));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    runtime.block_on(run(cli.command))
}

/// Logs to stderr, filtered by `RUST_LOG` (default: `info` for `serve`, `warn` otherwise).
fn init_tracing(serving: bool) {
    let default = if serving { "info" } else { "warn" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

async fn run(command: Command) -> ExitCode {
    match command {
        Command::Serve { config, check } => serve(config, check).await,
        Command::Demo { diagram } => demo::run(diagram.as_deref()).await,
        Command::Policy {
            command:
                PolicyCommand::Explain {
                    config,
                    user,
                    client,
                    resource,
                    audience,
                    scope,
                },
        } => {
            let question = policy::Question {
                user,
                client,
                resource,
                audience,
                scope,
            };
            match policy::explain_file(&config, &question) {
                Ok(answer) => {
                    print!("{}", answer.text);
                    if answer.granted {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::from(EXIT_FAILURE)
                    }
                }
                Err(e) => usage(&e),
            }
        }
        Command::Audit {
            command: AuditCommand::Summarize { file },
        } => match audit::summarize_file(&file) {
            Ok(summary) => {
                print!("{summary}");
                ExitCode::SUCCESS
            }
            Err(e) => failure(&e),
        },
        Command::Keygen {
            alg,
            out,
            kid,
            force,
        } => {
            let alg = match alg.parse::<Algorithm>() {
                Ok(a @ (Algorithm::ES256 | Algorithm::EdDSA)) => a,
                _ => return usage(&format!("--alg {alg}: ES256 or EdDSA")),
            };
            match keygen::run(alg, &out, kid.as_deref(), force) {
                Ok(jwk) => {
                    println!("{jwk}");
                    eprintln!("wrote {} ({alg}, PKCS#8 PEM, mode 0600)", out.display());
                    ExitCode::SUCCESS
                }
                Err(e) => failure(&e),
            }
        }
        Command::Inspect {
            token,
            jwks,
            kind,
            issuer,
            audience,
        } => {
            let token = match read_arg(&token) {
                Ok(t) => t,
                Err(e) => return usage(&e),
            };
            let keys = match &jwks {
                Some(source) => match load_jwks(source).await {
                    Ok(k) => Some(k),
                    Err(e) => return usage(&format!("--jwks {source}: {e}")),
                },
                None => None,
            };
            let report = inspect::inspect(
                token.expose(),
                keys.as_ref(),
                kind,
                issuer.as_deref(),
                audience.as_deref(),
            );
            print!("{}", report.text);
            if report.valid {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_FAILURE)
            }
        }
        Command::Token {
            server,
            idp,
            idp_client,
            as_client,
            idp_auth,
            as_auth,
            id_token,
            login,
            redirect_uri,
            scope,
            verbose,
        } => {
            let parsed = (|| -> Result<_, String> {
                let subject = match (id_token, login) {
                    (Some(t), _) => Subject::IdToken(read_arg(&t)?),
                    (None, Some(user)) => Subject::Login { user, redirect_uri },
                    (None, None) => return Err("give --id-token or --login".to_owned()),
                };
                Ok(TokenRequest {
                    server: Resource::new(server.clone()).map_err(|e| format!("--server: {e}"))?,
                    idp_issuer: Issuer::new(idp.clone()).map_err(|e| format!("--idp: {e}"))?,
                    idp_client: credentials("--idp-client", &idp_client, idp_auth)?,
                    as_client: credentials("--as-client", &as_client, as_auth)?,
                    subject,
                    scope: scope
                        .map(|s| ScopeSet::parse(&s).map_err(|e| format!("--scope: {e}")))
                        .transpose()?,
                })
            })();
            let request = match parsed {
                Ok(r) => r,
                Err(e) => return usage(&e),
            };
            let http = match flow::http_client() {
                Ok(h) => h,
                Err(e) => return failure(&e),
            };
            let steps: Box<dyn Steps> = if verbose {
                Box::new(Stderr)
            } else {
                Box::new(flow::Quiet)
            };
            let result = flow::run(&http, &request, steps.as_ref()).await;
            match result {
                Ok(token) => {
                    let mut out = std::io::stdout().lock();
                    let _ = writeln!(out, "{}", flow::token_response_json(&token));
                    ExitCode::SUCCESS
                }
                Err(e) => failure(&e),
            }
        }
    }
}

async fn serve(path: PathBuf, check: bool) -> ExitCode {
    let spec = match config::load(&path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {}: {e}", path.display());
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let built = match stack::build(&spec).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {}: {e}", path.display());
            return ExitCode::from(EXIT_USAGE);
        }
    };
    if check {
        eprintln!("{}: configuration is valid", path.display());
        return ExitCode::SUCCESS;
    }
    let listener = match tokio::net::TcpListener::bind(spec.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: server.listen {}: {e}", spec.listen);
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    let local = listener
        .local_addr()
        .map_or_else(|_| spec.listen.to_string(), |a| a.to_string());
    eprintln!(
        "ema serve: listening on {local}, public URL {}",
        spec.public_url
    );
    for role in &built.roles {
        eprintln!("  {role}");
    }
    eprintln!("  health  {}/healthz", spec.public_url);
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
    };
    match stack::serve(listener, built.router, shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => failure(&format!("server: {e}")),
    }
}

/// Steps to stderr with tokens shortened (`ema token --verbose`).
struct Stderr;

impl Steps for Stderr {
    fn step(&self, title: &str, detail: &str) {
        eprintln!("[{title}] {detail}");
    }
    fn token(&self, label: &str, token: &Secret) {
        eprintln!("    {label}: {}", flow::shorten(token.expose()));
    }
}

/// `ID:SECRET` → credentials with `method`.
fn credentials(flag: &str, value: &str, method: AuthMethod) -> Result<Credentials, String> {
    let (id, secret) = value
        .split_once(':')
        .ok_or_else(|| format!("{flag}: expected ID:SECRET"))?;
    if secret.is_empty() {
        return Err(format!("{flag}: the secret is empty"));
    }
    let client_id = ClientId::new(id).map_err(|e| format!("{flag}: client id: {e}"))?;
    let secret = Secret::new(secret);
    let method = match method {
        AuthMethod::Basic => ClientAuthMethod::SecretBasic(secret),
        AuthMethod::Post => ClientAuthMethod::SecretPost(secret),
    };
    Ok(Credentials {
        credentials: ClientCredentials::new(client_id.clone(), method),
        client_id,
    })
}

/// The value, or stdin for `-` (bounded, trimmed).
fn read_arg(value: &str) -> Result<Secret, String> {
    if value != "-" {
        return Ok(Secret::new(value.trim()));
    }
    let mut buf = String::new();
    std::io::stdin()
        .take(inspect::MAX_TOKEN_BYTES as u64 + 1)
        .read_to_string(&mut buf)
        .map_err(|e| format!("cannot read stdin: {e}"))?;
    if buf.len() > inspect::MAX_TOKEN_BYTES {
        return Err(format!(
            "the token exceeds {} bytes",
            inspect::MAX_TOKEN_BYTES
        ));
    }
    Ok(Secret::new(buf.trim()))
}

/// A JWKS from a file or an `https` (or loopback `http`) URL.
async fn load_jwks(source: &str) -> Result<KeySet, String> {
    let keys = if source.starts_with("https://") || source.starts_with("http://") {
        let http = flow::http_client()?;
        flow::fetch_key_set(&http, source).await?
    } else {
        let text = std::fs::read(source).map_err(|e| e.to_string())?;
        KeySet::from_json(&text).map_err(|e| e.to_string())?
    };
    if keys.is_empty() {
        return Err("no usable key".to_owned());
    }
    Ok(keys)
}

fn usage(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(EXIT_USAGE)
}

fn failure(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(EXIT_FAILURE)
}

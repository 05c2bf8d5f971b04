//! `ema`: a local MCP Enterprise-Managed Authorization stack (IdP, resource authorization
//! server, MCP server) from one TOML file, token tools, and the quickstart.
//!
//! ```text
//! ema serve --config stack.toml       run the configured roles on one listener
//! ema demo [--diagram flow.md]        start a stack on free ports and run the whole flow as alice
//! ema token --server URL --idp ISSUER --idp-client ID:SECRET --as-client ID:SECRET --login alice
//! ema keygen --out idp.pem            a PKCS#8 PEM signing key (0600) and its public JWK
//! ema inspect TOKEN --jwks URL        decode and validate a JWT (exit 0 only when valid)
//! ema policy explain --config stack.toml --user alice --client desk --resource URL
//! ema audit summarize audit.jsonl     grants and denials per user, client, MCP server
//! ```

mod audit;
mod cli;
mod config;
mod demo;
mod flow;
mod inspect;
mod keygen;
mod policy;
mod stack;
mod todo;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
